"""Find rows by their public keys or answer 404/422 naming the missing value."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.cache import CommitCache
from api.db import Database
from api.models import AssessmentPeriod, District
from api.problems import ApiProblem

DIRECTORY_SECONDS = 60.0


def _unknown_district(name: str, known: list[str], status: int) -> ApiProblem:
    return ApiProblem(
        status, f"unknown district {name!r}; known: {', '.join(known)}", slug="unknown-district"
    )


def district_by_name(session: Session, name: str, *, status: int = 404) -> District:
    """The district called ``name`` (404 in paths, pass ``status=422`` for bodies)."""
    district = session.scalars(select(District).where(District.name == name)).first()
    if district is None:
        known = list(session.scalars(select(District.name).order_by(District.name)))
        raise _unknown_district(name, known, status)
    return district


@dataclass(frozen=True)
class DistrictRef:
    """What the write paths need of a district: keys, code and WGS84 GeoJSON boundary."""

    id: int
    name: str
    code: str
    geometry: str


class DistrictDirectory:
    """Every district by name, held in memory by each process.

    Districts are reference data (seeded from geodata before the API serves, never
    written through it), so the report hot path resolves them without a query; the
    directory is re-read in the background every ``DIRECTORY_SECONDS``.
    """

    def __init__(self, db: Database, ttl: float = DIRECTORY_SECONDS) -> None:
        self.db = db
        self._cache: CommitCache[dict[str, DistrictRef]] = CommitCache(ttl)

    def _load(self) -> dict[str, DistrictRef]:
        with self.db.session() as session:
            rows = session.execute(
                select(District.id, District.name, District.code, District.geometry)
            )
            return {row.name: DistrictRef(*row) for row in rows}

    def find(self, name: str, *, status: int = 404) -> DistrictRef:
        """The district called ``name`` (may query: for worker threads)."""
        return self._pick(self._cache.get(None, self._load), name, status)

    async def get(self, name: str, *, status: int = 404) -> DistrictRef:
        """:meth:`find` for the event loop: a query, if needed, runs in a worker thread."""
        districts = self._cache.peek(None)
        if districts is None:
            districts = await run_in_threadpool(self._cache.get, None, self._load)
        return self._pick(districts, name, status)

    @staticmethod
    def _pick(districts: dict[str, DistrictRef], name: str, status: int) -> DistrictRef:
        if name not in districts:
            raise _unknown_district(name, sorted(districts), status)
        return districts[name]


def period_by_name(session: Session, name: str, *, status: int = 404) -> AssessmentPeriod:
    """The period called ``name``."""
    period = session.scalars(select(AssessmentPeriod).where(AssessmentPeriod.name == name)).first()
    if period is None:
        raise ApiProblem(status, f"unknown period {name!r}", slug="unknown-period")
    return period
