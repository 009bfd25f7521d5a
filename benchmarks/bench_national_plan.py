"""The whole plan of a scenario, stage by stage: wall time, CPU time and peak RSS.

Mirrors ``hybridplan plan`` (resolve -> ground -> coverage -> default series -> planning
-> planned-route valuation -> outputs: plan.nc here while forked children write the
report and the tables, and the GeoPackage) with a timer around each stage and a thread
sampling the resident set size every 50 ms: of this process alone (``RSS main``), summed
over it and its children (``RSS summed``, which counts the pages a forked child shares
with its parent once per process), and their proportional set size (``PSS``, which
divides shared pages among the processes sharing them: the memory the plan takes from
the machine). It prints one line per stage and the size of every file written.
``--serial-outputs`` writes the outputs one after the other, one stage each. Issue 16's national
benchmark: all Pakistan at H3 res 7, 24 h at 60 s, the bundled systems::

    sed 's/^names = .*/names = ["Pakistan"]/' coverage/scenario/data/default_scenario.toml \\
        > /tmp/pak.toml
    cd /tmp && /path/to/.venv/bin/python /path/to/benchmarks/bench_national_plan.py \\
        /tmp/pak.toml --out /tmp/pak_bench --workers 2

Without a scenario it runs the bundled default (GB + AJK). Run from anywhere but the
repository root (``coverage/`` would shadow coverage.py).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import threading
import time
from pathlib import Path


def _proc_kb(pid: int, file: str, key: str) -> int:
    """The ``key`` line of ``/proc/PID/file`` [kB]; 0 for a process that has ended."""
    try:
        with open(f"/proc/{pid}/{file}") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rss_kb(pid: int) -> int:
    return _proc_kb(pid, "status", "VmRSS:")


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared pages divided among the processes sharing them
    (a forked child's copy-on-write pages are not counted twice, as RSS sums do)."""
    return _proc_kb(pid, "smaps_rollup", "Pss:")


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


class Stages:
    """Wall, CPU and peak RSS (this process plus children) per named stage."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float, float, float, float, float]] = []
        self._peak_main = 0
        self._peak = 0
        self._peak_pss = 0
        self._name = ""
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            kids = _children(me)
            main = _rss_kb(me)
            rss = main + sum(_rss_kb(c) for c in kids)
            self._peak_main = max(self._peak_main, main)
            pss = _pss_kb(me) + sum(_pss_kb(c) for c in kids)
            self._peak = max(self._peak, rss)
            self._peak_pss = max(self._peak_pss, pss)
            time.sleep(0.05)

    def run(self, name: str, fn, *args, **kwargs):
        start = self._peak = self._peak_main = _rss_kb(os.getpid())
        self._peak_pss = _pss_kb(os.getpid())
        cpu0 = _cpu_s()
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        wall, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
        peaks = (self._peak_main / 1e6, self._peak / 1e6, self._peak_pss / 1e6)
        self.rows.append((name, wall, cpu, start / 1e6, *peaks))
        return out

    def print(self) -> None:
        print(
            f"{'stage':16s} {'wall [s]':>9s} {'cpu [s]':>8s} {'RSS at start [GB]':>18s} "
            f"{'peak RSS main [GB]':>19s} {'peak RSS summed [GB]':>21s} {'peak PSS [GB]':>14s}"
        )
        for name, wall, cpu, start, main, peak, pss in self.rows:
            print(
                f"{name:16s} {wall:9.1f} {cpu:8.1f} {start:18.2f} {main:19.2f} {peak:21.2f} "
                f"{pss:14.2f}"
            )
        total_wall = sum(r[1] for r in self.rows)
        total_cpu = sum(r[2] for r in self.rows)
        tops = [max(r[k] for r in self.rows) for k in (4, 5, 6)]
        print(
            f"{'total':16s} {total_wall:9.1f} {total_cpu:8.1f} {'':18s} {tops[0]:19.2f} "
            f"{tops[1]:21.2f} {tops[2]:14.2f}"
        )
        self._stop.set()


def _cpu_s() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _released(plan):
    """The plan, after the C heap's free pages went back to the system (as build_plan)."""
    from hybridplan.coverage.pipeline.inputs import release_free_memory

    release_free_memory()
    return plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", nargs="?", default="default")
    parser.add_argument("--out", required=True, help="output folder (replaced)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--serial-outputs",
        action="store_true",
        help="write plan.nc, report.html, cells.gpkg, districts.csv and attributes.csv "
        "one after the other, one stage each (the CLI writes the report concurrently)",
    )
    args = parser.parse_args()

    from hybridplan import reports
    from hybridplan.coverage.contract import seal_plan
    from hybridplan.coverage.pipeline import build, outputs, resolve
    from hybridplan.coverage.pipeline.inputs import prepare_ground
    from hybridplan.coverage.pipeline.planned_routes import planned_route_variables
    from hybridplan.coverage.scenario import scenario_from_argument

    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    stages = Stages()
    scenario = scenario_from_argument(args.scenario)
    inputs = stages.run("resolve", resolve, scenario)
    ground = stages.run("ground", prepare_ground, inputs)
    fom = stages.run(
        "coverage",
        build.run_coverage,
        scenario,
        grid=ground,
        systems=inputs.systems,
        workers=args.workers,
    )
    if not scenario.engine.series_cells and scenario.engine.default_series:
        fom = stages.run(
            "default_series",
            build.add_default_series,
            inputs,
            ground,
            fom,
            workers=args.workers,
            executor=None,
        )
    plan, decision = stages.run(
        "planning",
        build.assemble_plan_and_decision,
        ground,
        fom,
        inputs.spec,
        scenario.licensing_cases(),
    )
    del ground, fom
    plan = stages.run(
        "planned_routes",
        lambda p, own: seal_plan(
            _released(p.assign(planned_route_variables(p, inputs, own=own))), inputs.spec
        ),
        plan,
        decision,
    )
    del decision
    if args.serial_outputs:  # one file after the other, each timed (what main did)
        extras = outputs.report_inputs(plan, inputs)
        stages.run(
            "plan.nc",
            outputs.write_netcdf,
            plan,
            out / "plan.nc",
            float32=outputs.FLOAT32_VARIABLES,
        )
        for name, export in (
            ("report.html", "report"),
            ("cells.gpkg", "geopackage"),
            ("districts.csv", "districts_csv"),
            ("attributes.csv", "attributes_csv"),
        ):
            stages.run(name, reports.write_all, plan, out, exports=(export,), **extras)
    else:  # what hybridplan plan does: plan.nc here, the report and the GIS layers in children
        stages.run("outputs", outputs.write_outputs, plan, inputs, out)
    print(f"{plan.sizes['cell']:,} cells, {args.workers} workers, scenario {scenario.source}")
    stages.print()
    for path in sorted(out.iterdir()):
        print(f"{path.name:24s} {path.stat().st_size / 1e6:9.1f} MB")


if __name__ == "__main__":
    main()
