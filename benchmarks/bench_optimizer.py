"""Maximum-coverage optimizer against spopt's MCLP (PuLP + bundled CBC), same instances.

Instance family (benchmarks/_instances.py, seeded): 500 demand points per km2, candidate
sites spread uniformly, 100 m camera radius, 70% of demand clustered round hot spots
with heavier weights. For each size it prints spopt's time (MCLP.from_cost_matrix +
solve with CBC, run in a child process killed after --spopt-cap seconds), ours
(MaxCoverage(...).solve(): lazy greedy, local search, bound), the time ratio, covered
weight of each, our share of the exact optimum (HiGHS ILP) where that is known, else of
our proven upper bound (LP, or Lagrangian/online at city scale), plain greedy's share for
comparison, and peak resident memory during our solve.

Run: ``.venv/bin/python benchmarks/bench_optimizer.py [--quick] [--min-size N] [--max-size N]``
(``--quick``: sizes up to 10,000 demand points, spopt only at 2,000).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _instances import RADIUS_M, Instance, clustered_instance

from planner.optimize import ExactMaxCoverage, MaxCoverage

SIZES = [
    (2_000, 500, 50),
    (10_000, 2_000, 200),
    (50_000, 10_000, 1_000),
    (250_000, 50_000, 5_000),
    (1_000_000, 200_000, 20_000),
    (10_000_000, 2_000_000, 200_000),
]
EXACT_MAX_DEMAND = 10_000
EXACT_TIME_LIMIT = 300.0


@dataclass
class PeerResult:
    seconds: float | None
    covered: float | None
    note: str


def _spopt_child(n: int, m: int, k: int, seed: int, out: mp.Queue) -> None:
    import pulp
    from spopt.locate import MCLP

    inst = clustered_instance(n, m, k, seed)
    dense = inst.coverage.toarray().astype(bool)
    cost = np.where(dense, 0.0, 2 * RADIUS_M)
    t0 = time.perf_counter()
    model = MCLP.from_cost_matrix(cost, inst.weights, RADIUS_M, k, name="bench")
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    seconds = time.perf_counter() - t0
    chosen = np.array([v.value() > 0.5 for v in model.fac_vars])
    out.put((seconds, float(inst.weights[dense[:, chosen].any(axis=1)].sum())))


def run_spopt(n: int, m: int, k: int, seed: int, cap: float) -> PeerResult:
    """spopt in a child process so a run past ``cap`` seconds can be stopped."""
    queue: mp.Queue = mp.get_context("fork").Queue()
    proc = mp.get_context("fork").Process(target=_spopt_child, args=(n, m, k, seed, queue))
    proc.start()
    proc.join(cap)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return PeerResult(None, None, f"did not finish in {cap:.0f} s")
    if queue.empty():
        return PeerResult(None, None, f"failed (exit code {proc.exitcode})")
    seconds, covered = queue.get()
    return PeerResult(seconds, covered, "")


class PeakRss:
    """Samples this process's resident memory every 20 ms while active."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._proc = psutil.Process()

    def __enter__(self) -> PeakRss:
        self.peak = self._proc.memory_info().rss
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


def bench_size(n: int, m: int, k: int, args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    inst: Instance = clustered_instance(n, m, k, args.seed)
    build = time.perf_counter() - t0
    print(
        f"\n== {n:,} demand points, {m:,} sites, k = {k:,} (nnz {inst.coverage.nnz:,},"
        f" {inst.side_m / 1000:.1f} km square, instance built in {build:.1f} s)",
        flush=True,
    )
    big = n >= 1_000_000
    cpu = time.process_time()
    with PeakRss() as rss:
        ours = MaxCoverage(inst.coverage, inst.weights, k=k, progress=big).solve()
    cpu = time.process_time() - cpu
    plain = MaxCoverage(inst.coverage, inst.weights, k=k, local_search=False, bound="none")
    greedy = plain.solve()
    t = ours.timings
    print(
        f"ours:  {t['total']:8.3f} s (greedy {t['greedy']:.3f}, local search"
        f" {t.get('local_search', 0):.3f}, bound {t['bound']:.3f} [{ours.bound_method}];"
        f" CPU {cpu:.3f} s)  covered {ours.covered_weight:,.1f}"
        f"  peak RSS {rss.peak / 2**20:,.0f} MB",
        flush=True,
    )
    if n <= args.spopt_max_size:
        peer = run_spopt(n, m, k, args.seed, args.spopt_cap)
        if peer.seconds is not None and peer.covered is not None:
            print(
                f"spopt: {peer.seconds:8.3f} s  covered {peer.covered:,.1f}"
                f"  -> ours is {peer.seconds / t['total']:,.0f}x faster",
                flush=True,
            )
        else:
            print(f"spopt: {peer.note}", flush=True)
    else:
        print(
            f"spopt: not run (above --spopt-max-size {args.spopt_max_size:,}: dense"
            f" {n:,} x {m:,} matrices alone need {2 * n * m * 8 / 2**30:,.1f} GB)"
        )
    if n <= EXACT_MAX_DEMAND:
        exact = ExactMaxCoverage(
            inst.coverage, inst.weights, k=k, time_limit=EXACT_TIME_LIMIT
        ).solve()
        ref, label = exact.covered_weight, f"exact optimum (HiGHS ILP, {exact.status})"
    else:
        assert ours.upper_bound is not None
        ref, label = ours.upper_bound, f"{ours.bound_method} upper bound"
    print(
        f"quality: ours {ours.covered_weight / ref:.4%} of the {label} {ref:,.1f};"
        f" plain lazy greedy {greedy.covered_weight / ref:.4%}"
        f" ({greedy.timings['greedy']:.3f} s)",
        flush=True,
    )


def main() -> None:
    load = psutil.getloadavg()[0]
    print(f"machine: {psutil.cpu_count()} cores, load average {load:.1f} at start")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 10,000 demand points")
    parser.add_argument("--max-size", type=int, default=SIZES[-1][0], help="largest demand count")
    parser.add_argument("--min-size", type=int, default=0, help="smallest demand count")
    parser.add_argument("--spopt-max-size", type=int, default=10_000, help="largest size for spopt")
    parser.add_argument(
        "--spopt-cap", type=float, default=180.0, help="seconds before spopt is stopped"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        args.max_size = min(args.max_size, 10_000)
        args.spopt_max_size = min(args.spopt_max_size, 2_000)
    for n, m, k in SIZES:
        if args.min_size <= n <= args.max_size:
            bench_size(n, m, k, args)


if __name__ == "__main__":
    main()
