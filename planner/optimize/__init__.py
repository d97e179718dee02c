"""Array-level coverage optimizer: no geometry, just a sparse points x options matrix.

Public API: MaxCoverage, ExactMaxCoverage, MinCostCover, CoverageSolution,
PlannerInputError. See each class docstring for the formulation it solves.
"""

from planner.optimize.errors import PlannerInputError
from planner.optimize.exact import ExactMaxCoverage
from planner.optimize.max_coverage import MaxCoverage
from planner.optimize.mincost import MinCostCover
from planner.optimize.solution import CoverageSolution

__all__ = [
    "CoverageSolution",
    "ExactMaxCoverage",
    "MaxCoverage",
    "MinCostCover",
    "PlannerInputError",
]
