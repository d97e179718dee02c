"""The public dashboard page and the aggregated, read-only data it polls.

Public by design: per-district aggregates (counts and rates), the district outlines and
published scores only; never a camera, a location, a stream or a draft. Everything else
stays behind a token.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.dashboard import district_map
from api.deps import API_PREFIX, DbSession
from api.lookups import district_by_name
from api.models import AssessmentRun, Score
from api.problems import PROBLEM_RESPONSES
from api.progress import period_for, rollout_counts
from api.routers.progress import (
    ProgressOut,
    ProgressReport,
    TrendPointOut,
    current_progress,
    progress_out,
)
from api.snapshots import trend

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# The page loads only its own script and style: no CDN, no tiles, no inline code.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

router = APIRouter(tags=["public dashboard"], responses={404: PROBLEM_RESPONSES[404]})


class MapDistrict(BaseModel):
    """A district outline as an SVG path in the map's coordinate box."""

    name: str
    name_zh: str
    path: str = Field(description="SVG path data (M/L/Z), y pointing down, north up.")
    label_x: float
    label_y: float


class MapOut(BaseModel):
    """The district map: draw paths in a ``0 0 width height`` viewBox."""

    width: float
    height: float
    districts: list[MapDistrict]


class PublishedScore(BaseModel):
    """A district's line in the latest published assessment."""

    period: str
    rank: int
    of: int
    score: float
    flag: str
    vetoed: bool


class DistrictDetail(BaseModel):
    """Drill-down of one district: figures, 30-day trend, latest published score."""

    progress: ProgressOut
    trend: list[TrendPointOut]
    published: PublishedScore | None


@router.get("/dashboard", response_class=FileResponse, include_in_schema=False)
def dashboard_page() -> FileResponse:
    """The dashboard (``?refresh=<seconds>&metric=completion|online``)."""
    return FileResponse(
        STATIC_DIR / "dashboard.html",
        media_type="text/html",
        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"},
    )


@router.get(f"{API_PREFIX}/dashboard/progress", response_model=ProgressReport)
async def public_progress(request: Request) -> Response:
    """Progress of every district and the city against the current period (public; figures
    from the app's rollout cache, see ``api.progress.RolloutCache``)."""
    # The hottest read of the service: no session dependency (the cache reads with its own).
    return await current_progress(request.app.state.rollout_cache)


@router.get(f"{API_PREFIX}/dashboard/map")
def public_map(request: Request, session: DbSession) -> MapOut:
    """District outlines projected for SVG (public)."""
    return MapOut(**district_map(session, str(request.app.state.db.url)))


@router.get(f"{API_PREFIX}/dashboard/districts/{{name}}")
def public_district(
    name: str,
    session: DbSession,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> DistrictDetail:
    """One district's figures, daily trend and latest published score (public)."""
    district = district_by_name(session, name)
    period = period_for(session, dt.datetime.now(dt.UTC).date())
    counts = rollout_counts(session, period=period, district_ids=[district.id])[0]
    latest = session.execute(
        select(Score, AssessmentRun)
        .join(AssessmentRun, AssessmentRun.id == Score.run_id)
        .where(Score.district_id == district.id, AssessmentRun.status == "published")
        .order_by(AssessmentRun.published_at.desc())
    ).first()
    published = None
    if latest is not None:
        score, run = latest
        published = PublishedScore(
            period=run.period.name,
            rank=score.rank,
            of=len(run.scores),
            score=round(score.score, 2),
            flag=score.flag,
            vetoed=score.vetoed,
        )
    return DistrictDetail(
        progress=progress_out(counts),
        trend=[
            TrendPointOut(day=p.day, installed=p.installed, online=p.online)
            for p in trend(session, days=days, district_id=district.id)
        ],
        published=published,
    )
