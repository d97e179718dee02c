"""Synthetic feed faults made from real footage, for tests, evaluation and demo streams.

Each fault is a frame-level transform with a ``strength`` in (0, 1] (1 = clearly
visible to an operator at a glance; smaller values are subtler). :func:`make_fault_clip`
cuts a segment of a real clip, applies one fault and encodes it (H.264 via ffmpeg for
``.mp4``/``.mkv``/``.ts``, which the RTSP/HTTP test servers can stream; MJPEG via OpenCV
for ``.avi``). Only whole-picture signal faults are modelled; nothing here looks at
the content of the scene.
"""

from __future__ import annotations

import itertools
import math
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np

from monitor.conditions import Reason

FAULT_REASONS: dict[str, Reason | None] = {
    "none": None,
    "frozen": Reason.frozen,
    "black": Reason.black,
    "overexposed": Reason.overexposed,
    "low_light": Reason.low_light,
    "defocused": Reason.blurred,
    "covered": Reason.covered,
    "moved": Reason.moved,
    "noisy": Reason.noisy,
    "color_cast": Reason.color_cast,
    "low_fps": Reason.low_fps,
}
"""Fault name -> the reason code the monitor must raise for it (``none`` = healthy)."""
FAULTS = tuple(name for name in FAULT_REASONS if name != "none")

Frames = list[np.ndarray]


def _check_strength(strength: float) -> float:
    if not (isinstance(strength, int | float) and 0.0 <= strength <= 1.0):
        raise ValueError(f"fault strength must be a number in [0, 1], got {strength!r}")
    return float(strength)


def _scale(frames: Sequence[np.ndarray], gain: float, offset: float = 0.0) -> Frames:
    return [cv2.convertScaleAbs(f, alpha=gain, beta=offset) for f in frames]


def _noise(frame: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    noise = rng.normal(0.0, sigma, frame.shape).astype(np.float32)
    return np.clip(frame.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def _frozen(frames: Sequence[np.ndarray], s: float, rng: np.random.Generator) -> Frames:
    """The picture stops: the last (strength) part of the clip repeats one frame."""
    start = min(len(frames) - 1, round(len(frames) * (1.0 - s)))
    return [*frames[:start], *[frames[start]] * (len(frames) - start)]


def _black(frames: Sequence[np.ndarray], s: float, rng: np.random.Generator) -> Frames:
    """Signal lost: a black picture, with a faint residue of the scene (15% of its levels
    at strength 0+, none at strength 1), like a failing video link or a dead sensor."""
    return _scale(frames, 0.15 * (1.0 - s))


def _overexposed(frames: Sequence[np.ndarray], s: float, rng: np.random.Generator) -> Frames:
    """Iris/shutter stuck open: gain and offset push most of the picture to white."""
    return _scale(frames, 1.0 + 2.0 * s, 110.0 * s)


def _low_light(frames: Sequence[np.ndarray], s: float, rng: np.random.Generator) -> Frames:
    """Lighting failed: the picture darkens (to 20% at strength 1) with sensor noise."""
    return [_noise(f, 1.5 * s, rng) for f in _scale(frames, 1.0 - 0.8 * s)]


def _defocused(frames: Sequence[np.ndarray], s: float, rng: np.random.Generator) -> Frames:
    """Lens out of focus: Gaussian blur, sigma up to 1.2% of the frame width."""
    sigma = max(0.3, 0.012 * frames[0].shape[1] * s)
    return [cv2.GaussianBlur(f, (0, 0), sigma) for f in frames]


def _covered(frames: Sequence[np.ndarray], s: float, rng: np.random.Generator) -> Frames:
    """Something over the lens: a dark, out-of-focus blob hides most of the picture."""
    height, width = frames[0].shape[:2]
    mask = np.zeros((height, width), np.float32)
    hidden = 0.6 + 0.5 * s  # ellipse area as a fraction of the picture (clipped at the edges)
    radius = math.sqrt(hidden / math.pi)
    axes = (round(width * radius), round(height * radius))
    cv2.ellipse(mask, (width // 2, height // 2), axes, 15.0, 0, 360, 1.0, -1)
    soft = cv2.GaussianBlur(mask, (0, 0), 0.04 * width)[:, :, None]
    ramp = np.linspace(0.7, 1.3, width, dtype=np.float32)[None, :, None]
    blob = np.array([22.0, 28.0, 40.0], np.float32)[None, None, :] * ramp
    out = []
    for f in frames:
        mixed = f.astype(np.float32) * (1.0 - soft) + blob * soft
        out.append(_noise(np.clip(mixed, 0, 255).astype(np.uint8), 1.5, rng))
    return out


def _moved(frames: Sequence[np.ndarray], s: float, rng: np.random.Generator) -> Frames:
    """Camera knocked or re-aimed: the view pans, tilts and rotates away from the reference."""
    height, width = frames[0].shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), 8.0 * s, 1.0 + 0.25 * s)
    matrix[:, 2] += (0.18 * s * width, 0.12 * s * height)
    return [
        cv2.warpAffine(f, matrix, (width, height), borderMode=cv2.BORDER_REFLECT_101)
        for f in frames
    ]


def _noisy(frames: Sequence[np.ndarray], s: float, rng: np.random.Generator) -> Frames:
    """Failing sensor or interference: Gaussian noise, sigma up to 25 grey levels."""
    return [_noise(f, 25.0 * s, rng) for f in frames]


def _color_cast(frames: Sequence[np.ndarray], s: float, rng: np.random.Generator) -> Frames:
    """White balance or IR-cut failure: a magenta/red cast (channel gains)."""
    gains = np.array([1.0 - 0.25 * s, 1.0 - 0.35 * s, 1.0 + 0.45 * s], np.float32)
    return [np.clip(f.astype(np.float32) * gains, 0, 255).astype(np.uint8) for f in frames]


def _low_fps(frames: Sequence[np.ndarray], s: float, rng: np.random.Generator) -> Frames:
    """Frame dropping: keep every k-th frame (k = 1 + round(4 * strength))."""
    return list(frames[:: fps_divisor("low_fps", s)])


_TRANSFORMS: dict[str, Callable[[Sequence[np.ndarray], float, np.random.Generator], Frames]] = {
    "frozen": _frozen,
    "black": _black,
    "overexposed": _overexposed,
    "low_light": _low_light,
    "defocused": _defocused,
    "covered": _covered,
    "moved": _moved,
    "noisy": _noisy,
    "color_cast": _color_cast,
    "low_fps": _low_fps,
}


def fps_divisor(fault: str, strength: float) -> int:
    """By how much ``fault`` divides the frame rate (1 except for ``low_fps``)."""
    return 1 + round(4 * _check_strength(strength)) if fault == "low_fps" else 1


def apply_fault(
    frames: Sequence[np.ndarray], fault: str, strength: float = 1.0, *, seed: int = 0
) -> Frames:
    """Return ``frames`` (BGR uint8) with ``fault`` applied at ``strength`` in [0, 1].

    ``none`` returns copies. ``low_fps`` returns fewer frames (play them at the source
    rate divided by :func:`fps_divisor`).
    """
    if fault not in FAULT_REASONS:
        raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULT_REASONS)}")
    strength = _check_strength(strength)
    if not frames:
        raise ValueError("apply_fault needs at least one frame")
    if fault == "none" or strength == 0.0:
        return [f.copy() for f in frames]
    return _TRANSFORMS[fault](frames, strength, np.random.default_rng(seed))


def read_frames(
    src: Path, *, start_s: float = 0.0, duration_s: float = 3.0, width: int | None = None
) -> tuple[Frames, float]:
    """Decode ``duration_s`` seconds of ``src`` from ``start_s`` (optionally resized to
    ``width``, even sizes); returns (BGR frames, fps)."""
    cap = cv2.VideoCapture(str(src))
    if not cap.isOpened():
        raise ValueError(f"cannot open video {src}")
    try:
        fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        if start_s > 0:
            cap.set(cv2.CAP_PROP_POS_FRAMES, round(start_s * fps))
        frames: Frames = []
        for _ in range(max(1, round(duration_s * fps))):
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(_resized(frame, width))
    finally:
        cap.release()
    if not frames:
        raise ValueError(f"no frames in {src} at {start_s:.1f} s (clip shorter than that?)")
    return frames, float(fps)


def _resized(frame: np.ndarray, width: int | None) -> np.ndarray:
    height, src_width = frame.shape[:2]
    w = src_width if width is None else width
    size = (w - w % 2, round(height * w / src_width / 2) * 2)
    if size == (src_width, height):
        return frame
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def _clip_path(out: Path) -> Path:
    out = Path(out)
    if out.suffix not in (".mp4", ".mkv", ".ts", ".avi"):
        raise ValueError(f"unsupported clip type {out.suffix!r} for {out}: use .mp4/.mkv/.ts/.avi")
    return out


def write_clip(frames: Iterable[np.ndarray], fps: float, out: Path, *, crf: int = 23) -> Path:
    """Encode BGR ``frames`` (any iterable, streamed) at ``fps``: H.264 (ffmpeg, 1 s GOP,
    no B-frames, so streaming servers can start anywhere quickly) for .mp4/.mkv/.ts,
    MJPEG (OpenCV) for .avi."""
    out = _clip_path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stream = iter(frames)
    first = next(stream, None)
    if first is None:
        raise ValueError(f"no frames to write to {out}")
    height, width = first.shape[:2]
    if out.suffix == ".avi":
        writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height))
        if not writer.isOpened():
            raise ValueError(f"OpenCV cannot write MJPEG to {out}")
        for frame in itertools.chain([first], stream):
            writer.write(frame)
        writer.release()
        return out
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise FileNotFoundError("ffmpeg is not installed (make system-deps installs it)")
    command = [
        ffmpeg, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24",
        "-s", f"{width}x{height}", "-r", f"{fps:.6g}", "-i", "-",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), "-pix_fmt", "yuv420p",
        "-g", str(max(1, round(fps))), "-bf", "0", str(out),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=errors)
        assert process.stdin is not None
        try:
            for frame in itertools.chain([first], stream):
                process.stdin.write(np.ascontiguousarray(frame).tobytes())
        except BrokenPipeError:
            pass  # ffmpeg stopped early: its message is reported below
        finally:
            process.stdin.close()
        if process.wait() != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip()
            raise RuntimeError(f"ffmpeg failed writing {out}: {message}")
    return out


def make_fault_clip(
    src: Path,
    fault: str,
    strength: float,
    out: Path,
    *,
    start_s: float = 0.0,
    duration_s: float = 3.0,
    width: int | None = None,
    seed: int = 0,
    crf: int = 23,
) -> Path:
    """Write a clip of ``src`` (``start_s`` .. ``start_s + duration_s``) with ``fault``.

    ``fault`` is one of :data:`FAULT_REASONS` (``none`` = healthy copy). Returns ``out``.
    """
    _clip_path(out)
    frames, fps = read_frames(Path(src), start_s=start_s, duration_s=duration_s, width=width)
    faulty = apply_fault(frames, fault, strength, seed=seed)
    return write_clip(faulty, fps / fps_divisor(fault, strength), Path(out), crf=crf)
