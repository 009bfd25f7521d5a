"""The sphere the planner measures distances on: mean Earth radius 6371.0 km (H3 and the
grids' helpers are spherical too; the engine uses WGS84 where it matters)."""

from __future__ import annotations

import math

import numpy as np

EARTH_RADIUS_KM = 6371.0
"""Mean Earth radius [km]."""


def unit_vectors(lat_deg, lon_deg) -> np.ndarray:
    """Unit vectors of points, shape ``(..., 3)`` for inputs of shape ``(...)`` [degree]."""
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)


def chord_of_km(distance_km: float) -> float:
    """Chord length on the unit sphere of a great-circle distance [km]."""
    return 2.0 * math.sin(min(distance_km / EARTH_RADIUS_KM, math.pi) / 2.0)
