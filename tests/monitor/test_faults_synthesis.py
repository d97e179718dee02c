"""Fault synthesis from real footage: transforms, clip encoding, argument checks."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from monitor.faults import FAULTS, apply_fault, fps_divisor, make_fault_clip, read_frames


@pytest.fixture(scope="module")
def frames(vtest_avi: Path) -> list[np.ndarray]:
    return read_frames(vtest_avi, start_s=12.0, duration_s=0.8, width=384)[0]


@pytest.mark.parametrize("fault", FAULTS)
def test_faults_keep_the_frame_format_and_change_the_picture(
    frames: list[np.ndarray], fault: str
) -> None:
    out = apply_fault(frames, fault, 1.0, seed=3)
    assert all(f.dtype == np.uint8 and f.shape == frames[0].shape for f in out)
    if fault == "low_fps":
        assert len(out) == -(-len(frames) // 5)
    elif fault == "frozen":
        assert all(np.array_equal(f, out[0]) for f in out)
    else:
        assert len(out) == len(frames) and not np.array_equal(out[1], frames[1])


def test_strength_zero_and_none_are_identity(frames: list[np.ndarray]) -> None:
    for fault in ("none", "noisy"):
        out = apply_fault(frames, fault, 0.0)
        assert all(np.array_equal(a, b) for a, b in zip(out, frames, strict=True))


def test_stronger_is_worse(frames: list[np.ndarray]) -> None:
    def sharpness(fs: list[np.ndarray]) -> float:
        return float(cv2.Laplacian(cv2.cvtColor(fs[0], cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())

    assert sharpness(apply_fault(frames, "defocused", 1.0)) < sharpness(
        apply_fault(frames, "defocused", 0.3)
    )
    assert (
        apply_fault(frames, "low_light", 1.0)[0].mean()
        < apply_fault(frames, "low_light", 0.3)[0].mean()
    )
    assert fps_divisor("low_fps", 0.5) == 3 and fps_divisor("noisy", 1.0) == 1


def test_bad_arguments_are_refused(
    frames: list[np.ndarray], vtest_avi: Path, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="unknown fault 'smudge'"):
        apply_fault(frames, "smudge", 1.0)
    with pytest.raises(ValueError, match="strength"):
        apply_fault(frames, "noisy", 1.5)
    with pytest.raises(ValueError, match="at least one frame"):
        apply_fault([], "noisy", 1.0)
    with pytest.raises(ValueError, match="cannot open video"):
        read_frames(tmp_path / "missing.mp4")
    with pytest.raises(ValueError, match="unsupported clip type"):
        make_fault_clip(vtest_avi, "none", 0.0, tmp_path / "out.gif")


@pytest.mark.parametrize("suffix", [".mp4", ".avi"])
def test_fault_clip_is_a_playable_video(vtest_avi: Path, tmp_path: Path, suffix: str) -> None:
    out = make_fault_clip(
        vtest_avi, "low_fps", 0.5, tmp_path / f"clip{suffix}", start_s=5, duration_s=1.2, width=320
    )
    cap = cv2.VideoCapture(str(out))
    count = 0
    while cap.read()[0]:
        count += 1
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(10 / 3, rel=0.01)
    assert (cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (320, 240)
    assert count == 4  # 12 source frames, every third kept
