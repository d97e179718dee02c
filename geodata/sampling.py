"""Demand points and candidate camera sites along the streets (vectorised with shapely 2)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from geodata.crs import METRIC_CRS
from geodata.errors import GeodataError
from geodata.intensity import HOTSPOT_THRESHOLD, HotspotIntensity
from geodata.linear import LinePositions
from geodata.network import StreetNetwork


def check_spacing(spacing_m: float, name: str = "spacing_m") -> float:
    """The spacing as float, or GeodataError if it is not a positive number."""
    if not (isinstance(spacing_m, int | float) and np.isfinite(spacing_m) and spacing_m > 0):
        raise GeodataError(f"{name}={spacing_m!r}: spacing must be a positive number of metres")
    return float(spacing_m)


def sample_demand(
    streets: StreetNetwork, intensity: HotspotIntensity, spacing_m: float = 25.0
) -> gpd.GeoDataFrame:
    """Demand points every ``spacing_m`` along every street, at the centres of equal pieces.

    A segment of length L gets n = ceil(L / spacing) points at (k + 0.5) L / n; each stands
    for length_m = L / n of street, so weights sum to street length x intensity whatever the
    spacing. ``hotspot`` marks the points of segments whose mean intensity reaches
    HOTSPOT_THRESHOLD (a hot-spot street).
    """
    spacing = check_spacing(spacing_m)
    seg = streets.segments
    length = seg["length_m"].to_numpy()
    n = np.maximum(1, np.ceil(length / spacing - 1e-9)).astype(np.int64)
    owner = np.repeat(np.arange(len(seg)), n)
    k = np.arange(owner.size) - np.repeat(np.cumsum(n) - n, n)
    piece = length[owner] / n[owner]
    xy, _ = LinePositions(seg.geometry.to_numpy()).at(owner, (k + 0.5) * piece)
    points = shapely.points(xy)
    value = intensity.at(xy)
    seg_mean = np.bincount(owner, weights=value, minlength=len(seg)) / n
    return gpd.GeoDataFrame(
        {
            "demand_id": np.arange(owner.size, dtype=np.int64),
            "district": seg["district"].to_numpy()[owner],
            "segment_id": seg["segment_id"].to_numpy()[owner],
            "length_m": piece,
            "intensity": value,
            "weight": piece * value,
            "hotspot": (seg_mean >= HOTSPOT_THRESHOLD)[owner],
            "geometry": points,
        },
        crs=METRIC_CRS,
    )


def azimuth(dx: NDArray[np.float64], dy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Azimuth in degrees clockwise from north (grid north of METRIC_CRS), in [0, 360)."""
    return np.mod(np.degrees(np.arctan2(dx, dy)), 360.0)


def candidate_sites(streets: StreetNetwork, spacing_m: float = 25.0) -> gpd.GeoDataFrame:
    """Candidate camera sites: every graph node, plus points every ``spacing_m`` along streets.

    Nodes of degree != 2 are ``kind='intersection'`` (dead ends included), the rest
    ``'street'``. ``bearings`` lists the azimuths of the street directions leaving the site.
    """
    spacing = check_spacing(spacing_m, "site_spacing_m")
    positions = LinePositions(streets.segments.geometry.to_numpy())
    node_bearings, node_district = _node_sites(streets, positions)
    degree = streets.node_degree()
    street_xy, street_bearings, street_district = _street_sites(streets, positions, spacing)
    xy = np.concatenate([streets.node_xy, street_xy])
    kind = np.concatenate(
        [np.where(degree != 2, "intersection", "street"), np.full(len(street_xy), "street")]
    )
    return gpd.GeoDataFrame(
        {
            "site_id": np.arange(len(xy), dtype=np.int64),
            "district": np.concatenate([node_district, street_district]),
            "kind": kind,
            "bearings": node_bearings + street_bearings,
            "geometry": shapely.points(xy),
        },
        crs=METRIC_CRS,
    )


def _node_sites(
    streets: StreetNetwork, positions: LinePositions
) -> tuple[list[list[float]], NDArray[np.object_]]:
    """Bearings of every segment leaving each graph node, and the node's district."""
    seg = streets.segments
    owner = np.arange(len(seg))
    _, forward = positions.at(owner, np.zeros(len(seg)))
    _, backward = positions.at(owner, seg["length_m"].to_numpy())
    direction = np.stack([forward, -backward], axis=1)  # (n_seg, 2 ends, xy)
    bearing = np.round(azimuth(direction[..., 0], direction[..., 1]), 2).ravel()
    node = streets.segment_nodes.ravel()
    flat = bearing[np.lexsort((bearing, node))].tolist()  # by node, then by bearing
    ends = np.cumsum(np.bincount(node, minlength=len(streets.node_xy))).tolist()
    grouped = [flat[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
    district = np.empty(len(streets.node_xy), dtype=object)
    district[node] = np.repeat(seg["district"].to_numpy(), 2)
    return grouped, district


def _street_sites(
    streets: StreetNetwork, positions: LinePositions, spacing: float
) -> tuple[NDArray[np.float64], list[list[float]], NDArray[np.object_]]:
    """Interior points every ``spacing`` along each segment, with both street directions."""
    seg = streets.segments
    length = seg["length_m"].to_numpy()
    pieces = np.maximum(1, np.round(length / spacing)).astype(np.int64)
    inner = pieces - 1
    owner = np.repeat(np.arange(len(seg)), inner)
    k = 1 + np.arange(owner.size) - np.repeat(np.cumsum(inner) - inner, inner)
    xy, direction = positions.at(owner, k * length[owner] / pieces[owner])
    forward = np.round(azimuth(direction[:, 0], direction[:, 1]), 2)
    backward = np.round(np.mod(forward + 180.0, 360.0), 2)
    bearings = np.sort(np.stack([forward, backward], axis=1), axis=1).tolist()
    return xy, bearings, seg["district"].to_numpy()[owner]
