"""Sensitivity of the recommendation to planning parameters, and plan comparison.

A sweep re-decides every cell for each value of one planning parameter; coverage and the
ground are computed once (the parameters swept here do not change them), so a sweep
costs milliseconds per value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import xarray as xr

from ..errors import ScenarioError
from .decide import decide, technology_of
from .spec import PlanningSpec

#: Sweepable name -> (PlanningSpec field, attribute, units, long name).
SWEEPABLE = {
    "fiber_cost_per_km": ("fiber", "cost_per_km_usd", "USD/km", "fibre build cost per km"),
    "discount_rate": ("finance", "discount_rate", "1", "discount rate"),
    "horizon_years": ("finance", "horizon_years", "year", "planning horizon"),
    "take_up_rate": ("demand", "take_up_rate", "1", "household take-up rate"),
    "min_availability_pct": (
        "criteria",
        "min_availability_pct",
        "%",
        "minimum satellite availability",
    ),
    "max_latency_rtt_ms": ("criteria", "max_latency_rtt_ms", "ms", "latency limit"),
}


def parse_sweep(text: str) -> tuple[str, list[float]]:
    """``"fiber_cost_per_km=10000,20000,54000"`` -> ``("fiber_cost_per_km", [...])``."""
    name, _, values = text.partition("=")
    name = name.strip()
    if name not in SWEEPABLE:
        raise ScenarioError(
            f"--sweep {text!r}: cannot sweep {name!r}; sweepable: "
            f"{', '.join(SWEEPABLE)} (coverage parameters need a re-run)"
        )
    try:
        numbers = [float(v) for v in values.split(",") if v.strip()]
    except ValueError:
        raise ScenarioError(
            f"--sweep {text!r}: values must be numbers separated by commas, "
            "e.g. fiber_cost_per_km=10000,20000,54000"
        ) from None
    if not numbers:
        raise ScenarioError(f"--sweep {text!r}: give at least one value after '='")
    return name, numbers


def _with(spec: PlanningSpec, name: str, value: float) -> PlanningSpec:
    part, attribute, _, _ = SWEEPABLE[name]
    current = getattr(spec, part)
    cast = int if isinstance(getattr(current, attribute), int) else float
    return dataclasses.replace(
        spec, **{part: dataclasses.replace(current, **{attribute: cast(value)})}
    )


def sweep(plan: xr.Dataset, spec: PlanningSpec, name: str, values: Sequence[float]) -> xr.Dataset:
    """Population share, cells and cost per technology for each value of ``name``.

    Returns a Dataset with dims (``name``, ``technology``): ``population_share`` [%] of the
    settled population, ``cells`` [1], ``cost_usd`` (present value of what is built).
    """
    population = plan["population"].values
    settled = population.sum()
    groups: list[str] = []
    rows = []
    for value in values:
        rec = decide(plan, _with(spec, name, value)).cell
        technology = technology_of(rec.meanings)[rec.code]
        for group in dict.fromkeys(technology):
            if group not in groups:
                groups.append(group)
        rows.append((technology, np.nan_to_num(rec.chosen_cost_usd)))
    share = np.zeros((len(values), len(groups)))
    cells = np.zeros((len(values), len(groups)), dtype=np.int64)
    cost = np.zeros((len(values), len(groups)))
    for i, (technology, chosen) in enumerate(rows):
        for j, group in enumerate(groups):
            mask = technology == group
            share[i, j] = 100.0 * population[mask].sum() / settled if settled else 0.0
            cells[i, j] = mask.sum()
            cost[i, j] = chosen[mask].sum()
    _, _, units, long_name = SWEEPABLE[name]
    coords = {
        name: (name, np.asarray(values, dtype=float), {"units": units, "long_name": long_name}),
        "technology": ("technology", np.array(groups, dtype=str)),
    }
    return xr.Dataset(
        {
            "population_share": (
                (name, "technology"),
                share,
                {"units": "%", "long_name": "share of the population by recommended technology"},
            ),
            "cells": ((name, "technology"), cells, {"units": "1", "long_name": "cells"}),
            "cost_usd": (
                (name, "technology"),
                cost,
                {"units": "USD", "long_name": "present value of the recommended builds"},
            ),
        },
        coords=coords,
        attrs={"swept_parameter": name},
    )


def compare_plans(a: xr.Dataset, b: xr.Dataset) -> xr.Dataset:
    """Cells whose recommendation differs between plans ``a`` and ``b``, and the cost change.

    Returns a Dataset over the changed cells (common cells only): ``recommendation_a``,
    ``recommendation_b`` (names), ``cost_a_usd``, ``cost_b_usd``, ``cost_change_usd``,
    ``population``, ``district``.
    """
    common = np.intersect1d(a["cell"].values, b["cell"].values)
    a, b = a.sel(cell=common), b.sel(cell=common)
    names_a = np.array(a["recommendation"].attrs["flag_meanings"].split())[
        a["recommendation"].values
    ]
    names_b = np.array(b["recommendation"].attrs["flag_meanings"].split())[
        b["recommendation"].values
    ]
    cost_a = np.nan_to_num(a["cost_recommended_usd"].values)
    cost_b = np.nan_to_num(b["cost_recommended_usd"].values)
    changed = names_a != names_b
    out = xr.Dataset(
        {
            "recommendation_a": ("cell", names_a[changed].astype(str)),
            "recommendation_b": ("cell", names_b[changed].astype(str)),
            "cost_a_usd": ("cell", cost_a[changed], {"units": "USD"}),
            "cost_b_usd": ("cell", cost_b[changed], {"units": "USD"}),
            "cost_change_usd": ("cell", (cost_b - cost_a)[changed], {"units": "USD"}),
            "population": ("cell", a["population"].values[changed], {"units": "person"}),
            "district": ("cell", a["district"].values[changed].astype(str)),
        },
        coords={"cell": common[changed]},
    )
    out.attrs.update(
        n_common_cells=len(common),
        n_changed=int(changed.sum()),
        total_cost_a_usd=float(cost_a.sum()),
        total_cost_b_usd=float(cost_b.sum()),
    )
    return out
