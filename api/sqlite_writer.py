"""A queue for SQLite's single writer that wakes waiters at once.

SQLite lets one connection write at a time; a connection that finds the lock taken polls
it from its busy handler, sleeping 1, 2, 5 ... up to 100 ms between tries. Under a burst
of concurrent writes most of the time goes to those sleeps (seen: p99 about 1 s at
100 writes/s, the CPU idle). Here every ``BEGIN IMMEDIATE`` of this package first takes
a thread lock (writers of this process) and an exclusive ``flock`` on ``<db>-writelock``
(writers of other processes, e.g. the other uvicorn workers), both of which hand over as
soon as the holder commits or rolls back. SQLite's own locking still guards correctness;
writers that do not use this queue (another program) only fall back to the busy handler.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any


class LockTimeout(sqlite3.OperationalError):
    """No write slot within the busy timeout (reported like SQLite's 'database is locked')."""


class WriteQueue:
    """The write slot of one SQLite file, shared by the threads of this process."""

    def __init__(self, database: str | Path, timeout_s: float) -> None:
        self.path = Path(f"{database}-writelock")
        self.timeout_s = timeout_s
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            self._pid = os.getpid()
        return self._fd

    def acquire(self) -> None:
        """Wait for the slot (threads of this process first, then other processes)."""
        if not self._threads.acquire(timeout=self.timeout_s if self.timeout_s > 0 else -1):
            raise LockTimeout(f"database is locked: no write slot within {self.timeout_s:g} s")
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        """Hand the slot to the next writer."""
        try:
            fcntl.flock(self._file(), fcntl.LOCK_UN)
        finally:
            self._threads.release()


class QueuedConnection(sqlite3.Connection):
    """A sqlite3 connection that gives its write slot back when its transaction ends."""

    write_queue: WriteQueue | None = None
    holds_slot = False

    def begin_write(self, begin: Any) -> None:
        """Take the slot, then run ``begin()`` (which issues ``BEGIN IMMEDIATE``)."""
        if self.write_queue is None:
            begin()
            return
        self.write_queue.acquire()
        self.holds_slot = True
        try:
            begin()
        except BaseException:
            self._give_back()
            raise

    def _give_back(self) -> None:
        if self.holds_slot and self.write_queue is not None:
            self.holds_slot = False
            self.write_queue.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._give_back()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._give_back()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._give_back()
