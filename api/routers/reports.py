"""Installation reports of the district offices: site lists (with ``Idempotency-Key``) or
an idempotent cumulative count."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, status
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from api import audit
from api.deps import (
    API_PREFIX,
    DbSession,
    DistrictsDep,
    ReadPrincipal,
    ReportPrincipal,
    RequestId,
    WriteSession,
)
from api.idempotency import require_key, run_once
from api.installations import (
    check_inside,
    create_installed_sites,
    existing_sites,
    install_up_to,
    installed_count,
    lock_district,
    mark_installed,
    set_stream_details,
)
from api.lookups import DistrictRef, district_by_name
from api.models import District, InstallationReport, OwnerType, table_of, utcnow
from api.problems import PROBLEM_RESPONSES, ApiProblem
from api.schemas import CameraId, Count, DistrictName, Lat, Lon, Page, StrictModel
from api.security import Principal

router = APIRouter(
    prefix=API_PREFIX,
    tags=["installation reports"],
    responses={k: PROBLEM_RESPONSES[k] for k in (400, 401, 403, 409, 413, 422)},
)

StreamUrl = Annotated[
    str, Field(min_length=8, max_length=512, pattern=r"^(rtsp|rtsps|http|https|file)://\S+$")
]
Fps = Annotated[float, Field(gt=0, le=240, allow_inf_nan=False)]
MAX_ITEMS = 5000


class InstalledSite(StrictModel):
    """A planned site that is now installed."""

    camera_id: CameraId
    stream_url: StreamUrl | None = None
    expected_fps: Fps | None = None


class NewSite(StrictModel):
    """A site not in the plan (e.g. an enterprise camera joining), installed."""

    camera_id: CameraId | None = Field(default=None, description="Generated when absent.")
    lon: Lon
    lat: Lat
    owner_type: OwnerType = OwnerType.government
    camera_type: str | None = Field(default=None, max_length=32)
    heading: float | None = Field(default=None, ge=0, lt=360)
    stream_url: StreamUrl | None = None
    expected_fps: Fps | None = None


class ReportIn(StrictModel):
    """An installation report of one district."""

    district: DistrictName
    installed: list[InstalledSite] = Field(default_factory=list, max_length=MAX_ITEMS)
    new_sites: list[NewSite] = Field(default_factory=list, max_length=MAX_ITEMS)
    note: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _not_empty(self) -> ReportIn:
        if not self.installed and not self.new_sites:
            raise ValueError("report at least one site in 'installed' or 'new_sites'")
        ids = [s.camera_id for s in self.installed]
        if len(set(ids)) != len(ids):
            raise ValueError("a camera_id appears twice in 'installed'")
        return self


class ReportOut(BaseModel):
    """The accepted report (replayed verbatim for retries with the same key)."""

    report_id: int
    district: str
    installed: int = Field(description="Sites this report newly installed.")
    already_installed: list[str] = Field(description="Listed sites that were installed before.")
    created_sites: list[str] = Field(description="camera_ids of the new sites.")
    district_installed: int = Field(description="Installed sites of the district after it.")
    created_at: dt.datetime


class CumulativeIn(StrictModel):
    """Total installed sites of the district so far (planned sites fill up by phase)."""

    installed: Count


class CumulativeOut(BaseModel):
    """Result of a cumulative count."""

    district: str
    installed: int
    newly_installed: int


class ReportSummary(BaseModel):
    """A report in listings."""

    report_id: int
    district: str
    kind: str
    actor: str
    installed: int
    created_at: dt.datetime


def writable(who: Principal, district: DistrictRef) -> DistrictRef:
    """The district, 403 unless the caller may write it."""
    if not who.may_write_district(district.id):
        raise ApiProblem(
            403,
            f"{who.actor} reports for {who.district!r} only, not {district.name!r}",
            slug="other-district",
        )
    return district


# Statements of the report hot path, built once.
_INSERT_REPORT = insert(table_of(InstallationReport)).returning(InstallationReport.id)
_SET_INSTALLED = (
    update(table_of(InstallationReport))
    .where(InstallationReport.id == bindparam("report"))
    .values(installed=bindparam("count"))
)


def _apply_report(
    session: Session,
    who: Principal,
    district: DistrictRef,
    body: ReportIn,
    payload: dict[str, Any],
    rid: str | None,
) -> dict[str, Any]:
    """Check and write a report: plain statements, so the write lock is held briefly."""
    site_ids = existing_sites(session, district, [s.camera_id for s in body.installed])
    check_inside(district, [(s.lon, s.lat) for s in body.new_sites], "new_sites")
    now = utcnow()
    connection = session.connection()
    report_id = connection.execute(
        _INSERT_REPORT,
        {
            "district_id": district.id,
            "kind": "sites",
            "actor": who.actor,
            "installed": 0,
            "payload": payload,
            "created_at": now,
        },
    ).scalar_one()
    newly = mark_installed(
        session, [site_ids[s.camera_id] for s in body.installed], report_id=report_id, at=now
    )
    set_stream_details(
        session,
        [
            {"id": site_ids[s.camera_id], **s.model_dump(exclude={"camera_id"}, exclude_none=True)}
            for s in body.installed
            if s.stream_url is not None or s.expected_fps is not None
        ],
    )
    created = create_installed_sites(
        session,
        district,
        [s.model_dump(exclude_none=True) for s in body.new_sites],
        report_id=report_id,
        at=now,
    )
    installed = len(newly) + len(created)
    if installed:
        connection.execute(_SET_INSTALLED, {"report": report_id, "count": installed})
    newly_set = set(newly)
    result = ReportOut(
        report_id=report_id,
        district=district.name,
        installed=installed,
        already_installed=sorted(
            s.camera_id for s in body.installed if s.camera_id not in newly_set
        ),
        created_sites=created,
        district_installed=installed_count(session, district.id),
        created_at=now,
    ).model_dump(mode="json")
    audit.record(
        session,
        who,
        "report.create",
        "installation_report",
        report_id,
        after={k: result[k] for k in ("installed", "created_sites", "district_installed")},
        district=district.name,
        request_id=rid,
    )
    return result


@router.post("/reports", status_code=status.HTTP_201_CREATED, response_model=ReportOut)
async def create_report(
    request: Request,
    body: ReportIn,
    who: ReportPrincipal,
    districts: DistrictsDep,
    rid: RequestId,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", description="Required; retries reuse it.", max_length=255),
    ] = None,
) -> Any:
    """Report installed sites (planned ids and/or new sites with locations).

    A retry with the same ``Idempotency-Key`` and body replays the first response
    (header ``Idempotent-Replayed: true``); the same key with another body is 422.
    """
    district = writable(who, await districts.get(body.district, status=422))
    key = require_key(idempotency_key)
    payload = body.model_dump(mode="json")
    return await run_once(
        request.app.state.write_batcher,
        who,
        key,
        method="POST",
        path=request.url.path,
        payload=payload,
        work=lambda session: _apply_report(session, who, district, body, payload, rid),
    )


@router.put("/districts/{name}/installed")
def put_cumulative(
    name: str,
    body: CumulativeIn,
    who: ReportPrincipal,
    districts: DistrictsDep,
    session: WriteSession,
    rid: RequestId,
) -> CumulativeOut:
    """Set the district's cumulative installed count; repeating it changes nothing."""
    district = writable(who, districts.find(name))
    lock_district(session, district)
    now = utcnow()
    report = InstallationReport(
        district_id=district.id,
        kind="cumulative",
        actor=who.actor,
        installed=0,
        payload=body.model_dump(),
        created_at=now,
    )
    session.add(report)
    session.flush()
    before = installed_count(session, district.id)
    report.installed = install_up_to(session, district, body.installed, report_id=report.id, at=now)
    if report.installed == 0:
        session.rollback()
        return CumulativeOut(district=district.name, installed=before, newly_installed=0)
    audit.record(
        session,
        who,
        "report.cumulative",
        "district",
        district.name,
        before={"installed": before},
        after={"installed": body.installed},
        district=district.name,
        request_id=rid,
    )
    session.commit()
    return CumulativeOut(
        district=district.name, installed=body.installed, newly_installed=report.installed
    )


@router.get("/reports")
def list_reports(
    who: ReadPrincipal,
    session: DbSession,
    district: str | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[ReportSummary]:
    """Accepted reports, newest first."""
    query = select(InstallationReport)
    if district is not None:
        query = query.where(
            InstallationReport.district_id == district_by_name(session, district).id
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(InstallationReport.id.desc()).offset((page - 1) * page_size).limit(page_size)
    )
    names = {d_id: name for d_id, name in session.execute(select(District.id, District.name))}
    items = [
        ReportSummary(
            report_id=r.id,
            district=names[r.district_id],
            kind=r.kind,
            actor=r.actor,
            installed=r.installed,
            created_at=r.created_at,
        )
        for r in rows
    ]
    return Page(items=items, page=page, page_size=page_size, total=total)
