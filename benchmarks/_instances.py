"""Seeded clustered coverage instances for the optimizer benchmark (no geometry library).

Family (as in issue 3): 500 demand points per km2 on a square, the candidate sites spread
uniformly over it, a camera at a site covers demand within 100 m; 70% of the demand lies
around hot spots (Gaussian clusters) and weighs more. Covering pairs come from a k-d tree
join (scipy's C++ sparse_distance_matrix), never a dense matrix, so the full city
(10 million points, 2 million sites, about 31 million pairs) builds in a few GB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

DEMAND_PER_KM2 = 500
RADIUS_M = 100.0
HOTSPOT_SHARE = 0.7
HOTSPOTS_PER_KM2 = 2.0
HOTSPOT_SIGMA_M = 150.0


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


def _pairs(points: np.ndarray, sites: np.ndarray) -> sp.csc_array:
    """Points x sites incidence of pairs closer than RADIUS_M (two k-d trees, C++ join)."""
    pairs = cKDTree(points).sparse_distance_matrix(cKDTree(sites), RADIUS_M, output_type="ndarray")
    by_site = sp.csr_array(
        (
            np.ones(pairs.size, dtype=np.int8),
            (pairs["j"].astype(np.int32), pairs["i"].astype(np.int32)),
        ),
        shape=(len(sites), len(points)),
    )
    return by_site.T.tocsc()


def _z_order(xy: np.ndarray) -> np.ndarray:
    """Permutation sorting positions along a Z (Morton) curve of 100 m cells.

    Real inputs come numbered along streets and tiles; sorting gives the generated ones
    the same locality (neighbouring points get neighbouring indices).
    """
    cells = (xy // RADIUS_M).astype(np.uint64)
    code = np.zeros(len(xy), dtype=np.uint64)
    for bit in range(21):
        b = np.uint64(bit)
        code |= ((cells[:, 0] >> b) & np.uint64(1)) << (np.uint64(2) * b)
        code |= ((cells[:, 1] >> b) & np.uint64(1)) << (np.uint64(2) * b + np.uint64(1))
    return np.argsort(code, kind="stable")


def clustered_instance(n_demand: int, n_sites: int, k: int, seed: int = 0) -> Instance:
    """One seeded instance of the family; the same arguments always give the same instance."""
    rng = np.random.default_rng(seed)
    side = float(np.sqrt(n_demand / DEMAND_PER_KM2) * 1000.0)
    points, weights = _demand(n_demand, side, rng)
    sites = rng.uniform(0, side, size=(n_sites, 2))
    order = _z_order(points)
    points, weights = points[order], weights[order]
    sites = sites[_z_order(sites)]
    return Instance(_pairs(points, sites), weights, points, sites, k, side)
