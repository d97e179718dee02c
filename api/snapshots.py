"""Daily progress snapshots (online counts over time) and the trend built from history.

Installed counts per day come straight from ``camera_sites.installed_at`` (exact); the
online count of a day is the last snapshot written that day (every health ingest writes
one for the districts whose camera states changed), carried forward over quiet days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api.models import CameraSite, ProgressSnapshot, SiteStatus, utcnow
from api.progress import rollout_counts


def record_snapshots(session: Session, district_ids: list[int]) -> None:
    """Upsert today's snapshot of the given districts (inside the caller's transaction)."""
    if not district_ids:
        return
    now = utcnow()
    rows = [
        {
            "day": now.date(),
            "district_id": d_id,
            "planned": counts.planned,
            "installed": counts.installed,
            "online": counts.online,
            "updated_at": now,
        }
        for d_id, counts in zip(
            sorted(district_ids),
            rollout_counts(session, district_ids=sorted(district_ids), with_targets=False),
            strict=True,
        )
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ProgressSnapshot).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["day", "district_id"],
        set_={
            "planned": statement.excluded.planned,
            "installed": statement.excluded.installed,
            "online": statement.excluded.online,
            "updated_at": statement.excluded.updated_at,
        },
    )
    session.execute(statement)


@dataclass(frozen=True)
class TrendPoint:
    """Figures at the end of one day."""

    day: dt.date
    installed: int
    online: int | None


def trend(
    session: Session, *, days: int, district_id: int | None = None, today: dt.date | None = None
) -> list[TrendPoint]:
    """One point per day for the last ``days`` days (oldest first)."""
    today = today or utcnow().date()
    first = today - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    installed_filter = [CameraSite.status == SiteStatus.installed.value]
    snapshot_filter = []
    if district_id is not None:
        installed_filter.append(CameraSite.district_id == district_id)
        snapshot_filter.append(ProgressSnapshot.district_id == district_id)
    base = (
        session.scalar(
            select(func.count()).where(*installed_filter, CameraSite.installed_at < start)
        )
        or 0
    )
    day_of = func.date(CameraSite.installed_at)
    per_day = {
        str(day)[:10]: count
        for day, count in session.execute(
            select(day_of, func.count())
            .where(*installed_filter, CameraSite.installed_at >= start)
            .group_by(day_of)
        )
    }
    online = _online_by_day(session, first, days, district_id)
    points: list[TrendPoint] = []
    running = base
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        running += per_day.get(day.isoformat(), 0)
        points.append(TrendPoint(day=day, installed=running, online=online[offset]))
    return points


def _online_by_day(
    session: Session, first: dt.date, days: int, district_id: int | None
) -> list[int | None]:
    """Online count per day: each district's latest snapshot up to that day, summed
    (None before any district has one)."""
    query = select(ProgressSnapshot.district_id, ProgressSnapshot.day, ProgressSnapshot.online)
    if district_id is not None:
        query = query.where(ProgressSnapshot.district_id == district_id)
    window_end = first + dt.timedelta(days=days)
    latest_before: dict[int, int] = {}
    in_window: dict[tuple[int, int], int] = {}
    for d_id, day, online in session.execute(
        query.where(ProgressSnapshot.day < window_end).order_by(ProgressSnapshot.day)
    ):
        offset = (day - first).days
        if offset < 0:
            latest_before[d_id] = online
        else:
            in_window[(d_id, offset)] = online
    current = dict(latest_before)
    result: list[int | None] = []
    for offset in range(days):
        for (d_id, day_offset), online in in_window.items():
            if day_offset == offset:
                current[d_id] = online
        result.append(sum(current.values()) if current else None)
    return result
