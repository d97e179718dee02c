"""Coverage models for HiGHS (LP relaxation or ILP) built from a validated Problem.

Max coverage:   max  sum_pl v_pl y_pl
                s.t. sum_l y_pl - sum_{j covers p} x_j <= 0     (each point p)
                     sum_j x_j <= k,  sum_j c_j x_j <= budget,
                     sum_{j in g} x_j <= quota_g,  sum_{j at s} x_j <= 1,
                     0 <= x, y <= 1  (x integer for the ILP)
where v_pl is the value of the l-th still-missing view of p after the fixed options.
Min-cost cover: min sum_j c_j x_j  s.t. y_p <= sum_{j covers p} x_j, sum_p w_p y_p >= R,
                sum_{j at s} x_j <= 1, 0 <= x, y <= 1 (y = 1 when all weight is required).
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from planner.optimize._sparse import gather
from planner.optimize._validate import Problem


@dataclass
class Model:
    """A HiGHS model plus what is needed to read a plan back from its solution."""

    lp: highspy.HighsLp
    options: np.ndarray  # option index of each x column (the first columns)
    constant: float


@dataclass
class ModelResult:
    """Outcome of one HiGHS run."""

    status: str  # "optimal" | "time_limit" | "infeasible" | "error"
    objective: float
    dual_bound: float
    x: np.ndarray | None


def _fixed_counts(p: Problem) -> np.ndarray:
    pts, _ = gather(p.indptr, p.indices, p.fixed)
    return np.bincount(pts, minlength=p.n_points)


def _option_matrix(p: Problem, options: np.ndarray) -> sp.csr_array:
    """Points x chosen-options incidence as CSR."""
    full = sp.csc_array((np.ones(p.nnz), p.indices, p.indptr), shape=(p.n_points, p.n_options))
    return full[:, options].tocsr()


def _limit_rows(
    p: Problem, options: np.ndarray, with_counts: bool
) -> tuple[sp.csr_array, np.ndarray]:
    """Sparse rows over the x columns, with upper limits: count, budget, quotas, sites."""
    n = options.size
    blocks: list[sp.csr_array] = []
    limits: list[np.ndarray] = []
    cols = np.arange(n)
    if with_counts and p.k is not None:
        blocks.append(sp.csr_array(np.ones((1, n))))
        limits.append(np.array([float(p.k)]))
    if with_counts and p.budget is not None and p.costs is not None:
        blocks.append(sp.csr_array(p.costs[options][None, :]))
        limits.append(np.array([p.budget]))
    if with_counts and p.groups is not None and p.quotas is not None:
        g = p.groups[options]
        grp, row = np.unique(g[g >= 0], return_inverse=True)
        blocks.append(sp.csr_array((np.ones(row.size), (row, cols[g >= 0])), shape=(grp.size, n)))
        limits.append(p.quotas[grp].astype(float))
    if p.site_of is not None:
        _, row, counts = np.unique(p.site_of[options], return_inverse=True, return_counts=True)
        shared = counts[row] > 1
        keep, row = np.unique(row[shared], return_inverse=True)
        blocks.append(sp.csr_array((np.ones(row.size), (row, cols[shared])), shape=(keep.size, n)))
        limits.append(np.ones(keep.size))
    if not blocks:
        return sp.csr_array((0, n)), np.zeros(0)
    return sp.vstack(blocks).tocsr(), np.concatenate(limits)


def _to_lp(
    a: sp.csr_array,
    cost: np.ndarray,
    col_ub: np.ndarray,
    col_lb: np.ndarray,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    maximize: bool,
    n_int: int,
) -> highspy.HighsLp:
    lp = highspy.HighsLp()
    csc = sp.csc_array(a)
    csc.sort_indices()
    lp.num_col_, lp.num_row_ = int(a.shape[1]), int(a.shape[0])
    lp.col_cost_ = cost
    lp.col_lower_, lp.col_upper_ = col_lb, col_ub
    lp.row_lower_, lp.row_upper_ = row_lo, row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    if n_int:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n_int + [
            highspy.HighsVarType.kContinuous
        ] * (lp.num_col_ - n_int)
    return lp


def _stack(cover: sp.csr_array, limits: sp.csr_array, n_y: int) -> sp.csr_array:
    """Coverage rows on top of the limit rows (which have no y entries)."""
    padded = sp.hstack([limits, sp.csr_array((limits.shape[0], n_y))])
    return sp.vstack([cover, padded]).tocsr()


def _point_classes(a: sp.csr_array, fc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group points with the same covering options and fixed count (their y are equal).

    Returns (class of each point, one representative point per class). Sets are compared
    by two 64-bit multiset hashes plus their size.
    """
    lengths = np.diff(a.indptr)
    hashes = [lengths.astype(np.uint64), fc.astype(np.uint64)]
    starts = np.minimum(a.indptr[:-1], max(a.indices.size - 1, 0))
    for mult in (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)):
        mixed = (a.indices.astype(np.uint64) + np.uint64(1)) * mult
        mixed ^= mixed >> np.uint64(29)
        h = np.add.reduceat(mixed, starts) if mixed.size else np.zeros(lengths.size, np.uint64)
        hashes.append(np.where(lengths > 0, h, np.uint64(0)))
    keys = np.stack(hashes, axis=1)
    _, rep, cls = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return cls.ravel(), rep


def coverage_model(p: Problem, *, integer: bool) -> Model:
    """Max-coverage LP (or ILP) over the eligible options.

    Points with identical coverage are merged (weights summed) and points only one option
    reaches are folded into that option's objective coefficient, which shrinks the model
    several-fold on city instances without changing its optimum.
    """
    options = np.flatnonzero(p.eligible)
    a = _option_matrix(p, options)
    fc = _fixed_counts(p)
    lv = np.minimum(fc[None, :] + np.arange(p.levels)[:, None], p.levels)
    vals = p.weights[None, :] * p.marginal[lv]
    reach = np.flatnonzero((np.diff(a.indptr) > 0) & (vals[0] > 0))
    cls, rep = _point_classes(a[reach], fc[reach])
    cvals = np.stack([np.bincount(cls, weights=v[reach], minlength=rep.size) for v in vals])
    a = a[reach[rep]]
    single = np.diff(a.indptr) == 1
    x_obj = np.bincount(
        a.indices[a.indptr[:-1][single]], weights=cvals[0][single], minlength=options.size
    )
    multi = np.flatnonzero(~single)
    lvl, row = np.nonzero(cvals[:, multi] > 0)
    n_y = row.size
    y_block = sp.csr_array((np.ones(n_y), (row, np.arange(n_y))), shape=(multi.size, n_y))
    cover = sp.hstack([-a[multi], y_block]).tocsr()
    limits, upper = _limit_rows(p, options, with_counts=True)
    mat = _stack(cover, limits, n_y)
    n_rows = mat.shape[0]
    row_hi = np.concatenate([np.zeros(multi.size), upper])
    cost = np.concatenate([x_obj, cvals[lvl, multi[row]]])
    n_col = options.size + n_y
    lp = _to_lp(
        mat,
        cost,
        np.ones(n_col),
        np.zeros(n_col),
        np.full(n_rows, -highspy.kHighsInf),
        row_hi,
        True,
        options.size if integer else 0,
    )
    worth = np.concatenate([[0.0], np.cumsum(p.marginal)])
    constant = float(p.weights @ worth[np.minimum(fc, p.levels)])
    return Model(lp, options, constant)


def min_cost_model(p: Problem, required_weight: float, *, integer: bool) -> Model:
    """Min-cost cover LP (or ILP); ``required_weight`` excludes what fixed options cover."""
    options = np.flatnonzero(p.eligible)
    a = _option_matrix(p, options)
    open_pts = np.flatnonzero((_fixed_counts(p) == 0) & (p.weights > 0))
    n_y = open_pts.size
    cover = sp.hstack([-a[open_pts], sp.identity(n_y, format="csr")]).tocsr()
    limits, upper = _limit_rows(p, options, with_counts=False)
    need = sp.hstack([sp.csr_array((1, options.size)), sp.csr_array(-p.weights[open_pts][None, :])])
    mat = sp.vstack([_stack(cover, limits, n_y), need]).tocsr()
    row_hi = np.concatenate([np.zeros(n_y), upper, [-required_weight]])
    all_needed = required_weight >= p.weights[open_pts].sum()
    y_lb = np.ones(n_y) if all_needed else np.zeros(n_y)
    assert p.costs is not None
    cost = np.concatenate([p.costs[options], np.zeros(n_y)])
    n_col = options.size + n_y
    lp = _to_lp(
        mat,
        cost,
        np.ones(n_col),
        np.concatenate([np.zeros(options.size), y_lb]),
        np.full(mat.shape[0], -highspy.kHighsInf),
        row_hi,
        False,
        options.size if integer else 0,
    )
    return Model(lp, options, 0.0)


def solve_model(model: Model, *, time_limit: float | None) -> ModelResult:
    """Run HiGHS quietly; map its status to optimal / time_limit / infeasible / error."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    h.passModel(model.lp)
    h.run()
    ms = h.getModelStatus()
    info = h.getInfo()
    status = {
        highspy.HighsModelStatus.kOptimal: "optimal",
        highspy.HighsModelStatus.kTimeLimit: "time_limit",
        highspy.HighsModelStatus.kInfeasible: "infeasible",
    }.get(ms, "error")
    has_x = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value)[: model.options.size] if has_x else None
    is_mip = bool(model.lp.integrality_)
    dual = info.mip_dual_bound if is_mip else info.objective_function_value
    return ModelResult(status, float(info.objective_function_value), float(dual), x)
