"""Benchmark of hybridplan.grids: grid + horizons + population + fibre reach for GB+AJK.

Run (from any folder except the repo root, so coverage/ cannot shadow coverage.py):

    /work/venv/bin/python /work/main/benchmarks/bench_grids.py [--resolution 7] [--region "..."]
    /work/venv/bin/python /work/main/benchmarks/bench_grids.py --people
    /work/venv/bin/python /work/main/benchmarks/bench_grids.py --corridor [--resolution 6]

The default prints the wall time of each step and the total; goal <= 30 s at resolution 7
on 2 cores.  ``--people`` prints the settlement model's checks on GB+AJK (district totals
at res 6, 7, 8; Muzaffarabad's and Islamabad's footprints in cells and km2; ICT at res 6;
people above the elevation limit).  ``--corridor`` builds grid + population from bundled
data for each corridor region, each in a fresh process: cells, population against the
bundled totals, time and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
from hybridplan.grids import (
    add_terrain,
    build_grid,
    distribute_population,
    fiber_reach,
    load_dem,
    load_network,
    load_region,
)

CORRIDOR = (
    "Kyrgyzstan",
    "Tajikistan",
    "Uzbekistan",
    "Kazakhstan",
    "Azerbaijan",
    "Xinjiang",
    "Pakistan + Kyrgyzstan",
)
GB_AJK = "Gilgit-Baltistan + Azad Jammu and Kashmir"


def one_region(name: str, resolution: int) -> None:
    """Grid + population of one region; prints one JSON line (run in a fresh process)."""
    start = time.perf_counter()
    grid = build_grid(name, resolution)
    built = time.perf_counter()
    out = distribute_population(grid)
    done = time.perf_counter()
    totals = json.loads(out.attrs["population_control_totals"])
    print(
        json.dumps(
            {
                "region": name,
                "cells": grid.sizes["cell"],
                "population": float(out.population.sum()),
                "totals": sum(totals.values()),
                "grid_s": built - start,
                "population_s": done - built,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def corridor(resolution: int) -> None:
    print(f"corridor regions at H3 res {resolution} (each in a fresh process; bundled data)")
    print(
        f"{'region':<24s} {'cells':>8s} {'population':>14s} {'bundled totals':>15s} "
        f"{'diff %':>8s} {'grid s':>7s} {'pop s':>6s} {'peak RSS MB':>11s}"
    )
    for name in CORRIDOR:
        run = subprocess.run(
            [sys.executable, __file__, "--one", name, "--resolution", str(resolution)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(run.stdout.strip().splitlines()[-1])
        diff = 100.0 * (r["population"] - r["totals"]) / r["totals"]
        print(
            f"{r['region']:<24s} {r['cells']:>8,d} {r['population']:>14,.0f} "
            f"{r['totals']:>15,.0f} {diff:>8.4f} {r['grid_s']:>7.2f} {r['population_s']:>6.2f} "
            f"{r['peak_rss_mb']:>11.0f}"
        )


def footprint(grid, out, name: str, lat: float, lon: float) -> str:
    """Cells and km2 that hold the people of the named GeoNames place."""
    from hybridplan.grids._geo import great_circle_km
    from hybridplan.grids.population import (
        _grid_units,
        _ground,
        _Params,
        _place_samples,
        _units,
    )

    units = _units()
    cell_unit, claimed = _grid_units(grid)
    groups = tuple(int(g) for g in np.unique(units.group_of[claimed]))
    params = _Params(4000.0, 0.25, 5000.0, 0.5)
    ground = _ground(groups, None, None, params)
    from hybridplan.grids.population import _settlements_and_units

    places, _ = _settlements_and_units(None)
    near = great_circle_km(lat, lon, places.lat, places.lon)
    candidates = np.flatnonzero((places.name == name) & (near < 5.0))
    i = int(candidates[np.argmax(places.population[candidates])])
    mine = ground.place == i
    sub = type(ground)(
        ground.lat[mine],
        ground.lon[mine],
        ground.people[mine],
        ground.unit[mine],
        ground.place[mine],
        ground.place_people,
        {},
        [],
    )
    people, _ = _place_samples(grid, sub, cell_unit, claimed)
    cells = people > 0
    return (
        f"{name}: listed {places.population[i]:,.0f}, placed {ground.place_people[i]:,.0f} "
        f"over {int(cells.sum())} cells = {float(grid.area_km2.values[cells].sum()):.0f} km2 "
        f"(largest cell share {people.max() / people.sum():.1%}; the cell's total "
        f"{float(out.population.values[np.argmax(people)]):,.0f})"
    )


def people() -> None:
    from hybridplan.grids import load_dem

    tables = {}
    for res in (6, 7, 8):
        start = time.perf_counter()
        grid = build_grid(GB_AJK, res)
        out = distribute_population(grid)
        tables[res] = out.population.groupby(out.district).sum().to_series()
        print(
            f"res {res}: {grid.sizes['cell']:,} cells, {float(out.population.sum()):,.0f} people "
            f"({time.perf_counter() - start:.1f} s)"
        )
        if res == 7:
            grid7, out7 = grid, out
    print(f"{'district':<14s} {'res 6':>11s} {'res 7':>11s} {'res 8':>11s} {'spread %':>9s}")
    for district in tables[7].index:
        values = [tables[r][district] for r in (6, 7, 8)]
        spread = 100 * (max(values) - min(values)) / max(values)
        print(f"{district:<14s} " + " ".join(f"{v:>11,.0f}" for v in values) + f" {spread:>9.2e}")
    for name, lat, lon in (("Muzaffarabad", 34.37002, 73.47082), ("Gilgit", 35.92, 74.31)):
        print("res 7 " + footprint(grid7, out7, name, lat, lon))
    elevation = load_dem().elevation_m(out7.lat.values, out7.lon.values)
    high = elevation > 4000.0
    print(
        f"res 7: {int(high.sum()):,} cells above 4,000 m (bundled DEM), {int((high & (out7.population.values > 0)).sum()):,} "
        f"with people ({float(out7.population.values[high].sum()):,.0f}), all of them settlement "
        f"footprints: {bool(np.allclose(out7.population.values[high], out7.settlement_population.values[high]))}"
    )
    for res in (6, 7):
        grid = build_grid("Islamabad Capital Territory + Rawalpindi", res)
        out = distribute_population(grid)
        ict = out.province.values == "Islamabad Capital Territory"
        print(
            f"res {res}: ICT {float(out.population.values[ict].sum()):,.0f} (census 2,363,863) "
            f"over {int((out.population.values[ict] > 0).sum())} cells; "
            + footprint(grid, out, "Islamabad", 33.72148, 73.04329)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default=GB_AJK)
    parser.add_argument("--resolution", type=int, default=None)
    parser.add_argument("--people", action="store_true")
    parser.add_argument("--corridor", action="store_true")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return one_region(args.one, args.resolution or 6)
    if args.corridor:
        return corridor(args.resolution or 6)
    if args.people:
        return people()
    args.resolution = args.resolution or 7

    timings = []

    def step(name, fn):
        start = time.perf_counter()
        result = fn()
        timings.append((name, time.perf_counter() - start))
        return result

    region = step("load region", lambda: load_region(args.region))
    grid = step("build grid", lambda: build_grid(region, args.resolution))
    dem = step("load DEM", load_dem)
    grid = step("terrain + horizons (72 sectors, 50 km)", lambda: add_terrain(grid, dem))
    grid = step("population (settlements)", lambda: distribute_population(grid))
    network = step("load network", load_network)
    grid = step("fibre reach (existing)", lambda: fiber_reach(grid, network))
    planned = step(
        "fibre reach (planned built)", lambda: fiber_reach(grid, network, include_planned=True)
    )

    n = grid.sizes["cell"]
    print(
        f"region: {region.name}  resolution {args.resolution}  cells {n:,}  "
        f"area {float(grid.area_km2.sum()):,.0f} km2 (polygon {region.area_km2:,.0f} km2)"
    )
    for name, seconds in timings:
        print(f"  {name:<42s} {seconds:7.2f} s")
    print(f"  {'total':<42s} {sum(s for _, s in timings):7.2f} s")
    print(
        f"horizon mean {float(grid.horizon_deg.mean()):.2f} deg, max {float(grid.horizon_deg.max()):.2f} deg; "
        f"population {float(grid.population.sum()):,.0f}; rural cells {int(grid.rural.sum()):,}; "
        f"on-network cells {int(grid.on_network.sum()):,}"
    )
    print(
        f"fibre distance median {float(np.median(grid.fiber_distance_km)):.1f} km, path median "
        f"{float(np.nanmedian(grid.fiber_path_km)):.1f} km; with planned routes: distance median "
        f"{float(np.median(planned.fiber_distance_km)):.1f} km"
    )


if __name__ == "__main__":
    main()
