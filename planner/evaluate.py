"""What a chosen set of options covers, camera by camera, in selection order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

UNCOVERED = np.iinfo(np.int64).max


@dataclass(frozen=True)
class CoverageTrace:
    """Per point: the rank of the first new camera that covers it (-1 = existing cameras).

    ``gains[r]`` is the weight camera ``r`` adds given cameras ``0..r-1`` and the existing
    ones; ``curve[r]`` the covered weight after ``r`` new cameras (``curve[0]`` = existing).
    """

    first_rank: np.ndarray
    gains: np.ndarray
    curve: np.ndarray

    @property
    def covered(self) -> np.ndarray:
        """Boolean mask of covered points."""
        return self.first_rank != UNCOVERED


def trace_coverage(
    coverage: sp.csc_matrix, weights: np.ndarray, chosen: np.ndarray, fixed: np.ndarray
) -> CoverageTrace:
    """Replay ``chosen`` (in order) on top of ``fixed`` and record who covers what first."""
    coverage = sp.csc_matrix(coverage)
    first_rank = np.full(coverage.shape[0], UNCOVERED, dtype=np.int64)
    picked = coverage[:, chosen]
    rank_of_entry = np.repeat(np.arange(len(chosen), dtype=np.int64), np.diff(picked.indptr))
    rows, first_entry = np.unique(picked.indices, return_index=True)
    first_rank[rows] = rank_of_entry[first_entry]
    if len(fixed):
        first_rank[np.unique(coverage[:, fixed].indices)] = -1
    by_existing = first_rank == -1
    new = ~by_existing & (first_rank != UNCOVERED)
    gains = np.bincount(first_rank[new], weights=weights[new], minlength=len(chosen))
    curve = np.concatenate(
        [[weights[by_existing].sum()], weights[by_existing].sum() + np.cumsum(gains)]
    )
    return CoverageTrace(first_rank=first_rank, gains=gains, curve=curve)
