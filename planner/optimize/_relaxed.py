"""Best total of per-option values under a relaxation of the selection constraints.

Used by the online and Lagrangian bounds: for any vector of (upper bounds on) option
values, the best feasible selection under count k, per-group quotas and one-per-site
(when sites nest in groups) is found exactly by sorting; a budget is relaxed to the
fractional knapsack. Both are valid relaxations, so the smaller total is returned.
"""

from __future__ import annotations

import numpy as np

from planner.optimize._validate import Problem


def _count_selection(values: np.ndarray, opts: np.ndarray, p: Problem) -> np.ndarray:
    """Options (from ``opts``) of the best selection under k, quotas and sites."""
    if p.site_of is not None and p.sites_nested_in_groups:
        order = np.lexsort((-values[opts], p.site_of[opts]))
        s = p.site_of[opts][order]
        first = np.ones(order.size, dtype=bool)
        first[1:] = s[1:] != s[:-1]
        opts = opts[order[first]]
    if p.groups is not None and p.quotas is not None:
        g = p.groups[opts]
        order = np.lexsort((-values[opts], g))
        gs = g[order]
        start = np.searchsorted(gs, gs, side="left")
        rank = np.arange(order.size) - start
        cap = np.where(gs >= 0, p.quotas[np.maximum(gs, 0)], order.size)
        opts = opts[order[rank < cap]]
    if p.k is not None and opts.size > p.k:
        opts = opts[np.argpartition(-values[opts], p.k - 1)[: p.k]]
    return opts


def relaxed_selection(values: np.ndarray, p: Problem) -> tuple[float, np.ndarray]:
    """(best total, option weights in [0, 1]) of eligible options under the relaxation."""
    x = np.zeros(p.n_options)
    opts = np.flatnonzero(p.eligible & (values > 0))
    best = np.inf
    if p.k is not None or p.quotas is not None:
        sel = _count_selection(values, opts, p)
        best = float(values[sel].sum())
        x[sel] = 1.0
    if p.budget is not None and p.costs is not None:
        c = p.costs[opts]
        order = np.argsort(-values[opts] / c, kind="stable")
        spent = np.cumsum(c[order])
        full = int(np.searchsorted(spent, p.budget, side="right"))
        frac = np.zeros(opts.size)
        frac[order[:full]] = 1.0
        if full < order.size:
            left = p.budget - (spent[full - 1] if full else 0.0)
            frac[order[full]] = left / c[order[full]]
        total = float(values[opts] @ frac)
        if total < best:
            best = total
            x[:] = 0.0
            x[opts] = frac
    return best, x
