"""Unannounced inspections (明查暗访): a seeded, reproducible random sample of cameras.

Each district gets its own child generator, spawned from ``SeedSequence(seed)`` in district
name order, so a district's sample depends only on the seed, its place in the sorted
district list and its own population: the installed sites (ordered by ``camera_id``) that
were installed when the inspection was drawn. Recording the seed and the draw time is
therefore enough to redraw the identical sample.
"""

from __future__ import annotations

import secrets

import numpy as np
from numpy.typing import NDArray

MAX_SEED = 2**63 - 1


def new_seed() -> int:
    """A fresh random seed (63 bits, fits a signed BIGINT)."""
    return secrets.randbits(63)


def draw_sample(
    populations: dict[str, NDArray[np.int64]], per_district: int, seed: int
) -> dict[str, NDArray[np.int64]]:
    """Pick up to ``per_district`` items of each district's population without replacement.

    ``populations`` maps district name -> ids in a stable order (e.g. sorted by camera id);
    the result keeps, per district, the chosen ids in sampled order.
    """
    names = sorted(populations)
    children = np.random.SeedSequence(seed).spawn(len(names))
    sample: dict[str, NDArray[np.int64]] = {}
    for name, child in zip(names, children, strict=True):
        population = np.asarray(populations[name], dtype=np.int64)
        size = min(per_district, len(population))
        picks = np.random.default_rng(child).choice(len(population), size=size, replace=False)
        sample[name] = population[picks]
    return sample


def pass_counts(
    district_ids: NDArray[np.int64], outcomes: NDArray[np.str_]
) -> dict[int, tuple[int, int]]:
    """Checked and passed cameras per district id (unchecked results are ignored)."""
    checked = outcomes != ""
    ids, checked_n = np.unique(district_ids[checked], return_counts=True)
    passed_ids, passed_n = np.unique(district_ids[outcomes == "pass"], return_counts=True)
    passed = dict(zip(passed_ids.tolist(), passed_n.tolist(), strict=True))
    return {int(d): (int(n), int(passed.get(d, 0))) for d, n in zip(ids, checked_n, strict=True)}
