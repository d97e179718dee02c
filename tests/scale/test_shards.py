"""Monitor shards on real executors: stable assignment, resume, a killed Dask worker, and
the virtual fleet through real `dask scheduler`/`dask worker` processes into the real API."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import Executor
from pathlib import Path

import numpy as np
import pytest

from monitor.shards import ShardTask, open_run, run_shard, run_shards, shard_of, transition_id
from monitor.simulate import FaultModel, FleetSources, VirtualFleet, reference_transitions
from safecity.executors import ClusterExecutor

BUSY = FaultModel(
    seed=11, outage_rate=0.01, degrade_rate=0.01, flapping_share=0.02,
    uplink_every=12, uplink_sweeps=3,
)  # fmt: skip


def expected_ids(run_id: str, fleet: VirtualFleet, sweeps: int) -> set[str]:
    return {transition_id(run_id, c, n) for c, n, _, _ in reference_transitions(fleet, sweeps)}


def test_shard_of_is_stable_across_processes_and_balanced() -> None:
    ids = [f"CAM-{i}" for i in range(20_000)]
    shards = shard_of(ids, 4)
    code = (
        "import sys; from monitor.shards import shard_of\n"
        "print(','.join(map(str, shard_of([f'CAM-{i}' for i in range(20000)], 4))))"
    )
    for hash_seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        )
        assert np.array_equal(np.array(out.stdout.strip().split(","), dtype=int), shards)
    counts = np.bincount(shards, minlength=4)
    assert counts.sum() == 20_000 and (abs(counts - 5_000) < 300).all()
    with pytest.raises(ValueError, match="shards must be >= 1"):
        shard_of(ids, 0)


def test_shard_resumed_from_its_checkpoint_emits_exactly_the_reference(tmp_path: Path) -> None:
    """Stopping after 9 sweeps and resuming to 30 equals one uninterrupted run."""
    fleet = VirtualFleet(1_500, BUSY)
    run_id, start = open_run(tmp_path, 1, 0.0, delay_s=0.0)

    def task(sweeps: int) -> ShardTask:
        return ShardTask(run_id, 0, 1, tmp_path, FleetSources(fleet), 0.0, start, sweeps=sweeps)

    first = run_shard(task(9))
    second = run_shard(task(30))
    assert (first.sweeps, second.sweeps, second.starts) == (9, 30, 2)
    assert second.events == len(reference_transitions(fleet, 30)) > 100


def test_killed_dask_worker_loses_and_duplicates_no_transition(
    local_cluster: object, local_api: object, tmp_path: Path
) -> None:
    """Kill the process of a LocalCluster worker in mid-run: its shard is rescheduled,
    resumes from its checkpoint, and the API ends with exactly the reference transitions."""
    from distributed import Client

    fleet = VirtualFleet(4_000, BUSY)
    sweeps, interval = 30, 0.2
    run_id, start = open_run(tmp_path, 2, interval, delay_s=0.5)
    before = local_api.event_ids()  # type: ignore[attr-defined]
    tasks = [
        ShardTask(run_id, s, 2, tmp_path, FleetSources(fleet), interval, start, sweeps=sweeps,
                  api_url=local_api.url, api_key=local_api.monitor_key)  # type: ignore[attr-defined]
        for s in range(2)
    ]  # fmt: skip
    client = Client(local_cluster, set_as_default=False)
    pids = client.run(os.getpid)
    executor: Executor = ClusterExecutor(client)
    killer = threading.Timer(2.5, os.kill, args=(next(iter(pids.values())), signal.SIGKILL))
    killer.start()
    summaries = run_shards(tasks, executor, lambda: ClusterExecutor(client))
    killer.join()
    assert sorted(s.starts for s in summaries) == [1, 2]  # one shard was rescheduled
    assert all(s.sweeps == sweeps and s.undelivered_batches == 0 for s in summaries)
    expected = expected_ids(run_id, fleet, sweeps)
    stored = local_api.event_ids() - before  # type: ignore[attr-defined]
    assert len(expected) > 500
    assert stored == expected  # nothing lost, nothing extra (ids are unique in the table)


def test_simulate_command_on_real_dask_processes_into_the_api(
    dask_scheduler: str, local_api: object, tmp_path: Path
) -> None:
    fleet = VirtualFleet(3_000, BUSY)
    before = local_api.event_ids()  # type: ignore[attr-defined]
    state = tmp_path / "state"
    command = [
        str(Path(sys.executable).parent / "safecity"), "monitor", "simulate",
        "--cameras", "3000", "--sweeps", "14", "--interval", "0.2", "--shards", "2",
        "--scheduler", dask_scheduler, "--api", local_api.url,  # type: ignore[attr-defined]
        "--state", str(state), "--seed", "11", "--outage-rate", "0.01",
        "--degrade-rate", "0.01", "--flapping-share", "0.02", "--uplink-every", "12",
        "--uplink-sweeps", "3", "--check",
    ]  # fmt: skip
    env = {**os.environ, "SAFECITY_MONITOR_API_KEY": local_api.monitor_key}  # type: ignore[attr-defined]
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "expected: match" in out.stdout
    run_id, _ = open_run(state, 2, 0.2)
    assert local_api.event_ids() - before == expected_ids(run_id, fleet, 14)  # type: ignore[attr-defined]


def test_simulate_refuses_bad_input_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from safecity.cli import app

    monkeypatch.delenv("SAFECITY_MONITOR_API_KEY", raising=False)
    cases = [
        (["--scheduler", "localhost:1"], "not a Dask scheduler address"),
        (
            ["--uplink-every", "5", "--uplink-sweeps", "9"],
            "uplink_sweeps must be in 1..uplink_every",
        ),
        (["--outage-rate", "2"], "outage_rate must be in [0, 1]"),
        (["--api", "http://127.0.0.1:9"], "--api needs --api-key"),
        (["--interval", "-1"], "--interval must be >= 0"),
    ]
    for extra, message in cases:
        out = CliRunner().invoke(
            app, ["monitor", "simulate", "--cameras", "10", "--state", str(tmp_path), *extra]
        )
        assert out.exit_code == 2, (extra, out.output)
        assert message in out.stderr and len(out.stderr.strip().splitlines()) == 1
        assert out.exception is None or isinstance(out.exception, SystemExit)
    assert not (tmp_path / "run.json").exists()


def test_run_stops_when_asked(tmp_path: Path) -> None:
    """A shard without a sweep limit runs until the STOP file appears."""
    from monitor.shards import request_stop

    fleet = VirtualFleet(200, BUSY)
    run_id, start = open_run(tmp_path, 1, 0.05, delay_s=0.0)
    task = ShardTask(run_id, 0, 1, tmp_path, FleetSources(fleet), 0.05, start)
    threading.Timer(0.8, request_stop, args=(tmp_path,)).start()
    began = time.monotonic()
    summary = run_shard(task)
    assert summary.sweeps >= 3 and 0.7 < time.monotonic() - began < 10


def test_monitor_run_in_shards_probes_real_streams_into_the_api(
    vtest_avi: Path, local_api: object, tmp_path: Path
) -> None:
    """`monitor run --shards 2`: real decoding of real footage in two shard tasks."""
    from monitor.faults import make_fault_clip

    clips = {
        "SHARD-OK": make_fault_clip(vtest_avi, "none", 0.0, tmp_path / "ok.mp4", duration_s=4),
        "SHARD-BLACK": make_fault_clip(vtest_avi, "black", 1.0, tmp_path / "b.mp4", duration_s=4),
        "SHARD-GONE": tmp_path / "missing.mp4",
    }
    registry = tmp_path / "feeds.csv"
    registry.write_text(
        "camera_id,url,district\n"
        + "".join(f"{cid},file://{path},Futian\n" for cid, path in clips.items()),
        encoding="utf-8",
    )
    before = local_api.event_ids()  # type: ignore[attr-defined]
    command = [
        str(Path(sys.executable).parent / "safecity"), "monitor", "run", "--feeds", str(registry),
        "--api", local_api.url, "--shards", "2", "--workers", "2",  # type: ignore[attr-defined]
        "--max-sweeps", "3", "--interval", "1", "--window", "1", "--state", str(tmp_path / "st"),
        "--no-live",
    ]  # fmt: skip
    env = {**os.environ, "SAFECITY_MONITOR_API_KEY": local_api.monitor_key}  # type: ignore[attr-defined]
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "cameras by shard" in out.stdout
    new = local_api.event_ids() - before  # type: ignore[attr-defined]
    with sqlite3.connect(local_api.db_path) as db:  # type: ignore[attr-defined]
        rows = dict(
            db.execute(
                "SELECT camera_id, to_state FROM health_transitions WHERE event_id IN "
                f"({','.join('?' * len(new))})",
                sorted(new),
            ).fetchall()
        )
    assert rows == {"SHARD-BLACK": "degraded", "SHARD-GONE": "down"}
