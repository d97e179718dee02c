"""Fixtures of the assessment, inspection, bulletin and dashboard tests (on top of the API
fixtures in ``tests/api/conftest.py``): a current period and a seeded rollout."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

DISTRICTS = [
    "Baoan",
    "Futian",
    "Guangming",
    "Longgang",
    "Longhua",
    "Luohu",
    "Nanshan",
    "Pingshan",
    "Yantian",
]


def current_quarter(today: dt.date | None = None) -> tuple[str, dt.date, dt.date]:
    """Name, first and last day of the quarter containing ``today``."""
    today = today or dt.datetime.now(dt.UTC).date()
    q = (today.month - 1) // 3
    starts = dt.date(today.year, 3 * q + 1, 1)
    next_start = dt.date(today.year + (q == 3), (3 * q + 3) % 12 + 1, 1)
    return f"{today.year}-Q{q + 1}", starts, next_start - dt.timedelta(days=1)


@dataclass
class Rollout:
    """What ``rollout`` created: the period and the camera ids per district."""

    period: str
    planned: dict[str, list[str]] = field(default_factory=dict)
    installed: dict[str, list[str]] = field(default_factory=dict)


def install(client: TestClient, headers: dict[str, str], district: str, ids: list[str]) -> None:
    """Report ``ids`` installed in ``district`` (one report, fresh idempotency key)."""
    response = client.post(
        "/api/v1/reports",
        json={"district": district, "installed": [{"camera_id": c} for c in ids]},
        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 201, response.text


def set_health(
    client: TestClient, headers: dict[str, str], states: dict[str, tuple[str, str]]
) -> None:
    """Push one transition per camera: ``{camera_id: (district, state)}``."""
    now = dt.datetime.now(dt.UTC).isoformat()
    events = [
        {
            "event_id": uuid.uuid4().hex,
            "camera_id": cid,
            "district": district,
            "to_state": state,
            "at": now,
        }
        for cid, (district, state) in states.items()
    ]
    response = client.post("/api/v1/health/transitions", json={"events": events}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == len(events)


@pytest.fixture
def rollout(
    client: TestClient, auth: dict[str, dict[str, str]], plan: Callable[..., dict[str, list[str]]]
) -> Callable[[dict[str, tuple[int, int, int]]], Rollout]:
    """``rollout({"Futian": (target, installed, online), ...})``: opens the current quarter,
    imports ``target`` planned sites per district as its targets, reports ``installed`` of
    them and marks ``online`` of those ok and the other installed ones down."""

    def build(spec: dict[str, tuple[int, int, int]]) -> Rollout:
        name, starts, ends = current_quarter()
        response = client.post(
            "/api/v1/periods",
            json={
                "name": name,
                "kind": "quarter",
                "starts_on": starts.isoformat(),
                "ends_on": ends.isoformat(),
            },
            headers=auth["admin"],
        )
        assert response.status_code in (201, 409), response.text
        ids = plan({d: target for d, (target, _, _) in spec.items()}, period=name)
        result = Rollout(period=name, planned=ids)
        states: dict[str, tuple[str, str]] = {}
        for district, (_target, installed, online) in spec.items():
            chosen = ids[district][:installed]
            result.installed[district] = chosen
            if chosen:
                install(client, auth["admin"], district, chosen)
            states |= {c: (district, "ok" if i < online else "down") for i, c in enumerate(chosen)}
        if states:
            set_health(client, auth["monitor"], states)
        return result

    return build


@pytest.fixture
def report_installed(client: TestClient) -> Callable[[dict[str, str], str, list[str]], None]:
    """``report_installed(headers, district, camera_ids)``: one installation report."""
    return lambda headers, district, ids: install(client, headers, district, ids)
