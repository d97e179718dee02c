"""Existing cameras and buildings from user files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geodata import METRIC_CRS, City, GeodataError, load_buildings, load_existing_cameras


def test_cameras_from_csv_keep_their_attributes(futian: City, tmp_path: Path) -> None:
    path = tmp_path / "cameras.csv"
    pd.DataFrame(
        {
            "camera_id": ["A1", "A2", "A3"],
            "lon": [114.05, 114.06, 114.07],
            "lat": [22.54, 22.535, 22.545],
            "type": ["bullet_4mp", None, "dome_2mp"],
            "heading": [90.0, None, 359.5],
            "owner": ["public", "enterprise", None],
        }
    ).to_csv(path, index=False)
    cams = load_existing_cameras(path, districts=futian.districts)
    assert list(cams.columns) == ["camera_id", "district", "type", "heading", "owner", "geometry"]
    assert list(cams["camera_id"]) == ["A1", "A2", "A3"]
    assert (cams["district"] == "Futian").all() and cams.crs.equals(METRIC_CRS)
    assert cams["type"].tolist() == ["bullet_4mp", None, "dome_2mp"]
    assert cams["heading"].iloc[0] == 90.0 and np.isnan(cams["heading"].iloc[1])
    assert cams["owner"].tolist() == ["public", "enterprise", "unknown"]


def test_cameras_from_vector_file_get_ids(futian: City, tmp_path: Path) -> None:
    path = tmp_path / "cams.gpkg"
    gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([114.05, 114.06], [22.54, 22.535]), crs=4326
    ).to_file(path)
    cams = load_existing_cameras(path, districts=futian.districts)
    assert cams["camera_id"].tolist() == ["cams-0", "cams-1"]
    assert cams["heading"].isna().all()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("heading", 400.0, "field 'heading': invalid value 400.0"),
        ("camera_id", "dup", "field 'camera_id': duplicate value 'dup'"),
    ],
)
def test_bad_camera_fields(
    futian: City, tmp_path: Path, column: str, value: object, message: str
) -> None:
    frame = pd.DataFrame({"lon": [114.05, 114.06], "lat": [22.54, 22.535], column: [value, value]})
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(GeodataError, match=f"bad.csv: {message}"):
        load_existing_cameras(path, districts=futian.districts)


def test_buildings_are_polygons_near_the_districts(futian: City, tmp_path: Path) -> None:
    centre = futian.districts.geometry.iloc[0].representative_point()
    inside = [
        shapely.box(centre.x + i * 50, centre.y, centre.x + i * 50 + 20, centre.y + 30)
        for i in range(5)
    ]
    far = shapely.box(0, 0, 10, 10)
    path = tmp_path / "buildings.parquet"
    gpd.GeoDataFrame(geometry=[*inside, far], crs=METRIC_CRS).to_crs(4326).to_parquet(path)
    buildings = load_buildings(path, districts=futian.districts)
    assert len(buildings) == 5 and (buildings.geom_type == "Polygon").all()
    assert buildings.area.sum() == pytest.approx(5 * 600.0, rel=1e-3)
