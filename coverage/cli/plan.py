"""``hybridplan plan``, ``hybridplan report`` and ``hybridplan compare``."""

from __future__ import annotations

import argparse
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..errors import CoverageError
from ._console import add_scale_arguments


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    plan = subparsers.add_parser(
        "plan",
        help="the whole pipeline: coverage, fibre reach, recommendation, report",
        description="Runs grid, terrain, population, fibre reach, satellite coverage and the "
        "backhaul recommendation, and writes DIR/plan.nc, report.html, cells.gpkg, "
        "districts.csv and attributes.csv (the [output] exports of the scenario; "
        "cells.geojson, cells.csv and report.pdf on request). Without a "
        "scenario it runs the bundled default (GB + AJK, H3 res 7, the bundled "
        "systems of 2026-05-30, 24 h at 60 s, terrain on). Example: "
        "hybridplan plan --out results/",
    )
    plan.add_argument(
        "scenario",
        nargs="?",
        default="default",
        metavar="SCENARIO.toml",
        help="scenario file (default: the bundled default scenario)",
    )
    plan.add_argument("--out", required=True, metavar="DIR", help="output folder")
    plan.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes for the coverage step (default: the scenario's)",
    )
    plan.add_argument(
        "--sweep",
        metavar="NAME=V1,V2,...",
        help="also write sweep.nc: the recommendation re-decided for each value, "
        "e.g. fiber_cost_per_km=10000,20000,54000",
    )
    plan.add_argument("--no-progress", action="store_true", help="no progress bar")
    plan.add_argument(
        "--pdf", action="store_true", help="also print the report to report.pdf (headless Chromium)"
    )
    add_scale_arguments(plan)
    plan.set_defaults(handler=run_plan)

    report = subparsers.add_parser(
        "report",
        help="re-render the report and exports of a plan.nc",
        description="Reads a plan.nc written by 'hybridplan plan' and writes report.html and "
        "the exports into DIR (default: the plan's folder).",
    )
    report.add_argument("plan_nc", metavar="plan.nc")
    report.add_argument("--out", metavar="DIR")
    report.set_defaults(handler=run_report)

    compare = subparsers.add_parser(
        "compare",
        help="cells whose recommendation differs between two plans",
        description="Compares two scenarios (run both) or two plan.nc files: the cells whose "
        "recommendation changed and the cost difference. Example: "
        "hybridplan compare base.toml no_starlink.toml --out cmp/",
    )
    compare.add_argument("a", metavar="A.toml|A.nc")
    compare.add_argument("b", metavar="B.toml|B.nc")
    compare.add_argument("--out", metavar="DIR", help="write DIR/changes.csv")
    compare.add_argument("--workers", type=int, default=None, metavar="N")
    compare.set_defaults(handler=run_compare)


def _build(
    scenario,
    workers: int | None,
    no_progress: bool,
    scheduler_spec: str | None = None,
    checkpoints: str | None = None,
):
    """Resolve the scenario once, then build the plan: ``(plan, inputs)``."""
    from ..pipeline import build_plan, resolve
    from ._console import console, scheduler

    inputs = resolve(scenario)  # fails fast on a bad table, element set, region or network
    with (
        scheduler(scheduler_spec) as executor,
        console(scenario.window.time_grid().n_steps, show_progress=not no_progress) as bar,
    ):
        plan = build_plan(
            inputs, workers=workers, progress=bar, executor=executor, checkpoint_dir=checkpoints
        )
    return plan, inputs


def plan_summary(plan) -> str:
    """Underserved cells and population, and counts by recommendation, per province."""
    meanings = plan["recommendation"].attrs["flag_meanings"].split()
    names = np.array(meanings)[plan["recommendation"].values]
    population = plan["population"].values
    underserved = plan["underserved"].values.astype(bool)
    header = (
        f"{'province':26s} {'cells':>7s} {'population':>11s} {'underserved':>11s} "
        f"{'und. pop.':>10s}  recommended (cells)"
    )
    lines = [header]
    for province in np.unique(plan["province"].values):
        m = plan["province"].values == province
        counts = {k: int(v) for k, v in zip(*np.unique(names[m], return_counts=True), strict=True)}
        shown = ", ".join(f"{k} {counts[k]}" for k in meanings if k in counts)
        lines.append(
            f"{province:26s} {m.sum():7d} {population[m].sum():11,.0f} "
            f"{(m & underserved).sum():11d} {population[m & underserved].sum():10,.0f}"
            f"  {shown}"
        )
    total = np.nansum(plan["cost_recommended_usd"].values)
    lines.append(
        f"present value of the recommended builds: USD {total:,.0f} over "
        f"{plan.attrs['planning_horizon_years']} years"
    )
    return "\n".join(lines)


def run_plan(args: argparse.Namespace) -> int:
    from ..pipeline import write_outputs
    from ..planning.sweep import parse_sweep, sweep
    from ..scenario import scenario_from_argument
    from ._console import positive_workers

    workers = positive_workers(args.workers)
    swept = parse_sweep(args.sweep) if args.sweep else None
    scenario = scenario_from_argument(args.scenario)
    started = time.perf_counter()
    with output_folder(args.out, "plan") as folder:  # checked before the long part
        plan, inputs = _build(scenario, workers, args.no_progress, args.scheduler, args.checkpoints)
        sweep_ds = sweep(plan, inputs.spec, *swept) if swept else None
        exports = tuple(scenario.output.exports)
        if args.pdf and "pdf" not in exports:
            exports += ("pdf",)
        written = write_outputs(plan, inputs, folder.staging, sweep=sweep_ds, exports=exports)
        folder.commit(run_record(scenario, started))
    print(plan_summary(plan))
    print(
        f"wrote {', '.join(p.name for p in written.values())} to {args.out} in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return 0


def run_record(scenario, started: float) -> dict:
    """What the manifest says about the run (the CLI may read the clock)."""
    import hashlib
    from datetime import datetime, timezone

    from . import _version

    return {
        "hybridplan_version": _version(),
        "scenario_name": scenario.name,
        "scenario_source": scenario.source,
        "scenario_sha256": hashlib.sha256(scenario.text.encode("utf-8")).hexdigest(),
        "finished_utc": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seconds": round(time.perf_counter() - started, 1),
    }


@contextmanager
def output_folder(out: str, command: str):
    """:class:`OutputFolder` with a full disk or an unwritable file turned into one line
    that names the file and says the previous outputs are unchanged."""
    from ..pipeline.folder import OutputFolder

    with OutputFolder(out, command) as folder:
        try:
            yield folder
        except OSError as exc:
            if exc.filename is None:
                raise
            raise CoverageError(
                f"{exc.filename}: cannot write ({exc.strerror}); nothing of this run was "
                f"kept and the previous outputs in {folder.path} are unchanged; free some "
                "space or choose another --out"
            ) from None


def _read_plan(path: str):
    import xarray as xr

    try:
        return xr.load_dataset(path, engine="h5netcdf")
    except FileNotFoundError:
        raise CoverageError(f"{path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise CoverageError(
            f"{path}: cannot read it as a plan NetCDF ({exc}); give the "
            "plan.nc written by 'hybridplan plan'"
        ) from None


def run_report(args: argparse.Namespace) -> int:
    from hybridplan import reports

    plan = _read_plan(args.plan_nc)
    if "recommendation" not in plan:
        raise CoverageError(
            f"{args.plan_nc}: no 'recommendation' variable: not a plan.nc "
            "(coverage.nc files have no planning)"
        )
    import shutil

    from ..pipeline import read_report_inputs

    started = time.perf_counter()
    source = Path(args.plan_nc).absolute().parent
    out = Path(args.out).absolute() if args.out else source
    extras = read_report_inputs(args.plan_nc)
    with output_folder(str(out), "report") as folder:
        if out == source:  # keep what the report does not rewrite (plan.nc, sweep.nc, ...)
            for kept in source.iterdir():
                if kept.is_file() and kept.name != "manifest.json":
                    shutil.copy2(kept, folder.staging / kept.name)
        written = reports.write_all(plan, folder.staging, **extras)
        folder.commit(
            {
                "plan": str(Path(args.plan_nc).absolute()),
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    print(f"wrote {', '.join(p.name for p in written.values())} to {out}")
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from ..planning.sweep import compare_plans
    from ..scenario import scenario_from_argument

    plans = []
    for spec in (args.a, args.b):
        if spec.endswith(".nc"):
            plans.append(_read_plan(spec))
        else:
            plans.append(_build(scenario_from_argument(spec), args.workers, True)[0])
    diff = compare_plans(*plans)
    print(
        f"{diff.attrs['n_changed']} of {diff.attrs['n_common_cells']} cells change their "
        f"recommendation; total cost A USD {diff.attrs['total_cost_a_usd']:,.0f}, "
        f"B USD {diff.attrs['total_cost_b_usd']:,.0f}"
    )
    if diff.attrs["n_changed"]:
        pairs, counts = np.unique(
            np.char.add(
                np.char.add(diff["recommendation_a"].values.astype(str), " -> "),
                diff["recommendation_b"].values.astype(str),
            ),
            return_counts=True,
        )
        for pair, count in sorted(zip(pairs, counts, strict=True), key=lambda x: -x[1]):
            print(f"  {count:6d}  {pair}")
    if args.out:
        from hybridplan.reports.atomic import write_text_atomic

        path = write_text_atomic(Path(args.out) / "changes.csv", diff.to_dataframe().to_csv())
        print(f"wrote {path}")
    return 0
