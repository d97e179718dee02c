"""Iterated local search: ruin a neighbourhood of the plan, refill greedily, swap, keep if better.

1-swap local optima of clustered instances still sit a fraction of a percent under the
optimum; removing a few chosen options that compete for the same points and rebuilding
them (greedy, then 1-swap) escapes many of them. Seeded, so runs are reproducible.
"""

from __future__ import annotations

import time
from collections.abc import Collection

import numpy as np

from planner.optimize._sparse import gather
from planner.optimize._state import CoverageState
from planner.optimize._validate import Problem
from planner.optimize.lazy_greedy import lazy_greedy
from planner.optimize.local_search import swap_local_search

MAX_STALL = 10
RUIN_SIZE = 8


def _neighbourhood(
    p: Problem, chosen: np.ndarray, centre: int, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """(Up to ``size`` chosen options near ``centre`` to ruin, all chosen options near it)."""
    rows_ptr, rows_opt = p.csr
    near = np.array([centre])
    for _ in range(2):
        pts, _ = gather(p.indptr, p.indices, near)
        near = np.unique(gather(rows_ptr, rows_opt, np.unique(pts))[0])
    close = np.intersect1d(chosen, near)
    return close[:size], close


def _refill(
    p: Problem, state: CoverageState, chosen: list[int], banned: Collection[int] = ()
) -> list[int]:
    """Greedily use capacity left free, never picking ``banned`` options."""
    budget = None
    if p.budget is not None and p.costs is not None:
        budget = p.budget - float(p.costs[chosen].sum())
    room = None if p.k is None else p.k - len(chosen)
    if room == 0 or (budget is not None and budget <= 0):
        return chosen
    mask = p.eligible.copy()
    mask[chosen] = False
    mask[list(banned)] = False
    run = lazy_greedy(
        p, state, eligible=mask, k=room, budget=budget, by_ratio=budget is not None, taken=chosen
    )
    return chosen + run.chosen


def iterated_local_search(
    p: Problem, state: CoverageState, chosen: list[int], *, deadline: float, seed: int = 0
) -> tuple[CoverageState, list[int], int]:
    """1-swap search, then ruin-and-recreate rounds until MAX_STALL fail in a row or time is up.

    Returns the best state, its options (kept in their greedy order, new ones appended)
    and the number of improvements.
    """
    chosen, swaps = swap_local_search(p, state, chosen, deadline=deadline)
    filled = _refill(p, state, chosen)
    swaps += len(filled) - len(chosen)
    chosen = filled
    rng = np.random.default_rng(seed)
    stall = 0
    improvements = swaps
    while stall < MAX_STALL and time.perf_counter() < deadline and chosen:
        arr = np.asarray(chosen)
        centre = int(arr[rng.integers(arr.size)])
        ruin, close = _neighbourhood(p, arr, centre, RUIN_SIZE)
        ruined = set(ruin.tolist())
        keep = [j for j in chosen if j not in ruined]
        trial = state.copy()
        for j in ruined:
            trial.remove(j)
        added = _refill(p, trial, keep, banned=ruined)[len(keep) :]
        focus = np.union1d(close, added)
        candidate, _ = swap_local_search(p, trial, keep + added, deadline=deadline, focus=focus)
        candidate = _refill(p, trial, candidate)
        if trial.total > state.total * (1 + 1e-12):
            state, chosen, stall = trial, candidate, 0
            improvements += 1
        else:
            stall += 1
    return state, chosen, improvements
