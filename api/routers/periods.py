"""Assessment periods and the per-district camera targets of each period."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select

from api import audit
from api.deps import API_PREFIX, AdminPrincipal, DbSession, ReadPrincipal, RequestId, WriteSession
from api.lookups import district_by_name, period_by_name
from api.models import AssessmentPeriod, PeriodKind, Target
from api.problems import PROBLEM_RESPONSES, ApiProblem
from api.schemas import PeriodIn, PeriodOut, TargetOut, TargetsIn
from api.targets import set_period_targets

router = APIRouter(
    prefix=f"{API_PREFIX}/periods",
    tags=["periods and targets"],
    responses={k: PROBLEM_RESPONSES[k] for k in (401, 403, 422)},
)


def period_out(period: AssessmentPeriod) -> PeriodOut:
    """Response model of a period."""
    return PeriodOut(
        name=period.name,
        kind=PeriodKind(period.kind),
        starts_on=period.starts_on,
        ends_on=period.ends_on,
    )


@router.get("")
def list_periods(who: ReadPrincipal, session: DbSession) -> list[PeriodOut]:
    """All periods, oldest first."""
    rows = session.scalars(select(AssessmentPeriod).order_by(AssessmentPeriod.starts_on))
    return [period_out(p) for p in rows]


@router.post("", status_code=status.HTTP_201_CREATED, responses={409: PROBLEM_RESPONSES[409]})
def create_period(
    body: PeriodIn, who: AdminPrincipal, session: WriteSession, rid: RequestId
) -> PeriodOut:
    """Open a new period (admin)."""
    if body.ends_on < body.starts_on:
        raise ApiProblem(
            422, f"ends_on {body.ends_on} is before starts_on {body.starts_on}", slug="bad-dates"
        )
    if session.scalars(select(AssessmentPeriod).where(AssessmentPeriod.name == body.name)).first():
        raise ApiProblem(409, f"period {body.name!r} already exists", slug="period-exists")
    period = AssessmentPeriod(**body.model_dump())
    session.add(period)
    session.flush()
    audit.record(
        session,
        who,
        "period.create",
        "period",
        period.name,
        after=body.model_dump(mode="json"),
        request_id=rid,
    )
    session.commit()
    return period_out(period)


@router.get("/{period}/targets", responses={404: PROBLEM_RESPONSES[404]})
def read_targets(period: str, who: ReadPrincipal, session: DbSession) -> list[TargetOut]:
    """Targets of a period, by district name."""
    found = period_by_name(session, period)
    rows = session.scalars(select(Target).where(Target.period_id == found.id))
    return sorted(
        (TargetOut(district=t.district.name, period=found.name, cameras=t.cameras) for t in rows),
        key=lambda t: t.district,
    )


@router.put("/{period}/targets", responses={404: PROBLEM_RESPONSES[404]})
def set_targets(
    period: str, body: TargetsIn, who: AdminPrincipal, session: WriteSession, rid: RequestId
) -> list[TargetOut]:
    """Set (insert or replace) targets of the listed districts; idempotent (admin)."""
    found = period_by_name(session, period)
    districts = {name: district_by_name(session, name, status=422) for name in body.targets}
    set_period_targets(session, found, {districts[n].id: c for n, c in body.targets.items()})
    audit.record(
        session,
        who,
        "targets.set",
        "period",
        found.name,
        after=dict(body.targets),
        request_id=rid,
    )
    session.commit()
    return read_targets(found.name, who, session)
