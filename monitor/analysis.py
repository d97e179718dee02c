"""Per-frame picture-health metrics and their summary over one probe window.

Pure numpy/OpenCV, no I/O. Everything except noise works on a small grey copy of the
frame (``ANALYSIS_WIDTH`` pixels wide); noise is measured at source resolution on a
strided centre crop because downscaling averages noise away. The analysis judges the
video signal only: it looks at brightness, contrast, detail and motion energy of the
whole picture, never at what (or who) is in it.

Sharpness and edge density are measured on an *auto-exposed* copy (the grey histogram's
1st..99th percentile stretched to a fixed range, gain capped at ``MAX_STRETCH``) so a
darker picture is not mistaken for a softer one: low light, lens cover and defocus stay
distinguishable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields

import cv2
import numpy as np

ANALYSIS_WIDTH = 320
"""Width in pixels of the grey copy most metrics are computed on."""
REFERENCE_WIDTH = 160
"""Width of the copies used for edges and for phase correlation against the reference."""
LAYOUT_WIDTH = 40
"""Width of the coarse copy whose correlation with the reference measures scene layout."""
DETAIL_EVERY = 3
"""Measure clipping, sharpness, edges and noise on every n-th frame only (slow to change)."""
REFERENCE_EVERY = 9
"""Compare every n-th frame with the reference (a multiple of ``DETAIL_EVERY``)."""
MAX_STRETCH = 4.0
"""Largest contrast gain of the auto-exposed copy (so pure sensor noise is not blown up)."""
STILL_DIFF = 0.05
"""Mean absolute grey difference below which two consecutive frames count as identical.

Decoded frames of a frozen stream are bit-identical or differ only by codec rounding
(hundredths of a grey level); a live static scene still carries sensor and coding noise
of tenths of a level or more on the downscaled copy.
"""
SATURATED_LEVEL = 250
DARK_LEVEL = 10
CANNY_LOW, CANNY_HIGH = 60, 150
NOISE_CROP = 0.5
"""Side of the centre crop used for noise, as a fraction of the frame."""
NOISE_SAMPLES = 160
"""Largest side of the (strided) noise crop in samples."""
NOISE_TILES = (6, 4)

# Immerkaer's fast noise estimator: a Laplacian-difference kernel whose response to a
# locally linear picture is zero, so what remains is noise; sigma = sqrt(pi/2)/6 * E|r|.
_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)
_NOISE_SCALE = math.sqrt(math.pi / 2.0) / 6.0
_DILATE_KERNEL = np.ones((3, 3), np.uint8)
_LEVELS = np.arange(256, dtype=np.float64)


@dataclass(frozen=True)
class WindowMetrics:
    """Summary of the frames of one probe window; ``nan`` where a metric was not measured.

    Levels are grey values 0..255 of the downscaled copy; fractions are 0..1.
    """

    frames: float
    """Frames analysed."""
    width: float
    """Source frame width (pixels)."""
    height: float
    """Source frame height (pixels)."""
    brightness: float
    """Median of the per-frame mean grey level."""
    contrast: float
    """Median of the per-frame grey standard deviation."""
    saturated: float
    """Median fraction of pixels at or above ``SATURATED_LEVEL`` (detail frames)."""
    dark: float
    """Median fraction of pixels at or below ``DARK_LEVEL`` (detail frames)."""
    sharpness: float
    """Median Laplacian variance of the auto-exposed copy."""
    edge_density: float
    """Median fraction of Canny edge pixels on the auto-exposed copy (``REFERENCE_WIDTH``)."""
    noise: float
    """Median noise sigma (grey levels, source resolution, flattest quarter of tiles)."""
    cast: float
    """Median largest channel deviation from grey, relative to the mean level."""
    chroma_r: float
    """Median red chromaticity R/(R+G+B) - 1/3."""
    chroma_b: float
    """Median blue chromaticity B/(R+G+B) - 1/3."""
    diff_median: float
    """Median mean-absolute grey difference between consecutive frames."""
    diff_max: float
    """Largest such difference."""
    still_fraction: float
    """Fraction of consecutive frame pairs that are identical (below ``STILL_DIFF``)."""
    shift: float
    """Median displacement against the reference by phase correlation (fraction of width)."""
    shift_response: float
    """Median phase-correlation peak response (0..1, higher = more confident match)."""
    edge_overlap: float
    """Median symmetric overlap of dilated edges with the reference's (0..1)."""
    scene_similarity: float
    """Median correlation of the coarse picture layout with the reference's (-1..1)."""

    def as_dict(self) -> dict[str, float | None]:
        """Plain JSON-ready dict, rounded; unmeasured metrics (``nan``) become ``None``."""
        return {
            key: (None if math.isnan(value) else round(value, 6))
            for key, value in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, data: dict[str, float | None]) -> WindowMetrics:
        """Inverse of :meth:`as_dict` (missing or ``None`` values become ``nan``)."""
        values = {f.name: data.get(f.name) for f in fields(cls)}
        return cls(**{k: math.nan if v is None else float(v) for k, v in values.items()})


@dataclass(frozen=True)
class _Reference:
    """A reference frame prepared for one analysis size."""

    phase: np.ndarray  # float32 grey at REFERENCE_WIDTH
    layout: np.ndarray  # float32 grey at LAYOUT_WIDTH
    edges: np.ndarray  # uint8 edge map of the auto-exposed copy at REFERENCE_WIDTH
    edges_dilated: np.ndarray
    edge_count: int


def _as_uint8_image(frame: np.ndarray, what: str) -> np.ndarray:
    """Check that ``frame`` is a non-empty 8-bit grey or BGR image."""
    if not isinstance(frame, np.ndarray):
        raise TypeError(f"{what} must be a numpy array, got {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise ValueError(f"{what} must be uint8, got dtype {frame.dtype}")
    if frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] not in (1, 3)):
        raise ValueError(f"{what} must be HxW grey or HxWx3 BGR, got shape {frame.shape}")
    if frame.shape[0] < 8 or frame.shape[1] < 8:
        raise ValueError(f"{what} is too small to analyse: shape {frame.shape}")
    return frame


def _small_size(width: int, height: int, target: int) -> tuple[int, int]:
    """(w, h) of a copy ``target`` pixels wide (never upscaled) with the same aspect."""
    w = min(target, width)
    return w, max(8, round(height * w / width))


def _grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.shape[2] == 1:
        return image[:, :, 0]
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _auto_exposed(grey: np.ndarray, hist: np.ndarray) -> np.ndarray:
    """Stretch the 1st..99th grey percentile to about 200 levels (gain <= MAX_STRETCH)."""
    cdf = np.cumsum(hist)
    total = cdf[-1]
    low = int(np.searchsorted(cdf, 0.01 * total))
    high = int(np.searchsorted(cdf, 0.99 * total))
    gain = min(MAX_STRETCH, 200.0 / (high - low + 1))
    lut = np.clip((_LEVELS - 0.5 * (low + high)) * gain + 128.0, 0, 255).astype(np.uint8)
    return cv2.LUT(grey, lut)


def _edges(exposed: np.ndarray) -> np.ndarray:
    """Canny edges of the auto-exposed copy at ``REFERENCE_WIDTH`` (4x cheaper than at
    ``ANALYSIS_WIDTH``; lens cover, blur and re-aiming change the picture coarsely)."""
    height, width = exposed.shape[:2]
    half = cv2.resize(
        exposed, _small_size(width, height, REFERENCE_WIDTH), interpolation=cv2.INTER_AREA
    )
    return cv2.Canny(half, CANNY_LOW, CANNY_HIGH)


def _noise_sigma(frame: np.ndarray) -> float:
    """Noise sigma (grey levels) on a strided centre crop of the green/grey channel.

    Immerkaer's estimator per tile; the mean of the flattest quarter of the tiles is
    kept, so scene texture does not count as noise.
    """
    height, width = frame.shape[:2]
    ch, cw = int(height * NOISE_CROP), int(width * NOISE_CROP)
    y0, x0 = (height - ch) // 2, (width - cw) // 2
    step = max(1, math.ceil(max(ch, cw) / NOISE_SAMPLES))
    crop = frame[y0 : y0 + ch : step, x0 : x0 + cw : step]
    channel = np.ascontiguousarray(
        crop if crop.ndim == 2 else crop[:, :, min(1, crop.shape[2] - 1)]
    )
    response = cv2.convertScaleAbs(cv2.filter2D(channel, cv2.CV_16S, _NOISE_KERNEL))
    inner = response[1:-1, 1:-1]
    tiles = cv2.resize(inner.astype(np.float32), NOISE_TILES, interpolation=cv2.INTER_AREA)
    flat = np.sort(tiles, axis=None)[: max(1, tiles.size // 4)]
    return float(flat.mean() * _NOISE_SCALE)


class WindowAnalyzer:
    """Accumulates per-frame metrics of one probe window; ``result()`` summarises them.

    ``reference`` is the camera's stored reference picture (grey or BGR, any size; e.g.
    a captured frame or :meth:`thumbnail` of a healthy window); without it the scene
    metrics (``shift``, ``shift_response``, ``edge_overlap``, ``scene_similarity``) are
    ``nan``. Cost at 1080p input: about 0.4-0.5 ms of CPU per frame (see
    ``benchmarks/bench_monitor_speed.py``).
    """

    def __init__(self, reference: np.ndarray | None = None) -> None:
        self._reference_image = (
            None if reference is None else _as_uint8_image(reference, "reference frame")
        )
        self._reference: _Reference | None = None
        self._size: tuple[int, int] | None = None
        self._source: tuple[int, int] = (0, 0)
        self._previous: np.ndarray | None = None
        self._frames = 0
        self._exposure: list[tuple[float, ...]] = []
        self._detail: list[tuple[float, float, float, float, float]] = []
        self._diffs: list[float] = []
        self._scene: list[tuple[float, float, float, float]] = []

    def add(self, frame_bgr: np.ndarray) -> None:
        """Measure one decoded frame (HxWx3 BGR or HxW grey, uint8)."""
        frame = _as_uint8_image(frame_bgr, "frame")
        height, width = frame.shape[:2]
        if self._size is None or self._source != (width, height):
            self._source = (width, height)
            self._size = _small_size(width, height, ANALYSIS_WIDTH)
            self._previous = None
            self._reference = None
        # Nearest-neighbour sampling: 10x cheaper than area averaging at 1080p and it keeps
        # per-pixel noise and fine detail, which the sharpness and motion metrics want.
        small = cv2.resize(frame, self._size, interpolation=cv2.INTER_NEAREST)
        grey = _grey(small)
        mean_std = cv2.meanStdDev(grey)
        mean, std = float(mean_std[0][0, 0]), float(mean_std[1][0, 0])
        if small.ndim == 3 and small.shape[2] == 3:
            b, g, r = cv2.mean(small)[:3]
        else:
            b = g = r = mean
        level = max((b + g + r) / 3.0, 1e-9)
        self._exposure.append(
            (
                mean,
                std,
                max(abs(b - level), abs(g - level), abs(r - level)) / max(level, 1.0),
                r / (3.0 * level) - 1.0 / 3.0,
                b / (3.0 * level) - 1.0 / 3.0,
            )
        )
        if self._previous is not None:
            self._diffs.append(float(cv2.mean(cv2.absdiff(grey, self._previous))[0]))
        index = self._frames
        if index % DETAIL_EVERY == 0:
            self._detail.append(self._measure_detail(frame, grey, index))
        self._previous = grey
        self._frames += 1

    def _measure_detail(
        self, frame: np.ndarray, grey: np.ndarray, index: int
    ) -> tuple[float, float, float, float, float]:
        """(saturated, dark, sharpness, edge density, noise) of one frame; compares it with
        the reference too when due."""
        hist = cv2.calcHist([grey], [0], None, [256], [0, 256]).ravel()
        count = float(grey.size)
        exposed = _auto_exposed(grey, hist)
        laplacian_std = float(cv2.meanStdDev(cv2.Laplacian(exposed, cv2.CV_16S))[1][0, 0])
        edges = _edges(exposed)
        if self._reference_image is not None and index % REFERENCE_EVERY == 0:
            self._scene.append(self._compare_with_reference(grey, edges))
        return (
            float(hist[SATURATED_LEVEL:].sum()) / count,
            float(hist[: DARK_LEVEL + 1].sum()) / count,
            laplacian_std**2,
            cv2.countNonZero(edges) / edges.size,
            _noise_sigma(frame),
        )

    def _prepared_reference(self) -> _Reference:
        if self._reference is None:
            assert self._reference_image is not None and self._size is not None
            grey = _grey(
                cv2.resize(self._reference_image, self._size, interpolation=cv2.INTER_AREA)
            )
            hist = cv2.calcHist([grey], [0], None, [256], [0, 256]).ravel()
            edges = _edges(_auto_exposed(grey, hist))
            self._reference = _Reference(
                phase=self._phase_image(grey),
                layout=self._layout_image(grey),
                edges=edges,
                edges_dilated=cv2.dilate(edges, _DILATE_KERNEL),
                edge_count=cv2.countNonZero(edges),
            )
        return self._reference

    def _phase_image(self, grey: np.ndarray) -> np.ndarray:
        assert self._size is not None
        size = _small_size(self._size[0], self._size[1], REFERENCE_WIDTH)
        return cv2.resize(grey, size, interpolation=cv2.INTER_AREA).astype(np.float32)

    def _layout_image(self, grey: np.ndarray) -> np.ndarray:
        assert self._size is not None
        size = _small_size(self._size[0], self._size[1], LAYOUT_WIDTH)
        return cv2.resize(grey, size, interpolation=cv2.INTER_AREA).astype(np.float32)

    def _compare_with_reference(
        self, grey: np.ndarray, edges: np.ndarray
    ) -> tuple[float, float, float, float]:
        """(shift as fraction of width, phase-correlation response, edge overlap,
        layout similarity)."""
        reference = self._prepared_reference()
        current = self._phase_image(grey)
        window = _hanning(current.shape[1], current.shape[0])
        (dx, dy), response = cv2.phaseCorrelate(reference.phase, current, window)
        shift = math.hypot(dx, dy) / current.shape[1]
        count = cv2.countNonZero(edges)
        if count == 0 or reference.edge_count == 0:
            overlap = 1.0 if count == reference.edge_count else 0.0
        else:
            hit_current = cv2.countNonZero(cv2.bitwise_and(edges, reference.edges_dilated))
            dilated = cv2.dilate(edges, _DILATE_KERNEL)
            hit_reference = cv2.countNonZero(cv2.bitwise_and(reference.edges, dilated))
            overlap = 0.5 * (hit_current / count + hit_reference / reference.edge_count)
        layout = cv2.matchTemplate(self._layout_image(grey), reference.layout, cv2.TM_CCOEFF_NORMED)
        return shift, float(response), overlap, float(layout[0, 0])

    def thumbnail(self) -> np.ndarray | None:
        """Small grey copy of the last frame (a reference candidate), or ``None``."""
        return None if self._previous is None else self._previous.copy()

    @property
    def frames(self) -> int:
        """Frames added so far."""
        return self._frames

    def result(self) -> WindowMetrics:
        """Summary of the window; all-``nan`` picture metrics when no frame was added."""
        exposure = _medians(self._exposure, 5)
        detail = _medians(self._detail, 5)
        scene = _medians(self._scene, 4)
        diffs = np.asarray(self._diffs)
        frames = self._frames
        nan = math.nan
        return WindowMetrics(
            frames=float(frames),
            width=float(self._source[0]) if frames else nan,
            height=float(self._source[1]) if frames else nan,
            brightness=exposure[0],
            contrast=exposure[1],
            cast=exposure[2],
            chroma_r=exposure[3],
            chroma_b=exposure[4],
            saturated=detail[0],
            dark=detail[1],
            sharpness=detail[2],
            edge_density=detail[3],
            noise=detail[4],
            diff_median=float(np.median(diffs)) if diffs.size else nan,
            diff_max=float(diffs.max()) if diffs.size else nan,
            still_fraction=float(np.mean(diffs < STILL_DIFF)) if diffs.size else nan,
            shift=scene[0],
            shift_response=scene[1],
            edge_overlap=scene[2],
            scene_similarity=scene[3],
        )


def _medians(rows: Sequence[tuple[float, ...]], width: int) -> list[float]:
    """Column medians of ``rows`` (``nan`` for each of ``width`` columns when empty)."""
    if not rows:
        return [math.nan] * width
    return [float(v) for v in np.median(np.asarray(rows, dtype=np.float64), axis=0)]


_HANNING: dict[tuple[int, int], np.ndarray] = {}


def _hanning(width: int, height: int) -> np.ndarray:
    """Cached Hanning window for phase correlation."""
    key = (width, height)
    if key not in _HANNING:
        _HANNING[key] = cv2.createHanningWindow(key, cv2.CV_32F)
    return _HANNING[key]
