"""Scoring, veto, ranking and flags of ``api.assessment`` on hand-computed cases."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from api.assessment import (
    DistrictInput,
    ScoringConfig,
    default_config,
    inputs_digest,
    merged_config,
    score_districts,
)

HAND = [
    DistrictInput("A", target=100, installed=100, online=90, checked=10, passed=10),
    DistrictInput("B", target=100, installed=80, online=72),
    DistrictInput("C", target=200, installed=250, online=200, checked=10, passed=6),
    DistrictInput("D", target=50, installed=40, online=20),
    DistrictInput("E", target=100, installed=60, online=60, checked=5, passed=5),
    DistrictInput("G", target=100, installed=70, online=49),
]


def by_name(scores):
    return {s.district: s for s in scores}


def test_hand_computed_scores_ranks_flags_and_vetoes():
    scores = score_districts(HAND, ScoringConfig())
    got = by_name(scores)
    # 100 * (0.5 completion + 0.3 online + 0.2 inspection) / weights present
    assert got["A"].score == pytest.approx(97.0)
    assert got["B"].score == pytest.approx(83.75)  # not inspected: (0.4 + 0.27) / 0.8
    assert got["C"].score == pytest.approx(86.0)  # completion capped at 1
    assert got["D"].score == pytest.approx(68.75)
    assert got["E"].score == pytest.approx(80.0)
    assert got["G"].score == pytest.approx(70.0)
    assert [s.district for s in scores] == ["A", "B", "E", "G", "C", "D"]
    assert [s.rank for s in scores] == [1, 2, 3, 4, 5, 6]
    assert {s.district for s in scores if s.vetoed} == {"C", "D"}
    assert "40.0% of 10 inspected cameras failed" in got["C"].veto_reasons[0]
    assert "online rate 50.0% below the floor 60.0%" in got["D"].veto_reasons[0]
    assert {s.district: s.flag for s in scores} == {
        "A": "reward",
        "B": "reward",
        "E": "reward",
        "G": "none",
        "C": "penalty",
        "D": "penalty",
    }
    assert got["B"].inspection_pass_rate is None
    assert got["B"].details["weights_used"]["inspection"] == 0.0
    assert got["A"].details["weights_used"]["inspection"] == 0.2
    assert got["C"].completion == 1.0


def test_veto_beats_a_higher_score():
    scores = by_name(score_districts(HAND, ScoringConfig()))
    assert scores["C"].score > scores["B"].score
    assert scores["C"].rank > scores["G"].rank


def test_configuration_changes_weights_thresholds_and_flags():
    config = merged_config(
        {
            "weight_completion": 1.0,
            "weight_online": 0.0,
            "weight_inspection": 0.0,
            "veto_online_rate_floor": 0.0,
            "veto_failed_share_ceiling": 1.0,
            "reward_top_n": 1,
            "penalty_bottom_n": 2,
            "penalty_below_score": 0.0,
        }
    )
    scores = score_districts(HAND, config)
    assert not any(s.vetoed for s in scores)
    # pure completion: A and C complete (tie broken by name), then B, D, G, E
    assert [s.district for s in scores] == ["A", "C", "B", "D", "G", "E"]
    assert [s.flag for s in scores] == ["reward", "none", "none", "none", "penalty", "penalty"]


def test_ties_are_broken_by_name_and_zero_target_is_complete():
    twins = [
        DistrictInput("Zeta", target=10, installed=5, online=5),
        DistrictInput("Alpha", target=10, installed=5, online=5),
        DistrictInput("Empty", target=0, installed=3, online=3),
    ]
    scores = score_districts(twins, ScoringConfig())
    assert [s.district for s in scores] == ["Empty", "Alpha", "Zeta"]
    assert scores[0].completion == 1.0
    assert scores[1].score == scores[2].score


def test_digest_depends_on_inputs_and_config_not_order():
    config = ScoringConfig()
    digest = inputs_digest(config, HAND)
    assert digest == inputs_digest(config, list(reversed(HAND)))
    changed = [dataclasses.replace(HAND[0], online=89), *HAND[1:]]
    assert inputs_digest(config, changed) != digest
    assert inputs_digest(merged_config({"reward_top_n": 2}), HAND) != digest
    assert score_districts(list(reversed(HAND)), config) == score_districts(HAND, config)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"weight_online": -0.1}, "weight_online"),
        ({"veto_online_rate_floor": 1.5}, "veto_online_rate_floor"),
        ({"reward_top_n": -1}, "reward_top_n"),
        ({"weight_completion": float("nan")}, "weight_completion"),
        ({"weights": 1}, "weights"),
    ],
)
def test_bad_configuration_names_the_field(overrides, field):
    with pytest.raises(ValidationError) as caught:
        merged_config(overrides)
    assert caught.value.errors()[0]["loc"] == (field,)


def test_all_base_weights_zero_is_refused():
    with pytest.raises(ValidationError, match="weight_completion \\+ weight_online must be > 0"):
        merged_config({"weight_completion": 0, "weight_online": 0})


def test_defaults_come_from_settings(monkeypatch):
    monkeypatch.setenv("SAFECITY_ASSESSMENT_WEIGHT_ONLINE", "0.45")
    monkeypatch.setenv("SAFECITY_ASSESSMENT_REWARD_TOP_N", "2")
    default_config.cache_clear()
    try:
        config = default_config()
        assert config.weight_online == 0.45
        assert config.reward_top_n == 2
        assert merged_config({"reward_top_n": 4}).weight_online == 0.45
    finally:
        monkeypatch.undo()
        default_config.cache_clear()
    assert default_config().weight_online == 0.3


counts = st.integers(min_value=0, max_value=5000)


@st.composite
def district_inputs(draw):
    n = draw(st.integers(min_value=1, max_value=12))
    rows = []
    for i in range(n):
        installed = draw(counts)
        checked = draw(st.integers(min_value=0, max_value=50))
        rows.append(
            DistrictInput(
                f"D{i:02d}",
                target=draw(counts),
                installed=installed,
                online=draw(st.integers(min_value=0, max_value=installed)),
                checked=checked,
                passed=draw(st.integers(min_value=0, max_value=checked)),
            )
        )
    return rows


@settings(max_examples=60, deadline=None)
@given(district_inputs(), st.randoms(use_true_random=False))
def test_properties_of_any_scoring(inputs, rnd):
    scores = score_districts(inputs, ScoringConfig())
    assert sorted(s.rank for s in scores) == list(range(1, len(inputs) + 1))
    assert all(0.0 <= s.score <= 100.0 for s in scores)
    vetoed_ranks = [s.rank for s in scores if s.vetoed]
    passed_ranks = [s.rank for s in scores if not s.vetoed]
    assert not vetoed_ranks or not passed_ranks or min(vetoed_ranks) > max(passed_ranks)
    assert all(s.flag == "penalty" for s in scores if s.vetoed)
    shuffled = list(inputs)
    rnd.shuffle(shuffled)
    assert score_districts(shuffled, ScoringConfig()) == scores
