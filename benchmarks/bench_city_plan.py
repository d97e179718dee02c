"""Benchmark: the plan's full target, 200,000 cameras, on the built-in city at default
resolution, with coverage built in one process (the peer) and in spatial tiles on 2
local worker processes (planner.tiles through safecity.executors).

Each configuration runs in a fresh process (so peak memory is its own; a sampler adds
the tile workers' memory) and prints wall time per step, peak memory, covered
weight, the upper bound and its gap, and whether both configurations placed exactly the
same cameras.  Targets: under 10 minutes and under 8 GB on this 2-core machine.

Run: .venv/bin/python benchmarks/bench_city_plan.py [--target 200000] [--only Futian,...]
(about 10-20 minutes on 2 cores); ``--verify-tiles`` only builds the full-city coverage
matrix in one process and in tiles on 2 workers and checks they are identical.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import resource
import subprocess
import sys
import threading
import time
from typing import Any

import psutil


class PeakMemory:
    """Samples the resident memory of this process plus all its descendants (tile workers)."""

    def __init__(self, every_s: float = 0.5) -> None:
        self.peak_mb = 0.0
        self.children_cpu: dict[int, float] = {}  # pid -> CPU seconds last seen
        self._stop = threading.Event()
        self._every = every_s
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(self._every):
            total = 0
            for proc in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
                    times = proc.cpu_times()
                    self.children_cpu[proc.pid] = times.user + times.system
            with contextlib.suppress(psutil.Error):
                total += me.memory_info().rss
            self.peak_mb = max(self.peak_mb, total / 2**20)

    def stop(self) -> float:
        """Stop sampling; the peak total in MB."""
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def one_run(target: int, workers: int, only: str | None) -> dict[str, Any]:
    """Load the city and plan it; the figures of this process."""
    from planner.city import load_plan_city
    from planner.pipeline import PlanRequest, plan_city
    from safecity.executors import make_executor

    memory = PeakMemory()
    began = time.perf_counter()
    city = load_plan_city(only=only.split(",") if only else None, progress=False)
    load_s = time.perf_counter() - began
    executor = make_executor(workers) if workers > 1 else None
    try:
        plan = plan_city(city, PlanRequest(target=target), executor=executor)
    finally:
        if executor is not None:
            executor.shutdown()
    s = plan.summary
    chosen = plan.cameras[~plan.cameras["existing"]]["site_id"].to_numpy()
    return {
        "workers": workers,
        "wall_s": time.perf_counter() - began,
        "load_s": load_s,
        "timings_s": s["timings_s"],
        "sizes": s["sizes"],
        "placed": s["placed"],
        "covered_pct": s["covered_pct"],
        "covered_weight": s["covered_weight"],
        "upper_bound_pct": s["upper_bound_pct"],
        "gap": s["gap"],
        "bound_method": s["bound_method"],
        "sites_digest": hashlib.sha256(chosen.tobytes()).hexdigest()[:16],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "total_peak_rss_mb": memory.stop(),
        "cpu_s": sum(os.times()[:2]) + sum(memory.children_cpu.values()),
    }


def verify_tiles(workers: int, only: str | None) -> dict[str, Any]:
    """Full-city coverage matrix in one process and in tiles on ``workers``: identical?"""
    import numpy as np
    import shapely

    from planner.catalog import load_catalog
    from planner.city import crs_scale_factor, load_plan_city
    from planner.coverage import SectorModel, coverage_matrix
    from planner.sectors import candidate_options, candidate_sites_table
    from planner.tiles import tiled_coverage_matrix
    from safecity.executors import make_executor

    city = load_plan_city(only=only.split(",") if only else None, progress=False)
    catalog = load_catalog()
    sites = candidate_sites_table(city.candidates)
    options = candidate_options(city.candidates, catalog)
    model = SectorModel.from_catalog(catalog, units_per_m=crs_scale_factor(city.districts))
    points = shapely.get_coordinates(city.demand.geometry.values)
    began = time.perf_counter()
    single = coverage_matrix(sites.xy, options, model, points)
    single_s = time.perf_counter() - began
    began = time.perf_counter()
    with make_executor(workers) as executor:
        tiled = tiled_coverage_matrix(sites.xy, options, model, points, executor)
    tiled_s = time.perf_counter() - began
    same = (
        tiled.shape == single.shape
        and np.array_equal(tiled.indptr, single.indptr)
        and np.array_equal(tiled.indices, single.indices)
        and np.array_equal(tiled.data, single.data)
    )
    return {"nnz": int(single.nnz), "identical": bool(same), "single_s": single_s,
            "tiled_s": tiled_s}  # fmt: skip


def run_in_subprocess(target: int, workers: int, only: str | None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--one", str(workers), "--target", str(target)]
    if only:
        command += ["--only", only]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=3600)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=int, default=200_000)
    parser.add_argument("--only", default=None, help="plan only these districts")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--verify-tiles", action="store_true", help="only compare the matrices")
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one_run(args.target, args.one, args.only)))
        return
    if args.verify_tiles:
        v = verify_tiles(2, args.only)
        print(
            f"coverage matrix, {v['nnz']:,} nonzeros: one process {v['single_s']:.0f} s, "
            f"tiles on 2 workers {v['tiled_s']:.0f} s ({v['single_s'] / v['tiled_s']:.2f}x); "
            f"identical: {v['identical']}"
        )
        return
    runs = {w: run_in_subprocess(args.target, w, args.only) for w in (1, 2)}
    sizes = runs[1]["sizes"]
    print(f"built-in city{' (' + args.only + ')' if args.only else ''}: {sizes}")
    for w, r in runs.items():
        t = r["timings_s"]
        print(
            f"{w} worker(s): {r['wall_s'] / 60:.1f} min wall (load {r['load_s']:.0f} s, "
            f"options+coverage {t['options_and_coverage']:.0f} s, solve {t['solve']:.0f} s; "
            f"CPU {r.get('cpu_s', float('nan')) / 60:.1f} min), "
            f"peak memory {r['peak_rss_mb']:,.0f} MB "
            f"(all processes {r['total_peak_rss_mb']:,.0f} MB); "
            f"placed {r['placed']:,}, covered {r['covered_pct']:.2f}% of demand weight, "
            f"upper bound {r['upper_bound_pct']:.2f}% ({r['bound_method']}, gap "
            f"{100 * r['gap']:.2f}%)"
        )
    one, two = runs[1], runs[2]
    coverage_1 = one["timings_s"]["options_and_coverage"]
    coverage_2 = two["timings_s"]["options_and_coverage"]
    print(
        f"2 workers vs 1 (the peer): coverage step {coverage_1 / coverage_2:.2f}x, whole run "
        f"{one['wall_s'] / two['wall_s']:.2f}x; same cameras placed: "
        f"{one['sites_digest'] == two['sites_digest']}, same covered weight: "
        f"{one['covered_weight'] == two['covered_weight']} (the swap local search runs for a "
        "wall-clock budget, so placements may differ; --verify-tiles compares the matrices)"
    )
    print("targets: < 10 min, < 8 GB")


if __name__ == "__main__":
    main()
