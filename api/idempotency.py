"""``Idempotency-Key`` handling: the first request with a key does the work; retries replay.

:func:`run_once` looks the key up, then does the work and inserts the record with its
response, all in one transaction (a batch of ``api.write_batches``): a retry finds the
stored response and replays it. The unique constraint (principal, key) decides a race
between two first attempts: the loser (run after the winner, or on PostgreSQL waiting for
its commit) has all its work rolled back and replays the winner's response, so the work
happens once. A failed request stores nothing and may be retried.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy import Row, bindparam, insert, select
from sqlalchemy.orm import Session

from api.models import IdempotencyRecord, table_of
from api.problems import ApiProblem
from api.security import Principal
from api.write_batches import WriteBatcher

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


# Statements of the hot path, built once (executed on the session's connection).
_FIND = select(
    IdempotencyRecord.key,
    IdempotencyRecord.request_hash,
    IdempotencyRecord.status_code,
    IdempotencyRecord.response,
).where(IdempotencyRecord.principal == bindparam("who"), IdempotencyRecord.key == bindparam("k"))
_RECORD = insert(table_of(IdempotencyRecord))


def _replay(record: Row[Any], digest: str) -> JSONResponse:
    if record.request_hash != digest:
        raise ApiProblem(
            422,
            f"Idempotency-Key {record.key!r} was already used with a different request body",
            slug="idempotency-key-reused",
        )
    return JSONResponse(
        record.response, status_code=record.status_code, headers={REPLAY_HEADER: "true"}
    )


def _find(session: Session, principal: str, key: str) -> Row[Any] | None:
    return session.connection().execute(_FIND, {"who": principal, "k": key}).first()


async def run_once(
    batcher: WriteBatcher,
    who: Principal,
    key: str,
    *,
    method: str,
    path: str,
    payload: Any,
    work: Callable[[Session], dict[str, Any]],
    status_code: int = 201,
) -> JSONResponse:
    """Run ``work`` (which must not commit) at most once per (principal, key), committed by
    the batcher, or replay the stored response (422 if that request's body differed);
    ``key`` comes from :func:`require_key`. A conflict inside ``work`` that is not a race on
    the key (e.g. a new site id another report created meanwhile) is a 409.
    """
    digest = request_hash(payload)

    def job(session: Session) -> JSONResponse:
        if (found := _find(session, who.actor, key)) is not None:
            return _replay(found, digest)
        response = work(session)
        session.connection().execute(
            _RECORD,
            {
                "principal": who.actor,
                "key": key,
                "method": method,
                "path": path,
                "request_hash": digest,
                "status_code": status_code,
                "response": response,
            },
        )
        return JSONResponse(response, status_code=status_code)

    def recover(session: Session) -> JSONResponse:
        found = _find(session, who.actor, key)
        if found is not None:
            return _replay(found, digest)
        raise ApiProblem(
            409,
            "the request conflicts with a concurrent write; retry it with the same key",
            slug="write-conflict",
        )

    return await asyncio.wrap_future(batcher.submit(job, recover=recover))
