"""``hybridplan coverage SCENARIO.toml --out DIR``: figures of merit per cell as NetCDF."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from ._console import add_scale_arguments


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "coverage",
        help="satellite coverage figures of merit per H3 cell (NetCDF)",
        description="Computes, for every cell of the scenario's region and every satellite "
        "system, the STK-style figures of merit (percent of time covered, with "
        "and without terrain, visible counts, gaps, best elevation, latency) and "
        "the 'combined' coverage of the licensed systems; writes DIR/coverage.nc "
        "atomically. SCENARIO may be 'default' for the bundled GB+AJK scenario. "
        "Example: hybridplan coverage default --out results/ --workers 2",
    )
    parser.add_argument(
        "scenario", nargs="?", metavar="SCENARIO.toml", help="scenario file, or 'default'"
    )
    parser.add_argument("--out", metavar="DIR", help="output folder (created if missing)")
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes (default: [engine] workers of the scenario)",
    )
    parser.add_argument(
        "--grid",
        metavar="GRID.nc",
        help="use this grid NetCDF (cells with terrain) instead of building it",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_scale_arguments(parser)
    parser.add_argument(
        "--defaults",
        action="store_true",
        help="print every key the scenario accepts (planning keys included) with its "
        "default, valid values and source, and exit",
    )
    parser.add_argument(
        "--print-default",
        action="store_true",
        help="print the bundled default scenario (TOML; every key at its default, "
        "with sources) and exit",
    )
    parser.set_defaults(handler=run_coverage)


def run_coverage(args: argparse.Namespace) -> int:
    from ..errors import CoverageError
    from ..scenario import default_scenario_text, schema_markdown
    from ._console import positive_workers

    if args.defaults:
        print(schema_markdown())
        return 0
    if args.print_default:
        sys.stdout.write(default_scenario_text())
        return 0
    if not args.scenario:
        raise CoverageError(
            "hybridplan coverage needs SCENARIO.toml (or 'default'); "
            "'hybridplan coverage --print-default > scenario.toml' writes one "
            "to start from"
        )
    if not args.out:
        raise CoverageError(
            "hybridplan coverage needs --out DIR, the folder to write coverage.nc into"
        )
    positive_workers(args.workers)
    started = time.perf_counter()
    from ..pipeline import write_netcdf
    from ..scenario import scenario_from_argument
    from .plan import output_folder

    scenario = scenario_from_argument(args.scenario)  # a bad scenario fails first
    with output_folder(args.out, "coverage") as folder:
        fom = _compute(args, scenario)
        write_netcdf(fom, folder.staging / "coverage.nc")
        folder.commit({"seconds": round(time.perf_counter() - started, 1)})
    path = Path(args.out) / "coverage.nc"
    print(summary(fom, time.perf_counter() - started, path))
    return 0


def _compute(args: argparse.Namespace, scenario):
    from ..pipeline import prepare_grid, resolve_systems, run_coverage
    from ..pipeline.build import ScenarioGrid
    from ._console import console, scheduler

    systems = resolve_systems(scenario)  # fail fast on bad systems before the ground step
    if args.grid:
        import xarray as xr

        try:
            grid = xr.load_dataset(args.grid, engine="h5netcdf")
        except (OSError, ValueError) as exc:
            from ..errors import CoverageError

            raise CoverageError(f"--grid {args.grid}: cannot read it as NetCDF ({exc})") from None
    else:
        grid = prepare_grid(scenario)
    n_steps = scenario.window.time_grid().n_steps
    with (
        scheduler(args.scheduler) as executor,
        console(n_steps, show_progress=not args.no_progress) as bar,
    ):
        return run_coverage(
            scenario,
            grid=grid,
            systems=systems,
            workers=args.workers,
            progress=bar,
            executor=executor,
            checkpoint_dir=args.checkpoints,
            # --scheduler: the workers rebuild the scenario's grid (a --grid file is sent)
            grid_recipe=None if args.grid else ScenarioGrid.of(scenario),
        )


def summary(fom, seconds: float, path: Path) -> str:
    """A short run summary: per system, satellites and coverage over the cells."""
    lines = [
        (
            f"coverage: {fom.sizes['cell']} cells x {fom.attrs['n_steps']} steps of "
            f"{fom.attrs['step_s']:g} s from {fom.attrs['window_start_utc']}, terrain "
            f"{'on' if fom.attrs['terrain'] else 'off'}"
        ),
        (
            f"{'system':14s} {'sats':>6s} {'min el':>7s} "
            f"{'covered % (mean / worst cell)':>30s} {'open sky %':>10s} {'max gap':>9s}"
        ),
    ]
    for name in fom["system"].values:
        row = fom.sel(system=name)
        pct = row["pct_time_covered"].values
        open_sky = row["pct_time_covered_open_sky"].values
        el = row["min_elevation_deg"].item()
        lines.append(
            f"{name:14s} {int(row['n_satellites']):6d} "
            f"{'-' if np.isnan(el) else f'{el:g}':>7s} "
            f"{pct.mean():17.2f} / {pct.min():6.2f}    {open_sky.mean():10.2f} "
            f"{row['max_gap_s'].values.max() / 60:7.0f} min"
        )
    failures = fom.attrs.get("propagation_failures_total", 0)
    if failures:
        lines.append(
            f"propagation failures: {failures} (satellite, step) pairs, see 'propagation_failures'"
        )
    lines.append(f"wrote {path} in {seconds:.1f} s")
    return "\n".join(lines)
