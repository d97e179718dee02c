"""Assessment, inspection, bulletin and dashboard endpoints x every role: 401 without
credentials, 403 without the scope (or a draft read without ``assess``), success otherwise;
the public ones answer everybody, credentials or not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ROLES = [
    "anonymous",
    "admin",
    "assessor",
    "reporter",
    "reporter_nanshan",
    "reporter_key",
    "monitor",
]
EVERYONE = frozenset(ROLES)
READERS = frozenset({"admin", "assessor", "reporter", "reporter_nanshan", "reporter_key"})
ASSESSORS = frozenset({"admin", "assessor"})
MY_TAGS = {"assessment", "inspections", "public bulletins", "public dashboard"}
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


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # route template
    allowed: frozenset[str]
    ok: int
    url: Callable[[dict[str, Any], str], str] | None = None  # (setup, role) -> URL
    body: Callable[[dict[str, Any], str], Any] | None = None


CASES = [
    Case("GET", "/api/v1/assessments/defaults", READERS, 200),
    Case("GET", "/api/v1/assessments", READERS, 200),
    Case("POST", "/api/v1/assessments", ASSESSORS, 201, body=lambda s, r: {"period": s["period"]}),
    Case(
        "GET",
        "/api/v1/assessments/{run_id}",
        ASSESSORS,  # reporters hold "read" but drafts need "assess": 403
        200,
        url=lambda s, r: f"/api/v1/assessments/{s['draft']}",
    ),
    Case(
        "POST",
        "/api/v1/assessments/{run_id}/publish",
        ASSESSORS,
        200,
        url=lambda s, r: f"/api/v1/assessments/{s['own_drafts'].get(r, s['draft'])}/publish",
    ),
    Case("GET", "/api/v1/inspections", ASSESSORS, 200),
    Case(
        "POST",
        "/api/v1/inspections",
        ASSESSORS,
        201,
        body=lambda s, r: {"period": s["period"], "per_district": 1, "seed": 1},
    ),
    Case(
        "GET",
        "/api/v1/inspections/{inspection_id}",
        ASSESSORS,
        200,
        url=lambda s, r: f"/api/v1/inspections/{s['inspection']}",
    ),
    Case(
        "PUT",
        "/api/v1/inspections/{inspection_id}/results",
        ASSESSORS,
        200,
        url=lambda s, r: f"/api/v1/inspections/{s['inspection']}/results",
        body=lambda s, r: {"results": [{"camera_id": s["sampled"], "outcome": "pass"}]},
    ),
    Case("GET", "/api/v1/bulletins", EVERYONE, 200),
    Case(
        "GET",
        "/api/v1/bulletins/{period}",
        EVERYONE,
        200,
        url=lambda s, r: f"/api/v1/bulletins/{s['published']}",
    ),
    Case(
        "GET",
        "/api/v1/bulletins/{period}/{district}",
        EVERYONE,
        200,
        url=lambda s, r: f"/api/v1/bulletins/{s['published']}/Futian?format=csv",
    ),
    Case("GET", "/api/v1/dashboard/progress", EVERYONE, 200),
    Case("GET", "/api/v1/dashboard/map", EVERYONE, 200),
    Case(
        "GET",
        "/api/v1/dashboard/districts/{name}",
        EVERYONE,
        200,
        url=lambda s, r: "/api/v1/dashboard/districts/Nanshan",
    ),
]


def test_matrix_covers_every_route_of_these_routers(app):
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        if MY_TAGS & set(operation.get("tags", []))
    }
    assert documented == {(c.method, c.path) for c in CASES}


def _period(client, admin, name: str) -> str:
    response = client.post(
        "/api/v1/periods",
        json={
            "name": name,
            "kind": "half_year",
            "starts_on": "2007-01-01",
            "ends_on": "2007-06-30",
        },
        headers=admin,
    )
    assert response.status_code == 201, response.text
    targets = client.put(
        f"/api/v1/periods/{name}/targets",
        json={"targets": dict.fromkeys(DISTRICTS, 5)},
        headers=admin,
    )
    assert targets.status_code == 200, targets.text
    return name


def _draft(client, assessor, period: str) -> int:
    response = client.post("/api/v1/assessments", json={"period": period}, headers=assessor)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_every_endpoint_for_every_role(client, auth, rollout):
    state = rollout(dict.fromkeys(DISTRICTS, (3, 2, 2)))
    admin, assessor = auth["admin"], auth["assessor"]
    published = _period(client, admin, "2007-H1")
    client.post(
        f"/api/v1/assessments/{_draft(client, assessor, published)}/publish", headers=assessor
    )
    inspection = client.post(
        "/api/v1/inspections", json={"period": state.period, "seed": 3}, headers=assessor
    ).json()
    setup = {
        "period": state.period,
        "draft": _draft(client, assessor, state.period),
        "own_drafts": {
            role: _draft(client, assessor, _period(client, admin, f"own-{role}"))
            for role in ASSESSORS
        },
        "inspection": inspection["id"],
        "sampled": inspection["cameras"][0]["camera_id"],
        "published": published,
    }
    checked = 0
    for case in CASES:
        for role in ROLES:
            kwargs: dict[str, Any] = {"headers": auth[role]}
            if case.body is not None:
                kwargs["json"] = case.body(setup, role)
            url = case.url(setup, role) if case.url else case.path
            response = client.request(case.method, url, **kwargs)
            expected = case.ok if role in case.allowed else 401 if role == "anonymous" else 403
            where = f"{case.method} {url} as {role}: {response.text[:300]}"
            assert response.status_code == expected, where
            if expected >= 400:
                assert response.headers["content-type"] == "application/problem+json", where
                assert response.json()["detail"], where
            checked += 1
    assert checked == len(CASES) * len(ROLES)
    for role in ROLES:  # the page itself is public too
        assert client.get("/dashboard", headers=auth[role]).status_code == 200
