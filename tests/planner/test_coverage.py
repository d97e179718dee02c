"""Coverage model on hand-checkable geometry and against a brute-force reference."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from planner.catalog import load_catalog
from planner.coverage import SectorModel, coverage_matrix
from planner.occlusion import Occluders
from planner.optimize.errors import PlannerInputError
from planner.sectors import OptionSet, candidate_options, existing_options

CATALOG = load_catalog()
MODEL = SectorModel.from_catalog(CATALOG, "observation")
BULLET, DOME, PTZ, FISHEYE = range(4)
STREET = np.c_[np.arange(0.0, 101.0), np.zeros(101)]  # one street, a point every metre


def _options(site: list[int], kind: list[int], heading: list[float]) -> OptionSet:
    return OptionSet.build(
        np.array(site), np.array(kind), np.array(heading), np.zeros(len(site), dtype=bool)
    )


def _covered_x(matrix, column: int) -> np.ndarray:
    return STREET[matrix[:, column].nonzero()[0], 0]


def _column(options: OptionSet, kind: int, heading: float) -> int:
    """Column of the option with this type and heading (options are sorted by site/type)."""
    same = (options.type_index == kind) & (
        np.isnan(options.heading) if np.isnan(heading) else options.heading == heading
    )
    return int(np.flatnonzero(same)[0])


def test_one_street_two_cameras_facing_each_other() -> None:
    sites = np.array([[0.0, 0.0], [100.0, 0.0]])
    options = _options([0, 1], [BULLET, BULLET], [90.0, 270.0])  # east, west
    matrix = coverage_matrix(sites, options, MODEL, STREET)
    assert matrix.shape == (101, 2)
    assert matrix.format == "csc" and matrix.indices.dtype == np.int32
    # bullet range at observation: 20.48 m
    np.testing.assert_array_equal(_covered_x(matrix, 0), np.arange(0.0, 21.0))
    np.testing.assert_array_equal(_covered_x(matrix, 1), np.arange(80.0, 101.0))


def test_camera_looking_away_sees_nothing_of_the_street_behind_it() -> None:
    sites = np.array([[50.0, 0.0]])
    options = _options([0, 0], [BULLET, BULLET], [90.0, 0.0])  # east; north (perpendicular)
    matrix = coverage_matrix(sites, options, MODEL, STREET)
    np.testing.assert_array_equal(
        _covered_x(matrix, _column(options, BULLET, 90)), np.arange(50.0, 71.0)
    )
    # Looking north with a 90-degree FOV, the street (at exactly 90 degrees off) is on the
    # edge of the sector: only points within 45 degrees count, so only the camera's own spot.
    np.testing.assert_array_equal(_covered_x(matrix, _column(options, BULLET, 0)), [50.0])


def test_sector_versus_disc() -> None:
    sites = np.array([[50.0, 0.0]])
    options = _options([0, 0], [FISHEYE, PTZ], [np.nan, 270.0])
    matrix = coverage_matrix(sites, options, MODEL, STREET)
    reach = CATALOG.get("fisheye").range_m()  # 23.9 m all around
    disc = _covered_x(matrix, _column(options, FISHEYE, np.nan))
    np.testing.assert_array_equal(disc, STREET[np.abs(STREET[:, 0] - 50) <= reach, 0])
    # PTZ looks west 114.6 m with a 30-degree FOV: the whole west half, nothing east.
    sector = _covered_x(matrix, _column(options, PTZ, 270))
    np.testing.assert_array_equal(sector, np.arange(0.0, 51.0))


def test_a_wall_blocks_the_view_behind_it() -> None:
    sites = np.array([[0.0, 0.0]])
    options = _options([0], [PTZ], [90.0])
    open_view = coverage_matrix(sites, options, MODEL, STREET)
    wall = shapely.box(30.0, -3.0, 31.0, 3.0)  # across the street at x = 30..31
    blocked = coverage_matrix(sites, options, MODEL, STREET, occluders=Occluders(np.array([wall])))
    np.testing.assert_array_equal(_covered_x(open_view, 0), np.arange(0.0, 101.0))
    np.testing.assert_array_equal(_covered_x(blocked, 0), np.arange(0.0, 31.0))
    # A building beside the street does not block the view along it.
    beside = shapely.box(10.0, 2.0, 60.0, 30.0)
    along = coverage_matrix(sites, options, MODEL, STREET, occluders=Occluders(np.array([beside])))
    assert along.nnz == open_view.nnz


def test_camera_on_a_facade_is_not_blocked_by_its_own_wall() -> None:
    building = shapely.box(-10.0, -10.0, 0.0, 10.0)  # camera hangs on its east wall
    sites = np.array([[0.0, 0.0]])
    matrix = coverage_matrix(
        sites, _options([0], [BULLET], [90.0]), MODEL, STREET,
        occluders=Occluders(np.array([building])),
    )  # fmt: skip
    np.testing.assert_array_equal(_covered_x(matrix, 0), np.arange(0.0, 21.0))


def _brute_force(sites, options, model, points, walls) -> np.ndarray:
    """Dense reference: every option against every point, one sight line at a time."""
    dense = np.zeros((len(points), len(options)), dtype=bool)
    for j in range(len(options)):
        sx, sy = sites[options.site[j]]
        t = options.type_index[j]
        for i, (px, py) in enumerate(points):
            d = np.hypot(px - sx, py - sy)
            if d > model.range_m[t]:
                continue
            if model.half_fov_deg[t] < 180 and d > 1e-6:
                az = np.degrees(np.arctan2(px - sx, py - sy)) % 360
                off = abs((az - options.heading[j] + 180) % 360 - 180)
                if off > model.half_fov_deg[t]:
                    continue
            line = shapely.LineString([(sx, sy), (px, py)])
            if any(line.intersects(w.buffer(-0.3)) for w in walls):
                continue
            dense[i, j] = True
    return dense


def test_matches_brute_force_on_random_layouts_and_any_chunking() -> None:
    rng = np.random.default_rng(7)
    points = rng.uniform(0, 200, (300, 2))
    sites = rng.uniform(0, 200, (25, 2))
    n = 60
    options = OptionSet.build(
        rng.integers(0, 25, n), rng.integers(0, 4, n), rng.uniform(0, 360, n), np.zeros(n, bool)
    )
    options = OptionSet(
        options.site,
        options.type_index,
        np.where(options.type_index == FISHEYE, np.nan, options.heading),
        options.fixed,
    )
    walls = [shapely.box(x, y, x + 8, y + 8) for x, y in rng.uniform(0, 190, (12, 2))]
    expected = _brute_force(sites, options, MODEL, points, walls)
    for chunk in (1, 7, 1000):
        got = coverage_matrix(
            sites, options, MODEL, points, occluders=Occluders(np.array(walls)), chunk_sites=chunk
        )
        np.testing.assert_array_equal(got.toarray().astype(bool), expected)
    assert expected.sum() > 50  # the layout really exercises coverage


def test_candidate_options_follow_street_bearings() -> None:
    candidates = gpd.GeoDataFrame(
        {"site_id": [10, 11], "district": ["A", "A"], "bearings": [[0.2, 90.0, 90.4], [270.0]]},
        geometry=shapely.points([[0, 0], [50, 0]]),
    )
    options = candidate_options(candidates, CATALOG)
    per_site = np.bincount(options.site)
    # site 0: bearings 0 and 90 (90.4 rounds onto 90) x 3 directional types + 1 disc
    assert per_site.tolist() == [7, 4]
    first = options.site == 0
    assert set(options.heading[first & (options.type_index == PTZ)]) == {0.0, 90.0}
    assert np.isnan(options.heading[options.type_index == FISHEYE]).all()


def test_existing_cameras_default_type_and_aim() -> None:
    existing = gpd.GeoDataFrame(
        {
            "camera_id": ["e1", "e2", "e3"],
            "district": ["A", "A", "A"],
            "type": ["ptz", None, "fisheye"],
            "heading": [45.0, np.nan, np.nan],
        },
        geometry=shapely.points([[0, 0], [0, 10], [5, 5]]),
    )
    demand = np.array([[0.0, 30.0]])  # due north of e2
    sites, options = existing_options(existing, CATALOG, demand, first_site=100, source="cams")
    assert options.fixed.all() and options.site.tolist() == [100, 101, 102]
    assert CATALOG.names[options.type_index[1]] == "dome"  # default_existing_type
    assert options.heading[0] == 45.0
    assert options.heading[1] == pytest.approx(0.0)  # aimed at the nearest demand point
    assert np.isnan(options.heading[2])
    assert sites.camera_id.tolist() == ["e1", "e2", "e3"]


def test_existing_camera_of_unknown_type_is_an_error() -> None:
    existing = gpd.GeoDataFrame(
        {"camera_id": ["e1"], "district": ["A"], "type": ["thermal"], "heading": [0.0]},
        geometry=shapely.points([[0, 0]]),
    )
    with pytest.raises(
        PlannerInputError,
        match=r"cams\.csv: field type: unknown camera type 'thermal'",
    ):
        existing_options(existing, CATALOG, np.zeros((1, 2)), 0, "cams.csv")
