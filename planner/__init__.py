"""planner package."""

from planner.optimize import (
    CoverageSolution,
    ExactMaxCoverage,
    MaxCoverage,
    MinCostCover,
    PlannerInputError,
)

__all__ = [
    "CoverageSolution",
    "ExactMaxCoverage",
    "MaxCoverage",
    "MinCostCover",
    "PlannerInputError",
]
