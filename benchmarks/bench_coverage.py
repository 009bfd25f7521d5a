"""Benchmark of the coverage engine on the default workload, against two baselines.

Workload: the bundled default scenario (Gilgit-Baltistan + AJK at H3 resolution 7, every
bundled LEO/MEO system and PakSat, 24 h at 60 s, terrain on). Measured in one run:

1. the ground step (``hybridplan.grids``: cells, DEM, horizons), reported apart;
2. our engine end to end for the coverage step: resolve the systems (read the element
   sets), propagate, evaluate, build the Dataset, write the NetCDF; with 1 and N workers;
3. a plain numpy broadcast baseline: SGP4 for every satellite at every step, then per
   step a (cells x satellites) broadcast in blocks of cells: elevation, GSO band (Newton
   in numpy), terrain sector, counts and best elevation. Run on a sample of steps and
   scaled to the window (labelled);
4. the naive way: skyfield ``(satellite - wgs84.latlon(...)).at(t).altaz()`` per pair and
   per step, on a random sample of (cell, satellite, step) triples, scaled to all of them;
5. peak memory (max RSS of a child process) for a 6 h and a 48 h window;
6. numba compile time (child process with an empty cache).

Run from anywhere but the repository root (``coverage/`` would shadow coverage.py)::

    /work/venv/bin/python /work/main/benchmarks/bench_coverage.py [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import timedelta

import numpy as np


def _grid(scenario):
    from hybridplan.coverage.pipeline import prepare_grid
    started = time.perf_counter()
    grid = prepare_grid(scenario)
    return grid, time.perf_counter() - started


def engine_run(scenario, grid, workers: int, out_dir: str) -> tuple[float, object]:
    """The coverage step end to end (element sets read inside the timing). Also prints
    the cores the process actually got (CPU seconds / wall seconds) and the load average:
    with other work on a 2-core machine, 2 workers cannot get 2 cores."""
    from hybridplan.coverage.pipeline import run_coverage as run_scenario
    from hybridplan.coverage.pipeline import write_netcdf
    load = os.getloadavg()[0]
    cpu_before = os.times()
    started = time.perf_counter()
    fom = run_scenario(scenario, grid=grid, workers=workers)
    write_netcdf(fom, os.path.join(out_dir, f"coverage_{workers}.nc"))
    seconds = time.perf_counter() - started
    cpu_after = os.times()
    cpu_s = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
    print(f"  ({workers} worker(s): {cpu_s:.1f} CPU s over {seconds:.1f} s wall = "
          f"{cpu_s / seconds:.2f} cores used; load average before {load:.2f})")
    return seconds, fom


# ------------------------------------------------------------------ numpy baseline
def _gso_cos_numpy(p, v, iterations=6):
    """Cosine of the angle from unit directions v (m, 3) at points p (m, 3) to the GSO ring."""
    from hybridplan.coverage.engine.geometry import GSO_RADIUS_KM as r
    phi = np.arctan2(v[:, 1], v[:, 0])
    vp = np.einsum("ij,ij->i", v, p)
    a = r * r + np.einsum("ij,ij->i", p, p)
    for _ in range(iterations):
        c, s = np.cos(phi), np.sin(phi)
        a1, b1 = v[:, 0] * c + v[:, 1] * s, p[:, 0] * c + p[:, 1] * s
        n, q = r * a1 - vp, a - 2 * r * b1
        n1, q1 = r * (-v[:, 0] * s + v[:, 1] * c), 2 * r * (p[:, 0] * s - p[:, 1] * c)
        g = n1 * q - 0.5 * n * q1
        g1 = -r * a1 * q + 0.5 * n1 * q1 - n * r * b1
        phi = phi + np.clip(np.where(g1 < 0, -g / np.where(g1 < 0, g1, 1.0), np.sign(g) * 0.05),
                            -0.05, 0.05)
    c, s = np.cos(phi), np.sin(phi)
    return (r * (v[:, 0] * c + v[:, 1] * s) - vp) / np.sqrt(a - 2 * r * (p[:, 0] * c + p[:, 1] * s))


def numpy_baseline(systems, ground, window, n_sample_steps: int, block: int = 256) -> float:
    """Seconds per step of the plain numpy way (propagation included)."""
    from hybridplan.tle.propagate import builtin_timescale, gmst_angles_rad, propagate_arrays
    from sgp4.api import SatrecArray
    tree = ground.tree
    cells = tree.cell_data
    p, up, east, north = cells[:, :3], cells[:, 3:6], cells[:, 6:9], cells[:, 9:12]
    sin_h = tree.sin_horizon
    k = sin_h.shape[1]
    arrays = [SatrecArray([e.to_satrec() for e in s.constellation.element_sets])
              for s in systems]
    steps = np.linspace(0, window.n_steps - 1, n_sample_steps).round().astype(int)
    ts = builtin_timescale()
    n_cells = len(p)
    started = time.perf_counter()
    for step in steps:
        index = slice(int(step), int(step) + 1)
        whole, fraction = window.julian_dates_utc(index)
        gmst = gmst_angles_rad(window, index, ts)
        comb = np.zeros(n_cells, dtype=bool)
        for system, array in zip(systems, arrays, strict=True):
            pos, err = propagate_arrays(array, whole, fraction, gmst)
            sats = pos[:, 0][err[:, 0] == 0]
            sin_min = np.sin(np.radians(system.min_elevation_deg))
            count = np.zeros(n_cells, np.int64)
            best = np.full(n_cells, -2.0)
            for lo in range(0, n_cells, block):
                hi = min(lo + block, n_cells)
                d = sats[None, :, :] - p[lo:hi, None, :]
                dist = np.sqrt(np.einsum("ijk,ijk->ij", d, d))
                sin_el = np.einsum("ijk,ik->ij", d, up[lo:hi]) / dist
                vis = sin_el >= sin_min
                ci, si = np.nonzero(vis)
                dv = d[ci, si]
                if system.gso_exclusion_deg > 0 and ci.size:
                    f = _gso_cos_numpy(p[lo:hi][ci], dv / dist[ci, si, None])
                    keep = f <= np.cos(np.radians(system.gso_exclusion_deg))
                    ci, si, dv = ci[keep], si[keep], dv[keep]
                az = np.arctan2(np.einsum("ij,ij->i", dv, east[lo:hi][ci]),
                                np.einsum("ij,ij->i", dv, north[lo:hi][ci])) % (2 * np.pi)
                sector = np.minimum((az * k / (2 * np.pi)).astype(int), k - 1)
                ok = sin_el[ci, si] > sin_h[lo:hi][ci, sector]
                np.add.at(count, lo + ci[ok], 1)
                np.maximum.at(best, lo + ci[ok], sin_el[ci[ok], si[ok]])
            if system.licensed:
                comb |= count > 0
    return (time.perf_counter() - started) / len(steps)


# ------------------------------------------------------------------ naive skyfield
def skyfield_naive(systems, ground, window, n_pairs: int, seed: int = 1) -> float:
    """Seconds per (cell, satellite, step) of skyfield's per-pair alt/az."""
    from skyfield.api import EarthSatellite, load, wgs84
    ts = load.timescale(builtin=True)
    rng = np.random.default_rng(seed)
    sets = [e for s in systems for e in s.constellation.element_sets]
    picks = rng.integers(0, len(sets), n_pairs)
    cells = rng.integers(0, len(ground.lat_deg), n_pairs)
    steps = rng.integers(0, window.n_steps, n_pairs)
    satellites = {i: EarthSatellite(*sets[i].tle_lines, ts=ts) for i in set(picks.tolist())}
    start = window.start_utc
    started = time.perf_counter()
    for i, c, s in zip(picks, cells, steps, strict=True):
        when = start + timedelta(seconds=float(s) * window.step_s)
        t = ts.from_datetime(when)
        topos = wgs84.latlon(ground.lat_deg[c], ground.lon_deg[c],
                             elevation_m=ground.height_km[c] * 1000.0)
        (satellites[int(i)] - topos).at(t).altaz()
    return (time.perf_counter() - started) / n_pairs


# ------------------------------------------------------------------ children
def child_memory(hours: float, grid_path: str) -> dict:
    """Run the engine on a window of ``hours`` in this (child) process; report memory."""
    import xarray as xr
    from hybridplan.coverage import default_scenario
    from hybridplan.coverage import run_coverage as run_scenario
    warnings.simplefilter("ignore")
    scenario = default_scenario()
    from dataclasses import replace
    scenario = replace(scenario, window=replace(scenario.window, duration_h=hours), text="x")
    grid = xr.load_dataset(grid_path, engine="h5netcdf")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    run_scenario(scenario, grid=grid, workers=1)
    return {"hours": hours, "seconds": time.perf_counter() - started,
            "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "maxrss_before_mb": before / 1024.0}


def child_compile() -> dict:
    """Import and run a tiny workload with an empty numba cache: the compile time."""
    started = time.perf_counter()
    from datetime import datetime, timezone

    import xarray as xr
    from hybridplan.coverage import SystemModel, compute_coverage
    from hybridplan.tle import Constellation, TimeGrid, WalkerShell
    t0 = datetime(2026, 5, 30, tzinfo=timezone.utc)
    shell = Constellation.from_walker(WalkerShell("w", 550, 53, 4, 4, 1), t0)
    grid = xr.Dataset({"lat": ("cell", [35.0, 35.1]), "lon": ("cell", [75.0, 75.1]),
                       "horizon_deg": (("cell", "azimuth"), np.zeros((2, 8)))},
                      coords={"cell": ["a", "b"]})
    imported = time.perf_counter()
    compute_coverage(grid, [SystemModel("w", shell, 25.0, 1, 18.0)], TimeGrid(t0, 600, 60))
    return {"import_s": imported - started, "first_run_s": time.perf_counter() - imported}


def _child(args: list[str], env: dict | None = None) -> dict:
    result = subprocess.run([sys.executable, os.path.abspath(__file__), *args],
                            capture_output=True, text=True, env=env, cwd=tempfile.gettempdir())
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2,
                        help="timed runs per worker count, alternating (best one counts)")
    parser.add_argument("--numpy-steps", type=int, default=3)
    parser.add_argument("--skyfield-pairs", type=int, default=300)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-compile", action="store_true")
    parser.add_argument("--child-memory", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--child-compile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--grid", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        print(json.dumps(child_memory(args.child_memory, args.grid)))
        return
    if args.child_compile:
        print(json.dumps(child_compile()))
        return

    warnings.simplefilter("ignore")
    from hybridplan.coverage import default_scenario
    from hybridplan.coverage.engine import ground_from_grid
    from hybridplan.coverage.pipeline import resolve_systems, write_netcdf

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f} (other work on the machine skews every number)")
    scenario = default_scenario()
    window = scenario.window.time_grid()
    grid, ground_s = _grid(scenario)
    print(f"ground step (hybridplan.grids: cells, DEM, horizons): {ground_s:.1f} s, "
          f"{grid.sizes['cell']} cells")
    with tempfile.TemporaryDirectory() as tmp:
        grid_path = os.path.join(tmp, "grid.nc")
        write_netcdf(grid, grid_path)
        # warm-up: load the compiled kernel from numba's cache (and compile if missing)
        started = time.perf_counter()
        _child_free_warmup(scenario, grid)
        warm_s = time.perf_counter() - started
        results: dict[int, list[float]] = {}
        for _ in range(args.repeat):  # alternating, so drift in the load hits both
            for workers in sorted({1, args.workers}):
                seconds, fom = engine_run(scenario, grid, workers, tmp)
                results.setdefault(workers, []).append(seconds)
                print(f"engine end to end, {workers} worker(s): {seconds:.2f} s "
                      f"({fom.attrs['satellite_epochs_propagated']:,} satellite-epochs "
                      "propagated)")
        best = {workers: min(times) for workers, times in results.items()}
        ours = best[args.workers]
        if 1 in best and args.workers != 1:
            print(f"{args.workers} workers vs 1: {best[1] / ours:.2f}x (best of "
                  f"{args.repeat} each, same run: {best[1]:.2f} s vs {ours:.2f} s)")
        systems = resolve_systems(scenario)
        ground = ground_from_grid(grid, True, scenario.terrain.antenna_height_m)
        n_sat = sum(len(s.constellation) for s in systems)
        per_step = numpy_baseline(systems, ground, window, args.numpy_steps)
        numpy_s = per_step * window.n_steps
        print(f"numpy broadcast baseline: {per_step:.2f} s/step measured on "
              f"{args.numpy_steps} steps -> {numpy_s:,.0f} s for {window.n_steps} steps "
              "(scaled)")
        per_pair = skyfield_naive(systems, ground, window, args.skyfield_pairs)
        pairs = grid.sizes["cell"] * n_sat * window.n_steps
        naive_s = per_pair * pairs
        print(f"naive skyfield per pair: {per_pair * 1e3:.2f} ms per (cell, satellite, step), "
              f"measured on {args.skyfield_pairs} -> {naive_s:.3g} s for {pairs:.3g} "
              f"(= {naive_s / 86400 / 365:.0f} years, scaled)")
        print(f"ratios (same run, engine with {args.workers} workers): "
              f"{numpy_s / ours:,.0f}x the numpy baseline, {naive_s / ours:.3g}x the naive "
              "way")
        print(f"numba: loading the compiled kernel (warm-up run) {warm_s:.1f} s")
        if not args.skip_memory:
            for hours in (6.0, 48.0):
                m = _child(["--child-memory", str(hours), "--grid", grid_path])
                print(f"peak memory, {hours:g} h window (child, 1 worker): "
                      f"{m['maxrss_mb']:.0f} MB max RSS ({m['seconds']:.1f} s)")
        if not args.skip_compile:
            with tempfile.TemporaryDirectory() as cache:
                env = dict(os.environ, NUMBA_CACHE_DIR=cache)
                c = _child(["--child-compile"], env)
            print(f"numba compile with an empty cache: {c['first_run_s']:.1f} s "
                  f"(imports {c['import_s']:.1f} s)")


def _child_free_warmup(scenario, grid) -> None:
    from hybridplan.coverage import EngineOptions, compute_coverage
    from hybridplan.coverage.pipeline import resolve_systems
    systems = resolve_systems(scenario)[-1:]
    from hybridplan.tle import TimeGrid
    for workers in (1, 2):  # both paths: the thread path also loads the compiled merge
        compute_coverage(grid.isel(cell=slice(0, 50)), systems,
                         TimeGrid(scenario.window.start, 3600, 60), options=EngineOptions(),
                         workers=workers)


if __name__ == "__main__":
    main()
