"""Read caches that never outlive a write of this process.

Entries expire after ``ttl`` seconds and the app drops the cache at the commits that may
change it (``Database.on_commit``; for credentials only commits touching accounts), so a
client always sees its own writes; writes of *other* processes show within ``ttl``. A
value computed while an invalidation happened is not stored (generation check), so an
in-flight read cannot re-insert stale data.

One thread computes a missing value while the others asking for it wait for that result
(no stampede of identical queries). An entry that merely aged past ``ttl`` is refreshed
by a background thread while every reader keeps getting it until the refresh lands: no
request waits for a refresh, and figures are at most ``ttl`` plus one refresh old.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

V = TypeVar("V")


@dataclass
class _Flight:
    """One computation in progress; waiters read its outcome when ``done`` is set."""

    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    failed: bool = False


class CommitCache(Generic[V]):
    """A small TTL cache keyed by hashable values, invalidated by commits."""

    def __init__(self, ttl: float, max_entries: int = 4096) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._generation = 0
        self._flights: dict[Hashable, _Flight] = {}
        self._background: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def invalidate(self, *_args: object) -> None:
        """Forget everything (wired to ``after_commit``)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()
            self._flights = {}  # reads after this commit start their own computation

    def peek(self, key: Hashable) -> V | None:
        """The cached, unexpired value of ``key``, else None (never computes)."""
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        return None

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The cached value of ``key``, or ``compute()`` (stored unless a commit intervened).

        ``compute`` must not use the caller's session: an aged entry is refreshed by a
        background thread while the caller gets the aged value at once.
        """
        if self.ttl <= 0:
            return compute()
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and now - hit[0] < self.ttl:
                return hit[1]
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
                generation = self._generation
            if hit is not None:
                if leader:
                    self._refresher().submit(self._fill, key, compute, flight, generation, now)
                return hit[1]
        if leader:
            return self._fill(key, compute, flight, generation, now)
        flight.done.wait()
        if not flight.failed:
            return flight.value
        return compute()  # the leader's computation raised: raise (or succeed) here

    def _refresher(self) -> ThreadPoolExecutor:
        if self._background is None:
            self._background = ThreadPoolExecutor(1, thread_name_prefix="cache-refresh")
        return self._background

    def _fill(
        self, key: Hashable, compute: Callable[[], V], flight: _Flight, generation: int, now: float
    ) -> V:
        """Compute ``key`` for ``flight`` and store it unless a commit happened meanwhile."""
        try:
            value = compute()
        except BaseException:
            flight.failed = True
            raise
        else:
            flight.value = value
            with self._lock:
                if generation == self._generation:
                    if len(self._entries) >= self.max_entries:
                        self._entries.clear()
                    self._entries[key] = (now, value)
        finally:
            with self._lock:
                if self._flights.get(key) is flight:
                    del self._flights[key]
            flight.done.set()
        return value
