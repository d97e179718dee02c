"""Sparse coverage matrix: which placement option sees which demand point.

Option ``j`` (a camera of type ``t`` at site ``s`` looking along heading ``h``) covers
demand point ``i`` when the point is within the type's DORI range, inside its horizontal
field of view (any direction for 360-degree types) and, when building footprints are
given, no footprint cuts the sight line. Pairs come from one STRtree ``dwithin`` bulk
query per chunk of sites; ranges, bearings and sector tests are vectorised numpy; sight
lines are tested only for pairs that pass the range and sector tests. The result is a
``scipy.sparse.csc_matrix`` of shape (n_points, n_options), never dense.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import shapely
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from planner.catalog import DEFAULT_LEVEL, Catalog
from planner.occlusion import Occluders
from planner.sectors import OptionSet

DEFAULT_CHUNK_SITES = 20_000


@dataclass(frozen=True)
class SectorModel:
    """Per camera type: range (m) and half field of view (deg; >= 180 means a disc)."""

    range_m: np.ndarray
    half_fov_deg: np.ndarray

    @classmethod
    def from_catalog(
        cls, catalog: Catalog, level: str = DEFAULT_LEVEL, units_per_m: float = 1.0
    ) -> SectorModel:
        """Ranges at DORI ``level`` (in CRS units) and half fields of view of every type."""
        return cls(
            range_m=catalog.ranges_m(level) * units_per_m,
            half_fov_deg=catalog.column("fov_deg") / 2,
        )


def _ragged_arange(counts: np.ndarray) -> np.ndarray:
    """0..c-1 for every c in ``counts``, concatenated."""
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum())) - np.repeat(starts, counts)


def chunk_pairs(
    site_xy: np.ndarray,
    options: OptionSet,
    model: SectorModel,
    point_xy: np.ndarray,
    tree: shapely.STRtree,
    lo_site: int,
    hi_site: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(point, option, site) triples covered (range + sector) for sites lo_site..hi_site-1."""
    geoms = shapely.points(site_xy[lo_site:hi_site])
    local_site, point = tree.query(geoms, predicate="dwithin", distance=float(model.range_m.max()))
    site = local_site + lo_site
    delta = point_xy[point] - site_xy[site]
    dist = np.hypot(delta[:, 0], delta[:, 1])
    azimuth = np.degrees(np.arctan2(delta[:, 0], delta[:, 1])) % 360.0

    lo_opt, hi_opt = np.searchsorted(options.site, [lo_site, hi_site])
    chunk_type = options.type_index[lo_opt:hi_opt]
    out_point, out_option, out_site = [], [], []
    for t in np.unique(chunk_type):
        opt_t = lo_opt + np.flatnonzero(chunk_type == t)  # sorted by site
        counts = np.bincount(options.site[opt_t] - lo_site, minlength=hi_site - lo_site)
        starts = np.cumsum(counts) - counts
        near = np.flatnonzero(dist <= model.range_m[t])
        per_pair = counts[local_site[near]]
        pair = np.repeat(near, per_pair)
        option = opt_t[np.repeat(starts[local_site[near]], per_pair) + _ragged_arange(per_pair)]
        if model.half_fov_deg[t] < 180.0:
            off = np.abs((azimuth[pair] - options.heading[option] + 180.0) % 360.0 - 180.0)
            inside = (off <= model.half_fov_deg[t]) | (dist[pair] < 1e-6)
            pair, option = pair[inside], option[inside]
        out_point.append(point[pair])
        out_option.append(option)
        out_site.append(site[pair])
    if not out_point:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return np.concatenate(out_point), np.concatenate(out_option), np.concatenate(out_site)


def drop_occluded(
    point: np.ndarray,
    option: np.ndarray,
    site: np.ndarray,
    site_xy: np.ndarray,
    point_xy: np.ndarray,
    occluders: Occluders,
) -> tuple[np.ndarray, np.ndarray]:
    """Remove pairs whose sight line is blocked; each (site, point) line is tested once."""
    key = site.astype(np.int64) * len(point_xy) + point
    unique_key, inverse = np.unique(key, return_inverse=True)
    u_site, u_point = unique_key // len(point_xy), unique_key % len(point_xy)
    blocked = occluders.blocked(site_xy[u_site], point_xy[u_point])[inverse]
    return point[~blocked], option[~blocked]


def coverage_matrix(
    site_xy: np.ndarray,
    options: OptionSet,
    model: SectorModel,
    point_xy: np.ndarray,
    *,
    occluders: Occluders | None = None,
    chunk_sites: int = DEFAULT_CHUNK_SITES,
    progress: bool = False,
) -> sp.csc_matrix:
    """Coverage of ``point_xy`` (n, 2) by ``options``, as an (n_points, n_options) CSC matrix."""
    n_points, n_sites = len(point_xy), len(site_xy)
    tree = shapely.STRtree(shapely.points(point_xy))
    blocks: list[sp.csc_matrix] = []
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not progress,
        transient=False,
    ) as bar:
        task = bar.add_task("coverage (sites)", total=n_sites)
        for lo in range(0, n_sites, chunk_sites):
            hi = min(lo + chunk_sites, n_sites)
            point, option, site = chunk_pairs(site_xy, options, model, point_xy, tree, lo, hi)
            if occluders is not None:
                point, option = drop_occluded(point, option, site, site_xy, point_xy, occluders)
            lo_opt, hi_opt = np.searchsorted(options.site, [lo, hi])
            blocks.append(
                sp.csc_matrix(
                    (np.ones(len(point), dtype=np.uint8), (point, option - lo_opt)),
                    shape=(n_points, int(hi_opt - lo_opt)),
                )
            )
            bar.advance(task, hi - lo)
    if not blocks:
        return sp.csc_matrix((n_points, len(options)), dtype=np.uint8)
    matrix = sp.hstack(blocks, format="csc")
    if matrix.nnz < np.iinfo(np.int32).max:
        matrix.indices = matrix.indices.astype(np.int32, copy=False)
        matrix.indptr = matrix.indptr.astype(np.int32, copy=False)
    return matrix
