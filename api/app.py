"""The app factory: settings -> database -> routers, middleware and problem handlers.

Migrations are not run here (``safecity serve`` and the test fixtures run them first), so
building an app never changes a database.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from api.cache import CommitCache
from api.config import ApiSettings, get_api_settings
from api.db import Database
from api.deps import API_PREFIX
from api.lookups import DistrictDirectory
from api.metrics import ApiMetrics
from api.middleware import BodyLimitMiddleware, RequestContextMiddleware
from api.models import ApiKey, User
from api.problems import document_problems, install_problem_handlers
from api.progress import RolloutCache
from api.routers import ROUTERS
from api.routers.dashboard import STATIC_DIR
from api.write_batches import WriteBatcher
from safecity.settings import Settings, get_settings

PLAN_IMPORT_PATH = f"{API_PREFIX}/plans/import"


def create_app(
    database_url: str | None = None,
    *,
    settings: Settings | None = None,
    api_settings: ApiSettings | None = None,
) -> FastAPI:
    """Build the API app on ``database_url`` (default: ``SAFECITY_DATABASE_URL``)."""
    settings = settings or get_settings()
    api_settings = api_settings or get_api_settings()
    db = Database(
        database_url or settings.database_url, busy_timeout_ms=api_settings.sqlite_busy_timeout_ms
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        _freeze_startup_heap()
        yield
        app.state.write_batcher.close()
        db.dispose()

    app = FastAPI(
        title="safecity API",
        version="1.0.0",
        summary="Rollout tracking, feed health and responsibility assessment of Shenzhen's "
        "city-wide camera plan.",
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.settings = settings
    app.state.api_settings = api_settings
    app.state.write_batcher = WriteBatcher(db)
    app.state.districts = DistrictDirectory(db)
    app.state.rollout_cache = RolloutCache(api_settings.cache_seconds, db)
    db.on_commit(app.state.rollout_cache.invalidate)
    app.state.principal_cache = CommitCache(api_settings.cache_seconds)
    _drop_principals_when_accounts_change(db, app.state.principal_cache)
    app.state.metrics = ApiMetrics(app.state.rollout_cache)
    install_problem_handlers(app)
    _document_problems_in_openapi(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC_DIR), name="dashboard-static")
    app.add_middleware(
        BodyLimitMiddleware,
        limit=api_settings.max_body_bytes,
        overrides={PLAN_IMPORT_PATH: api_settings.max_plan_bytes},
    )
    app.add_middleware(RequestContextMiddleware, observe=app.state.metrics.observe)
    return app


@cache
def _freeze_startup_heap() -> None:
    """Move what startup built (modules, routes, schemas, geodata: ~190,000 objects) out of
    the garbage collector's sight, once per process. A full collection walked all of it,
    pausing every request of the worker for ~100 ms now and then (the read p99);
    collections now walk only objects made since."""
    gc.collect()
    gc.freeze()


def _document_problems_in_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _drop_principals_when_accounts_change(db: Database, cache: CommitCache[Any]) -> None:
    """Credential lookups stay cached across ordinary writes and are dropped by any commit
    that added, changed or deleted a user or API key (all account writes go through the
    ORM), so a disabled user or revoked key stops working at once."""

    def note(session: Session, _context: object) -> None:
        touched = (*session.new, *session.dirty, *session.deleted)
        if any(isinstance(obj, User | ApiKey) for obj in touched):
            session.info["accounts_changed"] = True

    def drop(session: Session) -> None:
        if session.info.pop("accounts_changed", False):
            cache.invalidate()

    db.listen("before_flush", lambda session, context, _instances: note(session, context))
    db.listen("after_commit", drop)
