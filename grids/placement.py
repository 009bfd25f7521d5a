"""Is the fibre network where the region is?  Warnings for plausible but wrong networks.

A network file can be valid and still wrong for the region: a CSV written with the
latitude and longitude columns exchanged puts Gilgit (35.9 N, 74.3 E) at 74.3 N,
35.9 E, north of Russia; a longitude without its minus sign moves a route to the other
hemisphere; a national file used for one district has many routes that serve no cell.
Nothing fails, but every fibre distance is then thousands of km.  These checks count
such points and name the likely cause in a :class:`~.errors.NetworkPlacementWarning`
(a :class:`UserWarning`; make it fatal with ``warnings.simplefilter("error",
GridWarning)``).

Distances are great-circle distances on the mean sphere [km], from network points
(routes densified to :data:`STEP_KM`, and PoPs) to the region: 0 inside its outline,
else to the nearest point of its boundary (densified to ~0.05 degree) or, for a grid,
to the nearest cell centre.
"""

from __future__ import annotations

import warnings

import numpy as np
import shapely
from scipy.spatial import cKDTree

from ._geo import chord_to_km, densify_lonlat, unit_vectors
from .errors import NetworkPlacementWarning, _message

__all__ = ["check_network_region", "check_network_cells", "FAR_KM", "OUTSIDE_KM"]

FAR_KM = 300.0
"""A network whose nearest point is farther than this from the region is flagged. [km]"""

OUTSIDE_KM = 25.0
"""A route or PoP with no point within this distance of the region is 'outside'. [km]"""

STEP_KM = 5.0
"""Spacing of the points sampled along routes. [km]"""

_CAUSES = (
    ("latitude and longitude swapped", lambda lat, lon: (lon, lat)),
    ("longitude sign lost (east/west)", lambda lat, lon: (lat, -lon)),
    ("latitude sign lost (north/south)", lambda lat, lon: (-lat, lon)),
)


def _points(network) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lat, lon, element) of every route (densified) and PoP; element indexes
    ``network.routes + network.pops``. [degree]"""
    lat, lon, owner = [], [], []
    for k, route in enumerate(network.routes):
        xy = densify_lonlat(np.stack([route.lon_deg, route.lat_deg], axis=-1), STEP_KM)
        lat.append(xy[:, 0])
        lon.append(xy[:, 1])
        owner.append(np.full(xy.shape[0], k))
    n_routes = len(network.routes)
    for k, pop in enumerate(network.pops):
        lat.append(np.array([pop.lat_deg]))
        lon.append(np.array([pop.lon_deg]))
        owner.append(np.array([n_routes + k]))
    if not lat:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=int)
    return np.concatenate(lat), np.concatenate(lon), np.concatenate(owner)


class _Target:
    """Distance [km] from points to a region outline (0 inside) or to cell centres."""

    def __init__(self, lat, lon, geometry=None, slack_km: float = 0.0):
        self.tree = cKDTree(unit_vectors(lat, lon))
        self.geometry = geometry
        self.slack_km = slack_km

    def distance_km(self, lat, lon) -> np.ndarray:
        ok = (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
        out = np.full(lat.shape, np.inf)
        if not ok.any():
            return out
        chord, _ = self.tree.query(unit_vectors(lat[ok], lon[ok]))
        km = np.maximum(chord_to_km(chord) - self.slack_km, 0.0)
        if self.geometry is not None:
            km[shapely.contains_xy(self.geometry, lon[ok], lat[ok])] = 0.0
        out[ok] = km
        return out


def _region_target(region) -> _Target:
    boundary = shapely.segmentize(region.geometry.boundary, 0.05)
    xy = shapely.get_coordinates(boundary)
    return _Target(xy[:, 1], xy[:, 0], geometry=region.geometry)


def _diagnose(target: _Target, lat, lon, far_km: float) -> str:
    for cause, transform in _CAUSES:
        t_lat, t_lon = transform(lat, lon)
        nearest = float(target.distance_km(t_lat, t_lon).min())
        if nearest <= far_km:
            return (
                f"likely {cause}: corrected, the nearest point would be {nearest:,.0f} km "
                "from the region (GeoJSON and KML store lon,lat; the CSV columns are lat,lon)"
            )
    return "the network file is probably for another area, or the region is not the intended one"


def _check(network, target: _Target, region_name: str, far_km: float, outside_km, stacklevel):
    lat, lon, owner = _points(network)
    if lat.size == 0:
        return
    distance = target.distance_km(lat, lon)
    nearest = float(distance.min())
    if nearest > far_km:
        message = _message(
            f"network {network.source}",
            f"routes or points of presence within {far_km:,.0f} km of the region {region_name}",
            f"all {lat.size:,} points outside it, the nearest {nearest:,.0f} km away",
            _diagnose(target, lat, lon, far_km),
        )
        warnings.warn(message, NetworkPlacementWarning, stacklevel=stacklevel + 1)
        return
    if outside_km is None:
        return
    n_elements = len(network.routes) + len(network.pops)
    closest = np.full(n_elements, np.inf)
    np.minimum.at(closest, owner, distance)
    outside = np.flatnonzero(closest > outside_km)
    if outside.size:
        elements = network.routes + network.pops
        names = ", ".join(repr(elements[k].name) for k in outside[:3])
        n_routes = int(np.sum(outside < len(network.routes)))
        message = _message(
            f"network {network.source}",
            f"routes and points of presence within {outside_km:,.0f} km of the region "
            f"{region_name}",
            f"{n_routes} of {len(network.routes)} routes and {outside.size - n_routes} of "
            f"{len(network.pops)} PoPs wholly outside it ({names}"
            f"{', ...' if outside.size > 3 else ''}), "
            f"{int(np.sum(distance > outside_km)):,} of {lat.size:,} points",
            "they serve no cell: fine if the file covers a larger area; otherwise check "
            "their coordinates (lat/lon order, signs)",
        )
        warnings.warn(message, NetworkPlacementWarning, stacklevel=stacklevel + 1)


def check_network_region(
    network,
    region,
    *,
    far_km: float = FAR_KM,
    outside_km: float | None = OUTSIDE_KM,
    stacklevel: int = 2,
) -> None:
    """Warn when a network is far from a region or has routes/PoPs wholly outside it.

    Parameters
    ----------
    network : Network
    region : Region
    far_km : float
        The whole network is flagged when its nearest point is farther than this; the
        message tests the usual mistakes (lat/lon swapped, a lost sign) and names the
        one that brings the network within ``far_km``. [km]
    outside_km : float or None
        Routes and PoPs with no point within this distance are counted and named
        (``None``: skip this check). [km]

    Warns
    -----
    NetworkPlacementWarning
    """
    _check(network, _region_target(region), repr(region.name), far_km, outside_km, stacklevel)


def check_network_cells(
    network,
    lat_deg,
    lon_deg,
    *,
    region_name: str = "of the grid",
    far_km: float = FAR_KM,
    slack_km: float = 0.0,
    stacklevel: int = 2,
) -> None:
    """Warn when a network's nearest point is more than ``far_km`` from every cell.

    Parameters
    ----------
    network : Network
    lat_deg, lon_deg : array_like
        Cell centres of the grid. [degree]
    far_km : float
        Threshold on the nearest network point's distance to the grid. [km]
    region_name : str
        How the message names the grid's region.
    slack_km : float
        Subtracted from centre distances (e.g. the cell radius). [km]

    Warns
    -----
    NetworkPlacementWarning
    """
    lat = np.asarray(lat_deg, dtype=float).ravel()
    lon = np.asarray(lon_deg, dtype=float).ravel()
    if lat.size == 0:
        return
    target = _Target(lat, lon, slack_km=slack_km)
    _check(network, target, region_name, far_km, None, stacklevel)
