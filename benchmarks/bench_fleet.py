"""Benchmark: the monitor's control plane at 200,000 cameras (virtual fleet, real everything
after decoding), on 1 and 2 local workers.

Drives ``monitor.shards`` + ``monitor.simulate``: real stable-hash sharding, one long task
per shard, the real state machine, checkpoints, spooled batches, HTTP to a real
``safecity serve`` process and its SQLite database, where the 200,000 cameras were first
imported as a plan.  For each worker count it prints:

* flat out (interval 0): sustained state evaluations per second (wall) and the speed-up
  of 2 workers against the peer, 1 worker, measured in the same run;
* paced (one sweep of all cameras every 10 s, with outages, flapping cameras and one
  district-wide uplink failure): sweep budget used, API ingest rate, end-to-end lag from
  the virtual fault (the sweep where it began) to the API storing the transition (p50,
  p99, max), and "nothing lost": the stored event ids equal an in-process recomputation;
* peak memory of shard processes, API process and this process.

Targets: a full sweep of 200,000 cameras every 10 s, lag p99 < 30 s, nothing lost.

Run: .venv/bin/python benchmarks/bench_fleet.py [--cameras 200000] [--sweeps 9]
(about 6-8 minutes on 2 cores at the defaults)
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import psutil
import shapely

from api.bootstrap import prepare
from api.db import Database
from api.models import Role
from api.routers.users import create_api_key
from api.schemas import ApiKeyIn
from geodata import WGS84, load_districts
from monitor.feeds import DISTRICTS
from monitor.shards import ShardSummary, ShardTask, open_run, run_shards, transition_id, warm_up
from monitor.simulate import FaultModel, FleetSources, VirtualFleet, reference_transitions
from safecity.executors import make_executor
from safecity.localapi import LocalApi

INTERVAL_S = 10.0


def keys(db_url: str) -> tuple[str, str]:
    """(monitor key, admin key) in a freshly migrated database."""
    db = Database(db_url)
    prepare(db)
    with db.session() as session:
        made = [
            create_api_key(session, ApiKeyIn(name=f"bench-{r.value}", role=r), "bench")[1]
            for r in (Role.monitor, Role.admin)
        ]
        session.commit()
    db.dispose()
    return made[0], made[1]


def fleet_points(fleet: VirtualFleet) -> tuple[np.ndarray, np.ndarray]:
    """A random point inside its district for every virtual camera (lon, lat)."""
    districts = load_districts().to_crs(WGS84).set_index("district")
    district = fleet.districts()
    lon, lat = np.zeros(fleet.cameras), np.zeros(fleet.cameras)
    rng = np.random.default_rng(fleet.model.seed)
    for d, name in enumerate(DISTRICTS):
        need = np.flatnonzero(district == d)
        shape = districts.geometry[name]
        x0, y0, x1, y1 = shape.bounds
        while len(need):
            x, y = rng.uniform(x0, x1, len(need)), rng.uniform(y0, y1, len(need))
            ok = shapely.contains_xy(shape, x, y)
            lon[need[ok]], lat[need[ok]] = x[ok], y[ok]
            need = need[~ok]
    return lon, lat


def register(api_url: str, admin_key: str, fleet: VirtualFleet) -> float:
    """Import the virtual cameras into the API as an installed plan; returns seconds."""
    lon, lat = fleet_points(fleet)
    names = np.array(DISTRICTS)[fleet.districts()]
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
         "properties": {"camera_id": cid, "district": d, "status": "installed"}}
        for cid, d, x, y in zip(fleet.camera_ids(), names, lon.tolist(), lat.tolist(), strict=True)
    ]  # fmt: skip
    began = time.perf_counter()
    answer = httpx.post(
        f"{api_url}/api/v1/plans/import",
        json={"cameras": {"type": "FeatureCollection", "features": features}},
        headers={"X-API-Key": admin_key},
        timeout=600,
    )
    answer.raise_for_status()
    return time.perf_counter() - began


def run(
    fleet: VirtualFleet, workers: int, sweeps: int, interval: float, state: Path, api: str, key: str
) -> tuple[str, float, float, list[ShardSummary]]:
    """One simulation on ``workers`` local processes: (run id, start, wall s, summaries)."""
    executor = make_executor(workers)
    warm_up(executor, workers)
    run_id, start = open_run(state, workers, interval, delay_s=1.0)
    tasks = [
        ShardTask(
            run_id,
            s,
            workers,
            state,
            FleetSources(fleet),
            interval,
            start,
            sweeps=sweeps,
            api_url=api or None,
            api_key=key,
            flush_s=600.0,
        )
        for s in range(workers)
    ]
    began = time.perf_counter()
    summaries = run_shards(tasks, executor, lambda: make_executor(workers))
    return run_id, start, time.perf_counter() - began, summaries


def unix(stamps: pd.Series) -> np.ndarray:
    """Unix seconds of a tz-aware datetime column (whatever its resolution)."""
    return (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()


def stored(db_path: Path, since: float) -> pd.DataFrame:
    """Transitions the API stored after unix time ``since``."""
    with sqlite3.connect(db_path) as db:
        frame = pd.read_sql_query(
            "SELECT event_id, camera_id, to_state, flapping, at, received_at "
            "FROM health_transitions",
            db,
        )
    for column in ("at", "received_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame[unix(frame["received_at"]) >= since]


def lags(frame: pd.DataFrame, fleet: VirtualFleet, start: float, interval: float) -> np.ndarray:
    """Seconds from each (non-flapping) transition's virtual fault onset to its storage."""
    steady = frame[~frame["flapping"].astype(bool)]
    index = steady["camera_id"].str[4:].astype(int).to_numpy()
    sweep = np.rint((unix(steady["at"]) - start) / interval).astype(int)
    onset = np.zeros(len(steady))
    for k in np.unique(sweep):
        rows = np.flatnonzero(sweep == k)
        cams = index[rows]
        onset[rows] = start + interval * fleet.model.onset(cams, fleet.districts(cams), int(k))
    return unix(steady["received_at"]) - onset


def rss_mb(process: psutil.Process) -> float:
    """Resident memory of a process now."""
    return process.memory_info().rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=200_000)
    parser.add_argument("--sweeps", type=int, default=9, help="paced sweeps (>= 9 for recovery)")
    parser.add_argument("--flat-sweeps", type=int, default=4)
    args = parser.parse_args()
    model = FaultModel(uplink_every=4, uplink_sweeps=3)
    fleet = VirtualFleet(args.cameras, model)
    work = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    db_path = work / "api.db"
    monitor_key, admin_key = keys(f"sqlite:///{db_path}")
    print(f"fleet: {args.cameras:,} virtual cameras; work folder {work}")
    began = time.perf_counter()
    reference = reference_transitions(fleet, args.sweeps)
    ref_s = time.perf_counter() - began
    print(
        f"reference: {len(reference):,} transitions in {args.sweeps} sweeps, recomputed "
        f"in-process in {ref_s:.1f} s ({args.cameras * args.sweeps / ref_s:,.0f} evaluations/s, "
        "1 core, no I/O)"
    )
    with LocalApi(f"sqlite:///{db_path}", log=work / "api.log") as api:
        server = psutil.Process(api.process.pid)  # type: ignore[union-attr]
        print(
            f"plan import of {args.cameras:,} cameras: {register(api.url, admin_key, fleet):.1f} s"
        )
        flat: dict[int, float] = {}
        for workers in (1, 2):
            _, _, wall, summaries = run(
                fleet, workers, args.flat_sweeps, 0.0, work / f"flat-{workers}", "", ""
            )
            flat[workers] = sum(s.evaluations for s in summaries) / wall
            saving = sum(s.checkpoint_s for s in summaries) / args.flat_sweeps
            per_cpu = sum(s.evaluations for s in summaries) / sum(s.cpu_s for s in summaries)
            print(
                f"flat out, {workers} worker(s): {flat[workers]:,.0f} state evaluations/s "
                f"(a 200,000-camera sweep every {200_000 / flat[workers]:.1f} s); "
                f"checkpoints {saving:.2f} s/sweep; {per_cpu:,.0f} evaluations per CPU-second "
                f"(incl. checkpoints), so one core sustains {per_cpu * INTERVAL_S:,.0f} cameras "
                f"per {INTERVAL_S:g} s sweep"
            )
        print(f"speed-up of 2 workers vs 1: {flat[2] / flat[1]:.2f}x")
        for workers in (1, 2):
            since = time.time()
            run_id, start, wall, summaries = run(
                fleet, workers, args.sweeps, INTERVAL_S, work / f"paced-{workers}", api.url,
                monitor_key,
            )  # fmt: skip
            frame = stored(db_path, since)
            expected = {transition_id(run_id, c, n) for c, n, _, _ in reference}
            got = set(frame["event_id"])
            lag = lags(frame, fleet, start, INTERVAL_S)
            span = (frame["received_at"].max() - frame["received_at"].min()).total_seconds()
            busiest = frame["received_at"].dt.floor("s").value_counts().max()
            evaluate = max(s.evaluate_s + s.checkpoint_s for s in summaries) / args.sweeps
            budget = 100 * evaluate / INTERVAL_S
            cpu = max(s.cpu_s for s in summaries) / args.sweeps
            late = max(s.max_lag_s for s in summaries)
            print(
                f"paced, {workers} worker(s), a sweep every {INTERVAL_S:g} s: "
                f"{sum(s.evaluations for s in summaries) / wall:,.0f} evaluations/s sustained; "
                f"busiest shard works {evaluate:.2f} s wall / {cpu:.2f} s CPU per sweep "
                f"({budget:.0f}% of the interval); max schedule lag {late:.1f} s"
            )
            print(
                f"  API: {len(frame):,} transitions stored over {span:.0f} s, peak "
                f"{busiest:,} per second; lag fault->API p50 {np.percentile(lag, 50):.1f} s, "
                f"p99 {np.percentile(lag, 99):.1f} s, max {lag.max():.1f} s "
                f"({len(lag):,} non-flapping transitions)"
            )
            print(
                f"  nothing lost: {got == expected} ({len(got & expected):,} of {len(expected):,} "
                f"expected stored, {len(got - expected)} unexpected); spooled left "
                f"{sum(s.undelivered_batches for s in summaries)}"
            )
            print(
                f"  peak memory: shard processes {max(s.peak_rss_mb for s in summaries):,.0f} MB "
                f"each, API process {rss_mb(server):,.0f} MB now"
            )
    print(f"this process peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
