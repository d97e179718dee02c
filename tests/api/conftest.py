"""API test fixtures: every test gets a fresh, migrated, seeded database on SQLite AND on
PostgreSQL (SQLite: a copy of a per-session template file; PostgreSQL: one database per
session, created for the run and dropped after it, whose tables are truncated and
re-seeded before each test), an app, a client, credentials for every role and, on
demand, a real uvicorn server.

Fixtures for other API test modules: ``backend``, ``db_url``, ``app``, ``client``,
``auth`` (role -> headers), ``plan`` (imports planned sites), ``points_in``,
``live_server`` (base URL of uvicorn on a free port), ``row_counts``.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.config import ApiSettings
from api.db import Database
from api.migrate import upgrade
from api.models import ApiKey, Base, District, Role, User
from api.security import ROLE_SCOPES, create_access_token, hash_api_key, hash_password
from api.seed import seed_districts
from safecity.settings import Settings

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
SEEDED = (District, User, ApiKey)  # tables restored (same ids) before each PostgreSQL test
TEST_SECRET = "safecity-api-test-secret-0123456789abcdef"
PASSWORD = "correct horse battery staple"
# role name used in tests -> (role, district or None, credential kind)
PRINCIPALS: dict[str, tuple[Role, str | None, str]] = {
    "admin": (Role.admin, None, "token"),
    "assessor": (Role.assessor, None, "token"),
    "reporter": (Role.reporter, "Futian", "token"),
    "reporter_nanshan": (Role.reporter, "Nanshan", "token"),
    "reporter_key": (Role.reporter, "Futian", "key"),
    "monitor": (Role.monitor, None, "key"),
}


@dataclass
class Template:
    """A migrated and seeded database that per-test databases are copied from."""

    backend: str
    url: str
    user_ids: dict[str, int] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    seed_rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _admin_engine() -> sa.Engine:
    return sa.create_engine(f"{PG_SERVER}/test", isolation_level="AUTOCOMMIT")


def _fill(url: str, districts: gpd.GeoDataFrame, template: Template) -> None:
    db = Database(url)
    upgrade(db)
    with db.session() as session:
        seed_districts(session, districts)
        ids = {d.name: d.id for d in session.scalars(sa.select(District))}
        password_hash = hash_password(PASSWORD)
        for name, (role, district, kind) in PRINCIPALS.items():
            district_id = ids[district] if district else None
            if kind == "token":
                user = User(
                    username=name,
                    password_hash=password_hash,
                    role=role.value,
                    district_id=district_id,
                )
                session.add(user)
                session.flush()
                template.user_ids[name] = user.id
            else:
                key = f"sck_test_{name}_{uuid.uuid4().hex}"
                session.add(
                    ApiKey(
                        name=name,
                        prefix=key[:8],
                        key_hash=hash_api_key(key),
                        role=role.value,
                        district_id=district_id,
                        created_by="tests",
                    )
                )
                template.keys[name] = key
        session.commit()
        for model in SEEDED:
            table = model.__table__
            template.seed_rows[table.name] = [
                dict(row._mapping) for row in session.execute(sa.select(table))
            ]
    db.dispose()


def _reset(url: str, template: Template) -> None:
    """Empty every table (migrating first if a test dropped them), then restore the
    districts and test principals with their ids."""
    db = Database(url)
    if not sa.inspect(db.engine).has_table("districts"):
        upgrade(db)
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        for model in SEEDED:
            table = model.__tablename__
            conn.execute(sa.insert(model.__table__), template.seed_rows[table])
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    db.dispose()


@pytest.fixture(scope="session")
def district_frame() -> gpd.GeoDataFrame:
    """geodata's district boundaries (loaded once)."""
    import geodata

    return geodata.load_districts()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def template(
    request: pytest.FixtureRequest,
    district_frame: gpd.GeoDataFrame,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Template]:
    """The per-backend template database (the whole API suite runs on both)."""
    backend = request.param
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("api-db") / "template.db"
        tpl = Template(backend, f"sqlite:///{path}")
        _fill(tpl.url, district_frame, tpl)
        yield tpl
        return
    name = f"safecity_test_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    tpl = Template(backend, f"{PG_SERVER}/{name}")
    try:
        _fill(tpl.url, district_frame, tpl)
        yield tpl
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def backend(template: Template) -> str:
    """``sqlite`` or ``postgresql``."""
    return template.backend


def fresh_url(template: Template, folder: Path) -> str:
    """A database for one test or module: a SQLite copy in ``folder``, or the PostgreSQL
    session database emptied and re-seeded."""
    if template.backend == "sqlite":
        target = folder / f"api-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(Path(template.url.removeprefix("sqlite:///")), target)
        return f"sqlite:///{target}"
    _reset(template.url, template)
    return template.url


@pytest.fixture
def db_url(template: Template, tmp_path: Path) -> str:
    """URL of a fresh database for this test (SQLite copy / emptied PostgreSQL database)."""
    return fresh_url(template, tmp_path)


def settings_for(db_url: str) -> Settings:
    """Settings of a test app (non-default secret, environment ``test``)."""
    return Settings(environment="test", secret_key=TEST_SECRET, database_url=db_url)


@pytest.fixture
def api_settings() -> ApiSettings:
    """API limits of test apps (defaults; override the fixture to change them)."""
    return ApiSettings()


def make_app(db_url: str, api_settings: ApiSettings | None = None) -> FastAPI:
    """An API app on ``db_url`` with the test settings."""
    return create_app(db_url, settings=settings_for(db_url), api_settings=api_settings)


@pytest.fixture
def app(db_url: str, api_settings: ApiSettings) -> Iterator[FastAPI]:
    """The API app on the test database."""
    application = make_app(db_url, api_settings)
    yield application
    application.state.db.dispose()


@pytest.fixture(scope="module")
def module_app(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """One app + database shared by a whole test module (state accumulates across tests;
    for property-based suites where a fresh database per example would dominate)."""
    application = make_app(fresh_url(template, tmp_path_factory.mktemp("module-db")))
    yield application
    application.state.db.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """In-process client; server exceptions propagate, so any 500 fails the test."""
    with TestClient(app) as test_client:
        yield test_client


def token_for(template: Template, name: str, *, minutes: int = 30, **kwargs: Any) -> str:
    """A JWT for one of the test users (``minutes`` < 0 gives an expired token)."""
    role = PRINCIPALS[name][0]
    return create_access_token(
        secret=kwargs.get("secret", TEST_SECRET),
        user_id=template.user_ids[name],
        username=name,
        role=role,
        scopes=kwargs.get("scopes", ROLE_SCOPES[role]),
        minutes=minutes,
    )


@pytest.fixture
def auth(template: Template) -> dict[str, dict[str, str]]:
    """Request headers per test principal, plus ``anonymous`` (no credentials)."""
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for name, (_role, _district, kind) in PRINCIPALS.items():
        if kind == "token":
            headers[name] = {"Authorization": f"Bearer {token_for(template, name)}"}
        else:
            headers[name] = {"X-API-Key": template.keys[name]}
    return headers


@pytest.fixture
def login_password() -> str:
    """Password of every test user (for the OAuth2 password flow)."""
    return PASSWORD


@pytest.fixture
def tokens(template: Template) -> Callable[..., str]:
    """Mint tokens: ``tokens("reporter", minutes=-1)`` or ``tokens("admin", secret=...)``."""
    return lambda name, **kwargs: token_for(template, name, **kwargs)


@pytest.fixture(scope="session")
def points_in(district_frame: gpd.GeoDataFrame) -> Callable[[str, int], list[tuple[float, float]]]:
    """``points_in(district, n)``: n distinct WGS84 (lon, lat) points inside the district."""
    wgs84 = district_frame.to_crs("EPSG:4326").set_index("district")
    cache: dict[str, np.ndarray] = {}

    def sample(district: str, n: int) -> list[tuple[float, float]]:
        if district not in cache or len(cache[district]) < n:
            polygon = wgs84.geometry[district].buffer(-0.002)
            rng = np.random.default_rng(zlib.crc32(district.encode()))
            x0, y0, x1, y1 = polygon.bounds
            found: list[np.ndarray] = []
            total = 0
            while total < n:
                xy = rng.uniform((x0, y0), (x1, y1), size=(max(4 * n, 64), 2))
                keep = xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]
                found.append(keep)
                total += len(keep)
            cache[district] = np.round(np.concatenate(found), 7)
        return [(float(x), float(y)) for x, y in cache[district][:n]]

    return sample


@pytest.fixture
def plan(
    client: TestClient,
    auth: dict[str, dict[str, str]],
    points_in: Callable[[str, int], list[tuple[float, float]]],
) -> Callable[..., dict[str, list[str]]]:
    """Import planned sites through the API: ``plan({"Futian": 20}, period=None)`` returns
    the new camera ids per district (``<district>-P<i>``)."""

    def do_import(per_district: dict[str, int], period: str | None = None) -> dict[str, list[str]]:
        features = []
        ids: dict[str, list[str]] = {}
        for district, n in per_district.items():
            ids[district] = [f"{district}-P{i:05d}" for i in range(n)]
            for cid, (lon, lat) in zip(ids[district], points_in(district, n), strict=True):
                features.append(
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [lon, lat]},
                        "properties": {
                            "camera_id": cid,
                            "district": district,
                            "type": "bullet",
                            "heading": 90.0,
                            "phase": 1,
                            "cost": 1200.0,
                        },
                    }
                )
        body: dict[str, Any] = {"cameras": {"type": "FeatureCollection", "features": features}}
        if period:
            body["period"] = period
        response = client.post("/api/v1/plans/import", json=body, headers=auth["admin"])
        assert response.status_code == 200, response.text
        return ids

    return do_import


@pytest.fixture
def row_counts(app: FastAPI) -> Callable[[], dict[str, int]]:
    """Rows per table, to assert that a rejected request wrote nothing."""

    def count() -> dict[str, int]:
        with app.state.db.session() as session:
            return {
                table.name: session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
                for table in Base.metadata.sorted_tables
            }

    return count


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """Base URL of a real uvicorn server (in a thread) serving ``app`` on 127.0.0.1."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=_free_port(),
        log_level="warning",
        backlog=1024,
        limit_concurrency=2000,
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{config.port}"
    server.should_exit = True
    thread.join(timeout=20)
