"""Group commit: the writes of many concurrent requests in one transaction.

Requests hand their checks and writes to :class:`WriteBatcher`, whose writer thread runs
every job waiting at that moment in one write transaction and commits once (one writer
per process on SQLite, a few on PostgreSQL). Few writers instead of one transaction per
request: the database's write lock (SQLite's single writer, PostgreSQL's commit flush) is
taken once per batch, and a writer does not queue for the GIL behind the request threads
between statements while other writers wait for the lock.

A job is a function of the session that must not commit. If any job of a batch fails,
the batch is rolled back and each job is run again alone in its own transaction, so one
bad request never changes what the others get (a job failing alone in its batch is not
rerun: that outcome is its own); a job may name ``recover`` to answer an
integrity conflict of its own (e.g. replay the winner of an idempotency race).

A writer keeps its connection from batch to batch while work keeps coming (no pool
checkout and liveness ping per batch) and returns it after a failed batch or
``IDLE_SECONDS`` without work; reruns take fresh, pinged connections.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from api.db import Database

T = TypeVar("T")
MAX_BATCH = 64
WRITERS_POSTGRESQL = 4
IDLE_SECONDS = 1.0


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

    def submit(
        self, work: Callable[[Session], T], *, recover: Callable[[Session], T] | None = None
    ) -> Future[T]:
        """Queue ``work`` for the next batch: the future holds its result once committed
        (or what it raised); ``recover`` answers an ``IntegrityError`` of ``work``."""
        job: _Job[T] = _Job(work, recover)
        self._ensure_writer()
        self._jobs.put(job)
        return job.future

    def run(
        self, work: Callable[[Session], T], *, recover: Callable[[Session], T] | None = None
    ) -> T:
        """:meth:`submit` and wait for the outcome."""
        return self.submit(work, recover=recover).result()

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
        connection: Connection | None = None
        try:
            while True:
                try:
                    first = self._jobs.get(timeout=IDLE_SECONDS if connection else None)
                except queue.Empty:
                    assert connection is not None
                    connection.close()  # idle: give the connection back to the pool
                    connection = None
                    continue
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
                # a job whose caller gave up (cancelled future) is dropped unrun
                batch = [job for job in batch if job.future.set_running_or_notify_cancel()]
                if batch:
                    connection = self._run(batch, connection)
                if stop:
                    return
        finally:
            if connection is not None:
                connection.close()

    def _run(self, batch: list[_Job[Any]], connection: Connection | None) -> Connection | None:
        """Run ``batch`` in one transaction on ``connection`` (or a new one); returns the
        connection to keep (None after a failure: it goes back to the pool, which checks
        it before its next use)."""
        try:
            connection = connection or self.db.write_connection()
            with self.db.write_session(bind=connection) as session:
                results = [job.work(session) for job in batch]
                session.commit()
        except Exception as exc:
            if connection is not None:
                connection.close()
            lost = isinstance(exc, DBAPIError) and exc.connection_invalidated
            if len(batch) == 1 and not lost and not isinstance(exc, IntegrityError):
                batch[0].future.set_exception(exc)  # its own outcome: no rerun needed
                return None
        else:
            for job, result in zip(batch, results, strict=True):
                job.future.set_result(result)
            return connection
        for job in batch:
            try:
                job.future.set_result(self._run_alone(job))
            except BaseException as exc:
                job.future.set_exception(exc)
        return None

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
