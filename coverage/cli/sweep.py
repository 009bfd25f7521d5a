"""``hybridplan sweep SWEEP.toml --out DIR``: constellation sweeps as one NetCDF.

Runs every point of the sweep (checkpointed in ``DIR/.checkpoints``, so an interrupted
sweep resumes where it stopped) and writes ``DIR/sweep.nc`` atomically.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="constellation sweep: figures of merit over swept parameters (NetCDF)",
        description="Runs the engine for every point of SWEEP.toml ([combos]: cartesian "
        "lists of Walker and visibility parameters; [[cases]]: sparse points; "
        "[constants]) on its base scenario, and writes DIR/sweep.nc: an xarray "
        "Dataset with each swept parameter as a dimension. Finished points are "
        "checkpointed in DIR/.checkpoints; rerun the same command to resume. "
        "Example: hybridplan sweep SWEEP.toml --out results/ --workers 2",
    )
    parser.add_argument("sweep", metavar="SWEEP.toml", help="the sweep file")
    parser.add_argument(
        "--out", metavar="DIR", required=True, help="output folder (created if missing)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="processes running points in parallel (default 1)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run_sweep)


def run_sweep(args: argparse.Namespace) -> int:
    from ..pipeline.sweep import sweep, write_sweep
    from ..pipeline.sweep_spec import load_sweep
    from ._console import console, positive_workers

    positive_workers(args.workers)
    started = time.perf_counter()
    spec = load_sweep(args.sweep)
    n_points = len(spec.points())
    resumed = []
    with console(n_points, show_progress=not args.no_progress, desc="sweep") as bar:

        def on_point(index, params, from_checkpoint):
            bar(1)
            if from_checkpoint:
                resumed.append(index)

        ds = sweep(spec, out_dir=args.out, workers=args.workers, on_point=on_point)
    path = write_sweep(ds, Path(args.out))
    print(summary(ds, len(resumed), time.perf_counter() - started, path))
    return 0


def summary(ds, n_resumed: int, seconds: float, path: Path) -> str:
    """Dimensions, points run and the best point of the swept system."""
    dims = [d for d in ds["point_status"].dims]
    sizes = " x ".join(f"{d} ({ds.sizes[d]})" for d in dims)
    planning = [d for d in ds.get("cost_usd", ds["point_status"]).dims if d not in dims]
    if planning:
        sizes += ", each re-planned over " + " x ".join(f"{d} ({ds.sizes[d]})" for d in planning)
    run = int((ds["point_status"] == 1).sum())
    lines = [
        (
            f"sweep over {sizes}: {run} points run ({n_resumed} from checkpoints), "
            f"threshold {ds.attrs['threshold_pct']:g} % of time"
        )
    ]
    area = ds["area_pct_meeting"].sel(system=ds.attrs["swept_system"])
    if run and bool(area.notnull().any()):
        best = area.where(area == area.max(), drop=True)
        point = ", ".join(f"{d} = {best[d].values[0]}" for d in dims)
        lines.append(
            f"best for {ds.attrs['swept_system']}: {float(area.max()):.1f} % of the "
            f"area meets it at {point}"
        )
    lines.append(f"wrote {path} in {seconds:.1f} s")
    return "\n".join(lines)
