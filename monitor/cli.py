"""``safecity monitor ...`` commands: check feeds once, watch them continuously, take references."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.live import Live
from rich.table import Table

from monitor.capture import ProbeSettings
from monitor.feeds import (
    Feed,
    FeedError,
    describe_validation_error,
    feed_for_url,
    load_feeds,
    load_feeds_from_api,
    redact_text,
)
from monitor.live import STATE_STYLE, render
from monitor.probe import ProbeJob, ProbeResult
from monitor.sharded_run import run_sharded
from monitor.simulate_cli import simulate
from monitor.sinks import EventSink
from monitor.sinks.api import ApiSink
from monitor.sinks.jsonl import JsonlSink
from monitor.sinks.prometheus import SweepStats, serve_metrics
from monitor.state import StateBook, classify
from monitor.sweep import Sweeper, SweepReport, suggested_workers
from monitor.workers import ProbePool
from safecity.executors import ExecutorError, scheduler_address
from safecity.settings import get_settings

app = typer.Typer(
    help="Feed-health monitor: probe streams, judge the picture (signal quality only).",
    no_args_is_help=True,
)
STATE_OF_OUTCOME = {"good": "ok", "degraded": "degraded", "failed": "down"}
err = Console(stderr=True)

Window = Annotated[float, typer.Option(help="Seconds of video read per probe.", min=0.2)]
OpenTimeout = Annotated[float, typer.Option(help="Open (connect) timeout, seconds.", min=0.1)]
ReadTimeout = Annotated[
    float, typer.Option(help="Read timeout, seconds (RTSP stalls end after ~3x).", min=0.1)
]
Workers = Annotated[
    int, typer.Option(help="Probe worker processes (concurrent probes).", min=1, max=512)
]


class _RedactingFormatter(logging.Formatter):
    """Every log line passes through credential redaction."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


def _setup_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def _fail(message: str) -> typer.Exit:
    """Print one clear line on stderr; the caller raises the returned exit (code 2)."""
    typer.echo(f"error: {redact_text(message)}", err=True)
    return typer.Exit(2)


def _settings(window: float, open_timeout: float, read_timeout: float) -> ProbeSettings:
    return ProbeSettings(window_s=window, open_timeout_s=open_timeout, read_timeout_s=read_timeout)


def check_record(result: ProbeResult) -> dict[str, Any]:
    """The JSON line of ``check --json`` for one result."""
    return {
        "camera_id": result.camera_id,
        "url": result.url,
        "district": result.district,
        "state": STATE_OF_OUTCOME[classify(result)],
        "reasons": result.reasons,
        "fps": result.fps,
        "width": result.width,
        "height": result.height,
        "frames": result.frames,
        "metrics": result.metrics,
        "timings": {
            "connect_s": result.connect_s,
            "first_frame_s": result.first_frame_s,
            "duration_s": result.duration_s,
        },
        "error": result.error,
        "started_at": result.started_at,
    }


def _check_table(records: list[dict[str, Any]]) -> Table:
    table = Table(title="feed check")
    for column in ("camera", "state", "reasons", "fps", "size", "connect", "1st frame", "error"):
        table.add_column(column)
    for r in records:
        t = r["timings"]
        table.add_row(
            r["camera_id"],
            f"[{STATE_STYLE[r['state']]}]{r['state']}[/]",
            ", ".join(r["reasons"]) or "-",
            "" if r["fps"] is None else f"{r['fps']:.1f}",
            "" if r["width"] is None else f"{r['width']}x{r['height']}",
            "" if t["connect_s"] is None else f"{t['connect_s'] * 1000:.0f} ms",
            "" if t["first_frame_s"] is None else f"{t['first_frame_s'] * 1000:.0f} ms",
            r["error"] or "",
        )
    return table


@app.command()
def check(
    urls: Annotated[list[str], typer.Argument(help="Stream URLs (rtsp, http(s), file) or paths.")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
    district: Annotated[str, typer.Option(help="District key for the ad-hoc feeds.")] = "Futian",
    expected_fps: Annotated[
        float | None, typer.Option(help="Nominal fps (enables low_fps).", min=0.1)
    ] = None,
    reference: Annotated[
        Path | None, typer.Option(help="Reference image of the normal view (enables moved).")
    ] = None,
    window: Window = 2.0,
    open_timeout: OpenTimeout = 3.0,
    read_timeout: ReadTimeout = 2.0,
    workers: Workers = 4,
) -> None:
    """Probe each URL once and print its state, reasons, metrics and timings.

    Exit code 0 when every feed is ok, 1 when any is degraded or down, 2 on bad input.
    """
    try:
        feeds = [
            feed_for_url(url, index=i, district=district).model_copy(
                update={"expected_fps": expected_fps, "reference": reference}
            )
            for i, url in enumerate(urls)
        ]
        feeds = [Feed.model_validate(f.model_dump()) for f in feeds]
    except ValidationError as exc:
        raise _fail(describe_validation_error(exc)) from None
    if reference is not None and not reference.is_file():
        raise _fail(f"--reference {reference}: image file not found")
    order = {f.camera_id: i for i, f in enumerate(feeds)}
    settings = _settings(window, open_timeout, read_timeout)
    with ProbePool(min(workers, len(feeds)), settings) as pool:
        results = sorted(pool.run(ProbeJob(f) for f in feeds), key=lambda r: order[r.camera_id])
    records = [check_record(r) for r in results]
    if as_json:
        for record in records:
            typer.echo(json.dumps(record, sort_keys=True))
    else:
        Console().print(_check_table(records))
    if any(r["state"] != "ok" for r in records):
        raise typer.Exit(1)


def _with_references(feeds: list[Feed], references: Path | None) -> list[Feed]:
    """Feeds without a reference take ``references/<camera_id>.png`` when it exists."""
    if references is None:
        return feeds
    return [
        f.model_copy(update={"reference": references / f"{f.camera_id}.png"})
        if f.reference is None and (references / f"{f.camera_id}.png").is_file()
        else f
        for f in feeds
    ]


def _load(feeds_file: Path) -> list[Feed]:
    try:
        return load_feeds(feeds_file)
    except FeedError as exc:
        raise _fail(str(exc)) from None


def _feed_source(
    feeds_file: Path | None,
    api: str | None,
    api_key: str | None,
    district: str | None,
    references: Path | None,
) -> Callable[[], list[Feed]]:
    """Loader of the current registry (file, or the API when no file is given)."""

    def load() -> list[Feed]:
        if feeds_file is not None:
            feeds = load_feeds(feeds_file)
        else:
            assert api is not None and api_key is not None
            feeds = load_feeds_from_api(api, api_key, district=district)
        return _with_references(feeds, references)

    return load


def _refresher(
    sweeper: Sweeper, load: Callable[[], list[Feed]], every_s: float
) -> Callable[[SweepReport], None]:
    """After a sweep, reload the registry if ``every_s`` passed (keep the old one on error)."""
    log = logging.getLogger("monitor")
    last = time.monotonic()

    def refresh(_: SweepReport) -> None:
        nonlocal last
        if time.monotonic() - last < every_s:
            return
        last = time.monotonic()
        try:
            feeds = load()
        except FeedError as exc:
            log.warning("feed registry not refreshed: %s", exc)
            return
        if [f.camera_id for f in feeds] != [f.camera_id for f in sweeper.feeds]:
            log.info("feed registry refreshed: %d feeds", len(feeds))
        sweeper.feeds = feeds

    return refresh


@app.command()
def run(
    feeds_file: Annotated[
        Path | None,
        typer.Option("--feeds", help="Feed registry (CSV or YAML); without it: the API's."),
    ] = None,
    interval: Annotated[float, typer.Option(help="Seconds between sweep starts.", min=0.5)] = 10.0,
    events: Annotated[
        Path | None, typer.Option(help="Append transition events here (JSONL).")
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus /metrics on this port (0 = any).")
    ] = None,
    metrics_addr: Annotated[str, typer.Option(help="Address for /metrics.")] = "127.0.0.1",
    api: Annotated[
        str | None, typer.Option(help="API base URL; transitions are pushed there.")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(help="API key (role monitor).", envvar="SAFECITY_MONITOR_API_KEY")
    ] = None,
    spool: Annotated[Path | None, typer.Option(help="Spool folder for undelivered events.")] = None,
    state_dir: Annotated[
        Path | None, typer.Option("--state", help="Folder for learned per-camera baselines.")
    ] = None,
    references: Annotated[
        Path | None, typer.Option(help="Folder of <camera_id>.png from `monitor reference`.")
    ] = None,
    district: Annotated[
        str | None, typer.Option(help="With feeds from the API: only this district.")
    ] = None,
    feeds_refresh: Annotated[
        float, typer.Option(help="Reload the registry every S seconds (new cameras).", min=1)
    ] = 300.0,
    once: Annotated[bool, typer.Option("--once", help="One sweep, then exit.")] = False,
    max_sweeps: Annotated[int | None, typer.Option(help="Stop after N sweeps.", min=1)] = None,
    live: Annotated[bool, typer.Option(help="Live terminal view (default: on a TTY).")] = (
        sys.stdout.isatty()
    ),
    window: Window = 2.0,
    open_timeout: OpenTimeout = 3.0,
    read_timeout: ReadTimeout = 2.0,
    workers: Annotated[
        int | None,
        typer.Option(help="Probe worker processes (default: enough for the interval).", min=1),
    ] = None,
    shards: Annotated[
        int | None,
        typer.Option(
            help="Split cameras into N shards, one long task each (--workers: per shard).", min=1
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Run the shards on this Dask scheduler, e.g. tcp://10.0.0.5:8786."),
    ] = None,
) -> None:
    """Sweep all feeds every INTERVAL seconds; publish state transitions and metrics.

    Feeds come from ``--feeds FILE`` or, without it, from the API (``GET /api/v1/feeds``
    with ``--api`` and ``--api-key``); the registry is reloaded every ``--feeds-refresh``.
    """
    api = api or get_settings().api_url
    if api and not api_key:
        raise _fail("--api needs --api-key (or SAFECITY_MONITOR_API_KEY)")
    if feeds_file is None and not api:
        raise _fail("give --feeds FILE, or --api URL --api-key K to read the feeds from the API")
    if references is not None and not references.is_dir():
        raise _fail(f"--references {references}: folder not found")
    load = _feed_source(feeds_file, api, api_key, district, references)
    try:
        feeds = load()
    except FeedError as exc:
        raise _fail(str(exc)) from None
    state_dir = state_dir or get_settings().data_dir / "monitor"
    _setup_logging()
    try:
        sharded = shards is not None or scheduler_address(scheduler) is not None
    except ExecutorError as exc:
        raise _fail(str(exc)) from None
    if sharded:  # monitor.sharded_run: shards on a local pool or a Dask cluster
        if not api or events is not None or metrics_port is not None:
            raise _fail("--shards/--scheduler push to --api only (no --events, --metrics-port)")
        run_sharded(
            feeds, shards=shards, workers=workers, scheduler=scheduler,
            settings=_settings(window, open_timeout, read_timeout), interval_s=interval,
            sweeps=1 if once else max_sweeps, api=api, api_key=api_key or "",
            state_dir=state_dir,
        )  # fmt: skip
        return
    log = logging.getLogger("monitor")
    book, stats = StateBook(), SweepStats()
    sinks: list[EventSink] = []
    if events is not None:
        sinks.append(JsonlSink(events))
    api_sink = ApiSink(api, api_key or "", spool or state_dir / "spool") if api else None
    if api_sink is not None:
        sinks.append(api_sink)
    server = (
        serve_metrics(book, stats, metrics_port, metrics_addr) if metrics_port is not None else None
    )
    if server is not None:
        log.info("metrics on http://%s:%d/metrics", metrics_addr, server.server_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    settings = _settings(window, open_timeout, read_timeout)
    size = min(workers or suggested_workers(len(feeds), interval, settings), len(feeds))
    sweeps = 1 if once else max_sweeps
    log.info("watching %d feeds with %d workers every %g s", len(feeds), size, interval)
    try:
        with ProbePool(size, settings) as pool:
            sweeper = Sweeper(feeds, pool, book=book, sinks=sinks, stats=stats, state_dir=state_dir)
            refresh = _refresher(sweeper, load, feeds_refresh)
            if live:
                view = Live(get_renderable=lambda: render(book, stats), refresh_per_second=1)
                with view:
                    sweeper.run(interval, max_sweeps=sweeps, stop=stop, on_sweep=refresh)
            else:
                report = _log_sweep(book)

                def on_sweep(done: SweepReport) -> None:
                    report(done)
                    refresh(done)

                sweeper.run(interval, max_sweeps=sweeps, stop=stop, on_sweep=on_sweep)
    except KeyboardInterrupt:
        log.info("interrupted; shutting down")
    finally:
        for sink in sinks:
            sink.close()
        if server is not None:
            server.shutdown()
    if api_sink is not None and api_sink.backlog():
        log.warning("%d event batches stay spooled in %s", api_sink.backlog(), api_sink.pending)


def _log_sweep(book: StateBook) -> Callable[[SweepReport], None]:
    log = logging.getLogger("monitor")

    def on_sweep(report: SweepReport) -> None:
        states = {s: sum(n for (_, st), n in book.counts().items() if st == s) for s in STATE_STYLE}
        log.info(
            "sweep: %d feeds in %.1f s (lag %.1f s): ok %d, degraded %d, down %d; %d events",
            len(report.results),
            report.duration_s,
            report.lag_s,
            states["ok"],
            states["degraded"],
            states["down"],
            len(report.events),
        )

    return on_sweep


@app.command()
def reference(
    feeds_file: Annotated[Path, typer.Option("--feeds", help="Feed registry (CSV or YAML).")],
    out: Annotated[Path, typer.Option(help="Folder for the <camera_id>.png references.")],
    window: Window = 1.0,
    open_timeout: OpenTimeout = 3.0,
    read_timeout: ReadTimeout = 2.0,
    workers: Workers = 4,
) -> None:
    """Capture a reference frame of each feed's normal view as OUT/<camera_id>.png.

    ``run --references OUT`` then judges ``moved`` against them (the registry, which may
    hold credentials, is never copied).  A feed whose picture is not healthy right now
    gets no reference and is reported, so a covered or black view never becomes normal.
    """
    feeds = _load(feeds_file)
    settings = _settings(window, open_timeout, read_timeout)
    jobs = [ProbeJob(f, reference_out=out / f"{f.camera_id}.png") for f in feeds]
    with ProbePool(min(workers, len(feeds)), settings) as pool:
        results = sorted(pool.run(jobs), key=lambda r: r.camera_id)
    missing = [f"{r.camera_id} ({', '.join(r.reasons)})" for r in results if not r.ok]
    typer.echo(f"{len(results) - len(missing)} of {len(results)} references written to {out}")
    if missing:
        typer.echo(f"no reference (picture not healthy): {'; '.join(missing)}", err=True)
        raise typer.Exit(1)


app.command()(simulate)


def register(root: typer.Typer) -> None:
    """Attach the monitor commands to the root ``safecity`` command."""
    root.add_typer(app, name="monitor")
