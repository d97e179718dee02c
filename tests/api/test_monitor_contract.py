"""The monitor's own client code against a real API server: the feed registry it reads
and the spooled transition sink it pushes through (contract in notes/CONTRACTS.md)."""

from __future__ import annotations

import uuid

import httpx

from monitor.feeds import load_feeds_from_api
from monitor.sinks.api import ApiSink
from monitor.state import TransitionEvent


def test_monitor_reads_feeds_and_pushes_transitions(live_server, auth, plan, tmp_path):
    ids = plan({"Futian": 3, "Nanshan": 1})
    installed = [
        {"camera_id": c, "stream_url": f"rtsp://10.1.0.{i}/main", "expected_fps": 25}
        for i, c in enumerate(ids["Futian"][:2])
    ]
    report = httpx.post(
        f"{live_server}/api/v1/reports",
        json={"district": "Futian", "installed": installed},
        headers={**auth["reporter"], "Idempotency-Key": uuid.uuid4().hex},
    )
    assert report.status_code == 201
    key = auth["monitor"]["X-API-Key"]
    feeds = load_feeds_from_api(live_server, key, district="Futian")
    assert [(f.camera_id, f.url, f.district, f.expected_fps) for f in feeds] == [
        (c["camera_id"], c["stream_url"], "Futian", 25.0) for c in installed
    ]
    assert load_feeds_from_api(live_server, key, district="Nanshan") == []

    events = [
        TransitionEvent(
            camera_id=feeds[0].camera_id,
            district="Futian",
            from_state="ok",
            to_state="down",
            reasons=["unreachable"],
            flapping=False,
            metrics={"connect_s": 5.0},
        ),
        TransitionEvent(
            camera_id=feeds[1].camera_id,
            district="Futian",
            from_state="ok",
            to_state="degraded",
            reasons=["blurred"],
            flapping=True,
            metrics={"sharpness": 3.2},
        ),
    ]
    sink = ApiSink(live_server, key, tmp_path / "spool", batch_size=1)
    try:
        sink.publish(events)
        sink.publish(events)  # a resent batch (lost reply): counted once by event_id
        assert sink.flush(30)
    finally:
        sink.close()
    assert (sink.sent_events, sink.duplicates) == (2, 2)
    cams = httpx.get(
        f"{live_server}/api/v1/cameras?district=Futian&status=installed", headers=auth["assessor"]
    ).json()["items"]
    assert {c["camera_id"]: (c["state"], c["reasons"], c["flapping"]) for c in cams} == {
        feeds[0].camera_id: ("down", ["unreachable"], False),
        feeds[1].camera_id: ("degraded", ["blurred"], True),
    }
