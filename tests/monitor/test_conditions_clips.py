"""Each synthetic fault made from real footage (H.264 clips, decoded by OpenCV) gets the
right reason code; healthy footage gets none; baselines make the judgement per camera."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from monitor.analysis import WindowAnalyzer, WindowMetrics
from monitor.conditions import Baseline, Reason, judge
from monitor.faults import FAULT_REASONS, FAULTS, make_fault_clip

SOURCE_FPS = 10.0  # vtest.avi
BASELINE_STARTS = (8.0, 22.0, 36.0)
HEALTHY_STARTS = (2.0, 15.0, 50.0, 66.0)
FAULT_START = 44.0


def decode(path: Path) -> tuple[list[np.ndarray], float]:
    """All frames of a clip and its nominal fps, decoded by OpenCV (FFmpeg backend)."""
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened(), path
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames, fps


def analyse(
    path: Path, reference: np.ndarray | None
) -> tuple[WindowMetrics, WindowAnalyzer, float]:
    frames, fps = decode(path)
    analyzer = WindowAnalyzer(reference=reference)
    for frame in frames:
        analyzer.add(frame)
    return analyzer.result(), analyzer, fps


@pytest.fixture(scope="module")
def clips(vtest_avi: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fault-clips")
    for start in (*BASELINE_STARTS, *HEALTHY_STARTS):
        make_fault_clip(
            vtest_avi, "none", 0.0, folder / f"healthy-{start:g}.mp4", start_s=start, duration_s=2.0
        )
    for fault in FAULTS:
        make_fault_clip(
            vtest_avi,
            fault,
            1.0,
            folder / f"{fault}.mp4",
            start_s=FAULT_START,
            duration_s=2.0,
            seed=7,
        )
    return folder


@pytest.fixture(scope="module")
def baseline(clips: Path) -> Baseline:
    """The vtest camera's baseline, learned the way the probe learns it."""
    learned = Baseline()
    for start in BASELINE_STARTS:
        window, analyzer, _ = analyse(clips / f"healthy-{start:g}.mp4", learned.reference)
        assert judge(window, fps=SOURCE_FPS, expected_fps=SOURCE_FPS, baseline=learned) == []
        assert learned.update(window, analyzer.thumbnail())
    assert learned.ready and learned.reference is not None
    return learned


@pytest.mark.parametrize("start", HEALTHY_STARTS)
def test_healthy_footage_raises_no_reason(clips: Path, baseline: Baseline, start: float) -> None:
    window, _, fps = analyse(clips / f"healthy-{start:g}.mp4", baseline.reference)
    assert judge(window, fps=fps, expected_fps=SOURCE_FPS, baseline=baseline) == []
    assert judge(window, fps=fps, expected_fps=SOURCE_FPS, baseline=None) == []


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_gets_its_reason(clips: Path, baseline: Baseline, fault: str) -> None:
    window, _, fps = analyse(clips / f"{fault}.mp4", baseline.reference)
    reasons = judge(window, fps=fps, expected_fps=SOURCE_FPS, baseline=baseline)
    assert reasons == [FAULT_REASONS[fault]], window.as_dict()


@pytest.mark.parametrize(
    "fault", ["frozen", "black", "overexposed", "covered", "defocused", "noisy", "low_fps"]
)
def test_clear_faults_are_caught_before_a_baseline_exists(clips: Path, fault: str) -> None:
    window, _, fps = analyse(clips / f"{fault}.mp4", None)
    assert judge(window, fps=fps, expected_fps=SOURCE_FPS, baseline=None) == [FAULT_REASONS[fault]]


def test_a_soft_camera_is_not_blurred_once_baselined(
    vtest_avi: Path, tmp_path: Path, baseline: Baseline
) -> None:
    """A camera whose normal picture is soft: flagged against a sharp camera's baseline,
    normal against its own (persisted and reloaded as JSON like the probe does)."""
    soft = Baseline()
    for start in BASELINE_STARTS:
        clip = make_fault_clip(
            vtest_avi,
            "defocused",
            0.25,
            tmp_path / f"soft-{start:g}.mp4",
            start_s=start,
            duration_s=1.5,
        )
        window, analyzer, _ = analyse(clip, soft.reference)
        soft.update(window, analyzer.thumbnail())
    soft = Baseline.from_dict(json.loads(json.dumps(soft.to_dict())))
    clip = make_fault_clip(
        vtest_avi, "defocused", 0.25, tmp_path / "soft-now.mp4", start_s=60.0, duration_s=1.5
    )
    window, _, fps = analyse(clip, soft.reference)
    assert judge(window, fps=fps, expected_fps=SOURCE_FPS, baseline=baseline) == [Reason.blurred]
    assert judge(window, fps=fps, expected_fps=SOURCE_FPS, baseline=soft) == []
    # ... and the soft camera still reports its own lens going further out of focus.
    worse = make_fault_clip(
        vtest_avi, "defocused", 1.0, tmp_path / "soft-worse.mp4", start_s=60.0, duration_s=1.5
    )
    window, _, fps = analyse(worse, soft.reference)
    assert judge(window, fps=fps, expected_fps=SOURCE_FPS, baseline=soft) == [Reason.blurred]


def test_low_light_is_judged_against_the_camera_brightness(
    clips: Path, baseline: Baseline, vtest_avi: Path, tmp_path: Path
) -> None:
    """Half the normal light is low for this camera, although 60 grey levels alone is not."""
    clip = make_fault_clip(
        vtest_avi, "low_light", 0.65, tmp_path / "dim.mp4", start_s=FAULT_START, duration_s=1.5
    )
    window, _, fps = analyse(clip, baseline.reference)
    assert window.brightness > 40.0
    assert judge(window, fps=fps, expected_fps=SOURCE_FPS, baseline=baseline) == [Reason.low_light]
    assert judge(window, fps=fps, expected_fps=SOURCE_FPS, baseline=None) == []
