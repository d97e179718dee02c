"""Unannounced inspections: draw a seeded sample of installed cameras, record the checks.

Samples are visible to the ``assess`` scope only (the districts must not know in advance
which cameras will be checked). Once the period's assessment is published, its
inspections are frozen like the run (409).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import numpy as np
from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from api import audit
from api.deps import API_PREFIX, AssessPrincipal, DbSession, RequestId, WriteSession
from api.inspections import MAX_SEED, draw_sample, new_seed
from api.lookups import district_by_name, period_by_name
from api.models import CameraSite, District, Inspection, InspectionResult, SiteStatus, utcnow
from api.problems import PROBLEM_RESPONSES, ApiProblem
from api.routers.assessments import refuse_if_frozen
from api.schemas import CameraId, DistrictName, StrictModel

router = APIRouter(
    prefix=f"{API_PREFIX}/inspections",
    tags=["inspections"],
    responses={k: PROBLEM_RESPONSES[k] for k in (401, 403, 422)},
)

InspectionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Inspection id.")]
MAX_RESULTS = 5000


class InspectionIn(StrictModel):
    """Draw a sample for an unannounced inspection."""

    period: str = Field(min_length=1, max_length=32)
    per_district: int = Field(default=5, ge=1, le=1000, description="Cameras per district.")
    districts: list[DistrictName] | None = Field(
        default=None, min_length=1, max_length=64, description="Default: every district."
    )
    seed: int | None = Field(
        default=None, ge=0, le=MAX_SEED, description="Default: a fresh random seed (recorded)."
    )


class SampledCamera(BaseModel):
    """A camera of the sample and, once checked, its outcome."""

    camera_id: str
    district: str
    lon: float
    lat: float
    outcome: Literal["pass", "fail"] | None
    note: str | None
    checked_by: str | None
    checked_at: dt.datetime | None


class DistrictTally(BaseModel):
    """Sample size and checks of one district."""

    district: str
    sampled: int
    checked: int
    passed: int


class InspectionOut(BaseModel):
    """An inspection: the recorded seed, its sample and the checks so far."""

    id: int
    period: str
    seed: int = Field(description="Seed of numpy's generator; redraws the same sample.")
    per_district: int
    districts: list[str]
    created_by: str
    created_at: dt.datetime = Field(
        description="Draw time: the population is what was installed at this instant."
    )
    tallies: list[DistrictTally]
    cameras: list[SampledCamera]


class InspectionSummary(BaseModel):
    """An inspection in listings."""

    id: int
    period: str
    seed: int
    per_district: int
    created_at: dt.datetime
    sampled: int
    checked: int


class CheckIn(StrictModel):
    """The outcome of checking one sampled camera."""

    camera_id: CameraId
    outcome: Literal["pass", "fail"]
    note: str | None = Field(default=None, max_length=2000)


class ResultsIn(StrictModel):
    """Outcomes of sampled cameras (a camera checked again gets the new outcome)."""

    results: list[CheckIn] = Field(min_length=1, max_length=MAX_RESULTS)

    @model_validator(mode="after")
    def _unique(self) -> ResultsIn:
        ids = [r.camera_id for r in self.results]
        if len(set(ids)) != len(ids):
            raise ValueError("a camera_id appears twice in 'results'")
        return self


def inspection_out(inspection: Inspection) -> InspectionOut:
    """Response model of an inspection (cameras by district, then sample order)."""
    names = sorted(inspection.districts)
    results = sorted(inspection.results, key=lambda r: (r.site.district.name, r.id))
    tallies = {name: DistrictTally(district=name, sampled=0, checked=0, passed=0) for name in names}
    for r in results:
        tally = tallies[r.site.district.name]
        tally.sampled += 1
        tally.checked += r.outcome is not None
        tally.passed += r.outcome == "pass"
    return InspectionOut(
        id=inspection.id,
        period=inspection.period.name,
        seed=inspection.seed,
        per_district=inspection.per_district,
        districts=names,
        created_by=inspection.created_by,
        created_at=inspection.created_at,
        tallies=list(tallies.values()),
        cameras=[
            SampledCamera(
                camera_id=r.site.camera_id,
                district=r.site.district.name,
                lon=r.site.lon,
                lat=r.site.lat,
                outcome=r.outcome,  # type: ignore[arg-type]
                note=r.note,
                checked_by=r.checked_by,
                checked_at=r.checked_at,
            )
            for r in results
        ],
    )


def installed_population(
    session: Session, districts: list[District], at: dt.datetime
) -> dict[str, np.ndarray]:
    """Site ids installed at ``at`` per district name, ordered by camera id."""
    rows = np.array(
        session.execute(
            select(CameraSite.district_id, CameraSite.id)
            .where(
                CameraSite.status == SiteStatus.installed.value,
                CameraSite.installed_at <= at,
                CameraSite.district_id.in_([d.id for d in districts]),
            )
            .order_by(CameraSite.district_id, CameraSite.camera_id)
        ).all(),
        dtype=np.int64,
    ).reshape(-1, 2)
    return {d.name: rows[rows[:, 0] == d.id, 1] for d in districts}


def _inspection_of(session: Session, inspection_id: int) -> Inspection:
    found = session.get(Inspection, inspection_id)
    if found is None:
        raise ApiProblem(404, f"unknown inspection {inspection_id}", slug="unknown-inspection")
    return found


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={409: PROBLEM_RESPONSES[409]},
)
def draw_inspection(
    body: InspectionIn, who: AssessPrincipal, session: WriteSession, rid: RequestId
) -> InspectionOut:
    """Draw a reproducible random sample of installed cameras per district (assessor, admin).

    The seed (given or generated) and the draw time are recorded: the same seed over the
    same installed cameras always yields the same sample.
    """
    period = period_by_name(session, body.period, status=422)
    refuse_if_frozen(session, period)
    if body.districts is None:
        districts = list(session.scalars(select(District).order_by(District.name)))
    else:
        districts = sorted(
            {
                d.id: d for d in (district_by_name(session, n, status=422) for n in body.districts)
            }.values(),
            key=lambda d: d.name,
        )
    seed = new_seed() if body.seed is None else body.seed
    drawn_at = utcnow()
    sample = draw_sample(
        installed_population(session, districts, drawn_at), body.per_district, seed
    )
    inspection = Inspection(
        period_id=period.id,
        seed=seed,
        per_district=body.per_district,
        districts=[d.name for d in districts],
        created_by=who.actor,
        created_at=drawn_at,
    )
    session.add(inspection)
    session.flush()
    rows = [
        {"inspection_id": inspection.id, "site_id": int(site_id), "district_id": d.id}
        for d in districts
        for site_id in sample[d.name]
    ]
    if rows:
        session.execute(insert(InspectionResult), rows)
    audit.record(
        session,
        who,
        "inspection.draw",
        "inspection",
        inspection.id,
        after={"period": period.name, "seed": seed, "sampled": len(rows)},
        request_id=rid,
    )
    session.commit()
    session.refresh(inspection)
    return inspection_out(inspection)


@router.get("")
def list_inspections(
    who: AssessPrincipal,
    session: DbSession,
    period: Annotated[str | None, Query(max_length=32)] = None,
) -> list[InspectionSummary]:
    """Inspections, newest first."""
    query = select(Inspection).order_by(Inspection.id.desc())
    if period is not None:
        query = query.where(Inspection.period_id == period_by_name(session, period).id)
    return [
        InspectionSummary(
            id=i.id,
            period=i.period.name,
            seed=i.seed,
            per_district=i.per_district,
            created_at=i.created_at,
            sampled=len(i.results),
            checked=sum(r.outcome is not None for r in i.results),
        )
        for i in session.scalars(query)
    ]


@router.get("/{inspection_id}", responses={404: PROBLEM_RESPONSES[404]})
def read_inspection(
    inspection_id: InspectionId, who: AssessPrincipal, session: DbSession
) -> InspectionOut:
    """An inspection with its sample and outcomes."""
    return inspection_out(_inspection_of(session, inspection_id))


@router.put(
    "/{inspection_id}/results",
    responses={404: PROBLEM_RESPONSES[404], 409: PROBLEM_RESPONSES[409]},
)
def record_results(
    inspection_id: InspectionId,
    body: ResultsIn,
    who: AssessPrincipal,
    session: WriteSession,
    rid: RequestId,
) -> InspectionOut:
    """Record pass/fail (and a note) for sampled cameras; idempotent (assessor, admin)."""
    inspection = _inspection_of(session, inspection_id)
    refuse_if_frozen(session, inspection.period)
    by_camera = {r.site.camera_id: r for r in inspection.results}
    outside = [c.camera_id for c in body.results if c.camera_id not in by_camera]
    if outside:
        raise ApiProblem(
            422,
            f"camera_id(s) {', '.join(outside[:10])} are not in the sample of inspection "
            f"{inspection_id}",
            slug="not-in-sample",
        )
    now = utcnow()
    before = {c.camera_id: by_camera[c.camera_id].outcome for c in body.results}
    for check in body.results:
        result = by_camera[check.camera_id]
        result.outcome = check.outcome
        result.note = check.note
        result.checked_by = who.actor
        result.checked_at = now
    audit.record(
        session,
        who,
        "inspection.record",
        "inspection",
        inspection.id,
        before={"outcomes": before},
        after={"outcomes": {c.camera_id: c.outcome for c in body.results}},
        request_id=rid,
    )
    session.commit()
    return inspection_out(inspection)
