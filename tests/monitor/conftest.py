"""Real stream servers for the monitor tests (see :mod:`monitor.testing`).

Clips are real footage (vtest.avi) re-encoded to H.264 with ffmpeg, served over RTSP by
gst-rtsp-server and over HTTP MPEG-TS by ``ffmpeg -listen 1``; every server is killed
after its test.  Probes use 1 s windows and short timeouts to keep the suite fast.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.capture import ProbeSettings
from monitor.faults import make_fault_clip
from monitor.testing import SilentListener, StreamServer, start_http_stream, start_rtsp_server
from monitor.workers import ProbePool

CLIP_SECONDS = 6.0


@pytest.fixture(scope="session")
def fast() -> ProbeSettings:
    """Probe settings of the tests: 1 s windows, short timeouts."""
    return ProbeSettings(window_s=1.0, open_timeout_s=1.5, read_timeout_s=1.0)


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def healthy_clip(vtest_avi: Path, clip_dir: Path) -> Path:
    """6 s of real street footage as H.264 MP4 (1 s GOP), 768x576 at 10 fps."""
    return make_fault_clip(
        vtest_avi, "none", 0.0, clip_dir / "healthy.mp4", duration_s=CLIP_SECONDS
    )


@pytest.fixture(scope="session")
def healthy_ts(healthy_clip: Path, clip_dir: Path) -> Path:
    """The healthy clip remuxed to MPEG-TS for the HTTP server."""
    out = clip_dir / "healthy.ts"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(healthy_clip), "-c", "copy", str(out)],
        check=True,
    )
    return out


@pytest.fixture(scope="session")
def rtsp_server(healthy_clip: Path) -> Iterator[StreamServer]:
    """A shared RTSP server with the healthy clip at /healthy."""
    server = start_rtsp_server({"healthy": healthy_clip})
    yield server
    server.stop()


@pytest.fixture
def private_rtsp_server(healthy_clip: Path) -> Iterator[StreamServer]:
    """An RTSP server of its own, for tests that pause or kill it."""
    server = start_rtsp_server({"healthy": healthy_clip})
    yield server
    server.stop()


@pytest.fixture
def http_ts_url(healthy_ts: Path) -> Iterator[str]:
    """``ffmpeg -listen 1`` serving the healthy clip as live MPEG-TS over HTTP."""
    server, url = start_http_stream(healthy_ts, "mpegts")
    yield url
    server.stop()


@pytest.fixture
def http_mjpeg_url(healthy_clip: Path) -> Iterator[str]:
    """``ffmpeg -listen 1`` serving the healthy clip as live multipart MJPEG over HTTP."""
    server, url = start_http_stream(healthy_clip, "mjpeg")
    yield url
    server.stop()


@pytest.fixture(scope="session")
def hls_url(healthy_clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The healthy clip cut into 1 s HLS segments, served by a real HTTP server."""
    folder = tmp_path_factory.mktemp("hls")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(healthy_clip), "-c", "copy", "-f", "hls",
         "-hls_time", "1", "-hls_list_size", "0", str(folder / "index.m3u8")],
        check=True,
    )  # fmt: skip
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/index.m3u8"
    server.shutdown()
    thread.join()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP port that accepts connections and never answers."""
    listener = SilentListener()
    yield listener.port
    listener.close()


@pytest.fixture(scope="session")
def probe_pool(fast: ProbeSettings) -> Iterator[ProbePool]:
    """A shared pool of four probe workers with the fast test settings."""
    with ProbePool(4, fast) as pool:
        yield pool
