"""Per-district quotas of new cameras: proportional to demand weight, or read from a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.apportion import largest_remainder
from planner.optimize.errors import PlannerInputError


def proportional_quotas(weight_by_district: pd.Series, target: int) -> pd.Series:
    """Quotas proportional to each district's share of demand weight, summing to ``target``."""
    quotas = largest_remainder(weight_by_district.to_numpy(dtype=np.float64), target)
    return pd.Series(quotas, index=weight_by_district.index, name="quota")


def read_quotas(path: str | Path, districts: list[str], target: int | None) -> pd.Series:
    """Quotas from a CSV with columns ``district,quota``; districts not listed get 0.

    The quotas are caps on new cameras per district, so they must add up to at least the
    target (otherwise the target is unreachable).
    """
    path = Path(path)
    if not path.is_file():
        raise PlannerInputError(f"quotas file {path} does not exist")
    try:
        table = pd.read_csv(path, dtype={"district": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise PlannerInputError(f"{path}: not a readable CSV ({exc})") from None
    missing = {"district", "quota"} - set(table.columns)
    if missing:
        raise PlannerInputError(f"{path}: missing column(s) {sorted(missing)}")
    names = table["district"].astype(str).str.strip()
    unknown = sorted(set(names) - set(districts))
    if unknown:
        raise PlannerInputError(
            f"{path}: field district: unknown district {unknown[0]!r} "
            f"(known: {', '.join(districts)})"
        )
    twice = sorted(names[names.duplicated()].unique())
    if twice:
        raise PlannerInputError(f"{path}: field district: {twice[0]!r} listed twice")
    values = pd.to_numeric(table["quota"], errors="coerce")
    bad = ~(values.notna() & (values >= 0) & (values == np.floor(values)))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise PlannerInputError(
            f"{path}: field quota: {table['quota'].iloc[row]} for {names.iloc[row]} "
            "is not a whole number >= 0"
        )
    quotas = pd.Series(values.to_numpy(dtype=np.int64), index=names.to_numpy(), name="quota")
    quotas = quotas.reindex(districts, fill_value=0)
    if target is not None and int(quotas.sum()) < target:
        raise PlannerInputError(
            f"{path}: quotas sum to {int(quotas.sum())}, less than the target {target}"
        )
    if int(quotas.sum()) == 0:
        raise PlannerInputError(f"{path}: quotas sum to 0; nothing could be placed")
    return quotas
