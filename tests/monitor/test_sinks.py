"""Sinks against real servers: JSONL file, API push through a real uvicorn server that is
down then up (no event lost or duplicated), Prometheus endpoint scraped over HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Header, HTTPException
from prometheus_client.parser import text_string_to_metric_families

from monitor.feeds import DISTRICTS, FeedError, load_feeds_from_api
from monitor.probe import ProbeResult
from monitor.sinks.api import ApiSink
from monitor.sinks.jsonl import JsonlSink
from monitor.sinks.prometheus import SweepStats, serve_metrics
from monitor.state import StateBook, TransitionEvent
from monitor.testing import free_port, wait_for_port

API_KEY = "monitor-key-123"


def make_events(n: int, start: int = 0) -> list[TransitionEvent]:
    return [
        TransitionEvent(
            camera_id=f"cam-{i}",
            district="Nanshan",
            from_state="ok",
            to_state="down",
            reasons=["timeout"],
            flapping=False,
            metrics={"frames": 0},
        )
        for i in range(start, start + n)
    ]


class IngestApi:
    """A minimal real API (FastAPI under uvicorn) with the two endpoints of the contract the
    monitor uses: transition ingest and the feed registry."""

    def __init__(self, port: int, feeds: list[dict[str, Any]] | None = None) -> None:
        self.port = port
        self.received: list[str] = []
        self.seen: set[str] = set()
        self.feed_queries: list[str | None] = []
        app = FastAPI()

        @app.get("/api/v1/feeds")
        def list_feeds(
            district: str | None = None, x_api_key: str = Header(default="")
        ) -> list[dict[str, Any]]:
            if x_api_key != API_KEY:
                raise HTTPException(401, "bad key")
            self.feed_queries.append(district)
            return [f for f in feeds or [] if district in (None, f["district"])]

        @app.post("/api/v1/health/transitions")
        def ingest(body: dict[str, Any], x_api_key: str = Header(default="")) -> dict[str, int]:
            if x_api_key != API_KEY:
                raise HTTPException(401, "bad key")
            ids = [e["event_id"] for e in body["events"]]
            self.received.extend(ids)
            fresh = [i for i in ids if i not in self.seen]
            self.seen.update(ids)
            return {"accepted": len(fresh), "duplicates": len(ids) - len(fresh)}

        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> IngestApi:
        self.thread.start()
        wait_for_port(self.port)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def test_jsonl_sink_appends_one_event_per_line(tmp_path: Path):
    path = tmp_path / "out" / "events.jsonl"
    sink = JsonlSink(path)
    sink.publish(make_events(2))
    sink.publish([])
    sink.publish(make_events(1, start=2))
    sink.close()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["camera_id"] for e in lines] == ["cam-0", "cam-1", "cam-2"]
    assert all(e["to_state"] == "down" and e["reasons"] == ["timeout"] for e in lines)


def test_api_down_then_up_loses_and_duplicates_nothing(tmp_path: Path):
    port = free_port()
    sink = ApiSink(
        f"http://127.0.0.1:{port}", API_KEY, tmp_path / "spool", batch_size=7, backoff_s=0.05,
        max_backoff_s=0.2,
    )  # fmt: skip
    events = make_events(20)
    sink.publish(events[:12])
    time.sleep(0.4)  # the API is down: batches wait in the spool, sender retries
    assert sink.backlog() == 2 and sink.failures >= 2
    sink.publish(events[12:])
    with IngestApi(port) as api:
        assert sink.flush(10.0)
        sink.close()
    assert sorted(api.received) == sorted(e.event_id for e in events)
    assert len(api.received) == len(set(api.received)) == 20
    assert sink.sent_events == 20 and sink.duplicates == 0
    assert sink.backlog() == 0


def test_spool_is_replayed_after_restart_and_wrong_key_keeps_events(tmp_path: Path):
    port = free_port()
    spool = tmp_path / "spool"
    events = make_events(5)
    with IngestApi(port) as api:
        wrong = ApiSink(f"http://127.0.0.1:{port}", "wrong-key", spool, backoff_s=0.05)
        wrong.publish(events)
        assert not wrong.flush(0.5)  # 401: retried, never dropped
        wrong.close(timeout_s=0.1)
        assert api.received == []
        assert len(list((spool / "pending").glob("*.json"))) == 1

        restarted = ApiSink(f"http://127.0.0.1:{port}", API_KEY, spool, backoff_s=0.05)
        assert restarted.flush(5.0)
        restarted.close()
    assert sorted(api.received) == sorted(e.event_id for e in events)


def test_feeds_come_from_the_api_registry():
    port = free_port()
    rows = [
        {"camera_id": "FT-1", "url": "rtsp://u:pw@10.0.0.1/a", "district": "Futian",
         "expected_fps": 25.0, "installed_at": "2026-01-01"},
        {"camera_id": "NS-1", "url": "http://10.0.0.2/b.ts", "district": "Nanshan",
         "expected_fps": None},
    ]  # fmt: skip
    with IngestApi(port, rows) as api:
        base = f"http://127.0.0.1:{port}"
        feeds = load_feeds_from_api(base, API_KEY)
        futian = load_feeds_from_api(base, API_KEY, district="Futian")
        with pytest.raises(FeedError, match="API answered 401"):
            load_feeds_from_api(base, "wrong")
        rows.append({"camera_id": "bad id!", "url": "rtsp://h/x", "district": "Futian"})
        with pytest.raises(FeedError, match=r"feed 3: field 'camera_id' value 'bad id!'"):
            load_feeds_from_api(base, API_KEY)
    assert [(f.camera_id, f.expected_fps) for f in feeds] == [("FT-1", 25.0), ("NS-1", None)]
    assert feeds[0].safe_url == "rtsp://***@10.0.0.1/a"
    assert [f.camera_id for f in futian] == ["FT-1"]
    assert api.feed_queries == [None, "Futian", None]
    with pytest.raises(FeedError, match="cannot fetch feeds"):
        load_feeds_from_api(f"http://127.0.0.1:{free_port()}", API_KEY, timeout_s=2)


def _result(camera_id: str, district: str, reasons: list[str], duration: float) -> ProbeResult:
    return ProbeResult(
        camera_id=camera_id, url="rtsp://cam", district=district, started_at="t",
        ok=not reasons, reasons=reasons, duration_s=duration,
    )  # fmt: skip


@pytest.fixture
def scraped_book() -> Iterator[tuple[StateBook, SweepStats, int]]:
    book, stats = StateBook(), SweepStats()
    for _ in range(3):
        for i in range(50):
            r = _result(f"cam-{i}", DISTRICTS[i % 3], ["no_frames"] if i < 5 else [], 1.2)
            stats.observe_probe(r)
            book.observe(r)
    stats.observe_sweep(lag_s=0.25, duration_s=3.5, ended_at=time.time())
    server = serve_metrics(book, stats, 0)
    yield book, stats, int(server.server_port)
    server.shutdown()


def test_prometheus_endpoint_has_bounded_labels_only(scraped_book):
    _, _, port = scraped_book
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    cameras = families["safecity_monitor_cameras"].samples
    assert len(cameras) == len(DISTRICTS) * 3
    value = {(s.labels["district"], s.labels["state"]): s.value for s in cameras}
    assert sum(value.values()) == 50
    assert value[(DISTRICTS[0], "down")] == 2 and value[(DISTRICTS[1], "down")] == 2
    assert value[(DISTRICTS[0], "ok")] + value[(DISTRICTS[0], "down")] == 17
    transitions = {
        (s.labels["from_state"], s.labels["to_state"]): s.value
        for s in families["safecity_monitor_transitions"].samples
        if s.name.endswith("_total")
    }
    assert transitions[("ok", "down")] == 5
    duration = families["safecity_monitor_probe_duration_seconds"].samples
    count = {s.labels["outcome"]: s.value for s in duration if s.name.endswith("_count")}
    assert count == {"good": 135, "degraded": 0, "failed": 15}
    assert families["safecity_monitor_sweep_lag_seconds"].samples[0].value == 0.25
    label_names = {k for f in families.values() for s in f.samples for k in s.labels}
    assert label_names <= {"district", "state", "from_state", "to_state", "outcome", "le"}
    assert "cam-" not in text  # never a per-camera series
