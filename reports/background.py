"""Outputs written in a forked child process while this process writes the others.

The HTML report is pure Python (figure building and JSON), so threads cannot overlap it
with the other outputs; a forked child can, and it shares the plan's memory with this
process copy-on-write instead of receiving a pickled copy. The child writes its file
itself (atomically, as every output) and sends back only the paths or the exception.
The objects it inherits are frozen for its garbage collector (``gc.freeze`` at the
fork, this process unfreezes at once): a collection in the child would otherwise walk
every container object of the plan's process, copying each page it touches (all
Pakistan at res 7, two children: outputs 10.2 -> 8.1 s, 19.6 -> 15.3 CPU-s, peak PSS
1.39 -> 1.28 GB).

Where ``fork`` is not available (Windows, or a caller that asks for no concurrency),
:class:`BackgroundWrite` runs the writer inline at :meth:`~BackgroundWrite.wait`, so the
caller's code is the same either way.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any


def fork_available() -> bool:
    """True where a child process can be forked (Linux, macOS)."""
    return hasattr(os, "fork") and "fork" in multiprocessing.get_all_start_methods()


def trim_heap() -> None:
    """Give the C heap's free pages back to the system (glibc ``malloc_trim(0)``; a no-op
    elsewhere). Before a fork: a free page still mapped then and reused by the parent
    afterwards would be copied for the child, counting twice; between files and stages:
    freed temporaries would keep counting in the resident set."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


class BackgroundWriteError(RuntimeError):
    """The child process died without reporting (killed, out of memory)."""


def _child(write: Callable[[], Any], conn) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: the parent cleans up
    # stop(): leave through write_atomic's cleanup (no half-written temporary file)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        result = ("ok", write())
    except BaseException as exc:  # sent to the parent, which raises it
        try:
            pickle.dumps(exc)
            result = ("error", exc)
        except Exception:
            text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            result = ("error", RuntimeError(text))
    conn.send(result)
    conn.close()


class BackgroundWrite:
    """``write()`` in a forked child: start it, do other work, then :meth:`wait`.

    Parameters
    ----------
    write : callable
        Takes no argument, writes files and returns something picklable (their
        paths). It runs in the child on the parent's data as it was at :meth:`start`
        (copy-on-write).
    concurrent : bool
        ``False`` (or no ``fork`` on this platform) runs ``write`` inline in :meth:`wait`.
    what : str
        What the child writes, for the error when it dies (``"the report"``).

    Use as a context manager: leaving the block early (an exception in the parent)
    stops the child, so nothing is written after the caller gave up.
    """

    def __init__(
        self, write: Callable[[], Any], *, concurrent: bool = True, what: str = "the report"
    ) -> None:
        self._write = write
        self._what = what
        self._concurrent = concurrent and fork_available()
        self._process = None
        self._conn = None

    def start(self) -> BackgroundWrite:
        if self._concurrent:
            trim_heap()  # free pages this process reuses later would be copied, not shared
            ctx = multiprocessing.get_context("fork")
            parent_end, child_end = ctx.Pipe(duplex=False)
            self._process = ctx.Process(
                target=_child, args=(self._write, child_end), name=f"hybridplan {self._what}"
            )
            gc.freeze()  # the child's collections skip (and do not copy) what it inherits
            try:
                self._process.start()
            finally:
                gc.unfreeze()  # here, collections go on as before
            child_end.close()
            self._conn = parent_end
        return self

    def wait(self) -> Any:
        """What ``write`` returned; the child's exception is raised here."""
        if self._process is None:
            return self._write()
        try:
            status, value = self._conn.recv()
        except EOFError:
            self._process.join()
            raise BackgroundWriteError(
                f"the process writing {self._what} died (exit code {self._process.exitcode}); "
                "nothing of it was kept. If memory is short, write the outputs one at a "
                "time (concurrent=False)"
            ) from None
        finally:
            self._conn.close()
        self._process.join()
        self._process = None
        if status == "error":
            raise value
        return value

    def stop(self) -> None:
        """End the child (if running) and reap it."""
        if self._process is not None:
            self._process.terminate()
            self._process.join()
            self._conn.close()
            self._process = None

    def __enter__(self) -> BackgroundWrite:
        return self.start()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.stop()
