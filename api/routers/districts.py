"""Districts: list and read (with WGS84 GeoJSON geometry for maps)."""

from __future__ import annotations

import json

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import API_PREFIX, DbSession, ReadPrincipal
from api.lookups import district_by_name
from api.models import District
from api.problems import PROBLEM_RESPONSES
from api.schemas import DistrictOut

router = APIRouter(
    prefix=f"{API_PREFIX}/districts",
    tags=["districts"],
    responses={k: PROBLEM_RESPONSES[k] for k in (401, 403)},
)


def district_out(district: District, *, geometry: bool) -> DistrictOut:
    """Response model of a district."""
    return DistrictOut(
        name=district.name,
        name_zh=district.name_zh,
        code=district.code,
        area_km2=district.area_km2,
        geometry=json.loads(district.geometry) if geometry else None,
    )


@router.get("")
def list_districts(
    session: DbSession, who: ReadPrincipal, geometry: bool = False
) -> list[DistrictOut]:
    """All districts by name; ``geometry=true`` adds the WGS84 boundaries."""
    rows = session.scalars(select(District).order_by(District.name))
    return [district_out(d, geometry=geometry) for d in rows]


@router.get("/{name}", responses={404: PROBLEM_RESPONSES[404]})
def read_district(name: str, session: DbSession, who: ReadPrincipal) -> DistrictOut:
    """One district with its boundary."""
    return district_out(district_by_name(session, name), geometry=True)
