"""Creating accounts (users, API keys), shared by the admin endpoints and the CLI."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.lookups import district_by_name
from api.models import ApiKey, Role, User
from api.problems import ApiProblem
from api.schemas import ApiKeyIn, UserIn
from api.security import generate_api_key, hash_api_key, hash_password


def district_for_role(session: Session, role: Role, district: str | None) -> int | None:
    """Reporters need a district; other roles are city-wide and must not name one."""
    if role == Role.reporter:
        if district is None:
            raise ApiProblem(422, "a reporter must be bound to a district", slug="no-district")
        return district_by_name(session, district, status=422).id
    if district is not None:
        raise ApiProblem(
            422, f"role {role.value!r} is city-wide; omit district", slug="unexpected-district"
        )
    return None


def add_user(session: Session, body: UserIn) -> User:
    """Insert a user (409 if the name is taken, 422 for a bad district binding)."""
    district_id = district_for_role(session, body.role, body.district)
    if session.scalars(select(User.id).where(User.username == body.username)).first():
        raise ApiProblem(409, f"user {body.username!r} already exists", slug="user-exists")
    user = User(
        username=body.username,
        password_hash=hash_password(body.password),
        role=body.role.value,
        district_id=district_id,
    )
    session.add(user)
    session.flush()
    session.refresh(user)
    return user


def create_api_key(session: Session, body: ApiKeyIn, created_by: str) -> tuple[ApiKey, str]:
    """Insert a key record; returns it with the plaintext key (shown once)."""
    district_id = district_for_role(session, body.role, body.district)
    if session.scalars(select(ApiKey.id).where(ApiKey.name == body.name)).first():
        raise ApiProblem(409, f"API key {body.name!r} already exists", slug="key-exists")
    plaintext = generate_api_key()
    key = ApiKey(
        name=body.name,
        prefix=plaintext[:8],
        key_hash=hash_api_key(plaintext),
        role=body.role.value,
        district_id=district_id,
        created_by=created_by,
    )
    session.add(key)
    session.flush()
    session.refresh(key)
    return key, plaintext
