"""How many satellites are needed: the inverse question of a sweep (research/ecosystem.md
section 3.4).

Two ways, chosen by what the parameter does to the satellites:

* :func:`required` reads a sweep Dataset: the smallest sampled value of a parameter
  (planes, satellites per plane, altitude; or the *largest* minimum elevation) at which
  a cell, a set of cells (a district) or the region meets a target. Coverage need not be
  monotone in such a parameter: a Walker shell with S + 1 satellites per plane re-spaces
  every satellite, so it is not a superset of the shell with S. The smallest meeting
  value is reported and ``non_monotone`` flags a larger sampled value that fails again.
* :func:`required_count` bisects where the parameter only *adds* satellites to a fixed
  set (the first k planes of a fixed shell, the first k launches of a deployment):
  adding satellites never removes coverage (DESIGN.md's property), so "meets" is
  monotone in k and bisection finds the smallest k with O(log n) engine runs.

"Meets" for a cell: ``figure >= target_pct`` (``figure`` is ``pct_time_covered`` or
``pct_time_n_or_more`` for N-asset coverage). For several cells or the region: cells
meeting it hold at least ``share_pct`` of the area (100: every cell).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr
from hybridplan.tle import Constellation, TimeGrid

from ..engine import EngineOptions, SystemModel, compute_coverage
from ..errors import CoverageError

LARGER_IS_HARDER = ("min_elevation_deg", "gso_exclusion_deg", "n_required")
"""Parameters whose *largest* meeting value is wanted (a stricter terminal or rule)."""


def _meets(
    pct: xr.DataArray, area: xr.DataArray, target_pct: float, share_pct: float
) -> xr.DataArray:
    """Whether cells meeting ``target_pct`` hold ``share_pct`` of the area (NaN: not run)."""
    ok = (pct >= target_pct).astype(float)
    share = 100.0 * (ok * area).sum("cell") / float(area.sum())
    run = pct.notnull().all("cell")
    return (share >= share_pct - 1e-9).where(run)


def required(
    ds: xr.Dataset,
    parameter: str,
    target_pct: float,
    *,
    system: str,
    cells: Sequence[str] | str | None = None,
    district: str | None = None,
    figure: str = "pct_time_covered",
    share_pct: float = 100.0,
    direction: str | None = None,
) -> xr.Dataset:
    """Smallest (or largest) sampled ``parameter`` value meeting the target, per point of
    the other swept dimensions.

    Parameters
    ----------
    ds : xarray.Dataset
        A sweep Dataset with per-cell figures (``per_cell = true``) and ``area_km2`` or
        the grid's cells (equal weights when no area is given).
    parameter : str
        A dimension of ``ds`` (e.g. ``"planes"``, ``"sats_per_plane"``).
    target_pct : float
        Percent of time the figure must reach in a cell [percent].
    system : str
        The ``system`` row to judge (e.g. the swept system or ``"combined"``).
    cells, district : optional
        One cell, a list of cells, or a district (``ds`` needs the ``district``
        coordinate); default: the whole region.
    figure : {"pct_time_covered", "pct_time_n_or_more"}
    share_pct : float
        Share of the area [percent] that must meet it (100: every cell).
    direction : {"smallest", "largest"}, optional
        Default: largest for :data:`LARGER_IS_HARDER`, else smallest.

    Returns
    -------
    xarray.Dataset
        ``required_<parameter>`` (NaN when no sampled value meets), ``non_monotone``
        (a value beyond the answer fails again), ``meets`` (per sampled value), over the
        other swept dimensions.
    """
    if figure not in ds or "cell" not in ds[figure].dims:
        raise CoverageError(
            f"required: the sweep has no per-cell {figure!r}; run it with per_cell = true"
        )
    if parameter not in ds.dims:
        raise CoverageError(
            f"required: {parameter!r} is not a swept dimension (swept: "
            f"{', '.join(d for d in ds['point_status'].dims)})"
        )
    direction = direction or ("largest" if parameter in LARGER_IS_HARDER else "smallest")
    if direction not in ("smallest", "largest"):
        raise CoverageError(
            f"required: direction = {direction!r}: expected 'smallest' or 'largest'"
        )
    pct = ds[figure].sel(system=system)
    if district is not None:
        if "district" not in ds.coords:
            raise CoverageError("required: the sweep has no 'district' coordinate")
        pct = pct.where(ds["district"] == district, drop=True)
        if pct.sizes["cell"] == 0:
            raise CoverageError(f"required: no cell in district {district!r}")
    elif cells is not None:
        pct = pct.sel(cell=[cells] if isinstance(cells, str) else list(cells))
    area = (
        ds["area_km2"].sel(cell=pct["cell"])
        if "area_km2" in ds
        else xr.ones_like(pct["cell"], dtype=float)
    )
    meets = _meets(pct, area, target_pct, share_pct)
    values = np.asarray(ds[parameter].values)
    order = np.argsort(values) if direction == "smallest" else np.argsort(values)[::-1]
    ordered = meets.isel({parameter: order})
    ok = ordered.fillna(0).astype(bool).values
    axis = ordered.get_axis_num(parameter)
    first = np.argmax(ok, axis=axis)
    found = ok.any(axis=axis)
    answer = np.where(found, values[order][first], np.nan)
    # non-monotone: after the first meeting value, a later (more satellites / stricter)
    # value that was run fails again
    ran = ordered.notnull().values
    position = np.arange(ok.shape[axis]).reshape([-1 if a == axis else 1 for a in range(ok.ndim)])
    after = position > np.expand_dims(first, axis)
    fails_later = (after & ran & ~ok).any(axis=axis) & found
    other = [d for d in ordered.dims if d != parameter]
    coords = {d: ordered[d] for d in other}
    attrs = dict(ds[parameter].attrs)
    attrs["long_name"] = (
        f"{direction} sampled {parameter} with {figure} >= {target_pct:g} % "
        f"over {share_pct:g} % of the area"
    )
    return xr.Dataset(
        {
            f"required_{parameter}": (other, answer, attrs),
            "non_monotone": (
                other,
                fails_later,
                {
                    "units": "1",
                    "long_name": f"a {parameter} beyond the answer fails again "
                    "(coverage is not monotone in it; do not interpolate)",
                },
            ),
            "meets": (meets.dims, meets.values, {"units": "1", "long_name": "target met"}),
        },
        coords={**coords, parameter: ds[parameter]},
        attrs={
            "target_pct": float(target_pct),
            "share_pct": float(share_pct),
            "figure": figure,
            "system": system,
            "direction": direction,
        },
    )


@dataclass(frozen=True)
class CountResult:
    """Result of :func:`required_count`.

    Attributes
    ----------
    count : int or None
        Smallest number of groups meeting the target (None: not even all of them).
    n_satellites : int or None
        Satellites in those groups.
    evaluated : dict
        Group count -> whether it met the target (every engine run made).
    """

    count: int | None
    n_satellites: int | None
    evaluated: dict


def required_count(
    grid: xr.Dataset,
    groups: Sequence[Constellation],
    window: TimeGrid,
    target_pct: float,
    *,
    min_elevation_deg: float,
    n_required: int = 1,
    gso_exclusion_deg: float = 0.0,
    cells: Sequence[str] | None = None,
    share_pct: float = 100.0,
    figure: str = "pct_time_covered",
    terrain: bool = False,
    options: EngineOptions | None = None,
    evaluate: Callable[[int], bool] | None = None,
) -> CountResult:
    """Smallest k such that the first k ``groups`` together meet the target, by bisection.

    Valid because every group only adds satellites: the first k + 1 groups are a superset
    of the first k, so coverage (and N-asset coverage) never drops as k grows.

    Parameters
    ----------
    groups : sequence of Constellation
        The fixed set in the order satellites are added (e.g. the planes of a shell).
    evaluate : callable, optional
        ``k -> bool`` replacing the engine run (tests, or a cached evaluation).
    """
    if not groups:
        raise CoverageError("required_count: give at least one group of satellites")
    evaluated: dict[int, bool] = {}

    def meets(k: int) -> bool:
        if k not in evaluated:
            if evaluate is not None:
                evaluated[k] = bool(evaluate(k))
            else:
                satellites = (
                    groups[0].union(*groups[1:k], label="first groups") if k > 1 else groups[0]
                )
                system = SystemModel(
                    "required", satellites, min_elevation_deg, n_required, gso_exclusion_deg
                )
                fom = compute_coverage(grid, [system], window, terrain=terrain, options=options)
                pct = fom[figure].sel(system="required")
                if cells is not None:
                    pct = pct.sel(cell=list(cells))
                area = (
                    grid["area_km2"].sel(cell=pct["cell"])
                    if "area_km2" in grid
                    else xr.ones_like(pct["cell"], dtype=float)
                )
                evaluated[k] = bool(_meets(pct, area, target_pct, share_pct))
        return evaluated[k]

    lo, hi = 1, len(groups)
    if not meets(hi):
        return CountResult(None, None, evaluated)
    while lo < hi:
        mid = (lo + hi) // 2
        if meets(mid):
            hi = mid
        else:
            lo = mid + 1
    return CountResult(lo, int(sum(len(g) for g in groups[:lo])), evaluated)
