"""Public progress bulletins: published ones only, readable without login (HTML or CSV)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.bulletins import render_csv, render_html
from api.deps import API_PREFIX, DbSession
from api.lookups import district_by_name
from api.models import AssessmentPeriod, Bulletin
from api.problems import PROBLEM_RESPONSES, ApiProblem

router = APIRouter(
    prefix=f"{API_PREFIX}/bulletins",
    tags=["public bulletins"],
    responses={k: PROBLEM_RESPONSES[k] for k in (404, 422)},
)

Format = Annotated[Literal["html", "csv"], Query(description="html (default) or csv.")]
DOCUMENT_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The bulletin.",
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


class BulletinSummary(BaseModel):
    """A published bulletin and where to read it."""

    period: str
    district: str | None
    title: str
    published_at: dt.datetime
    html: str
    csv: str


def _path(period: str, district: str | None) -> str:
    base = f"{API_PREFIX}/bulletins/{period}"
    return f"{base}/{district}" if district else base


def _find(session: Session, period: str, district: str | None) -> Bulletin:
    query = select(Bulletin).join(AssessmentPeriod).where(AssessmentPeriod.name == period)
    if district is None:
        query = query.where(Bulletin.district_id.is_(None))
    else:
        query = query.where(Bulletin.district_id == district_by_name(session, district).id)
    found = session.scalars(query).first()
    if found is None:
        raise ApiProblem(
            404,
            f"no published bulletin for period {period!r}"
            + (f" and district {district!r}" if district else ""),
            slug="bulletin-not-published",
        )
    return found


def _document(bulletin: Bulletin, fmt: str) -> Response:
    if fmt == "csv":
        name = f"bulletin-{bulletin.period.name}-{bulletin.data['district'] or 'city'}.csv"
        return Response(
            render_csv(bulletin.data),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )
    return HTMLResponse(render_html(bulletin.title, bulletin.data))


@router.get("")
def list_bulletins(session: DbSession) -> list[BulletinSummary]:
    """Every published bulletin, newest period first (public)."""
    rows = session.scalars(
        select(Bulletin)
        .join(AssessmentPeriod)
        .order_by(AssessmentPeriod.starts_on.desc(), Bulletin.district_id.nulls_first())
    )
    return [
        BulletinSummary(
            period=b.period.name,
            district=b.district.name if b.district else None,
            title=b.title,
            published_at=b.published_at,
            html=_path(b.period.name, b.district.name if b.district else None) + "?format=html",
            csv=_path(b.period.name, b.district.name if b.district else None) + "?format=csv",
        )
        for b in rows
    ]


@router.get("/{period}", response_class=Response, responses=DOCUMENT_RESPONSES)
def read_city_bulletin(period: str, session: DbSession, format: Format = "html") -> Response:
    """The city-wide bulletin of a published period: ranking of every district (public)."""
    return _document(_find(session, period, None), format)


@router.get("/{period}/{district}", response_class=Response, responses=DOCUMENT_RESPONSES)
def read_district_bulletin(
    period: str, district: str, session: DbSession, format: Format = "html"
) -> Response:
    """One district's bulletin of a published period (public)."""
    return _document(_find(session, period, district), format)
