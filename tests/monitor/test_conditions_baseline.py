"""Reason codes, judge() rules on constructed windows, Baseline learning and persistence."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from monitor.analysis import WindowMetrics
from monitor.conditions import FRAME_FAULTS, LINK_FAULTS, Baseline, Reason, judge, severities

HEALTHY = WindowMetrics(
    frames=20, width=1920, height=1080, brightness=120, contrast=50, saturated=0.01,
    dark=0.01, sharpness=1500, edge_density=0.1, noise=2, cast=0.2, chroma_r=0.02,
    chroma_b=-0.06, diff_median=1.5, diff_max=3, still_fraction=0, shift=0.001,
    shift_response=0.3, edge_overlap=0.9, scene_similarity=0.93,
)  # fmt: skip


def learned(window: WindowMetrics = HEALTHY, n: int = 3) -> Baseline:
    baseline = Baseline()
    for _ in range(n):
        baseline.update(window)
    return baseline


def test_reason_vocabulary_is_fixed() -> None:
    assert {r.value for r in LINK_FAULTS} == {"unreachable", "timeout", "no_frames", "decode_error"}
    assert LINK_FAULTS.isdisjoint(FRAME_FAULTS) and set(Reason) == LINK_FAULTS | FRAME_FAULTS
    assert Reason.color_cast == "color_cast" and json.dumps([Reason.moved]) == '["moved"]'


def test_healthy_window_has_no_reason() -> None:
    assert judge(HEALTHY, fps=25, expected_fps=25, baseline=learned()) == []
    assert judge(HEALTHY, fps=None, expected_fps=None, baseline=None) == []


def test_no_frames_and_low_fps() -> None:
    empty = WindowMetrics.from_dict({"frames": 0})
    assert judge(empty, fps=None, expected_fps=25, baseline=None) == [Reason.no_frames]
    assert judge(HEALTHY, fps=11, expected_fps=25, baseline=None) == [Reason.low_fps]
    assert judge(HEALTHY, fps=14, expected_fps=25, baseline=None) == []
    assert judge(HEALTHY, fps=3, expected_fps=None, baseline=None) == []


def test_black_is_not_also_frozen_or_dark() -> None:
    black = replace(HEALTHY, brightness=3, contrast=1, still_fraction=1, edge_density=0)
    assert judge(black, fps=25, expected_fps=25, baseline=learned()) == [Reason.black]


def test_relative_rules_follow_the_camera() -> None:
    """The same soft/dim/grainy picture is a fault for one camera and normal for another."""
    soft = replace(HEALTHY, sharpness=200, brightness=60, noise=6)
    assert set(judge(soft, fps=25, expected_fps=25, baseline=learned())) == {
        Reason.blurred, Reason.low_light, Reason.noisy,
    }  # fmt: skip
    assert judge(soft, fps=25, expected_fps=25, baseline=learned(soft)) == []


def test_moved_needs_a_reference_and_a_clean_picture() -> None:
    moved = replace(HEALTHY, scene_similarity=0.5, edge_overlap=0.4)
    assert judge(moved, fps=25, expected_fps=25, baseline=learned()) == [Reason.moved]
    no_reference = replace(moved, shift=math.nan, edge_overlap=math.nan, scene_similarity=math.nan)
    assert judge(no_reference, fps=25, expected_fps=25, baseline=learned()) == []
    blurred = replace(moved, sharpness=50)
    assert judge(blurred, fps=25, expected_fps=25, baseline=learned()) == [Reason.blurred]


def test_baseline_learns_first_windows_then_stops() -> None:
    baseline = Baseline(min_windows=2, max_windows=3)
    assert not baseline.ready
    assert baseline.update(HEALTHY) and not baseline.ready
    assert baseline.update(replace(HEALTHY, sharpness=1700)) and baseline.ready
    assert baseline.update(replace(HEALTHY, sharpness=1600))
    assert not baseline.update(replace(HEALTHY, sharpness=10))  # full: nothing creeps in
    assert baseline.value("sharpness") == 1600
    assert not Baseline().update(WindowMetrics.from_dict({"frames": 0}))
    baseline.reset()
    assert not baseline.ready and baseline.reference is None


def test_baseline_round_trips_through_json_with_its_reference() -> None:
    baseline = learned(replace(HEALTHY, edge_overlap=math.nan), n=2)
    thumbnail = np.arange(320 * 180, dtype=np.uint32).reshape(180, 320).astype(np.uint8)
    baseline.update(HEALTHY, thumbnail)
    back = Baseline.from_dict(json.loads(json.dumps(baseline.to_dict())))
    assert back.samples[0]["sharpness"] == HEALTHY.sharpness
    assert math.isnan(back.samples[0]["edge_overlap"]) and back.value("edge_overlap") == 0.9
    assert back.reference is not None and np.array_equal(back.reference, thumbnail)


@pytest.mark.parametrize(
    "data",
    [{"samples": "nope"}, {"samples": [{"sharpness": "x"}]}, {"reference_png": "aGVsbG8="}],
)
def test_malformed_baseline_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="malformed baseline"):
        Baseline.from_dict(data)


def test_baseline_refuses_bad_window_counts_and_unknown_metrics() -> None:
    with pytest.raises(ValueError, match="min_windows"):
        Baseline(min_windows=5, max_windows=2)
    with pytest.raises(KeyError, match="diff_median"):
        learned().value("diff_median")


def test_a_camera_that_repeats_frames_is_not_frozen() -> None:
    """15 fps sent as 25 fps repeats 40 % of frames; 80 % identical pairs is normal for a
    camera whose baseline repeats 60 %, but frozen for one that never repeats. Real motion
    between the repeats (a frame difference as large as usual) is never frozen."""
    repeating = replace(HEALTHY, still_fraction=0.8, diff_max=1.0)
    assert judge(repeating, fps=25, expected_fps=25, baseline=learned()) == [Reason.frozen]
    usual = learned(replace(HEALTHY, still_fraction=0.6))
    assert judge(repeating, fps=25, expected_fps=25, baseline=usual) == []
    frozen = replace(HEALTHY, still_fraction=0.95, diff_max=0.5)
    assert judge(frozen, fps=25, expected_fps=25, baseline=usual) == [Reason.frozen]
    moving = replace(frozen, diff_max=HEALTHY.diff_max)
    assert judge(moving, fps=25, expected_fps=25, baseline=usual) == []
    assert judge(moving, fps=25, expected_fps=25, baseline=None) == [Reason.frozen]


def test_severities_show_headroom_and_reach_one_at_the_threshold() -> None:
    baseline = learned()
    healthy = severities(HEALTHY, fps=25, expected_fps=25, baseline=baseline)
    assert set(healthy) == set(FRAME_FAULTS)
    assert all(v < 0.7 for v in healthy.values()), healthy
    at_limit = replace(HEALTHY, sharpness=0.2 * HEALTHY.sharpness)
    blurred = severities(at_limit, fps=25, expected_fps=25, baseline=baseline)[Reason.blurred]
    assert blurred == pytest.approx(1.0)
    assert judge(at_limit, fps=25, expected_fps=25, baseline=baseline) == [Reason.blurred]
    no_reference = replace(HEALTHY, edge_overlap=math.nan)
    moved = severities(no_reference, fps=None, expected_fps=None, baseline=None)[Reason.moved]
    assert math.isnan(moved)
