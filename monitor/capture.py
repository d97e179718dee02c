"""Open a stream with OpenCV's FFmpeg backend and read one short window of frames.

This module owns the link side of a probe: explicit open/read timeouts, fast probing
options, timings (TCP connect, open, first frame), delivered frame rate, and turning a
failure into one link reason code (``unreachable``, ``timeout``, ``no_frames``,
``decode_error``).  What the frames show is not its business: every frame it decodes for
analysis goes to a callback.

FFmpeg options reach OpenCV only through the process-wide environment variable
``OPENCV_FFMPEG_CAPTURE_OPTIONS``, read when a capture opens.  Setting it and opening
happen under one lock, so threads in one process never open with another probe's options;
the sweep runs probes in worker processes that handle one probe at a time anyway.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import cv2
import numpy as np

from monitor.feeds import redact_text

# TCP for RTSP (no UDP loss or NAT problems), and probe only 4 KB with no analysis delay:
# the stream parameters come from the SDP / container header, so opening takes about one
# round trip instead of FFmpeg's default of buffering seconds of video.  A larger probesize
# (32 KB) made low-bitrate pictures -- exactly the dark, covered or static ones -- wait ~2 s
# until that much data had arrived.  (``fflags nobuffer`` is deliberately absent: it drops
# the probed packets and so the first key frame.)
DEFAULT_CAPTURE_OPTIONS = "rtsp_transport;tcp|probesize;4096|analyzeduration;0"
CAPTURE_OPTIONS_ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
RTSP_STALL_FACTOR = 3  # FFmpeg's RTSP demuxer gives up after ~3 read timeouts
_OPEN_LOCK = threading.Lock()
_OPENCV_PREFIX = re.compile(r"^\[ ?[A-Z]+:\d+@[\d.]+\] global \S+ \S+ ")
_FFMPEG_PREFIX = re.compile(r"\[(\w+) @ 0x[0-9a-f]+\] ")
_GENERIC_OPEN_FAILURE = "can't be used to capture by name"

_UNREACHABLE_MARKERS = (
    "connection refused",
    "failed to resolve",
    "name or service not known",
    "no route to host",
    "network is unreachable",
    "404",
    "not found",
    "401",
    "403",
    "unauthorized",
    "forbidden",
    "no such file",
    "service unavailable",
    "server error",
    "method describe failed",
    "method setup failed",
    "method play failed",
)
_TIMEOUT_MARKERS = ("timeout triggered", "timed out", "immediate exit requested")
_DECODE_MARKERS = (
    "error while decoding",
    "invalid data found",
    "concealing",
    "corrupt",
    "invalid nal",
    "no frame!",
    "non-existing pps",
    "decode_slice_header error",
)


@dataclass(frozen=True)
class ProbeSettings:
    """How one probe talks to a stream; the defaults are the documented fast path."""

    window_s: float = 2.0
    open_timeout_s: float = 3.0
    read_timeout_s: float = 2.0
    max_analyzed_frames: int = 8
    capture_options: str = DEFAULT_CAPTURE_OPTIONS
    grace_s: float = 1.0
    hard_deadline_s: float | None = None

    @property
    def deadline_s(self) -> float:
        """Hard limit for a whole probe: by default later than every timeout FFmpeg enforces
        (open + window + RTSP stall), so the kill is only a backstop."""
        if self.hard_deadline_s is not None:
            return self.hard_deadline_s
        return (
            self.open_timeout_s
            + self.window_s
            + self.read_timeout_s * RTSP_STALL_FACTOR
            + self.grace_s
        )


@dataclass
class CaptureOutcome:
    """What happened on the link during one probe window."""

    opened: bool = False
    connect_s: float | None = None
    """Until the session is up and the stream described (RTSP DESCRIBE..PLAY / HTTP
    headers + 32 KB probe): one connection per probe, no extra TCP handshake."""
    first_frame_s: float | None = None
    frames: int = 0
    analyzed: int = 0
    fps: float | None = None
    wall_fps: float | None = None
    width: int | None = None
    height: int | None = None
    link_reason: str | None = None
    error: str | None = None
    decode_errors: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def is_local(url: str) -> bool:
    """True for local files (plain paths or ``file://``): read at decode speed, not live."""
    scheme = urlsplit(url).scheme.lower()
    return scheme in ("", "file") or (len(scheme) == 1 and Path(url).exists())


def local_path(url: str) -> Path:
    """Filesystem path of a local-file URL."""
    return Path(urlsplit(url).path) if url.lower().startswith("file://") else Path(url)


def classify_open_failure(log: str, elapsed_s: float, timeout_s: float) -> str:
    """Link reason for a capture that did not open, from FFmpeg's log and the time it took."""
    text = log.lower()
    if any(marker in text for marker in _TIMEOUT_MARKERS) or elapsed_s >= 0.9 * timeout_s:
        return "timeout"
    if any(marker in text for marker in _UNREACHABLE_MARKERS):
        return "unreachable"
    return "decode_error"


def count_decode_errors(log: str) -> int:
    """Number of FFmpeg log lines that report a damaged or undecodable stream."""
    return sum(any(m in line for m in _DECODE_MARKERS) for line in log.lower().splitlines())


def last_log_line(log: str) -> str | None:
    """Most specific line of a native log, tidied and with credentials stripped."""
    lines = [
        _FFMPEG_PREFIX.sub(r"\1: ", _OPENCV_PREFIX.sub("", line.strip()))
        for line in log.splitlines()
        if line.strip() and _GENERIC_OPEN_FAILURE not in line
    ]
    return redact_text(lines[-1])[:300] if lines else None


def open_capture(url: str, settings: ProbeSettings) -> cv2.VideoCapture:
    """Open ``url`` with the FFmpeg backend, the probe's options and explicit timeouts."""
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        int(settings.open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        int(settings.read_timeout_s * 1000),
        # one decoder thread per probe: the pool already runs probes side by side
        cv2.CAP_PROP_N_THREADS,
        1,
    ]
    target = str(local_path(url)) if is_local(url) else url
    with _OPEN_LOCK:
        os.environ[CAPTURE_OPTIONS_ENV] = settings.capture_options
        return cv2.VideoCapture(target, cv2.CAP_FFMPEG, params)


def _frame_rate(
    stamps_ms: list[float], arrivals: list[float], live: bool
) -> tuple[float | None, float | None]:
    """(delivered fps, wall-clock fps) of the decoded frames.

    Timestamps give the rate the camera encodes, immune to the burst of buffered frames
    at the start of a session; arrival times give what actually reaches us.  A live stream
    delivers the smaller of the two: a burst only inflates the wall-clock rate, and
    streams without real timestamps (MJPEG over HTTP) only inflate the timestamp rate.
    """
    if len(arrivals) < 2:
        return None, None
    wall_span = arrivals[-1] - arrivals[0]
    wall_fps = (len(arrivals) - 1) / wall_span if wall_span > 0 else None
    stamps = np.asarray(stamps_ms)
    span = float(stamps[-1] - stamps[0]) / 1000.0
    monotonic = bool(np.all(np.diff(stamps) >= 0))
    stamp_fps = (len(stamps) - 1) / span if monotonic and span > 0 else None
    if stamp_fps is None:
        return wall_fps, wall_fps
    if live and wall_fps is not None:
        return min(stamp_fps, wall_fps), wall_fps
    return stamp_fps, wall_fps


def read_window(
    url: str,
    settings: ProbeSettings,
    on_frame: Callable[[np.ndarray], None],
    native_log: Callable[[], str] = lambda: "",
) -> CaptureOutcome:
    """Open ``url``, read ``settings.window_s`` of video, hand sampled frames to ``on_frame``.

    The window is measured in stream time and in wall time, whichever ends first, so a
    local file is read at decode speed while a live stream is read in real time.
    ``native_log`` returns what FFmpeg/OpenCV printed so far (the worker captures fd 2);
    it sharpens the reason when something fails.
    """
    out = CaptureOutcome()
    start = time.perf_counter()
    local = is_local(url)
    if local and not local_path(url).is_file():
        out.link_reason, out.error = "unreachable", f"no such file: {local_path(url)}"
        return out
    cap = open_capture(url, settings)
    try:
        out.connect_s = time.perf_counter() - start
        if not cap.isOpened():
            log = native_log()
            out.link_reason = classify_open_failure(log, out.connect_s, settings.open_timeout_s)
            out.error = last_log_line(log) or "stream could not be opened"
            out.connect_s = None
            return out
        out.opened = True
        _read_frames(cap, settings, on_frame, out, start, local, native_log)
    finally:
        cap.release()
    out.timings["total_s"] = time.perf_counter() - start
    return out


def _read_frames(
    cap: cv2.VideoCapture,
    settings: ProbeSettings,
    on_frame: Callable[[np.ndarray], None],
    out: CaptureOutcome,
    start: float,
    local: bool,
    native_log: Callable[[], str],
) -> None:
    """Grab frames until the window is full or the link fails; retrieve a sample of them."""
    nominal = cap.get(cv2.CAP_PROP_FPS)
    expected = nominal * settings.window_s if math.isfinite(nominal) and nominal > 0 else 0
    stride = max(1, math.ceil(expected / settings.max_analyzed_frames))
    stamps: list[float] = []
    arrivals: list[float] = []
    read_failure_s = 0.0
    while True:
        before = time.perf_counter()
        if not cap.grab():
            read_failure_s = time.perf_counter() - before
            break
        now = time.perf_counter()
        if out.first_frame_s is None:
            out.first_frame_s = now - start
        stamps.append(cap.get(cv2.CAP_PROP_POS_MSEC))
        arrivals.append(now)
        if out.frames % stride == 0:
            ok, frame = cap.retrieve()
            if ok and frame is not None:
                out.height, out.width = frame.shape[:2]
                on_frame(frame)
                out.analyzed += 1
        out.frames += 1
        stream_span = (stamps[-1] - stamps[0]) / 1000.0
        if stream_span >= settings.window_s or now - arrivals[0] >= settings.window_s:
            break
    out.fps, out.wall_fps = _frame_rate(stamps, arrivals, live=not local)
    log = native_log()
    out.decode_errors = count_decode_errors(log)
    window_full = bool(stamps) and (
        (stamps[-1] - stamps[0]) / 1000.0 >= settings.window_s
        or arrivals[-1] - arrivals[0] >= settings.window_s
    )
    stalled = read_failure_s >= 0.9 * settings.read_timeout_s or "timeout triggered" in log.lower()
    if out.frames == 0:
        out.link_reason = "timeout" if stalled else "no_frames"
        if out.decode_errors:
            out.link_reason = "decode_error"
        out.error = last_log_line(log) or "stream opened but delivered no frames"
    elif not window_full and not local:
        out.link_reason = "timeout" if stalled else "no_frames"
        out.error = f"stream {'stalled' if stalled else 'ended'} after {out.frames} frames" + (
            f": {last_log_line(log)}" if last_log_line(log) else ""
        )
    elif out.decode_errors >= 3:
        out.link_reason = "decode_error"
        out.error = f"{out.decode_errors} decoder errors: {last_log_line(log)}"
