"""Planning and planned-route valuation alone, on a scenario's ground and coverage
computed once: wall and CPU time of each stage, and the plan's variables for comparing
two versions of the code.

The national benchmark (``bench_national_plan.py``) takes minutes before the planning
starts; here the ground and coverage are written once to a pickle and every later run
reads them and times only ``build.assemble_plan_and_decision`` (planning) and
``planned_route_variables`` (planned routes), as ``hybridplan plan`` and the national
benchmark call them::

    sed 's/^names = .*/names = ["Pakistan"]/' coverage/scenario/data/default_scenario.toml \\
        > /tmp/pak.toml
    cd /tmp && $PY $REPO/benchmarks/bench_plan_stages.py cache /tmp/pak.toml /tmp/pak.pkl
    cd /tmp && $PY $REPO/benchmarks/bench_plan_stages.py run /tmp/pak.pkl --out /tmp/a.pkl
    # ... change the code ...
    cd /tmp && $PY $REPO/benchmarks/bench_plan_stages.py run /tmp/pak.pkl --out /tmp/b.pkl
    cd /tmp && $PY $REPO/benchmarks/bench_plan_stages.py compare /tmp/a.pkl /tmp/b.pkl

``compare`` lists the plan variables (and route-table variables, ``route:*``) that are
not identical (NaN equal to NaN). CPU time is the process's (all threads); on a shared
machine it is the figure to compare. Run from anywhere but the repository root
(``coverage/`` would shadow coverage.py).
"""

from __future__ import annotations

import argparse
import pickle
import resource
import time


def _cpu_s() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def cache(scenario_arg: str, path: str, workers: int) -> None:
    """Resolve, ground and coverage of the scenario, pickled to ``path``."""
    from hybridplan.coverage.pipeline import build, resolve
    from hybridplan.coverage.pipeline.inputs import prepare_ground
    from hybridplan.coverage.scenario import scenario_from_argument

    scenario = scenario_from_argument(scenario_arg)
    inputs = resolve(scenario)
    ground = prepare_ground(inputs)
    fom = build.run_coverage(scenario, grid=ground, systems=inputs.systems, workers=workers)
    with open(path, "wb") as fh:
        pickle.dump((scenario_arg, ground, fom), fh, protocol=5)


def run(path: str, out: str | None) -> None:
    """Planning and planned routes on the cached ground and coverage, timed."""
    import numpy as np
    from hybridplan.coverage.pipeline import build, resolve
    from hybridplan.coverage.pipeline.planned_routes import planned_route_variables
    from hybridplan.coverage.scenario import scenario_from_argument

    with open(path, "rb") as fh:
        scenario_arg, ground, fom = pickle.load(fh)
    scenario = scenario_from_argument(scenario_arg)
    inputs = resolve(scenario)
    t0, c0 = time.perf_counter(), _cpu_s()
    plan, decision = build.assemble_plan_and_decision(
        ground, fom, inputs.spec, scenario.licensing_cases()
    )
    t1, c1 = time.perf_counter(), _cpu_s()
    routes = planned_route_variables(plan, inputs, own=decision)
    t2, c2 = time.perf_counter(), _cpu_s()
    print(f"{'stage':16s} {'wall [s]':>9s} {'cpu [s]':>8s}")
    print(f"{'planning':16s} {t1 - t0:9.1f} {c1 - c0:8.1f}")
    print(f"{'planned_routes':16s} {t2 - t1:9.1f} {c2 - c1:8.1f}")
    if "route" in routes:
        for k, name in enumerate(routes["route"][1]):
            saved = routes["route_cost_saved_usd"][1][k]
            changes = routes["route_technology_changes"][1][k]
            print(f"  {name}: USD {saved:,.0f} saved; {changes}")
    if out:
        values = {name: np.asarray(plan[name].values) for name in plan.data_vars}
        values.update({f"route:{k}": np.asarray(v[1]) for k, v in routes.items()})
        with open(out, "wb") as fh:
            pickle.dump(values, fh, protocol=5)


def compare(a_path: str, b_path: str) -> None:
    """The variables of two ``run --out`` files that are not identical."""
    import numpy as np

    with open(a_path, "rb") as fh:
        a = pickle.load(fh)
    with open(b_path, "rb") as fh:
        b = pickle.load(fh)
    differ = []
    for name in sorted(set(a) | set(b)):
        if name not in a or name not in b:
            differ.append(f"{name} (only in one)")
            continue
        x, y = a[name], b[name]
        if x.shape != y.shape:
            differ.append(f"{name} (shape {x.shape} vs {y.shape})")
        elif not np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"):
            differ.append(name)
    print(f"{len(a)} variables; not identical: {differ or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("cache", help="ground + coverage of a scenario to a pickle")
    p.add_argument("scenario")
    p.add_argument("path")
    p.add_argument("--workers", type=int, default=2)
    p = sub.add_parser("run", help="time planning + planned routes on a cached pickle")
    p.add_argument("path")
    p.add_argument("--out", help="pickle of the plan's variables, for compare")
    p = sub.add_parser("compare", help="variables of two runs that are not identical")
    p.add_argument("a")
    p.add_argument("b")
    args = parser.parse_args()
    if args.command == "cache":
        cache(args.scenario, args.path, args.workers)
    elif args.command == "run":
        run(args.path, args.out)
    else:
        compare(args.a, args.b)


if __name__ == "__main__":
    main()
