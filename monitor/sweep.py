"""Sweeps: probe every feed on a fixed interval through the bounded worker pool.

A sweep submits all feeds to the :class:`~monitor.workers.ProbePool` (its size bounds
concurrency), feeds each result to the :class:`~monitor.state.StateBook` as it
completes, and publishes transition events to the sinks in small batches (every
``publish_every_s`` and at the end), so an alert never waits for the whole sweep.
Sweeps start on a fixed schedule; when one overruns its interval the next starts at
once and the delay is reported as sweep lag (after a whole missed slot the schedule is
re-anchored instead of bursting to catch up).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from monitor.capture import ProbeSettings
from monitor.feeds import Feed
from monitor.probe import ProbeJob, ProbeResult
from monitor.sinks import EventSink
from monitor.sinks.prometheus import SweepStats
from monitor.state import StateBook, TransitionEvent
from monitor.workers import ProbePool


@dataclass
class SweepReport:
    """What one sweep did."""

    results: list[ProbeResult] = field(default_factory=list)
    events: list[TransitionEvent] = field(default_factory=list)
    lag_s: float = 0.0
    duration_s: float = 0.0


def suggested_workers(
    feeds: int, interval_s: float, settings: ProbeSettings, cores: int | None = None
) -> int:
    """Workers needed to probe ``feeds`` every ``interval_s`` (probes wait on live video).

    A probe holds its worker for about its window plus ~0.5 s to open; 25% headroom; at
    most 16 per core (memory: a worker is ~40-70 MB) and never more than the feeds.
    """
    cores = cores or os.cpu_count() or 1
    busy = feeds * (settings.window_s + 0.5) / interval_s
    return max(1, min(feeds, math.ceil(busy * 1.25), 16 * cores))


def baseline_path(state_dir: Path | None, camera_id: str) -> Path | None:
    """Where a camera's learned baseline is kept (``None``: no persistent state)."""
    return None if state_dir is None else state_dir / "baselines" / f"{camera_id}.json"


class Sweeper:
    """Probes ``feeds`` with ``pool``, tracks state in ``book``, publishes to ``sinks``."""

    def __init__(
        self,
        feeds: Sequence[Feed],
        pool: ProbePool,
        *,
        book: StateBook | None = None,
        sinks: Sequence[EventSink] = (),
        stats: SweepStats | None = None,
        state_dir: Path | None = None,
        publish_every_s: float = 1.0,
        on_result: Callable[[ProbeResult, TransitionEvent | None], None] | None = None,
    ) -> None:
        self.feeds = list(feeds)
        self.pool = pool
        self.book = book or StateBook()
        self.sinks = list(sinks)
        self.stats = stats or SweepStats()
        self.state_dir = state_dir
        self.publish_every_s = publish_every_s
        self.on_result = on_result

    def sweep(self, lag_s: float = 0.0) -> SweepReport:
        """Probe every feed once; return the results and the events published."""
        report = SweepReport(lag_s=lag_s)
        start = time.perf_counter()
        jobs = [ProbeJob(f, baseline_path(self.state_dir, f.camera_id)) for f in self.feeds]
        pending: list[TransitionEvent] = []
        last_publish = start
        for result in self.pool.run(jobs):
            self.stats.observe_probe(result)
            event = self.book.observe(result)
            report.results.append(result)
            if event is not None:
                pending.append(event)
            if self.on_result is not None:
                self.on_result(result, event)
            if pending and time.perf_counter() - last_publish >= self.publish_every_s:
                self._publish(pending, report)
                pending, last_publish = [], time.perf_counter()
        self._publish(pending, report)
        report.duration_s = time.perf_counter() - start
        self.stats.observe_sweep(lag_s, report.duration_s, time.time())
        return report

    def _publish(self, events: list[TransitionEvent], report: SweepReport) -> None:
        if not events:
            return
        for sink in self.sinks:
            sink.publish(events)
        report.events.extend(events)

    def run(
        self,
        interval_s: float,
        *,
        max_sweeps: int | None = None,
        stop: threading.Event | None = None,
        on_sweep: Callable[[SweepReport], None] | None = None,
    ) -> int:
        """Sweep every ``interval_s`` until ``max_sweeps`` or ``stop``; return sweeps done."""
        stop = stop or threading.Event()
        next_at = time.monotonic()
        done = 0
        while not stop.is_set() and (max_sweeps is None or done < max_sweeps):
            wait = next_at - time.monotonic()
            if wait > 0 and stop.wait(wait):
                break
            start = time.monotonic()
            lag = max(0.0, start - next_at)
            if lag > interval_s:  # whole slots missed: report the lag, then re-anchor
                next_at = start
            report = self.sweep(lag_s=lag)
            done += 1
            next_at += interval_s
            if on_sweep is not None:
                on_sweep(report)
        return done
