"""Everything a plan needs, resolved and validated once: :class:`PlanInputs` and
:func:`resolve`.

``resolve(scenario)`` validates the planning tables, loads and checks every system's
element sets (first, so a bad file fails before the slow ground step), loads the region
and the network; the ground (grid, terrain, population, fibre reach) is built by
:func:`prepare_ground` from the same inputs. Nothing here is computed twice.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import xarray as xr
from hybridplan.grids import Network, Region
from hybridplan.tle import (
    Constellation,
    WalkerShell,
    epoch_age_days,
    load_constellation,
    load_deployment,
    preset_constellation,
    warn_if_stale,
)
from hybridplan.tle.errors import ElementSetError

from ..engine import SystemModel
from ..engine.gateway import Gateway
from ..errors import ScenarioError, StaleElementSetsError
from ..planning.spec import PlanningSpec
from ..scenario import GatewaySpec, Scenario, SystemSpec, planning_spec, system_gateways


def _where(scenario: Scenario, spec: SystemSpec) -> str:
    return f"{scenario.source}: [systems.{spec.name}]"


def load_system_constellation(spec: SystemSpec, scenario: Scenario) -> Constellation:
    """The satellites of one system, filtered (errors name the scenario key)."""
    where = _where(scenario, spec)
    start = scenario.window.start
    try:
        if spec.source:
            source = spec.source
            if not source.startswith("bundled:"):
                source = str(scenario.resolve_path(source))
            constellation = load_constellation(source)
        elif spec.preset:
            constellation = preset_constellation(spec.preset, start)
        elif spec.deployment:
            table = spec.deployment
            if not table.startswith("bundled:"):
                table = str(scenario.resolve_path(table))
            plan = load_deployment(table)
            constellation = plan.at(start, epoch_utc=start)
            plan.check_window(start, scenario.window.duration_h * 3600.0)
        else:
            w = spec.walker
            shell = WalkerShell(
                spec.name,
                w.altitude_km,
                w.inclination_deg,
                w.planes,
                w.sats_per_plane,
                w.phasing,
                w.pattern,
                w.raan_spread_deg,
                w.raan0_deg,
                source="scenario walker table",
            )
            constellation = Constellation.from_walker(shell, start)
        if spec.filter is not None:
            f = spec.filter
            constellation = constellation.select(
                name=f.name,
                altitude_km=f.altitude_km,
                inclination_deg=f.inclination_deg,
                max_epoch_age_days=f.max_epoch_age_days,
                at_utc=start if f.max_epoch_age_days is not None else None,
            )
    except ElementSetError as exc:
        raise ScenarioError(f"{where} {exc}") from None
    if len(constellation) == 0:
        origin = spec.source or spec.preset or spec.deployment or "walker"
        raise ScenarioError(
            f"{where} no satellites left from {origin} after the filter; widen the filter"
        )
    return constellation


def check_epochs(spec: SystemSpec, constellation: Constellation, scenario: Scenario) -> None:
    """Refuse element sets too far from the window; warn beyond 3 days."""
    window = scenario.window
    grid = window.time_grid()
    age = epoch_age_days(constellation.epochs_jd_utc, grid)
    if age.max() > window.max_epoch_age_days and not window.allow_stale_elements:
        epochs = constellation.epochs_utc
        raise StaleElementSetsError(
            f"{_where(scenario, spec)} the window {window.start:%Y-%m-%dT%H:%MZ}.."
            f"{window.end:%Y-%m-%dT%H:%MZ} is up to {age.max():.1f} days from the element-set "
            f"epochs ({str(epochs.min())[:10]}..{str(epochs.max())[:10]}), more than "
            f"max_epoch_age_days = {window.max_epoch_age_days:g}; SGP4 errors grow by about "
            "1-3 km per day, so the coverage would be fiction. Move [window] start next to "
            "the epochs, use fresher element sets, or set [window] allow_stale_elements = true"
        )
    warn_if_stale(f"[systems.{spec.name}]", constellation.epochs_jd_utc, grid)


def system_model(
    spec: SystemSpec, constellation: Constellation, gateways: tuple[GatewaySpec, ...] = ()
) -> SystemModel:
    """The engine's view of one ``[[systems]]`` entry with its satellites and its bent-pipe
    gateways (from :func:`~hybridplan.coverage.scenario.system_gateways`)."""
    return SystemModel(
        spec.name,
        constellation,
        spec.min_elevation_deg,
        spec.n_required,
        spec.gso_exclusion_deg,
        spec.licensed,
        backhaul=spec.backhaul,
        gateways=tuple(
            Gateway(g.name, g.lat_deg, g.lon_deg, g.height_m, g.min_elevation_deg) for g in gateways
        ),
    )


def resolve_systems(scenario: Scenario) -> list[SystemModel]:
    """Every system of the scenario, loaded, filtered and checked."""
    models = []
    for spec in scenario.systems:
        gateways = system_gateways(spec, scenario)
        constellation = load_system_constellation(spec, scenario)
        check_epochs(spec, constellation, scenario)
        models.append(system_model(spec, constellation, gateways))
    return models


def epoch_range(constellation: Constellation) -> tuple[np.datetime64, np.datetime64]:
    epochs = constellation.epochs_utc
    return epochs.min(), epochs.max()


@dataclass(frozen=True, eq=False)
class PlanInputs:
    """A scenario with everything resolved: what ``build_plan`` and the outputs read.

    Attributes
    ----------
    scenario : Scenario
    spec : PlanningSpec
        The validated planning tables.
    systems : list of SystemModel
        Satellite systems with their element sets, filtered and age-checked.
    region : hybridplan.grids.Region
    network : hybridplan.grids.Network
    """

    scenario: Scenario
    spec: PlanningSpec
    systems: list[SystemModel]
    region: Region
    network: Network


def resolve(scenario: Scenario) -> PlanInputs:
    """Validate and load a scenario's inputs once (planning tables, systems, region,
    network); raises the first problem as a one-line user error."""
    spec = planning_spec(scenario)
    systems = resolve_systems(scenario)
    region = scenario_region(scenario)
    network = scenario_network(scenario, spec, region)
    return PlanInputs(scenario, spec, systems, region, network)


def scenario_region(scenario: Scenario) -> Region:
    """The scenario's ``[region]`` (names, or one GeoJSON path relative to the scenario)."""
    from hybridplan.grids import load_region

    names = list(scenario.region.names)
    if len(names) == 1 and names[0].lower().endswith((".geojson", ".json")):
        return load_region(str(scenario.resolve_path(names[0])))
    return load_region(names if len(names) > 1 else names[0])


def scenario_network(
    scenario: Scenario, spec: PlanningSpec, region: Region | None = None
) -> Network:
    """The ``[network]`` file (relative to the scenario), or the bundled default; a user
    file is checked against the region (routes wholly outside it are counted in a
    warning)."""
    from hybridplan.grids import load_network

    path = spec.network.path
    if path == "bundled":
        return load_network(None)
    return load_network(scenario.resolve_path(path), region=region)


def scenario_dem(scenario: Scenario):
    """The ``[terrain] dem`` (relative to the scenario), or the bundled grid."""
    from hybridplan.grids import load_dem

    path = scenario.terrain.dem
    return load_dem(None if path == "bundled" else scenario.resolve_path(path))


def prepare_grid(
    scenario: Scenario, region: Region | None = None, *, warn_dem_gaps: bool = True, dem=None
) -> xr.Dataset:
    """The region's H3 grid with DEM heights (and horizons when terrain is on).

    With terrain on, every cell needs a DEM height: cells outside the DEM (or in voids)
    are refused with their count and extent. With terrain off they are kept: their
    ``elevation_m`` is NaN (the engine puts the observer on the ellipsoid), the grid's
    ``cells_without_dem_height`` attribute counts them and a ``DEMGapWarning`` says so
    (``warn_dem_gaps=False``: the caller warns, e.g. with the people in them). ``dem``:
    the scenario's DEM when the caller has loaded it already.
    """
    from hybridplan.grids import finish_terrain

    grid, pending = _start_grid(scenario, region, warn_dem_gaps=warn_dem_gaps, dem=dem)
    return grid if pending is None else finish_terrain(grid, pending)


def _start_grid(
    scenario: Scenario,
    region: Region | None = None,
    *,
    warn_dem_gaps: bool = True,
    dem=None,
    executor=None,
):
    """:func:`prepare_grid` with the horizons computed on ``executor`` (``None``: here):
    the grid (``horizon_deg`` NaN until ``grids.finish_terrain``) and the pending
    horizons (``None`` with terrain off)."""
    from hybridplan.grids import DEMGapWarning, build_grid, dem_gaps, start_terrain

    region = scenario_region(scenario) if region is None else region
    grid = build_grid(region, scenario.region.resolution)
    terrain = scenario.terrain
    dem = scenario_dem(scenario) if dem is None else dem
    gaps = dem_gaps(dem, grid["lat"].values, grid["lon"].values)
    if terrain.enabled and gaps.count:
        raise ScenarioError(
            f"{scenario.source}: [terrain] dem = {terrain.dem!r}: expected a height for every "
            f"cell (terrain is on); found none for {gaps.describe()}; bring a DEM that "
            "covers them ([terrain] dem = a folder of SRTM .hgt tiles or a GeoTIFF) or set "
            "[terrain] enabled = false to plan with open sky"
        )
    if terrain.enabled:
        grid, pending = start_terrain(
            grid,
            dem,
            executor,
            n_azimuth=terrain.n_azimuth,
            max_distance_km=terrain.max_distance_km,
            antenna_height_m=terrain.antenna_height_m,
        )
        grid.attrs["cells_without_dem_height"] = 0
        return grid, pending
    grid = grid.assign(
        elevation_m=(
            "cell",
            dem.elevation_m(grid["lat"].values, grid["lon"].values),
            {
                "units": "m",
                "long_name": "terrain height at the cell centre (DEM)",
                "comment": "NaN: no DEM height (observer on the ellipsoid, no microwave)",
            },
        )
    )
    grid.attrs["dem_source"] = dem.source
    grid.attrs["cells_without_dem_height"] = gaps.count
    if gaps.count and warn_dem_gaps:
        warnings.warn(_dem_gap_text(scenario, gaps), DEMGapWarning, stacklevel=3)
    return grid, None


def _dem_gap_text(scenario: Scenario, gaps, people: float | None = None) -> str:
    held = "" if people is None else f", {people:,.0f} people,"
    return (
        f"{scenario.source}: [terrain] dem = {scenario.terrain.dem!r} has no height for "
        f"{gaps.describe()}{held} planned there with open sky, the observer on the "
        "ellipsoid (0 m) and no microwave relays; bring a DEM that covers them for terrain"
    )


def population_source(inputs: PlanInputs):
    """The ``[population] source`` path, or ``None`` for the bundled settlement model."""
    source = inputs.spec.population.source
    return None if source == "bundled" else inputs.scenario.resolve_path(source)


def network_reach(
    grid: xr.Dataset, inputs: PlanInputs, dem, *, microwave: bool, before_microwave=None
) -> xr.Dataset:
    """A populated grid with its settlement points, fibre reach (terrain-weighted km) and,
    with ``microwave``, the relay chains on the DEM: the ground the network is planned on
    (the plan's own, or the routing grid, ``pipeline.routing``). ``before_microwave``:
    called (no arguments) once the fibre reach is done and the candidate hops are found,
    before their profiles are tested and the relay chains searched (at once without
    ``microwave``)."""
    from hybridplan.grids import fiber_reach

    from ..planning.cell_graph import neighbour_pairs

    spec = inputs.spec
    grid = attach_settlements(grid, inputs.network, spec.network.include_planned)
    terrain = spec.terrain_costs
    # the neighbour pairs from a k-d tree of the centres (H3's edge set, H3 asked only at
    # the grid's edge): 0.55 s instead of 0.85 s for a ring per cell on all Pakistan
    neighbours = neighbour_pairs(grid["cell"].values, grid["lat"].values, grid["lon"].values)
    ground = fiber_reach(
        grid,
        inputs.network,
        include_planned=spec.network.include_planned,
        slope_cost_per_deg=terrain.slope_cost_per_deg,
        elevation_cost_per_km=terrain.elevation_cost_per_km,
        elevation_threshold_m=terrain.elevation_threshold_m,
        neighbours=neighbours,
    )
    if not microwave:
        if before_microwave is not None:
            before_microwave()
        return ground
    from .microwave_links import microwave_reach

    return microwave_reach(
        ground,
        dem,
        served_distance_km=spec.criteria.served_distance_km,
        before_profiles=before_microwave,
    )


def prepare_ground(inputs: PlanInputs) -> xr.Dataset:
    """Grid with terrain, population, rural flag, fibre reach (terrain-weighted km) and
    microwave reach; the routing grid's variables (``pipeline.routing``) when the plan's
    resolution is not ``[network] routing_resolution``.

    The horizons (a compiled march on every core, the GIL released) are computed on a
    thread while the population, the fibre reach and the candidate microwave hops, which
    do not read them, are worked out; they are waited for before the hops' profiles are
    tested (the next compiled parallel pass) and the relay chains searched (the stage of
    the largest arrays)."""
    from concurrent.futures import ThreadPoolExecutor

    from hybridplan.grids import distribute_population, finish_terrain

    from .routing import add_slope, grid_resolution, join_routing, routing_ground

    scenario, spec = inputs.scenario, inputs.spec
    dem = scenario_dem(scenario)
    with ThreadPoolExecutor(1, thread_name_prefix="horizon") as pool:
        grid, pending = _start_grid(
            scenario, inputs.region, warn_dem_gaps=False, dem=dem, executor=pool
        )
        horizons = []  # the finished horizons, once waited for

        def wait_for_horizons() -> None:
            if pending is not None and not horizons:
                horizons.append(pending.result())

        grid = distribute_population(
            add_slope(grid, dem),
            population_source(inputs),
            rural_density_per_km2=spec.population.rural_density_per_km2,
        )
        no_height = ~np.isfinite(grid["elevation_m"].values)
        grid.attrs["population_without_dem_height"] = float(
            grid["population"].values[no_height].sum()
        )
        if no_height.any():
            from hybridplan.grids import DEMGapWarning, dem_gaps

            gaps = dem_gaps(dem, grid["lat"].values, grid["lon"].values)
            people = grid.attrs["population_without_dem_height"]
            warnings.warn(_dem_gap_text(scenario, gaps, people), DEMGapWarning, stacklevel=2)
        routing = spec.network.routing_resolution
        own = grid.sizes["cell"] == 0 or grid_resolution(grid) == routing
        ground = network_reach(
            grid,
            inputs,
            dem,
            microwave=own and spec.network.microwave,
            before_microwave=wait_for_horizons,
        )
        wait_for_horizons()
    if pending is not None:
        ground = finish_terrain(ground, horizons[0])
    if own:
        ground.attrs["routing_resolution"] = routing
    else:
        ground = join_routing(ground, routing_ground(inputs, dem))
    release_free_memory()  # the relay-chain search's arrays (~1 GB on all Pakistan)
    return ground


def release_free_memory() -> None:
    """Hand the C heap's free pages back to the operating system (glibc
    ``malloc_trim(0)``; nothing elsewhere).

    Freed numpy arrays below glibc's mmap threshold, which rises to 32 MB once a large
    array has been freed, stay in the process's heap, so a stage's temporaries would
    keep counting in the resident set of every later stage (about 0.25 GB after the
    planning of all Pakistan at res 7). The pipeline calls this between its stages
    (:func:`hybridplan.reports.background.trim_heap`, which the outputs use too).
    """
    from hybridplan.reports.background import trim_heap

    trim_heap()


def attach_settlements(
    grid: xr.Dataset, network: Network | None = None, include_planned: bool = False
) -> xr.Dataset:
    """Add the settlement points of the grid (dim ``settlement``): the places whose people
    the population model put in the grid's cells (wherever the point itself lies, so the
    set does not change with the resolution), or, for a population without settlement
    footprints (a raster, points), the places that fall in the grid's cells:
    ``settlement_lat``, ``settlement_lon`` [degree], ``settlement_weight`` [1] (the listed
    population, else 1), ``settlement_reach_km`` (the built-up radius of a listed place,
    0 otherwise), ``settlement_cell`` (H3 index) and ``settlement_place`` (row of the
    settlements file). The planner groups them into demand sites (``planning.sites``)."""
    import h3
    from hybridplan.grids import builtup_radius_km
    from hybridplan.grids.population import read_settlements

    places = read_settlements()
    resolution = h3.get_resolution(str(grid["cell"].values[0]))
    if "footprint_place" in grid:
        chosen = np.unique(
            grid["footprint_place"].values[grid["footprint_people"].values > 0]
        ).astype(np.int64)
    else:
        lat, lon = grid["lat"].values, grid["lon"].values
        chosen = np.flatnonzero(
            (places.lat >= lat.min() - 0.2)
            & (places.lat <= lat.max() + 0.2)
            & (places.lon >= lon.min() - 0.2)
            & (places.lon <= lon.max() + 0.2)
        )
    cells = np.array(
        [
            h3.latlng_to_cell(a, b, resolution)
            for a, b in zip(places.lat[chosen], places.lon[chosen], strict=True)
        ],
        dtype=str,
    )
    if "footprint_place" not in grid:
        in_grid = np.isin(cells, grid["cell"].values.astype(str))
        chosen, cells = chosen[in_grid], cells[in_grid]
    p_lat, p_lon, people = places.lat[chosen], places.lon[chosen], places.population[chosen]
    listed = people > 0
    reach = np.zeros(chosen.size)
    if listed.any():
        reach[listed] = builtup_radius_km(people[listed])
    extra = {}
    if network is not None:
        from hybridplan.grids import network_distance_km

        extra["settlement_fiber_distance_km"] = (
            "settlement",
            network_distance_km(network, p_lat, p_lon, include_planned=include_planned),
            {
                "units": "km",
                "long_name": "straight-line distance from the settlement "
                "to the nearest active fibre route or point of presence",
            },
        )
    return grid.assign(
        **extra,
        settlement_lat=(
            "settlement",
            p_lat,
            {"units": "degrees_north", "long_name": "settlement point latitude"},
        ),
        settlement_lon=(
            "settlement",
            p_lon,
            {"units": "degrees_east", "long_name": "settlement point longitude"},
        ),
        settlement_weight=(
            "settlement",
            np.where(listed, people, 1.0),
            {
                "units": "1",
                "long_name": "weight of the settlement point within its cell "
                "(listed population, else 1)",
            },
        ),
        settlement_reach_km=(
            "settlement",
            reach,
            {"units": "km", "long_name": "built-up radius of the settlement (listed places)"},
        ),
        settlement_cell=(
            "settlement",
            cells,
            {"units": "1", "long_name": "H3 cell holding the settlement point"},
        ),
        settlement_place=(
            "settlement",
            chosen,
            {
                "units": "1",
                "long_name": "row of the settlement in the settlements file (from 0): "
                "matches footprint_place",
            },
        ),
    )
