"""The coverage engine: satellites x cells x steps into per-cell figures of merit.

Pipeline per chunk of steps (DESIGN.md, "Speed by design"):
``reach.candidates`` (coarse SGP4 for all satellites, fine SGP4 only where a satellite
can be in reach) -> ``kernel.run_steps`` (bounding-sphere tree over the cells, exact
per-cell tests only where the bounds do not decide) -> integer accumulators, merged in
time order (:class:`~hybridplan.coverage.engine.accumulator.Accumulator`). Nothing of size
cells x satellites x steps is ever built; memory depends on the chunk length only.

Work is split into contiguous spans of steps. Serially they run in this process; with
``workers > 1`` in local processes; with ``executor=`` on anything with a
``concurrent.futures``-style ``submit`` (a ``dask.distributed.Client`` qualifies). Tasks
carry element sets, never Satrec objects; the results are identical in every mode.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

import numpy as np
from hybridplan.tle import TimeGrid, builtin_timescale
from hybridplan.tle.propagate import gmst_angles_rad

from ..errors import CoverageError, PropagationFailureWarning
from .accumulator import Accumulator, fixed_point_weights
from .celltree import CellTree
from .gateway import gateway_tables, mask_by_gateways
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
from .model import EngineOptions, Ground, ProgressCallback, SystemModel
from .reach import SatelliteTable, StepTimes, candidates, satellite_table


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
    weights: np.ndarray | None = None  # (n_weights, n_cells) in tree order: step sums
    gateways: tuple | None = None  # per system: GatewayTable or None (bent-pipe rule)
    stk: bool = True  # keep the STK fields (revisit/response percentiles, accesses)


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
    weights = (static.weights if static.weights is not None
               else np.zeros((0, tree.n_cells), np.int64))
    acc = Accumulator.empty(lo, hi - lo, n_sys, tree.n_cells, len(static.series_pos),
                            weights.shape[0], static.stk)
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
        ptr, positions = found.step_sys_ptr, found.positions_km
        if static.gateways is not None:
            ptr, positions = mask_by_gateways(ptr, positions, static.gateways)
        run_steps(ptr, positions, static.sys_table, static.terrain,
                  static.prune, tree.cell_data, tree.sin_horizon, tree.node_data,
                  tree.node_links, tree.depth, acc.fields, static.series_pos,
                  acc.series_n[a - lo:b - lo], acc.series_open[a - lo:b - lo],
                  acc.series_best_deg[a - lo:b - lo], work, weights,
                  acc.step_sums[a - lo:b - lo])
        if progress is not None:
            progress(b - a)
    return Accumulator(acc.first_step, acc.n_steps, acc.fields, failures, propagated,
                       acc.series_n, acc.series_open, acc.series_best_deg, acc.step_sums)


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
               series_cells: Sequence[int] = (), timescale=None,
               weights: np.ndarray | None = None, stk: bool = True
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
    weights : numpy.ndarray, optional
        ``(n_weights, n_cells)`` cell weights in the grid's order (e.g. area, population):
        the accumulator's ``step_sums`` hold their sums over covered cells per step, in
        the fixed point of :func:`~.accumulator.fixed_point_weights`.
    stk : bool
        Keep the STK fields (revisit/response percentiles, time-average gap, accesses);
        ``False`` cuts the accumulator from 53 to 14 int64 per (row, cell) for very
        large grids.
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
                     window.n_steps - 1,
                     None if weights is None else
                     np.ascontiguousarray(fixed_point_weights(weights)[:, tree.order]),
                     gateway_tables(systems), bool(stk))
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
                      acc.series_n, acc.series_open, acc.series_best_deg, acc.step_sums)
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
