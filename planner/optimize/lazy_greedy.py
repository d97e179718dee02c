"""Lazy greedy (Minoux): pick the best option, re-evaluating only stale heap tops.

Gains of a submodular objective only shrink as options are added, so a stale gain is an
upper bound: the top of the queue is re-evaluated and accepted as soon as its fresh gain
still beats every other stale bound. Initial gains come from one O(nnz) pass; options are
taken from that pre-sorted "cold" list and only re-evaluated ones go into a heap.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from planner.optimize._progress import progress_bar
from planner.optimize._state import CoverageState
from planner.optimize._validate import Problem

NEG_INF = float("-inf")


@dataclass
class GreedyRun:
    """Options picked in order, each with its marginal gain, and why the run stopped."""

    chosen: list[int]
    gains: list[float]
    cost: float
    stopped: str  # "complete" | "saturated" | "time_limit"


def lazy_greedy(
    problem: Problem,
    state: CoverageState,
    *,
    eligible: np.ndarray,
    k: int | None,
    budget: float | None,
    by_ratio: bool,
    target: float | None = None,
    initial_gains: np.ndarray | None = None,
    taken: Sequence[int] = (),
    deadline: float | None = None,
    progress: bool = False,
    on_halfway: Callable[[CoverageState], None] | None = None,
) -> GreedyRun:
    """Greedy on gain (or gain per unit cost) under count, budget, site and quota limits.

    ``taken`` options (already in ``state``) hold their sites and quota places.
    Stops after ``k`` picks, when the budget admits nothing more, when ``state.total``
    reaches ``target``, when no option adds value ("saturated") or at ``deadline``.
    """
    costs = problem.costs
    gains0 = state.gains() if initial_gains is None else initial_gains
    keys0 = gains0 / costs if by_ratio and costs is not None else gains0
    cand = np.flatnonzero(eligible & (gains0 > 0))
    if budget is not None and costs is not None:
        cand = cand[costs[cand] <= budget]
    order = cand[np.argsort(-keys0[cand], kind="stable")]
    cold_idx: list[int] = order.tolist()
    cold_key: list[float] = keys0[order].tolist()
    n_cold = len(cold_idx)

    ip = problem.indptr_list
    indices, value = problem.indices, state.value
    sites = problem.site_of
    site_used = np.zeros(int(sites.max()) + 1, dtype=bool) if sites is not None else None
    groups = problem.groups if problem.quotas is not None else None
    quota_left = problem.quotas.copy() if problem.quotas is not None else None
    held = np.asarray(taken, dtype=np.int64)
    if site_used is not None and sites is not None:
        site_used[sites[held]] = True
    if groups is not None and quota_left is not None:
        g_held = groups[held]
        quota_left -= np.bincount(g_held[g_held >= 0], minlength=quota_left.size)
    cost_list = costs.tolist() if costs is not None else None
    remaining = budget if budget is not None else 0.0
    limit = k if k is not None else n_cold
    halfway = limit // 2 if on_halfway is not None else -1

    heap: list[tuple[float, int]] = []
    chosen: list[int] = []
    gains: list[float] = []
    spent = 0.0
    stopped = "complete"
    ci = 0
    with progress_bar("greedy", limit, progress) as advance:
        while len(chosen) < limit:
            if target is not None and state.total >= target:
                break
            if heap and (ci >= n_cold or -heap[0][0] >= cold_key[ci]):
                j = heapq.heappop(heap)[1]
            elif ci < n_cold:
                j = cold_idx[ci]
                ci += 1
            else:
                stopped = "saturated"
                break
            if site_used is not None and site_used[sites[j]]:  # type: ignore[index]
                continue
            if groups is not None:
                g = groups[j]
                if g >= 0 and quota_left[g] <= 0:  # type: ignore[index]
                    continue
            if cost_list is not None and budget is not None and cost_list[j] > remaining:
                continue
            gain = float(value[indices[ip[j] : ip[j + 1]]].sum())
            if gain <= 0.0:
                continue
            fresh = gain / cost_list[j] if by_ratio and cost_list is not None else gain
            best_other = -heap[0][0] if heap else NEG_INF
            if ci < n_cold and cold_key[ci] > best_other:
                best_other = cold_key[ci]
            if fresh < best_other:
                heapq.heappush(heap, (-fresh, j))
                continue
            state.add(j)
            chosen.append(j)
            gains.append(gain)
            if site_used is not None:
                site_used[sites[j]] = True  # type: ignore[index]
            if groups is not None and groups[j] >= 0:
                quota_left[groups[j]] -= 1  # type: ignore[index]
            if cost_list is not None:
                spent += cost_list[j]
                remaining -= cost_list[j]
            if len(chosen) == halfway and on_halfway is not None:
                on_halfway(state)
            if len(chosen) & 1023 == 0:
                advance(len(chosen))
                if deadline is not None and time.perf_counter() > deadline:
                    stopped = "time_limit"
                    break
    return GreedyRun(chosen, gains, spent, stopped)
