"""Responsibility assessment runs: score a period (draft), read, publish (frozen + bulletins).

Scoring itself is the pure ``api.assessment`` module; this router gathers the inputs
(rollout figures of ``api.progress`` and the period's inspection results), stores them in
the run, and freezes the run when it is published.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import audit
from api.assessment import (
    DistrictInput,
    ScoringConfig,
    default_config,
    inputs_digest,
    merged_config,
    score_districts,
)
from api.bulletins import bulletin_data, bulletin_title
from api.deps import API_PREFIX, AssessPrincipal, DbSession, ReadPrincipal, RequestId, WriteSession
from api.inspections import pass_counts
from api.lookups import period_by_name
from api.models import (
    AssessmentPeriod,
    AssessmentRun,
    Bulletin,
    District,
    Inspection,
    InspectionResult,
    Score,
    Target,
    utcnow,
)
from api.problems import PROBLEM_RESPONSES, ApiProblem
from api.progress import rollout_counts
from api.schemas import StrictModel
from api.security import Principal

router = APIRouter(
    prefix=f"{API_PREFIX}/assessments",
    tags=["assessment"],
    responses={k: PROBLEM_RESPONSES[k] for k in (401, 403, 422)},
)

RunId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Assessment run id.")]


class AssessmentIn(StrictModel):
    """Score a period. ``config`` fields override the defaults (GET /assessments/defaults)."""

    period: str = Field(min_length=1, max_length=32, description="Period name, e.g. 2007-Q1.")
    config: ScoringConfig | None = Field(
        default=None, description="Only the fields sent replace the defaults."
    )


class ScoreOut(BaseModel):
    """A district's result in a run."""

    rank: int
    district: str
    target: int
    installed: int
    online: int
    completion: float = Field(description="min(installed / target, 1).")
    online_rate: float = Field(description="online / installed.")
    inspection_pass_rate: float | None = Field(description="passed / checked; null if none.")
    score: float = Field(description="0..100, weighted as the run's config says.")
    flag: str = Field(description="reward, penalty or none.")
    vetoed: bool = Field(description="Failed by a one-vote veto rule, whatever the score.")
    veto_reasons: list[str]
    details: dict[str, Any]


class RunOut(BaseModel):
    """An assessment run: configuration, snapshotted inputs and scores in rank order."""

    id: int
    period: str
    status: str = Field(description="draft or published (published runs are frozen).")
    config: ScoringConfig
    inputs: dict[str, Any] = Field(description="Figures the scores were computed from.")
    inputs_digest: str = Field(description="sha256 of config + inputs: equal inputs, equal hash.")
    created_by: str
    created_at: dt.datetime
    published_at: dt.datetime | None
    published_by: str | None
    scores: list[ScoreOut]


class RunSummary(BaseModel):
    """A run in listings."""

    id: int
    period: str
    status: str
    inputs_digest: str
    created_by: str
    created_at: dt.datetime
    published_at: dt.datetime | None


def _score_out(score: Score) -> ScoreOut:
    return ScoreOut(
        rank=score.rank,
        district=score.district.name,
        target=score.target,
        installed=score.installed,
        online=score.online,
        completion=score.completion,
        online_rate=score.online_rate,
        inspection_pass_rate=score.inspection_pass_rate,
        score=score.score,
        flag=score.flag,
        vetoed=score.vetoed,
        veto_reasons=list(score.veto_reasons),
        details=dict(score.details),
    )


def run_out(run: AssessmentRun) -> RunOut:
    """Response model of a run."""
    return RunOut(
        id=run.id,
        period=run.period.name,
        status=run.status,
        config=ScoringConfig(**run.config),
        inputs=run.inputs,
        inputs_digest=run.inputs_digest,
        created_by=run.created_by,
        created_at=run.created_at,
        published_at=run.published_at,
        published_by=run.published_by,
        scores=[_score_out(s) for s in sorted(run.scores, key=lambda s: s.rank)],
    )


def published_run(session: Session, period: AssessmentPeriod) -> AssessmentRun | None:
    """The period's published (frozen) run, if any."""
    return session.scalars(
        select(AssessmentRun).where(
            AssessmentRun.period_id == period.id, AssessmentRun.status == "published"
        )
    ).first()


def refuse_if_frozen(session: Session, period: AssessmentPeriod) -> None:
    """409 when the period's assessment is already published."""
    frozen = published_run(session, period)
    if frozen is not None:
        raise ApiProblem(
            409,
            f"period {period.name!r} was published in assessment run {frozen.id} on "
            f"{frozen.published_at:%Y-%m-%d %H:%M} UTC; its assessment is frozen",
            slug="assessment-frozen",
        )


def gather_inputs(session: Session, period: AssessmentPeriod) -> list[DistrictInput]:
    """Rollout figures against the period's targets plus its inspection results."""
    with_target = set(
        session.scalars(select(Target.district_id).where(Target.period_id == period.id))
    )
    districts = {name: d_id for name, d_id in session.execute(select(District.name, District.id))}
    missing = sorted(name for name, d_id in districts.items() if d_id not in with_target)
    if missing:
        raise ApiProblem(
            422,
            f"period {period.name!r} has no target for district(s) {', '.join(missing)}; "
            f"set them with PUT {API_PREFIX}/periods/{period.name}/targets first",
            slug="targets-missing",
        )
    results = session.execute(
        select(InspectionResult.district_id, InspectionResult.outcome)
        .join(Inspection, Inspection.id == InspectionResult.inspection_id)
        .where(Inspection.period_id == period.id)
    ).all()
    checks = pass_counts(
        np.array([r[0] for r in results], dtype=np.int64),
        np.array([r[1] or "" for r in results], dtype=np.str_),
    )
    return [
        DistrictInput(
            district=c.district,
            target=c.target,
            installed=c.installed,
            online=c.online,
            checked=checks.get(districts[c.district], (0, 0))[0],
            passed=checks.get(districts[c.district], (0, 0))[1],
        )
        for c in rollout_counts(session, period=period)
    ]


def _config_of(body: AssessmentIn) -> ScoringConfig:
    if body.config is None:
        return default_config()
    overrides = body.config.model_dump(include=body.config.model_fields_set)
    try:
        return merged_config(overrides)
    except ValidationError as exc:
        raise ApiProblem(
            422,
            f"invalid scoring config: {exc.errors()[0]['msg']}",
            slug="validation-error",
        ) from exc


def _run_of(session: Session, run_id: int) -> AssessmentRun:
    run = session.get(AssessmentRun, run_id)
    if run is None:
        raise ApiProblem(404, f"unknown assessment run {run_id}", slug="unknown-run")
    return run


@router.get("/defaults")
def read_defaults(who: ReadPrincipal) -> ScoringConfig:
    """The scoring configuration used for fields a run does not set."""
    return default_config()


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={404: PROBLEM_RESPONSES[404], 409: PROBLEM_RESPONSES[409]},
)
def run_assessment(
    body: AssessmentIn, who: AssessPrincipal, session: WriteSession, rid: RequestId
) -> RunOut:
    """Score a period now as a draft run (assessor, admin); 409 once the period is published.

    The run stores its configuration and every input figure, so equal inputs give equal
    scores and an equal ``inputs_digest``.
    """
    period = period_by_name(session, body.period, status=422)
    refuse_if_frozen(session, period)
    config = _config_of(body)
    inputs = gather_inputs(session, period)
    scores = score_districts(inputs, config)
    run = AssessmentRun(
        period_id=period.id,
        status="draft",
        config=config.model_dump(),
        inputs={
            "as_of": utcnow().isoformat(),
            "districts": [asdict(i) for i in inputs],
        },
        inputs_digest=inputs_digest(config, inputs),
        created_by=who.actor,
    )
    district_ids = {
        name: d_id for name, d_id in session.execute(select(District.name, District.id))
    }
    run.scores = [
        Score(
            district_id=district_ids[s.district],
            **{k: v for k, v in asdict(s).items() if k != "district"},
        )
        for s in scores
    ]
    session.add(run)
    session.flush()
    audit.record(
        session,
        who,
        "assessment.run",
        "assessment_run",
        run.id,
        after={"period": period.name, "inputs_digest": run.inputs_digest},
        request_id=rid,
    )
    session.commit()
    return run_out(run)


def _visible(run: AssessmentRun, who: Principal) -> bool:
    return run.status == "published" or "assess" in who.scopes


@router.get("")
def list_runs(
    who: ReadPrincipal,
    session: DbSession,
    period: Annotated[str | None, Query(max_length=32)] = None,
) -> list[RunSummary]:
    """Runs, newest first; roles without the ``assess`` scope see published runs only."""
    query = select(AssessmentRun).order_by(AssessmentRun.id.desc())
    if period is not None:
        query = query.where(AssessmentRun.period_id == period_by_name(session, period).id)
    return [
        RunSummary(
            id=r.id,
            period=r.period.name,
            status=r.status,
            inputs_digest=r.inputs_digest,
            created_by=r.created_by,
            created_at=r.created_at,
            published_at=r.published_at,
        )
        for r in session.scalars(query)
        if _visible(r, who)
    ]


@router.get("/{run_id}", responses={404: PROBLEM_RESPONSES[404]})
def read_run(run_id: RunId, who: ReadPrincipal, session: DbSession) -> RunOut:
    """A run with its scores; drafts are visible to the ``assess`` scope only."""
    run = _run_of(session, run_id)
    if not _visible(run, who):
        raise ApiProblem(
            403,
            f"assessment run {run_id} is an unpublished draft; only assessors may read it",
            slug="draft-run",
        )
    return run_out(run)


@router.post(
    "/{run_id}/publish",
    responses={404: PROBLEM_RESPONSES[404], 409: PROBLEM_RESPONSES[409]},
)
def publish_run(
    run_id: RunId, who: AssessPrincipal, session: WriteSession, rid: RequestId
) -> RunOut:
    """Publish a draft: it becomes frozen and its public bulletins appear (city-wide and per
    district). Publishing again, or another run of the same period, is 409."""
    run = _run_of(session, run_id)
    if run.status == "published":
        raise ApiProblem(
            409,
            f"assessment run {run_id} was already published on "
            f"{run.published_at:%Y-%m-%d %H:%M} UTC",
            slug="already-published",
        )
    refuse_if_frozen(session, run.period)
    run.status = "published"
    run.published_at = utcnow()
    run.published_by = who.actor
    session.flush()
    out = run_out(run)
    scores = [s.model_dump() for s in out.scores]
    period = {
        "name": run.period.name,
        "kind": run.period.kind,
        "starts_on": run.period.starts_on.isoformat(),
        "ends_on": run.period.ends_on.isoformat(),
    }
    meta = {
        "id": run.id,
        "inputs_digest": run.inputs_digest,
        "published_at": run.published_at.isoformat(timespec="seconds"),
        "config": run.config,
    }
    district_ids = {s.district.name: s.district_id for s in run.scores}
    for name in [None, *sorted(district_ids)]:
        session.add(
            Bulletin(
                run_id=run.id,
                period_id=run.period_id,
                district_id=district_ids[name] if name else None,
                title=bulletin_title(run.period.name, name),
                data=bulletin_data(period=period, run=meta, scores=scores, district=name),
                published_at=run.published_at,
            )
        )
    audit.record(
        session,
        who,
        "assessment.publish",
        "assessment_run",
        run.id,
        before={"status": "draft"},
        after={"status": "published", "period": run.period.name},
        request_id=rid,
    )
    session.commit()
    return out
