"""``monitor run --shards N`` / ``--scheduler``: real feeds watched as shards on an Executor.

Each shard (cameras by stable hash of id, see :mod:`monitor.shards`) is one long task that
owns a :class:`~monitor.workers.ProbePool` of probe processes on whichever machine runs
it, and pushes its transitions to the API through its own spool.  The state folder holds
checkpoints, spools and baselines and must be shared by all workers (e.g. NFS).
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from monitor.capture import ProbeSettings
from monitor.feeds import Feed
from monitor.probe import ProbeJob, ProbeResult
from monitor.shards import ShardTask, open_run, request_stop, run_shards, shard_of, warm_up
from monitor.simulate_cli import shard_table
from monitor.sweep import baseline_path
from monitor.workers import ProbePool
from safecity.executors import executor_slots, make_executor

log = logging.getLogger("monitor")


@dataclass
class FeedSource:
    """Probes the real feeds of one shard with a local pool of probe processes."""

    feeds: list[Feed]
    settings: ProbeSettings
    probes: int
    state_dir: Path
    _pool: ProbePool | None = field(default=None, repr=False)

    def probe(self, sweep: int, scheduled_at: float) -> list[ProbeResult]:
        """Probe every feed of the shard once (the pool bounds concurrency)."""
        if not self.feeds:
            return []
        if self._pool is None:
            self._pool = ProbePool(max(1, min(self.probes, len(self.feeds))), self.settings)
        jobs = [ProbeJob(f, baseline_path(self.state_dir, f.camera_id)) for f in self.feeds]
        return list(self._pool.run(jobs))

    def close(self) -> None:
        """Stop the probe processes."""
        if self._pool is not None:
            self._pool.close()


@dataclass(frozen=True)
class FeedShards:
    """Picklable factory of each shard's FeedSource (built on the worker)."""

    feeds: tuple[Feed, ...]
    settings: ProbeSettings
    probes: int
    state_dir: Path

    def __call__(self, shard: int, n_shards: int) -> FeedSource:
        mine = shard_of([f.camera_id for f in self.feeds], n_shards) == shard
        members = [f for f, keep in zip(self.feeds, mine.tolist(), strict=True) if keep]
        return FeedSource(members, self.settings, self.probes, self.state_dir)


def run_sharded(
    feeds: Sequence[Feed],
    *,
    shards: int | None,
    workers: int | None,
    scheduler: str | None,
    settings: ProbeSettings,
    interval_s: float,
    sweeps: int | None,
    api: str,
    api_key: str,
    state_dir: Path,
) -> None:
    """Watch ``feeds`` in shards on the executor until ``sweeps`` or SIGTERM/Ctrl-C."""
    executor = make_executor(shards, scheduler)
    n_shards = shards or executor_slots(executor)
    warm_up(executor, min(n_shards, executor_slots(executor)))
    run_id, start_at = open_run(state_dir, n_shards, interval_s)
    source = FeedShards(tuple(feeds), settings, workers or 4, state_dir)
    tasks = [
        ShardTask(
            run_id,
            s,
            n_shards,
            state_dir,
            source,
            interval_s,
            start_at,
            sweeps=sweeps,
            api_url=api,
            api_key=api_key,
        )
        for s in range(n_shards)
    ]
    log.info("watching %d feeds in %d shards every %g s (run %s)", len(feeds), n_shards,
             interval_s, run_id)  # fmt: skip
    signal.signal(signal.SIGTERM, lambda *_: request_stop(state_dir))
    began = time.perf_counter()
    try:
        summaries = run_shards(tasks, executor, lambda: make_executor(shards, scheduler))
    except KeyboardInterrupt:
        request_stop(state_dir)
        raise
    Console().print(shard_table(summaries, time.perf_counter() - began))
