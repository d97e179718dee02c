"""Tiled coverage equals the single-process build, entry for entry, on real executors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import shapely

from planner.catalog import load_catalog
from planner.coverage import SectorModel, coverage_matrix
from planner.occlusion import Occluders
from planner.sectors import OptionSet
from planner.tiles import tiled_coverage_matrix, write_inputs
from safecity.executors import make_executor


def city_like(seed: int = 3) -> dict[str, object]:
    """Sites on a street grid with jitter, points along it, options of every catalogue type
    at street bearings, and building blocks between the streets (metres)."""
    rng = np.random.default_rng(seed)
    catalog = load_catalog()
    n_sites, n_points = 800, 30_000
    site_xy = rng.uniform(0, 2_000, (n_sites, 2))
    site_xy[: n_sites // 2, 1] = np.round(site_xy[: n_sites // 2, 1] / 100) * 100
    point_xy = rng.uniform(0, 2_000, (n_points, 2))
    point_xy[::2, 0] = np.round(point_xy[::2, 0] / 100) * 100
    point_xy[:50] = site_xy[:50]  # points exactly at a site
    n_types = len(catalog.types)
    parts = []
    for t in range(n_types):
        headings = rng.choice([0.0, 90.0, 180.0, 270.0, 45.0], (n_sites, 2))
        for h in headings.T:
            parts.append((np.arange(n_sites), np.full(n_sites, t), h))
    site = np.concatenate([p[0] for p in parts])
    kind = np.concatenate([p[1] for p in parts])
    heading = np.concatenate([p[2] for p in parts])
    fov = catalog.column("fov_deg")[kind]
    heading[fov >= 360] = np.nan
    keep = ~np.isnan(heading) | (fov >= 360)
    options = OptionSet.build(site[keep], kind[keep], heading[keep], np.zeros(keep.sum(), bool))
    blocks = rng.uniform(0, 2_000, (200, 2))
    footprints = shapely.box(blocks[:, 0], blocks[:, 1], blocks[:, 0] + 40, blocks[:, 1] + 25)
    return {
        "site_xy": site_xy,
        "options": options,
        "model": SectorModel.from_catalog(catalog),
        "point_xy": point_xy,
        "footprints": footprints,
    }


def assert_identical(tiled: sp.csc_matrix, single: sp.csc_matrix) -> None:
    assert tiled.shape == single.shape and tiled.dtype == single.dtype
    assert tiled.has_canonical_format and single.has_canonical_format
    assert np.array_equal(tiled.indptr, single.indptr)
    assert np.array_equal(tiled.indices, single.indices)
    assert np.array_equal(tiled.data, single.data)
    assert tiled.indices.dtype == single.indices.dtype


@pytest.fixture(scope="module")
def instance() -> dict[str, object]:
    return city_like()


@pytest.fixture(scope="module")
def single(instance: dict[str, object]) -> sp.csc_matrix:
    inst = dict(instance)
    occluders = Occluders(inst.pop("footprints"))  # type: ignore[arg-type]
    return coverage_matrix(occluders=occluders, chunk_sites=400, **inst)  # type: ignore[arg-type]


def test_tiled_on_a_local_pool_is_identical(
    instance: dict[str, object], single: sp.csc_matrix
) -> None:
    assert single.nnz > 20_000
    with make_executor(2) as executor:
        tiled = tiled_coverage_matrix(executor=executor, tile_m=300.0, **instance)  # type: ignore[arg-type]
    assert_identical(tiled, single)


def test_tiled_on_real_dask_processes_is_identical(
    dask_scheduler: str, instance: dict[str, object], single: sp.csc_matrix, tmp_path: Path
) -> None:
    """Tasks carry only (work folder, tile id); the worker reads the GeoParquet inputs."""
    with make_executor(scheduler=dask_scheduler) as executor:
        tiled = tiled_coverage_matrix(
            executor=executor,
            tile_m=700.0,
            work=tmp_path / "work",
            crs="EPSG:4547",
            **instance,  # type: ignore[arg-type]
        )
    assert_identical(tiled, single)
    files = {p.name for p in (tmp_path / "work").iterdir()}
    assert {"sites.parquet", "points.parquet", "buildings.parquet", "options.parquet"} <= files


def test_one_tile_and_no_buildings(instance: dict[str, object], tmp_path: Path) -> None:
    inst = {k: v for k, v in instance.items() if k != "footprints"}
    reference = coverage_matrix(**inst)  # type: ignore[arg-type]
    assert write_inputs(tmp_path, tile_m=1e6, **inst) == 1  # type: ignore[arg-type]
    with make_executor(1) as executor:
        tiled = tiled_coverage_matrix(executor=executor, tile_m=1e6, **inst)  # type: ignore[arg-type]
    assert_identical(tiled, reference)


def test_plan_refuses_a_bad_scheduler_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from safecity.cli import app

    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    for command in (["plan", "--target", "10"], ["cover"]):
        out = CliRunner().invoke(
            app, [*command, "--out", str(tmp_path / "plan"), "--scheduler", "nowhere:1"]
        )
        assert out.exit_code == 2, out.output
        assert "--scheduler: 'nowhere:1' is not a Dask scheduler address" in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "plan").exists()
