"""Prepare a database for serving: migrate, seed the districts, create the demo admin."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from api.db import Database, is_sqlite
from api.migrate import upgrade
from api.seed import ensure_demo_admin, load_geodata_districts, seed_districts


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder of a SQLite database file."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


def prepare(db: Database) -> str | None:
    """Migrate and seed ``db``; returns the demo admin's password on first start."""
    upgrade(db)
    with db.session() as session:
        seed_districts(session, load_geodata_districts())
        return ensure_demo_admin(session)
