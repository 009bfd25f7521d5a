"""The engine's entry point: a grid Dataset and systems in, a figure-of-merit Dataset out.

::

    from hybridplan.coverage.engine import SystemModel, compute_coverage
    fom = compute_coverage(grid, [SystemModel("walker", constellation, 25.0)], window)
    fom["pct_time_covered"].sel(system="walker")
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor

import numpy as np
import xarray as xr
from hybridplan.tle import TimeGrid

from ..errors import CoverageError
from .executors import is_dask_client
from .fom import fom_dataset
from .model import EngineOptions, Ground, ProgressCallback, SystemModel, ground_from_grid
from .recipe import GridRecipe, StaticRecipe
from .run import accumulate


def compute_coverage(
    grid: xr.Dataset,
    systems: Sequence[SystemModel],
    window: TimeGrid,
    *,
    terrain: bool = True,
    antenna_height_m: float | None = None,
    options: EngineOptions | None = None,
    workers: int = 1,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    series_cells: Sequence[str] = (),
    attrs: Mapping[str, object] | None = None,
    stk: bool | None = None,
    checkpoint_dir: str | os.PathLike | None = None,
    grid_recipe: GridRecipe | None = None,
) -> xr.Dataset:
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
        Cores working: N threads of this process (the kernel releases the GIL), or with
        ``options.processes`` N - 1 worker processes plus this one.
    executor : concurrent.futures.Executor, optional
        Any executor with ``submit``, or a ``dask.distributed.Client`` (see
        :func:`hybridplan.coverage.engine.executors.executor_from_spec`).
    progress : callable, optional
        Called with numbers of steps completed.
    series_cells : sequence of str
        Cells (``cell`` coordinate values) whose per-step values are kept.
    stk : bool, optional
        Compute the STK figures of merit below (revisit/response, time-average gap,
        accesses); ``False`` saves memory on very large grids (53 -> 14 int64 per
        system and cell). Default: kept when one accumulator with them fits
        :data:`STK_BUDGET_BYTES` (:func:`keep_stk`), so a national grid leaves them
        out (the Dataset's ``stk_fom`` attribute says which and why).
    checkpoint_dir : path, optional
        Folder of per-span checkpoints: a killed run rerun with the same folder computes
        only the spans it lacks (:mod:`hybridplan.coverage.engine.checkpoints`).
    grid_recipe : GridRecipe, optional
        With a ``dask.distributed.Client`` as ``executor``: how the workers rebuild
        ``grid`` themselves (:mod:`hybridplan.coverage.engine.recipe`; the pipeline's
        ``ScenarioGrid`` for a scenario's grid). The workers then get a recipe (0.65 MB
        for the default scenario, almost all of it element sets) instead of the static
        inputs (13 MB for the default scenario, over 100 MB for all of Pakistan at
        resolution 7), build them once per run and refuse the run if theirs differ.
        Without it (a grid made in memory) the static inputs are sent to every worker
        (``scatter``). Ignored by the other executors.

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
        STK figures of merit per (system, cell): ``revisit_time_percentile_s`` and
        ``response_time_percentile_s`` (with dim ``percentile``), ``response_time_mean_s``,
        ``response_time_max_s``, ``time_average_gap_s``, ``access_count``,
        ``access_duration_mean_s/min_s/max_s`` [s]; and per (time, system)
        ``pct_cells_covered_over_time``, ``pct_cells_n_or_more_over_time`` (and ``area``
        / ``population`` variants when the grid has ``area_km2`` / ``population``).
        Definitions: the Dataset's ``stk_fom_definitions`` attribute.
    """
    options = options if options is not None else EngineOptions()
    if antenna_height_m is None:
        antenna_height_m = float(grid.attrs.get("horizon_antenna_height_m", 0.0))
    ground, index, stacked = engine_inputs(grid, terrain, antenna_height_m, options, series_cells)
    weights = cell_weights(grid)
    n_cells = ground.cells.size
    auto_stk = stk is None
    if auto_stk:
        stk = keep_stk(len(systems), n_cells)
    recipe = None
    if grid_recipe is not None and is_dask_client(executor):
        recipe = StaticRecipe.of(
            grid_recipe,
            systems,
            window,
            terrain=terrain,
            antenna_height_m=antenna_height_m,
            options=options,
            series_cells=series_cells,
            stk=stk,
        )
    acc, stats = accumulate(
        ground,
        systems,
        window,
        options=options,
        workers=workers,
        executor=executor,
        progress=progress,
        series_cells=index,
        weights=stacked,
        stk=stk,
        checkpoint_dir=checkpoint_dir,
        recipe=recipe,
    )
    fom = fom_dataset(acc, stats, ground, systems, window, grid, index, attrs, weights)
    if acc.has_stk:
        fom.attrs["stk_fom"] = "computed"
    elif auto_stk:
        need_mib = accumulator_bytes(len(systems), n_cells, True) / 2**20
        fom.attrs["stk_fom"] = (
            f"left out: with them one accumulator of {n_cells} cells takes {need_mib:.0f} "
            f"MiB, more than the {STK_BUDGET_BYTES / 2**20:.0f} MiB budget (stk=True forces them)"
        )
    else:
        fom.attrs["stk_fom"] = "left out (stk=False)"
    return fom


def engine_inputs(
    grid: xr.Dataset,
    terrain: bool,
    antenna_height_m: float,
    options: EngineOptions,
    series_cells: Sequence[str] = (),
) -> tuple[Ground, list[int], np.ndarray]:
    """What :func:`accumulate` takes from a grid: the ground, the series cells' indices
    and the stacked :func:`cell_weights` (here, and on a worker building from a recipe)."""
    ground = ground_from_grid(grid, terrain, antenna_height_m, options.leaf_size)
    index = _series_index(ground.cells, series_cells)
    return ground, index, np.stack(list(cell_weights(grid).values()))


STK_BUDGET_BYTES = 256 * 2**20
"""Largest accumulator [bytes] for which :func:`compute_coverage` keeps the STK fields by
default: about 67,000 cells with 8 systems (the default GB + AJK plan keeps them; all of
Pakistan at res 7, 160,000 cells, leaves them out: 614 MiB per accumulator with them,
162 MiB without)."""


def accumulator_bytes(n_systems: int, n_cells: int, stk: bool) -> int:
    """Size of one accumulator's fields [bytes]: int64 per (system row, cell, field),
    the rows being the systems and ``combined``."""
    from .kernel import N_BASE_FIELDS, N_FIELDS

    return 8 * (n_systems + 1) * n_cells * (N_FIELDS if stk else N_BASE_FIELDS)


def keep_stk(n_systems: int, n_cells: int) -> bool:
    """Whether the STK fields fit :data:`STK_BUDGET_BYTES` (checked before anything is
    allocated)."""
    return accumulator_bytes(n_systems, n_cells, True) <= STK_BUDGET_BYTES


def cell_weights(grid: xr.Dataset) -> dict[str, np.ndarray]:
    """Per-cell weights of the percent-satisfied series: ``cells`` (ones), and ``area``
    [km2] and ``population`` when the grid has ``area_km2`` / ``population``."""
    weights = {"cells": np.ones(grid.sizes["cell"])}
    for name, var in (("area", "area_km2"), ("population", "population")):
        if var in grid and grid[var].dims == ("cell",):
            values = np.nan_to_num(np.asarray(grid[var].values, dtype=np.float64))
            weights[name] = values
    return weights


def _series_index(cells: np.ndarray, wanted: Sequence[str]) -> list[int]:
    if not len(wanted):
        return []
    lookup = {str(c): i for i, c in enumerate(cells)}
    missing = [c for c in wanted if str(c) not in lookup]
    if missing:
        raise CoverageError(
            f"series cells not in the grid: {', '.join(map(str, missing[:5]))}"
            "; give H3 indexes of cells of the region"
        )
    return [lookup[str(c)] for c in wanted]
