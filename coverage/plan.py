"""The plan pipeline: grid, terrain, population, fibre reach, coverage, then the backhaul
recommendation per cell, as one labelled Dataset (DESIGN.md, "The plan Dataset").

::

    from hybridplan.coverage.plan import build_plan
    plan = build_plan(default_scenario(), workers=2)
    plan["recommendation"], plan["reason"], plan["cost_fiber_usd"]
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor

import numpy as np
import xarray as xr
from hybridplan.grids import Network, Region, distribute_population, fiber_reach, load_network

from .api import prepare_grid, run_scenario, scenario_region
from .demand import demand_mbps, underserved
from .engine import ProgressCallback, SystemModel
from .planning import PlanningSpec, planning_spec
from .recommend import Recommendation, SatelliteOption, recommend
from .scenario import Scenario

#: Systems that are never backhaul options (narrowband voice/IoT).
NOT_BACKHAUL = ("iridium-next",)


def scenario_network(scenario: Scenario, spec: PlanningSpec) -> Network:
    """The ``[network]`` file (relative to the scenario), or the bundled default."""
    path = spec.network.path
    return load_network(None if path == "bundled" else scenario.resolve_path(path))


def prepare_ground(scenario: Scenario, spec: PlanningSpec, *, region: Region | None = None,
                   network: Network | None = None) -> xr.Dataset:
    """Grid with terrain, population, rural flag and fibre reach.

    ``region`` and ``network`` skip loading them again when the caller has them.
    """
    grid = prepare_grid(scenario, scenario_region(scenario) if region is None else region)
    population = spec.population
    source = None if population.source == "bundled" else scenario.resolve_path(population.source)
    grid = distribute_population(grid, source,
                                 rural_density_per_km2=population.rural_density_per_km2)
    network = scenario_network(scenario, spec) if network is None else network
    terrain = spec.terrain_costs
    return fiber_reach(grid, network, include_planned=spec.network.include_planned,
                       cost_per_km_usd=spec.fiber.cost_per_km_usd,
                       slope_cost_per_deg=terrain.slope_cost_per_deg,
                       elevation_cost_per_km=terrain.elevation_cost_per_km,
                       elevation_threshold_m=terrain.elevation_threshold_m)


def fiber_weighted_km(plan: xr.Dataset) -> np.ndarray:
    """Terrain-weighted least-cost path [km]: the line cost per km of easy ground.

    ``fiber_cost_usd`` is linear in the cost per km, so a cost sweep needs no new
    path search. Cells with no path are inf.
    """
    cost_per_km = float(plan.attrs["fiber_cost_per_km_usd"])
    if cost_per_km > 0:
        weighted = plan["fiber_cost_usd"].values / cost_per_km
    else:
        weighted = plan["fiber_path_km"].values * plan["fiber_terrain_factor"].values
    return np.where(np.isfinite(weighted), weighted, np.inf)


def satellite_options(plan: xr.Dataset, spec: PlanningSpec) -> list[SatelliteOption]:
    """One option per satellite system of the plan (not ``combined``, not narrowband)."""
    options = []
    for system in plan["system"].values:
        name = str(system)
        if name == "combined" or name in NOT_BACKHAUL:
            continue
        row = plan.sel(system=name)
        orbit = str(row["orbit_class"].values).lower()
        options.append(SatelliteOption(
            name, orbit, bool(row["licensed"].values), row["pct_time_covered"].values,
            row["pct_time_covered_open_sky"].values, row["latency_rtt_mean_ms"].values,
            spec.costs_for(name, orbit)))
    return options


def decide(plan: xr.Dataset, spec: PlanningSpec) -> Recommendation:
    """The recommendation for a plan Dataset that holds ground and coverage."""
    demand = demand_mbps(plan["population"].values, spec.demand)
    return recommend(plan["population"].values, plan["fiber_distance_km"].values,
                     fiber_weighted_km(plan), demand, satellite_options(plan, spec),
                     spec.fiber, spec.finance, spec.criteria)


def _planning_variables(plan: xr.Dataset, spec: PlanningSpec) -> dict[str, tuple]:
    demand = demand_mbps(plan["population"].values, spec.demand)
    rural = plan["rural"].values.astype(bool)
    flags = underserved(rural, plan["population"].values, plan["fiber_distance_km"].values,
                        spec.underserved)
    rec = decide(plan, spec)
    variables = {
        "demand_mbps": ("cell", demand, {
            "units": "Mbit/s", "long_name": "busy-hour backhaul demand"}),
        "underserved": ("cell", flags.astype(np.int8), {
            "units": "1", "long_name": "underserved cell", "rule": spec.underserved.describe(),
            "flag_values": np.array([0, 1], np.int8), "flag_meanings": "served underserved"}),
        "recommendation": ("cell", rec.code, {
            "units": "1", "long_name": "recommended backhaul",
            "flag_values": np.arange(len(rec.meanings), dtype=np.int8),
            "flag_meanings": " ".join(rec.meanings)}),
        "reason": ("cell", rec.reason.astype(str), {
            "units": "1", "long_name": "why this recommendation (choice:reason)"}),
        "cost_recommended_usd": ("cell", rec.chosen_cost_usd, {
            "units": "USD", "long_name": "present value of the recommended option's costs "
            f"over {spec.finance.horizon_years} years at {spec.finance.discount_rate:.0%}"}),
    }
    for option, cost in rec.option_cost_usd.items():
        variables[f"cost_{option}_usd"] = ("cell", cost, {
            "units": "USD", "long_name": f"present value of costs of {option.replace('_', ' ')} "
            f"over {spec.finance.horizon_years} years (feasible or not)"})
    return variables


def assemble_plan(ground: xr.Dataset, fom: xr.Dataset, spec: PlanningSpec) -> xr.Dataset:
    """Merge ground and coverage, add demand, underserved flag, recommendation and costs."""
    fom = fom.drop_vars([v for v in ("lat", "lon") if v in fom.coords])
    plan = xr.merge([ground, fom], compat="override", combine_attrs="override")
    plan.attrs = {**ground.attrs, **fom.attrs}  # the coverage run's record wins on clashes
    plan.attrs["fiber_cost_per_km_usd"] = spec.fiber.cost_per_km_usd
    plan = plan.assign(_planning_variables(plan, spec))
    plan.attrs["underserved_rule"] = spec.underserved.describe()
    plan.attrs["planning_horizon_years"] = spec.finance.horizon_years
    plan.attrs["discount_rate"] = spec.finance.discount_rate
    return plan


def build_plan(scenario: Scenario, *, workers: int | None = None,
               executor: Executor | None = None, progress: ProgressCallback | None = None,
               ground: xr.Dataset | None = None, systems: Sequence[SystemModel] | None = None,
               region: Region | None = None, network: Network | None = None) -> xr.Dataset:
    """Run the whole pipeline for a scenario; returns the plan Dataset.

    ``ground``, ``systems``, ``region`` and ``network`` are used as given when the caller
    has them already (the CLI resolves them once for the plan and its report).
    """
    spec = planning_spec(scenario)  # validate the planning tables before the long part
    if ground is None:
        ground = prepare_ground(scenario, spec, region=region, network=network)
    fom = run_scenario(scenario, grid=ground, systems=systems, workers=workers,
                       executor=executor, progress=progress)
    return assemble_plan(ground, fom, spec)


def technology_of(meanings: Sequence[str]) -> np.ndarray:
    """Technology group of each recommendation category (fiber, leo, meo, geo, ...)."""
    return np.array([m.split("_")[0] if m.split("_")[0] in ("leo", "meo", "geo") else m
                     for m in meanings], dtype=object)
