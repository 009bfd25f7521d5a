"""Report generation speed and size for a GB-sized synthetic plan (~14k res-7 cells).

Run: /work/venv/bin/python benchmarks/bench_reports.py [out_dir]   (from outside the repo
root, or with PYTHONSAFEPATH=1). Prints seconds and megabytes per output; a benchmark,
not a test.
"""

import sys
import tempfile
import time
from pathlib import Path

from hybridplan.coverage import testing
from hybridplan.reports import (
    write_cells_csv,
    write_districts_csv,
    write_geojson,
    write_geopackage,
    write_report,
)

GB_SIZED_BOX = (35.0, 37.0, 72.6, 76.8)  # (lat_min, lat_max, lon_min, lon_max) [deg]


def main(out: Path) -> None:
    t0 = time.perf_counter()
    plan = testing.synthetic_plan(box=GB_SIZED_BOX)
    print(f"synthetic plan: {plan.sizes['cell']} cells at H3 res 7 "
          f"({time.perf_counter() - t0:.2f} s to build)")
    steps = [
        ("report.html", lambda p: write_report(
            plan, p, boundaries=testing.synthetic_boundaries(GB_SIZED_BOX),
            network=testing.synthetic_network(), sweep=testing.synthetic_sweep())),
        ("cells.gpkg", lambda p: write_geopackage(plan, p)),
        ("cells.geojson", lambda p: write_geojson(plan, p)),
        ("cells.csv", lambda p: write_cells_csv(plan, p)),
        ("districts.csv", lambda p: write_districts_csv(plan, p)),
    ]
    for name, write in steps:
        t = time.perf_counter()
        path = write(out / name)
        print(f"{name:14s} {time.perf_counter() - t:6.2f} s  "
              f"{path.stat().st_size / 1e6:7.2f} MB")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(Path(folder))
