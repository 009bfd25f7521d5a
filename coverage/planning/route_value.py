"""What a planned fibre route is worth: the plan with the route built against without it.

For one route: target people newly reached by terrestrial backhaul (fibre, and
microwave when the technologies are given), target people no longer reached (normally 0;
possible only through the heuristic's or the joint decision's other changes), the cost
saved (total plan cost without minus with) [USD], and the technology changes per site.
Target = the cells the plan may build for (underserved); people elsewhere do
not count, so a route that crosses and helps no target cell is worth zero.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .network import FibreGraph, NetworkDesign, NetworkDesignError, design_network

TERRESTRIAL = ("fiber", "microwave")


@dataclass(frozen=True)
class RouteValue:
    """Value of one planned route.

    Attributes
    ----------
    people_newly_reached : float
        Target people on terrestrial backhaul with the route and not without [person].
    people_no_longer_reached : float
        Target people on terrestrial backhaul without the route and not with it [person].
    sites_newly_reached : int
        Target sites newly on terrestrial backhaul.
    cost_saved_usd : float
        Total plan cost without the route minus with it [USD] (present values).
    technology_changes : dict
        ``{(before, after): number of target sites}`` for sites whose technology changed.
    change_reasons : dict
        ``{(before, after, why): (sites, people)}`` for the target sites that leave fibre
        or terrestrial backhaul (:func:`explain_losses`); empty when none does.
    change_note : str
        The same in words, with the costs behind it (``pipeline.planned_routes``).
    """

    people_newly_reached: float
    people_no_longer_reached: float
    sites_newly_reached: int
    cost_saved_usd: float
    technology_changes: dict
    change_reasons: dict = field(default_factory=dict)
    change_note: str = ""


#: Why a site leaves fibre when a route is built (:func:`explain_losses`).
TRUNK_LOST_SHARERS = "trunk_lost_sharers"
CAPACITY = "capacity"
UNEXPLAINED = "unexplained"


def explain_losses(
    before, after, target, population, old_trunk, via_route_after, capacity_limited=None
) -> dict:
    """Why target sites leave fibre (or terrestrial backhaul) when a route is built.

    A shared trunk is built where the sites along it pay for it together (each alone
    would not: its own path costs more than its alternative). When the route gives some
    of those sites a shorter way to fibre, the trunk loses them; the sites left on it may
    no longer pay for it, and take their alternative (microwave, or a satellite where no
    relay chain reaches). The plan's total still falls (the old plan stays feasible),
    but those sites leave fibre although fibre came nearer to everyone. An exact solver
    does the same: on a path ``root -(10)- x -(7)- b`` with site ``A`` at ``x``
    (net prize 6) and ``B`` at ``b`` (net prize 12), both are served at 17 (< 6 + 12);
    with ``b`` on a route, ``B`` is served at 0 and ``A`` alone would pay 7 > 6.

    Parameters
    ----------
    before, after : array_like of str, ``(n_site,)``
        Technology per site without / with the route (``fiber``, ``microwave``, ...).
    target : array_like of bool, ``(n_site,)``
    population : array_like, ``(n_site,)``
        People per site [person].
    old_trunk : array_like of int, ``(n_site,)``
        The trunk (any label) each site hung on without the route; -1 off the tree.
    via_route_after : array_like of bool, ``(n_site,)``
        The site's fibre meets the network at a cell of the route, with the route.
    capacity_limited : array_like of bool, ``(n_site,)``, optional
        The site did not get its preferred option with the route (a full satellite).

    Returns
    -------
    dict
        ``{(before, after, why): (sites, people)}`` over the target sites that were on
        fibre and are not (and the terrestrial ones that go to a satellite), ``why`` one
        of :data:`TRUNK_LOST_SHARERS` (another site of its old trunk now reaches fibre
        through the route), :data:`CAPACITY`, :data:`UNEXPLAINED` (a heuristic's
        re-optimisation: nothing above explains it).
    """
    b = np.asarray(before, dtype=object)
    a = np.asarray(after, dtype=object)
    tgt = np.asarray(target, bool)
    pop = np.asarray(population, np.float64)
    trunk = np.asarray(old_trunk, np.int64)
    via = np.asarray(via_route_after, bool)
    limited = np.zeros(b.shape, bool) if capacity_limited is None else np.asarray(capacity_limited)
    leaves = tgt & (
        ((b == "fiber") & (a != "fiber")) | (np.isin(b, TERRESTRIAL) & ~np.isin(a, TERRESTRIAL))
    )
    # trunks of which some site now meets the network at the route
    lost_sharers = np.unique(trunk[(trunk >= 0) & via])
    out: dict = {}
    for s in np.flatnonzero(leaves).tolist():
        if b[s] == "fiber" and trunk[s] >= 0 and np.isin(trunk[s], lost_sharers):
            why = TRUNK_LOST_SHARERS
        elif limited[s]:
            why = CAPACITY
        else:
            why = UNEXPLAINED
        key = (str(b[s]), str(a[s]), why)
        n, people = out.get(key, (0, 0.0))
        out[key] = (n + 1, people + float(pop[s]))
    return out


def _technology(design: NetworkDesign | None, technology) -> np.ndarray:
    if technology is not None:
        return np.asarray(technology, dtype=object)
    if design is None:
        raise NetworkDesignError(
            "route_value: expected a NetworkDesign or the technologies per node, found "
            "neither; pass technology_without / technology_with"
        )
    return np.where(design.served, "fiber", "other").astype(object)


def route_value(
    without: NetworkDesign | None,
    with_route: NetworkDesign | None,
    population,
    target,
    technology_without=None,
    technology_with=None,
    total_without_usd: float | None = None,
    total_with_usd: float | None = None,
) -> RouteValue:
    """Compare two network designs (same nodes), without and with the route built.

    Parameters
    ----------
    without, with_route : NetworkDesign or None
        ``None`` when the technologies and the totals are given (a joint decision
        compared site by site).
    population : array_like, ``(n_node,)``
        People per node [person].
    target : array_like of bool, ``(n_node,)``
        Target (underserved) nodes.
    technology_without, technology_with : array_like of str, ``(n_node,)``, optional
        The chosen technology per node after the joint decision (``fiber``,
        ``microwave``, ``leo_starlink``, ...). Default: ``fiber`` where the design serves
        the node, else ``other``.
    total_without_usd, total_with_usd : float, optional
        Plan totals after the joint decision; default the designs' ``total_usd``.
    """
    pop = np.asarray(population, np.float64)
    tgt = np.asarray(target, bool)
    before = _technology(without, technology_without)
    after = _technology(with_route, technology_with)
    terrestrial_before = np.isin(before, TERRESTRIAL) & tgt
    terrestrial_after = np.isin(after, TERRESTRIAL) & tgt
    new = terrestrial_after & ~terrestrial_before
    lost = terrestrial_before & ~terrestrial_after
    changed = tgt & (before != after)
    changes = Counter(zip(before[changed].tolist(), after[changed].tolist(), strict=True))
    if (total_without_usd is None and without is None) or (
        total_with_usd is None and with_route is None
    ):
        raise NetworkDesignError(
            "route_value: expected a NetworkDesign or a plan total for each side, found "
            "neither; pass total_without_usd / total_with_usd"
        )
    t0 = without.total_usd if total_without_usd is None else total_without_usd
    t1 = with_route.total_usd if total_with_usd is None else total_with_usd
    return RouteValue(
        float(pop[new].sum()), float(pop[lost].sum()), int(new.sum()), float(t0 - t1), dict(changes)
    )


@dataclass(frozen=True)
class PlannedRoute:
    """A planned route as graph edges: ``edge_i``, ``edge_j`` ``(n,)`` and their cost
    [USD, present value] if it were built by this plan."""

    name: str
    edge_i: np.ndarray
    edge_j: np.ndarray
    edge_cost_usd: np.ndarray


def planned_route_values(
    graph: FibreGraph,
    routes: Sequence[PlannedRoute],
    prize_usd,
    root_mask,
    population,
    target,
    node_cost_usd=0.0,
) -> dict[str, RouteValue]:
    """Each route's value: the design with that route built (free) against the base graph.

    The base graph holds none of the routes; ``target`` should also be where the prizes
    are (non-target prizes 0), so that only target cells drive the designs.
    """
    base = design_network(graph, prize_usd, root_mask, node_cost_usd)
    out = {}
    for route in routes:
        with_graph = graph.with_planned_route(
            route.edge_i, route.edge_j, route.edge_cost_usd, built=True
        )
        design = design_network(with_graph, prize_usd, root_mask, node_cost_usd)
        out[route.name] = route_value(base, design, population, target)
    return out
