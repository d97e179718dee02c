"""Health ingest: store monitor transitions once (by ``event_id``), keep each camera's
latest state (an upsert that never lets an older event overwrite a newer one)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column, Result, Table, Text, bindparam, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api.models import CameraHealth, CameraSite, HealthTransition, table_of

CHUNK = 500


def finite_json(value: Any) -> Any:
    """Replace NaN/inf (which JSON columns of PostgreSQL refuse) by null, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    return value


@dataclass(frozen=True)
class IngestCounts:
    """Outcome of one batch."""

    accepted: int
    duplicates: int
    unknown_cameras: int
    district_ids: list[int]  # districts whose camera states changed


def store_transitions(session: Session, events: Sequence[dict[str, Any]]) -> IngestCounts:
    """Insert new transitions and advance camera states (inside the caller's transaction)."""
    unique: dict[str, dict[str, Any]] = {}
    for event in events:
        unique.setdefault(event["event_id"], event)
    camera_ids = sorted({e["camera_id"] for e in unique.values()})
    sites: dict[str, tuple[int, int]] = {}
    for start in range(0, len(camera_ids), CHUNK):
        found = session.execute(
            select(CameraSite.camera_id, CameraSite.id, CameraSite.district_id).where(
                CameraSite.camera_id.in_(camera_ids[start : start + CHUNK])
            )
        )
        sites.update({cid: (pk, d_id) for cid, pk, d_id in found})
    rows = [
        {
            "event_id": e["event_id"],
            "camera_id": e["camera_id"],
            "site_id": sites[e["camera_id"]][0] if e["camera_id"] in sites else None,
            "district": e.get("district"),
            "from_state": e.get("from_state"),
            "to_state": e["to_state"],
            "reasons": list(e.get("reasons") or []),
            "flapping": bool(e.get("flapping", False)),
            "metrics": finite_json(e.get("metrics") or {}),
            "at": e["at"],
        }
        for e in unique.values()
    ]
    accepted = (
        set(
            _insert_rows(
                session,
                table_of(HealthTransition),
                rows,
                lambda insert: insert.on_conflict_do_nothing(index_elements=["event_id"]).returning(
                    HealthTransition.event_id
                ),
            ).scalars()
        )
        if rows
        else set()
    )
    latest: dict[int, dict[str, Any]] = {}
    for row in rows:
        if row["event_id"] in accepted and row["site_id"] is not None:
            current = latest.get(row["site_id"])
            if current is None or row["at"] >= current["at"]:
                latest[row["site_id"]] = row
    _advance_states(session, list(latest.values()))
    return IngestCounts(
        accepted=len(accepted),
        duplicates=len(events) - len(accepted),
        unknown_cameras=sum(1 for r in rows if r["site_id"] is None and r["event_id"] in accepted),
        district_ids=sorted({sites[r["camera_id"]][1] for r in latest.values()}),
    )


def _advance_states(session: Session, latest: list[dict[str, Any]]) -> None:
    if not latest:
        return
    values = [
        {
            "site_id": r["site_id"],
            "state": r["to_state"],
            "reasons": r["reasons"],
            "flapping": r["flapping"],
            "since": r["at"],
            "last_event_id": r["event_id"],
        }
        for r in latest
    ]

    def upsert(insert: Any) -> Any:
        excluded = insert.excluded
        return insert.on_conflict_do_update(
            index_elements=["site_id"],
            set_={
                "state": excluded.state,
                "reasons": excluded.reasons,
                "flapping": excluded.flapping,
                "since": excluded.since,
                "last_event_id": excluded.last_event_id,
                "updated_at": excluded.since,
            },
            where=CameraHealth.since <= excluded.since,
        )

    _insert_rows(session, table_of(CameraHealth), values, upsert)


def _insert_rows(
    session: Session, table: Table, rows: list[dict[str, Any]], finish: Callable[[Any], Any]
) -> Result[Any]:
    """Insert ``rows`` (same keys each) with ``finish`` adding ON CONFLICT / RETURNING.

    Both ways send the rows as parameters of one cached statement; compiling a multi-row
    VALUES clause per chunk cost far more than the database work. PostgreSQL: one
    ``INSERT ... SELECT unnest(array), ...`` (a parameter per column). SQLite: an
    executemany ("insertmanyvalues" batches the RETURNING).
    """
    if session.get_bind().dialect.name != "postgresql":
        return session.execute(finish(sqlite.insert(table)), rows)
    columns = list(rows[0])
    source = select(*(_unnest(table.c[name], [row[name] for row in rows]) for name in columns))
    return session.execute(finish(postgresql.insert(table).from_select(columns, source)))


def _unnest(column: Column[Any], values: list[Any]) -> Any:
    """``unnest(:array)`` of one column's values (JSON travels as text and is cast back)."""
    if isinstance(column.type, JSON):
        texts = [None if v is None else json.dumps(v) for v in values]
        array = bindparam(f"all_{column.key}", texts, type_=postgresql.ARRAY(Text))
        return cast(func.unnest(array), column.type).label(column.key)
    array = bindparam(f"all_{column.key}", values, type_=postgresql.ARRAY(column.type))
    return func.unnest(array).label(column.key)
