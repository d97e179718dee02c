"""How often each point is seen, and what one more view of it is worth."""

from __future__ import annotations

import numpy as np

from planner.optimize._sparse import segment_sums
from planner.optimize._validate import Problem


class CoverageState:
    """View counts per point for a set of options, with O(column) add/remove/gain.

    ``value[p]`` is the worth of one more view of point p (weight times the marginal
    fraction of its next view), so an option's gain is the sum of ``value`` over its points.
    """

    def __init__(self, problem: Problem) -> None:
        self.p = problem
        self.count = np.zeros(problem.n_points, dtype=np.int32)
        self.value = problem.weights * problem.marginal[0]
        self.total = 0.0
        self._plain = problem.levels == 1
        for j in problem.fixed:
            self.add(int(j))

    def copy(self) -> CoverageState:
        """Independent copy (arrays duplicated, problem shared)."""
        other = object.__new__(CoverageState)
        other.p, other.total, other._plain = self.p, self.total, self._plain
        other.count, other.value = self.count.copy(), self.value.copy()
        return other

    def points(self, j: int) -> np.ndarray:
        """Points covered by option j."""
        return self.p.indices[self.p.indptr[j] : self.p.indptr[j + 1]]

    def gain(self, j: int) -> float:
        """Value option j would add now."""
        return float(self.value[self.points(j)].sum())

    def gains(self) -> np.ndarray:
        """Current gain of every option, O(nnz)."""
        return segment_sums(self.p.indptr, self.p.indices, self.value)

    def loss(self, j: int) -> float:
        """Value lost if chosen option j were removed."""
        idx = self.points(j)
        c = self.count[idx]
        return float(
            (self.p.weights[idx] * self.p.marginal[np.minimum(c - 1, self.p.levels)]).sum()
        )

    def add(self, j: int) -> float:
        """Add option j; return its gain."""
        idx = self.points(j)
        g = float(self.value[idx].sum())
        self.count[idx] += 1
        if self._plain:
            self.value[idx] = 0.0
        else:
            self.value[idx] = (
                self.p.weights[idx] * self.p.marginal[np.minimum(self.count[idx], self.p.levels)]
            )
        self.total += g
        return g

    def remove(self, j: int) -> float:
        """Remove option j; return the value lost."""
        idx = self.points(j)
        self.count[idx] -= 1
        c = np.minimum(self.count[idx], self.p.levels)
        lost = float((self.p.weights[idx] * self.p.marginal[c]).sum())
        self.value[idx] = self.p.weights[idx] * self.p.marginal[c]
        self.total -= lost
        return lost
