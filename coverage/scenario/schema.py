"""Every scenario key, its type, range, default, unit, meaning and source: the one place.

:data:`SCHEMA` drives the validator (:mod:`~hybridplan.coverage.scenario.validate`), the
dataclass defaults of
:mod:`hybridplan.coverage.scenario`, the unknown-key suggestions and the reference table
(:func:`schema_markdown`, printed by ``hybridplan coverage --defaults``). The planning
tables (``[demand]``, ``[planning]``, ``[finance]``, ``[costs.*]``, ``[network]``,
``[population]``) are in it too; their default values are the defaults of the planning
dataclasses (read here, so a default is written once).

Source labels: ``[FILED]`` a figure from a regulatory filing, ``[REPORTED]`` a figure
reported in the press or by a vendor (with where), ``[CENSUS]``, ``[ASSUMPTION]`` our
choice, to be replaced by the planner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

from ..planning.demand import DemandAssumptions, UnderservedRule
from ..planning.economics import (
    DEFAULT_GEO_COSTS,
    DEFAULT_LEO_COSTS,
    DEFAULT_MEO_COSTS,
    FiberCosts,
    FinanceAssumptions,
    SatelliteCosts,
)
from ..planning.recommend import FeasibilityCriteria
from ..planning.spec import NetworkOptions, PopulationOptions, TerrainCostFactors

REQUIRED = object()
"""Marker of a key without a default."""

EXPORTS = ("report", "pdf", "plan_nc", "geopackage", "districts_csv", "geojson", "cells_csv")
"""The files ``[output] exports`` may name."""
COMPACT_ABOVE_CELLS = 50_000
"""``[output] cell_detail = "auto"`` writes compact cell tables for plans with more cells
than this (all Pakistan at res 7 has 160,871; GB and AJK 13,837)."""


@dataclass(frozen=True)
class Key:
    """One scenario key.

    ``kind``: ``"str"``, ``"int"``, ``"float"``, ``"bool"``, ``"datetime"``, ``"date"``,
    ``"strs"`` (a string or a list of strings), ``"pair"`` (two numbers, low <= high),
    ``"table"`` or ``"tables"`` (a list of tables, each checked against its own section). ``low``/``high`` bound numbers (``low_open``/``high_open`` make the bound
    strict); ``choices`` closes a string (or each string of a list); ``min_items`` is the
    shortest list allowed; ``source`` says where the default comes from.
    """

    name: str
    kind: str
    default: object
    doc: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    source: str = ""
    min_items: int = 0

    def expected(self) -> str:
        """What a valid value looks like, for messages."""
        if self.choices:
            text = "one of " + ", ".join(repr(c) for c in self.choices)
            return f"a list of {text}" if self.kind == "strs" else text
        unit = f" {self.unit}" if self.unit else ""
        if self.kind in ("int", "float", "pair"):
            lo = "" if self.low is None else f"{self.low:g}"
            hi = "" if self.high is None else f"{self.high:g}"
            if self.low is not None and self.high is not None:
                text = f"{lo}..{hi}{unit}"
                if self.low_open or self.high_open:
                    text = (
                        f"{'>' if self.low_open else '>='} {lo} and "
                        f"{'<' if self.high_open else '<='} {hi}{unit}"
                    )
            elif self.low is not None:
                text = f"{'>' if self.low_open else '>='} {lo}{unit}"
            elif self.high is not None:
                text = f"{'<' if self.high_open else '<='} {hi}{unit}"
            else:
                text = f"a number{unit}"
            if self.kind == "int":
                text = "a whole number " + text
            if self.kind == "pair":
                text = f"[low, high] with each {text}"
            return text
        if self.kind == "strs" and self.min_items:
            return f"a string or a list of at least {self.min_items} string(s)"
        return {
            "str": "a string",
            "bool": "true or false",
            "datetime": 'a UTC time such as "2026-05-30T00:00:00Z"',
            "date": "a date such as 2025-09-24",
            "strs": "a string or a list of strings",
            "table": "a table",
            "tables": "a list of tables",
        }[self.kind]


def _k(*args, **kwargs) -> Key:
    return Key(*args, **kwargs)


def _d(obj, name: str, kind: str, doc: str, unit: str = "", **kwargs) -> Key:
    """A key whose default is the planning dataclass's own (one place for the value)."""
    return Key(name, kind, getattr(obj, name), doc, unit, **kwargs)


_ASSUMED = "[ASSUMPTION]"


def _satellite_cost_keys(defaults: SatelliteCosts | None) -> tuple[Key, ...]:
    """The keys of ``[costs.leo|meo|geo]`` (with defaults) or ``[costs.<system>]``
    (``defaults = None``: a key left out comes from the system's orbit class)."""

    def dflt(name):
        return None if defaults is None else getattr(defaults, name)

    src = "" if defaults is None else defaults.source
    return (
        _k(
            "terminal_usd",
            "float",
            dflt("terminal_usd"),
            "one terminal with installation",
            "USD",
            low=0.0,
            source=src,
        ),
        _k(
            "service_usd_per_month",
            "float",
            dflt("service_usd_per_month"),
            "recurring service per terminal",
            "USD/month",
            low=0.0,
            source=src,
        ),
        _k(
            "capacity_mbps_per_terminal",
            "float",
            dflt("capacity_mbps_per_terminal"),
            "busy-hour throughput one terminal delivers (terminals = ceil(demand / this))",
            "Mbit/s",
            low=0.0,
            high=1e6,
            low_open=True,
            source=src,
        ),
        _k(
            "lifetime_years",
            "int",
            dflt("lifetime_years"),
            "terminal life: re-bought every lifetime_years within the planning horizon",
            "year",
            low=1,
            high=100,
            source=src,
        ),
        _k(
            "source",
            "str",
            dflt("source"),
            "where these figures come from (or [ASSUMPTION]); carried into the report",
        ),
    )


_DEMAND = DemandAssumptions()
_RULE = UnderservedRule()
_FINANCE = FinanceAssumptions()
_CRITERIA = FeasibilityCriteria()
_FIBER = FiberCosts()
_TERRAIN = TerrainCostFactors()
_NETWORK = NetworkOptions()
_POPULATION = PopulationOptions()

SCHEMA: dict[str, tuple[Key, ...]] = {
    "": (
        _k("name", "str", "scenario", "short name of the scenario (reports, file names)"),
        _k("description", "str", "", "free text"),
    ),
    "region": (
        _k(
            "names",
            "strs",
            ("Gilgit-Baltistan", "Azad Jammu and Kashmir"),
            "region names known to hybridplan.grids (provinces, districts, countries) or one "
            "path to a GeoJSON boundary (relative to the scenario file)",
            min_items=1,
        ),
        _k("resolution", "int", 7, "H3 resolution of the cells (7: about 5 km2)", low=0, high=15),
    ),
    "window": (
        _k(
            "start",
            "datetime",
            "2026-05-30T00:00:00Z",
            "UTC start of the analysis window (never 'now': results must be reproducible; "
            "the default is the day of the bundled element sets)",
        ),
        _k(
            "duration_h",
            "float",
            24.0,
            "length of the window",
            "h",
            low=0.0,
            high=24 * 366,
            low_open=True,
        ),
        _k("step_s", "float", 60.0, "time step", "s", low=0.0, high=86400, low_open=True),
        _k(
            "max_epoch_age_days",
            "float",
            14.0,
            "largest distance between an element-set epoch and the window before the run is "
            "refused (a warning comes from 3 days on; SGP4 errors grow ~1-3 km per day)",
            "days",
            low=0.0,
        ),
        _k(
            "allow_stale_elements",
            "bool",
            False,
            "run anyway when element sets are older than max_epoch_age_days (warns)",
        ),
    ),
    "terrain": (
        _k("enabled", "bool", True, "mask satellites behind the terrain horizon of each cell"),
        _k(
            "dem",
            "str",
            "bundled",
            "'bundled' (coarse ITU-R P.1511 5' grid) or a path to SRTM .hgt tiles, a folder "
            "of them, a GeoTIFF or a .npz (relative to the scenario file)",
        ),
        _k("n_azimuth", "int", 72, "azimuth sectors of the horizon mask", low=4, high=3600),
        _k(
            "max_distance_km",
            "float",
            50.0,
            "how far the horizon rays look",
            "km",
            low=0.0,
            high=500.0,
            low_open=True,
        ),
        _k(
            "antenna_height_m",
            "float",
            2.0,
            "user antenna above the ground",
            "m",
            low=0.0,
            high=500.0,
        ),
    ),
    "systems": (
        _k(
            "name",
            "str",
            REQUIRED,
            "label of the system in the outputs (unique; not "
            "'combined'; spaces and slashes allowed)",
        ),
        _k(
            "source",
            "str",
            "",
            "element sets: 'bundled:<name>' (starlink, oneweb, kuiper, "
            "qianfan, guowang, o3b, iridium-next, geo) or a TLE/OMM file (relative to the "
            "scenario file); exactly one of source, preset, walker, deployment",
        ),
        _k(
            "preset",
            "str",
            "",
            "a Walker preset of hybridplan.tle (starlink-gen1, kuiper, "
            "oneweb-phase1, ...), epoch = window start",
        ),
        _k(
            "deployment",
            "str",
            "",
            "a build-out by date: 'bundled:qianfan', "
            "'bundled:guowang' or a TOML/CSV table of stages (relative to the scenario "
            "file); the satellites in service at the window start, epoch = window start",
        ),
        _k(
            "walker",
            "table",
            None,
            "a Walker shell: altitude_km, inclination_deg, planes, "
            "sats_per_plane, phasing (1; 0 for one plane), pattern ('delta'), "
            "raan_spread_deg, raan0_deg (0); "
            "epoch = window start",
        ),
        _k(
            "filter",
            "table",
            None,
            "keep only satellites matching: name (regular expression), "
            "altitude_km = [low, high], inclination_deg = [low, high], max_epoch_age_days",
        ),
        _k(
            "min_elevation_deg",
            "float",
            25.0,
            "minimum elevation of the user terminal",
            "deg",
            low=0.0,
            high=90.0,
            source="[FILED] Starlink, FCC 21-48 (2021)",
        ),
        _k("n_required", "int", 1, "N for N-asset coverage (pct_time_n_or_more)", low=1, high=1000),
        _k(
            "gso_exclusion_deg",
            "float",
            0.0,
            "GSO arc avoidance angle, 0 = none (18: "
            "SpaceX, FCC 21-48; published operator figures 18-22)",
            "deg",
            low=0.0,
            high=90.0,
            high_open=True,
        ),
        _k(
            "licensed",
            "bool",
            True,
            "licensed to serve the region in the base licensing "
            "case ([licensing] base_case; counts in 'combined')",
        ),
        _k(
            "licensed_alternative",
            "bool",
            None,
            "licensed in [licensing] alternative_case (unset: as licensed)",
        ),
        _k(
            "licence_source",
            "str",
            "",
            "the public fact behind licensed / "
            "licensed_alternative (document, date); carried into the report",
        ),
        _k(
            "backhaul",
            "bool",
            True,
            "usable as a backhaul option by the planner (false for "
            "narrowband voice/IoT systems such as Iridium; coverage is still computed)",
        ),
        _k(
            "gateways",
            "tables",
            (),
            "bent-pipe gateways: a list of {name, lat_deg, lon_deg, height_m, "
            "min_elevation_deg}; a satellite serves users only while it sees one of them "
            "(this list or gateways_file), and the latency adds its slant range to the "
            "nearest one; none: no gateway rule (a gateway always in view at the user's "
            "slant range)",
        ),
        _k(
            "gateways_file",
            "str",
            "",
            "a CSV of more gateways (header: name, lat_deg, lon_deg, optional height_m and "
            "min_elevation_deg; '#' lines are comments), relative to the scenario file",
        ),
    ),
    "systems.gateways": (
        _k("name", "str", REQUIRED, "label of the gateway (unique within the system)"),
        _k("lat_deg", "float", REQUIRED, "geodetic latitude", "deg", low=-90.0, high=90.0),
        _k("lon_deg", "float", REQUIRED, "longitude (east)", "deg", low=-180.0, high=180.0),
        _k(
            "height_m",
            "float",
            0.0,
            "antenna height above the WGS84 ellipsoid",
            "m",
            low=-500.0,
            high=9000.0,
        ),
        _k(
            "min_elevation_deg",
            "float",
            10.0,
            "lowest elevation the gateway antenna tracks (check the operator's filing: "
            "SpaceX's US gateway filings give 25 early, 40 at full deployment)",
            "deg",
            low=0.0,
            high=90.0,
            high_open=True,
            source="[ASSUMPTION] a common Ka-band gateway figure",
        ),
    ),
    "systems.walker": (
        _k(
            "altitude_km",
            "float",
            REQUIRED,
            "mean altitude above the equatorial radius",
            "km",
            low=160.0,
            high=40000.0,
        ),
        _k("inclination_deg", "float", REQUIRED, "inclination", "deg", low=0.0, high=180.0),
        _k("planes", "int", REQUIRED, "orbital planes P", low=1, high=10000),
        _k("sats_per_plane", "int", REQUIRED, "satellites per plane S", low=1, high=10000),
        _k(
            "phasing",
            "int",
            None,
            "Walker phasing F (0 <= F < P); default 1, or 0 for a single plane",
            low=0,
        ),
        _k("pattern", "str", "delta", "Walker pattern", choices=("delta", "star")),
        _k(
            "raan_spread_deg",
            "float",
            None,
            "arc of the plane RAANs (default 360 for delta, 180 for star)",
            "deg",
            low=0.0,
            high=360.0,
            low_open=True,
        ),
        _k("raan0_deg", "float", 0.0, "RAAN of the first plane", "deg", low=0.0, high=360.0),
    ),
    "systems.filter": (
        _k(
            "name",
            "str",
            None,
            "regular expression searched in the satellite names (case-insensitive)",
        ),
        _k("altitude_km", "pair", None, "mean-altitude band", "km", low=0.0),
        _k("inclination_deg", "pair", None, "inclination band", "deg", low=0.0, high=180.0),
        _k(
            "max_epoch_age_days",
            "float",
            None,
            "drop sets whose epoch is further than this from the window start",
            "days",
            low=0.0,
        ),
    ),
    "engine": (
        _k(
            "steps_per_chunk",
            "int",
            60,
            "steps propagated and evaluated together (memory grows with it, results do not change)",
            low=1,
            high=100000,
        ),
        _k(
            "coarse_step_s",
            "float",
            600.0,
            "spacing of the coarse propagation pass that "
            "prunes satellites out of reach (results do not change)",
            "s",
            low=0.0,
            low_open=True,
        ),
        _k(
            "workers",
            "int",
            1,
            "worker processes (the CLI's --workers overrides it)",
            low=1,
            high=1024,
        ),
        _k(
            "default_series",
            "bool",
            True,
            "without series_cells: keep the per-step series "
            "of the most and the least covered settled cell of each district (a second, "
            "small engine run)",
        ),
        _k(
            "series_cells",
            "strs",
            (),
            "H3 cells whose per-step values are kept (series_* variables, dim time)",
        ),
    ),
    "licensing": (
        _k(
            "base_case",
            "str",
            "as_of_2025",
            "name of the licensing case given by each system's 'licensed'",
        ),
        _k(
            "alternative_case",
            "str",
            "foreign_leo_licensed",
            "name of the second case, given "
            "by each system's 'licensed_alternative', decided side by side from the same "
            'coverage run; "" = base case only',
        ),
    ),
    "demand": (
        _d(
            _DEMAND,
            "household_size",
            "float",
            "persons per household",
            "person",
            low=0.5,
            high=50.0,
            source="[CENSUS] PBS 7th Population and Housing Census 2023 (~6.3)",
        ),
        _d(
            _DEMAND,
            "take_up_rate",
            "float",
            "share of households that subscribe",
            "1",
            low=0.0,
            high=1.0,
            source=f"{_ASSUMED} rural launch",
        ),
        _d(
            _DEMAND,
            "users_per_household",
            "float",
            "users per subscribing household",
            "person",
            low=0.0,
            source=_ASSUMED,
        ),
        _d(
            _DEMAND,
            "busy_hour_mbps_per_user",
            "float",
            "rate provisioned per active user in the busy hour",
            "Mbit/s",
            low=0.0,
            source=_ASSUMED,
        ),
        _d(
            _DEMAND,
            "overbooking_ratio",
            "float",
            "users sharing one provisioned unit",
            "1",
            low=1.0,
            high=1000.0,
            source="[ASSUMPTION] within 10:1-50:1 of residential broadband",
        ),
    ),
    "planning": (
        _d(
            _RULE,
            "min_fiber_distance_km",
            "float",
            "a rural demand site farther than this "
            "from fibre or a point of presence is a target (underserved)",
            "km",
            low=0.0,
            source=_ASSUMED,
        ),
        _d(
            _RULE,
            "min_population",
            "float",
            "fewest people for a demand site to be a target",
            "person",
            low=0.0,
            source=_ASSUMED,
        ),
        _d(
            _RULE,
            "urban_min_population",
            "float",
            "demand sites with at least this many people are urban, not rural targets",
            "person",
            low=0.0,
            source="[REPORTED] UN/Eurostat Degree of Urbanisation (2021): urban cluster "
            ">= 5,000 inhabitants",
        ),
        _d(
            _RULE,
            "service_radius_km",
            "float",
            "settlements closer than this form one demand site (the unit a build serves)",
            "km",
            low=0.0,
            high=100.0,
            source="[ASSUMPTION] reach of a village distribution network from one backhaul point",
        ),
        _d(
            _FINANCE,
            "horizon_years",
            "int",
            "planning horizon",
            "year",
            low=1,
            high=100,
            source=_ASSUMED,
        ),
        _d(
            _FINANCE,
            "discount_rate",
            "float",
            "real discount rate",
            "1/year",
            low=0.0,
            high=1.0,
            source="[ASSUMPTION] World Bank appraisal practice",
        ),
        _d(
            _CRITERIA,
            "min_availability_pct",
            "float",
            "terrain-aware share of time with a usable satellite for the option to be feasible",
            "%",
            low=0.0,
            high=100.0,
            source=_ASSUMED,
        ),
        _d(
            _CRITERIA,
            "max_latency_rtt_ms",
            "float",
            "largest mean round-trip latency (GEO bent pipe ~560-600)",
            "ms",
            low=0.0,
            source=_ASSUMED,
        ),
        _d(
            _CRITERIA,
            "served_distance_km",
            "float",
            "cells this close to fibre or a point of presence are already served",
            "km",
            low=0.0,
            source=_ASSUMED,
        ),
        _d(
            _CRITERIA,
            "tie_within_pct",
            "float",
            "a runner-up this close in present value "
            "is reported as a tie (reason '<choice>:tie_within_1pct')",
            "%",
            low=0.0,
            high=100.0,
            source=_ASSUMED,
        ),
    ),
    "finance": (
        _d(
            _FINANCE,
            "usd_to_pkr",
            "float",
            "exchange rate for costs shown in PKR",
            "PKR/USD",
            low=0.0,
            low_open=True,
            source="[REPORTED] SBP mark-to-market spot rate 24 Sep 2025 (ARY News)",
        ),
        _d(_FINANCE, "usd_to_pkr_as_of", "date", "date of usd_to_pkr"),
    ),
    "costs.fiber": (
        _d(
            _FIBER,
            "cost_per_km_usd",
            "float",
            "fibre build cost per terrain-weighted km",
            "USD/km",
            low=0.0,
            source="[REPORTED] ITU Connect2Recover costing; range 15,850 "
            "(Analysys Mason rural) to ~54,000 (Pak-China OFC 2018)",
        ),
        _d(
            _FIBER,
            "site_equipment_usd",
            "float",
            "node equipment and power at the served cell",
            "USD",
            low=0.0,
            source=_ASSUMED,
        ),
        _d(
            _FIBER,
            "opex_fraction_per_year",
            "float",
            "maintenance per year as a share of CAPEX",
            "1/year",
            low=0.0,
            high=1.0,
            source=_ASSUMED,
        ),
        _d(
            _TERRAIN,
            "slope_cost_per_deg",
            "float",
            "terrain factor added per degree of slope",
            "1/deg",
            low=0.0,
            source=_ASSUMED,
        ),
        _d(
            _TERRAIN,
            "elevation_cost_per_km",
            "float",
            "terrain factor added per km above elevation_threshold_m",
            "1/km",
            low=0.0,
            source=_ASSUMED,
        ),
        _d(
            _TERRAIN,
            "elevation_threshold_m",
            "float",
            "height above which building gets dearer",
            "m",
            low=-500.0,
            high=9000.0,
            source=_ASSUMED,
        ),
    ),
    "costs.leo": _satellite_cost_keys(DEFAULT_LEO_COSTS),
    "costs.meo": _satellite_cost_keys(DEFAULT_MEO_COSTS),
    "costs.geo": _satellite_cost_keys(DEFAULT_GEO_COSTS),
    "costs.<system>": _satellite_cost_keys(None),
    "network": (
        _d(
            _NETWORK,
            "path",
            "str",
            "fibre network (GeoJSON/KML/CSV, relative to the scenario) "
            "or 'bundled' (indicative backbone + district HQ points of presence)",
        ),
        _d(_NETWORK, "include_planned", "bool", "count planned routes as built"),
        _d(
            _NETWORK,
            "design",
            "str",
            "new fibre: 'shared' trunks (a prize-collecting Steiner "
            "tree over the cell graph) or 'per_site' (each site pays its own least-cost path); "
            "satellite capacity per area applies to both (satellite_capacity), and to a "
            "region without existing fibre",
            choices=("shared", "per_site"),
        ),
        _d(
            _NETWORK,
            "capacity_resolution",
            "int",
            "H3 resolution of the areas whose "
            "satellite capacity the sites share (res 5 ~ 253 km2, about one Starlink cell)",
            low=0,
            high=9,
            source="[ASSUMPTION] Starlink cell ~379 km2 (Pekhterev 2021)",
        ),
        _d(
            _NETWORK,
            "routing_resolution",
            "int",
            "H3 resolution of the routing grid over which fibre trunks and microwave relay "
            "chains run, whatever the plan's resolution (res 7: cell centres ~2.4 km apart)",
            low=5,
            high=9,
            source="[ASSUMPTION] res 7 resolves valley floors and ridges at the bundled DEM's "
            "9 km spacing and keeps national graphs near 160,000 cells",
        ),
        _d(
            _NETWORK,
            "satellite_capacity",
            "bool",
            "limit each satellite system's capacity per area (beams x Mbit/s per beam from "
            "the satellites in view); false: unlimited, as in the first release",
        ),
        _d(
            _NETWORK,
            "microwave",
            "bool",
            "offer microwave relay chains (7 GHz hops up to 30 km from the network, tested "
            "on the DEM with dual-state P.530 clearance; ridge relays per res-5 area)",
            source="[REPORTED] hop tiers: pytal (Oughton); 30 km hops: ITU CPP",
        ),
        _d(
            _NETWORK,
            "budget_usd_per_year",
            "float",
            "money committed per year to the builds (present values of build + O&M/service, "
            "as the plan's costs): schedules the rollout, builds ordered by people per USD "
            "with trunks before branches; the report's curve answers any other budget",
            "USD/year",
            low=0.0,
            low_open=True,
            source="[ASSUMPTION] about a fifth of the default plan's present value: a 5-6 year rollout",
        ),
    ),
    "population": (
        _d(
            _POPULATION,
            "source",
            "str",
            "population raster/CSV (relative to the scenario) or 'bundled'",
        ),
        _d(
            _POPULATION,
            "rural_density_per_km2",
            "float",
            "a cell below this density is rural",
            "person/km2",
            low=0.0,
            source=_ASSUMED,
        ),
    ),
    "output": (
        _k(
            "exports",
            "strs",
            ("report", "plan_nc", "geopackage", "districts_csv"),
            "files 'hybridplan plan' writes (report.html, report.pdf through Chromium, plan.nc, "
            "cells.gpkg, districts.csv, cells.geojson, cells.csv; attributes.csv, the column "
            "dictionary, comes with any table)",
            choices=EXPORTS,
            min_items=1,
        ),
        _k(
            "cell_detail",
            "str",
            "auto",
            "columns of cells.gpkg / cells.csv / cells.geojson: 'full' (every figure of every "
            "system), 'compact' (per system only availability and latency, the decision's "
            "inputs; every other figure for the combined system; plan.nc keeps them all) or "
            f"'auto' (full up to {COMPACT_ABOVE_CELLS:,} cells, compact above: national grids)",
            choices=("auto", "full", "compact"),
        ),
    ),
}

COST_CLASSES = ("leo", "meo", "geo")
"""``[costs.<class>]`` tables that set the defaults of an orbit class."""

TOP_TABLES = tuple(s for s in SCHEMA if s and "." not in s) + ("costs",)
"""The tables a scenario may hold at the top level."""


def keys(section: str) -> dict[str, Key]:
    return {k.name: k for k in SCHEMA[section]}


def default(section: str, name: str):
    """The documented default of ``[section] name``."""
    value = keys(section)[name].default
    if value is REQUIRED:
        raise KeyError(f"[{section}] {name} has no default")
    return value


def type_name(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (datetime, date, time)):
        return "a TOML date/time"
    return type(value).__name__


def clean(text: str, limit: int = 80) -> str:
    """Text safe for a one-line message: control characters escaped, long text cut."""
    out = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return out if len(out) <= limit else out[: limit - 3] + "..."


def show(value, depth: int = 0) -> str:
    if depth > 2:
        return "..."
    if isinstance(value, str):
        return f'"{clean(value)}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(show(v, depth + 1) for v in value[:6])
        return "[" + inner + (", ..." if len(value) > 6 else "") + "]"
    if isinstance(value, Mapping):
        return "{...}"
    return clean(str(value))


def label(section: str, name: str) -> str:
    """How a key is written in messages and tables: ``[window] step_s``."""
    if section == "":
        return name
    if section == "systems":
        return f"[[systems]] {name}"
    if section.startswith("systems."):
        return f"[[systems]] {section.split('.')[1]}.{name}"
    return f"[{section}] {name}"


def schema_markdown() -> str:
    """The reference table of every key: default, valid values, meaning, source (Markdown)."""
    lines = ["| key | default | valid | meaning | source |", "|---|---|---|---|---|"]
    for section, entries in SCHEMA.items():
        for key in entries:
            if key.default is REQUIRED:
                dflt = "required"
            elif section == "costs.<system>":
                dflt = "[costs.<orbit class>]"
            elif key.name == "licensed_alternative":
                dflt = "= licensed"
            elif key.default in (None, "", ()):
                dflt = "-"
            else:
                dflt = show(key.default)
            lines.append(
                f"| {label(section, key.name)} | {dflt} | {key.expected()} | "
                f"{key.doc} | {key.source or '-'} |"
            )
    return "\n".join(lines)
