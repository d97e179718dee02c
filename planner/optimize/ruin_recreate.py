"""Iterated local search: ruin a neighbourhood of the plan, refill greedily, swap, keep if better.

1-swap local optima of clustered instances still sit a fraction of a percent under the
optimum; removing a few chosen options that compete for the same points and rebuilding
them (greedy, then 1-swap) escapes many of them. Seeded, so runs are reproducible.
"""

from __future__ import annotations

import time

import numpy as np

from planner.optimize._sparse import gather
from planner.optimize._state import CoverageState
from planner.optimize._validate import Problem
from planner.optimize.lazy_greedy import lazy_greedy
from planner.optimize.local_search import propagate, swap_local_search

MAX_STALL = 10
RUIN_SIZE = 8


def _neighbourhood(
    p: Problem, chosen: np.ndarray, centre: int, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Options within two hops of ``centre``: (up to ``size`` chosen ones to ruin, all chosen
    ones, all of them)."""
    rows_ptr, rows_opt = p.csr
    near = np.array([centre])
    for _ in range(2):
        pts, _ = gather(p.indptr, p.indices, near)
        near = np.unique(gather(rows_ptr, rows_opt, np.unique(pts))[0])
    close = np.intersect1d(chosen, near)
    return close[:size], close, near


def _refill(p: Problem, state: CoverageState, chosen: list[int]) -> list[int]:
    """Greedily use capacity left free (a saturated greedy or a swap can leave some)."""
    budget = _budget_left(p, chosen)
    room = None if p.k is None else p.k - len(chosen)
    if room == 0 or (budget is not None and budget <= 0):
        return chosen
    mask = p.eligible.copy()
    mask[chosen] = False
    run = lazy_greedy(
        p, state, eligible=mask, k=room, budget=budget, by_ratio=budget is not None, taken=chosen
    )
    return chosen + run.chosen


def _budget_left(p: Problem, chosen: list[int]) -> float | None:
    if p.budget is None or p.costs is None:
        return None
    return p.budget - float(p.costs[chosen].sum())


def _recreate(
    p: Problem,
    trial: CoverageState,
    gains: np.ndarray,
    keep: list[int],
    ruined: set[int],
    near: np.ndarray,
) -> list[int]:
    """Refill the ruined places from the options near them (never the ruined ones).

    ``gains`` is exact for ``trial`` before and is kept exact after.
    """
    local = np.zeros(p.n_options, dtype=bool)
    local[near] = True
    local &= p.eligible
    local[keep] = False
    local[list(ruined)] = False
    region = np.unique(gather(p.indptr, p.indices, np.flatnonzero(local))[0])
    before = trial.value[region].copy()
    budget = _budget_left(p, keep)
    run = lazy_greedy(
        p,
        trial,
        eligible=local,
        k=p.k - len(keep) if p.k is not None else None,
        budget=budget,
        by_ratio=budget is not None,
        initial_gains=gains,
        taken=keep,
    )
    propagate(p, gains, trial, region, before)
    return run.chosen


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
    gains = state.gains()
    rng = np.random.default_rng(seed)
    stall = 0
    improvements = swaps
    while stall < MAX_STALL and time.perf_counter() < deadline and chosen:
        arr = np.asarray(chosen)
        centre = int(arr[rng.integers(arr.size)])
        ruin, close, near = _neighbourhood(p, arr, centre, RUIN_SIZE)
        ruined = set(ruin.tolist())
        keep = [j for j in chosen if j not in ruined]
        trial, trial_gains = state.copy(), gains.copy()
        for j in ruined:
            pts = trial.points(j)
            before = trial.value[pts].copy()
            trial.remove(j)
            propagate(p, trial_gains, trial, pts, before)
        added = _recreate(p, trial, trial_gains, keep, ruined, near)
        candidate, _ = swap_local_search(
            p,
            trial,
            keep + added,
            deadline=deadline,
            focus=np.union1d(close, added),
            gains=trial_gains,
        )
        if trial.total > state.total * (1 + 1e-12):
            state, chosen, gains, stall = trial, candidate, trial_gains, 0
            improvements += 1
        else:
            stall += 1
    return state, chosen, improvements
