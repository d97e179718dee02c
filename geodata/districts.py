"""Shenzhen's nine administrative districts (real boundaries, shipped with the package)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from geodata.crs import METRIC_CRS, WGS84
from geodata.errors import GeodataError

DISTRICTS_FILE = Path(__file__).parent / "data" / "shenzhen_districts.geojson"


@dataclass(frozen=True)
class District:
    """A district's key (English ASCII name), Chinese name, code and urban intensity.

    ``urban_intensity`` (0..1) drives the density of the synthetic street network:
    1 is the densest core (Futian), lower values are the greener, more industrial or
    mountainous outer districts. The values are an ordinal judgement from public
    population-density figures, documented in the README; they are not measured data.
    """

    name: str
    name_zh: str
    code: int
    urban_intensity: float


DISTRICTS: tuple[District, ...] = (
    District("Luohu", "罗湖区", 440303, 0.85),
    District("Futian", "福田区", 440304, 1.00),
    District("Nanshan", "南山区", 440305, 0.80),
    District("Baoan", "宝安区", 440306, 0.75),
    District("Longgang", "龙岗区", 440307, 0.55),
    District("Yantian", "盐田区", 440308, 0.40),
    District("Longhua", "龙华区", 440309, 0.75),
    District("Pingshan", "坪山区", 440310, 0.45),
    District("Guangming", "光明区", 440311, 0.50),
)
DISTRICT_NAMES: tuple[str, ...] = tuple(d.name for d in DISTRICTS)
BY_NAME: dict[str, District] = {d.name: d for d in DISTRICTS}


@lru_cache(maxsize=1)
def _load_all() -> gpd.GeoDataFrame:
    gdf = gpd.read_file(DISTRICTS_FILE).to_crs(METRIC_CRS)
    gdf["area_km2"] = gdf.geometry.area / 1e6
    gdf["code"] = gdf["code"].astype(int)
    return gdf[["district", "name_zh", "code", "area_km2", "source_area_km2", "geometry"]]


def load_districts(only: list[str] | None = None) -> gpd.GeoDataFrame:
    """The districts (district, name_zh, code, area_km2, geometry) in METRIC_CRS.

    ``only`` restricts to the named districts (keys as in DISTRICT_NAMES).
    """
    gdf = _load_all()
    if only is not None:
        check_district_names(only)
        gdf = gdf[gdf["district"].isin(only)]
    return gdf.drop(columns="source_area_km2").reset_index(drop=True).copy()


def check_district_names(names: list[str]) -> None:
    """Raise GeodataError naming any unknown district key."""
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise GeodataError(
            f"unknown district {unknown[0]!r}; known districts: {', '.join(DISTRICT_NAMES)}"
        )
    if not names:
        raise GeodataError("the district list is empty")


def locate(xy: NDArray[np.float64], districts: gpd.GeoDataFrame) -> NDArray[np.object_]:
    """District key of each metric point (n, 2); None where it lies outside every district."""
    points = shapely.points(xy)
    tree = shapely.STRtree(districts.geometry.values)
    point_idx, district_idx = tree.query(points, predicate="intersects")
    names = np.full(len(xy), None, dtype=object)
    names[point_idx] = districts["district"].to_numpy()[district_idx]
    return names


def require_inside(
    xy: NDArray[np.float64], districts: gpd.GeoDataFrame, *, what: str
) -> NDArray[np.object_]:
    """Locate points; raise GeodataError with a count and an example if any is outside."""
    names = locate(xy, districts)
    outside = np.flatnonzero(names == None)  # noqa: E711 (elementwise on an object array)
    if outside.size:
        example = gpd.GeoSeries(shapely.points(xy[outside[:1]]), crs=METRIC_CRS).to_crs(WGS84)
        lon, lat = example.x.iloc[0], example.y.iloc[0]
        raise GeodataError(
            f"{what}: {outside.size} of {len(xy)} points lie outside every district, e.g. "
            f"lon={lon:.5f}, lat={lat:.5f} (swapped lat/lon or wrong CRS?)"
        )
    return names
