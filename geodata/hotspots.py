"""Hot-spots: incidents and priority places, with a weight per category of the plan."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.crs import METRIC_CRS, WGS84
from geodata.districts import BY_NAME, load_districts, require_inside
from geodata.errors import GeodataError, shown
from geodata.io import read_vector

ANCHORS_FILE = Path(__file__).parent / "data" / "shenzhen_anchors.csv"
HOTSPOT_COLUMNS = ["category", "weight", "source", "name", "geometry"]

# Priority categories named in the plan, and their default weight: the height (in units of
# the background intensity 1.0) of the bump each place of the category adds. "incident" is
# the category of recorded incidents without one of their own.
DEFAULT_CATEGORY_WEIGHTS: dict[str, float] = {
    "port": 8.0,
    "transit_hub": 6.0,
    "urban_village": 5.0,
    "complex_area": 5.0,
    "entertainment": 4.0,
    "internet_cafe": 3.0,
    "secondhand_market": 3.0,
    "pawn_market": 3.0,
    "incident": 1.0,
}
CATEGORIES = tuple(DEFAULT_CATEGORY_WEIGHTS)

# Built-in synthetic incidents: per place, INCIDENTS_PER_WEIGHT x its category weight
# incidents scattered around it (Gaussian, CLUSTER_SD_M); plus BACKGROUND_PER_KM2 x urban
# intensity incidents per km2 spread uniformly over each district.
INCIDENTS_PER_WEIGHT = 3
CLUSTER_SD_M = 400.0
BACKGROUND_PER_KM2 = 0.2
INTERNET_CAFES_PER_VILLAGE = 3
ANCHOR_SNAP_M = 600.0  # border ports sit on the boundary river: snap them just inside


def resolve_category_weights(category_weights: Mapping[str, float] | None) -> dict[str, float]:
    """Defaults overridden by ``category_weights``; unknown keys or bad values raise."""
    weights = dict(DEFAULT_CATEGORY_WEIGHTS)
    for key, value in (category_weights or {}).items():
        if key not in weights:
            raise GeodataError(
                f"unknown category weight key {key!r}; known categories: {', '.join(CATEGORIES)}"
            )
        if not np.isfinite(value) or value < 0:
            raise GeodataError(f"category weight {key}={value!r} must be a number >= 0")
        weights[key] = float(value)
    return weights


def load_hotspots(
    incidents: Path | str | None = None,
    places: Path | str | None = None,
    *,
    category_weights: Mapping[str, float] | None = None,
    districts: gpd.GeoDataFrame | None = None,
    seed: int = 20061,
) -> gpd.GeoDataFrame:
    """Hot-spot points (category, weight, source, name, geometry) in METRIC_CRS.

    With neither file given: the built-in real anchor places plus seeded synthetic
    incidents. Files: CSV (lon/lat) or any vector file of points; optional columns
    ``weight`` (default 1), ``category`` (default 'incident' for incidents; required for
    places) and ``name``. Each point's weight is its own weight times its category weight.
    """
    weights = resolve_category_weights(category_weights)
    districts = load_districts() if districts is None else districts
    if incidents is None and places is None:
        frames = builtin_hotspots(districts, seed)
    else:
        frames = [
            _read_points(Path(p), districts, default_category=cat)
            for p, cat in ((incidents, "incident"), (places, None))
            if p is not None
        ]
    hotspots = pd.concat(frames, ignore_index=True)
    hotspots["weight"] = hotspots["weight"] * hotspots["category"].map(weights)
    return gpd.GeoDataFrame(hotspots[HOTSPOT_COLUMNS], geometry="geometry", crs=METRIC_CRS)


def _read_points(
    path: Path, districts: gpd.GeoDataFrame, *, default_category: str | None
) -> gpd.GeoDataFrame:
    """A user's incidents or places file, checked and labelled ``source='file'``."""
    gdf = read_vector(path, "points")
    if "category" not in gdf.columns:
        if default_category is None:
            raise GeodataError(f"{path}: places need a 'category' column ({', '.join(CATEGORIES)})")
        gdf["category"] = default_category
    gdf["category"] = gdf["category"].fillna(default_category or "").astype(str)
    unknown = ~gdf["category"].isin(CATEGORIES)
    if unknown.any():
        value = gdf["category"][unknown].iloc[0]
        raise GeodataError(
            f"{path}: field 'category': unknown value {shown(value)}; "
            f"known: {', '.join(CATEGORIES)}"
        )
    weight = pd.to_numeric(gdf.get("weight", 1.0), errors="coerce")
    weight = pd.Series(weight, index=gdf.index) if np.ndim(weight) == 0 else weight
    bad = weight.isna() | (weight < 0)
    if bad.any():
        raise GeodataError(
            f"{path}: field 'weight': invalid value {shown(gdf['weight'][bad].iloc[0])} (need >= 0)"
        )
    xy = shapely.get_coordinates(gdf.geometry.values)
    require_inside(xy, districts, what=str(path))
    name = gdf["name"].astype(str) if "name" in gdf.columns else pd.Series("", index=gdf.index)
    return gpd.GeoDataFrame(
        {
            "category": gdf["category"],
            "weight": weight.astype(float),
            "source": "file",
            "name": name,
        },
        geometry=gdf.geometry,
        crs=METRIC_CRS,
    )


def builtin_hotspots(districts: gpd.GeoDataFrame, seed: int) -> list[gpd.GeoDataFrame]:
    """Real anchor places (cited in the CSV) plus seeded synthetic incidents and cafés."""
    anchors = _anchor_places(districts)
    rng = np.random.default_rng([seed, 11])
    cafes = _scatter(
        anchors[anchors["category"] == "urban_village"],
        INTERNET_CAFES_PER_VILLAGE,
        300.0,
        rng,
        districts,
    )
    cafes = cafes.assign(category="internet_cafe", name=cafes["name"] + " internet cafe")
    places = pd.concat([anchors, cafes], ignore_index=True)
    counts = INCIDENTS_PER_WEIGHT * places["category"].map(DEFAULT_CATEGORY_WEIGHTS).astype(int)
    clustered = _scatter(places, counts.to_numpy(), CLUSTER_SD_M, rng, districts)
    background = _background_incidents(districts, rng)
    incidents = pd.concat([clustered, background], ignore_index=True)
    incidents = incidents.assign(category="incident", weight=1.0, source="synthetic")
    return [places, incidents]


def _anchor_places(districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The real public places of the anchors file inside the districts (snapped to them)."""
    table = pd.read_csv(ANCHORS_FILE)
    points = gpd.GeoSeries(gpd.points_from_xy(table["lon"], table["lat"]), crs=WGS84)
    points = points.to_crs(METRIC_CRS).to_numpy()
    area = shapely.union_all(districts.geometry.values)
    distance = shapely.distance(points, area)
    outside = distance > 0
    inside = shapely.buffer(area, -20.0)  # snap 20 m inside, off the boundary line
    points[outside] = shapely.get_point(shapely.shortest_line(inside, points[outside]), 0)
    near = distance <= ANCHOR_SNAP_M
    return _points_frame(
        table["category"][near].to_numpy(),
        1.0,
        "anchor",
        table["name"][near].to_numpy(),
        shapely.get_coordinates(points[near]),
    )


def _scatter(
    places: gpd.GeoDataFrame,
    counts: np.ndarray | int,
    sd_m: float,
    rng: np.random.Generator,
    districts: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Points scattered (Gaussian, sd_m) around places; those off the districts dropped."""
    counts = np.broadcast_to(np.asarray(counts), len(places))
    idx = np.repeat(np.arange(len(places)), counts)
    centre = shapely.get_coordinates(places.geometry.values)[idx]
    xy = centre + rng.normal(0.0, sd_m, centre.shape)
    inside = _inside_any(xy, districts)
    return _points_frame(
        places["category"].to_numpy()[idx][inside],
        1.0,
        "synthetic",
        places["name"].to_numpy()[idx][inside],
        xy[inside],
    )


def _background_incidents(
    districts: gpd.GeoDataFrame, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    """Incidents spread uniformly over each district, denser in more urban ones."""
    frames = []
    for row in districts.itertuples():
        n = rng.poisson(BACKGROUND_PER_KM2 * BY_NAME[row.district].urban_intensity * row.area_km2)
        minx, miny, maxx, maxy = row.geometry.bounds
        box_area = (maxx - minx) * (maxy - miny)
        draws = max(16, int(3 * n * box_area / row.geometry.area))
        xy = rng.uniform((minx, miny), (maxx, maxy), (draws, 2))
        xy = xy[shapely.contains_xy(row.geometry, xy[:, 0], xy[:, 1])][:n]
        frames.append(_points_frame("incident", 1.0, "synthetic", f"{row.district} background", xy))
    return pd.concat(frames, ignore_index=True)


def _inside_any(xy: np.ndarray, districts: gpd.GeoDataFrame) -> np.ndarray:
    area = shapely.union_all(districts.geometry.values)
    shapely.prepare(area)
    return shapely.contains_xy(area, xy[:, 0], xy[:, 1])


def _points_frame(
    category: object, weight: object, source: str, name: object, xy: np.ndarray
) -> gpd.GeoDataFrame:
    """A hot-spot frame from columns (arrays or scalars broadcast to the points)."""
    return gpd.GeoDataFrame(
        {
            "category": category,
            "weight": weight,
            "source": source,
            "name": name,
            "geometry": shapely.points(xy),
        },
        index=pd.RangeIndex(len(xy)),
        crs=METRIC_CRS,
    )
