"""Recipes: what a dask worker builds a run's static inputs from, instead of receiving them.

A run's static inputs (``run._Static``: the cell tree with its terrain horizons, the
satellite table with its element sets, the system table, the weights, the gateway
tables) pickle to 13 MB for the default GB + AJK scenario (13,837 cells, 72 horizon
sectors, 10,640 satellites; ``benchmarks/bench_dask.py``), and at the same bytes per
cell to over 100 MB for all of Pakistan at resolution 7; scattered, they cross the
network once per worker. A
:class:`StaticRecipe` is what they are made of: how to rebuild the grid (a
:class:`GridRecipe`; for a scenario, its text, its folder and which grid, see
``hybridplan.coverage.pipeline.build.ScenarioGrid``), each system's parameters and
element sets (compressed: the TLE lines or SGP4 init arguments, a few hundred bytes per
satellite before compression), the window and the options: 0.65 MB for the default
scenario (almost all of it its element sets), 9 kB for a scenario of 160 satellites.
Each worker builds the
static inputs from it once per run (a per-process cache by run token, shared by the
spans and threads of the worker) and checks that they have the caller's run token, the
SHA-256 of everything that decides the result: a worker reading other data files (a
different DEM, boundaries, population) or running another version refuses the run with
one line instead of computing something else.

The engine imports no scenario or grid code: a :class:`GridRecipe` is any picklable
object with ``key``, ``describe()`` and ``build()``; the pipeline supplies it, and a
worker imports its class when it unpickles it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import xarray as xr
from hybridplan.tle import Constellation, TimeGrid

from ..errors import CoverageError
from .checkpoints import run_token
from .model import EngineOptions, SystemModel


class RecipeError(CoverageError):
    """A worker cannot rebuild the static inputs from a recipe, or rebuilt other ones
    (the message names the worker, the recipe and the fix)."""


@runtime_checkable
class GridRecipe(Protocol):
    """How a worker rebuilds the grid Dataset the caller computes coverage over.

    ``key``: identifies the recipe (the per-process grid cache's key); ``describe()``:
    a few words for messages (``"scenario s.toml: grid of [region] ..."``);
    ``build()``: the grid, the same values as the caller's (the run token checks it).
    """

    @property
    def key(self) -> str: ...

    def describe(self) -> str: ...

    def build(self) -> xr.Dataset: ...


@dataclass(frozen=True)
class SystemRecipe:
    """One :class:`SystemModel` with its element sets compressed (zlib of their pickle:
    the TLE lines or SGP4 init arguments, names, catalogue numbers, sources; exact)."""

    name: str
    label: str
    min_elevation_deg: float
    n_required: int
    gso_exclusion_deg: float
    licensed: bool
    backhaul: bool
    gateways: tuple
    element_sets: bytes

    @classmethod
    def of(cls, model: SystemModel) -> SystemRecipe:
        sets = tuple(model.constellation.element_sets)
        return cls(
            model.name,
            model.constellation.label,
            model.min_elevation_deg,
            model.n_required,
            model.gso_exclusion_deg,
            model.licensed,
            model.backhaul,
            tuple(model.gateways),
            zlib.compress(pickle.dumps(sets, protocol=5), 6),
        )

    def model(self) -> SystemModel:
        """The system, with its constellation rebuilt from the element sets."""
        sets = pickle.loads(zlib.decompress(self.element_sets))
        return SystemModel(
            self.name,
            Constellation(self.label, sets),
            self.min_elevation_deg,
            self.n_required,
            self.gso_exclusion_deg,
            self.licensed,
            self.backhaul,
            self.gateways,
        )


@dataclass(frozen=True)
class StaticRecipe:
    """What a run's static inputs are made of (small, picklable); see the module docstring.

    Attributes
    ----------
    grid : GridRecipe
        How to rebuild the grid.
    systems : tuple of SystemRecipe
    window : hybridplan.tle.TimeGrid
    terrain : bool
    antenna_height_m : float
        Observer above the cell's ``elevation_m`` [m] (resolved by the caller).
    options : EngineOptions
    series_cells : tuple of str
        Cells (``cell`` coordinate values) whose per-step values are kept.
    stk : bool
        Keep the STK fields (resolved by the caller).
    token : str
        The caller's run token (filled in by ``accumulate``); a worker whose rebuilt
        static inputs have another token refuses the run.
    """

    grid: GridRecipe
    systems: tuple[SystemRecipe, ...]
    window: TimeGrid
    terrain: bool
    antenna_height_m: float
    options: EngineOptions
    series_cells: tuple[str, ...] = ()
    stk: bool = True
    token: str = ""

    @classmethod
    def of(
        cls,
        grid: GridRecipe,
        systems: Sequence[SystemModel],
        window: TimeGrid,
        *,
        terrain: bool,
        antenna_height_m: float,
        options: EngineOptions,
        series_cells: Sequence[str] = (),
        stk: bool = True,
    ) -> StaticRecipe:
        return cls(
            grid,
            tuple(SystemRecipe.of(s) for s in systems),
            window,
            bool(terrain),
            float(antenna_height_m),
            options,
            tuple(str(c) for c in series_cells),
            bool(stk),
        )

    def nbytes(self) -> int:
        """Size of the recipe as sent to a worker (its pickle) [byte]."""
        return len(pickle.dumps(self, protocol=5))

    def static(self):
        """The run's static inputs (``run._Static``), built once per process and run
        token (the spans and threads of a worker share them).

        Raises
        ------
        RecipeError
            The rebuilt inputs do not have the caller's token, also when rebuilt from
            the data files again rather than from this process's cached grid (one line:
            where, which recipe, the fix); remembered for this recipe object (the one a
            worker holds for the run), so the run's other spans and their retries
            refuse at once, and a later run tries again. Or the grid cannot be built
            here.
        """
        if not self.token:
            raise RecipeError(
                "a StaticRecipe without the caller's run token cannot be checked; "
                "pass it to accumulate(recipe=...), which fills the token in"
            )
        with _LOCK:
            static = _STATICS.get(self.token)
            if static is not None:
                return static
            refused = self.__dict__.get("_refused")
            if refused is not None:
                raise RecipeError(refused)
            static = self._build(fresh=False)
            if static.token != self.token:  # the files may have changed since cached
                static = self._build(fresh=True)
            if static.token != self.token:
                message = (
                    f"{_here()}: the static inputs rebuilt from the recipe "
                    f"({self.grid.describe()}) differ from the caller's (run token "
                    f"{self.token[:12]}, here {static.token[:12]}): this worker reads other "
                    "data files (DEM, boundaries, population, element sets) or runs another "
                    "version; give every worker the caller's files and version, or run with "
                    "the static inputs sent (compute_coverage without grid_recipe)"
                )
                object.__setattr__(self, "_refused", message)  # on this object only
                raise RecipeError(message)
            _STATICS.clear()  # one run at a time per process: bounded memory
            _STATICS[self.token] = static
            return static

    def _build(self, fresh: bool):
        from .compute import engine_inputs
        from .run import static_inputs

        grid = built_grid(self.grid, fresh=fresh)
        ground, index, weights = engine_inputs(
            grid, self.terrain, self.antenna_height_m, self.options, self.series_cells
        )
        models = [s.model() for s in self.systems]
        return static_inputs(ground, models, self.window, self.options, index, weights, self.stk)


_LOCK = threading.RLock()
_STATICS: dict = {}
"""The static inputs of the last run this process built from a recipe, by token."""
_GRIDS: dict = {}
"""The last grid this process built from a recipe, by the recipe's key (a plan's two
engine runs and a sweep's points reuse it)."""


def built_grid(recipe: GridRecipe, token: str | None = None, *, fresh: bool = False) -> xr.Dataset:
    """The grid of ``recipe``, built once per process (the last one is kept; ``fresh``:
    built again from the files).

    ``token``: the caller's :func:`grid_token` (for tasks that take a grid, not static
    inputs: sweep points); a grid with another token is built again from the files
    once, then refused with one line (:class:`RecipeError`). A grid that cannot be
    built here (a file missing on this worker) is refused with the builder's message.
    """
    with _LOCK:
        if fresh:
            _GRIDS.clear()  # and the grid a subset recipe starts from
        grid = _GRIDS.get(recipe.key)
        if grid is None:
            try:
                grid = recipe.build()
            except RecipeError:
                raise
            except Exception as exc:
                raise RecipeError(
                    f"{_here()}: cannot rebuild the grid from the recipe "
                    f"({recipe.describe()}): {exc}; give every worker the caller's data "
                    "files at the same paths, or send the inputs (no grid_recipe)"
                ) from exc
            _GRIDS.clear()
            _GRIDS[recipe.key] = grid
        if token is not None:
            found = grid_token(grid)
            if found != token and not fresh:
                return built_grid(recipe, token, fresh=True)
            if found != token:
                raise RecipeError(
                    f"{_here()}: the grid rebuilt from the recipe ({recipe.describe()}) "
                    f"differs from the caller's (grid token {token[:12]}, here {found[:12]}): "
                    "this worker reads other data files (DEM, boundaries, population) or "
                    "runs another version; give every worker the caller's files and version"
                )
        return grid


def grid_token(grid: xr.Dataset) -> str:
    """SHA-256 of a grid's values: every variable and coordinate (name, dims, dtype,
    bytes; text as text), in name order. Attributes are left out."""
    parts: list = []
    for name in sorted(map(str, grid.variables)):
        values = np.asarray(grid[name].values)
        if values.dtype.kind == "O":
            values = values.astype(str)
        parts.extend((name, grid[name].dims, values))
    return run_token(*parts)


def recipe_key(*parts) -> str:
    """A short key for a grid recipe's fields (``repr`` of each, SHA-256)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def _here() -> str:
    """``dask worker tcp://...`` inside a dask worker, else ``process <pid>``."""
    try:
        from distributed import get_worker

        return f"dask worker {get_worker().address}"
    except (ImportError, ValueError):
        return f"process {os.getpid()}"
