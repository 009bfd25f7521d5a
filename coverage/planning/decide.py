"""Figures of merit and ground in, the backhaul decision per cell out.

Works on a Dataset that holds the ground (``population``, ``rural``,
``fiber_distance_km``, ``fiber_weighted_km``) and the coverage figures of merit per
(system, cell). Fibre is priced here and only here: the ground carries the
terrain-weighted path length [km], the plan multiplies it by the scenario's cost per km.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from ..contract import contract_var
from .demand import demand_mbps, underserved
from .recommend import Recommendation, SatelliteOption, recommend
from .spec import PlanningSpec


def fiber_weighted_km(plan: xr.Dataset) -> np.ndarray:
    """Terrain-weighted least-cost fibre path [km of easy ground]; inf where unreachable."""
    weighted = np.asarray(plan["fiber_weighted_km"].values, dtype=np.float64)
    return np.where(np.isfinite(weighted), weighted, np.inf)


def satellite_options(plan: xr.Dataset, spec: PlanningSpec) -> list[SatelliteOption]:
    """One option per backhaul-capable satellite system of the plan (not ``combined``)."""
    options = []
    backhaul = plan["backhaul"].values if "backhaul" in plan else None
    for k, system in enumerate(plan["system"].values):
        name = str(system)
        if name == "combined" or (backhaul is not None and not bool(backhaul[k])):
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


def planning_variables(plan: xr.Dataset, spec: PlanningSpec) -> dict[str, tuple]:
    """The planning variables of the plan contract as ``{name: (dims, values, attrs)}``."""
    demand = demand_mbps(plan["population"].values, spec.demand)
    rural = plan["rural"].values.astype(bool)
    flags = underserved(rural, plan["population"].values, plan["fiber_distance_km"].values,
                        spec.underserved)
    rec = decide(plan, spec)
    horizon = (f"over {spec.finance.horizon_years} years at "
               f"{spec.finance.discount_rate:.0%}")
    variables = {
        "demand_mbps": contract_var("demand_mbps", demand),
        "underserved": contract_var("underserved", flags.astype(np.int8),
                                    rule=spec.underserved.describe()),
        "recommendation": contract_var("recommendation", rec.code, rec.meanings),
        "reason": contract_var("reason", rec.reason.astype(str)),
        "cost_recommended_usd": contract_var(
            "cost_recommended_usd", rec.chosen_cost_usd,
            long_name=f"present value of the recommended option's costs {horizon}"),
    }
    for option, cost in rec.option_cost_usd.items():
        variables[f"cost_{option}_usd"] = contract_var(
            f"cost_{option}_usd", cost, long_name=f"present value of costs of "
            f"{option.replace('_', ' ')} over {spec.finance.horizon_years} years "
            "(feasible or not)")
    return variables


def technology_of(meanings: Sequence[str]) -> np.ndarray:
    """Technology group of each recommendation category (fiber, leo, meo, geo, ...)."""
    return np.array([m.split("_")[0] if m.split("_")[0] in ("leo", "meo", "geo") else m
                     for m in meanings], dtype=object)
