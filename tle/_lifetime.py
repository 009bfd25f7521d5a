"""Worker processes that die with their parent (Linux), for the process pools of ``tle``.

A ``forkserver`` worker outlives a parent killed with SIGKILL unless it asks the kernel
to be killed when its own parent (the forkserver) ends, and the forkserver ends only
when every copy of its "alive" pipe is closed: the workers must close theirs.  Used by
``tle``'s propagation pool and the coverage engine's local processes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1
"""``prctl`` option: the signal the kernel sends when the parent ends (linux/prctl.h)."""


def die_with_parent() -> None:
    """Call first in a ``forkserver`` worker: SIGKILL when the parent ends, Ctrl-C ignored.

    Closes this worker's copy of the forkserver's "alive" pipe (so the forkserver ends
    with the calling process), sets ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` on Linux, and
    exits at once if the parent already died before the death signal was armed.  SIGINT
    is ignored: the calling process decides what Ctrl-C does.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from multiprocessing import forkserver

    server = forkserver._forkserver
    alive_fd = getattr(server, "_forkserver_alive_fd", None)
    if alive_fd is not None:
        with contextlib.suppress(OSError):
            os.close(alive_fd)
        server._forkserver_alive_fd = None
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent == 1 or os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
