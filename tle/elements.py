"""One satellite's element set, kept in a form that rebuilds its Satrec exactly anywhere.

sgp4 ``Satrec`` objects do not pickle reliably, so a constellation keeps plain data: the
two TLE lines as read (rebuilt with ``twoline2rv``), or the arguments of ``sgp4init`` (OMM
records and generated Walker satellites, which carry more precision than TLE columns).
These ship to worker processes as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from math import pi

from sgp4.api import WGS72, Satrec
from sgp4.exporter import export_tle

from .omm import OMMRecord
from .tle_text import TLERecord, alpha5_to_int, checksum, int_to_alpha5

GENERATED_SOURCE_PREFIX = "walker:"  # ElementSet.source of generated satellites
SGP4_EPOCH0 = datetime(1949, 12, 31, tzinfo=timezone.utc)  # sgp4init epochs count from here
JD_1949_12_31 = 2433281.5
_DEG = pi / 180.0
_MINUTES_PER_DAY = 1440.0
# TLE rate fields to sgp4init units (SGP4.cpp, as in sgp4.omm).
_NDOT_UNITS = 1036800.0 / pi
_NDDOT_UNITS = 2985984000.0 / 2.0 / pi


@dataclass(frozen=True)
class Sgp4InitArgs:
    """Arguments of ``Satrec.sgp4init`` (WGS72, improved mode), angles in radians."""

    satnum: int
    epoch_days_since_1949: float
    bstar: float
    ndot: float
    nddot: float
    eccentricity: float
    arg_perigee_rad: float
    inclination_rad: float
    mean_anomaly_rad: float
    mean_motion_rad_per_min: float
    raan_rad: float


@dataclass(frozen=True)
class ElementSet:
    """A named satellite's mean elements, from a TLE, an OMM record or a generator.

    Exactly one of ``tle_lines`` and ``init`` is set.
    """

    name: str
    norad_id: int
    source: str
    line_number: int
    tle_lines: tuple[str, str] | None = None
    init: Sgp4InitArgs | None = None

    @classmethod
    def from_tle_record(cls, record: TLERecord) -> ElementSet:
        return cls(
            record.name,
            alpha5_to_int(record.line1[2:7]),
            record.source,
            record.line_number,
            tle_lines=(record.line1, record.line2),
        )

    @classmethod
    def from_omm_record(cls, record: OMMRecord) -> ElementSet:
        epoch_days = (record.epoch_utc - SGP4_EPOCH0).total_seconds() / 86400.0
        init = Sgp4InitArgs(
            satnum=record.norad_id,
            epoch_days_since_1949=epoch_days,
            bstar=record.bstar_per_earth_radius,
            ndot=record.mean_motion_dot / _NDOT_UNITS,
            nddot=record.mean_motion_ddot / _NDDOT_UNITS,
            eccentricity=record.eccentricity,
            arg_perigee_rad=record.arg_perigee_deg * _DEG,
            inclination_rad=record.inclination_deg * _DEG,
            mean_anomaly_rad=record.mean_anomaly_deg * _DEG,
            mean_motion_rad_per_min=record.mean_motion_rev_per_day * 2.0 * pi / _MINUTES_PER_DAY,
            raan_rad=record.raan_deg * _DEG,
        )
        return cls(record.name, record.norad_id, record.source, record.line_number, init=init)

    @property
    def generated(self) -> bool:
        """True for satellites made by a generator (Walker shells), not read from data."""
        return self.source.startswith(GENERATED_SOURCE_PREFIX) and self.init is not None

    def same_orbit(self, other: ElementSet) -> bool:
        """True when ``other`` carries the same elements (catalogue number aside)."""
        if self.tle_lines is not None or other.tle_lines is not None:
            if self.tle_lines is None or other.tle_lines is None:
                return False
            return (self.tle_lines[0][7:68], self.tle_lines[1][7:68]) == (
                other.tle_lines[0][7:68],
                other.tle_lines[1][7:68],
            )
        assert self.init is not None and other.init is not None
        return replace(self.init, satnum=0) == replace(other.init, satnum=0)

    def renumbered(self, norad_id: int) -> ElementSet:
        """The same generated satellite under another catalogue number."""
        if self.init is None:
            raise ValueError("only generated (sgp4init) element sets can be renumbered")
        return replace(self, norad_id=norad_id, init=replace(self.init, satnum=norad_id))

    @property
    def epoch_jd_utc(self) -> float:
        """Epoch as a UTC Julian date, read from the element fields (no SGP4 init)."""
        if self.init is not None:
            return JD_1949_12_31 + self.init.epoch_days_since_1949
        assert self.tle_lines is not None
        year2 = int(self.tle_lines[0][18:20].replace(" ", "0"))
        year = 1900 + year2 if year2 >= 57 else 2000 + year2
        jan1 = datetime(year, 1, 1, tzinfo=timezone.utc).timestamp() / 86400.0 + 2440587.5
        return jan1 + float(self.tle_lines[0][20:32]) - 1.0

    def to_satrec(self) -> Satrec:
        """A freshly initialised Satrec (call in the process that propagates)."""
        if self.tle_lines is not None:
            return Satrec.twoline2rv(*self.tle_lines)
        assert self.init is not None
        a = self.init
        satrec = Satrec()
        satrec.sgp4init(
            WGS72,
            "i",
            a.satnum if a.satnum < 100_000 else 0,
            a.epoch_days_since_1949,
            a.bstar,
            a.ndot,
            a.nddot,
            a.eccentricity,
            a.arg_perigee_rad,
            a.inclination_rad,
            a.mean_anomaly_rad,
            a.mean_motion_rad_per_min,
            a.raan_rad,
        )
        return satrec

    def to_tle_lines(self) -> tuple[str, str]:
        """Two TLE lines (exactly as read for TLE input; formatted otherwise).

        The TLE columns round the epoch to 1e-8 day (0.9 ms) and the angles to 1e-4 deg,
        so a formatted line is not bit-identical to an OMM or generated orbit.
        """
        if self.tle_lines is not None:
            return self.tle_lines
        satrec = self.to_satrec()
        line1, line2 = export_tle(satrec)
        if self.norad_id >= 100_000:  # sgp4init takes no Alpha-5; patch the columns
            field = int_to_alpha5(self.norad_id)
            line1 = line1[:2] + field + line1[7:68]
            line2 = line2[:2] + field + line2[7:68]
            line1 += str(checksum(line1))
            line2 += str(checksum(line2))
        return line1, line2
