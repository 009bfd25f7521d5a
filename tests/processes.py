"""Helpers of the tests that kill a run or one of its workers and look for what it left
behind (worker processes of its session, /dev/shm entries): ``test_engine_robust``,
``test_tle_workers_lifetime``, ``test_engine_dask``, ``test_dask_recipe``."""

import os
import time

import psutil


def shm_entries() -> set[str]:
    """Names in /dev/shm (shared memory and semaphores)."""
    return set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()


def session_processes(sid: int) -> list[psutil.Process]:
    """Live (not zombie) processes of session ``sid``."""
    found = []
    for process in psutil.process_iter(["pid"]):
        try:
            if os.getsid(process.pid) == sid and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (ProcessLookupError, psutil.Error, PermissionError):
            continue
    return found


def wait_until(condition, timeout_s: float) -> bool:
    """Poll ``condition`` every 0.1 s until it holds or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def dask_worker_killer(client):
    """A progress callback that kills one worker of a dask ``client`` (``os._exit``) the
    first time it is called, and the list it appends the victim's address to."""
    killed: list[str] = []

    def kill_one_worker(n_steps):
        if not killed:
            victim = sorted(client.scheduler_info()["workers"])[0]
            try:
                client.run(os._exit, 1, workers=[victim])
            except Exception:  # the victim never answers
                pass
            killed.append(victim)

    return kill_one_worker, killed
