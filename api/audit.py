"""Append-only audit trail: one row per write, in the same transaction as the write."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.models import AuditEntry
from api.security import Principal


def record(
    session: Session,
    who: Principal | str,
    action: str,
    entity: str,
    entity_id: str | int | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    district: str | None = None,
    request_id: str | None = None,
) -> AuditEntry:
    """Add an audit entry (``who`` is a principal, or a label such as ``"cli"``)."""
    entry = AuditEntry(
        actor=who.actor if isinstance(who, Principal) else who,
        role=who.role.value if isinstance(who, Principal) else None,
        district=district if district is not None else getattr(who, "district", None),
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
        request_id=request_id,
    )
    session.add(entry)
    return entry
