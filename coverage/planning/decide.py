"""Figures of merit and ground in, the backhaul decision out: per demand site, then
allocated to the cells.

Works on a Dataset that holds the ground (``population``, ``area_km2``,
``fiber_distance_km``, ``fiber_weighted_km``, the settlement points ``settlement_*``)
and the coverage figures of merit per (system, cell). Fibre is priced here and only
here: the ground carries the terrain-weighted path length [km], the plan multiplies it
by the scenario's cost per km.

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
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .demand import demand_mbps, target_sites
from .economics import chosen_cash_flows, fiber_option_usd, satellite_option_usd
from .recommend import ALREADY_SERVED, NO_POPULATION, Recommendation, SatelliteOption, recommend
from .sites import Sites, demand_sites
from .spec import PlanningSpec

NOT_TARGET = "not_target"
"""Recommendation meaning of settled, unserved sites outside the target rule."""


def fiber_weighted_km(plan: xr.Dataset) -> np.ndarray:
    """Terrain-weighted least-cost fibre path [km of easy ground]; inf where unreachable."""
    weighted = np.asarray(plan["fiber_weighted_km"].values, dtype=np.float64)
    return np.where(np.isfinite(weighted), weighted, np.inf)


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
    else:
        p_lat = p_lon = p_weight = np.zeros(0)
        p_cell = np.zeros(0, dtype=str)
    return demand_sites(plan["cell"].values.astype(str), plan["lat"].values, plan["lon"].values,
                        plan["population"].values, cell_radius_km, p_cell, p_lat, p_lon,
                        p_weight, spec.underserved.service_radius_km)


def satellite_options(plan: xr.Dataset, spec: PlanningSpec, sites: Sites | None = None,
                      licensed: Mapping[str, bool] | None = None) -> list[SatelliteOption]:
    """One option per backhaul-capable satellite system of the plan (not ``combined``),
    per cell, or per site (population-weighted means over the site's cells) with ``sites``.
    ``licensed`` (system name -> bool) overrides the plan's licences (a licensing case).
    """
    options = []
    backhaul = plan["backhaul"].values if "backhaul" in plan else None
    people = plan["population"].values

    def per_unit(values):
        return values if sites is None else sites.mean_over_cells(values, people)

    for k, system in enumerate(plan["system"].values):
        name = str(system)
        if name == "combined" or (backhaul is not None and not bool(backhaul[k])):
            continue
        row = plan.sel(system=name)
        orbit = str(row["orbit_class"].values).lower()
        is_licensed = (bool(row["licensed"].values) if licensed is None
                       else bool(licensed.get(name, row["licensed"].values)))
        options.append(SatelliteOption(
            name, orbit, is_licensed, per_unit(row["pct_time_covered"].values),
            per_unit(row["pct_time_covered_open_sky"].values),
            per_unit(row["latency_rtt_mean_ms"].values), spec.costs_for(name, orbit)))
    return options


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
        The cell's main site is a target.
    """

    sites: Sites
    site_target: np.ndarray
    site: Recommendation
    site_demand_mbps: np.ndarray
    site_fiber_distance_km: np.ndarray
    cell: Recommendation
    cell_target: np.ndarray


def decide(plan: xr.Dataset, spec: PlanningSpec, licensed: Mapping[str, bool] | None = None,
           sites: Sites | None = None) -> Decision:
    """The recommendation per site and per cell for a plan Dataset (ground + coverage).

    ``licensed`` (system -> bool) decides a licensing case other than the plan's own;
    ``sites`` reuses the demand sites of an earlier call on the same plan.
    """
    sites = plan_sites(plan, spec) if sites is None else sites
    people = plan["population"].values
    site_fiber_km = sites.min_over_cells(plan["fiber_distance_km"].values)
    site_weighted_km = sites.min_over_cells(fiber_weighted_km(plan))
    site_demand = demand_mbps(sites.population, spec.demand)
    rec = recommend(sites.population, site_fiber_km, site_weighted_km, site_demand,
                    satellite_options(plan, spec, sites, licensed), spec.fiber, spec.finance,
                    spec.criteria)
    target, why = target_sites(sites.population, site_fiber_km, spec.underserved)
    meanings = (*rec.meanings, NOT_TARGET)
    code = rec.code.copy()
    reason = rec.reason.copy()
    chosen = rec.chosen_cost_usd.copy()
    drop = ~target & (code != ALREADY_SERVED) & (code != NO_POPULATION)
    code[drop] = len(meanings) - 1
    reason[drop] = "none:not_target(" + why[drop] + ")"
    chosen[drop] = np.nan
    site = Recommendation(code, meanings, reason, rec.option_cost_usd, chosen)

    main = sites.main_site
    settled = main >= 0
    cell_code = np.full(people.shape, NO_POPULATION, dtype=np.int8)
    cell_code[settled] = code[main[settled]]
    cell_reason = np.full(people.shape, "none:no_population", dtype=object)
    cell_reason[settled] = reason[main[settled]]
    cell_costs = {k: sites.allocate_to_cells(v, people) for k, v in rec.option_cost_usd.items()}
    cell_chosen = sites.allocate_to_cells(chosen, people)
    cell_chosen[~settled] = np.nan
    cell_target = np.zeros(people.shape, dtype=bool)
    cell_target[settled] = target[main[settled]]
    cell = Recommendation(cell_code, meanings, cell_reason, cell_costs, cell_chosen)
    return Decision(sites, target, site, site_demand, site_fiber_km, cell, cell_target)


def site_cash_flows(plan: xr.Dataset, spec: PlanningSpec, decision: Decision):
    """The yearly cash flows of what a decision builds (a :class:`CashFlowTable`)."""
    sites = decision.sites
    site_weighted_km = sites.min_over_cells(fiber_weighted_km(plan))
    capex, opex = {}, {}
    capex["fiber"], opex["fiber"] = fiber_option_usd(site_weighted_km, spec.fiber)
    lifetimes: dict[str, int | None] = {"fiber": None}
    for option in satellite_options(plan, spec, sites):
        capex[option.code_name], opex[option.code_name] = satellite_option_usd(
            decision.site_demand_mbps, option.costs)
        lifetimes[option.code_name] = option.costs.lifetime_years
    chosen = np.array(decision.site.meanings, dtype=object)[decision.site.code]
    chosen[~np.isfinite(decision.site.chosen_cost_usd)] = ""
    return chosen_cash_flows(chosen, capex, opex, spec.finance, lifetimes)


def licensing_variables(plan: xr.Dataset, spec: PlanningSpec,
                        cases: Mapping[str, Mapping[str, bool]], sites: Sites
                        ) -> dict[str, tuple]:
    """Every licensing case decided on the same coverage: variables over
    ``licensing_case`` (the plan's own recommendation is the first case)."""
    names = list(cases)
    systems = [str(s) for s in plan["system"].values if str(s) != "combined"]
    decisions = [decide(plan, spec, cases[name], sites) for name in names]
    flows = [site_cash_flows(plan, spec, d) for d in decisions]
    meanings = decisions[0].cell.meanings
    flag_attrs = {"flag_values": np.arange(len(meanings), dtype=np.int8),
                  "flag_meanings": " ".join(meanings)}
    return {
        "licensing_case": ("licensing_case", np.array(names, dtype=str), {
            "long_name": "licensing case (which systems may serve the region)"}),
        "licensed_by_case": (("licensing_case", "system_licensed"), np.array(
            [[int(bool(cases[n].get(s, False))) for s in systems] for n in names], np.int8), {
            "units": "1", "long_name": "system licensed in the case",
            "flag_values": np.array([0, 1], np.int8),
            "flag_meanings": "not_licensed licensed"}),
        "system_licensed": ("system_licensed", np.array(systems, dtype=str), {
            "long_name": "satellite system (licensing cases)"}),
        "recommendation_by_case": (("licensing_case", "cell"), np.stack(
            [d.cell.code for d in decisions]), {
            "units": "1", "long_name": "recommended backhaul in each licensing case",
            **flag_attrs}),
        "reason_by_case": (("licensing_case", "cell"), np.stack(
            [d.cell.reason.astype(str) for d in decisions]), {
            "units": "1", "long_name": "why this recommendation in each licensing case"}),
        "cost_recommended_by_case_usd": (("licensing_case", "cell"), np.stack(
            [d.cell.chosen_cost_usd for d in decisions]), {
            "units": "USD", "long_name": "present value of the recommended build's costs in "
            "each licensing case, the cell's share of its site"}),
        "cash_flow_capex_usd": (("licensing_case", "year"), np.stack(
            [f.capex.sum(axis=0) for f in flows]), {
            "units": "USD", "long_name": "investment per year of what the plan builds "
            "(terminal replacements included)"}),
        "cash_flow_opex_usd": (("licensing_case", "year"), np.stack(
            [f.opex.sum(axis=0) for f in flows]), {
            "units": "USD", "long_name": "running costs per year of what the plan builds"}),
        "year": ("year", flows[0].year, {"units": "year",
                                         "long_name": "year of the planning horizon"}),
    }


def planning_variables(plan: xr.Dataset, spec: PlanningSpec,
                       cases: Mapping[str, Mapping[str, bool]] | None = None
                       ) -> dict[str, tuple]:
    """The planning variables of the plan contract as ``{name: (dims, values, attrs)}``.

    ``cases`` (licensing case -> system -> licensed, the base case first) adds the
    ``*_by_case`` variables; the plan's own recommendation is the first case's.
    """
    base = dict(next(iter(cases.values()))) if cases else None
    decision = decide(plan, spec, base)
    rec, sites = decision.cell, decision.sites
    horizon = (f"over {spec.finance.horizon_years} years at "
               f"{spec.finance.discount_rate:.0%}")
    flag_attrs = {"flag_values": np.arange(len(rec.meanings), dtype=np.int8),
                  "flag_meanings": " ".join(rec.meanings)}
    variables = {
        "demand_mbps": ("cell", demand_mbps(plan["population"].values, spec.demand), {
            "units": "Mbit/s", "long_name": "busy-hour backhaul demand"}),
        "underserved": ("cell", decision.cell_target.astype(np.int8), {
            "units": "1", "long_name": "target cell (its demand site is underserved)",
            "rule": spec.underserved.describe(),
            "flag_values": np.array([0, 1], np.int8), "flag_meanings": "served underserved"}),
        "site": ("cell", sites.main_site.astype(np.int32), {
            "units": "1", "long_name": "demand site holding most of the cell's people "
            "(-1: nobody lives in the cell)"}),
        "recommendation": ("cell", rec.code, {
            "units": "1", "long_name": "recommended backhaul", **flag_attrs}),
        "reason": ("cell", rec.reason.astype(str), {
            "units": "1", "long_name": "why this recommendation (choice:reason)"}),
        "cost_recommended_usd": ("cell", rec.chosen_cost_usd, {
            "units": "USD", "long_name": "present value of the recommended build's costs "
            f"{horizon}, the cell's population share of its site"}),
        "site_lat": ("site", sites.lat_deg, {"units": "degrees_north",
                                             "long_name": "site centre latitude"}),
        "site_lon": ("site", sites.lon_deg, {"units": "degrees_east",
                                             "long_name": "site centre longitude"}),
        "site_population": ("site", sites.population, {
            "units": "person", "long_name": "people served by the site"}),
        "site_settlements": ("site", sites.n_points.astype(np.int32), {
            "units": "1", "long_name": "settlement points in the site (0: dispersed)"}),
        "site_demand_mbps": ("site", decision.site_demand_mbps, {
            "units": "Mbit/s", "long_name": "busy-hour backhaul demand of the site"}),
        "site_fiber_distance_km": ("site", decision.site_fiber_distance_km, {
            "units": "km", "long_name": "straight-line distance from the site's nearest cell "
            "to existing fibre"}),
        "site_target": ("site", decision.site_target.astype(np.int8), {
            "units": "1", "long_name": "target site (underserved rule)",
            "rule": spec.underserved.describe(),
            "flag_values": np.array([0, 1], np.int8), "flag_meanings": "not_target target"}),
        "site_recommendation": ("site", decision.site.code, {
            "units": "1", "long_name": "recommended backhaul of the site", **flag_attrs}),
        "site_reason": ("site", decision.site.reason.astype(str), {
            "units": "1", "long_name": "why this recommendation (choice:reason)"}),
        "site_cost_usd": ("site", decision.site.chosen_cost_usd, {
            "units": "USD", "long_name": f"present value of the site's build {horizon}"}),
    }
    if cases:
        variables.update(licensing_variables(plan, spec, cases, sites))
    for option, cost in rec.option_cost_usd.items():
        variables[f"cost_{option}_usd"] = ("cell", cost, {
            "units": "USD", "long_name": f"present value of costs of {option.replace('_', ' ')} "
            f"{horizon} (feasible or not), the cell's share of its site"})
    return variables


def technology_of(meanings: Sequence[str]) -> np.ndarray:
    """Technology group of each recommendation category (fiber, leo, meo, geo, ...)."""
    return np.array([m.split("_")[0] if m.split("_")[0] in ("leo", "meo", "geo") else m
                     for m in meanings], dtype=object)
