"""Constellation sweeps: one engine run per point, a Dataset with the swept parameters as
dimensions (research/ecosystem.md section 3).

::

    from hybridplan.coverage.pipeline.sweep import sweep
    from hybridplan.coverage.pipeline.sweep_spec import load_sweep
    ds = sweep(load_sweep("SWEEP.toml"), out_dir="results/", workers=2)
    ds["area_pct_meeting"].sel(system="walker")          # dims: the swept parameters

Each point changes the base scenario's swept system (its Walker shell, minimum elevation,
GSO band, N) or switches systems on and off, and runs the engine over the same grid
(built once). Points are tasks on ``executor=`` (anything with ``submit``: a process pool,
a ``dask.distributed.Client``) or on ``workers`` local processes; each point runs the
engine serially, so a sweep parallelises over points. With ``out_dir``, every finished
point is written atomically to ``OUT/.checkpoints/<fingerprint>/<point>.npz``; a rerun
loads them and runs only the rest, so an interrupted sweep resumes with the same result.

Region-level figures per (point, system): ``area_pct_meeting`` and
``population_pct_meeting`` (share of the region's area / people in cells whose
``pct_time_covered`` >= ``threshold_pct``), ``area_pct_n_or_more_meeting`` (the same
with ``pct_time_n_or_more``), ``worst_max_gap_s`` (largest ``max_gap_s`` over cells),
``mean_visible`` and ``mean_pct_time_covered`` (area-weighted means), ``n_satellites``.
Small sweeps (or ``per_cell = true``) keep per-cell ``pct_time_covered``,
``pct_time_n_or_more``, ``n_visible_mean`` and ``max_gap_s``. Points not run (sparse
cases, invalid Walker phasing F >= P, every system off) are NaN; ``point_status`` says
which.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import xarray as xr
from hybridplan.reports.atomic import write_atomic
from hybridplan.tle import Constellation, WalkerShell

from ..engine import EngineOptions, SystemModel, compute_coverage
from ..engine.executors import is_dask_client
from ..engine.fom import COMBINED
from ..engine.recipe import GridRecipe, SystemRecipe, built_grid, grid_token
from ..planning.spec import PlanningSpec
from ..scenario import planning_spec
from .build import ScenarioGrid, assemble_plan
from .inputs import prepare_grid, prepare_ground, resolve, resolve_systems
from .sweep_result import (
    CELL_VARIABLES,
    REGION_VARIABLES,
    TECHNOLOGIES,
    assemble_sweep,
    decide_points,
    reduce_point,
    write_sweep,
)
from .sweep_spec import SYSTEM_PARAMETERS, WALKER_PARAMETERS, SweepSpec

PER_CELL_LIMIT = 2_000_000
"""``per_cell = "auto"`` keeps per-cell figures while points x systems x cells <= this."""


PointCallback = Callable[[int, dict, bool], None]
"""Called with (index of the point, its parameters, loaded from a checkpoint) as each
point finishes; raising from it stops the sweep (finished points stay checkpointed)."""


def point_systems(
    spec: SweepSpec, params: dict, base: list[SystemModel]
) -> list[SystemModel] | str:
    """The systems of one point, or the reason it cannot run (``"invalid_parameters"``,
    ``"no_system_on"``)."""
    params = {**spec.constants, **params}
    out = []
    for model in base:
        if not params.get(f"enabled_{model.name}", True):
            continue
        if model.name != spec.system:
            out.append(model)
            continue
        constellation = model.constellation
        walker_params = {k: params[k] for k in WALKER_PARAMETERS if k in params}
        if walker_params:
            system_spec = next(s for s in spec.scenario.systems if s.name == spec.system)
            w = system_spec.walker
            values = {
                k: getattr(w, k)
                for k in (
                    "altitude_km",
                    "inclination_deg",
                    "planes",
                    "sats_per_plane",
                    "phasing",
                    "pattern",
                    "raan_spread_deg",
                    "raan0_deg",
                )
            }
            values.update(walker_params)
            if not 0 <= values["phasing"] < values["planes"]:
                return "invalid_parameters"
            shell = WalkerShell(
                model.name,
                values["altitude_km"],
                values["inclination_deg"],
                values["planes"],
                values["sats_per_plane"],
                values["phasing"],
                values["pattern"],
                values["raan_spread_deg"],
                values["raan0_deg"],
                source="sweep",
            )
            constellation = Constellation.from_walker(shell, spec.scenario.window.start)
        changes = {k: params[k] for k in SYSTEM_PARAMETERS if k in params}
        out.append(dataclasses.replace(model, constellation=constellation, **changes))
    return out if out else "no_system_on"


def run_point(
    grid: xr.Dataset,
    systems: list[SystemModel],
    names: list[str],
    window,
    terrain: bool,
    antenna_height_m: float,
    options: EngineOptions,
    threshold_pct: float,
    per_cell: bool,
    planning: PlanningSpec | None = None,
    planning_points: list[dict] = (),
) -> dict[str, np.ndarray]:
    """One sweep point (a task; runs in any process): engine run reduced to arrays over
    ``names`` (every scenario system, then combined; NaN for systems switched off); with
    ``planning``, the plan re-decided for every planning point."""
    fom = compute_coverage(
        grid, systems, window, terrain=terrain, antenna_height_m=antenna_height_m, options=options
    )
    out = reduce_point(fom, grid, names, threshold_pct, per_cell)
    if planning is not None:
        out.update(decide_points(assemble_plan(grid, fom, planning), planning, planning_points))
    return out


def run_point_from_recipe(
    grid: GridRecipe, token: str, systems: tuple[SystemRecipe, ...], *task_args
) -> dict[str, np.ndarray]:
    """:func:`run_point` on a dask worker that rebuilds the grid from its recipe (once
    per worker, checked against the caller's :func:`~..engine.recipe.grid_token`) and the
    systems from their compressed element sets."""
    return run_point(built_grid(grid, token), [s.model() for s in systems], *task_args)


def _point_key(params: dict) -> str:
    text = json.dumps(
        {k: (v.item() if hasattr(v, "item") else v) for k, v in sorted(params.items())},
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _checkpoint_dir(out_dir: Path, spec: SweepSpec, per_cell: bool, grid: xr.Dataset) -> Path:
    cells = hashlib.sha256("".join(map(str, grid["cell"].values)).encode()).hexdigest()[:8]
    thr = f"{spec.threshold_pct:g}".replace(".", "p")
    return (
        Path(out_dir)
        / ".checkpoints"
        / f"{spec.fingerprint()}-{cells}-t{thr}-{'cells' if per_cell else 'region'}"
    )


def _save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)

    write_atomic(path, write)


def _load(path: Path) -> dict[str, np.ndarray] | None:
    try:
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError):  # a damaged checkpoint is recomputed
        return None


def sweep_grid(spec: SweepSpec) -> xr.Dataset:
    """The base scenario's grid with terrain, and population when ``spec.population``."""
    grid = prepare_grid(spec.scenario)
    if spec.population:
        from hybridplan.grids import distribute_population

        scenario = spec.scenario
        options = planning_spec(scenario).population
        source = None if options.source == "bundled" else scenario.resolve_path(options.source)
        grid = distribute_population(
            grid, source, rural_density_per_km2=options.rural_density_per_km2
        )
    return grid


def sweep(
    spec: SweepSpec,
    *,
    out_dir: str | Path | None = None,
    workers: int = 1,
    executor: Executor | None = None,
    grid: xr.Dataset | None = None,
    systems: list[SystemModel] | None = None,
    on_point: PointCallback | None = None,
) -> xr.Dataset:
    """Run every point of a sweep; returns the sweep Dataset (see the module docstring).

    Parameters
    ----------
    spec : SweepSpec
        From :func:`~hybridplan.coverage.pipeline.sweep_spec.load_sweep`.
    out_dir : path, optional
        Folder of the checkpoints (``.checkpoints/``); ``None``: no checkpoints.
    workers : int
        Local processes running points (1: in this process).
    executor : concurrent.futures.Executor, optional
        Runs the points instead (overrides ``workers``). On a ``dask.distributed.Client``
        with the grid built here, the workers rebuild it from the scenario
        (:class:`~.build.ScenarioGrid`, checked against this grid's token) and each point
        carries its systems' element sets compressed; a ``grid`` given by the caller is
        sent with every point instead.
    grid : xarray.Dataset, optional
        The base grid (default :func:`sweep_grid`); needs ``area_km2``.
    systems : list of SystemModel, optional
        The base scenario's systems, resolved (default: resolved here).
    on_point : callable, optional
        See :data:`PointCallback`.
    """
    scenario = spec.scenario
    planning = planning_spec(scenario) if spec.planning_dims else None
    recipe = None
    if grid is None:
        grid = sweep_grid(spec) if planning is None else prepare_ground(resolve(scenario))
        if is_dask_client(executor):
            kind = "ground" if planning is not None else "grid"
            if kind == "grid" and spec.population:
                kind = "grid+population"
            recipe = ScenarioGrid.of(scenario, kind)
    base = resolve_systems(scenario) if systems is None else list(systems)
    names = [m.name for m in base] + [COMBINED]
    dims, coords = spec.coverage_dims, spec.coords()
    points = spec.points()
    shape = tuple(len(coords[d]) for d in dims)
    per_cell = spec.per_cell
    if per_cell is None:
        per_cell = len(points) * len(names) * grid.sizes["cell"] <= PER_CELL_LIMIT
    options = EngineOptions(
        steps_per_chunk=scenario.engine.steps_per_chunk, coarse_step_s=scenario.engine.coarse_step_s
    )
    window = scenario.window.time_grid()
    terrain, antenna = scenario.terrain.enabled, scenario.terrain.antenna_height_m
    folder = _checkpoint_dir(Path(out_dir), spec, per_cell, grid) if out_dir else None

    results: dict[int, dict] = {}
    status = np.zeros(shape, np.int8)
    todo = []
    for k, params in enumerate(points):
        index = tuple(coords[d].index(params[d]) for d in dims)
        models = point_systems(spec, params, base)
        if isinstance(models, str):
            status[index] = 2 if models == "invalid_parameters" else 3
            continue
        status[index] = 1
        path = folder / f"{_point_key(params)}.npz" if folder else None
        loaded = _load(path) if path is not None and path.exists() else None
        if loaded is not None:
            results[k] = loaded
            if on_point is not None:
                on_point(k, params, True)
            continue
        todo.append((k, params, models, path))
    task_args = (
        names,
        window,
        terrain,
        antenna,
        options,
        spec.threshold_pct,
        per_cell,
        planning,
        spec.planning_points(),
    )

    def finished(k, params, path, arrays):
        results[k] = arrays
        if path is not None:
            _save(path, arrays)
        if on_point is not None:
            on_point(k, params, False)

    if executor is None and workers == 1:
        for k, params, models, path in todo:
            finished(k, params, path, run_point(grid, models, *task_args))
    elif recipe is not None:
        _run_on_dask(executor, recipe, grid_token(grid), todo, task_args, finished)
    elif executor is not None:
        _run_on(executor, grid, todo, task_args, finished)
    else:
        pool = ProcessPoolExecutor(workers, mp_context=get_context("forkserver"))
        try:
            _run_on(pool, grid, todo, task_args, finished)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return assemble_sweep(spec, grid, names, dims, coords, points, results, status, per_cell)


def _run_on(executor, grid, todo, task_args, finished) -> None:
    futures = {
        executor.submit(run_point, grid, models, *task_args): (k, params, path)
        for k, params, models, path in todo
    }
    if is_dask_client(executor):  # dask futures are not concurrent.futures ones
        from distributed import as_completed as dask_completed

        _collect(futures, finished, dask_completed)
    else:
        _collect(futures, finished)


def _run_on_dask(client, recipe, token, todo, task_args, finished) -> None:
    """The points as tasks of a ``distributed.Client``: the grid recipe goes to every
    worker once, each point carries its systems (compressed element sets, each system
    encoded once) and is retried 3 times; a point's key is a hash of the grid token,
    the task arguments and its systems (deterministic, never shared by two different
    points)."""
    encoded: dict[int, tuple[SystemModel, SystemRecipe, bytes]] = {}
    run = hashlib.sha256(f"{token}{task_args!r}".encode())

    def systems(models):
        out = []
        for m in models:  # a model shared by many points (a base system) is encoded once
            if id(m) not in encoded:
                system = SystemRecipe.of(m)
                encoded[id(m)] = (m, system, hashlib.sha256(pickle.dumps(system)).digest())
            out.append(encoded[id(m)][1:])
        return out

    def key(parts) -> str:  # the grid, the options and the point's systems
        digest = run.copy()
        for _, system_hash in parts:
            digest.update(system_hash)
        return f"hybridplan-point-{digest.hexdigest()[:20]}"

    recipe_future = client.scatter(recipe, broadcast=True, hash=False)
    futures = {}
    for k, params, models, path in todo:
        parts = systems(models)
        future = client.submit(
            run_point_from_recipe,
            recipe_future,
            token,
            tuple(system for system, _ in parts),
            *task_args,
            key=key(parts),
            retries=3,
            pure=False,
        )
        futures[future] = (k, params, path)
    from distributed import as_completed as dask_completed

    _collect(futures, finished, dask_completed)


def _collect(futures, finished, completed=as_completed) -> None:
    try:
        for future in completed(futures):
            k, params, path = futures[future]
            finished(k, params, path, future.result())
    except BaseException:
        for future in futures:
            future.cancel()
        raise


__all__ = [
    "CELL_VARIABLES",
    "REGION_VARIABLES",
    "TECHNOLOGIES",
    "point_systems",
    "run_point",
    "run_point_from_recipe",
    "sweep",
    "sweep_grid",
    "write_sweep",
]
