"""The coverage engine: satellites x cells x steps into per-cell figures of merit.

Pipeline per chunk of steps (DESIGN.md, "Speed by design"):
``reach.candidates`` (coarse SGP4 for all satellites, fine SGP4 only where a satellite
can be in reach) -> ``kernel.run_steps`` (bounding-sphere tree over the cells, exact
per-cell tests only where the bounds do not decide) -> integer accumulators, merged in
time order (:class:`~hybridplan.coverage.accumulate.Accumulator`). Nothing of size
cells x satellites x steps is ever built; memory depends on the chunk length only.

Work is split into contiguous spans of steps. Serially they run in this process; with
``workers > 1`` in local processes; with ``executor=`` on anything with a
``concurrent.futures``-style ``submit`` (a ``dask.distributed.Client`` qualifies). Tasks
carry element sets, never Satrec objects; the results are identical in every mode.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

import numpy as np
import xarray as xr
from hybridplan.tle import Constellation, TimeGrid, builtin_timescale
from hybridplan.tle.propagate import gmst_angles_rad

from .accumulate import Accumulator
from .celltree import CellTree, build_cell_tree
from .errors import CoverageError, PropagationFailureWarning
from .kernel import (
    N_SYS_COLUMNS,
    S_BAND,
    S_BAND_ON,
    S_COS_BAND,
    S_COS_MIN,
    S_LICENSED,
    S_MIN_EL,
    S_N_REQ,
    S_SIN_BAND,
    S_SIN_MIN,
    run_steps,
    work_buffers,
)
from .reach import SatelliteTable, StepTimes, candidates, satellite_table

ProgressCallback = Callable[[int], None]
"""Called in the calling process with the number of steps just completed."""


@dataclass(frozen=True)
class SystemModel:
    """One satellite system as the engine sees it.

    Attributes
    ----------
    name : str
        Label of the ``system`` coordinate (unique; ``"combined"`` is reserved).
    constellation : Constellation
        The satellites.
    min_elevation_deg : float
        Minimum elevation of the user terminal [deg], 0..90.
    n_required : int
        N of "N-asset coverage" (``pct_time_n_or_more``), >= 1.
    gso_exclusion_deg : float
        GSO arc avoidance angle [deg]; 0 disables the band.
    licensed : bool
        Whether the system counts towards ``combined``.
    """

    name: str
    constellation: Constellation
    min_elevation_deg: float
    n_required: int = 1
    gso_exclusion_deg: float = 0.0
    licensed: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_elevation_deg <= 90.0:
            raise CoverageError(f"system {self.name!r}: min_elevation_deg = "
                                f"{self.min_elevation_deg}: expected 0..90 deg")
        if not (isinstance(self.n_required, (int, np.integer)) and self.n_required >= 1):
            raise CoverageError(f"system {self.name!r}: n_required = {self.n_required!r}: "
                                "expected a whole number >= 1")
        if not 0.0 <= self.gso_exclusion_deg < 90.0:
            raise CoverageError(f"system {self.name!r}: gso_exclusion_deg = "
                                f"{self.gso_exclusion_deg}: expected 0 (off) .. 90 deg")
        if self.name == "combined":
            raise CoverageError("'combined' is reserved for the union of licensed systems; "
                                "name the system differently")

    @property
    def orbit_class(self) -> str:
        """``"LEO"``, ``"MEO"``, ``"GEO"`` (or ``"mixed"``) from the mean altitudes."""
        alt = np.asarray(self.constellation.mean_altitude_km)
        classes = set(np.where(alt < 2000.0, "LEO", np.where(
            (alt > 35000.0) & (alt < 36600.0), "GEO", "MEO")).tolist())
        return classes.pop() if len(classes) == 1 else ("mixed" if classes else "none")


@dataclass(frozen=True)
class EngineOptions:
    """Performance knobs; none of them changes a result.

    Attributes
    ----------
    steps_per_chunk : int
        Steps propagated and evaluated together (memory ~ chunk length).
    coarse_step_s : float
        Spacing of the coarse propagation pass [s] (rounded to whole steps).
    leaf_size : int
        Cells per leaf of the cell tree.
    prune : bool
        ``False`` propagates every satellite at every step and tests every cell against
        every satellite (the exact reference the pruned path is tested against; slow).
    tasks_per_worker : int
        Spans of steps per worker (more: better balance and progress, more start-up work).
    """

    steps_per_chunk: int = 60
    coarse_step_s: float = 600.0
    leaf_size: int = 8
    prune: bool = True
    tasks_per_worker: int = 3

    def __post_init__(self) -> None:
        if int(self.steps_per_chunk) != self.steps_per_chunk or self.steps_per_chunk < 1:
            raise CoverageError(f"steps_per_chunk = {self.steps_per_chunk!r}: expected a "
                                "whole number >= 1")
        if not self.coarse_step_s > 0:
            raise CoverageError(f"coarse_step_s = {self.coarse_step_s!r}: expected > 0 s")
        if int(self.leaf_size) != self.leaf_size or self.leaf_size < 1:
            raise CoverageError(f"leaf_size = {self.leaf_size!r}: expected >= 1")
        if int(self.tasks_per_worker) != self.tasks_per_worker or self.tasks_per_worker < 1:
            raise CoverageError(f"tasks_per_worker = {self.tasks_per_worker!r}: expected "
                                ">= 1")


@dataclass(frozen=True, eq=False)
class Ground:
    """The cells as the engine sees them: identifiers, centres, observer heights, tree."""

    cells: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    height_km: np.ndarray
    tree: CellTree
    terrain: bool
    antenna_height_m: float


def ground_from_grid(grid: xr.Dataset, terrain: bool = True, antenna_height_m: float = 0.0,
                     leaf_size: int = 8) -> Ground:
    """The engine's view of a grid Dataset (``hybridplan.grids`` contract).

    Uses ``lat`` [degrees_north], ``lon`` [degrees_east], ``elevation_m`` [m] (0 when
    absent) and, with ``terrain=True``, ``horizon_deg`` (cell, azimuth) [degree].
    The observer stands at ``elevation_m + antenna_height_m`` above the ellipsoid.
    """
    missing = [name for name in ("lat", "lon") if name not in grid]
    if missing or "cell" not in grid.dims:
        raise CoverageError(f"the grid Dataset needs a 'cell' dimension with 'lat' and 'lon'; "
                            f"missing {missing or ['cell dimension']}")
    lat = np.asarray(grid["lat"].values, dtype=np.float64)
    lon = np.asarray(grid["lon"].values, dtype=np.float64)
    if lat.size == 0:
        raise CoverageError("the grid has no cells")
    if not (np.all(np.isfinite(lat)) and np.all(np.abs(lat) <= 90.0)
            and np.all(np.isfinite(lon))):
        raise CoverageError("grid 'lat'/'lon' must be finite, |lat| <= 90 deg")
    elevation_m = (np.asarray(grid["elevation_m"].values, dtype=np.float64)
                   if "elevation_m" in grid else np.zeros_like(lat))
    if not np.all(np.isfinite(elevation_m)):
        raise CoverageError("grid 'elevation_m' has NaN cells; fill them (e.g. 0 m at sea) "
                            "before computing coverage")
    horizon = None
    if terrain:
        if "horizon_deg" not in grid:
            raise CoverageError("terrain is on but the grid has no 'horizon_deg' (cell, azimuth)"
                                "; add terrain to the grid (hybridplan.grids) or switch "
                                "terrain off")
        horizon_da = grid["horizon_deg"].transpose("cell", ...)
        horizon = np.asarray(horizon_da.values, dtype=np.float64)
        if horizon.ndim != 2 or horizon.shape[1] < 1 or not np.all(np.isfinite(horizon)):
            raise CoverageError("grid 'horizon_deg' must be finite with dims (cell, azimuth)")
        _check_sectors(horizon_da)
    height_km = (elevation_m + antenna_height_m) / 1000.0
    tree = build_cell_tree(lat, lon, height_km, horizon, leaf_size)
    cells = np.asarray(grid["cell"].values) if "cell" in grid.coords else np.arange(lat.size)
    return Ground(cells, lat, lon, height_km, tree, terrain, float(antenna_height_m))


def _check_sectors(horizon: xr.DataArray) -> None:
    """The sector convention: K equal sectors, sector k = [k, k+1) * 360/K from north."""
    dim = horizon.dims[1]
    if dim not in horizon.coords:
        return
    k = horizon.sizes[dim]
    width = 360.0 / k
    centres = np.asarray(horizon[dim].values, dtype=np.float64)
    expected = (np.arange(k) + 0.5) * width
    if not np.allclose(centres, expected, atol=1e-6) and not np.allclose(
            centres, np.arange(k) * width, atol=1e-6):
        raise CoverageError(f"grid 'horizon_deg' azimuths must be {k} equal sectors from north "
                            f"(centres {expected[:3]}... deg); found {centres[:3]}...")


@dataclass(frozen=True, eq=False)
class _Static:
    """Everything a task needs besides its steps; pickles to worker processes."""

    tree: CellTree
    table: SatelliteTable
    sys_table: np.ndarray
    terrain: bool
    series_pos: np.ndarray
    coarse_every: int
    steps_per_chunk: int
    prune: bool
    last_step: int


@dataclass(frozen=True)
class RunStats:
    """What the engine did (for the run summary and the benchmark)."""

    n_steps: int
    n_cells: int
    n_satellites: int
    satellite_epochs_propagated: int
    failures: dict = field(default_factory=dict)


def system_table(systems: Sequence[SystemModel]) -> np.ndarray:
    """The kernel's per-system parameter rows (``S_*`` columns)."""
    table = np.zeros((len(systems), N_SYS_COLUMNS))
    for row, system in zip(table, systems, strict=True):
        el = np.radians(system.min_elevation_deg)
        band = np.radians(system.gso_exclusion_deg)
        row[S_SIN_MIN], row[S_COS_MIN], row[S_MIN_EL] = np.sin(el), np.cos(el), el
        row[S_BAND], row[S_SIN_BAND], row[S_COS_BAND] = band, np.sin(band), np.cos(band)
        row[S_BAND_ON] = 1.0 if system.gso_exclusion_deg > 0 else 0.0
        row[S_N_REQ] = system.n_required
        row[S_LICENSED] = 1.0 if system.licensed else 0.0
    return table


def step_times(window: TimeGrid, timescale=None) -> StepTimes:
    """Julian dates and GMST of every step of the window (computed once, sliced per task)."""
    whole, fraction = window.julian_dates_utc()
    gmst = gmst_angles_rad(window, slice(None), timescale or builtin_timescale())
    return StepTimes(0, whole, fraction, gmst, float(window.step_s))


def _slice_times(times: StepTimes, lo: int, hi: int) -> StepTimes:
    return StepTimes(lo, times.jd_whole[lo:hi], times.jd_fraction[lo:hi],
                     times.gmst_rad[lo:hi], times.step_s)


def _span_times(static: _Static, times: StepTimes, lo: int, hi: int) -> StepTimes:
    """The times a span needs: its steps plus one coarse interval beyond (if any)."""
    return _slice_times(times, lo, min(hi + static.coarse_every, static.last_step + 1))


def run_span(static: _Static, times: StepTimes, lo: int, hi: int,
             progress: ProgressCallback | None = None, satrecs: list | None = None
             ) -> Accumulator:
    """Accumulate the steps ``lo .. hi - 1`` of the window (one task). Runs in any process.

    ``times`` covers at least ``lo`` to ``min(hi - 1 + coarse_every, last_step)``.
    ``satrecs`` (Satrec objects of ``static.table``) may be passed when calling in the
    process that built them; tasks shipped elsewhere rebuild them from the element sets.
    """
    tree = static.tree
    n_sys = static.sys_table.shape[0]
    acc = Accumulator.empty(lo, hi - lo, n_sys, tree.n_cells, len(static.series_pos))
    if satrecs is None:
        satrecs = [e.to_satrec() for e in static.table.element_sets]
    failures = np.zeros(n_sys, dtype=np.int64)
    propagated = 0
    safe_until = None
    work = work_buffers(min(static.steps_per_chunk, hi - lo), tree.n_cells)
    for a in range(lo, hi, static.steps_per_chunk):
        b = min(a + static.steps_per_chunk, hi)
        found, safe_until = candidates(satrecs, static.table, times, a, b, n_sys,
                                       static.coarse_every, static.last_step, safe_until,
                                       static.prune)
        failures += found.failures
        propagated += found.propagated
        run_steps(found.step_sys_ptr, found.positions_km, static.sys_table, static.terrain,
                  static.prune, tree.cell_data, tree.sin_horizon, tree.node_data,
                  tree.node_links, tree.depth, acc.fields, static.series_pos,
                  acc.series_n[a - lo:b - lo], acc.series_open[a - lo:b - lo],
                  acc.series_best_deg[a - lo:b - lo], work)
        if progress is not None:
            progress(b - a)
    return Accumulator(acc.first_step, acc.n_steps, acc.fields, failures, propagated,
                       acc.series_n, acc.series_open, acc.series_best_deg)


def _spans(n_steps: int, n_tasks: int, steps_per_chunk: int) -> list[tuple[int, int]]:
    """Contiguous spans of whole chunks, as even as possible."""
    n_chunks = -(-n_steps // steps_per_chunk)
    n_tasks = max(1, min(n_tasks, n_chunks))
    edges = np.linspace(0, n_chunks, n_tasks + 1).round().astype(int) * steps_per_chunk
    edges[-1] = n_steps
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def accumulate(ground: Ground, systems: Sequence[SystemModel], window: TimeGrid, *,
               options: EngineOptions | None = None, workers: int = 1,
               executor: Executor | None = None, progress: ProgressCallback | None = None,
               series_cells: Sequence[int] = (), timescale=None
               ) -> tuple[Accumulator, RunStats]:
    """Run the engine; returns the merged accumulator (cells in the grid's order).

    Parameters
    ----------
    ground : Ground
        From :func:`ground_from_grid`.
    systems : sequence of SystemModel
    window : TimeGrid
    options : EngineOptions
    workers : int
        Processes working: 1 is this one alone; N uses N - 1 worker processes and this one.
    executor : concurrent.futures.Executor, optional
        Any object with ``submit(fn, *args) -> future``; overrides ``workers`` (its
        ``workers`` decide the split: ``options.tasks_per_worker * max(workers, 2)`` spans).
    progress : callable, optional
        Called with a number of steps as they complete (for a progress bar).
    series_cells : sequence of int
        Indices (in the grid's order) of cells whose per-step values are kept.
    """
    options = options if options is not None else EngineOptions()
    if not systems:
        raise CoverageError("no satellite systems to compute coverage for")
    names = [s.name for s in systems]
    if len(set(names)) != len(names):
        raise CoverageError(f"system names must be unique; found {names}")
    if int(workers) != workers or workers < 1:
        raise CoverageError(f"workers = {workers!r}: expected a whole number >= 1")
    tree = ground.tree
    inverse = np.empty_like(tree.order)
    inverse[tree.order] = np.arange(tree.n_cells)
    series = np.asarray(series_cells, dtype=np.int64).reshape(-1)
    if series.size and (series.min() < 0 or series.max() >= tree.n_cells):
        raise CoverageError(f"series cell indices must be in 0..{tree.n_cells - 1}")
    table = satellite_table([s.constellation for s in systems],
                            [s.min_elevation_deg for s in systems], tree.cell_data[:, :3])
    coarse_every = max(1, int(round(options.coarse_step_s / window.step_s)))
    static = _Static(tree, table, system_table(systems), ground.terrain, inverse[series],
                     coarse_every, int(options.steps_per_chunk), bool(options.prune),
                     window.n_steps - 1)
    times = step_times(window, timescale)
    n_steps = window.n_steps

    if executor is None and workers == 1:
        acc = run_span(static, times, 0, n_steps, progress)
    else:
        n_tasks = options.tasks_per_worker * max(workers, 2)
        spans = _spans(n_steps, n_tasks, static.steps_per_chunk)
        if executor is not None:
            acc = _run_tasks(executor, static, times, spans, progress)
        else:
            context = get_context("forkserver")
            with ProcessPoolExecutor(workers - 1, mp_context=context) as pool:
                acc = _run_tasks(pool, static, times, spans, progress, help_here=True)
    fields = acc.fields[:, inverse, :]
    acc = Accumulator(acc.first_step, acc.n_steps, fields, acc.failures, acc.propagated,
                      acc.series_n, acc.series_open, acc.series_best_deg)
    failures = {name: int(n) for name, n in zip(names, acc.failures, strict=True)}
    if any(failures.values()):
        detail = ", ".join(f"{name}: {n}" for name, n in failures.items() if n)
        warnings.warn(f"SGP4 could not propagate some (satellite, step) pairs ({detail}); "
                      "they are left out of the visible sets and counted in the Dataset's "
                      "'propagation_failures' (decayed or bad element sets)",
                      PropagationFailureWarning, stacklevel=2)
    stats = RunStats(n_steps, tree.n_cells, table.n_satellites, acc.propagated, failures)
    return acc, stats


def _run_tasks(executor, static: _Static, times: StepTimes, spans, progress,
               help_here: bool = False) -> Accumulator:
    """Run the spans on ``executor`` and merge them in time order.

    With ``help_here`` the calling process works too: the spans go to the executor last
    first, and this process takes them from the front, running itself every span the
    executor has not started yet (``Future.cancel`` succeeds), so neither side idles while
    the other starts up or finishes.
    """
    order = range(len(spans) - 1, -1, -1) if help_here else range(len(spans))
    futures = {k: executor.submit(run_span, static, _span_times(static, times, *spans[k]),
                                  *spans[k])
               for k in order}
    satrecs = None
    merged = None
    for k, (lo, hi) in enumerate(spans):
        future = futures[k]
        if help_here and future.cancel():
            if satrecs is None:
                satrecs = [e.to_satrec() for e in static.table.element_sets]
            part = run_span(static, times, lo, hi, progress, satrecs)
        else:
            part = future.result()
            if progress is not None:
                progress(hi - lo)
        merged = part if merged is None else merged.merge(part)
    return merged
