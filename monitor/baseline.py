"""A camera's own normal picture, learned from its first healthy probe windows.

Picture faults are judged against this baseline rather than one global threshold: a
camera whose normal view is soft, dim, grainy or green is normal for that camera.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from monitor.analysis import WindowMetrics

BASELINE_METRICS = (
    "brightness",
    "contrast",
    "saturated",
    "sharpness",
    "edge_density",
    "noise",
    "chroma_r",
    "chroma_b",
    "edge_overlap",
    "shift_response",
    "scene_similarity",
    "still_fraction",
    "diff_max",
)
"""Window metrics a baseline keeps (the median over its learned windows)."""


@dataclass
class Baseline:
    """Per-camera normal picture statistics plus an optional scene reference thumbnail.

    Feed it windows judged healthy with :meth:`update`; it learns from the first
    ``max_windows`` of them and is :attr:`ready` after ``min_windows``. :meth:`reset`
    forgets everything (e.g. after a camera was deliberately re-aimed).
    """

    min_windows: int = 2
    max_windows: int = 6
    samples: list[dict[str, float]] = field(default_factory=list)
    reference: np.ndarray | None = None
    """Grey thumbnail of the normal scene (``WindowAnalyzer(reference=...)`` accepts it)."""

    def __post_init__(self) -> None:
        if not 1 <= self.min_windows <= self.max_windows:
            raise ValueError(
                f"Baseline needs 1 <= min_windows <= max_windows, got "
                f"min_windows={self.min_windows}, max_windows={self.max_windows}"
            )

    @property
    def ready(self) -> bool:
        """Whether enough healthy windows were seen to judge against this baseline."""
        return len(self.samples) >= self.min_windows

    def update(self, window: WindowMetrics, thumbnail: np.ndarray | None = None) -> bool:
        """Learn from one healthy window (and keep ``thumbnail`` as scene reference if none).

        Returns whether the window was used: windows without frames are ignored and a
        full baseline stops learning, so a slow degradation cannot creep into it.
        """
        if len(self.samples) >= self.max_windows or not window.frames > 0:
            return False
        self.samples.append({name: float(getattr(window, name)) for name in BASELINE_METRICS})
        if self.reference is None and thumbnail is not None:
            self.reference = np.array(thumbnail, dtype=np.uint8, copy=True)
        return True

    def reset(self) -> None:
        """Forget the learned windows and the reference."""
        self.samples.clear()
        self.reference = None

    def value(self, name: str) -> float:
        """Median of ``name`` over the learned windows (``nan`` if never measured)."""
        if name not in BASELINE_METRICS:
            raise KeyError(f"baseline keeps no metric {name!r}; known: {BASELINE_METRICS}")
        values = [s[name] for s in self.samples if not math.isnan(s[name])]
        return float(np.median(values)) if values else math.nan

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the reference thumbnail as base64 PNG)."""
        reference = None
        if self.reference is not None:
            ok, png = cv2.imencode(".png", self.reference)
            if not ok:
                raise ValueError("could not encode the baseline reference thumbnail as PNG")
            reference = base64.b64encode(png.tobytes()).decode("ascii")
        return {
            "min_windows": self.min_windows,
            "max_windows": self.max_windows,
            "samples": [
                {k: (None if math.isnan(v) else v) for k, v in s.items()} for s in self.samples
            ],
            "reference_png": reference,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Baseline:
        """Inverse of :meth:`to_dict`; raises ``ValueError`` naming a malformed field."""
        try:
            samples = [
                {
                    name: math.nan if s.get(name) is None else float(s[name])
                    for name in BASELINE_METRICS
                }
                for s in data.get("samples", [])
            ]
            reference = None
            if data.get("reference_png"):
                png = np.frombuffer(base64.b64decode(data["reference_png"]), np.uint8)
                reference = cv2.imdecode(png, cv2.IMREAD_GRAYSCALE)
                if reference is None:
                    raise ValueError("reference_png is not a PNG image")
            return cls(
                min_windows=int(data.get("min_windows", 2)),
                max_windows=int(data.get("max_windows", 6)),
                samples=samples,
                reference=reference,
            )
        except (TypeError, AttributeError, ValueError) as exc:  # binascii.Error is a ValueError
            raise ValueError(f"malformed baseline dict: {exc}") from exc
