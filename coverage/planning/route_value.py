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
from dataclasses import dataclass

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
    """

    people_newly_reached: float
    people_no_longer_reached: float
    sites_newly_reached: int
    cost_saved_usd: float
    technology_changes: dict


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
