"""Console helpers of the CLI: a progress bar over the coverage steps, warnings printed
as one line each after the run (library code never prints), and SIGTERM handled like
Ctrl-C during the run (so the engine stops its workers and temporary files are removed)."""

from __future__ import annotations

import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Inside: SIGTERM raises KeyboardInterrupt in the main thread (Python's default is
    to die on the spot, skipping every ``finally``: worker threads and processes, shared
    memory and half-written files would be left to the kernel)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def console(n_steps: int, *, show_progress: bool = True, desc: str = "coverage") -> Iterator:
    """``with console(n) as progress: run(progress=progress)``: a tqdm bar on stderr
    (hidden when not a terminal or ``show_progress`` is false); warnings raised inside
    are collected and printed as ``hybridplan: warning: ...`` lines at the end."""
    from tqdm import tqdm

    with warnings.catch_warnings(record=True) as caught, terminate_as_interrupt():
        warnings.simplefilter("always")
        try:
            with tqdm(
                total=n_steps,
                unit="step",
                desc=desc,
                file=sys.stderr,
                disable=None if show_progress else True,
                leave=False,
            ) as bar:
                yield bar.update
        finally:
            for warning in _unique(caught):
                print(f"hybridplan: warning: {warning.message}", file=sys.stderr)


def _unique(caught):
    seen = set()
    for warning in caught:
        key = (warning.category, str(warning.message))
        if key not in seen:
            seen.add(key)
            yield warning


def positive_workers(value: int | None) -> int | None:
    """``--workers`` must be a whole number >= 1 (``None``: the scenario's)."""
    from ..errors import CoverageError

    if value is not None and value < 1:
        raise CoverageError(f"--workers {value}: expected a whole number >= 1")
    return value


def add_scale_arguments(parser) -> None:
    """``--scheduler`` and ``--checkpoints`` of the commands that run the engine."""
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS|local:N",
        help="run the coverage step on dask.distributed: a scheduler address "
        "(tcp://host:8786) or local:N for a LocalCluster of N workers on "
        "127.0.0.1 (needs the 'dask' extra)",
    )
    parser.add_argument(
        "--checkpoints",
        metavar="DIR",
        help="keep each finished span of the coverage step in DIR; a killed "
        "run started again with the same DIR computes only the rest",
    )


@contextmanager
def scheduler(spec: str | None):
    """The executor of ``--scheduler`` for the duration (``None`` without it)."""
    if not spec:
        yield None
        return
    from ..pipeline import executor_from_spec

    with executor_from_spec(spec) as client:
        yield client
