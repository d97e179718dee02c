"""Typed ``Annotated`` dependencies: database sessions, settings and the calling principal.

Endpoints declare what they need in their signature, e.g. ``session: WriteSession`` and
``who: AdminPrincipal``; scopes come from ``security.ROLE_SCOPES``. Anonymous callers get
401, callers lacking a scope 403, both as problem documents. Dependencies without I/O are
``async`` so they run on the event loop instead of costing a threadpool round trip.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer, SecurityScopes
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.cache import CommitCache
from api.config import ApiSettings
from api.db import Database
from api.lookups import DistrictDirectory
from api.models import ApiKey, Role, User
from api.problems import ApiProblem
from api.progress import RolloutCache
from api.security import (
    ROLE_SCOPES,
    SCOPES,
    Principal,
    TokenError,
    decode_access_token,
    hash_api_key,
)
from safecity.settings import Settings

API_PREFIX = "/api/v1"
TOKEN_URL = f"{API_PREFIX}/auth/token"

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, scopes=SCOPES, auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)


async def get_database(request: Request) -> Database:
    """The app's database (created by the app factory)."""
    db: Database = request.app.state.db
    return db


async def get_settings(request: Request) -> Settings:
    """The shared settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_api_settings(request: Request) -> ApiSettings:
    """The API settings the app was built with."""
    api_settings: ApiSettings = request.app.state.api_settings
    return api_settings


async def get_rollout_cache(request: Request) -> RolloutCache:
    """The app's cache of progress figures."""
    cache: RolloutCache = request.app.state.rollout_cache
    return cache


async def get_districts(request: Request) -> DistrictDirectory:
    """The app's in-memory directory of districts."""
    districts: DistrictDirectory = request.app.state.districts
    return districts


DatabaseDep = Annotated[Database, Depends(get_database)]
DistrictsDep = Annotated[DistrictDirectory, Depends(get_districts)]
RolloutCacheDep = Annotated[RolloutCache, Depends(get_rollout_cache)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ApiSettingsDep = Annotated[ApiSettings, Depends(get_api_settings)]


def get_session(db: DatabaseDep) -> Iterator[Session]:
    """A read session for the request (closed after the response)."""
    with db.session() as session:
        yield session


def get_write_session(db: DatabaseDep) -> Iterator[Session]:
    """A session for writes; the endpoint commits, anything uncommitted is rolled back."""
    with db.write_session() as session:
        yield session


DbSession = Annotated[Session, Depends(get_session)]
WriteSession = Annotated[Session, Depends(get_write_session)]


def _unauthorized(detail: str) -> ApiProblem:
    return ApiProblem(401, detail, slug="not-authenticated", headers={"WWW-Authenticate": "Bearer"})


def _user_principal(session: Session, token: str, settings: Settings) -> Principal:
    try:
        claims = decode_access_token(token, secret=settings.secret_key)
    except TokenError as exc:
        raise _unauthorized(str(exc)) from exc
    user = session.get(User, claims["uid"])
    if user is None or not user.is_active or user.username != claims["sub"]:
        raise _unauthorized("the token's user no longer exists or is disabled")
    if user.role != claims["role"]:
        raise _unauthorized("the user's role changed since the token was issued; log in again")
    role = Role(user.role)
    granted = frozenset(str(claims["scope"]).split()) & ROLE_SCOPES[role]
    return Principal(
        actor=f"user:{user.username}",
        role=role,
        scopes=granted,
        district_id=user.district_id,
        district=user.district.name if user.district else None,
        user_id=user.id,
        extra={"exp": claims["exp"]},
    )


def _key_principal(session: Session, key: str) -> Principal:
    api_key = session.scalars(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key))).first()
    if api_key is None or api_key.revoked_at is not None:
        raise _unauthorized("unknown or revoked API key")
    role = Role(api_key.role)
    return Principal(
        actor=f"key:{api_key.name}",
        role=role,
        scopes=ROLE_SCOPES[role],
        district_id=api_key.district_id,
        district=api_key.district.name if api_key.district else None,
        key_id=api_key.id,
    )


async def optional_principal(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal | None:
    """The caller if credentials were sent (bad credentials are still a 401), else None.

    Lookups are cached until the next commit (``api.cache``); a token's expiry is checked
    on every hit. A hit is answered on the event loop; a miss looks up in a worker thread
    with its own short session, released before the endpoint's session is opened
    (declare the principal parameter first), so a request holds one connection.
    """
    if not api_key and not token:
        return None
    cache: CommitCache[Principal] = request.app.state.principal_cache

    def look_up() -> Principal:
        with db.session() as session:
            if api_key:
                return _key_principal(session, api_key)
            assert token is not None
            return _user_principal(session, token, settings)

    key = ("key", api_key) if api_key else ("token", token)
    principal = cache.peek(key)
    if principal is None:
        principal = await run_in_threadpool(cache.get, key, look_up)
    expires = principal.extra.get("exp")
    if expires is not None and time.time() >= expires:
        return await run_in_threadpool(look_up)  # raises the "expired" 401
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


async def authenticate(security_scopes: SecurityScopes, principal: OptionalPrincipal) -> Principal:
    """The caller, who must hold every scope the endpoint declares."""
    if principal is None:
        raise _unauthorized("log in (Bearer token) or send an X-API-Key header")
    missing = set(security_scopes.scopes) - principal.scopes
    if missing:
        raise ApiProblem(
            403,
            f"role {principal.role.value!r} lacks scope(s) {', '.join(sorted(missing))}",
            slug="insufficient-scope",
        )
    return principal


CurrentPrincipal = Annotated[Principal, Security(authenticate)]
ReadPrincipal = Annotated[Principal, Security(authenticate, scopes=["read"])]
ReportPrincipal = Annotated[Principal, Security(authenticate, scopes=["report"])]
IngestPrincipal = Annotated[Principal, Security(authenticate, scopes=["ingest"])]
FeedsPrincipal = Annotated[Principal, Security(authenticate, scopes=["feeds"])]
AdminPrincipal = Annotated[Principal, Security(authenticate, scopes=["admin"])]
AssessPrincipal = Annotated[Principal, Security(authenticate, scopes=["assess"])]
AuditPrincipal = Annotated[Principal, Security(authenticate, scopes=["audit"])]


async def request_id(request: Request) -> str | None:
    """The id of the current request (``X-Request-ID``), for the audit log."""
    value: str | None = request.state.request_id
    return value


RequestId = Annotated[str | None, Depends(request_id)]
