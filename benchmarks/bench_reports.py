"""Report write time and size: a real plan (``plan.nc`` written by ``hybridplan plan``, with
its ``report_inputs.json``) or a GB-sized synthetic plan (~14k res-7 cells).

Run from outside the repo root (or with PYTHONSAFEPATH=1)::

    python benchmarks/bench_reports.py [path/to/plan.nc] [--out DIR]

Prints seconds and megabytes per export (every export, the on-request ones included);
a benchmark, not a test.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import xarray as xr
from hybridplan import reports
from hybridplan.coverage import testing

GB_SIZED_BOX = (35.0, 37.0, 72.6, 76.8)  # (lat_min, lat_max, lon_min, lon_max) [deg]


def load(plan_nc: str | None) -> tuple[xr.Dataset, dict]:
    if plan_nc is None:
        plan = testing.synthetic_plan(box=GB_SIZED_BOX)
        return plan, {"boundaries": testing.synthetic_boundaries(GB_SIZED_BOX),
                      "network": testing.synthetic_network(),
                      "sweep": testing.synthetic_sweep()}
    plan = xr.load_dataset(plan_nc, engine="h5netcdf")
    extras = Path(plan_nc).parent / "report_inputs.json"
    return plan, json.loads(extras.read_text("utf-8")) if extras.exists() else {}


def main(plan_nc: str | None, out: Path) -> None:
    t0 = time.perf_counter()
    plan, extras = load(plan_nc)
    print(f"plan: {plan.sizes['cell']} cells ({time.perf_counter() - t0:.2f} s to load)")
    total = 0.0
    for name in reports.EXPORTS:
        if name == "pdf":
            try:
                reports.pdf.find_chromium()
            except reports.ChromiumNotFoundError as exc:
                print(f"pdf skipped: {exc}")
                continue
        t = time.perf_counter()
        written = reports.write_all(plan, out, exports=[name], **extras)
        seconds = time.perf_counter() - t
        total += seconds if name in reports.DEFAULT_EXPORTS else 0.0
        for kind, path in written.items():
            if kind == name:
                print(f"{path.name:15s} {seconds:6.2f} s  {path.stat().st_size / 1e6:7.2f} MB"
                      f"{'  (default)' if name in reports.DEFAULT_EXPORTS else ''}")
    print(f"default export set: {total:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan_nc", nargs="?")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.out:
        main(args.plan_nc, Path(args.out))
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(args.plan_nc, Path(folder))
