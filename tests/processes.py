"""Helpers of the tests that kill a run and look for what it left behind (worker
processes of its session, /dev/shm entries): ``test_engine_robust``, ``test_tle_workers_lifetime``."""

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
