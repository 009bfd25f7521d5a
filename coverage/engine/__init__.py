"""The engine: satellites x cells x steps -> figures of merit per (system, cell).

Imports ``hybridplan.tle`` and the coverage ``errors``/``contract`` only: no scenario,
no grid building, no planning. Inputs are a grid Dataset (``lat``, ``lon``,
``elevation_m``, ``horizon_deg``), :class:`SystemModel` objects and a
:class:`hybridplan.tle.TimeGrid`.
"""

from .accumulator import Accumulator
from .compute import compute_coverage
from .gateway import Gateway
from .model import EngineOptions, Ground, ProgressCallback, SystemModel, ground_from_grid
from .run import RunStats, accumulate

__all__ = [
    "Accumulator",
    "EngineOptions",
    "Gateway",
    "Ground",
    "ProgressCallback",
    "RunStats",
    "SystemModel",
    "accumulate",
    "compute_coverage",
    "ground_from_grid",
]
