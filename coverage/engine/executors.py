"""Where spans of steps run: local worker processes or a dask.distributed cluster.

Local processes (:func:`local_pool`) are started from a ``forkserver`` and

- never import the caller's ``__main__`` (the tasks are functions of this package), so a
  script without an ``if __name__ == "__main__":`` guard, ``python -`` from stdin and
  notebooks all work, instead of every worker re-running the script;
- die with their parent: each asks the kernel (``prctl(PR_SET_PDEATHSIG, SIGKILL)``,
  Linux) to be killed when the forkserver that forked it ends, and closes its copy of
  the forkserver's "alive" pipe, so the forkserver ends as soon as the calling process
  does, even on SIGKILL; then no worker is left running and the resource tracker (whose
  pipe the workers held) unlinks the pool's semaphores;
- ignore SIGINT (the calling process decides; Ctrl-C prints no traceback per worker);
- on any exception in the caller (KeyboardInterrupt, SIGTERM turned into an exception by
  the CLI) are killed at once instead of finishing their spans;
- a broken pool (a worker killed, out of memory, or unable to start) ends with one
  :class:`~hybridplan.coverage.errors.CoverageError` naming the likely causes and fixes.

dask: :func:`executor_from_spec` turns ``"local:N"`` (a LocalCluster of N one-thread
worker processes on 127.0.0.1) or a scheduler address into a ``distributed.Client``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from multiprocessing import get_context

from hybridplan.tle import die_with_parent

from ..errors import CoverageError

_IN_WORKER = {"local": False}


def _init_worker() -> None:
    """Initializer of local worker processes: die with the parent, ignore Ctrl-C (the
    same two steps as ``tle``'s propagation pool: :func:`hybridplan.tle.die_with_parent`)."""
    _IN_WORKER["local"] = True
    die_with_parent()


def _started() -> int:
    return os.getpid()


def in_worker() -> str | None:
    """``"local"`` inside one of our worker processes, ``"dask"`` inside a dask worker,
    else ``None``."""
    if _IN_WORKER["local"]:
        return "local"
    if "distributed" in sys.modules:
        try:
            from distributed import get_worker

            get_worker()
            return "dask"
        except (ValueError, ImportError):
            return None
    return None


def refuse_nested(workers: int) -> None:
    """A pool of processes inside a worker (of ours or of dask) oversubscribes the
    machine and can deadlock: refuse it with the fix."""
    where = in_worker()
    if workers > 1 and where is not None:
        raise CoverageError(
            f"workers = {workers} inside a {where} worker process: a pool inside a pool "
            "oversubscribes the cores; call the engine with workers=1 there (the cluster "
            "already runs the spans in parallel)"
        )


@contextlib.contextmanager
def _main_hidden() -> Iterator[None]:
    """Workers start without importing the caller's ``__main__`` (multiprocessing would
    re-run a script without a ``__main__`` guard in every worker, and cannot import
    ``<stdin>``): during the start, ``__main__`` looks like a module of this package."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    from importlib.machinery import ModuleSpec

    saved = main.__dict__.get("__spec__", None)
    main.__spec__ = ModuleSpec(f"{__package__}._worker_main", None)
    try:
        yield
    finally:
        main.__spec__ = saved


BROKEN_POOL_MESSAGE = (
    "a worker process ended unexpectedly ({detail}): killed, out of memory, or unable to "
    "start. Run with fewer workers (--workers 1 always works) or a smaller region or "
    "[engine] steps_per_chunk; from a script, start the work under "
    "'if __name__ == \"__main__\":'"
)


def broken_pool_error(pool: ProcessPoolExecutor | None) -> CoverageError:
    """The one clear error of a broken pool (with the workers' exit codes if known)."""
    codes = []
    for process in list(getattr(pool, "_processes", None) or {}.values()):
        code = getattr(process, "exitcode", None)
        if code:
            codes.append(f"signal {-code}" if code < 0 else f"exit status {code}")
    detail = ", ".join(codes) if codes else "no result came back"
    return CoverageError(BROKEN_POOL_MESSAGE.format(detail=detail))


def _kill(pool: ProcessPoolExecutor) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()
    queue = getattr(pool, "_call_queue", None)
    if queue is not None:  # its feeder thread may block on a pipe no worker reads
        with contextlib.suppress(Exception):
            queue.cancel_join_thread()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(5.0)


@contextlib.contextmanager
def local_pool(n_processes: int) -> Iterator[ProcessPoolExecutor]:
    """``n_processes`` worker processes (see the module docstring), started at once."""
    refuse_nested(n_processes + 1)
    pool = ProcessPoolExecutor(
        n_processes, mp_context=get_context("forkserver"), initializer=_init_worker
    )
    try:
        with _main_hidden():  # one process starts per submit while none is idle
            started = [pool.submit(_started) for _ in range(n_processes)]
        yield pool
        for future in started:
            future.result()
    except BrokenExecutor as exc:
        _kill(pool)
        raise broken_pool_error(pool) from exc
    except BaseException:
        _kill(pool)
        raise
    pool.shutdown(wait=True)


def is_dask_client(executor) -> bool:
    """Whether ``executor`` is a ``distributed.Client`` (duck-typed: no dask import)."""
    return type(executor).__module__.split(".")[0] == "distributed" and hasattr(executor, "scatter")


@contextlib.contextmanager
def executor_from_spec(spec: str) -> Iterator[object]:
    """A ``distributed.Client`` for ``--scheduler``: ``"local:N"`` starts a LocalCluster of
    N worker processes (one thread each, 127.0.0.1, no dashboard) for the duration;
    anything else is a scheduler address (``tcp://host:8786``) to connect to."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise CoverageError(
            f"--scheduler {spec}: dask.distributed is not installed; "
            "install the extra: pip install 'hybridplan[dask]'"
        ) from exc
    spec = str(spec).strip()
    if spec.startswith("local:"):
        text = spec.split(":", 1)[1]
        if not text.isdigit() or int(text) < 1:
            raise CoverageError(
                f"--scheduler {spec}: expected local:N with N a whole "
                "number >= 1 (e.g. local:2), or a scheduler address such "
                "as tcp://10.0.0.5:8786"
            )
        with (
            LocalCluster(
                n_workers=int(text),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    if "://" not in spec and ":" not in spec:
        raise CoverageError(
            f"--scheduler {spec!r}: expected local:N or a scheduler "
            "address such as tcp://10.0.0.5:8786"
        )
    try:
        client = Client(spec, timeout=10)
    except OSError as exc:
        raise CoverageError(
            f"--scheduler {spec}: cannot reach the scheduler ({exc}); start "
            "it with 'dask scheduler' or use local:N"
        ) from exc
    with client:
        yield client
