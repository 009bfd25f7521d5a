"""Figures of merit and ground in, the backhaul decision out: per demand site, then
allocated to the cells.

Works on a Dataset that holds the ground (``population``, ``area_km2``,
``fiber_distance_km``, ``fiber_weighted_km``, the settlement points ``settlement_*``)
and the coverage figures of merit per (system, cell). Fibre is priced here and only
here: the ground carries the terrain-weighted path length [km], the plan multiplies it
by the scenario's cost per km. Fibre paths, trunks and microwave chains are taken on the
routing grid (:mod:`.routing`: the plan's cells, or the ``routing_*`` variables when the
plan's resolution is not the routing resolution), which sites reach at their settlement
points.

The decision is taken per demand site (:mod:`.sites`), the unit that is built; a site's
cost is shared out to its cells by population, so totals do not depend on the grid's
resolution. Builds are proposed only for **target** sites: rural (fewer people than
``urban_min_population``), with at least ``min_population`` people, farther than
``min_fiber_distance_km`` from existing fibre. Other settled sites get a reason and no
cost: ``served:on_network`` (within ``served_distance_km`` of fibre) or
``none:not_target(<why>)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import xarray as xr

from ..contract import contract_var
from .demand import demand_mbps, target_sites
from .economics import (
    annuity_factor,
    chosen_cash_flows,
    fiber_option_usd,
    present_value_usd,
    satellite_option_usd,
)
from .microwave import HOP_CAPACITY_MBPS, MicrowaveCosts, SharedChains, shared_chains
from .network_plan import NetworkPlan, SitePlan, capacity_plan, network_plan
from .recommend import ALREADY_SERVED, NO_POPULATION, Recommendation, SatelliteOption, recommend
from .rollout import SiteRollout, decision_rollout, rollout_case_variables, rollout_variables
from .routing import RoutingGrid, routing_grid
from .sites import Sites, cell_rows, demand_sites
from .sparse_lines import argmax_lines
from .spec import PlanningSpec

MICROWAVE = "microwave"
"""Recommendation meaning of a microwave relay chain."""

NOT_TARGET = "not_target"
"""Recommendation meaning of settled, unserved sites outside the target rule."""


def plan_sites(plan: xr.Dataset, spec: PlanningSpec) -> Sites:
    """The demand sites of a plan: its settlement points clustered within the scenario's
    ``service_radius_km``, its cells' people shared among them."""
    area = np.asarray(plan["area_km2"].values, dtype=np.float64)
    cell_radius_km = np.sqrt(2.0 * area / (3.0 * np.sqrt(3.0)))  # regular hexagon
    if "settlement_lat" in plan:
        p_lat = plan["settlement_lat"].values
        p_lon = plan["settlement_lon"].values
        p_weight = plan["settlement_weight"].values
        p_cell = plan["settlement_cell"].values.astype(str)
        p_reach = plan["settlement_reach_km"].values if "settlement_reach_km" in plan else None
    else:
        p_lat = p_lon = p_weight = np.zeros(0)
        p_cell = np.zeros(0, dtype=str)
        p_reach = None
    return demand_sites(
        plan["cell"].values.astype(str),
        plan["lat"].values,
        plan["lon"].values,
        plan["population"].values,
        cell_radius_km,
        p_cell,
        p_lat,
        p_lon,
        p_weight,
        spec.underserved.service_radius_km,
        point_reach_km=p_reach,
        footprint=_footprint(plan),
    )


def _footprint(plan: xr.Dataset):
    """``(cell_row, point, people)`` of the population model's settlement footprints,
    matched to the plan's settlement points (``None`` when the plan has none)."""
    if "footprint_people" not in plan or "settlement_place" not in plan:
        return None
    row = cell_rows(plan["cell"].values.astype(str), plan["footprint_cell"].values.astype(str))
    places = plan["settlement_place"].values.astype(np.int64)
    if places.size == 0:
        return None
    order = np.argsort(places, kind="stable")
    wanted = plan["footprint_place"].values.astype(np.int64)
    at = np.clip(np.searchsorted(places[order], wanted), 0, places.size - 1)
    point = np.where(places[order][at] == wanted, order[at], -1)
    return row, point, plan["footprint_people"].values.astype(np.float64)


def satellite_options(
    plan: xr.Dataset,
    spec: PlanningSpec,
    sites: Sites | None = None,
    licensed: Mapping[str, bool] | None = None,
) -> list[SatelliteOption]:
    """One option per backhaul-capable satellite system of the plan (not ``combined``),
    per cell, or per site (population-weighted means over the site's cells) with ``sites``.
    ``licensed`` (system name -> bool) overrides the plan's licences (a licensing case).
    """
    options = []
    backhaul = plan["backhaul"].values if "backhaul" in plan else None
    mean = None if sites is None else sites.mean_over_cells_by(plan["population"].values)

    def per_unit(values):
        return values if mean is None else mean(values)

    by_system: dict[str, np.ndarray] = {}  # variable -> its values, system first

    for k, system in enumerate(plan["system"].values):
        name = str(system)
        if name == "combined" or (backhaul is not None and not bool(backhaul[k])):
            continue

        def row(variable: str, k=k):  # this system's values (not the whole plan's)
            if variable not in by_system:
                by_system[variable] = plan[variable].transpose("system", ...).values
            return by_system[variable][k]

        orbit = str(row("orbit_class")).lower()
        is_licensed = (
            bool(row("licensed")) if licensed is None else bool(licensed.get(name, row("licensed")))
        )
        options.append(
            SatelliteOption(
                name,
                orbit,
                is_licensed,
                per_unit(row("pct_time_covered")),
                per_unit(row("pct_time_covered_open_sky")),
                per_unit(row("latency_rtt_mean_ms")),
                spec.costs_for(name, orbit),
            )
        )
    return options


def site_microwave(routing: RoutingGrid, spec: PlanningSpec, site_demand_mbps):
    """Present value [USD], hops and end cell of the cheapest microwave chain per site
    (the cheapest over the routing cells it reaches, ties to the fewest hops; inf, -1
    and -1 where none, or where the demand exceeds one hop's capacity), or
    ``(None, None, None)`` when the plan has no microwave reach."""
    if not spec.network.microwave or routing.microwave is None:
        return None, None, None
    capex, opex, cell_hops, _ = routing.microwave
    pv = present_value_usd(capex, opex, spec.finance.discount_rate, spec.finance.horizon_years)
    pv = np.where(np.isfinite(pv), pv, np.inf)
    cell = routing.site_best(pv, tie=np.where(cell_hops >= 0, cell_hops, 10**6))
    site_pv = np.where(cell >= 0, pv[np.maximum(cell, 0)], np.inf)
    site_pv = np.where(np.asarray(site_demand_mbps) <= HOP_CAPACITY_MBPS, site_pv, np.inf)
    ok = np.isfinite(site_pv)
    hops = np.where(ok, cell_hops[np.maximum(cell, 0)], -1).astype(np.int64)
    return site_pv, hops, np.where(ok, cell, -1)


def _share_chains(routing, spec, code, chosen, meanings, microwave_cell, site_demand):
    """Build the hops the chosen microwave sites' chains share once: ``(chosen, shared)``
    with the microwave sites' costs replaced by their shares (never above the chain
    alone); ``(chosen, None)`` without microwave or with ``design = "per_site"``."""
    if microwave_cell is None or spec.network.design != "shared":
        return chosen, None
    capex, opex, _, next_cell = routing.microwave
    if next_cell is None:  # the chains' next cells are unknown: each chain priced alone
        return chosen, None
    chosen = chosen.copy()
    takes = (code == meanings.index(MICROWAVE)) & np.isfinite(chosen)
    ends = np.where(takes, microwave_cell, -1)
    shared = shared_chains(next_cell, capex, ends, site_demand)
    costs = MicrowaveCosts()
    pv = present_value_usd(
        shared.site_capex_usd,
        shared.site_capex_usd * costs.opex_fraction_per_year,
        spec.finance.discount_rate,
        spec.finance.horizon_years,
    )
    chosen[takes] = np.minimum(chosen[takes], pv[takes])
    return chosen, shared


@dataclass(frozen=True)
class Decision:
    """The decision per site and its allocation to cells.

    Attributes
    ----------
    sites : Sites
    site_target : ndarray of bool, (n_site,)
    site : Recommendation
        Per site (``meanings`` end with ``not_target``).
    site_demand_mbps : ndarray, (n_site,)
    site_fiber_distance_km : ndarray, (n_site,)
    cell : Recommendation
        Per cell: the main site's choice and reason, costs allocated by population.
    cell_target : ndarray of bool, (n_cell,)
        The cell's site is a target.
    cell_site : ndarray of int, (n_cell,)
        The site whose decision the cell shows: the built site holding most of its
        people, else the site holding most of them; -1 for empty cells.
    standalone : Recommendation
        Per site, every site priced alone (own fibre path, satellites unlimited): the
        per-site plan the network plan is compared with (the plan itself then applies
        satellite capacity, :func:`.network_plan.capacity_plan`, where no trunk is shared).
    network : NetworkPlan or None
        The shared-trunk plan (``[network] design = "shared"``).
    site_runner_up, site_runner_up_cost_usd : ndarray, (n_site,)
        The next cheapest option of each target site in the network plan.
    site_fiber_weighted_km : ndarray, (n_site,)
        The site's own least-cost fibre path over the routing grid [km of easy ground].
    microwave_chains : SharedChains or None
        The relay chains of the sites that take microwave, their shared hops built once.
    routing : RoutingGrid or None
        The routing grid the decision was taken on (reused by the other licensing cases).
    """

    sites: Sites
    site_target: np.ndarray
    site: Recommendation
    site_demand_mbps: np.ndarray
    site_fiber_distance_km: np.ndarray
    cell: Recommendation
    cell_target: np.ndarray
    cell_site: np.ndarray
    standalone: Recommendation
    network: NetworkPlan | None
    site_runner_up: np.ndarray
    site_runner_up_cost_usd: np.ndarray
    site_fiber_weighted_km: np.ndarray
    microwave_chains: SharedChains | None = None
    routing: RoutingGrid | None = None


def decide(
    plan: xr.Dataset,
    spec: PlanningSpec,
    licensed: Mapping[str, bool] | None = None,
    sites: Sites | None = None,
    start: tuple[np.ndarray, np.ndarray] | None = None,
    routing: RoutingGrid | None = None,
) -> Decision:
    """The recommendation per site and per cell for a plan Dataset (ground + coverage).

    ``licensed`` (system -> bool) decides a licensing case other than the plan's own;
    ``sites`` and ``routing`` reuse the demand sites and the routing grid (with its cell
    graph) of an earlier call on the same plan (``Decision.sites``, ``Decision.routing``);
    ``start`` (``network_plan.tree_start`` of an earlier decision) warm-starts the fibre
    tree, so that a planned route is valued by what it changes (``pipeline.planned_routes``).
    """
    sites = plan_sites(plan, spec) if sites is None else sites
    people = plan["population"].values
    site_fiber_km = sites.min_over_cells(plan["fiber_distance_km"].values)
    if "settlement_fiber_distance_km" in plan:  # from the places themselves, not the grid
        site_fiber_km = sites.min_over_points(
            plan["settlement_fiber_distance_km"].values, site_fiber_km
        )
    routing = routing_grid(plan, sites) if routing is None else routing
    site_weighted_km = routing.site_min(routing.weighted_km)
    site_demand = demand_mbps(sites.population, spec.demand)
    options = satellite_options(plan, spec, sites, licensed)
    rec = recommend(
        sites.population,
        site_fiber_km,
        site_weighted_km,
        site_demand,
        options,
        spec.fiber,
        spec.finance,
        spec.criteria,
    )
    target, why = target_sites(sites.population, site_fiber_km, spec.underserved)
    # microwave comes after fibre in the categories; the satellite codes move up by one
    meanings = (*rec.meanings[:3], MICROWAVE, *rec.meanings[3:], NOT_TARGET)
    code = np.where(rec.code >= 3, rec.code + 1, rec.code).astype(np.int8)
    reason = rec.reason.copy()
    chosen = rec.chosen_cost_usd.copy()
    option_cost = dict(rec.option_cost_usd)
    microwave_pv, microwave_hops, microwave_cell = site_microwave(routing, spec, site_demand)
    if microwave_pv is not None:
        option_cost = {
            "fiber": option_cost["fiber"],
            MICROWAVE: microwave_pv,
            **{k: v for k, v in option_cost.items() if k != "fiber"},
        }
        # stand-alone (and the sites the network plan leaves): microwave where cheaper
        better = (code >= 2) & (microwave_pv < np.where(np.isfinite(chosen), chosen, np.inf))
        code[better] = meanings.index(MICROWAVE)
        chosen[better] = microwave_pv[better]
        reason[better] = [
            f"microwave:{h}_hop" + ("s" if h != 1 else "") for h in microwave_hops[better]
        ]
    # every site priced alone (own fibre path, microwave chain, satellites unlimited)
    standalone = Recommendation(code.copy(), meanings, reason.copy(), option_cost, chosen.copy())
    drop = ~target & (code != ALREADY_SERVED) & (code != NO_POPULATION)
    code[drop] = len(meanings) - 1
    reason[drop] = "none:not_target(" + why[drop] + ")"
    chosen[drop] = np.nan
    network = None
    runner_up = np.full(sites.n_sites, "", dtype=object)
    runner_up_cost = np.full(sites.n_sites, np.nan)
    has_network = bool(routing.on_network.any())
    planned = target & (code != ALREADY_SERVED) & (code != NO_POPULATION)
    mw = None if microwave_pv is None else (microwave_pv, microwave_hops)
    joint: NetworkPlan | SitePlan | None = None  # the target sites decided together
    if spec.network.design == "shared" and has_network:
        joint = network = network_plan(
            plan,
            spec,
            sites,
            planned,
            site_demand,
            rec.option_cost_usd,
            options,
            routing,
            microwave=mw,
            start=start,
        )
        # sites the network plan did not take (their access cell is on the network
        # already) keep their stand-alone decision
        planned = planned & (network.site_reason != "")
    elif spec.network.satellite_capacity:  # no shared trunk: satellites still fill up
        joint = capacity_plan(
            plan, spec, sites, planned, site_demand, rec.option_cost_usd, options, microwave=mw
        )
    if joint is not None:
        index = {m: k for k, m in enumerate(meanings)}
        code[planned] = [
            index.get(str(c), index["none_feasible"]) for c in joint.site_choice[planned]
        ]
        reason[planned] = joint.site_reason[planned]
        chosen[planned] = joint.site_cost_usd[planned]
        runner_up[planned] = joint.site_runner_up[planned]
        runner_up_cost[planned] = joint.site_runner_up_cost_usd[planned]
    chosen, chains = _share_chains(
        routing, spec, code, chosen, list(meanings), microwave_cell, site_demand
    )
    site = Recommendation(code, meanings, reason, option_cost, chosen)

    # each cell shows the decision of the site that holds most of its people among the
    # sites that are built (else among all): a cell with a cost is a cell with a build
    main = sites.main_site.copy()
    settled = main >= 0
    built_site = np.isfinite(chosen)
    if built_site.any() and settled.any():
        score = sites.share.tocsr(copy=True)
        score.data = score.data + 2.0 * built_site[score.indices]  # a built site always wins
        pick = argmax_lines(score, axis=1)
        main[settled] = pick[settled]
    cell_code = np.full(people.shape, NO_POPULATION, dtype=np.int8)
    cell_code[settled] = code[main[settled]]
    cell_reason = np.full(people.shape, "none:no_population", dtype=object)
    cell_reason[settled] = reason[main[settled]]
    allocate = sites.allocate_to_cells_by(people)
    cell_costs = {k: allocate(v) for k, v in option_cost.items()}
    cell_chosen = allocate(chosen)
    cell_chosen[~settled] = np.nan
    cell_target = np.zeros(people.shape, dtype=bool)
    cell_target[settled] = target[main[settled]]
    cell = Recommendation(cell_code, meanings, cell_reason, cell_costs, cell_chosen)
    return Decision(
        sites,
        target,
        site,
        site_demand,
        site_fiber_km,
        cell,
        cell_target,
        np.where(settled, main, -1),
        standalone,
        network,
        runner_up,
        runner_up_cost,
        site_weighted_km,
        chains,
        routing,
    )


def site_cash_flows(plan: xr.Dataset, spec: PlanningSpec, decision: Decision):
    """The yearly cash flows of what a decision builds (a :class:`CashFlowTable`).

    Fibre on a shared trunk and microwave chains are split into CAPEX and OPEX from the
    present value the decision charges the site: ``PV = CAPEX (1 + f A)`` with ``f`` the
    O&M share per year and ``A`` the annuity factor.
    """
    site = decision.site
    annuity = annuity_factor(spec.finance.discount_rate, spec.finance.horizon_years)
    chosen = np.array(site.meanings, dtype=object)[site.code]
    built = np.isfinite(site.chosen_cost_usd)
    capex, opex = {}, {}
    capex["fiber"], opex["fiber"] = fiber_option_usd(decision.site_fiber_weighted_km, spec.fiber)
    lifetimes: dict[str, int | None] = {"fiber": None, MICROWAVE: None}

    def split(pv, opex_fraction):
        first = pv / (1.0 + opex_fraction * annuity)
        return first, first * opex_fraction

    if MICROWAVE in site.option_cost_usd:
        pv = np.where(chosen == MICROWAVE, site.chosen_cost_usd, site.option_cost_usd[MICROWAVE])
        capex[MICROWAVE], opex[MICROWAVE] = split(pv, MicrowaveCosts().opex_fraction_per_year)
    if decision.network is not None:  # fibre on a shared trunk: its allocated share
        on_fibre = (chosen == "fiber") & built
        share_capex, share_opex = split(site.chosen_cost_usd, spec.fiber.opex_fraction_per_year)
        capex["fiber"] = np.where(on_fibre, share_capex, capex["fiber"])
        opex["fiber"] = np.where(on_fibre, share_opex, opex["fiber"])
    for option in satellite_options(plan, spec):  # (its costs only: no means over sites)
        capex[option.code_name], opex[option.code_name] = satellite_option_usd(
            decision.site_demand_mbps, option.costs
        )
        lifetimes[option.code_name] = option.costs.lifetime_years
    chosen[~built] = ""
    return chosen_cash_flows(chosen, capex, opex, spec.finance, lifetimes)


def licensing_variables(
    plan: xr.Dataset,
    spec: PlanningSpec,
    cases: Mapping[str, Mapping[str, bool]],
    base: Decision,
    others: Sequence[Decision] | None = None,
    base_rollout: SiteRollout | None = None,
) -> dict[str, tuple]:
    """Every licensing case decided on the same coverage, over the ``case`` dimension of
    the contract; ``base`` is the plan's own decision, the first case (not decided again:
    the network design is the costly part); ``others``: the other cases' decisions, in
    order, when the caller has them (:func:`case_decisions`); ``base_rollout``: the
    rollout of ``base`` (:func:`.rollout.decision_rollout`), when the caller has it."""
    names = list(cases)
    systems = [str(s) for s in plan["system"].values]
    if others is None:
        others = [
            decide(plan, spec, cases[name], base.sites, routing=base.routing) for name in names[1:]
        ]
    decisions = [base, *others]
    flows = [site_cash_flows(plan, spec, d) for d in decisions]
    meanings = decisions[0].cell.meanings
    licensed = np.array(
        [[int(bool(cases[n].get(s, False))) for s in systems] for n in names], np.int8
    )
    described = [
        ", ".join(s for s in systems if cases[n].get(s)) or "no satellite system" for n in names
    ]
    out = {
        "case": contract_var("case", np.array(names, dtype=str)),
        "case_description": contract_var(
            "case_description", np.array([f"licensed: {d}" for d in described], dtype=str)
        ),
        "licensed_by_case": contract_var("licensed_by_case", licensed),
        "recommendation_by_case": contract_var(
            "recommendation_by_case", np.stack([d.cell.code for d in decisions]), meanings
        ),
        "reason_by_case": contract_var(
            "reason_by_case", np.stack([d.cell.reason.astype(str) for d in decisions])
        ),
        "cost_recommended_by_case_usd": contract_var(
            "cost_recommended_by_case_usd", np.stack([d.cell.chosen_cost_usd for d in decisions])
        ),
        "cash_flow_capex_usd": contract_var(
            "cash_flow_capex_usd", np.stack([f.capex.sum(axis=0) for f in flows])
        ),
        "cash_flow_opex_usd": contract_var(
            "cash_flow_opex_usd", np.stack([f.opex.sum(axis=0) for f in flows])
        ),
        "year": contract_var("year", flows[0].year),
    }
    out.update(rollout_case_variables(decisions, spec, base_rollout))
    return out


def plan_decision(
    plan: xr.Dataset, spec: PlanningSpec, cases: Mapping[str, Mapping[str, bool]] | None = None
) -> Decision:
    """The plan's own decision: its first licensing case (or every system as licensed in
    the scenario when there are no cases)."""
    return decide(plan, spec, dict(next(iter(cases.values()))) if cases else None)


def case_decisions(
    plan: xr.Dataset, spec: PlanningSpec, cases: Mapping[str, Mapping[str, bool]] | None = None
) -> list[Decision]:
    """Every licensing case's decision, the plan's own (:func:`plan_decision`) first:
    the same as that and :func:`licensing_variables`'s, on the same demand sites and
    routing grid, with the other cases decided on a second thread while the first is
    (each decision is a function of its inputs alone; most of a network design runs
    without the GIL). ``[plan_decision]`` without cases."""
    if not cases:
        return [plan_decision(plan, spec, cases)]
    sites = plan_sites(plan, spec)
    routing = routing_grid(plan, sites)
    if spec.network.design == "shared" and routing.on_network.any():
        routing.cell_graph()  # built once, before the threads share the grid
    licences = [dict(v) for v in cases.values()]
    if len(licences) == 1:
        return [decide(plan, spec, licences[0], sites, routing=routing)]
    with ThreadPoolExecutor(1, "licensing-cases") as thread:
        later = [
            thread.submit(decide, plan, spec, licensed, sites, routing=routing)
            for licensed in licences[1:]
        ]
        first = decide(plan, spec, licences[0], sites, routing=routing)
        return [first, *(f.result() for f in later)]


def planning_variables(
    plan: xr.Dataset,
    spec: PlanningSpec,
    cases: Mapping[str, Mapping[str, bool]] | None = None,
    decision: Decision | None = None,
    others: Sequence[Decision] | None = None,
) -> dict[str, tuple]:
    """The planning variables of the plan contract as ``{name: (dims, values, attrs)}``.

    ``cases`` (licensing case -> system -> licensed, the base case first) adds the
    ``*_by_case`` variables; the plan's own recommendation is the first case's
    (``decision``, from :func:`plan_decision`, when the caller has it; ``others``: the
    other cases', from :func:`case_decisions`).
    """
    decision = plan_decision(plan, spec, cases) if decision is None else decision
    rec, sites = decision.cell, decision.sites
    horizon = f"over {spec.finance.horizon_years} years at {spec.finance.discount_rate:.0%}"
    rule = spec.underserved.describe()
    variables = {
        "demand_mbps": contract_var(
            "demand_mbps", demand_mbps(plan["population"].values, spec.demand)
        ),
        "underserved": contract_var(
            "underserved",
            decision.cell_target.astype(np.int8),
            rule=rule,
            long_name="target cell (its demand site is underserved)",
        ),
        "site": contract_var("site", decision.cell_site.astype(np.int32)),
        "recommendation": contract_var("recommendation", rec.code, rec.meanings),
        "reason": contract_var("reason", rec.reason.astype(str)),
        "cost_recommended_usd": contract_var(
            "cost_recommended_usd",
            rec.chosen_cost_usd,
            long_name=f"present value of the recommended build's costs {horizon}, the "
            "cell's share of its site",
        ),
        "site_lat": contract_var("site_lat", sites.lat_deg),
        "site_lon": contract_var("site_lon", sites.lon_deg),
        "site_population": contract_var("site_population", sites.population),
        "site_settlements": contract_var("site_settlements", sites.n_points.astype(np.int32)),
        "site_demand_mbps": contract_var("site_demand_mbps", decision.site_demand_mbps),
        "site_fiber_distance_km": contract_var(
            "site_fiber_distance_km", decision.site_fiber_distance_km
        ),
        "site_target": contract_var("site_target", decision.site_target.astype(np.int8), rule=rule),
        "site_recommendation": contract_var(
            "site_recommendation", decision.site.code, decision.site.meanings
        ),
        "site_reason": contract_var("site_reason", decision.site.reason.astype(str)),
        "site_cost_usd": contract_var(
            "site_cost_usd",
            decision.site.chosen_cost_usd,
            long_name=f"present value of the site's build {horizon}",
        ),
    }
    runner = np.full(decision.cell_site.shape, "", dtype=object)
    in_site = decision.cell_site >= 0  # no site at all: every cell is ""
    runner[in_site] = decision.site_runner_up[decision.cell_site[in_site]]
    variables.update(
        {
            "site_runner_up": contract_var("site_runner_up", decision.site_runner_up.astype(str)),
            "site_runner_up_cost_usd": contract_var(
                "site_runner_up_cost_usd", decision.site_runner_up_cost_usd
            ),
            "runner_up": contract_var("runner_up", runner.astype(str)),
            "runner_up_cost_usd": contract_var(
                "runner_up_cost_usd",
                sites.allocate_to_cells(
                    decision.site_runner_up_cost_usd, plan["population"].values
                ),
            ),
        }
    )
    if decision.network is not None:
        net = decision.network
        variables.update(
            {
                "fiber_trunk_id": contract_var("fiber_trunk_id", net.cell_trunk_id),
                "fiber_cells_sharing_trunk": contract_var(
                    "fiber_cells_sharing_trunk", net.cell_sharing_trunk.astype(np.int32)
                ),
                "fiber_allocated_trunk_usd": contract_var(
                    "fiber_allocated_trunk_usd", net.cell_allocated_trunk_usd
                ),
                "fiber_in_tree": contract_var("fiber_in_tree", net.cell_in_tree.astype(np.int8)),
                "capacity_area": contract_var("capacity_area", net.cell_area),
                "new_fiber_km": contract_var("new_fiber_km", np.float64(net.new_fiber_km)),
                "fiber_trunks": contract_var("fiber_trunks", np.int32(net.n_trunks)),
                "per_site_cost_usd": contract_var(
                    "per_site_cost_usd",
                    np.float64(
                        np.nansum(
                            np.where(
                                decision.site_target, decision.standalone.chosen_cost_usd, np.nan
                            )
                        )
                    ),
                ),
            }
        )
    chains = decision.microwave_chains
    if chains is not None:
        variables.update(
            {
                "microwave_links": contract_var("microwave_links", np.int32(chains.n_links)),
                "microwave_radio_pairs": contract_var(
                    "microwave_radio_pairs", np.int32(chains.n_radio_pairs)
                ),
                "microwave_relays": contract_var("microwave_relays", np.int32(chains.n_relays)),
                "microwave_shared_saving_usd": contract_var(
                    "microwave_shared_saving_usd",
                    np.float64(chains.standalone_capex_usd - chains.total_capex_usd),
                ),
            }
        )
    rollout = decision_rollout(decision, spec)  # the plan's own, and its first case's
    variables.update(rollout_variables(decision, spec, rollout))
    if cases:
        variables.update(licensing_variables(plan, spec, cases, decision, others, rollout))
    for option, cost in rec.option_cost_usd.items():
        variables[f"cost_{option}_usd"] = contract_var(
            f"cost_{option}_usd",
            cost,
            long_name=f"present value of costs of "
            f"{option.replace('_', ' ')} {horizon} (feasible or not), the cell's share of "
            "its site",
        )
    return variables


def technology_of(meanings: Sequence[str]) -> np.ndarray:
    """Technology group of each recommendation category (fiber, leo, meo, geo, ...)."""
    return np.array(
        [m.split("_")[0] if m.split("_")[0] in ("leo", "meo", "geo") else m for m in meanings],
        dtype=object,
    )
