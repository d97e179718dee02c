"""``safecity plan`` (maximum coverage) and ``safecity cover`` (minimum-cost cover)."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from geodata import (
    DEFAULT_SEED,
    GeodataError,
    load_buildings,
    load_districts,
    load_existing_cameras,
)
from planner.catalog import DEFAULT_LEVEL, load_catalog
from planner.city import DEFAULT_DEMAND_SPACING_M, DEFAULT_SITE_SPACING_M, load_plan_city
from planner.optimize.errors import PlannerInputError
from planner.outputs import write_plan
from planner.phases import DEFAULT_PHASES, parse_phases
from planner.pipeline import Mode, Plan, PlanRequest, plan_city
from planner.quotas import read_quotas
from safecity.executors import ExecutorError, make_executor, scheduler_address

Streets = Annotated[
    Path | None,
    typer.Option(help="Street lines: OSM .pbf or vector file (default: built-in synthetic)."),
]
Incidents = Annotated[Path | None, typer.Option(help="Incident points (CSV lon/lat or vector).")]
Places = Annotated[Path | None, typer.Option(help="Priority places with a 'category' column.")]
Existing = Annotated[
    Path | None, typer.Option(help="Existing cameras (kept, counted): CSV lon/lat or vector.")
]
Buildings = Annotated[Path | None, typer.Option(help="Building footprints that block views.")]
CatalogFile = Annotated[
    Path | None, typer.Option("--catalog", help="Camera catalogue YAML/CSV (default: built-in).")
]
Phases = Annotated[
    str, typer.Option(help="Phases as name=percent% or name=count, comma-separated.")
]
Level = Annotated[
    str, typer.Option(help="DORI level: detection, observation, recognition, identification.")
]
Only = Annotated[
    str | None, typer.Option(help="Plan only these Shenzhen districts (comma-separated).")
]
Districts = Annotated[
    Path | None,
    typer.Option(help="Planning-area polygons (column 'district'), for streets outside Shenzhen."),
]
Spacing = Annotated[float, typer.Option(help="Demand point spacing along streets (m).")]
SiteSpacing = Annotated[float, typer.Option(help="Candidate site spacing along streets (m).")]
Seed = Annotated[int, typer.Option(help="Seed of the synthetic built-in data.")]
Quiet = Annotated[bool, typer.Option("--quiet", help="No progress bars.")]
Workers = Annotated[
    int, typer.Option(help="Processes building coverage tiles (1: in this process).", min=1)
]
Scheduler = Annotated[
    str | None,
    typer.Option(help="Dask scheduler for coverage tiles, e.g. tcp://10.0.0.5:8786."),
]
TimeLimit = Annotated[
    float | None, typer.Option(help="Seconds allowed for the bound/exact solver steps.")
]
Out = Annotated[Path, typer.Option(help="Output folder (files are replaced atomically).")]

_err = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _check_files(**paths: Path | None) -> None:
    for flag, path in paths.items():
        if path is not None and not path.is_file():
            raise PlannerInputError(f"--{flag.replace('_', '-')}: file {path} does not exist")


def _print_table(plan: Plan, out: Path, seconds: float) -> None:
    console = Console(width=max(Console().width, 132))
    table = Table(title="Cameras per district", title_justify="left")
    heads = (
        "district", "quota", "existing", "placed", "cost M CNY", "covered %", "covered km",
        "hot-spot %", "storage TB/30d", "bandwidth Gbps",
    )  # fmt: skip
    for i, head in enumerate(heads):
        table.add_column(head, justify="left" if i == 0 else "right")
    d = plan.districts
    for r in d.to_dict("records"):
        table.add_row(
            r["district"], f"{r['quota']:,}", f"{r['existing']:,}", f"{r['placed']:,}",
            f"{r['cost_cny'] / 1e6:,.1f}", f"{r['covered_weight_pct']:.1f}",
            f"{r['covered_street_km']:,.1f}", f"{r['hotspot_coverage_pct']:.1f}",
            f"{r['storage_tb_30d']:,.0f}", f"{r['bandwidth_mbps'] / 1e3:,.2f}",
        )  # fmt: skip
    s = plan.summary
    table.add_row(
        "total", f"{int(d['quota'].sum()):,}", f"{s['existing']:,}", f"{s['placed']:,}",
        f"{s['cost_cny'] / 1e6:,.1f}", f"{s['covered_pct']:.1f}",
        f"{s['covered_street_km']:,.1f}", f"{s['hotspot_coverage_pct']:.1f}",
        f"{s['storage_tb_30d']:,.0f}", f"{s['bandwidth_mbps'] / 1e3:,.2f}", style="bold",
    )  # fmt: skip
    console.print(table)
    bound = ""
    if s["upper_bound_pct"] is not None:
        bound = f" (upper bound {s['upper_bound_pct']:.2f}% by {s['bound_method']}"
        bound += f", gap {100 * s['gap']:.2f}%)"
    if s["cost_lower_bound"] is not None:
        bound = f"; cost {s['cost_cny'] / 1e6:,.2f} M CNY, lower bound"
        bound += f" {s['cost_lower_bound'] / 1e6:,.2f} M CNY ({s['bound_method']})"
    phases = ", ".join(
        f"{p['phase']} {p['cameras']:,} cameras +{p['added_pct']:.1f}%"
        for p in plan.phases.to_dict("records")
    )
    console.print(f"covered {s['covered_pct']:.2f}% of demand weight{bound}")
    console.print(f"phases: {phases}")
    if s["note"]:
        console.print(f"note: {s['note']}")
    console.print(f"wrote {out}/ in {seconds:.1f} s", highlight=False)


def _run(
    request: PlanRequest,
    *,
    quotas: Path | None,
    streets: Path | None,
    incidents: Path | None,
    places: Path | None,
    existing: Path | None,
    buildings: Path | None,
    districts: Path | None,
    only: str | None,
    spacing: float,
    site_spacing: float,
    seed: int,
    quiet: bool,
    out: Path,
    workers: int = 1,
    scheduler: str | None = None,
) -> None:
    """Shared body of ``plan`` and ``cover``: load, check, plan, write, print."""
    start = time.perf_counter()
    try:
        tiled = workers > 1 or scheduler_address(scheduler) is not None
        executor = make_executor(workers, scheduler) if tiled else None
    except ExecutorError as exc:
        raise _fail(str(exc)) from None
    try:
        _check_files(
            streets=streets, incidents=incidents, places=places, existing=existing,
            buildings=buildings, districts=districts, quotas=quotas,
        )  # fmt: skip
        request.check()
        names = [n.strip() for n in only.split(",")] if only else None
        city = load_plan_city(
            streets=streets, incidents=incidents, places=places, districts=districts,
            only=names, spacing_m=spacing, site_spacing_m=site_spacing, seed=seed,
            progress=not quiet,
        )  # fmt: skip
        load_seconds = time.perf_counter() - start
        scope = city.districts if districts is not None else load_districts()
        cameras = None if existing is None else load_existing_cameras(existing, districts=scope)
        footprints = (
            None if buildings is None else load_buildings(buildings, districts=city.districts)
        )
        if quotas is not None:
            names_in_city = list(city.districts["district"])
            request = replace(request, quotas=read_quotas(quotas, names_in_city, request.target))
        plan = plan_city(
            city, request, existing=cameras, existing_source=str(existing),
            buildings=footprints, progress=not quiet, executor=executor,
        )  # fmt: skip
        plan.summary["timings_s"]["load_city"] = round(load_seconds, 3)
        plan.summary["inputs"].update(
            {"existing": str(existing or ""), "buildings": str(buildings or ""),
             "quotas": str(quotas) if quotas else "proportional to demand weight"}
        )  # fmt: skip
        write_plan(plan, out)
    except (PlannerInputError, GeodataError) as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"--out {out}: cannot write the plan ({exc.strerror or exc})") from None
    finally:
        if executor is not None:
            executor.shutdown()
    _print_table(plan, out, time.perf_counter() - start)


def plan(
    out: Out,
    target: Annotated[int | None, typer.Option(help="New cameras to place.")] = None,
    budget: Annotated[float | None, typer.Option(help="Budget for new cameras (CNY).")] = None,
    quotas: Annotated[
        Path | None, typer.Option(help="CSV district,quota (default: by demand weight).")
    ] = None,
    streets: Streets = None,
    incidents: Incidents = None,
    places: Places = None,
    existing: Existing = None,
    buildings: Buildings = None,
    catalog: CatalogFile = None,
    phases: Phases = DEFAULT_PHASES,
    level: Level = DEFAULT_LEVEL,
    only: Only = None,
    districts: Districts = None,
    spacing: Spacing = DEFAULT_DEMAND_SPACING_M,
    site_spacing: SiteSpacing = DEFAULT_SITE_SPACING_M,
    local_search: Annotated[bool, typer.Option(help="Swap local search after greedy.")] = True,
    bound: Annotated[
        str, typer.Option(help="Upper bound: auto, lp, lagrangian, online, none.")
    ] = "auto",
    time_limit: TimeLimit = None,
    seed: Seed = DEFAULT_SEED,
    quiet: Quiet = False,
    workers: Workers = 1,
    scheduler: Scheduler = None,
) -> None:
    """Place new cameras to cover the most risk-weighted street length, district by district."""
    _run(
        _request("max", target=target, budget=budget, catalog=catalog, phases=phases,
                 level=level, local_search=local_search, bound=bound, time_limit=time_limit),
        quotas=quotas, streets=streets, incidents=incidents, places=places, existing=existing,
        buildings=buildings, districts=districts, only=only, spacing=spacing,
        site_spacing=site_spacing, seed=seed, quiet=quiet, out=out,
        workers=workers, scheduler=scheduler,
    )  # fmt: skip


def cover(
    out: Out,
    required: Annotated[
        float,
        typer.Option(
            help="Fraction of the coverable demand weight to cover (1.0 can be out of reach: "
            "a point seen only from a site that must face elsewhere)."
        ),
    ] = 0.99,
    scope: Annotated[
        str, typer.Option(help="Demand to cover: 'hotspots' (hot-spot streets) or 'all'.")
    ] = "hotspots",
    streets: Streets = None,
    incidents: Incidents = None,
    places: Places = None,
    existing: Existing = None,
    buildings: Buildings = None,
    catalog: CatalogFile = None,
    phases: Phases = DEFAULT_PHASES,
    level: Level = DEFAULT_LEVEL,
    only: Only = None,
    districts: Districts = None,
    spacing: Spacing = DEFAULT_DEMAND_SPACING_M,
    site_spacing: SiteSpacing = DEFAULT_SITE_SPACING_M,
    time_limit: TimeLimit = None,
    seed: Seed = DEFAULT_SEED,
    quiet: Quiet = False,
    workers: Workers = 1,
    scheduler: Scheduler = None,
) -> None:
    """Cheapest set of cameras covering every hot-spot street (or a required share)."""
    if scope not in ("hotspots", "all"):
        raise _fail(f"--scope must be 'hotspots' or 'all', got {scope!r}")
    _run(
        _request("cover", catalog=catalog, phases=phases, level=level, required=required,
                 scope=scope, time_limit=time_limit),
        quotas=None, streets=streets, incidents=incidents, places=places, existing=existing,
        buildings=buildings, districts=districts, only=only, spacing=spacing,
        site_spacing=site_spacing, seed=seed, quiet=quiet, out=out,
        workers=workers, scheduler=scheduler,
    )  # fmt: skip


def _request(mode: Mode, *, catalog: Path | None, phases: str, **fields: Any) -> PlanRequest:
    """A checked PlanRequest from command-line values (exit 2 on bad values)."""
    try:
        _check_files(catalog=catalog)
        request = PlanRequest(
            mode=mode, catalog=load_catalog(catalog), phases=parse_phases(phases), **fields
        )
        request.check()
    except PlannerInputError as exc:
        raise _fail(str(exc)) from None
    return request


def register(root: typer.Typer) -> None:
    """Attach ``plan`` and ``cover`` to the root ``safecity`` command."""
    root.command("plan")(plan)
    root.command("cover")(cover)
