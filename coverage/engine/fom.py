"""Figures of merit from the accumulators, as a labelled ``xarray.Dataset``.

Names follow STK Coverage (``pct_time_covered``, ``n_visible_mean`` ...) so users can
compare. Every variable has ``units`` and ``long_name``; flags use CF ``flag_values`` /
``flag_meanings``. The row ``combined`` is the union over the licensed systems.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import xarray as xr
from hybridplan.tle import TimeGrid

from ..contract import contract_var
from .accumulator import Accumulator
from .geometry import SPEED_OF_LIGHT_KM_S
from .kernel import (
    F_BEST_EL_NDEG,
    F_COVERED,
    F_COVERED_OPEN,
    F_N_OR_MORE,
    F_NVIS_MAX,
    F_NVIS_MIN,
    F_NVIS_SUM,
    F_SLANT_MM,
    MM_PER_KM,
    NANO_DEGREE,
)
from .model import Ground, SystemModel
from .run import RunStats

COMBINED = "combined"

GAP_POLICY = (
    "a gap is a maximal run of consecutive uncovered steps; gaps touching the start or end "
    "of the window count with their in-window length (STK's default); a cell never covered "
    "has one gap, the whole window; lengths are steps x step_s; mean_gap_s is 0 for a cell "
    "covered at every step")
VISIBILITY_MODEL = (
    "satellite visible from a cell centre (WGS84, at elevation_m + antenna height) when its "
    "geometric elevation (no refraction) is >= the system's min_elevation_deg, above the "
    "terrain horizon of its azimuth sector (sector k covers [k, k+1) * 360/K deg from north), "
    "and, where gso_exclusion_deg > 0, at least that angle away from every direction to the "
    "geostationary ring (radius 42164.17 km; the whole ring counts)")
LATENCY_MODEL = (
    "round trip user -> satellite -> gateway -> satellite -> user over a bent pipe, the "
    "gateway assumed at the same slant range as the user: 4 x slant range / c, with the "
    "serving satellite the visible one of highest elevation; propagation delay only (no "
    "processing, queueing or ground network)")
COMBINED_DEFINITION = (
    "union over licensed systems: covered when any licensed system covers the cell; "
    "n_visible sums their visible satellites; n_or_more holds when any licensed system "
    "meets its own n_required; best elevation is the highest over them and latency the "
    "lowest (the user picks the nearest serving satellite)")
FAILURE_POLICY = (
    "(satellite, step) pairs SGP4 cannot propagate (decayed or bad element sets) are left out "
    "of the visible sets and counted in propagation_failures; a warning is issued")


def package_version() -> str:
    try:
        return version("hybridplan")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def _var(name: str, values, **extra) -> tuple:
    """``(dims, values, attrs)`` with dims, units, long name and flags from the contract."""
    return contract_var(name, values, **extra)


def fom_dataset(acc: Accumulator, stats: RunStats, ground: Ground,
                systems: Sequence[SystemModel], window: TimeGrid,
                grid: xr.Dataset | None = None, series_cells: Sequence[int] = (),
                attrs: Mapping[str, object] | None = None) -> xr.Dataset:
    """The figure-of-merit Dataset of one run (dims ``system`` and ``cell``).

    See :func:`hybridplan.coverage.compute_coverage` for the variables.
    """
    n = acc.n_steps
    names = [s.name for s in systems] + [COMBINED]
    field = acc.field
    covered = field(F_COVERED)
    longest, total, count = acc.gaps()
    with np.errstate(invalid="ignore", divide="ignore"):
        best_el = np.where(covered > 0, field(F_BEST_EL_NDEG) / NANO_DEGREE / covered, np.nan)
        slant_km = np.where(covered > 0, field(F_SLANT_MM) / MM_PER_KM / covered, np.nan)
        mean_gap = np.where(count > 0, total / np.maximum(count, 1), 0.0) * window.step_s
    pct = 100.0 / n
    data = {
        "pct_time_covered": _var("pct_time_covered", covered * pct),
        "pct_time_covered_open_sky": _var("pct_time_covered_open_sky",
                                          field(F_COVERED_OPEN) * pct),
        "n_visible_mean": _var("n_visible_mean", field(F_NVIS_SUM) / n),
        "n_visible_min": _var("n_visible_min", field(F_NVIS_MIN).astype(np.int32)),
        "n_visible_max": _var("n_visible_max", field(F_NVIS_MAX).astype(np.int32)),
        "pct_time_n_or_more": _var("pct_time_n_or_more", field(F_N_OR_MORE) * pct),
        "max_gap_s": _var("max_gap_s", longest * float(window.step_s), gap_policy=GAP_POLICY),
        "mean_gap_s": _var("mean_gap_s", mean_gap, gap_policy=GAP_POLICY),
        "n_gaps": _var("n_gaps", count.astype(np.int32), gap_policy=GAP_POLICY),
        "best_elevation_mean_deg": _var("best_elevation_mean_deg", best_el),
        "latency_rtt_mean_ms": _var("latency_rtt_mean_ms",
                                    4.0 * slant_km / SPEED_OF_LIGHT_KM_S * 1e3,
                                    latency_model=LATENCY_MODEL),
    }
    data.update(_system_variables(systems, acc))
    coords = {
        "system": ("system", np.array(names, dtype=str), {"long_name": "satellite system",
                                                         "units": "1"}),
        "cell": ("cell", np.asarray(ground.cells), {"long_name": "H3 cell index", "units": "1"}),
        "lat": ("cell", ground.lat_deg, {"units": "degrees_north",
                                         "long_name": "latitude of the cell centre",
                                         "standard_name": "latitude"}),
        "lon": ("cell", ground.lon_deg, {"units": "degrees_east",
                                         "long_name": "longitude of the cell centre",
                                         "standard_name": "longitude"}),
    }
    if grid is not None and "cell" in grid.coords:
        coords["cell"] = ("cell", np.asarray(grid["cell"].values),
                          dict(grid["cell"].attrs) or coords["cell"][2])
    if len(series_cells):
        data.update(_series_variables(acc, window))
        coords["time"] = ("time", window.datetimes64(), {"long_name": "time (UTC)"})
        coords["series_cell"] = ("series_cell", np.asarray(ground.cells)[list(series_cells)],
                                 {"long_name": "H3 cell index of a time-series cell",
                                  "units": "1"})
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update({
        "title": "hybridplan coverage figures of merit",
        "Conventions": "CF-1.8",
        "hybridplan_version": package_version(),
        "window_start_utc": window.start_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "window_end_utc": window.end_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "step_s": float(window.step_s),
        "n_steps": int(n),
        "terrain": int(ground.terrain),
        "antenna_height_m": ground.antenna_height_m,
        "visibility_model": VISIBILITY_MODEL,
        "gap_policy": GAP_POLICY,
        "latency_model": LATENCY_MODEL,
        "combined_definition": COMBINED_DEFINITION,
        "propagation_failure_policy": FAILURE_POLICY,
        "propagation_failures_total": int(sum(stats.failures.values())),
        "satellite_epochs_propagated": int(stats.satellite_epochs_propagated),
    })
    ds.attrs.update(dict(attrs or {}))
    return ds


def _system_variables(systems: Sequence[SystemModel], acc: Accumulator) -> dict:
    def per_system(values, fill):
        return np.array(list(values) + [fill])

    epochs_lo, epochs_hi = [], []
    for s in systems:
        epochs = s.constellation.epochs_utc
        epochs_lo.append(str(epochs.min())[:19] + "Z" if len(epochs) else "")
        epochs_hi.append(str(epochs.max())[:19] + "Z" if len(epochs) else "")
    licensed = per_system((int(s.licensed) for s in systems), 1).astype(np.int8)
    return {
        "min_elevation_deg": _var("min_elevation_deg", per_system(
            (s.min_elevation_deg for s in systems), np.nan)),
        "gso_exclusion_deg": _var("gso_exclusion_deg", per_system(
            (s.gso_exclusion_deg for s in systems), np.nan)),
        "n_required": _var("n_required", per_system((s.n_required for s in systems), 0)
                           .astype(np.int16)),
        "licensed": _var("licensed", licensed),
        "backhaul": _var("backhaul", per_system((int(s.backhaul) for s in systems), 0)
                         .astype(np.int8)),
        "orbit_class": _var("orbit_class", per_system((s.orbit_class for s in systems),
                                                      COMBINED).astype(str)),
        "n_satellites": _var("n_satellites", per_system(
            (len(s.constellation) for s in systems),
            sum(len(s.constellation) for s in systems if s.licensed)).astype(np.int32)),
        "propagation_failures": _var("propagation_failures", per_system(
            acc.failures, int(sum(f for f, s in zip(acc.failures, systems, strict=True)
                                  if s.licensed))).astype(np.int64), policy=FAILURE_POLICY),
        "element_set_epoch_min": _var("element_set_epoch_min",
                                      per_system(epochs_lo, "").astype(str)),
        "element_set_epoch_max": _var("element_set_epoch_max",
                                      per_system(epochs_hi, "").astype(str)),
    }


def _series_variables(acc: Accumulator, window: TimeGrid) -> dict:
    return {
        "series_n_visible": _var("series_n_visible", acc.series_n.astype(np.int32)),
        "series_covered_open_sky": _var("series_covered_open_sky",
                                        acc.series_open.astype(np.int8)),
        "series_best_elevation_deg": _var("series_best_elevation_deg", acc.series_best_deg),
    }
