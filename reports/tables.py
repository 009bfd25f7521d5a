"""Numbers a planner reads: the plan summary and the district table.

Cost of the recommended option per cell: the plan's ``cost_recommended_usd`` (NaN where
nothing is built); without it, a recommendation meaning such as ``"leo_starlink"`` takes
its cost from ``cost_leo_starlink_usd``. Categories without a cost (``already_served``,
``none_feasible``) cost nothing in the totals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .labels import (
    ReportDataError,
    as_text,
    categories,
    default_system,
    flag_meanings,
    require,
    systems,
)

COST_PATTERN = re.compile(r"^cost_(?P<option>[a-z0-9_]+)_usd$")


@dataclass(frozen=True)
class Column:
    """A table column: machine name, human name and units ("" for none)."""

    name: str
    long_name: str
    units: str = ""


@dataclass(frozen=True)
class Table:
    """Columns and rows (one dict per row, keyed by column name)."""

    columns: tuple[Column, ...]
    rows: tuple[dict, ...]


def cost_options(ds: xr.Dataset) -> dict[str, str]:
    """``{option: variable}`` for per-cell variables named ``cost_<option>_usd``."""
    out = {}
    for name in ds.data_vars:
        match = COST_PATTERN.match(str(name))
        if match and ds[name].dims == ("cell",) and match["option"] != "recommended":
            out[match["option"]] = str(name)
    return out


def recommended_cost_usd(ds: xr.Dataset) -> np.ndarray:
    """Cost of the recommended option per cell [USD]; 0 where no option has a cost.

    See the module docstring for how a recommendation finds its cost variable.
    """
    if "cost_recommended_usd" in ds.data_vars:
        return np.nan_to_num(np.asarray(ds["cost_recommended_usd"].values, dtype=float))
    require(ds, ["recommendation"], "the cost of the recommended plan")
    meanings = categories(ds["recommendation"])
    options = cost_options(ds)
    cost = np.zeros(ds.sizes["cell"])
    for meaning in sorted(set(meanings) - {""}):
        var = options.get(meaning)
        if var is not None:
            chosen = meanings == meaning
            cost[chosen] = np.nan_to_num(np.asarray(ds[var].values, dtype=float)[chosen])
    return cost


def _population(ds: xr.Dataset) -> np.ndarray | None:
    if "population" not in ds.data_vars:
        return None
    return np.nan_to_num(np.asarray(ds["population"].values, dtype=float))


def _flag_true(ds: xr.Dataset, name: str) -> np.ndarray | None:
    if name not in ds.data_vars:
        return None
    return np.asarray(ds[name].values).astype(bool)


def summary(ds: xr.Dataset) -> dict:
    """Headline numbers of a plan.

    Returns
    -------
    dict
        ``cells``, ``area_km2`` [km2], ``population`` [person], ``underserved_cells``,
        ``underserved_population`` [person], ``total_cost_usd`` [USD] (recommended
        options, see module doc) and ``recommendation``: ``{meaning: {"cells": int,
        "population": float, "population_pct": float, "cost_usd": float}}``. Keys whose
        inputs are missing are ``None``.
    """
    pop = _population(ds)
    under = _flag_true(ds, "underserved")
    out: dict = {"cells": int(ds.sizes["cell"])}
    out["area_km2"] = (
        float(np.nansum(ds["area_km2"].values)) if "area_km2" in ds.data_vars else None
    )
    out["population"] = float(pop.sum()) if pop is not None else None
    out["underserved_cells"] = int(under.sum()) if under is not None else None
    out["underserved_population"] = (
        float(pop[under].sum()) if pop is not None and under is not None else None
    )
    out["recommendation"] = None
    out["total_cost_usd"] = None
    if "recommendation" in ds.data_vars:
        meanings = categories(ds["recommendation"])
        cost = recommended_cost_usd(ds)
        total_pop = pop.sum() if pop is not None else 0.0
        shares = {}
        for meaning in flag_meanings(ds["recommendation"]).values():
            chosen = meanings == meaning
            p = float(pop[chosen].sum()) if pop is not None else None
            shares[meaning] = {
                "cells": int(chosen.sum()),
                "population": p,
                "population_pct": (
                    float(100.0 * p / total_pop) if p is not None and total_pop > 0 else None
                ),
                "cost_usd": float(cost[chosen].sum()),
            }
        out["recommendation"] = shares
        out["total_cost_usd"] = float(cost.sum())
    return out


def _coverage_column(ds: xr.Dataset) -> tuple[str, str] | None:
    if "pct_time_covered" not in ds.data_vars or not systems(ds):
        return None
    return "pct_time_covered", default_system(ds)


def district_table(ds: xr.Dataset) -> Table:
    """One row per district: cells, area, population, underserved, technologies, cost.

    Columns: ``district``, ``province`` (when present), ``cells``, ``area_km2`` [km2],
    ``population`` [person], ``underserved_cells``, ``underserved_population``
    [person], ``pct_time_covered_<system>`` (population-weighted mean [%], when
    coverage is present), ``n_<meaning>`` per recommendation category [cells], and
    ``recommended_cost_usd`` [USD]. Rows are sorted by province, then district.
    """
    require(ds, ["district"], "the district table")
    district = as_text(ds["district"].values)
    province = as_text(ds["province"].values) if "province" in ds.data_vars else None
    pop = _population(ds)
    under = _flag_true(ds, "underserved")
    area = np.asarray(ds["area_km2"].values, dtype=float) if "area_km2" in ds else None
    cols = [Column("district", "District")]
    if province is not None:
        cols.append(Column("province", "Province"))
    cols.append(Column("cells", "Cells", "1"))
    if area is not None:
        cols.append(Column("area_km2", "Area", "km2"))
    if pop is not None:
        cols.append(Column("population", "Population", "person"))
    if under is not None:
        cols.append(Column("underserved_cells", "Underserved cells", "1"))
        if pop is not None:
            cols.append(Column("underserved_population", "Underserved population", "person"))
    coverage = _coverage_column(ds)
    if coverage is not None:
        var, system = coverage
        cov = np.asarray(ds[var].sel(system=system).values, dtype=float)
        weights = (
            pop
            if pop is not None and pop.sum() > 0
            else (area if area is not None else np.ones_like(cov))
        )
        cols.append(
            Column(
                f"{var}_{system}",
                f"{ds[var].attrs.get('long_name', var)}, {system}, "
                f"{'population' if weights is pop else 'area'}-weighted mean",
                ds[var].attrs.get("units", ""),
            )
        )
    meanings = None
    if "recommendation" in ds.data_vars:
        meanings = categories(ds["recommendation"])
        options = list(flag_meanings(ds["recommendation"]).values())
        cols.extend(Column(f"n_{m}", f"Cells recommended {m}", "1") for m in options)
        cost = recommended_cost_usd(ds)
        cols.append(Column("recommended_cost_usd", "Cost of the recommended options", "USD"))
    keys = zip(province if province is not None else [""] * len(district), district, strict=True)
    number: dict[tuple[str, str], int] = {}
    group = np.fromiter((number.setdefault(k, len(number)) for k in keys), np.int64, len(district))
    # each group's cells in ascending order, as the boolean mask ``group == g`` gives
    # them (so every sum adds the same numbers in the same order)
    by_group = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[by_group], np.arange(len(number) + 1))
    rows = []
    for prov, name in sorted(number):
        g = number[(prov, name)]
        sel = by_group[bounds[g] : bounds[g + 1]]
        row: dict = {"district": name}
        if province is not None:
            row["province"] = prov
        row["cells"] = int(sel.size)
        if area is not None:
            row["area_km2"] = float(np.nansum(area[sel]))
        if pop is not None:
            row["population"] = float(pop[sel].sum())
        if under is not None:
            row["underserved_cells"] = int(under[sel].sum())
            if pop is not None:
                row["underserved_population"] = float(pop[sel[under[sel]]].sum())
        if coverage is not None:
            w, v = weights[sel], cov[sel]
            ok = np.isfinite(v) & np.isfinite(w)
            row[f"{var}_{system}"] = (
                float(np.sum(w[ok] * v[ok]) / np.sum(w[ok]))
                if ok.any() and np.sum(w[ok]) > 0
                else float("nan")
            )
        if meanings is not None:
            chosen = meanings[sel]
            for m in options:
                row[f"n_{m}"] = int(np.sum(chosen == m))
            row["recommended_cost_usd"] = float(cost[sel].sum())
        rows.append(row)
    if not rows:
        raise ReportDataError("the plan Dataset has no cells")
    return Table(tuple(cols), tuple(rows))
