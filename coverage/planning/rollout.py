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

import numba
import numpy as np

from ..contract import contract_var
from ..errors import CoverageError
from .network import FibreGraph, NetworkDesign, fibre_site_cost_usd
from .network_fast import heap_pop, heap_push


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
    if np.all(np.isfinite(ppl)) and np.isfinite(cost.sum()) and np.isfinite(ppl.sum()):
        order = _horn_order(
            np.ascontiguousarray(par), np.ascontiguousarray(cost), np.ascontiguousarray(ppl)
        )
    else:  # a NaN ratio has no order: the heap's own comparisons decide, as they always have
        order = _horn_order_python(par, cost, ppl)
    order = np.asarray(order, np.int64)
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    return RolloutOrder(order, rank, np.cumsum(cost[order]), np.cumsum(ppl[order]))


def _horn_order_python(par: np.ndarray, cost: np.ndarray, ppl: np.ndarray) -> list[int]:
    """Horn's sequence with Python's heap (:func:`rollout_order`; any input)."""
    n = par.size
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
    return order


@numba.njit(cache=True, nogil=True, inline="always")
def _ratio_key(cost, people):
    """The heap key of a group: minus its people per USD (:func:`_horn_order_python`)."""
    return -(people / cost) if cost > 0 else (-np.inf if people > 0 else 0.0)


@numba.njit(cache=True, nogil=True)
def _horn_order(par, cost, ppl):
    """Horn's sequence (:func:`rollout_order`): the loop of :func:`_horn_order_python`
    compiled, on the binary heap of :func:`.network_fast.heap_push`. Its entries are
    ``(key, -(group * (n + 1) + version))``: the heap breaks ties to the larger id, so it
    pops in the tuple order of ``(key, group, version)``, as Python's heap does (a
    version counts its group's merges, fewer than ``n``). No two entries share ``(group,
    version)``, so without a NaN key (finite people and sums) the entries are totally
    ordered and every heap pops them in Python's sequence."""
    n = par.size
    group_cost = cost.copy()
    group_people = ppl.copy()
    nxt = np.full(n, -1, np.int64)  # linked list of each group's sequence
    tail = np.arange(n)
    head_of = np.arange(n)  # union-find over groups (by head item)
    version = np.zeros(n, np.int64)
    emitted = np.zeros(n, np.bool_)
    order = np.empty(n, np.int64)
    n_order = 0
    h_key = np.empty(2 * n + 1)  # n first entries, at most one more per merge
    h_id = np.empty(2 * n + 1, np.int64)
    stride = n + 1
    size = 0
    for g in range(n):
        size = heap_push(h_key, h_id, size, _ratio_key(group_cost[g], group_people[g]), -g * stride)
    while size > 0:
        _, code, size = heap_pop(h_key, h_id, size)
        g, ver = (-code) // stride, (-code) % stride
        if ver != version[g] or head_of[g] != g or emitted[g]:
            continue
        p = par[g]
        while p >= 0 and head_of[p] != p:  # find, halving the path
            head_of[p] = head_of[head_of[p]]
            p = head_of[p]
        if p < 0 or emitted[p]:
            emitted[g] = True
            i = g
            while i >= 0:
                order[n_order] = i
                n_order += 1
                i = nxt[i]
            continue
        nxt[tail[p]] = g  # g's sequence goes right behind its parent's group
        tail[p] = tail[g]
        head_of[g] = p
        group_cost[p] += group_cost[g]
        group_people[p] += group_people[g]
        version[p] += 1
        key = _ratio_key(group_cost[p], group_people[p])
        size = heap_push(h_key, h_id, size, key, -(p * stride + version[p]))
    return order[:n_order]


def _check_forest(parent: np.ndarray) -> None:
    n = parent.size
    if n and (parent.max() >= n or parent.min() < -1):
        raise RolloutError(
            f"rollout_order parent: expected -1 or an item in [0, {n}), found "
            f"range [{parent.min()}, {parent.max()}]"
        )
    if _reaches_a_root(parent):
        return
    # a cycle: the walks below name the item where the first walk that meets it closes
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


def _reaches_a_root(parent: np.ndarray) -> bool:
    """Every item's chain of parents ends at -1 (``parent`` in ``[-1, n)``).

    Pointer doubling: ``up`` holds each item's ancestor ``2^k`` steps up (the sentinel
    ``n`` stands for -1 and is its own parent); a chain that ends does so within ``n``
    steps, so after ``2^k >= n`` every item of a forest points at the sentinel and an
    item on or below a cycle never does.
    """
    n = parent.size
    up = np.append(np.where(parent < 0, n, parent), n)
    steps = 1
    while steps < n:
        up = up[up]
        steps *= 2
    return bool(np.all(up == n))


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


#: Longest build programme the plan tabulates [year]; a budget that needs longer shows
#: what is connected by then (the curve still holds every build).
MAX_ROLLOUT_YEARS = 30


@dataclass(frozen=True)
class SiteRollout:
    """The rollout of a plan's builds, per demand site and as a curve.

    Attributes
    ----------
    site_rank : int64 array, ``(n_site,)``
        Position of the site's connection in the build order (0 first); -1: not built.
    site_year : int64 array, ``(n_site,)``
        Year (1, 2, ...) the site is connected under the budget; 0: not built.
    step_site : int64 array, ``(n_step,)``
        The site connected at each step of the curve (one step per built site, in order).
    step_usd : float array, ``(n_step,)``
        Cumulative money committed once that site is connected, its trunk included [USD].
    step_people : float array, ``(n_step,)``
        Cumulative people connected [person].
    years : int64 array, ``(n_year,)``
        1 .. the year the last site is connected (at most :data:`MAX_ROLLOUT_YEARS`).
    people_by_year, usd_by_year : float array, ``(n_year,)``
        Cumulative people connected and money committed at the end of each year.
    sites_by_year : int64 array, ``(n_year,)``
        Cumulative sites connected at the end of each year.
    budget_usd_per_year : float
    """

    site_rank: np.ndarray
    site_year: np.ndarray
    step_site: np.ndarray
    step_usd: np.ndarray
    step_people: np.ndarray
    years: np.ndarray
    people_by_year: np.ndarray
    usd_by_year: np.ndarray
    sites_by_year: np.ndarray
    budget_usd_per_year: float


def site_rollout(
    site_cost_usd,
    site_people,
    budget_usd_per_year: float,
    graph: FibreGraph | None = None,
    design: NetworkDesign | None = None,
    site_node=None,
    fibre_site_usd: float = 0.0,
) -> SiteRollout:
    """Order a plan's builds (Horn, trunks before branches) and schedule them on a budget.

    Parameters
    ----------
    site_cost_usd : array_like, ``(n_site,)``
        The chosen option's cost per site [USD] (NaN or inf: nothing built); the cost of
        the budget's currency, e.g. present values.
    site_people : array_like, ``(n_site,)``
        People each site connects [person].
    budget_usd_per_year : float
        Money available per year [USD/year], > 0.
    graph, design : FibreGraph, NetworkDesign, optional
        The shared fibre tree; sites it serves are built as its nodes (the edges above
        them first, at the graph's edge costs, plus ``fibre_site_usd`` at the site).
    site_node : array_like of int, ``(n_site,)``, optional
        Each site's node in ``graph`` (-1: none).
    fibre_site_usd : float
        Fibre site equipment at a served site node [USD].

    Notes
    -----
    Items are the graph's nodes (a node costs its edge to the parent plus its site
    equipment) and every other built site on its own (a satellite terminal, a microwave
    chain, a site whose access cell is on the network). The curve has one step per
    connected site; the cost of trunk nodes is counted at the first site that needs them.
    """
    cost = np.asarray(site_cost_usd, np.float64).ravel()
    ppl = np.asarray(site_people, np.float64).ravel()
    n_site = cost.size
    if ppl.size != n_site:
        raise RolloutError(
            f"site_rollout: expected site_cost_usd and site_people of one length, found "
            f"{n_site} and {ppl.size}; one value per site"
        )
    built = np.isfinite(cost)
    node = np.full(n_site, -1, np.int64) if site_node is None else np.asarray(site_node, np.int64)
    on_tree = np.zeros(n_site, bool)
    if graph is not None and design is not None:
        on_tree = (node >= 0) & design.served[np.maximum(node, 0)] & built
        node_people = np.zeros(graph.n_nodes)
        node_people[node[on_tree]] = ppl[on_tree]
        node_site = np.zeros(graph.n_nodes)
        node_site[node[on_tree]] = fibre_site_usd
        parent, item_cost, item_people = network_items(graph, design, node_people, node_site)
        n_tree = graph.n_nodes
    else:
        parent = item_cost = item_people = np.zeros(0)
        n_tree = 0
    alone = np.flatnonzero(built & ~on_tree)
    parent = np.concatenate([np.asarray(parent, np.int64), np.full(alone.size, -1, np.int64)])
    item_cost = np.concatenate([item_cost, cost[alone]])
    item_people = np.concatenate([item_people, ppl[alone]])
    item_site = np.full(parent.size, -1, np.int64)
    item_site[node[on_tree]] = np.flatnonzero(on_tree)
    item_site[n_tree:] = alone
    order = rollout_order(parent, np.maximum(item_cost, 0.0), np.maximum(item_people, 0.0))
    site_rank = np.full(n_site, -1, np.int64)
    site_year = np.zeros(n_site, np.int64)
    steps = np.flatnonzero(item_site[order.order] >= 0)
    step_site = item_site[order.order][steps]
    site_rank[step_site] = np.arange(steps.size)
    year = build_year(order, budget_usd_per_year)  # validates the budget
    site_year[step_site] = year[order.order][steps]
    last = int(site_year.max()) if steps.size else 1
    years = np.arange(1, min(last, MAX_ROLLOUT_YEARS) + 1)
    curve = budget_curve(order, [budget_usd_per_year], int(years.size))
    sites_by_year = np.array([(site_year[step_site] <= y).sum() for y in years], np.int64)
    return SiteRollout(
        site_rank,
        site_year,
        step_site,
        order.cumulative_usd[steps],
        order.cumulative_people[steps],
        years,
        curve.people_by_year[0],
        curve.usd_by_year[0],
        sites_by_year,
        float(budget_usd_per_year),
    )


def decision_rollout(decision, spec) -> SiteRollout:
    """The rollout of a ``decide.Decision``: its target sites' chosen builds, present
    values as costs, on the fibre tree of its network plan, under ``[network]
    budget_usd_per_year`` (``spec.network``)."""
    cost = np.where(decision.site_target, decision.site.chosen_cost_usd, np.nan)
    cost = np.where(cost > 0, cost, np.nan)  # already served / no cost: nothing to build
    net = decision.network
    graph = None if net is None else net.graph
    return site_rollout(
        cost,
        decision.sites.population,
        spec.network.budget_usd_per_year,
        graph=graph,
        design=None if net is None else net.design,
        site_node=None if net is None else net.site_node,
        fibre_site_usd=fibre_site_cost_usd(spec.fiber, spec.finance),
    )


def rollout_variables(decision, spec, rollout: SiteRollout | None = None) -> dict[str, tuple]:
    """The plan's own rollout as contract variables: per site and cell the build year and
    rank, the curve over ``rollout_step`` and the totals by ``rollout_year``.
    ``rollout``: :func:`decision_rollout` of ``decision``, when the caller has it."""
    r = decision_rollout(decision, spec) if rollout is None else rollout
    cell_site = np.asarray(decision.cell_site)
    if r.site_year.size:
        cell_year = np.where(cell_site >= 0, r.site_year[np.maximum(cell_site, 0)], 0)
    else:  # no demand site at all (a region where nobody lives)
        cell_year = np.zeros(cell_site.shape, dtype=np.int64)
    return {
        "rollout_budget_usd_per_year": contract_var(
            "rollout_budget_usd_per_year", np.float64(r.budget_usd_per_year)
        ),
        "site_rollout_rank": contract_var("site_rollout_rank", r.site_rank.astype(np.int32)),
        "site_build_year": contract_var("site_build_year", r.site_year.astype(np.int16)),
        "build_year": contract_var("build_year", cell_year.astype(np.int16)),
        "rollout_step": contract_var("rollout_step", np.arange(r.step_site.size, dtype=np.int32)),
        "rollout_step_site": contract_var("rollout_step_site", r.step_site.astype(np.int32)),
        "rollout_cumulative_usd": contract_var("rollout_cumulative_usd", r.step_usd),
        "rollout_cumulative_people": contract_var("rollout_cumulative_people", r.step_people),
        "rollout_year": contract_var("rollout_year", r.years.astype(np.int16)),
        "rollout_people_by_year": contract_var("rollout_people_by_year", r.people_by_year),
        "rollout_usd_by_year": contract_var("rollout_usd_by_year", r.usd_by_year),
        "rollout_sites_by_year": contract_var(
            "rollout_sites_by_year", r.sites_by_year.astype(np.int32)
        ),
    }


def rollout_case_variables(decisions, spec, first: SiteRollout | None = None) -> dict[str, tuple]:
    """The curve "people connected vs cumulative USD" of every licensing case, over
    ``(case, rollout_case_step)``, NaN after a case's last step. ``first``:
    :func:`decision_rollout` of the first decision, when the caller has it."""
    curves = [
        first if k == 0 and first is not None else decision_rollout(d, spec)
        for k, d in enumerate(decisions)
    ]
    n = max((c.step_usd.size for c in curves), default=0)
    usd = np.full((len(curves), n), np.nan)
    people = np.full((len(curves), n), np.nan)
    for k, c in enumerate(curves):
        usd[k, : c.step_usd.size] = c.step_usd
        people[k, : c.step_people.size] = c.step_people
    return {
        "rollout_cumulative_usd_by_case": contract_var("rollout_cumulative_usd_by_case", usd),
        "rollout_cumulative_people_by_case": contract_var(
            "rollout_cumulative_people_by_case", people
        ),
    }
