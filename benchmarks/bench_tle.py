"""Propagation speed: our chunked SGP4 -> ITRS path against raw ``SatrecArray.sgp4``.

Measured in one run on the same workload (bundled Starlink, a UTC window at a fixed step,
the same chunking): raw SGP4 alone on one core; our path (SGP4, error codes -> NaN,
TEME -> ITRS) on one core; our path with worker processes (their start-up included).
Prints satellite-epochs per second and the ratios. Not a test: run it by hand,

    python benchmarks/bench_tle.py [--hours 24] [--step-s 60] [--workers 2]

from any folder except the repository root (see README, "Layout").
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone

import numpy as np
from hybridplan.tle import TimeGrid, builtin_timescale, iter_chunks, load_constellation


def _raw(satrecs, grid: TimeGrid, steps_per_chunk: int) -> float:
    start = time.perf_counter()
    for index in grid.chunks(steps_per_chunk):
        whole, fraction = grid.julian_dates_utc(index)
        satrecs.sgp4(whole, fraction)
    return time.perf_counter() - start


def _ours(constellation, grid: TimeGrid, steps_per_chunk: int, workers: int, ts) -> float:
    start = time.perf_counter()
    failed = 0
    for chunk in iter_chunks(constellation.element_sets, grid, steps_per_chunk, workers=workers,
                             satrecs=constellation.satrec_array, timescale=ts):
        failed += chunk.n_failed
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--system", default="bundled:starlink")
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--step-s", type=float, default=60.0)
    parser.add_argument("--steps-per-chunk", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="best of N for each path")
    args = parser.parse_args()

    constellation = load_constellation(args.system)
    grid = TimeGrid(datetime(2026, 5, 30, tzinfo=timezone.utc), args.hours * 3600, args.step_s)
    ts = builtin_timescale()
    epochs = len(constellation) * grid.n_steps
    print(f"workload: {args.system}, {len(constellation)} satellites x {grid.n_steps} steps "
          f"= {epochs / 1e6:.2f} M satellite-epochs, chunks of {args.steps_per_chunk} steps")

    raw = min(_raw(constellation.satrec_array, grid, args.steps_per_chunk)
              for _ in range(args.repeat))
    one = min(_ours(constellation, grid, args.steps_per_chunk, 1, ts) for _ in range(args.repeat))
    many = min(_ours(constellation, grid, args.steps_per_chunk, args.workers, ts)
               for _ in range(args.repeat))
    rows = [("raw SatrecArray.sgp4, 1 core", raw), ("ours (SGP4 + ITRS), 1 core", one),
            (f"ours, {args.workers} worker processes", many)]
    for label, seconds in rows:
        print(f"  {label:38s} {seconds:7.2f} s  {epochs / seconds / 1e6:6.2f} M sat-epochs/s")
    print(f"ours 1 core / raw:           {raw / one:5.2f}x  (goal >= 0.90)")
    print(f"ours {args.workers} workers / raw:        {raw / many:5.2f}x  (goal >= 1.70)")
    print(f"cores on this machine: {len(__import__('os').sched_getaffinity(0))}; "
          f"numpy {np.__version__}")


if __name__ == "__main__":
    main()
