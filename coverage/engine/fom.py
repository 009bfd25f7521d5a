"""Figures of merit from the accumulators, as a labelled ``xarray.Dataset``.

Names follow STK Coverage (``pct_time_covered``, ``n_visible_mean`` ...) so users can
compare. Every variable has ``units`` and ``long_name``; flags use CF ``flag_values`` /
``flag_meanings``. The row ``combined`` is the union over the licensed systems.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import xarray as xr
from hybridplan.tle import TimeGrid
from numba import njit

from ..contract import contract_var
from .accumulator import Accumulator, fixed_point_weights
from .geometry import SPEED_OF_LIGHT_KM_S
from .kernel import (
    F_BEST_EL_NDEG,
    F_COVERED,
    F_COVERED_OPEN,
    F_N_OR_MORE,
    F_NVIS_MAX,
    F_NVIS_MIN,
    F_NVIS_SUM,
    F_PATH_MM,
    GAP_BIN_LOWER_STEPS,
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
    "covered at every step"
)
VISIBILITY_MODEL = (
    "satellite visible from a cell centre (WGS84, at elevation_m + antenna height) when its "
    "geometric elevation (no refraction) is >= the system's min_elevation_deg, above the "
    "terrain horizon of its azimuth sector (sector k covers [k, k+1) * 360/K deg from north), "
    "and, where gso_exclusion_deg > 0, at least that angle away from every direction to the "
    "geostationary ring (radius 42164.17 km; the whole ring counts)"
)
LATENCY_MODEL = (
    "round trip user -> satellite -> gateway -> satellite -> user over a bent pipe: "
    "2 x (user slant range + gateway slant range) / c, with the serving satellite the "
    "visible one of highest elevation and its gateway the nearest of the system's gateways "
    "that sees it at or above the gateway's minimum elevation; for a system without "
    "gateways the gateway is assumed at the user's slant range (4 x slant range / c); each "
    "range rounded to the millimetre; propagation delay only (no processing, queueing or "
    "ground network)"
)
COMBINED_DEFINITION = (
    "union over licensed systems: covered when any licensed system covers the cell; "
    "n_visible sums their visible satellites; n_or_more holds when any licensed system "
    "meets its own n_required; best elevation is the highest over them and latency the "
    "lowest (the user picks the nearest serving satellite)"
)
FAILURE_POLICY = (
    "(satellite, step) pairs SGP4 cannot propagate (decayed or bad element sets) are left out "
    "of the visible sets and counted in propagation_failures; a warning is issued"
)


def package_version() -> str:
    try:
        return version("hybridplan")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def _stk_var(dims, values, units: str, long_name: str, **extra) -> tuple:
    """An STK figure of merit; its contract row is checked by ``validate_plan``."""
    return dims, values, {"units": units, "long_name": long_name, **extra}


def _var(name: str, values, **extra) -> tuple:
    """``(dims, values, attrs)`` with dims, units, long name and flags from the contract."""
    return contract_var(name, values, **extra)


def fom_dataset(
    acc: Accumulator,
    stats: RunStats,
    ground: Ground,
    systems: Sequence[SystemModel],
    window: TimeGrid,
    grid: xr.Dataset | None = None,
    series_cells: Sequence[int] = (),
    attrs: Mapping[str, object] | None = None,
    weights: Mapping[str, np.ndarray] | None = None,
) -> xr.Dataset:
    """The figure-of-merit Dataset of one run (dims ``system`` and ``cell``).

    See :func:`hybridplan.coverage.compute_coverage` for the variables;
    ``weights`` (``"cells"``, ``"area"``, ``"population"`` -> per-cell weights, in the
    order the run summed them) give the percent-satisfied-over-time series.
    """
    n = acc.n_steps
    names = [s.name for s in systems] + [COMBINED]
    field = acc.field
    covered = field(F_COVERED)
    longest, total, count = acc.gaps()
    with np.errstate(invalid="ignore", divide="ignore"):
        best_el = np.where(covered > 0, field(F_BEST_EL_NDEG) / NANO_DEGREE / covered, np.nan)
        path_km = np.where(covered > 0, field(F_PATH_MM) / MM_PER_KM / covered, np.nan)
        mean_gap = np.where(count > 0, total / np.maximum(count, 1), 0.0) * window.step_s
    pct = 100.0 / n
    data = {
        "pct_time_covered": _var("pct_time_covered", covered * pct),
        "pct_time_covered_open_sky": _var("pct_time_covered_open_sky", field(F_COVERED_OPEN) * pct),
        "n_visible_mean": _var("n_visible_mean", field(F_NVIS_SUM) / n),
        "n_visible_min": _var("n_visible_min", field(F_NVIS_MIN).astype(np.int32)),
        "n_visible_max": _var("n_visible_max", field(F_NVIS_MAX).astype(np.int32)),
        "pct_time_n_or_more": _var("pct_time_n_or_more", field(F_N_OR_MORE) * pct),
        "max_gap_s": _var("max_gap_s", longest * float(window.step_s), gap_policy=GAP_POLICY),
        "mean_gap_s": _var("mean_gap_s", mean_gap, gap_policy=GAP_POLICY),
        "n_gaps": _var("n_gaps", count.astype(np.int32), gap_policy=GAP_POLICY),
        "best_elevation_mean_deg": _var("best_elevation_mean_deg", best_el),
        "latency_rtt_mean_ms": _var(
            "latency_rtt_mean_ms",
            2.0 * path_km / SPEED_OF_LIGHT_KM_S * 1e3,
            latency_model=LATENCY_MODEL,
        ),
    }
    if acc.has_stk:
        data.update(stk_variables(acc, window.step_s))
    data.update(_system_variables(systems, acc))
    coords = {
        "system": (
            "system",
            np.array(names, dtype=str),
            {"long_name": "satellite system", "units": "1"},
        ),
        "cell": ("cell", np.asarray(ground.cells), {"long_name": "H3 cell index", "units": "1"}),
        "lat": (
            "cell",
            ground.lat_deg,
            {
                "units": "degrees_north",
                "long_name": "latitude of the cell centre",
                "standard_name": "latitude",
            },
        ),
        "lon": (
            "cell",
            ground.lon_deg,
            {
                "units": "degrees_east",
                "long_name": "longitude of the cell centre",
                "standard_name": "longitude",
            },
        ),
    }
    if grid is not None and "cell" in grid.coords:
        coords["cell"] = (
            "cell",
            np.asarray(grid["cell"].values),
            dict(grid["cell"].attrs) or coords["cell"][2],
        )
    if acc.has_stk:
        coords["percentile"] = (
            "percentile",
            np.array(PERCENTILES),
            {"units": "percent", "long_name": "percentile level (percent of gaps or of time)"},
        )
    if acc.step_sums is not None and weights and acc.step_sums.shape[-1] == len(weights):
        data.update(satisfied_over_time(acc.step_sums, weights))
        coords["time"] = ("time", window.datetimes64(), {"long_name": "time (UTC)"})
    if len(series_cells):
        data.update(_series_variables(acc, window))
        coords["time"] = ("time", window.datetimes64(), {"long_name": "time (UTC)"})
        coords["series_cell"] = (
            "series_cell",
            np.asarray(ground.cells)[list(series_cells)],
            {"long_name": "H3 cell index of a time-series cell", "units": "1"},
        )
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update(
        {
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
            "stk_fom_definitions": STK_DEFINITIONS,
            "combined_definition": COMBINED_DEFINITION,
            "propagation_failure_policy": FAILURE_POLICY,
            "propagation_failures_total": int(sum(stats.failures.values())),
            "satellite_epochs_propagated": int(stats.satellite_epochs_propagated),
        }
    )
    gateways = gateway_provenance(systems)
    if gateways:
        ds.attrs["bent_pipe_gateways"] = gateways
    ds.attrs.update(dict(attrs or {}))
    return ds


def gateway_provenance(systems: Sequence[SystemModel]) -> str:
    """The gateways of each system with gateways, as one line of text for the Dataset's
    attributes (``""`` when none has any): ``system: name (lat, lon, height, min el); ..``."""
    parts = []
    for system in systems:
        if system.gateways:
            sites = ", ".join(
                f"{g.name} ({g.lat_deg:.6f} N, {g.lon_deg:.6f} E, {g.height_m:g} m, "
                f">= {g.min_elevation_deg:g} deg)"
                for g in system.gateways
            )
            parts.append(f"{system.name}: {sites}")
    return "; ".join(parts)


PERCENTILES = (50.0, 90.0, 95.0, 99.0)
"""Percentile levels of the revisit- and response-time figures [percent]."""

STK_DEFINITIONS = (
    "STK Coverage names, on time samples: revisit time = gap duration (mean per gap, max, "
    "percentiles over gaps); response time at a sample = time until the next covered sample "
    "(0 when covered; in a gap of L steps the samples wait L, L-1, .., 1 steps), mean over all "
    "samples = sum L(L+1)/2 / n_steps x step (STK's continuous sum L^2 / 2T as the step "
    "shrinks), max = longest gap, percent below over all samples; time-average gap = sum "
    "L^2 / n_steps x step (the gap one falls into at a random time); access = maximal run of "
    "covered steps, edges in-window like gaps. Percentiles stream through a fixed histogram of "
    "gap lengths in steps (bins 1..8 steps exact, then 2^(1/3) wide up to 2048 steps, the last "
    "open); each is the largest length of its bin, capped by the longest gap (so exact for "
    "gaps up to 7 steps, and revisit percentiles never below the truth); response-time "
    "percentiles count each gap at that length (within one bin of the truth either way)"
)


def stk_variables(acc: Accumulator, step_s: float) -> dict:
    """STK figures of merit per (system, cell) from an accumulator (see STK_DEFINITIONS)."""
    n = acc.n_steps
    sc = ("system", "cell")
    longest, total, count = acc.gaps()
    squares = acc.gap_squares()
    hist = acc.gap_histogram()
    n_acc, acc_max, acc_min = acc.accesses()
    covered = acc.field(F_COVERED)
    revisit_q, response_q = _percentiles(hist, longest, covered, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        access_mean = np.where(n_acc > 0, covered / np.maximum(n_acc, 1), np.nan)
    some = n_acc > 0
    spc = ("system", "cell", "percentile")
    step = float(step_s)
    return {
        "revisit_time_percentile_s": _stk_var(
            spc,
            revisit_q * step,
            "s",
            "revisit time (gap duration) percentile over gaps",
            definition=STK_DEFINITIONS,
        ),
        "response_time_mean_s": _stk_var(
            sc,
            (squares + total) / 2.0 / n * step,
            "s",
            "mean response time (time until the next covered sample) over all samples",
            definition=STK_DEFINITIONS,
        ),
        "response_time_max_s": _stk_var(
            sc, longest * step, "s", "largest response time", definition=STK_DEFINITIONS
        ),
        "response_time_percentile_s": _stk_var(
            spc,
            response_q * step,
            "s",
            "response time percentile over all samples",
            definition=STK_DEFINITIONS,
        ),
        "time_average_gap_s": _stk_var(
            sc,
            squares / n * step,
            "s",
            "time-average gap (sum of squared gaps / window)",
            definition=STK_DEFINITIONS,
        ),
        "access_count": _stk_var(
            sc,
            n_acc.astype(np.int32),
            "1",
            "number of accesses (maximal covered runs)",
            definition=STK_DEFINITIONS,
        ),
        "access_duration_mean_s": _stk_var(
            sc,
            access_mean * step,
            "s",
            "mean access duration (NaN: never covered)",
            definition=STK_DEFINITIONS,
        ),
        "access_duration_min_s": _stk_var(
            sc,
            np.where(some, acc_min * step, np.nan),
            "s",
            "shortest access",
            definition=STK_DEFINITIONS,
        ),
        "access_duration_max_s": _stk_var(
            sc,
            np.where(some, acc_max * step, np.nan),
            "s",
            "longest access",
            definition=STK_DEFINITIONS,
        ),
    }


def _percentiles(
    hist: np.ndarray, longest: np.ndarray, covered: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Revisit (over gaps) and response (over samples) percentiles [steps] from the gap
    histogram; each bin stands for its largest length, capped by the longest gap.

    ``hist`` (rows, cells, bins), ``longest`` and ``covered`` (rows, cells); returns two
    (rows, cells, percentiles) arrays (compiled, cell by cell: :func:`_cell_percentiles`).
    """
    upper = np.append(GAP_BIN_LOWER_STEPS[1:] - 1, np.iinfo(np.int64).max).astype(np.float64)
    levels = np.asarray(PERCENTILES) / 100.0
    shape = hist.shape[:-1]
    flat_hist = np.ascontiguousarray(hist.reshape(-1, hist.shape[-1]), dtype=np.int64)
    revisit = np.empty((flat_hist.shape[0], levels.size))
    response = np.empty((flat_hist.shape[0], levels.size))
    _cell_percentiles(
        flat_hist,
        np.ascontiguousarray(longest.reshape(-1), dtype=np.int64),
        np.ascontiguousarray(covered.reshape(-1), dtype=np.int64),
        int(n),
        upper,
        levels,
        revisit,
        response,
    )
    return revisit.reshape(shape + (levels.size,)), response.reshape(shape + (levels.size,))


@njit(cache=True, nogil=True)
def _cell_percentiles(hist, longest, covered, n, upper, levels, revisit, response):
    """Per cell (row of ``hist``): each bin's length ``rep_b = min(upper_b, longest)``.

    Revisit at level q: the smallest bin whose cumulative count reaches
    ``max(ceil(q * gaps - 1e-9), 1)`` gaps (0 without gaps).

    Response at level q: covered samples wait 0, and a gap of length L has one sample of
    each wait 1..L. The count of samples waiting <= r, ``covered + sum_b hist_b min(rep_b,
    r)``, is piecewise linear in r between the knots 0, rep_0, rep_1, ...; the answer is
    on the first piece whose end reaches ``ceil(q * n - 1e-9)`` samples. Every sum is of
    whole numbers below 2**53, so exact in float64.
    """
    n_bins = hist.shape[1]
    below = np.empty(n_bins + 1)
    knots = np.empty(n_bins + 1)
    rep = np.empty(n_bins)
    for i in range(hist.shape[0]):
        n_gaps = 0
        for b in range(n_bins):
            rep[b] = min(upper[b], float(longest[i]))
            n_gaps += hist[i, b]
        # revisit
        for k in range(levels.size):
            need = max(math.ceil(levels[k] * n_gaps - 1e-9), 1.0)
            value = rep[0]
            cum = 0
            for b in range(n_bins):
                cum += hist[i, b]
                if cum >= need:
                    value = rep[b]
                    break
            revisit[i, k] = value if n_gaps > 0 else 0.0
        # response: samples waiting <= knot m are the bins below m at their length and
        # the rest at knot m (knot m = rep_(m-1) rises along the bins)
        knots[0] = 0.0
        below[0] = float(covered[i])
        weighted = 0.0
        counted = 0
        for m in range(1, n_bins + 1):
            weighted += hist[i, m - 1] * rep[m - 1]
            counted += hist[i, m - 1]
            knots[m] = rep[m - 1]
            below[m] = float(covered[i]) + weighted + rep[m - 1] * float(n_gaps - counted)
        for k in range(levels.size):
            need = math.ceil(levels[k] * n - 1e-9)
            idx = 0
            for m in range(n_bins + 1):
                if below[m] >= need:
                    idx = m
                    break
            if idx == 0:
                response[i, k] = 0.0
                continue
            start = idx - 1
            knot = knots[start]
            slope = 0
            for b in range(n_bins):
                if rep[b] > knot:
                    slope += hist[i, b]
            response[i, k] = knot + math.ceil((need - below[start]) / max(slope, 1))


def satisfied_over_time(step_sums: np.ndarray, weights: Mapping[str, np.ndarray]) -> dict:
    """Percent of cells, area or population covered / meeting n_required, per step.

    ``step_sums``: ``(n_steps, n_rows, 2, n_weights)`` from the kernel, weights in the
    order of ``weights`` (name -> per-cell weights).
    """
    long = {"cells": "cells", "area": "area", "population": "population"}
    out = {}
    fixed = fixed_point_weights(np.stack(list(weights.values())))
    for w, name in enumerate(weights):
        total = float(fixed[w].sum())
        if total <= 0:
            continue
        for k, (what, text) in enumerate(
            (
                ("covered", "with at least one visible satellite"),
                ("n_or_more", ("with at least n_required visible satellites")),
            )
        ):
            out[f"pct_{long[name]}_{what}_over_time"] = _stk_var(
                ("time", "system"),
                100.0 * step_sums[:, :, k, w] / total,
                "percent",
                f"percentage of the region's {long[name]} {text}, per step (STK percent satisfied)",
            )
    return out


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
        "min_elevation_deg": _var(
            "min_elevation_deg", per_system((s.min_elevation_deg for s in systems), np.nan)
        ),
        "gso_exclusion_deg": _var(
            "gso_exclusion_deg", per_system((s.gso_exclusion_deg for s in systems), np.nan)
        ),
        "n_required": _var(
            "n_required", per_system((s.n_required for s in systems), 0).astype(np.int16)
        ),
        "licensed": _var("licensed", licensed),
        "backhaul": _var(
            "backhaul", per_system((int(s.backhaul) for s in systems), 0).astype(np.int8)
        ),
        "orbit_class": _var(
            "orbit_class", per_system((s.orbit_class for s in systems), COMBINED).astype(str)
        ),
        "n_satellites": _var(
            "n_satellites",
            per_system(
                (len(s.constellation) for s in systems),
                sum(len(s.constellation) for s in systems if s.licensed),
            ).astype(np.int32),
        ),
        "propagation_failures": _var(
            "propagation_failures",
            per_system(
                acc.failures,
                int(sum(f for f, s in zip(acc.failures, systems, strict=True) if s.licensed)),
            ).astype(np.int64),
            policy=FAILURE_POLICY,
        ),
        "element_set_epoch_min": _var(
            "element_set_epoch_min", per_system(epochs_lo, "").astype(str)
        ),
        "element_set_epoch_max": _var(
            "element_set_epoch_max", per_system(epochs_hi, "").astype(str)
        ),
    }


def _series_variables(acc: Accumulator, window: TimeGrid) -> dict:
    return {
        "series_n_visible": _var("series_n_visible", acc.series_n.astype(np.int32)),
        "series_covered_open_sky": _var("series_covered_open_sky", acc.series_open.astype(np.int8)),
        "series_best_elevation_deg": _var("series_best_elevation_deg", acc.series_best_deg),
    }
