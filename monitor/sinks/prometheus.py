"""Prometheus metrics of the monitor, built at scrape time with bounded labels only.

Series: cameras by (district, state) -- 9 x 3 --, probe duration histogram by outcome
(good / degraded / failed), transitions by (from_state, to_state), flapping cameras, sweep
lag, sweep duration, sweeps done.  Never a label per camera: 200,000 series would swamp
Prometheus; per-camera detail lives in the API.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from monitor.feeds import DISTRICTS
from monitor.probe import ProbeResult
from monitor.state import STATES, StateBook, classify

DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0)
OUTCOMES = ("good", "degraded", "failed")


@dataclass
class SweepStats:
    """Counters the sweep updates and the collector reads (thread-safe)."""

    sweeps: int = 0
    last_lag_s: float = 0.0
    last_duration_s: float = 0.0
    last_sweep_end: float = 0.0
    _buckets: dict[str, list[int]] = field(
        default_factory=lambda: {o: [0] * (len(DURATION_BUCKETS) + 1) for o in OUTCOMES}
    )
    _sums: dict[str, float] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0.0))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def observe_probe(self, result: ProbeResult) -> None:
        """Count one probe's duration under its outcome."""
        outcome = classify(result)
        with self._lock:
            self._buckets[outcome][bisect.bisect_left(DURATION_BUCKETS, result.duration_s)] += 1
            self._sums[outcome] += result.duration_s

    def observe_sweep(self, lag_s: float, duration_s: float, ended_at: float) -> None:
        """Record one finished sweep."""
        with self._lock:
            self.sweeps += 1
            self.last_lag_s, self.last_duration_s, self.last_sweep_end = lag_s, duration_s, ended_at

    def histogram(self, outcome: str) -> tuple[list[tuple[str, float]], float]:
        """Cumulative (le, count) buckets and the sum of durations for one outcome."""
        with self._lock:
            counts, total = list(self._buckets[outcome]), self._sums[outcome]
        cumulative, running = [], 0
        for bound, count in zip([*map(str, DURATION_BUCKETS), "+Inf"], counts, strict=True):
            running += count
            cumulative.append((bound, float(running)))
        return cumulative, total


class MonitorCollector(Collector):
    """Reads the state book and sweep stats whenever Prometheus scrapes."""

    def __init__(self, book: StateBook, stats: SweepStats) -> None:
        self.book = book
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        cameras = GaugeMetricFamily(
            "safecity_monitor_cameras",
            "Cameras by district and health state.",
            labels=["district", "state"],
        )
        counts = self.book.counts()
        for district in DISTRICTS:
            for state in STATES:
                cameras.add_metric([district, state], counts.get((district, state), 0))
        yield cameras

        transitions = CounterMetricFamily(
            "safecity_monitor_transitions",
            "State transitions of cameras.",
            labels=["from_state", "to_state"],
        )
        done = dict(self.book.transitions)
        for before in STATES:
            for after in STATES:
                if before != after:
                    transitions.add_metric([before, after], done.get((before, after), 0))
        yield transitions

        duration = HistogramMetricFamily(
            "safecity_monitor_probe_duration_seconds",
            "Wall time of one probe, by outcome.",
            labels=["outcome"],
        )
        for outcome in OUTCOMES:
            buckets, total = self.stats.histogram(outcome)
            duration.add_metric([outcome], buckets, total)
        yield duration

        yield GaugeMetricFamily(
            "safecity_monitor_flapping_cameras",
            "Cameras currently marked flapping.",
            value=self.book.flapping(),
        )
        yield GaugeMetricFamily(
            "safecity_monitor_sweep_lag_seconds",
            "How late the last sweep started against its schedule.",
            value=self.stats.last_lag_s,
        )
        yield GaugeMetricFamily(
            "safecity_monitor_sweep_duration_seconds",
            "Wall time of the last sweep over all feeds.",
            value=self.stats.last_duration_s,
        )
        yield CounterMetricFamily(
            "safecity_monitor_sweeps", "Sweeps completed.", value=self.stats.sweeps
        )


def serve_metrics(
    book: StateBook, stats: SweepStats, port: int, addr: str = "127.0.0.1"
) -> WSGIServer:
    """Serve ``/metrics`` on ``addr:port`` (0 = any free port) from a background thread.

    The bound port is ``server.server_port``; ``server.shutdown()`` stops it.
    """
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MonitorCollector(book, stats))
    server, _thread = start_http_server(port, addr=addr, registry=registry)
    return server
