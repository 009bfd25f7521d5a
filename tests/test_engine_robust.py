"""Worker failures never hang and killing a run leaves nothing behind.

- ``hybridplan coverage --workers 2`` killed with SIGTERM or SIGKILL: no process of its
  session and no new /dev/shm entry (semaphore, shared memory) is left after a short wait;
- a run on local worker processes (``EngineOptions(processes=True)``) killed with SIGKILL:
  its workers die with it (PR_SET_PDEATHSIG), its semaphores are unlinked;
- a script without a ``__main__`` guard, and one read from stdin, run with 2 processes
  (workers never import the caller's ``__main__``);
- a worker killed mid-run ends the run with one CoverageError naming the causes and fixes.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import psutil
import pytest
import xarray as xr
from hybridplan.coverage.engine import EngineOptions, SystemModel, compute_coverage
from hybridplan.coverage.errors import CoverageError
from hybridplan.tle import TimeGrid, load_constellation
from processes import session_processes, shm_entries, wait_until

LONG_SCENARIO = """
name = "hunza-kill"
[region]
names = ["Hunza"]
resolution = 6
[window]
start = "2026-05-30T00:00:00Z"
duration_h = 96
step_s = 30
[terrain]
enabled = false
[[systems]]
name = "starlink"
source = "bundled:starlink"
gso_exclusion_deg = 18
"""

SCRIPT = """
from datetime import datetime, timezone
import numpy as np, xarray as xr
from hybridplan.coverage.engine import EngineOptions, SystemModel, compute_coverage
from hybridplan.tle import TimeGrid, load_constellation
window = TimeGrid(datetime(2026, 5, 30, 3, 0, tzinfo=timezone.utc), {seconds}, 60.0)
grid = xr.Dataset({{"lat": ("cell", np.array([35.9, 34.4, 36.3])),
                   "lon": ("cell", np.array([74.3, 73.5, 74.7]))}})
systems = [SystemModel("s", load_constellation("bundled:starlink")[::{every}], 25.0, 1, 18.0)]
print("started", flush=True)
for workers in {workers}:
    fom = compute_coverage(grid, systems, window, terrain=False, workers=workers,
                           options=EngineOptions(steps_per_chunk=5, processes=True))
    print(workers, fom["n_visible_mean"].values.tolist(), flush=True)
"""


CPU_BEFORE_KILL_S = 5.0  # imports, scenario, region and grid take ~3 s of it


def _cpu_s(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def _env():
    return dict(os.environ, PYTHONSAFEPATH="1")


def _assert_nothing_left(process: subprocess.Popen, shm_before: set[str]) -> None:
    process.wait(timeout=30)
    sid = process.pid  # start_new_session: the session id is the leader's pid
    assert wait_until(lambda: not session_processes(sid), 10.0), [
        p.cmdline() for p in session_processes(sid)
    ]
    assert wait_until(lambda: not (shm_entries() - shm_before), 10.0), shm_entries() - shm_before


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_killing_a_two_worker_coverage_run_leaves_nothing(tmp_path, signum):
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(LONG_SCENARIO, encoding="utf-8")
    script = Path(sys.executable).parent / "hybridplan"
    shm_before = shm_entries()
    process = subprocess.Popen(
        [
            str(script),
            "coverage",
            str(scenario),
            "--out",
            str(tmp_path / "out"),
            "--workers",
            "2",
            "--no-progress",
        ],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        # well inside the coverage step: its span threads use more than one core
        assert wait_until(lambda: _cpu_s(process.pid) > CPU_BEFORE_KILL_S, 120.0)
        process.send_signal(signum)
        _assert_nothing_left(process, shm_before)
    finally:
        if process.poll() is None:
            process.kill()
    stderr = process.stderr.read().decode()
    assert "Traceback" not in stderr
    if signum == signal.SIGTERM:
        assert process.returncode == 130 and "hybridplan: interrupted" in stderr
    assert not (tmp_path / "out" / "coverage.nc").exists()
    assert not list((tmp_path / "out").glob(".*")) if (tmp_path / "out").exists() else True


def test_killing_a_run_on_worker_processes_leaves_no_worker_and_no_semaphore(tmp_path):
    shm_before = shm_entries()
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT.format(seconds=6 * 3600.0, every=2, workers=(3,))],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:

        def workers_up():
            children = psutil.Process(process.pid).children(recursive=True)
            grandchildren = [c for c in children if c.ppid() != process.pid]
            return len(grandchildren) >= 2 and all(c.cpu_times().user > 0.5 for c in grandchildren)

        assert wait_until(workers_up, 90.0)
        assert any(name.startswith("sem.") for name in shm_entries() - shm_before)
        process.send_signal(signal.SIGKILL)
        _assert_nothing_left(process, shm_before)
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.parametrize("how", ["script without a __main__ guard", "stdin"])
def test_worker_processes_never_run_the_callers_main(tmp_path, how):
    text = SCRIPT.format(seconds=1800.0, every=20, workers=(1, 2))
    if how == "stdin":
        command, stdin = [sys.executable, "-"], text
    else:
        (tmp_path / "no_guard.py").write_text(text, encoding="utf-8")
        command, stdin = [sys.executable, str(tmp_path / "no_guard.py")], None
    result = subprocess.run(
        command, input=stdin, capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "started" and len(lines) == 3  # the workers never printed
    serial, two = (line.split(" ", 1)[1] for line in lines[1:])
    assert serial == two


def test_a_worker_killed_mid_run_is_one_clear_error():
    window = TimeGrid(datetime(2026, 5, 30, 3, 0, tzinfo=timezone.utc), 4 * 3600.0, 60.0)
    grid = xr.Dataset(
        {"lat": ("cell", np.array([35.9, 34.4])), "lon": ("cell", np.array([74.3, 73.5]))}
    )
    systems = [SystemModel("s", load_constellation("bundled:starlink")[::4], 25.0)]
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    killed = []

    def kill_workers(n_steps):
        if killed:
            return
        workers = [
            p for p in me.children(recursive=True) if p.pid not in before and p.ppid() != me.pid
        ]
        for worker in workers:  # forked by the forkserver: our grandchildren
            worker.kill()
            killed.append(worker.pid)

    started = time.monotonic()
    with pytest.raises(CoverageError) as error:
        compute_coverage(
            grid,
            systems,
            window,
            terrain=False,
            workers=3,
            progress=kill_workers,
            options=EngineOptions(steps_per_chunk=5, processes=True),
        )
    assert killed and time.monotonic() - started < 60
    message = str(error.value)
    assert message.startswith("a worker process ended unexpectedly (")
    assert "signal 9" in message or "no result came back" in message
    assert "--workers 1" in message and 'if __name__ == "__main__":' in message
    assert "\n" not in message
    assert wait_until(
        lambda: (
            not [
                p
                for p in psutil.pids()
                if p in killed
                and psutil.pid_exists(p)
                and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
            ]
        ),
        10.0,
    )
