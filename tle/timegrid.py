"""The UTC time grid of an analysis: start, duration, step; Julian dates for SGP4 and UT1.

Time is always UTC. Naive datetimes are refused, as skyfield does, with the fix shown.
UT1 - UTC comes from skyfield's builtin timescale tables (no network).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np

from .errors import PropagationError

UNIX_EPOCH_JD = 2440587.5


def require_utc(value: datetime, what: str = "time") -> datetime:
    """Return ``value`` converted to UTC; refuse naive datetimes with the two fixes."""
    if not isinstance(value, datetime):
        raise PropagationError(f"{what} must be a datetime, found {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise PropagationError(
            f"{what} {value.isoformat()} has no time zone; hybridplan works in UTC. Write "
            f"datetime({value.year}, {value.month}, {value.day}, {value.hour}, "
            f"{value.minute}, tzinfo=timezone.utc) in Python, or "
            f"'{value.strftime('%Y-%m-%dT%H:%M:%S')}Z' in a scenario file"
        )
    return value.astimezone(timezone.utc)


@dataclass(frozen=True)
class TimeGrid:
    """Evenly spaced UTC instants ``start_utc + k * step_s`` for ``k < n_steps``.

    Parameters
    ----------
    start_utc : datetime
        First instant (time-zone aware).
    duration_s : float
        Window length [s]; the grid covers ``[start, start + duration)``.
    step_s : float
        Step [s], > 0.
    """

    start_utc: datetime
    duration_s: float
    step_s: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_utc", require_utc(self.start_utc, "start_utc"))
        if not self.step_s > 0:
            raise PropagationError(f"step_s must be > 0 seconds, found {self.step_s}")
        if not self.duration_s >= self.step_s:
            raise PropagationError(
                f"duration_s ({self.duration_s}) must be at least one step ({self.step_s} s)"
            )

    @property
    def n_steps(self) -> int:
        return int(np.floor(self.duration_s / self.step_s + 1e-9))

    @property
    def offsets_s(self) -> np.ndarray:
        """Seconds from ``start_utc``, shape ``(n_steps,)``."""
        return np.arange(self.n_steps, dtype=np.float64) * self.step_s

    @property
    def end_utc(self) -> datetime:
        return self.start_utc + timedelta(seconds=self.n_steps * self.step_s)

    def datetimes64(self, index: slice = slice(None)) -> np.ndarray:
        """Instants as ``datetime64[ns]`` (UTC, no zone attached), shape ``(n,)``."""
        start = np.datetime64(self.start_utc.replace(tzinfo=None), "ns")
        return start + (self.offsets_s[index] * 1e9).round().astype("timedelta64[ns]")

    def julian_dates_utc(self, index: slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
        """``(whole, fraction)`` UTC Julian dates for SGP4, each shape ``(n,)``.

        The split keeps sub-microsecond precision: ``whole`` is the JD of the start's
        midnight-at-noon boundary, ``fraction`` the rest in days.
        """
        start_unix_s = self.start_utc.timestamp()
        start_day = np.floor(start_unix_s / 86400.0)
        whole = UNIX_EPOCH_JD + start_day
        fraction = (start_unix_s - start_day * 86400.0 + self.offsets_s[index]) / 86400.0
        return np.full(fraction.shape, whole), fraction

    def chunks(self, steps_per_chunk: int) -> list[slice]:
        """Consecutive index slices of at most ``steps_per_chunk`` steps."""
        if steps_per_chunk < 1:
            raise PropagationError(f"steps_per_chunk must be >= 1, found {steps_per_chunk}")
        return [
            slice(i, min(i + steps_per_chunk, self.n_steps))
            for i in range(0, self.n_steps, steps_per_chunk)
        ]
