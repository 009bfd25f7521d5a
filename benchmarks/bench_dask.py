"""The engine's executors on one workload, in one run: serial, 2 threads (the default for
``--workers 2``), 2 local processes, and a 2-worker dask LocalCluster (processes, one
thread each), with every result checked identical to the serial one; on the cluster
twice: with the static inputs sent to the workers (``scatter``) and with the workers
building them from a recipe (``engine.recipe``: the scenario text and folder, the
element sets compressed), first run (the workers build the grid) and second run (their
cache), with the bytes each sends to every worker (the pickle of what is scattered, as
dask sends it; the per-task span times are the same in both and left out).

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
from dataclasses import replace

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
    from hybridplan.coverage.engine import EngineOptions, accumulate
    from hybridplan.coverage.engine.compute import engine_inputs
    from hybridplan.coverage.engine.executors import executor_from_spec
    from hybridplan.coverage.engine.recipe import StaticRecipe
    from hybridplan.coverage.engine.run import static_inputs, warm_kernel
    from hybridplan.coverage.pipeline import prepare_grid, resolve_systems
    from hybridplan.coverage.pipeline.build import ScenarioGrid
    from hybridplan.tle import TimeGrid

    scenario = default_scenario()
    window = scenario.window.time_grid()
    window = TimeGrid(window.start_utc, args.hours * 3600.0, window.step_s)
    started = time.perf_counter()
    grid = prepare_grid(scenario)
    systems = resolve_systems(scenario)
    height = scenario.terrain.antenna_height_m
    ground, _, weights = engine_inputs(grid, True, height, EngineOptions())
    print(
        f"{os.cpu_count()} CPUs; ground {time.perf_counter() - started:.1f} s; "
        f"{ground.tree.n_cells} cells, {sum(len(s.constellation) for s in systems)} "
        f"satellites, {window.n_steps} steps"
    )
    warm_kernel()
    options = EngineOptions()
    static = static_inputs(ground, systems, window, options, (), weights, True)
    recipe = StaticRecipe.of(
        ScenarioGrid.of(scenario),
        systems,
        window,
        terrain=True,
        antenna_height_m=height,
        options=options,
    )

    def timed(label, **kwargs):
        best, acc = np.inf, None
        for _ in range(args.repeat):
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            acc, stats = accumulate(ground, systems, window, weights=weights, **kwargs)
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
        client.run(warm_kernel)  # numba loaded on the workers before the timings
        cluster_start = time.perf_counter() - t0
        results["cluster"] = timed("2-worker dask LocalCluster", executor=client)
        results["cluster again"] = timed("  the same, scatter: second run", executor=client)
        worker_rss = client.run(_worker_maxrss_mb)
    t0 = time.perf_counter()
    with executor_from_spec("local:2") as client:  # fresh workers: nothing cached
        client.run(warm_kernel)
        recipe_start = time.perf_counter() - t0
        results["recipe"] = timed("  the same, recipe: first run", executor=client, recipe=recipe)
        results["recipe again"] = timed(
            "  the same, recipe: second run", executor=client, recipe=recipe
        )
        recipe_rss = client.run(_worker_maxrss_mb)
    n_workers = 2
    sent_scatter = n_workers * _pickled_bytes(static)
    sent_recipe = n_workers * _pickled_bytes(replace(recipe, token=static.token))
    print(
        f"bytes sent to the {n_workers} workers: static inputs {sent_scatter / 1e6:.2f} MB, "
        f"recipe {sent_recipe / 1e6:.3f} MB ({sent_scatter / sent_recipe:.0f}x less; "
        f"scenario text {len(scenario.text) / 1e3:.1f} kB, element sets "
        f"{sum(len(s.element_sets) for s in recipe.systems) / 1e3:.0f} kB compressed, "
        f"{sum(len(s.constellation) for s in systems)} satellites); recipe cluster start "
        f"{recipe_start:.1f} s with warm-up, not included"
    )
    reference = results["serial"][1]
    for name, (_, acc) in results.items():
        assert np.array_equal(acc.fields, reference.fields), name
    serial = results["serial"][0]
    print(
        f"ratios vs serial: threads {serial / results['threads'][0]:.2f}x, processes "
        f"{serial / results['processes'][0]:.2f}x, LocalCluster "
        f"{serial / results['cluster'][0]:.2f}x; LocalCluster vs local processes "
        f"{results['processes'][0] / results['cluster'][0]:.2f}x (cluster start "
        f"{cluster_start:.1f} s with warm-up, not included); all results identical"
    )
    threads = results["threads"][0]
    print(
        f"2-worker LocalCluster vs 2 local threads, same run: scatter "
        f"{threads / results['cluster'][0]:.2f}x (second run "
        f"{threads / results['cluster again'][0]:.2f}x), recipe first run "
        f"{threads / results['recipe'][0]:.2f}x (workers build the grid), recipe second "
        f"run {threads / results['recipe again'][0]:.2f}x (>1: the cluster is faster)"
    )
    print(
        f"peak RSS: this process {_maxrss_mb():.0f} MB (serial, threads, and the "
        "caller of the processes); cluster workers "
        f"{', '.join(f'{v:.0f}' for v in worker_rss.values())} MB (scatter), "
        f"{', '.join(f'{v:.0f}' for v in recipe_rss.values())} MB (recipe)"
    )


def _pickled_bytes(obj) -> int:
    """Bytes of ``obj`` pickled as dask sends it (protocol 5, out-of-band buffers
    counted)."""
    import pickle

    buffers = []
    head = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
    return len(head) + sum(memoryview(b).nbytes for b in buffers)


if __name__ == "__main__":
    main()
