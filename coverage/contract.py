"""The plan Dataset contract: every variable's name, dims, units, long name and categories.

One table (:data:`PLAN_VARIABLES`) names every variable a plan may hold, with its
dimensions, CF ``units``, ``long_name`` and, for categories, the CF ``flag_values`` /
``flag_meanings`` plus the colour of each category (``flag_colors``, blank-separated
``#rrggbb`` like ``flag_meanings``, so the reports draw the planner's colours without
importing the planner). The engine (``engine/fom.py``) and the planner
(``planning/decide.py``) take their attributes from here through :func:`variable`;
:func:`validate_plan` checks a Dataset against the table, and ``coverage.testing``
builds synthetic plans from it, so the three cannot drift apart.

Adding a variable (sites, trunks, capacity, runner-up, ...) is one :class:`Var` row in
the table; a family of variables with one name pattern (``cost_<option>_usd``) is one
row with ``pattern``. Optional rows may be absent; present, they are checked like the
others.

A licensing comparison (DESIGN.md, "Every decision explains itself": today's licences and
"foreign LEO licensed" side by side from one coverage run) is carried by the optional
``case`` dimension: ``case`` (coordinate, names such as ``today``), ``case_description``
(case), ``licensed_by_case`` (case, system), ``recommendation_by_case`` and
``cost_recommended_by_case_usd`` (case, cell). The reports render the comparison when
``recommendation_by_case`` is present.

Global attributes every plan carries are listed in :data:`PLAN_ATTRS`; the assumptions
record (``attrs["assumptions"]``, JSON) is written by :func:`assumption_records`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .errors import PlanContractError

Kind = Literal["float", "int", "str", "flag"]


@dataclass(frozen=True)
class Flag:
    """One category of a flag variable: its meaning (CF, no blanks) and its colour."""

    meaning: str
    colour: str


@dataclass(frozen=True)
class Var:
    """One plan variable (or, with ``pattern``, a family of variables).

    Attributes
    ----------
    name : str
        Variable name; with ``pattern`` set, a readable template such as
        ``cost_<option>_usd``.
    dims : tuple of str
    units : str
        CF units (``"1"`` for dimensionless, categories and text).
    long_name : str
        The default long name (a variable may carry a more specific one).
    kind : {"float", "int", "str", "flag"}
        Value type; ``flag`` is an integer code with ``flag_values``/``flag_meanings``.
    group : str
        ground, fibre, coverage, system, planning, series, case, routing or coordinate.
    flags : tuple of Flag
        The fixed categories of a flag variable, in code order.
    open_flags : str
        A regular expression for extra meanings (the recommendation's per-system
        options ``leo_starlink``, ``geo_paksat``); empty: the flags are closed.
    optional : bool
        May be absent from a plan.
    pattern : str
        A regular expression matching the names of a family (``cost_<option>_usd``).
    """

    name: str
    dims: tuple[str, ...]
    units: str
    long_name: str
    kind: Kind = "float"
    group: str = ""
    flags: tuple[Flag, ...] = ()
    open_flags: str = ""
    optional: bool = False
    pattern: str = ""

    def attrs(self, meanings: Iterable[str] | None = None, **extra) -> dict:
        """CF attributes: ``units``, ``long_name`` and, for flags, values/meanings/colours.

        ``meanings`` gives the categories in code order for an open flag variable
        (default: the fixed ones); ``extra`` adds or overrides attributes.
        """
        out: dict = {"units": self.units, "long_name": self.long_name}
        if self.kind == "flag":
            names = [f.meaning for f in self.flags] if meanings is None else list(meanings)
            out["flag_values"] = np.arange(len(names), dtype=np.int8)
            out["flag_meanings"] = " ".join(names)
            out["flag_colors"] = " ".join(flag_colours(self, names))
        out.update(extra)
        return out


def _flags(*pairs: str) -> tuple[Flag, ...]:
    return tuple(Flag(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2))


C, SC, S = ("cell",), ("system", "cell"), ("system",)
R = ("routing_cell",)
SERIES = ("time", "system", "series_cell")
OPTION_PATTERN = r"(leo|meo|geo)_[A-Za-z0-9][A-Za-z0-9_-]*"
#: Colour ramps of the satellite options by orbit class (k-th system of a class, cyclic).
ORBIT_COLOURS = {
    "leo": ("#2ca02c", "#17becf", "#98df8a", "#bcbd22", "#1b9e77", "#66c2a5"),
    "meo": ("#ff7f0e", "#ffbb78", "#e6550d"),
    "geo": ("#9467bd", "#c5b0d5", "#756bb1"),
}
FALLBACK_COLOURS = ("#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#aec7e8")

#: The fixed categories of a recommendation (per cell, per site, per licensing case);
#: the satellite options (``leo_starlink`` ...) come on top (``open_flags``).
RECOMMENDATION_FLAGS = _flags(
    "no_population",
    "#f7f7f7",
    "already_served",
    "#bdbdbd",
    "fiber",
    "#1f77b4",
    "microwave",
    "#8c564b",
    "none_feasible",
    "#d62728",
    "not_target",
    "#fdd0a2",
)

_VARIABLES: tuple[Var, ...] = (
    # coordinates
    Var("cell", C, "1", "H3 cell index", "str", "coordinate"),
    Var("system", S, "1", "satellite system", "str", "coordinate"),
    Var(
        "azimuth_deg",
        ("azimuth",),
        "degree",
        "centre of the azimuth sector, clockwise from north",
        group="coordinate",
        optional=True,
    ),
    Var("time", ("time",), "", "time (UTC)", "float", "coordinate", optional=True),
    Var(
        "series_cell",
        ("series_cell",),
        "1",
        "H3 cell index of a time-series cell",
        "str",
        "coordinate",
        optional=True,
    ),
    # the ground (hybridplan.grids)
    Var("lat", C, "degrees_north", "latitude of the cell centre", group="ground"),
    Var("lon", C, "degrees_east", "longitude of the cell centre", group="ground"),
    Var("area_km2", C, "km2", "cell area (H3, spherical)", group="ground"),
    Var("district", C, "1", "district (ADM2) of the cell centre", "str", "ground"),
    Var("province", C, "1", "province / first-level unit of the cell centre", "str", "ground"),
    Var("population", C, "person", "population", group="ground"),
    Var(
        "settlement_population",
        C,
        "person",
        "population of the GeoNames places in the cell",
        group="ground",
        optional=True,
    ),
    Var(
        "population_density_per_km2",
        C,
        "km-2",
        "population density (person per km2)",
        group="ground",
        optional=True,
    ),
    Var("elevation_m", C, "m", "terrain height at the cell centre (DEM, bilinear)", group="ground"),
    Var(
        "slope_deg", C, "degree", "terrain slope at the cell centre", group="ground", optional=True
    ),
    Var(
        "relief_m",
        C,
        "m",
        "terrain relief: max - min of the DEM at the cell centre and vertices",
        group="ground",
        optional=True,
    ),
    Var(
        "horizon_deg",
        ("cell", "azimuth"),
        "degree",
        "elevation angle of the terrain skyline per azimuth sector",
        group="ground",
        optional=True,
    ),
    Var(
        "rural",
        C,
        "1",
        "rural cell (population density below threshold)",
        "flag",
        "ground",
        _flags("not_rural", "#9e9ac8", "rural", "#fdd0a2"),
    ),
    # fibre reach (hybridplan.grids.fiber_reach)
    Var(
        "fiber_distance_km",
        C,
        "km",
        "straight-line (great-circle) distance to the nearest active fibre route or PoP",
        group="fibre",
    ),
    Var(
        "fiber_path_km",
        C,
        "km",
        "length of the least-cost fibre path over the cell graph to the network",
        group="fibre",
    ),
    Var(
        "fiber_weighted_km",
        C,
        "km",
        "terrain-weighted length of the least-cost fibre path (km of easy ground)",
        group="fibre",
    ),
    Var(
        "fiber_terrain_factor",
        C,
        "1",
        "fibre construction cost multiplier from slope and elevation",
        group="fibre",
    ),
    Var(
        "on_network",
        C,
        "1",
        "the fibre network enters the cell",
        "flag",
        "fibre",
        _flags("off_network", "#f0f0f0", "on_network", "#1f77b4"),
    ),
    # coverage figures of merit per (system, cell) (engine/fom.py), STK names
    Var(
        "pct_time_covered",
        SC,
        "percent",
        "percentage of time steps with at least one visible satellite",
        group="coverage",
    ),
    Var(
        "pct_time_covered_open_sky",
        SC,
        "percent",
        "percentage of time steps with at least one satellite visible ignoring terrain",
        group="coverage",
    ),
    Var("n_visible_mean", SC, "1", "mean number of visible satellites", group="coverage"),
    Var(
        "n_visible_min",
        SC,
        "1",
        "smallest number of visible satellites at any step",
        "int",
        "coverage",
    ),
    Var(
        "n_visible_max",
        SC,
        "1",
        "largest number of visible satellites at any step",
        "int",
        "coverage",
    ),
    Var(
        "pct_time_n_or_more",
        SC,
        "percent",
        "percentage of time steps with at least n_required visible satellites",
        group="coverage",
    ),
    Var("max_gap_s", SC, "s", "longest coverage gap", group="coverage"),
    Var("mean_gap_s", SC, "s", "mean coverage gap", group="coverage"),
    Var("n_gaps", SC, "1", "number of coverage gaps", "int", "coverage"),
    Var(
        "best_elevation_mean_deg",
        SC,
        "degree",
        "mean over covered steps of the highest elevation of a visible satellite",
        group="coverage",
    ),
    Var(
        "latency_rtt_mean_ms",
        SC,
        "ms",
        "mean round-trip propagation delay over covered steps (bent pipe: user and "
        "gateway slant ranges; gateway at the user's slant range without gateways)",
        group="coverage",
    ),
    # per system
    Var(
        "min_elevation_deg",
        S,
        "degree",
        "minimum elevation of the user terminal (combined: each system's own)",
        group="system",
    ),
    Var(
        "gso_exclusion_deg",
        S,
        "degree",
        "GSO arc avoidance angle, 0 = none (combined: each system's own)",
        group="system",
    ),
    Var(
        "n_required",
        S,
        "1",
        "N of N-asset coverage (combined: 0, each system's own N)",
        "int",
        "system",
    ),
    Var(
        "licensed",
        S,
        "1",
        "licensed to serve the region",
        "flag",
        "system",
        _flags("not_licensed", "#bdbdbd", "licensed", "#2ca02c"),
    ),
    Var(
        "backhaul",
        S,
        "1",
        "usable as a backhaul option (combined: 0, it is not one system)",
        "flag",
        "system",
        _flags("not_backhaul", "#bdbdbd", "backhaul", "#1f77b4"),
    ),
    Var(
        "orbit_class",
        S,
        "1",
        "orbit class from mean altitudes (LEO < 2000 km, GEO 35000-36600 km, else MEO)",
        "str",
        "system",
    ),
    Var(
        "n_satellites",
        S,
        "1",
        "number of satellites (combined: over licensed systems)",
        "int",
        "system",
    ),
    Var(
        "propagation_failures",
        S,
        "1",
        "(satellite, step) pairs SGP4 could not propagate",
        "int",
        "system",
    ),
    Var(
        "element_set_epoch_min",
        S,
        "1",
        "earliest element-set epoch (UTC, ISO 8601)",
        "str",
        "system",
    ),
    Var(
        "element_set_epoch_max", S, "1", "latest element-set epoch (UTC, ISO 8601)", "str", "system"
    ),
    # per-step series of chosen cells (optional)
    Var(
        "series_n_visible",
        SERIES,
        "1",
        "number of visible satellites per step",
        "int",
        "series",
        optional=True,
    ),
    Var(
        "series_covered_open_sky",
        SERIES,
        "1",
        "covered ignoring terrain, per step",
        "flag",
        "series",
        _flags("not_covered", "#f0f0f0", "covered", "#2ca02c"),
        optional=True,
    ),
    Var(
        "series_best_elevation_deg",
        SERIES,
        "degree",
        "highest elevation of a visible satellite per step (NaN when none is visible)",
        group="series",
        optional=True,
    ),
    # the planning decision (planning/decide.py)
    Var("demand_mbps", C, "Mbit/s", "busy-hour backhaul demand", group="planning"),
    Var(
        "underserved",
        C,
        "1",
        "underserved cell",
        "flag",
        "planning",
        _flags("served", "#e0e0e0", "underserved", "#d62728"),
    ),
    Var(
        "recommendation",
        C,
        "1",
        "recommended backhaul",
        "flag",
        "planning",
        RECOMMENDATION_FLAGS,
        open_flags=OPTION_PATTERN,
    ),
    Var("reason", C, "1", "why this recommendation (choice:reason)", "str", "planning"),
    Var(
        "cost_recommended_usd",
        C,
        "USD",
        "present value of the recommended option's costs over the planning horizon",
        group="planning",
    ),
    Var(
        "cost_<option>_usd",
        C,
        "USD",
        "present value of costs of an option over the planning horizon (feasible or not)",
        group="planning",
        pattern=r"cost_(?!recommended_)(?P<option>fiber|microwave|" + OPTION_PATTERN + r")_usd",
    ),
    # the licensing comparison (optional; see the module doc)
    Var("case", ("case",), "1", "licensing case", "str", "case", optional=True),
    Var(
        "case_description",
        ("case",),
        "1",
        "what the licensing case assumes",
        "str",
        "case",
        optional=True,
    ),
    Var(
        "licensed_by_case",
        ("case", "system"),
        "1",
        "licensed to serve the region in this case",
        "flag",
        "case",
        _flags("not_licensed", "#bdbdbd", "licensed", "#2ca02c"),
        optional=True,
    ),
    Var(
        "recommendation_by_case",
        ("case", "cell"),
        "1",
        "recommended backhaul in this case",
        "flag",
        "case",
        RECOMMENDATION_FLAGS,
        open_flags=OPTION_PATTERN,
        optional=True,
    ),
    Var(
        "cost_recommended_by_case_usd",
        ("case", "cell"),
        "USD",
        "present value of the recommended option's costs in this case",
        group="case",
        optional=True,
    ),
    Var(
        "reason_by_case",
        ("case", "cell"),
        "1",
        "why this recommendation in this case",
        "str",
        "case",
        optional=True,
    ),
    Var(
        "year",
        ("year",),
        "year",
        "year of the planning horizon (0: build)",
        "int",
        "coordinate",
        optional=True,
    ),
    Var(
        "cash_flow_capex_usd",
        ("case", "year"),
        "USD",
        "investment per year of what the plan builds (terminal replacements included)",
        group="case",
        optional=True,
    ),
    Var(
        "cash_flow_opex_usd",
        ("case", "year"),
        "USD",
        "running costs per year of what the plan builds",
        group="case",
        optional=True,
    ),
    # STK figures of merit (engine/fom.py stk_variables; optional: EngineOptions stk)
    Var(
        "percentile",
        ("percentile",),
        "percent",
        "percentile level",
        group="coordinate",
        optional=True,
    ),
    Var(
        "revisit_time_percentile_s",
        ("system", "cell", "percentile"),
        "s",
        "revisit time (gap duration) percentile over gaps",
        group="stk",
        optional=True,
    ),
    Var(
        "response_time_percentile_s",
        ("system", "cell", "percentile"),
        "s",
        "response time percentile over all samples",
        group="stk",
        optional=True,
    ),
    Var("response_time_mean_s", SC, "s", "mean response time", group="stk", optional=True),
    Var("response_time_max_s", SC, "s", "largest response time", group="stk", optional=True),
    Var("time_average_gap_s", SC, "s", "time-average gap", group="stk", optional=True),
    Var("access_count", SC, "1", "number of accesses", "int", "stk", optional=True),
    Var("access_duration_mean_s", SC, "s", "mean access duration", group="stk", optional=True),
    Var("access_duration_min_s", SC, "s", "shortest access", group="stk", optional=True),
    Var("access_duration_max_s", SC, "s", "longest access", group="stk", optional=True),
    Var(
        "pct_<weight>_<what>_over_time",
        ("time", "system"),
        "percent",
        "percentage of the region covered per step (STK percent satisfied)",
        group="stk",
        optional=True,
        pattern=r"pct_(cells|area|population)_(covered|n_or_more)_over_time",
    ),
    # demand sites (planning/sites.py): the unit a build serves
    Var(
        "site",
        C,
        "1",
        "demand site whose decision the cell shows: the built site holding "
        "most of its people, else the site holding most (-1: nobody lives there)",
        "int",
        "planning",
        optional=True,
    ),
    Var(
        "site_lat", ("site",), "degrees_north", "site centre latitude", group="site", optional=True
    ),
    Var(
        "site_lon", ("site",), "degrees_east", "site centre longitude", group="site", optional=True
    ),
    Var(
        "site_population",
        ("site",),
        "person",
        "people served by the site",
        group="site",
        optional=True,
    ),
    Var(
        "site_settlements",
        ("site",),
        "1",
        "settlement points in the site (0: dispersed)",
        "int",
        "site",
        optional=True,
    ),
    Var(
        "site_demand_mbps",
        ("site",),
        "Mbit/s",
        "busy-hour backhaul demand of the site",
        group="site",
        optional=True,
    ),
    Var(
        "site_fiber_distance_km",
        ("site",),
        "km",
        "straight-line distance from the site's nearest cell to existing fibre",
        group="site",
        optional=True,
    ),
    Var(
        "site_target",
        ("site",),
        "1",
        "target site (underserved rule)",
        "flag",
        "site",
        _flags("not_target", "#e0e0e0", "target", "#d62728"),
        optional=True,
    ),
    Var(
        "site_recommendation",
        ("site",),
        "1",
        "recommended backhaul of the site",
        "flag",
        "site",
        RECOMMENDATION_FLAGS,
        open_flags=OPTION_PATTERN,
        optional=True,
    ),
    Var(
        "site_reason",
        ("site",),
        "1",
        "why this recommendation (choice:reason)",
        "str",
        "site",
        optional=True,
    ),
    Var(
        "site_cost_usd",
        ("site",),
        "USD",
        "present value of the site's build over the planning horizon",
        group="site",
        optional=True,
    ),
    Var(
        "site_runner_up",
        ("site",),
        "1",
        "the next cheapest feasible option of the site",
        "str",
        "site",
        optional=True,
    ),
    Var(
        "site_runner_up_cost_usd",
        ("site",),
        "USD",
        "present value of the runner-up option",
        group="site",
        optional=True,
    ),
    Var(
        "runner_up",
        C,
        "1",
        "the next cheapest feasible option of the cell's site",
        "str",
        "planning",
        optional=True,
    ),
    Var(
        "runner_up_cost_usd",
        C,
        "USD",
        "present value of the runner-up option, the cell's share of its site",
        group="planning",
        optional=True,
    ),
    # settlement points the sites are made of (pipeline.inputs.attach_settlements)
    Var(
        "settlement_lat",
        ("settlement",),
        "degrees_north",
        "settlement point latitude",
        group="ground",
        optional=True,
    ),
    Var(
        "settlement_lon",
        ("settlement",),
        "degrees_east",
        "settlement point longitude",
        group="ground",
        optional=True,
    ),
    Var(
        "settlement_weight",
        ("settlement",),
        "1",
        "weight of the settlement point within its cell (listed population, else 1)",
        group="ground",
        optional=True,
    ),
    Var(
        "settlement_reach_km",
        ("settlement",),
        "km",
        "built-up radius of the settlement (listed places; 0 otherwise)",
        group="ground",
        optional=True,
    ),
    Var(
        "settlement_fiber_distance_km",
        ("settlement",),
        "km",
        "straight-line distance "
        "from the settlement to the nearest active fibre route or point of presence",
        group="ground",
        optional=True,
    ),
    Var(
        "settlement_cell",
        ("settlement",),
        "1",
        "H3 cell holding the settlement point",
        "str",
        "ground",
        optional=True,
    ),
    Var(
        "settlement_place",
        ("settlement",),
        "1",
        "row of the settlement in the settlements file (from 0): matches footprint_place",
        "int",
        "ground",
        optional=True,
    ),
    # whose people each cell holds (grids.distribute_population, the settlement model)
    Var(
        "footprint_cell",
        ("footprint",),
        "1",
        "H3 cell of a settlement's people",
        "str",
        "ground",
        optional=True,
    ),
    Var(
        "footprint_place",
        ("footprint",),
        "1",
        "the settlement (row of the settlements file, from 0) whose people these are",
        "int",
        "ground",
        optional=True,
    ),
    Var(
        "footprint_people",
        ("footprint",),
        "person",
        "people of the settlement in the cell",
        group="ground",
        optional=True,
    ),
    # shared fibre trunks (planning/network.py)
    Var(
        "fiber_trunk_id",
        C,
        "1",
        "new fibre trunk the cell belongs to (-1: none)",
        "int",
        "network",
        optional=True,
    ),
    Var(
        "fiber_cells_sharing_trunk",
        C,
        "1",
        "served cells sharing the cell's trunk",
        "int",
        "network",
        optional=True,
    ),
    Var(
        "fiber_allocated_trunk_usd",
        C,
        "USD",
        "the cell's share of the new trunk's cost",
        group="network",
        optional=True,
    ),
    Var(
        "fiber_in_tree",
        C,
        "1",
        "the new fibre tree passes the cell",
        "flag",
        "network",
        _flags("off_tree", "#e0e0e0", "on_tree", "#1f77b4"),
        optional=True,
    ),
    Var(
        "new_fiber_km",
        (),
        "km",
        "length of new fibre in the plan's trunks",
        group="network",
        optional=True,
    ),
    Var(
        "microwave_links",
        (),
        "1",
        "microwave hops the plan builds (hops shared by several sites' chains counted once)",
        "int",
        "network",
        optional=True,
    ),
    Var(
        "microwave_radio_pairs",
        (),
        "1",
        "radio pairs on those hops (ceil(demand / hop capacity) each)",
        "int",
        "network",
        optional=True,
    ),
    Var(
        "microwave_relays",
        (),
        "1",
        "intermediate masts of the plan's relay chains (ridge relays and relaying villages)",
        "int",
        "network",
        optional=True,
    ),
    Var(
        "microwave_shared_saving_usd",
        (),
        "USD",
        "investment saved by building the hops that chains share once (vs each chain alone)",
        group="network",
        optional=True,
    ),
    Var(
        "fiber_trunks",
        (),
        "1",
        "new fibre trunks (trees hanging off the existing network)",
        "int",
        "network",
        optional=True,
    ),
    Var(
        "per_site_cost_usd",
        (),
        "USD",
        "the plan's cost with every target site priced alone "
        "(own fibre path, satellites unlimited): what sharing saves",
        group="network",
        optional=True,
    ),
    # rollout under a budget (planning/rollout.py): builds ordered by people per USD,
    # trunks before branches, scheduled on [network] budget_usd_per_year
    Var(
        "rollout_budget_usd_per_year",
        (),
        "USD/year",
        "money committed per year to the builds (present values, as the plan's costs)",
        group="rollout",
        optional=True,
    ),
    Var(
        "site_rollout_rank",
        ("site",),
        "1",
        "position of the site's connection in the build order (0 first; -1: not built)",
        "int",
        "rollout",
        optional=True,
    ),
    Var(
        "site_build_year",
        ("site",),
        "year",
        "year the site is connected under the budget (1: first; 0: not built)",
        "int",
        "rollout",
        optional=True,
    ),
    Var(
        "build_year",
        C,
        "year",
        "year the cell's site is connected under the budget (1: first; 0: not built)",
        "int",
        "rollout",
        optional=True,
    ),
    Var(
        "rollout_step",
        ("rollout_step",),
        "1",
        "step of the rollout: one connected site each, in build order",
        "int",
        "coordinate",
        optional=True,
    ),
    Var(
        "rollout_step_site",
        ("rollout_step",),
        "1",
        "the site connected at this step",
        "int",
        "rollout",
        optional=True,
    ),
    Var(
        "rollout_cumulative_usd",
        ("rollout_step",),
        "USD",
        "money committed once this step's site is connected, its trunks included (present values)",
        group="rollout",
        optional=True,
    ),
    Var(
        "rollout_cumulative_people",
        ("rollout_step",),
        "person",
        "people connected once this step's site is connected",
        group="rollout",
        optional=True,
    ),
    Var(
        "rollout_year",
        ("rollout_year",),
        "year",
        "year of the rollout under the budget (1: first)",
        "int",
        "coordinate",
        optional=True,
    ),
    Var(
        "rollout_people_by_year",
        ("rollout_year",),
        "person",
        "people connected by the end of the year under the budget",
        group="rollout",
        optional=True,
    ),
    Var(
        "rollout_usd_by_year",
        ("rollout_year",),
        "USD",
        "money committed by the end of the year under the budget (present values)",
        group="rollout",
        optional=True,
    ),
    Var(
        "rollout_sites_by_year",
        ("rollout_year",),
        "1",
        "sites connected by the end of the year under the budget",
        "int",
        "rollout",
        optional=True,
    ),
    Var(
        "rollout_cumulative_usd_by_case",
        ("case", "rollout_case_step"),
        "USD",
        "money committed once the step's site is connected, in this licensing case "
        "(present values; NaN after the case's last step)",
        group="rollout",
        optional=True,
    ),
    Var(
        "rollout_cumulative_people_by_case",
        ("case", "rollout_case_step"),
        "person",
        "people connected once the step's site is connected, in this licensing case",
        group="rollout",
        optional=True,
    ),
    # what each planned route of the network file is worth (pipeline/planned_routes.py)
    Var("route", ("route",), "1", "planned fibre route", "str", "coordinate", optional=True),
    Var(
        "route_cells",
        ("route",),
        "1",
        "cells of the region the route enters that are not on the network already",
        "int",
        "route",
        optional=True,
    ),
    Var(
        "route_people_newly_reached",
        ("route",),
        "person",
        "target people on terrestrial backhaul (fibre, microwave) with the route built and "
        "not without it",
        group="route",
        optional=True,
    ),
    Var(
        "route_people_no_longer_reached",
        ("route",),
        "person",
        "target people on terrestrial backhaul without the route and not with it",
        group="route",
        optional=True,
    ),
    Var(
        "route_sites_newly_reached",
        ("route",),
        "1",
        "target sites newly on terrestrial backhaul with the route built",
        "int",
        "route",
        optional=True,
    ),
    Var(
        "route_cost_saved_usd",
        ("route",),
        "USD",
        "the plan's cost without the route minus with it built by others (present values)",
        group="route",
        optional=True,
    ),
    Var(
        "route_technology_changes",
        ("route",),
        "1",
        "target sites whose technology changes with the route built (before->after: sites)",
        "str",
        "route",
        optional=True,
    ),
    Var(
        "route_change_reasons",
        ("route",),
        "1",
        "why target sites leave fibre or terrestrial backhaul with the route built",
        "str",
        "route",
        optional=True,
    ),
    # microwave relay chains (pipeline/microwave_links.py)
    Var(
        "microwave_capex_usd",
        C,
        "USD",
        "investment of the cheapest microwave relay chain from the network to the cell (inf: none)",
        group="network",
        optional=True,
    ),
    Var(
        "microwave_opex_usd_per_year",
        C,
        "USD/year",
        "running costs of that chain",
        group="network",
        optional=True,
    ),
    Var(
        "microwave_next_cell",
        C,
        "1",
        "next cell (index, from 0) of the cheapest microwave chain towards the network "
        "(-1: at the network, or no chain)",
        "int",
        "network",
        optional=True,
    ),
    Var(
        "microwave_hops",
        C,
        "1",
        "hops of the cheapest microwave chain (-1: none)",
        "int",
        "network",
        optional=True,
    ),
    # the routing grid (pipeline/routing.py), when the plan's resolution is not
    # [network] routing_resolution: fibre trunks and relay chains run over it
    Var(
        "routing_cell",
        R,
        "1",
        "H3 index of the routing grid's cell",
        "str",
        "coordinate",
        optional=True,
    ),
    Var(
        "routing_lat",
        R,
        "degrees_north",
        "routing cell centre latitude",
        group="routing",
        optional=True,
    ),
    Var(
        "routing_lon",
        R,
        "degrees_east",
        "routing cell centre longitude",
        group="routing",
        optional=True,
    ),
    Var(
        "routing_elevation_m",
        R,
        "m",
        "terrain height at the routing cell centre (DEM)",
        group="routing",
        optional=True,
    ),
    Var(
        "routing_slope_deg",
        R,
        "degree",
        "terrain slope at the routing cell centre",
        group="routing",
        optional=True,
    ),
    Var(
        "routing_on_network",
        R,
        "1",
        "the fibre network enters the routing cell",
        "flag",
        "routing",
        _flags("off_network", "#f0f0f0", "on_network", "#1f77b4"),
        optional=True,
    ),
    Var(
        "routing_fiber_weighted_km",
        R,
        "km",
        "terrain-weighted least-cost fibre path from the routing cell to the network",
        group="routing",
        optional=True,
    ),
    Var(
        "routing_fiber_terrain_factor",
        R,
        "1",
        "fibre construction cost multiplier of the routing cell",
        group="routing",
        optional=True,
    ),
    Var(
        "routing_microwave_capex_usd",
        R,
        "USD",
        "investment of the cheapest microwave relay chain to the routing cell (inf: none)",
        group="routing",
        optional=True,
    ),
    Var(
        "routing_microwave_opex_usd_per_year",
        R,
        "USD/year",
        "running costs of that chain",
        group="routing",
        optional=True,
    ),
    Var(
        "routing_microwave_next_cell",
        R,
        "1",
        "next routing cell (index, from 0) of the cheapest microwave chain towards the network "
        "(-1: at the network, or no chain)",
        "int",
        "routing",
        optional=True,
    ),
    Var(
        "routing_microwave_hops",
        R,
        "1",
        "hops of the cheapest microwave chain to the routing cell (-1: none)",
        "int",
        "routing",
        optional=True,
    ),
    # satellite capacity per coarse area (planning/capacity.py)
    Var(
        "capacity_area",
        C,
        "1",
        "coarse H3 area whose satellite capacity the cell shares",
        "str",
        "capacity",
        optional=True,
    ),
)

#: Every plan variable by name (pattern rows under their template name).
PLAN_VARIABLES: dict[str, Var] = {v.name: v for v in _VARIABLES}

#: Global attributes every plan carries: name -> meaning.
PLAN_ATTRS = {
    "title": "title of the Dataset",
    "Conventions": "CF version",
    "hybridplan_version": "package version that wrote the plan",
    "region": "region name(s) of the scenario",
    "scenario": "the scenario file's text (TOML)",
    "window_start_utc": "start of the analysis window (UTC, ISO 8601)",
    "window_end_utc": "end of the analysis window (UTC, ISO 8601)",
    "step_s": "time step [s]",
}


def variable(name: str) -> Var:
    """The contract row of ``name`` (a pattern family matches its members)."""
    if name in PLAN_VARIABLES:
        return PLAN_VARIABLES[name]
    for row in _VARIABLES:
        if row.pattern and re.fullmatch(row.pattern, name):
            return row
    raise PlanContractError(
        f"{name!r} is not a plan variable of the contract "
        "(hybridplan.coverage.contract); add a Var row for it"
    )


def contract_var(name: str, values, meanings: Iterable[str] | None = None, **extra) -> tuple:
    """``(dims, values, attrs)`` of plan variable ``name``, attributes from the contract."""
    return variable(name).dims, values, variable(name).attrs(meanings, **extra)


def flag_colours(row: Var, meanings: Iterable[str]) -> list[str]:
    """Colour of each category: fixed for the contract's meanings; satellite options
    (``leo_<system>`` ...) take the next colour of their orbit class's ramp, in the order
    given; anything else a fallback colour."""
    fixed = {f.meaning: f.colour for f in row.flags}
    used: dict[str, int] = {}
    out = []
    for meaning in meanings:
        if meaning in fixed:
            out.append(fixed[meaning])
            continue
        orbit = meaning.split("_", 1)[0]
        ramp = ORBIT_COLOURS.get(orbit, FALLBACK_COLOURS)
        k = used.get(orbit, 0)
        used[orbit] = k + 1
        out.append(ramp[k % len(ramp)])
    return out


# -- validation ------------------------------------------------------------------------------


def _kind_ok(kind: Kind, dtype: np.dtype) -> bool:
    if kind == "str":
        return dtype.kind in "OUS"
    if kind in ("int", "flag"):
        return dtype.kind in "iub"
    return dtype.kind in "fiuM"


def _flag_breaches(name: str, row: Var, attrs: Mapping) -> list[str]:
    if "flag_values" not in attrs or "flag_meanings" not in attrs:
        return [
            (
                f"{name}: a category variable needs flag_values and flag_meanings "
                f"(expected meanings {' '.join(f.meaning for f in row.flags)})"
            )
        ]
    values = np.atleast_1d(np.asarray(attrs["flag_values"])).tolist()
    meanings = str(attrs["flag_meanings"]).split()
    out = []
    if len(values) != len(meanings):
        out.append(
            f"{name}: {len(values)} flag_values but {len(meanings)} flag_meanings "
            f"({' '.join(meanings)!r}); CF needs one meaning per value"
        )
    known = {f.meaning for f in row.flags}
    for meaning in meanings:
        if meaning not in known and not (row.open_flags and re.fullmatch(row.open_flags, meaning)):
            allowed = sorted(known) + ([f"/{row.open_flags}/"] if row.open_flags else [])
            out.append(
                f"{name}: unknown flag meaning {meaning!r}; the contract allows "
                f"{', '.join(allowed)}"
            )
    colours = str(attrs.get("flag_colors", "")).split()
    if "flag_colors" in attrs and len(colours) != len(meanings):
        out.append(
            f"{name}: {len(colours)} flag_colors for {len(meanings)} flag_meanings; "
            "give one #rrggbb colour per meaning (contract Var.attrs writes them)"
        )
    return out


def _variable_breaches(name: str, row: Var, da) -> list[str]:
    out = []
    if tuple(da.dims) != row.dims:
        out.append(f"{name}: dims {tuple(da.dims)}, expected {row.dims}")
    units = da.attrs.get("units")
    if row.name != "time" and str(units) != row.units:
        out.append(f"{name}: units {units!r}, expected {row.units!r}")
    if row.name != "time" and not str(da.attrs.get("long_name", "")).strip():
        out.append(f"{name}: no long_name (expected something like {row.long_name!r})")
    if not _kind_ok(row.kind, np.asarray(da.values[:0] if da.ndim else da.values).dtype):
        out.append(f"{name}: dtype {da.dtype}, expected {row.kind} values")
    if row.kind == "flag":
        out.extend(_flag_breaches(name, row, da.attrs))
    return out


def plan_breaches(ds, *, strict: bool = False) -> list[str]:
    """Every way ``ds`` breaks the contract, one sentence each (empty when it keeps it).

    ``strict`` also refuses variables the contract does not name.
    """
    out = []
    names = [str(n) for n in ds.variables]
    for row in _VARIABLES:
        if row.pattern:
            members = [n for n in names if re.fullmatch(row.pattern, n)]
            if not members and not row.optional:
                out.append(
                    f"missing variable {row.name} (none matches /{row.pattern}/): "
                    f"{row.long_name} [{row.units}]"
                )
            for member in members:
                out.extend(_variable_breaches(member, row, ds[member]))
            continue
        if row.name not in ds.variables:
            if not row.optional:
                out.append(f"missing variable {row.name}{row.dims}: {row.long_name} [{row.units}]")
            continue
        out.extend(_variable_breaches(row.name, row, ds[row.name]))
    if "recommendation" in ds.variables and "reason" in ds.variables:
        out.extend(_reason_breaches(ds))
    for attr in PLAN_ATTRS:
        if attr not in ds.attrs:
            out.append(f"missing global attribute {attr!r}: {PLAN_ATTRS[attr]}")
    if strict:
        for name in names:
            if name in PLAN_VARIABLES or any(
                r.pattern and re.fullmatch(r.pattern, name) for r in _VARIABLES
            ):
                continue
            out.append(
                f"unknown variable {name!r} {tuple(ds[name].dims)}: add a Var row to "
                "hybridplan.coverage.contract"
            )
    return out


def _reason_breaches(ds) -> list[str]:
    meanings = set(str(ds["recommendation"].attrs.get("flag_meanings", "")).split())
    choices = meanings | {"served", "none"}
    bad = sorted(
        {
            str(r)
            for r in np.unique(np.asarray(ds["reason"].values).astype(str))
            if str(r).split(":", 1)[0] not in choices or ":" not in str(r)
        }
    )
    if bad:
        return [
            (
                f"reason: values {bad[:5]} are not '<choice>:<why>' with <choice> a "
                f"recommendation meaning, 'served' or 'none'"
            )
        ]
    return []


def validate_plan(ds, *, strict: bool = False):
    """Check a plan Dataset against the contract; return it unchanged when it keeps it.

    Raises
    ------
    PlanContractError
        Listing every breach, one per line: missing variable or global attribute, wrong
        units or dims or value type, unknown flag meaning, flag_values / flag_meanings /
        flag_colors (optional) of different lengths, malformed reasons; with ``strict``, variables
        the contract does not name.
    """
    breaches = plan_breaches(ds, strict=strict)
    if breaches:
        raise PlanContractError(
            f"the plan Dataset breaks the plan contract in {len(breaches)} place(s) "
            "(hybridplan.coverage.contract):\n  - " + "\n  - ".join(breaches)
        )
    return ds


# -- the assumptions record --------------------------------------------------------------------

Label = Literal["[FILED]", "[MEASURED]", "[ASSUMPTION]"]


@dataclass(frozen=True)
class Assumption:
    """Unit, source label and source of one scenario key (dotted TOML path)."""

    unit: str
    label: Label = "[ASSUMPTION]"
    source: str = "hybridplan default"


#: Known scenario keys (dotted TOML paths; ``costs.<system>`` for every satellite system).
ASSUMPTIONS: dict[str, Assumption] = {
    "window.step_s": Assumption("s"),
    "window.duration_h": Assumption("h"),
    "terrain.max_distance_km": Assumption("km"),
    "terrain.antenna_height_m": Assumption("m"),
    "systems.min_elevation_deg": Assumption("degree"),
    "systems.gso_exclusion_deg": Assumption("degree"),
    "demand.household_size": Assumption(
        "person",
        "[MEASURED]",
        "Pakistan Bureau of Statistics, 7th Population and Housing "
        "Census 2023 (national average about 6.3)",
    ),
    "demand.take_up_rate": Assumption("1"),
    "demand.users_per_household": Assumption("person"),
    "demand.busy_hour_mbps_per_user": Assumption("Mbit/s"),
    "demand.overbooking_ratio": Assumption("1"),
    "planning.min_fiber_distance_km": Assumption("km"),
    "planning.min_population": Assumption("person"),
    "planning.horizon_years": Assumption("year"),
    "planning.discount_rate": Assumption(
        "1", "[ASSUMPTION]", "real rate in line with World Bank appraisal practice"
    ),
    "planning.min_availability_pct": Assumption("percent"),
    "planning.max_latency_rtt_ms": Assumption("ms"),
    "planning.served_distance_km": Assumption("km"),
    "costs.fiber.cost_per_km_usd": Assumption("USD/km"),
    "costs.fiber.site_equipment_usd": Assumption("USD"),
    "costs.fiber.opex_fraction_per_year": Assumption("1/year"),
    "costs.fiber.slope_cost_per_deg": Assumption("1/degree"),
    "costs.fiber.elevation_cost_per_km": Assumption("1/km"),
    "costs.fiber.elevation_threshold_m": Assumption("m"),
    "costs.<system>.terminal_usd": Assumption("USD"),
    "costs.<system>.service_usd_per_month": Assumption("USD/month"),
    "costs.<system>.capacity_mbps_per_terminal": Assumption("Mbit/s"),
    "population.rural_density_per_km2": Assumption("km-2"),
    "network.budget_usd_per_year": Assumption(
        "USD/year", "[ASSUMPTION]", "about a fifth of the default plan's present value"
    ),
}

#: Scenario tables of the planning spec's parts (PlanningSpec field -> TOML table).
SPEC_TABLES = {
    "demand": "demand",
    "underserved": "planning",
    "finance": "planning",
    "criteria": "planning",
    "fiber": "costs.fiber",
    "terrain_costs": "costs.fiber",
    "network": "network",
    "population": "population",
}

_SUFFIX_UNITS = (
    ("_usd_per_month", "USD/month"),
    ("_per_km_usd", "USD/km"),
    ("_usd", "USD"),
    ("_per_km2", "km-2"),
    ("_km", "km"),
    ("_deg", "degree"),
    ("_pct", "percent"),
    ("_mbps", "Mbit/s"),
    ("_ms", "ms"),
    ("_m", "m"),
    ("_s", "s"),
    ("_h", "h"),
    ("_days", "day"),
    ("_years", "year"),
)


def assumption_of(key: str) -> Assumption:
    """The contract's record of a dotted key; unit from the name's suffix otherwise."""
    parts = key.split(".")
    generic = ".".join(["costs", "<system>", *parts[2:]]) if parts[:1] == ["costs"] else key
    if parts[:1] == ["systems"] and len(parts) >= 3:
        generic = "systems." + parts[-1]
    for candidate in (key, generic):
        if candidate in ASSUMPTIONS:
            return ASSUMPTIONS[candidate]
    unit = next((u for suffix, u in _SUFFIX_UNITS if parts[-1].endswith(suffix)), "")
    return Assumption(unit)


def assumption_records(spec, systems: Iterable[tuple[str, str]]) -> list[dict]:
    """The effective planning assumptions (defaults included) as JSON-ready records.

    Parameters
    ----------
    spec : PlanningSpec
        The validated planning tables (read through ``dataclasses``; no import here).
    systems : iterable of (name, orbit_class)
        The backhaul-capable satellite systems; their effective ``[costs.<system>]``
        come from ``spec.costs_for(name, orbit_class)``.

    Returns
    -------
    list of dict
        ``{"key", "value", "unit", "label", "source"}`` per key, ``key`` the dotted TOML
        path (``costs.fiber.cost_per_km_usd``); written to ``attrs["assumptions"]``.
    """
    records = []

    def add(table: str, obj) -> None:
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if not isinstance(value, (bool, int, float, str)):
                continue
            key = f"{table}.{f.name}"
            a = assumption_of(key)
            records.append(
                {"key": key, "value": value, "unit": a.unit, "label": a.label, "source": a.source}
            )

    for part, table in SPEC_TABLES.items():
        obj = getattr(spec, part, None)
        if obj is not None and dataclasses.is_dataclass(obj):
            add(table, obj)
    for name, orbit in systems:
        add(f"costs.{name}", spec.costs_for(name, orbit))
    return records


def record_assumptions(plan, spec):
    """``plan`` with ``attrs["assumptions"]`` (JSON of :func:`assumption_records`)."""
    backhaul = (
        np.asarray(plan["backhaul"].values).astype(bool)
        if "backhaul" in plan
        else np.ones(plan.sizes.get("system", 0), dtype=bool)
    )
    systems = (
        [
            (str(s), str(o))
            for s, o, b in zip(
                plan["system"].values, plan["orbit_class"].values, backhaul, strict=True
            )
            if b and str(s) != "combined"
        ]
        if "orbit_class" in plan
        else []
    )
    plan.attrs["assumptions"] = json.dumps(assumption_records(spec, systems))
    return plan


def seal_plan(plan, spec):
    """The last step of ``build_plan``: record the assumptions, colour the flag variables
    that came without colours (the grids' ``rural``, ``on_network``), validate."""
    for name, da in plan.data_vars.items():
        if "flag_meanings" in da.attrs and "flag_colors" not in da.attrs:
            try:
                row = variable(str(name))
            except PlanContractError:
                continue
            da.attrs["flag_colors"] = " ".join(
                flag_colours(row, str(da.attrs["flag_meanings"]).split())
            )
    return validate_plan(record_assumptions(plan, spec))


__all__ = [
    "ASSUMPTIONS",
    "PLAN_ATTRS",
    "PLAN_VARIABLES",
    "Assumption",
    "Flag",
    "Var",
    "assumption_records",
    "contract_var",
    "flag_colours",
    "plan_breaches",
    "record_assumptions",
    "seal_plan",
    "validate_plan",
    "variable",
]
