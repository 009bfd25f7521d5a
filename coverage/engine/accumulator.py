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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kernel import (
    F_ANY,
    F_BEST_EL_NDEG,
    F_COVERED,
    F_COVERED_OPEN,
    F_GAP_COUNT,
    F_GAP_MAX,
    F_GAP_SUM,
    F_LEAD,
    F_N_OR_MORE,
    F_NVIS_MAX,
    F_NVIS_MIN,
    F_NVIS_SUM,
    F_SLANT_MM,
    F_TRAIL,
    N_FIELDS,
    NVIS_MIN_START,
)

_SUMMED = (F_COVERED, F_COVERED_OPEN, F_N_OR_MORE, F_NVIS_SUM, F_BEST_EL_NDEG, F_SLANT_MM)


@dataclass(frozen=True, eq=False)
class Accumulator:
    """State of the figures of merit after ``n_steps`` consecutive steps.

    Attributes
    ----------
    first_step : int
        Index of the first step (in the analysis time grid).
    n_steps : int
    fields : numpy.ndarray
        ``(n_rows, n_cells, 14)`` int64 (rows: systems, then "combined"); the field
        order (last axis) is the ``F_*`` constants of :mod:`hybridplan.coverage.kernel`.
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

    @classmethod
    def empty(cls, first_step: int, n_steps: int, n_systems: int, n_cells: int,
              n_series: int = 0) -> Accumulator:
        """Fresh state for ``n_steps`` steps (the kernel fills it)."""
        fields = np.zeros((n_systems + 1, n_cells, N_FIELDS), dtype=np.int64)
        fields[..., F_NVIS_MIN] = NVIS_MIN_START
        shape = (n_steps, n_systems + 1, n_series)
        return cls(first_step, n_steps, fields, np.zeros(n_systems, dtype=np.int64), 0,
                   np.zeros(shape, np.int64), np.zeros(shape, np.int64),
                   np.full(shape, np.nan))

    def merge(self, later: Accumulator) -> Accumulator:
        """The state of ``self`` followed by ``later`` (which must start where self ends)."""
        if later.first_step != self.first_step + self.n_steps:
            raise ValueError(f"cannot merge steps {later.first_step}.. after steps "
                             f"{self.first_step}..{self.first_step + self.n_steps - 1}: "
                             "accumulators merge in time order, without holes")
        a, b = self.fields, later.fields
        out = np.empty_like(a)
        for f in _SUMMED:
            out[..., f] = a[..., f] + b[..., f]
        out[..., F_NVIS_MIN] = np.minimum(a[..., F_NVIS_MIN], b[..., F_NVIS_MIN])
        out[..., F_NVIS_MAX] = np.maximum(a[..., F_NVIS_MAX], b[..., F_NVIS_MAX])
        a_any, b_any = a[..., F_ANY] == 1, b[..., F_ANY] == 1
        middle = np.where(a_any & b_any, a[..., F_TRAIL] + b[..., F_LEAD], 0)
        out[..., F_ANY] = (a_any | b_any).astype(np.int64)
        out[..., F_LEAD] = np.where(a_any, a[..., F_LEAD], a[..., F_LEAD] + b[..., F_LEAD])
        out[..., F_TRAIL] = np.where(b_any, b[..., F_TRAIL],
                                     np.where(a_any, a[..., F_TRAIL] + later.n_steps, 0))
        out[..., F_GAP_MAX] = np.maximum(np.maximum(a[..., F_GAP_MAX], b[..., F_GAP_MAX]),
                                         middle)
        out[..., F_GAP_SUM] = a[..., F_GAP_SUM] + b[..., F_GAP_SUM] + middle
        out[..., F_GAP_COUNT] = a[..., F_GAP_COUNT] + b[..., F_GAP_COUNT] + (middle > 0)
        return Accumulator(
            self.first_step, self.n_steps + later.n_steps, out,
            self.failures + later.failures, self.propagated + later.propagated,
            np.concatenate([self.series_n, later.series_n]),
            np.concatenate([self.series_open, later.series_open]),
            np.concatenate([self.series_best_deg, later.series_best_deg]))

    def gaps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(longest, total, count)`` of the gaps in steps under the gap policy."""
        f = self.fields
        any_cov = f[..., F_ANY] == 1
        lead = np.where(any_cov, f[..., F_LEAD], 0)
        trail = np.where(any_cov, f[..., F_TRAIL], 0)
        longest = np.where(any_cov, np.maximum(f[..., F_GAP_MAX], np.maximum(lead, trail)),
                           self.n_steps)
        total = np.where(any_cov, f[..., F_GAP_SUM] + lead + trail, self.n_steps)
        count = np.where(any_cov, f[..., F_GAP_COUNT] + (lead > 0) + (trail > 0), 1)
        return longest, total, count

    def field(self, index: int) -> np.ndarray:
        """One accumulator field, ``(n_rows, n_cells)``."""
        return self.fields[..., index]
