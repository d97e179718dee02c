"""Sweeps on a schedule through the real worker pool: lag when a sweep overruns, events."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.capture import ProbeSettings
from monitor.feeds import Feed
from monitor.sinks.jsonl import JsonlSink
from monitor.sweep import Sweeper, SweepReport
from monitor.workers import ProbePool


def test_overrunning_sweeps_report_lag_and_publish_transitions(
    silent_port: int, fast: ProbeSettings, tmp_path: Path
):
    """Two feeds on a silent listener, one worker, 0.5 s open timeout: each sweep takes
    ~1 s against a 0.4 s interval, so sweeps start late; after three failed sweeps both
    cameras go down and exactly two events are written."""
    settings = replace(fast, open_timeout_s=0.5)
    feeds = [
        Feed(camera_id=f"cam-{i}", url=f"rtsp://127.0.0.1:{silent_port}/{i}", district="Luohu")
        for i in range(2)
    ]
    sink = JsonlSink(tmp_path / "events.jsonl")
    reports: list[SweepReport] = []
    with ProbePool(1, settings) as pool:
        sweeper = Sweeper(feeds, pool, sinks=[sink])
        done = sweeper.run(0.4, max_sweeps=3, on_sweep=reports.append)
    sink.close()
    assert done == 3
    assert [len(r.results) for r in reports] == [2, 2, 2]
    assert all(r.duration_s >= 2 * settings.open_timeout_s * 0.9 for r in reports)
    assert reports[0].lag_s < 0.3
    assert reports[1].lag_s == pytest.approx(reports[0].duration_s - 0.4, abs=0.3)
    assert sweeper.stats.sweeps == 3 and sweeper.stats.last_lag_s == reports[2].lag_s
    assert {r.reasons[0] for rep in reports for r in rep.results} == {"timeout"}
    lines = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert sorted((e["camera_id"], e["to_state"]) for e in lines) == [
        ("cam-0", "down"),
        ("cam-1", "down"),
    ]
    assert reports[2].events and not reports[0].events
