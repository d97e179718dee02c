"""Coordinate reference systems: one metric CRS for computing, WGS84 for people."""

from __future__ import annotations

import geopandas as gpd

METRIC_CRS = "EPSG:4547"  # CGCS2000 / 3-degree Gauss-Kruger CM 114E, metres
WGS84 = "EPSG:4326"


def to_metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject to METRIC_CRS (no-op when already there)."""
    return gdf if gdf.crs is not None and gdf.crs.equals(METRIC_CRS) else gdf.to_crs(METRIC_CRS)


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject to WGS84 lon/lat, for outputs people read."""
    return gdf.to_crs(WGS84)
