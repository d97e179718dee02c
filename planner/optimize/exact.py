"""Exact maximum coverage by integer programming (HiGHS), for small instances."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from planner.optimize._highs import coverage_model, solve_model
from planner.optimize._order import greedy_order
from planner.optimize._validate import validate_max_coverage
from planner.optimize.solution import CoverageSolution


class ExactMaxCoverage:
    """Solve the MaxCoverage formulation (see its docstring) to optimality with HiGHS.

    Meant for instances with up to a few hundred thousand coverage pairs. When the time
    limit stops HiGHS, the best plan found is returned with status "time_limit" and the
    solver's dual bound as ``upper_bound``. The chosen options are listed in greedy order
    so phases can be read off them like from the greedy.
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
        time_limit: float | None = 60.0,
        progress: bool = False,
    ) -> None:
        self.problem = validate_max_coverage(
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

    def solve(self) -> CoverageSolution:
        """Build and solve the ILP; return the optimal (or best found) plan."""
        p = self.problem
        t0 = time.perf_counter()
        model = coverage_model(p, integer=True)
        t1 = time.perf_counter()
        result = solve_model(model, time_limit=p.time_limit)
        t2 = time.perf_counter()
        picked = model.options[result.x > 0.5] if result.x is not None else np.zeros(0, int)
        chosen, gains, state = greedy_order(p, picked)
        upper = max(result.dual_bound + model.constant, state.total)
        return CoverageSolution(
            chosen=np.asarray(chosen, dtype=np.int64),
            gains=np.asarray(gains, dtype=np.float64),
            covered_weight=state.total,
            total_weight=p.total_value(),
            cost=float(p.costs[chosen].sum()) if p.costs is not None and chosen else 0.0,
            upper_bound=upper,
            lower_bound=state.total,
            bound_method="ilp",
            gap=1.0 - state.total / upper if upper > 0 else 0.0,
            status=result.status,
            timings={"model": t1 - t0, "solve": t2 - t1, "total": time.perf_counter() - t0},
            fixed_weight=float(model.constant),
        )
