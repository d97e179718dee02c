"""Find rows by their public keys or answer 404/422 naming the missing value."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.models import AssessmentPeriod, District
from api.problems import ApiProblem


def district_by_name(session: Session, name: str, *, status: int = 404) -> District:
    """The district called ``name`` (404 in paths, pass ``status=422`` for bodies)."""
    district = session.scalars(select(District).where(District.name == name)).first()
    if district is None:
        known = ", ".join(session.scalars(select(District.name).order_by(District.name)))
        raise ApiProblem(
            status, f"unknown district {name!r}; known: {known}", slug="unknown-district"
        )
    return district


def period_by_name(session: Session, name: str, *, status: int = 404) -> AssessmentPeriod:
    """The period called ``name``."""
    period = session.scalars(select(AssessmentPeriod).where(AssessmentPeriod.name == name)).first()
    if period is None:
        raise ApiProblem(status, f"unknown period {name!r}", slug="unknown-period")
    return period
