"""Picture faults made from real footage, streamed through the real RTSP server and probed
end to end (worker process, OpenCV FFmpeg decode, analysis, judge): each gets its reason;
healthy footage gets none."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from monitor.faults import FAULT_REASONS, FAULTS, make_fault_clip
from monitor.feeds import Feed
from monitor.probe import ProbeJob
from monitor.testing import StreamServer, start_rtsp_server
from monitor.workers import ProbePool

CLIP_SECONDS = 3.0
WIDTH = 384  # half resolution keeps clip making fast; analysis works on 320 px anyway


@pytest.fixture(scope="module")
def fault_server(vtest_avi: Path, clip_dir: Path) -> Iterator[StreamServer]:
    """One RTSP server with /healthy and one mount per fault (strength 1, same scene)."""

    def make(fault: str) -> tuple[str, Path]:
        out = clip_dir / f"fault-{fault}.mp4"
        strength = 0.0 if fault == "healthy" else 1.0
        name = "none" if fault == "healthy" else fault
        clip = make_fault_clip(vtest_avi, name, strength, out, duration_s=CLIP_SECONDS, width=WIDTH)
        return fault, clip

    with ThreadPoolExecutor(2) as pool:
        mounts = dict(pool.map(make, ["healthy", *FAULTS]))
    server = start_rtsp_server(mounts)
    yield server
    server.stop()


def _feed(server: StreamServer, mount: str, camera_id: str, **extra: object) -> Feed:
    return Feed(
        camera_id=camera_id,
        url=server.url(mount),
        district="Futian",
        expected_fps=10,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def learned_baseline(
    fault_server: StreamServer, probe_pool: ProbePool, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A baseline learned like in production: from the camera's first healthy probes."""
    path = tmp_path_factory.mktemp("state") / "cam-healthy.json"
    job = ProbeJob(_feed(fault_server, "healthy", "cam-healthy"), baseline_path=path)
    for _ in range(2):
        result = probe_pool.submit(job).result()
        assert result.ok, result
    assert path.is_file()
    return path


def test_healthy_footage_raises_no_reason(
    fault_server: StreamServer, probe_pool: ProbePool, learned_baseline: Path, tmp_path: Path
):
    baseline = shutil.copy(learned_baseline, tmp_path / "b.json")
    jobs = [
        ProbeJob(_feed(fault_server, "healthy", f"cam-{i}"), baseline_path=Path(baseline))
        for i in range(3)
    ]
    for result in probe_pool.run(jobs):
        assert result.reasons == [], result


def test_each_picture_fault_is_classified_through_rtsp(
    fault_server: StreamServer, probe_pool: ProbePool, learned_baseline: Path, tmp_path: Path
):
    jobs = []
    for fault in FAULTS:
        baseline = Path(shutil.copy(learned_baseline, tmp_path / f"{fault}.json"))
        jobs.append(ProbeJob(_feed(fault_server, fault, f"cam-{fault}"), baseline_path=baseline))
    results = {r.camera_id.removeprefix("cam-"): r for r in probe_pool.run(jobs)}
    missed = {
        fault: results[fault].reasons
        for fault in FAULTS
        if str(FAULT_REASONS[fault]) not in results[fault].reasons
    }
    assert not missed, f"faults not classified (got reasons): {missed}"
    assert all(not r.ok for r in results.values())
    assert all(
        set(r.reasons).isdisjoint({"unreachable", "timeout", "no_frames", "decode_error"})
        for r in results.values()
    )
    assert results["low_fps"].fps == pytest.approx(2.0, rel=0.2)


def test_moved_against_an_explicit_reference_image(
    fault_server: StreamServer, probe_pool: ProbePool, tmp_path: Path
):
    reference = tmp_path / "ref.png"
    job = ProbeJob(_feed(fault_server, "healthy", "cam-ref"), reference_out=reference)
    assert probe_pool.submit(job).result().ok
    assert reference.is_file()
    healthy = probe_pool.submit(
        ProbeJob(_feed(fault_server, "healthy", "cam-ref", reference=reference))
    ).result()
    moved = probe_pool.submit(
        ProbeJob(_feed(fault_server, "moved", "cam-ref", reference=reference))
    ).result()
    assert "moved" not in healthy.reasons
    assert "moved" in moved.reasons
