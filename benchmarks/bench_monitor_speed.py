"""Cost of picture-health analysis per frame at 1080p, against the raw decode cost.

Peer measured in the same run: OpenCV's own decode (FFmpeg backend) of the same 1080p
H.264 frames, made from the real vtest.avi footage upscaled. Both run on one thread
(``cv2.setNumThreads(1)``), because a sweep keeps every core busy with its own probe.
Prints ms per frame, the analysis overhead in percent of decoding, peak memory, and how
many cameras one core can watch at a 10 s interval for given probe windows.

Run: ``.venv/bin/python benchmarks/bench_monitor_speed.py [--seconds 8]``
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from monitor.analysis import WindowAnalyzer
from monitor.faults import read_frames, write_clip

REPO = Path(__file__).resolve().parent.parent
VTEST = REPO / ".cache" / "media" / "vtest.avi"
HD = (1920, 1080)


def make_hd_clip(src: Path, out: Path, seconds: float, fps: float = 25.0) -> Path:
    """A 1080p H.264 clip of real footage (vtest upscaled), ``seconds`` long at ``fps``."""
    frames, _ = read_frames(src, start_s=10.0, duration_s=seconds * fps / 10.0)
    hd = (cv2.resize(f, HD, interpolation=cv2.INTER_CUBIC) for f in frames)  # streamed
    return write_clip(hd, fps, out, crf=23)


def decode_cost(path: Path) -> tuple[int, float]:
    """Decode every frame of ``path`` (the peer); returns (frames, CPU seconds per frame)."""
    cap = cv2.VideoCapture(str(path))
    count = 0
    start = time.process_time()
    while cap.grab() and cap.retrieve()[0]:
        count += 1
    elapsed = time.process_time() - start
    cap.release()
    if not count:
        raise RuntimeError(f"OpenCV decoded no frames from {path}")
    return count, elapsed / count


def probe_like_cost(path: Path, reference: np.ndarray | None) -> tuple[int, float, float]:
    """Decode and analyse each frame right away, as a probe does.

    Returns (frames, decode+analysis CPU seconds per frame, analysis CPU seconds per
    frame); analysis time is this thread's CPU time inside ``add``/``result``.
    """
    cap = cv2.VideoCapture(str(path))
    analyzer = WindowAnalyzer(reference=reference)
    analysis = 0.0
    start = time.process_time()
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        t0 = time.thread_time()
        analyzer.add(frame)
        analysis += time.thread_time() - t0
    t0 = time.thread_time()
    analyzer.result()
    analysis += time.thread_time() - t0
    total = time.process_time() - start
    cap.release()
    return analyzer.frames, total / analyzer.frames, analysis / analyzer.frames


def cold_analysis_cost(frames: list[np.ndarray], reference: np.ndarray | None) -> float:
    """CPU seconds per frame analysing frames held in memory (cache-cold worst case)."""
    analyzer = WindowAnalyzer(reference=reference)
    start = time.thread_time()
    for frame in frames:
        analyzer.add(frame)
    analyzer.result()
    return (time.thread_time() - start) / len(frames)


def cameras_per_core(per_frame_s: float, frames_per_probe: int, interval_s: float = 10.0) -> float:
    """Cameras one core can keep probed every ``interval_s`` (decode+analysis only)."""
    return interval_s / (per_frame_s * frames_per_probe)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="1080p clip length")
    parser.add_argument("--repeats", type=int, default=3, help="best of n runs")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_hd_clip(VTEST, Path(tmp) / "vtest-1080p.mp4", args.seconds)
        cap = cv2.VideoCapture(str(clip))
        reference = cap.read()[1]
        held = [cap.read()[1] for _ in range(40)]
        cap.release()
        decode_s = min(decode_cost(clip)[1] for _ in range(args.repeats))
        runs = [probe_like_cost(clip, reference) for _ in range(args.repeats)]
        count, probe_s, analysis_s = min(runs, key=lambda run: run[2])
        bare_s = min(probe_like_cost(clip, None)[2] for _ in range(args.repeats))
    cold_s = min(cold_analysis_cost(held, reference) for _ in range(args.repeats))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"frames: {count} at {HD[0]}x{HD[1]} (H.264 of real footage, 25 fps); CPU time")
    print(f"decode (peer, OpenCV/FFmpeg):             {decode_s * 1e3:7.3f} ms/frame")
    print(f"analysis, with reference, after decode:   {analysis_s * 1e3:7.3f} ms/frame (< 0.5)")
    print(f"analysis, no reference, after decode:     {bare_s * 1e3:7.3f} ms/frame")
    print(f"analysis of frames held in memory (cold): {cold_s * 1e3:7.3f} ms/frame")
    print(f"analysis / decode:                        {analysis_s / decode_s:7.1%} (< 10%)")
    print(f"decode+analysis measured together:        {probe_s * 1e3:7.3f} ms/frame")
    print(f"peak memory (RSS):                        {peak_mb:7.0f} MB")
    for window_s in (1.0, 2.0):
        n = round(window_s * 25)
        per_core = cameras_per_core(decode_s + analysis_s, n)
        print(
            f"{window_s:.0f} s window ({n} frames of 1080p25) every 10 s: {per_core:5.1f} "
            f"cameras/core (decode+analysis, no connection set-up); 200,000 cameras: "
            f"{200_000 / per_core:,.0f} cores"
        )


if __name__ == "__main__":
    main()
