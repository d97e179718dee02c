"""City -> placement options -> sparse coverage -> optimizer -> Plan (with phases).

``plan_city`` is the whole planning job on an already loaded ``geodata.City``; the CLI
only parses flags, loads files and writes the result. Every input is checked before the
heavy work starts, so bad input fails fast with one clear ``PlannerInputError``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from geodata import City
from planner.catalog import DEFAULT_LEVEL, Catalog, load_catalog, pixel_density
from planner.city import crs_scale_factor
from planner.coverage import SectorModel, coverage_matrix
from planner.evaluate import CoverageTrace, trace_coverage
from planner.occlusion import Occluders
from planner.optimize import CoverageSolution, MaxCoverage, MinCostCover
from planner.optimize.errors import PlannerInputError
from planner.phases import DEFAULT_PHASES, PHASE_YEARS, PhasePlan, parse_phases
from planner.quotas import proportional_quotas
from planner.sectors import (
    OptionSet,
    Sites,
    candidate_options,
    candidate_sites_table,
    existing_options,
)

TB_PER_MBPS_30_DAYS = 30 * 86_400 / 8 / 1e6  # Mbit/s sustained for 30 days, in terabytes
Mode = Literal["max", "cover"]


@dataclass(frozen=True)
class PlanRequest:
    """What to plan.

    ``mode="max"``: place ``target`` new cameras (and/or spend at most ``budget`` CNY) to
    cover the most demand weight, within per-district ``quotas`` (None = proportional to
    demand weight). ``mode="cover"``: the cheapest set covering ``required`` of the weight
    of the demand points in ``scope`` that any option can see.
    """

    target: int | None = None
    budget: float | None = None
    level: str = DEFAULT_LEVEL
    catalog: Catalog = field(default_factory=load_catalog)
    quotas: pd.Series | None = None
    phases: PhasePlan = field(default_factory=lambda: parse_phases(DEFAULT_PHASES))
    mode: Mode = "max"
    required: float = 1.0
    scope: Literal["all", "hotspots"] = "hotspots"
    local_search: bool = True
    bound: str = "auto"
    time_limit: float | None = None

    def check(self) -> None:
        """Refuse nonsensical numbers before any data is loaded."""
        pixel_density(self.level)
        if self.mode == "max" and self.target is None and self.budget is None:
            raise PlannerInputError("give --target (number of new cameras), --budget, or both")
        if self.target is not None and self.target <= 0:
            raise PlannerInputError(
                f"--target must be a positive number of cameras, got {self.target}"
            )
        if self.budget is not None and not (np.isfinite(self.budget) and self.budget > 0):
            raise PlannerInputError(f"--budget must be a positive amount of CNY, got {self.budget}")
        if self.time_limit is not None and not self.time_limit > 0:
            raise PlannerInputError(f"--time-limit must be positive seconds, got {self.time_limit}")
        if not 0.0 < self.required <= 1.0:
            raise PlannerInputError(f"--required must be in (0, 1], got {self.required}")
        self.phases.check_target(self.target)


@dataclass
class Plan:
    """A finished plan: cameras, per-district and per-phase tables, curve and summary."""

    cameras: gpd.GeoDataFrame
    districts: pd.DataFrame
    phases: pd.DataFrame
    curve: np.ndarray
    summary: dict[str, Any]
    city: City
    buildings: gpd.GeoDataFrame | None = None


class _Clock:
    """Named wall-clock timings of the pipeline's steps."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - start, 3)


@dataclass(frozen=True)
class _Model:
    """Sites, options and the coverage matrix built from the city."""

    sites: Sites
    options: OptionSet
    coverage: sp.csc_matrix
    n_candidate_sites: int
    n_existing: int
    n_existing_elsewhere: int
    n_buildings: int

    @property
    def coverable(self) -> np.ndarray:
        """Demand points that at least one option (new or existing) can see."""
        return np.bincount(self.coverage.indices, minlength=self.coverage.shape[0]) > 0


def _existing_in_city(existing: gpd.GeoDataFrame, city: City, source: str) -> gpd.GeoDataFrame:
    """Existing cameras located in the planned districts.

    Cameras in districts left out by ``only`` are dropped; cameras outside every district
    of the city are an error.
    """
    districts = city.districts
    tree = shapely.STRtree(districts.geometry.values)
    cam_idx, district_idx = tree.query(existing.geometry.values, predicate="intersects")
    located = np.full(len(existing), None, dtype=object)
    located[cam_idx] = districts["district"].to_numpy()[district_idx]
    elsewhere = existing["district"].notna().to_numpy() & (located == None)  # noqa: E711
    outside = (located == None) & ~elsewhere  # noqa: E711
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        where = gpd.GeoSeries([existing.geometry.iloc[row]], crs=districts.crs).to_crs("EPSG:4326")
        raise PlannerInputError(
            f"{source}: {int(outside.sum())} camera(s) lie outside the city, e.g. "
            f"{existing['camera_id'].iloc[row]!r} at lon={where.x.iloc[0]:.5f}, "
            f"lat={where.y.iloc[0]:.5f}"
        )
    return existing[~elsewhere].assign(district=located[~elsewhere])


def _build_model(
    city: City,
    request: PlanRequest,
    existing: gpd.GeoDataFrame | None,
    existing_source: str,
    buildings: gpd.GeoDataFrame | None,
    progress: bool,
    executor: Executor | None = None,
) -> _Model:
    candidates = city.candidates
    sites = candidate_sites_table(candidates)
    options = candidate_options(candidates, request.catalog)
    n_existing = n_elsewhere = 0
    if existing is not None and len(existing):
        kept = _existing_in_city(existing, city, existing_source)
        n_elsewhere, existing = len(existing) - len(kept), kept
        demand_xy = shapely.get_coordinates(city.demand.geometry.values)
        extra_sites, extra_options = existing_options(
            existing, request.catalog, demand_xy, len(sites), existing_source
        )
        sites = Sites.concat(sites, extra_sites)
        options = OptionSet.concat(options, extra_options)
        n_existing = len(extra_sites)
    occluders = None
    if buildings is not None and len(buildings):
        occluders = Occluders(buildings.geometry.values)
    sector_model = SectorModel.from_catalog(
        request.catalog, request.level, crs_scale_factor(city.districts)
    )
    demand_xy = shapely.get_coordinates(city.demand.geometry.values)
    if executor is None:
        coverage = coverage_matrix(
            sites.xy, options, sector_model, demand_xy, occluders=occluders, progress=progress
        )
    else:  # the same matrix, built in spatial tiles on the executor (planner.tiles)
        from planner.tiles import tiled_coverage_matrix

        footprints = None if buildings is None or occluders is None else buildings.geometry.values
        coverage = tiled_coverage_matrix(
            sites.xy,
            options,
            sector_model,
            demand_xy,
            executor,
            footprints=footprints,
            crs=str(city.districts.crs),
            progress=progress,
        )
    return _Model(
        sites=sites,
        options=options,
        coverage=coverage,
        n_candidate_sites=len(candidates),
        n_existing=n_existing,
        n_existing_elsewhere=n_elsewhere,
        n_buildings=0 if occluders is None else occluders.count,
    )


def _district_quotas(city: City, request: PlanRequest) -> pd.Series | None:
    names = list(city.districts["district"])
    if request.quotas is not None:
        return request.quotas.reindex(names, fill_value=0)
    if request.target is None:
        return None
    weight = city.demand.groupby("district")["weight"].sum().reindex(names, fill_value=0.0)
    return proportional_quotas(weight, request.target)


def _solve(
    model: _Model, city: City, request: PlanRequest, quotas: pd.Series | None, progress: bool
) -> tuple[CoverageSolution, np.ndarray]:
    """Run the optimizer; returns the solution and the weights it optimised."""
    options = model.options
    weights = city.demand["weight"].to_numpy(dtype=np.float64)
    costs = request.catalog.column("unit_cost_cny")[options.type_index]
    fixed = np.flatnonzero(options.fixed)
    if request.mode == "cover":
        in_scope = (
            city.demand["hotspot"].to_numpy(dtype=bool)
            if request.scope == "hotspots"
            else np.ones(len(weights), dtype=bool)
        )
        rows = np.flatnonzero(in_scope & model.coverable)
        if not len(rows):
            raise PlannerInputError(f"no demand point in scope {request.scope!r} can be covered")
        solution = MinCostCover(
            model.coverage[rows],
            costs,
            weights=weights[rows],
            required=request.required,
            site_of=options.site,
            fixed=fixed,
            time_limit=request.time_limit,
            progress=progress,
        ).solve()
        return solution, weights
    names = list(city.districts["district"])
    district_of_option = pd.Categorical(
        model.sites.district[options.site], categories=names
    ).codes.astype(np.int64)
    solution = MaxCoverage(
        model.coverage,
        weights,
        k=request.target,
        costs=costs,
        budget=request.budget,
        groups=None if quotas is None else district_of_option,
        quotas=None if quotas is None else quotas.to_numpy(dtype=np.int64),
        site_of=options.site,
        fixed=fixed,
        local_search=request.local_search,
        bound=request.bound,
        time_limit=request.time_limit,
        progress=progress,
    ).solve()
    return solution, weights


def _camera_table(
    model: _Model, request: PlanRequest, chosen: np.ndarray, trace: CoverageTrace, city: City
) -> gpd.GeoDataFrame:
    """One row per camera: existing ones first, then new ones in selection order."""
    catalog, options, sites = request.catalog, model.options, model.sites
    fixed = np.flatnonzero(options.fixed)
    order = np.concatenate([fixed, chosen]).astype(np.int64)
    site = options.site[order]
    n_new = len(chosen)
    is_new = np.r_[np.zeros(len(fixed), bool), np.ones(n_new, bool)]
    phase_names = np.array(request.phases.names, dtype=object)[request.phases.assign(n_new)]
    district = sites.district[site]
    seq = pd.Series(np.ones(n_new, dtype=np.int64)).groupby(district[is_new]).cumsum().to_numpy()
    new_ids = pd.Series(district[is_new]).str.cat(pd.Series(seq).astype(str).str.zfill(6), sep="-")
    frame = pd.DataFrame(
        {
            "camera_id": np.concatenate([sites.camera_id[site[~is_new]], new_ids.to_numpy()]),
            "district": district,
            "type": np.array(catalog.names, dtype=object)[options.type_index[order]],
            "heading": options.heading[order],
            "phase": np.concatenate([np.full(len(fixed), "existing", dtype=object), phase_names]),
            "rank": np.r_[np.zeros(len(fixed), np.int64), np.arange(1, n_new + 1)],
            "marginal_gain": np.r_[np.full(len(fixed), np.nan), trace.gains],
            "site_id": sites.site_id[site],
            "cost": np.where(
                is_new, catalog.column("unit_cost_cny")[options.type_index[order]], 0.0
            ),
            "bitrate_mbps": catalog.column("bitrate_mbps")[options.type_index[order]],
            "existing": ~is_new,
        }
    )
    geometry = gpd.GeoSeries(shapely.points(sites.xy[site]), crs=city.districts.crs)
    lonlat = shapely.get_coordinates(geometry.to_crs("EPSG:4326").values)
    frame.insert(2, "lon", lonlat[:, 0])
    frame.insert(3, "lat", lonlat[:, 1])
    return gpd.GeoDataFrame(frame, geometry=geometry.values, crs=city.districts.crs)


def _district_table(
    city: City, cameras: gpd.GeoDataFrame, trace: CoverageTrace, quotas: pd.Series | None
) -> pd.DataFrame:
    names = list(city.districts["district"])
    demand = city.demand
    covered = trace.covered
    weight = demand["weight"].to_numpy(dtype=np.float64)
    hot = demand["hotspot"].to_numpy(dtype=bool)
    length = demand["length_m"].to_numpy(dtype=np.float64) / crs_scale_factor(city.districts)
    per_point = pd.DataFrame(
        {
            "district": demand["district"].to_numpy(),
            "weight": weight,
            "covered_weight": weight * covered,
            "hot_weight": weight * hot,
            "hot_covered": weight * (hot & covered),
            "km": length / 1000.0,
            "covered_km": length * covered / 1000.0,
        }
    )
    d = per_point.groupby("district").sum().reindex(names, fill_value=0.0)
    new = cameras[~cameras["existing"]]
    placed = new.groupby("district").size().reindex(names, fill_value=0)
    old = cameras[cameras["existing"]]
    table = pd.DataFrame(
        {
            "district": names,
            "quota": (placed if quotas is None else quotas.reindex(names, fill_value=0)).to_numpy(),
            "existing": old.groupby("district").size().reindex(names, fill_value=0).to_numpy(),
            "placed": placed.to_numpy(),
            "cost_cny": _sum_by(new, "cost", names),
            "covered_weight_pct": _pct(d["covered_weight"], d["weight"]),
            "street_km": d["km"].to_numpy(),
            "covered_street_km": d["covered_km"].to_numpy(),
            "hotspot_coverage_pct": _pct(d["hot_covered"], d["hot_weight"]),
            "bandwidth_mbps": _sum_by(new, "bitrate_mbps", names),
        }
    )
    table["storage_tb_30d"] = table["bandwidth_mbps"] * TB_PER_MBPS_30_DAYS
    return table


def _sum_by(frame: pd.DataFrame, column: str, names: list[str]) -> np.ndarray:
    """Per-district sum of ``column`` in ``names`` order (0 where absent)."""
    return frame.groupby("district")[column].sum().reindex(names, fill_value=0.0).to_numpy()


def _pct(part: pd.Series, whole: pd.Series) -> np.ndarray:
    whole_arr = whole.to_numpy(dtype=np.float64)
    return np.divide(
        100.0 * part.to_numpy(dtype=np.float64),
        whole_arr,
        out=np.zeros_like(whole_arr),
        where=whole_arr > 0,
    )


def _phase_table(
    request: PlanRequest, trace: CoverageTrace, cameras: gpd.GeoDataFrame, total: float
) -> pd.DataFrame:
    counts = request.phases.counts(len(trace.gains))
    ends = np.cumsum(counts)
    starts = ends - counts
    new = cameras[~cameras["existing"]]
    cost = new.groupby("phase")["cost"].sum()
    table = pd.DataFrame(
        {
            "phase": list(request.phases.names),
            "years": [PHASE_YEARS.get(n, "") for n in request.phases.names],
            "cameras": counts,
            "cost_cny": [float(cost.get(n, 0.0)) for n in request.phases.names],
            "added_weight": trace.curve[ends] - trace.curve[starts],
            "cumulative_weight": trace.curve[ends],
        }
    )
    table["added_pct"] = 100.0 * table["added_weight"] / total if total > 0 else 0.0
    table["cumulative_pct"] = 100.0 * table["cumulative_weight"] / total if total > 0 else 0.0
    return table


def plan_city(
    city: City,
    request: PlanRequest,
    *,
    existing: gpd.GeoDataFrame | None = None,
    existing_source: str = "existing cameras",
    buildings: gpd.GeoDataFrame | None = None,
    progress: bool = False,
    executor: Executor | None = None,
) -> Plan:
    """Plan cameras for ``city``: options, coverage, optimisation, tables and summary.

    With an ``executor`` (see ``safecity.executors``) the coverage matrix is built in
    spatial tiles on it (local processes or a Dask cluster); the result is identical.
    """
    request.check()
    clock = _Clock()
    n_sites = len(city.candidates)
    if request.target is not None and request.target > n_sites:
        raise PlannerInputError(
            f"--target {request.target} exceeds the {n_sites} candidate sites of the city "
            "(at most one new camera per site)"
        )
    quotas = _district_quotas(city, request)
    with clock.step("options_and_coverage"):
        model = _build_model(
            city, request, existing, existing_source, buildings, progress, executor
        )
    with clock.step("solve"):
        solution, weights = _solve(model, city, request, quotas, progress)
    with clock.step("evaluate"):
        fixed = np.flatnonzero(model.options.fixed)
        trace = trace_coverage(model.coverage, weights, solution.chosen, fixed)
        cameras = _camera_table(model, request, solution.chosen, trace, city)
        total_weight = float(weights.sum())
        districts = _district_table(city, cameras, trace, quotas if request.mode == "max" else None)
        phases = _phase_table(request, trace, cameras, total_weight)
    summary = _summary(city, request, model, solution, trace, districts, phases, total_weight)
    solver_timings = {f"solver_{k}": v for k, v in solution.timings.items()}
    summary["timings_s"] = {**clock.seconds, **solver_timings}
    return Plan(
        cameras=cameras,
        districts=districts,
        phases=phases,
        curve=trace.curve,
        summary=summary,
        city=city,
        buildings=buildings,
    )


def _max_coverage_bound(
    model: _Model, solution: CoverageSolution, weight: np.ndarray, covered: float
) -> tuple[float | None, float | None, str]:
    """The solver's upper bound, tightened to the weight any option can see at all."""
    coverable = float(weight[model.coverable].sum())
    bound, method = solution.upper_bound, solution.bound_method
    if bound is None or coverable < bound:
        bound, method = coverable, "coverable weight"
    gap = 1.0 - covered / bound if bound > 0 else 0.0
    return bound, max(gap, 0.0), method


def _saturation_note(request: PlanRequest, solution: CoverageSolution) -> str:
    """Why fewer cameras than the target were placed, if so."""
    if request.mode != "max" or request.target is None or len(solution.chosen) >= request.target:
        return ""
    placed = f"placed {len(solution.chosen):,} of the {request.target:,} target: "
    cheapest = float(request.catalog.column("unit_cost_cny").min())
    if request.budget is not None and solution.cost + cheapest > request.budget:
        return placed + f"the budget of {request.budget:,.0f} CNY is spent"
    return placed + (
        "further cameras add no coverage (every demand point a candidate can see is "
        "covered, or the remaining quota lies in districts already covered)"
    )


def _summary(
    city: City,
    request: PlanRequest,
    model: _Model,
    solution: CoverageSolution,
    trace: CoverageTrace,
    districts: pd.DataFrame,
    phases: pd.DataFrame,
    total_weight: float,
) -> dict[str, Any]:
    covered = float(trace.curve[-1])
    catalog = request.catalog
    ranges = catalog.ranges_m(request.level)
    hot = city.demand["hotspot"].to_numpy(dtype=bool)
    weight = city.demand["weight"].to_numpy(dtype=np.float64)
    upper, gap, method = _max_coverage_bound(model, solution, weight, covered)
    if request.mode == "cover":
        upper, gap, method = None, solution.gap, solution.bound_method
    return {
        "mode": "max_coverage" if request.mode == "max" else "min_cost_cover",
        "target": request.target,
        "budget_cny": request.budget,
        "required": request.required if request.mode == "cover" else None,
        "scope": request.scope if request.mode == "cover" else "all",
        "dori_level": request.level,
        "placed": len(solution.chosen),
        "existing": model.n_existing,
        "existing_outside_selected_districts": model.n_existing_elsewhere,
        "total_cameras": int(len(solution.chosen) + model.n_existing),
        "cost_cny": float(districts["cost_cny"].sum()),
        "covered_weight": covered,
        "total_weight": total_weight,
        "covered_pct": 100.0 * covered / total_weight if total_weight > 0 else 0.0,
        "existing_covered_weight": float(trace.curve[0]),
        "upper_bound": upper,
        "upper_bound_pct": 100.0 * upper / total_weight if upper and total_weight > 0 else None,
        "cost_lower_bound": solution.lower_bound if request.mode == "cover" else None,
        "gap": gap,
        "bound_method": method,
        "solver_status": solution.status,
        "note": _saturation_note(request, solution),
        "street_km": float(districts["street_km"].sum()),
        "covered_street_km": float(districts["covered_street_km"].sum()),
        "hotspot_coverage_pct": float(
            _pct(pd.Series([weight[hot & trace.covered].sum()]), pd.Series([weight[hot].sum()]))[0]
        ),
        "bandwidth_mbps": float(districts["bandwidth_mbps"].sum()),
        "storage_tb_30d": float(districts["storage_tb_30d"].sum()),
        "sizes": {
            "districts": len(city.districts),
            "demand_points": len(city.demand),
            "candidate_sites": model.n_candidate_sites,
            "options": len(model.options),
            "coverage_nonzeros": int(model.coverage.nnz),
            "buildings": model.n_buildings,
        },
        "catalog": {
            "source": catalog.source,
            "types": [
                {
                    "name": t.name,
                    "horizontal_px": t.horizontal_px,
                    "fov_deg": t.fov_deg,
                    "range_m": round(float(r), 2),
                    "unit_cost_cny": t.unit_cost_cny,
                    "bitrate_mbps": t.bitrate_mbps,
                }
                for t, r in zip(catalog.types, ranges, strict=True)
            ],
        },
        "phases": phases.to_dict(orient="records"),
        "inputs": dict(city.sources),
    }
