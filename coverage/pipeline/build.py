"""The plan pipeline: inputs -> ground -> coverage -> decision, as one labelled Dataset
(DESIGN.md, "The plan Dataset").

::

    from hybridplan.coverage import build_plan, default_scenario, resolve
    inputs = resolve(default_scenario())
    plan = build_plan(inputs, workers=2)
    plan["recommendation"], plan["reason"], plan["cost_recommended_usd"]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor

import xarray as xr

from ..contract import seal_plan
from ..engine import EngineOptions, ProgressCallback, SystemModel, compute_coverage
from ..planning import planning_variables
from ..planning.spec import PlanningSpec
from ..scenario import Scenario
from .inputs import PlanInputs, prepare_grid, prepare_ground, resolve_systems


def run_coverage(scenario: Scenario, *, grid: xr.Dataset | None = None,
                 systems: Sequence[SystemModel] | None = None, workers: int | None = None,
                 executor: Executor | None = None,
                 progress: ProgressCallback | None = None) -> xr.Dataset:
    """A scenario's coverage step: the figure-of-merit Dataset.

    ``grid`` and ``systems`` are used as given when the caller has them (else built and
    resolved here); ``workers`` overrides ``[engine] workers``.
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


def assemble_plan(ground: xr.Dataset, fom: xr.Dataset, spec: PlanningSpec,
                  licensing_cases: Mapping[str, Mapping[str, bool]] | None = None
                  ) -> xr.Dataset:
    """Merge ground and coverage, add demand, targets, recommendation and costs (and the
    same decision for every licensing case, on the same coverage)."""
    fom = fom.drop_vars([v for v in ("lat", "lon") if v in fom.coords])
    plan = xr.merge([ground, fom], compat="override", combine_attrs="override")
    plan.attrs = {**ground.attrs, **fom.attrs}  # the coverage run's record wins on clashes
    plan.attrs["fiber_cost_per_km_usd"] = spec.fiber.cost_per_km_usd
    plan = plan.assign(planning_variables(plan, spec, licensing_cases))
    plan.attrs["underserved_rule"] = spec.underserved.describe()
    plan.attrs["planning_horizon_years"] = spec.finance.horizon_years
    plan.attrs["discount_rate"] = spec.finance.discount_rate
    return plan


def build_plan(inputs: PlanInputs, *, workers: int | None = None,
               executor: Executor | None = None, progress: ProgressCallback | None = None,
               ground: xr.Dataset | None = None) -> xr.Dataset:
    """The plan Dataset of resolved inputs (``ground`` reuses a ground built before)."""
    if ground is None:
        ground = prepare_ground(inputs)
    fom = run_coverage(inputs.scenario, grid=ground, systems=inputs.systems, workers=workers,
                       executor=executor, progress=progress)
    return seal_plan(assemble_plan(ground, fom, inputs.spec,
                                   inputs.scenario.licensing_cases()), inputs.spec)
