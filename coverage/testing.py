"""A synthetic plan Dataset in the plan-Dataset contract, for notebooks, tests and benchmarks.

Everything here is made up (smooth fake terrain, fake population, fake districts): it
exercises the renderers on real H3 cells with plausible magnitudes and is **not** a
plan of anywhere. Deterministic for a given ``seed``.
"""

from __future__ import annotations

import h3
import numpy as np
import shapely
import xarray as xr

GILGIT_BOX = (35.5, 36.5, 74.0, 75.5)  # (lat_min, lat_max, lon_min, lon_max) [deg]
SYSTEMS = ("starlink", "oneweb", "kuiper", "combined")
RECOMMENDATIONS = ("already_served", "fiber", "leo_starlink", "leo_oneweb", "geo_vsat",
                   "none_feasible")
DISTRICTS = ("Ghizer", "Hunza", "Gilgit", "Nagar")  # quadrants SW, NW... (made up)
FIBRE_ROUTE = ((74.05, 35.50), (74.30, 35.80), (74.35, 35.95), (74.60, 36.30),
               (75.00, 36.50))


def _quadrants(box):
    lat0, lat1, lon0, lon1 = box
    latm, lonm = (lat0 + lat1) / 2, (lon0 + lon1) / 2
    return [
        (DISTRICTS[0], (lon0, lat0, lonm, latm)), (DISTRICTS[1], (lon0, latm, lonm, lat1)),
        (DISTRICTS[2], (lonm, lat0, lon1, latm)), (DISTRICTS[3], (lonm, latm, lon1, lat1)),
    ]


def demo_boundaries(box=GILGIT_BOX) -> dict:
    """Four rectangular made-up districts as a GeoJSON FeatureCollection (lon/lat)."""
    feats = []
    for name, (x0, y0, x1, y1) in _quadrants(box):
        ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        feats.append({"type": "Feature", "properties": {"name": name},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return {"type": "FeatureCollection", "features": feats}


def demo_network() -> dict:
    """A made-up fibre route (LineString) and one point of presence."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "demo fibre route"},
         "geometry": {"type": "LineString", "coordinates": [list(p) for p in FIBRE_ROUTE]}},
        {"type": "Feature", "properties": {"name": "demo PoP"},
         "geometry": {"type": "Point", "coordinates": [74.31, 35.92]}},
    ]}


def demo_cells(box=GILGIT_BOX, resolution: int = 7) -> list[str]:
    """Sorted H3 cells whose centres fall in ``box`` (lat_min, lat_max, lon_min, lon_max)."""
    lat0, lat1, lon0, lon1 = box
    poly = h3.LatLngPoly([(lat0, lon0), (lat0, lon1), (lat1, lon1), (lat1, lon0)])
    return sorted(h3.h3shape_to_cells(poly, resolution))


def _flag(values, meanings, long_name):
    return {"long_name": long_name, "units": "1",
            "flag_values": np.arange(len(meanings), dtype=np.int8),
            "flag_meanings": " ".join(meanings), **values}


def demo_plan(box=GILGIT_BOX, resolution: int = 7, seed: int = 0) -> xr.Dataset:
    """A synthetic plan Dataset over ``box`` at H3 ``resolution`` (see module doc)."""
    rng = np.random.default_rng(seed)
    cells = demo_cells(box, resolution)
    n = len(cells)
    latlng = np.asarray([h3.cell_to_latlng(c) for c in cells]).reshape(-1, 2)
    lat, lon = latlng[:, 0], latlng[:, 1]
    area = np.asarray([h3.cell_area(c, "km^2") for c in cells])
    relief = np.sin(lat * 9.0) * np.cos(lon * 7.0)  # fake valleys and ridges, -1..1
    elevation = 3000.0 + 1800.0 * relief + rng.normal(0, 150, n)
    population = np.round(rng.lognormal(4.0, 1.2, n) * np.exp(-(elevation - 1500) / 900))
    district = np.empty(n, dtype=object)
    for name, (x0, y0, x1, y1) in _quadrants(box):
        district[(lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)] = name
    route = shapely.LineString(FIBRE_ROUTE)
    points = shapely.points(lon, lat)
    fiber_km = np.asarray(shapely.distance(points, route)) * 111.0 * np.cos(np.radians(lat))
    fiber_path_km = fiber_km * (1.3 + 0.4 * (relief + 1) / 2)
    rural = (population / area < 150).astype(np.int8)
    served = fiber_km < 1.5
    underserved = (~served & (rural == 1)).astype(np.int8)
    open_sky = {"starlink": 99.5, "oneweb": 97.0, "kuiper": 92.0}
    sys_names = list(SYSTEMS)
    loss = np.clip(25.0 * (relief + 1) / 2 + rng.normal(0, 3, n), 0, 60)
    pct_open = np.array([np.full(n, open_sky[s]) for s in sys_names[:-1]])
    pct = np.clip(pct_open - loss * np.array([[1.0], [1.2], [1.4]]), 0, 100)
    pct_open = np.vstack([pct_open, np.full(n, 100.0)])
    pct = np.vstack([pct, np.clip(pct.max(axis=0) + 2.0, 0, 100)])
    n_vis = pct / 100 * np.array([[14.0], [4.0], [6.0], [24.0]])
    max_gap = (100 - pct) * 30.0 + 60.0
    cost_fiber = fiber_path_km * 8_000.0 + 15_000.0
    cost_leo = np.full(n, 55_000.0) + rng.normal(0, 2000, n)
    cost_geo = np.full(n, 80_000.0) + rng.normal(0, 2000, n)
    rec = np.where(served, 0, np.where(cost_fiber < cost_leo, 1, 2))
    rec = np.where((rec == 2) & (pct[0] < 80), np.where(pct[1] >= 60, 3, 4), rec)
    rec = np.where((rec >= 2) & (pct[3] < 75) & (fiber_path_km > 60), 5, rec).astype(np.int8)
    reasons = np.array(["served:fiber_within_1.5km", "fiber:cheapest", "leo:cheapest",
                        "leo:starlink_blocked_by_terrain", "geo:leo_blocked_by_terrain",
                        "none:no_option_feasible"], dtype=object)[rec]
    sc = ("system", "cell")
    ds = xr.Dataset(
        {
            "pct_time_covered": (sc, pct, {"long_name": "Time covered (terrain-aware)",
                                           "units": "%"}),
            "pct_time_covered_open_sky": (sc, pct_open, {
                "long_name": "Time covered with an open sky", "units": "%"}),
            "n_visible_mean": (sc, n_vis, {"long_name": "Mean number of visible satellites",
                                           "units": "1"}),
            "max_gap_s": (sc, max_gap, {"long_name": "Longest coverage gap", "units": "s"}),
            "latency_rtt_mean_ms": (sc, 25 + 10 * rng.random((4, n)), {
                "long_name": "Mean round-trip latency", "units": "ms"}),
            "lat": ("cell", lat, {"long_name": "Latitude of the cell centre",
                                  "units": "degrees_north"}),
            "lon": ("cell", lon, {"long_name": "Longitude of the cell centre",
                                  "units": "degrees_east"}),
            "area_km2": ("cell", area, {"long_name": "Cell area", "units": "km2"}),
            "district": ("cell", district.astype(str), {"long_name": "District"}),
            "province": ("cell", np.full(n, "Gilgit-Baltistan"), {"long_name": "Province"}),
            "population": ("cell", population, {"long_name": "Population",
                                                "units": "person"}),
            "elevation_m": ("cell", elevation, {"long_name": "Mean elevation", "units": "m"}),
            "rural": ("cell", rural, _flag({}, ("urban", "rural"), "Rural cell")),
            "fiber_distance_km": ("cell", fiber_km, {"long_name": "Distance to fibre",
                                                     "units": "km"}),
            "fiber_path_km": ("cell", fiber_path_km, {
                "long_name": "Terrain-weighted fibre path", "units": "km"}),
            "underserved": ("cell", underserved,
                            _flag({}, ("served", "underserved"), "Underserved rural cell")),
            "demand_mbps": ("cell", population * 0.05, {"long_name": "Busy-hour demand",
                                                        "units": "Mbit/s"}),
            "recommendation": ("cell", rec, _flag({}, RECOMMENDATIONS,
                                                  "Recommended backhaul")),
            "cost_fiber_usd": ("cell", cost_fiber, {
                "long_name": "Fibre extension cost over the horizon (present value)",
                "units": "USD"}),
            "cost_leo_usd": ("cell", cost_leo, {
                "long_name": "LEO backhaul cost over the horizon (present value)",
                "units": "USD"}),
            "cost_geo_usd": ("cell", cost_geo, {
                "long_name": "GEO VSAT cost over the horizon (present value)",
                "units": "USD"}),
            "reason": ("cell", reasons.astype(str), {"long_name": "Reason"}),
        },
        coords={"cell": np.asarray(cells), "system": np.asarray(sys_names)},
        attrs={
            "title": "Synthetic demo plan (not real data)",
            "scenario": 'name = "demo"\nregion = "Gilgit"\nresolution = 7\n\n[window]\n'
                        'start_utc = "2025-01-01T00:00:00Z"\nduration_s = 86400\n'
                        'step_s = 60\n\n[costs.fiber]\ncost_per_km_usd = 20000\n',
            "hybridplan_version": "0.1.0",
            "window_start_utc": "2025-01-01T00:00:00Z",
            "window_duration_s": 86400.0,
            "step_s": 60.0,
            "epoch_range_starlink": "2024-12-30T02:11:00Z/2024-12-31T20:40:00Z",
            "epoch_range_oneweb": "2024-12-30T05:00:00Z/2024-12-31T11:00:00Z",
            "provenance_boundaries": "synthetic rectangles (demo)",
            "provenance_population": "synthetic lognormal (demo)",
        },
    )
    return ds


def demo_sweep(seed: int = 0) -> xr.Dataset:
    """Population share per technology vs fibre cost per km (synthetic)."""
    costs = np.arange(10_000.0, 60_001.0, 5_000.0)
    tech = ["fiber", "leo", "geo"]
    fiber = 70.0 * np.exp(-(costs - 10_000) / 20_000)
    geo = np.full_like(costs, 5.0)
    share = np.stack([fiber, 100 - fiber - geo, geo], axis=1)
    return xr.Dataset(
        {"population_share": (("fiber_cost_per_km_usd", "technology"), share,
                              {"long_name": "Share of underserved population",
                               "units": "%"})},
        coords={"fiber_cost_per_km_usd": ("fiber_cost_per_km_usd", costs, {
                    "long_name": "Fibre build cost per km", "units": "USD/km"}),
                "technology": tech})


def demo_series(ds: xr.Dataset, n_cells: int = 3, steps: int = 120) -> xr.Dataset:
    """Visible-satellite counts over time for the first ``n_cells`` cells (synthetic)."""
    cells = ds["cell"].values[:n_cells]
    t = np.datetime64("2025-01-01T00:00:00", "ns") + np.arange(steps) * np.timedelta64(60, "s")
    phase = np.arange(steps)[None, None, :] / 7.0
    base = np.array([12.0, 3.0, 5.0, 20.0])[:, None, None]
    counts = np.maximum(0, np.round(base + 3 * np.sin(phase + np.arange(n_cells)[None, :, None])))
    return xr.Dataset(
        {"n_visible": (("system", "cell", "time"), counts.astype(np.int16),
                       {"long_name": "Visible satellites", "units": "1"})},
        coords={"system": list(SYSTEMS), "cell": cells, "time": t})
