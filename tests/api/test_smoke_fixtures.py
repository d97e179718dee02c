"""The fixtures give each test its own migrated, seeded database on both backends."""

from __future__ import annotations

import gc


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


def test_startup_objects_are_frozen_out_of_full_collections(client):
    # A full collection over the startup heap paused a worker for ~100 ms; once the app
    # has started, those objects sit in the permanent generation.
    assert gc.get_freeze_count() > 50_000
