"""Points and directions at distances along many LineStrings, in pure numpy.

shapely's ``line_interpolate_point`` costs a GEOS call per point; for millions of demand
points and candidate sites we instead flatten all vertices once and locate every query
with one ``searchsorted`` on the cumulative length.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray


class LinePositions:
    """Vertex table of an array of LineStrings for fast positional lookups."""

    def __init__(self, lines: NDArray[np.object_]) -> None:
        coords, line_of = shapely.get_coordinates(lines, return_index=True)
        self.coords = coords
        counts = np.bincount(line_of, minlength=len(lines))
        self.first = np.cumsum(counts) - counts  # index of each line's first vertex
        self.last = self.first + counts - 1
        step = np.hypot(*np.diff(coords, axis=0).T)
        step[self.last[:-1]] = 0.0  # no length between one line's end and the next's start
        self.cum = np.concatenate([[0.0], np.cumsum(step)])
        self.step = np.append(step, 0.0)

    def at(
        self, owner: NDArray[np.int64], distance: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Points (n, 2) at ``distance`` along line ``owner``, and the unit direction there."""
        start = self.first[owner]
        end = self.last[owner]
        length = self.cum[end] - self.cum[start]
        target = self.cum[start] + np.clip(distance, 0.0, length)
        vertex = np.searchsorted(self.cum, target, side="right") - 1
        vertex = np.clip(vertex, start, np.maximum(end - 1, start))
        while True:  # skip zero-length pieces (repeated vertices) to get a direction
            flat = (self.step[vertex] == 0.0) & (vertex < end - 1)
            if not flat.any():
                break
            vertex[flat] += 1
        a = self.coords[vertex]
        b = self.coords[np.minimum(vertex + 1, end)]
        piece = np.where(self.step[vertex] > 0, self.step[vertex], 1.0)
        frac = np.clip((target - self.cum[vertex]) / piece, 0.0, 1.0)
        direction = (b - a) / piece[:, None]
        return a + (b - a) * frac[:, None], direction
