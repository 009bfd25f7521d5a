"""What the user asked for: the scenario file, its one schema, and the specs built from it.

``schema`` holds every key with its default, range, unit and source; ``scenario`` the
frozen :class:`Scenario` and its specs; ``planning`` builds the planning stage's
:class:`~hybridplan.coverage.planning.spec.PlanningSpec` from the same file.
"""

from .planning import planning_spec
from .scenario import (
    EngineSpec,
    FilterSpec,
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
from .schema import SCHEMA, schema_markdown

__all__ = [
    "SCHEMA",
    "EngineSpec",
    "FilterSpec",
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
    "scenario_from_argument",
    "schema_markdown",
]
