"""Largest-remainder apportionment: split an integer total in proportion to shares."""

from __future__ import annotations

import numpy as np


def largest_remainder(shares: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``shares`` that sum exactly to ``total`` (Hamilton's method).

    Ties in the remainders go to the earlier entry, so the result is deterministic.
    """
    shares = np.asarray(shares, dtype=np.float64)
    if total == 0 or shares.sum() <= 0:
        return np.zeros(len(shares), dtype=np.int64)
    exact = shares / shares.sum() * total
    floor = np.floor(exact).astype(np.int64)
    missing = int(total - floor.sum())
    order = np.lexsort((np.arange(len(shares)), -(exact - floor)))
    floor[order[:missing]] += 1
    return floor
