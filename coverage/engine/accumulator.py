"""Per-cell figure-of-merit accumulators that merge exactly, in time order.

One :class:`Accumulator` holds the state after a run of consecutive steps for every
(system row, cell): counts, visible-count sum/min/max, fixed-point sums of the best
elevation (nano-degrees) and of the serving slant range (millimetres), and the gap state
(leading uncovered run, trailing uncovered run, whether any step was covered, and the
longest, total and number of gaps closed on both sides). All integers, so
``a.merge(b).merge(c) == a.merge(b.merge(c))`` bit for bit, and a window split into any
chunks, serially or across processes, gives the single-chunk result.

Gap policy (STK's default): a gap is a maximal run of consecutive uncovered steps;
gaps touching the window's start or end count with their in-window length; a cell never
covered has one gap, the whole window. Lengths in seconds are steps x step.

STK's further figures of merit stream the same way: the sum of squared gap lengths
(time-average gap, response time), a histogram of closed gap lengths in steps (fixed bins,
:data:`~hybridplan.coverage.engine.kernel.GAP_BIN_LOWER_STEPS`; a gap that a merge closes
across a chunk edge is binned by the merge, the edge gaps at the end), and the access
state (maximal covered runs: leading and trailing runs, count, longest, shortest closed),
which mirrors the gap state. Percentiles of revisit and response time come from the
histogram: exact for gaps shorter than 8 steps, otherwise within one bin (26 %).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .kernel import (
    F_ACC_COUNT,
    F_ACC_LEAD,
    F_ACC_MAX,
    F_ACC_MIN,
    F_ACC_TRAIL,
    F_ANY,
    F_BEST_EL_NDEG,
    F_COVERED,
    F_COVERED_OPEN,
    F_GAP_COUNT,
    F_GAP_MAX,
    F_GAP_SQ,
    F_GAP_SUM,
    F_HIST0,
    F_LEAD,
    F_N_OR_MORE,
    F_NVIS_MAX,
    F_NVIS_MIN,
    F_NVIS_SUM,
    F_PATH_MM,
    F_TRAIL,
    F_UNC_ANY,
    GAP_BIN_OF_STEPS,
    N_BASE_FIELDS,
    N_FIELDS,
    N_GAP_BINS,
    NVIS_MIN_START,
)

_SUMMED_FIELDS = (F_COVERED, F_COVERED_OPEN, F_N_OR_MORE, F_NVIS_SUM, F_BEST_EL_NDEG, F_PATH_MM)


@dataclass(frozen=True, eq=False)
class Accumulator:
    """State of the figures of merit after ``n_steps`` consecutive steps.

    Attributes
    ----------
    first_step : int
        Index of the first step (in the analysis time grid).
    n_steps : int
    fields : numpy.ndarray
        ``(n_rows, n_cells, N_FIELDS)`` int64 (rows: systems, then "combined"), or
        ``N_BASE_FIELDS`` without the STK fields; the field order (last axis) is the
        ``F_*`` constants of :mod:`hybridplan.coverage.engine.kernel`.
    failures : numpy.ndarray
        ``(n_systems,)`` int64 (satellite, step) pairs SGP4 could not propagate.
    propagated : int
        Satellite-epochs propagated.
    series_n, series_open, series_best_deg : numpy.ndarray
        ``(n_steps, n_rows, n_series)`` per-step visible count, open-sky coverage flag
        and best elevation [deg] of the chosen cells.
    """

    first_step: int
    n_steps: int
    fields: np.ndarray
    failures: np.ndarray
    propagated: int
    series_n: np.ndarray
    series_open: np.ndarray
    series_best_deg: np.ndarray
    step_sums: np.ndarray | None = None
    """``(n_steps, n_rows, 2, n_weights)`` int64: per step, the fixed-point weighted sums
    over cells of "covered" and "n_required or more" (see :func:`kernel.run_steps` and
    :func:`fixed_point_weights`); ``None`` when the caller kept none."""

    @classmethod
    def empty(
        cls,
        first_step: int,
        n_steps: int,
        n_systems: int,
        n_cells: int,
        n_series: int = 0,
        n_weights: int = 0,
        stk: bool = True,
    ) -> Accumulator:
        """Fresh state for ``n_steps`` steps (the kernel fills it); ``stk=False`` leaves
        out the STK fields (14 int64 per (row, cell) instead of 53)."""
        n_fields = N_FIELDS if stk else N_BASE_FIELDS
        fields = np.zeros((n_systems + 1, n_cells, n_fields), dtype=np.int64)
        fields[..., F_NVIS_MIN] = NVIS_MIN_START
        if stk:
            fields[..., F_ACC_MIN] = NVIS_MIN_START
        shape = (n_steps, n_systems + 1, n_series)
        return cls(
            first_step,
            n_steps,
            fields,
            np.zeros(n_systems, dtype=np.int64),
            0,
            np.zeros(shape, np.int64),
            np.zeros(shape, np.int64),
            np.full(shape, np.nan),
            np.zeros((n_steps, n_systems + 1, 2, n_weights), np.int64),
        )

    def merge(self, later: Accumulator, *, reuse: bool = False) -> Accumulator:
        """The state of ``self`` followed by ``later`` (which must start where self ends).

        ``reuse=True`` writes the result over ``self``'s fields (no new array: a fresh one
        of tens of MB costs page faults), for a caller that drops ``self`` afterwards.
        """
        if later.first_step != self.first_step + self.n_steps:
            raise ValueError(
                f"cannot merge steps {later.first_step}.. after steps "
                f"{self.first_step}..{self.first_step + self.n_steps - 1}: "
                "accumulators merge in time order, without holes"
            )
        out = self.fields if reuse and self.fields.flags.writeable else np.empty_like(self.fields)
        _merge_fields(self.fields, later.fields, out, later.n_steps, self.has_stk)
        sums = (
            None
            if self.step_sums is None or later.step_sums is None
            else np.concatenate([self.step_sums, later.step_sums])
        )
        return Accumulator(
            self.first_step,
            self.n_steps + later.n_steps,
            out,
            self.failures + later.failures,
            self.propagated + later.propagated,
            np.concatenate([self.series_n, later.series_n]),
            np.concatenate([self.series_open, later.series_open]),
            np.concatenate([self.series_best_deg, later.series_best_deg]),
            sums,
        )

    def gaps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(longest, total, count)`` of the gaps in steps under the gap policy."""
        f = self.fields
        any_cov = f[..., F_ANY] == 1
        lead = np.where(any_cov, f[..., F_LEAD], 0)
        trail = np.where(any_cov, f[..., F_TRAIL], 0)
        longest = np.where(
            any_cov, np.maximum(f[..., F_GAP_MAX], np.maximum(lead, trail)), self.n_steps
        )
        total = np.where(any_cov, f[..., F_GAP_SUM] + lead + trail, self.n_steps)
        count = np.where(any_cov, f[..., F_GAP_COUNT] + (lead > 0) + (trail > 0), 1)
        return longest, total, count

    def field(self, index: int) -> np.ndarray:
        """One accumulator field, ``(n_rows, n_cells)``."""
        return self.fields[..., index]

    @property
    def has_stk(self) -> bool:
        """Whether the STK fields (gap squares, histogram, accesses) are kept."""
        return self.fields.shape[-1] == N_FIELDS

    def gap_squares(self) -> np.ndarray:
        """Sum of squared gap lengths [steps^2] under the gap policy, ``(n_rows, n_cells)``."""
        f = self.fields
        any_cov = f[..., F_ANY] == 1
        lead = np.where(any_cov, f[..., F_LEAD], 0)
        trail = np.where(any_cov, f[..., F_TRAIL], 0)
        return np.where(
            any_cov, f[..., F_GAP_SQ] + lead * lead + trail * trail, self.n_steps * self.n_steps
        )

    def gap_histogram(self) -> np.ndarray:
        """Gap counts per length bin (``kernel.GAP_BIN_LOWER_STEPS``) under the gap policy.

        ``(n_rows, n_cells, N_GAP_BINS)`` int64; sums to the gap count of :meth:`gaps`.
        """
        f = self.fields
        hist = f[..., F_HIST0 : F_HIST0 + N_GAP_BINS].copy()
        any_cov = f[..., F_ANY] == 1
        edges = [
            np.where(any_cov, f[..., F_LEAD], self.n_steps),
            np.where(any_cov, f[..., F_TRAIL], 0),
        ]
        rows, cells = np.indices(any_cov.shape)
        for length in edges:
            np.add.at(hist, (rows, cells, _bin_of(length)), (length > 0).astype(np.int64))
        return hist

    def accesses(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(count, longest, shortest)`` of the accesses in steps, ``(n_rows, n_cells)``.

        An access is a maximal run of covered steps; runs touching the window's edges count
        with their in-window length (the gap policy's mirror image). A cell never covered
        has no access (count 0, longest and shortest 0); one always covered has one, the
        whole window. The total access duration is the covered step count.
        """
        f = self.fields
        unc = f[..., F_UNC_ANY] == 1
        lead = np.where(unc, f[..., F_ACC_LEAD], 0)
        trail = np.where(unc, f[..., F_ACC_TRAIL], 0)
        count = np.where(unc, f[..., F_ACC_COUNT] + (lead > 0) + (trail > 0), 1)
        longest = np.where(
            unc, np.maximum(f[..., F_ACC_MAX], np.maximum(lead, trail)), self.n_steps
        )
        big = NVIS_MIN_START
        shortest = np.minimum(
            f[..., F_ACC_MIN],
            np.minimum(np.where(lead > 0, lead, big), np.where(trail > 0, trail, big)),
        )
        shortest = np.where(unc, np.where(count > 0, shortest, 0), self.n_steps)
        return count, longest, shortest


def _bin_of(length_steps: np.ndarray) -> np.ndarray:
    """Histogram bin of gap lengths [steps] (``kernel.GAP_BIN_OF_STEPS``)."""
    return GAP_BIN_OF_STEPS[np.minimum(length_steps, GAP_BIN_OF_STEPS.size - 1)]


@njit(cache=True, nogil=True)
def _merge_fields(a, b, out, later_steps, stk):
    """``out`` = the fields of ``a`` followed by those of ``b`` (``later_steps`` steps), one
    (row, cell) at a time: sums add; the visible-count extremes combine; the gap that the
    join closes (``a``'s trailing uncovered run + ``b``'s leading one, when both saw
    coverage) is counted, binned and squared; the access state mirrors the gap state.
    ``out`` may be ``a``: each field is read before it is written."""
    for r in range(a.shape[0]):
        for c in range(a.shape[1]):
            x = a[r, c]
            y = b[r, c]
            o = out[r, c]
            for f in _SUMMED_FIELDS:
                o[f] = x[f] + y[f]
            o[F_NVIS_MIN] = min(x[F_NVIS_MIN], y[F_NVIS_MIN])
            o[F_NVIS_MAX] = max(x[F_NVIS_MAX], y[F_NVIS_MAX])
            a_any = x[F_ANY] == 1
            b_any = y[F_ANY] == 1
            middle = x[F_TRAIL] + y[F_LEAD] if a_any and b_any else 0
            o[F_ANY] = 1 if a_any or b_any else 0
            o[F_LEAD] = x[F_LEAD] if a_any else x[F_LEAD] + y[F_LEAD]
            o[F_TRAIL] = y[F_TRAIL] if b_any else (x[F_TRAIL] + later_steps if a_any else 0)
            o[F_GAP_MAX] = max(max(x[F_GAP_MAX], y[F_GAP_MAX]), middle)
            o[F_GAP_SUM] = x[F_GAP_SUM] + y[F_GAP_SUM] + middle
            o[F_GAP_COUNT] = x[F_GAP_COUNT] + y[F_GAP_COUNT] + (1 if middle > 0 else 0)
            if not stk:
                continue
            o[F_GAP_SQ] = x[F_GAP_SQ] + y[F_GAP_SQ] + middle * middle
            for f in range(F_HIST0, F_HIST0 + N_GAP_BINS):
                o[f] = x[f] + y[f]
            if middle > 0:
                o[F_HIST0 + GAP_BIN_OF_STEPS[min(middle, GAP_BIN_OF_STEPS.size - 1)]] += 1
            a_unc = x[F_UNC_ANY] == 1
            b_unc = y[F_UNC_ANY] == 1
            joined = x[F_ACC_TRAIL] + y[F_ACC_LEAD] if a_unc and b_unc else 0
            o[F_UNC_ANY] = 1 if a_unc or b_unc else 0
            o[F_ACC_LEAD] = x[F_ACC_LEAD] if a_unc else x[F_ACC_LEAD] + y[F_ACC_LEAD]
            o[F_ACC_TRAIL] = (
                y[F_ACC_TRAIL] if b_unc else (x[F_ACC_TRAIL] + later_steps if a_unc else 0)
            )
            o[F_ACC_COUNT] = x[F_ACC_COUNT] + y[F_ACC_COUNT] + (1 if joined > 0 else 0)
            o[F_ACC_MAX] = max(max(x[F_ACC_MAX], y[F_ACC_MAX]), joined)
            o[F_ACC_MIN] = min(
                min(x[F_ACC_MIN], y[F_ACC_MIN]), joined if joined > 0 else NVIS_MIN_START
            )


FIXED_POINT_WEIGHT_MAX = 2**40
"""The largest cell weight in :func:`fixed_point_weights` (sums stay below 2**63 for up to
8 million cells)."""


def fixed_point_weights(weights: np.ndarray) -> np.ndarray:
    """Cell weights ``(n_weights, n_cells)`` as int64 fixed point, each row scaled so its
    largest weight is 2**40 (relative rounding 1e-12 of the largest): integer sums are exact
    and do not depend on the order of summation (NaN and negative weights count as 0)."""
    w = np.nan_to_num(np.asarray(weights, dtype=np.float64)).clip(0.0)
    w = np.atleast_2d(w)
    top = w.max(axis=1, keepdims=True)
    scale = np.where(top > 0, FIXED_POINT_WEIGHT_MAX / np.where(top > 0, top, 1.0), 0.0)
    return np.round(w * scale).astype(np.int64)
