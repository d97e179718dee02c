"""Fixed reason codes and the judgement of one probe window.

Picture faults are judged relative to the camera's :class:`Baseline` once it is ready,
with conservative absolute fallbacks before that (and for faults no camera can call
normal: black, frozen, blown-out, a covered lens).
"""

from __future__ import annotations

import math
from enum import StrEnum

from monitor.analysis import WindowMetrics
from monitor.baseline import Baseline

__all__ = ["FRAME_FAULTS", "LINK_FAULTS", "Baseline", "Reason", "judge", "severities"]


class Reason(StrEnum):
    """Why a feed is not healthy: the fixed vocabulary of events, API and dashboards."""

    unreachable = "unreachable"
    timeout = "timeout"
    no_frames = "no_frames"
    decode_error = "decode_error"
    low_fps = "low_fps"
    frozen = "frozen"
    black = "black"
    overexposed = "overexposed"
    low_light = "low_light"
    blurred = "blurred"
    covered = "covered"
    moved = "moved"
    noisy = "noisy"
    color_cast = "color_cast"


LINK_FAULTS = frozenset({Reason.unreachable, Reason.timeout, Reason.no_frames, Reason.decode_error})
"""No usable video at all (the camera is down)."""
FRAME_FAULTS = frozenset(set(Reason) - LINK_FAULTS)
"""Video arrives but its picture (or rate) is not usable (the camera is degraded)."""

LOW_FPS_RATIO = 0.5
"""``low_fps`` when delivered fps < this fraction of the expected fps."""
FROZEN_STILL_FRACTION, FROZEN_STILL_MARGIN, FROZEN_STILL_CAP = 0.75, 0.25, 0.9
"""``frozen`` when at least this fraction of consecutive frame pairs are identical; for a
camera that normally repeats frames (e.g. 15 fps sent as 25 fps), its usual fraction plus
the margin, at most the cap."""
FROZEN_MOTION_RATIO = 0.6
"""With a baseline, ``frozen`` also needs the largest frame difference of the window below
this fraction of the camera's usual one (a frozen stream only flickers by re-encoding)."""
BLACK_BRIGHTNESS, BLACK_CONTRAST = 16.0, 6.0
OVEREXPOSED_SATURATED, OVEREXPOSED_MARGIN = 0.3, 0.25
"""Blown-out pixel fraction: absolute limit, or margin above the baseline's fraction."""
OVEREXPOSED_BRIGHTNESS, OVEREXPOSED_CONTRAST = 215.0, 30.0
LOW_LIGHT_BRIGHTNESS = 40.0
LOW_LIGHT_RATIO, LOW_LIGHT_CEILING = 0.55, 100.0
COVERED_EDGES, COVERED_EDGE_RATIO = 0.035, 0.4
COVERED_BRIGHTNESS, COVERED_BRIGHTNESS_RATIO = 60.0, 0.5
COVERED_CONTRAST, COVERED_CONTRAST_RATIO = 12.0, 0.45
BLURRED_SHARPNESS, BLURRED_RATIO = 60.0, 0.2
NOISY_SIGMA, NOISY_ADDED = 9.0, 4.5
"""Absolute noise sigma, or noise added (in quadrature) to the baseline's."""
CAST_ABSOLUTE = 0.3
CAST_SHIFT = 0.05
"""Relative colour cast: chromaticity (r, b) distance from the baseline's."""
MOVED_SHIFT, MOVED_SHIFT_RESPONSE = 0.03, 0.1
"""Displaced by more than this fraction of the width, with a confident correlation peak."""
MOVED_SIMILARITY, MOVED_SIMILARITY_DROP = 0.7, 0.2
MOVED_OVERLAP, MOVED_OVERLAP_RATIO = 0.5, 0.65


def _limit(absolute: float, base: float, ratio: float) -> float:
    """``ratio * base`` when the baseline knows the metric, else the absolute limit."""
    return absolute if math.isnan(base) else ratio * base


def _under(value: float, limit: float) -> float:
    """Severity of "value below limit": limit / value (>= 1 once value <= limit)."""
    if math.isnan(value) or math.isnan(limit):
        return math.nan
    if value <= 0.0:
        return math.inf if limit > 0.0 else 0.0
    return max(0.0, limit / value)


def _over(value: float, limit: float) -> float:
    """Severity of "value above limit": value / limit."""
    return value / limit


def severities(
    window: WindowMetrics,
    *,
    fps: float | None,
    expected_fps: float | None,
    baseline: Baseline | None,
) -> dict[Reason, float]:
    """How close each picture/rate rule is to firing: 1.0 at its threshold, above = fault.

    Relative limits apply once ``baseline.ready``; before, absolute fallbacks. ``nan``
    where the window lacks the metric (e.g. no reference: ``moved``). Useful to see how
    much headroom a healthy camera has, and the basis of :func:`judge`.
    """

    def base(name: str) -> float:
        return baseline.value(name) if baseline is not None and baseline.ready else math.nan

    w = window
    low_fps = (
        _under(fps, LOW_FPS_RATIO * expected_fps) if fps is not None and expected_fps else math.nan
    )
    saturated_limit = (
        OVEREXPOSED_SATURATED
        if math.isnan(base("saturated"))
        else base("saturated") + OVEREXPOSED_MARGIN
    )
    washed_out = min(
        _over(w.brightness, OVEREXPOSED_BRIGHTNESS), _under(w.contrast, OVEREXPOSED_CONTRAST)
    )
    covered = min(
        _under(w.edge_density, _limit(COVERED_EDGES, base("edge_density"), COVERED_EDGE_RATIO)),
        max(
            _under(
                w.brightness,
                _limit(COVERED_BRIGHTNESS, base("brightness"), COVERED_BRIGHTNESS_RATIO),
            ),
            _under(w.contrast, _limit(COVERED_CONTRAST, base("contrast"), COVERED_CONTRAST_RATIO)),
        ),
    )
    still_limit = FROZEN_STILL_FRACTION
    if not math.isnan(base("still_fraction")):
        still_limit = min(
            FROZEN_STILL_CAP, max(still_limit, base("still_fraction") + FROZEN_STILL_MARGIN)
        )
    frozen = _over(w.still_fraction, still_limit) if w.frames >= 3 else 0.0
    if not math.isnan(base("diff_max")):
        frozen = min(frozen, _under(w.diff_max, FROZEN_MOTION_RATIO * base("diff_max")))
    low_light = _under(w.brightness, LOW_LIGHT_BRIGHTNESS)
    if not math.isnan(base("brightness")):
        relative = min(
            _under(w.brightness, LOW_LIGHT_CEILING),
            _under(w.brightness, LOW_LIGHT_RATIO * base("brightness")),
        )
        low_light = max(low_light, relative)
    if math.isnan(base("noise")):
        noisy = _over(w.noise, NOISY_SIGMA)
    else:
        noisy = _over(math.sqrt(max(0.0, w.noise**2 - base("noise") ** 2)), NOISY_ADDED)
    base_r, base_b = base("chroma_r"), base("chroma_b")
    if math.isnan(base_r) or math.isnan(base_b):
        cast = _over(w.cast, CAST_ABSOLUTE)
    else:
        cast = _over(math.hypot(w.chroma_r - base_r, w.chroma_b - base_b), CAST_SHIFT)
    return {
        Reason.low_fps: low_fps,
        Reason.black: min(
            _under(w.brightness, BLACK_BRIGHTNESS), _under(w.contrast, BLACK_CONTRAST)
        ),
        Reason.overexposed: max(_over(w.saturated, saturated_limit), washed_out),
        Reason.covered: covered,
        Reason.frozen: frozen,
        Reason.low_light: low_light,
        Reason.blurred: _under(
            w.sharpness, _limit(BLURRED_SHARPNESS, base("sharpness"), BLURRED_RATIO)
        ),
        Reason.noisy: noisy,
        Reason.color_cast: cast,
        Reason.moved: _moved(w, base("scene_similarity"), base("edge_overlap")),
    }


def _moved(window: WindowMetrics, base_similarity: float, base_overlap: float) -> float:
    """Scene displaced (phase correlation) or no longer the reference's (layout, edges)."""
    if math.isnan(window.edge_overlap):
        return math.nan
    displaced = min(
        _over(window.shift, MOVED_SHIFT), _over(window.shift_response, MOVED_SHIFT_RESPONSE)
    )
    similarity_limit = (
        MOVED_SIMILARITY if math.isnan(base_similarity) else base_similarity - MOVED_SIMILARITY_DROP
    )
    other_layout = (1.0 - window.scene_similarity) / max(1e-6, 1.0 - similarity_limit)
    other_edges = _under(
        window.edge_overlap, _limit(MOVED_OVERLAP, base_overlap, MOVED_OVERLAP_RATIO)
    )
    return max(displaced, other_layout, other_edges)


def judge(
    window: WindowMetrics,
    *,
    fps: float | None,
    expected_fps: float | None,
    baseline: Baseline | None,
) -> list[Reason]:
    """Reason codes for one probe window (empty list = healthy picture).

    ``fps`` is the delivered frame rate the probe measured, ``expected_fps`` the
    registry's nominal rate (``low_fps`` needs both). A rule fires when its
    :func:`severities` value reaches 1. A fault that makes other metrics meaningless
    suppresses them: a black, blown-out or covered picture is also static (not reported
    ``frozen``, nor is a blurred one), a covered lens is not also dark or blurred, and
    ``moved`` is only judged on a sharp, clean picture.
    """
    if not window.frames > 0:
        return [Reason.no_frames]
    fired = {
        reason
        for reason, severity in severities(
            window, fps=fps, expected_fps=expected_fps, baseline=baseline
        ).items()
        if severity >= 1.0
    }
    reasons = [Reason.low_fps] if Reason.low_fps in fired else []
    for exclusive in (Reason.black, Reason.overexposed, Reason.covered):
        if exclusive in fired:
            return [*reasons, exclusive]
    if Reason.blurred in fired:
        fired -= {Reason.frozen, Reason.moved}
    if Reason.noisy in fired:
        fired.discard(Reason.moved)
    order = (
        Reason.frozen,
        Reason.low_light,
        Reason.blurred,
        Reason.noisy,
        Reason.color_cast,
        Reason.moved,
    )
    return reasons + [reason for reason in order if reason in fired]
