"""Put a fixed set of options into greedy selection order with their marginal gains."""

from __future__ import annotations

import numpy as np

from planner.optimize._state import CoverageState
from planner.optimize._validate import Problem
from planner.optimize.lazy_greedy import lazy_greedy


def greedy_order(p: Problem, options: np.ndarray) -> tuple[list[int], list[float], CoverageState]:
    """Order ``options`` greedily by gain; zero-gain ones go last. Returns the final state."""
    state = CoverageState(p)
    mask = np.zeros(p.n_options, dtype=bool)
    mask[options] = True
    run = lazy_greedy(p, state, eligible=mask, k=int(options.size), budget=None, by_ratio=False)
    rest = sorted(set(options.tolist()) - set(run.chosen))
    return run.chosen + rest, run.gains + [0.0] * len(rest), state
