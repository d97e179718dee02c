"""Coverage built in spatial tiles on any Executor (local processes or a Dask cluster).

The city is cut into square tiles of candidate sites.  A tile's worker needs only the
demand points within ``margin`` (the longest camera range) of the tile, and the building
footprints there, so the work of each tile is independent.  The inputs are written ONCE
to a work folder as GeoParquet (sites, demand points, buildings) and Parquet/JSON
(options, sector model); a task is just ``(work folder, tile id)``, and returns a sparse
block of (point, option) pairs found by the very per-chunk functions of
:mod:`planner.coverage`.  The assembled matrix is identical, entry for entry, to
:func:`planner.coverage.coverage_matrix` on one process.

On a cluster the work folder must be visible to every worker: set ``SAFECITY_TILES_DIR``
to a folder on a shared file system (default: the local temporary folder).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from planner.coverage import SectorModel, chunk_pairs, drop_occluded
from planner.occlusion import Occluders
from planner.sectors import OptionSet

DEFAULT_TILE_M = 3000.0
TILES_DIR_ENV = "SAFECITY_TILES_DIR"  # where work folders go; must be shared on a cluster
_CRS_FILE = "crs.txt"


@dataclass(frozen=True)
class _Inputs:
    """A work folder's inputs, as a worker holds them (read once per process)."""

    site_xy: np.ndarray
    site_tile: np.ndarray
    options: OptionSet
    model: SectorModel
    point_xy: np.ndarray
    footprints: np.ndarray | None
    grid: dict[str, float]


def _points_frame(xy: np.ndarray, crs: str | None, **columns: np.ndarray) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=shapely.points(xy), crs=crs)


def write_inputs(
    work: Path,
    site_xy: np.ndarray,
    options: OptionSet,
    model: SectorModel,
    point_xy: np.ndarray,
    *,
    footprints: np.ndarray | None = None,
    tile_m: float = DEFAULT_TILE_M,
    crs: str | None = None,
) -> int:
    """Write the coverage inputs to ``work``; returns the number of tiles (row-major ids)."""
    work.mkdir(parents=True, exist_ok=True)
    margin = float(model.range_m.max()) if len(model.range_m) else 0.0
    x0, y0 = (site_xy.min(axis=0) if len(site_xy) else np.zeros(2)).tolist()
    col = np.floor((site_xy[:, 0] - x0) / tile_m).astype(np.int64)
    row = np.floor((site_xy[:, 1] - y0) / tile_m).astype(np.int64)
    n_cols = int(col.max()) + 1 if len(col) else 1
    n_rows = int(row.max()) + 1 if len(row) else 1
    _points_frame(site_xy, crs, tile=row * n_cols + col).to_parquet(work / "sites.parquet")
    _points_frame(point_xy, crs).to_parquet(work / "points.parquet")
    if footprints is not None and len(footprints):
        gpd.GeoDataFrame(geometry=np.asarray(footprints), crs=crs).to_parquet(
            work / "buildings.parquet"
        )
    pd.DataFrame(
        {"site": options.site, "type_index": options.type_index, "heading": options.heading,
         "fixed": options.fixed}
    ).to_parquet(work / "options.parquet")  # fmt: skip
    grid = {"x0": x0, "y0": y0, "tile_m": tile_m, "margin": margin, "n_cols": n_cols,
            "n_rows": n_rows}  # fmt: skip
    meta = {"grid": grid, "range_m": model.range_m.tolist(),
            "half_fov_deg": model.half_fov_deg.tolist()}  # fmt: skip
    (work / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    return n_rows * n_cols


@lru_cache(maxsize=2)
def _read(work: str, stamp: float) -> _Inputs:
    """The inputs of ``work`` (cached per process; ``stamp`` tells a rewritten folder apart)."""
    folder = Path(work)
    meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    sites = gpd.read_parquet(folder / "sites.parquet")
    opts = pd.read_parquet(folder / "options.parquet")
    buildings = folder / "buildings.parquet"
    return _Inputs(
        site_xy=shapely.get_coordinates(sites.geometry.values),
        site_tile=sites["tile"].to_numpy(),
        options=OptionSet(
            site=opts["site"].to_numpy(),
            type_index=opts["type_index"].to_numpy(),
            heading=opts["heading"].to_numpy(),
            fixed=opts["fixed"].to_numpy(),
        ),
        model=SectorModel(np.array(meta["range_m"]), np.array(meta["half_fov_deg"])),
        point_xy=shapely.get_coordinates(
            gpd.read_parquet(folder / "points.parquet").geometry.values
        ),
        footprints=gpd.read_parquet(buildings).geometry.values if buildings.is_file() else None,
        grid=meta["grid"],
    )


def tile_block(work: str, stamp: float, tile: int) -> tuple[np.ndarray, np.ndarray]:
    """(point, option) pairs of the options at the sites of ``tile`` (global indices)."""
    inputs = _read(work, stamp)
    g = inputs.grid
    site = np.flatnonzero(inputs.site_tile == tile)
    if not len(site):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    row, col = divmod(tile, int(g["n_cols"]))
    pad = g["margin"] * (1 + 1e-9) + 1e-6
    lo_x, lo_y = g["x0"] + col * g["tile_m"] - pad, g["y0"] + row * g["tile_m"] - pad
    hi_x, hi_y = lo_x + g["tile_m"] + 2 * pad, lo_y + g["tile_m"] + 2 * pad
    xy = inputs.point_xy
    point = np.flatnonzero(
        (xy[:, 0] >= lo_x) & (xy[:, 0] <= hi_x) & (xy[:, 1] >= lo_y) & (xy[:, 1] <= hi_y)
    )
    opts = inputs.options
    first = np.searchsorted(opts.site, site, side="left")
    counts = np.searchsorted(opts.site, site, side="right") - first
    option = np.repeat(first, counts) + (
        np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    )
    local = OptionSet(
        site=np.repeat(np.arange(len(site)), counts).astype(np.int32),
        type_index=opts.type_index[option],
        heading=opts.heading[option],
        fixed=opts.fixed[option],
    )
    local_xy, site_xy = xy[point], inputs.site_xy[site]
    tree = shapely.STRtree(shapely.points(local_xy))
    pairs = chunk_pairs(site_xy, local, inputs.model, local_xy, tree, 0, len(site))
    p, o = pairs[0], pairs[1]
    if inputs.footprints is not None:
        box = shapely.box(lo_x, lo_y, hi_x, hi_y)
        near = inputs.footprints[shapely.STRtree(inputs.footprints).query(box)]
        if len(near):
            p, o = drop_occluded(p, o, pairs[2], site_xy, local_xy, Occluders(near))
    return point[p], option[o]


def tiled_coverage_matrix(
    site_xy: np.ndarray,
    options: OptionSet,
    model: SectorModel,
    point_xy: np.ndarray,
    executor: Executor,
    *,
    footprints: np.ndarray | None = None,
    tile_m: float = DEFAULT_TILE_M,
    work: Path | None = None,
    crs: str | None = None,
    progress: bool = False,
) -> sp.csc_matrix:
    """Same matrix as :func:`planner.coverage.coverage_matrix`, built tile by tile on
    ``executor``.  ``work`` (default: a temporary folder in ``$SAFECITY_TILES_DIR``,
    removed after) holds the inputs."""
    shared = os.environ.get(TILES_DIR_ENV) or None
    folder = work or Path(tempfile.mkdtemp(prefix="safecity-tiles-", dir=shared))
    try:
        n_tiles = write_inputs(
            folder, site_xy, options, model, point_xy, footprints=footprints, tile_m=tile_m,
            crs=crs,
        )  # fmt: skip
        stamp = (folder / "model.json").stat().st_mtime
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=not progress,
        ) as bar:
            task = bar.add_task("coverage (tiles)", total=n_tiles)
            futures = [executor.submit(tile_block, str(folder), stamp, t) for t in range(n_tiles)]
            for future in as_completed(futures):
                p, o = future.result()
                rows.append(p)
                cols.append(o)
                bar.advance(task)
    finally:
        if work is None:
            shutil.rmtree(folder, ignore_errors=True)
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    matrix = sp.csc_matrix(
        (np.ones(len(row), dtype=np.uint8), (row, col)), shape=(len(point_xy), len(options))
    )
    if matrix.nnz < np.iinfo(np.int32).max:
        matrix.indices = matrix.indices.astype(np.int32, copy=False)
        matrix.indptr = matrix.indptr.astype(np.int32, copy=False)
    return matrix
