"""Real Dask and a real API for the scale tests: a ``dask scheduler`` and a ``dask worker``
started as processes on 127.0.0.1, an in-test ``LocalCluster`` of worker processes, and
``safecity serve`` on a fresh SQLite database.

Each process is started here and stopped by its own pid at the end of the session.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from api.bootstrap import prepare
from api.db import Database
from api.models import Role
from api.routers.users import create_api_key
from api.schemas import ApiKeyIn
from safecity.localapi import LocalApi

DASK = Path(sys.executable).parent / "dask"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dask scheduler exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"dask scheduler did not listen on {port} within {timeout_s} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture
def unused_port() -> int:
    """A free TCP port on 127.0.0.1."""
    return free_port()


@pytest.fixture(scope="session")
def dask_scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Address of a real ``dask scheduler`` process with one ``dask worker`` (2 threads)."""
    from distributed import Client

    logs = tmp_path_factory.mktemp("dask-logs")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    common = ["--no-dashboard"]
    scheduler = subprocess.Popen(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), *common],
        stdout=subprocess.DEVNULL,
        stderr=(logs / "scheduler.log").open("wb"),
    )
    worker: subprocess.Popen[bytes] | None = None
    try:
        _wait_port(port, scheduler, 30)
        worker = subprocess.Popen(
            [
                str(DASK),
                "worker",
                address,
                "--host",
                "127.0.0.1",
                "--nthreads",
                "2",
                "--nworkers",
                "1",
                "--memory-limit",
                "2GB",
                "--local-directory",
                str(logs),
                *common,
            ],
            stdout=subprocess.DEVNULL,
            stderr=(logs / "worker.log").open("wb"),
        )
        with Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(1, timeout=60)
        yield address
    finally:
        if worker is not None:
            _stop(worker)
        _stop(scheduler)


@pytest.fixture
def local_cluster() -> Iterator[object]:
    """A real LocalCluster: two single-threaded worker processes with nannies."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=40,
    ) as cluster:
        yield cluster


@dataclass(frozen=True)
class Api:
    """A real API server process (safecity serve) with its SQLite file and keys."""

    url: str
    db_path: Path
    monitor_key: str
    admin_key: str

    def event_ids(self) -> set[str]:
        """Every transition id stored in the API database."""
        with sqlite3.connect(self.db_path) as db:
            return {row[0] for row in db.execute("SELECT event_id FROM health_transitions")}


@pytest.fixture(scope="session")
def local_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """``safecity serve`` on a free port with a fresh SQLite database, monitor + admin keys."""
    folder = tmp_path_factory.mktemp("api")
    db_path = folder / "safecity.db"
    url = f"sqlite:///{db_path}"
    db = Database(url)
    prepare(db)
    keys = {}
    with db.session() as session:
        for name, role in (("scale-monitor", Role.monitor), ("scale-admin", Role.admin)):
            keys[role] = create_api_key(session, ApiKeyIn(name=name, role=role), "tests")[1]
        session.commit()
    db.dispose()
    monitor_key, admin_key = keys[Role.monitor], keys[Role.admin]
    with LocalApi(url, log=folder / "api.log") as api:
        yield Api(api.url, db_path, monitor_key, admin_key)
