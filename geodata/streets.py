"""Street networks: the built-in synthetic one, OpenStreetMap PBF extracts or user files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from geodata.districts import load_districts
from geodata.errors import GeodataError
from geodata.io import read_vector, require_file
from geodata.network import StreetNetwork, build_network
from geodata.synthetic_streets import synthetic_district_streets

DEFAULT_SEED = 20061


def load_streets(
    path: Path | str | None = None,
    *,
    districts: gpd.GeoDataFrame | None = None,
    seed: int = DEFAULT_SEED,
) -> StreetNetwork:
    """Load a street network clipped to the districts, in METRIC_CRS.

    ``path`` None -> the seeded synthetic network; ``*.pbf`` -> OpenStreetMap via pyrosm;
    any other vector file of lines (GeoJSON, GeoPackage, GeoParquet) -> ``source='file'``.
    """
    districts = load_districts() if districts is None else districts
    if path is None:
        parts = [
            synthetic_district_streets(row.district, row.geometry, seed)
            for row in districts.itertuples()
        ]
        return build_network(pd.concat(parts, ignore_index=True))
    path = require_file(Path(path))
    if path.suffix.lower() == ".pbf":
        from geodata.osm import read_osm_streets

        lines = read_osm_streets(path, districts)
        source = "osm"
    else:
        lines = read_vector(path, "lines")
        source = "file"
    return clip_to_districts(lines, districts, source=source, path=path)


def clip_to_districts(
    lines: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, *, source: str, path: Path
) -> StreetNetwork:
    """Clip lines to the districts, label each piece with its district, build the network."""
    if "road_class" not in lines.columns:
        lines = lines.assign(road_class="unclassified")
    lines = lines[["road_class", "geometry"]]
    clipped = gpd.overlay(
        lines, districts[["district", "geometry"]], how="intersection", keep_geom_type=True
    )
    clipped = clipped.explode(index_parts=False)
    clipped = clipped[clipped.geometry.length > 0.5]
    if len(clipped) == 0:
        bounds = lines.to_crs("EPSG:4326").total_bounds.round(4).tolist()
        raise GeodataError(
            f"{path}: no street lies inside the districts (layer bounds lon/lat {bounds}; "
            "swapped lat/lon or wrong CRS?)"
        )
    clipped = clipped.assign(source=source, road_class=clipped["road_class"].fillna("unclassified"))
    return build_network(clipped)
