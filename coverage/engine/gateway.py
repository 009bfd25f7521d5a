"""The bent-pipe gateway rule: a satellite serves users only while it sees a gateway.

A bent-pipe satellite relays the user's signal straight down to a gateway, so a user is
served only when one satellite sees both the user (the usual visibility rule) and some
gateway of its system above that gateway's minimum elevation. The rule is applied as a
per-satellite, per-step mask before the kernel: a satellite that sees no gateway of its
system at a step is removed from that step. Visibility of a cell then counts exactly the
satellites that see the cell *and* a gateway, so every figure of merit (coverage, N-asset
coverage, gaps, revisit ...) follows the rule with no approximation. Systems without
gateways are not masked (the first release's assumption: a gateway is always in view).

The same pass gives each kept satellite its gateway slant range: the distance to the
nearest of the system's gateways that sees it above that gateway's minimum elevation (the
shortest feeder link; the operator's actual gateway assignment is not public). The kernel
carries it with the satellite, so the latency of a cell at a step is
``2 x (user slant range + gateway slant range) / c`` for its serving satellite (see
``LATENCY_MODEL`` in :mod:`.fom`). For a system without gateways the gateway slant range
is given as ``-1`` and the kernel takes the gateway at the user's slant range, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import CoverageError
from .geometry import enu_basis, geodetic_to_ecef_km


@dataclass(frozen=True)
class Gateway:
    """A gateway (ground station) of a bent-pipe system.

    Attributes
    ----------
    name : str
    lat_deg, lon_deg : float
        Geodetic position [degree].
    height_m : float
        Antenna height above the WGS84 ellipsoid [m].
    min_elevation_deg : float
        Lowest elevation the gateway antenna tracks [deg] (10 is a common figure for Ka-band
        gateways; check the operator's filing).
    """

    name: str
    lat_deg: float
    lon_deg: float
    height_m: float = 0.0
    min_elevation_deg: float = 10.0

    def __post_init__(self) -> None:
        if not (
            np.isfinite(self.lat_deg)
            and -90.0 <= self.lat_deg <= 90.0
            and np.isfinite(self.lon_deg)
            and -180.0 <= self.lon_deg <= 360.0
        ):
            raise CoverageError(
                f"gateway {self.name!r}: lat/lon = {self.lat_deg}, "
                f"{self.lon_deg}: expected -90..90 and -180..360 deg"
            )
        if not 0.0 <= self.min_elevation_deg < 90.0:
            raise CoverageError(
                f"gateway {self.name!r}: min_elevation_deg = "
                f"{self.min_elevation_deg}: expected 0..90 deg"
            )


@dataclass(frozen=True, eq=False)
class GatewayTable:
    """Gateways of one system as arrays: ECEF [km], up vectors, sin(min elevation)."""

    ecef_km: np.ndarray
    up: np.ndarray
    sin_min: np.ndarray

    @classmethod
    def of(cls, gateways: Sequence[Gateway]) -> GatewayTable:
        lat = np.array([g.lat_deg for g in gateways], dtype=np.float64)
        lon = np.array([g.lon_deg for g in gateways], dtype=np.float64)
        height = np.array([g.height_m for g in gateways], dtype=np.float64) / 1000.0
        _, _, up = enu_basis(lat, lon)
        return cls(
            geodetic_to_ecef_km(lat, lon, height),
            up,
            np.sin(np.radians([g.min_elevation_deg for g in gateways])),
        )

    def sees(self, positions_km: np.ndarray) -> np.ndarray:
        """Whether each satellite ``(n, 3)`` [km] sees at least one gateway, ``(n,)``."""
        return np.isfinite(self.nearest_km(positions_km))

    def nearest_km(self, positions_km: np.ndarray) -> np.ndarray:
        """Slant range [km] from each satellite ``(n, 3)`` [km, ITRS] to the nearest
        gateway that sees it at or above its minimum elevation; ``inf`` where none does.

        Elevation is geometric (no refraction) above the gateway's ellipsoid normal, as
        for the user cells. One pass per gateway: memory grows with ``n`` only.
        """
        positions_km = np.asarray(positions_km, dtype=np.float64).reshape(-1, 3)
        nearest = np.full(positions_km.shape[0], np.inf)
        for site, up, sin_min in zip(self.ecef_km, self.up, self.sin_min, strict=True):
            d = positions_km - site
            dist = np.sqrt(np.einsum("nk,nk->n", d, d))
            seen = d @ up >= sin_min * dist
            np.minimum(nearest, np.where(seen, dist, np.inf), out=nearest)
        return nearest

    def token_parts(self) -> tuple[np.ndarray, ...]:
        """The arrays that decide the rule (for run tokens: exact bytes, not a repr)."""
        return self.ecef_km, self.up, self.sin_min


def mask_by_gateways(
    step_sys_ptr: np.ndarray, positions_km: np.ndarray, tables: Sequence[GatewayTable | None]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop, per step and system, the satellites that see none of the system's gateways.

    ``step_sys_ptr`` / ``positions_km`` as in :class:`reach.Candidates`; ``tables[s]`` is
    ``None`` for a system without gateways. Returns the filtered pair and, per kept
    entry, its gateway slant range [km] (:meth:`GatewayTable.nearest_km`; ``-1`` for the
    entries of a system without gateways), the kernel's ``sat_gw_km``.
    """
    gateway_km = np.full(positions_km.shape[0], -1.0)
    keep = np.ones(positions_km.shape[0], dtype=bool)
    n_steps, n_cols = step_sys_ptr.shape
    system_of = np.zeros(positions_km.shape[0], dtype=np.int64)
    for s in range(n_cols - 1):
        for t in range(n_steps):
            system_of[step_sys_ptr[t, s] : step_sys_ptr[t, s + 1]] = s
    for s, table in enumerate(tables):
        if table is None:
            continue
        rows = np.flatnonzero(system_of == s)
        if rows.size:
            nearest = table.nearest_km(positions_km[rows])
            keep[rows] = np.isfinite(nearest)
            gateway_km[rows] = nearest
    # entries keep their order, so a pointer moves to the number of kept entries before it
    kept_before = np.concatenate([[0], np.cumsum(keep)]).astype(step_sys_ptr.dtype)
    return (
        kept_before[step_sys_ptr],
        np.ascontiguousarray(positions_km[keep]),
        np.ascontiguousarray(gateway_km[keep]),
    )


def no_gateways(positions_km: np.ndarray) -> np.ndarray:
    """The kernel's ``sat_gw_km`` when no system has gateways: ``-1`` for every entry."""
    return np.full(positions_km.shape[0], -1.0)


def gateway_tables(systems) -> tuple[GatewayTable | None, ...] | None:
    """Per system its :class:`GatewayTable` (``None`` without gateways); ``None`` when no
    system has gateways (the kernel input is then left untouched)."""
    tables = tuple(GatewayTable.of(s.gateways) if s.gateways else None for s in systems)
    return tables if any(t is not None for t in tables) else None
