"""Where parallel work runs: a local process pool, or a Dask cluster named by its scheduler.

The planner (coverage tiles) and the monitor (camera shards) depend only on the
:class:`concurrent.futures.Executor` interface, so the same code runs on this machine or
on many.  :func:`make_executor` picks the engine:

- ``scheduler`` (``--scheduler tcp://HOST:PORT``) or, when not given, the environment
  variable ``DASK_SCHEDULER_ADDRESS``: the work goes to that running Dask cluster;
- otherwise a local :class:`~concurrent.futures.ProcessPoolExecutor` of ``workers``
  processes (default: one per core).

Dask is an optional extra (``pip install 'safecity[dask]'``), imported only when a
scheduler is named, and a scheduler is always *connected to*: a bare ``Client()`` that
silently starts a local cluster is never created here.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import re
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
_ADDRESS = re.compile(r"^(tcp|tls|ws|wss)://[^\s/:]+(:\d{1,5})?/?$")


class ExecutorError(ValueError):
    """The requested executor cannot be made; the message names the flag and value."""


def scheduler_address(scheduler: str | None = None) -> str | None:
    """The Dask scheduler to use: ``scheduler``, else ``$DASK_SCHEDULER_ADDRESS``, else None."""
    source = "--scheduler"
    if not scheduler:
        scheduler, source = os.environ.get(SCHEDULER_ENV) or None, SCHEDULER_ENV
    if scheduler is None:
        return None
    address = scheduler.strip()
    if not _ADDRESS.match(address):
        raise ExecutorError(
            f"{source}: {scheduler!r} is not a Dask scheduler address "
            "(expected e.g. tcp://10.0.0.5:8786)"
        )
    return address


class ClusterExecutor(Executor):
    """A Dask cluster seen as an Executor; ``shutdown`` also closes the client connection."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._executor = client.get_executor(pure=False)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run ``fn(*args, **kwargs)`` on a worker of the cluster."""
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Wait for (or cancel) submitted work, then disconnect from the scheduler."""
        self._executor.shutdown(wait=wait and not cancel_futures)
        self.client.close()


class LocalExecutor(ProcessPoolExecutor):
    """A process pool of ``workers`` processes started by a forkserver.

    Forkserver: workers never inherit the parent's threads (progress bars, HTTP clients).
    The forkserver imports the main module once, so each worker starts with it loaded
    instead of importing the whole ``safecity`` command again.
    """

    def __init__(self, workers: int) -> None:
        context = mp.get_context("forkserver")
        context.set_forkserver_preload(["__main__"])
        super().__init__(max_workers=workers, mp_context=context)
        self.slots = workers


def _connect(address: str, timeout_s: float) -> ClusterExecutor:
    try:
        from distributed import Client
    except ImportError as exc:
        raise ExecutorError(
            f"--scheduler {address}: Dask is not installed (pip install 'safecity[dask]')"
        ) from exc
    try:
        client = Client(address, timeout=timeout_s, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ExecutorError(
            f"--scheduler {address}: no Dask scheduler answered within {timeout_s:g} s ({exc})"
        ) from None
    return ClusterExecutor(client)


def make_executor(
    workers: int | None = None, scheduler: str | None = None, *, timeout_s: float = 10.0
) -> Executor:
    """An Executor: the Dask cluster at ``scheduler`` (or ``$DASK_SCHEDULER_ADDRESS``),
    else a local pool of ``workers`` processes (default one per core).

    With a scheduler, ``workers`` is ignored: the cluster's own workers do the work.
    """
    if workers is not None and workers < 1:
        raise ExecutorError(f"--workers must be >= 1, got {workers}")
    address = scheduler_address(scheduler)
    if address is not None:
        return _connect(address, timeout_s)
    return LocalExecutor(workers or os.cpu_count() or 1)


def executor_slots(executor: Executor) -> int:
    """How many tasks ``executor`` runs at once (cluster: total worker threads)."""
    if isinstance(executor, ClusterExecutor):
        return max(1, sum(executor.client.nthreads().values()))
    if isinstance(executor, LocalExecutor):
        return executor.slots
    return os.cpu_count() or 1
