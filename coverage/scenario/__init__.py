"""What the user asked for: the scenario file, its one schema, and the specs built from it.

``schema`` holds every key with its default, range, unit and source; ``validate`` is the
one validator of values against it; ``specs`` the frozen parts (region, window, systems,
...); ``scenario`` the whole :class:`Scenario`, its loading and TOML rendering;
``gateways`` reads a system's bent-pipe gateways (its list and its CSV file);
``planning`` routes the planning tables into one
:class:`~hybridplan.coverage.planning.spec.PlanningSpec` (``Scenario.planning``).
"""

from .gateways import read_gateways_csv, system_gateways
from .planning import planning_spec
from .scenario import (
    EngineSpec,
    FilterSpec,
    GatewaySpec,
    LicensingSpec,
    OutputSpec,
    RegionSpec,
    Scenario,
    SystemSpec,
    TerrainSpec,
    WalkerSpec,
    WindowSpec,
    default_scenario,
    default_scenario_text,
    load_scenario,
    scenario_from_argument,
)
from .schema import EXPORTS, SCHEMA, schema_markdown

__all__ = [
    "EXPORTS",
    "SCHEMA",
    "EngineSpec",
    "FilterSpec",
    "GatewaySpec",
    "LicensingSpec",
    "OutputSpec",
    "RegionSpec",
    "Scenario",
    "SystemSpec",
    "TerrainSpec",
    "WalkerSpec",
    "WindowSpec",
    "default_scenario",
    "default_scenario_text",
    "load_scenario",
    "planning_spec",
    "read_gateways_csv",
    "scenario_from_argument",
    "schema_markdown",
    "system_gateways",
]
