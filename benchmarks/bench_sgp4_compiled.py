"""SGP4 to ITRS for every bundled near-earth satellite: python-sgp4's C++ vs the compiled port.

Measured in one run, on the same satellites and instants (24 h at 60 s split in chunks of
60 steps, as the engine does):

1. one thread: satellite-epochs per second of ``propagate_arrays`` (python-sgp4's
   ``SatrecArray``, holds the GIL) and of ``SatellitePropagator.itrs_km`` (numba, nogil);
2. two threads, each taking every other chunk: the speed-up over one thread, with the CPU
   seconds the process got (on a busy machine two threads cannot get two cores);
3. the largest position difference between the two [km].

Run from anywhere but the repository root (``coverage/`` would shadow coverage.py)::

    /work/venv/bin/python /work/main/benchmarks/bench_sgp4_compiled.py [--hours 24]
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def _run(propagate, chunks, threads: int) -> tuple[float, float]:
    """Wall and CPU seconds to propagate every chunk on ``threads`` threads."""
    cpu, started = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda chunk: propagate(*chunk), chunks))
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    from hybridplan.tle import TimeGrid, builtin_timescale, load_constellation
    from hybridplan.tle.bundled import bundled_snapshots
    from hybridplan.tle.propagate import SatellitePropagator, gmst_angles_rad, propagate_arrays
    from sgp4.api import SatrecArray

    satrecs = [
        e.to_satrec()
        for name in bundled_snapshots()
        for e in load_constellation(f"bundled:{name}").element_sets
    ]
    satrecs = [s for s in satrecs if s.method == "n"]
    epoch = np.median([s.jdsatepoch + s.jdsatepochF for s in satrecs])
    from datetime import datetime, timedelta, timezone

    start = datetime(2000, 1, 1, 12, tzinfo=timezone.utc) + timedelta(days=epoch - 2451545.0)
    grid = TimeGrid(start.replace(microsecond=0), args.hours * 3600.0, 60.0)
    ts = builtin_timescale()
    chunks = [
        (*grid.julian_dates_utc(index), gmst_angles_rad(grid, index, ts))
        for index in grid.chunks(60)
    ]
    array = SatrecArray(satrecs)
    SatellitePropagator(satrecs[:1])  # load the compiled initialisation from numba's cache
    started = time.perf_counter()
    propagator = SatellitePropagator(satrecs)
    build_s = time.perf_counter() - started
    propagator.itrs_km(None, *chunks[0])  # load the compiled code

    def cpp(whole, fraction, gmst):
        return propagate_arrays(array, whole, fraction, gmst)

    def compiled(whole, fraction, gmst):
        return propagator.itrs_km(None, whole, fraction, gmst)

    epochs = len(satrecs) * grid.n_steps
    print(
        f"{len(satrecs)} near-earth satellites x {grid.n_steps} steps; load average "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (other work skews every number)"
    )
    print(f"SatellitePropagator built in {build_s * 1e3:.0f} ms (reads the Satrec elements)")
    for label, function in (("C++ (python-sgp4)", cpp), ("compiled (numba)", compiled)):
        one = min(_run(function, chunks, 1) for _ in range(args.repeat))
        two = min(_run(function, chunks, 2) for _ in range(args.repeat))
        print(
            f"{label}: 1 thread {one[0]:.2f} s ({epochs / one[0] / 1e6:.2f} M epochs/s, "
            f"{one[1]:.2f} CPU s); 2 threads {two[0]:.2f} s ({two[1]:.2f} CPU s = "
            f"{two[1] / two[0]:.2f} cores): {one[0] / two[0]:.2f}x"
        )
    worst = 0.0
    for chunk in chunks:
        a, codes_a = cpp(*chunk)
        b, codes_b = compiled(*chunk)
        assert np.array_equal(codes_a, codes_b), "error codes differ"
        ok = codes_a == 0
        if ok.any():
            worst = max(worst, float(np.abs(a[ok] - b[ok]).max()))
    print(f"largest ITRS position difference, compiled vs C++: {worst:.3g} km")


if __name__ == "__main__":
    main()
