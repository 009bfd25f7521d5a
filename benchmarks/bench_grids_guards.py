"""Size guards of hybridplan.grids: time and peak memory to refuse each blow-up.

Run (from any folder except the repo root, so coverage/ cannot shadow coverage.py):

    cd /tmp && /path/to/.venv/bin/python /path/to/repo/benchmarks/bench_grids_guards.py

Each case of ``tests/test_grids_guards.py`` (BLOWUPS and BOUNDED) runs in a fresh child
process (address space capped at 2 GiB), so its peak resident memory is its own; the
import baseline (the peak after importing hybridplan.grids) is printed first.  With
``--unbounded`` it also fills the 17 x 13 degree diagonal strip at resolution 10 with
one h3 call, as build_grid did before it filled such regions in pieces (needs ~5 GB).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"

CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    limit = int(sys.argv[4])
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.path.insert(0, sys.argv[1])
    import h3, shapely
    from test_grids_guards import BLOWUPS, BOUNDED, DIAGONAL_STRIP, prepare
    from hybridplan.grids import (GridError, build_grid, load_dem, load_network, load_region,
                                  read_geotiff, read_hgt)
    p = {k: Path(v) for k, v in json.loads(Path(sys.argv[2], "paths.json").read_text()).items()}
    case = sys.argv[3]
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    calls = {c[0]: c[1] for c in BLOWUPS + BOUNDED}
    calls["strip-res10-pieces"] = "build_grid(p['strip'], 10).sizes['cell']"
    calls["strip-res10-one-h3-call"] = (
        "len(h3.h3shape_to_cells(h3.geo_to_h3shape("
        "shapely.Polygon(DIAGONAL_STRIP).__geo_interface__), 10))")
    start = time.perf_counter()
    try:
        outcome = repr(eval(calls[case]))
    except GridError as exc:
        outcome = f"{type(exc).__name__}: {str(exc)[:90]}"
    except BaseException as exc:
        outcome = f"ESCAPED {type(exc).__name__}: {str(exc)[:80]}"
    print(json.dumps({"seconds": time.perf_counter() - start, "base_mb": base,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "outcome": outcome}))
    """
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unbounded", action="store_true", help="also run the old h3 fill")
    args = parser.parse_args()
    sys.path.insert(0, str(TESTS))
    from test_grids_guards import BLOWUPS, BOUNDED, prepare

    with tempfile.TemporaryDirectory() as tmp:
        paths = prepare(Path(tmp))
        Path(tmp, "paths.json").write_text(json.dumps({k: str(v) for k, v in paths.items()}))
        cases = [(c[0], 2 * 2**30) for c in BLOWUPS + BOUNDED]
        cases.append(("strip-res10-pieces", 2 * 2**30))
        if args.unbounded:
            cases.append(("strip-res10-one-h3-call", 0))
        print(f"{'case':28s} {'seconds':>8s} {'peak MB':>8s} {'import MB':>9s}  outcome")
        for case, limit in cases:
            done = subprocess.run(
                [sys.executable, "-c", CHILD, str(TESTS), tmp, case, str(limit)],
                capture_output=True, text=True, timeout=600, cwd=tmp,
            )  # fmt: skip
            if done.returncode:
                print(f"{case:28s} child failed: {done.stderr.strip().splitlines()[-1]}")
                continue
            row = json.loads(done.stdout)
            print(
                f"{case:28s} {row['seconds']:8.3f} {row['peak_mb']:8.0f} {row['base_mb']:9.0f}"
                f"  {row['outcome']}"
            )


if __name__ == "__main__":
    main()
