"""Link tests of many candidate microwave hops in bounded memory (national grids).

``microwave_links.microwave_reach`` samples every candidate hop's DEM profile at once:
``(n_link, n_samples)`` arrays of latitude, longitude, distance and height plus the
temporaries of the great-circle interpolation, about 25 float64 per sample. All of
Pakistan at H3 res 7 has 10.9 million candidate hops within 30 km (66,452 candidate
cells), so that is some 70 GB. :func:`feasible_links` gives the same answer block by
block, holding one block's profiles at a time.
"""

from __future__ import annotations

import numpy as np

from ..planning.microwave import check_links, profile_points

BLOCK_LINKS = 50_000
"""Hops tested together: about 25 float64 per profile sample, so 32 samples per profile
hold about 320 MB per block."""


def feasible_links(
    lat_deg,
    lon_deg,
    site_a,
    site_b,
    dem,
    *,
    n_samples: int,
    mast_m: float,
    freq_ghz: float,
    block_links: int = BLOCK_LINKS,
) -> np.ndarray:
    """``check_links(...).feasible`` of the hops ``site_a[k] -> site_b[k]``, block by block.

    Parameters
    ----------
    lat_deg, lon_deg : array_like, ``(n_site,)``
        Site positions [degree].
    site_a, site_b : array_like of int, ``(n_link,)``
        End sites of each hop (indices into the positions).
    dem : object
        Anything with ``elevation_m(lat_deg, lon_deg)`` [m] (a ``hybridplan.grids.DEM``).
    n_samples : int
        DEM samples per profile, ends included.
    mast_m : float
        Antenna height above ground at both ends [m].
    freq_ghz : float
        Carrier frequency [GHz].
    block_links : int
        Hops per block (memory ~ ``block_links * n_samples * 200`` bytes).

    Returns
    -------
    numpy.ndarray of bool, ``(n_link,)``
        Whether each hop passes the dual-state clearance and the band's reach, exactly as
        ``check_links(dem.elevation_m(*profile_points(...)[:2]), ...)`` on all hops at once.
    """
    lat = np.asarray(lat_deg, np.float64)
    lon = np.asarray(lon_deg, np.float64)
    a = np.asarray(site_a, np.int64)
    b = np.asarray(site_b, np.int64)
    out = np.zeros(a.size, dtype=bool)
    step = max(1, int(block_links))
    for lo in range(0, a.size, step):
        ia, ib = a[lo : lo + step], b[lo : lo + step]
        p_lat, p_lon, dist = profile_points(lat[ia], lon[ia], lat[ib], lon[ib], n_samples)
        height = dem.elevation_m(p_lat, p_lon)
        del p_lat, p_lon
        out[lo : lo + step] = check_links(height, dist, mast_m, mast_m, freq_ghz).feasible
    return out
