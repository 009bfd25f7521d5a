"""The planning tables of a scenario, validated: demand, underserved rule, finance, costs,
feasibility criteria, network and population options.

They live in the scenario's reserved tables ``[demand]``, ``[planning]``, ``[costs.fiber]``,
``[costs.<system>]``, ``[network]`` and ``[population]``; every key has a default (see
:func:`planning_defaults_markdown`), unknown keys are errors that suggest the nearest key,
and every number is range-checked with the key named in the message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from ..errors import ScenarioError
from ..planning.demand import DemandAssumptions, UnderservedRule
from ..planning.economics import (
    DEFAULT_GEO_COSTS,
    DEFAULT_LEO_COSTS,
    FiberCosts,
    FinanceAssumptions,
    SatelliteCosts,
)
from ..planning.recommend import FeasibilityCriteria
from ..planning.spec import (
    NetworkOptions,
    PlanningSpec,
    PopulationOptions,
    TerrainCostFactors,
)
from .scenario import Scenario
from .schema import unknown_key_message

#: Ranges per key [low, high] (inclusive); keys absent here must be >= 0.
_RANGES = {
    "take_up_rate": (0.0, 1.0), "household_size": (0.5, 50.0),
    "overbooking_ratio": (1.0, 1000.0), "discount_rate": (0.0, 1.0),
    "horizon_years": (1, 100), "min_availability_pct": (0.0, 100.0),
    "opex_fraction_per_year": (0.0, 1.0), "capacity_mbps_per_terminal": (1e-6, 1e6),
}


def _build(cls, table, where: str, defaults=None):
    """A dataclass from a TOML table: known keys only, numbers range-checked."""
    if not isinstance(table, Mapping):
        raise ScenarioError(f"{where}: expected a table, found {type(table).__name__}")
    names = [f.name for f in dataclasses.fields(cls)]
    values = {}
    base = defaults if defaults is not None else cls()
    for key, value in table.items():
        if key not in names:
            raise ScenarioError(unknown_key_message(f"{where}", key, names))
        expected = getattr(base, key)
        if isinstance(expected, bool):
            if not isinstance(value, bool):
                raise ScenarioError(f"{where} {key} = {value!r}: expected true or false")
        elif isinstance(expected, (int, float)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ScenarioError(f"{where} {key} = {value!r}: expected a number")
            low, high = _RANGES.get(key, (0.0, float("inf")))
            if not low <= value <= high:
                raise ScenarioError(f"{where} {key} = {value!r}: expected {low:g}..{high:g}")
            if isinstance(expected, int):
                if value != int(value):
                    raise ScenarioError(f"{where} {key} = {value!r}: expected a whole number")
                value = int(value)
            else:
                value = float(value)
        elif isinstance(expected, str) and not isinstance(value, str):
            raise ScenarioError(f"{where} {key} = {value!r}: expected a string")
        values[key] = value
    return dataclasses.replace(base, **values)


_PLANNING_KEYS = {
    "underserved": ("min_fiber_distance_km", "min_population"),
    "finance": ("horizon_years", "discount_rate"),
    "criteria": ("min_availability_pct", "max_latency_rtt_ms", "served_distance_km"),
}


def planning_spec(scenario: Scenario) -> PlanningSpec:
    """Validate the scenario's planning tables into a :class:`PlanningSpec`."""
    tables = scenario.reserved
    src = scenario.source
    planning = dict(tables.get("planning", {}))
    valid = [k for keys in _PLANNING_KEYS.values() for k in keys]
    for key in planning:
        if key not in valid:
            raise ScenarioError(unknown_key_message(f"{src}: [planning]", key, valid))
    parts = {}
    for name, keys in _PLANNING_KEYS.items():
        cls = {"underserved": UnderservedRule, "finance": FinanceAssumptions,
               "criteria": FeasibilityCriteria}[name]
        parts[name] = _build(cls, {k: planning[k] for k in keys if k in planning},
                             f"{src}: [planning]")
    costs = dict(tables.get("costs", {}))
    fiber_table = dict(costs.pop("fiber", {}))
    terrain_keys = {f.name for f in dataclasses.fields(TerrainCostFactors)}
    terrain = _build(TerrainCostFactors, {k: v for k, v in fiber_table.items()
                                          if k in terrain_keys}, f"{src}: [costs.fiber]")
    fiber_only = {k: v for k, v in fiber_table.items() if k not in terrain_keys}
    fiber_names = [f.name for f in dataclasses.fields(FiberCosts)] + sorted(terrain_keys)
    for key in fiber_only:
        if key not in fiber_names:
            raise ScenarioError(unknown_key_message(f"{src}: [costs.fiber]", key, fiber_names))
    fiber = _build(FiberCosts, fiber_only, f"{src}: [costs.fiber]")
    systems = {s.name for s in scenario.systems}
    satellite_costs = {}
    for name, table in costs.items():
        if name not in systems:
            raise ScenarioError(unknown_key_message(f"{src}: [costs]", name,
                                                    ["fiber", *sorted(systems)]))
        satellite_costs[name] = _build(SatelliteCosts, table, f"{src}: [costs.{name}]",
                                       defaults=DEFAULT_LEO_COSTS)
    return PlanningSpec(
        demand=_build(DemandAssumptions, tables.get("demand", {}), f"{src}: [demand]"),
        fiber=fiber, terrain_costs=terrain, satellite_costs=satellite_costs,
        network=_build(NetworkOptions, tables.get("network", {}), f"{src}: [network]"),
        population=_build(PopulationOptions, tables.get("population", {}),
                          f"{src}: [population]"),
        **parts)


def planning_defaults_markdown() -> str:
    """A table of every planning key with its default (for the docs and ``--defaults``)."""
    rows = ["| table | key | default |", "|---|---|---|"]
    for table, obj in (("[demand]", DemandAssumptions()), ("[planning]", UnderservedRule()),
                       ("[planning]", FinanceAssumptions()), ("[planning]", FeasibilityCriteria()),
                       ("[costs.fiber]", FiberCosts()), ("[costs.fiber]", TerrainCostFactors()),
                       ("[costs.<system>] (LEO/MEO)", DEFAULT_LEO_COSTS),
                       ("[costs.<system>] (GEO)", DEFAULT_GEO_COSTS),
                       ("[network]", NetworkOptions()), ("[population]", PopulationOptions())):
        rows += [f"| {table} | {f.name} | {getattr(obj, f.name)!r} |"
                 for f in dataclasses.fields(obj)]
    return "\n".join(rows)
