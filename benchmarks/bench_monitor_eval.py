"""Labelled evaluation of the picture-health judgement on real footage.

Cameras are made from the real clips Debian's opencv-doc ships: vtest.avi (street
surveillance, 768x576) at native size, at half size and heavily compressed, and
tree.avi (a tree seen through a window, 320x240, up to the moment a hand enters the
view). Each camera learns its baseline from its first three healthy probes (and keeps the
first probe's thumbnail as its scene reference), as the monitor does.

* Healthy footage: 2 s probe windows every 0.5 s over the whole healthy span, with
  steady light, slowly drifting light (+-15 %) and dimmer light (-20 %), H.264-encoded.
  Every window with any reason is a false alarm; at one probe per 10 s a camera-hour
  is 360 probes.
* Faults: every fault of :mod:`monitor.faults` at strengths 0.3 (subtle), 0.6 and 1.0
  (clearly visible) at four places of each camera's footage, each an H.264 clip decoded
  by OpenCV.

Prints precision and recall per reason code (recall per strength), false alarms per
camera-hour, and the same for the peer measured in the same run: the absolute
fallback thresholds alone (no per-camera baseline). Writes a recall heat map PNG.

Run: ``.venv/bin/python benchmarks/bench_monitor_eval.py [--out out/monitor-eval]``
"""

from __future__ import annotations

import argparse
import math
import resource
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from monitor.analysis import WindowAnalyzer, WindowMetrics
from monitor.conditions import Baseline, Reason, judge, severities
from monitor.faults import FAULT_REASONS, FAULTS, apply_fault, fps_divisor, read_frames, write_clip

REPO = Path(__file__).resolve().parent.parent
VTEST = REPO / ".cache" / "media" / "vtest.avi"
TREE = Path("/usr/share/doc/opencv-doc/examples/data/tree.avi")
WINDOW_S, STRIDE_S = 2.0, 0.5
PROBES_PER_HOUR = 360  # one probe every 10 s
STRENGTHS = (0.3, 0.6, 1.0)
CLEAR = 1.0
LIGHTING = ("steady", "drift", "dim")


@dataclass(frozen=True)
class Camera:
    """One simulated camera: a real clip, the span of it that is healthy, how it is coded."""

    name: str
    source: Path
    healthy_s: tuple[float, float]
    width: int | None
    crf: int
    fps: float


def cameras(workdir: Path) -> list[Camera]:
    """The evaluation cameras (tree.avi is transcoded first: OpenCV decodes only part of
    its Cinepak stream, FFmpeg's command line decodes all of it)."""
    tree = workdir / "tree.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(TREE), "-c:v", "libx264", "-crf", "16",
         "-pix_fmt", "yuv420p", str(tree)],
        check=True,
    )  # fmt: skip
    return [
        Camera("vtest-768", VTEST, (0.0, 79.0), None, 23, 10.0),
        Camera("vtest-384", VTEST, (0.0, 79.0), 384, 26, 10.0),
        Camera("vtest-768-crf32", VTEST, (0.0, 79.0), None, 32, 10.0),
        Camera("tree-320", tree, (0.0, 22.5), None, 23, 15.0),
    ]


def _gain(lighting: str, t: float) -> float:
    if lighting == "drift":
        return 1.0 + 0.15 * math.sin(2.0 * math.pi * t / 20.0)
    return 0.8 if lighting == "dim" else 1.0


def _source_frames(camera: Camera, lighting: str) -> Iterator[np.ndarray]:
    cap = cv2.VideoCapture(str(camera.source))
    last = round(camera.healthy_s[1] * camera.fps)
    for index in range(last):
        ok, frame = cap.read()
        if not ok:
            break
        if camera.width is not None:
            height = round(frame.shape[0] * camera.width / frame.shape[1] / 2) * 2
            frame = cv2.resize(frame, (camera.width, height), interpolation=cv2.INTER_AREA)
        gain = _gain(lighting, index / camera.fps)
        yield frame if gain == 1.0 else cv2.convertScaleAbs(frame, alpha=gain)
    cap.release()


def encode_healthy(camera: Camera, lighting: str, workdir: Path) -> Path:
    """The camera's healthy span under ``lighting``, H.264-encoded at its quality."""
    return write_clip(
        _source_frames(camera, lighting), camera.fps, workdir / f"{camera.name}-{lighting}.mp4",
        crf=camera.crf,
    )  # fmt: skip


def sliding_windows(
    clip: Path, fps: float, reference: np.ndarray | None
) -> list[tuple[float, WindowMetrics, np.ndarray | None]]:
    """(start s, metrics, thumbnail) of every probe window (``WINDOW_S`` long, one every
    ``STRIDE_S``) of ``clip``, analysed in one streaming decode pass."""
    size, stride = round(WINDOW_S * fps), round(STRIDE_S * fps)
    cap = cv2.VideoCapture(str(clip))
    active: list[tuple[int, WindowAnalyzer]] = []
    done = []
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if index % stride == 0:
            active.append((index, WindowAnalyzer(reference=reference)))
        for _, analyzer in active:
            analyzer.add(frame)
        if active[0][1].frames == size:
            start, analyzer = active.pop(0)
            done.append((start / fps, analyzer.result(), analyzer.thumbnail()))
        index += 1
    cap.release()
    return done


def first_thumbnail(clip: Path, fps: float) -> np.ndarray:
    """The reference a camera's first probe leaves behind (its last frame, small grey)."""
    cap = cv2.VideoCapture(str(clip))
    analyzer = WindowAnalyzer()
    for _ in range(round(WINDOW_S * fps)):
        ok, frame = cap.read()
        if not ok:
            break
        analyzer.add(frame)
    cap.release()
    thumbnail = analyzer.thumbnail()
    if thumbnail is None:
        raise RuntimeError(f"no frames in {clip}")
    return thumbnail


def learn(
    baseline: Baseline, windows: list[tuple[float, WindowMetrics, np.ndarray | None]]
) -> set[float]:
    """Teach ``baseline`` the first three non-overlapping windows; returns their starts."""
    learned: set[float] = set()
    next_start = 0.0
    for start, window, _ in windows:
        if start >= next_start and len(learned) < 3:
            baseline.update(window)
            learned.add(start)
            next_start = start + WINDOW_S
    return learned


def fault_job(
    camera: Camera, start: float, workdir: Path, baseline: Baseline
) -> list[tuple[str, float, list[str], list[str]]]:
    """Every fault at every strength at one place of one camera's footage (the source is
    decoded once): (fault, strength, reasons with baseline, reasons without) each."""
    frames, _ = read_frames(camera.source, start_s=start, duration_s=WINDOW_S, width=camera.width)
    results = []
    for fault in FAULTS:
        for strength in STRENGTHS:
            faulty = apply_fault(frames, fault, strength, seed=round(start * 10))
            fps = camera.fps / fps_divisor(fault, strength)
            clip = write_clip(faulty, fps, workdir / f"{camera.name}-{start:g}.mp4", crf=camera.crf)
            cap = cv2.VideoCapture(str(clip))
            analyzer = WindowAnalyzer(reference=baseline.reference)
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                analyzer.add(frame)
            cap.release()
            window = analyzer.result()
            ours = judge(window, fps=fps, expected_fps=camera.fps, baseline=baseline)
            peer = judge(window, fps=fps, expected_fps=camera.fps, baseline=None)
            results.append((fault, strength, [str(r) for r in ours], [str(r) for r in peer]))
    return results


def fault_starts(camera: Camera) -> list[float]:
    """Four places in the healthy span after the baseline windows."""
    low, high = camera.healthy_s[0] + 3 * WINDOW_S, camera.healthy_s[1] - WINDOW_S
    return [round(float(s), 1) for s in np.linspace(low, high, 4)]


@dataclass
class Score:
    """Confusion counts per reason code, recall per strength."""

    tp: Counter[str]
    fp: Counter[str]
    fn: Counter[str]
    hits: defaultdict[tuple[str, float], list[bool]]
    healthy_alarms: int = 0
    healthy_probes: int = 0
    alarm_reasons: Counter[str] | None = None

    @classmethod
    def empty(cls) -> Score:
        return cls(Counter(), Counter(), Counter(), defaultdict(list), 0, 0, Counter())

    def add(self, expected: str | None, reasons: list[str], strength: float = 0.0) -> None:
        for reason in reasons:
            (self.tp if reason == expected else self.fp)[reason] += 1
        if expected is not None:
            hit = expected in reasons
            self.hits[(expected, strength)].append(hit)
            if not hit:
                self.fn[expected] += 1
        else:
            self.healthy_probes += 1
            if reasons:
                self.healthy_alarms += 1
                assert self.alarm_reasons is not None
                self.alarm_reasons.update(reasons)

    def precision(self, reason: str) -> float:
        total = self.tp[reason] + self.fp[reason]
        return self.tp[reason] / total if total else math.nan

    def recall(self, reason: str, strength: float) -> float:
        hits = self.hits.get((reason, strength), [])
        return sum(hits) / len(hits) if hits else math.nan

    def alarms_per_camera_hour(self) -> float:
        return self.healthy_alarms / (self.healthy_probes / PROBES_PER_HOUR)


def _fmt(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}"


def report(console: Console, ours: Score, peer: Score) -> None:
    table = Table(title="Per reason: precision, recall by fault strength (peer: no baseline)")
    for column in ("reason", "precision", *(f"recall@{s}" for s in STRENGTHS), "peer prec.",
                   f"peer rec.@{CLEAR}"):  # fmt: skip
        table.add_column(column, justify="right")
    for fault in FAULTS:
        reason = str(FAULT_REASONS[fault])
        table.add_row(
            reason,
            _fmt(ours.precision(reason)),
            *(_fmt(ours.recall(reason, s)) for s in STRENGTHS),
            _fmt(peer.precision(reason)),
            _fmt(peer.recall(reason, CLEAR)),
        )
    console.print(table)
    for name, score in (("ours (per-camera baseline)", ours), ("peer (absolute only)", peer)):
        hours = score.healthy_probes / PROBES_PER_HOUR
        upper = 3.0 / hours  # rule of three: 95 % upper bound when no alarm was seen
        console.print(
            f"{name}: healthy probes {score.healthy_probes} (= {hours:.2f} camera-hours at one "
            f"probe per 10 s), false alarms {score.healthy_alarms} -> "
            f"{score.alarms_per_camera_hour():.3f} per camera-hour "
            f"({score.alarms_per_camera_hour() * 24:.2f} per 24 camera-hours"
            + (f"; 95 % upper bound {upper:.2f}/camera-hour" if not score.healthy_alarms else "")
            + f"); reasons: {dict(score.alarm_reasons or {})}"
        )


def heatmap(ours: Score, path: Path) -> Path:
    """Recall per fault and strength as a PNG heat map."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    reasons = [str(FAULT_REASONS[f]) for f in FAULTS]
    grid = np.array([[ours.recall(r, s) for s in STRENGTHS] for r in reasons])
    fig, ax = plt.subplots(figsize=(5, 6))
    ax.imshow(grid, vmin=0, vmax=1, cmap="RdYlGn", aspect="auto")
    ax.set_xticks(range(len(STRENGTHS)), [f"strength {s}" for s in STRENGTHS])
    ax.set_yticks(range(len(reasons)), reasons)
    for (i, j), value in np.ndenumerate(grid):
        ax.text(j, i, _fmt(value), ha="center", va="center", fontsize=9)
    ax.set_title("Recall per fault (real footage, H.264)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "out" / "monitor-eval")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    console = Console(width=120)
    started = time.perf_counter()
    ours, peer = Score.empty(), Score.empty()
    confusions: defaultdict[tuple[str, float, str], list[str]] = defaultdict(list)
    headroom: dict[Reason, tuple[float, str]] = {}
    with tempfile.TemporaryDirectory() as tmp, Progress(console=console) as progress:
        workdir = Path(tmp)
        cams = cameras(workdir)
        baselines: dict[str, Baseline] = {}
        task = progress.add_task("healthy footage", total=len(cams) * len(LIGHTING))
        for camera in cams:
            baseline = baselines[camera.name] = Baseline()
            for lighting in LIGHTING:  # steady first: it teaches the baseline
                clip = encode_healthy(camera, lighting, workdir)
                if baseline.reference is None:
                    baseline.reference = first_thumbnail(clip, camera.fps)
                windows = sliding_windows(clip, camera.fps, baseline.reference)
                learned = learn(baseline, windows) if lighting == "steady" else set()
                assert baseline.ready, f"{camera.name}: baseline not learned"
                for start, window, _ in windows:
                    if start in learned:
                        continue  # the windows the baseline was learned from
                    for score, base in ((ours, baseline), (peer, None)):
                        reasons = judge(
                            window, fps=camera.fps, expected_fps=camera.fps, baseline=base
                        )
                        score.add(None, [str(r) for r in reasons])
                    worst = severities(
                        window, fps=camera.fps, expected_fps=camera.fps, baseline=baseline
                    )
                    for reason, severity in worst.items():
                        if severity >= headroom.get(reason, (-1.0, ""))[0]:
                            headroom[reason] = (severity, f"{camera.name}/{lighting}@{start:g}")
                clip.unlink()
                progress.advance(task)
        healthy_s = time.perf_counter() - started
        jobs = [(camera, start) for camera in cams for start in fault_starts(camera)]
        task = progress.add_task("fault clips", total=len(jobs) * len(FAULTS) * len(STRENGTHS))
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            futures = [
                pool.submit(fault_job, camera, start, workdir, baselines[camera.name])
                for camera, start in jobs
            ]
            for (camera, start), future in zip(jobs, futures, strict=True):
                for fault, strength, with_baseline, without in future.result():
                    expected = str(FAULT_REASONS[fault])
                    ours.add(expected, with_baseline, strength)
                    peer.add(expected, without, strength)
                    for extra in set(with_baseline) - {expected}:
                        confusions[(fault, strength, extra)].append(f"{camera.name}@{start:g}")
                    progress.advance(task)
    report(console, ours, peer)
    console.print(
        "closest healthy window to each rule (severity, 1.0 = alarm): "
        + ", ".join(f"{r}: {v:.2f} ({where})" for r, (v, where) in headroom.items())
    )
    for (fault, strength, extra), where in sorted(confusions.items()):
        console.print(f"extra reason {extra!r} on {fault}@{strength}: {', '.join(where)}")
    png = heatmap(ours, args.out / "recall.png")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(
        f"cameras {len(cams)}, fault probes {len(jobs) * len(FAULTS) * len(STRENGTHS)}, "
        f"healthy probes {ours.healthy_probes}; runtime {time.perf_counter() - started:.0f} s "
        f"(healthy part {healthy_s:.0f} s), peak memory {peak:.0f} MB; {png}"
    )


if __name__ == "__main__":
    main()
