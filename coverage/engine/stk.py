"""STK-style views of a figure-of-merit Dataset: coverage by latitude band and the gap
list of a series cell. Pure post-processing of :func:`compute_coverage` output.

Coverage by latitude (STK's "Coverage by Latitude" report): per latitude band, the
area-weighted mean of a per-cell figure of merit over the cells whose centres fall in
the band (cell areas from the grid's ``area_km2``; equal weights when not given).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..errors import CoverageError


def coverage_by_latitude(
    fom: xr.Dataset,
    band_deg: float = 5.0,
    area_km2: xr.DataArray | None = None,
    variable: str = "pct_time_covered",
) -> xr.Dataset:
    """Area-weighted mean of ``variable`` per latitude band.

    Parameters
    ----------
    fom : xarray.Dataset
        From :func:`compute_coverage` (dims ``system``, ``cell``; coordinate ``lat``).
    band_deg : float
        Band width [deg]; bands are ``[k, k + 1) * band_deg`` (the top one includes 90).
    area_km2 : xarray.DataArray, optional
        Cell areas [km2] on ``cell`` (e.g. ``grid["area_km2"]``); default equal weights.
    variable : str
        A ``(system, cell)`` variable.

    Returns
    -------
    xarray.Dataset
        ``variable`` with dims ``(system, lat_band)`` (band centres [degrees_north]; bands
        without cells are left out), ``n_cells`` and ``area_km2`` per band.
    """
    if not 0 < band_deg <= 180:
        raise CoverageError(f"band_deg = {band_deg!r}: expected 0 < band_deg <= 180 deg")
    if variable not in fom or set(fom[variable].dims) != {"system", "cell"}:
        raise CoverageError(
            f"coverage_by_latitude: {variable!r} is not a (system, cell) variable of the Dataset"
        )
    lat = np.asarray(fom["lat"].values, dtype=np.float64)
    weights = (
        np.ones(lat.size) if area_km2 is None else np.asarray(area_km2.values, dtype=np.float64)
    )
    n_bands = int(np.ceil(180.0 / band_deg))
    band = np.clip(np.floor((lat + 90.0) / band_deg).astype(int), 0, n_bands - 1)
    used = np.unique(band)
    values = fom[variable].transpose("system", "cell").values
    out = np.empty((values.shape[0], used.size))
    counts, areas = np.empty(used.size, np.int64), np.empty(used.size)
    for k, b in enumerate(used):
        member = band == b
        w = weights[member]
        out[:, k] = (values[:, member] * w).sum(axis=1) / w.sum()
        counts[k], areas[k] = member.sum(), w.sum()
    centres = -90.0 + (used + 0.5) * band_deg
    attrs = dict(fom[variable].attrs)
    attrs["long_name"] = f"{attrs.get('long_name', variable)} (area-weighted mean per band)"
    return xr.Dataset(
        {
            variable: (("system", "lat_band"), out, attrs),
            "n_cells": ("lat_band", counts, {"units": "1", "long_name": "cells in the band"}),
            "area_km2": (
                "lat_band",
                areas,
                {
                    "units": "km2",
                    "long_name": "area of the band's cells"
                    if area_km2 is not None
                    else "cells in the band (equal weights)",
                },
            ),
        },
        coords={
            "system": fom["system"].values,
            "lat_band": (
                "lat_band",
                centres,
                {
                    "units": "degrees_north",
                    "long_name": "latitude band centre",
                    "band_width_deg": float(band_deg),
                },
            ),
        },
        attrs={"band_deg": float(band_deg)},
    )


def gap_list(fom: xr.Dataset, cell: str, system: str) -> xr.Dataset:
    """The coverage gaps of one series cell: start, stop (exclusive) and duration.

    Needs ``series_n_visible`` (run :func:`compute_coverage` with ``series_cells``).
    Gaps are maximal runs of uncovered steps, under the Dataset's gap policy (edge gaps
    with their in-window length); ``stop`` is the first covered step (or the window end).
    """
    if "series_n_visible" not in fom:
        raise CoverageError(
            "gap_list needs per-step series: pass series_cells=[...] to compute_coverage"
        )
    if str(cell) not in [str(c) for c in fom["series_cell"].values]:
        raise CoverageError(
            f"gap_list: {cell!r} is not a series cell; series cells: "
            f"{', '.join(map(str, fom['series_cell'].values[:5]))}"
        )
    covered = fom["series_n_visible"].sel(system=system, series_cell=cell).values > 0
    step_s = float(fom.attrs["step_s"])
    times = fom["time"].values
    edges = np.diff(np.concatenate([[1], covered.astype(np.int8), [1]]))
    starts = np.flatnonzero(edges == -1)
    stops = np.flatnonzero(edges == 1)
    end = times[-1] + np.timedelta64(int(round(step_s * 1e3)), "ms")
    stop_times = np.array([times[k] if k < times.size else end for k in stops], dtype=times.dtype)
    return xr.Dataset(
        {
            "start": ("gap", times[starts], {"long_name": "first uncovered step (UTC)"}),
            "stop": (
                "gap",
                stop_times,
                {"long_name": "first covered step after the gap, or the window end (UTC)"},
            ),
            "duration_s": (
                "gap",
                (stops - starts) * step_s,
                {
                    "units": "s",
                    "long_name": "gap duration",
                    "gap_policy": str(fom.attrs.get("gap_policy", "")),
                },
            ),
        },
        coords={"gap": np.arange(starts.size)},
        attrs={"cell": str(cell), "system": str(system)},
    )
