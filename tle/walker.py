"""Walker delta and star constellations, initialised with ``sgp4init``, and sourced presets.

Pattern i: T/P/F (Walker 1984): P planes with RAANs spaced ``spread / P`` (360 deg for
delta, 180 deg for star), S = T/P satellites per plane spaced 360/S deg in mean anomaly,
and plane j's satellites shifted by ``j * F * 360 / T`` deg (phasing F, 0 <= F < P).

Altitude: the requested ``altitude_km`` is the orbit-averaged geocentric distance of the
SGP4 trajectory minus the WGS84 equatorial radius (6378.137 km), the same definition as
``Constellation.mean_altitude_km``. The mean motion is solved for so that SGP4's own
J2 terms are accounted for (the tests check it against propagated orbits).

Catalogue numbers: generated satellites are numbered in the Alpha-5 range
``Q0000``..``Z9999`` (240000..339999), far above the ~70,000 objects of the 2026
catalogue, in blocks of 1,000 ids. A shell's preferred first id is derived from its
parameters (a SHA-256 of name, altitude, inclination, P, S, F, pattern, spread and
RAAN offset), so the same shell always gets the same ids; :func:`allocate_first_ids`
moves a shell to the next free block when a preferred block is taken, so the shells of a
preset or a deployment plan never share an id (and :meth:`Constellation.union` does the
same for generated sets that collide).
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from math import ceil, sqrt
from typing import Literal

import numpy as np

from .constellation import EARTH_EQUATORIAL_RADIUS_KM, orbit_mean_radius_km
from .elements import GENERATED_SOURCE_PREFIX, SGP4_EPOCH0, ElementSet, Sgp4InitArgs
from .errors import WalkerError
from .timegrid import require_utc

_MU_WGS72_KM3_S2 = 398600.8  # SGP4 runs on WGS72 constants
GENERATED_ID_FIRST = 240_000  # Alpha-5 "Q0000"
GENERATED_ID_STOP = 340_000  # one past "Z9999", the last Alpha-5 number
ID_BLOCK_SIZE = 1_000
_N_BLOCKS = (GENERATED_ID_STOP - GENERATED_ID_FIRST) // ID_BLOCK_SIZE
MAX_GENERATED_SATELLITES = GENERATED_ID_STOP - GENERATED_ID_FIRST
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
    phasing : int, optional
        Walker F, 0 <= F < P. Default 1, or 0 for a single plane (where F has no effect
        and 1 would be out of range).
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
    phasing: int | None = None
    pattern: Pattern = "delta"
    raan_spread_deg: float | None = None
    raan0_deg: float = 0.0
    source: str = ""
    approximate: bool = False

    def __post_init__(self) -> None:
        if self.phasing is None:
            single = isinstance(self.planes, (int, float)) and self.planes == 1
            object.__setattr__(self, "phasing", 0 if single else 1)
        for key in (
            "altitude_km",
            "inclination_deg",
            "planes",
            "sats_per_plane",
            "phasing",
            "raan0_deg",
        ) + (("raan_spread_deg",) if self.raan_spread_deg is not None else ()):
            value = getattr(self, key)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float, np.integer, np.floating))
                or not np.isfinite(value)
            ):
                raise WalkerError(
                    f"Walker shell {self.name!r}: {key} = {value!r}; expected a finite number"
                )
        checks = [
            (
                160.0 <= self.altitude_km <= 40_000.0,
                "altitude_km",
                f"{self.altitude_km} km; expected 160..40000 km (SGP4 decays lower orbits)",
            ),
            (
                0.0 <= self.inclination_deg <= 180.0,
                "inclination_deg",
                f"{self.inclination_deg} deg; expected 0..180",
            ),
            (
                int(self.planes) == self.planes and self.planes >= 1,
                "planes",
                f"{self.planes}; expected a whole number >= 1",
            ),
            (
                int(self.sats_per_plane) == self.sats_per_plane and self.sats_per_plane >= 1,
                "sats_per_plane",
                f"{self.sats_per_plane}; expected a whole number >= 1",
            ),
            (
                int(self.phasing) == self.phasing and 0 <= self.phasing < max(self.planes, 1),
                "phasing",
                (f"F = {self.phasing}; expected a whole number 0 <= F < planes ({self.planes})"),
            ),
            (
                self.pattern in ("delta", "star"),
                "pattern",
                f"{self.pattern!r}; expected 'delta' or 'star'",
            ),
            (
                self.raan_spread_deg is None or 0.0 < self.raan_spread_deg <= 360.0,
                "raan_spread_deg",
                f"{self.raan_spread_deg}; expected 0 < spread <= 360 deg",
            ),
        ]
        for ok, key, found in checks:
            if not ok:
                raise WalkerError(f"Walker shell {self.name!r}: {key} = {found}")
        if self.n_satellites > MAX_GENERATED_SATELLITES:
            raise WalkerError(
                f"Walker shell {self.name!r}: planes x sats_per_plane = {self.n_satellites}; "
                f"expected at most {MAX_GENERATED_SATELLITES} (the Alpha-5 catalogue-number "
                "range for generated satellites); split the shell"
            )

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
        return (
            f"{self.inclination_deg:g}: {self.n_satellites}/{self.planes}/{self.phasing} "
            f"@ {self.altitude_km:g} km ({self.pattern})"
        )


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
        return Sgp4InitArgs(
            0, epoch_days, 0.0, 0.0, 0.0, 0.0, 0.0, np.radians(shell.inclination_deg), 0.0, n, 0.0
        )

    n = _mean_motion_rad_per_min(shell.altitude_km)
    for _ in range(8):  # fixed point: an altitude error maps to mean motion via Kepler
        error_km = _orbit_mean_altitude_km(args(n)) - shell.altitude_km
        if abs(error_km) < 1e-6:
            break
        n *= (1.0 + error_km / (EARTH_EQUATORIAL_RADIUS_KM + shell.altitude_km)) ** 1.5
    return n


def _canonical(shell: WalkerShell) -> bytes:
    return (
        f"{shell.name}|{shell.altitude_km!r}|{shell.inclination_deg!r}|{shell.planes}|"
        f"{shell.sats_per_plane}|{shell.phasing}|{shell.pattern}|{shell.spread_deg!r}|"
        f"{shell.raan0_deg!r}"
    ).encode()


def _blocks_needed(n_satellites: int) -> int:
    return max(1, ceil(n_satellites / ID_BLOCK_SIZE))


def preferred_first_id(shell: WalkerShell) -> int:
    """The shell's own first catalogue number, derived from its parameters alone.

    A block start in 240000..339999 (Alpha-5 ``Q0000``..``Z9999``) chosen by the SHA-256
    of the shell's parameters, so a shell keeps its ids from run to run.
    """
    need = _blocks_needed(shell.n_satellites)
    digest = int.from_bytes(hashlib.sha256(_canonical(shell)).digest()[:8], "big")
    return GENERATED_ID_FIRST + (digest % (_N_BLOCKS - need + 1)) * ID_BLOCK_SIZE


def free_id_run(n_ids: int, preferred_first: int, taken: Iterable[int]) -> int:
    """First id of ``n_ids`` consecutive free generated ids, from ``preferred_first`` on.

    Block starts are tried from the preferred block upwards, wrapping round the range;
    ``taken`` are ids already in use. Raises :class:`WalkerError` when no run is free.
    """
    used = sorted(set(taken))
    need = _blocks_needed(n_ids)
    first_block = max(
        0, min(_N_BLOCKS - 1, (preferred_first - GENERATED_ID_FIRST) // ID_BLOCK_SIZE)
    )
    for k in range(_N_BLOCKS):
        block = (first_block + k) % _N_BLOCKS
        if block + need > _N_BLOCKS:
            continue
        start = GENERATED_ID_FIRST + block * ID_BLOCK_SIZE
        at = bisect.bisect_left(used, start)
        if at == len(used) or used[at] >= start + n_ids:
            return start
    raise WalkerError(
        f"no run of {n_ids} free catalogue numbers left in the generated range "
        f"{GENERATED_ID_FIRST}..{GENERATED_ID_STOP - 1}; generate fewer "
        "satellites per constellation"
    )


def allocate_first_ids(shells: Sequence[WalkerShell], taken: Iterable[int] = ()) -> list[int]:
    """First catalogue number of each shell: its preferred block, or the next free one."""
    used = set(taken)
    firsts = []
    for shell in shells:
        first = free_id_run(shell.n_satellites, preferred_first_id(shell), used)
        used.update(range(first, first + shell.n_satellites))
        firsts.append(first)
    return firsts


def walker_element_sets(
    shell: WalkerShell, epoch_utc: datetime, first_norad_id: int | None = None
) -> list[ElementSet]:
    """Element sets of every satellite of ``shell``, circular orbits at ``epoch_utc``.

    NORAD ids run from ``first_norad_id`` (default: :func:`preferred_first_id`, a block of
    the Alpha-5 range 240000..339999 derived from the shell's parameters); names are
    ``<shell>-P<plane>-S<slot>`` and sources ``walker:<shell>``. Drag terms are zero (an
    idealised shell).
    """
    epoch = require_utc(epoch_utc, "epoch_utc")
    if first_norad_id is None:
        first_norad_id = preferred_first_id(shell)
    if not 0 <= first_norad_id <= 340_000 - shell.n_satellites:
        raise WalkerError(
            f"Walker shell {shell.name!r}: first_norad_id = {first_norad_id}; "
            f"expected 0..{340_000 - shell.n_satellites} so that its "
            f"{shell.n_satellites} satellites fit the Alpha-5 range (..339999)"
        )
    epoch_days = (epoch - SGP4_EPOCH0).total_seconds() / 86400.0
    n = _solve_mean_motion(shell, epoch_days)
    total = shell.n_satellites
    sets = []
    for plane in range(shell.planes):
        raan = (shell.raan0_deg + plane * shell.spread_deg / shell.planes) % 360.0
        for slot in range(shell.sats_per_plane):
            anomaly = (
                slot * 360.0 / shell.sats_per_plane + plane * shell.phasing * 360.0 / total
            ) % 360.0
            norad = first_norad_id + plane * shell.sats_per_plane + slot
            args = Sgp4InitArgs(
                norad,
                epoch_days,
                0.0,
                0.0,
                0.0,
                0.0,
                0.0,
                np.radians(shell.inclination_deg),
                np.radians(anomaly),
                n,
                np.radians(raan),
            )
            sets.append(
                ElementSet(
                    f"{shell.name}-P{plane + 1:02d}-S{slot + 1:02d}",
                    norad,
                    f"{GENERATED_SOURCE_PREFIX}{shell.name}",
                    plane * shell.sats_per_plane + slot + 1,
                    init=args,
                )
            )
    return sets
