"""Batch SGP4 propagation to Earth-fixed (ITRS) positions, chunk by chunk.

Shape contract: positions are ``(n_sat, n_time, 3)`` km in ITRS, error codes
``(n_sat, n_time)`` uint8 (0 = fine; the SGP4 codes 1..6 otherwise, e.g. 6 = decayed),
and positions are NaN exactly where the code is non-zero.

Near-earth satellites (period < 225 min) go through :mod:`.sgp4_compiled`, a numba port
of SGP4 that releases the GIL (so threads propagate in parallel) and gives the same
positions as python-sgp4's C++ to the bit on the bundled sets; deep-space ones (SDP4: GEO,
MEO) through python-sgp4's ``SatrecArray``. :class:`SatellitePropagator` does the split.

TEME -> ITRS is the rotation by the 1982 Greenwich mean sidereal angle of UT1
(AIAA 2006-6753 Appendix C), the same angle skyfield's TEME frame uses; UT1 - UTC comes
from skyfield's builtin timescale. Polar motion is neglected (as skyfield does without an
IERS polar-motion table): at most ~15 m at LEO distances.
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np
from sgp4.api import SGP4_ERRORS, SatrecArray
from skyfield.api import load
from skyfield.sgp4lib import theta_GMST1982

from ._lifetime import die_with_parent
from .elements import ElementSet
from .sgp4_compiled import (
    DEEP_SPACE_COLUMN,
    near_earth_constants,
    near_earth_mask,
    propagate_itrs_km,
    satrec_elements,
)
from .timegrid import TimeGrid

#: Age (days between a set's epoch and the analysis window) above which we warn.
DEFAULT_MAX_EPOCH_AGE_DAYS = 3.0


class StaleElementsWarning(UserWarning):
    """The analysis window lies far from element-set epochs (SGP4 error ~1-3 km/day)."""


@dataclass(frozen=True)
class PropagatedChunk:
    """Earth-fixed positions of every satellite for one slice of the time grid.

    Attributes
    ----------
    time_index : slice
        Which steps of the :class:`TimeGrid` these are.
    times : numpy.ndarray
        ``datetime64[ns]`` UTC, shape ``(n_time,)``.
    positions_itrs_km : numpy.ndarray
        ``(n_sat, n_time, 3)`` float64 [km]; NaN where ``error_codes != 0``.
    error_codes : numpy.ndarray
        ``(n_sat, n_time)`` uint8 SGP4 error codes (``sgp4.api.SGP4_ERRORS``).
    """

    time_index: slice
    times: np.ndarray
    positions_itrs_km: np.ndarray
    error_codes: np.ndarray

    @property
    def n_failed(self) -> int:
        """Number of (satellite, time) pairs SGP4 could not propagate."""
        return int(np.count_nonzero(self.error_codes))


def builtin_timescale():
    """skyfield's timescale from its bundled tables (never downloads)."""
    return load.timescale(builtin=True)


def gmst_angles_rad(grid: TimeGrid, index: slice, timescale=None) -> np.ndarray:
    """GMST 1982 angle of UT1 at the grid instants [rad], shape ``(n,)``."""
    ts = timescale if timescale is not None else builtin_timescale()
    s = grid.start_utc
    t = ts.utc(
        s.year,
        s.month,
        s.day,
        s.hour,
        s.minute,
        s.second + s.microsecond * 1e-6 + grid.offsets_s[index],
    )
    theta, _ = theta_GMST1982(t.whole, t.ut1_fraction)
    return np.asarray(theta, dtype=np.float64).reshape(-1)


def teme_to_itrs_km(positions_teme_km: np.ndarray, gmst_rad: np.ndarray) -> np.ndarray:
    """Rotate ``(n_sat, n_time, 3)`` TEME positions about z by GMST ``(n_time,)``, in place."""
    cos_t, sin_t = np.cos(gmst_rad), np.sin(gmst_rad)
    x = positions_teme_km[..., 0].copy()
    y = positions_teme_km[..., 1]
    positions_teme_km[..., 0] = x * cos_t + y * sin_t
    positions_teme_km[..., 1] = y * cos_t - x * sin_t
    return positions_teme_km


def propagate_arrays(
    satrecs: SatrecArray, jd_whole: np.ndarray, jd_fraction: np.ndarray, gmst_rad: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """SGP4 + TEME->ITRS for one chunk; returns ``(positions_itrs_km, error_codes)``.

    ``positions`` is ``(n_sat, n_time, 3)`` km, NaN where the error code is non-zero.
    """
    errors, positions, _velocities = satrecs.sgp4(jd_whole, jd_fraction)
    return _errors_to_nan_and_itrs(positions, errors, gmst_rad), errors


class SatellitePropagator:
    """SGP4 to ITRS for a fixed list of satellites, any subset of them at a time.

    Near-earth satellites run in compiled code without the GIL (:mod:`.sgp4_compiled`);
    deep-space ones (``Satrec.method == 'd'``) through python-sgp4's ``SatrecArray``
    (which holds the GIL). Build it once per process and share it between threads: it is
    read-only after construction.

    Parameters
    ----------
    satrecs : sequence of sgp4.api.Satrec
        Initialised satellites (``ElementSet.to_satrec``); row ``i`` of every result is
        ``satrecs[rows[i]]``.
    """

    def __init__(self, satrecs: Sequence) -> None:
        self.satrecs = list(satrecs)
        self.near_earth = near_earth_mask(self.satrecs)
        elements = satrec_elements(self.satrecs)
        self.constants = near_earth_constants(elements)
        # The satrec's own branch decides (the port recomputes the same flag).
        self.constants[:, DEEP_SPACE_COLUMN] = np.where(self.near_earth, 0.0, 1.0)
        self._all_near_earth = bool(self.near_earth.all())

    @classmethod
    def from_element_sets(cls, element_sets: Sequence[ElementSet]) -> SatellitePropagator:
        """Initialise every element set (``ElementSet.to_satrec``) in this process."""
        return cls([e.to_satrec() for e in element_sets])

    def __len__(self) -> int:
        return len(self.satrecs)

    def itrs_km(
        self,
        rows: np.ndarray | None,
        jd_whole: np.ndarray,
        jd_fraction: np.ndarray,
        gmst_rad: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Positions of satellites ``rows`` (all when None) at the given instants.

        Returns ``(positions_itrs_km, error_codes)``: ``(n_rows, n_time, 3)`` float64 [km]
        in ITRS, NaN where ``error_codes`` ``(n_rows, n_time)`` uint8 is non-zero; the
        same contract (and, on the bundled sets, the same bits) as :func:`propagate_arrays`.
        """
        rows = np.arange(len(self.satrecs)) if rows is None else np.asarray(rows, np.int64)
        if rows.size and (rows.min() < 0 or rows.max() >= len(self.satrecs)):
            raise IndexError(
                f"rows must index the {len(self.satrecs)} satellites of this propagator; "
                f"found rows {rows.min()} .. {rows.max()}"
            )
        jd_whole = np.ascontiguousarray(jd_whole, dtype=np.float64)
        jd_fraction = np.ascontiguousarray(jd_fraction, dtype=np.float64)
        n_time = len(jd_whole)
        cos_t, sin_t = np.cos(gmst_rad), np.sin(gmst_rad)
        positions = np.empty((len(rows), n_time, 3))
        errors = np.zeros((len(rows), n_time), dtype=np.uint8)
        propagate_itrs_km(
            self.constants, rows, jd_whole, jd_fraction, cos_t, sin_t, positions, errors
        )
        if not self._all_near_earth:  # deep-space rows were skipped: python-sgp4 fills them
            deep_rows = np.flatnonzero(~self.near_earth[rows])
            if deep_rows.size:
                deep = SatrecArray([self.satrecs[i] for i in rows[deep_rows]])
                positions[deep_rows], errors[deep_rows] = propagate_arrays(
                    deep, jd_whole, jd_fraction, gmst_rad
                )
        return positions, errors


def _errors_to_nan_and_itrs(
    positions: np.ndarray, errors: np.ndarray, gmst_rad: np.ndarray
) -> np.ndarray:
    """NaN where SGP4 failed, then TEME -> ITRS, in place."""
    failed = errors != 0
    if failed.any():
        positions[failed] = np.nan
    return teme_to_itrs_km(positions, gmst_rad)


def epoch_age_days(epochs_jd_utc: np.ndarray, grid: TimeGrid) -> np.ndarray:
    """Largest distance [days] from each epoch to either end of the window, ``(n_sat,)``."""
    whole, fraction = grid.julian_dates_utc(slice(0, 1))
    start = whole[0] + fraction[0]
    end = start + grid.n_steps * grid.step_s / 86400.0
    return np.maximum(np.abs(start - epochs_jd_utc), np.abs(end - epochs_jd_utc))


def warn_if_stale(
    label: str,
    epochs_jd_utc: np.ndarray,
    grid: TimeGrid,
    max_age_days: float = DEFAULT_MAX_EPOCH_AGE_DAYS,
) -> None:
    """Warn when any element set is more than ``max_age_days`` from the window."""
    if len(epochs_jd_utc) == 0:
        return
    age = epoch_age_days(epochs_jd_utc, grid)
    n_stale = int(np.count_nonzero(age > max_age_days))
    if n_stale:
        warnings.warn(
            f"{label}: {n_stale} of {len(age)} element sets are more than {max_age_days:g} "
            f"days from the analysis window (up to {age.max():.1f} days); SGP4 errors grow "
            "by about 1-3 km per day for LEO. Use element sets near the window, or move the "
            "window next to the epochs.",
            StaleElementsWarning,
            stacklevel=3,
        )


# ---- worker processes: each rebuilds its own propagator from plain element sets and
# writes its chunk into a shared-memory slot (no pickling of the 15 MB results) ----
_worker: dict = {}


def _slot_arrays(buffer, n_sat: int, n_time: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(n_sat, n_time, 3)`` float64 and errors ``(n_sat, n_time)`` uint8 views."""
    positions = np.ndarray((n_sat, n_time, 3), np.float64, buffer)
    errors = np.ndarray((n_sat, n_time), np.uint8, buffer, offset=positions.nbytes)
    return positions, errors


def _init_worker(element_sets: Sequence[ElementSet], slot_names: Sequence[str]) -> None:
    """Worker start: die with the caller (no orphan after a SIGKILL), then attach."""
    from multiprocessing import shared_memory

    die_with_parent()

    _worker["propagator"] = SatellitePropagator.from_element_sets(element_sets)
    _worker["slots"] = [shared_memory.SharedMemory(name=n) for n in slot_names]


def _work(slot: int, jd_whole: np.ndarray, jd_fraction: np.ndarray, gmst_rad: np.ndarray) -> int:
    propagator = _worker["propagator"]
    positions, errors = _slot_arrays(_worker["slots"][slot].buf, len(propagator), len(jd_whole))
    positions[...], errors[...] = propagator.itrs_km(None, jd_whole, jd_fraction, gmst_rad)
    return slot


def _propagate(
    source: SatrecArray | SatellitePropagator,
    jd_whole: np.ndarray,
    jd_fraction: np.ndarray,
    gmst_rad: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(source, SatellitePropagator):
        return source.itrs_km(None, jd_whole, jd_fraction, gmst_rad)
    return propagate_arrays(source, jd_whole, jd_fraction, gmst_rad)


def iter_chunks(
    element_sets: Sequence[ElementSet],
    grid: TimeGrid,
    steps_per_chunk: int = 60,
    workers: int = 1,
    satrecs: SatrecArray | SatellitePropagator | None = None,
    timescale=None,
) -> Iterator[PropagatedChunk]:
    """Propagate ``element_sets`` over ``grid``, yielding chunks in time order.

    ``satrecs`` (a :class:`SatellitePropagator` of ``element_sets``, or a python-sgp4
    ``SatrecArray`` for the C++ path) saves rebuilding the satellites. Memory is bounded
    by a few chunks whatever the window length. With ``workers > 1`` chunks are computed
    in that many processes: each rebuilds the satellites from the element sets and writes
    its results into shared memory; the calling process computes the first chunk while
    they start.
    """
    ts = timescale if timescale is not None else builtin_timescale()
    slices = grid.chunks(steps_per_chunk)
    times = grid.datetimes64()

    def inputs(index: slice):
        whole, fraction = grid.julian_dates_utc(index)
        return whole, fraction, gmst_angles_rad(grid, index, ts)

    def local_array() -> SatrecArray | SatellitePropagator:
        if satrecs is not None:
            return satrecs
        return SatellitePropagator.from_element_sets(element_sets)

    if workers <= 1 or len(slices) <= 2:
        array = local_array()
        for index in slices:
            positions, errors = _propagate(array, *inputs(index))
            yield PropagatedChunk(index, times[index], positions, errors)
        return
    yield from _iter_chunks_parallel(element_sets, slices, times, inputs, local_array, workers)


def _iter_chunks_parallel(element_sets, slices, times, inputs, local_array, workers):
    from multiprocessing import shared_memory

    n_sat = len(element_sets)
    n_time = max(s.stop - s.start for s in slices)
    slot_bytes = n_sat * n_time * 25  # 3 float64 + 1 uint8 per (satellite, time)
    slots = [
        shared_memory.SharedMemory(create=True, size=max(slot_bytes, 1)) for _ in range(2 * workers)
    ]
    try:
        context = get_context("forkserver")
        with ProcessPoolExecutor(
            workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(tuple(element_sets), [m.name for m in slots]),
        ) as pool:
            pending: deque[tuple[slice, Future]] = deque()
            queue = iter(slices[1:])
            free = list(range(len(slots)))

            def submit_next() -> None:
                index = next(queue, None)
                if index is not None:
                    pending.append((index, pool.submit(_work, free.pop(), *inputs(index))))

            while free and len(pending) < len(slots):
                before = len(pending)
                submit_next()
                if len(pending) == before:
                    break
            # The calling process takes the first chunk while the workers start up.
            first = slices[0]
            positions, errors = _propagate(local_array(), *inputs(first))
            yield PropagatedChunk(first, times[first], positions, errors)
            while pending:
                index, future = pending.popleft()
                slot = future.result()
                view_positions, view_errors = _slot_arrays(
                    slots[slot].buf, n_sat, index.stop - index.start
                )
                chunk = PropagatedChunk(
                    index, times[index], view_positions.copy(), view_errors.copy()
                )
                del view_positions, view_errors  # release the buffer before reuse/close
                free.append(slot)
                submit_next()
                yield chunk
    finally:
        for memory in slots:
            memory.close()
            memory.unlink()


def describe_error_code(code: int) -> str:
    """SGP4's text for an error code (0 means no error)."""
    return "no error" if code == 0 else SGP4_ERRORS.get(int(code), f"unknown code {code}")
