"""The plan pipeline: inputs -> ground -> coverage -> decision, as one labelled Dataset
(DESIGN.md, "The plan Dataset").

::

    from hybridplan.coverage import build_plan, default_scenario, resolve
    inputs = resolve(default_scenario())
    plan = build_plan(inputs, workers=2)
    plan["recommendation"], plan["reason"], plan["cost_recommended_usd"]
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import xarray as xr

from ..contract import seal_plan
from ..engine import EngineOptions, ProgressCallback, SystemModel, compute_coverage
from ..engine.executors import is_dask_client
from ..engine.recipe import built_grid, recipe_key
from ..planning import planning_variables
from ..planning.decide import Decision, case_decisions
from ..planning.spec import PlanningSpec
from ..scenario import Scenario, planning_spec
from .inputs import (
    PlanInputs,
    prepare_grid,
    prepare_ground,
    release_free_memory,
    resolve,
    resolve_systems,
    scenario_dem,
)
from .planned_routes import planned_route_variables

GridKind = Literal["grid", "grid+population", "plan", "ground"]
"""Which grid of a scenario a :class:`ScenarioGrid` rebuilds: ``"grid"``
(:func:`prepare_grid`: cells, heights, horizons), ``"grid+population"`` (with
``distribute_population``, as a sweep's grid), ``"plan"`` (with the slope and the
population of :func:`prepare_ground`: the variables its coverage run reads), ``"ground"``
(the whole :func:`prepare_ground`, for sweeps that re-decide the plan)."""


@dataclass(frozen=True)
class ScenarioGrid:
    """A scenario's grid as a recipe (:class:`~hybridplan.coverage.engine.recipe.GridRecipe`):
    the scenario text, its name and folder (relative paths: region GeoJSON, DEM,
    population), which grid, and optionally a subset of its cells. A few kB; a dask
    worker rebuilds the grid from it exactly as the caller did, from the data files it
    can read at the same paths (the run token tells if they differ).

    Build it with :meth:`of`, which returns ``None`` for a scenario whose text does not
    give back its region, terrain and population settings (a Scenario changed in code
    after it was read): the caller then sends the static inputs instead.
    """

    text: str
    source: str
    base_dir: str | None
    kind: GridKind = "grid"
    cells: tuple[str, ...] = ()

    @classmethod
    def of(cls, scenario: Scenario, kind: GridKind = "grid") -> ScenarioGrid | None:
        # relative paths of a scenario without a folder are relative to the caller's cwd
        base = str(Path(scenario.base_dir or os.getcwd()).resolve())
        recipe = cls(scenario.text, scenario.source, base, kind)
        again = recipe.scenario()
        same = (again.region, again.terrain) == (scenario.region, scenario.terrain)
        if kind != "grid":
            same = same and planning_spec(again).population == planning_spec(scenario).population
        if kind == "ground":
            same = same and planning_spec(again) == planning_spec(scenario)
        return recipe if same else None

    def subset(self, cells: Sequence[str]) -> ScenarioGrid:
        """The same grid restricted to ``cells`` (in that order)."""
        return replace(self, cells=tuple(str(c) for c in cells))

    @property
    def key(self) -> str:
        return recipe_key(self.text, self.source, self.base_dir, self.kind, self.cells)

    def describe(self) -> str:
        subset = f", {len(self.cells)} of its cells" if self.cells else ""
        return f"scenario {self.source}: {self.kind}{subset}, paths from {self.base_dir}"

    def scenario(self) -> Scenario:
        base = None if self.base_dir is None else Path(self.base_dir)
        return Scenario.from_toml(self.text, self.source, base)

    def build(self) -> xr.Dataset:
        """The grid, as the caller built it (warnings about DEM gaps are the caller's)."""
        if self.cells:
            return built_grid(replace(self, cells=())).sel(cell=list(self.cells))
        scenario = self.scenario()
        if self.kind == "ground":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return prepare_ground(resolve(scenario))
        dem = scenario_dem(scenario)
        grid = prepare_grid(scenario, warn_dem_gaps=False, dem=dem)
        if self.kind == "grid":
            return grid
        from hybridplan.grids import distribute_population

        population = planning_spec(scenario).population
        source = (
            None if population.source == "bundled" else scenario.resolve_path(population.source)
        )
        if self.kind == "plan":
            from .routing import add_slope

            grid = add_slope(grid, dem)
        return distribute_population(
            grid, source, rural_density_per_km2=population.rural_density_per_km2
        )


def run_coverage(
    scenario: Scenario,
    *,
    grid: xr.Dataset | None = None,
    systems: Sequence[SystemModel] | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    checkpoint_dir: str | None = None,
    grid_recipe: ScenarioGrid | None = None,
) -> xr.Dataset:
    """A scenario's coverage step: the figure-of-merit Dataset.

    ``grid`` and ``systems`` are used as given when the caller has them (else built and
    resolved here); ``workers`` overrides ``[engine] workers``. On a dask
    ``executor`` the workers rebuild the grid from ``grid_recipe`` (default, when the
    grid is built here: :meth:`ScenarioGrid.of` the scenario); a ``grid`` given without
    a recipe is sent to them.
    """
    systems = resolve_systems(scenario) if systems is None else systems
    if grid is None:
        grid = prepare_grid(scenario)
        if grid_recipe is None and is_dask_client(executor):
            grid_recipe = ScenarioGrid.of(scenario)
    engine = scenario.engine
    options = EngineOptions(
        steps_per_chunk=engine.steps_per_chunk, coarse_step_s=engine.coarse_step_s
    )
    attrs = {
        "scenario": scenario.text,
        "scenario_source": scenario.source,
        "scenario_name": scenario.name,
        "region": str(grid.attrs.get("region", "")),
        "h3_resolution": int(grid.attrs.get("h3_resolution", scenario.region.resolution)),
        "dem_source": str(grid.attrs.get("dem_source", "")),
    }
    fom = compute_coverage(
        grid,
        systems,
        scenario.window.time_grid(),
        terrain=scenario.terrain.enabled,
        antenna_height_m=scenario.terrain.antenna_height_m,
        options=options,
        workers=workers or engine.workers,
        executor=executor,
        progress=progress,
        series_cells=engine.series_cells,
        attrs=attrs,
        checkpoint_dir=checkpoint_dir,
        grid_recipe=grid_recipe,
    )
    release_free_memory()
    return fom


def assemble_plan(
    ground: xr.Dataset,
    fom: xr.Dataset,
    spec: PlanningSpec,
    licensing_cases: Mapping[str, Mapping[str, bool]] | None = None,
) -> xr.Dataset:
    """Merge ground and coverage, add demand, targets, recommendation and costs (and the
    same decision for every licensing case, on the same coverage)."""
    return assemble_plan_and_decision(ground, fom, spec, licensing_cases)[0]


def assemble_plan_and_decision(
    ground: xr.Dataset,
    fom: xr.Dataset,
    spec: PlanningSpec,
    licensing_cases: Mapping[str, Mapping[str, bool]] | None = None,
) -> tuple[xr.Dataset, Decision]:
    """:func:`assemble_plan`, and the plan's own :class:`~..planning.decide.Decision` (the
    planned-route valuation starts from it instead of deciding the plan again)."""
    fom = fom.drop_vars([v for v in ("lat", "lon") if v in fom.coords])
    plan = xr.merge([ground, fom], compat="override", combine_attrs="override")
    if "horizon_deg" in plan and plan["horizon_deg"].dtype != np.float32:
        # only the coverage run reads the horizons at full precision; the plan keeps them
        # as plan.nc stores them (half the memory: 46 MB less for all Pakistan at res 7)
        plan["horizon_deg"] = plan["horizon_deg"].astype(np.float32)
    plan.attrs = {**ground.attrs, **fom.attrs}  # the coverage run's record wins on clashes
    plan.attrs["fiber_cost_per_km_usd"] = spec.fiber.cost_per_km_usd
    decision, *others = case_decisions(plan, spec, licensing_cases)
    plan = plan.assign(planning_variables(plan, spec, licensing_cases, decision, others))
    plan.attrs["underserved_rule"] = spec.underserved.describe()
    plan.attrs["planning_horizon_years"] = spec.finance.horizon_years
    plan.attrs["discount_rate"] = spec.finance.discount_rate
    plan.attrs["usd_to_pkr"] = spec.finance.usd_to_pkr
    plan.attrs["usd_to_pkr_as_of"] = str(spec.finance.usd_to_pkr_as_of)
    release_free_memory()  # the network design's temporaries
    return plan, decision


def representative_cells(ground: xr.Dataset, fom: xr.Dataset) -> list[str]:
    """The most and the least covered settled cell of each district (``combined`` row,
    terrain-aware; ties to the most populous): the default series cells of a plan."""
    pct = fom["pct_time_covered"]
    row = "combined" if "combined" in pct["system"].values else pct["system"].values[0]
    covered = pct.sel(system=row).values
    people = ground["population"].values
    district = (
        ground["district"].values.astype(str) if "district" in ground else np.full(people.shape, "")
    )
    cells = ground["cell"].values.astype(str)
    chosen: list[str] = []
    for name in dict.fromkeys(district.tolist()):
        idx = np.flatnonzero((district == name) & (people > 0))
        if idx.size == 0:
            continue
        best = idx[np.lexsort((-people[idx], -covered[idx]))[0]]
        worst = idx[np.lexsort((-people[idx], covered[idx]))[0]]
        chosen.extend(dict.fromkeys([cells[best], cells[worst]]))
    return chosen


def add_default_series(
    inputs: PlanInputs,
    ground: xr.Dataset,
    fom: xr.Dataset,
    *,
    workers: int | None,
    executor: Executor | None,
    grid_recipe: ScenarioGrid | None = None,
) -> xr.Dataset:
    """When the scenario names no ``[engine] series_cells``: the per-step series of
    :func:`representative_cells`, from a second engine run over those cells only
    (``grid_recipe``: the recipe of ``ground``, for a dask executor)."""
    cells = representative_cells(ground, fom)
    if not cells:
        return fom
    subset = ground.sel(cell=cells)
    scenario = inputs.scenario
    engine = scenario.engine
    extra = compute_coverage(
        subset,
        inputs.systems,
        scenario.window.time_grid(),
        terrain=scenario.terrain.enabled,
        antenna_height_m=scenario.terrain.antenna_height_m,
        options=EngineOptions(
            steps_per_chunk=engine.steps_per_chunk, coarse_step_s=engine.coarse_step_s
        ),
        workers=workers or engine.workers,
        executor=executor,
        series_cells=cells,
        grid_recipe=None if grid_recipe is None else grid_recipe.subset(cells),
    )
    series = [v for v in extra.data_vars if "series_cell" in extra[v].dims]
    out = fom.assign({v: extra[v] for v in series})
    out.attrs["series_cells_rule"] = (
        "the most and the least covered settled cell of each district (combined, terrain-aware)"
    )
    return out


def build_plan(
    inputs: PlanInputs,
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    ground: xr.Dataset | None = None,
    checkpoint_dir: str | None = None,
) -> xr.Dataset:
    """The plan Dataset of resolved inputs (``ground`` reuses a ground built before)."""
    if ground is None:
        ground = prepare_ground(inputs)
    # on dask the workers rebuild the variables the coverage run reads (not the network)
    recipe = ScenarioGrid.of(inputs.scenario, "plan") if is_dask_client(executor) else None
    fom = run_coverage(
        inputs.scenario,
        grid=ground,
        systems=inputs.systems,
        workers=workers,
        executor=executor,
        progress=progress,
        checkpoint_dir=checkpoint_dir,
        grid_recipe=recipe,
    )
    if not inputs.scenario.engine.series_cells and inputs.scenario.engine.default_series:
        fom = add_default_series(
            inputs, ground, fom, workers=workers, executor=executor, grid_recipe=recipe
        )
    plan, decision = assemble_plan_and_decision(
        ground, fom, inputs.spec, inputs.scenario.licensing_cases()
    )
    del ground, fom  # the plan holds what it needs of them
    # what each planned route is worth
    plan = plan.assign(planned_route_variables(plan, inputs, own=decision))
    del decision
    release_free_memory()
    return seal_plan(plan, inputs.spec)
