"""Benchmark of a constellation sweep: 3 x 3 x 3 Walker points over Gilgit-Baltistan.

Workload: GB at H3 resolution 6 with terrain (bundled DEM, 72 sectors) and population,
a 6 h window at 60 s; one Walker system swept over planes (12, 18, 24) x satellites per
plane (12, 16, 20) x altitude (500, 550, 600 km), 53 deg, 25 deg minimum elevation,
GSO band 18 deg (Starlink's filed figures). Measured in one run:

1. the ground (grid, horizons, population), built once;
2. the 27 points on 1 process, then on ``--workers`` processes (fresh checkpoint
   folders, so every point runs), and the resume of a finished sweep (all from
   checkpoints); the results of the runs are compared for identity.

Run from anywhere but the repository root (``coverage/`` would shadow coverage.py)::

    .venv/bin/python benchmarks/bench_sweep.py [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

SCENARIO = """
name = "bench-sweep"
[region]
names = ["Gilgit-Baltistan"]
resolution = 6
[window]
start = "2026-05-30T00:00:00Z"
duration_h = 6
step_s = 60
[terrain]
enabled = true
[[systems]]
name = "walker"
walker = { altitude_km = 550, inclination_deg = 53, planes = 18, sats_per_plane = 16 }
min_elevation_deg = 25
gso_exclusion_deg = 18
"""

SWEEP = """
scenario = "scenario.toml"
system = "walker"
threshold_pct = 95
[combos]
planes = [12, 18, 24]
sats_per_plane = [12, 16, 20]
altitude_km = [500, 550, 600]
"""


def main() -> None:
    import xarray as xr
    from hybridplan.coverage.pipeline.sweep import sweep, sweep_grid
    from hybridplan.coverage.pipeline.sweep_spec import load_sweep

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "scenario.toml").write_text(SCENARIO, encoding="utf-8")
        (folder / "SWEEP.toml").write_text(SWEEP, encoding="utf-8")
        spec = load_sweep(folder / "SWEEP.toml")
        t0 = time.perf_counter()
        grid = sweep_grid(spec)
        t_grid = time.perf_counter() - t0
        print(f"ground: {grid.sizes['cell']} cells (GB, res 6, terrain + population) "
              f"in {t_grid:.1f} s")
        # warm the numba cache outside the timed runs
        warm = load_sweep(folder / "SWEEP.toml")
        sweep(warm.__class__(**{**warm.__dict__, "combos": {"planes": (12,)}}), grid=grid)
        timings = {}
        results = {}
        for workers in sorted({1, args.workers}):
            out = folder / f"out{workers}"
            t0 = time.perf_counter()
            results[workers] = sweep(spec, grid=grid, out_dir=out, workers=workers)
            timings[workers] = time.perf_counter() - t0
            n = int((results[workers]["point_status"] == 1).sum())
            print(f"sweep, {workers} process(es): {n} points x {grid.sizes['cell']} cells x "
                  f"360 steps in {timings[workers]:.1f} s ({timings[workers] / n:.2f} s per "
                  "point)")
        t0 = time.perf_counter()
        resumed = sweep(spec, grid=grid, out_dir=folder / "out1")
        print(f"resume of the finished sweep (27 checkpoints): {time.perf_counter() - t0:.2f} s")
        for ds in list(results.values())[1:] + [resumed]:
            xr.testing.assert_identical(ds, results[1])
        print("results identical across 1 / N processes and the resume: yes")
        if len(timings) > 1:
            print(f"speed-up with {args.workers} processes: "
                  f"{timings[1] / timings[args.workers]:.2f}x")
        area = results[1]["area_pct_meeting"].sel(system="walker")
        print("area % meeting 95 % of time (walker), planes x sats_per_plane at 550 km:")
        print(area.sel(altitude_km=550).to_pandas().round(1).to_string())


if __name__ == "__main__":
    main()
