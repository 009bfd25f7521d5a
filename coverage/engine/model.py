"""The engine's inputs: satellite systems, performance options, and the ground (cells
with their observer heights, terrain horizons and the cell tree).

No scenario, grid-building or planning code is imported here: the engine takes a grid
Dataset of the ``hybridplan.grids`` contract (``lat``, ``lon``, ``elevation_m``,
``horizon_deg``) and element sets, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import xarray as xr
from hybridplan.tle import Constellation

from ..errors import CoverageError
from .celltree import CellTree, build_cell_tree

OrbitClass = Literal["LEO", "MEO", "GEO", "mixed"]
"""Orbit class of a system, from its satellites' mean altitudes: LEO below 2,000 km, GEO
35,000-36,600 km, MEO between; ``mixed`` when the satellites span classes."""

ORBIT_CLASSES: tuple[str, ...] = get_args(OrbitClass)

ProgressCallback = Callable[[int], None]
"""Called in the calling process with the number of steps just completed."""


@dataclass(frozen=True)
class SystemModel:
    """One satellite system as the engine sees it.

    Attributes
    ----------
    name : str
        Label of the ``system`` coordinate (unique; ``"combined"`` is reserved).
    constellation : Constellation
        The satellites.
    min_elevation_deg : float
        Minimum elevation of the user terminal [deg], 0..90.
    n_required : int
        N of "N-asset coverage" (``pct_time_n_or_more``), >= 1.
    gso_exclusion_deg : float
        GSO arc avoidance angle [deg]; 0 disables the band. A satellite is excluded
        when the angle, seen from the cell, between it and the nearest point of the
        geostationary ring (radius 42,164.17 km in the equatorial plane) is below the
        band. The whole ring counts, also its part under the cell's horizon (as the
        alpha angle of ITU-R S.1503 is measured to the whole arc): a link low in the sky
        beside the point where the arc sets is excluded by the ring beyond it.
    licensed : bool
        Whether the system counts towards ``combined``.
    backhaul : bool
        Whether the planner may use the system as a backhaul option (``False`` for
        narrowband voice/IoT systems such as Iridium; their coverage is still computed).
    """

    name: str
    constellation: Constellation
    min_elevation_deg: float
    n_required: int = 1
    gso_exclusion_deg: float = 0.0
    licensed: bool = True
    backhaul: bool = True
    gateways: tuple = ()
    """Bent-pipe gateways (:class:`~hybridplan.coverage.engine.gateway.Gateway`); empty:
    no gateway rule. With gateways, a satellite serves only while it sees one of them."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_elevation_deg <= 90.0:
            raise CoverageError(
                f"system {self.name!r}: min_elevation_deg = "
                f"{self.min_elevation_deg}: expected 0..90 deg"
            )
        if not (isinstance(self.n_required, (int, np.integer)) and self.n_required >= 1):
            raise CoverageError(
                f"system {self.name!r}: n_required = {self.n_required!r}: "
                "expected a whole number >= 1"
            )
        if not 0.0 <= self.gso_exclusion_deg < 90.0:
            raise CoverageError(
                f"system {self.name!r}: gso_exclusion_deg = "
                f"{self.gso_exclusion_deg}: expected 0 (off) .. 90 deg"
            )
        if self.name == "combined":
            raise CoverageError(
                "'combined' is reserved for the union of licensed systems; "
                "name the system differently"
            )

    @property
    def orbit_class(self) -> OrbitClass:
        """``"LEO"``, ``"MEO"``, ``"GEO"`` (or ``"mixed"``) from the mean altitudes."""
        return orbit_class_of(self.constellation.mean_altitude_km)


def orbit_class_of(mean_altitude_km) -> OrbitClass:
    """The :data:`OrbitClass` of satellites with these mean altitudes [km]."""
    alt = np.asarray(mean_altitude_km, dtype=np.float64).reshape(-1)
    if alt.size == 0:
        raise CoverageError("a system with no satellites has no orbit class")
    classes = set(
        np.where(
            alt < 2000.0, "LEO", np.where((alt > 35000.0) & (alt < 36600.0), "GEO", "MEO")
        ).tolist()
    )
    return classes.pop() if len(classes) == 1 else "mixed"


def check_orbit_class(value: str, where: str) -> OrbitClass:
    """``value`` as an :data:`OrbitClass` (case-insensitive), else a clear error."""
    for name in ORBIT_CLASSES:
        if str(value).lower() == name.lower():
            return name  # type: ignore[return-value]
    raise CoverageError(
        f"{where}: orbit class {value!r}: expected one of {', '.join(ORBIT_CLASSES)}"
    )


@dataclass(frozen=True)
class EngineOptions:
    """Performance knobs; none of them changes a result.

    Attributes
    ----------
    steps_per_chunk : int
        Steps propagated and evaluated together (memory ~ chunk length).
    coarse_step_s : float
        Spacing of the coarse propagation pass [s] (rounded to whole steps).
    leaf_size : int
        Cells per leaf of the cell tree.
    prune : bool
        ``False`` propagates every satellite at every step and tests every cell against
        every satellite (the exact reference the pruned path is tested against; slow).
    tasks_per_worker : int
        Spans of steps per worker process or dask thread (more: better balance and
        progress, more start-up work). Threads of this process take two spans each (their
        progress is reported per chunk).
    processes : bool
        ``workers > 1`` runs in worker processes (forkserver) instead of threads of this
        process. Threads are the default: the kernel releases the GIL, and threads need
        no start-up, no pickling and no second copy of the cell tree.
    retries : int
        Times a span is retried on a dask cluster after its task failed (e.g. its worker
        was lost).
    """

    steps_per_chunk: int = 60
    coarse_step_s: float = 600.0
    leaf_size: int = 8
    prune: bool = True
    tasks_per_worker: int = 3
    retries: int = 3
    processes: bool = False

    def __post_init__(self) -> None:
        if int(self.steps_per_chunk) != self.steps_per_chunk or self.steps_per_chunk < 1:
            raise CoverageError(
                f"steps_per_chunk = {self.steps_per_chunk!r}: expected a whole number >= 1"
            )
        if not self.coarse_step_s > 0:
            raise CoverageError(f"coarse_step_s = {self.coarse_step_s!r}: expected > 0 s")
        if int(self.leaf_size) != self.leaf_size or self.leaf_size < 1:
            raise CoverageError(f"leaf_size = {self.leaf_size!r}: expected >= 1")
        if int(self.tasks_per_worker) != self.tasks_per_worker or self.tasks_per_worker < 1:
            raise CoverageError(f"tasks_per_worker = {self.tasks_per_worker!r}: expected >= 1")
        if int(self.retries) != self.retries or self.retries < 0:
            raise CoverageError(f"retries = {self.retries!r}: expected a whole number >= 0")


@dataclass(frozen=True, eq=False)
class Ground:
    """The cells as the engine sees them: identifiers, centres, observer heights, tree."""

    cells: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    height_km: np.ndarray
    tree: CellTree
    terrain: bool
    antenna_height_m: float


def ground_from_grid(
    grid: xr.Dataset, terrain: bool = True, antenna_height_m: float = 0.0, leaf_size: int = 8
) -> Ground:
    """The engine's view of a grid Dataset (``hybridplan.grids`` contract).

    Uses ``lat`` [degrees_north], ``lon`` [degrees_east], ``elevation_m`` [m] (0 when
    absent; with ``terrain=False`` also 0 where NaN, a cell without a DEM height) and,
    with ``terrain=True``, ``horizon_deg`` (cell, azimuth) [degree].
    The observer stands at ``elevation_m + antenna_height_m`` above the ellipsoid.
    """
    missing = [name for name in ("lat", "lon") if name not in grid]
    if missing or "cell" not in grid.dims:
        raise CoverageError(
            f"the grid Dataset needs a 'cell' dimension with 'lat' and 'lon'; "
            f"missing {missing or ['cell dimension']}"
        )
    lat = np.asarray(grid["lat"].values, dtype=np.float64)
    lon = np.asarray(grid["lon"].values, dtype=np.float64)
    if lat.size == 0:
        raise CoverageError("the grid has no cells")
    if not (np.all(np.isfinite(lat)) and np.all(np.abs(lat) <= 90.0) and np.all(np.isfinite(lon))):
        raise CoverageError("grid 'lat'/'lon' must be finite, |lat| <= 90 deg")
    elevation_m = (
        np.asarray(grid["elevation_m"].values, dtype=np.float64)
        if "elevation_m" in grid
        else np.zeros_like(lat)
    )
    if not np.all(np.isfinite(elevation_m)):
        if terrain:
            raise CoverageError(
                "grid 'elevation_m' has NaN cells; fill them (e.g. 0 m at sea) "
                "before computing coverage with terrain, or switch terrain off"
            )
        # terrain off: a cell without a DEM height observes from the ellipsoid (0 m);
        # 5 km of height moves a LEO satellite's elevation by < 0.3 deg
        elevation_m = np.where(np.isfinite(elevation_m), elevation_m, 0.0)
    horizon = None
    if terrain:
        if "horizon_deg" not in grid:
            raise CoverageError(
                "terrain is on but the grid has no 'horizon_deg' (cell, azimuth)"
                "; add terrain to the grid (hybridplan.grids) or switch "
                "terrain off"
            )
        horizon_da = grid["horizon_deg"].transpose("cell", ...)
        horizon = np.asarray(horizon_da.values, dtype=np.float64)
        if horizon.ndim != 2 or horizon.shape[1] < 1 or not np.all(np.isfinite(horizon)):
            raise CoverageError("grid 'horizon_deg' must be finite with dims (cell, azimuth)")
        _check_sectors(horizon_da, grid)
    height_km = (elevation_m + antenna_height_m) / 1000.0
    tree = build_cell_tree(lat, lon, height_km, horizon, leaf_size)
    cells = np.asarray(grid["cell"].values) if "cell" in grid.coords else np.arange(lat.size)
    return Ground(cells, lat, lon, height_km, tree, terrain, float(antenna_height_m))


def _check_sectors(horizon: xr.DataArray, grid: xr.Dataset) -> None:
    """The sector convention: K equal sectors, sector k = [k, k+1) * 360/K from north.

    The sector azimuths are read from the azimuth dimension's coordinate, or from the
    grid's ``azimuth_deg`` (the name ``hybridplan.grids`` gives them); a grid with
    neither is taken to follow the convention.
    """
    dim = horizon.dims[1]
    if dim in horizon.coords:
        azimuths = horizon[dim]
    elif "azimuth_deg" in grid.variables and grid["azimuth_deg"].dims == (dim,):
        azimuths = grid["azimuth_deg"]
    else:
        return
    k = horizon.sizes[dim]
    width = 360.0 / k
    centres = np.asarray(azimuths.values, dtype=np.float64)
    expected = (np.arange(k) + 0.5) * width
    if not np.allclose(centres, expected, atol=1e-6) and not np.allclose(
        centres, np.arange(k) * width, atol=1e-6
    ):
        raise CoverageError(
            f"grid 'horizon_deg' azimuths must be {k} equal sectors from north "
            f"(centres {expected[:3]}... deg); found {centres[:3]}..."
        )
