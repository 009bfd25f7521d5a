"""Benchmark of hybridplan.grids: grid + horizons + population + fibre reach for GB+AJK.

Run (from any folder except the repo root, so coverage/ cannot shadow coverage.py):

    /work/venv/bin/python /work/main/benchmarks/bench_grids.py [--resolution 7] [--region "..."]

Prints the wall time of each step and the total; goal <= 30 s at resolution 7 on 2 cores.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="Gilgit-Baltistan + Azad Jammu and Kashmir")
    parser.add_argument("--resolution", type=int, default=7)
    args = parser.parse_args()

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
    grid = step("population (dasymetric)", lambda: distribute_population(grid))
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
