"""Line of sight: does a building footprint stand between a camera and a demand point?"""

from __future__ import annotations

import numpy as np
import shapely

# Footprints are shrunk by this much before testing, so a camera mounted on a facade (or a
# sight line grazing a wall) is not blocked by the very wall it hangs on.
WALL_TOLERANCE_M = 0.3


class Occluders:
    """Building footprints in an STRtree, ready for bulk sight-line queries."""

    def __init__(self, footprints: np.ndarray) -> None:
        shrunk = shapely.buffer(np.asarray(footprints, dtype=object), -WALL_TOLERANCE_M)
        shrunk = shrunk[~shapely.is_empty(shrunk)]
        self.count = len(shrunk)
        self.tree = shapely.STRtree(shrunk)

    def blocked(self, origins: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """True where the segment origin -> target intersects a footprint; (n, 2) inputs."""
        blocked = np.zeros(len(origins), dtype=bool)
        if self.count == 0 or len(origins) == 0:
            return blocked
        lines = shapely.linestrings(np.stack([origins, targets], axis=1))
        hit, _ = self.tree.query(lines, predicate="intersects")
        blocked[hit] = True
        return blocked
