"""Demand points and candidate sites along the streets."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geodata import City, GeodataError, candidate_sites, sample_demand


def test_demand_weights_stand_for_street_length(futian: City) -> None:
    demand = futian.demand
    assert list(demand.columns) == [
        "demand_id",
        "district",
        "segment_id",
        "length_m",
        "intensity",
        "weight",
        "hotspot",
        "geometry",
    ]
    assert demand["length_m"].sum() == pytest.approx(futian.streets.segments["length_m"].sum())
    assert (demand["length_m"] <= 25.0 + 1e-9).all()
    assert np.allclose(demand["weight"], demand["length_m"] * demand["intensity"])
    assert (demand["intensity"] >= 1.0).all()
    lines = futian.streets.segments.geometry.to_numpy()[demand["segment_id"].to_numpy()]
    assert shapely.distance(demand.geometry.to_numpy(), lines).max() < 1e-6
    assert 0 < demand["hotspot"].mean() < 1
    finer = sample_demand(futian.streets, futian.intensity, spacing_m=10.0)
    assert len(finer) > 2 * len(demand)
    assert finer["weight"].sum() == pytest.approx(demand["weight"].sum(), rel=0.01)


def test_hotspot_flag_marks_whole_hot_streets(futian: City) -> None:
    demand = futian.demand
    per_segment = demand.groupby("segment_id")["hotspot"].agg(["min", "max"])
    assert (per_segment["min"] == per_segment["max"]).all()
    mean = demand.groupby("segment_id")["intensity"].mean()
    assert (mean[per_segment["max"]] >= 3.0).all() and (mean[~per_segment["max"]] < 3.0).all()


def test_candidates_at_intersections_and_along_streets(futian: City) -> None:
    sites = futian.candidates
    assert list(sites.columns) == ["site_id", "district", "kind", "bearings", "geometry"]
    degree = futian.streets.node_degree()
    nodes = sites.iloc[: len(degree)]
    assert ((nodes["kind"] == "intersection") == (degree != 2)).all()
    assert (nodes["bearings"].map(len).to_numpy() == degree).all()
    along = sites.iloc[len(degree) :]
    assert (along["kind"] == "street").all()
    pairs = np.array(along["bearings"].tolist())
    assert np.allclose(pairs[:, 1] - pairs[:, 0], 180.0, atol=0.02)
    every = np.concatenate(sites["bearings"].to_numpy())
    assert every.min() >= 0 and every.max() < 360
    # spacing: sites along a street are at most ~1.5 x 25 m apart (pieces rounded)
    n_inner = len(along)
    assert n_inner == pytest.approx(futian.streets.total_km * 1000 / 25 - len(degree), rel=0.25)


def test_bearing_of_a_known_street(futian: City) -> None:
    seg = futian.streets.segments.iloc[0]
    (x0, y0), (x1, y1) = seg.geometry.coords[0], seg.geometry.coords[-1]
    expected = np.degrees(np.arctan2(x1 - x0, y1 - y0)) % 360
    start = int(futian.streets.segment_nodes[0, 0])
    site = futian.candidates.iloc[start]
    assert any(abs((b - expected + 180) % 360 - 180) < 0.05 for b in site["bearings"])


@pytest.mark.parametrize("spacing", [0.0, -5.0, float("nan")])
def test_bad_spacing_is_an_error(futian: City, spacing: float) -> None:
    with pytest.raises(GeodataError, match="spacing must be a positive number"):
        sample_demand(futian.streets, futian.intensity, spacing_m=spacing)
    with pytest.raises(GeodataError, match="site_spacing_m"):
        candidate_sites(futian.streets, spacing_m=spacing)
