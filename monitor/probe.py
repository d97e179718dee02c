"""One probe of one feed: capture a short window, analyse its frames, judge the picture.

:func:`probe_feed` runs in-process and is what a worker process executes; the sweep never
calls it directly but through :class:`monitor.workers.ProbePool`, which enforces the hard
deadline.  The camera's learned :class:`~monitor.baseline.Baseline` lives in a small JSON
file per camera that the probe reads and updates itself, so baselines of 200,000 cameras
neither cross process pipes nor sit in the sweeping process's memory.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from monitor.analysis import WindowAnalyzer
from monitor.capture import CaptureOutcome, ProbeSettings, read_window
from monitor.conditions import Baseline, judge
from monitor.feeds import Feed, redact_text


@dataclass(frozen=True)
class ProbeJob:
    """A feed to probe, where its baseline is kept (``None``: judge without one), and
    where to save a full-resolution reference frame (only if the picture is healthy)."""

    feed: Feed
    baseline_path: Path | None = None
    reference_out: Path | None = None


@dataclass
class ProbeResult:
    """Outcome of one probe; ``url`` is always redacted.  JSON-ready via :meth:`as_dict`."""

    camera_id: str
    url: str
    district: str
    started_at: str
    ok: bool
    reasons: list[str]
    connect_s: float | None = None
    first_frame_s: float | None = None
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    frames: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    duration_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON lines and IPC."""
        return asdict(self)


def utc_now() -> str:
    """Current time as ISO-8601 UTC with a ``Z`` suffix."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def load_baseline(path: Path | None) -> Baseline:
    """The camera's stored baseline, or a fresh one (a damaged file is started over)."""
    if path is None or not path.is_file():
        return Baseline()
    try:
        return Baseline.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, OSError):
        return Baseline()


def save_baseline(path: Path, baseline: Baseline) -> None:
    """Write a baseline atomically (write a temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(baseline.to_dict()), encoding="utf-8")
    tmp.replace(path)


def load_reference(path: Path | None) -> np.ndarray | None:
    """Grey reference image of a camera's normal view, or ``None`` when not configured."""
    if path is None:
        return None
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise ValueError(f"reference image {path} is missing or not an image")
    return image


def save_reference(path: Path, frame: np.ndarray) -> None:
    """Write a reference frame as PNG (creating its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), frame):
        raise ValueError(f"cannot write reference image {path}")


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def build_result(
    feed: Feed, started_at: str, outcome: CaptureOutcome, reasons: list[str], metrics: dict
) -> ProbeResult:
    """Assemble the public result from the link outcome and the picture verdict."""
    return ProbeResult(
        camera_id=feed.camera_id,
        url=feed.safe_url,
        district=feed.district,
        started_at=started_at,
        ok=not reasons,
        reasons=reasons,
        connect_s=_rounded(outcome.connect_s),
        first_frame_s=_rounded(outcome.first_frame_s),
        fps=_rounded(outcome.fps, 3),
        width=outcome.width,
        height=outcome.height,
        frames=outcome.frames,
        metrics=metrics,
        error=redact_text(outcome.error) if outcome.error else None,
        duration_s=round(outcome.timings.get("total_s", 0.0), 4),
    )


def probe_feed(
    job: ProbeJob, settings: ProbeSettings, native_log: Callable[[], str] = lambda: ""
) -> ProbeResult:
    """Probe one feed once: link timings, picture metrics, reasons; update its baseline."""
    started_at = utc_now()
    start = time.perf_counter()
    feed = job.feed
    baseline = load_baseline(job.baseline_path)
    reference = load_reference(feed.reference)
    analyzer = WindowAnalyzer(reference if reference is not None else baseline.reference)
    last_frame: list[np.ndarray] = []

    def on_frame(frame: np.ndarray) -> None:
        analyzer.add(frame)
        if job.reference_out is not None:
            last_frame[:] = [frame]

    outcome = read_window(feed.url, settings, on_frame, native_log)
    window = analyzer.result()
    metrics: dict[str, Any] = {"analyzed_frames": outcome.analyzed}
    if outcome.wall_fps is not None:
        metrics["wall_fps"] = round(outcome.wall_fps, 3)
    if outcome.decode_errors:
        metrics["decode_errors"] = outcome.decode_errors
    if analyzer.frames:
        metrics.update({k: v for k, v in window.as_dict().items() if v is not None})
    if outcome.link_reason:
        reasons = [outcome.link_reason]
    else:
        reasons = [
            str(r)
            for r in judge(
                window, fps=outcome.fps, expected_fps=feed.expected_fps, baseline=baseline
            )
        ]
        learned = not reasons and baseline.update(window, analyzer.thumbnail())
        if learned and job.baseline_path is not None:
            save_baseline(job.baseline_path, baseline)
        if not reasons and job.reference_out is not None and last_frame:
            save_reference(job.reference_out, last_frame[0])
            metrics["reference"] = str(job.reference_out)
    outcome.timings["total_s"] = time.perf_counter() - start
    return build_result(feed, started_at, outcome, reasons, metrics)
