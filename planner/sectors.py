"""Placement options: (site, camera type, heading) triples, in flat numpy arrays.

Directional types are tried at the bearings of the streets leaving each candidate site
(rounded to whole degrees, duplicates dropped); 360-degree types get one disc option per
site. Existing cameras become fixed options on sites of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.catalog import Catalog
from planner.optimize.errors import PlannerInputError


@dataclass(frozen=True)
class Sites:
    """Camera positions: candidate sites first, then existing cameras."""

    xy: np.ndarray  # (n, 2) metric coordinates
    district: np.ndarray  # (n,) district name
    site_id: np.ndarray  # (n,) candidate site_id; -1 for existing cameras
    camera_id: np.ndarray  # (n,) existing camera id; "" for candidate sites

    def __len__(self) -> int:
        return len(self.xy)

    @classmethod
    def concat(cls, first: Sites, second: Sites) -> Sites:
        """Sites of ``first`` followed by those of ``second``."""
        return cls(
            *(
                np.concatenate([getattr(first, f), getattr(second, f)])
                for f in ("xy", "district", "site_id", "camera_id")
            )
        )


@dataclass(frozen=True)
class OptionSet:
    """Placement options, sorted by site; option ``i`` is one camera of one type and heading."""

    site: np.ndarray  # (m,) int32 row in Sites
    type_index: np.ndarray  # (m,) int16 position in the catalogue
    heading: np.ndarray  # (m,) azimuth in degrees clockwise from north; NaN for 360 types
    fixed: np.ndarray  # (m,) bool: an existing camera, always in the plan

    def __len__(self) -> int:
        return len(self.site)

    @classmethod
    def build(
        cls, site: np.ndarray, type_index: np.ndarray, heading: np.ndarray, fixed: np.ndarray
    ) -> OptionSet:
        """Options sorted by (site, type, heading)."""
        order = np.lexsort((heading, type_index, site))
        return cls(
            site=site[order].astype(np.int32),
            type_index=type_index[order].astype(np.int16),
            heading=heading[order].astype(np.float64),
            fixed=fixed[order].astype(bool),
        )

    @classmethod
    def concat(cls, first: OptionSet, second: OptionSet) -> OptionSet:
        """Options of both sets (site rows already refer to one Sites table)."""
        return cls.build(
            *(
                np.concatenate([getattr(first, f), getattr(second, f)])
                for f in ("site", "type_index", "heading", "fixed")
            )
        )


def candidate_sites_table(candidates: gpd.GeoDataFrame) -> Sites:
    """Sites of geodata's candidate sites, in their row order."""
    return Sites(
        xy=shapely.get_coordinates(candidates.geometry.values),
        district=candidates["district"].to_numpy(dtype=object),
        site_id=candidates["site_id"].to_numpy(dtype=np.int64),
        camera_id=np.full(len(candidates), "", dtype=object),
    )


def candidate_options(candidates: gpd.GeoDataFrame, catalog: Catalog) -> OptionSet:
    """Every (site, type, heading) option at geodata's candidate sites (rows 0..n-1)."""
    n_sites = len(candidates)
    bearings = candidates["bearings"].explode().dropna()
    rows = np.asarray(bearings.index.map(candidates.index.get_loc), dtype=np.int64)
    deg = np.round(bearings.to_numpy(dtype=np.float64)) % 360.0
    keys = np.unique(rows * 360 + deg.astype(np.int64))
    dir_site, dir_heading = keys // 360, (keys % 360).astype(np.float64)

    parts_site, parts_type, parts_heading = [], [], []
    for t, camera in enumerate(catalog.types):
        if camera.omnidirectional:
            parts_site.append(np.arange(n_sites))
            parts_heading.append(np.full(n_sites, np.nan))
        else:
            parts_site.append(dir_site)
            parts_heading.append(dir_heading)
        parts_type.append(np.full(len(parts_site[-1]), t))
    site = np.concatenate(parts_site)
    return OptionSet.build(
        site, np.concatenate(parts_type), np.concatenate(parts_heading), np.zeros(len(site), bool)
    )


def existing_options(
    existing: gpd.GeoDataFrame,
    catalog: Catalog,
    demand_xy: np.ndarray,
    first_site: int,
    source: str,
) -> tuple[Sites, OptionSet]:
    """Existing cameras as fixed options on new sites numbered from ``first_site``.

    A missing type is the catalogue's ``default_existing_type``; a directional camera
    without a heading is assumed to look at the nearest demand point (the street it faces).
    """
    xy = shapely.get_coordinates(existing.geometry.values)
    names = existing["type"].astype(object).where(existing["type"].notna(), catalog.existing_type)
    unknown = sorted(set(names) - set(catalog.names))
    if unknown:
        raise PlannerInputError(
            f"{source}: field type: unknown camera type {unknown[0]!r} "
            f"(catalogue {catalog.source} has: {', '.join(catalog.names)})"
        )
    type_index = pd.Categorical(names, categories=catalog.names).codes.astype(np.int16)
    heading = existing["heading"].to_numpy(dtype=np.float64) % 360.0
    omni = catalog.column("fov_deg")[type_index] >= 360.0
    heading[omni] = np.nan
    aim = np.isnan(heading) & ~omni
    if aim.any() and len(demand_xy):
        tree = shapely.STRtree(shapely.points(demand_xy))
        src, nearest = tree.query_nearest(shapely.points(xy[aim]), return_distance=False)
        d = demand_xy[nearest] - xy[aim][src]
        heading[np.flatnonzero(aim)[src]] = np.degrees(np.arctan2(d[:, 0], d[:, 1])) % 360.0
    heading[np.isnan(heading) & ~omni] = 0.0  # no demand at all: any heading will do
    n = len(existing)
    sites = Sites(
        xy=xy,
        district=existing["district"].to_numpy(dtype=object),
        site_id=np.full(n, -1, dtype=np.int64),
        camera_id=existing["camera_id"].astype(str).to_numpy(dtype=object),
    )
    options = OptionSet.build(
        np.arange(first_site, first_site + n), type_index, heading, np.ones(n, bool)
    )
    return sites, options
