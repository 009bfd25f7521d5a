"""Microwave relay chains from the existing network to each settled cell, on the DEM.

Candidate sites are the settled cells (people, or a settlement point) beyond
``served_distance_km`` of fibre (mast
``mast_m`` at the cell centre), the cells the network enters (the chains start there) and
one ridge relay per coarse area (the highest cell of each H3 res-5 parent). Every pair
closer than ``max_hop_km`` is tested on its DEM profile (``planning.microwave``:
dual-state ITU-R P.530 clearance, Earth bulge, first Fresnel zone, at ``freq_ghz``); the
cheapest chain of feasible hops back to the network is priced per cell (pytal's hop
tiers, relay site cost, 10 %/yr O&M). The ground gets ``microwave_capex_usd``,
``microwave_opex_usd_per_year``, ``microwave_hops`` and ``microwave_next_cell`` (the
chain's next cell: the chains form one tree, so the planner builds the hops that
several sites' chains share once, ``planning.microwave.shared_chains``) per cell; the
planner prices a site at its cheapest cell.

The hops are tested in one compiled pass over the DEM's grid (:func:`feasible_links`:
all of Pakistan at res 7 has some 11 million candidate hops, whose profiles at once
would take ~70 GB), or block by block for any other terrain model.

With the bundled 5' (9 km) DEM the answer is indicative: valley walls are smoothed, so
some links that pass here are blocked in reality, and the reverse. Bring SRTM tiles for a
link-level answer.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..planning.microwave import (
    MicrowaveCosts,
    candidate_links,
    check_links,
    feasible_on_grid,
    profile_points,
    relay_chains,
)
from ..planning.network_plan import capacity_areas

MAX_HOP_KM = 30.0
"""Longest hop tried [km]: ITU CPP's limit (cpp-user-guide docs/models.md)."""
FREQ_GHZ = 7.0
"""Band of the long hops [GHz] (6-8 GHz: the long-haul rural band)."""
MAST_M = 30.0
"""Antenna height above ground at every site [m] ([ASSUMPTION], towers are 30-100 m)."""
N_SAMPLES = 32
"""DEM samples per profile (more than the 9 km grid resolves on a 30 km hop)."""

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
    grid = _regular_grid(dem)
    if grid is not None:  # a hybridplan.grids.DEM: one compiled pass, no profile arrays
        return feasible_on_grid(
            lat, lon, a, b, *grid, n_samples=n_samples, mast_m=mast_m, freq_ghz=freq_ghz
        )
    out = np.zeros(a.size, dtype=bool)
    step = max(1, int(block_links))
    for lo in range(0, a.size, step):
        ia, ib = a[lo : lo + step], b[lo : lo + step]
        p_lat, p_lon, dist = profile_points(lat[ia], lon[ia], lat[ib], lon[ib], n_samples)
        height = dem.elevation_m(p_lat, p_lon)
        del p_lat, p_lon
        out[lo : lo + step] = check_links(height, dist, mast_m, mast_m, freq_ghz).feasible
    return out


def _regular_grid(dem):
    """``(heights, lat0, dlat, lon0, dlon)`` of a DEM on a regular latitude/longitude grid
    sampled bilinearly (``hybridplan.grids.DEM``), else ``None`` (any other object with
    ``elevation_m`` is sampled through that method, block by block)."""
    from hybridplan.grids import DEM

    if type(dem) is not DEM:  # a subclass may sample differently
        return None
    return dem.elevation, dem.lat0_deg, dem.dlat_deg, dem.lon0_deg, dem.dlon_deg


def microwave_reach(
    ground: xr.Dataset,
    dem,
    *,
    served_distance_km: float = 1.0,
    max_hop_km: float = MAX_HOP_KM,
    freq_ghz: float = FREQ_GHZ,
    mast_m: float = MAST_M,
    n_samples: int = N_SAMPLES,
    costs: MicrowaveCosts | None = None,
    before_profiles=None,
) -> xr.Dataset:
    """The ground with the cheapest microwave chain per cell (module docstring).

    ``dem`` is anything with ``elevation_m(lat_deg, lon_deg)`` (a ``hybridplan.grids.DEM``).
    ``before_profiles``: called (no arguments) once, after the candidate hops are found
    and before their profiles are tested (the compiled parallel pass), e.g. to wait for
    the horizons computed on another thread meanwhile.
    """
    costs = costs or MicrowaveCosts()
    before_profiles = before_profiles or (lambda: None)
    n_cell = ground.sizes["cell"]
    cells = ground["cell"].values.astype(str)
    lat, lon = ground["lat"].values, ground["lon"].values
    on_network = ground["on_network"].values.astype(bool)
    places = np.zeros(n_cell, dtype=bool)
    if "settlement_cell" in ground:  # a place is where someone lives, whatever the model
        places = np.isin(cells, ground["settlement_cell"].values.astype(str))
    settled = ((ground["population"].values > 0) | places) & (
        ground["fiber_distance_km"].values > served_distance_km
    )
    elevation = ground["elevation_m"].values
    parent = capacity_areas(cells, 5)  # one ridge relay per res-5 area
    order = np.lexsort((-np.nan_to_num(elevation, nan=-1e9), parent))
    first = np.ones(order.size, dtype=bool)
    first[1:] = parent[order][1:] != parent[order][:-1]
    relay = np.zeros(n_cell, dtype=bool)
    relay[order[first]] = True
    candidate = np.flatnonzero(settled | on_network | relay)
    capex = np.full(n_cell, np.inf)
    hops = np.full(n_cell, -1, dtype=np.int32)
    next_cell = np.full(n_cell, -1, dtype=np.int64)
    if candidate.size and on_network[candidate].any() and settled.any():
        a, b, km = candidate_links(lat[candidate], lon[candidate], max_hop_km)
        before_profiles()
        feasible = feasible_links(
            lat[candidate],
            lon[candidate],
            a,
            b,
            dem,
            n_samples=n_samples,
            mast_m=mast_m,
            freq_ghz=freq_ghz,
        )
        relay_only = relay[candidate] & ~settled[candidate] & ~on_network[candidate]
        a, b, km = a[feasible], b[feasible], km[feasible]  # the candidates' memory freed
        chains = relay_chains(
            candidate.size,
            a,
            b,
            km,
            np.ones(a.size, dtype=bool),
            on_network[candidate],
            relay_only,
            costs=costs,
        )
        del a, b, km
        capex[candidate] = chains.capex_usd
        hops[candidate] = chains.hops
        next_cell[candidate] = np.where(chains.next_hop >= 0, candidate[chains.next_hop], -1)
    else:
        before_profiles()  # no candidate hops: called all the same
    capex[on_network] = 0.0
    hops[on_network] = 0
    return ground.assign(
        microwave_capex_usd=(
            "cell",
            capex,
            {
                "units": "USD",
                "long_name": "investment of the cheapest microwave relay chain "
                "from the network to the cell (inf: none)",
                "max_hop_km": max_hop_km,
                "freq_ghz": freq_ghz,
                "mast_m": mast_m,
            },
        ),
        microwave_opex_usd_per_year=(
            "cell",
            capex * costs.opex_fraction_per_year,
            {"units": "USD/year", "long_name": "running costs of that chain"},
        ),
        microwave_hops=(
            "cell",
            hops,
            {"units": "1", "long_name": "hops of the cheapest microwave chain (-1: none)"},
        ),
        microwave_next_cell=(
            "cell",
            next_cell,
            {
                "units": "1",
                "long_name": "next cell (index, from 0) of the cheapest microwave chain "
                "towards the network (-1: at the network, or no chain)",
            },
        ),
    )
