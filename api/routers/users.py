"""User and API key management (admin)."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import audit
from api.accounts import add_user, create_api_key
from api.deps import API_PREFIX, AdminPrincipal, DbSession, RequestId, WriteSession
from api.models import ApiKey, Role, User, utcnow
from api.problems import PROBLEM_RESPONSES, ApiProblem
from api.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut, UserIn, UserOut, UserPatch
from api.security import hash_password

router = APIRouter(
    prefix=API_PREFIX,
    tags=["users and keys"],
    responses={k: PROBLEM_RESPONSES[k] for k in (401, 403, 404, 409, 422)},
)


def user_out(user: User) -> UserOut:
    """Response model of a user."""
    return UserOut(
        username=user.username,
        role=Role(user.role),
        district=user.district.name if user.district else None,
        is_active=user.is_active,
        created_at=user.created_at,
    )


def key_out(key: ApiKey) -> ApiKeyOut:
    """Response model of an API key record."""
    return ApiKeyOut(
        name=key.name,
        prefix=key.prefix,
        role=Role(key.role),
        district=key.district.name if key.district else None,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


def _user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise ApiProblem(404, f"unknown user {username!r}", slug="unknown-user")
    return user


@router.get("/users")
def list_users(who: AdminPrincipal, session: DbSession) -> list[UserOut]:
    """All users by name."""
    return [user_out(u) for u in session.scalars(select(User).order_by(User.username))]


@router.post("/users", status_code=status.HTTP_201_CREATED)
def create_user(
    body: UserIn, who: AdminPrincipal, session: WriteSession, rid: RequestId
) -> UserOut:
    """Create a user (reporters are bound to one district)."""
    out = user_out(add_user(session, body))
    audit.record(
        session,
        who,
        "user.create",
        "user",
        out.username,
        after=out.model_dump(mode="json", exclude={"created_at"}),
        request_id=rid,
    )
    session.commit()
    return out


@router.patch("/users/{username}")
def update_user(
    username: str, body: UserPatch, who: AdminPrincipal, session: WriteSession, rid: RequestId
) -> UserOut:
    """Reset a password or (de)activate a user."""
    user = _user(session, username)
    before = {"is_active": user.is_active}
    if body.password is not None:
        user.password_hash = hash_password(body.password)
    if body.is_active is not None:
        user.is_active = body.is_active
    audit.record(
        session,
        who,
        "user.update",
        "user",
        username,
        before=before,
        after={"is_active": user.is_active, "password_changed": body.password is not None},
        request_id=rid,
    )
    session.commit()
    return user_out(user)


@router.get("/api-keys")
def list_keys(who: AdminPrincipal, session: DbSession) -> list[ApiKeyOut]:
    """All API keys (never the keys themselves)."""
    return [key_out(k) for k in session.scalars(select(ApiKey).order_by(ApiKey.name))]


@router.post("/api-keys", status_code=status.HTTP_201_CREATED)
def create_key(
    body: ApiKeyIn, who: AdminPrincipal, session: WriteSession, rid: RequestId
) -> ApiKeyCreated:
    """Create a machine key; the response is the only time the key is shown."""
    key = create_api_key(session, body, who.actor)
    audit.record(
        session,
        who,
        "api_key.create",
        "api_key",
        body.name,
        after={"role": body.role.value, "district": body.district},
        request_id=rid,
    )
    session.commit()
    return ApiKeyCreated(**key_out(key[0]).model_dump(), key=key[1])


@router.delete("/api-keys/{name}")
def revoke_key(name: str, who: AdminPrincipal, session: WriteSession, rid: RequestId) -> ApiKeyOut:
    """Revoke a key (kept for the audit trail; revoking twice changes nothing)."""
    key = session.scalars(select(ApiKey).where(ApiKey.name == name)).first()
    if key is None:
        raise ApiProblem(404, f"unknown API key {name!r}", slug="unknown-key")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(session, who, "api_key.revoke", "api_key", name, request_id=rid)
        session.commit()
    return key_out(key)
