"""Are two plan output folders the same? File by file: bytes first, then content.

For a change that must not change any answer (a faster writer, a compiled kernel): run
the same scenario on both versions (``hybridplan plan`` or ``bench_national_plan.py``
with ``--out``), then::

    cd /tmp && /path/to/.venv/bin/python /path/to/benchmarks/compare_plan_outputs.py \\
        /tmp/before /tmp/after

Byte-identical files are reported as such. Otherwise the content is compared: plan.nc
variable by variable (values bit for bit, NaN equal to NaN, and attributes), the
GeoPackage table by table (every row), CSV files line by line, and the report's text
(the first differing position). Exit status 1 when anything differs.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path


def _same_netcdf(a: Path, b: Path) -> list[str]:
    import numpy as np
    import xarray as xr

    problems = []
    with xr.open_dataset(a, engine="h5netcdf") as x, xr.open_dataset(b, engine="h5netcdf") as y:
        if set(x.variables) != set(y.variables):
            problems.append(f"variables differ: {sorted(set(x.variables) ^ set(y.variables))}")
        for name in sorted(set(x.variables) & set(y.variables)):
            u, v = x[name].values, y[name].values
            same = (
                np.array_equal(u, v, equal_nan=True)
                if u.dtype.kind == "f" and v.dtype.kind == "f"
                else np.array_equal(u, v)
            )
            if not same or not _same_attrs(x[name].attrs, y[name].attrs) or u.dtype != v.dtype:
                problems.append(f"variable {name} differs")
        if not _same_attrs(x.attrs, y.attrs):
            problems.append("global attributes differ")
    return problems


def _same_attrs(a: dict, b: dict) -> bool:
    import numpy as np

    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def _same_sqlite(a: Path, b: Path) -> list[str]:
    problems = []
    with sqlite3.connect(a) as x, sqlite3.connect(b) as y:
        tables = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        tx = [r[0] for r in x.execute(tables)]
        ty = [r[0] for r in y.execute(tables)]
        if tx != ty:
            problems.append(f"tables differ: {tx} vs {ty}")
        for table in sorted(set(tx) & set(ty)):
            query = f'SELECT * FROM "{table}"'
            if list(x.execute(query)) != list(y.execute(query)):
                problems.append(f"table {table} differs")
    return problems


def _same_text(a: Path, b: Path) -> list[str]:
    u = a.read_text(encoding="utf-8")
    v = b.read_text(encoding="utf-8")
    if u == v:
        return []
    at = next(
        (i for i, (p, q) in enumerate(zip(u, v, strict=False)) if p != q), min(len(u), len(v))
    )
    return [f"text differs from character {at:,}: {u[at : at + 60]!r} vs {v[at : at + 60]!r}"]


def compare(before: Path, after: Path) -> int:
    names = sorted({p.name for p in before.iterdir()} | {p.name for p in after.iterdir()})
    failed = 0
    for name in names:
        a, b = before / name, after / name
        if not (a.exists() and b.exists()):
            print(f"{name:24s} only in {'before' if a.exists() else 'after'}")
            failed += 1
            continue
        if a.read_bytes() == b.read_bytes():
            print(f"{name:24s} byte-identical ({a.stat().st_size / 1e6:.1f} MB)")
            continue
        if name.endswith(".nc"):
            problems = _same_netcdf(a, b)
        elif name.endswith(".gpkg"):
            problems = _same_sqlite(a, b)
        else:
            problems = _same_text(a, b)
        print(f"{name:24s} {'same content, other bytes' if not problems else 'DIFFERS'}")
        for problem in problems:
            print(f"    {problem}")
        failed += bool(problems)
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    sys.exit(compare(args.before, args.after))


if __name__ == "__main__":
    main()
