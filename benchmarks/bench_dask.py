"""The engine's executors on one workload, in one run: serial, 2 threads (the default for
``--workers 2``), 2 local processes, and a 2-worker dask LocalCluster (processes, one
thread each), with every result checked identical to the serial one.

Workload: the bundled default scenario's coverage step (GB + AJK at H3 resolution 7,
every bundled system, terrain on), over ``--hours`` hours at its 60 s step. The ground
(grid, DEM, horizons) is built once, before the timings. Prints wall seconds, ratios,
the machine's load average (other work on the machine skews every number) and peak RSS
(this process, and each cluster worker's own maximum).

Run from anywhere but the repository root (``coverage/`` would shadow coverage.py)::

    /work/wt/engine/.venv/bin/python /work/wt/engine/benchmarks/bench_dask.py --hours 24
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings

import numpy as np


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _worker_maxrss_mb() -> float:
    """Peak RSS of this process's own memory map (VmHWM; ru_maxrss survives exec, so a
    spawned worker would report its parent's)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--repeat", type=int, default=1, help="best of N for each mode")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from hybridplan.coverage import default_scenario
    from hybridplan.coverage.engine import EngineOptions, accumulate, ground_from_grid
    from hybridplan.coverage.engine.executors import executor_from_spec
    from hybridplan.coverage.engine.run import warm_kernel
    from hybridplan.coverage.pipeline import prepare_grid, resolve_systems
    from hybridplan.tle import TimeGrid

    scenario = default_scenario()
    window = scenario.window.time_grid()
    window = TimeGrid(window.start_utc, args.hours * 3600.0, window.step_s)
    started = time.perf_counter()
    grid = prepare_grid(scenario)
    systems = resolve_systems(scenario)
    ground = ground_from_grid(grid, True, scenario.terrain.antenna_height_m)
    print(
        f"{os.cpu_count()} CPUs; ground {time.perf_counter() - started:.1f} s; "
        f"{ground.tree.n_cells} cells, {sum(len(s.constellation) for s in systems)} "
        f"satellites, {window.n_steps} steps"
    )
    warm_kernel()

    def timed(label, **kwargs):
        best, acc = np.inf, None
        for _ in range(args.repeat):
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            acc, stats = accumulate(ground, systems, window, **kwargs)
            best = min(best, time.perf_counter() - t0)
        print(f"{label:34s} {best:7.2f} s   (load average before: {load:.2f})", flush=True)
        return best, acc

    results = {}
    results["serial"] = timed("serial (1 worker)")
    results["threads"] = timed("2 workers: threads (default)", workers=2)
    results["processes"] = timed(
        "2 workers: local processes", workers=2, options=EngineOptions(processes=True)
    )
    t0 = time.perf_counter()
    with executor_from_spec("local:2") as client:
        cluster_start = time.perf_counter() - t0
        results["cluster"] = timed("2-worker dask LocalCluster", executor=client)
        worker_rss = client.run(_worker_maxrss_mb)
    reference = results["serial"][1]
    for name, (_, acc) in results.items():
        assert np.array_equal(acc.fields, reference.fields), name
    serial = results["serial"][0]
    print(
        f"ratios vs serial: threads {serial / results['threads'][0]:.2f}x, processes "
        f"{serial / results['processes'][0]:.2f}x, LocalCluster "
        f"{serial / results['cluster'][0]:.2f}x; LocalCluster vs local processes "
        f"{results['processes'][0] / results['cluster'][0]:.2f}x (cluster start "
        f"{cluster_start:.1f} s, not included); all results identical"
    )
    print(
        f"peak RSS: this process {_maxrss_mb():.0f} MB (serial, threads, and the "
        "caller of the processes); cluster workers "
        f"{', '.join(f'{v:.0f}' for v in worker_rss.values())} MB"
    )


if __name__ == "__main__":
    main()
