"""Synthetic plan Datasets built from the plan contract, for tests, notebooks and benchmarks.

Like ``xarray.testing``: :func:`synthetic_plan` walks :mod:`hybridplan.coverage.contract`
and fills every variable with made-up but plausible values (smooth fake terrain, fake
population, four rectangular fake districts) on real H3 cells; the attributes come from
the contract, so the synthetic plan and the planner cannot disagree on names, units,
dims or categories (:func:`synthetic_plan` ends with ``validate_plan``). It is **not** a
plan of anywhere: ``attrs["title"]`` says so. Deterministic for a given ``seed``.

Also: :func:`synthetic_boundaries`, :func:`synthetic_network` (overlays as GeoJSON
dicts) and :func:`synthetic_sweep` (the layout of ``planning.sweep.sweep``).
"""

from __future__ import annotations

import json

import h3
import numpy as np
import shapely
import xarray as xr

from .contract import PLAN_ATTRS, PLAN_VARIABLES, contract_var, validate_plan

GILGIT_BOX = (35.5, 36.5, 74.0, 75.5)  # (lat_min, lat_max, lon_min, lon_max) [deg]
#: (name, orbit class, licensed, backhaul, open-sky coverage [%], mean visible count)
SYSTEMS = (
    ("starlink", "LEO", 1, 1, 99.5, 14.0),
    ("oneweb", "LEO", 1, 1, 97.0, 4.0),
    ("kuiper", "LEO", 0, 1, 92.0, 6.0),
    ("paksat", "GEO", 1, 1, 100.0, 2.0),
)
COMBINED = "combined"
DISTRICTS = ("Ghizer", "Hunza", "Gilgit", "Nagar")  # quadrants SW, NW, SE, NE (made up)
FIBRE_ROUTE = ((74.05, 35.50), (74.30, 35.80), (74.35, 35.95), (74.60, 36.30), (75.00, 36.50))
SCENARIO = """name = "synthetic"
description = "synthetic plan for tests (not real data)"

[region]
names = ["Synthetic"]
resolution = 7

[window]
start = "2026-05-30T00:00:00Z"
duration_h = 2
step_s = 60

[[systems]]
name = "starlink"
source = "bundled:starlink"
min_elevation_deg = 25     # [FILED] FCC 21-48
gso_exclusion_deg = 18     # [FILED] same filing
licensed = true            # [ASSUMPTION]

[[systems]]
name = "paksat"
source = "bundled:geo"
min_elevation_deg = 10     # [ASSUMPTION] typical VSAT pointing limit

[planning]
min_fiber_distance_km = 5  # [ASSUMPTION]
horizon_years = 10

[costs.fiber]
cost_per_km_usd = 20000    # [ASSUMPTION] indicative
"""


def _quadrants(box):
    lat0, lat1, lon0, lon1 = box
    latm, lonm = (lat0 + lat1) / 2, (lon0 + lon1) / 2
    return [
        (DISTRICTS[0], (lon0, lat0, lonm, latm)),
        (DISTRICTS[1], (lon0, latm, lonm, lat1)),
        (DISTRICTS[2], (lonm, lat0, lon1, latm)),
        (DISTRICTS[3], (lonm, latm, lon1, lat1)),
    ]


def synthetic_boundaries(box=GILGIT_BOX) -> dict:
    """Four rectangular made-up districts as a GeoJSON FeatureCollection (lon/lat)."""
    feats = []
    for name, (x0, y0, x1, y1) in _quadrants(box):
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        feats.append(
            {
                "type": "Feature",
                "properties": {"name": name},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def synthetic_network() -> dict:
    """A made-up fibre route (LineString) and one point of presence."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "synthetic fibre route", "status": "existing"},
                "geometry": {"type": "LineString", "coordinates": [list(p) for p in FIBRE_ROUTE]},
            },
            {
                "type": "Feature",
                "properties": {"name": "synthetic PoP", "kind": "pop"},
                "geometry": {"type": "Point", "coordinates": [74.31, 35.92]},
            },
        ],
    }


def synthetic_cells(box=GILGIT_BOX, resolution: int = 7) -> list[str]:
    """Sorted H3 cells whose centres fall in ``box`` (lat_min, lat_max, lon_min, lon_max)."""
    lat0, lat1, lon0, lon1 = box
    poly = h3.LatLngPoly([(lat0, lon0), (lat0, lon1), (lat1, lon1), (lat1, lon0)])
    return sorted(h3.h3shape_to_cells(poly, resolution))


def _ground(cells, rng) -> dict:
    n = len(cells)
    latlng = np.asarray([h3.cell_to_latlng(c) for c in cells]).reshape(-1, 2)
    lat, lon = latlng[:, 0], latlng[:, 1]
    area = np.asarray([h3.cell_area(c, "km^2") for c in cells])
    relief = np.sin(lat * 9.0) * np.cos(lon * 7.0)  # fake valleys and ridges, -1..1
    elevation = 3000.0 + 1800.0 * relief + rng.normal(0, 150, n)
    population = np.round(rng.lognormal(4.0, 1.2, n) * np.exp(-(elevation - 1500) / 900))
    population[rng.random(n) < 0.15] = 0.0  # empty mountainsides
    population[np.argmin(elevation)] = 60_000.0  # one town dominates a linear scale
    district = np.empty(n, dtype=object)
    for name, (x0, y0, x1, y1) in _quadrants(GILGIT_BOX):
        district[(lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)] = name
    district[district == None] = DISTRICTS[0]  # noqa: E711 (object array)
    route = shapely.LineString(FIBRE_ROUTE)
    fiber_km = (
        np.asarray(shapely.distance(shapely.points(lon, lat), route))
        * 111.0
        * np.cos(np.radians(lat))
    )
    factor = 1.0 + 0.3 * (relief + 1)
    return {
        "lat": lat,
        "lon": lon,
        "area_km2": area,
        "district": district.astype(str),
        "province": np.full(n, "Gilgit-Baltistan"),
        "population": population,
        "settlement_population": np.round(population * 0.4),
        "population_density_per_km2": population / area,
        "elevation_m": elevation,
        "slope_deg": 12.0 + 8.0 * relief,
        "relief_m": 900.0 + 400.0 * relief,
        "rural": (population / area < 300).astype(np.uint8),
        "fiber_distance_km": fiber_km,
        "fiber_path_km": fiber_km * 1.3,
        "fiber_weighted_km": fiber_km * 1.3 * factor,
        "fiber_terrain_factor": factor,
        "on_network": (fiber_km < 3.0).astype(np.uint8),
    }


def _coverage(n, relief, rng) -> dict:
    loss = np.clip(25.0 * (relief + 1) / 2 + rng.normal(0, 3, n), 0, 60)
    open_sky = np.array([np.full(n, s[4]) for s in SYSTEMS])
    scale = np.array([[1.0], [1.2], [1.4], [0.2]])
    pct = np.clip(open_sky - loss * scale, 0, 100)
    licensed = np.array([s[2] for s in SYSTEMS], dtype=bool)
    open_sky = np.vstack([open_sky, np.full(n, 100.0)])
    pct = np.vstack([pct, np.clip(pct[licensed].max(axis=0) + 1.0, 0, 100)])
    mean_vis = np.array([[s[5]] for s in SYSTEMS] + [[20.0]])
    n_vis = pct / 100 * mean_vis
    gap = (100 - pct) * 30.0 + np.where(pct < 100, 60.0, 0.0)
    return {
        "pct_time_covered": pct,
        "pct_time_covered_open_sky": open_sky,
        "n_visible_mean": n_vis,
        "n_visible_min": np.floor(n_vis * 0.3).astype(np.int32),
        "n_visible_max": np.ceil(n_vis * 1.8).astype(np.int32),
        "pct_time_n_or_more": pct,
        "max_gap_s": gap,
        "mean_gap_s": gap / 2,
        "n_gaps": np.where(pct < 100, 3, 0).astype(np.int32),
        "best_elevation_mean_deg": 40.0 + 20.0 * pct / 100,
        "latency_rtt_mean_ms": np.vstack(
            [25 + 10 * rng.random((3, n)), np.full((1, n), 560.0), 25 + 10 * rng.random((1, n))]
        ),
    }


def _per_system() -> dict:
    k = len(SYSTEMS)
    return {
        "min_elevation_deg": np.array([25.0, 25.0, 30.0, 10.0, np.nan]),
        "gso_exclusion_deg": np.array([18.0, 0.0, 18.0, 0.0, np.nan]),
        "n_required": np.array([1] * k + [0], dtype=np.int16),
        "licensed": np.array([s[2] for s in SYSTEMS] + [1], dtype=np.int8),
        "backhaul": np.array([s[3] for s in SYSTEMS] + [0], dtype=np.int8),
        "orbit_class": np.array([s[1] for s in SYSTEMS] + [COMBINED]),
        "n_satellites": np.array([6000, 630, 100, 2, 6632], dtype=np.int32),
        "propagation_failures": np.zeros(k + 1, dtype=np.int64),
        "element_set_epoch_min": np.array(["2026-05-29T02:11:00Z"] * k + [""]),
        "element_set_epoch_max": np.array(["2026-05-30T20:40:00Z"] * k + [""]),
    }


def _decision(g: dict, cov: dict, rng) -> tuple[dict, tuple[str, ...]]:
    """Cheapest feasible option per cell with the planner's vocabulary (recommend.py)."""
    n = g["population"].size
    options = ["fiber"] + [f"{s[1].lower()}_{s[0]}" for s in SYSTEMS if s[3]]
    meanings = ("no_population", "already_served", *options, "none_feasible", "not_target")
    pv = 1.0 / 1.08 ** np.arange(1, 11)
    costs = {"fiber": g["fiber_weighted_km"] * 20_000.0 * (1 + 0.03 * pv.sum()) + 15_000.0}
    demand = g["population"] / 6.3 * 0.3 * 3.0 * 5.0 / 10.0
    feasible = {"fiber": np.isfinite(costs["fiber"])}
    for k, s in enumerate(SYSTEMS):
        if not s[3]:
            continue
        terminal, monthly, cap = (5000.0, 2000.0, 20.0) if s[1] == "GEO" else (2500.0, 500.0, 100.0)
        units = np.maximum(np.ceil(demand / cap), 1)
        costs[f"{s[1].lower()}_{s[0]}"] = units * (terminal + 12 * monthly * pv.sum())
        feasible[f"{s[1].lower()}_{s[0]}"] = bool(s[2]) & (cov["pct_time_covered"][k] >= 99.0)
    matrix = np.stack([np.where(feasible[o], costs[o], np.inf) for o in options])
    best = np.argmin(matrix, axis=0)
    best_cost = matrix[best, np.arange(n)]
    none_feasible = meanings.index("none_feasible")
    code = (best + 2).astype(np.int8)
    code[~np.isfinite(best_cost)] = none_feasible
    under = ((g["rural"] == 1) & (g["population"] >= 50) & (g["fiber_distance_km"] > 5.0)).astype(
        np.int8
    )
    served = g["fiber_distance_km"] <= 1.0
    idle = (under == 0) & ~served & (g["population"] > 0)
    code[idle] = len(meanings) - 1
    code[served] = 1
    code[g["population"] <= 0] = 0
    n_feasible = np.isfinite(matrix).sum(axis=0)
    choice = np.asarray(meanings, dtype=object)[code]
    reason = choice + ":" + np.where(n_feasible > 1, "cheapest", "only_feasible")
    reason[code == none_feasible] = "none:no_feasible_option"
    reason[idle] = "none:not_target(small)"
    reason[served] = "served:on_network"
    reason[code == 0] = "none:no_population"
    chosen = np.where((code >= 2) & (code < none_feasible), best_cost, np.nan)
    out = {
        "demand_mbps": demand,
        "underserved": under,
        "recommendation": code,
        "reason": reason.astype(str),
        "cost_recommended_usd": chosen,
    }
    out.update({f"cost_{o}_usd": costs[o] for o in options})
    return out, meanings


def _series(cells: list[str], steps: int) -> dict:
    phase = np.arange(steps)[:, None, None] / 7.0
    base = np.array([[14.0], [4.0], [6.0], [2.0], [20.0]])[None]
    counts = np.maximum(0, np.round(base + 3 * np.sin(phase + np.arange(len(cells))[None, None])))
    counts[:, 3] = 2  # GEO: constant
    return {
        "series_n_visible": counts.astype(np.int32),
        "series_covered_open_sky": (counts > 0).astype(np.int8),
        "series_best_elevation_deg": np.where(counts > 0, 30.0 + counts, np.nan),
    }


def _cases(decision: dict, meanings, system_names) -> dict:
    """Two licensing cases: today, and every LEO system licensed (kuiper becomes usable)."""
    code = np.stack([decision["recommendation"], decision["recommendation"]])
    cost = np.stack([decision["cost_recommended_usd"], decision["cost_recommended_usd"]])
    fiber = code[1] == meanings.index("fiber")
    kuiper = meanings.index("leo_kuiper")
    cheaper = fiber & (decision["cost_leo_kuiper_usd"] < decision["cost_fiber_usd"])
    code[1, cheaper] = kuiper
    cost[1, cheaper] = decision["cost_leo_kuiper_usd"][cheaper]
    licensed = np.array([[s[2] for s in SYSTEMS] + [1], [1, 1, 1, 1, 1]], dtype=np.int8)
    return {
        "case_description": np.array(
            ["licences as of the scenario", "every foreign LEO system licensed"]
        ),
        "licensed_by_case": licensed,
        "recommendation_by_case": code,
        "cost_recommended_by_case_usd": cost,
    }


def synthetic_plan(
    box=GILGIT_BOX,
    resolution: int = 7,
    seed: int = 0,
    *,
    series: bool = True,
    cases: bool = False,
    steps: int = 120,
) -> xr.Dataset:
    """A synthetic plan over ``box`` at H3 ``resolution`` that keeps the plan contract.

    Parameters
    ----------
    box : tuple of float
        (lat_min, lat_max, lon_min, lon_max) [deg].
    resolution : int
        H3 resolution of the cells.
    seed : int
        Seed of the random fields.
    series : bool
        Include the per-step series (``series_*``, dims time, system, series_cell) of the
        least and most populated settled cell of each district.
    cases : bool
        Include a licensing comparison (``case`` dimension): today and every foreign LEO
        system licensed.
    steps : int
        Time steps of the series (60 s apart).
    """
    rng = np.random.default_rng(seed)
    cells = synthetic_cells(box, resolution)
    n = len(cells)
    g = _ground(cells, rng)
    relief = np.sin(g["lat"] * 9.0) * np.cos(g["lon"] * 7.0)
    cov = _coverage(n, relief, rng)
    decision, meanings = _decision(g, cov, rng)
    values = {**g, **cov, **_per_system(), **decision}
    system_names = [s[0] for s in SYSTEMS] + [COMBINED]
    coords = {
        "cell": contract_var("cell", np.asarray(cells)),
        "system": contract_var("system", np.asarray(system_names)),
    }
    if series:
        picked = _series_cells(cells, g)
        values.update(_series(picked, steps))
        t0 = np.datetime64("2026-05-30T00:00:00", "ns")
        coords["time"] = (
            "time",
            t0 + np.arange(steps) * np.timedelta64(60, "s"),
            {"long_name": "time (UTC)"},
        )
        coords["series_cell"] = contract_var("series_cell", np.asarray(picked))
    if cases:
        values.update(_cases(decision, list(meanings), system_names))
        coords["case"] = contract_var("case", np.array(["today", "foreign_leo_licensed"]))
    data = {}
    for name, v in values.items():
        flags = name in ("recommendation", "recommendation_by_case")
        data[name] = contract_var(name, v, meanings if flags else None)
    missing = [
        r.name
        for r in PLAN_VARIABLES.values()
        if not r.optional and not r.pattern and r.name not in data and r.name not in coords
    ]
    if missing:  # a new required contract row needs a generator here
        raise NotImplementedError(f"synthetic_plan has no generator for {missing}")
    ds = xr.Dataset(data, coords=coords, attrs=_attrs(steps))
    return validate_plan(ds, strict=True)


def _series_cells(cells: list[str], g: dict) -> list[str]:
    """The least and the most populated settled cell of each district (the engine's
    default choice of series cells)."""
    ids = np.asarray(cells)
    picked: list[str] = []
    for name in sorted(set(g["district"])):
        settled = np.flatnonzero((g["district"] == name) & (g["population"] > 0))
        if settled.size:
            order = settled[np.argsort(g["population"][settled], kind="stable")]
            picked.extend(dict.fromkeys([str(ids[order[0]]), str(ids[order[-1]])]))
    return picked


def _attrs(steps: int) -> dict:
    attrs = {
        "title": "Synthetic plan (made-up data, not a plan of anywhere)",
        "Conventions": "CF-1.8",
        "hybridplan_version": "synthetic",
        "region": "Synthetic Gilgit box",
        "scenario": SCENARIO,
        "scenario_name": "synthetic",
        "window_start_utc": "2026-05-30T00:00:00Z",
        "window_end_utc": str(np.datetime64("2026-05-30T00:00:00") + steps * 60) + "Z",
        "step_s": 60.0,
        "h3_resolution": 7,
        "planning_horizon_years": 10,
        "discount_rate": 0.08,
        "fiber_cost_per_km_usd": 20000.0,
        "underserved_rule": "rural cells with population >= 50 whose straight-line distance "
        "to existing fibre or a point of presence exceeds 5 km",
        "region_source": "synthetic rectangles (made up)",
        "population_source": "synthetic lognormal field (made up)",
        "dem_source": "synthetic sine relief (made up)",
        "dem_note": "synthetic relief: no valley is real",
        "network_source": "one synthetic route (made up)",
        "assumptions": json.dumps(
            [
                {
                    "key": "costs.fiber.cost_per_km_usd",
                    "value": 20000.0,
                    "unit": "USD/km",
                    "label": "[ASSUMPTION]",
                    "source": "hybridplan default",
                },
                {
                    "key": "planning.discount_rate",
                    "value": 0.08,
                    "unit": "1",
                    "label": "[ASSUMPTION]",
                    "source": "hybridplan default",
                },
                {
                    "key": "costs.starlink.terminal_usd",
                    "value": 2500.0,
                    "unit": "USD",
                    "label": "[ASSUMPTION]",
                    "source": "hybridplan default",
                },
            ]
        ),
    }
    assert set(PLAN_ATTRS) <= set(attrs)
    return attrs


def synthetic_sweep(values=(10_000.0, 20_000.0, 40_000.0, 60_000.0)) -> xr.Dataset:
    """A sweep in the layout of ``planning.sweep.sweep``: dims (parameter, technology)."""
    costs = np.asarray(values, dtype=float)
    tech = ["no_population", "already_served", "fiber", "leo", "geo"]
    fiber = 60.0 * np.exp(-(costs - costs[0]) / 20_000)
    share = np.stack(
        [
            np.full_like(costs, 5.0),
            np.full_like(costs, 20.0),
            fiber,
            70.0 - fiber,
            np.full_like(costs, 5.0),
        ],
        axis=1,
    )
    name = "fiber_cost_per_km"
    return xr.Dataset(
        {
            "population_share": (
                (name, "technology"),
                share,
                {"units": "%", "long_name": "share of the population by recommended technology"},
            ),
            "cells": (
                (name, "technology"),
                np.round(share * 10).astype(np.int64),
                {"units": "1", "long_name": "cells"},
            ),
            "cost_usd": (
                (name, "technology"),
                share * 1e6,
                {"units": "USD", "long_name": "present value of the recommended builds"},
            ),
        },
        coords={
            name: (name, costs, {"units": "USD/km", "long_name": "fibre build cost per km"}),
            "technology": ("technology", np.array(tech)),
        },
        attrs={"swept_parameter": name},
    )
