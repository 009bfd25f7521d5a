"""Spans of steps computed on an executor and merged in time order, memory bounded.

Used by every way the engine runs (threads, local processes, serial with checkpoints);
the dask path submits all spans at once instead (their results stay on the cluster).
"""

from __future__ import annotations

from collections import deque

from .accumulator import Accumulator
from .checkpoints import SpanCheckpoints


def schedule(
    spans, stored, submit, capacity: int, run_here, progress, checkpoints: SpanCheckpoints | None
) -> tuple[Accumulator, int]:
    """Merge the spans in time order; the ones not in ``stored`` are computed.

    Spans go to ``submit(lo, hi) -> future`` in time order, at most ``capacity`` of them
    submitted and not yet merged (so memory holds a few accumulators, not one per span).
    With ``run_here(lo, hi)`` the calling process works too: while the oldest span is
    still running elsewhere it computes the next unsubmitted one itself (nothing is ever
    cancelled, so no race with a pool that breaks meanwhile). Finished spans are stored
    in ``checkpoints``. Returns the merged accumulator and the number of spans computed.
    """
    pending = deque(k for k in range(len(spans)) if stored[k] is None)
    n_todo = len(pending)
    running: dict = {}
    done: dict = {}

    def refill() -> None:
        while pending and len(running) + len(done) < capacity:
            k = pending.popleft()
            running[k] = submit(*spans[k])

    merged = None
    try:
        for k, (lo, hi) in enumerate(spans):
            part = stored[k]
            if part is None:
                refill()
                while (
                    k not in done
                    and run_here is not None
                    and pending
                    and (k not in running or not running[k].done())
                    and len(done) < capacity
                ):
                    j = pending.popleft()
                    done[j] = run_here(*spans[j])
                part = done.pop(k) if k in done else running.pop(k).result()
                if checkpoints is not None:
                    checkpoints.save(lo, hi, part)
            if progress is not None:
                progress(hi - lo)
            merged = part if merged is None else merged.merge(part, reuse=True)
    finally:
        for future in running.values():
            future.cancel()
    return merged, n_todo


def stored_spans(spans, checkpoints: SpanCheckpoints | None) -> list:
    return [checkpoints.load(*span) if checkpoints is not None else None for span in spans]
