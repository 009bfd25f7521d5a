"""CPU of the visibility kernel per system on real chunks, and the fold, in thread time.

Runs a scenario's coverage step until the engine has handed the kernel ``--chunks`` chunks
(the exact arguments of ``kernel.run_steps``, captured in memory), then times on them, per
system: the visibility pass (``kernel._system_steps``: tree walk, cell tests, best
elevation) and the fold into the accumulators (``kernel._fold``), best of ``--repeat``,
in ``time.thread_time`` (so other load on a shared machine counts less than in wall time).

Run from anywhere but the repository root (``coverage/`` would shadow coverage.py)::

    python /work/main/benchmarks/bench_kernel_chunks.py SCENARIO [--chunks 3] [--repeat 3]

``SCENARIO``: a scenario file or ``default``. For all of Pakistan at res 7, a scenario with
``[region] names = ["Pakistan"]`` and a 2 h window is enough (its first 3 chunks are 39
steps of 160,871 cells).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


class _Captured(Exception):
    """Raised once enough chunks are captured, to stop the coverage run."""


def capture_chunks(scenario_argument: str, n_chunks: int) -> list[list]:
    """The argument tuples of the scenario's first ``n_chunks`` calls of ``run_steps``."""
    from hybridplan.coverage.engine import compute_coverage
    from hybridplan.coverage.engine import run as engine_run
    from hybridplan.coverage.pipeline import prepare_grid
    from hybridplan.coverage.pipeline.inputs import resolve_systems
    from hybridplan.coverage.scenario import scenario_from_argument

    scenario = scenario_from_argument(scenario_argument)
    grid = prepare_grid(scenario)
    systems = resolve_systems(scenario)
    captured: list[list] = []
    original = engine_run.run_steps

    def capture(*args):
        captured.append([a.copy() if isinstance(a, np.ndarray) else a for a in args])
        if len(captured) >= n_chunks:
            raise _Captured
        return original(*args)

    engine_run.run_steps = capture
    try:
        compute_coverage(grid, systems, scenario.window.time_grid(), workers=1)
    except _Captured:
        pass
    finally:
        engine_run.run_steps = original
    return captured


def time_chunks(chunks: list[list], repeat: int) -> list[tuple[float, float]]:
    """Per system: (visibility, fold) thread time [s] summed over the chunks, best of
    ``repeat`` each."""
    from hybridplan.coverage.engine import kernel

    n_sys = chunks[0][3].shape[0]
    totals = np.zeros((n_sys, 2))
    for args in chunks:
        ptr, pos, gw, table, terrain, prune, cells, sin_h, nodes, links, depth = args[:11]
        acc, work = args[11], args[16]
        n = ptr.shape[0]
        n_vis, open_cov, req_ok, best_sin, best_d2 = (w[:n] for w in work[:5])
        best_gw = work[10][:n]
        cell_pos_up = np.ascontiguousarray(cells[:, :6].T)
        smap = np.full(cells.shape[0], -1, np.int64)
        series = [np.zeros((n, n_sys + 1, 0), d) for d in (np.int32, np.int8, np.float64)]
        for s in range(n_sys):
            best = [np.inf, np.inf]
            for _ in range(repeat):
                ent, nxt = np.empty((1024, 4)), np.empty(1024, np.int64)
                head = np.full(nodes.shape[0], -1, np.int64)
                marked = np.zeros(nodes.shape[0], np.int8)
                t0 = time.thread_time()
                kernel._system_steps(
                    ptr,
                    s,
                    pos,
                    gw,
                    table[s],
                    terrain,
                    prune,
                    cells,
                    sin_h,
                    nodes,
                    links,
                    depth,
                    n_vis,
                    open_cov,
                    req_ok,
                    best_sin,
                    best_d2,
                    best_gw,
                    ent,
                    nxt,
                    head,
                    marked,
                    cell_pos_up,
                )
                best[0] = min(best[0], time.thread_time() - t0)
                scratch = acc.copy()
                t0 = time.thread_time()
                kernel._fold(
                    scratch, s, n_vis, open_cov, req_ok, best_sin, best_d2, best_gw, smap, *series
                )
                best[1] = min(best[1], time.thread_time() - t0)
            totals[s] += best
    return [tuple(row) for row in totals]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario")
    parser.add_argument("--chunks", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    chunks = capture_chunks(options.scenario, options.chunks)
    time_chunks(chunks[:1], 1)  # compile
    n_steps = sum(c[0].shape[0] for c in chunks)
    print(f"{len(chunks)} chunks, {n_steps} steps, {chunks[0][6].shape[0]} cells")
    print("system  satellites/step  visibility [s]  fold [s]")
    for s, (vis, fold) in enumerate(time_chunks(chunks, options.repeat)):
        per_step = np.diff(chunks[0][0][0])[s]
        print(f"{s:6d}  {per_step:15d}  {vis:14.3f}  {fold:8.3f}")


if __name__ == "__main__":
    main()
