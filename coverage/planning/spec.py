"""The planning stage's inputs as frozen dataclasses: demand, underserved rule, finance,
costs, feasibility criteria, network and population options.

Built once, from the scenario's tables, by :mod:`hybridplan.coverage.scenario` (every key,
default, range and source is in its schema); used by ``planning.decide`` and the
pipeline. numpy and dataclasses only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from .demand import DemandAssumptions, UnderservedRule
from .economics import (
    DEFAULT_COSTS_BY_ORBIT,
    FiberCosts,
    FinanceAssumptions,
    SatelliteCosts,
    default_costs,
    with_overrides,
)
from .recommend import FeasibilityCriteria

#: Orbit classes with their own default costs (``[costs.leo]``, ``[costs.meo]``, ``[costs.geo]``).
ORBIT_CLASSES = ("LEO", "MEO", "GEO")


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
    HQ points of presence), whether planned routes count as built, how new fibre is
    designed (``shared``: trunks shared by the sites they pass, a prize-collecting Steiner
    tree; ``per_site``: every site pays its own path), and the satellite capacity areas
    (H3 resolution of the coarse cells whose capacity the sites share), whether
    microwave relay chains on the DEM are an option, the H3 resolution of the *routing
    grid* over which fibre trunks and relay chains run, whatever the plan's own
    resolution (so that the choice between fibre, microwave and satellite is a property
    of the ground, not of the grid the results are shown on), and the money committed per
    year to the builds, which schedules the rollout [USD/year, present values as the
    plan's costs]."""

    path: str = "bundled"
    include_planned: bool = False
    design: str = "shared"
    capacity_resolution: int = 5
    satellite_capacity: bool = True
    microwave: bool = True
    routing_resolution: int = 7
    budget_usd_per_year: float = 20e6


@dataclass(frozen=True)
class PopulationOptions:
    """``[population]``: population source (default: the bundled dasymetric model) and the
    density below which a cell is rural [person/km2]."""

    source: str = "bundled"
    rural_density_per_km2: float = 300.0


@dataclass(frozen=True)
class PlanningSpec:
    """Everything the planning stage needs beyond coverage.

    Attributes
    ----------
    orbit_costs : mapping of str to SatelliteCosts
        Costs per orbit class (``LEO``, ``MEO``, ``GEO``): the defaults of
        :mod:`~hybridplan.coverage.planning.economics`, changed by ``[costs.leo]``,
        ``[costs.meo]``, ``[costs.geo]``.
    satellite_costs : mapping of str to mapping
        Per system, the keys its ``[costs.<system>]`` table gives (validated); the keys
        it leaves out come from its orbit class (:meth:`costs_for`).
    """

    demand: DemandAssumptions = field(default_factory=DemandAssumptions)
    underserved: UnderservedRule = field(default_factory=UnderservedRule)
    finance: FinanceAssumptions = field(default_factory=FinanceAssumptions)
    criteria: FeasibilityCriteria = field(default_factory=FeasibilityCriteria)
    fiber: FiberCosts = field(default_factory=FiberCosts)
    terrain_costs: TerrainCostFactors = field(default_factory=TerrainCostFactors)
    orbit_costs: Mapping[str, SatelliteCosts] = field(
        default_factory=lambda: {k: DEFAULT_COSTS_BY_ORBIT[k] for k in ORBIT_CLASSES}
    )
    satellite_costs: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    network: NetworkOptions = field(default_factory=NetworkOptions)
    population: PopulationOptions = field(default_factory=PopulationOptions)

    def __post_init__(self) -> None:
        orbit = {k: DEFAULT_COSTS_BY_ORBIT[k] for k in ORBIT_CLASSES}
        orbit.update({k.upper(): v for k, v in self.orbit_costs.items()})
        object.__setattr__(self, "orbit_costs", MappingProxyType(orbit))
        given = {}
        for name, value in self.satellite_costs.items():
            if isinstance(value, SatelliteCosts):  # a complete set built in Python
                value = {f: getattr(value, f) for f in value.__dataclass_fields__}
            given[name] = MappingProxyType(dict(value))
        object.__setattr__(self, "satellite_costs", MappingProxyType(given))

    def costs_for(self, system: str, orbit_class: str) -> SatelliteCosts:
        """The system's costs: its ``[costs.<system>]`` keys over its orbit class's costs
        (LEO, MEO or GEO; a ``mixed`` source is priced as LEO)."""
        key = orbit_class.upper()
        key = "LEO" if key == "MIXED" else key
        base = self.orbit_costs[key] if key in self.orbit_costs else default_costs(orbit_class)
        return with_overrides(base, self.satellite_costs.get(system, {}))
