"""Installing sites: the writes behind reports and cumulative counts (no HTTP here).

Marking a site installed is ``UPDATE ... WHERE status = 'planned' RETURNING``: of two
transactions installing the same site only one sees it planned, so a site is counted once
however requests interleave.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import numpy as np
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from api.geo import inside
from api.lookups import DistrictRef
from api.models import CameraSite, District, SiteStatus, table_of
from api.problems import ApiProblem

# Statements of the report hot path, built once (executed on the session's connection).
_COUNT_INSTALLED = select(func.count()).where(
    CameraSite.district_id == bindparam("district"),
    CameraSite.status == SiteStatus.installed.value,
)
_MARK_INSTALLED = (
    update(table_of(CameraSite))
    .where(
        CameraSite.id.in_(bindparam("site_ids", expanding=True)),
        CameraSite.status == SiteStatus.planned.value,
    )
    .values(
        status=SiteStatus.installed.value,
        installed_at=bindparam("when"),
        installed_by_report_id=bindparam("report"),
    )
    .returning(CameraSite.camera_id)
)
_SITES_NAMED = select(CameraSite.camera_id, CameraSite.id, CameraSite.district_id).where(
    CameraSite.camera_id.in_(bindparam("camera_ids", expanding=True))
)


def installed_count(session: Session, district_id: int) -> int:
    """Installed sites of a district."""
    return int(
        session.connection().execute(_COUNT_INSTALLED, {"district": district_id}).scalar_one()
    )


def check_inside(district: DistrictRef, points: list[tuple[float, float]], what: str) -> None:
    """422 naming the first point outside the district."""
    if not points:
        return
    lonlat = np.asarray(points, dtype=float)
    ok = inside(district.geometry, lonlat[:, 0], lonlat[:, 1])
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        raise ApiProblem(
            422,
            f"{what}[{bad}] at lon={lonlat[bad, 0]:.6f}, lat={lonlat[bad, 1]:.6f} lies outside "
            f"district {district.name!r}",
            slug="location-outside-district",
            errors=[
                {"loc": ["body", what, bad], "msg": "outside the district", "type": "location"}
            ],
        )


def existing_sites(
    session: Session, district: DistrictRef, camera_ids: list[str]
) -> dict[str, int]:
    """Row ids of the named sites, 422 if any is unknown or belongs to another district."""
    if not camera_ids:
        return {}
    rows = session.connection().execute(_SITES_NAMED, {"camera_ids": camera_ids})
    sites = {camera_id: (site_id, district_id) for camera_id, site_id, district_id in rows}
    unknown = [cid for cid in camera_ids if cid not in sites]
    if unknown:
        raise ApiProblem(
            422, f"unknown camera_id(s): {', '.join(unknown[:10])}", slug="unknown-site"
        )
    foreign = [cid for cid in camera_ids if sites[cid][1] != district.id]
    if foreign:
        raise ApiProblem(
            422,
            f"camera_id(s) {', '.join(foreign[:10])} belong to another district than "
            f"{district.name!r}",
            slug="site-in-other-district",
        )
    return {cid: site_id for cid, (site_id, _) in sites.items()}


def mark_installed(
    session: Session, site_ids: list[int], *, report_id: int | None, at: dt.datetime
) -> list[str]:
    """Install the still-planned sites among ``site_ids``; returns the ones this call did."""
    if not site_ids:
        return []
    rows = session.connection().execute(
        _MARK_INSTALLED, {"site_ids": site_ids, "when": at, "report": report_id}
    )
    return sorted(rows.scalars())


def set_stream_details(session: Session, details: list[dict[str, Any]]) -> None:
    """Record stream URL / expected fps of sites (``id`` + the fields given)."""
    for row in details:
        session.execute(
            update(CameraSite)
            .where(CameraSite.id == row["id"])
            .values(**{k: v for k, v in row.items() if k != "id"})
        )


def new_camera_id(district: DistrictRef) -> str:
    """A fresh id for a reported site without one, e.g. ``440304-R-3f2a9c1b7d4e``."""
    return f"{district.code}-R-{uuid.uuid4().hex[:12]}"


def create_installed_sites(
    session: Session,
    district: DistrictRef,
    sites: list[dict[str, Any]],
    *,
    report_id: int | None,
    at: dt.datetime,
) -> list[str]:
    """Insert reported new sites as installed; 409 if a given camera_id already exists."""
    if not sites:
        return []
    rows = [
        {
            **site,
            "camera_id": site.get("camera_id") or new_camera_id(district),
            "district_id": district.id,
            "status": SiteStatus.installed.value,
            "source": "report",
            "created_at": at,
            "installed_at": at,
            "installed_by_report_id": report_id,
        }
        for site in sites
    ]
    ids = [r["camera_id"] for r in rows]
    taken = list(session.scalars(select(CameraSite.camera_id).where(CameraSite.camera_id.in_(ids))))
    if taken or len(set(ids)) != len(ids):
        dupes = taken or [i for i in ids if ids.count(i) > 1]
        raise ApiProblem(
            409,
            f"camera_id(s) already exist: {', '.join(sorted(set(dupes))[:10])}",
            slug="site-exists",
        )
    session.execute(insert(CameraSite), rows)
    return ids


def lock_district(session: Session, district: DistrictRef) -> None:
    """Serialise installation writes of one district (row lock on PostgreSQL; SQLite
    write transactions are serial already)."""
    session.execute(select(District.id).where(District.id == district.id).with_for_update())


def install_up_to(
    session: Session, district: DistrictRef, total: int, *, report_id: int, at: dt.datetime
) -> int:
    """Install planned sites in plan order (the planner lists them by greedy rank) until
    ``total`` are installed; returns how
    many this call installed. 422 if ``total`` is below the current count or above the plan.
    """
    current = installed_count(session, district.id)
    if total < current:
        raise ApiProblem(
            422,
            f"installed={total} is below the {current} sites already installed in "
            f"{district.name!r}; counts are cumulative and never decrease",
            slug="count-decreased",
        )
    missing = total - current
    if missing == 0:
        return 0
    candidates = list(
        session.scalars(
            select(CameraSite.id)
            .where(
                CameraSite.district_id == district.id,
                CameraSite.status == SiteStatus.planned.value,
            )
            .order_by(CameraSite.id)
            .limit(missing)
        )
    )
    if len(candidates) < missing:
        raise ApiProblem(
            422,
            f"installed={total} exceeds the {current + len(candidates)} sites planned in "
            f"{district.name!r}; report new sites with their location instead",
            slug="count-exceeds-plan",
        )
    return len(mark_installed(session, candidates, report_id=report_id, at=at))
