"""The coverage API: a grid and systems (or a scenario) in, a figure-of-merit Dataset out.

::

    from hybridplan.coverage import default_scenario, run_scenario
    fom = run_scenario(default_scenario(), workers=2)
    fom["pct_time_covered"].sel(system="starlink")

Lower level, for notebooks and tests with synthetic grids::

    compute_coverage(grid, [SystemModel("walker", constellation, 25.0)], TimeGrid(...))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path

import numpy as np
import xarray as xr
from hybridplan.tle import TimeGrid

from .atomic import write_atomic
from .engine import EngineOptions, ProgressCallback, SystemModel, accumulate, ground_from_grid
from .errors import CoverageError, ScenarioError
from .fom import fom_dataset
from .scenario import Scenario
from .systems import resolve_systems


def compute_coverage(grid: xr.Dataset, systems: Sequence[SystemModel], window: TimeGrid, *,
                     terrain: bool = True, antenna_height_m: float | None = None,
                     options: EngineOptions | None = None, workers: int = 1,
                     executor: Executor | None = None,
                     progress: ProgressCallback | None = None,
                     series_cells: Sequence[str] = (),
                     attrs: Mapping[str, object] | None = None) -> xr.Dataset:
    """Figures of merit per (system, cell) over a time window.

    Parameters
    ----------
    grid : xarray.Dataset
        Dim ``cell``; ``lat`` [degrees_north], ``lon`` [degrees_east], optional
        ``elevation_m`` [m]; ``horizon_deg`` (cell, azimuth) [degree] when ``terrain``.
    systems : sequence of SystemModel
    window : hybridplan.tle.TimeGrid
        UTC start, duration, step.
    terrain : bool
        Mask satellites behind the terrain horizon.
    antenna_height_m : float, optional
        Observer above ``elevation_m`` [m]; default: the grid's
        ``horizon_antenna_height_m`` attribute (the height its horizons were computed
        for), else 0.
    options : EngineOptions, optional
        Performance knobs (never change results); default ``EngineOptions()``.
    workers : int
        Processes working (N: N - 1 worker processes plus this one).
    executor : concurrent.futures.Executor, optional
        Any executor with ``submit`` (e.g. a ``dask.distributed.Client``).
    progress : callable, optional
        Called with numbers of steps completed.
    series_cells : sequence of str
        Cells (``cell`` coordinate values) whose per-step values are kept.

    Returns
    -------
    xarray.Dataset
        Dims ``system`` (the systems, then ``combined``) and ``cell``. Per (system,
        cell): ``pct_time_covered``, ``pct_time_covered_open_sky`` [percent],
        ``n_visible_mean`` [1], ``n_visible_min``, ``n_visible_max`` (int32),
        ``pct_time_n_or_more`` [percent], ``max_gap_s``, ``mean_gap_s`` [s], ``n_gaps``,
        ``best_elevation_mean_deg`` [degree], ``latency_rtt_mean_ms`` [ms]. Per system:
        ``min_elevation_deg``, ``gso_exclusion_deg``, ``n_required``, ``licensed``
        (flag), ``orbit_class``, ``n_satellites``, ``propagation_failures``,
        ``element_set_epoch_min/max``. Coordinates ``lat``, ``lon`` per cell. With
        ``series_cells``: ``series_n_visible``, ``series_covered_open_sky``,
        ``series_best_elevation_deg`` (time, system, series_cell).
    """
    options = options if options is not None else EngineOptions()
    if antenna_height_m is None:
        antenna_height_m = float(grid.attrs.get("horizon_antenna_height_m", 0.0))
    ground = ground_from_grid(grid, terrain, antenna_height_m, options.leaf_size)
    index = _series_index(ground.cells, series_cells)
    acc, stats = accumulate(ground, systems, window, options=options, workers=workers,
                            executor=executor, progress=progress, series_cells=index)
    return fom_dataset(acc, stats, ground, systems, window, grid, index, attrs)


def _series_index(cells: np.ndarray, wanted: Sequence[str]) -> list[int]:
    if not len(wanted):
        return []
    lookup = {str(c): i for i, c in enumerate(cells)}
    missing = [c for c in wanted if str(c) not in lookup]
    if missing:
        raise CoverageError(f"series cells not in the grid: {', '.join(map(str, missing[:5]))}"
                            "; give H3 indexes of cells of the region")
    return [lookup[str(c)] for c in wanted]


def scenario_region(scenario: Scenario):
    """The scenario's ``[region]`` as a :class:`hybridplan.grids.Region` (names, or one
    GeoJSON path relative to the scenario file)."""
    from hybridplan.grids import load_region

    names = list(scenario.region.names)
    if len(names) == 1 and names[0].lower().endswith((".geojson", ".json")):
        return load_region(str(scenario.resolve_path(names[0])))
    return load_region(names if len(names) > 1 else names[0])


def prepare_grid(scenario: Scenario, region=None) -> xr.Dataset:
    """The region's H3 grid with DEM heights (and horizons when terrain is on).

    ``region`` (a :class:`hybridplan.grids.Region`) skips loading it again.
    """
    from hybridplan.grids import add_terrain, build_grid, load_dem

    region = scenario_region(scenario) if region is None else region
    grid = build_grid(region, scenario.region.resolution)
    terrain = scenario.terrain
    dem = load_dem(None if terrain.dem == "bundled" else scenario.resolve_path(terrain.dem))
    if terrain.enabled:
        return add_terrain(grid, dem, n_azimuth=terrain.n_azimuth,
                           max_distance_km=terrain.max_distance_km,
                           antenna_height_m=terrain.antenna_height_m)
    elevation = dem.elevation_m(grid["lat"].values, grid["lon"].values)
    if not np.all(np.isfinite(elevation)):
        raise ScenarioError(f"{scenario.source}: [terrain] dem does not cover every cell of the "
                            "region; use a DEM that covers it")
    grid = grid.assign(elevation_m=("cell", elevation, {
        "units": "m", "long_name": "terrain height at the cell centre (DEM)"}))
    grid.attrs["dem_source"] = dem.source
    return grid


def run_scenario(scenario: Scenario, *, grid: xr.Dataset | None = None,
                 systems: Sequence[SystemModel] | None = None, workers: int | None = None,
                 executor: Executor | None = None,
                 progress: ProgressCallback | None = None) -> xr.Dataset:
    """Run a scenario's coverage step; returns the figure-of-merit Dataset.

    ``grid`` skips :func:`prepare_grid` (e.g. a grid cached by the caller); ``systems``
    skips :func:`resolve_systems` (already resolved by the caller);
    ``workers`` overrides ``[engine] workers``.
    """
    systems = resolve_systems(scenario) if systems is None else systems
    if grid is None:
        grid = prepare_grid(scenario)
    engine = scenario.engine
    options = EngineOptions(steps_per_chunk=engine.steps_per_chunk,
                            coarse_step_s=engine.coarse_step_s)
    attrs = {"scenario": scenario.text, "scenario_source": scenario.source,
             "scenario_name": scenario.name, "region": str(grid.attrs.get("region", "")),
             "h3_resolution": int(grid.attrs.get("h3_resolution", scenario.region.resolution)),
             "dem_source": str(grid.attrs.get("dem_source", ""))}
    return compute_coverage(grid, systems, scenario.window.time_grid(),
                            terrain=scenario.terrain.enabled,
                            antenna_height_m=scenario.terrain.antenna_height_m,
                            options=options, workers=workers or engine.workers,
                            executor=executor, progress=progress,
                            series_cells=engine.series_cells, attrs=attrs)


def write_netcdf(fom: xr.Dataset, path: str | Path) -> Path:
    """Write the Dataset as NetCDF-4 (h5netcdf) atomically: all or nothing."""
    return write_atomic(path, lambda tmp: fom.to_netcdf(tmp, engine="h5netcdf"))
