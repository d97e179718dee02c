"""Shared geodata fixtures: small cities (one or two districts) loaded once per session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest

from geodata import City, load_city, load_districts


@pytest.fixture(scope="session")
def districts() -> gpd.GeoDataFrame:
    """All nine districts."""
    return load_districts()


@pytest.fixture(scope="session")
def futian() -> City:
    """The built-in city restricted to Futian (about 1,300 km of synthetic streets)."""
    return load_city(only=["Futian"], progress=False)


def _write_wgs84(gdf: gpd.GeoDataFrame, path: Path) -> Path:
    layer = gdf.to_crs("EPSG:4326")
    if path.suffix == ".parquet":
        layer.to_parquet(path)
    else:
        layer.to_file(path)
    return path


@pytest.fixture(scope="session")
def write_wgs84() -> Callable[[gpd.GeoDataFrame, Path], Path]:
    """Writes a layer in WGS84 in the format given by the path's suffix."""
    return _write_wgs84
