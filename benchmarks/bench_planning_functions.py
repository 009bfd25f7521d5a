"""CPU time of the planning decision's own functions, on cached ground and coverage.

``bench_plan_stages.py`` times the planning and planned-route stages as wholes; this
script runs the same two stages and adds, per function of the planning decision
(``decide_sites``, ``assign_with_capacity``, ``satellite_options``, the rollout, the
demand sites, ...), the number of calls and the CPU time spent in them, summed over
threads (``time.thread_time`` of each outermost call: the licensing cases are decided on
two threads). On a shared machine thread CPU is the figure to compare; the stages'
wall times move with the other jobs.

    cd /tmp && $PY $REPO/benchmarks/bench_plan_stages.py cache /tmp/pak.toml /tmp/pak.pkl
    cd /tmp && $PY $REPO/benchmarks/bench_planning_functions.py /tmp/pak.pkl --json a.json
    # ... change the code, run again with --json b.json ...
    cd /tmp && $PY $REPO/benchmarks/bench_planning_functions.py --compare a.json b.json

``--ground`` and ``--fom`` read the ground and the coverage from two pickles of their own
instead (with ``--scenario``). Run from anywhere but the repository root.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pickle
import resource
import sys
import threading
import time

#: (module, function) timed; a function imported by name into other modules is timed
#: there too.
TIMED = [
    ("hybridplan.coverage.planning.decide", "decide"),
    ("hybridplan.coverage.planning.decide", "plan_sites"),
    ("hybridplan.coverage.planning.decide", "satellite_options"),
    ("hybridplan.coverage.planning.decide", "planning_variables"),
    ("hybridplan.coverage.planning.decide", "licensing_variables"),
    ("hybridplan.coverage.planning.decide", "site_cash_flows"),
    ("hybridplan.coverage.planning.network_plan", "network_plan"),
    ("hybridplan.coverage.planning.capacity", "joint_plan"),
    ("hybridplan.coverage.planning.capacity", "decide_sites"),
    ("hybridplan.coverage.planning.capacity", "assign_with_capacity"),
    ("hybridplan.coverage.planning.rollout", "site_rollout"),
    ("hybridplan.coverage.planning.rollout", "rollout_order"),
    ("hybridplan.coverage.planning.rollout", "_check_forest"),
    ("hybridplan.coverage.planning.sites", "demand_sites"),
    ("hybridplan.coverage.planning.sites", "cluster_points"),
]


def _cpu_s() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def _time_functions() -> dict[str, list]:
    """Wrap every TIMED function; returns ``{name: [calls, thread CPU s]}``, filled as
    they run (recursive and nested calls of one function count once)."""
    stats: dict[str, list] = {}
    depth = threading.local()

    def wrap(key, fn):
        def timed(*args, **kwargs):
            level = getattr(depth, key, 0)
            setattr(depth, key, level + 1)
            start = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                setattr(depth, key, level)
                if level == 0:
                    entry = stats.setdefault(key, [0, 0.0])
                    entry[0] += 1
                    entry[1] += time.thread_time() - start

        return timed

    for module_name, name in TIMED:
        fn = getattr(importlib.import_module(module_name), name)
        timed = wrap(f"{module_name.rsplit('.', 1)[1]}.{name}", fn)
        for module in list(sys.modules.values()):
            if getattr(module, "__name__", "").startswith("hybridplan"):
                if getattr(module, name, None) is fn:
                    setattr(module, name, timed)
    return stats


def run(args) -> dict:
    from hybridplan.coverage.pipeline import build, resolve
    from hybridplan.coverage.pipeline.planned_routes import planned_route_variables
    from hybridplan.coverage.scenario import scenario_from_argument

    if args.ground:
        with open(args.ground, "rb") as fh:
            ground = pickle.load(fh)
        with open(args.fom, "rb") as fh:
            fom = pickle.load(fh)
        scenario_arg = args.scenario
    else:
        with open(args.path, "rb") as fh:
            scenario_arg, ground, fom = pickle.load(fh)
    scenario = scenario_from_argument(scenario_arg)
    inputs = resolve(scenario)
    stats = _time_functions()
    t0, c0 = time.perf_counter(), _cpu_s()
    plan, decision = build.assemble_plan_and_decision(
        ground, fom, inputs.spec, scenario.licensing_cases()
    )
    t1, c1 = time.perf_counter(), _cpu_s()
    planned_route_variables(plan, inputs, own=decision)
    t2, c2 = time.perf_counter(), _cpu_s()
    result = {
        "stages": {"planning": [t1 - t0, c1 - c0], "planned_routes": [t2 - t1, c2 - c1]},
        "functions": stats,
    }
    print(f"{'stage':16s} {'wall [s]':>9s} {'cpu [s]':>8s}")
    for name, (wall, cpu) in result["stages"].items():
        print(f"{name:16s} {wall:9.2f} {cpu:8.2f}")
    print(f"{'function':38s} {'calls':>6s} {'cpu [s]':>8s}")
    for name, (calls, cpu) in sorted(stats.items()):
        print(f"{name:38s} {calls:6d} {cpu:8.3f}")
    return result


def compare(paths: list[str]) -> None:
    """Side by side: the least CPU of each function over the files of each side
    (``a1.json,a2.json b1.json,b2.json``: best of 2 per side)."""
    sides = [[json.load(open(p)) for p in side.split(",")] for side in paths]
    names = sorted({n for side in sides for r in side for n in r["functions"]})
    print(f"{'function':38s}" + "".join(f" {'side ' + str(k):>16s}" for k in range(len(sides))))
    for name in names:
        cells = []
        for side in sides:
            calls = side[0]["functions"].get(name, [0, 0.0])[0]
            cpu = min(r["functions"].get(name, [0, 0.0])[1] for r in side)
            cells.append(f" {calls:5d} x {cpu:8.3f}s")
        print(f"{name:38s}" + "".join(cells))
    for stage in ("planning", "planned_routes"):
        cells = []
        for side in sides:
            wall = min(r["stages"][stage][0] for r in side)
            cpu = min(r["stages"][stage][1] for r in side)
            cells.append(f" {wall:6.1f}w {cpu:6.1f}c")
        print(f"{stage:38s}" + "".join(f"{c:>17s}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", help="a bench_plan_stages.py cache pickle")
    parser.add_argument("--ground", help="pickle of the prepared ground (with --fom)")
    parser.add_argument("--fom", help="pickle of the coverage figures of merit")
    parser.add_argument("--scenario", help="scenario of --ground and --fom")
    parser.add_argument("--json", help="write the times to this file")
    parser.add_argument("--compare", nargs="+", metavar="A.json[,A2.json]")
    args = parser.parse_args()
    if args.compare:
        compare(args.compare)
        return
    if not args.path and not (args.ground and args.fom and args.scenario):
        parser.error("give a cache pickle, or --ground, --fom and --scenario")
    result = run(args)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh)


if __name__ == "__main__":
    main()
