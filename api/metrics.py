"""Prometheus metrics: request count/latency by route template, rollout counts at scrape.

Labels stay bounded: method, route template and status class for requests; district,
status and health state for cameras (never a label per camera). Each app owns its own
``CollectorRegistry``, so several apps (tests) can live in one process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from api.progress import RolloutCache

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class RolloutCollector(Collector):
    """Reads per-district rollout figures from the database each time Prometheus scrapes."""

    def __init__(self, cache: RolloutCache) -> None:
        self.cache = cache

    def collect(self) -> Iterator[GaugeMetricFamily]:
        sites = GaugeMetricFamily(
            "safecity_camera_sites",
            "Camera sites by district and status.",
            labels=["district", "status"],
        )
        health = GaugeMetricFamily(
            "safecity_cameras_health",
            "Installed cameras by district and feed state.",
            labels=["district", "state"],
        )
        targets = GaugeMetricFamily(
            "safecity_target_cameras",
            "Target of the current period by district.",
            labels=["district"],
        )
        period = self.cache.current_period(dt.datetime.now(dt.UTC).date())
        for row in self.cache.get(period):
            sites.add_metric([row.district, "planned"], row.pending)
            sites.add_metric([row.district, "installed"], row.installed)
            for state, count in row.states.items():
                health.add_metric([row.district, state], count)
            targets.add_metric([row.district], row.target)
        yield from (sites, health, targets)


class ApiMetrics:
    """The app's metric registry and the request observer used by the middleware."""

    def __init__(self, cache: RolloutCache) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "safecity_http_requests",
            "HTTP requests by route template.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "safecity_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(RolloutCollector(cache))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count and time one request (status folded to its class, e.g. ``2xx``)."""
        method = method if method in KNOWN_METHODS else "OTHER"
        self.requests.labels(method, route, f"{status // 100}xx").inc()
        self.latency.labels(method, route).observe(seconds)
