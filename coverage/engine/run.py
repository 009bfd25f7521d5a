"""The coverage engine: satellites x cells x steps into per-cell figures of merit.

Pipeline per chunk of steps (DESIGN.md, "Speed by design"):
``reach.candidates`` (coarse SGP4 for all satellites, fine SGP4 only where a satellite
can be in reach) -> ``kernel.run_steps`` (bounding-sphere tree over the cells, exact
per-cell tests only where the bounds do not decide) -> integer accumulators, merged in
time order (:class:`~hybridplan.coverage.engine.accumulator.Accumulator`). Nothing of size
cells x satellites x steps is ever built; memory depends on the chunk length only.

Work is split into contiguous spans of steps, merged in time order. Serially they run
in this process; with ``workers > 1`` on that many threads of this process (the kernel
and the near-earth propagation, :mod:`hybridplan.tle.sgp4_compiled`, release the GIL), or with
``EngineOptions(processes=True)`` in local worker processes
(:mod:`~hybridplan.coverage.engine.executors`); with ``executor=`` on anything with a
``concurrent.futures``-style ``submit``, and on a ``dask.distributed.Client`` with the
static inputs sent once per worker (or a recipe the workers build them from,
:mod:`~hybridplan.coverage.engine.recipe`), deterministic task keys and retries. Tasks carry
element sets, never Satrec objects; the results are identical in every mode. With
``checkpoint_dir`` every finished span is stored, and a rerun computes only the rest.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace

import numpy as np
from hybridplan.tle import TimeGrid, builtin_timescale
from hybridplan.tle.propagate import gmst_angles_rad

from ..errors import CoverageError, PropagationFailureWarning
from .accumulator import Accumulator, fixed_point_weights
from .celltree import CellTree, build_cell_tree
from .checkpoints import SpanCheckpoints, run_token
from .executors import is_dask_client, local_pool, refuse_nested
from .gateway import gateway_tables, mask_by_gateways, no_gateways
from .kernel import (
    LAYOUT,
    N_BASE_FIELDS,
    N_FIELDS,
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
from .schedule import schedule, stored_spans


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
    token: str = ""
    """SHA-256 of everything that decides the result (checkpoints, task keys, caches)."""


@dataclass(frozen=True)
class RunStats:
    """What the engine did (for the run summary and the benchmark).

    ``spans_run``: spans of steps computed by this call (spans found in the checkpoint
    folder are not counted); ``spans_total``: spans of the window."""

    n_steps: int
    n_cells: int
    n_satellites: int
    satellite_epochs_propagated: int
    failures: dict = field(default_factory=dict)
    spans_run: int = 1
    spans_total: int = 1


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
    return StepTimes(
        lo, times.jd_whole[lo:hi], times.jd_fraction[lo:hi], times.gmst_rad[lo:hi], times.step_s
    )


def _span_times(static: _Static, times: StepTimes, lo: int, hi: int) -> StepTimes:
    """The times a span needs: its steps plus one coarse interval beyond (if any)."""
    return _slice_times(times, lo, min(hi + static.coarse_every, static.last_step + 1))


def run_span(
    static: _Static,
    times: StepTimes,
    lo: int,
    hi: int,
    progress: ProgressCallback | None = None,
    satrecs: list | None = None,
    work: tuple | None = None,
) -> Accumulator:
    """Accumulate the steps ``lo .. hi - 1`` of the window (one task). Runs in any process.

    ``times`` covers at least ``lo`` to ``min(hi - 1 + coarse_every, last_step)``.
    ``satrecs`` (Satrec objects of ``static.table``) may be passed when calling in the
    process that built them; tasks shipped elsewhere rebuild them from the element sets.
    ``work`` (from :func:`span_work_buffers`) is reused when given: fresh scratch arrays of
    tens of MB cost page faults at every span.
    """
    tree = static.tree
    n_sys = static.sys_table.shape[0]
    weights = (
        static.weights if static.weights is not None else np.zeros((0, tree.n_cells), np.int64)
    )
    acc = Accumulator.empty(
        lo, hi - lo, n_sys, tree.n_cells, len(static.series_pos), weights.shape[0], static.stk
    )
    if satrecs is None:
        satrecs = _satrecs(static)
    failures = np.zeros(n_sys, dtype=np.int64)
    propagated = 0
    safe_until = None
    chunk = chunk_steps(static.steps_per_chunk, tree.n_cells)
    if work is None:
        work = span_work_buffers(static)
    for a in range(lo, hi, chunk):
        b = min(a + chunk, hi)
        found, safe_until = candidates(
            satrecs,
            static.table,
            times,
            a,
            b,
            n_sys,
            static.coarse_every,
            static.last_step,
            safe_until,
            static.prune,
        )
        failures += found.failures
        propagated += found.propagated
        ptr, positions = found.step_sys_ptr, found.positions_km
        if static.gateways is not None:
            ptr, positions, gateway_km = mask_by_gateways(ptr, positions, static.gateways)
        else:
            gateway_km = no_gateways(positions)
        run_steps(
            ptr,
            positions,
            gateway_km,
            static.sys_table,
            static.terrain,
            static.prune,
            tree.cell_data,
            tree.sin_horizon,
            tree.node_data,
            tree.node_links,
            tree.depth,
            acc.fields,
            static.series_pos,
            acc.series_n[a - lo : b - lo],
            acc.series_open[a - lo : b - lo],
            acc.series_best_deg[a - lo : b - lo],
            work,
            weights,
            acc.step_sums[a - lo : b - lo],
        )
        if progress is not None:
            progress(b - a)
    return Accumulator(
        acc.first_step,
        acc.n_steps,
        acc.fields,
        failures,
        propagated,
        acc.series_n,
        acc.series_open,
        acc.series_best_deg,
        acc.step_sums,
    )


WORK_BUDGET_BYTES = 128 * 2**20
"""Bound on the kernel's per-chunk scratch arrays (60 bytes per cell and step)."""
_WORK_BYTES_PER_CELL_STEP = 60


def span_work_buffers(static: _Static) -> tuple:
    """The kernel's scratch arrays for any span of the run (one chunk of steps)."""
    n_cells = static.tree.n_cells
    return work_buffers(chunk_steps(static.steps_per_chunk, n_cells), n_cells)


def chunk_steps(steps_per_chunk: int, n_cells: int) -> int:
    """Steps evaluated together: ``steps_per_chunk``, fewer for national grids so the
    scratch arrays stay under :data:`WORK_BUDGET_BYTES` (results do not depend on it)."""
    fit = WORK_BUDGET_BYTES // (_WORK_BYTES_PER_CELL_STEP * max(n_cells, 1))
    return int(max(1, min(steps_per_chunk, fit)))


_SATRECS: dict = {}
"""Satrec objects of the last run seen by this process (by token): a worker running
several spans of one run builds them once (Satrec objects never travel between
processes; element sets do)."""


def _satrecs(static: _Static) -> list:
    cached = _SATRECS.get(static.token) if static.token else None
    if cached is None:
        cached = static.table.satrecs
        _SATRECS.clear()
        if static.token:
            _SATRECS[static.token] = cached
    return cached


def warm_kernel() -> int:
    """Load the compiled kernel (numba's cache) in this process with a two-cell, zero-
    satellite step; returns the process id (for ``Client.run``)."""
    tree = build_cell_tree(np.array([35.0, 35.1]), np.array([74.0, 74.1]), np.zeros(2), None, 8)
    acc = Accumulator.empty(0, 1, 1, tree.n_cells, 0, 0, True)
    sys_table = np.zeros((1, N_SYS_COLUMNS))
    sys_table[0, S_N_REQ] = 1.0
    run_steps(
        np.zeros((1, 2), np.int64),
        np.zeros((0, 3)),
        np.zeros(0),
        sys_table,
        False,
        True,
        tree.cell_data,
        tree.sin_horizon,
        tree.node_data,
        tree.node_links,
        tree.depth,
        acc.fields,
        np.zeros(0, np.int64),
        acc.series_n,
        acc.series_open,
        acc.series_best_deg,
        work_buffers(1, tree.n_cells),
        np.zeros((0, tree.n_cells), np.int64),
        acc.step_sums,
    )
    return os.getpid()


def _spans(n_steps: int, n_tasks: int, steps_per_chunk: int) -> list[tuple[int, int]]:
    """Contiguous spans of whole chunks, as even as possible."""
    n_chunks = -(-n_steps // steps_per_chunk)
    n_tasks = max(1, min(n_tasks, n_chunks))
    edges = np.linspace(0, n_chunks, n_tasks + 1).round().astype(int) * steps_per_chunk
    edges[-1] = n_steps
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def static_inputs(
    ground: Ground,
    systems: Sequence[SystemModel],
    window: TimeGrid,
    options: EngineOptions,
    series_cells: Sequence[int] = (),
    weights: np.ndarray | None = None,
    stk: bool = True,
) -> _Static:
    """Everything the spans of a run share (:class:`_Static`), with its run token.

    The one place the static inputs are made: :func:`accumulate` here, and a dask worker
    rebuilding them from a :class:`~hybridplan.coverage.engine.recipe.StaticRecipe`
    (which must give the same token)."""
    tree = ground.tree
    series = np.asarray(series_cells, dtype=np.int64).reshape(-1)
    if series.size and (series.min() < 0 or series.max() >= tree.n_cells):
        raise CoverageError(f"series cell indices must be in 0..{tree.n_cells - 1}")
    table = satellite_table(
        [s.constellation for s in systems],
        [s.min_elevation_deg for s in systems],
        tree.cell_data[:, :3],
    )
    coarse_every = max(1, int(round(options.coarse_step_s / window.step_s)))
    static = _Static(
        tree,
        table,
        system_table(systems),
        ground.terrain,
        tree.positions()[series],
        coarse_every,
        int(options.steps_per_chunk),
        bool(options.prune),
        window.n_steps - 1,
        None
        if weights is None
        else np.ascontiguousarray(fixed_point_weights(weights)[:, tree.order]),
        gateway_tables(systems),
        bool(stk),
    )
    return replace(static, token=_static_token(static, window, options))


def accumulate(
    ground: Ground,
    systems: Sequence[SystemModel],
    window: TimeGrid,
    *,
    options: EngineOptions | None = None,
    workers: int = 1,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    series_cells: Sequence[int] = (),
    timescale=None,
    weights: np.ndarray | None = None,
    stk: bool = True,
    checkpoint_dir: str | os.PathLike | None = None,
    recipe=None,
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
        Cores working: 1 is this thread alone; N runs N threads of this process (or, with
        ``options.processes``, N - 1 worker processes and this one).
    executor : concurrent.futures.Executor or distributed.Client, optional
        Any object with ``submit(fn, *args) -> future``; overrides ``workers`` (its
        ``workers`` decide the split: ``options.tasks_per_worker * max(workers, 2)`` spans).
        A ``distributed.Client`` gets the static inputs once per worker, deterministic
        task keys and ``options.retries`` retries; the split follows its thread count.
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
    checkpoint_dir : path, optional
        Folder of per-span checkpoints (:mod:`~hybridplan.coverage.engine.checkpoints`):
        finished spans are stored there and a rerun of the same run computes only the
        missing ones (``RunStats.spans_run``). The spans are then
        ``options.tasks_per_worker * 4`` whatever the executor.
    recipe : StaticRecipe, optional
        With a ``distributed.Client``: what the workers rebuild the static inputs from
        (:mod:`~hybridplan.coverage.engine.recipe`; its ``token`` is filled in here and
        checked by every worker) instead of receiving them (``scatter``). Ignored by the
        other executors.

    Raises
    ------
    CoverageError
        Bad arguments; a pool asked for inside a worker process; a broken pool (a worker
        killed, out of memory or unable to start), with the fix.
    """
    options = options if options is not None else EngineOptions()
    if not systems:
        raise CoverageError("no satellite systems to compute coverage for")
    names = [s.name for s in systems]
    if len(set(names)) != len(names):
        raise CoverageError(f"system names must be unique; found {names}")
    if int(workers) != workers or workers < 1:
        raise CoverageError(f"workers = {workers!r}: expected a whole number >= 1")
    if executor is None:
        refuse_nested(workers)
    static = static_inputs(ground, systems, window, options, series_cells, weights, stk)
    tree, table = static.tree, static.table
    times = step_times(window, timescale)
    n_steps = window.n_steps
    checkpoints = (
        SpanCheckpoints(checkpoint_dir, static.token) if checkpoint_dir is not None else None
    )

    if executor is None and workers == 1 and checkpoints is None:
        acc = run_span(static, times, 0, n_steps, progress)
        spans_run, spans_total = 1, 1
    else:
        # with checkpoints the spans do not depend on the executor, so a run resumes
        # on any of them
        n_parallel = (
            4
            if checkpoints is not None
            else (_cluster_threads(executor) if is_dask_client(executor) else max(workers, 2))
        )
        spans = _spans(n_steps, options.tasks_per_worker * n_parallel, static.steps_per_chunk)
        few_spans = False
        if checkpoints is None and executor is None and not options.processes:
            few_spans = workers > 1 and not threads_fit(static, workers)
            # two spans per thread: balance if a thread falls behind, and few fresh
            # accumulators (each costs page faults); progress is per chunk anyway
            n_spans = workers if few_spans else 2 * workers
            spans = _spans(n_steps, n_spans, static.steps_per_chunk)
        spans_total = len(spans)
        if executor is not None and is_dask_client(executor):
            payload = static if recipe is None else replace(recipe, token=static.token)
            acc, spans_run = _run_dask(
                executor, payload, static, times, spans, progress, checkpoints, options.retries
            )
        elif executor is not None:
            acc, spans_run = _run_tasks(
                executor, static, times, spans, progress, checkpoints=checkpoints
            )
        elif workers == 1:
            acc, spans_run = _run_tasks(
                None, static, times, spans, progress, help_here=True, checkpoints=checkpoints
            )
        elif options.processes:
            with local_pool(workers - 1) as pool:
                acc, spans_run = _run_tasks(
                    pool,
                    static,
                    times,
                    spans,
                    progress,
                    help_here=True,
                    checkpoints=checkpoints,
                    capacity=workers,
                )
        else:
            acc, spans_run = _run_threads(
                workers, static, times, spans, progress, checkpoints, few_spans
            )
    fields = acc.fields[:, tree.positions(), :]
    acc = Accumulator(
        acc.first_step,
        acc.n_steps,
        fields,
        acc.failures,
        acc.propagated,
        acc.series_n,
        acc.series_open,
        acc.series_best_deg,
        acc.step_sums,
    )
    failures = {name: int(n) for name, n in zip(names, acc.failures, strict=True)}
    if any(failures.values()):
        detail = ", ".join(f"{name}: {n}" for name, n in failures.items() if n)
        warnings.warn(
            f"SGP4 could not propagate some (satellite, step) pairs ({detail}); "
            "they are left out of the visible sets and counted in the Dataset's "
            "'propagation_failures' (decayed or bad element sets)",
            PropagationFailureWarning,
            stacklevel=2,
        )
    stats = RunStats(
        n_steps, tree.n_cells, table.n_satellites, acc.propagated, failures, spans_run, spans_total
    )
    return acc, stats


def _static_token(static: _Static, window: TimeGrid, options: EngineOptions) -> str:
    tree = static.tree
    lines = [
        e.tle_lines if e.tle_lines is not None else repr(e.init) for e in static.table.element_sets
    ]
    return run_token(
        tree.cell_data,
        tree.sin_horizon,
        tree.order,
        static.sys_table,
        static.terrain,
        static.series_pos,
        static.coarse_every,
        static.steps_per_chunk,
        static.prune,
        str(window.start_utc),
        window.step_s,
        window.n_steps,
        options.leaf_size,
        lines,
        static.table.system_index,
        static.stk,
        np.zeros(0) if static.weights is None else static.weights,
        LAYOUT,
        *_gateway_token_parts(static.gateways),
    )


def _gateway_token_parts(tables: tuple | None) -> list:
    """The gateway tables as token parts: exact array bytes (a ``repr`` rounds them)."""
    parts: list = [f"gateways of {0 if tables is None else len(tables)} systems"]
    for table in tables or ():
        parts.extend(("none",) if table is None else table.token_parts())
    return parts


def _cluster_threads(client) -> int:
    try:
        workers = client.scheduler_info()["workers"].values()
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers))
    except Exception:  # an unusual client still runs, with twice its spans
        return 2


def _merge_in_order(merged: Accumulator | None, part: Accumulator) -> Accumulator:
    return part if merged is None else merged.merge(part, reuse=True)


def _run_tasks(
    executor,
    static: _Static,
    times: StepTimes,
    spans,
    progress,
    help_here: bool = False,
    checkpoints: SpanCheckpoints | None = None,
    capacity: int | None = None,
) -> tuple[Accumulator, int]:
    """Run the spans on ``executor`` (``None``: here, one after the other) and merge them
    in time order (see :func:`~hybridplan.coverage.engine.schedule.schedule`); ``help_here``: this process works too."""

    def run_here(lo: int, hi: int) -> Accumulator:
        return run_span(static, times, lo, hi)

    def submit(lo: int, hi: int):
        if executor is not None:
            return executor.submit(run_span, static, _span_times(static, times, lo, hi), lo, hi)
        from concurrent.futures import Future

        future: Future = Future()  # serial: computed on submission
        future.set_result(run_here(lo, hi))
        return future

    stored = stored_spans(spans, checkpoints)
    if executor is None:
        capacity = 1
    return schedule(
        spans,
        stored,
        submit,
        capacity or len(spans),
        run_here if help_here and executor is not None else None,
        progress,
        checkpoints,
    )


ACCUMULATOR_BUDGET_BYTES = 2**30
"""Bound on the accumulators held at once by the thread path: beyond it (national grids)
each thread runs one contiguous span (see :func:`threads_fit`)."""


def accumulator_nbytes(static: _Static) -> int:
    """Bytes of one span's accumulator fields (int64 per system row, cell and field)."""
    n_fields = N_FIELDS if static.stk else N_BASE_FIELDS
    return 8 * (static.sys_table.shape[0] + 1) * static.tree.n_cells * n_fields


def threads_fit(static: _Static, n_threads: int) -> bool:
    """Whether ``n_threads`` threads may keep ``2 * n_threads + 1`` spans in flight: those
    accumulators, the merged one and the merge's output within
    :data:`ACCUMULATOR_BUDGET_BYTES`. Checked before any is allocated; when they do not
    fit, each thread runs one contiguous span (``n_threads + 1`` accumulators at most, the
    same results: merges are exact)."""
    return (2 * n_threads + 3) * accumulator_nbytes(static) <= ACCUMULATOR_BUDGET_BYTES


class _Stopped(Exception):
    """Raised inside a span's thread when the run is abandoned (interrupt or error)."""


def _run_threads(
    n_threads: int,
    static: _Static,
    times: StepTimes,
    spans,
    progress,
    checkpoints: SpanCheckpoints | None,
    one_span_per_thread: bool = False,
) -> tuple[Accumulator, int]:
    """The spans on ``n_threads`` threads of this process, merged in time order.

    The kernel, the accumulator folds and the near-earth SGP4 (compiled,
    :mod:`hybridplan.tle.sgp4_compiled`) release the GIL (``nogil``), so threads run them
    on separate cores; the deep-space satellites (GEO, MEO: a few) and the candidate
    search's bookkeeping hold it. No process starts, nothing is pickled: every thread
    reads the same cell tree and the same propagator (built once per satellite table).
    On an interrupt or an error the
    other threads stop at their next chunk (a fraction of a second). Without checkpoints
    progress is reported per chunk as the threads go. With ``one_span_per_thread``
    (``spans`` has one span per thread, no checkpoints) all spans run at once.
    """
    import threading
    from concurrent.futures import ThreadPoolExecutor

    stop = threading.Event()
    lock = threading.Lock()
    satrecs = _satrecs(static)
    local = threading.local()
    live = progress if checkpoints is None else None  # else stored spans count too

    def tick(n: int) -> None:
        if stop.is_set():
            raise _Stopped
        if live is not None:
            with lock:
                live(n)

    def one_span(lo: int, hi: int) -> Accumulator:
        if getattr(local, "work", None) is None:
            local.work = span_work_buffers(static)
        return run_span(static, times, lo, hi, tick, satrecs, local.work)

    pool = ThreadPoolExecutor(n_threads, thread_name_prefix="hybridplan-span")
    try:
        return schedule(
            spans,
            stored_spans(spans, checkpoints),
            lambda lo, hi: pool.submit(one_span, lo, hi),
            len(spans) if one_span_per_thread else 2 * n_threads + 1,
            None,
            None if live is not None else progress,
            checkpoints,
        )
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


def _dask_span(payload, times: StepTimes, lo: int, hi: int) -> Accumulator:
    """A span on a dask worker: ``payload`` is the static inputs, or a recipe the worker
    builds them from once per run (:meth:`StaticRecipe.static`, cached by token); the
    worker's Satrec objects are reused across spans of a run."""
    static = payload if isinstance(payload, _Static) else payload.static()
    return run_span(static, times, lo, hi)


def _run_dask(
    client,
    payload,
    static: _Static,
    times: StepTimes,
    spans,
    progress,
    checkpoints: SpanCheckpoints | None,
    retries: int,
) -> tuple[Accumulator, int]:
    """The spans as tasks of a ``distributed.Client``.

    ``payload`` (the static inputs, or a :class:`~.recipe.StaticRecipe` of a few hundred
    kB that each worker builds them from) goes to every worker once
    (``scatter(broadcast=True)``); each task carries its span's times only. Task keys
    are ``hybridplan-span-<run>-<lo>-<hi>`` (deterministic: resubmitting a run finds its
    results), tasks are retried ``retries`` times (a worker lost mid-task is rescheduled
    by the scheduler), and results merge in time order as they arrive in order.
    """
    stored = {
        k: checkpoints.load(*span) if checkpoints is not None else None
        for k, span in enumerate(spans)
    }
    todo = [k for k in range(len(spans)) if stored[k] is None]
    futures = {}
    if todo:
        client.run(warm_kernel)
        payload_future = client.scatter(payload, broadcast=True, hash=False)
        for k in todo:
            lo, hi = spans[k]
            futures[k] = client.submit(
                _dask_span,
                payload_future,
                _span_times(static, times, lo, hi),
                lo,
                hi,
                key=f"hybridplan-span-{static.token[:16]}-{lo}-{hi}",
                retries=retries,
                pure=False,
            )
    merged = None
    try:
        for k, (lo, hi) in enumerate(spans):
            part = stored[k]
            if part is None:
                part = futures[k].result()
                del futures[k]
                if checkpoints is not None:
                    checkpoints.save(lo, hi, part)
            if progress is not None:
                progress(hi - lo)
            merged = _merge_in_order(merged, part)
    finally:  # also a span that failed: a rerun under its key must compute it again
        for future in futures.values():
            future.cancel()
    return merged, len(todo)
