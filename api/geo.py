"""District boundaries as shapely geometries, for vectorised point-in-district checks."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

# Points on a boundary (a street end clipped at the district line) come out of CRS
# transforms a few 1e-9 degrees off; ~0.2 m of slack keeps them in without admitting
# anything really outside.
BOUNDARY_TOLERANCE_DEG = 2e-6


@lru_cache(maxsize=64)
def shape_of(geojson: str) -> BaseGeometry:
    """Prepared shapely geometry of a stored WGS84 GeoJSON text (cached by content)."""
    geometry = shapely.from_geojson(geojson)
    shapely.prepare(geometry)
    return geometry


def inside(geojson: str, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Which points lie in the district geometry (boundary and float noise included)."""
    shape = shape_of(geojson)
    ok = np.asarray(shapely.intersects_xy(shape, lon, lat), dtype=bool)
    if not ok.all():
        near = shapely.dwithin(shape, shapely.points(lon[~ok], lat[~ok]), BOUNDARY_TOLERANCE_DEG)
        ok[~ok] = np.asarray(near, dtype=bool)
    return ok
