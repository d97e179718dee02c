"""planner: coverage model (catalogue, DORI ranges, sectors, occlusion) and placement optimizer.

Geometry side: ``load_catalog`` -> ``SectorModel`` -> ``coverage_matrix`` (scipy.sparse);
``plan_city(City, PlanRequest)`` runs the whole job; ``planner.outputs.write_plan`` its files.
"""

from planner.catalog import DORI_PX_PER_M, CameraType, Catalog, dori_range_m, load_catalog
from planner.city import load_plan_city
from planner.coverage import SectorModel, coverage_matrix
from planner.optimize import (
    CoverageSolution,
    ExactMaxCoverage,
    MaxCoverage,
    MinCostCover,
    PlannerInputError,
)
from planner.pipeline import Plan, PlanRequest, plan_city

__all__ = [
    "DORI_PX_PER_M",
    "CameraType",
    "Catalog",
    "CoverageSolution",
    "ExactMaxCoverage",
    "MaxCoverage",
    "MinCostCover",
    "Plan",
    "PlanRequest",
    "PlannerInputError",
    "SectorModel",
    "coverage_matrix",
    "dori_range_m",
    "load_catalog",
    "load_plan_city",
    "plan_city",
]
