"""Walker delta and star constellations, initialised with ``sgp4init``, and sourced presets.

Pattern i: T/P/F (Walker 1984): P planes with RAANs spaced ``spread / P`` (360 deg for
delta, 180 deg for star), S = T/P satellites per plane spaced 360/S deg in mean anomaly,
and plane j's satellites shifted by ``j * F * 360 / T`` deg (phasing F, 0 <= F < P).

Altitude: the requested ``altitude_km`` is the orbit-averaged geocentric distance of the
SGP4 trajectory minus the WGS84 equatorial radius (6378.137 km), the same definition as
``Constellation.mean_altitude_km``. The mean motion is solved for so that SGP4's own
J2 terms are accounted for (the tests check it against propagated orbits).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from math import sqrt
from typing import Literal

import numpy as np

from .constellation import EARTH_EQUATORIAL_RADIUS_KM, orbit_mean_radius_km
from .elements import SGP4_EPOCH0, ElementSet, Sgp4InitArgs
from .errors import WalkerError
from .timegrid import require_utc

_MU_WGS72_KM3_S2 = 398600.8  # SGP4 runs on WGS72 constants
Pattern = Literal["delta", "star"]


@dataclass(frozen=True)
class WalkerShell:
    """One Walker shell; see the module docstring for the pattern.

    Attributes
    ----------
    name : str
    altitude_km : float
        Mean altitude above the equatorial radius [km], 160..40000.
    inclination_deg : float
        [deg], 0..180.
    planes, sats_per_plane : int
        P and S (T = P * S).
    phasing : int
        Walker F, 0 <= F < P.
    pattern : {"delta", "star"}
    raan_spread_deg : float, optional
        Arc over which planes are spread; default 360 (delta) or 180 (star).
    raan0_deg : float
        RAAN of the first plane [deg].
    source : str
        Where the figures come from.
    approximate : bool
        True for press figures or parameters inferred rather than filed.
    """

    name: str
    altitude_km: float
    inclination_deg: float
    planes: int
    sats_per_plane: int
    phasing: int = 1
    pattern: Pattern = "delta"
    raan_spread_deg: float | None = None
    raan0_deg: float = 0.0
    source: str = ""
    approximate: bool = False

    def __post_init__(self) -> None:
        checks = [
            (160.0 <= self.altitude_km <= 40_000.0, "altitude_km",
             f"{self.altitude_km} km; expected 160..40000 km (SGP4 decays lower orbits)"),
            (0.0 <= self.inclination_deg <= 180.0, "inclination_deg",
             f"{self.inclination_deg} deg; expected 0..180"),
            (int(self.planes) == self.planes and self.planes >= 1, "planes",
             f"{self.planes}; expected a whole number >= 1"),
            (int(self.sats_per_plane) == self.sats_per_plane and self.sats_per_plane >= 1,
             "sats_per_plane", f"{self.sats_per_plane}; expected a whole number >= 1"),
            (int(self.phasing) == self.phasing and 0 <= self.phasing < max(self.planes, 1),
             "phasing", (f"F = {self.phasing}; expected a whole number 0 <= F < planes "
                         f"({self.planes})")),
            (self.pattern in ("delta", "star"), "pattern",
             f"{self.pattern!r}; expected 'delta' or 'star'"),
            (self.raan_spread_deg is None or 0.0 < self.raan_spread_deg <= 360.0,
             "raan_spread_deg", f"{self.raan_spread_deg}; expected 0 < spread <= 360 deg"),
        ]
        for ok, key, found in checks:
            if not ok:
                raise WalkerError(f"Walker shell {self.name!r}: {key} = {found}")

    @property
    def n_satellites(self) -> int:
        return self.planes * self.sats_per_plane

    @property
    def spread_deg(self) -> float:
        if self.raan_spread_deg is not None:
            return self.raan_spread_deg
        return 360.0 if self.pattern == "delta" else 180.0

    def notation(self) -> str:
        """Walker notation, e.g. ``53.0: 1584/72/17 @ 550 km (delta)``."""
        return (f"{self.inclination_deg:g}: {self.n_satellites}/{self.planes}/{self.phasing} "
                f"@ {self.altitude_km:g} km ({self.pattern})")


def _mean_motion_rad_per_min(altitude_km: float) -> float:
    a = EARTH_EQUATORIAL_RADIUS_KM + altitude_km
    return sqrt(_MU_WGS72_KM3_S2 / a**3) * 60.0


def _orbit_mean_altitude_km(args: Sgp4InitArgs) -> float:
    """Orbit-averaged SGP4 altitude of the orbit ``args`` describes [km]."""
    satrec = ElementSet("probe", 0, "", 0, init=args).to_satrec()
    return orbit_mean_radius_km(satrec) - EARTH_EQUATORIAL_RADIUS_KM


def _solve_mean_motion(shell: WalkerShell, epoch_days: float) -> float:
    """Mean motion [rad/min] whose SGP4 orbit has the requested mean altitude."""
    def args(n: float) -> Sgp4InitArgs:
        return Sgp4InitArgs(0, epoch_days, 0.0, 0.0, 0.0, 0.0, 0.0,
                            np.radians(shell.inclination_deg), 0.0, n, 0.0)
    n = _mean_motion_rad_per_min(shell.altitude_km)
    for _ in range(8):  # fixed point: an altitude error maps to mean motion via Kepler
        error_km = _orbit_mean_altitude_km(args(n)) - shell.altitude_km
        if abs(error_km) < 1e-6:
            break
        n *= (1.0 + error_km / (EARTH_EQUATORIAL_RADIUS_KM + shell.altitude_km)) ** 1.5
    return n


def walker_element_sets(shell: WalkerShell, epoch_utc: datetime,
                        first_norad_id: int = 90_000) -> list[ElementSet]:
    """Element sets of every satellite of ``shell``, circular orbits at ``epoch_utc``.

    NORAD ids run from ``first_norad_id``; names are ``<shell>-P<plane>-S<slot>``.
    Drag terms are zero (an idealised shell).
    """
    epoch = require_utc(epoch_utc, "epoch_utc")
    epoch_days = (epoch - SGP4_EPOCH0).total_seconds() / 86400.0
    n = _solve_mean_motion(shell, epoch_days)
    total = shell.n_satellites
    sets = []
    for plane in range(shell.planes):
        raan = (shell.raan0_deg + plane * shell.spread_deg / shell.planes) % 360.0
        for slot in range(shell.sats_per_plane):
            anomaly = (slot * 360.0 / shell.sats_per_plane
                       + plane * shell.phasing * 360.0 / total) % 360.0
            norad = first_norad_id + plane * shell.sats_per_plane + slot
            args = Sgp4InitArgs(norad, epoch_days, 0.0, 0.0, 0.0, 0.0, 0.0,
                                np.radians(shell.inclination_deg), np.radians(anomaly), n,
                                np.radians(raan))
            sets.append(ElementSet(f"{shell.name}-P{plane + 1:02d}-S{slot + 1:02d}", norad,
                                   f"walker:{shell.name}", plane * shell.sats_per_plane + slot + 1,
                                   init=args))
    return sets
