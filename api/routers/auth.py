"""OAuth2 password flow: username + password -> JWT access token with scopes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from api.deps import API_PREFIX, ApiSettingsDep, DbSession, SettingsDep
from api.models import Role, User
from api.problems import PROBLEM_RESPONSES, ApiProblem
from api.schemas import Token
from api.security import ROLE_SCOPES, create_access_token, verify_password

router = APIRouter(prefix=f"{API_PREFIX}/auth", tags=["auth"])


@router.post("/token", responses={401: PROBLEM_RESPONSES[401], 400: PROBLEM_RESPONSES[400]})
def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: DbSession,
    settings: SettingsDep,
    api_settings: ApiSettingsDep,
) -> Token:
    """Log in; ask for a subset of the role's scopes with ``scope`` (default: all)."""
    user = session.scalars(select(User).where(User.username == form.username)).first()
    if user is None or not user.is_active or not verify_password(form.password, user.password_hash):
        raise ApiProblem(401, "wrong username or password", headers={"WWW-Authenticate": "Bearer"})
    role = Role(user.role)
    requested = frozenset(form.scopes)
    unknown = requested - ROLE_SCOPES[role]
    if unknown:
        raise ApiProblem(
            400,
            f"role {role.value!r} cannot be granted scope(s) {', '.join(sorted(unknown))}",
            slug="invalid-scope",
        )
    granted = requested or ROLE_SCOPES[role]
    token = create_access_token(
        secret=settings.secret_key,
        user_id=user.id,
        username=user.username,
        role=role,
        scopes=granted,
        minutes=api_settings.access_token_minutes,
    )
    return Token(
        access_token=token,
        expires_in=api_settings.access_token_minutes * 60,
        scope=" ".join(sorted(granted)),
    )
