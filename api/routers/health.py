"""Health ingest from the monitor (``POST /health/transitions``, contract in CONTRACTS.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api import audit
from api.deps import API_PREFIX, IngestPrincipal, RequestId, WriteSession
from api.health import store_transitions
from api.problems import PROBLEM_RESPONSES
from api.snapshots import record_snapshots

router = APIRouter(
    prefix=f"{API_PREFIX}/health",
    tags=["health"],
    responses={k: PROBLEM_RESPONSES[k] for k in (400, 401, 403, 413, 422)},
)

State = Literal["ok", "degraded", "down"]
MAX_EVENTS = 10_000


class TransitionEvent(BaseModel):
    """A state change of one camera's feed, as the monitor emits it."""

    model_config = ConfigDict(extra="ignore")

    event_id: Annotated[str, Field(min_length=1, max_length=64)]
    camera_id: Annotated[str, Field(min_length=1, max_length=64)]
    district: Annotated[str, Field(max_length=64)] | None = None
    from_state: State | None = None
    to_state: State
    reasons: Annotated[list[Annotated[str, Field(max_length=32)]], Field(max_length=32)] = []
    at: AwareDatetime
    flapping: bool = False
    metrics: dict[str, Any] = Field(default_factory=dict)


class TransitionBatch(BaseModel):
    """A batch of transitions."""

    model_config = ConfigDict(extra="forbid")

    events: Annotated[list[TransitionEvent], Field(max_length=MAX_EVENTS)]


class IngestResult(BaseModel):
    """How many events were new; duplicates (already seen ``event_id``) count once."""

    accepted: int
    duplicates: int
    unknown_cameras: int = Field(description="Accepted events of cameras not in the registry.")


@router.post("/transitions")
def ingest_transitions(
    body: TransitionBatch, who: IngestPrincipal, session: WriteSession, rid: RequestId
) -> IngestResult:
    """Store transitions idempotently by ``event_id`` and update current camera states."""
    counts = store_transitions(session, [e.model_dump() for e in body.events])
    result = IngestResult(
        accepted=counts.accepted,
        duplicates=counts.duplicates,
        unknown_cameras=counts.unknown_cameras,
    )
    if counts.accepted:
        audit.record(
            session,
            who,
            "health.ingest",
            "health_transitions",
            None,
            after=result.model_dump(),
            request_id=rid,
        )
        record_snapshots(session, counts.district_ids)
    session.commit()
    return result
