"""Liveness (``/healthz``) and Prometheus metrics (``/metrics``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import DbSession
from api.problems import PROBLEM_RESPONSES

router = APIRouter(tags=["system"])


class Health(BaseModel):
    """Liveness answer."""

    status: str
    database: str


@router.get("/healthz", responses={503: PROBLEM_RESPONSES[503]})
def healthz(session: DbSession) -> Health:
    """Liveness and database reachability."""
    session.execute(text("SELECT 1"))
    return Health(status="ok", database=session.get_bind().dialect.name)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> Response:
    """Prometheus exposition: request metrics and rollout counts by district."""
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
