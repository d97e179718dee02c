"""Credentials: Argon2 password hashes, JWT access tokens with scopes, hashed API keys.

Roles map to fixed OAuth2 scopes; endpoints ask for scopes, never for role names, so the
authorization matrix lives in one table (``ROLE_SCOPES``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from api.models import Role

JWT_ALGORITHM = "HS256"
API_KEY_PREFIX = "sck_"

SCOPES: dict[str, str] = {
    "read": "Read districts, targets, sites, health and progress.",
    "report": "Report installations (reporters: own district only).",
    "ingest": "Push camera health transitions (monitor).",
    "feeds": "Read the monitor's feed registry.",
    "admin": "Manage targets, plans, periods, users and API keys.",
    "assess": "Run and publish assessments, draw and record inspections.",
    "audit": "Read the audit log.",
}

ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.admin: frozenset({"read", "report", "feeds", "admin", "assess", "audit"}),
    Role.assessor: frozenset({"read", "assess", "audit"}),
    Role.reporter: frozenset({"read", "report"}),
    Role.monitor: frozenset({"ingest", "feeds"}),
}

# OWASP's Argon2id baseline (19 MiB, 2 passes, 1 lane): ~60 ms per hash on a small server,
# so logins stay cheap while offline guessing stays expensive.
_password_hash = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19456, parallelism=1),))


def hash_password(password: str) -> str:
    """Argon2id hash of ``password``."""
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """True when ``password`` matches ``password_hash``."""
    return _password_hash.verify(password, password_hash)


def generate_password() -> str:
    """A random password for generated accounts (the demo admin)."""
    return secrets.token_urlsafe(18)


def generate_api_key() -> str:
    """A new high-entropy API key (256 random bits)."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """sha256 of an API key: enough for 256-bit random keys, and indexable for lookups."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: a logged-in user or a machine holding an API key."""

    actor: str  # "user:<name>" or "key:<name>", written to the audit log
    role: Role
    scopes: frozenset[str]
    district_id: int | None = None
    district: str | None = None
    user_id: int | None = None
    key_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def may_write_district(self, district_id: int) -> bool:
        """Reporters write only their own district; other writing roles are city-wide."""
        return self.role != Role.reporter or self.district_id == district_id


def create_access_token(
    *,
    secret: str,
    user_id: int,
    username: str,
    role: Role,
    scopes: frozenset[str],
    minutes: int,
    now: dt.datetime | None = None,
) -> str:
    """Sign a JWT for a user; ``scopes`` is a subset of the role's scopes."""
    issued = now or dt.datetime.now(dt.UTC)
    claims = {
        "sub": username,
        "uid": user_id,
        "role": role.value,
        "scope": " ".join(sorted(scopes)),
        "iat": issued,
        "exp": issued + dt.timedelta(minutes=minutes),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=JWT_ALGORITHM)


class TokenError(ValueError):
    """The bearer token is expired, forged or malformed (message says which)."""


def decode_access_token(token: str, *, secret: str) -> dict[str, Any]:
    """Verify signature and expiry; return the claims or raise ``TokenError``."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "iat", "sub", "uid", "role", "scope"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("access token expired; log in again") from exc
    except jwt.InvalidSignatureError as exc:
        raise TokenError("access token signature is invalid") from exc
    except jwt.PyJWTError as exc:
        raise TokenError(f"access token is malformed: {exc}") from exc
    if claims["role"] not in Role.__members__ or not isinstance(claims["uid"], int):
        raise TokenError("access token carries an unknown role or user id")
    return claims
