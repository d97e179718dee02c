"""Probes against real streams: healthy RTSP/HTTP/file feeds, and every link fault ends
with the right reason within its deadline, never a stuck worker."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from monitor.capture import ProbeSettings
from monitor.feeds import Feed
from monitor.probe import ProbeJob, ProbeResult
from monitor.testing import StreamServer, free_port, later
from monitor.workers import ProbePool


def feed(url: str, camera_id: str = "cam-1", **extra: object) -> Feed:
    return Feed(camera_id=camera_id, url=url, district="Nanshan", **extra)  # type: ignore[arg-type]


def probe(pool: ProbePool, url: str, **extra: object) -> tuple[ProbeResult, float]:
    start = time.perf_counter()
    result = pool.submit(ProbeJob(feed(url, **extra))).result()
    return result, time.perf_counter() - start


def test_healthy_rtsp_feed_is_ok_with_timings(probe_pool: ProbePool, rtsp_server: StreamServer):
    url = rtsp_server.url("healthy", credentials="admin:s3cret")
    result, elapsed = probe(probe_pool, url, expected_fps=10)
    assert result.ok, result
    assert result.reasons == []
    assert (result.width, result.height) == (768, 576)
    assert result.fps == pytest.approx(10.0, rel=0.1)
    # RTSP session up and stream described: ~0.12 s idle (FFmpeg's defaults take 2.8 s)
    assert 0 < result.connect_s < 1.5
    assert result.connect_s < result.first_frame_s < 2.0
    assert 9 <= result.frames <= 13
    assert result.metrics["brightness"] > 40
    assert elapsed < 4.0
    assert "s3cret" not in str(result.as_dict()) and "admin" not in result.url
    assert result.url == f"rtsp://***@127.0.0.1:{rtsp_server.port}/healthy"


def test_http_mpegts_feed_is_ok(probe_pool: ProbePool, http_ts_url: str):
    result, _ = probe(probe_pool, http_ts_url)
    assert result.ok, result
    assert (result.width, result.height) == (768, 576)
    assert result.fps == pytest.approx(10.0, rel=0.15)


def test_http_mjpeg_feed_is_ok_at_its_delivered_rate(probe_pool: ProbePool, http_mjpeg_url: str):
    """Multipart MJPEG has no real timestamps: the rate is what arrives (10 fps), not 25."""
    result, _ = probe(probe_pool, http_mjpeg_url, expected_fps=10)
    assert result.ok, result
    assert result.fps == pytest.approx(10.0, rel=0.2)


def test_hls_feed_is_ok(probe_pool: ProbePool, hls_url: str):
    result, _ = probe(probe_pool, hls_url)
    assert result.ok, result
    assert (result.width, result.height) == (768, 576)
    assert result.frames >= 10


def test_local_file_is_read_in_stream_time_not_wall_time(probe_pool: ProbePool, healthy_clip: Path):
    result, elapsed = probe(probe_pool, str(healthy_clip))
    assert result.ok, result
    assert result.frames == pytest.approx(11, abs=1)  # one second of 10 fps video
    assert elapsed < 1.0  # decoded at full speed, not in real time


def test_refused_port_is_unreachable_at_once(probe_pool: ProbePool):
    result, elapsed = probe(probe_pool, f"rtsp://127.0.0.1:{free_port()}/cam")
    assert result.reasons == ["unreachable"]
    assert "refused" in (result.error or "").lower()
    assert elapsed < 1.0


def test_unknown_mount_is_unreachable(probe_pool: ProbePool, rtsp_server: StreamServer):
    result, _ = probe(probe_pool, rtsp_server.url("no-such-camera"))
    assert result.reasons == ["unreachable"]
    assert "404" in (result.error or "")


def test_missing_file_is_unreachable(probe_pool: ProbePool, tmp_path: Path):
    result, _ = probe(probe_pool, str(tmp_path / "gone.mp4"))
    assert result.reasons == ["unreachable"]


def test_silent_listener_times_out_within_open_timeout(
    probe_pool: ProbePool, silent_port: int, fast: ProbeSettings
):
    for url in (f"rtsp://127.0.0.1:{silent_port}/cam", f"http://127.0.0.1:{silent_port}/"):
        result, elapsed = probe(probe_pool, url)
        assert result.reasons == ["timeout"], result
        assert fast.open_timeout_s * 0.9 < elapsed < fast.open_timeout_s + 1.5


def test_server_killed_mid_stream_ends_as_no_frames(
    probe_pool: ProbePool, private_rtsp_server: StreamServer
):
    timer = later(0.5, private_rtsp_server.process.kill)
    result, elapsed = probe(probe_pool, private_rtsp_server.url("healthy"))
    timer.join()
    assert result.reasons == ["no_frames"], result
    assert 0 < result.frames < 10
    assert "ended" in (result.error or "")
    assert elapsed < 2.5


def test_sigstopped_server_times_out(
    probe_pool: ProbePool, private_rtsp_server: StreamServer, fast: ProbeSettings
):
    settings = replace(fast, window_s=4.0)
    with ProbePool(1, settings) as pool:
        assert probe(pool, private_rtsp_server.url("healthy"))[0].ok  # worker warmed up
        timer = later(1.0, private_rtsp_server.pause)
        result, elapsed = probe(pool, private_rtsp_server.url("healthy"))
        timer.join()
        assert pool.replaced == 0  # FFmpeg's own stall detection ended it, not the kill
    assert result.reasons == ["timeout"], result
    assert result.frames > 0
    assert "stalled" in (result.error or "")
    # the stall is detected by read timeouts (FFmpeg's RTSP demuxer retries up to ~3)
    assert 1.0 + fast.read_timeout_s < elapsed < settings.deadline_s


def test_hard_deadline_kills_and_replaces_a_stuck_worker(
    private_rtsp_server: StreamServer, rtsp_server: StreamServer, fast: ProbeSettings
):
    """A worker stuck past its deadline (here: a stalled stream with a long read timeout)
    is killed; the probe answers timeout on time and the next probe gets a fresh worker."""
    settings = replace(fast, open_timeout_s=30.0, read_timeout_s=30.0, hard_deadline_s=2.5)
    with ProbePool(1, settings) as pool:
        assert probe(pool, rtsp_server.url("healthy"))[0].ok  # worker warmed up
        timer = later(0.6, private_rtsp_server.pause)
        result, elapsed = probe(pool, private_rtsp_server.url("healthy"))
        timer.join()
        assert result.reasons == ["timeout"]
        assert "hard deadline" in (result.error or "")
        assert 2.4 < elapsed < 3.5
        assert pool.replaced == 1
        healthy, _ = probe(pool, rtsp_server.url("healthy"))
        assert healthy.ok, healthy


@pytest.fixture
def garbage_http() -> Iterator[str]:
    """An HTTP server answering a stream URL with bytes that are not video."""
    payload = np.random.default_rng(7).integers(0, 256, 2_000_000, dtype=np.uint8).tobytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "video/mp2t")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/cam.ts"
    server.shutdown()
    thread.join()


def test_corrupt_stream_is_a_decode_error(
    probe_pool: ProbePool, garbage_http: str, fast: ProbeSettings
):
    result, elapsed = probe(probe_pool, garbage_http)
    assert result.reasons == ["decode_error"], result
    assert elapsed < fast.deadline_s


def test_damaged_stream_with_decoder_errors_is_a_decode_error(
    probe_pool: ProbePool, healthy_ts: Path, tmp_path: Path
):
    """A fifth of the MPEG-TS packets after the first carry random payload: frames still
    come out (concealed) but FFmpeg reports damaged macroblocks."""
    data = bytearray(healthy_ts.read_bytes())
    rng = np.random.default_rng(3)
    packets = len(data) // 188
    for index in rng.choice(np.arange(20, packets), size=packets // 5, replace=False):
        start = int(index) * 188 + 4  # keep the 4-byte TS header, ruin the payload
        data[start : start + 184] = rng.integers(0, 256, 184, dtype=np.uint8).tobytes()
    damaged = tmp_path / "damaged.ts"
    damaged.write_bytes(bytes(data))
    result, _ = probe(probe_pool, str(damaged))
    assert result.reasons == ["decode_error"], result
    assert result.frames > 0 and result.metrics["decode_errors"] >= 3
    assert "error while decoding" in (result.error or "")


def test_pool_runs_probes_concurrently(probe_pool: ProbePool, rtsp_server: StreamServer):
    jobs = [ProbeJob(feed(rtsp_server.url("healthy"), f"cam-{i}")) for i in range(4)]
    start = time.perf_counter()
    results = list(probe_pool.run(jobs))
    elapsed = time.perf_counter() - start
    assert sorted(r.camera_id for r in results) == [f"cam-{i}" for i in range(4)]
    assert all(r.ok for r in results)
    assert elapsed < 3.5  # four 1 s windows side by side (one after another: > 4.4 s)
