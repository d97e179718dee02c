"""Existing cameras and buildings from user files (any vector file; cameras also CSV)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.crs import METRIC_CRS
from geodata.districts import load_districts, require_inside
from geodata.errors import GeodataError, shown
from geodata.io import read_vector

CAMERA_COLUMNS = ["camera_id", "district", "type", "heading", "owner", "geometry"]


def load_existing_cameras(
    path: Path | str, *, districts: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """Cameras already installed (public, enterprise or residential), kept by the planner.

    Optional columns: ``camera_id`` (default '<file stem>-<row>'), ``type`` (camera model
    key), ``heading`` (degrees clockwise from north, 0..360; missing = omnidirectional /
    unknown) and ``owner`` (default 'unknown'). Every camera must lie inside a district.
    """
    path = Path(path)
    gdf = read_vector(path, "points")
    districts = load_districts() if districts is None else districts
    xy = shapely.get_coordinates(gdf.geometry.values)
    names = require_inside(xy, districts, what=str(path))
    ids = (
        gdf["camera_id"].astype(str)
        if "camera_id" in gdf.columns
        else pd.Series([f"{path.stem}-{i}" for i in range(len(gdf))], index=gdf.index)
    )
    if ids.duplicated().any():
        raise GeodataError(
            f"{path}: field 'camera_id': duplicate value {shown(ids[ids.duplicated()].iloc[0])}"
        )
    heading = pd.to_numeric(gdf.get("heading", np.nan), errors="coerce")
    heading = pd.Series(heading, index=gdf.index, dtype=float)
    raw = gdf["heading"] if "heading" in gdf.columns else heading
    bad = (heading.isna() & raw.notna()) | (heading < 0) | (heading > 360)
    if bad.any():
        raise GeodataError(
            f"{path}: field 'heading': invalid value {shown(raw[bad].iloc[0])} "
            "(need 0..360 degrees)"
        )
    camera_type = gdf["type"] if "type" in gdf.columns else pd.Series(None, index=gdf.index)
    owner = (
        gdf["owner"].fillna("unknown").astype(str).to_numpy()
        if "owner" in gdf.columns
        else np.full(len(gdf), "unknown", dtype=object)
    )
    return gpd.GeoDataFrame(
        {
            "camera_id": ids.to_numpy(),
            "district": names,
            "type": pd.Series([None if pd.isna(t) else str(t) for t in camera_type], dtype=object),
            "heading": heading.to_numpy(),
            "owner": owner,
            "geometry": gdf.geometry.to_numpy(),
        },
        crs=METRIC_CRS,
    )


def load_buildings(
    path: Path | str, *, districts: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """Building footprints (geometry Polygon, METRIC_CRS) that touch the districts."""
    path = Path(path)
    gdf = read_vector(path, "polygons")
    districts = load_districts() if districts is None else districts
    tree = shapely.STRtree(gdf.geometry.values)
    hit = np.unique(tree.query(districts.geometry.values, predicate="intersects")[1])
    if hit.size == 0:
        bounds = gdf.to_crs("EPSG:4326").total_bounds.round(4).tolist()
        raise GeodataError(
            f"{path}: all {len(gdf)} buildings lie outside every district (lon/lat bounds "
            f"{bounds}; swapped lat/lon or wrong CRS?)"
        )
    return gpd.GeoDataFrame(geometry=gdf.geometry.iloc[hit].to_numpy(), crs=METRIC_CRS)
