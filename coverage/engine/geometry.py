"""Ground-station geometry: WGS84 cell positions, local frames, footprints, the GSO arc.

Units: kilometres for lengths, radians inside, degrees at the edges (names say which).
Every function takes scalars or arrays (NumPy broadcasting) unless its docstring gives
a shape.

References
----------
- WGS84 geodetic -> ECEF: NIMA TR8350.2 (2000), eqs. 4-14 and 4-15.
- Earth central angle of a footprint: Wertz & Larson, *Space Mission Analysis and
  Design*, 3rd ed. (1999), eqs. 5-15 to 5-18 (``lambda = 90 deg - el - eta``).
- GSO arc avoidance angle (a non-GSO user link may not point within X deg of the
  geostationary arc as seen from the earth station): the condition of the FCC
  authorisations of SpaceX (FCC 21-48: 18 deg) and the "alpha angle" of ITU-R S.1503.
"""

from __future__ import annotations

import numpy as np

WGS84_A_KM = 6378.137
"""WGS84 equatorial radius [km]."""
WGS84_F = 1.0 / 298.257223563
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
WGS84_B_KM = WGS84_A_KM * (1.0 - WGS84_F)
"""WGS84 polar radius [km]."""
GSO_RADIUS_KM = 42164.17
"""Geostationary orbit radius [km] (mu = 398600.4418 km3/s2, one sidereal day)."""
EARTH_ROTATION_RAD_S = 7.2921150e-5
"""Earth's rotation rate [rad/s] (IERS)."""
SPEED_OF_LIGHT_KM_S = 299792.458
MAX_GEODETIC_VERTICAL_DEFLECTION_RAD = 0.00336
"""Bound on the angle between the geodetic vertical and the geocentric radius of any
point on WGS84 (the maximum is 0.1924 deg at 45 deg latitude; 0.00336 rad = 0.1925 deg)."""


def geodetic_to_ecef_km(lat_deg, lon_deg, height_km=0.0) -> np.ndarray:
    """ECEF (ITRS) position of geodetic coordinates on WGS84 [km], shape ``(..., 3)``.

    Parameters
    ----------
    lat_deg, lon_deg : float or array
        Geodetic latitude and longitude [degree].
    height_km : float or array
        Height above the ellipsoid [km].
    """
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    h = np.asarray(height_km, dtype=np.float64)
    sin_lat, cos_lat = np.sin(lat), np.cos(lat)
    n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sin_lat**2)
    x = (n + h) * cos_lat * np.cos(lon)
    y = (n + h) * cos_lat * np.sin(lon)
    z = (n * (1.0 - WGS84_E2) + h) * sin_lat
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def enu_basis(lat_deg, lon_deg) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local east, north and up unit vectors in ECEF, each shape ``(..., 3)``.

    ``up`` is the geodetic normal (the direction elevation angles are measured from).
    """
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    zero = np.zeros_like(sl * so)
    east = np.stack(np.broadcast_arrays(-so, co, zero), axis=-1)
    north = np.stack(np.broadcast_arrays(-sl * co, -sl * so, cl), axis=-1)
    up = np.stack(np.broadcast_arrays(cl * co, cl * so, sl), axis=-1)
    return east, north, up


def look_angles_deg(
    observer_ecef_km, east, north, up, target_ecef_km
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Elevation [deg], azimuth [deg, clockwise from north, 0..360) and range [km].

    All vector arguments broadcast against each other with the last axis of length 3.
    """
    d = np.asarray(target_ecef_km, dtype=np.float64) - np.asarray(observer_ecef_km)
    rng = np.sqrt(np.sum(d * d, axis=-1))
    de, dn, du = (np.sum(d * np.asarray(b), axis=-1) for b in (east, north, up))
    elevation = np.degrees(np.arcsin(np.clip(du / rng, -1.0, 1.0)))
    azimuth = np.degrees(np.arctan2(de, dn)) % 360.0
    return elevation, azimuth, rng


def footprint_central_angle_rad(
    satellite_radius_km, min_elevation_deg, ground_radius_km=WGS84_A_KM
) -> np.ndarray:
    """Earth central angle ``lambda`` of a satellite's footprint [rad].

    ``lambda = arccos(R cos(el) / r) - el`` for a spherical Earth of radius ``R``
    (the observer's geocentric distance), a satellite at geocentric distance ``r`` and a
    minimum elevation ``el`` (Wertz & Larson 1999, eqs. 5-15 to 5-18). Zero where the
    satellite cannot be seen at that elevation at all.
    """
    el = np.radians(np.asarray(min_elevation_deg, dtype=np.float64))
    ratio = (
        np.asarray(ground_radius_km, dtype=np.float64)
        * np.cos(el)
        / np.asarray(satellite_radius_km, dtype=np.float64)
    )
    return np.maximum(np.arccos(np.clip(ratio, -1.0, 1.0)) - el, 0.0)


def gso_arc_separation_deg(observer_ecef_km, direction, n_samples: int = 7200) -> np.ndarray:
    """Smallest angle between ``direction`` and the geostationary ring seen from the observer.

    A brute-force reference (the engine uses the Newton iteration of
    :mod:`hybridplan.coverage.kernel`): the ring of radius :data:`GSO_RADIUS_KM` in the
    equatorial plane is sampled every ``360 / n_samples`` deg of longitude, the closest
    sample is refined by golden-section search on its two neighbouring intervals.

    Parameters
    ----------
    observer_ecef_km : array, shape (3,)
        The observer's ECEF position [km].
    direction : array, shape (..., 3)
        Directions (any length) from the observer, ECEF.

    Returns
    -------
    numpy.ndarray
        The angle [deg], shape ``(...)``. The whole ring counts, also where it is below
        the observer's horizon (see the module notes of :mod:`hybridplan.coverage.kernel`).
    """
    p = np.asarray(observer_ecef_km, dtype=np.float64)
    v = np.asarray(direction, dtype=np.float64)
    shape = v.shape[:-1]
    v = v.reshape(-1, 3)
    v = v / np.linalg.norm(v, axis=1, keepdims=True)

    phis = np.linspace(0.0, 2 * np.pi, n_samples, endpoint=False)
    ring = GSO_RADIUS_KM * np.stack([np.cos(phis), np.sin(phis), np.zeros_like(phis)], axis=-1)
    arc = ring - p
    arc /= np.linalg.norm(arc, axis=1, keepdims=True)
    best = np.argmax(v @ arc.T, axis=1)
    step = 2 * np.pi / n_samples
    lo, hi = phis[best] - step, phis[best] + step
    golden = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = lo.copy(), hi.copy()
    for _ in range(80):
        c = b - golden * (b - a)
        d = a + golden * (b - a)
        fc = np.einsum("ij,ij->i", _ring_dirs(c, p), v)
        fd = np.einsum("ij,ij->i", _ring_dirs(d, p), v)
        left = fc > fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
    phi = 0.5 * (a + b)
    cos_best = np.maximum(
        np.einsum("ij,ij->i", _ring_dirs(phi, p), v), np.einsum("ij,ij->i", arc[best], v)
    )
    return np.degrees(np.arccos(np.clip(cos_best, -1.0, 1.0))).reshape(shape)


def _ring_dirs(phi: np.ndarray, p: np.ndarray) -> np.ndarray:
    g = GSO_RADIUS_KM * np.stack([np.cos(phi), np.sin(phi), np.zeros_like(phi)], axis=-1)
    u = g - p
    return u / np.linalg.norm(u, axis=-1, keepdims=True)
