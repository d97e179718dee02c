"""StreetNetwork: street segments as a GeoDataFrame plus the networkx graph joining them."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from numpy.typing import NDArray

SEGMENT_COLUMNS = ["segment_id", "district", "length_m", "road_class", "source", "geometry"]
_NODE_SNAP_M = 0.01  # endpoints closer than 1 cm are the same graph node


@dataclass
class StreetNetwork:
    """Street segments (one row per edge between two nodes) and their graph.

    ``segments`` columns: segment_id, district, length_m, road_class, source
    ('synthetic' | 'osm' | 'file'), geometry (LineString, METRIC_CRS).
    ``graph`` nodes carry ``x``, ``y``; edges carry ``segment_id`` and ``length``.
    ``node_xy`` / ``segment_nodes`` are the same graph as arrays, for vectorised work.
    """

    segments: gpd.GeoDataFrame
    graph: nx.Graph
    node_xy: NDArray[np.float64]
    segment_nodes: NDArray[np.int64]

    @property
    def total_km(self) -> float:
        """Total street length in kilometres."""
        return float(self.segments["length_m"].sum() / 1000.0)

    def node_degree(self) -> NDArray[np.int64]:
        """Number of segment ends meeting at each node."""
        return np.bincount(self.segment_nodes.ravel(), minlength=len(self.node_xy))


def endpoint_keys(xy: NDArray[np.float64]) -> NDArray[np.int64]:
    """Integer key of each point snapped to a 1 cm grid (unique per position)."""
    cells = np.round(xy / _NODE_SNAP_M).astype(np.int64)
    return (cells[:, 0] << 32) + cells[:, 1]


def build_network(segments: gpd.GeoDataFrame) -> StreetNetwork:
    """Number the segments, find shared end nodes and build the graph (vectorised)."""
    segments = segments.reset_index(drop=True)
    segments["segment_id"] = np.arange(len(segments), dtype=np.int64)
    segments["length_m"] = shapely.length(segments.geometry.to_numpy())
    segments = segments[SEGMENT_COLUMNS]
    coords, line_of = shapely.get_coordinates(segments.geometry.to_numpy(), return_index=True)
    counts = np.bincount(line_of, minlength=len(segments))
    last = np.cumsum(counts) - 1
    ends = np.concatenate([coords[last - counts + 1], coords[last]])
    _, first, inverse = np.unique(endpoint_keys(ends), return_index=True, return_inverse=True)
    node_xy = ends[first]
    seg_nodes = inverse.reshape(2, -1).T.astype(np.int64)
    graph = nx.Graph()
    graph.add_nodes_from(
        (i, {"x": float(x), "y": float(y)}) for i, (x, y) in enumerate(node_xy.tolist())
    )
    graph.add_edges_from(
        (u, v, {"segment_id": s, "length": length})
        for u, v, s, length in zip(
            seg_nodes[:, 0].tolist(),
            seg_nodes[:, 1].tolist(),
            segments["segment_id"].tolist(),
            segments["length_m"].tolist(),
            strict=True,
        )
    )
    return StreetNetwork(segments, graph, node_xy, seg_nodes)
