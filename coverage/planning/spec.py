"""The planning stage's inputs as frozen dataclasses: demand, underserved rule, finance,
costs, feasibility criteria, network and population options.

Built from a scenario by :func:`hybridplan.coverage.scenario.planning.planning_spec`; used
by ``planning.decide`` and the pipeline. numpy and dataclasses only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .demand import DemandAssumptions, UnderservedRule
from .economics import (
    DEFAULT_GEO_COSTS,
    DEFAULT_LEO_COSTS,
    FiberCosts,
    FinanceAssumptions,
    SatelliteCosts,
)
from .recommend import FeasibilityCriteria


@dataclass(frozen=True)
class TerrainCostFactors:
    """Fibre terrain factor = 1 + slope_cost_per_deg * slope + elevation_cost_per_km *
    max(0, elevation - elevation_threshold_m) / 1000 (see hybridplan.grids.terrain_factor)."""

    slope_cost_per_deg: float = 0.05
    elevation_cost_per_km: float = 0.25
    elevation_threshold_m: float = 2000.0


@dataclass(frozen=True)
class NetworkOptions:
    """``[network]``: the fibre network file (default: bundled indicative backbone + district
    HQ points of presence) and whether planned routes count as built."""

    path: str = "bundled"
    include_planned: bool = False


@dataclass(frozen=True)
class PopulationOptions:
    """``[population]``: population source (default: the bundled dasymetric model) and the
    density below which a cell is rural [person/km2]."""

    source: str = "bundled"
    rural_density_per_km2: float = 300.0


@dataclass(frozen=True)
class PlanningSpec:
    """Everything the planning stage needs beyond coverage."""

    demand: DemandAssumptions = field(default_factory=DemandAssumptions)
    underserved: UnderservedRule = field(default_factory=UnderservedRule)
    finance: FinanceAssumptions = field(default_factory=FinanceAssumptions)
    criteria: FeasibilityCriteria = field(default_factory=FeasibilityCriteria)
    fiber: FiberCosts = field(default_factory=FiberCosts)
    terrain_costs: TerrainCostFactors = field(default_factory=TerrainCostFactors)
    satellite_costs: Mapping[str, SatelliteCosts] = field(default_factory=dict)
    network: NetworkOptions = field(default_factory=NetworkOptions)
    population: PopulationOptions = field(default_factory=PopulationOptions)

    def costs_for(self, system: str, orbit_class: str) -> SatelliteCosts:
        """The system's own ``[costs.<system>]``, else the default for its orbit class."""
        if system in self.satellite_costs:
            return self.satellite_costs[system]
        return DEFAULT_GEO_COSTS if orbit_class.upper() == "GEO" else DEFAULT_LEO_COSTS
