"""The city to plan: geodata's built-in Shenzhen, or streets with planning areas of their own.

``load_plan_city`` calls ``geodata.load_city`` for Shenzhen (all or ``only`` some
districts). With a ``districts`` file (polygons, e.g. the extent of an OSM extract from
anywhere) it assembles the same ``City`` from geodata's building blocks, with those
polygons as the districts; demand is then weighted by the given incidents/places, or
uniformly by street length when there are none.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS, Proj

from geodata import (
    DEFAULT_SEED,
    METRIC_CRS,
    City,
    HotspotIntensity,
    candidate_sites,
    load_city,
    load_hotspots,
    load_streets,
    sample_demand,
)
from planner.optimize.errors import PlannerInputError

DEFAULT_DEMAND_SPACING_M = 10.0
DEFAULT_SITE_SPACING_M = 25.0


def read_areas(path: str | Path) -> gpd.GeoDataFrame:
    """Planning areas from a polygon file: column ``district`` (or ``name``), else the file stem."""
    path = Path(path)
    if not path.is_file():
        raise PlannerInputError(f"districts file {path} does not exist")
    try:
        gdf = gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, ValueError) as exc:
        raise PlannerInputError(f"{path}: not a readable vector file ({exc})") from None
    if gdf.crs is None:
        raise PlannerInputError(f"{path}: no coordinate reference system")
    polygonal = gdf.geometry.notna() & gdf.geom_type.isin(["Polygon", "MultiPolygon"])
    if len(gdf) == 0 or not polygonal.all():
        raise PlannerInputError(f"{path}: needs Polygon/MultiPolygon features only")
    key = next((c for c in ("district", "name") if c in gdf.columns), None)
    names = gdf[key].astype(str) if key else [path.stem] * len(gdf)
    areas = gpd.GeoDataFrame({"district": names}, geometry=gdf.geometry.values, crs=gdf.crs)
    areas = areas.dissolve("district", as_index=False).to_crs(METRIC_CRS)
    areas["area_km2"] = areas.geometry.area / 1e6
    return areas


def _empty_hotspots() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"category": [], "weight": [], "source": [], "name": []},
        geometry=gpd.GeoSeries([], crs=METRIC_CRS),
        crs=METRIC_CRS,
    )


def load_plan_city(
    *,
    streets: Path | None = None,
    incidents: Path | None = None,
    places: Path | None = None,
    districts: Path | None = None,
    only: list[str] | None = None,
    spacing_m: float = DEFAULT_DEMAND_SPACING_M,
    site_spacing_m: float = DEFAULT_SITE_SPACING_M,
    seed: int = DEFAULT_SEED,
    progress: bool = True,
) -> City:
    """Load every layer the planner needs (Shenzhen by default)."""
    if districts is None:
        return load_city(
            streets=streets,
            incidents=incidents,
            places=places,
            only=only,
            spacing_m=spacing_m,
            site_spacing_m=site_spacing_m,
            seed=seed,
            progress=progress,
        )
    if streets is None:
        raise PlannerInputError(
            "--districts needs --streets (the synthetic streets are Shenzhen's)"
        )
    if only is not None:
        raise PlannerInputError(
            "--only selects Shenzhen districts; it cannot be used with --districts"
        )
    areas = read_areas(districts)
    network = load_streets(streets, districts=areas, seed=seed)
    if incidents is None and places is None:
        hotspots = _empty_hotspots()
        weighting = "uniform (no incidents or places given)"
    else:
        hotspots = load_hotspots(incidents, places, districts=areas, seed=seed)
        weighting = "incidents/places files"
    intensity = HotspotIntensity.from_points(hotspots)
    sources = {
        "districts": f"{districts} (planning areas)",
        "streets": str(streets),
        "incidents": str(incidents) if incidents else "",
        "places": str(places) if places else "",
        "demand weighting": weighting,
    }
    return City(
        districts=areas,
        streets=network,
        hotspots=hotspots,
        intensity=intensity,
        demand=sample_demand(network, intensity, spacing_m),
        candidates=candidate_sites(network, site_spacing_m),
        sources=sources,
    )


def crs_scale_factor(districts: gpd.GeoDataFrame) -> float:
    """Projected units per true metre at the districts' centre (1.0 for a local CRS).

    geodata keeps every layer in one CRS; far from its central meridian (an OSM extract
    from elsewhere) map distances stretch by this factor, so ranges are scaled by it.
    """
    crs = CRS.from_user_input(districts.crs)
    centre = gpd.GeoSeries([shapely.union_all(districts.geometry.values).centroid], crs=crs).to_crs(
        "EPSG:4326"
    )
    factors = Proj(crs).get_factors(centre.x.iloc[0], centre.y.iloc[0])
    scale = float(np.sqrt(factors.meridional_scale * factors.parallel_scale))
    return scale if np.isfinite(scale) and scale > 0 else 1.0
