"""Reading user files (vector layers and CSV points) into METRIC_CRS, with clear errors."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.crs import WGS84, to_metric
from geodata.errors import GeodataError

VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".parquet", ".geoparquet", ".shp", ".fgb"}
LON_NAMES = ("lon", "lng", "longitude")
LAT_NAMES = ("lat", "latitude")
_KIND_TYPES = {
    "points": ("Point",),
    "lines": ("LineString",),
    "polygons": ("Polygon",),
}


def require_file(path: Path) -> Path:
    """The path, or GeodataError if it does not exist or is not a file."""
    path = Path(path)
    if not path.is_file():
        raise GeodataError(f"{path}: file not found")
    return path


def read_vector(path: Path, kind: str) -> gpd.GeoDataFrame:
    """Read a vector file (GeoJSON, GeoPackage, GeoParquet, ...) or CSV (lon/lat, WGS84).

    Returns single-part geometries of the wanted ``kind`` ('points' | 'lines' |
    'polygons') in METRIC_CRS. Invalid geometries are repaired with make_valid; rows
    that stay invalid, a missing CRS, an unreadable format or an empty layer raise
    GeodataError naming the file.
    """
    path = require_file(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        gdf = _read_csv_points(path)
    elif suffix in VECTOR_SUFFIXES:
        gdf = _read_ogr(path)
    else:
        raise GeodataError(
            f"{path}: unreadable format {suffix!r}; use CSV (lon/lat) or one of "
            f"{', '.join(sorted(VECTOR_SUFFIXES))}"
        )
    if gdf.crs is None:
        raise GeodataError(f"{path}: layer has no CRS; set one (e.g. EPSG:4326) in the file")
    if len(gdf) == 0:
        raise GeodataError(f"{path}: layer is empty")
    gdf = _repair(gdf, path, kind)
    return to_metric(gdf).reset_index(drop=True)


def _read_ogr(path: Path) -> gpd.GeoDataFrame:
    try:
        if path.suffix.lower() in {".parquet", ".geoparquet"}:
            return gpd.read_parquet(path)
        return gpd.read_file(path)
    except Exception as exc:  # pyogrio/pyarrow raise many types; all mean "cannot read"
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise GeodataError(f"{path}: unreadable format ({first_line})") from exc


def _read_csv_points(path: Path) -> gpd.GeoDataFrame:
    try:
        frame = pd.read_csv(path)
    except Exception as exc:
        raise GeodataError(f"{path}: unreadable CSV ({exc})") from exc
    columns = {c.lower(): c for c in frame.columns}
    lon = next((columns[n] for n in LON_NAMES if n in columns), None)
    lat = next((columns[n] for n in LAT_NAMES if n in columns), None)
    if lon is None or lat is None:
        raise GeodataError(f"{path}: CSV needs 'lon' and 'lat' columns (WGS84 degrees)")
    coords = frame[[lon, lat]].apply(pd.to_numeric, errors="coerce")
    bad = coords.isna().any(axis=1) | (coords[lat].abs() > 90) | (coords[lon].abs() > 180)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        value = frame.iloc[row][[lon, lat]].tolist()
        raise GeodataError(f"{path}: line {row + 2}: invalid lon/lat {value}")
    rest = frame.drop(columns=[lon, lat])
    return gpd.GeoDataFrame(rest, geometry=gpd.points_from_xy(coords[lon], coords[lat]), crs=WGS84)


def _repair(gdf: gpd.GeoDataFrame, path: Path, kind: str) -> gpd.GeoDataFrame:
    """Make geometries valid, split multi-parts and keep the wanted kind; else error."""
    wanted = _KIND_TYPES[kind]
    geoms = gdf.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise GeodataError(f"{path}: row {int(np.flatnonzero(missing)[0])}: empty geometry")
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    exploded = gdf.explode(index_parts=False)
    types = exploded.geom_type.to_numpy()
    ok = np.isin(types, wanted) & ~shapely.is_empty(exploded.geometry.values)
    rows_ok = pd.Series(ok, index=exploded.index).groupby(level=0).any()
    if not rows_ok.all():
        row = rows_ok.index[~rows_ok.to_numpy()][0]
        found = gdf.geometry.loc[row].geom_type
        raise GeodataError(
            f"{path}: row {row}: {found} geometry cannot be used as {kind} "
            "(invalid and not repairable, or the wrong geometry type)"
        )
    return exploded[ok]
