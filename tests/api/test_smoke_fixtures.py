"""The fixtures give each test its own migrated, seeded database on both backends."""

from __future__ import annotations


def test_districts_seeded_and_isolated(client, auth, backend, plan):
    response = client.get("/api/v1/districts", headers=auth["assessor"])
    assert response.status_code == 200
    assert [d["name"] for d in response.json()] == sorted(
        [
            "Luohu",
            "Futian",
            "Nanshan",
            "Baoan",
            "Longgang",
            "Yantian",
            "Longhua",
            "Pingshan",
            "Guangming",
        ]
    )
    plan({"Futian": 3})
    cams = client.get("/api/v1/cameras", headers=auth["admin"]).json()
    assert cams["total"] == 3
    health = client.get("/healthz").json()
    assert health["database"] == backend
