"""Seed reference data: the districts (from geodata) and, on first start, a demo admin."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import audit
from api.models import District, Role, User
from api.security import generate_password, hash_password

if TYPE_CHECKING:
    import geopandas as gpd

WGS84 = "EPSG:4326"
DEMO_ADMIN = "admin"


def seed_districts(session: Session, districts: gpd.GeoDataFrame) -> int:
    """Insert or update the districts of ``districts`` (geodata's columns); returns the
    number of new rows. Geometries are stored as WGS84 GeoJSON text."""
    wgs84 = districts.to_crs(WGS84)
    existing = {d.name: d for d in session.scalars(select(District))}
    added = 0
    for row in wgs84.itertuples(index=False):
        values = {
            "name_zh": str(row.name_zh),
            "code": str(row.code),
            "area_km2": float(row.area_km2),
            "geometry": json.dumps(row.geometry.__geo_interface__, separators=(",", ":")),
        }
        district = existing.get(str(row.district))
        if district is None:
            session.add(District(name=str(row.district), **values))
            added += 1
        else:
            for key, value in values.items():
                setattr(district, key, value)
    session.commit()
    return added


def load_geodata_districts() -> gpd.GeoDataFrame:
    """The built-in district boundaries (imported lazily: geodata is heavy)."""
    import geodata

    return geodata.load_districts()


def ensure_demo_admin(session: Session) -> str | None:
    """Create the demo admin when no user exists; returns its password (shown once)."""
    if session.scalar(select(func.count()).select_from(User)):
        return None
    password = generate_password()
    session.add(User(username=DEMO_ADMIN, password_hash=hash_password(password), role=Role.admin))
    audit.record(session, "cli", "user.create", "user", DEMO_ADMIN, after={"role": "admin"})
    session.commit()
    return password
