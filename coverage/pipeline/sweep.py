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
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from hybridplan.reports.atomic import write_atomic
from hybridplan.tle import Constellation, WalkerShell

from ..engine import EngineOptions, SystemModel, compute_coverage
from ..engine.fom import COMBINED, package_version
from ..errors import CoverageError
from ..planning import decide, technology_of
from ..planning.spec import PlanningSpec
from ..planning.sweep import _with as with_planning_value
from ..scenario import planning_spec
from .build import assemble_plan
from .inputs import prepare_grid, prepare_ground, resolve, resolve_systems
from .outputs import write_netcdf
from .sweep_spec import SYSTEM_PARAMETERS, WALKER_PARAMETERS, SweepSpec, parameter_attrs

PER_CELL_LIMIT = 2_000_000
"""``per_cell = "auto"`` keeps per-cell figures while points x systems x cells <= this."""

REGION_VARIABLES = {
    "area_pct_meeting": (
        "percent",
        "share of the region's area with pct_time_covered >= threshold_pct",
    ),
    "population_pct_meeting": (
        "percent",
        "share of the region's population with pct_time_covered >= threshold_pct",
    ),
    "area_pct_n_or_more_meeting": (
        "percent",
        "share of the region's area with pct_time_n_or_more >= threshold_pct",
    ),
    "worst_max_gap_s": ("s", "largest coverage gap of any cell"),
    "mean_visible": ("1", "area-weighted mean number of visible satellites"),
    "mean_pct_time_covered": ("percent", "area-weighted mean of pct_time_covered"),
    "n_satellites": ("1", "number of satellites of the system"),
}
CELL_VARIABLES = ("pct_time_covered", "pct_time_n_or_more", "n_visible_mean", "max_gap_s")
STATUS_MEANINGS = "not_run run invalid_parameters no_system_on"

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


TECHNOLOGIES = ("fiber", "leo", "meo", "geo", "already_served", "none_feasible", "no_population")
"""Technology groups of the planning figures (recommendation categories grouped as in
:func:`hybridplan.coverage.planning.decide.technology_of`)."""


def decide_points(
    plan: xr.Dataset, planning: PlanningSpec, points: list[dict]
) -> dict[str, np.ndarray]:
    """Population share per technology [%] and cost [USD] of the plan re-decided for each
    planning point (``population_share``: ``(n_points, n_technologies)``)."""
    population = np.nan_to_num(plan["population"].values)
    settled = population.sum()
    share = np.zeros((len(points), len(TECHNOLOGIES)))
    cost = np.zeros(len(points))
    for k, values in enumerate(points):
        spec = planning
        for name, value in values.items():
            spec = with_planning_value(spec, name, value)
        rec = decide(plan, spec)
        technology = technology_of(rec.meanings)[rec.code]
        for j, group in enumerate(TECHNOLOGIES):
            if settled > 0:
                share[k, j] = 100.0 * population[technology == group].sum() / settled
        cost[k] = np.nan_to_num(rec.chosen_cost_usd).sum()
    return {"population_share": share, "cost_usd": cost}


def reduce_point(
    fom: xr.Dataset, grid: xr.Dataset, names: list[str], threshold_pct: float, per_cell: bool
) -> dict[str, np.ndarray]:
    """Region-level (and optionally per-cell) figures of one run over ``names``."""
    fom = fom.reindex(system=names)  # systems switched off become NaN rows
    area = np.asarray(grid["area_km2"].values, dtype=np.float64)
    people = (
        np.nan_to_num(np.asarray(grid["population"].values, dtype=np.float64))
        if "population" in grid
        else None
    )
    pct = fom["pct_time_covered"].values
    n_or_more = fom["pct_time_n_or_more"].values
    present = np.isfinite(pct).all(axis=1)

    def share(mask, weights):
        return np.where(present, 100.0 * (mask * weights).sum(axis=1) / weights.sum(), np.nan)

    out = {
        "area_pct_meeting": share(pct >= threshold_pct, area),
        "area_pct_n_or_more_meeting": share(n_or_more >= threshold_pct, area),
        "worst_max_gap_s": np.where(
            present, np.nanmax(np.nan_to_num(fom["max_gap_s"].values, nan=-1.0), axis=1), np.nan
        ),
        "mean_visible": np.where(
            present,
            (np.nan_to_num(fom["n_visible_mean"].values) * area).sum(axis=1) / area.sum(),
            np.nan,
        ),
        "mean_pct_time_covered": np.where(
            present, (np.nan_to_num(pct) * area).sum(axis=1) / area.sum(), np.nan
        ),
        "n_satellites": np.where(present, fom["n_satellites"].values.astype(float), np.nan),
        "population_pct_meeting": (
            share(pct >= threshold_pct, people)
            if people is not None and people.sum() > 0
            else np.full(len(names), np.nan)
        ),
    }
    if per_cell:
        for name in CELL_VARIABLES:
            out[name] = fom[name].values.astype(np.float64)
    return out


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
        Runs the points instead (overrides ``workers``).
    grid : xarray.Dataset, optional
        The base grid (default :func:`sweep_grid`); needs ``area_km2``.
    systems : list of SystemModel, optional
        The base scenario's systems, resolved (default: resolved here).
    on_point : callable, optional
        See :data:`PointCallback`.
    """
    scenario = spec.scenario
    planning = planning_spec(scenario) if spec.planning_dims else None
    if grid is None:
        grid = sweep_grid(spec) if planning is None else prepare_ground(resolve(scenario))
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
    elif executor is not None:
        _run_on(executor, grid, todo, task_args, finished)
    else:
        pool = ProcessPoolExecutor(workers, mp_context=get_context("forkserver"))
        try:
            _run_on(pool, grid, todo, task_args, finished)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return _assemble(spec, grid, names, dims, coords, points, results, status, per_cell)


def _run_on(executor, grid, todo, task_args, finished) -> None:
    futures = {
        executor.submit(run_point, grid, models, *task_args): (k, params, path)
        for k, params, models, path in todo
    }
    try:
        for future in as_completed(futures):
            k, params, path = futures[future]
            finished(k, params, path, future.result())
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def _assemble(
    spec: SweepSpec,
    grid: xr.Dataset,
    names: list[str],
    dims: list[str],
    coords: dict,
    points: list[dict],
    results: dict,
    status: np.ndarray,
    per_cell: bool,
) -> xr.Dataset:
    shape = status.shape
    n_cells = grid.sizes["cell"]
    data = {name: np.full(shape + (len(names),), np.nan) for name in REGION_VARIABLES}
    if per_cell:
        data.update(
            {name: np.full(shape + (len(names), n_cells), np.nan) for name in CELL_VARIABLES}
        )
    planning_dims = spec.planning_dims
    if planning_dims:
        p_shape = tuple(len(coords[d]) for d in planning_dims)
        data["population_share"] = np.full(shape + p_shape + (len(TECHNOLOGIES),), np.nan)
        data["cost_usd"] = np.full(shape + p_shape, np.nan)
    for k, arrays in results.items():
        index = tuple(coords[d].index(points[k][d]) for d in dims)
        for name in data:
            value = arrays[name]
            if name in ("population_share", "cost_usd"):  # planning points in C order
                value = value.reshape(p_shape + value.shape[1:])
            data[name][index] = value
    variables = {
        name: (tuple(dims) + ("system",), data[name], {"units": units, "long_name": long_name})
        for name, (units, long_name) in REGION_VARIABLES.items()
    }
    cell_attrs = {
        "pct_time_covered": (
            "percent",
            "percentage of time steps with at least one visible satellite",
        ),
        "pct_time_n_or_more": (
            "percent",
            "percentage of time steps with at least n_required visible satellites",
        ),
        "n_visible_mean": ("1", "mean number of visible satellites"),
        "max_gap_s": ("s", "longest coverage gap"),
    }
    if per_cell:
        for name in CELL_VARIABLES:
            units, long_name = cell_attrs[name]
            variables[name] = (
                tuple(dims) + ("system", "cell"),
                data[name],
                {"units": units, "long_name": long_name},
            )
    if planning_dims:
        variables["population_share"] = (
            tuple(dims) + tuple(planning_dims) + ("technology",),
            data["population_share"],
            {
                "units": "percent",
                "long_name": "share of the settled population by recommended technology",
            },
        )
        variables["cost_usd"] = (
            tuple(dims) + tuple(planning_dims),
            data["cost_usd"],
            {"units": "USD", "long_name": "present value of the recommended builds"},
        )
    variables["point_status"] = (
        tuple(dims),
        status,
        {
            "units": "1",
            "long_name": "whether the point was run",
            "flag_values": np.array([0, 1, 2, 3], np.int8),
            "flag_meanings": STATUS_MEANINGS,
        },
    )
    coord_vars = {
        d: (d, _coord_values(coords[d]), parameter_attrs(d))
        for d in list(dims) + list(planning_dims)
    }
    if planning_dims:
        coord_vars["technology"] = (
            "technology",
            np.array(TECHNOLOGIES, dtype=str),
            {"units": "1", "long_name": "recommended technology"},
        )
    coord_vars["system"] = (
        "system",
        np.array(names, dtype=str),
        {"units": "1", "long_name": "satellite system"},
    )
    if per_cell:
        level = grid.attrs.get("h3_resolution")
        cell_attrs_h3 = {"long_name": "H3 cell index", "units": "1", "grid_name": "h3"}
        if level is not None:
            cell_attrs_h3["level"] = int(level)
        coord_vars["cell"] = ("cell", np.asarray(grid["cell"].values, dtype=str), cell_attrs_h3)
        if "district" in grid:
            coord_vars["district"] = (
                "cell",
                np.asarray(grid["district"].values, dtype=str),
                dict(grid["district"].attrs),
            )
        variables["area_km2"] = (
            "cell",
            np.asarray(grid["area_km2"].values, np.float64),
            {"units": "km2", "long_name": "cell area"},
        )
        coord_vars["lat"] = ("cell", grid["lat"].values, dict(grid["lat"].attrs))
        coord_vars["lon"] = ("cell", grid["lon"].values, dict(grid["lon"].attrs))
    scenario = spec.scenario
    attrs = {
        "title": "hybridplan constellation sweep",
        "Conventions": "CF-1.8",
        "hybridplan_version": package_version(),
        "sweep": spec.text or repr(spec),
        "sweep_source": spec.source,
        "scenario": scenario.text,
        "scenario_source": scenario.source,
        "swept_system": spec.system,
        "threshold_pct": float(spec.threshold_pct),
        "region": str(grid.attrs.get("region", "")),
        "h3_resolution": int(grid.attrs.get("h3_resolution", -1)),
        "window_start_utc": scenario.window.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration_h": float(scenario.window.duration_h),
        "step_s": float(scenario.window.step_s),
        "terrain": int(scenario.terrain.enabled),
        "n_points_run": int((status == 1).sum()),
    }
    for name, value in spec.constants.items():
        attrs[f"constant_{name}"] = value if not isinstance(value, bool) else int(value)
    return xr.Dataset(variables, coords=coord_vars, attrs=attrs)


def _coord_values(values: list) -> np.ndarray:
    if all(isinstance(v, bool) for v in values):
        return np.array(values, dtype=bool)
    if all(isinstance(v, int) for v in values):
        return np.array(values, dtype=np.int64)
    return np.array(values, dtype=np.float64)


def write_sweep(ds: xr.Dataset, out_dir: str | Path) -> Path:
    """``OUT/sweep.nc`` (NetCDF-4, atomic; no MultiIndex: every dimension is plain)."""
    if any(isinstance(index, pd.MultiIndex) for index in ds.indexes.values()):
        raise CoverageError("the sweep Dataset has a MultiIndex; unstack it before writing")
    return write_netcdf(ds, Path(out_dir) / "sweep.nc")
