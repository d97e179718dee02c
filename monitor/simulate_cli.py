"""``safecity monitor simulate``: drive the real control plane with a virtual fleet."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from monitor.shards import ShardSummary, ShardTask, open_run, run_shards, warm_up
from monitor.simulate import FaultModel, FleetSources, VirtualFleet, reference_transitions
from safecity.executors import ExecutorError, executor_slots, make_executor
from safecity.settings import get_settings


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def shard_table(summaries: list[ShardSummary], wall_s: float) -> Table:
    """Per-shard figures and totals of a sharded run."""
    table = Table(title="cameras by shard", title_justify="left")
    for head in ("shard", "cameras", "sweeps", "evaluations", "eval per CPU-s", "events",
                 "starts", "checkpoint s", "max lag s", "peak RSS MB", "spooled"):  # fmt: skip
        table.add_column(head, justify="right")
    for s in summaries:
        rate = s.evaluations / s.cpu_s if s.cpu_s else 0.0
        table.add_row(
            str(s.shard), f"{s.cameras:,}", str(s.sweeps), f"{s.evaluations:,}", f"{rate:,.0f}",
            f"{s.events:,}", str(s.starts), f"{s.checkpoint_s:.1f}", f"{s.max_lag_s:.1f}",
            f"{s.peak_rss_mb:,.0f}", str(s.undelivered_batches),
        )  # fmt: skip
    total = sum(s.evaluations for s in summaries)
    table.add_row(
        "all", f"{sum(s.cameras for s in summaries):,}", "", f"{total:,}",
        f"{total / wall_s:,.0f} (wall)", f"{sum(s.events for s in summaries):,}", "", "",
        f"{max(s.max_lag_s for s in summaries):.1f}", "",
        str(sum(s.undelivered_batches for s in summaries)), style="bold",
    )  # fmt: skip
    return table


def simulate(
    cameras: Annotated[int, typer.Option(help="Virtual cameras.", min=1, max=5_000_000)] = 200_000,
    sweeps: Annotated[int, typer.Option(help="Sweeps to run.", min=1)] = 6,
    interval: Annotated[float, typer.Option(help="Seconds between sweeps (0: flat out).")] = 10.0,
    shards: Annotated[
        int | None, typer.Option(help="Camera shards (default: one per worker slot).", min=1)
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Local worker processes (default: one per core).", min=1)
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (or DASK_SCHEDULER_ADDRESS)."),
    ] = None,
    api: Annotated[str | None, typer.Option(help="API base URL; transitions go there.")] = None,
    api_key: Annotated[
        str | None, typer.Option(help="API key (role monitor).", envvar="SAFECITY_MONITOR_API_KEY")
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option("--state", help="Shared folder of checkpoints and spools (resumable)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the fault model.")] = 2006,
    outage_rate: Annotated[float, typer.Option(help="Outage starts per camera-sweep.")] = 0.0005,
    degrade_rate: Annotated[float, typer.Option(help="Picture faults per camera-sweep.")] = 0.0005,
    flapping_share: Annotated[float, typer.Option(help="Share of flapping cameras.")] = 0.001,
    uplink_every: Annotated[
        int, typer.Option(help="A district loses its uplink every N sweeps (0: never).", min=0)
    ] = 0,
    uplink_sweeps: Annotated[int, typer.Option(help="Sweeps an uplink failure lasts.")] = 3,
    check: Annotated[
        bool, typer.Option(help="Recompute every transition in-process and compare counts.")
    ] = False,
) -> None:
    """Run a virtual fleet through the real sharding, state machine, spool and API ingest."""
    if interval < 0:
        raise _fail(f"--interval must be >= 0 seconds, got {interval}")
    if api and not api_key:
        raise _fail("--api needs --api-key (or SAFECITY_MONITOR_API_KEY)")
    api = api or get_settings().api_url
    try:
        model = FaultModel(
            seed=seed, outage_rate=outage_rate, degrade_rate=degrade_rate,
            flapping_share=flapping_share, uplink_every=uplink_every, uplink_sweeps=uplink_sweeps,
        )  # fmt: skip
        fleet = VirtualFleet(cameras, model)
        executor = make_executor(workers, scheduler)
    except (ValueError, ExecutorError) as exc:
        raise _fail(str(exc)) from None
    n_shards = shards or executor_slots(executor)
    warm_up(executor, executor_slots(executor))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    state = state_dir or get_settings().data_dir / "simulate" / stamp
    try:
        run_id, start_at = open_run(state, n_shards, interval)
    except (ValueError, OSError) as exc:
        executor.shutdown()
        raise _fail(str(exc)) from None
    tasks = [
        ShardTask(
            run_id,
            s,
            n_shards,
            state,
            FleetSources(fleet),
            interval,
            start_at,
            sweeps=sweeps,
            api_url=api,
            api_key=api_key or "",
        )
        for s in range(n_shards)
    ]
    console = Console()
    console.print(
        f"{cameras:,} virtual cameras in {n_shards} shards, {sweeps} sweeps every {interval:g} s; "
        f"state in {state}" + (f"; API {api}" if api else "; no API"),
        highlight=False,
    )
    began = time.perf_counter()
    with console.status("simulating...") as status:
        summaries = run_shards(
            tasks,
            executor,
            lambda: make_executor(workers, scheduler),
            on_done=lambda s: status.update(f"shard {s.shard} done ({s.events:,} events)"),
        )
    wall = time.perf_counter() - began
    console.print(shard_table(summaries, wall))
    if check:
        expected = len(reference_transitions(fleet, sweeps))
        emitted = sum(s.events for s in summaries)
        verdict = "match" if expected == emitted else "MISMATCH"
        console.print(f"check: {emitted:,} transitions emitted, {expected:,} expected: {verdict}")
        if expected != emitted:
            raise typer.Exit(1)
