"""The propagation pool of ``hybridplan.tle`` leaves nothing behind when its caller dies.

A script propagating on 2 worker processes (``iter_chunks(..., workers=2)``) is killed
with SIGKILL once both workers are busy: its workers die with it (PR_SET_PDEATHSIG, the
forkserver's "alive" pipe closed in each worker), so no process of its session remains,
and no new /dev/shm entry (shared-memory slot, semaphore) is left behind.
"""

import os
import signal
import subprocess
import sys

import psutil
import pytest
from processes import session_processes, shm_entries, wait_until

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux")

SCRIPT = """
from datetime import datetime, timezone
from hybridplan.tle import TimeGrid, load_constellation
from hybridplan.tle.propagate import iter_chunks
sets = load_constellation("bundled:starlink").element_sets
window = TimeGrid(datetime(2026, 5, 30, tzinfo=timezone.utc), 30 * 86400.0, 10.0)
print("started", flush=True)
for chunk in iter_chunks(sets, window, steps_per_chunk=100, workers=2):
    pass
"""


def test_sigkill_of_the_caller_leaves_no_propagation_worker_and_no_shared_memory(tmp_path):
    shm_before = shm_entries()
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONSAFEPATH="1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:

        def workers_busy():
            children = psutil.Process(process.pid).children(recursive=True)
            workers = [c for c in children if c.ppid() != process.pid]  # forkserver's
            return len(workers) >= 2 and all(c.cpu_times().user > 0.3 for c in workers)

        assert wait_until(workers_busy, 90.0), process.stderr.read1().decode()
        assert shm_entries() - shm_before  # the pool's shared-memory slots exist
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        sid = process.pid  # start_new_session: the session id is the leader's pid
        assert wait_until(lambda: not session_processes(sid), 10.0), [p.cmdline() for p in session_processes(sid)]
        assert wait_until(lambda: not (shm_entries() - shm_before), 10.0), shm_entries() - shm_before
    finally:
        for leftover in session_processes(process.pid):
            leftover.kill()
        if process.poll() is None:
            process.kill()
