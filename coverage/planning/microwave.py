"""Microwave point-to-point backhaul: line of sight on DEM profiles, and relay chains.

Link test (ITU-R P.530 practice as encoded by ``unicef/giga-spatial`` ``LOSAnalyzer``;
``research/backhaul-anchors.md`` §2.2). Along a profile of terrain heights ``h(d)`` [m]
between antennas at ``h_A = h(0) + mast_A`` and ``h_B = h(D) + mast_B``:

- line of sight ``los(d) = h_A + (h_B - h_A) d / D``;
- Earth bulge ``b(d) = d1 d2 / (2 k R_e)`` with ``d1 = d``, ``d2 = D - d`` (k effective
  Earth-radius factor, ``R_e`` = 6371 km);
- first Fresnel radius ``F1(d) = 17.32 sqrt(d1 d2 / (f D))`` [m] (d in km, f in GHz);
- clearance ``los(d) - h(d) - b(d)``; the margin of a state is
  ``min_d (clearance - fraction * F1)`` over the interior samples.

Two states, both must hold: full F1 at the median ``k = 4/3``; 0.6 F1 at the worst-case
``k_e`` = 0.8 / 0.7 / 0.6 for paths <= 15 / <= 50 / > 50 km. A score for marginal links:
knife-edge loss ``J(nu)`` of ITU-R P.526-15 eq. (31) at the worst obstacle (median k).

Relay chains: shortest paths over the feasible links from the existing network, with
hop costs in length tiers (pytal) and a relay site cost for pure relay sites.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from ..errors import CoverageError
from .network import capped_shares
from .network_fast import pairwise_sum as _pairwise_sum
from .sphere import EARTH_RADIUS_KM, chord_of_km, unit_vectors

#: Mean Earth radius [km] (IUGG).
#: Median effective Earth-radius factor (ITU-R P.530 / P.453 standard atmosphere).
K_MEDIAN = 4.0 / 3.0
#: Worst-case k_e by path length: (upper length [km], k_e); giga-spatial
#: ``los_analyzer.py`` citing ITU-R P.530-18 §2.2.
K_WORST_BY_LENGTH = ((15.0, 0.8), (50.0, 0.7), (math.inf, 0.6))
K_WORST_SOURCE = "unicef/giga-spatial v0.9.8 los_analyzer.py (ITU-R P.530-18 §2.2)"
#: Fresnel clearance fractions: 1.0 F1 at median k, 0.6 F1 at worst-case k.
CLEARANCE_MEDIAN_F1, CLEARANCE_WORST_F1 = 1.0, 0.6

#: Band-dependent reach: (highest frequency of the band [GHz], reach [km]).
BAND_REACH_KM = ((8.0, 50.0), (13.0, 30.0), (math.inf, 15.0))
BAND_REACH_SOURCE = (
    "[ASSUMPTION] bracketed by ITU CPP 30 km (cpp-user-guide docs/models.md), "
    "ITU toolkit 35 km, Giga 50-65 km; research/backhaul-anchors.md §5.3"
)

#: Hop cost tiers: (upper length [km], CAPEX [USD]) for one link with both radios.
HOP_COST_TIERS_USD = ((15.0, 30_000.0), (30.0, 40_000.0), (math.inf, 80_000.0))
HOP_COST_SOURCE = "edwardoughton/pytal scripts/run.py l.295-297, src/pytal/costs.py"
#: A new relay site (tower, power, shelter) [USD].
RELAY_SITE_USD = 100_000.0
RELAY_SITE_SOURCE = (
    "[ASSUMPTION] inside the USD 50-200k band of research/backhaul-anchors.md "
    "§5.3 (rural base-station site ~200k, radiocomponents.com, weak)"
)
#: Capacity of one hop [Mbit/s].
HOP_CAPACITY_MBPS = 400.0
HOP_CAPACITY_SOURCE = "ITU CPP cap per P2P link (cpp-user-guide docs/models.md §Demand)"
#: Maintenance per year as a share of CAPEX [1/year].
OPEX_FRACTION_PER_YEAR = 0.10
OPEX_SOURCE = "ITU CPP P2P maintenance 10 %/yr (cpp-user-guide docs/models.md)"


class MicrowaveError(CoverageError):
    """Link or profile inputs that are inconsistent (shapes, units, ranges)."""


# --------------------------------------------------------------------------- geometry


def earth_bulge_m(d1_km, d2_km, k=K_MEDIAN):
    """Earth bulge ``d1 d2 / (2 k R_e)`` [m] at a point ``d1``/``d2`` [km] from the ends."""
    return (
        np.asarray(d1_km, np.float64)
        * np.asarray(d2_km, np.float64)
        / (2.0 * np.asarray(k, np.float64) * EARTH_RADIUS_KM)
        * 1000.0
    )


def fresnel_radius_m(d1_km, d2_km, freq_ghz):
    """First Fresnel zone radius ``17.32 sqrt(d1 d2 / (f D))`` [m]; d [km], f [GHz]."""
    d1 = np.asarray(d1_km, np.float64)
    d2 = np.asarray(d2_km, np.float64)
    return 17.32 * np.sqrt(d1 * d2 / (np.asarray(freq_ghz, np.float64) * (d1 + d2)))


def worst_case_k(path_km):
    """Worst-case effective Earth-radius factor k_e for a path length [km]."""
    path = np.asarray(path_km, np.float64)
    out = np.full(path.shape, K_WORST_BY_LENGTH[-1][1])
    for upper, k in reversed(K_WORST_BY_LENGTH[:-1]):
        out = np.where(path <= upper, k, out)
    return out


def band_reach_km(freq_ghz):
    """Longest hop for a band [km] (:data:`BAND_REACH_KM`)."""
    f = np.asarray(freq_ghz, np.float64)
    out = np.full(f.shape, BAND_REACH_KM[-1][1])
    for upper, reach in reversed(BAND_REACH_KM[:-1]):
        out = np.where(f <= upper, reach, out)
    return out


def hop_cost_usd(length_km):
    """CAPEX of one hop by length tier [USD] (:data:`HOP_COST_TIERS_USD`)."""
    length = np.asarray(length_km, np.float64)
    out = np.full(length.shape, HOP_COST_TIERS_USD[-1][1])
    for upper, cost in reversed(HOP_COST_TIERS_USD[:-1]):
        out = np.where(length < upper, cost, out)
    return out


def knife_edge_loss_db(nu):
    """ITU-R P.526-15 eq. (31): ``J(nu) = 6.9 + 20 log10(sqrt((nu-0.1)^2+1) + nu - 0.1)``
    for ``nu > -0.78``, else 0 [dB]."""
    v = np.asarray(nu, np.float64)
    j = 6.9 + 20.0 * np.log10(np.sqrt((v - 0.1) ** 2 + 1.0) + v - 0.1)
    return np.where(v > -0.78, j, 0.0)


@numba.njit(cache=True, inline="always")
def _knife_edge(nu):
    if nu <= -0.78:
        return 0.0
    return 6.9 + 20.0 * math.log10(math.sqrt((nu - 0.1) ** 2 + 1.0) + nu - 0.1)


# --------------------------------------------------------------------------- link test


@dataclass(frozen=True)
class LinkTest:
    """Results per link, ``(n_link,)``.

    Attributes
    ----------
    feasible : bool array
        Within band reach and clear in both states; False where the profile has NaN.
    clear_median, clear_worst : bool array
        Margin >= 0 in the median (1.0 F1, k = 4/3) / worst (0.6 F1, k_e) state.
    margin_median_m, margin_worst_m : float array
        Smallest clearance minus the required Fresnel fraction [m]; NaN if unknown.
    bottleneck_km : float array
        Distance from end A of the sample that sets the median margin [km].
    diffraction_loss_db : float array
        P.526 knife-edge loss at the worst obstacle (median k) [dB]; 0 when clear of the
        line of sight by more than 0.78 of the zone parameter.
    path_km : float array
        Path length D [km].
    within_reach : bool array
        ``path_km <= band_reach_km(freq_ghz)``.
    """

    feasible: np.ndarray
    clear_median: np.ndarray
    clear_worst: np.ndarray
    margin_median_m: np.ndarray
    margin_worst_m: np.ndarray
    bottleneck_km: np.ndarray
    diffraction_loss_db: np.ndarray
    path_km: np.ndarray
    within_reach: np.ndarray


@numba.njit(cache=True, parallel=True, fastmath=False)
def _check_links(
    height_m,
    distance_km,
    mast_a_m,
    mast_b_m,
    freq_ghz,
    k_worst,
    out_margin_med,
    out_margin_worst,
    out_bottleneck,
    out_loss,
):
    n_link, n_sample = height_m.shape
    for li in numba.prange(n_link):
        big_d = distance_km[li, n_sample - 1]
        h_a = height_m[li, 0] + mast_a_m[li]
        h_b = height_m[li, n_sample - 1] + mast_b_m[li]
        f = freq_ghz[li]
        wavelength_m = 0.299792458 / f
        m_med = np.inf
        m_worst = np.inf
        where = np.nan
        nu_max = -np.inf
        bad = math.isnan(h_a) or math.isnan(h_b) or not big_d > 0
        for s in range(1, n_sample - 1):
            d1 = distance_km[li, s]
            d2 = big_d - d1
            if d1 <= 0.0 or d2 <= 0.0:
                continue
            h = height_m[li, s]
            if math.isnan(h):
                bad = True
                break
            los = h_a + (h_b - h_a) * d1 / big_d
            f1 = 17.32 * math.sqrt(d1 * d2 / (f * big_d))
            c_med = los - h - d1 * d2 / (2.0 * (4.0 / 3.0) * 6371.0) * 1000.0
            c_worst = los - h - d1 * d2 / (2.0 * k_worst[li] * 6371.0) * 1000.0
            m = c_med - 1.0 * f1
            if m < m_med:
                m_med = m
                where = d1
            m = c_worst - 0.6 * f1
            if m < m_worst:
                m_worst = m
            nu = -c_med * math.sqrt(2.0 * big_d * 1000.0 / (wavelength_m * d1 * d2 * 1.0e6))
            if nu > nu_max:
                nu_max = nu
        if bad:
            out_margin_med[li] = np.nan
            out_margin_worst[li] = np.nan
            out_bottleneck[li] = np.nan
            out_loss[li] = np.nan
        else:
            out_margin_med[li] = m_med
            out_margin_worst[li] = m_worst
            out_bottleneck[li] = where
            out_loss[li] = _knife_edge(nu_max) if nu_max > -np.inf else 0.0


def check_links(height_m, distance_km, mast_a_m, mast_b_m, freq_ghz) -> LinkTest:
    """Dual-state P.530 clearance of a batch of links on their terrain profiles.

    Parameters
    ----------
    height_m : array_like, ``(n_link, n_sample)``
        Terrain height above the geoid along each path, end A first [m]. NaN = unknown
        (the link is then not feasible and its margins are NaN).
    distance_km : array_like, ``(n_link, n_sample)`` or ``(n_sample,)``
        Distance of each sample from end A [km], increasing; the last is the path length.
    mast_a_m, mast_b_m : array_like, ``(n_link,)`` or scalar
        Antenna heights above ground at A and B [m].
    freq_ghz : array_like, ``(n_link,)`` or scalar
        Carrier frequency [GHz].

    Returns
    -------
    LinkTest
    """
    height = np.require(np.asarray(height_m, dtype=np.float64), requirements=["C", "W"])
    if height.ndim != 2 or height.shape[1] < 3:
        raise MicrowaveError(
            f"check_links height_m: expected shape (n_link, n_sample >= 3), found "
            f"{height.shape}; sample each profile at its ends and at least one point between"
        )
    n_link, n_sample = height.shape
    distance = np.array(
        np.broadcast_to(np.asarray(distance_km, np.float64), (n_link, n_sample)), order="C"
    )
    if np.any(np.diff(distance, axis=1) < 0) or np.any(distance[:, 0] != 0):
        raise MicrowaveError(
            "check_links distance_km: expected distances from end A starting at 0 and "
            "increasing [km], found a profile that does not; order samples from A to B"
        )
    # Fresh writable C arrays: numba compiles one signature (readonly views would add more).
    per_link = [
        np.array(np.broadcast_to(np.asarray(v, np.float64), (n_link,)), order="C")
        for v in (mast_a_m, mast_b_m, freq_ghz)
    ]
    mast_a, mast_b, freq = per_link
    if np.any(~(freq > 0)):
        raise MicrowaveError(
            f"check_links freq_ghz: expected > 0 GHz, found {freq.min()!r}; "
            "pass the carrier frequency in GHz"
        )
    path = distance[:, -1].copy()
    k_worst = worst_case_k(path)
    margin_med, margin_worst = np.empty(n_link), np.empty(n_link)
    bottleneck, loss = np.empty(n_link), np.empty(n_link)
    _check_links(
        height, distance, mast_a, mast_b, freq, k_worst, margin_med, margin_worst, bottleneck, loss
    )
    clear_med = margin_med >= 0
    clear_worst = margin_worst >= 0
    reach = path <= band_reach_km(freq)
    return LinkTest(
        reach & clear_med & clear_worst,
        clear_med,
        clear_worst,
        margin_med,
        margin_worst,
        bottleneck,
        loss,
        path,
        reach,
    )


@numba.njit(cache=True, inline="always")
def _profile_height(xa, xb, wa, wb, grid, lat0, dlat, lon0, dlon):  # pragma: no cover
    """Height [m] at the slerp point ``wa A + wb B`` (normalised): ``profile_points`` then
    ``DEM._sample``, operation for operation; NaN outside the grid."""
    px = wa * xa[0] + wb * xb[0]
    py = wa * xa[1] + wb * xb[1]
    pz = wa * xa[2] + wb * xb[2]
    to_deg = 180.0 / math.pi
    lat = math.asin(min(max(pz / math.sqrt(px * px + py * py + pz * pz), -1.0), 1.0)) * to_deg
    lon = math.atan2(py, px) * to_deg  # the norm cancels
    n_lat, n_lon = grid.shape
    row = (lat - lat0) / dlat
    col = (lon - lon0) / dlon
    eps = 1e-9
    if not (row >= -eps and row <= n_lat - 1 + eps and col >= -eps and col <= n_lon - 1 + eps):
        return np.nan
    i = int(min(max(math.floor(row), 0.0), n_lat - 2.0))
    j = int(min(max(math.floor(col), 0.0), n_lon - 2.0))
    fr = min(max(row - i, 0.0), 1.0)
    fc = min(max(col - j, 0.0), 1.0)
    top = grid[i, j] * (1.0 - fc) + grid[i, j + 1] * fc
    bottom = grid[i + 1, j] * (1.0 - fc) + grid[i + 1, j + 1] * fc
    return top * (1.0 - fr) + bottom * fr


@numba.njit(cache=True, parallel=True, fastmath=False)
def _grid_profiles_feasible(
    xyz,
    link_a,
    link_b,
    omega,
    sin_omega,
    t,
    interior,
    grid,
    lat0,
    dlat,
    lon0,
    dlon,
    mast,
    freq,
    reach,
    out,
):  # pragma: no cover - compiled; checked against profile_points + check_links in tests
    n_link = link_a.size
    n_sample = t.size
    last = n_sample - 1
    chunk = 2048
    n_chunk = (n_link + chunk - 1) // chunk
    for c in numba.prange(n_chunk):
        sin_k = np.empty(n_sample)
        for li in range(c * chunk, min(n_link, (c + 1) * chunk)):
            out[li] = False
            om = omega[li]
            so = sin_omega[li]
            big_d = om * t[last] * 6371.0
            if not big_d > 0 or big_d > reach:  # out of the band's reach, or no path
                continue
            xa, xb = xyz[link_a[li]], xyz[link_b[li]]
            # the ends: slerp weights (1, 0) and (0, 1) (sin_k[last] / so is exactly 1)
            h_a = _profile_height(xa, xb, 1.0, 0.0, grid, lat0, dlat, lon0, dlon)
            h_b = _profile_height(xa, xb, 0.0, 1.0, grid, lat0, dlat, lon0, dlon)
            if math.isnan(h_a) or math.isnan(h_b):
                continue
            h_a += mast
            h_b += mast
            k_worst = _k_worst(big_d)
            # the terrain under the whole path is at most the highest grid point of the
            # path's box: a link that clears it is feasible without its profile (the
            # same margins, monotone in the height)
            high = _path_height_max(xa, xb, om, grid, lat0, dlat, lon0, dlon)
            if not math.isnan(high) and not _fails_at(
                high, interior, om, t, big_d, h_a, h_b, freq, k_worst
            ):
                out[li] = True
                continue
            # sin(t_k omega) for t_k = k / (n - 1) by rotation: two sines a hop, not two a
            # sample (relative error ~ n * 1e-16, a fraction of a micrometre on the path)
            step = om / last
            cos_step, sin_step = math.cos(step), math.sin(step)
            ck, sk = 1.0, 0.0
            for s in range(n_sample):
                sin_k[s] = sk
                ck, sk = ck * cos_step - sk * sin_step, sk * cos_step + ck * sin_step
            sin_k[last] = so
            wide = so > 1e-15
            inv_so = 1.0 / so if wide else 0.0
            clear = True
            # the margins of check_links, sample by sample; the first negative one (or a
            # height the grid does not have) settles it: the link is not feasible. The
            # interior samples in ``interior`` order (the middle first, where the bulge
            # and the Fresnel zone are largest): the answer is the same in any order
            for q in range(interior.size):
                s = interior[q]
                if wide:
                    wa, wb = sin_k[last - s] * inv_so, sin_k[s] * inv_so
                else:
                    wa, wb = 1.0 - t[s], t[s]
                h = _profile_height(xa, xb, wa, wb, grid, lat0, dlat, lon0, dlon)
                if math.isnan(h):
                    clear = False
                    break
                if _blocked(h, om * t[s] * 6371.0, big_d, h_a, h_b, freq, k_worst):
                    clear = False
                    break
            out[li] = clear


@numba.njit(cache=True, inline="always")
def _fails_at(h, interior, om, t, big_d, h_a, h_b, freq, k_worst):  # pragma: no cover
    """Whether a margin of the profile loop goes negative with the terrain at ``h`` [m]
    under every interior sample (the loop's expressions; NaN ``h``: False)."""
    if math.isnan(h):
        return False
    for q in range(interior.size):
        if _blocked(h, om * t[interior[q]] * 6371.0, big_d, h_a, h_b, freq, k_worst):
            return True
    return False


@numba.njit(cache=True, inline="always")
def _blocked(h, d1, big_d, h_a, h_b, freq, k_worst):  # pragma: no cover
    """Whether terrain at ``h`` [m], ``d1`` km along a hop of ``big_d`` km between antennas
    at ``h_a`` and ``h_b`` [m], breaks a clearance margin: 1.0 F1 at k = 4/3 or 0.6 F1 at
    ``k_worst`` (False at the ends)."""
    d2 = big_d - d1
    if d1 <= 0.0 or d2 <= 0.0:
        return False
    los = h_a + (h_b - h_a) * d1 / big_d
    f1 = 17.32 * math.sqrt(d1 * d2 / (freq * big_d))
    c_med = los - h - d1 * d2 / (2.0 * (4.0 / 3.0) * 6371.0) * 1000.0
    c_worst = los - h - d1 * d2 / (2.0 * k_worst * 6371.0) * 1000.0
    return c_med - 1.0 * f1 < 0 or c_worst - 0.6 * f1 < 0


@numba.njit(cache=True, inline="always")
def _path_height_max(xa, xb, om, grid, lat0, dlat, lon0, dlon):  # pragma: no cover
    """An upper bound [m] of every height :func:`_profile_height` gives on the
    great-circle arc from ``xa`` to ``xb`` (angle ``om``): the highest grid point of the
    arc's latitude/longitude box; NaN when the box leaves the grid, holds a void, or the
    arc is near a pole or the antimeridian (the caller samples then).

    Bounds: a point of the arc is a point q of the chord divided by |q| >= cos(om / 2),
    so its z lies between the ends' z and their z / cos(om / 2); its longitude runs
    monotonically between the ends' (a great circle's projection on the equator is an
    ellipse about the centre); a bilinear value lies between its four grid points. The
    box is widened by 1e-7 degree against rounding.
    """
    nan = np.nan
    z_a, z_b = xa[2], xb[2]
    if abs(z_a) > 0.98 or abs(z_b) > 0.98 or not om < 0.1:  # within ~11 deg of a pole
        return nan
    shrink = 1.0 - om * om / 8.0 - 1e-15  # <= cos(om / 2)
    z_hi, z_lo = max(z_a, z_b), min(z_a, z_b)
    z_hi = z_hi / shrink if z_hi > 0 else z_hi
    z_lo = z_lo / shrink if z_lo < 0 else z_lo
    to_deg = 180.0 / math.pi
    lat_hi = math.asin(min(z_hi, 1.0)) * to_deg + 1e-7
    lat_lo = math.asin(max(z_lo, -1.0)) * to_deg - 1e-7
    lon_a = math.atan2(xa[1], xa[0]) * to_deg
    lon_b = math.atan2(xb[1], xb[0]) * to_deg
    if abs(lon_a - lon_b) > 10.0:  # across the antimeridian
        return nan
    lon_hi = max(lon_a, lon_b) + 1e-7
    lon_lo = min(lon_a, lon_b) - 1e-7
    n_lat, n_lon = grid.shape
    r0, r1 = (lat_lo - lat0) / dlat, (lat_hi - lat0) / dlat
    c0, c1 = (lon_lo - lon0) / dlon, (lon_hi - lon0) / dlon
    r_lo, r_hi = min(r0, r1), max(r0, r1)
    c_lo, c_hi = min(c0, c1), max(c0, c1)
    if not (r_lo >= 0.0 and r_hi <= n_lat - 1.0 and c_lo >= 0.0 and c_hi <= n_lon - 1.0):
        return nan
    i0 = min(int(math.floor(r_lo)), n_lat - 2)
    i1 = min(int(math.floor(r_hi)) + 1, n_lat - 1)
    j0 = min(int(math.floor(c_lo)), n_lon - 2)
    j1 = min(int(math.floor(c_hi)) + 1, n_lon - 1)
    high = -np.inf
    for i in range(i0, i1 + 1):
        for j in range(j0, j1 + 1):
            z = grid[i, j]
            if math.isnan(z):
                return nan
            high = max(high, z)
    # a bilinear mix can round past its corners by an ulp or so (< 1e-12 m at 9 km)
    return high + 1e-6


def middle_first(n_samples: int) -> np.ndarray:
    """The interior sample indices ``1 .. n_samples - 2``, each once, the middle first and
    then by bisection (``32 -> 15, 7, 23, 3, 11, 19, 27, ...``): the order in which
    :func:`feasible_on_grid` tests a profile, so a link blocked in its middle, where the
    Earth bulge and the Fresnel zone are largest, is settled at its first samples."""
    last = int(n_samples) - 1
    out: list[int] = []
    spans = [(0, last)]
    while spans:
        nxt = []
        for lo, hi in spans:
            if hi - lo < 2:
                continue
            mid = (lo + hi) // 2
            out.append(mid)
            nxt += [(lo, mid), (mid, hi)]
        spans = nxt
    return np.asarray(out, dtype=np.int64)


@numba.njit(cache=True, inline="always")
def _k_worst(path_km):  # pragma: no cover - compiled; K_WORST_BY_LENGTH as branches
    if path_km <= 15.0:
        return 0.8
    if path_km <= 50.0:
        return 0.7
    return 0.6


def feasible_on_grid(
    lat_deg,
    lon_deg,
    link_a,
    link_b,
    height_grid_m,
    grid_lat0_deg: float,
    grid_dlat_deg: float,
    grid_lon0_deg: float,
    grid_dlon_deg: float,
    *,
    n_samples: int,
    mast_m: float,
    freq_ghz: float,
) -> np.ndarray:
    """:attr:`LinkTest.feasible` of the hops ``link_a[k] -> link_b[k]`` with the terrain
    sampled bilinearly on a regular latitude/longitude grid, in one compiled pass.

    The answer of ``check_links(height(*profile_points(...)[:2]), ...).feasible`` with
    ``height`` the grid's bilinear interpolation (``hybridplan.grids.DEM.elevation_m``:
    NaN outside the grid), without the ``(n_link, n_samples)`` profile arrays (the memory
    is that of the result), and each link left at its first sample whose clearance fails
    (the link is then infeasible whatever the rest). The same formulas, evaluated with
    the C library's trigonometric functions, the slerp weights by rotation and the
    normalisation cancelled inside ``atan2``: a few 1e-16 relative from numpy's, so a
    margin within ~1e-9 m of zero could come out the other way (none did on all
    Pakistan at res 7, 11.3 M hops, against the block-by-block numpy path).

    Parameters
    ----------
    lat_deg, lon_deg : array_like, ``(n_site,)``
        Site positions [degree].
    link_a, link_b : array_like of int, ``(n_link,)``
        End sites of each hop.
    height_grid_m : array_like, ``(n_lat, n_lon)``
        Terrain heights [m] at ``lat0 + i dlat``, ``lon0 + j dlon`` (NaN: void).
    grid_lat0_deg, grid_dlat_deg, grid_lon0_deg, grid_dlon_deg : float
        The grid's first point and spacing [degree] (spacings may be negative).
    n_samples : int
        Samples per profile, ends included (>= 3).
    mast_m : float
        Antenna height above ground at both ends [m].
    freq_ghz : float
        Carrier frequency [GHz].

    Returns
    -------
    numpy.ndarray of bool, ``(n_link,)``
    """
    if n_samples < 3:
        raise MicrowaveError(
            f"feasible_on_grid n_samples: expected >= 3, found {n_samples}; "
            "sample the ends and at least one point between"
        )
    if not freq_ghz > 0:
        raise MicrowaveError(
            f"feasible_on_grid freq_ghz: expected > 0 GHz, found {freq_ghz!r}; "
            "pass the carrier frequency in GHz"
        )
    xyz = np.ascontiguousarray(
        unit_vectors(np.asarray(lat_deg, np.float64), np.asarray(lon_deg, np.float64))
    )
    a = np.ascontiguousarray(link_a, dtype=np.int64)
    b = np.ascontiguousarray(link_b, dtype=np.int64)
    out = np.zeros(a.size, dtype=bool)
    if a.size == 0:
        return out
    grid = np.ascontiguousarray(height_grid_m, dtype=np.float64)
    t = np.linspace(0.0, 1.0, n_samples)
    interior = middle_first(n_samples)
    reach = float(band_reach_km(freq_ghz))
    step = 1_000_000  # the angles of a block of hops (8 bytes each), as profile_points has them
    for lo in range(0, a.size, step):
        ia, ib = a[lo : lo + step], b[lo : lo + step]
        omega = np.arccos(np.clip(np.einsum("ij,ij->i", xyz[ia], xyz[ib]), -1.0, 1.0))
        _grid_profiles_feasible(
            xyz,
            ia,
            ib,
            omega,
            np.sin(omega),
            t,
            interior,
            grid,
            float(grid_lat0_deg),
            float(grid_dlat_deg),
            float(grid_lon0_deg),
            float(grid_dlon_deg),
            float(mast_m),
            float(freq_ghz),
            reach,
            out[lo : lo + step],
        )
    return out


# --------------------------------------------------------------------------- candidates


def candidate_links(lat_deg, lon_deg, max_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of sites within ``max_km`` of each other (great circle on the mean sphere).

    Returns ``(site_a, site_b, path_km)``, each ``(n_link,)``, ``site_a < site_b``, sorted.
    A k-d tree on unit vectors (``scipy.spatial.cKDTree.query_pairs``), so the work grows
    with the pairs found, not with ``n_site**2``; the pairs put in order by a counting
    sort on ``site_a`` (:func:`_order_pairs`, linear in the pairs) and their lengths
    computed block by block (all Pakistan at res 7: 11 M pairs in ~0.5 GB).
    """
    from scipy.spatial import cKDTree

    xyz = unit_vectors(np.asarray(lat_deg, np.float64), np.asarray(lon_deg, np.float64))
    chord = chord_of_km(max_km)
    pairs = cKDTree(xyz).query_pairs(chord, output_type="ndarray")
    a, b = _order_pairs(pairs[:, 0], pairs[:, 1], max(len(xyz), 1))
    del pairs
    km = np.empty(a.size)
    step = 1_000_000
    for lo in range(0, a.size, step):
        cos = np.einsum("ij,ij->i", xyz[a[lo : lo + step]], xyz[b[lo : lo + step]])
        km[lo : lo + step] = np.arccos(np.clip(cos, -1.0, 1.0)) * EARTH_RADIUS_KM
    keep = km <= max_km
    if keep.all():
        return a, b, km
    return a[keep], b[keep], km[keep]


@numba.njit(cache=True)
def _order_pairs(first, second, n_site):  # pragma: no cover - compiled
    """Distinct unordered pairs as ``(a, b)`` int64 arrays, ``a < b``, sorted by ``(a, b)``:
    bucketed by ``a`` (counting sort), then each bucket's ``b`` sorted (the order of one
    ``a * n + b`` key sort, in linear time and without the key array)."""
    m = first.size
    start = np.zeros(n_site + 1, np.int64)
    for k in range(m):
        start[min(first[k], second[k]) + 1] += 1
    for v in range(n_site):
        start[v + 1] += start[v]
    at = start[:-1].copy()
    a = np.empty(m, np.int64)
    b = np.empty(m, np.int64)
    for k in range(m):
        lo, hi = min(first[k], second[k]), max(first[k], second[k])
        a[at[lo]] = lo
        b[at[lo]] = hi
        at[lo] += 1
    for v in range(n_site):
        b[start[v] : start[v + 1]].sort()
    return a, b


def profile_points(lat_a_deg, lon_a_deg, lat_b_deg, lon_b_deg, n_samples: int):
    """Points along each great-circle path where the DEM is to be sampled.

    Parameters
    ----------
    lat_a_deg, lon_a_deg, lat_b_deg, lon_b_deg : array_like, ``(n_link,)``
        End points [degree].
    n_samples : int
        Samples per path, ends included (>= 3).

    Returns
    -------
    lat_deg, lon_deg, distance_km : numpy.ndarray, ``(n_link, n_samples)``
        Equally spaced points from A to B (spherical interpolation) and their distance
        from A [km], ready for ``check_links(dem(lat, lon), distance_km, ...)``.
    """
    if n_samples < 3:
        raise MicrowaveError(
            f"profile_points n_samples: expected >= 3, found {n_samples}; "
            "sample the ends and at least one point between"
        )
    a = unit_vectors(np.asarray(lat_a_deg, np.float64), np.asarray(lon_a_deg, np.float64))
    b = unit_vectors(np.asarray(lat_b_deg, np.float64), np.asarray(lon_b_deg, np.float64))
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    omega = np.arccos(np.clip(np.einsum("ij,ij->i", a, b), -1.0, 1.0))[:, None]
    t = np.linspace(0.0, 1.0, n_samples)[None, :]
    sin_omega = np.sin(omega)
    safe = np.where(sin_omega > 1e-15, sin_omega, 1.0)
    wa = np.where(sin_omega > 1e-15, np.sin((1 - t) * omega) / safe, 1 - t)
    wb = np.where(sin_omega > 1e-15, np.sin(t * omega) / safe, t)
    p = wa[..., None] * a[:, None, :] + wb[..., None] * b[:, None, :]
    p /= np.linalg.norm(p, axis=-1, keepdims=True)
    lat = np.degrees(np.arcsin(np.clip(p[..., 2], -1.0, 1.0)))
    lon = np.degrees(np.arctan2(p[..., 1], p[..., 0]))
    return lat, lon, omega * t * EARTH_RADIUS_KM


# --------------------------------------------------------------------------- relay chains


@dataclass(frozen=True)
class MicrowaveCosts:
    """Prices of the microwave option; every default carries its source (module constants)."""

    hop_tiers_usd: tuple = HOP_COST_TIERS_USD
    relay_site_usd: float = RELAY_SITE_USD
    hop_capacity_mbps: float = HOP_CAPACITY_MBPS
    opex_fraction_per_year: float = OPEX_FRACTION_PER_YEAR

    def hop_usd(self, length_km):
        length = np.asarray(length_km, np.float64)
        out = np.full(length.shape, self.hop_tiers_usd[-1][1])
        for upper, cost in reversed(self.hop_tiers_usd[:-1]):
            out = np.where(length < upper, cost, out)
        return out


@dataclass(frozen=True)
class RelayChains:
    """Cheapest chain of feasible hops from the network to each site, ``(n_site,)``.

    Attributes
    ----------
    capex_usd : float array
        Hops plus relay sites on the chain [USD]; inf where no chain exists; 0 at the
        network nodes themselves.
    opex_usd_per_year : float array
        ``capex * opex_fraction_per_year`` [USD/year].
    hops : int array
        Links on the chain (-1 where none).
    next_hop : int array
        The next site towards the network (-1 at the network and where no chain exists).
    capacity_ok : bool array
        The site's demand fits one hop's capacity (chains are priced one radio pair per hop).
    """

    capex_usd: np.ndarray
    opex_usd_per_year: np.ndarray
    hops: np.ndarray
    next_hop: np.ndarray
    capacity_ok: np.ndarray

    def path(self, site: int) -> list[int]:
        """Sites from ``site`` to the network node that ends its chain."""
        out = [int(site)]
        if self.hops[site] < 0:
            return []
        while self.next_hop[out[-1]] >= 0:
            out.append(int(self.next_hop[out[-1]]))
        return out


def relay_chains(
    n_site: int,
    link_a,
    link_b,
    link_km,
    feasible,
    on_network,
    relay_only,
    demand_mbps=0.0,
    costs: MicrowaveCosts | None = None,
) -> RelayChains:
    """Cheapest relay chain back to the network for every site.

    Parameters
    ----------
    n_site : int
        Candidate sites (villages, ridge relays, existing PoPs), indexed from 0.
    link_a, link_b : array_like of int, ``(n_link,)``
        End sites of each tested link.
    link_km : array_like, ``(n_link,)``
        Path lengths [km].
    feasible : array_like of bool, ``(n_link,)``
        :attr:`LinkTest.feasible` of each link.
    on_network : array_like of bool, ``(n_site,)``
        Sites on the existing network (chains start there).
    relay_only : array_like of bool, ``(n_site,)``
        Pure relay sites (no demand): entering one costs ``relay_site_usd``.
    demand_mbps : array_like, ``(n_site,)`` or scalar
        Busy-hour demand [Mbit/s] for the capacity check.

    Notes
    -----
    Each site's chain is priced on its own (the shortest path with arc cost = hop cost +
    relay site cost of the arc's far end when that is a pure relay); chains that share
    relays are therefore priced conservatively.
    """
    costs = costs or MicrowaveCosts()
    a = np.asarray(link_a, np.int64)
    b = np.asarray(link_b, np.int64)
    km = np.asarray(link_km, np.float64)
    ok = np.asarray(feasible, bool)
    if not (a.shape == b.shape == km.shape == ok.shape):
        raise MicrowaveError(
            "relay_chains: expected link_a, link_b, link_km, feasible of one "
            f"length, found {a.size}, {b.size}, {km.size}, {ok.size}"
        )
    network = np.broadcast_to(np.asarray(on_network, bool), (n_site,))
    relay = np.broadcast_to(np.asarray(relay_only, bool), (n_site,))
    graph = _chain_graph(n_site, a[ok], b[ok], costs.hop_usd(km[ok]), network, relay, costs)
    dist, pred = dijkstra(graph, directed=True, indices=n_site, return_predecessors=True)
    dist = dist[:-1]
    pred = pred[:-1].astype(np.int64)
    next_hop = np.where((pred >= 0) & (pred < n_site), pred, -1)
    reach = np.isfinite(dist)
    hops = _tree_depth(next_hop, reach & ~network)
    hops[~reach] = -1
    capex = np.where(reach, np.where(network, 0.0, dist - 1e-9), np.inf)
    demand = np.broadcast_to(np.asarray(demand_mbps, np.float64), (n_site,))
    return RelayChains(
        capex,
        capex * costs.opex_fraction_per_year,
        hops,
        next_hop,
        demand <= costs.hop_capacity_mbps,
    )


def _tree_depth(parent, counted) -> np.ndarray:
    """Links from each node to its root in a forest: the ``counted`` nodes step to
    ``parent`` (a node of the forest), the others are roots (depth 0). Pointer jumping:
    each pass doubles the stride, so ``log2(depth)`` passes of whole-array operations
    (the depth of a relay chain as the predecessor walk in distance order counts it)."""
    depth = counted.astype(np.int64)
    up = np.where(counted, parent, -1).astype(np.int64)
    while True:
        live = np.flatnonzero(up >= 0)
        if live.size == 0:
            return depth
        target = up[live]
        depth[live] += depth[target]  # both from the previous pass (fancy reads copy)
        up[live] = up[target]


def _chain_graph(n_site, a, b, hop, network, relay, costs) -> sp.csr_matrix:
    """The directed graph of the relay chains, ``(n_site + 1, n_site + 1)``: each link
    both ways at its hop cost (plus the relay site cost when the far end is a pure
    relay; the cheapest arc where a pair is given twice) and a super source (index
    ``n_site``) feeding every network site at 1e-9 USD. Canonical CSR (sorted columns,
    no duplicates): links given as ``candidate_links`` gives them (``a < b``, sorted by
    ``(a, b)``, each once) are scattered straight into their rows in one compiled pass
    (:func:`_sorted_links_csr`); any other links go through COO arrays (the same
    matrix)."""
    src = np.flatnonzero(network)
    small = n_site + 1 < 2**31 and 2 * a.size + src.size < 2**31  # int32 CSR arrays
    if small and _sorted_unique_pairs(a, b, n_site + 1):
        arc_ab = np.add(hop, np.where(relay[b], costs.relay_site_usd, 0.0))
        arc_ba = np.add(hop, np.where(relay[a], costs.relay_site_usd, 0.0))
        indptr, indices, data = _sorted_links_csr(
            n_site,
            np.ascontiguousarray(a, dtype=np.int64),
            np.ascontiguousarray(b, dtype=np.int64),
            arc_ab,
            arc_ba,
            src.astype(np.int64),
        )
        del arc_ab, arc_ba
        graph = sp.csr_matrix((data, indices, indptr), shape=(n_site + 1, n_site + 1))
        graph.has_canonical_format = True
        return graph
    return _chain_graph_coo(n_site, a, b, hop, src, relay, costs)


@numba.njit(cache=True)
def _sorted_unique_pairs(a, b, n):  # pragma: no cover - compiled
    """Whether every ``0 <= a[k] < b[k] < n`` and the pairs are strictly increasing in
    ``(a, b)`` (so each pair is given once): one pass, no temporary arrays (it runs
    where the ground's memory peaks, on 11 M links for all Pakistan)."""
    for k in range(a.size):
        if a[k] < 0 or a[k] >= b[k] or b[k] >= n:
            return False
        if k > 0 and (a[k] < a[k - 1] or (a[k] == a[k - 1] and b[k] <= b[k - 1])):
            return False
    return True


@numba.njit(cache=True)
def _sorted_links_csr(n_site, a, b, arc_ab, arc_ba, src):  # pragma: no cover - compiled
    """CSR arrays ``(indptr, indices, data)`` of the links both ways plus the super
    source's arcs, for links with ``a < b`` sorted by ``(a, b)``: row ``v`` holds its
    links to lower sites (``b == v``, met in increasing ``a``) then to higher ones
    (``a == v``, met in increasing ``b``), so every row comes out sorted; row
    ``n_site`` holds ``src`` (increasing)."""
    n_row = n_site + 1
    m = a.size
    lower = np.zeros(n_row, np.int64)
    higher = np.zeros(n_row, np.int64)
    for k in range(m):
        lower[b[k]] += 1
        higher[a[k]] += 1
    indptr = np.zeros(n_row + 1, np.int32)
    total = 0
    for v in range(n_row):
        indptr[v] = total
        total += lower[v] + higher[v]
    total += src.size
    indptr[n_row] = total
    indices = np.empty(total, np.int32)
    data = np.empty(total)
    down = np.empty(n_row, np.int64)  # next free slot of each row's lower part
    up = np.empty(n_row, np.int64)  # and of its higher part
    for v in range(n_row):
        down[v] = indptr[v]
        up[v] = indptr[v] + lower[v]
    for k in range(m):
        u, w = a[k], b[k]
        indices[up[u]] = w
        data[up[u]] = arc_ab[k]
        up[u] += 1
        indices[down[w]] = u
        data[down[w]] = arc_ba[k]
        down[w] += 1
    start = indptr[n_site]
    for q in range(src.size):
        indices[start + q] = src[q]
        data[start + q] = 1e-9
    return indptr, indices, data


def _chain_graph_coo(n_site, a, b, hop, src, relay, costs) -> sp.csr_matrix:
    """:func:`_chain_graph` for any links: COO arrays into canonical CSR (the arcs
    sorted first where a pair is given twice, to keep its cheapest arc each way)."""
    fits = n_site + 1 < 2**31
    index = np.int32 if fits else np.int64
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    undirected = lo.astype(np.int64) * (n_site + 1) + hi
    undirected.sort()
    twice = bool(np.any(undirected[1:] == undirected[:-1]))
    del undirected, lo, hi
    if twice or not fits:  # a pair given more than once: keep its cheapest arc each way
        tail = np.concatenate([a, b])
        head = np.concatenate([b, a])
        arc = np.concatenate([hop, hop]) + np.where(relay[head], costs.relay_site_usd, 0.0)
        order = np.lexsort((arc, head, tail))
        tail, head, arc = tail[order], head[order], arc[order]
        first = np.ones(tail.size, bool)
        first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
        tail, head, arc = tail[first], head[first], arc[first]
        tail = np.concatenate([tail, np.full(src.size, n_site, dtype=tail.dtype)])
        head = np.concatenate([head, src.astype(head.dtype)])
        arc = np.concatenate([arc, np.full(src.size, 1e-9)])
    else:  # each pair once: the arcs are distinct, nothing to choose; filled in place
        m = a.size
        tail = np.empty(2 * m + src.size, dtype=index)
        head = np.empty(2 * m + src.size, dtype=index)
        arc = np.empty(2 * m + src.size)
        tail[:m], tail[m : 2 * m], tail[2 * m :] = a, b, n_site
        head[:m], head[m : 2 * m], head[2 * m :] = b, a, src
        np.add(hop, np.where(relay[b], costs.relay_site_usd, 0.0), out=arc[:m])
        np.add(hop, np.where(relay[a], costs.relay_site_usd, 0.0), out=arc[m : 2 * m])
        arc[2 * m :] = 1e-9
    graph = sp.csr_matrix((arc, (tail, head)), shape=(n_site + 1, n_site + 1))
    del tail, head, arc
    graph.sum_duplicates()  # canonical: sorted columns in every row
    return graph


#: Longest chain whose share :func:`_chain_shares` sums itself [hops]; a longer one (not
#: seen: chains are tens of hops) is summed by ``np.sum`` itself, a safeguard.
_PAIRWISE_MAX_TERMS = 4096


@numba.njit(cache=True)
def _chain_paths(nxt, ends, demand):  # pragma: no cover - compiled
    """Each site's chain: the cells from its end up to (not including) the first cell
    without a next one, at most ``nxt.size + 1`` of them (a cycle guard), as the CSR
    lists ``(start, cells)``; the cell each chain stops at (``root``, -1 for no end);
    and the demand each cell carries, every site's demand added once to each distinct
    cell of its chain in the sites' order (``load[path] += demand[s]``, site by site)."""
    n = nxt.size
    length = np.zeros(ends.size, np.int64)
    for s in range(ends.size):
        v = ends[s]
        k = 0
        while v >= 0 and nxt[v] >= 0 and k <= n:
            k += 1
            v = nxt[v]
        length[s] = k
    start = np.zeros(ends.size + 1, np.int64)
    for s in range(ends.size):
        start[s + 1] = start[s] + length[s]
    cells = np.empty(start[-1], np.int64)
    root = np.full(ends.size, -1, np.int64)
    load = np.zeros(n)
    stamp = np.full(n, -1, np.int64)
    for s in range(ends.size):
        v = ends[s]
        for k in range(start[s], start[s + 1]):
            cells[k] = v
            if stamp[v] != s:  # a cell met twice (a cycle) is loaded once, as numpy does
                stamp[v] = s
                load[v] += demand[s]
            v = nxt[v]
        root[s] = v
    return start, cells, root, load


@numba.njit(cache=True)
def _chain_shares(start, cells, ends, nxt, capex, cost, demand, load):  # pragma: no cover
    """Per site: its share of the hops of its chain, ``sum(cost * demand / load)`` over
    the chain as ``np.sum`` adds it (:func:`_pairwise_sum`),
    NaN for a chain longer than :data:`_PAIRWISE_MAX_TERMS` (summed by the caller); and
    the chain alone (its end's capex). NaN for the sites without an end."""
    share = np.full(ends.size, np.nan)
    alone = np.full(ends.size, np.nan)
    terms = np.empty(cells.size)
    for s in range(ends.size):
        if ends[s] < 0:
            continue
        n = start[s + 1] - start[s]
        alone[s] = capex[ends[s]] if n > 0 or nxt[ends[s]] < 0 else np.nan
        for k in range(start[s], start[s + 1]):
            v = cells[k]
            terms[k] = cost[v] * demand[s] / load[v]
        if n == 0:
            share[s] = 0.0
        elif n <= _PAIRWISE_MAX_TERMS:
            share[s] = _pairwise_sum(terms, start[s], n)
    return share, alone


@dataclass(frozen=True)
class SharedChains:
    """The relay chains of the sites that take microwave, built once where they meet.

    Attributes
    ----------
    site_capex_usd : float array, ``(n_site,)``
        Each site's share of the investment [USD] (NaN for sites not given a cell).
    total_capex_usd : float
        Investment of the union of the chains [USD].
    standalone_capex_usd : float
        The same chains each priced alone (the sum the per-site rule would pay) [USD].
    n_links : int
        Distinct hops built (each counted once, whatever its radio pairs).
    n_radio_pairs : int
        Radio pairs on those hops (``ceil(demand / hop capacity)`` each).
    n_relays : int
        Intermediate masts: cells a chain passes through that are not its own site's
        end (ridge relays, and villages that relay their neighbours).
    """

    site_capex_usd: np.ndarray
    total_capex_usd: float
    standalone_capex_usd: float
    n_links: int
    n_radio_pairs: int
    n_relays: int


def shared_chains(
    next_cell, capex_usd, site_cell, site_demand_mbps, costs: MicrowaveCosts | None = None
) -> SharedChains:
    """Price the relay chains of a set of sites as one tree of hops.

    ``next_cell`` and ``capex_usd`` are per cell of the routing grid: the next cell of
    the cell's cheapest chain towards the network (-1 at the network) and the chain's
    investment (so the hop into cell ``v`` costs ``capex[v] - capex[next[v]]``, its far
    end's relay mast included). The chains come from one shortest-path tree
    (:func:`relay_chains`), so those of several sites meet and share their upstream hops.
    Each hop is built once, with ``ceil(D / hop_capacity_mbps)`` radio pairs for the
    demand ``D`` of the sites below it ([ASSUMPTION]: each pair priced as a whole hop).
    Each hop's cost is split among the sites below it by demand and no site pays more
    than its chain alone (:func:`.network.capped_shares`, per tree of hops).

    ``site_cell`` is the end cell of each site's chain (-1: the site takes no microwave).
    Sharing never costs more than the chains priced alone: a hop used by ``n`` sites,
    each within one hop's capacity, needs at most ``n`` radio pairs.
    """
    costs = costs or MicrowaveCosts()
    nxt = np.asarray(next_cell, np.int64)
    capex = np.asarray(capex_usd, np.float64)
    ends = np.asarray(site_cell, np.int64)
    demand = np.ascontiguousarray(
        np.broadcast_to(np.asarray(site_demand_mbps, np.float64), ends.shape)
    )
    for name, cell in (("site_cell", ends), ("next_cell", nxt)):
        if cell.size and int(cell.max()) >= nxt.size:
            raise MicrowaveError(
                f"shared_chains {name}: expected cells of the routing grid (< {nxt.size}), "
                f"found {int(cell.max())}; pass next_cell and capex_usd of the same grid"
            )
    start, cells, root, load = _chain_paths(nxt, ends, demand)
    used = load > 0
    arc = np.zeros(nxt.size)
    arc[used] = capex[used] - capex[nxt[used]]
    pairs = np.where(used, np.ceil(load / costs.hop_capacity_mbps - 1e-12), 0.0)
    cost = arc * pairs
    share, alone = _chain_shares(start, cells, ends, nxt, capex, cost, demand, load)
    for s in np.flatnonzero((ends >= 0) & (np.diff(start) > _PAIRWISE_MAX_TERMS)).tolist():
        path = cells[start[s] : start[s + 1]]
        share[s] = float(np.sum(cost[path] * demand[s] / load[path]))
    given = ends >= 0
    share[given] = capped_shares(
        share[given], np.ones(int(given.sum()), bool), root[given], alone[given]
    )
    ends_of_chains = np.zeros(nxt.size, bool)
    ends_of_chains[ends[given]] = True
    return SharedChains(
        share,
        float(cost.sum()),
        float(np.nansum(alone)),
        int(used.sum()),
        int(pairs.sum()),
        int(np.sum(used & ~ends_of_chains & (nxt >= 0))),
    )
