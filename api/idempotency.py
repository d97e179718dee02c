"""``Idempotency-Key`` handling: the first request with a key does the work; retries replay.

The record is inserted *before* the work, in the same transaction, so the unique
constraint (principal, key) is the lock: a concurrent retry blocks on it (PostgreSQL) or
on the write lock (SQLite ``BEGIN IMMEDIATE``), then finds the committed record and
replays it. A failed request rolls back its record with its work, so it may be retried.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.models import IdempotencyRecord
from api.problems import ApiProblem
from api.security import Principal

MAX_KEY_LENGTH = 255
REPLAY_HEADER = "Idempotent-Replayed"


def request_hash(payload: Any) -> str:
    """sha256 of the canonical JSON of a validated body (key order and spacing ignored)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def require_key(key: str | None) -> str:
    """The header's value, or 400 when it is missing or unusable."""
    if key is None or not key.strip():
        raise ApiProblem(
            400,
            "the Idempotency-Key header is required for this request",
            slug="idempotency-key-missing",
        )
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ApiProblem(
            400,
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters",
            slug="idempotency-key-invalid",
        )
    return key


def _replay(record: IdempotencyRecord, digest: str) -> JSONResponse:
    if record.request_hash != digest:
        raise ApiProblem(
            422,
            f"Idempotency-Key {record.key!r} was already used with a different request body",
            slug="idempotency-key-reused",
        )
    return JSONResponse(
        record.response, status_code=record.status_code, headers={REPLAY_HEADER: "true"}
    )


def _find(session: Session, principal: str, key: str) -> IdempotencyRecord | None:
    return session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
        )
    ).first()


def run_once(
    session: Session,
    who: Principal,
    key: str | None,
    *,
    method: str,
    path: str,
    payload: Any,
    work: Callable[[], dict[str, Any]],
    status_code: int = 201,
) -> JSONResponse:
    """Run ``work`` (which must not commit) at most once per (principal, key) and commit."""
    key = require_key(key)
    digest = request_hash(payload)
    found = _find(session, who.actor, key)
    if found is not None:
        return _replay(found, digest)
    record = IdempotencyRecord(
        principal=who.actor,
        key=key,
        method=method,
        path=path,
        request_hash=digest,
        status_code=status_code,
        response={},
    )
    try:
        session.add(record)
        session.flush()
        record.response = work()
        session.commit()
    except IntegrityError:
        session.rollback()
        found = _find(session, who.actor, key)
        if found is None:
            raise
        return _replay(found, digest)
    return JSONResponse(record.response, status_code=status_code)
