"""The sweep Dataset: per-point reductions (region-level and per-cell figures, planning
figures) and their assembly into a labelled Dataset with the swept parameters as
dimensions (see :mod:`hybridplan.coverage.pipeline.sweep`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..engine.fom import package_version
from ..errors import CoverageError
from ..planning import decide, technology_of
from ..planning.spec import PlanningSpec
from ..planning.sweep import _with as with_planning_value
from .outputs import write_netcdf
from .sweep_spec import SweepSpec, parameter_attrs

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

TECHNOLOGIES = (
    "fiber",
    "microwave",
    "leo",
    "meo",
    "geo",
    "already_served",
    "none_feasible",
    "not_target",
    "no_population",
)
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
        rec = decide(plan, spec).cell
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


def assemble_sweep(
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
