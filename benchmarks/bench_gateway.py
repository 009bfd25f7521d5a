"""Cost of the bent-pipe gateway rule: the bundled Starlink snapshot over Gilgit-Baltistan.

Workload: H3 resolution 6 (about 1,700 cells), 6 h at 60 s steps, terrain off, Starlink's
operational shell (the default scenario's filter, 25 deg, GSO band 18 deg). Measured in
one run, each engine run timed after a warm-up (numba compiled and the grid built):

1. no gateways (the first release's path: the kernel is given ``-1`` per satellite);
2. with 1, 8 and 64 gateways at what-if points (a grid over Pakistan and its neighbours,
   not real sites), 10 deg: the mask (one pass per gateway over the candidate satellites)
   and the kernel carrying each satellite's gateway slant range;

and prints the ratios to (1), plus the mean coverage and latency of each, so the effect
of the rule is visible. Timings depend on the machine (and on what else runs on it).

Run from anywhere but the repository root (``coverage/`` would shadow coverage.py)::

    /work/venv/bin/python /work/main/benchmarks/bench_gateway.py
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import numpy as np


def main() -> None:
    from hybridplan.coverage.engine import SystemModel, compute_coverage
    from hybridplan.coverage.engine.gateway import Gateway
    from hybridplan.grids import build_grid
    from hybridplan.tle import TimeGrid, load_constellation

    start = datetime(2026, 5, 30, tzinfo=timezone.utc)
    starlink = load_constellation("bundled:starlink").select(altitude_km=(400.0, 600.0))
    grid = build_grid("Gilgit-Baltistan", 6)
    window = TimeGrid(start, 6 * 3600.0, 60.0)
    lat, lon = np.meshgrid(np.linspace(24.0, 42.0, 8), np.linspace(62.0, 80.0, 8))
    points = [
        Gateway(f"what-if {k}", float(a), float(b), 0.0, 10.0)
        for k, (a, b) in enumerate(zip(lat.ravel(), lon.ravel(), strict=True))
    ]
    # one gateway: the grid point nearest Gilgit; eight: the diagonal SW to NE
    near = min(points, key=lambda g: (g.lat_deg - 35.9) ** 2 + (g.lon_deg - 74.3) ** 2)
    cases = {"none": (), "1": (near,), "8": tuple(points[::9]), "64": tuple(points)}

    def run(gateways):
        system = SystemModel("starlink", starlink, 25.0, gso_exclusion_deg=18.0, gateways=gateways)
        t0 = time.perf_counter()
        fom = compute_coverage(grid, [system], window, terrain=False, stk=False)
        return time.perf_counter() - t0, fom.sel(system="starlink")

    run(cases["1"])  # warm-up: compile, caches
    print(
        f"Starlink ({len(starlink)} satellites) over GB: {grid.sizes['cell']} cells, "
        f"{window.n_steps} steps"
    )
    base = None
    for name, gateways in cases.items():
        (first, _), (second, row) = run(gateways), run(gateways)
        seconds = min(first, second)
        base = base or seconds
        print(
            f"gateways {name:>4}: {seconds:6.2f} s  ({seconds / base:4.2f} x none)  "
            f"covered {float(row['pct_time_covered'].mean()):5.1f} %  "
            f"latency {float(row['latency_rtt_mean_ms'].mean()):7.3f} ms"
        )


if __name__ == "__main__":
    main()
