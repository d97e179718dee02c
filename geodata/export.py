"""Write a city's layers (GeoParquet + GeoJSON) and its PNG map, all or nothing."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
from rich.progress import Progress

from geodata.city import City
from geodata.crs import to_wgs84
from geodata.mapping import render_map
from geodata.summary import district_summary

# Layers written as GeoJSON too by default; demand points and candidate sites are millions
# of features, so they are GeoParquet-only unless ``all_geojson`` is asked for.
SMALL_LAYERS = ("districts", "streets", "hotspots")


def city_layers(city: City) -> dict[str, gpd.GeoDataFrame]:
    """The layers to export, by file stem."""
    return {
        "districts": city.districts,
        "streets": city.streets.segments,
        "hotspots": city.hotspots,
        "demand": city.demand,
        "candidates": city.candidates,
    }


def export_city(
    city: City, out_dir: Path, *, all_geojson: bool = False, progress: bool = True
) -> list[Path]:
    """Write ``<layer>.parquet`` (METRIC_CRS), ``<layer>.geojson`` (WGS84), summary.csv, map.png.

    Files are first written to a temporary folder next to ``out_dir`` and moved in at the
    end, so a failure leaves ``out_dir`` untouched.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    layers = city_layers(city)
    geojson = [n for n in layers if all_geojson or n in SMALL_LAYERS]
    staging = Path(tempfile.mkdtemp(prefix=".geodata-export-", dir=out_dir.parent))
    try:
        with Progress(disable=not progress) as bar:
            task = bar.add_task("export", total=len(layers) + len(geojson) + 2)
            for name, layer in layers.items():
                bar.update(task, description=f"{name}.parquet")
                layer.to_parquet(staging / f"{name}.parquet")
                bar.advance(task)
            for name in geojson:
                bar.update(task, description=f"{name}.geojson")
                _to_geojson(layers[name], staging / f"{name}.geojson")
                bar.advance(task)
            bar.update(task, description="summary.csv")
            district_summary(city).to_csv(staging / "summary.csv", index=False)
            bar.advance(task)
            bar.update(task, description="map.png")
            render_map(city, staging / "map.png")
            bar.advance(task)
        out_dir.mkdir(exist_ok=True)
        written = []
        for item in sorted(staging.iterdir()):
            target = out_dir / item.name
            item.replace(target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _to_geojson(layer: gpd.GeoDataFrame, path: Path) -> None:
    """WGS84 GeoJSON; list columns (bearings) become space-separated text."""
    layer = to_wgs84(layer)
    for column in layer.columns:
        if column != "geometry" and layer[column].map(lambda v: isinstance(v, list)).any():
            layer[column] = layer[column].map(lambda v: " ".join(f"{x:g}" for x in v))
    layer.to_file(path, driver="GeoJSON", engine="pyogrio")
