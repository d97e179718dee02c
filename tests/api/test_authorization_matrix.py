"""Every endpoint x every role: 401 without credentials, 403 without the scope (or for a
reporter writing another district), the documented success code otherwise."""

from __future__ import annotations

import uuid
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
READERS = {"admin", "assessor", "reporter", "reporter_nanshan", "reporter_key"}
ADMIN = {"admin"}
FUTIAN_WRITERS = {"admin", "reporter", "reporter_key"}
CORE_TAGS = {
    "system",
    "auth",
    "districts",
    "periods and targets",
    "plans",
    "installation reports",
    "health",
    "cameras",
    "progress",
    "users and keys",
    "audit",
}


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # route template
    allowed: frozenset[str]  # roles that succeed; "*" = everyone incl. anonymous
    ok: int
    url: str | None = None
    body: Callable[[str], Any] | None = None  # role -> JSON body
    headers: Callable[[str], dict[str, str]] | None = None
    scope_denied: frozenset[str] = frozenset()  # roles with the scope but refused (district)


def _unique(role: str) -> str:
    return f"{role}-{uuid.uuid4().hex[:6]}"


def _report(role: str) -> dict[str, Any]:
    return {"district": "Futian", "installed": [{"camera_id": "Futian-P00000"}]}


def _transitions(role: str) -> dict[str, Any]:
    return {
        "events": [
            {
                "event_id": _unique(role),
                "camera_id": "Futian-P00001",
                "district": "Futian",
                "from_state": None,
                "to_state": "ok",
                "reasons": [],
                "at": "2026-11-29T10:00:00Z",
                "flapping": False,
                "metrics": {},
            }
        ]
    }


CASES = [
    Case("GET", "/healthz", frozenset("*"), 200),
    Case("GET", "/metrics", frozenset("*"), 200),
    Case("POST", "/api/v1/auth/token", frozenset("*"), 401),  # wrong password for everyone
    Case("GET", "/api/v1/districts", frozenset(READERS), 200),
    Case("GET", "/api/v1/districts/{name}", frozenset(READERS), 200, "/api/v1/districts/Futian"),
    Case("GET", "/api/v1/periods", frozenset(READERS), 200),
    Case(
        "POST",
        "/api/v1/periods",
        frozenset(ADMIN),
        201,
        body=lambda r: {
            "name": _unique(r),
            "kind": "quarter",
            "starts_on": "2007-01-01",
            "ends_on": "2007-03-31",
        },
    ),
    Case(
        "GET",
        "/api/v1/periods/{period}/targets",
        frozenset(READERS),
        200,
        "/api/v1/periods/2007-H1/targets",
    ),
    Case(
        "PUT",
        "/api/v1/periods/{period}/targets",
        frozenset(ADMIN),
        200,
        "/api/v1/periods/2007-H1/targets",
        body=lambda r: {"targets": {"Futian": 10}},
    ),
    Case(
        "POST",
        "/api/v1/plans/import",
        frozenset(ADMIN),
        200,
        body=lambda r: {"period": "2007-H1", "districts_csv": "district,target\nFutian,12\n"},
    ),
    Case(
        "POST",
        "/api/v1/reports",
        frozenset(FUTIAN_WRITERS),
        201,
        body=_report,
        headers=lambda r: {"Idempotency-Key": _unique(r)},
        scope_denied=frozenset({"reporter_nanshan"}),
    ),
    Case(
        "PUT",
        "/api/v1/districts/{name}/installed",
        frozenset(FUTIAN_WRITERS),
        200,
        "/api/v1/districts/Futian/installed",
        body=lambda r: {"installed": 3},
        scope_denied=frozenset({"reporter_nanshan"}),
    ),
    Case("GET", "/api/v1/reports", frozenset(READERS), 200),
    Case("POST", "/api/v1/health/transitions", frozenset({"monitor"}), 200, body=_transitions),
    Case("GET", "/api/v1/cameras", frozenset(READERS), 200),
    Case(
        "GET",
        "/api/v1/cameras/{camera_id}/transitions",
        frozenset(READERS),
        200,
        "/api/v1/cameras/Futian-P00001/transitions",
    ),
    Case("GET", "/api/v1/feeds", frozenset({"admin", "monitor"}), 200),
    Case("GET", "/api/v1/progress", frozenset(READERS), 200),
    Case("GET", "/api/v1/progress/trend", frozenset(READERS), 200),
    Case("GET", "/api/v1/progress/{district}", frozenset(READERS), 200, "/api/v1/progress/Futian"),
    Case("GET", "/api/v1/users", frozenset(ADMIN), 200),
    Case(
        "POST",
        "/api/v1/users",
        frozenset(ADMIN),
        201,
        body=lambda r: {"username": _unique(r), "password": "long-enough-pw", "role": "assessor"},
    ),
    Case(
        "PATCH",
        "/api/v1/users/{username}",
        frozenset(ADMIN),
        200,
        "/api/v1/users/assessor",
        body=lambda r: {"is_active": True},
    ),
    Case("GET", "/api/v1/api-keys", frozenset(ADMIN), 200),
    Case(
        "POST",
        "/api/v1/api-keys",
        frozenset(ADMIN),
        201,
        body=lambda r: {"name": _unique(r), "role": "monitor"},
    ),
    Case("DELETE", "/api/v1/api-keys/{name}", frozenset(ADMIN), 200, "/api/v1/api-keys/spare-key"),
    Case("GET", "/api/v1/audit", frozenset({"admin", "assessor"}), 200),
]


def test_matrix_covers_every_route_of_the_core_routers(app):
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        if CORE_TAGS & set(operation.get("tags", []))
    }
    assert documented == {(c.method, c.path) for c in CASES}


def _expected(case: Case, role: str) -> int:
    if "*" in case.allowed or role in case.allowed:
        return case.ok
    if role == "anonymous":
        return 401
    return 403


def test_every_endpoint_for_every_role(client, auth, plan):
    """One database for the whole matrix: bodies are unique per role, so order is free."""
    plan({"Futian": 3}, period=None)
    client.post(
        "/api/v1/periods",
        headers=auth["admin"],
        json={
            "name": "2007-H1",
            "kind": "half_year",
            "starts_on": "2007-01-01",
            "ends_on": "2007-06-30",
        },
    )
    client.post(
        "/api/v1/api-keys", headers=auth["admin"], json={"name": "spare-key", "role": "monitor"}
    )
    checked = 0
    for case in CASES:
        for role in ROLES:
            headers = {**auth[role], **(case.headers(role) if case.headers else {})}
            kwargs: dict[str, Any] = {"headers": headers}
            if case.path == "/api/v1/auth/token":
                kwargs["data"] = {"username": "admin", "password": "wrong password"}
            elif case.body is not None:
                kwargs["json"] = case.body(role)
            response = client.request(case.method, case.url or case.path, **kwargs)
            expected = _expected(case, role)
            where = f"{case.method} {case.path} as {role}: {response.text[:300]}"
            assert response.status_code == expected, where
            if expected >= 400:
                assert response.headers["content-type"] == "application/problem+json", where
                problem = response.json()
                assert problem["status"] == expected and problem["detail"], where
            if role in case.scope_denied:
                assert "Nanshan" in response.json()["detail"], where
            checked += 1
    assert checked == len(CASES) * len(ROLES)
