"""Responsibility assessment: score, rank, flag and veto districts (pure functions, no I/O).

The formula (documented in the API schema and the README):

- ``completion = min(installed / target, 1)`` (a target of 0 counts as complete),
  ``online_rate = online / installed`` (0 when nothing is installed),
  ``pass_rate = passed / checked`` over the period's inspection results (absent when no
  camera of the district was checked).
- ``score = 100 * sum(w_k * m_k) / sum(w_k)`` over the metrics a district has; a district
  with no inspection results is scored on completion and online rate alone (the inspection
  weight is dropped and the rest renormalised), recorded in the score's details.
- One-vote veto (一票否决): a district whose online rate is below ``veto_online_rate_floor``,
  or whose failed share of checked cameras exceeds ``veto_failed_share_ceiling``, fails
  regardless of its score: it is ranked after every district that was not vetoed and is
  flagged ``penalty``.
- Ranking: not vetoed first, then score (descending), then district name (ties are broken
  alphabetically so ranks are unique and reproducible).
- Flags: ``penalty`` for vetoed districts, the last ``penalty_bottom_n`` ranks and scores
  below ``penalty_below_score``; ``reward`` for the first ``reward_top_n`` ranks scoring at
  least ``reward_min_score`` that are not penalised; ``none`` otherwise.

Same configuration + same inputs give the same scores and the same ``inputs_digest``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Flag = Literal["reward", "penalty", "none"]
SCORE_DECIMALS = 4


class ScoringConfig(BaseModel):
    """Weights, veto rules and reward/penalty flags of an assessment run."""

    model_config = ConfigDict(extra="forbid")

    weight_completion: float = Field(
        default=0.5, ge=0, le=100, allow_inf_nan=False, description="Weight of completion."
    )
    weight_online: float = Field(
        default=0.3, ge=0, le=100, allow_inf_nan=False, description="Weight of online rate."
    )
    weight_inspection: float = Field(
        default=0.2,
        ge=0,
        le=100,
        allow_inf_nan=False,
        description="Weight of the inspection pass rate (dropped for districts not inspected).",
    )
    veto_online_rate_floor: float = Field(
        default=0.6,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="One-vote veto: online rate below this fails regardless of score.",
    )
    veto_failed_share_ceiling: float = Field(
        default=0.3,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="One-vote veto: share of checked cameras failing inspection above this.",
    )
    reward_top_n: int = Field(default=3, ge=0, le=100, description="Ranks eligible for reward.")
    reward_min_score: float = Field(
        default=80.0, ge=0, le=100, allow_inf_nan=False, description="Least score rewarded."
    )
    penalty_bottom_n: int = Field(default=1, ge=0, le=100, description="Last ranks penalised.")
    penalty_below_score: float = Field(
        default=60.0, ge=0, le=100, allow_inf_nan=False, description="Scores below are penalised."
    )

    @model_validator(mode="after")
    def _some_weight(self) -> ScoringConfig:
        if self.weight_completion + self.weight_online <= 0:
            raise ValueError(
                "weight_completion + weight_online must be > 0 (a district without "
                "inspections would have no score)"
            )
        return self


class ScoringDefaults(ScoringConfig, BaseSettings):
    """Defaults of the scoring, overridable by ``SAFECITY_ASSESSMENT_*`` variables."""

    model_config = SettingsConfigDict(
        env_prefix="SAFECITY_ASSESSMENT_", env_file=".env", extra="ignore"
    )


@lru_cache
def default_config() -> ScoringConfig:
    """The process-wide default configuration (settings read once)."""
    return ScoringConfig(**ScoringDefaults().model_dump())


def merged_config(overrides: dict[str, Any] | None) -> ScoringConfig:
    """Defaults with the given fields replaced (validated as a whole)."""
    return ScoringConfig(**{**default_config().model_dump(), **(overrides or {})})


@dataclass(frozen=True)
class DistrictInput:
    """Figures a district is scored on (snapshotted in the run)."""

    district: str
    target: int
    installed: int
    online: int
    checked: int = 0
    passed: int = 0


@dataclass(frozen=True)
class DistrictScore:
    """A district's result."""

    district: str
    target: int
    installed: int
    online: int
    completion: float
    online_rate: float
    inspection_pass_rate: float | None
    score: float
    rank: int
    flag: Flag
    vetoed: bool
    veto_reasons: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def inputs_digest(config: ScoringConfig, inputs: list[DistrictInput]) -> str:
    """sha256 of the canonical JSON of configuration and inputs (order-independent)."""
    document = {
        "config": config.model_dump(),
        "inputs": sorted((asdict(i) for i in inputs), key=lambda d: d["district"]),
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _ratio(numerator: np.ndarray, denominator: np.ndarray, empty: float) -> np.ndarray:
    out = np.full(numerator.shape, empty, dtype=float)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def score_districts(inputs: list[DistrictInput], config: ScoringConfig) -> list[DistrictScore]:
    """Score, veto, rank and flag the districts; the result is in rank order."""
    if not inputs:
        return []
    names = np.array([i.district for i in inputs])
    target = np.array([i.target for i in inputs], dtype=float)
    installed = np.array([i.installed for i in inputs], dtype=float)
    online = np.array([i.online for i in inputs], dtype=float)
    checked = np.array([i.checked for i in inputs], dtype=float)
    passed = np.array([i.passed for i in inputs], dtype=float)

    completion = np.minimum(_ratio(installed, target, 1.0), 1.0)
    online_rate = _ratio(online, installed, 0.0)
    inspected = checked > 0
    pass_rate = _ratio(passed, checked, 0.0)

    w_insp = np.where(inspected, config.weight_inspection, 0.0)
    weight_sum = config.weight_completion + config.weight_online + w_insp
    raw = config.weight_completion * completion + config.weight_online * online_rate
    score = np.round(100.0 * (raw + w_insp * pass_rate) / weight_sum, SCORE_DECIMALS)

    veto_online = online_rate < config.veto_online_rate_floor
    veto_inspection = inspected & (1.0 - pass_rate > config.veto_failed_share_ceiling)
    vetoed = veto_online | veto_inspection

    order = np.lexsort((names, -score, vetoed))
    rank = np.empty(len(inputs), dtype=int)
    rank[order] = np.arange(1, len(inputs) + 1)

    penalty = (
        vetoed
        | (rank > len(inputs) - config.penalty_bottom_n)
        | (score < config.penalty_below_score)
    )
    reward = (rank <= config.reward_top_n) & (score >= config.reward_min_score) & ~penalty
    flags = np.where(penalty, "penalty", np.where(reward, "reward", "none"))

    results = []
    for i in order:
        reasons = []
        if veto_online[i]:
            reasons.append(
                f"online rate {online_rate[i]:.1%} below the floor "
                f"{config.veto_online_rate_floor:.1%}"
            )
        if veto_inspection[i]:
            reasons.append(
                f"{1.0 - pass_rate[i]:.1%} of {int(checked[i])} inspected cameras failed, above "
                f"the ceiling {config.veto_failed_share_ceiling:.1%}"
            )
        results.append(
            DistrictScore(
                district=str(names[i]),
                target=inputs[i].target,
                installed=inputs[i].installed,
                online=inputs[i].online,
                completion=round(float(completion[i]), SCORE_DECIMALS + 2),
                online_rate=round(float(online_rate[i]), SCORE_DECIMALS + 2),
                inspection_pass_rate=(
                    round(float(pass_rate[i]), SCORE_DECIMALS + 2) if inspected[i] else None
                ),
                score=float(score[i]),
                rank=int(rank[i]),
                flag=str(flags[i]),  # type: ignore[arg-type]
                vetoed=bool(vetoed[i]),
                veto_reasons=reasons,
                details={
                    "checked": inputs[i].checked,
                    "passed": inputs[i].passed,
                    "weights_used": {
                        "completion": config.weight_completion,
                        "online": config.weight_online,
                        "inspection": float(w_insp[i]),
                    },
                },
            )
        )
    return results
