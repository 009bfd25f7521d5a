"""The bent-pipe gateway rule: a satellite serves users only while it sees a gateway.

A bent-pipe satellite relays the user's signal straight down to a gateway, so a user is
served only when one satellite sees both the user (the usual visibility rule) and some
gateway of its system above that gateway's minimum elevation. The rule is applied as a
per-satellite, per-step mask before the kernel: a satellite that sees no gateway of its
system at a step is removed from that step. Visibility of a cell then counts exactly the
satellites that see the cell *and* a gateway, so every figure of merit (coverage, N-asset
coverage, gaps, revisit ...) follows the rule with no approximation. Systems without
gateways are not masked (the first release's assumption: a gateway is always in view).

Latency still uses the ``latency_model`` of the Dataset (gateway at the user's slant
range): the serving satellite's own gateway slant range is not carried by the kernel.
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
        d = positions_km[:, None, :] - self.ecef_km[None, :, :]
        dist = np.linalg.norm(d, axis=-1)
        sin_el = np.einsum("ngk,gk->ng", d, self.up) / dist
        return (sin_el >= self.sin_min[None, :]).any(axis=1)


def mask_by_gateways(
    step_sys_ptr: np.ndarray, positions_km: np.ndarray, tables: Sequence[GatewayTable | None]
) -> tuple[np.ndarray, np.ndarray]:
    """Drop, per step and system, the satellites that see none of the system's gateways.

    ``step_sys_ptr`` / ``positions_km`` as in :class:`reach.Candidates`; ``tables[s]`` is
    ``None`` for a system without gateways. Returns the filtered pair.
    """
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
            keep[rows] = table.sees(positions_km[rows])
    # entries keep their order, so a pointer moves to the number of kept entries before it
    kept_before = np.concatenate([[0], np.cumsum(keep)]).astype(step_sys_ptr.dtype)
    return kept_before[step_sys_ptr], np.ascontiguousarray(positions_km[keep])


def gateway_tables(systems) -> tuple[GatewayTable | None, ...] | None:
    """Per system its :class:`GatewayTable` (``None`` without gateways); ``None`` when no
    system has gateways (the kernel input is then left untouched)."""
    tables = tuple(GatewayTable.of(s.gateways) if s.gateways else None for s in systems)
    return tables if any(t is not None for t in tables) else None
