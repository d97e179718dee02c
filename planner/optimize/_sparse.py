"""Vectorised helpers over compressed sparse structure (indptr, indices)."""

from __future__ import annotations

import itertools

import numpy as np

CHUNK_NNZ = 4_000_000


def gather(
    indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Entries of the given compressed rows: (their indices, position in ``rows`` of each)."""
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    total = int(lengths.sum())
    owner = np.repeat(np.arange(rows.size), lengths)
    offsets = np.cumsum(lengths) - lengths
    pos = np.arange(total, dtype=np.int64) - np.repeat(offsets - starts, lengths)
    return indices[pos], owner


def segment_sums(indptr: np.ndarray, indices: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per compressed row, the sum of ``values`` at its indices (A^T v for a CSC A).

    Processed in chunks of about CHUNK_NNZ entries so the gathered temporary stays small.
    """
    n = indptr.size - 1
    out = np.zeros(n, dtype=np.float64)
    bounds = np.searchsorted(indptr, np.arange(0, int(indptr[-1]) + CHUNK_NNZ, CHUNK_NNZ))
    cuts = np.unique(np.concatenate([[0], np.clip(bounds, 0, n), [n]]))
    for a, b in itertools.pairwise(cuts.tolist()):
        lo, hi = int(indptr[a]), int(indptr[b])
        if hi == lo:
            continue
        seg = values[indices[lo:hi]]
        nonempty = np.flatnonzero(indptr[a + 1 : b + 1] > indptr[a:b])
        out[a + nonempty] = np.add.reduceat(seg, indptr[a + nonempty] - lo)
    return out
