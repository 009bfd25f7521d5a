"""The whole plan, end to end, as a user runs it: ``hybridplan plan`` in a child process.

Runs the default scenario (or SCENARIO) once to warm numba's cache (not counted), then
``--runs`` times, and prints per run the wall time, the peak RSS of the child (from
``os.wait4``) and the output folder's size per file; the goal for the default plan is
<= 60 s on 2 cores with the cache warm (issue "Network design").

    cd /tmp && python /path/to/repo/benchmarks/bench_plan.py [--scenario S.toml]
        [--workers 2] [--runs 2] [--no-warm]

Not a test: minutes. Figures depend on the machine's load; say so when you quote them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_plan(scenario: str | None, out: Path, workers: int) -> tuple[float, float, int]:
    """``(seconds, peak RSS [MB], exit code)`` of one ``hybridplan plan`` run."""
    exe = shutil.which("hybridplan") or str(Path(sys.executable).with_name("hybridplan"))
    args = [exe, "plan", *([scenario] if scenario else []), "--out", str(out)]
    args += ["--workers", str(workers), "--no-progress"]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(stderr.strip().splitlines()[-1] if stderr.strip() else f"exit {code}")
    return seconds, usage.ru_maxrss / 1024.0, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", help="scenario TOML (default: the bundled default)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--no-warm", action="store_true", help="skip the warm-up run")
    args = parser.parse_args()
    scenario = str(Path(args.scenario).resolve()) if args.scenario else None
    print(f"cpus available: {len(os.sched_getaffinity(0))}, load: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as tmp:
        if not args.no_warm:
            seconds, rss, _ = run_plan(scenario, Path(tmp) / "warm", args.workers)
            print(f"warm-up (numba cache): {seconds:.1f} s, {rss:,.0f} MB (not counted)")
        times = []
        for k in range(args.runs):
            out = Path(tmp) / f"run{k}"
            seconds, rss, code = run_plan(scenario, out, args.workers)
            if code != 0:
                sys.exit(code)
            times.append(seconds)
            sizes = sorted(
                ((p.name, p.stat().st_size) for p in out.iterdir() if p.is_file()),
                key=lambda kv: -kv[1],
            )
            files = ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in sizes)
            print(f"run {k + 1}: {seconds:.1f} s, peak RSS {rss:,.0f} MB; {files}")
        print(f"median {sorted(times)[len(times) // 2]:.1f} s over {len(times)} run(s)")


if __name__ == "__main__":
    main()
