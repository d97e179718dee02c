"""The result object every coverage solver returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class CoverageSolution:
    """Chosen options with their value and a bound certifying how good they are.

    For maximum coverage the objective is covered weight: ``lower_bound`` is the value
    reached, ``upper_bound`` a proven bound on the optimum and ``gap = 1 - covered /
    upper_bound``. For minimum-cost cover the objective is cost: ``upper_bound`` is the
    cost reached, ``lower_bound`` a proven bound on the cheapest cover and ``gap = 1 -
    lower_bound / cost``.

    ``chosen`` holds the new options in selection order and ``gains`` the marginal value
    of each at its pick, so a rollout can be split into phases by prefix.
    ``covered_weight`` includes what the fixed (existing) options already cover
    (``fixed_weight``); with multi-coverage it is the valued coverage and
    ``total_weight`` the most that any plan could reach.
    """

    chosen: np.ndarray
    gains: np.ndarray
    covered_weight: float
    total_weight: float
    cost: float
    upper_bound: float | None
    lower_bound: float | None
    bound_method: str
    gap: float | None
    status: str
    timings: dict[str, float] = field(default_factory=dict)
    fixed_weight: float = 0.0

    @property
    def covered_share(self) -> float:
        """Covered weight as a fraction of the total weight (0 when there is none)."""
        return self.covered_weight / self.total_weight if self.total_weight > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary without the per-option arrays."""
        return {
            "n_chosen": int(self.chosen.size),
            "covered_weight": self.covered_weight,
            "total_weight": self.total_weight,
            "covered_share": self.covered_share,
            "fixed_weight": self.fixed_weight,
            "cost": self.cost,
            "upper_bound": self.upper_bound,
            "lower_bound": self.lower_bound,
            "bound_method": self.bound_method,
            "gap": self.gap,
            "status": self.status,
            "timings": dict(self.timings),
        }
