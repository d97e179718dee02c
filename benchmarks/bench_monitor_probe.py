"""Probe CPU cost per liveness check and sustained probes per core, against real RTSP.

Streams: real footage (vtest.avi) as 1080p25 H.264 (a camera's main stream) and as its
native 768x576 at 10 fps (a sub-stream), served by gst-rtsp-server on 127.0.0.1.

Peers measured in the same run, on the same frames:
- raw decode: OpenCV (FFmpeg backend, one thread) decoding the frames one probe window
  holds, from the local file: the physical floor of watching a stream;
- bare RTSP read: open the RTSP stream and grab+retrieve every frame of the window with
  the same fast options, no analysis, in this process;
- in-process probe: ``probe_feed`` (capture + analysis + judge) in this process, to show
  what the worker process adds.
The probe itself runs like in production: ``ProbePool`` worker processes, CPU counted
over the workers and this process.  Sustained throughput keeps ``--workers`` probes in
flight for ``--seconds`` and divides the probes done by the CPU seconds they used (the RTSP
server's own CPU is excluded).  Prints CPU per probe, ratios, worker memory, cameras per
core at a 10 s interval and what 200,000 cameras need.

Run: ``.venv/bin/python benchmarks/bench_monitor_probe.py [--seconds 20] [--window 2]``
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path

import cv2
import psutil

from monitor.capture import DEFAULT_CAPTURE_OPTIONS, ProbeSettings, open_capture
from monitor.faults import read_frames, write_clip
from monitor.feeds import Feed
from monitor.probe import ProbeJob, probe_feed
from monitor.testing import start_rtsp_server
from monitor.workers import ProbePool

REPO = Path(__file__).resolve().parent.parent
VTEST = REPO / ".cache" / "media" / "vtest.avi"
CITY = 200_000
INTERVAL_S = 10.0


@dataclass
class Stream:
    name: str
    clip: Path
    fps: float
    size: tuple[int, int]


def make_clips(folder: Path, seconds: float) -> list[Stream]:
    """1080p25 and native 768x576@10 H.264 clips of the real footage (1 s GOP).

    The 1080p clip plays the 10 fps footage 2.5x faster at 25 fps (upscaled by ffmpeg),
    so every frame differs as in a live 25 fps camera.
    """
    hd = folder / "hd.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-ss", "5", "-i", str(VTEST), "-an",
         "-vf", "setpts=PTS/2.5,scale=1920:1080:flags=bicubic", "-r", "25", "-t", f"{seconds}",
         "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", "25", "-bf", "0",
         "-pix_fmt", "yuv420p", str(hd)],
        check=True,
    )  # fmt: skip
    sd, fps = read_frames(VTEST, start_s=5.0, duration_s=seconds)
    return [
        Stream("1080p25", hd, 25.0, (1920, 1080)),
        Stream("576p10", write_clip(sd, fps, folder / "sd.mp4"), fps, (768, 576)),
    ]


def cpu_of(processes: list[psutil.Process]) -> float:
    """User+system CPU seconds of ``processes`` (all their threads)."""
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def workers() -> list[psutil.Process]:
    """This process's probe workers."""
    return [
        child
        for child in psutil.Process().children(recursive=True)
        if "monitor.workers" in " ".join(child.cmdline())
    ]


def raw_decode_cpu(clip: Path, frames: int) -> float:
    """CPU seconds to decode ``frames`` frames of ``clip`` (one thread, grab+retrieve)."""
    cap = cv2.VideoCapture(str(clip), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, 1])
    start = time.process_time()
    done = 0
    while done < frames and cap.grab() and cap.retrieve()[0]:
        done += 1
    cpu = time.process_time() - start
    cap.release()
    return cpu * frames / max(done, 1)


def bare_rtsp_cpu(url: str, settings: ProbeSettings, rounds: int) -> tuple[float, int]:
    """CPU seconds and frames of reading one window over RTSP with no analysis."""
    cpu, frames = 0.0, 0
    for _ in range(rounds):
        start = time.process_time()
        cap = open_capture(url, settings)
        first = None
        while cap.grab():
            cap.retrieve()
            frames += 1
            stamp = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            first = stamp if first is None else first
            if stamp - first >= settings.window_s:
                break
        cap.release()
        cpu += time.process_time() - start
    return cpu / rounds, frames // rounds


def in_process_probe_cpu(feed: Feed, settings: ProbeSettings, rounds: int) -> tuple[float, int]:
    """CPU seconds and frames of ``probe_feed`` run in this process."""
    cpu, frames = 0.0, 0
    for _ in range(rounds):
        start = time.process_time()
        result = probe_feed(ProbeJob(feed), settings)
        cpu += time.process_time() - start
        frames += result.frames
    return cpu / rounds, frames // rounds


def pooled_probe_cpu(feed: Feed, settings: ProbeSettings, rounds: int) -> tuple[float, float]:
    """(CPU seconds, wall seconds) per probe through a one-worker pool, sequentially."""
    with ProbePool(1, settings) as pool:
        pool.submit(ProbeJob(feed)).result()  # warm up
        before = cpu_of(workers()) + time.process_time()
        wall = time.perf_counter()
        for _ in range(rounds):
            result = pool.submit(ProbeJob(feed)).result()
            assert result.ok, result
        wall = time.perf_counter() - wall
        cpu = cpu_of(workers()) + time.process_time() - before
    return cpu / rounds, wall / rounds


def sustained(
    feeds: list[Feed], settings: ProbeSettings, size: int, seconds: float
) -> tuple[int, int, float, float, int]:
    """Keep ``size`` probes in flight for ``seconds``.

    Returns (probes, frames decoded, CPU s, wall s, largest worker USS in bytes).
    """
    with ProbePool(size, settings) as pool:
        list(pool.run(ProbeJob(f) for f in feeds[:size]))  # warm up every worker
        procs = workers()
        before = cpu_of(procs) + time.process_time()
        start = time.perf_counter()
        pending: set[Future] = set()
        done, frames, index = 0, 0, 0
        while time.perf_counter() - start < seconds or pending:
            while len(pending) < size and time.perf_counter() - start < seconds:
                pending.add(pool.submit(ProbeJob(feeds[index % len(feeds)])))
                index += 1
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            results = [f.result() for f in finished]
            done += sum(r.ok for r in results)
            frames += sum(r.frames for r in results)
        wall = time.perf_counter() - start
        cpu = cpu_of(procs) + time.process_time() - before
        uss = max(p.memory_full_info().uss for p in procs)
    return done, frames, cpu, wall, uss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="sustained run per stream")
    parser.add_argument("--window", type=float, default=2.0, help="probe window, seconds")
    parser.add_argument("--rounds", type=int, default=5, help="sequential probes per peer")
    parser.add_argument("--workers", type=int, default=4 * (os.cpu_count() or 1))
    args = parser.parse_args()
    if not VTEST.exists():
        raise SystemExit(f"{VTEST} is missing: run `make media`")
    cores = os.cpu_count() or 1
    settings = ProbeSettings(window_s=args.window)
    print(f"probe window {args.window:g} s, options {DEFAULT_CAPTURE_OPTIONS!r}, {cores} cores")
    with tempfile.TemporaryDirectory() as tmp:
        streams = make_clips(Path(tmp), seconds=max(12.0, args.window * 3 + 4))
        server = start_rtsp_server({s.name: s.clip for s in streams})
        try:
            for stream in streams:
                report(stream, server.url(stream.name), settings, args, cores)
        finally:
            server.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of the benchmark process: {peak:.0f} MB")


def report(
    stream: Stream, url: str, settings: ProbeSettings, args: argparse.Namespace, cores: int
) -> None:
    feed = Feed(camera_id=stream.name, url=url, district="Futian", expected_fps=stream.fps)
    w, h = stream.size
    print(f"\n== {stream.name}: {w}x{h} H.264 at {stream.fps:g} fps over RTSP ==")
    bare_cpu, frames = bare_rtsp_cpu(url, settings, args.rounds)
    decode = raw_decode_cpu(stream.clip, frames)
    inproc_cpu, _ = in_process_probe_cpu(feed, settings, args.rounds)
    probe_cpu, probe_wall = pooled_probe_cpu(feed, settings, args.rounds)
    rows = [
        ("raw decode of the window's frames (peer)", decode),
        ("bare RTSP read, no analysis", bare_cpu),
        ("probe in-process (capture+analysis+judge)", inproc_cpu),
        ("probe via worker pool (production path)", probe_cpu),
    ]
    print(f"frames per probe window: {frames}")
    for label, cpu in rows:
        print(f"  {label:<44} {cpu * 1000:8.1f} ms CPU   x{cpu / decode:5.2f} of raw decode")
    print(f"  probe wall time {probe_wall:.2f} s (open + {args.window:g} s of live video)")

    cameras_per_core = INTERVAL_S / probe_cpu
    in_flight = probe_wall * cameras_per_core / INTERVAL_S
    print(
        f"  one core watches {cameras_per_core:.0f} cameras at a {INTERVAL_S:g} s interval "
        f"(CPU per probe); {CITY:,} cameras need {CITY / cameras_per_core:,.0f} cores"
    )

    feeds = [feed.model_copy(update={"camera_id": f"{stream.name}-{i}"}) for i in range(64)]
    done, frames_done, cpu, wall, uss = sustained(feeds, settings, args.workers, args.seconds)
    print(
        f"sustained: {done} probes in {wall:.1f} s with {args.workers} workers on {cores} cores "
        f"({done / wall:.2f} probes/s), {cpu:.1f} CPU s -> {done / cpu:.2f} probes per CPU "
        f"second; {frames_done / max(done, 1):.0f} frames per probe (fewer than {frames} means "
        "the cores were saturated and windows ended before decoding caught up; RTSP server "
        "CPU excluded)"
    )
    print(
        f"  each core keeps ~{in_flight:.0f} probes in flight: worker USS {uss / 2**20:.0f} MB "
        f"-> {in_flight * uss / 2**30:.2f} GB of workers per core"
    )


if __name__ == "__main__":
    main()
