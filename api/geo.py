"""District boundaries as shapely geometries, for vectorised point-in-district checks."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry


@lru_cache(maxsize=64)
def shape_of(geojson: str) -> BaseGeometry:
    """Prepared shapely geometry of a stored WGS84 GeoJSON text (cached by content)."""
    geometry = shapely.from_geojson(geojson)
    shapely.prepare(geometry)
    return geometry


def inside(geojson: str, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Which points lie in (or on the boundary of) the district geometry."""
    return np.asarray(shapely.intersects_xy(shape_of(geojson), lon, lat), dtype=bool)


__all__ = ["inside", "shape_of"]
