"""Read caches that never outlive a write of this process.

Entries expire after ``ttl`` seconds and the app drops the cache at the commits that may
change it (``Database.on_commit``; for credentials only commits touching accounts), so a
client always sees its own writes; writes of *other* processes show within ``ttl``. A
value computed while an invalidation happened is not stored (generation check), so an
in-flight read cannot re-insert stale data.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class CommitCache(Generic[V]):
    """A small TTL cache keyed by hashable values, invalidated by commits."""

    def __init__(self, ttl: float, max_entries: int = 4096) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def invalidate(self, *_args: object) -> None:
        """Forget everything (wired to ``after_commit``)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The cached value of ``key``, or ``compute()`` (stored unless a commit intervened)."""
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            generation = self._generation
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        value = compute()
        with self._lock:
            if generation == self._generation and self.ttl > 0:
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
                self._entries[key] = (now, value)
        return value
