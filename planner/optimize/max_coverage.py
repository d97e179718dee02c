"""Weighted maximum coverage: lazy greedy, swap local search and a bound certificate."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from planner.optimize._state import CoverageState
from planner.optimize._validate import BOUND_METHODS, Problem, validate_max_coverage
from planner.optimize.bounds import LP_MAX_NNZ, lagrangian_bound, lp_bound, online_bound
from planner.optimize.errors import PlannerInputError
from planner.optimize.lazy_greedy import lazy_greedy
from planner.optimize.ruin_recreate import iterated_local_search
from planner.optimize.solution import CoverageSolution


class MaxCoverage:
    """Pick new options to maximise covered weight.

    Formulation: maximise sum_p w_p * value(views of p) over sets S of new options with
    |S| <= k, sum_{j in S} c_j <= budget, |S n group g| <= quota_g, at most one option per
    site, plus the ``fixed`` options (always in, not counted against k/budget/quotas; their
    sites are taken). value(n) = sum of the first n ``multi_coverage`` fractions (plain
    coverage: 1 if n >= 1). The objective is monotone submodular, so lazy greedy (by gain,
    or by gain per cost under a budget, with a best-single-option check) keeps the
    1 - 1/e (cardinality) or 1/2 (quotas, budget) guarantees; a 1-swap local search then
    closes most of the remaining gap, and a bound ('lp', 'lagrangian', 'online', or 'auto':
    LP up to LP_MAX_NNZ coverage pairs, else Lagrangian; always min with online) certifies it.
    The greedy stops early with status "saturated" when no option adds value any more.
    """

    def __init__(
        self,
        coverage: Any,
        weights: Any,
        *,
        k: int | None = None,
        costs: Any = None,
        budget: float | None = None,
        groups: Any = None,
        quotas: Any = None,
        site_of: Any = None,
        fixed: Any = None,
        multi_coverage: Sequence[float] | None = None,
        local_search: bool = True,
        bound: str = "auto",
        time_limit: float | None = None,
        progress: bool = False,
    ) -> None:
        if bound not in BOUND_METHODS:
            raise PlannerInputError(f"bound must be one of {BOUND_METHODS}, got {bound!r}")
        self.problem: Problem = validate_max_coverage(
            coverage,
            weights,
            k=k,
            costs=costs,
            budget=budget,
            groups=groups,
            quotas=quotas,
            site_of=site_of,
            fixed=fixed,
            multi_coverage=multi_coverage,
            time_limit=time_limit,
        )
        self.local_search = local_search
        self.bound = bound
        self.progress = progress

    def solve(self) -> CoverageSolution:
        """Run greedy, local search and the bound; return the plan with its certificate."""
        p = self.problem
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        deadline = t0 + p.time_limit if p.time_limit is not None else None
        state = CoverageState(p)
        fixed_weight = state.total
        fixed_state = CoverageState(p) if self.bound in ("lagrangian", "auto") else None
        gains0 = state.gains()
        online: list[float] = []

        def halfway(s: CoverageState) -> None:
            if self.bound != "none":
                online.append(online_bound(p, s))

        run = lazy_greedy(
            p,
            state,
            eligible=p.eligible,
            k=p.k,
            budget=p.budget,
            by_ratio=p.budget is not None,
            initial_gains=gains0,
            deadline=deadline,
            progress=self.progress,
            on_halfway=halfway,
        )
        chosen, gains = run.chosen, run.gains
        if p.budget is not None and p.costs is not None:
            chosen, gains = _best_single_check(p, gains0, chosen, gains)
            if chosen != run.chosen:
                state = _replay(p, chosen)[0]
        timings["greedy"] = time.perf_counter() - t0

        if self.local_search and run.stopped != "time_limit" and chosen:
            t1 = time.perf_counter()
            seconds = (
                (deadline - t1) * 0.6
                if deadline is not None
                else _search_seconds(timings["greedy"])
            )
            state, chosen, swaps = iterated_local_search(p, state, chosen, deadline=t1 + seconds)
            if swaps:
                state, gains = _replay(p, chosen)
            timings["local_search"] = time.perf_counter() - t1

        t2 = time.perf_counter()
        upper, method = self._bound(state, fixed_state, online, deadline, timings["greedy"])
        timings["bound"] = time.perf_counter() - t2
        timings["total"] = time.perf_counter() - t0

        covered = state.total
        if upper is not None:
            upper = max(upper, covered)
        gap = 1.0 - covered / upper if upper else None
        status = "time_limit" if run.stopped == "time_limit" else "ok"
        if run.stopped == "saturated" and (p.k is None or len(chosen) < p.k):
            status = "saturated"
        if gap is not None and gap <= 1e-9:
            status = "optimal"
        cost = float(p.costs[chosen].sum()) if p.costs is not None and chosen else 0.0
        return CoverageSolution(
            chosen=np.asarray(chosen, dtype=np.int64),
            gains=np.asarray(gains, dtype=np.float64),
            covered_weight=covered,
            total_weight=p.total_value(),
            cost=cost,
            upper_bound=upper,
            lower_bound=covered,
            bound_method=method,
            gap=gap,
            status=status,
            timings=timings,
            fixed_weight=fixed_weight,
        )

    def _bound(
        self,
        state: CoverageState,
        fixed_state: CoverageState | None,
        online: list[float],
        deadline: float | None,
        greedy_seconds: float,
    ) -> tuple[float | None, str]:
        """Smallest valid bound among the methods asked for, and which one it was."""
        p = self.problem
        if self.bound == "none":
            return None, "none"
        found = {"online": min([online_bound(p, state), *online])}
        use_lp = self.bound == "lp" or (self.bound == "auto" and p.nnz <= LP_MAX_NNZ)
        left = max(deadline - time.perf_counter(), 0.1) if deadline is not None else None
        if use_lp:
            lp = lp_bound(p, time_limit=left)
            if lp is not None:
                found["lp"] = lp
        elif self.bound in ("lagrangian", "auto") and fixed_state is not None:
            seconds = left if left is not None else max(3.0, greedy_seconds)
            found["lagrangian"] = lagrangian_bound(p, fixed_state, state.total, seconds=seconds)
        method = min(found, key=lambda m: found[m])
        return found[method], method


def _search_seconds(greedy_seconds: float) -> float:
    """Safety cap on local search: 20x the greedy, at least 1 s, at most max(2 s, greedy / 2).

    Small instances stop well before it (after MAX_STALL fruitless rounds), so their
    result does not depend on machine speed; large ones are cut by it.
    """
    return min(max(1.0, 20 * greedy_seconds), max(2.0, greedy_seconds / 2))


def _best_single_check(
    p: Problem, gains0: np.ndarray, chosen: list[int], gains: list[float]
) -> tuple[list[int], list[float]]:
    """Budget greedy guarantee: keep the best affordable single option if it beats the set."""
    assert p.costs is not None and p.budget is not None
    ok = p.eligible & (p.costs <= p.budget)
    if not ok.any():
        return chosen, gains
    j = int(np.flatnonzero(ok)[np.argmax(gains0[ok])])
    if gains0[j] > sum(gains):
        return [j], [float(gains0[j])]
    return chosen, gains


def _replay(p: Problem, chosen: list[int]) -> tuple[CoverageState, list[float]]:
    """State and marginal gains of ``chosen`` added in order after the fixed options."""
    state = CoverageState(p)
    gains = [state.add(j) for j in chosen]
    return state, gains
