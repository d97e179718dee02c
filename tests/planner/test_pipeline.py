"""The planning pipeline on a small real-geometry city (Futian, built-in data)."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geodata import City
from planner.catalog import load_catalog
from planner.coverage import SectorModel, coverage_matrix
from planner.optimize.errors import PlannerInputError
from planner.phases import parse_phases
from planner.pipeline import PlanRequest, plan_city
from planner.sectors import OptionSet, candidate_options, candidate_sites_table


def _covered_weight_brute(city: City, cameras: gpd.GeoDataFrame) -> float:
    """Covered weight recomputed from the camera table alone (independent of the solver)."""
    catalog = load_catalog()
    site_xy = shapely.get_coordinates(cameras.geometry.values)

    options = OptionSet.build(
        np.arange(len(cameras)),
        pd.Categorical(cameras["type"], categories=catalog.names).codes,
        cameras["heading"].to_numpy(dtype=float),
        np.zeros(len(cameras), bool),
    )
    point_xy = shapely.get_coordinates(city.demand.geometry.values)
    matrix = coverage_matrix(site_xy, options, SectorModel.from_catalog(catalog), point_xy)
    covered = np.diff(matrix.tocsr().indptr) > 0
    return float(city.demand["weight"].to_numpy()[covered].sum())


def test_plan_a_modest_target(futian: City) -> None:
    plan = plan_city(futian, PlanRequest(target=300))
    cams, s = plan.cameras, plan.summary
    assert len(cams) == 300 and s["placed"] == 300 and s["existing"] == 0
    assert cams["camera_id"].is_unique
    assert (cams["district"] == "Futian").all()
    assert cams["site_id"].is_unique  # one camera per site
    assert set(cams["site_id"]) <= set(futian.candidates["site_id"])
    assert cams["rank"].tolist() == list(range(1, 301))
    assert cams["phase"].value_counts().to_dict() == {
        "buildout": 150,
        "launch": 90,
        "consolidation": 60,
    }
    # lon/lat really are Futian's (about 114.0-114.1 E, 22.5-22.6 N)
    assert cams["lon"].between(113.95, 114.12).all() and cams["lat"].between(22.49, 22.6).all()
    # the curve replays the choice: monotone, ends at the covered weight, gains add up
    assert np.all(np.diff(plan.curve) >= 0)
    assert plan.curve[-1] == pytest.approx(s["covered_weight"])
    assert cams["marginal_gain"].sum() == pytest.approx(s["covered_weight"])
    assert s["covered_weight"] == pytest.approx(_covered_weight_brute(futian, cams), rel=1e-9)
    assert s["upper_bound"] is None or s["covered_weight"] <= s["upper_bound"] * (1 + 1e-9)
    # district table: costs and bitrates of the chosen types, storage from bandwidth
    row = plan.districts.iloc[0]
    catalog = load_catalog()
    cost = cams["type"].map({t.name: t.unit_cost_cny for t in catalog.types}).sum()
    mbps = cams["type"].map({t.name: t.bitrate_mbps for t in catalog.types}).sum()
    assert row["placed"] == 300 and row["quota"] == 300
    assert row["cost_cny"] == pytest.approx(cost) and s["cost_cny"] == pytest.approx(cost)
    assert row["bandwidth_mbps"] == pytest.approx(mbps)
    assert row["storage_tb_30d"] == pytest.approx(mbps * 30 * 86400 / 8 / 1e6)
    assert 0 < row["covered_weight_pct"] < 100
    assert 0 < row["covered_street_km"] < row["street_km"]
    # phases add up to the total
    assert plan.phases["cameras"].sum() == 300
    assert plan.phases["added_weight"].sum() == pytest.approx(s["covered_weight"])
    # the greedy order front-loads value: launch adds more per camera than consolidation
    per_camera = plan.phases["added_weight"] / plan.phases["cameras"]
    assert per_camera.iloc[0] > per_camera.iloc[-1]


def test_budget_caps_the_spend(futian: City) -> None:
    budget = 1_000_000.0
    plan = plan_city(futian, PlanRequest(budget=budget))
    assert 0 < plan.summary["cost_cny"] <= budget
    assert plan.summary["placed"] == len(plan.cameras)


def test_existing_cameras_are_kept_and_counted(futian: City) -> None:
    first = plan_city(futian, PlanRequest(target=60))
    kept = first.cameras.head(20)
    existing = gpd.GeoDataFrame(
        {
            "camera_id": [f"corp-{i}" for i in range(20)],
            "district": "Futian",
            "type": kept["type"].to_numpy(),
            "heading": kept["heading"].to_numpy(),
            "owner": "enterprise",
        },
        geometry=kept.geometry.values,
        crs=kept.crs,
    )
    plan = plan_city(futian, PlanRequest(target=40), existing=existing)
    cams, s = plan.cameras, plan.summary
    assert s["existing"] == 20 and s["placed"] == 40 and len(cams) == 60
    assert cams.loc[cams["existing"], "camera_id"].tolist() == existing["camera_id"].tolist()
    assert (cams.loc[cams["existing"], "phase"] == "existing").all()
    assert (cams.loc[cams["existing"], "cost"] == 0).all()
    # the existing 20 cover what the first 20 picks covered, then 40 more go on top
    assert s["existing_covered_weight"] == pytest.approx(first.curve[20])
    assert s["covered_weight"] >= first.curve[20]
    assert plan.districts.loc[0, "existing"] == 20


def test_camera_outside_the_city_is_refused(futian: City) -> None:
    existing = gpd.GeoDataFrame(
        {"camera_id": ["far"], "district": [None], "type": [None], "heading": [np.nan]},
        geometry=[shapely.Point(0, 0)],
        crs=futian.districts.crs,
    )
    with pytest.raises(PlannerInputError, match=r"cams\.csv: 1 camera.*outside the city.*'far'"):
        plan_city(futian, PlanRequest(target=10), existing=existing, existing_source="cams.csv")


def test_quota_forces_a_worse_global_choice(futian: City) -> None:
    """Split Futian in two halves; a quota on the rich half moves cameras to the poor one."""
    centre = futian.districts.geometry.iloc[0].centroid.x
    demand = futian.demand.assign(
        district=np.where(futian.demand.geometry.x < centre, "West", "East")
    )
    candidates = futian.candidates.assign(
        district=np.where(futian.candidates.geometry.x < centre, "West", "East")
    )
    halves = gpd.GeoDataFrame(
        {"district": ["West", "East"]},
        geometry=[
            futian.districts.geometry.iloc[0].intersection(shapely.box(0, 0, centre, 1e8)),
            futian.districts.geometry.iloc[0].intersection(shapely.box(centre, 0, 1e7, 1e8)),
        ],
        crs=futian.districts.crs,
    )
    city = replace(futian, districts=halves, demand=demand, candidates=candidates)
    free = plan_city(city, PlanRequest(target=100, quotas=pd.Series({"West": 100, "East": 100})))
    placed_free = free.districts.set_index("district")["placed"]
    rich = placed_free.idxmax()
    poor = "West" if rich == "East" else "East"
    quotas = pd.Series({rich: 10, poor: 90})
    forced = plan_city(city, PlanRequest(target=100, quotas=quotas))
    placed = forced.districts.set_index("district")["placed"]
    assert placed[rich] <= 10 and placed.sum() == 100
    assert forced.summary["covered_weight"] < free.summary["covered_weight"]


def test_target_beyond_the_candidate_sites_is_refused(futian: City) -> None:
    n = len(futian.candidates)
    with pytest.raises(PlannerInputError, match=f"--target {n + 1} exceeds the {n} candidate"):
        plan_city(futian, PlanRequest(target=n + 1))


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (PlanRequest(target=0), "--target must be a positive"),
        (PlanRequest(target=-3), "--target must be a positive"),
        (PlanRequest(budget=0.0), "--budget must be a positive"),
        (PlanRequest(), "give --target"),
        (PlanRequest(target=10, level="blurry"), "unknown DORI level"),
        (PlanRequest(target=10, phases=parse_phases("a=4,b=5")), "counts sum to 9"),
    ],
)
def test_nonsense_requests_fail_before_any_work(request_: PlanRequest, message: str) -> None:
    with pytest.raises(PlannerInputError, match=message):
        request_.check()


def test_options_per_site_match_the_catalogue(futian: City) -> None:
    sites = candidate_sites_table(futian.candidates)
    options = candidate_options(futian.candidates, load_catalog())
    per_site = np.bincount(options.site, minlength=len(sites))
    bearings = futian.candidates["bearings"].map(lambda b: len({round(x) % 360 for x in b}))
    np.testing.assert_array_equal(per_site, 1 + 3 * bearings.to_numpy())
