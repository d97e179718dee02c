"""Hand-checkable maximum-coverage cases: every expected number can be counted by eye."""

import numpy as np
import pytest
import scipy.sparse as sp

from planner import ExactMaxCoverage, MaxCoverage, PlannerInputError


def street(*spans: tuple[int, int], n: int = 10) -> sp.csc_array:
    """Coverage of n unit points along one street; option i sees points span[i] (inclusive)."""
    dense = np.zeros((n, len(spans)), dtype=np.int8)
    for i, (a, b) in enumerate(spans):
        dense[a : b + 1, i] = 1
    return sp.csc_array(dense)


def test_one_street_two_cameras_cover_it_all():
    cov = street((0, 5), (4, 9), (0, 2))
    sol = MaxCoverage(cov, np.ones(10), k=2, bound="lp").solve()
    assert sol.chosen.tolist() == [0, 1]
    assert sol.gains.tolist() == [6.0, 4.0]
    assert sol.covered_weight == 10.0
    assert sol.upper_bound == pytest.approx(10.0)
    assert sol.status == "optimal"


def test_one_camera_takes_the_heavier_end():
    w = np.array([1, 1, 1, 1, 1, 1, 3, 3, 3, 3], dtype=float)
    sol = MaxCoverage(street((0, 5), (4, 9)), w, k=1).solve()
    assert sol.chosen.tolist() == [1]
    assert sol.covered_weight == pytest.approx(14.0)


def test_quota_forces_a_worse_global_choice():
    # options 0 and 1 (group 0) are the two best; group 1 only has the weak option 2
    cov = street((0, 3), (4, 7), (8, 9))
    free = MaxCoverage(cov, np.ones(10), k=2).solve()
    assert sorted(free.chosen.tolist()) == [0, 1] and free.covered_weight == 8.0
    capped = MaxCoverage(cov, np.ones(10), k=2, groups=[0, 0, 1], quotas=[1, 1], bound="lp").solve()
    assert sorted(capped.chosen.tolist()) in ([0, 2], [1, 2])
    assert capped.covered_weight == 6.0
    assert capped.upper_bound == pytest.approx(6.0)


def test_fixed_cameras_count_and_shift_the_choice():
    cov = street((0, 5), (3, 9), (6, 9))
    alone = MaxCoverage(cov, np.ones(10), k=1).solve()
    assert alone.chosen.tolist() == [1]
    with_fixed = MaxCoverage(cov, np.ones(10), k=1, fixed=[0], bound="lp").solve()
    assert with_fixed.chosen.tolist() in ([1], [2])
    assert with_fixed.fixed_weight == 6.0
    assert with_fixed.covered_weight == 10.0
    assert with_fixed.gains.tolist() == [4.0]


def test_one_option_per_site():
    # options 0 and 1 are two headings on site 0 (together they would see everything);
    # option 2 on site 1 is weaker but is the only way to add a second camera
    cov = street((0, 5), (4, 9), (0, 2))
    sol = MaxCoverage(cov, np.ones(10), k=2, site_of=[0, 0, 1], bound="lp").solve()
    assert sol.chosen.tolist() == [1, 2]
    assert sol.covered_weight == 9.0
    assert sol.upper_bound == pytest.approx(9.0)


def test_fixed_option_takes_its_site():
    cov = street((0, 4), (5, 9), (6, 9))
    sol = MaxCoverage(cov, np.ones(10), k=1, site_of=[0, 0, 1], fixed=[0]).solve()
    assert sol.chosen.tolist() == [2]
    assert sol.covered_weight == 9.0


def test_budget_keeps_the_best_single_option():
    # ratio greedy would buy the cheap option 1 first and then afford nothing else
    cov = street((0, 9), (0, 1))
    costs = np.array([10.0, 1.0])
    sol = MaxCoverage(cov, np.ones(10), costs=costs, budget=10.0, local_search=False).solve()
    assert sol.chosen.tolist() == [0]
    assert sol.cost == 10.0 and sol.covered_weight == 10.0


def test_budget_buys_cost_effective_options():
    cov = street((0, 3), (4, 7), (0, 9))
    costs = np.array([1.0, 1.0, 5.0])
    sol = MaxCoverage(cov, np.ones(10), costs=costs, budget=2.0, bound="lp").solve()
    assert sorted(sol.chosen.tolist()) == [0, 1]
    assert sol.cost == 2.0 and sol.covered_weight == 8.0


def test_multi_coverage_values_a_second_view_less():
    cov = street((0, 5), (0, 5), (6, 9))
    plain = MaxCoverage(cov, np.ones(10), k=2).solve()
    assert plain.covered_weight == 10.0
    multi = MaxCoverage(cov, np.ones(10), k=3, multi_coverage=(1.0, 0.5), bound="lp").solve()
    assert multi.covered_weight == pytest.approx(6 + 4 + 6 * 0.5)
    assert multi.total_weight == pytest.approx(15.0)
    assert multi.upper_bound == pytest.approx(13.0)


def test_saturated_when_nothing_adds_value():
    sol = MaxCoverage(street((0, 9), (0, 4), (5, 9)), np.ones(10), k=3, bound="none").solve()
    assert sol.chosen.tolist() == [0]
    assert sol.status == "saturated"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": np.ones(9)}, "weights has 9 entries, expected 10"),
        ({"weights": -np.ones(10)}, "weights[0] = -1.0 is negative"),
        ({"k": 0}, "k must be positive"),
        ({"k": 4}, "k = 4 exceeds the 3 options"),
        ({"k": None}, "give a camera count k, a budget, or both"),
        ({"costs": [1, -1, 1], "budget": 3.0}, "costs[1] = -1.0 is not positive"),
        ({"costs": [1, 1, 1], "budget": 0.0}, "budget must be a positive number"),
        ({"budget": 5.0}, "a budget needs costs"),
        ({"groups": [0, 1, 2], "quotas": [1, 1]}, "groups name group 2 but quotas has only 2"),
        ({"groups": [0, 0, 1], "quotas": [1, 0]}, "k = 2 exceeds the 1 options"),
        ({"quotas": [1]}, "quotas were given without groups"),
        ({"fixed": [3]}, "fixed index 3 is out of range"),
        ({"site_of": [0, 0, 0]}, "k = 2 exceeds the 1 options"),
        ({"multi_coverage": (0.5, 1.0)}, "must not increase"),
        ({"bound": "exact"}, "bound must be one of"),
        ({"coverage": np.ones((10, 3))}, "coverage must be a scipy.sparse matrix"),
    ],
)
def test_bad_input_names_the_problem(kwargs, message):
    args = {"coverage": street((0, 3), (4, 7), (8, 9)), "weights": np.ones(10), "k": 2}
    args.update(kwargs)
    cov, w = args.pop("coverage"), args.pop("weights")
    with pytest.raises(PlannerInputError) as err:
        MaxCoverage(cov, w, **args)
    assert message in str(err.value)


def test_exact_solver_finds_what_greedy_misses():
    # greedy takes the big middle option first and then needs both ends anyway
    cov = street((2, 7), (0, 4), (5, 9))
    greedy = MaxCoverage(cov, np.ones(10), k=2, local_search=False, bound="none").solve()
    assert greedy.chosen[0] == 0 and greedy.covered_weight == 8.0
    exact = ExactMaxCoverage(cov, np.ones(10), k=2).solve()
    assert sorted(exact.chosen.tolist()) == [1, 2]
    assert exact.covered_weight == 10.0 and exact.status == "optimal"
    searched = MaxCoverage(cov, np.ones(10), k=2, bound="lp").solve()
    assert searched.covered_weight == 10.0 and searched.status == "optimal"


def test_time_limit_and_progress_still_give_a_feasible_plan():
    rng = np.random.default_rng(3)
    cov = sp.random(3000, 600, density=0.01, random_state=3, format="csc")
    sol = MaxCoverage(
        cov, rng.random(3000), k=100, site_of=np.arange(600) // 2, time_limit=5.0, progress=True
    ).solve()
    assert 0 < sol.chosen.size <= 100
    assert np.unique(sol.chosen // 2).size == sol.chosen.size
    assert sol.timings["total"] < 10.0
    assert sol.upper_bound is not None and sol.upper_bound >= sol.covered_weight
    assert sol.as_dict()["n_chosen"] == sol.chosen.size
