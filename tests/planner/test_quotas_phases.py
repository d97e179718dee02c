"""Quotas (largest remainder, quota files) and rollout phases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.apportion import largest_remainder
from planner.optimize.errors import PlannerInputError
from planner.phases import DEFAULT_PHASES, parse_phases
from planner.quotas import proportional_quotas, read_quotas

DISTRICTS = ["Futian", "Luohu", "Nanshan"]


def test_proportional_quotas_by_hand() -> None:
    weight = pd.Series([50.0, 30.0, 20.0], index=DISTRICTS)
    assert proportional_quotas(weight, 10).tolist() == [5, 3, 2]
    # 7 * (0.5, 0.3, 0.2) = 3.5, 2.1, 1.4 -> floors 3, 2, 1 and the spare one to Futian (.5)
    assert proportional_quotas(weight, 7).tolist() == [4, 2, 1]


@given(
    st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=1, max_size=12),
    st.integers(0, 10**6),
)
def test_largest_remainder_sums_exactly_and_stays_within_one(shares, total) -> None:
    got = largest_remainder(np.array(shares), total)
    if sum(shares) == 0:
        assert got.sum() == 0
        return
    assert got.sum() == total
    exact = np.array(shares) / sum(shares) * total
    assert np.all(np.abs(got - exact) < 1.0 + 1e-9)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "quotas.csv"
    path.write_text(text)
    return path


def test_quota_file_read_and_missing_districts_get_zero(tmp_path: Path) -> None:
    quotas = read_quotas(_write(tmp_path, "district,quota\nLuohu,7\nFutian,3\n"), DISTRICTS, 10)
    assert quotas.to_dict() == {"Futian": 3, "Luohu": 7, "Nanshan": 0}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("district,quota\nGotham,5\nFutian,5\n", "unknown district 'Gotham'"),
        ("district,quota\nFutian,4\nLuohu,4\n", "quotas sum to 8, less than the target 10"),
        ("district,quota\nFutian,-1\nLuohu,11\n", "field quota: -1 for Futian"),
        ("district,quota\nFutian,2.5\nLuohu,11\n", "field quota: 2.5 for Futian"),
        ("district,quota\nFutian,5\nFutian,5\n", "'Futian' listed twice"),
        ("name,count\nFutian,10\n", "missing column"),
    ],
)
def test_bad_quota_files(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(PlannerInputError, match=message) as info:
        read_quotas(path, DISTRICTS, 10)
    assert str(path) in str(info.value)


def test_default_phases_split_the_greedy_order() -> None:
    phases = parse_phases(DEFAULT_PHASES)
    assert phases.names == ("launch", "buildout", "consolidation")
    assert phases.counts(200_000).tolist() == [60_000, 100_000, 40_000]
    assert phases.assign(10).tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 2, 2]


def test_phase_counts() -> None:
    phases = parse_phases("first=100, second=50")
    assert not phases.percent
    assert phases.counts(150).tolist() == [100, 50]
    assert phases.counts(120).tolist() == [100, 20]  # a budget stopped the plan early
    phases.check_target(150)
    with pytest.raises(PlannerInputError, match="counts sum to 150, not the target 200"):
        phases.check_target(200)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("a=50%,b=40%", "sum to 90"),
        ("a=50%,b=50", "mix of percentages and counts"),
        ("a=50%,a=50%", "repeated"),
        ("launch:30%", "expected name=percent%"),
        ("", "expected name=percent%"),
        ("a=0,b=10", "whole numbers > 0"),
    ],
)
def test_bad_phase_specs(spec: str, message: str) -> None:
    with pytest.raises(PlannerInputError, match=message):
        parse_phases(spec)
