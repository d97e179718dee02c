"""Malformed JSON, oversized bodies, bad credentials: a clear 4xx problem, nothing written."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from api.config import ApiSettings

SMALL_LIMIT = 64 * 1024


@pytest.fixture
def api_settings() -> ApiSettings:
    """A small body limit so oversize tests stay fast."""
    return ApiSettings(max_body_bytes=SMALL_LIMIT)


def test_malformed_json_is_400_naming_the_position(client, auth, row_counts):
    before = row_counts()
    response = client.post(
        "/api/v1/reports",
        content=b'{"district": "Futian", "installed": [',
        headers={**auth["reporter"], "Idempotency-Key": "m1", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["title"] == "Bad request" and "malformed JSON" in problem["detail"]
    assert problem["instance"] == "/api/v1/reports"
    assert row_counts() == before


def test_oversized_bodies_are_413_declared_or_streamed(client, auth, row_counts):
    before = row_counts()
    big = b'{"events": [' + b" " * (SMALL_LIMIT + 10) + b"]}"
    declared = client.post(
        "/api/v1/health/transitions",
        content=big,
        headers={**auth["monitor"], "Content-Type": "application/json"},
    )
    assert declared.status_code == 413
    assert str(SMALL_LIMIT) in declared.json()["detail"]

    def chunks():
        for _ in range(4):
            yield b" " * (SMALL_LIMIT // 2)

    streamed = client.post(
        "/api/v1/health/transitions",
        content=chunks(),
        headers={**auth["monitor"], "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    assert streamed.headers["content-type"] == "application/problem+json"
    assert row_counts() == before


def test_plan_import_has_its_own_larger_limit(client, auth):
    padding = " " * (SMALL_LIMIT * 2)
    response = client.post(
        "/api/v1/plans/import",
        content=('{"cameras": {"type": "FeatureCollection", "features": []}}' + padding).encode(),
        headers={**auth["admin"], "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("kind", "words"),
    [("expired", "expired"), ("forged", "signature is invalid"), ("garbage", "malformed")],
)
def test_bad_tokens_are_401(client, tokens, row_counts, kind, words):
    token = {
        "expired": tokens("admin", minutes=-5),
        "forged": tokens("admin", secret="someone-elses-secret-0123456789abcdef"),
        "garbage": "not.a.jwt",
    }[kind]
    before = row_counts()
    response = client.post(
        "/api/v1/periods",
        headers={"Authorization": f"Bearer {token}"},
        json={"name": "x", "kind": "year", "starts_on": "2007-01-01", "ends_on": "2007-12-31"},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert words in response.json()["detail"]
    assert row_counts() == before


def test_unknown_and_revoked_api_keys_are_401(client, auth):
    assert client.get("/api/v1/feeds", headers={"X-API-Key": "sck_unknown"}).status_code == 401
    created = client.post(
        "/api/v1/api-keys", headers=auth["admin"], json={"name": "cam-monitor-2", "role": "monitor"}
    ).json()
    key = {"X-API-Key": created["key"]}
    assert client.get("/api/v1/feeds", headers=key).status_code == 200
    assert client.delete("/api/v1/api-keys/cam-monitor-2", headers=auth["admin"]).status_code == 200
    revoked = client.get("/api/v1/feeds", headers=key)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
    listed = client.get("/api/v1/api-keys", headers=auth["admin"]).text
    assert created["key"] not in listed


def test_disabled_user_token_stops_working(client, auth):
    assert client.get("/api/v1/districts", headers=auth["assessor"]).status_code == 200
    client.patch("/api/v1/users/assessor", headers=auth["admin"], json={"is_active": False})
    response = client.get("/api/v1/districts", headers=auth["assessor"])
    assert response.status_code == 401 and "disabled" in response.json()["detail"]


def test_login_issues_scoped_tokens(client, login_password):
    login = client.post(
        "/api/v1/auth/token", data={"username": "reporter", "password": login_password}
    )
    assert login.status_code == 200 and login.json()["scope"] == "read report"
    narrow = client.post(
        "/api/v1/auth/token",
        data={"username": "reporter", "password": login_password, "scope": "read"},
    ).json()
    headers = {"Authorization": f"Bearer {narrow['access_token']}", "Idempotency-Key": "n1"}
    assert client.get("/api/v1/districts", headers=headers).status_code == 200
    denied = client.put(
        "/api/v1/districts/Futian/installed", headers=headers, json={"installed": 0}
    )
    assert denied.status_code == 403 and "report" in denied.json()["detail"]
    too_much = client.post(
        "/api/v1/auth/token",
        data={"username": "reporter", "password": login_password, "scope": "admin"},
    )
    assert too_much.status_code == 400 and "admin" in too_much.json()["detail"]
    wrong = client.post("/api/v1/auth/token", data={"username": "reporter", "password": "no"})
    assert wrong.status_code == 401


def test_audit_log_is_append_only_in_the_database(app, client, auth):
    client.post(
        "/api/v1/periods",
        headers=auth["admin"],
        json={"name": "2008", "kind": "year", "starts_on": "2008-01-01", "ends_on": "2008-12-31"},
    )
    with app.state.db.engine.connect() as conn:
        for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(sa.text(statement))
            conn.rollback()
        assert conn.execute(sa.text("SELECT actor FROM audit_log")).scalars().all() == [
            "user:admin"
        ]


def test_unknown_routes_and_methods_are_problem_documents(client, auth):
    missing = client.get("/api/v1/nothing-here", headers=auth["admin"])
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong = client.delete("/api/v1/districts", headers=auth["admin"])
    assert wrong.status_code == 405 and wrong.json()["status"] == 405


def test_values_the_database_cannot_store_are_4xx_not_500(client, auth, backend, row_counts):
    """NUL characters: SQLite compares them, PostgreSQL text refuses them (found by
    Schemathesis); either way a problem document, never a 500."""
    before = row_counts()
    lookup = client.get("/api/v1/cameras", params={"district": "Fu\x00tian"}, headers=auth["admin"])
    assert lookup.status_code == (404 if backend == "sqlite" else 422)
    assert lookup.headers["content-type"] == "application/problem+json"
    if backend == "postgresql":
        assert "NUL" in lookup.json()["detail"]
    assert row_counts() == before
