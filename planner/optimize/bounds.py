"""Upper bounds on the best reachable coverage value: online, Lagrangian and LP.

All three are certificates: the optimum can never exceed them, so ``1 - value / bound``
is a proven optimality gap.
"""

from __future__ import annotations

import time

import numpy as np

from planner.optimize._highs import coverage_model, solve_model
from planner.optimize._relaxed import relaxed_selection
from planner.optimize._sparse import gather, segment_sums
from planner.optimize._state import CoverageState
from planner.optimize._validate import Problem

LP_MAX_NNZ = 500_000


def online_bound(p: Problem, state: CoverageState) -> float:
    """Current value plus the best feasible total of current marginal gains (submodularity).

    For any plan X: f(X) <= f(S u X) <= f(S) + sum of gain(x | S) over x in X.
    """
    gains = state.gains()
    return state.total + relaxed_selection(gains, p)[0]


def _point_levels(p: Problem, fixed_count: np.ndarray) -> np.ndarray:
    """Value of each remaining view level per point, shape (levels, n_points)."""
    lv = np.minimum(fixed_count[None, :] + np.arange(p.levels)[:, None], p.levels)
    return p.weights[None, :] * p.marginal[lv]


def lagrangian_bound(
    p: Problem,
    fixed_state: CoverageState,
    lower: float,
    *,
    seconds: float,
    max_iter: int = 200,
    theta0: float = 2.0,
    deflection: float = 1.5,
) -> float:
    """Relax "a point counts only if covered" with multipliers; subgradient, O(nnz) per step.

    L(lam) = fixed value + sum_p sum_l max(0, v_pl - lam_p) + best selection of A^T lam,
    which bounds the optimum for every lam >= 0. Polyak steps toward ``lower`` along a
    deflected subgradient (Camerini-Fratta-Maffioli), which zig-zags less.
    """
    levels = _point_levels(p, fixed_state.count)
    top = levels[0]
    lam = top.copy()
    reach = np.bincount(
        gather(p.indptr, p.indices, np.flatnonzero(p.eligible))[0], minlength=p.n_points
    )
    shared = reach >= 2  # a point only one option sees is best priced at its full value
    best = np.inf
    theta, stall = theta0, 0
    direction = np.zeros_like(lam)
    stop = time.perf_counter() + seconds
    for _ in range(max_iter):
        point_part = float(np.maximum(levels - lam[None, :], 0.0).sum())
        opt_values = segment_sums(p.indptr, p.indices, lam)
        sel_value, x = relaxed_selection(opt_values, p)
        value = fixed_state.total + point_part + sel_value
        if value < best - 1e-12 * abs(value):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 5:
                theta, stall = theta / 2, 0
        if time.perf_counter() > stop or best - lower <= 1e-9 * max(abs(best), 1.0):
            break
        picked = np.flatnonzero(x)
        pts, owner = gather(p.indptr, p.indices, picked)
        covered = np.bincount(pts, weights=x[picked][owner], minlength=p.n_points)
        sub = np.where(shared, covered - (levels > lam[None, :]).sum(axis=0), 0.0)
        turn = float(sub @ direction)
        beta = deflection * max(0.0, -turn / max(float(direction @ direction), 1e-300))
        direction = sub + beta * direction
        norm = float(direction @ direction)
        if norm == 0.0:
            break
        lam = np.clip(lam - theta * (value - lower) / norm * direction, 0.0, top)
    return best


def lp_bound(p: Problem, *, time_limit: float | None) -> float | None:
    """LP relaxation value via HiGHS, or None if it did not solve to optimality in time."""
    model = coverage_model(p, integer=False)
    result = solve_model(model, time_limit=time_limit)
    if result.status != "optimal":
        return None
    return result.objective + model.constant
