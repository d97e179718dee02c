"""Minimum-cost cover: the cheapest set of options covering all (or a share of) demand."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from planner.optimize._highs import min_cost_model, solve_model
from planner.optimize._order import greedy_order
from planner.optimize._sparse import gather
from planner.optimize._state import CoverageState
from planner.optimize._validate import Problem, validate_min_cost
from planner.optimize.bounds import LP_MAX_NNZ
from planner.optimize.errors import PlannerInputError
from planner.optimize.lazy_greedy import lazy_greedy
from planner.optimize.solution import CoverageSolution

METHODS = ("greedy", "ilp")


class MinCostCover:
    """Cheapest options so that covered weight >= ``required`` x total weight.

    Formulation: minimise sum_j c_j x_j subject to sum_p w_p [p covered] >= required * W,
    at most one option per site; ``fixed`` options are in at no cost. ``weights`` default
    to 1 (every point counts the same). method "greedy": lazy greedy on newly covered
    weight per unit cost (the ln-approximation of set cover) followed by dropping options
    that became redundant (most expensive first); method "ilp": exact HiGHS model. The LP
    relaxation (when it has at most LP_MAX_NNZ coverage pairs) gives ``lower_bound``.
    """

    def __init__(
        self,
        coverage: Any,
        costs: Any,
        *,
        weights: Any = None,
        required: float = 1.0,
        site_of: Any = None,
        fixed: Any = None,
        method: str = "greedy",
        time_limit: float | None = None,
        progress: bool = False,
    ) -> None:
        if method not in METHODS:
            raise PlannerInputError(f"method must be one of {METHODS}, got {method!r}")
        self.problem: Problem = validate_min_cost(
            coverage,
            costs,
            weights=weights,
            required=required,
            site_of=site_of,
            fixed=fixed,
            time_limit=time_limit,
        )
        self.method = method
        self.progress = progress
        p = self.problem
        self.target = required * float(p.weights.sum())
        reachable = np.zeros(p.n_points, dtype=bool)
        reachable[gather(p.indptr, p.indices, np.flatnonzero(p.eligible))[0]] = True
        reachable[gather(p.indptr, p.indices, p.fixed)[0]] = True
        coverable = float(p.weights[reachable].sum())
        if coverable < self.target * (1 - 1e-12):
            raise PlannerInputError(
                f"required = {required} cannot be met: the options cover at most"
                f" {coverable / max(float(p.weights.sum()), 1e-300):.4%} of the demand weight"
            )

    def solve(self) -> CoverageSolution:
        """Greedy (or ILP) cover with the LP lower bound."""
        p = self.problem
        t0 = time.perf_counter()
        state = CoverageState(p)
        fixed_weight = state.total
        need = max(self.target - fixed_weight, 0.0)
        status = "ok"
        lower: float | None = None
        if self.method == "ilp":
            result = solve_model(min_cost_model(p, need, integer=True), time_limit=p.time_limit)
            if result.x is None:
                raise PlannerInputError(
                    f"no cover found (HiGHS status {result.status}); sites allow too few options"
                )
            picked = np.flatnonzero(p.eligible)[result.x > 0.5]
            chosen, gains, state = greedy_order(p, picked)
            status, lower = result.status, result.dual_bound
        else:
            chosen, gains, state = self._greedy(state)
        timings = {"solve": time.perf_counter() - t0}
        if lower is None and p.nnz <= LP_MAX_NNZ:
            t1 = time.perf_counter()
            lp = solve_model(min_cost_model(p, need, integer=False), time_limit=p.time_limit)
            lower = lp.objective if lp.status == "optimal" else None
            timings["bound"] = time.perf_counter() - t1
        timings["total"] = time.perf_counter() - t0
        cost = float(p.costs[chosen].sum()) if p.costs is not None and chosen else 0.0
        if lower is not None:
            lower = min(lower, cost)
        return CoverageSolution(
            chosen=np.asarray(chosen, dtype=np.int64),
            gains=np.asarray(gains, dtype=np.float64),
            covered_weight=state.total,
            total_weight=float(p.weights.sum()),
            cost=cost,
            upper_bound=cost,
            lower_bound=lower,
            bound_method="none" if lower is None else ("ilp" if self.method == "ilp" else "lp"),
            gap=(1.0 - lower / cost if cost > 0 else 0.0) if lower is not None else None,
            status="optimal" if lower is not None and cost - lower <= 1e-9 * cost else status,
            timings=timings,
            fixed_weight=fixed_weight,
        )

    def _greedy(self, state: CoverageState) -> tuple[list[int], list[float], CoverageState]:
        """Cost-effective lazy greedy up to the target, then drop redundant options."""
        p = self.problem
        run = lazy_greedy(
            p,
            state,
            eligible=p.eligible,
            k=None,
            budget=None,
            by_ratio=True,
            target=self.target * (1 - 1e-12),
            progress=self.progress,
        )
        if state.total < self.target * (1 - 1e-12):
            raise PlannerInputError(
                f"required coverage cannot be reached with one option per site: greedy"
                f" stopped at {state.total / max(float(p.weights.sum()), 1e-300):.4%}"
            )
        costs = p.costs
        assert costs is not None
        dropped = set()
        for j in sorted(run.chosen, key=lambda j: -costs[j]):
            if state.total - state.loss(j) >= self.target * (1 - 1e-12):
                state.remove(j)
                dropped.add(j)
        if not dropped:
            return run.chosen, run.gains, state
        keep = np.asarray([j for j in run.chosen if j not in dropped], dtype=np.int64)
        return greedy_order(p, keep)
