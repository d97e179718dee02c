"""Health ingest (contract with the monitor), camera queries, progress, trend and metrics."""

from __future__ import annotations

import datetime as dt
import math
import uuid

import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from api.models import HealthTransition


def _event(camera_id, to_state, at, *, from_state=None, reasons=(), event_id=None, **extra):
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "camera_id": camera_id,
        "district": "Futian",
        "from_state": from_state,
        "to_state": to_state,
        "reasons": list(reasons),
        "at": at,
        "flapping": False,
        "metrics": {"fps": 25.0},
        **extra,
    }


def _ingest(client, auth, events):
    response = client.post(
        "/api/v1/health/transitions", json={"events": events}, headers=auth["monitor"]
    )
    assert response.status_code == 200, response.text
    return response.json()


def _install(client, auth, ids):
    response = client.post(
        "/api/v1/reports",
        headers={**auth["reporter"], "Idempotency-Key": uuid.uuid4().hex},
        json={"district": "Futian", "installed": [{"camera_id": c} for c in ids]},
    )
    assert response.status_code == 201, response.text


def test_duplicate_events_count_once_and_older_events_never_win(client, auth, plan):
    ids = plan({"Futian": 3})["Futian"]
    _install(client, auth, ids)
    down = _event(ids[0], "down", "2026-11-29T10:05:00Z", from_state="ok", reasons=["unreachable"])
    first = _ingest(client, auth, [down, down, _event(ids[1], "ok", "2026-11-29T10:00:00Z")])
    assert first == {"accepted": 2, "duplicates": 1, "unknown_cameras": 0}
    assert _ingest(client, auth, [down]) == {"accepted": 0, "duplicates": 1, "unknown_cameras": 0}
    stale = _event(ids[0], "ok", "2026-11-29T09:00:00Z")
    assert _ingest(client, auth, [stale])["accepted"] == 1
    cams = client.get("/api/v1/cameras?district=Futian&state=down", headers=auth["assessor"]).json()
    assert [c["camera_id"] for c in cams["items"]] == [ids[0]]
    assert cams["items"][0]["reasons"] == ["unreachable"]
    history = client.get(f"/api/v1/cameras/{ids[0]}/transitions", headers=auth["admin"]).json()
    assert [h["to_state"] for h in history] == ["down", "ok"]  # newest first, both kept
    unknown = _ingest(client, auth, [_event("not-registered", "down", "2026-11-29T10:00:00Z")])
    assert unknown["unknown_cameras"] == 1


def test_non_finite_metrics_are_stored_as_null(app, client, auth, plan):
    ids = plan({"Futian": 1})["Futian"]
    body = (
        '{"events": [{"event_id": "e-nan", "camera_id": "CAM", "to_state": "degraded", '
        '"at": "2026-11-29T10:00:00+08:00", "metrics": {"fps": NaN, "blur": Infinity, "n": 3}}]}'
    ).replace("CAM", ids[0])
    response = client.post(
        "/api/v1/health/transitions",
        content=body.encode(),
        headers={**auth["monitor"], "Content-Type": "application/json"},
    )
    assert response.status_code == 200 and response.json()["accepted"] == 1
    with app.state.db.session() as session:
        stored = session.scalars(sa.select(HealthTransition)).one()
    assert stored.metrics == {"fps": None, "blur": None, "n": 3}
    assert stored.at == dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.UTC)


def test_bad_events_are_422_naming_the_field(client, auth, row_counts):
    before = row_counts()
    for bad, field in (
        ({"to_state": "broken"}, "to_state"),
        ({"at": "yesterday"}, "at"),
        ({"at": "2026-11-29T10:00:00"}, "at"),
    ):
        event = {**_event("x", "ok", "2026-11-29T10:00:00Z"), **bad}
        response = client.post(
            "/api/v1/health/transitions", json={"events": [event]}, headers=auth["monitor"]
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"][-1] == field
    assert row_counts() == before


def test_camera_listing_filters_and_pages(client, auth, plan):
    ids = plan({"Futian": 7, "Nanshan": 2})
    _install(client, auth, ids["Futian"][:5])
    _ingest(client, auth, [_event(c, "ok", "2026-11-29T10:00:00Z") for c in ids["Futian"][:3]])
    url = "/api/v1/cameras?district=Futian&status=installed&page_size=2"
    pages = [client.get(f"{url}&page={p}", headers=auth["reporter"]).json() for p in (1, 2, 3)]
    assert [p["total"] for p in pages] == [5, 5, 5]
    assert [c["camera_id"] for p in pages for c in p["items"]] == ids["Futian"][:5]
    states = {
        s: client.get(
            f"/api/v1/cameras?district=Futian&state={s}", headers=auth["reporter"]
        ).json()["total"]
        for s in ("ok", "unknown", "down")
    }
    assert states == {"ok": 3, "unknown": 2, "down": 0}
    planned = client.get("/api/v1/cameras?status=planned", headers=auth["reporter"]).json()
    assert planned["total"] == 4
    bad = client.get("/api/v1/cameras?district=Atlantis", headers=auth["reporter"])
    assert bad.status_code == 404 and "Atlantis" in bad.json()["detail"]
    assert client.get("/api/v1/cameras?page_size=0", headers=auth["reporter"]).status_code == 422


def test_progress_targets_online_and_trend(client, auth, plan):
    today = dt.datetime.now(dt.UTC).date()
    period = {
        "name": "current",
        "kind": "quarter",
        "starts_on": (today - dt.timedelta(days=30)).isoformat(),
        "ends_on": (today + dt.timedelta(days=30)).isoformat(),
    }
    assert client.post("/api/v1/periods", json=period, headers=auth["admin"]).status_code == 201
    ids = plan({"Futian": 8, "Nanshan": 2}, period="current")
    targets = client.get("/api/v1/periods/current/targets", headers=auth["reporter"]).json()
    assert {t["district"]: t["cameras"] for t in targets} == {"Futian": 8, "Nanshan": 2}
    client.put(
        "/api/v1/periods/current/targets", json={"targets": {"Futian": 10}}, headers=auth["admin"]
    )
    _install(client, auth, ids["Futian"][:4])
    _ingest(
        client,
        auth,
        [
            _event(ids["Futian"][0], "ok", "2026-11-29T10:00:00Z"),
            _event(ids["Futian"][1], "ok", "2026-11-29T10:00:00Z"),
            _event(ids["Futian"][2], "down", "2026-11-29T10:00:00Z"),
        ],
    )
    report = client.get("/api/v1/progress", headers=auth["assessor"]).json()
    assert report["period"] == "current"
    futian = next(d for d in report["districts"] if d["district"] == "Futian")
    assert futian == {
        "district": "Futian",
        "target": 10,
        "planned": 8,
        "installed": 4,
        "online": 2,
        "degraded": 0,
        "down": 1,
        "unknown": 1,
        "completion_pct": 40.0,
        "online_rate_pct": 50.0,
    }
    city = report["city"]
    assert (city["target"], city["planned"], city["installed"], city["online"]) == (12, 10, 4, 2)
    assert math.isclose(city["completion_pct"], round(100 * 4 / 12, 2))
    one = client.get("/api/v1/progress/Futian", headers=auth["reporter"]).json()
    assert one == futian
    trend = client.get(
        "/api/v1/progress/trend?days=3&district=Futian", headers=auth["reporter"]
    ).json()
    assert [p["day"] for p in trend] == [
        (today - dt.timedelta(days=d)).isoformat() for d in (2, 1, 0)
    ]
    assert [p["installed"] for p in trend] == [0, 0, 4]
    assert trend[-1]["online"] == 2 and trend[0]["online"] is None
    city_trend = client.get("/api/v1/progress/trend?days=1", headers=auth["reporter"]).json()
    assert city_trend == [{"day": today.isoformat(), "installed": 4, "online": 2}]


def test_plan_import_with_quota_csv_is_idempotent_and_validated(
    client, auth, points_in, row_counts
):
    client.post(
        "/api/v1/periods",
        headers=auth["admin"],
        json={
            "name": "2007-H2",
            "kind": "half_year",
            "starts_on": "2007-07-01",
            "ends_on": "2007-12-31",
        },
    )
    ((lon, lat),) = points_in("Luohu", 1)
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "camera_id": 17,
            "district": "Luohu",
            "type": "dome",
            "heading": None,
            "phase": 2,
            "cost": 800,
            "score": 0.7,
        },
    }
    existing = {
        **feature,
        "properties": {
            **feature["properties"],
            "camera_id": "E-1",
            "owner": "enterprise",
            "status": "existing",
        },
    }
    body = {
        "period": "2007-H2",
        "districts_csv": "district,quota,new\nLuohu,40,39\n",
        "cameras": {"type": "FeatureCollection", "features": [feature, existing]},
    }
    first = client.post("/api/v1/plans/import", json=body, headers=auth["admin"]).json()
    assert first == {
        "created": 2,
        "updated": 0,
        "unchanged_installed": 0,
        "targets": {"Luohu": 40},
    }
    again = client.post("/api/v1/plans/import", json=body, headers=auth["admin"]).json()
    assert (again["created"], again["updated"], again["unchanged_installed"]) == (0, 1, 1)
    luohu = client.get("/api/v1/progress/Luohu?period=2007-H2", headers=auth["admin"]).json()
    assert (luohu["target"], luohu["planned"], luohu["installed"]) == (40, 2, 1)
    before = row_counts()
    outside = {**feature, "geometry": {"type": "Point", "coordinates": [113.0, 21.0]}}
    for bad, words in (
        (
            {"cameras": {"type": "FeatureCollection", "features": [outside]}},
            "lies outside district 'Luohu'",
        ),
        (
            {
                "cameras": {
                    "type": "FeatureCollection",
                    "features": [
                        {**feature, "properties": {**feature["properties"], "district": "Atlantis"}}
                    ],
                }
            },
            "unknown district 'Atlantis'",
        ),
        (
            {"cameras": {"type": "FeatureCollection", "features": [feature, feature]}},
            "duplicate camera_id '17'",
        ),
        ({"period": "2007-H2", "districts_csv": "district,quota\nLuohu,-3\n"}, "whole number"),
        ({"period": "2007-H2", "districts_csv": "district,quota\nGotham,3\n"}, "Gotham"),
        ({"period": "2007-H2", "districts_csv": "name,size\n"}, "'district' column"),
        ({"period": "1999", "districts_csv": "district,quota\nLuohu,3\n"}, "unknown period"),
        ({}, "send cameras"),
    ):
        response = client.post("/api/v1/plans/import", json=bad, headers=auth["admin"])
        assert response.status_code == 422, response.text
        assert words in response.json()["detail"], response.text
    assert row_counts() == before


def test_metrics_have_bounded_labels_and_rollout_counts(client, auth, plan):
    ids = plan({"Futian": 3})["Futian"]
    _install(client, auth, ids[:2])
    _ingest(client, auth, [_event(ids[0], "ok", "2026-11-29T10:00:00Z")])
    for camera in ids:
        client.get(f"/api/v1/cameras/{camera}/transitions", headers=auth["admin"])
    text = client.get("/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    sites = {
        (s.labels["district"], s.labels["status"]): s.value
        for s in families["safecity_camera_sites"].samples
    }
    assert sites[("Futian", "installed")] == 2 and sites[("Futian", "planned")] == 1
    health = {
        (s.labels["district"], s.labels["state"]): s.value
        for s in families["safecity_cameras_health"].samples
    }
    assert health == {("Futian", "ok"): 1, ("Futian", "unknown"): 1}
    routes = {s.labels["route"] for s in families["safecity_http_requests"].samples}
    assert "/api/v1/cameras/{camera_id}/transitions" in routes
    assert not any(camera in text for camera in ids)


def test_plan_import_reads_the_planners_own_files(client, auth, points_in):
    """The shape `safecity plan` writes: CRS member, string phases, ``existing`` flags,
    lon/lat duplicated in properties; districts.csv quota + existing = target."""
    client.post(
        "/api/v1/periods",
        headers=auth["admin"],
        json={
            "name": "phase-1",
            "kind": "phase",
            "starts_on": "2006-01-01",
            "ends_on": "2007-12-31",
        },
    )
    points = points_in("Yantian", 3)
    features = [
        {
            "type": "Feature",
            "properties": {
                "camera_id": f"Yantian-{i:06d}",
                "district": "Yantian",
                "lon": lon,
                "lat": lat,
                "type": "ptz",
                "heading": None,
                "phase": "existing" if i == 0 else "launch",
                "rank": i,
                "marginal_gain": 10.5,
                "site_id": 100 + i,
                "cost": 28000.0,
                "existing": i == 0,
            },
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
        }
        for i, (lon, lat) in enumerate(points)
    ]
    body = {
        "period": "phase-1",
        "cameras": {
            "type": "FeatureCollection",
            "name": "cameras",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
            "features": features,
        },
        "districts_csv": "district,quota,existing,placed,cost_cny\nYantian,5,1,2,56000.0\n",
    }
    result = client.post("/api/v1/plans/import", json=body, headers=auth["admin"])
    assert result.status_code == 200, result.text
    assert result.json()["targets"] == {"Yantian": 6}
    yantian = client.get("/api/v1/progress/Yantian", headers=auth["admin"]).json()
    # no period contains today: progress falls back to the latest ended one (phase-1)
    assert (yantian["target"], yantian["planned"], yantian["installed"]) == (6, 3, 1)
    cams = client.get("/api/v1/cameras?district=Yantian", headers=auth["admin"]).json()["items"]
    assert [c["phase"] for c in cams] == ["existing", "launch", "launch"]
    assert [c["status"] for c in cams] == ["installed", "planned", "planned"]
