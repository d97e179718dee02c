"""Rollout progress per district and city-wide, and its trend over time."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import API_PREFIX, DatabaseDep, DbSession, ReadPrincipal, RolloutCacheDep
from api.lookups import district_by_name, period_by_name
from api.models import AssessmentPeriod
from api.problems import PROBLEM_RESPONSES
from api.progress import DistrictCounts, RolloutCache, city_total
from api.snapshots import trend

router = APIRouter(
    prefix=f"{API_PREFIX}/progress",
    tags=["progress"],
    responses={k: PROBLEM_RESPONSES[k] for k in (401, 403, 404, 422)},
)


class ProgressOut(BaseModel):
    """Figures of one district (or the city)."""

    district: str
    target: int
    planned: int = Field(description="Sites in the plan, installed or not.")
    installed: int
    online: int = Field(description="Installed and live and healthy (state ok).")
    degraded: int
    down: int
    unknown: int = Field(description="Installed, never reported by the monitor.")
    completion_pct: float = Field(description="100 * installed / target.")
    online_rate_pct: float = Field(description="100 * online / installed.")


class ProgressReport(BaseModel):
    """Progress of every district plus the city total, against one period's targets."""

    period: str | None
    as_of: dt.datetime
    city: ProgressOut
    districts: list[ProgressOut]


class TrendPointOut(BaseModel):
    """Figures at the end of a day (``online`` null before the first snapshot)."""

    day: dt.date
    installed: int
    online: int | None


def progress_out(counts: DistrictCounts) -> ProgressOut:
    """Response model of one row of figures."""
    return ProgressOut(
        district=counts.district,
        target=counts.target,
        planned=counts.planned,
        installed=counts.installed,
        online=counts.online,
        degraded=counts.states.get("degraded", 0),
        down=counts.states.get("down", 0),
        unknown=counts.states.get("unknown", 0),
        completion_pct=round(100 * counts.completion, 2),
        online_rate_pct=round(100 * counts.online_rate, 2),
    )


def progress_response(
    period: AssessmentPeriod | None, rows: list[DistrictCounts], now: dt.datetime
) -> Response:
    """The serialised :class:`ProgressReport` (returned as is: FastAPI need not validate
    the model it was built from a second time)."""
    report = ProgressReport(
        period=period.name if period else None,
        as_of=now,
        city=progress_out(city_total(rows)),
        districts=[progress_out(r) for r in rows],
    )
    return Response(report.model_dump_json(), media_type="application/json")


async def current_progress(cache: RolloutCache) -> Response:
    """Progress against the current period: answered on the event loop from the cache,
    through a worker thread only when the figures must be (re)computed."""
    now = dt.datetime.now(dt.UTC)
    found = cache.peek_current(now.date())
    if found is None:
        found = await run_in_threadpool(cache.current, now.date())
    return progress_response(*found, now)


@router.get("", response_model=ProgressReport)
async def read_progress(
    who: ReadPrincipal, db: DatabaseDep, cache: RolloutCacheDep, period: str | None = None
) -> Response:
    """All districts and the city; targets of ``period`` (default: the current one)."""
    if period is None:
        return await current_progress(cache)

    def figures_of(name: str) -> tuple[AssessmentPeriod, list[DistrictCounts]]:
        with db.session() as session:
            chosen = period_by_name(session, name)
        return chosen, cache.get(chosen)

    chosen, rows = await run_in_threadpool(figures_of, period)
    return progress_response(chosen, rows, dt.datetime.now(dt.UTC))


@router.get("/trend")
def read_trend(
    who: ReadPrincipal,
    session: DbSession,
    district: str | None = None,
    days: Annotated[int, Query(ge=1, le=3660)] = 30,
) -> list[TrendPointOut]:
    """Installed (exact, from install times) and online (daily snapshots) per day."""
    district_id = district_by_name(session, district).id if district else None
    return [
        TrendPointOut(day=p.day, installed=p.installed, online=p.online)
        for p in trend(session, days=days, district_id=district_id)
    ]


@router.get("/{district}")
def read_district_progress(
    district: str,
    who: ReadPrincipal,
    session: DbSession,
    cache: RolloutCacheDep,
    period: str | None = None,
) -> ProgressOut:
    """One district's figures."""
    found = district_by_name(session, district)
    chosen = (
        period_by_name(session, period)
        if period
        else cache.current_period(dt.datetime.now(dt.UTC).date())
    )
    return progress_out(next(r for r in cache.get(chosen) if r.district == found.name))
