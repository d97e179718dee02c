"""Benchmark: load the whole built-in city at default resolution; compare two hot paths.

Prints wall time and peak memory of ``load_city()`` (districts, synthetic streets,
hot-spots, intensity, demand every 25 m, candidates every 25 m), plus two ratios against
peers measured in the same run:

* hot-spot intensity at every demand point: our binned Gaussian-filter surface vs the
  exact kernel sum over neighbours found with scipy's cKDTree (and the error between them);
* demand point positions (every 25 m along every street): our numpy vertex-table lookup
  (geodata.linear) vs shapely 2's vectorised ``line_interpolate_point`` and vs a plain
  per-segment Python loop (run on the first 20,000 segments only, to bound the time,
  and scaled to the whole city).

Run: .venv/bin/python benchmarks/bench_geodata.py   (about 30-60 s on 2 cores)
"""

from __future__ import annotations

import resource
import time

import numpy as np
import psutil
import shapely
from scipy.spatial import cKDTree

from geodata import load_city
from geodata.city import City
from geodata.linear import LinePositions

LOOP_SEGMENTS = 20_000


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux ru_maxrss is in kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def exact_intensity(city: City, xy: np.ndarray) -> np.ndarray:
    """Peer: exact 1 + sum w exp(-d^2 / 2h^2) over hot-spots within 4 h (cKDTree)."""
    h = city.intensity.bandwidth_m
    centres = shapely.get_coordinates(city.hotspots.geometry.to_numpy())
    weights = city.hotspots["weight"].to_numpy()
    tree = cKDTree(xy)
    total = np.ones(len(xy))
    for centre, weight in zip(centres, weights, strict=True):
        idx = np.asarray(tree.query_ball_point(centre, 4.0 * h), dtype=np.int64)
        d2 = ((xy[idx] - centre) ** 2).sum(axis=1)
        total[idx] += weight * np.exp(-d2 / (2.0 * h * h))
    return total


def loop_demand(city: City, spacing: float, n_segments: int) -> int:
    """Peer: per-segment Python loop with shapely's scalar interpolate."""
    count = 0
    for line in city.streets.segments.geometry.iloc[:n_segments]:
        n = max(1, int(np.ceil(line.length / spacing)))
        piece = line.length / n
        points = [line.interpolate((k + 0.5) * piece) for k in range(n)]
        count += len(points)
    return count


def main() -> None:
    rss_before = psutil.Process().memory_info().rss / 2**20
    started = time.perf_counter()
    city = load_city(progress=False)
    load_s = time.perf_counter() - started
    print("whole built-in city, default resolution (demand and sites every 25 m)")
    print(
        f"  load_city(): {load_s:.1f} s; peak RSS {peak_rss_mb():,.0f} MB "
        f"(RSS before load {rss_before:,.0f} MB)"
    )
    print(
        f"  districts {len(city.districts)}, streets {city.streets.total_km:,.0f} km in "
        f"{len(city.streets.segments):,} segments, graph nodes "
        f"{city.streets.graph.number_of_nodes():,}"
    )
    print(
        f"  hot-spots {len(city.hotspots):,}, demand points {len(city.demand):,}, "
        f"candidate sites {len(city.candidates):,}"
    )

    xy = shapely.get_coordinates(city.demand.geometry.to_numpy())
    t0 = time.perf_counter()
    ours = city.intensity.at(xy)
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    exact = exact_intensity(city, xy)
    exact_s = time.perf_counter() - t0
    error = np.abs(ours - exact)
    print(
        f"intensity at {len(xy):,} points: ours {ours_s:.2f} s vs exact cKDTree kernel sum "
        f"{exact_s:.2f} s -> {exact_s / ours_s:.0f}x faster; max abs error "
        f"{error.max():.3f} ({100 * error.max() / exact.max():.2f}% of the peak "
        f"{exact.max():.1f}), mean abs error {error.mean():.4f}"
    )

    segments = city.streets.segments
    length = segments["length_m"].to_numpy()
    n = np.maximum(1, np.ceil(length / 25.0)).astype(np.int64)
    owner = np.repeat(np.arange(len(segments)), n)
    distance = (np.arange(owner.size) - np.repeat(np.cumsum(n) - n, n) + 0.5) * (length / n)[owner]
    t0 = time.perf_counter()
    ours_xy, _ = LinePositions(segments.geometry.to_numpy()).at(owner, distance)
    ours_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    geos = shapely.line_interpolate_point(segments.geometry.to_numpy()[owner], distance)
    geos_s = time.perf_counter() - t0
    same = np.abs(shapely.get_coordinates(geos) - ours_xy).max()
    n_loop = min(LOOP_SEGMENTS, len(segments))
    t0 = time.perf_counter()
    loop_demand(city, 25.0, n_loop)
    loop_s = (time.perf_counter() - t0) * len(segments) / n_loop
    print(
        f"positions of {owner.size:,} demand points: ours {ours_s:.2f} s; shapely "
        f"line_interpolate_point {geos_s:.2f} s -> {geos_s / ours_s:.0f}x; per-segment Python "
        f"loop {loop_s:.1f} s (extrapolated from {n_loop:,} segments) -> "
        f"{loop_s / ours_s:.0f}x; max difference {same:.1e} m"
    )
    print(f"peak RSS at end: {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
