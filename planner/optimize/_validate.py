"""Check solver arguments once and turn them into one normalised `Problem`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp

from planner.optimize.errors import PlannerInputError

BOUND_METHODS = ("auto", "lp", "lagrangian", "online", "none")
MAX_VIEW_LEVELS = 250


@dataclass
class Problem:
    """Validated coverage instance: structure only (CSC of options x points), no geometry.

    ``marginal[c]`` is the value fraction of the (c+1)-th view of a point; the last entry
    is 0 so the count of views can be clipped to ``levels`` before looking it up.
    """

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    n_points: int
    n_options: int
    k: int | None
    costs: np.ndarray | None
    budget: float | None
    groups: np.ndarray | None
    quotas: np.ndarray | None
    site_of: np.ndarray | None
    fixed: np.ndarray
    marginal: np.ndarray
    time_limit: float | None

    @property
    def levels(self) -> int:
        """Number of views of a point that still add value."""
        return int(self.marginal.size - 1)

    @property
    def nnz(self) -> int:
        """Number of (point, option) coverage pairs."""
        return int(self.indices.size)

    @cached_property
    def eligible(self) -> np.ndarray:
        """Options that may be picked: not fixed and not on a site a fixed option occupies."""
        ok = np.ones(self.n_options, dtype=bool)
        ok[self.fixed] = False
        if self.site_of is not None and self.fixed.size:
            taken = np.zeros(int(self.site_of.max()) + 1, dtype=bool)
            taken[self.site_of[self.fixed]] = True
            ok &= ~taken[self.site_of]
        return ok

    @cached_property
    def indptr_list(self) -> list[int]:
        """Column pointers as Python ints, for scalar access in the greedy loop."""
        return self.indptr.tolist()

    @cached_property
    def csr(self) -> tuple[np.ndarray, np.ndarray]:
        """(indptr, option indices) of the points x options matrix, built on first use."""
        data = np.ones(self.indices.size, dtype=np.int8)
        csc = sp.csc_array((data, self.indices, self.indptr), shape=(self.n_points, self.n_options))
        csr = csc.tocsr()
        return csr.indptr, csr.indices

    @cached_property
    def sites_nested_in_groups(self) -> bool:
        """True when every site's options all belong to one group."""
        if self.site_of is None or self.groups is None:
            return True
        order = np.lexsort((self.groups, self.site_of))
        s, g = self.site_of[order], self.groups[order]
        same_site = s[1:] == s[:-1]
        return bool(np.all(g[1:][same_site] == g[:-1][same_site]))

    def total_value(self) -> float:
        """Largest value any plan can reach: every point seen as often as still pays."""
        return float(self.weights.sum() * self.marginal.sum())


def _array(value: Any, name: str, dtype: Any, length: int | None) -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim != 1:
        raise PlannerInputError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if length is not None and arr.size != length:
        raise PlannerInputError(f"{name} has {arr.size} entries, expected {length}")
    if dtype is np.float64:
        if not np.issubdtype(arr.dtype, np.number):
            raise PlannerInputError(f"{name} must be numeric, got dtype {arr.dtype}")
        arr = arr.astype(np.float64, copy=False)
        bad = ~np.isfinite(arr)
        if bad.any():
            raise PlannerInputError(f"{name}[{int(np.argmax(bad))}] is not finite")
        return arr
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise PlannerInputError(f"{name} must hold integers, got dtype {arr.dtype}")
    return arr.astype(dtype, copy=False)


def _structure(coverage: Any) -> tuple[np.ndarray, np.ndarray, int, int]:
    """CSC structure (indptr, int32 point indices) of the nonzeros of the coverage matrix."""
    if not sp.issparse(coverage):
        raise PlannerInputError(
            f"coverage must be a scipy.sparse matrix (points x options), got {type(coverage)!r}"
        )
    if coverage.ndim != 2:
        raise PlannerInputError(f"coverage must be 2-dimensional, got {coverage.ndim}")
    n_points, n_options = (int(s) for s in coverage.shape)
    if n_points == 0 or n_options == 0:
        raise PlannerInputError(f"coverage is empty: shape {coverage.shape}")
    csc = coverage if coverage.format == "csc" else coverage.tocsc()
    if not csc.has_canonical_format:
        csc = csc.copy()
        csc.sum_duplicates()
    if csc.nnz and not np.all(csc.data != 0):
        csc = csc.copy()
        csc.eliminate_zeros()
    indices = csc.indices.astype(np.int32, copy=False)
    indptr = csc.indptr.astype(np.int64, copy=False)
    return indptr, indices, n_points, n_options


def _view_values(multi_coverage: Sequence[float] | None) -> np.ndarray:
    if multi_coverage is None:
        return np.array([1.0, 0.0])
    fr = np.asarray(tuple(multi_coverage), dtype=np.float64)
    if fr.ndim != 1 or fr.size == 0 or fr.size > MAX_VIEW_LEVELS:
        raise PlannerInputError(
            f"multi_coverage must be 1 to {MAX_VIEW_LEVELS} value fractions, got {multi_coverage!r}"
        )
    if not np.all(np.isfinite(fr)) or np.any(fr <= 0) or np.any(fr > 1):
        raise PlannerInputError(f"multi_coverage fractions must lie in (0, 1], got {fr.tolist()}")
    if np.any(np.diff(fr) > 0):
        raise PlannerInputError(
            f"multi_coverage fractions must not increase (diminishing returns), got {fr.tolist()}"
        )
    return np.append(fr, 0.0)


def _fixed(fixed: Any, n_options: int) -> np.ndarray:
    if fixed is None:
        return np.zeros(0, dtype=np.int64)
    arr = np.asarray(fixed)
    if arr.dtype == bool:
        if arr.shape != (n_options,):
            raise PlannerInputError(f"fixed mask has shape {arr.shape}, expected ({n_options},)")
        return np.flatnonzero(arr)
    arr = _array(arr, "fixed", np.int64, None)
    bad = (arr < 0) | (arr >= n_options)
    if bad.any():
        raise PlannerInputError(
            f"fixed index {int(arr[np.argmax(bad)])} is out of range (0..{n_options - 1})"
        )
    return np.unique(arr)


def _groups_quotas(
    groups: Any, quotas: Any, n_options: int
) -> tuple[np.ndarray | None, np.ndarray | None]:
    if groups is None:
        if quotas is not None:
            raise PlannerInputError("quotas were given without groups")
        return None, None
    g = _array(groups, "groups", np.int32, n_options)
    if g.size and g.min() < -1:
        raise PlannerInputError(f"groups[{int(np.argmin(g))}] = {int(g.min())}; use -1 for none")
    if quotas is None:
        return g, None
    q = _array(quotas, "quotas", np.int64, None)
    if q.size and q.min() < 0:
        raise PlannerInputError(f"quotas[{int(np.argmin(q))}] = {int(q.min())} is negative")
    if g.size and g.max() >= q.size:
        raise PlannerInputError(
            f"groups name group {int(g.max())} but quotas has only {q.size} entries"
            f" (groups 0..{q.size - 1})"
        )
    return g, q


def _capacity(p: Problem) -> int:
    """Most new options a plan can hold: one per free site, at most the quota per group."""
    elig = np.flatnonzero(p.eligible)
    unit = p.site_of[elig] if p.site_of is not None else elig
    if p.groups is None or p.quotas is None:
        return int(np.unique(unit).size)
    g = p.groups[elig]
    pairs = np.unique(np.stack([g.astype(np.int64), unit.astype(np.int64)]), axis=1)
    per_group = np.bincount(pairs[0] + 1, minlength=p.quotas.size + 1)
    return int(per_group[0] + np.minimum(per_group[1:], p.quotas).sum())


def validate_max_coverage(
    coverage: Any,
    weights: Any,
    *,
    k: int | None,
    costs: Any,
    budget: float | None,
    groups: Any,
    quotas: Any,
    site_of: Any,
    fixed: Any,
    multi_coverage: Sequence[float] | None,
    time_limit: float | None,
) -> Problem:
    """Validate maximum-coverage arguments; raise PlannerInputError naming the first problem."""
    p = _common(coverage, weights, costs, site_of, fixed, multi_coverage, time_limit)
    if k is None and budget is None:
        raise PlannerInputError("give a camera count k, a budget, or both")
    if k is not None:
        if isinstance(k, bool) or int(k) != k:
            raise PlannerInputError(f"k must be an integer, got {k!r}")
        if k <= 0:
            raise PlannerInputError(f"k must be positive, got {k}")
        p.k = int(k)
    if budget is not None:
        if not np.isfinite(budget) or budget <= 0:
            raise PlannerInputError(f"budget must be a positive number, got {budget!r}")
        if p.costs is None:
            raise PlannerInputError("a budget needs costs (one unit cost per option)")
        p.budget = float(budget)
    p.groups, p.quotas = _groups_quotas(groups, quotas, p.n_options)
    if p.k is not None:
        cap = _capacity(p)
        if p.k > cap:
            why = "within the quotas, " if p.quotas is not None else ""
            raise PlannerInputError(
                f"k = {p.k} exceeds the {cap} options that can be placed ({why}one per free"
                f" site, {p.fixed.size} fixed options excluded)"
            )
    return p


def validate_min_cost(
    coverage: Any,
    costs: Any,
    *,
    weights: Any,
    required: float,
    site_of: Any,
    fixed: Any,
    time_limit: float | None,
) -> Problem:
    """Validate minimum-cost-cover arguments (``required`` is checked by the solver)."""
    if costs is None:
        raise PlannerInputError("costs are required for a minimum-cost cover")
    if not np.isfinite(required) or not 0 < required <= 1:
        raise PlannerInputError(f"required must be a fraction in (0, 1], got {required!r}")
    n_points = coverage.shape[0] if sp.issparse(coverage) else 0
    w = np.ones(n_points) if weights is None else weights
    return _common(coverage, w, costs, site_of, fixed, None, time_limit)


def _common(
    coverage: Any,
    weights: Any,
    costs: Any,
    site_of: Any,
    fixed: Any,
    multi_coverage: Sequence[float] | None,
    time_limit: float | None,
) -> Problem:
    indptr, indices, n_points, n_options = _structure(coverage)
    w = _array(weights, "weights", np.float64, n_points)
    if w.size and w.min() < 0:
        raise PlannerInputError(f"weights[{int(np.argmin(w))}] = {w.min()} is negative")
    c = None
    if costs is not None:
        c = _array(costs, "costs", np.float64, n_options)
        if c.min() <= 0:
            raise PlannerInputError(f"costs[{int(np.argmin(c))}] = {c.min()} is not positive")
    s = None
    if site_of is not None:
        s = _array(site_of, "site_of", np.int64, n_options)
        if s.min() < 0:
            raise PlannerInputError(f"site_of[{int(np.argmin(s))}] = {s.min()} is negative")
    if time_limit is not None and (not np.isfinite(time_limit) or time_limit <= 0):
        raise PlannerInputError(
            f"time_limit must be a positive number of seconds, got {time_limit}"
        )
    return Problem(
        indptr=indptr,
        indices=indices,
        weights=w,
        n_points=n_points,
        n_options=n_options,
        k=None,
        costs=c,
        budget=None,
        groups=None,
        quotas=None,
        site_of=s,
        fixed=_fixed(fixed, n_options),
        marginal=_view_values(multi_coverage),
        time_limit=time_limit,
    )
