"""Installation reports: idempotency keys, cumulative counts, and bad input writing nothing."""

from __future__ import annotations

import uuid


def _report(client, headers, body, key=None):
    key = key or uuid.uuid4().hex
    return client.post("/api/v1/reports", json=body, headers={**headers, "Idempotency-Key": key})


def _installed(client, auth, district="Futian"):
    return client.get(f"/api/v1/progress/{district}", headers=auth["admin"]).json()["installed"]


def test_same_key_same_body_replays_the_stored_response(client, auth, plan):
    ids = plan({"Futian": 4})["Futian"]
    body = {"district": "Futian", "installed": [{"camera_id": c} for c in ids[:3]]}
    first = _report(client, auth["reporter"], body, key="k-1")
    again = _report(client, auth["reporter"], body, key="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert first.json()["installed"] == 3 and first.json()["district_installed"] == 3
    assert _installed(client, auth) == 3
    reports = client.get("/api/v1/reports", headers=auth["admin"]).json()
    assert reports["total"] == 1


def test_same_key_different_body_is_422_and_missing_key_400(client, auth, plan, row_counts):
    ids = plan({"Futian": 2})["Futian"]
    assert (
        _report(
            client,
            auth["reporter"],
            {"district": "Futian", "installed": [{"camera_id": ids[0]}]},
            key="k-2",
        ).status_code
        == 201
    )
    before = row_counts()
    reused = _report(
        client,
        auth["reporter"],
        {"district": "Futian", "installed": [{"camera_id": ids[1]}]},
        key="k-2",
    )
    assert reused.status_code == 422
    assert reused.json()["type"].endswith("/idempotency-key-reused")
    assert "k-2" in reused.json()["detail"]
    missing = client.post(
        "/api/v1/reports",
        headers=auth["reporter"],
        json={"district": "Futian", "installed": [{"camera_id": ids[1]}]},
    )
    assert missing.status_code == 400
    assert "Idempotency-Key" in missing.json()["detail"]
    assert row_counts() == before


def test_keys_are_per_principal(client, auth, plan):
    ids = plan({"Futian": 2})["Futian"]
    a = _report(
        client,
        auth["reporter"],
        {"district": "Futian", "installed": [{"camera_id": ids[0]}]},
        key="shared",
    )
    b = _report(
        client,
        auth["reporter_key"],
        {"district": "Futian", "installed": [{"camera_id": ids[1]}]},
        key="shared",
    )
    assert a.status_code == b.status_code == 201
    assert a.json()["report_id"] != b.json()["report_id"]
    assert _installed(client, auth) == 2


def test_already_installed_sites_are_not_counted_twice(client, auth, plan):
    ids = plan({"Futian": 3})["Futian"]
    _report(
        client,
        auth["reporter"],
        {"district": "Futian", "installed": [{"camera_id": ids[0]}, {"camera_id": ids[1]}]},
    )
    second = _report(
        client,
        auth["reporter"],
        {"district": "Futian", "installed": [{"camera_id": ids[1]}, {"camera_id": ids[2]}]},
    )
    assert second.json()["installed"] == 1
    assert second.json()["already_installed"] == [ids[1]]
    assert _installed(client, auth) == 3


def test_new_sites_with_locations_and_stream_urls_feed_the_monitor(client, auth, points_in):
    (lon, lat), (lon2, lat2) = points_in("Futian", 2)
    response = _report(
        client,
        auth["reporter"],
        {
            "district": "Futian",
            "new_sites": [
                {
                    "lon": lon,
                    "lat": lat,
                    "owner_type": "enterprise",
                    "stream_url": "rtsp://10.0.0.5/stream1",
                    "expected_fps": 25,
                },
                {"camera_id": "FT-ENT-7", "lon": lon2, "lat": lat2, "owner_type": "residential"},
            ],
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()["created_sites"]
    assert created[1] == "FT-ENT-7" and created[0].startswith("440304-R-")
    feeds = client.get("/api/v1/feeds", headers=auth["monitor"]).json()
    assert feeds == [
        {
            "camera_id": created[0],
            "url": "rtsp://10.0.0.5/stream1",
            "district": "Futian",
            "expected_fps": 25.0,
        }
    ]
    cams = client.get("/api/v1/cameras?district=Futian&state=unknown", headers=auth["admin"]).json()
    assert {c["camera_id"] for c in cams["items"]} == set(created)
    assert {c["owner_type"] for c in cams["items"]} == {"enterprise", "residential"}


def test_duplicate_explicit_camera_id_is_409_and_writes_nothing(
    client, auth, points_in, row_counts
):
    (lon, lat), (lon2, lat2) = points_in("Futian", 2)
    _report(
        client,
        auth["reporter"],
        {"district": "Futian", "new_sites": [{"camera_id": "FT-1", "lon": lon, "lat": lat}]},
    )
    before = row_counts()
    again = _report(
        client,
        auth["reporter"],
        {"district": "Futian", "new_sites": [{"camera_id": "FT-1", "lon": lon2, "lat": lat2}]},
    )
    assert again.status_code == 409 and "FT-1" in again.json()["detail"]
    assert row_counts() == before


def test_bad_reports_are_clear_4xx_and_write_nothing(client, auth, plan, points_in, row_counts):
    ids = plan({"Futian": 2, "Nanshan": 1})
    ((lon_ns, lat_ns),) = points_in("Nanshan", 1)
    before = row_counts()
    cases = [
        (
            {"district": "Atlantis", "installed": [{"camera_id": ids["Futian"][0]}]},
            422,
            "unknown district 'Atlantis'",
        ),
        (
            {"district": "Futian", "new_sites": [{"lon": lon_ns, "lat": lat_ns}]},
            422,
            "outside district 'Futian'",
        ),
        ({"district": "Futian", "installed": [{"camera_id": "nope-1"}]}, 422, "nope-1"),
        (
            {"district": "Futian", "installed": [{"camera_id": ids["Nanshan"][0]}]},
            422,
            "another district",
        ),
        ({"district": "Futian"}, 422, "at least one site"),
        ({"district": "Futian", "new_sites": [{"lon": 500, "lat": 22.5}]}, 422, "lon"),
        (
            {"district": "Futian", "installed": [{"camera_id": ids["Futian"][0]}], "extra": 1},
            422,
            "extra",
        ),
        ({"district": "Nanshan", "installed": [{"camera_id": ids["Nanshan"][0]}]}, 403, "Nanshan"),
    ]
    for body, status, words in cases:
        response = _report(client, auth["reporter"], body)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert words in response.text, (words, response.text)
    outside = _report(client, auth["reporter"], cases[1][0]).json()
    assert outside["errors"][0]["loc"] == ["body", "new_sites", 0]
    assert row_counts() == before


def test_monitor_key_cannot_report(client, auth, plan, row_counts):
    ids = plan({"Futian": 1})["Futian"]
    before = row_counts()
    response = _report(
        client, auth["monitor"], {"district": "Futian", "installed": [{"camera_id": ids[0]}]}
    )
    assert response.status_code == 403 and "report" in response.json()["detail"]
    assert row_counts() == before


def test_cumulative_put_is_idempotent_and_never_decreases(client, auth, plan, row_counts):
    plan({"Futian": 5})
    url = "/api/v1/districts/Futian/installed"
    first = client.put(url, json={"installed": 3}, headers=auth["reporter"])
    assert first.json() == {"district": "Futian", "installed": 3, "newly_installed": 3}
    before = row_counts()
    again = client.put(url, json={"installed": 3}, headers=auth["reporter"])
    assert again.json() == {"district": "Futian", "installed": 3, "newly_installed": 0}
    assert row_counts() == before
    for total, words in (
        (2, "never decrease"),
        (6, "exceeds the 5 sites planned"),
        (-1, "greater than or equal to 0"),
    ):
        response = client.put(url, json={"installed": total}, headers=auth["reporter"])
        assert response.status_code == 422 and words in response.text
    assert row_counts() == before
    assert (
        client.put(url, json={"installed": 5}, headers=auth["reporter"]).json()["newly_installed"]
        == 2
    )
    assert _installed(client, auth) == 5
    other = client.put(
        "/api/v1/districts/Futian/installed",
        json={"installed": 5},
        headers=auth["reporter_nanshan"],
    )
    assert other.status_code == 403


def test_every_write_is_audited_with_request_id(client, auth, plan):
    ids = plan({"Futian": 1})["Futian"]
    response = client.post(
        "/api/v1/reports",
        json={"district": "Futian", "installed": [{"camera_id": ids[0]}]},
        headers={**auth["reporter"], "Idempotency-Key": "a1", "X-Request-ID": "req-42"},
    )
    assert response.headers["x-request-id"] == "req-42"
    entries = client.get("/api/v1/audit?action=report.create", headers=auth["assessor"]).json()
    assert entries["total"] == 1
    entry = entries["items"][0]
    assert (entry["actor"], entry["role"], entry["district"], entry["request_id"]) == (
        "user:reporter",
        "reporter",
        "Futian",
        "req-42",
    )
    assert entry["after"]["district_installed"] == 1
