"""1-swap local search after the greedy: drop a chosen option, add a better one.

Bookkeeping keeps the current marginal gain ``g`` of every option exact (g = A^T value)
by updating only the options that share points with a swapped option. The value lost by
removing chosen j is its "uniquely covered" weight; candidate i then gains g_i plus a
bonus on the points it shares with j. Candidates that share no point with j are taken
from per-group lists of the options with the highest g (refreshed lazily), so a check
costs O(points of j x options per point), not O(options).
"""

from __future__ import annotations

import time

import numpy as np

from planner.optimize._sparse import gather
from planner.optimize._state import CoverageState
from planner.optimize._validate import Problem

TOP_PER_GROUP = 32
MIN_REL_IMPROVEMENT = 1e-9


class _Solution:
    """Which options are in, which sites and quota places they use, and the budget left."""

    def __init__(self, p: Problem, chosen: list[int]) -> None:
        self.p = p
        self.inside = np.zeros(p.n_options, dtype=bool)
        self.inside[chosen] = True
        self.site_used = None
        if p.site_of is not None:
            self.site_used = np.zeros(int(p.site_of.max()) + 1, dtype=bool)
            self.site_used[p.site_of[p.fixed]] = True
            self.site_used[p.site_of[chosen]] = True
        self.group_room = None
        if p.groups is not None and p.quotas is not None:
            g = p.groups[chosen]
            self.group_room = p.quotas - np.bincount(g[g >= 0], minlength=p.quotas.size)
        self.budget_left = None
        if p.budget is not None and p.costs is not None:
            self.budget_left = p.budget - float(p.costs[chosen].sum())

    def can_replace(self, j: int, cand: np.ndarray) -> np.ndarray:
        """Which candidate options may take the place of chosen option j."""
        p = self.p
        ok = p.eligible[cand] & ~self.inside[cand]
        if self.site_used is not None and p.site_of is not None:
            s = p.site_of[cand]
            ok &= ~self.site_used[s] | (s == p.site_of[j])
        if self.group_room is not None and p.groups is not None:
            g = p.groups[cand]
            ok &= (g < 0) | (self.group_room[np.maximum(g, 0)] > 0) | (g == p.groups[j])
        if self.budget_left is not None and p.costs is not None:
            ok &= p.costs[cand] <= p.costs[j] + self.budget_left
        return ok

    def swap(self, j: int, i: int) -> None:
        p = self.p
        self.inside[j], self.inside[i] = False, True
        if self.site_used is not None and p.site_of is not None:
            self.site_used[p.site_of[j]] = False
            self.site_used[p.site_of[i]] = True
        if self.group_room is not None and p.groups is not None:
            if p.groups[j] >= 0:
                self.group_room[p.groups[j]] += 1
            if p.groups[i] >= 0:
                self.group_room[p.groups[i]] -= 1
        if self.budget_left is not None and p.costs is not None:
            self.budget_left += float(p.costs[j] - p.costs[i])


class _TopLists:
    """Per group, every candidate whose gain exceeds a threshold (the rest are below it)."""

    def __init__(self, p: Problem, g: np.ndarray, sol: _Solution) -> None:
        self.p, self.g, self.sol = p, g, sol
        self.key = p.groups if p.groups is not None and p.quotas is not None else None
        cand = np.flatnonzero(p.eligible & ~sol.inside)
        keys = self.key[cand] if self.key is not None else np.zeros(cand.size, dtype=np.int32)
        self.members = {int(k): cand[keys == k] for k in np.unique(keys)}
        self.ids: dict[int, np.ndarray] = {}
        self.thr: dict[int, float] = {}
        for k in self.members:
            self._rebuild(k)

    def _rebuild(self, k: int) -> None:
        m = self.members[k]
        m = m[~self.sol.inside[m]]
        self.members[k] = m
        if m.size <= TOP_PER_GROUP:
            self.ids[k], self.thr[k] = m, -np.inf
            return
        part = np.argpartition(-self.g[m], TOP_PER_GROUP)
        self.ids[k] = m[part[:TOP_PER_GROUP]]
        self.thr[k] = float(self.g[m[part[TOP_PER_GROUP]]])

    def changed(self, opts: np.ndarray) -> None:
        """Refresh the lists after the gains of ``opts`` changed."""
        keys = self.key[opts] if self.key is not None else np.zeros(opts.size, dtype=np.int32)
        for k in self.ids:
            ids = np.union1d(self.ids[k], opts[(keys == k) & (self.g[opts] > self.thr[k])])
            ids = ids[(self.g[ids] > self.thr[k]) & ~self.sol.inside[ids] & self.p.eligible[ids]]
            self.ids[k] = ids
            if ids.size < TOP_PER_GROUP // 4 and np.isfinite(self.thr[k]):
                self._rebuild(k)

    def best_for(self, j: int) -> tuple[int, float]:
        """Best listed replacement for j as (index, gain); (-1, -inf) if none may replace it."""
        best_i, best_g = -1, -np.inf
        for ids in self.ids.values():
            ok = self.sol.can_replace(j, ids)
            if ok.any():
                pos = int(np.argmax(np.where(ok, self.g[ids], -np.inf)))
                if self.g[ids[pos]] > best_g:
                    best_i, best_g = int(ids[pos]), float(self.g[ids[pos]])
        return best_i, best_g


def propagate(
    p: Problem, gains: np.ndarray, state: CoverageState, points: np.ndarray, before: np.ndarray
) -> np.ndarray:
    """Update ``gains`` after the point values at ``points`` changed from ``before``.

    Returns the options whose gain changed.
    """
    rows_ptr, rows_opt = p.csr
    opts, owner = gather(rows_ptr, rows_opt, points)
    np.add.at(gains, opts, (state.value[points] - before)[owner])
    return np.unique(opts)


def swap_local_search(
    p: Problem,
    state: CoverageState,
    chosen: list[int],
    *,
    deadline: float,
    focus: np.ndarray | None = None,
    gains: np.ndarray | None = None,
) -> tuple[list[int], int]:
    """Improve ``chosen`` (and ``state``) by 1-swaps until none helps or time runs out.

    With ``focus``, only those chosen options (and the ones swapped in) are tried for removal.
    ``gains`` (exact current gains of all options, kept up to date in place) saves the
    O(nnz) pass that computes them.
    """
    rows_ptr, rows_opt = p.csr
    g = state.gains() if gains is None else gains
    sol = _Solution(p, chosen)
    tops = _TopLists(p, g, sol)
    chosen = list(chosen)
    slot = {j: n for n, j in enumerate(chosen)}
    eps = MIN_REL_IMPROVEMENT * max(state.total, 1e-300)
    swaps = 0

    tried = set(chosen if focus is None else focus.tolist())
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        losses = {j: state.loss(j) for j in chosen if j in tried}
        for j in sorted(losses, key=lambda j: (losses[j], j)):
            if time.perf_counter() > deadline:
                break
            pts = state.points(j)
            c = state.count[pts]
            w = p.weights[pts]
            lost_now = w * p.marginal[np.minimum(c - 1, p.levels)]
            bonus_pt = lost_now - w * p.marginal[np.minimum(c, p.levels)]
            loss = float(lost_now.sum())
            share = bonus_pt > 0
            opts, owner = gather(rows_ptr, rows_opt, pts[share])
            nb, inv = np.unique(opts, return_inverse=True)
            score = g[nb] + np.bincount(inv, weights=bonus_pt[share][owner], minlength=nb.size)
            ok = sol.can_replace(j, nb)
            best_i, best = -1, -np.inf
            if ok.any():
                pos = int(np.argmax(np.where(ok, score, -np.inf)))
                best_i, best = int(nb[pos]), float(score[pos])
            far_i, far = tops.best_for(j)
            if far_i >= 0 and far > best:
                best_i, best = far_i, far
            if best_i < 0 or best - loss <= eps:
                continue
            before = state.value[pts].copy()
            state.remove(j)
            touched = propagate(p, g, state, pts, before)
            new_pts = state.points(best_i)
            before = state.value[new_pts].copy()
            state.add(best_i)
            touched = np.union1d(touched, propagate(p, g, state, new_pts, before))
            sol.swap(j, best_i)
            tops.changed(np.append(touched, j))
            slot[best_i] = slot.pop(j)
            chosen[slot[best_i]] = best_i
            tried.add(best_i)
            swaps += 1
            improved = True
    return chosen, swaps
