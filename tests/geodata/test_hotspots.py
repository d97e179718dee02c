"""Hot-spots and the kernel intensity surface."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geodata import (
    CATEGORIES,
    DEFAULT_CATEGORY_WEIGHTS,
    HOTSPOT_THRESHOLD,
    METRIC_CRS,
    City,
    GeodataError,
    HotspotIntensity,
    load_hotspots,
)
from geodata.districts import locate
from geodata.hotspots import ANCHORS_FILE


def test_builtin_hotspots_are_real_anchors_plus_labelled_synthetic(
    districts: gpd.GeoDataFrame,
) -> None:
    hot = load_hotspots(districts=districts)
    assert list(hot.columns) == ["category", "weight", "source", "name", "geometry"]
    assert set(hot["source"]) == {"anchor", "synthetic"}
    anchors = hot[hot["source"] == "anchor"]
    assert {"Luohu Port", "Shenzhen Bay Port", "Shenzhen North Railway Station"} <= set(
        anchors["name"]
    )
    assert set(anchors["category"]) | {"internet_cafe", "incident"} == set(CATEGORIES)
    ports = anchors[anchors["category"] == "port"]
    assert (ports["weight"] == DEFAULT_CATEGORY_WEIGHTS["port"]).all()
    xy = shapely.get_coordinates(hot.geometry.to_numpy())
    assert (locate(xy, districts) != None).all()  # noqa: E711
    cited = pd.read_csv(ANCHORS_FILE)
    assert cited["coord_source"].str.len().gt(5).all()


def test_category_weights_scale_places_and_unknown_key_fails(districts: gpd.GeoDataFrame) -> None:
    base = load_hotspots(districts=districts)
    boosted = load_hotspots(districts=districts, category_weights={"port": 20.0})
    is_port = base["category"] == "port"
    assert np.allclose(boosted["weight"][is_port], 20.0)
    assert np.allclose(boosted["weight"][~is_port], base["weight"][~is_port])
    with pytest.raises(GeodataError, match="unknown category weight key 'casino'"):
        load_hotspots(districts=districts, category_weights={"casino": 2.0})


def test_incident_and_place_files(futian: City, tmp_path: Path) -> None:
    incidents = tmp_path / "incidents.csv"
    pd.DataFrame({"lon": [114.05, 114.06], "lat": [22.54, 22.535], "weight": [2.0, 1.0]}).to_csv(
        incidents, index=False
    )
    places = tmp_path / "places.geojson"
    gpd.GeoDataFrame(
        {"category": ["internet_cafe"], "name": ["cafe"]},
        geometry=gpd.points_from_xy([114.055], [22.545]),
        crs=4326,
    ).to_file(places)
    hot = load_hotspots(incidents, places, districts=futian.districts)
    assert list(hot["category"]) == ["incident", "incident", "internet_cafe"]
    assert list(hot["weight"]) == [2.0, 1.0, DEFAULT_CATEGORY_WEIGHTS["internet_cafe"]]
    assert (hot["source"] == "file").all() and hot.crs.equals(METRIC_CRS)


def test_intensity_matches_exact_kernel_sum(futian: City) -> None:
    hot = futian.hotspots
    intensity = HotspotIntensity.from_points(hot, bandwidth_m=500.0)
    rng = np.random.default_rng(3)
    lo, hi = futian.districts.total_bounds[:2], futian.districts.total_bounds[2:]
    query = rng.uniform(lo, hi, (2000, 2))
    centres = shapely.get_coordinates(hot.geometry.to_numpy())
    d2 = ((query[:, None, :] - centres[None]) ** 2).sum(axis=-1)
    exact = 1.0 + (hot["weight"].to_numpy() * np.exp(-d2 / (2 * 500.0**2))).sum(axis=1)
    approx = intensity.at(query)
    assert np.abs(approx - exact).max() < 0.01 * exact.max()
    far = intensity.at(np.array([[0.0, 0.0]]))
    assert far.tolist() == [1.0]  # background only, far from every hot-spot
    assert (intensity.is_hotspot(query) == (approx >= HOTSPOT_THRESHOLD)).all()


def test_one_point_bump_has_documented_height_and_width() -> None:
    point = gpd.GeoDataFrame(
        {"weight": [4.0]}, geometry=gpd.points_from_xy([500_000.0], [2_500_000.0]), crs=METRIC_CRS
    )
    intensity = HotspotIntensity.from_points(point, bandwidth_m=300.0)
    at = intensity.at(np.array([[500_000.0, 2_500_000.0], [500_300.0, 2_500_000.0]]))
    assert at[0] == pytest.approx(5.0, rel=0.01)
    assert at[1] == pytest.approx(1.0 + 4.0 * np.exp(-0.5), rel=0.01)
