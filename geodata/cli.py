"""``safecity geodata ...`` commands: summary table and layer export of the loaded city."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from geodata.city import City, load_city
from geodata.errors import GeodataError
from geodata.streets import DEFAULT_SEED

app = typer.Typer(help="Districts, streets, hot-spots and candidate sites.", no_args_is_help=True)

STREETS_OPT = typer.Option(
    None, "--streets", help="Street lines: OSM .pbf, GeoJSON, GeoPackage or GeoParquet."
)
INCIDENTS_OPT = typer.Option(
    None, "--incidents", help="Incidents: CSV (lon,lat[,weight,category]) or vector points."
)
PLACES_OPT = typer.Option(None, "--places", help="Priority places with a 'category' column.")
WEIGHT_OPT = typer.Option(
    None, "--weight", help="Category weight override KEY=VALUE, e.g. port=10 (repeatable)."
)
SPACING_OPT = typer.Option(25.0, "--spacing", help="Demand point spacing along streets, m.")
SITE_SPACING_OPT = typer.Option(25.0, "--site-spacing", help="Candidate site spacing, m.")
ONLY_OPT = typer.Option(None, "--only", help="Load only this district (repeatable).")
SEED_OPT = typer.Option(DEFAULT_SEED, "--seed", help="Seed of the synthetic built-in data.")


def _parse_weights(items: list[str] | None) -> dict[str, float]:
    weights: dict[str, float] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        try:
            weights[key.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise GeodataError(f"--weight {item!r}: expected KEY=NUMBER, e.g. port=10")
    return weights


def _load(
    streets: Path | None,
    incidents: Path | None,
    places: Path | None,
    weight: list[str] | None,
    spacing: float,
    site_spacing: float,
    only: list[str] | None,
    seed: int,
) -> City:
    return load_city(
        streets=streets,
        incidents=incidents,
        places=places,
        category_weights=_parse_weights(weight),
        spacing_m=spacing,
        site_spacing_m=site_spacing,
        only=only or None,
        seed=seed,
        progress=sys.stderr.isatty(),
    )


def _fail(exc: GeodataError) -> typer.Exit:
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"error: {exc}", markup=False)
    return typer.Exit(2)


@app.command()
def summary(
    streets: Path | None = STREETS_OPT,
    incidents: Path | None = INCIDENTS_OPT,
    places: Path | None = PLACES_OPT,
    weight: list[str] | None = WEIGHT_OPT,
    spacing: float = SPACING_OPT,
    site_spacing: float = SITE_SPACING_OPT,
    only: list[str] | None = ONLY_OPT,
    seed: int = SEED_OPT,
) -> None:
    """Print a per-district table: area, street km, demand points, sites, hot-spot share."""
    from geodata.summary import district_summary

    started = time.perf_counter()
    try:
        city = _load(streets, incidents, places, weight, spacing, site_spacing, only, seed)
    except GeodataError as exc:
        raise _fail(exc) from None
    table = Table(title=f"Shenzhen city layers (loaded in {time.perf_counter() - started:.1f} s)")
    headers = {
        "district": "district",
        "name_zh": "名称",
        "area_km2": "area km2",
        "street_km": "street km",
        "demand_points": "demand pts",
        "candidate_sites": "sites",
        "intersections": "intersections",
        "weight_share_pct": "weight %",
        "hotspot_weight_pct": "hot-spot weight %",
    }
    frame = district_summary(city)
    for column, header in headers.items():
        table.add_column(header, justify="left" if column in ("district", "name_zh") else "right")
    for values in frame.to_dict(orient="records"):
        table.add_row(*(_cell(values[c]) for c in headers))
    console = Console(width=max(Console().width, 130))
    console.print(table)
    for layer, source in city.sources.items():
        console.print(f"{layer}: {source}")


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@app.command()
def export(
    out: Path = typer.Option(..., "--out", help="Output folder (created if missing)."),
    all_geojson: bool = typer.Option(
        False, "--all-geojson", help="Also write demand and candidate layers as GeoJSON."
    ),
    streets: Path | None = STREETS_OPT,
    incidents: Path | None = INCIDENTS_OPT,
    places: Path | None = PLACES_OPT,
    weight: list[str] | None = WEIGHT_OPT,
    spacing: float = SPACING_OPT,
    site_spacing: float = SITE_SPACING_OPT,
    only: list[str] | None = ONLY_OPT,
    seed: int = SEED_OPT,
) -> None:
    """Write the layers (GeoParquet + GeoJSON), summary.csv and map.png into --out."""
    from geodata.export import export_city

    try:
        if out.exists() and not out.is_dir():
            raise GeodataError(f"{out}: --out must be a folder, and this is a file")
        city = _load(streets, incidents, places, weight, spacing, site_spacing, only, seed)
    except GeodataError as exc:
        raise _fail(exc) from None
    written = export_city(city, out, all_geojson=all_geojson, progress=sys.stderr.isatty())
    for path in written:
        typer.echo(f"{path}  {path.stat().st_size / 1e6:,.1f} MB")


def register(root: typer.Typer) -> None:
    """Attach the geodata commands to the root ``safecity`` command."""
    root.add_typer(app, name="geodata")
