"""Spherical geometry shared by the grid modules (private).

Conventions, fixed here once:

- angles in degrees at the public edge, radians inside; latitude before longitude in
  our own signatures (``lat_deg, lon_deg``), GeoJSON order (lon, lat) only where a
  GeoJSON coordinate array is read or written (:func:`lonlat_to_latlon` is that edge);
- the Earth is a sphere of radius :data:`EARTH_RADIUS_KM` (the IUGG mean radius
  R1 = 6371.0088 km) for distances and ray marching, and the authalic sphere
  :data:`AUTHALIC_RADIUS_KM` (6371.0072 km, equal area with WGS84) for areas; H3 uses
  6371.007180918475 km for its own areas, so our polygon areas and ``h3.cell_area``
  agree to about 1e-9 relative.
"""

from __future__ import annotations

import numpy as np

from .errors import CoordinateError, _message

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius R1 (IUGG) [km], used for distances and horizons."""

AUTHALIC_RADIUS_KM = 6371.0072
"""Radius of the sphere with the area of the WGS84 ellipsoid [km], used for areas."""


def validate_latlon(lat_deg, lon_deg, where: str = "lat/lon") -> tuple[np.ndarray, np.ndarray]:
    """Check latitudes and longitudes and return them as float arrays.

    h3 accepts latitude 95 silently; we do not.

    Parameters
    ----------
    lat_deg, lon_deg : array_like
        Latitude in [-90, 90] and longitude in [-180, 180]. [degree]
    where : str
        Name of the input used in the error message.

    Returns
    -------
    lat, lon : numpy.ndarray
        Broadcast float64 arrays. [degree]

    Raises
    ------
    CoordinateError
        For non-finite values or values out of range.
    """
    lat = np.asarray(lat_deg, dtype=float)
    lon = np.asarray(lon_deg, dtype=float)
    try:
        lat, lon = np.broadcast_arrays(lat, lon)
    except ValueError:
        raise CoordinateError(
            _message(
                where,
                "latitude and longitude arrays of the same shape",
                f"shapes {lat.shape} and {lon.shape}",
                "pass one latitude per longitude",
            )
        ) from None
    for name, values, limit in (("latitude", lat, 90.0), ("longitude", lon, 180.0)):
        bad = ~np.isfinite(values) | (np.abs(values) > limit)
        if bad.any():
            index = int(np.flatnonzero(bad.ravel())[0])
            raise CoordinateError(
                _message(
                    f"{where} {name}[{index}]",
                    f"a finite {name} in [-{limit:g}, {limit:g}] degrees",
                    f"{float(values.ravel()[index])!r}",
                    "check the value and the (lat, lon) order: GeoJSON stores (lon, lat)",
                )
            )
    return lat, lon


def lonlat_to_latlon(coordinates) -> tuple[np.ndarray, np.ndarray]:
    """Split a GeoJSON coordinate array ``[[lon, lat], ...]`` into ``(lat, lon)`` [degree]."""
    xy = np.asarray(coordinates, dtype=float).reshape(-1, 2)
    return xy[:, 1].copy(), xy[:, 0].copy()


def unit_vectors(lat_deg, lon_deg) -> np.ndarray:
    """Unit vectors on the sphere, shape ``(..., 3)``, from latitude/longitude [degree]."""
    lat = np.radians(lat_deg)
    lon = np.radians(lon_deg)
    cos_lat = np.cos(lat)
    return np.stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)], axis=-1)


def chord_to_km(chord) -> np.ndarray:
    """Great-circle distance [km] from the chord length between unit vectors."""
    half = np.clip(np.asarray(chord, dtype=float) / 2.0, 0.0, 1.0)
    return 2.0 * np.arcsin(half) * EARTH_RADIUS_KM


def great_circle_km(lat1_deg, lon1_deg, lat2_deg, lon2_deg) -> np.ndarray:
    """Great-circle distance [km] on the mean sphere (haversine), broadcasting."""
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1_deg, lon1_deg, lat2_deg, lon2_deg))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def densify_lonlat(coordinates, max_step_km: float) -> np.ndarray:
    """Points along a polyline's great-circle segments, no more than ``max_step_km`` apart.

    Parameters
    ----------
    coordinates : array_like, shape (n, 2)
        GeoJSON (lon, lat) vertices. [degree]
    max_step_km : float
        Largest spacing between consecutive output points. [km]

    Returns
    -------
    numpy.ndarray, shape (m, 2)
        (lat, lon) points [degree], including every vertex.
    """
    lat, lon = lonlat_to_latlon(coordinates)
    if lat.size < 2:
        return np.stack([lat, lon], axis=-1)
    xyz = unit_vectors(lat, lon)
    a, b = xyz[:-1], xyz[1:]
    angle = np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.einsum("ij,ij->i", a, b))
    n_steps = np.maximum(1, np.ceil(angle * EARTH_RADIUS_KM / max_step_km)).astype(int)
    seg = np.repeat(np.arange(a.shape[0]), n_steps)
    start = np.repeat(np.cumsum(n_steps) - n_steps, n_steps)
    frac = (np.arange(seg.size) - start) / n_steps[seg]
    # spherical linear interpolation; a zero-length segment falls back to its start
    om = angle[seg]
    safe = om > 1e-15
    wa = np.where(safe, np.sin((1 - frac) * om) / np.where(safe, np.sin(om), 1.0), 1.0 - frac)
    wb = np.where(safe, np.sin(frac * om) / np.where(safe, np.sin(om), 1.0), frac)
    pts = wa[:, None] * a[seg] + wb[:, None] * b[seg]
    pts = np.vstack([pts, xyz[-1:]])
    pts /= np.linalg.norm(pts, axis=-1, keepdims=True)
    return np.stack(
        [
            np.degrees(np.arcsin(np.clip(pts[:, 2], -1, 1))),
            np.degrees(np.arctan2(pts[:, 1], pts[:, 0])),
        ],
        axis=-1,
    )


def _ring_area_sr(lon_deg: np.ndarray, lat_deg: np.ndarray) -> float:
    """Signed solid angle [sr] enclosed by a closed ring with great-circle edges.

    Sum of the signed spherical excesses of the triangles (pole, p_i, p_i+1):
    tan(E/2) = tan(dlon/2) (tan(phi1/2) + tan(phi2/2)) / (1 + tan(phi1/2) tan(phi2/2)),
    with phi the latitude (the formula of the spherical trapezoid; e.g. Chamberlain &
    Duquette 2007, JPL Publ. 07-03, exact for great-circle edges).  Counter-clockwise
    rings (GeoJSON exterior rings) give positive values.
    """
    lam = np.radians(lon_deg)
    t = np.tan(np.radians(lat_deg) / 2.0)
    dlam = np.diff(lam)
    dlam = (dlam + np.pi) % (2 * np.pi) - np.pi
    t1, t2 = t[:-1], t[1:]
    excess = 2.0 * np.arctan2(np.tan(dlam / 2.0) * (t1 + t2), 1.0 + t1 * t2)
    return float(excess.sum())


def geodesic_area_km2(geometry) -> float:
    """Area of a lon/lat (Multi)Polygon on the authalic sphere [km2].

    Edges are taken as great-circle arcs (negligible difference from rhumb lines for
    boundary vertices ~100 m apart).  Holes are subtracted.

    Parameters
    ----------
    geometry : shapely Polygon or MultiPolygon
        In GeoJSON order (lon, lat). [degree]
    """
    from shapely import get_parts

    total = 0.0
    for polygon in get_parts(geometry):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        rings = [polygon.exterior, *polygon.interiors]
        for i, ring in enumerate(rings):
            xy = np.asarray(ring.coords)
            area = abs(_ring_area_sr(xy[:, 0], xy[:, 1]))
            total += area if i == 0 else -area
    return total * AUTHALIC_RADIUS_KM**2
