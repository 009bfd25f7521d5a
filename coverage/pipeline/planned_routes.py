"""What each planned route of the network file is worth to the plan.

For every route with ``status = "planned"`` (the Khunjerab-Rawalpindi-Karachi transit
route, the CAREC links, ...): the plan with that route built by others against the plan
without it, on the same coverage and the same target sites (the base licensing case):

- the route is built: the cells of the routing grid it enters join the network
  (``on_network``, the roots of the fibre tree) and every cell's least-cost path to fibre
  is recomputed with the route as a source (:func:`hybridplan.grids.fiber_reach`, the
  plan's own terrain rule);
- the target sites stay those of the plan (``fiber_distance_km`` is not changed), so the
  comparison is over the same people; microwave chains keep their plan (the route adds no
  microwave hub: an under-statement for microwave);
- the joint decision is taken again (:func:`hybridplan.coverage.planning.decide.decide`)
  and compared site by site (:func:`.planning.route_value.route_value`): target people
  newly on terrestrial backhaul (fibre or microwave), people no longer on it, the cost
  saved (the plan's total without minus with; the route's own cost is not counted: others
  build it) and the technology changes;
- both sides are the best plans found, each grown from the other's fibre tree
  (:func:`_best_pair`): a fresh heuristic run lays trunks far from the route otherwise,
  which must not count as the route's effect;
- sites that leave fibre (or terrestrial backhaul) are explained
  (:func:`.planning.route_value.explain_losses`): normally their shared trunk lost
  sites that now reach the route, and the rest no longer pay for it (a network effect
  the exact optimum shows too); ``route_change_reasons`` says so with the costs.

A route that enters no cell of the region off the existing network changes nothing and
is worth zero without a second decision. With ``[network] include_planned = true`` the
plan already counts every planned route as built and nothing is valued here.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import h3
import numpy as np
import xarray as xr

from ..contract import contract_var
from ..planning.decide import Decision, decide, plan_sites
from ..planning.network_plan import tree_start
from ..planning.route_value import (
    CAPACITY,
    TERRESTRIAL,
    TRUNK_LOST_SHARERS,
    RouteValue,
    explain_losses,
    route_value,
)
from ..planning.routing import RoutingGrid, routing_grid
from .inputs import PlanInputs

#: Densify routes to this spacing (or a third of the cell edge, if smaller) [km].
ROUTE_STEP_KM = 0.25


def route_cells(route, cells, resolution: int) -> np.ndarray:
    """Indices of ``cells`` (H3 strings at ``resolution``) that the route's polyline enters."""
    from hybridplan.grids import Network
    from hybridplan.grids.fiber_reach import network_points

    step = min(ROUTE_STEP_KM, h3.average_hexagon_edge_length(resolution, unit="km") / 3.0)
    points = network_points(Network((route,), (), ""), True, step)  # (lat, lon) [degree]
    index = {str(c): k for k, c in enumerate(cells)}
    hit = {index.get(h3.latlng_to_cell(float(a), float(b), resolution)) for a, b in points}
    hit.discard(None)
    return np.array(sorted(hit), dtype=np.int64)


def _site_technology(meanings, codes) -> np.ndarray:
    return np.array(meanings, dtype=object)[np.asarray(codes, dtype=np.int64)]


def _with_route(
    plan: xr.Dataset, inputs: PlanInputs, route, grid: RoutingGrid | None = None
) -> xr.Dataset:
    """The plan's ground with ``route`` built: its cells on the network, least-cost paths
    to the nearer of the old network and the route, on the routing grid (the plan's own
    cells, or the ``routing_*`` variables); ``grid``: that grid, whose cell graph
    gives the neighbouring cells (the same pairs H3 gives :func:`fiber_reach`)."""
    from hybridplan.grids import Network, extend_reach

    terrain = inputs.spec.terrain_costs
    only = Network((dataclasses.replace(route, status="existing"),), (), inputs.network.source)
    routing = "routing_cell" in plan.dims
    p = "routing_" if routing else ""
    names = {f"{p}lat": "lat", f"{p}lon": "lon", f"{p}elevation_m": "elevation_m"}
    if f"{p}slope_deg" in plan:
        names[f"{p}slope_deg"] = "slope_deg"
    ground = plan[list(names)].rename(names)
    if routing:
        ground = ground.rename({"routing_cell": "cell"})
    ground.attrs = {"region": plan.attrs.get("region", "")}
    on_name, weighted_name = f"{p}on_network", f"{p}fiber_weighted_km"
    # the old reach is fiber_reach's on the same cells and costs: only the cells the
    # route brings closer are searched (the same numbers as fmin of a fresh fiber_reach)
    on, weighted = extend_reach(
        ground,
        only,
        plan[on_name].values,
        plan[weighted_name].values,
        slope_cost_per_deg=terrain.slope_cost_per_deg,
        elevation_cost_per_km=terrain.elevation_cost_per_km,
        elevation_threshold_m=terrain.elevation_threshold_m,
        neighbours=None if grid is None else grid.cell_graph()[:2],
    )
    dims = plan[weighted_name].dims
    return plan.assign(
        {
            on_name: (dims, on.astype(plan[on_name].dtype), plan[on_name].attrs),
            weighted_name: (dims, weighted, plan[weighted_name].attrs),
        }
    )


def _meets_network(decision: Decision, routing: RoutingGrid) -> tuple[np.ndarray, np.ndarray]:
    """Per site: the trunk it hangs on (its first node below the network; -1 off the tree)
    and the routing cell where its fibre meets the network (-1 where it takes no fibre)."""
    n = decision.sites.n_sites
    trunk = np.full(n, -1, dtype=np.int64)
    meets = np.full(n, -1, dtype=np.int64)
    chosen = np.array(decision.site.meanings, dtype=object)[decision.site.code]
    net = decision.network
    if net is not None and net.design is not None and net.site_node is not None:
        node = net.site_node
        served = (node >= 0) & net.design.served[np.maximum(node, 0)] & (chosen == "fiber")
        trunk[served] = net.design.trunk_id[node[served]]
        meets[served] = net.design.parent[trunk[served]]
    access = routing.site_access()
    # a site whose own cell is on the network takes fibre there (no trunk)
    at = (meets < 0) & (chosen == "fiber") & (access >= 0)
    at &= routing.on_network[np.maximum(access, 0)]
    meets[at] = access[at]
    return trunk, meets


def _reasons(plan, routings, without: Decision, after: Decision, before):
    """Why target sites leave fibre or terrestrial backhaul with the route
    (:func:`explain_losses`), and the same in words with the median costs of those sites.
    ``without`` is the plan's own decision (its trunks); ``routings``: the routing grids
    without and with the route."""
    target = plan["site_target"].values.astype(bool)
    after_names = _site_technology(after.site.meanings, after.site.code)
    leaves = target & (
        ((before == "fiber") & (after_names != "fiber"))
        | (np.isin(before, TERRESTRIAL) & ~np.isin(after_names, TERRESTRIAL))
    )
    if not leaves.any():
        return {}, ""
    routing_before, routing_after = routings
    old_trunk, _ = _meets_network(without, routing_before)
    _, meets = _meets_network(after, routing_after)
    new_root = routing_after.on_network & ~routing_before.on_network
    via = (meets >= 0) & new_root[np.maximum(meets, 0)]
    limited = np.char.find(after.site.reason.astype(str), "_capacity_limited") >= 0
    people = plan["site_population"].values
    reasons = explain_losses(before, after_names, target, people, old_trunk, via, limited)
    cost = {
        "paid before": without.site.chosen_cost_usd,
        "fibre alone now": after.standalone.option_cost_usd["fiber"],
        "now": after.site.chosen_cost_usd,
    }
    lost = np.unique(old_trunk[(old_trunk >= 0) & via])
    sentences = []
    for (b, a, why), (n, p) in sorted(reasons.items(), key=lambda kv: -kv[1][0]):
        mine = leaves & (before == b) & (after_names == a)
        if why == TRUNK_LOST_SHARERS:
            mine &= np.isin(old_trunk, lost)
            medians = ", ".join(f"{k} USD {np.nanmedian(v[mine]):,.0f}" for k, v in cost.items())
            text = (
                f"{n:,} sites ({p:,.0f} people) {b}->{a}: their shared trunk lost sites that "
                f"now reach fibre through the route, and the rest no longer pay for it "
                f"(median per site: {medians})"
            )
        elif why == CAPACITY:
            text = f"{n:,} sites ({p:,.0f} people) {b}->{a}: a satellite they preferred is full"
        else:
            text = (
                f"{n:,} sites ({p:,.0f} people) {b}->{a}: not explained by the route (the "
                "trunk heuristic re-optimised elsewhere)"
            )
        sentences.append(text)
    return reasons, "; ".join(sentences)


def value_routes(
    plan: xr.Dataset, inputs: PlanInputs, own: Decision | None = None
) -> dict[str, tuple[int, RouteValue]]:
    """``{route name: (new network cells in the region, RouteValue)}`` of every planned
    route of ``inputs.network`` (module docstring); ``plan`` holds the plan's decision,
    ``own`` that decision itself when the caller has it (else it is decided again)."""
    spec = inputs.spec
    routes = [r for r in inputs.network.routes if r.status == "planned"]
    if not routes or spec.network.include_planned or "site_recommendation" not in plan:
        return {}
    routing = "routing_cell" in plan.dims  # the network runs over the routing grid
    cells = plan["routing_cell" if routing else "cell"].values.astype(str)
    resolution = int(h3.get_resolution(cells[0]))
    on = plan["routing_on_network" if routing else "on_network"].values.astype(bool)
    target = plan["site_target"].values.astype(bool)
    people = plan["site_population"].values.astype(np.float64)
    cases = inputs.scenario.licensing_cases()
    licensed = dict(next(iter(cases.values()))) if cases else None
    found = [route_cells(r, cells, resolution) for r in routes]
    found = [new[~on[new]] for new in found]
    results = [(0, RouteValue(0.0, 0.0, 0, 0.0, {})) for _ in routes]
    valued = [k for k, new in enumerate(found) if new.size]
    if valued:
        sites = plan_sites(plan, spec) if own is None else own.sites
        own = decide(plan, spec, licensed, sites) if own is None else own  # the plan's
        routing = own.routing if own.routing is not None else routing_grid(plan, sites)
        # one route at a time: two at once bought little on two cores (each design
        # already runs on both) for 400 MB more at the peak on all Pakistan
        for k in valued:
            value = _value_route(plan, inputs, routes[k], licensed, own, routing, target, people)
            results[k] = (int(found[k].size), value)
    out: dict[str, tuple[int, RouteValue]] = {}
    for route, result in zip(routes, results, strict=True):
        out[route.name] = result
    return out


def _value_route(plan, inputs, route, licensed, own: Decision, routing, target, people):
    """The :class:`RouteValue` of one planned route that enters new cells (see
    :func:`value_routes`); ``routing``: the plan's routing grid."""
    spec = inputs.spec
    sites = own.sites
    # the routing grids without and with the route: the same cells, sites and cell
    # graph, only the network differs (decided on once each, not per decision)
    shared = spec.network.design == "shared"  # the cell graph is built anyway
    with_plan = _with_route(plan, inputs, route, routing if shared else None)
    routings = (routing, routing.with_network(with_plan))
    without, with_route = _best_pair(plan, with_plan, spec, licensed, sites, own, routings)
    total = [_total(d, target) for d in (own, without, with_route)]
    before = _site_technology(without.site.meanings, without.site.code)
    after = _site_technology(with_route.site.meanings, with_route.site.code)
    value = route_value(None, None, people, target, before, after, total[1], total[2])
    reasons, note = _reasons(plan, routings, without, with_route, before)
    if total[1] < total[0] * (1.0 - 1e-9):
        note = (
            f"the plan without the route, grown again from the tree with it, costs USD "
            f"{total[0] - total[1]:,.0f} less than the plan as published (the trunk "
            "heuristic's gap): the cost saved and the changes are counted from that "
            "better plan" + (f"; {note}" if note else "")
        )
    return dataclasses.replace(value, change_reasons=reasons, change_note=note)


def _total(decision: Decision, target: np.ndarray) -> float:
    return float(np.nansum(np.where(target, decision.site.chosen_cost_usd, np.nan)))


def _best_pair(plan, with_plan, spec, licensed, sites, own: Decision, routings):
    """The best plans found without and with the route, each grown from the other's tree
    (``routings``: the routing grids without and with the route).

    The trunk design is a heuristic: decided afresh with the route it may lay trunks
    hundreds of km away otherwise (all Pakistan, the transit route: 923 of the 1,126 sites
    that left fibre were 63-600 km from it, their own paths unchanged), and part of what
    it finds was there to find without the route. So: with the route, the better of a
    fresh decision and one grown from the plan's tree (``decide(start=...)``: local
    search only); without it, the better of the plan and one grown from that tree; and
    with it again from the better plan without. Each side holds the other's solution,
    so a far-away difference of the heuristic shows on both and cancels; with more roots
    a tree grown from the plan without never costs more, so the route never costs money.
    """
    target = own.site_target

    def grown(ground, decision):
        if decision.network is None:
            return decision
        start = tree_start(decision.network, sites.n_sites)
        routing = routings[0] if ground is plan else routings[1]
        return decide(ground, spec, licensed, sites, start=start, routing=routing)

    def better(a, b):
        return b if _total(b, target) < _total(a, target) * (1.0 - 1e-12) else a

    # (the fresh decision and the one grown from the plan's tree are independent, but
    # on two threads at once they cost 255 MB more at the peak on all Pakistan for a
    # few seconds: each design already runs on both cores)
    fresh = decide(with_plan, spec, licensed, sites, routing=routings[1])
    with_route = better(fresh, grown(with_plan, own))
    del fresh  # freed unless it is the better one: not held through the next design
    without = better(own, grown(plan, with_route))
    if without is not own:
        with_route = better(with_route, grown(with_plan, without))
    if _total(with_route, target) > _total(without, target):  # not seen; a safeguard
        with_route = without  # the plan without stays feasible with the route
    return without, with_route


def _changes_text(changes: dict) -> str:
    items = sorted(Counter(changes).items(), key=lambda kv: (-kv[1], kv[0]))
    return "; ".join(f"{a}->{b}: {n}" for (a, b), n in items)


def planned_route_variables(
    plan: xr.Dataset, inputs: PlanInputs, own: Decision | None = None
) -> dict[str, tuple]:
    """The planned-route table as contract variables over ``route`` (empty without
    planned routes); ``own``: the plan's decision, if the caller has it."""
    values = value_routes(plan, inputs, own)
    if not values:
        return {}
    names = list(values)
    rows = [values[n][1] for n in names]
    return {
        "route": contract_var("route", np.array(names, dtype=str)),
        "route_cells": contract_var(
            "route_cells", np.array([values[n][0] for n in names], dtype=np.int32)
        ),
        "route_people_newly_reached": contract_var(
            "route_people_newly_reached", np.array([r.people_newly_reached for r in rows])
        ),
        "route_people_no_longer_reached": contract_var(
            "route_people_no_longer_reached", np.array([r.people_no_longer_reached for r in rows])
        ),
        "route_sites_newly_reached": contract_var(
            "route_sites_newly_reached",
            np.array([r.sites_newly_reached for r in rows], dtype=np.int32),
        ),
        "route_cost_saved_usd": contract_var(
            "route_cost_saved_usd", np.array([r.cost_saved_usd for r in rows])
        ),
        "route_technology_changes": contract_var(
            "route_technology_changes",
            np.array([_changes_text(r.technology_changes) for r in rows], dtype=str),
        ),
        "route_change_reasons": contract_var(
            "route_change_reasons", np.array([r.change_note for r in rows], dtype=str)
        ),
    }
