"""Figures of merit + ground -> the backhaul decision: demand, economics, the
recommendation, sweeps of planning parameters. numpy, xarray and dataclasses only; no
scenario parsing, no grid building, no engine."""

from .decide import decide, planning_variables, satellite_options, technology_of
from .spec import PlanningSpec

__all__ = ["PlanningSpec", "decide", "planning_variables", "satellite_options", "technology_of"]
