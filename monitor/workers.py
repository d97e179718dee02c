"""A bounded pool of probe worker processes with a hard deadline per probe.

Why processes and not threads: OpenCV's FFmpeg backend honours its open/read timeouts for
the common failures, but a probe can still hang or crash in native code where no timeout
reaches it (a blocking DNS lookup, a decoder stuck on a corrupt stream, a segfault).  A
thread stuck there can never be stopped; a process can.  Each pool slot owns one worker
process that runs one probe at a time; when a probe overruns its deadline the slot kills
the process (SIGKILL), answers ``timeout`` and starts a fresh worker.  A worker that dies
answers ``decode_error``.  The sweep is therefore never blocked for longer than one
deadline, whatever a stream does.

Workers are plain ``python -m monitor.workers`` subprocesses talking over a socket pair,
not ``multiprocessing`` children: those re-import the parent's ``__main__`` (for the
``safecity`` command, every package of the project) in each worker.  A worker imports only
the probe code (OpenCV, numpy); start-up has its own timeout outside any probe deadline.

Running one probe per process also makes the process-wide FFmpeg options variable and the
native log (fd 2, captured per probe to sharpen failure reasons) private to that probe.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, as_completed
from multiprocessing.connection import Connection
from typing import Any

from monitor.capture import CaptureOutcome, ProbeSettings
from monitor.probe import ProbeJob, ProbeResult, build_result, probe_feed, utc_now

READY = "ready"
STARTUP_TIMEOUT_S = 60.0


def _worker_main(conn: Connection) -> None:
    """Worker loop: receive the settings, then jobs; probe each with fd 2 captured."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    settings: ProbeSettings = conn.recv()
    log_file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker
    log_fd = log_file.fileno()
    os.dup2(log_fd, 2)
    conn.send(READY)

    def native_log() -> str:
        size = os.fstat(log_fd).st_size
        return os.pread(log_fd, min(size, 1 << 20), max(0, size - (1 << 20))).decode(
            "utf-8", "replace"
        )

    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        os.ftruncate(log_fd, 0)
        os.lseek(log_fd, 0, os.SEEK_SET)
        try:
            result = probe_feed(job, settings, native_log)
        except Exception as exc:
            outcome = CaptureOutcome(error=f"probe failed: {type(exc).__name__}: {exc}")
            result = build_result(job.feed, utc_now(), outcome, ["decode_error"], {})
        conn.send(result.as_dict())


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, settings: ProbeSettings) -> None:
        parent, child = socket.socketpair()
        with child:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "monitor.workers", str(child.fileno())],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
            )
        self.conn = Connection(parent.detach())
        try:
            self.conn.send(settings)
            ready = self.conn.poll(STARTUP_TIMEOUT_S) and self.conn.recv() == READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.kill()
            raise RuntimeError(f"probe worker not ready after {STARTUP_TIMEOUT_S:g} s")

    def run(self, job: ProbeJob, deadline_s: float) -> dict[str, Any] | str:
        """Result dict, or ``"deadline"`` / ``"crashed"`` when the worker must be replaced."""
        try:
            self.conn.send(job)
            if not self.conn.poll(deadline_s):
                return "deadline"
            return self.conn.recv()
        except (EOFError, OSError):
            return "crashed"

    def kill(self) -> None:
        """Kill at once and reap; used on deadline and on shutdown of a busy worker."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(5)
        self.conn.close()

    def stop(self) -> None:
        """Ask an idle worker to exit; kill it if it does not within a second."""
        with contextlib.suppress(OSError):
            self.conn.send(None)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(1)
        self.kill()


class ProbePool:
    """Run probes on ``size`` worker processes; every probe returns within its deadline.

    ``submit`` returns a :class:`~concurrent.futures.Future`; ``run`` yields results as
    they complete.  ``replaced`` counts workers killed on deadline or lost to a crash.
    """

    def __init__(self, size: int, settings: ProbeSettings) -> None:
        if size < 1:
            raise ValueError(f"probe pool size must be >= 1, got {size}")
        self.size = size
        self.settings = settings
        self.replaced = 0
        self._jobs: queue.SimpleQueue[tuple[ProbeJob, Future[ProbeResult]] | None] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._closed = False
        self._slots = [
            threading.Thread(target=self._slot, name=f"probe-slot-{i}", daemon=True)
            for i in range(size)
        ]
        for slot in self._slots:
            slot.start()

    def submit(self, job: ProbeJob) -> Future[ProbeResult]:
        """Queue one probe."""
        if self._closed:
            raise RuntimeError("probe pool is closed")
        future: Future[ProbeResult] = Future()
        self._jobs.put((job, future))
        return future

    def run(self, jobs: Iterable[ProbeJob]) -> Iterator[ProbeResult]:
        """Probe all ``jobs`` concurrently, yielding results in completion order."""
        futures = [self.submit(job) for job in jobs]
        for future in as_completed(futures):
            yield future.result()

    def _start_worker(self) -> _Worker | None:
        try:
            return _Worker(self.settings)
        except (OSError, RuntimeError, EOFError):
            return None

    def _slot(self) -> None:
        worker = self._start_worker()  # warm up before the first job arrives
        while (item := self._jobs.get()) is not None:
            job, future = item
            if not future.set_running_or_notify_cancel():
                continue
            worker = worker or self._start_worker()
            start, started_at = time.perf_counter(), utc_now()
            if worker is None:  # cannot fork: answer, never leave the sweep waiting
                future.set_result(self._lost(job, "cannot start a probe worker", started_at, 0))
                continue
            answer = worker.run(job, self.settings.deadline_s)
            if isinstance(answer, dict):
                future.set_result(ProbeResult(**answer))
                continue
            worker.kill()
            worker = None
            with self._lock:
                self.replaced += 1
            future.set_result(self._lost(job, answer, started_at, time.perf_counter() - start))
        if worker is not None:
            worker.stop()

    def _lost(self, job: ProbeJob, why: str, started_at: str, elapsed: float) -> ProbeResult:
        """Result of a probe whose worker had to be killed (deadline) or died (crash)."""
        if why == "deadline":
            reason = "timeout"
            error = f"hard deadline of {self.settings.deadline_s:g} s exceeded; worker replaced"
        elif why == "crashed":
            reason = "decode_error"
            error = "probe worker died (native crash while decoding); worker replaced"
        else:
            reason, error = "timeout", why
        outcome = CaptureOutcome(error=error, timings={"total_s": elapsed})
        return build_result(job.feed, started_at, outcome, [reason], {})

    def close(self) -> None:
        """Stop all slots and their workers (running probes finish first)."""
        if self._closed:
            return
        self._closed = True
        for _ in self._slots:
            self._jobs.put(None)
        for slot in self._slots:
            slot.join()

    def __enter__(self) -> ProbePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    _worker_main(Connection(int(sys.argv[1])))
