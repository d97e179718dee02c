"""OpenStreetMap PBF extracts via pyrosm (optional extra ``osm``), split at intersections."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import shapely

from geodata.crs import WGS84, to_metric
from geodata.errors import GeodataError

# Ways that are not streets a camera would watch (or duplicate a street, like sidewalks).
EXCLUDED_HIGHWAYS = (
    "steps",
    "path",
    "trail",
    "bridleway",
    "footway",
    "cycleway",
    "corridor",
    "elevator",
    "platform",
    "proposed",
    "construction",
    "abandoned",
    "raceway",
    "bus_guideway",
)


def read_osm_streets(path: Path, area: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Street edges (road_class, geometry) of a PBF file in METRIC_CRS.

    pyrosm splits ways at shared nodes, so edges meet at intersections. ``area`` (any CRS)
    limits parsing to its bounding polygon, which keeps large extracts fast.
    """
    try:
        import pyrosm
    except ImportError as exc:  # the osm extra is optional
        raise GeodataError(
            f"{path}: reading PBF needs pyrosm: pip install 'safecity[osm]'"
        ) from exc
    bounding = None
    if area is not None:
        bounding = shapely.union_all(area.to_crs(WGS84).geometry.values).envelope
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            osm = pyrosm.OSM(str(path), bounding_box=bounding)
            result = osm.get_network(network_type="all", nodes=True)
    except Exception as exc:
        raise GeodataError(f"{path}: unreadable OSM PBF ({exc})") from exc
    if result is None:
        raise GeodataError(f"{path}: no streets in the OSM extract (within the districts)")
    _, edges = result
    edges = edges[~edges["highway"].isin(EXCLUDED_HIGHWAYS)]
    if len(edges) == 0:
        raise GeodataError(f"{path}: no streets in the OSM extract (within the districts)")
    lines = gpd.GeoDataFrame(
        {"road_class": edges["highway"].fillna("unclassified").astype(str).to_numpy()},
        geometry=edges.geometry.to_numpy(),
        crs=edges.crs or WGS84,
    )
    return to_metric(lines.explode(index_parts=False))
