"""Scenario -> :class:`PlanInputs` (resolved once) -> :func:`build_plan` -> outputs."""

from ..engine.executors import executor_from_spec
from .build import assemble_plan, build_plan, run_coverage
from .inputs import (
    PlanInputs,
    prepare_grid,
    prepare_ground,
    resolve,
    resolve_systems,
    scenario_network,
    scenario_region,
)
from .outputs import read_report_inputs, write_netcdf, write_outputs

__all__ = [
    "PlanInputs",
    "assemble_plan",
    "build_plan",
    "executor_from_spec",
    "prepare_grid",
    "prepare_ground",
    "read_report_inputs",
    "resolve",
    "resolve_systems",
    "run_coverage",
    "scenario_network",
    "scenario_region",
    "write_netcdf",
    "write_outputs",
]
