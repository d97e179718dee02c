"""Read the append-only audit log (accountability tracing)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func, select

from api.deps import API_PREFIX, AuditPrincipal, DbSession
from api.models import AuditEntry
from api.problems import PROBLEM_RESPONSES
from api.schemas import Page

router = APIRouter(
    prefix=f"{API_PREFIX}/audit",
    tags=["audit"],
    responses={k: PROBLEM_RESPONSES[k] for k in (401, 403, 422)},
)


class AuditOut(BaseModel):
    """One audit entry."""

    id: int
    at: dt.datetime
    actor: str
    role: str | None
    district: str | None
    action: str
    entity: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


@router.get("")
def list_audit(
    who: AuditPrincipal,
    session: DbSession,
    actor: str | None = None,
    action: str | None = None,
    district: str | None = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page[AuditOut]:
    """Entries newest first, filtered by actor, action or district."""
    query = select(AuditEntry)
    for column, value in (
        (AuditEntry.actor, actor),
        (AuditEntry.action, action),
        (AuditEntry.district, district),
    ):
        if value is not None:
            query = query.where(column == value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEntry.id.desc()).offset((page - 1) * page_size).limit(page_size)
    )
    items = [AuditOut.model_validate(r, from_attributes=True) for r in rows]
    return Page(items=items, page=page, page_size=page_size, total=total)
