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

__all__ = ["FRAME_FAULTS", "LINK_FAULTS", "Baseline", "Reason", "judge"]


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
FROZEN_STILL_FRACTION = 0.75
"""``frozen`` when at least this fraction of consecutive frame pairs are identical."""
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


def _relative(baseline: Baseline | None, name: str) -> float:
    """The baseline's value of ``name`` when the baseline is ready, else ``nan``."""
    return baseline.value(name) if baseline is not None and baseline.ready else math.nan


def _below(value: float, absolute: float, base: float, ratio: float) -> bool:
    """value < ratio * base when a baseline value exists, else value < absolute."""
    return value < (absolute if math.isnan(base) else ratio * base)


def judge(
    window: WindowMetrics,
    *,
    fps: float | None,
    expected_fps: float | None,
    baseline: Baseline | None,
) -> list[Reason]:
    """Reason codes for one probe window (empty list = healthy picture).

    ``fps`` is the delivered frame rate the probe measured, ``expected_fps`` the
    registry's nominal rate (``low_fps`` needs both). Relative rules apply once
    ``baseline.ready``; before, absolute fallbacks. A fault that makes other metrics
    meaningless suppresses them: a black, blown-out or covered picture is also static
    (not reported ``frozen``, nor is a blurred one), a covered lens is not also dark or
    blurred, and ``moved``
    is only judged on an otherwise clean picture.
    """
    if not window.frames > 0:
        return [Reason.no_frames]
    reasons: list[Reason] = []
    if fps is not None and expected_fps and fps < LOW_FPS_RATIO * expected_fps:
        reasons.append(Reason.low_fps)
    if window.brightness < BLACK_BRIGHTNESS and window.contrast < BLACK_CONTRAST:
        return [*reasons, Reason.black]
    if _overexposed(window, baseline):
        return [*reasons, Reason.overexposed]
    if _covered(window, baseline):
        return [*reasons, Reason.covered]
    blurred = _below(
        window.sharpness, BLURRED_SHARPNESS, _relative(baseline, "sharpness"), BLURRED_RATIO
    )
    if not blurred and window.frames >= 3 and window.still_fraction >= FROZEN_STILL_FRACTION:
        reasons.append(Reason.frozen)
    base_brightness = _relative(baseline, "brightness")
    if window.brightness < LOW_LIGHT_BRIGHTNESS or (
        window.brightness < LOW_LIGHT_CEILING
        and _below(window.brightness, -math.inf, base_brightness, LOW_LIGHT_RATIO)
    ):
        reasons.append(Reason.low_light)
    clean = not blurred
    if blurred:
        reasons.append(Reason.blurred)
    if _noisy(window, baseline):
        reasons.append(Reason.noisy)
        clean = False
    if _color_cast(window, baseline):
        reasons.append(Reason.color_cast)
    if clean and _moved(window, baseline):
        reasons.append(Reason.moved)
    return reasons


def _overexposed(window: WindowMetrics, baseline: Baseline | None) -> bool:
    base = _relative(baseline, "saturated")
    limit = OVEREXPOSED_SATURATED if math.isnan(base) else base + OVEREXPOSED_MARGIN
    washed_out = (
        window.brightness > OVEREXPOSED_BRIGHTNESS and window.contrast < OVEREXPOSED_CONTRAST
    )
    return window.saturated > limit or washed_out


def _covered(window: WindowMetrics, baseline: Baseline | None) -> bool:
    """Detail gone and the picture darker or flatter than normal: something over the lens."""
    no_detail = _below(
        window.edge_density, COVERED_EDGES, _relative(baseline, "edge_density"), COVERED_EDGE_RATIO
    )
    darker = _below(
        window.brightness,
        COVERED_BRIGHTNESS,
        _relative(baseline, "brightness"),
        COVERED_BRIGHTNESS_RATIO,
    )
    flatter = _below(
        window.contrast, COVERED_CONTRAST, _relative(baseline, "contrast"), COVERED_CONTRAST_RATIO
    )
    return no_detail and (darker or flatter)


def _noisy(window: WindowMetrics, baseline: Baseline | None) -> bool:
    base = _relative(baseline, "noise")
    if math.isnan(base):
        return window.noise > NOISY_SIGMA
    return window.noise > base and window.noise**2 - base**2 > NOISY_ADDED**2


def _color_cast(window: WindowMetrics, baseline: Baseline | None) -> bool:
    base_r, base_b = _relative(baseline, "chroma_r"), _relative(baseline, "chroma_b")
    if math.isnan(base_r) or math.isnan(base_b):
        return window.cast > CAST_ABSOLUTE
    return math.hypot(window.chroma_r - base_r, window.chroma_b - base_b) > CAST_SHIFT


def _moved(window: WindowMetrics, baseline: Baseline | None) -> bool:
    """Scene displaced (phase correlation) or no longer the reference's (layout, edges)."""
    if math.isnan(window.edge_overlap):
        return False
    displaced = window.shift > MOVED_SHIFT and window.shift_response > MOVED_SHIFT_RESPONSE
    base_similarity = _relative(baseline, "scene_similarity")
    similarity_limit = (
        MOVED_SIMILARITY if math.isnan(base_similarity) else base_similarity - MOVED_SIMILARITY_DROP
    )
    other_layout = window.scene_similarity < similarity_limit
    other_edges = _below(
        window.edge_overlap, MOVED_OVERLAP, _relative(baseline, "edge_overlap"), MOVED_OVERLAP_RATIO
    )
    return displaced or other_layout or other_edges
