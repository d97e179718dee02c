"""Seeded clustered coverage instances for the optimizer benchmark (no geometry library).

Family (as in issue 3): 500 demand points per km2 on a square, the candidate sites spread
uniformly over it, a camera at a site covers demand within 100 m; 70% of the demand lies
around hot spots (Gaussian clusters) and weighs more. Pairs are found with a 100 m grid:
each point looks at the sites of its own and the 8 neighbouring cells, in chunks, so the
full city (10 million points, 2 million sites) builds in bounded memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

DEMAND_PER_KM2 = 500
RADIUS_M = 100.0
HOTSPOT_SHARE = 0.7
HOTSPOTS_PER_KM2 = 2.0
HOTSPOT_SIGMA_M = 150.0
CHUNK_POINTS = 1_000_000


@dataclass
class Instance:
    """Coverage matrix (points x sites, CSC), weights, positions and the camera count."""

    coverage: sp.csc_array
    weights: np.ndarray
    points: np.ndarray  # (n, 2) metres
    sites: np.ndarray  # (m, 2) metres
    k: int
    side_m: float


def _demand(n: int, side: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points (70% clustered round hot spots) and weights (hot-spot demand heavier)."""
    area_km2 = (side / 1000.0) ** 2
    n_hot = max(1, round(area_km2 * HOTSPOTS_PER_KM2))
    centres = rng.uniform(0, side, size=(n_hot, 2))
    n_clustered = round(n * HOTSPOT_SHARE)
    which = rng.integers(0, n_hot, n_clustered)
    clustered = centres[which] + rng.normal(0, HOTSPOT_SIGMA_M, size=(n_clustered, 2))
    spread = rng.uniform(0, side, size=(n - n_clustered, 2))
    pts = np.clip(np.vstack([clustered, spread]), 0, side)
    intensity = rng.uniform(1.0, 4.0, n_hot)[which]
    w = np.concatenate(
        [intensity * rng.uniform(0.5, 1.5, n_clustered), rng.uniform(0.2, 1.0, n - n_clustered)]
    )
    return pts, w


def _pairs(points: np.ndarray, sites: np.ndarray, side: float) -> sp.csc_array:
    """Points x sites incidence of pairs closer than RADIUS_M, via a grid of RADIUS_M cells."""
    ncell = int(np.ceil(side / RADIUS_M)) + 1
    scell = (sites // RADIUS_M).astype(np.int64)
    skey = scell[:, 0] * ncell + scell[:, 1]
    order = np.argsort(skey, kind="stable")
    skey_sorted = skey[order]
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    r2 = RADIUS_M**2
    for lo in range(0, len(points), CHUNK_POINTS):
        pts = points[lo : lo + CHUNK_POINTS]
        pcell = (pts // RADIUS_M).astype(np.int64)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                key = (pcell[:, 0] + dx) * ncell + (pcell[:, 1] + dy)
                start = np.searchsorted(skey_sorted, key, side="left")
                stop = np.searchsorted(skey_sorted, key, side="right")
                n_each = stop - start
                p_idx = np.repeat(np.arange(len(pts)), n_each)
                offs = np.arange(int(n_each.sum())) - np.repeat(np.cumsum(n_each) - n_each, n_each)
                s_idx = order[np.repeat(start, n_each) + offs]
                d = pts[p_idx] - sites[s_idx]
                near = (d * d).sum(axis=1) <= r2
                rows.append((p_idx[near] + lo).astype(np.int32))
                cols.append(s_idx[near].astype(np.int32))
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    del rows, cols
    by_site = sp.csr_array(
        (np.ones(r.size, dtype=np.int8), (c, r)), shape=(len(sites), len(points))
    )
    return by_site.T.tocsc()


def clustered_instance(n_demand: int, n_sites: int, k: int, seed: int = 0) -> Instance:
    """One seeded instance of the family; the same arguments always give the same instance."""
    rng = np.random.default_rng(seed)
    side = float(np.sqrt(n_demand / DEMAND_PER_KM2) * 1000.0)
    points, weights = _demand(n_demand, side, rng)
    sites = rng.uniform(0, side, size=(n_sites, 2))
    return Instance(_pairs(points, sites, side), weights, points, sites, k, side)
