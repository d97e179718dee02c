"""WindowAnalyzer metrics on real frames: each metric moves the way it should."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from monitor.analysis import STILL_DIFF, WindowAnalyzer, WindowMetrics
from monitor.faults import apply_fault, read_frames


@pytest.fixture(scope="module")
def frames(vtest_avi: Path) -> list[np.ndarray]:
    return read_frames(vtest_avi, start_s=30.0, duration_s=1.2)[0]


def window(frames: list[np.ndarray], reference: np.ndarray | None = None) -> WindowMetrics:
    analyzer = WindowAnalyzer(reference=reference)
    for frame in frames:
        analyzer.add(frame)
    return analyzer.result()


def test_live_footage_metrics_are_plausible(frames: list[np.ndarray]) -> None:
    m = window(frames)
    assert m.frames == len(frames) and (m.width, m.height) == (768.0, 576.0)
    assert 60 < m.brightness < 200 and 25 < m.contrast < 90
    assert 0 < m.edge_density < 0.3 and m.sharpness > 200
    assert 0.2 < m.noise < 5  # compressed daylight footage: little noise
    assert m.diff_median > STILL_DIFF and m.still_fraction == 0.0
    assert math.isnan(m.shift) and math.isnan(m.edge_overlap)  # no reference given


def test_identical_frames_are_still(frames: list[np.ndarray]) -> None:
    m = window([frames[0]] * 6)
    assert m.still_fraction == 1.0 and m.diff_max == 0.0


def test_black_and_blown_out_frames(frames: list[np.ndarray]) -> None:
    black = window([np.zeros_like(frames[0])] * 3)
    assert black.brightness == 0 and black.contrast == 0 and black.dark == 1.0
    white = window(apply_fault(frames[:3], "overexposed", 1.0))
    assert white.saturated > 0.5 and white.brightness > 220


def test_sharpness_ignores_exposure_but_not_focus(frames: list[np.ndarray]) -> None:
    """The auto-exposed copy keeps a dim picture as sharp as the original; blur is not."""
    normal = window(frames[:4])
    dim = window(apply_fault(frames[:4], "low_light", 0.7))
    blurred = window(apply_fault(frames[:4], "defocused", 0.6))
    assert dim.brightness < 0.5 * normal.brightness
    assert dim.sharpness > 0.6 * normal.sharpness
    assert blurred.sharpness < 0.05 * normal.sharpness


def test_noise_and_colour_cast_are_measured(frames: list[np.ndarray]) -> None:
    normal = window(frames[:4])
    noisy = window(apply_fault(frames[:4], "noisy", 0.6))  # sigma 15
    assert 12 < noisy.noise < 18
    cast = window(apply_fault(frames[:4], "color_cast", 1.0))
    assert cast.chroma_r > normal.chroma_r + 0.1 and cast.cast > normal.cast + 0.2


def test_reference_comparison_finds_shift_and_other_scenes(frames: list[np.ndarray]) -> None:
    reference = frames[0]
    same = window(frames[1:6], reference)
    assert same.shift < 0.01 and same.edge_overlap > 0.8 and same.scene_similarity > 0.85
    shifted = window([np.roll(f, 48, axis=1) for f in frames[1:6]], reference)  # 48/768 px
    assert shifted.shift == pytest.approx(48 / 768, abs=0.01)
    moved = window(apply_fault(frames[1:6], "moved", 1.0), reference)
    assert moved.edge_overlap < 0.6 and moved.scene_similarity < 0.7


def test_reference_may_be_a_small_grey_thumbnail(frames: list[np.ndarray]) -> None:
    analyzer = WindowAnalyzer()
    for f in frames[:3]:
        analyzer.add(f)
    thumbnail = analyzer.thumbnail()
    assert thumbnail is not None and thumbnail.ndim == 2 and thumbnail.shape[1] == 320
    assert window(frames[3:7], thumbnail).scene_similarity > 0.85


def test_empty_window_is_all_nan_and_serialises() -> None:
    m = WindowAnalyzer().result()
    assert m.frames == 0 and math.isnan(m.brightness)
    data = m.as_dict()
    assert data["frames"] == 0 and data["brightness"] is None
    back = WindowMetrics.from_dict(data)
    assert back.frames == 0 and math.isnan(back.sharpness)


def test_as_dict_round_trips(frames: list[np.ndarray]) -> None:
    m = window(frames[:3], frames[0])
    back = WindowMetrics.from_dict(m.as_dict())
    assert back.brightness == pytest.approx(m.brightness, abs=1e-5)
    assert back.edge_overlap == pytest.approx(m.edge_overlap, abs=1e-5)


def test_frame_size_change_restarts_the_motion_comparison(frames: list[np.ndarray]) -> None:
    analyzer = WindowAnalyzer()
    analyzer.add(frames[0])
    analyzer.add(frames[0][::2, ::2].copy())  # stream renegotiated to half size
    m = analyzer.result()
    assert m.frames == 2 and math.isnan(m.diff_median) and m.width == 384


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (np.zeros((10, 10, 3), np.float32), "uint8"),
        (np.zeros((10, 10, 4), np.uint8), "shape"),
        (np.zeros((4, 4), np.uint8), "too small"),
        ([[0, 1]], "numpy array"),
    ],
)
def test_bad_frames_are_refused_with_a_clear_error(frame: object, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        WindowAnalyzer().add(frame)  # type: ignore[arg-type]
