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


def _var(dims, values, units: str, long_name: str, **extra) -> tuple:
    return dims, values, {"units": units, "long_name": long_name, **extra}


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
    sc = ("system", "cell")
    pct = 100.0 / n
    data = {
        "pct_time_covered": _var(sc, covered * pct, "percent",
                                 "percentage of time steps with at least one visible satellite"),
        "pct_time_covered_open_sky": _var(
            sc, field(F_COVERED_OPEN) * pct, "percent",
            "percentage of time steps with at least one satellite visible ignoring terrain"),
        "n_visible_mean": _var(sc, field(F_NVIS_SUM) / n, "1",
                               "mean number of visible satellites"),
        "n_visible_min": _var(sc, field(F_NVIS_MIN).astype(np.int32), "1",
                              "smallest number of visible satellites at any step"),
        "n_visible_max": _var(sc, field(F_NVIS_MAX).astype(np.int32), "1",
                              "largest number of visible satellites at any step"),
        "pct_time_n_or_more": _var(
            sc, field(F_N_OR_MORE) * pct, "percent",
            "percentage of time steps with at least n_required visible satellites"),
        "max_gap_s": _var(sc, longest * float(window.step_s), "s",
                          "longest coverage gap", gap_policy=GAP_POLICY),
        "mean_gap_s": _var(sc, mean_gap, "s", "mean coverage gap", gap_policy=GAP_POLICY),
        "n_gaps": _var(sc, count.astype(np.int32), "1", "number of coverage gaps",
                       gap_policy=GAP_POLICY),
        "best_elevation_mean_deg": _var(
            sc, best_el, "degree",
            "mean over covered steps of the highest elevation of a visible satellite"),
        "latency_rtt_mean_ms": _var(
            sc, 4.0 * slant_km / SPEED_OF_LIGHT_KM_S * 1e3, "ms",
            "mean round-trip propagation delay over covered steps (bent pipe, gateway at "
            "equal slant range)", latency_model=LATENCY_MODEL),
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
        "min_elevation_deg": _var("system", per_system(
            (s.min_elevation_deg for s in systems), np.nan), "degree",
            "minimum elevation of the user terminal (combined: each system's own)"),
        "gso_exclusion_deg": _var("system", per_system(
            (s.gso_exclusion_deg for s in systems), np.nan), "degree",
            "GSO arc avoidance angle, 0 = none (combined: each system's own)"),
        "n_required": _var("system", per_system((s.n_required for s in systems), 0)
                           .astype(np.int16), "1",
                           "N of N-asset coverage (combined: 0, each system's own N)"),
        "licensed": _var("system", licensed, "1", "licensed to serve the region",
                         flag_values=np.array([0, 1], dtype=np.int8),
                         flag_meanings="not_licensed licensed"),
        "backhaul": _var("system", per_system((int(s.backhaul) for s in systems), 0)
                         .astype(np.int8), "1", "usable as a backhaul option "
                         "(combined: 0, it is not one system)",
                         flag_values=np.array([0, 1], dtype=np.int8),
                         flag_meanings="not_backhaul backhaul"),
        "orbit_class": _var("system", per_system((s.orbit_class for s in systems),
                                                 COMBINED).astype(str), "1",
                            "orbit class from mean altitudes (LEO < 2000 km, GEO "
                            "35000-36600 km, else MEO)"),
        "n_satellites": _var("system", per_system((len(s.constellation) for s in systems),
                                                  sum(len(s.constellation) for s in systems
                                                      if s.licensed)).astype(np.int32),
                             "1", "number of satellites (combined: over licensed systems)"),
        "propagation_failures": _var("system", per_system(
            acc.failures, int(sum(f for f, s in zip(acc.failures, systems, strict=True)
                                  if s.licensed))).astype(np.int64), "1",
            "(satellite, step) pairs SGP4 could not propagate", policy=FAILURE_POLICY),
        "element_set_epoch_min": _var("system", per_system(epochs_lo, "").astype(str), "1",
                                      "earliest element-set epoch (UTC, ISO 8601)"),
        "element_set_epoch_max": _var("system", per_system(epochs_hi, "").astype(str), "1",
                                      "latest element-set epoch (UTC, ISO 8601)"),
    }


def _series_variables(acc: Accumulator, window: TimeGrid) -> dict:
    dims = ("time", "system", "series_cell")
    return {
        "series_n_visible": _var(dims, acc.series_n.astype(np.int32), "1",
                                 "number of visible satellites per step"),
        "series_covered_open_sky": _var(dims, acc.series_open.astype(np.int8), "1",
                                        "covered ignoring terrain, per step",
                                        flag_values=np.array([0, 1], dtype=np.int8),
                                        flag_meanings="not_covered covered"),
        "series_best_elevation_deg": _var(dims, acc.series_best_deg, "degree",
                                          "highest elevation of a visible satellite per step "
                                          "(NaN when none is visible)"),
    }
