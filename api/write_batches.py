"""Group commit: the writes of many concurrent requests in one transaction.

Request threads validate on their own (plain reads) and hand the remaining writes to
:class:`WriteBatcher`, whose writer thread runs every job waiting at that moment in one
write transaction and commits once (one writer per process on SQLite, a few on
PostgreSQL). Few writers instead of one transaction per request: the database's write
lock (SQLite's single writer, PostgreSQL's commit flush) is taken once per batch, and a
writer does not queue for the GIL behind the request threads between statements while
other writers wait for the lock.

A job is a function of the session that must not commit. If any job of a batch fails,
the batch is rolled back and each job is run again alone in its own transaction, so one
bad request never changes what the others get; a job may name ``recover`` to answer an
integrity conflict of its own (e.g. replay the winner of an idempotency race).
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.db import Database

T = TypeVar("T")
MAX_BATCH = 64
WRITERS_POSTGRESQL = 4


@dataclass
class _Job(Generic[T]):
    work: Callable[[Session], T]
    recover: Callable[[Session], T] | None
    future: Future[T] = field(default_factory=Future)


class WriteBatcher:
    """Runs write jobs of this process's requests in batches on a few writer threads."""

    def __init__(
        self, db: Database, max_batch: int = MAX_BATCH, writers: int | None = None
    ) -> None:
        self.db = db
        self.max_batch = max_batch
        # SQLite has one writer at a time anyway; on PostgreSQL a writer spends most of a
        # batch waiting for round trips, so a few run side by side (distinct rows; a race
        # on the same key is settled by its unique constraint as above).
        self.writers = writers or (1 if db.dialect == "sqlite" else WRITERS_POSTGRESQL)
        self._jobs: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._pid = 0

    def run(
        self, work: Callable[[Session], T], *, recover: Callable[[Session], T] | None = None
    ) -> T:
        """Run ``work`` in the next batch and return its result once committed (or raise
        what it raised); ``recover`` answers an ``IntegrityError`` of ``work``."""
        job: _Job[T] = _Job(work, recover)
        self._ensure_writer()
        self._jobs.put(job)
        return job.future.result()

    def close(self) -> None:
        """Stop the writers after the jobs already queued."""
        with self._lock:
            if self._pid == os.getpid():
                for _ in self._threads:
                    self._jobs.put(None)
                for thread in self._threads:
                    thread.join(timeout=30)
            self._threads = []

    def _ensure_writer(self) -> None:
        with self._lock:
            if self._pid != os.getpid() or not all(t.is_alive() for t in self._threads):
                self._pid = os.getpid()
                self._threads = [t for t in self._threads if t.is_alive()]
            while len(self._threads) < self.writers:
                thread = threading.Thread(
                    target=self._loop, name="safecity-write-batcher", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def _loop(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            batch: list[_Job[Any]] = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                batch.append(job)
            self._run(batch)
            if stop:
                return

    def _run(self, batch: list[_Job[Any]]) -> None:
        if len(batch) > 1:
            try:
                with self.db.write_session() as session:
                    results = [job.work(session) for job in batch]
                    session.commit()
            except Exception:
                pass
            else:
                for job, result in zip(batch, results, strict=True):
                    job.future.set_result(result)
                return
        for job in batch:
            try:
                job.future.set_result(self._run_alone(job))
            except BaseException as exc:
                job.future.set_exception(exc)

    def _run_alone(self, job: _Job[T]) -> T:
        with self.db.write_session() as session:
            try:
                result = job.work(session)
                session.commit()
            except IntegrityError:
                session.rollback()
                if job.recover is None:
                    raise
                try:
                    return job.recover(session)
                finally:
                    session.rollback()
            return result
