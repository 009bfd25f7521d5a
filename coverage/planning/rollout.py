"""Rollout under a budget: which builds first, and what each year's money connects.

Builds are items in a forest: a fibre tree node can only be built after the edge above
it (a trunk before its branches); satellite terminals and microwave chains stand alone.
The order maximises people connected early for the money: Horn's algorithm for
``1 | out-tree | sum w_j C_j`` (W. A. Horn, SIAM J. Appl. Math. 23, 1972) with weight
= people connected and processing time = cost. It repeatedly takes the group with the
most people per USD and merges it right behind its parent's group, so a cheap branch
that connects many people pulls its trunk forward. The result is optimal for the area
under the "people connected vs cumulative USD" curve among orders that respect the
trunk-before-branch precedence.

A budget [USD/year] then builds the order in sequence: an item is built in the year by
which the cumulative budget covers the cumulative cost up to and including it.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import CoverageError
from .network import FibreGraph, NetworkDesign


class RolloutError(CoverageError):
    """Rollout inputs that are inconsistent (a cycle in the precedence, bad budgets)."""


@dataclass(frozen=True)
class RolloutOrder:
    """Build order of ``n_item`` items.

    Attributes
    ----------
    order : int64 array, ``(n_item,)``
        Items in build sequence.
    rank : int64 array, ``(n_item,)``
        Position of each item in ``order``.
    cumulative_usd : float array, ``(n_item,)``
        Money spent once ``order[k]`` is built [USD].
    cumulative_people : float array, ``(n_item,)``
        People connected once ``order[k]`` is built [person].
    """

    order: np.ndarray
    rank: np.ndarray
    cumulative_usd: np.ndarray
    cumulative_people: np.ndarray


def rollout_order(parent, cost_usd, people) -> RolloutOrder:
    """Order builds by people per USD, never a child before its parent.

    Parameters
    ----------
    parent : array_like of int, ``(n_item,)``
        The item that must be built first (-1: none).
    cost_usd : array_like, ``(n_item,)``
        Cost of building the item itself [USD], >= 0.
    people : array_like, ``(n_item,)``
        People the item connects [person], >= 0.
    """
    par = np.asarray(parent, np.int64)
    cost = np.asarray(cost_usd, np.float64)
    ppl = np.asarray(people, np.float64)
    n = par.size
    if not (cost.shape == ppl.shape == (n,)):
        raise RolloutError(
            f"rollout_order: expected parent, cost_usd, people of one length, "
            f"found {n}, {cost.size}, {ppl.size}; one value per item"
        )
    if n and (np.any(cost < 0) or np.any(ppl < 0) or not np.all(np.isfinite(cost))):
        raise RolloutError(
            "rollout_order: expected finite costs >= 0 and people >= 0, found "
            "a negative or infinite value; leave unbuildable items out"
        )
    _check_forest(par)
    group_cost = cost.tolist()
    group_people = ppl.tolist()
    nxt = [-1] * n  # linked list of each group's sequence
    tail = list(range(n))
    head_of = list(range(n))  # union-find over groups (by head item)

    def find(i: int) -> int:
        while head_of[i] != i:
            head_of[i] = head_of[head_of[i]]
            i = head_of[i]
        return i

    def key(g: int) -> float:
        c, p = group_cost[g], group_people[g]
        return -(p / c) if c > 0 else (-np.inf if p > 0 else 0.0)

    # Horn: pop the group with the most people per USD; behind its parent's group if that
    # is still open, else (a top item, or its parent's group already emitted) straight
    # into the build sequence. Popped ratios never rise, so the sequence is Horn's.
    version = [0] * n
    emitted = [False] * n
    order = []
    heap = [(key(i), i, 0) for i in range(n)]
    heapq.heapify(heap)
    while heap:
        _, g, ver = heapq.heappop(heap)
        if ver != version[g] or head_of[g] != g or emitted[g]:
            continue
        p = find(int(par[g])) if par[g] >= 0 else -1
        if p < 0 or emitted[p]:
            emitted[g] = True
            i = g
            while i >= 0:
                order.append(i)
                i = nxt[i]
            continue
        nxt[tail[p]] = g  # g's sequence goes right behind its parent's group
        tail[p] = tail[g]
        head_of[g] = p
        group_cost[p] += group_cost[g]
        group_people[p] += group_people[g]
        version[p] += 1
        heapq.heappush(heap, (key(p), p, version[p]))
    order = np.asarray(order, np.int64)
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    return RolloutOrder(order, rank, np.cumsum(cost[order]), np.cumsum(ppl[order]))


def _check_forest(parent: np.ndarray) -> None:
    n = parent.size
    if n and (parent.max() >= n or parent.min() < -1):
        raise RolloutError(
            f"rollout_order parent: expected -1 or an item in [0, {n}), found "
            f"range [{parent.min()}, {parent.max()}]"
        )
    state = np.zeros(n, np.int8)  # 0 unseen, 1 on the current walk, 2 done
    for start in range(n):
        walk, i = [], start
        while i >= 0 and state[i] == 0:
            state[i] = 1
            walk.append(i)
            i = int(parent[i])
        if i >= 0 and state[i] == 1:
            raise RolloutError(
                f"rollout_order parent: expected a forest, found a cycle through "
                f"item {i}; each item needs a path to an item with parent -1"
            )
        state[walk] = 2


def build_year(order: RolloutOrder, budget_usd_per_year: float) -> np.ndarray:
    """Year (1, 2, ...) in which each item is built, ``(n_item,)`` int64.

    Items are built in ``order``; item ``k`` is built in year ``ceil(cumulative_usd / budget)``
    (a zero-cost item at the start is built in year 1).
    """
    if not budget_usd_per_year > 0:
        raise RolloutError(
            f"build_year budget_usd_per_year: expected > 0, found "
            f"{budget_usd_per_year!r}; give the money available per year [USD]"
        )
    cum = order.cumulative_usd
    year_in_order = np.maximum(1, np.ceil(cum / budget_usd_per_year - 1e-12)).astype(np.int64)
    return year_in_order[order.rank]


@dataclass(frozen=True)
class BudgetCurve:
    """People connected by year for each budget.

    Attributes
    ----------
    budgets_usd_per_year : float array, ``(n_budget,)``
    people_by_year : float array, ``(n_budget, n_years)``
        Cumulative people connected at the end of each year [person].
    usd_by_year : float array, ``(n_budget, n_years)``
        Cumulative money spent at the end of each year [USD].
    """

    budgets_usd_per_year: np.ndarray
    people_by_year: np.ndarray
    usd_by_year: np.ndarray


def budget_curve(
    order: RolloutOrder, budgets_usd_per_year: Sequence[float], n_years: int
) -> BudgetCurve:
    """Cumulative people and spending by year for a sweep of budgets."""
    budgets = np.asarray(budgets_usd_per_year, np.float64).ravel()
    people = np.zeros((budgets.size, n_years))
    usd = np.zeros((budgets.size, n_years))
    for b, budget in enumerate(budgets):
        year = build_year(order, float(budget))[order.order]
        for y in range(1, n_years + 1):
            built = int(np.searchsorted(year, y, side="right"))
            people[b, y - 1] = order.cumulative_people[built - 1] if built else 0.0
            usd[b, y - 1] = order.cumulative_usd[built - 1] if built else 0.0
    return BudgetCurve(budgets, people, usd)


def network_items(
    graph: FibreGraph,
    design: NetworkDesign,
    people,
    site_capex_usd,
    edge_capex_usd=None,
    other_capex_usd=None,
):
    """Rollout items from a network design: ``(parent, cost_usd, people)``, ``(n_node,)``.

    A tree node costs its edge to the parent (``edge_capex_usd``, default the graph's
    present values) plus its site equipment when served, and connects its people when
    served; a node off the tree that is built otherwise (``other_capex_usd`` finite:
    satellite terminals, a microwave chain) stands alone with that cost; everything
    else costs and connects nothing. Roots are free.
    """
    n = graph.n_nodes
    ppl = np.broadcast_to(np.asarray(people, np.float64), (n,))
    site = np.broadcast_to(np.asarray(site_capex_usd, np.float64), (n,))
    edge_cost = (
        graph.edge_cost_usd if edge_capex_usd is None else np.asarray(edge_capex_usd, np.float64)
    )
    other = (
        np.full(n, np.nan)
        if other_capex_usd is None
        else np.broadcast_to(np.asarray(other_capex_usd, np.float64), (n,))
    )
    has_edge = design.parent_edge >= 0
    cost = np.zeros(n)
    cost[has_edge] = edge_cost[design.parent_edge[has_edge]]
    cost += np.where(design.served, site, 0.0)
    elsewhere = ~design.in_tree & np.isfinite(other)
    cost[elsewhere] = other[elsewhere]
    connected = design.served | elsewhere
    return design.parent.copy(), cost, np.where(connected, ppl, 0.0)
