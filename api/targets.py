"""Writing per-district camera targets of a period (used by targets and plan import)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import AssessmentPeriod, Target


def set_period_targets(
    session: Session, period: AssessmentPeriod, cameras_by_district: dict[int, int]
) -> None:
    """Upsert targets of ``period`` (district id -> cameras) inside the caller's transaction."""
    existing = {
        t.district_id: t
        for t in session.scalars(select(Target).where(Target.period_id == period.id))
    }
    for district_id, cameras in cameras_by_district.items():
        target = existing.get(district_id)
        if target is None:
            session.add(Target(district_id=district_id, period_id=period.id, cameras=cameras))
        else:
            target.cameras = cameras
    session.flush()
