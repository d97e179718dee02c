"""Property tests on small random instances, checked against the exact ILP and the LP."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import ExactMaxCoverage, MaxCoverage
from planner.optimize._state import CoverageState
from planner.optimize._validate import validate_max_coverage
from planner.optimize.bounds import lagrangian_bound

TOL = 1e-7


@st.composite
def instances(draw, with_constraints: bool = False):
    """Random coverage instance: (coverage, weights, kwargs for MaxCoverage)."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_points = draw(st.integers(4, 40))
    n_options = draw(st.integers(3, 14))
    density = draw(st.floats(0.05, 0.5))
    dense = rng.random((n_points, n_options)) < density
    weights = rng.choice([0.0, 0.5, 1.0, 2.0, 7.5], size=n_points)
    kwargs: dict = {}
    n_units = n_options
    if with_constraints:
        sites = rng.integers(0, max(2, n_options * 2 // 3), n_options)
        kwargs["site_of"] = sites
        n_fixed = draw(st.integers(0, 2))
        kwargs["fixed"] = rng.choice(n_options, size=n_fixed, replace=False)
        taken = set(sites[kwargs["fixed"]].tolist())
        n_units = len(set(sites.tolist()) - taken)
        if draw(st.booleans()):
            groups = rng.integers(-1, 2, n_options)
            kwargs["groups"] = groups
            kwargs["quotas"] = rng.integers(1, 4, 2)
            free = [s for s in set(sites.tolist()) - taken]
            per_group = [
                len({s for s, g in zip(sites, groups, strict=True) if g == grp and s in free})
                for grp in (-1, 0, 1)
            ]
            n_units = per_group[0] + sum(
                min(q, c) for q, c in zip(kwargs["quotas"], per_group[1:], strict=True)
            )
        if draw(st.booleans()):
            kwargs["multi_coverage"] = (1.0, draw(st.sampled_from([0.3, 0.5, 1.0])))
    if n_units < 1:
        kwargs.pop("fixed", None)
        kwargs.pop("groups", None)
        kwargs.pop("quotas", None)
        n_units = len(set(kwargs.get("site_of", np.arange(n_options)).tolist()))
    kwargs["k"] = draw(st.integers(1, min(4, n_units)))
    return sp.csc_array(dense.astype(np.int8)), weights, kwargs


def value_of(coverage, weights, chosen, kwargs) -> float:
    """Covered value recomputed from scratch (dense, independent of the solver)."""
    options = np.concatenate(
        [np.asarray(chosen, dtype=int), np.asarray(kwargs.get("fixed", []), dtype=int)]
    )
    views = coverage.toarray()[:, options].sum(axis=1)
    fractions = np.asarray(kwargs.get("multi_coverage", (1.0,)))
    worth = np.concatenate([[0.0], np.cumsum(fractions)])[np.minimum(views, fractions.size)]
    return float(weights @ worth)


def assert_feasible(chosen, n_options, kwargs) -> None:
    chosen = np.asarray(chosen)
    assert chosen.size <= kwargs["k"]
    assert np.unique(chosen).size == chosen.size
    assert np.all((chosen >= 0) & (chosen < n_options))
    fixed = np.asarray(kwargs.get("fixed", []), dtype=int)
    assert not set(chosen.tolist()) & set(fixed.tolist())
    if "site_of" in kwargs:
        sites = kwargs["site_of"][chosen.astype(int)]
        assert np.unique(sites).size == sites.size
        assert not set(sites.tolist()) & set(kwargs["site_of"][fixed].tolist())
    if "quotas" in kwargs:
        g = kwargs["groups"][chosen]
        assert np.all(np.bincount(g[g >= 0], minlength=2) <= kwargs["quotas"])


@settings(max_examples=30, deadline=None)
@given(instances(with_constraints=True))
def test_greedy_is_feasible_and_reports_its_true_value(inst):
    coverage, weights, kwargs = inst
    sol = MaxCoverage(coverage, weights, **kwargs, bound="none").solve()
    assert_feasible(sol.chosen, coverage.shape[1], kwargs)
    assert sol.covered_weight == pytest.approx(value_of(coverage, weights, sol.chosen, kwargs))
    assert sol.covered_weight == pytest.approx(sol.fixed_weight + sol.gains.sum())


@settings(max_examples=30, deadline=None)
@given(instances(with_constraints=True))
def test_bounds_hold_and_greedy_meets_its_guarantee(inst):
    coverage, weights, kwargs = inst
    exact = ExactMaxCoverage(coverage, weights, **kwargs, time_limit=30).solve()
    assert exact.status == "optimal"
    assert_feasible(exact.chosen, coverage.shape[1], kwargs)
    opt = exact.covered_weight
    assert opt == pytest.approx(value_of(coverage, weights, exact.chosen, kwargs))
    for bound in ("lp", "online", "lagrangian"):
        sol = MaxCoverage(coverage, weights, **kwargs, bound=bound).solve()
        assert sol.covered_weight <= opt + TOL
        assert sol.upper_bound >= opt - TOL * max(1.0, opt)
    plain = MaxCoverage(coverage, weights, **kwargs, local_search=False, bound="none").solve()
    base = exact.fixed_weight
    guarantee = 0.5 if "quotas" in kwargs or "site_of" in kwargs else 1 - 1 / math.e
    assert plain.covered_weight - base >= guarantee * (opt - base) - TOL


@settings(max_examples=30, deadline=None)
@given(instances())
def test_lagrangian_bound_is_at_least_the_lp_bound(inst):
    coverage, weights, kwargs = inst
    lp = MaxCoverage(coverage, weights, **kwargs, bound="lp").solve().upper_bound
    problem = validate_max_coverage(
        coverage,
        weights,
        k=kwargs["k"],
        costs=None,
        budget=None,
        groups=None,
        quotas=None,
        site_of=None,
        fixed=None,
        multi_coverage=None,
        time_limit=None,
    )
    lag = lagrangian_bound(problem, CoverageState(problem), 0.0, seconds=5.0)
    assert lag >= lp - 1e-6 * max(1.0, lp)


@settings(max_examples=30, deadline=None)
@given(instances(with_constraints=True), st.integers(0, 3))
def test_same_input_same_plan(inst, repeat):
    coverage, weights, kwargs = inst
    first = MaxCoverage(coverage, weights, **kwargs, bound="none").solve()
    again = MaxCoverage(coverage.tocsr(), weights.tolist(), **kwargs, bound="none").solve()
    assert first.chosen.tolist() == again.chosen.tolist()
    assert first.gains.tolist() == again.gains.tolist()


@settings(max_examples=25, deadline=None)
@given(instances(), st.floats(0.5, 3.0))
def test_budget_plans_stay_within_budget_and_under_the_optimum(inst, budget):
    coverage, weights, _ = inst
    costs = np.random.default_rng(int(budget * 1000)).uniform(0.5, 2.0, coverage.shape[1])
    sol = MaxCoverage(coverage, weights, costs=costs, budget=budget, bound="lp").solve()
    exact = ExactMaxCoverage(coverage, weights, costs=costs, budget=budget).solve()
    assert sol.cost <= budget + 1e-9
    assert exact.cost <= budget + 1e-9
    assert sol.covered_weight <= exact.covered_weight + TOL
    assert sol.upper_bound >= exact.covered_weight - TOL
    assert sol.covered_weight >= 0.5 * (1 - 1 / math.e) * exact.covered_weight - TOL
