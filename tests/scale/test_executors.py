"""make_executor: local process pool by default, a real Dask scheduler when named."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

import pytest

from safecity.executors import (
    SCHEDULER_ENV,
    ClusterExecutor,
    ExecutorError,
    executor_slots,
    make_executor,
)


def test_default_is_a_local_process_pool() -> None:
    with make_executor(workers=2) as executor:
        assert isinstance(executor, ProcessPoolExecutor)
        assert executor_slots(executor) == 2
        pids = {f.result() for f in [executor.submit(os.getpid) for _ in range(8)]}
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2


def test_no_scheduler_never_imports_dask() -> None:
    """Without a scheduler nothing of Dask is loaded (so no local cluster can start)."""
    code = (
        "import sys, os; os.environ.pop('DASK_SCHEDULER_ADDRESS', None)\n"
        "from safecity.executors import make_executor\n"
        "with make_executor(1) as ex: assert ex.submit(abs, -3).result() == 3\n"
        "print('distributed' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_scheduler_flag_runs_work_on_the_dask_worker_process(dask_scheduler: str) -> None:
    with make_executor(workers=7, scheduler=dask_scheduler) as executor:
        assert isinstance(executor, ClusterExecutor)
        assert executor_slots(executor) == 2  # the worker's two threads, not --workers
        pids = {f.result() for f in [executor.submit(os.getpid) for _ in range(6)]}
        assert list(executor.map(pow, [2, 3], [3, 2])) == [8, 9]
    assert len(pids) == 1 and os.getpid() not in pids


def test_environment_variable_names_the_scheduler(
    dask_scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SCHEDULER_ENV, dask_scheduler)
    with make_executor() as executor:
        assert isinstance(executor, ClusterExecutor)
        assert executor.client.scheduler.address == dask_scheduler
        assert executor.submit(pow, 2, 10).result() == 1024


@pytest.mark.parametrize("address", ["localhost:8786", "http://127.0.0.1:8786", "tcp://"])
def test_bad_scheduler_address_is_named(address: str) -> None:
    with pytest.raises(ExecutorError, match=r"--scheduler.*not a Dask scheduler address"):
        make_executor(scheduler=address)


def test_bad_environment_address_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SCHEDULER_ENV, "nowhere")
    with pytest.raises(ExecutorError, match=SCHEDULER_ENV):
        make_executor()


def test_unreachable_scheduler_fails_fast_and_clearly(unused_port: int) -> None:
    address = f"tcp://127.0.0.1:{unused_port}"
    with pytest.raises(ExecutorError, match="no Dask scheduler answered"):
        make_executor(scheduler=address, timeout_s=1.0)


def test_workers_must_be_positive() -> None:
    with pytest.raises(ExecutorError, match="--workers must be >= 1"):
        make_executor(workers=0)
