"""Rollout figures per district: target, planned, installed, online (live and healthy).

One grouped query over sites x health serves the progress endpoints, the Prometheus
collector and the assessment. ``online`` counts installed sites whose latest feed state is
``ok``; installed sites the monitor never reported count as ``unknown``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.cache import CommitCache
from api.db import Database
from api.models import (
    AssessmentPeriod,
    CameraHealth,
    CameraSite,
    District,
    HealthState,
    SiteStatus,
    Target,
)

UNKNOWN_STATE = "unknown"


@dataclass
class DistrictCounts:
    """Rollout figures of one district (or of the whole city)."""

    district: str
    target: int = 0
    pending: int = 0  # planned sites not yet installed
    installed: int = 0
    states: dict[str, int] = field(default_factory=dict)  # installed sites by feed state

    @property
    def planned(self) -> int:
        """Sites in the plan, installed or not."""
        return self.pending + self.installed

    @property
    def online(self) -> int:
        """Installed sites whose feed is live and healthy."""
        return self.states.get(HealthState.ok.value, 0)

    @property
    def completion(self) -> float:
        """installed / target (0 when there is no target)."""
        return self.installed / self.target if self.target else 0.0

    @property
    def online_rate(self) -> float:
        """online / installed (0 when nothing is installed)."""
        return self.online / self.installed if self.installed else 0.0

    def add(self, other: DistrictCounts) -> None:
        """Accumulate ``other`` into this total."""
        self.target += other.target
        self.pending += other.pending
        self.installed += other.installed
        for state, count in other.states.items():
            self.states[state] = self.states.get(state, 0) + count


def period_for(session: Session, day: dt.date) -> AssessmentPeriod | None:
    """The period containing ``day`` (shortest such), else the latest one that has ended."""
    containing = session.scalars(
        select(AssessmentPeriod)
        .where(AssessmentPeriod.starts_on <= day, AssessmentPeriod.ends_on >= day)
        .order_by(AssessmentPeriod.ends_on - AssessmentPeriod.starts_on, AssessmentPeriod.id)
    ).first()
    if containing is not None:
        return containing
    return session.scalars(
        select(AssessmentPeriod)
        .where(AssessmentPeriod.ends_on < day)
        .order_by(AssessmentPeriod.ends_on.desc(), AssessmentPeriod.id)
    ).first()


def rollout_counts(
    session: Session,
    *,
    period: AssessmentPeriod | None = None,
    district_ids: list[int] | None = None,
    with_targets: bool = True,
) -> list[DistrictCounts]:
    """Figures per district, ordered by district name, with the targets of ``period``
    (default: the period containing today); ``with_targets=False`` leaves targets at 0."""
    if with_targets and period is None:
        period = period_for(session, dt.datetime.now(dt.UTC).date())
    districts = session.execute(select(District.id, District.name).order_by(District.name)).all()
    wanted = set(district_ids) if district_ids is not None else None
    by_id = {
        d_id: DistrictCounts(district=name)
        for d_id, name in districts
        if wanted is None or d_id in wanted
    }
    sites = select(CameraSite.district_id, CameraSite.status, func.count()).group_by(
        CameraSite.district_id, CameraSite.status
    )
    states = (
        select(CameraSite.district_id, CameraHealth.state, func.count())
        .join(CameraSite, CameraSite.id == CameraHealth.site_id)
        .where(CameraSite.status == SiteStatus.installed.value)
        .group_by(CameraSite.district_id, CameraHealth.state)
    )
    if district_ids is not None:
        sites = sites.where(CameraSite.district_id.in_(district_ids))
        states = states.where(CameraSite.district_id.in_(district_ids))
    for d_id, status, count in session.execute(sites):
        if status == SiteStatus.planned.value:
            by_id[d_id].pending += count
        else:
            by_id[d_id].installed += count
    for d_id, state, count in session.execute(states):
        by_id[d_id].states[state] = count
    for counts in by_id.values():
        reported = sum(counts.states.values())
        if counts.installed > reported:
            counts.states[UNKNOWN_STATE] = counts.installed - reported
    if period is not None:
        for d_id, cameras in session.execute(
            select(Target.district_id, Target.cameras).where(Target.period_id == period.id)
        ):
            if d_id in by_id:
                by_id[d_id].target = cameras
    return list(by_id.values())


class RolloutCache:
    """Cached ``rollout_counts`` and current-period lookups (see ``api.cache``): progress
    is read far more often than written. Figures are computed in sessions of their own,
    so an aged entry can be refreshed in the background."""

    def __init__(self, ttl: float, db: Database) -> None:
        self.store: CommitCache[object] = CommitCache(ttl)
        self.db = db

    def invalidate(self, *_args: object) -> None:
        """Forget everything (wired to ``after_commit``)."""
        self.store.invalidate()

    def current_period(self, day: dt.date) -> AssessmentPeriod | None:
        """``period_for(day)``, cached (the row is detached: read its columns only)."""

        def look_up() -> AssessmentPeriod | None:
            with self.db.session() as session:
                return period_for(session, day)

        period = self.store.get(("period", day), look_up)
        return period if isinstance(period, AssessmentPeriod) else None

    def get(self, period: AssessmentPeriod | None) -> list[DistrictCounts]:
        """Counts for ``period`` (copies: callers may change them freely)."""

        def count() -> list[DistrictCounts]:
            with self.db.session() as session:
                return rollout_counts(session, period=period)

        return _copies(self.store.get(_counts_key(period), count))

    def current(self, day: dt.date) -> tuple[AssessmentPeriod | None, list[DistrictCounts]]:
        """The period containing ``day`` and its counts (may query: for worker threads)."""
        period = self.current_period(day)
        return period, self.get(period)

    def peek_current(
        self, day: dt.date
    ) -> tuple[AssessmentPeriod | None, list[DistrictCounts]] | None:
        """:meth:`current` when both are cached and fresh, else None: never queries, so
        the event loop may ask (and only goes to a worker thread on a miss)."""
        period = self.store.peek(("period", day))
        if not isinstance(period, AssessmentPeriod):
            return None
        rows = self.store.peek(_counts_key(period))
        return None if rows is None else (period, _copies(rows))


def _counts_key(period: AssessmentPeriod | None) -> tuple[str, int | None]:
    return ("counts", period.id if period is not None else None)


def _copies(rows: object) -> list[DistrictCounts]:
    assert isinstance(rows, list)
    return [replace(r, states=dict(r.states)) for r in rows]


def city_total(rows: list[DistrictCounts]) -> DistrictCounts:
    """Sum of the district figures."""
    total = DistrictCounts(district="Shenzhen")
    for row in rows:
        total.add(row)
    return total
