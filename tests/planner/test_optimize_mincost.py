"""Minimum-cost cover: hand cases, and greedy/ILP against brute force on tiny instances."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import MinCostCover, PlannerInputError


def street(*spans: tuple[int, int], n: int = 10) -> sp.csc_array:
    dense = np.zeros((n, len(spans)), dtype=np.int8)
    for i, (a, b) in enumerate(spans):
        dense[a : b + 1, i] = 1
    return sp.csc_array(dense)


def test_cheapest_cover_of_one_street():
    # one long-range camera (cost 5) or two short ones (cost 2 each)
    cov = street((0, 9), (0, 4), (5, 9), (3, 6))
    sol = MinCostCover(cov, [5.0, 2.0, 2.0, 1.0], method="ilp").solve()
    assert sorted(sol.chosen.tolist()) == [1, 2]
    assert sol.cost == 4.0 and sol.covered_weight == 10.0
    assert sol.status == "optimal"
    greedy = MinCostCover(cov, [5.0, 2.0, 2.0, 1.0]).solve()
    assert sorted(greedy.chosen.tolist()) == [1, 2]  # option 3 is dropped as redundant
    assert greedy.lower_bound is not None and greedy.lower_bound <= 4.0


def test_required_share_and_fixed_cameras():
    cov = street((0, 4), (5, 7), (8, 9))
    half = MinCostCover(cov, [1.0, 1.0, 1.0], required=0.5).solve()
    assert half.chosen.tolist() == [0] and half.covered_weight == 5.0
    rest = MinCostCover(cov, [1.0, 1.0, 1.0], fixed=[0], required=0.8).solve()
    assert rest.chosen.tolist() == [1]
    assert rest.fixed_weight == 5.0 and rest.covered_weight == 8.0 and rest.cost == 1.0


def test_uncoverable_demand_is_refused():
    with pytest.raises(PlannerInputError, match=r"cover at most 80\.0000%"):
        MinCostCover(street((0, 7)), [1.0])
    with pytest.raises(PlannerInputError, match="required must be a fraction"):
        MinCostCover(street((0, 9)), [1.0], required=1.5)
    with pytest.raises(PlannerInputError, match=r"costs\[0\] = -1\.0 is not positive"):
        MinCostCover(street((0, 9)), [-1.0])
    with pytest.raises(PlannerInputError, match="method must be one of"):
        MinCostCover(street((0, 9)), [1.0], method="magic")


@st.composite
def cover_instances(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_points, n_options = draw(st.integers(3, 25)), draw(st.integers(2, 8))
    dense = rng.random((n_points, n_options)) < draw(st.floats(0.1, 0.6))
    dense[np.arange(n_points), rng.integers(0, n_options, n_points)] = True
    costs = rng.choice([1.0, 1.5, 2.0, 3.0], n_options)
    weights = rng.choice([0.5, 1.0, 4.0], n_points)
    required = draw(st.sampled_from([1.0, 0.9, 0.6]))
    return sp.csc_array(dense.astype(np.int8)), costs, weights, required


def brute_force(dense, costs, weights, required) -> float:
    best = np.inf
    need = required * weights.sum() * (1 - 1e-12)
    for r in range(1, dense.shape[1] + 1):
        for subset in itertools.combinations(range(dense.shape[1]), r):
            if weights[dense[:, list(subset)].any(axis=1)].sum() >= need:
                best = min(best, costs[list(subset)].sum())
    return best


@settings(max_examples=30, deadline=None)
@given(cover_instances())
def test_exact_matches_brute_force_and_greedy_is_feasible(inst):
    coverage, costs, weights, required = inst
    dense = coverage.toarray().astype(bool)
    optimum = brute_force(dense, costs, weights, required)
    exact = MinCostCover(coverage, costs, weights=weights, required=required, method="ilp").solve()
    assert exact.cost == pytest.approx(optimum)
    greedy = MinCostCover(coverage, costs, weights=weights, required=required).solve()
    covered = weights[dense[:, greedy.chosen].any(axis=1)].sum()
    assert covered == pytest.approx(greedy.covered_weight)
    assert covered >= required * weights.sum() * (1 - 1e-9)
    assert greedy.cost >= optimum - 1e-9
    assert greedy.lower_bound is not None and greedy.lower_bound <= optimum + 1e-6
