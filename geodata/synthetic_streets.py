"""Seeded synthetic street network for the built-in city (labelled ``source='synthetic'``).

No street data for Shenzhen exists offline, so the default network is generated: per
district a perturbed lattice (random rotation, nodes jittered by 15% of the spacing)
whose spacing is ``BASE_SPACING_M / urban_intensity``. A smooth seeded "land-use" field
(a sum of random plane waves with 2-8 km wavelengths, mapped to 0..1) removes minor
streets where it is low, more so in less urban districts, leaving green holes like the
real city's country parks. Every 8th lattice line is a primary road, every 4th a
secondary one; primaries are never removed. Streets are clipped to the district polygon.
Segments do not join across district borders (each district has its own lattice).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.special import ndtr

from geodata.crs import METRIC_CRS
from geodata.districts import BY_NAME

BASE_SPACING_M = 115.0
JITTER = 0.15
RANDOM_DROP = 0.08
_WAVES = 24


def land_use_field(xy: NDArray[np.float64], seed: int) -> NDArray[np.float64]:
    """Smooth seeded field in 0..1 (roughly uniform), evaluated at metric points (n, 2)."""
    rng = np.random.default_rng([seed, 7])
    wavelength = rng.uniform(2000.0, 8000.0, _WAVES)
    angle = rng.uniform(0.0, np.pi, _WAVES)
    phase = rng.uniform(0.0, 2.0 * np.pi, _WAVES)
    k = 2.0 * np.pi / wavelength
    arg = xy[:, :1] * (k * np.cos(angle)) + xy[:, 1:2] * (k * np.sin(angle)) + phase
    return ndtr(np.cos(arg).sum(axis=1) / np.sqrt(_WAVES / 2.0))


def _lattice_edges(
    polygon: shapely.Geometry, spacing: float, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Jittered, rotated lattice over the polygon: edge start/end points and line rank.

    Rank 0 = primary (every 8th line), 1 = secondary (every 4th), 2 = residential.
    """
    theta = rng.uniform(0.0, np.pi / 2.0)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    centre = np.asarray(shapely.centroid(polygon).coords[0])
    local = (shapely.get_coordinates(polygon) - centre) @ rot  # into the lattice frame
    lo = np.floor(local.min(axis=0) / spacing) - 1
    hi = np.ceil(local.max(axis=0) / spacing) + 1
    ii, jj = np.meshgrid(np.arange(lo[0], hi[0] + 1), np.arange(lo[1], hi[1] + 1), indexing="ij")
    nodes = np.stack([ii, jj], axis=-1) * spacing
    nodes += rng.normal(0.0, JITTER * spacing, nodes.shape).clip(-0.4 * spacing, 0.4 * spacing)
    nodes = nodes @ rot.T + centre  # back to metric coordinates
    rank_i = np.where(ii % 8 == 0, 0, np.where(ii % 4 == 0, 1, 2)).astype(np.int64)
    rank_j = np.where(jj % 8 == 0, 0, np.where(jj % 4 == 0, 1, 2)).astype(np.int64)
    starts = np.concatenate([nodes[:-1, :].reshape(-1, 2), nodes[:, :-1].reshape(-1, 2)])
    ends = np.concatenate([nodes[1:, :].reshape(-1, 2), nodes[:, 1:].reshape(-1, 2)])
    # edges along axis 0 lie on a line of constant j, and vice versa
    rank = np.concatenate([rank_j[:-1, :].ravel(), rank_i[:, :-1].ravel()])
    return starts, ends, rank


def _clip(
    starts: NDArray[np.float64], ends: NDArray[np.float64], polygon: shapely.Geometry
) -> tuple[NDArray[np.object_], NDArray[np.int64]]:
    """Lines clipped to the polygon, with the index of the edge each piece came from."""
    shapely.prepare(polygon)
    inside_a = shapely.contains_xy(polygon, starts[:, 0], starts[:, 1])
    inside_b = shapely.contains_xy(polygon, ends[:, 0], ends[:, 1])
    touching = np.flatnonzero(inside_a | inside_b)
    lines = shapely.linestrings(
        np.stack([starts[touching], ends[touching]], axis=1).reshape(-1, 2),
        indices=np.repeat(np.arange(touching.size), 2),
    )
    # A segment whose two ends lie at least its own length inside the border is inside:
    # only the few segments near the border need the (slow) exact test.
    longest = float(np.hypot(*(ends - starts).T).max(initial=0.0))
    core = shapely.buffer(polygon, -longest)
    shapely.prepare(core)
    a, b = starts[touching], ends[touching]
    deep = shapely.contains_xy(core, a[:, 0], a[:, 1]) & shapely.contains_xy(core, b[:, 0], b[:, 1])
    within = deep.copy()
    within[~deep] = shapely.within(lines[~deep], polygon)
    crossing = np.flatnonzero(~within)
    pieces = shapely.intersection(lines[crossing], polygon)
    parts, part_of = shapely.get_parts(pieces, return_index=True)
    keep = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 1.0)
    geoms = np.concatenate([lines[within], parts[keep]])
    origin = np.concatenate([touching[within], touching[crossing[part_of[keep]]]])
    return geoms, origin


def synthetic_district_streets(
    district: str, polygon: shapely.Geometry, seed: int
) -> gpd.GeoDataFrame:
    """The synthetic streets of one district (columns district, road_class, source, geometry)."""
    info = BY_NAME[district]
    rng = np.random.default_rng([seed, info.code])
    spacing = BASE_SPACING_M / info.urban_intensity
    starts, ends, rank = _lattice_edges(polygon, spacing, rng)
    land_use = land_use_field((starts + ends) / 2.0, seed)
    threshold = np.array([0.0, 0.5, 0.8])[rank] * (1.0 - info.urban_intensity)
    keep = (land_use >= threshold) & ((rank == 0) | (rng.random(rank.size) >= RANDOM_DROP))
    geoms, origin = _clip(starts[keep], ends[keep], polygon)
    road_class = np.array(["primary", "secondary", "residential"])[rank[keep][origin]]
    return gpd.GeoDataFrame(
        {"district": district, "road_class": road_class, "source": "synthetic"},
        geometry=geoms,
        crs=METRIC_CRS,
    )
