"""planner package."""

from planner.optimize import CoverageSolution, MaxCoverage, PlannerInputError

__all__ = ["CoverageSolution", "MaxCoverage", "PlannerInputError"]
