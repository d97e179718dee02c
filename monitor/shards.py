"""Camera shards: the monitor split into long-running tasks that survive a lost worker.

Cameras are assigned to ``n`` shards by a stable hash of ``camera_id`` (BLAKE2b, the same
on every machine and every run, unlike Python's ``hash``).  Each shard is ONE long task
on an :class:`~concurrent.futures.Executor` (a local process pool or a Dask cluster, see
:mod:`safecity.executors`) that sweeps its cameras on the shared schedule, feeds the
results to its own :class:`~monitor.state.StateBook` and publishes the transitions through
its own spooled :class:`~monitor.sinks.api.ApiSink`.

Exactly-once transitions in the API, even when a worker dies mid-sweep:

1. every transition gets a deterministic ``event_id`` (UUIDv5 of run id, camera id and
   the camera's transition sequence number), so re-deriving it yields the same id;
2. after each sweep the shard writes ONE atomic checkpoint with the state machine of all
   its cameras, the next sweep number and the sweep's events (its *outbox*), and only
   then hands the events to the spool;
3. a shard started again (Dask reschedules the task of a dead worker; the local pool is
   rebuilt by :func:`run_shards`) resumes from its checkpoint, re-sends the outbox and
   replays the pending spool.  The API stores an ``event_id`` once, so what was already
   delivered is counted as a duplicate, and what was not is delivered now.

A checkpoint is the only state of a shard; shards share nothing but the state folder.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import resource
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from monitor.probe import ProbeResult
from monitor.sinks.api import ApiSink
from monitor.state import STATES, CameraTracker, Hysteresis, Outcome, StateBook, TransitionEvent

EVENT_NAMESPACE = uuid.UUID("5f1d3c52-8f0e-4d7a-9a53-3a4c8e6b2c11")
STOP_FILE = "STOP"
_STATE_CODES = {"ok": 0, "degraded": 1, "down": 2}


def shard_of(camera_ids: Sequence[str], n_shards: int) -> np.ndarray:
    """Shard number of each camera: BLAKE2b-64 of the id modulo ``n_shards`` (stable)."""
    if n_shards < 1:
        raise ValueError(f"number of shards must be >= 1, got {n_shards}")
    digests = b"".join(
        hashlib.blake2b(cid.encode("utf-8"), digest_size=8).digest() for cid in camera_ids
    )
    return (np.frombuffer(digests, dtype=">u8") % np.uint64(n_shards)).astype(np.int64)


def transition_id(run_id: str, camera_id: str, seq: int) -> str:
    """Deterministic event id of a camera's ``seq``-th transition in run ``run_id``."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{run_id}/{camera_id}/{seq}"))


def iso_utc(unix_s: float) -> str:
    """ISO-8601 UTC with milliseconds and ``Z`` (the monitor's time format)."""
    stamp = datetime.fromtimestamp(unix_s, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


class ProbeSource(Protocol):
    """Probes the cameras of one shard once per sweep (real streams or virtual cameras)."""

    def probe(self, sweep: int, scheduled_at: float) -> list[ProbeResult]:
        """Results of sweep number ``sweep`` (scheduled at unix time ``scheduled_at``)."""

    def close(self) -> None:
        """Release workers and files."""


@dataclass(frozen=True)
class ShardTask:
    """Everything one shard needs; picklable, sent to whichever worker runs the shard.

    ``make_source(shard, n_shards)`` builds the shard's probe source on the worker (so no
    camera list or process pool crosses the wire).  Sweep ``k`` is due at
    ``start_at + k * interval_s``; the shard stops after sweep ``sweeps - 1`` (None: runs
    until ``state_dir/STOP`` appears).
    """

    run_id: str
    shard: int
    n_shards: int
    state_dir: Path
    make_source: Callable[[int, int], ProbeSource]
    interval_s: float
    start_at: float
    sweeps: int | None = None
    api_url: str | None = None
    api_key: str = ""
    hysteresis: Hysteresis = field(default_factory=Hysteresis)
    flush_s: float = 60.0
    api_timeout_s: float = 60.0
    batch_size: int = 5000  # events per POST: fewer, larger requests at fleet scale

    @property
    def folder(self) -> Path:
        """This shard's own folder: checkpoint and API spool."""
        return self.state_dir / "shards" / f"{self.n_shards}-{self.shard}"


@dataclass
class ShardSummary:
    """What a shard did (over all its starts)."""

    shard: int
    cameras: int
    sweeps: int
    evaluations: int
    events: int
    starts: int
    evaluate_s: float
    checkpoint_s: float
    cpu_s: float
    max_lag_s: float
    peak_rss_mb: float
    undelivered_batches: int


@dataclass
class _Checkpoint:
    """A shard's durable state (see module docstring)."""

    run_id: str
    next_sweep: int = 0
    starts: int = 0
    evaluations: int = 0
    events: int = 0
    evaluate_s: float = 0.0
    checkpoint_s: float = 0.0
    cpu_s: float = 0.0  # CPU time of probing, evaluation and checkpoints: load-independent
    max_lag_s: float = 0.0
    seq: dict[str, int] = field(default_factory=dict)
    trackers: dict[str, list[Any]] = field(default_factory=dict)
    outbox: list[dict[str, Any]] = field(default_factory=list)


def _pack(book: StateBook) -> dict[str, list[Any]]:
    """Column lists of every tracker's state machine (compact and fast to pickle)."""
    trackers = list(book.trackers.values())
    return {
        "camera_id": [t.camera_id for t in trackers],
        "district": [t.district for t in trackers],
        "state": [_STATE_CODES[t.state] for t in trackers],
        "flapping": [t.flapping for t in trackers],
        "since": [t.since for t in trackers],
        "reasons": [t.reasons for t in trackers],
        "outcomes": ["".join(o[0] for o in t.recent_outcomes) for t in trackers],
        "changes": [bytes(t.recent_changes) for t in trackers],
        "notified": [_STATE_CODES[t.notified_state] for t in trackers],
    }


_OUTCOME: dict[str, Outcome] = {"g": "good", "d": "degraded", "f": "failed"}


def _unpack(columns: dict[str, list[Any]], hysteresis: Hysteresis) -> StateBook:
    book = StateBook(hysteresis)
    for cid, district, state, flapping, since, reasons, outcomes, changes, notified in zip(
        *(columns[k] for k in ("camera_id", "district", "state", "flapping", "since",
                               "reasons", "outcomes", "changes", "notified")),
        strict=True,
    ):  # fmt: skip
        tracker = CameraTracker(
            cid, district, hysteresis, state=STATES[state], flapping=flapping, since=since
        )
        tracker.reasons = reasons
        tracker.recent_outcomes = deque(_OUTCOME[c] for c in outcomes)
        tracker.recent_changes = deque(bool(c) for c in changes)
        tracker.notified_state = STATES[notified]
        book.trackers[cid] = tracker
    return book


def _load(path: Path, run_id: str) -> _Checkpoint:
    if not path.is_file():
        return _Checkpoint(run_id=run_id)
    with path.open("rb") as handle:
        checkpoint: _Checkpoint = pickle.load(handle)
    if checkpoint.run_id != run_id:
        raise ValueError(
            f"{path}: checkpoint of run {checkpoint.run_id}, not {run_id}; use a fresh state folder"
        )
    return checkpoint


def _save(path: Path, checkpoint: _Checkpoint) -> None:
    """Atomic write: temporary file, fsync, rename."""
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with tmp.open("wb") as handle:
        pickle.dump(checkpoint, handle, protocol=pickle.HIGHEST_PROTOCOL)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def _events(
    book: StateBook, results: list[ProbeResult], seq: dict[str, int], run_id: str
) -> list[TransitionEvent]:
    """Run every result through the state machine; number the transitions deterministically."""
    out: list[TransitionEvent] = []
    observe, trackers = book.observe, book.trackers
    for result in results:
        event = observe(result)
        trackers[result.camera_id].last_result = None  # keep memory flat at 200,000 cameras
        if event is not None:
            n = seq.get(event.camera_id, 0)
            seq[event.camera_id] = n + 1
            out.append(replace(event, event_id=transition_id(run_id, event.camera_id, n)))
    return out


def run_shard(task: ShardTask) -> ShardSummary:
    """Run one shard to its end (or STOP), resuming from its checkpoint if there is one."""
    task.folder.mkdir(parents=True, exist_ok=True)
    path = task.folder / "checkpoint.pkl"
    state = _load(path, task.run_id)
    state.starts += 1
    book = _unpack(state.trackers, task.hysteresis) if state.trackers else StateBook(
        task.hysteresis
    )  # fmt: skip
    sink = (
        ApiSink(
            task.api_url,
            task.api_key,
            task.folder / "spool",
            batch_size=task.batch_size,
            timeout_s=task.api_timeout_s,
        )
        if task.api_url
        else None
    )  # fmt: skip
    if sink is not None and state.outbox:  # a previous start may have died before spooling
        sink.publish([TransitionEvent(**e) for e in state.outbox])
    source = task.make_source(task.shard, task.n_shards)
    cameras = 0
    try:
        while task.sweeps is None or state.next_sweep < task.sweeps:
            if (task.state_dir / STOP_FILE).exists():
                break
            k = state.next_sweep
            due = task.start_at + k * task.interval_s
            if (delay := due - time.time()) > 0:
                time.sleep(delay)
            state.max_lag_s = max(state.max_lag_s, time.time() - due)
            began, cpu = time.perf_counter(), time.process_time()
            results = source.probe(k, due)
            cameras = len(results)
            events = _events(book, results, state.seq, task.run_id)
            state.evaluate_s += time.perf_counter() - began
            began = time.perf_counter()
            state.evaluations += len(results)
            state.events += len(events)
            state.next_sweep = k + 1
            state.outbox = [e.as_dict() for e in events]
            state.trackers = _pack(book)
            _save(path, state)  # the figures below reach the next checkpoint (they are stats)
            state.checkpoint_s += time.perf_counter() - began
            state.cpu_s += time.process_time() - cpu
            if sink is not None and events:
                sink.publish(events)
    finally:
        source.close()
        backlog = 0
        if sink is not None:
            sink.close(task.flush_s)
            backlog = sink.backlog()
    return ShardSummary(
        shard=task.shard,
        cameras=cameras,
        sweeps=state.next_sweep,
        evaluations=state.evaluations,
        events=state.events,
        starts=state.starts,
        evaluate_s=round(state.evaluate_s, 3),
        checkpoint_s=round(state.checkpoint_s, 3),
        cpu_s=round(state.cpu_s, 3),
        max_lag_s=round(state.max_lag_s, 3),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        undelivered_batches=backlog,
    )


def warm_up(executor: Executor, slots: int) -> None:
    """Start every worker of ``executor`` (imports done) before a run's clock starts."""
    for future in [executor.submit(time.sleep, 0.2) for _ in range(slots)]:
        future.result()


def run_shards(
    tasks: Sequence[ShardTask],
    executor: Executor,
    make_executor: Callable[[], Executor],
    *,
    on_done: Callable[[ShardSummary], None] | None = None,
    max_pools: int = 4,
) -> list[ShardSummary]:
    """Run every shard as one task on ``executor`` (shut down at the end); shards lost with
    a broken local pool start again on a fresh ``make_executor()`` pool (Dask reschedules
    lost tasks by itself)."""
    pending = {t.shard: t for t in tasks}
    summaries: dict[int, ShardSummary] = {}
    for attempt in range(max_pools + 1):
        if not pending:
            break
        if attempt == max_pools:
            raise RuntimeError(
                f"shards {sorted(pending)} lost their worker pool {max_pools} times; giving up"
            )
        executor = executor if attempt == 0 else make_executor()
        try:
            futures: dict[Future[ShardSummary], int] = {
                executor.submit(run_shard, task): shard for shard, task in pending.items()
            }
            broken = False
            while futures and not broken:
                done, _ = wait(list(futures), return_when="FIRST_COMPLETED")
                for future in done:
                    shard = futures.pop(future)
                    try:
                        summary = future.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    summaries[shard] = summary
                    pending.pop(shard)
                    if on_done is not None:
                        on_done(summary)
        finally:
            executor.shutdown(wait=not pending, cancel_futures=bool(pending))
    return [summaries[t.shard] for t in tasks]


def open_run(
    state_dir: Path, n_shards: int, interval_s: float, delay_s: float = 1.0
) -> tuple[str, float]:
    """(run id, start time) of the run kept in ``state_dir``: resumed when the folder holds
    one with the same number of shards, else a new run starting in ``delay_s``."""
    import json

    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / STOP_FILE).unlink(missing_ok=True)
    manifest = state_dir / "run.json"
    if manifest.is_file():
        run = json.loads(manifest.read_text(encoding="utf-8"))
        if run["n_shards"] != n_shards:
            raise ValueError(
                f"{manifest}: run {run['run_id']} has {run['n_shards']} shards, not {n_shards}; "
                "use the same --shards or a fresh --state folder"
            )
        return str(run["run_id"]), float(run["start_at"])
    run = {"run_id": str(uuid.uuid4()), "n_shards": n_shards, "start_at": time.time() + delay_s,
           "interval_s": interval_s}  # fmt: skip
    manifest.write_text(json.dumps(run), encoding="utf-8")
    return str(run["run_id"]), float(run["start_at"])


def request_stop(state_dir: Path) -> None:
    """Ask every shard of the run using ``state_dir`` to stop after its current sweep."""
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / STOP_FILE).touch()
