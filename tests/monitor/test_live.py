"""Live terminal view and worker sizing."""

from __future__ import annotations

from rich.console import Console

from monitor.capture import ProbeSettings
from monitor.live import render
from monitor.probe import ProbeResult
from monitor.sinks.prometheus import SweepStats
from monitor.state import StateBook
from monitor.sweep import suggested_workers


def result(camera_id: str, district: str, reasons: list[str]) -> ProbeResult:
    return ProbeResult(
        camera_id=camera_id, url="rtsp://cam", district=district,
        started_at="2026-11-29T20:00:00.000Z", ok=not reasons, reasons=reasons, fps=9.5,
    )  # fmt: skip


def test_live_view_shows_counts_and_worst_feeds():
    book, stats = StateBook(), SweepStats()
    for _ in range(3):
        book.observe(result("cam-dead", "Luohu", ["timeout"]))
        book.observe(result("cam-blur", "Futian", ["blurred"]))
        book.observe(result("cam-fine", "Futian", []))
    stats.observe_sweep(lag_s=0.4, duration_s=2.5, ended_at=0.0)
    console = Console(record=True, width=140)
    console.print(render(book, stats))
    text = console.export_text()
    assert "ok 1" in text and "degraded 1" in text and "down 1" in text
    assert "lag 0.4 s" in text
    worst = text[text.index("worst feeds") :]
    assert worst.index("cam-dead") < worst.index("cam-blur")  # down before degraded
    assert "cam-fine" not in worst and "timeout" in worst and "blurred" in worst


def test_suggested_workers_follow_feeds_and_interval():
    settings = ProbeSettings(window_s=2.0)
    assert suggested_workers(1, 10, settings, cores=2) == 1
    assert suggested_workers(40, 10, settings, cores=2) == 13  # 40 x 2.5 s / 10 s x 1.25
    assert suggested_workers(100_000, 10, settings, cores=2) == 32  # capped at 16 per core
