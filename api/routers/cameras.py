"""Camera sites with their current feed state, and the monitor's feed registry."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from api.deps import API_PREFIX, DbSession, FeedsPrincipal, ReadPrincipal
from api.lookups import district_by_name
from api.models import CameraHealth, CameraSite, HealthTransition, SiteStatus
from api.problems import PROBLEM_RESPONSES, ApiProblem
from api.progress import UNKNOWN_STATE
from api.schemas import Page

router = APIRouter(
    prefix=API_PREFIX,
    tags=["cameras"],
    responses={k: PROBLEM_RESPONSES[k] for k in (401, 403, 404, 422)},
)

StateFilter = Literal["ok", "degraded", "down", "unknown"]


class CameraOut(BaseModel):
    """A camera site and its latest feed state (``unknown``: never reported)."""

    camera_id: str
    district: str
    status: SiteStatus
    owner_type: str
    lon: float
    lat: float
    camera_type: str | None
    heading: float | None
    phase: str | None
    installed_at: dt.datetime | None
    state: StateFilter | None
    reasons: list[str]
    state_since: dt.datetime | None
    flapping: bool


class TransitionOut(BaseModel):
    """One stored transition."""

    event_id: str
    from_state: str | None
    to_state: str
    reasons: list[str]
    flapping: bool
    at: dt.datetime


class FeedOut(BaseModel):
    """A feed the monitor should probe (contract: camera_id, url, district, expected_fps)."""

    camera_id: str
    url: str
    district: str
    expected_fps: float | None


def camera_out(site: CameraSite) -> CameraOut:
    """Response model of a site (health joined)."""
    health = site.health
    installed = site.status == SiteStatus.installed.value
    state = health.state if health else (UNKNOWN_STATE if installed else None)
    return CameraOut(
        camera_id=site.camera_id,
        district=site.district.name,
        status=SiteStatus(site.status),
        owner_type=site.owner_type,
        lon=site.lon,
        lat=site.lat,
        camera_type=site.camera_type,
        heading=site.heading,
        phase=site.phase,
        installed_at=site.installed_at,
        state=state,  # type: ignore[arg-type]
        reasons=list(health.reasons) if health else [],
        state_since=health.since if health else None,
        flapping=bool(health.flapping) if health else False,
    )


@router.get("/cameras")
def list_cameras(
    who: ReadPrincipal,
    session: DbSession,
    district: str | None = None,
    state: StateFilter | None = None,
    status: SiteStatus | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[CameraOut]:
    """Camera sites filtered by district, feed state and rollout status, by camera_id."""
    query = select(CameraSite).outerjoin(CameraHealth, CameraHealth.site_id == CameraSite.id)
    if district is not None:
        query = query.where(CameraSite.district_id == district_by_name(session, district).id)
    if status is not None:
        query = query.where(CameraSite.status == status.value)
    if state == UNKNOWN_STATE:
        query = query.where(
            CameraHealth.site_id.is_(None), CameraSite.status == SiteStatus.installed.value
        )
    elif state is not None:
        query = query.where(CameraHealth.state == state)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    sites = session.scalars(
        query.order_by(CameraSite.camera_id).offset((page - 1) * page_size).limit(page_size)
    ).unique()
    return Page(items=[camera_out(s) for s in sites], page=page, page_size=page_size, total=total)


@router.get("/cameras/{camera_id}/transitions")
def camera_transitions(
    camera_id: str,
    who: ReadPrincipal,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[TransitionOut]:
    """Latest transitions of one camera, newest first."""
    site = session.scalars(select(CameraSite).where(CameraSite.camera_id == camera_id)).first()
    if site is None:
        raise ApiProblem(404, f"unknown camera_id {camera_id!r}", slug="unknown-site")
    rows = session.scalars(
        select(HealthTransition)
        .where(HealthTransition.site_id == site.id)
        .order_by(HealthTransition.at.desc(), HealthTransition.id.desc())
        .limit(limit)
    )
    return [
        TransitionOut(
            event_id=t.event_id,
            from_state=t.from_state,
            to_state=t.to_state,
            reasons=list(t.reasons),
            flapping=t.flapping,
            at=t.at,
        )
        for t in rows
    ]


@router.get("/feeds")
def list_feeds(
    who: FeedsPrincipal, session: DbSession, district: str | None = None
) -> list[FeedOut]:
    """Installed cameras that have a stream URL: the monitor's registry."""
    query = (
        select(CameraSite)
        .where(CameraSite.status == SiteStatus.installed.value, CameraSite.stream_url.is_not(None))
        .order_by(CameraSite.camera_id)
    )
    if district is not None:
        query = query.where(CameraSite.district_id == district_by_name(session, district).id)
    return [
        FeedOut(
            camera_id=s.camera_id,
            url=s.stream_url or "",
            district=s.district.name,
            expected_fps=s.expected_fps,
        )
        for s in session.scalars(query).unique()
    ]
