"""Rollout phases: split the greedy order of new cameras into named phases.

Default: the "Safe Shenzhen" plan's three phases, launch (2006), full build-out (2007),
acceptance and consolidation (2008-2009), taking 30 %, 50 % and 20 % of the new cameras.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from planner.apportion import largest_remainder
from planner.optimize.errors import PlannerInputError

DEFAULT_PHASES = "launch=30%,buildout=50%,consolidation=20%"
PHASE_YEARS = {"launch": "2006", "buildout": "2007", "consolidation": "2008-2009"}
_ITEM = re.compile(r"^\s*([A-Za-z][\w-]*)\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*(%?)\s*$")


@dataclass(frozen=True)
class PhasePlan:
    """Phase names with either percentages of the placed cameras or absolute counts."""

    names: tuple[str, ...]
    amounts: tuple[float, ...]
    percent: bool

    def counts(self, placed: int) -> np.ndarray:
        """Cameras per phase for ``placed`` new cameras (counts are cut off at ``placed``)."""
        if self.percent:
            return largest_remainder(np.array(self.amounts), placed)
        ends = np.minimum(np.cumsum(np.array(self.amounts, dtype=np.int64)), placed)
        return np.diff(np.concatenate([[0], ends]))

    def assign(self, placed: int) -> np.ndarray:
        """Phase index of each of the ``placed`` cameras, in greedy order."""
        return np.repeat(np.arange(len(self.names)), self.counts(placed))

    def check_target(self, target: int | None) -> None:
        """Absolute counts must add up to the target."""
        if not self.percent and target is not None and sum(self.amounts) != target:
            raise PlannerInputError(
                f"--phases: counts sum to {int(sum(self.amounts))}, not the target {target}"
            )


def parse_phases(spec: str) -> PhasePlan:
    """Parse ``'launch=30%,buildout=50%,consolidation=20%'`` or ``'a=1000,b=500'``."""
    items = [_ITEM.match(part) for part in spec.split(",")]
    if not spec.strip() or any(m is None for m in items):
        raise PlannerInputError(
            f"--phases {spec!r}: expected name=percent% or name=count items separated by commas"
        )
    names = tuple(m.group(1) for m in items if m)
    amounts = tuple(float(m.group(2)) for m in items if m)
    kinds = {m.group(3) for m in items if m}
    if len(kinds) > 1:
        raise PlannerInputError(f"--phases {spec!r}: mix of percentages and counts")
    if len(set(names)) != len(names):
        raise PlannerInputError(f"--phases {spec!r}: a phase name is repeated")
    percent = kinds == {"%"}
    if percent and abs(sum(amounts) - 100.0) > 1e-6:
        raise PlannerInputError(f"--phases {spec!r}: percentages sum to {sum(amounts):g}, not 100")
    if not percent and any(a != int(a) or a <= 0 for a in amounts):
        raise PlannerInputError(f"--phases {spec!r}: counts must be whole numbers > 0")
    if percent and any(a <= 0 for a in amounts):
        raise PlannerInputError(f"--phases {spec!r}: percentages must be > 0")
    return PhasePlan(names=names, amounts=amounts, percent=percent)
