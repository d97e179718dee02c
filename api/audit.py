"""Append-only audit trail: one row per write, in the same transaction as the write.

Rows are inserted with a plain INSERT on the session's connection at once (no unit of
work): an audit row is never read back or changed by the request that writes it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from api.models import AuditEntry, table_of
from api.security import Principal

_INSERT = insert(table_of(AuditEntry))


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
) -> None:
    """Add an audit entry (``who`` is a principal, or a label such as ``"cli"``)."""
    session.connection().execute(
        _INSERT,
        {
            "actor": who.actor if isinstance(who, Principal) else who,
            "role": who.role.value if isinstance(who, Principal) else None,
            "district": district if district is not None else getattr(who, "district", None),
            "action": action,
            "entity": entity,
            "entity_id": None if entity_id is None else str(entity_id),
            "before": before,
            "after": after,
            "request_id": request_id,
        },
    )
