"""The planning tables of a scenario -> one :class:`PlanningSpec`, validated once.

The tables are ``[demand]``, ``[planning]`` (underserved rule, horizon and discount rate,
feasibility criteria), ``[finance]`` (exchange rate), ``[costs.fiber]``,
``[costs.leo|meo|geo]`` (defaults per orbit class), ``[costs.<system>]`` and
``[network]`` / ``[population]``. Every key, its default, range and source is in
:data:`~hybridplan.coverage.scenario.schema.SCHEMA`; this module only routes the
validated values into the planning dataclasses (and back, for :meth:`Scenario.to_toml`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..errors import ScenarioError
from ..planning.demand import DemandAssumptions, UnderservedRule
from ..planning.economics import FiberCosts, FinanceAssumptions, SatelliteCosts
from ..planning.recommend import FeasibilityCriteria
from ..planning.spec import NetworkOptions, PlanningSpec, PopulationOptions, TerrainCostFactors
from .schema import COST_CLASSES
from .validate import check_table, unknown_key_message

if TYPE_CHECKING:
    from .scenario import Scenario


def _names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def _pick(cls, values: Mapping):
    return cls(**{k: values[k] for k in _names(cls) if k in values})


def _quoted(name: str) -> str:
    from .scenario import toml_key

    return toml_key(name)


def planning_from_tables(data: Mapping, systems: Sequence[str], source: str) -> PlanningSpec:
    """Validate a parsed scenario's planning tables (``systems``: the system names)."""

    def table(section):
        return check_table(section, data.get(section, {}), f"{source}: [{section}]")

    planning = table("planning")
    finance = {**planning, **table("finance")}
    costs = data.get("costs", {})
    if not isinstance(costs, Mapping):
        check_table("costs.fiber", costs, f"{source}: [costs]")  # raises: not a table
    fiber = check_table("costs.fiber", costs.get("fiber", {}), f"{source}: [costs.fiber]")
    orbit_costs, given = {}, {}
    for name, values in costs.items():
        where = f"{source}: [costs.{_quoted(name)}]"
        if name == "fiber":
            continue
        if name in COST_CLASSES:
            if name in systems:
                raise ScenarioError(
                    f"{where}: ambiguous: '{name}' names both the "
                    f"{name.upper()} orbit-class costs and a system; rename "
                    "the system"
                )
            orbit_costs[name.upper()] = SatelliteCosts(
                **check_table(f"costs.{name}", values, where)
            )
        elif name in systems:
            given[name] = check_table("costs.<system>", values, where, only_given=True)
        else:
            raise ScenarioError(
                unknown_key_message(f"{source}: [costs]", name, ["fiber", *COST_CLASSES, *systems])
            )
    return PlanningSpec(
        demand=DemandAssumptions(**table("demand")),
        underserved=_pick(UnderservedRule, planning),
        finance=_pick(FinanceAssumptions, finance),
        criteria=_pick(FeasibilityCriteria, planning),
        fiber=_pick(FiberCosts, fiber),
        terrain_costs=_pick(TerrainCostFactors, fiber),
        orbit_costs=orbit_costs,
        satellite_costs=given,
        network=NetworkOptions(**table("network")),
        population=PopulationOptions(**table("population")),
    )


def planning_spec(scenario: Scenario) -> PlanningSpec:
    """The scenario's :class:`PlanningSpec` (validated when the scenario was built)."""
    return scenario.planning


def planning_tables(spec: PlanningSpec) -> dict[str, dict]:
    """The planning spec as TOML tables ``{header: {key: value}}`` (defaults included)."""

    def values(*objects):
        out = {}
        for obj in objects:
            out.update(dataclasses.asdict(obj))
        return out

    finance = dataclasses.asdict(spec.finance)
    tables = {
        "demand": values(spec.demand),
        "planning": {
            **values(spec.underserved, spec.criteria),
            "horizon_years": finance["horizon_years"],
            "discount_rate": finance["discount_rate"],
        },
        "finance": {
            "usd_to_pkr": finance["usd_to_pkr"],
            "usd_to_pkr_as_of": finance["usd_to_pkr_as_of"],
        },
        "costs.fiber": values(spec.fiber, spec.terrain_costs),
    }
    for orbit, costs in spec.orbit_costs.items():
        tables[f"costs.{orbit.lower()}"] = dataclasses.asdict(costs)
    for name, given in spec.satellite_costs.items():
        tables[f"costs.{_quoted(name)}"] = dict(given)
    tables["network"] = values(spec.network)
    tables["population"] = values(spec.population)
    return tables
