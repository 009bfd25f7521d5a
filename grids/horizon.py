"""Terrain horizon masks and per-cell terrain (elevation, slope, relief).

Model (stated once, tested against analytic terrains):

- observer at the DEM surface at the cell centre plus ``antenna_height_m`` (default 2 m);
- rays along great circles in ``n_azimuth`` sectors; sector k covers azimuths
  [k*360/K, (k+1)*360/K) clockwise from north.  Each sector is sampled by
  ``rays_per_sector`` rays evenly spaced from its start edge to its end edge inclusive
  (edge rays are shared with the neighbouring sector, so K*(rays_per_sector-1)
  distinct rays are marched); the sector value is the maximum over its rays;
- along a ray, samples at distances d_0 = step, d_(i+1) = d_i + max(step, growth*d_i),
  up to and including ``max_distance_km``; ``step`` defaults to a twelfth of the DEM
  spacing and ``growth`` to 0.07 for DEMs coarser than 1 km (about 50 samples per ray on
  the bundled 5' grid) and 0.01 for finer DEMs (about 550 samples per ray on 3" SRTM).
  On terrain with slope s (rise over run, at the DEM's scale) the sampling error is
  below about s*max(step/d, growth)/2 rad: for steep fine DEMs (SRTM in the Karakoram,
  s ~ 1) the default 0.01 keeps this near 0.3 deg; narrow peaks between rays need
  more ``rays_per_sector``;
- elevation angle of a sample at distance d with height h:
  atan((h - h0)/d - d/(2 k R)), R = 6371.0088 km (mean Earth radius), k = 1 without
  refraction or 4/3 for the standard atmosphere (effective Earth radius).  The
  small-angle curvature term differs from the exact spherical formula by < 0.01 degree
  within 100 km;
- the horizon of a ray is the maximum over its samples (NaN samples outside the DEM or
  in voids are skipped; a cell whose own height is NaN gets NaN).

Over a flat plain the answer is the geometric dip of the horizon, -sqrt(2 h_a/(kR))
(-0.045 deg for 2 m), reached at d = sqrt(2 h_a k R) (5 km for 2 m).
"""

from __future__ import annotations

import itertools

import h3
import numpy as np
import xarray as xr
from numba import njit, prange

from ._geo import EARTH_RADIUS_KM, validate_latlon
from .dem import DEM, load_dem
from .errors import GridError, _message

__all__ = [
    "horizon_mask",
    "ray_distances_km",
    "default_step_km",
    "default_step_growth",
    "sector_azimuths_deg",
    "add_terrain",
    "terrain_slope_deg",
]


def sector_azimuths_deg(n_azimuth: int = 72) -> np.ndarray:
    """Centres of the azimuth sectors, clockwise from north. [degree]"""
    width = 360.0 / n_azimuth
    return (np.arange(n_azimuth) + 0.5) * width


def default_step_km(dem: DEM) -> float:
    """A twelfth of the smallest DEM spacing (east-west at the DEM's poleward edge) [km].

    Bilinear terrain between grid points curves, so the skyline's maximum can fall
    between samples a DEM spacing apart; against a dense brute-force march on the
    bundled 5' grid, spacing/2 erred by up to 0.85 deg, spacing/12 (with growth 0.07)
    by 0.26 deg.

    Depends on the DEM only, so a cell's horizon does not depend on the other cells
    passed with it.
    """
    _, min_lat, _, max_lat = dem.bounds_deg
    return min(dem.spacing_m(max(abs(min_lat), abs(max_lat)))) / 12.0 / 1000.0


def default_step_growth(dem: DEM) -> float:
    """0.07 for DEMs coarser than 1 km, 0.01 for finer ones. [1]

    The far-field sampling error is about s*growth/2 rad for terrain slope s at the
    DEM's scale: the 5' grid has s <~ 0.2 (measured 0.28 deg worst against the brute
    force), while SRTM in the Karakoram has s ~ 1 and sharp crests (a 3" cone lost
    0.42 deg with 0.07, 0.07 deg with 0.01).
    """
    _, min_lat, _, max_lat = dem.bounds_deg
    return 0.07 if min(dem.spacing_m(max(abs(min_lat), abs(max_lat)))) >= 1000.0 else 0.01


def ray_distances_km(max_distance_km: float, step_km: float, step_growth: float) -> np.ndarray:
    """Sample distances along a ray [km]: uniform ``step_km`` growing by ``step_growth``*d."""
    out = []
    d = step_km
    while d < max_distance_km:
        out.append(d)
        d += max(step_km, step_growth * d)
    out.append(max_distance_km)
    return np.array(out, dtype=float)


def _check_positive(name: str, value, minimum: float = 0.0, integer: bool = False):
    ok = isinstance(value, (int, np.integer)) if integer else np.isfinite(value)
    if isinstance(value, bool) or not ok or not value > minimum:
        kind = "an integer" if integer else "a finite number"
        raise GridError(
            _message(
                f"horizon argument {name}",
                f"{kind} > {minimum:g}",
                repr(value),
                "pass a positive value (see the horizon_mask docstring)",
            )
        )


def horizon_mask(
    lat_deg,
    lon_deg,
    dem: DEM | None = None,
    *,
    n_azimuth: int = 72,
    max_distance_km: float = 50.0,
    antenna_height_m: float = 2.0,
    refraction_k: float = 1.0,
    rays_per_sector: int = 3,
    step_km: float | None = None,
    step_growth: float | None = None,
    observer_elevation_m=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Elevation angle of the terrain skyline in azimuth sectors, for many observers.

    Parameters
    ----------
    lat_deg, lon_deg : array_like, shape (n,) or scalars
        Observer positions. [degree]
    dem : DEM, optional
        Elevation model (default: the bundled coarse ITU-R P.1511 grid).
    n_azimuth : int
        Number K of sectors; sector k covers [k*360/K, (k+1)*360/K) degrees.
    max_distance_km : float
        Length of each ray. [km]
    antenna_height_m : float
        Height of the antenna above the DEM surface. [m]
    refraction_k : float
        Effective Earth-radius factor: 1 (geometric) or 4/3 (standard refraction).
    rays_per_sector : int
        Rays per sector including both edges (>= 2).
    step_km : float, optional
        First sample distance and minimum spacing [km]; default
        :func:`default_step_km` (half the DEM's smallest spacing).
    step_growth : float, optional
        Spacing grows to ``step_growth`` times the distance where that is larger [1];
        default :func:`default_step_growth` (0.07 for DEMs coarser than 1 km, else 0.01).
    observer_elevation_m : array_like, optional
        Ground height at the observers [m]; default the DEM at the observer.

    Returns
    -------
    horizon_deg : numpy.ndarray, shape (n, K) (or (K,) for scalar input)
        Skyline elevation angle per sector [degree]; NaN where the observer is outside
        the DEM.
    azimuth_deg : numpy.ndarray, shape (K,)
        Sector centres. [degree]
    """
    dem = load_dem() if dem is None else dem
    lat, lon = validate_latlon(lat_deg, lon_deg, "horizon_mask observers")
    scalar = lat.ndim == 0
    lat, lon = lat.ravel(), lon.ravel()
    _check_positive("n_azimuth", n_azimuth, 0, integer=True)
    _check_positive("rays_per_sector", rays_per_sector, 1, integer=True)
    _check_positive("max_distance_km", max_distance_km)
    _check_positive("refraction_k", refraction_k)
    if step_growth is None:
        step_growth = default_step_growth(dem)
    _check_positive("step_growth", step_growth, -1e-300)
    if not np.isfinite(antenna_height_m):
        _check_positive("antenna_height_m", antenna_height_m)
    if step_km is None:
        step_km = default_step_km(dem)
    _check_positive("step_km", step_km)
    distance_m = ray_distances_km(max_distance_km, step_km, step_growth) * 1000.0
    n_rays = n_azimuth * (rays_per_sector - 1)
    ray_az = np.radians(np.arange(n_rays) * 360.0 / n_rays)
    if observer_elevation_m is None:
        ground = dem._sample(lat, lon)
    else:
        ground = np.broadcast_to(np.asarray(observer_elevation_m, dtype=float), lat.shape)
    h0 = ground + antenna_height_m
    z_padded = np.pad(dem.elevation.astype(np.float64), 1, constant_values=np.nan)
    best = _march_parallel(z_padded, dem, lat, lon, h0, ray_az, distance_m, refraction_k)
    tan_sector = _sector_max(best, n_azimuth, rays_per_sector)
    horizon = np.degrees(np.arctan(tan_sector))
    horizon[~np.isfinite(h0)] = np.nan
    azimuth = sector_azimuths_deg(n_azimuth)
    return (horizon[0] if scalar else horizon), azimuth


def _march(
    z_padded: np.ndarray, dem: DEM, lat, lon, h0, ray_az, distance_m, refraction_k
) -> np.ndarray:
    """Max over samples of tan(elevation angle), shape (n_cells, n_rays).

    The great circle from (phi, lambda) at azimuth theta is expanded to second order
    in s = d/R (Clairaut): phi(s) = phi + s cos(theta) - s^2/2 sin^2(theta) tan(phi),
    lambda(s) = lambda + s sin(theta)/cos(phi) + s^2 sin(theta) cos(theta) sin(phi)/cos^2(phi);
    the third-order remainder is a few metres at 50 km.  Fractional DEM indices are
    then quadratic in d, which keeps the inner loop to multiply-adds and four gathers.
    ``z_padded`` is the DEM with a ring of NaN, so samples off the grid come out NaN.
    """
    radius_m = EARTH_RADIUS_KM * 1000.0
    phi = np.radians(lat)[:, None, None]
    theta = ray_az[None, :, None]
    sin_t, cos_t = np.sin(theta), np.cos(theta)
    tan_phi, sec_phi = np.tan(phi), 1.0 / np.cos(phi)
    to_deg = 180.0 / np.pi
    d = distance_m[None, None, :]
    d2 = d * d
    row_1 = cos_t * (to_deg / radius_m / dem.dlat_deg)
    row_2 = -0.5 * sin_t**2 * tan_phi * (to_deg / radius_m**2 / dem.dlat_deg)
    col_1 = sin_t * sec_phi * (to_deg / radius_m / dem.dlon_deg)
    col_2 = sin_t * cos_t * tan_phi * sec_phi * (to_deg / radius_m**2 / dem.dlon_deg)
    row0 = ((lat - dem.lat0_deg) / dem.dlat_deg + 1.0)[:, None, None]
    col0 = ((lon - dem.lon0_deg) / dem.dlon_deg + 1.0)[:, None, None]
    row = row0 + row_1 * d + row_2 * d2
    col = col0 + col_1 * d + col_2 * d2
    n_rows, n_cols = z_padded.shape
    np.clip(row, 0.0, n_rows - 2, out=row)
    np.clip(col, 0.0, n_cols - 2, out=col)
    i = row.astype(np.intp)
    j = col.astype(np.intp)
    row -= i
    col -= j
    flat = z_padded.ravel()
    index = i * n_cols + j
    z00, z01 = flat.take(index), flat.take(index + 1)
    z10, z11 = flat.take(index + n_cols), flat.take(index + n_cols + 1)
    top = z00 + (z01 - z00) * col
    heights = top + (z10 + (z11 - z10) * col - top) * row
    tan_angle = (heights - h0[:, None, None]) * (1.0 / d) - d / (2.0 * refraction_k * radius_m)
    return np.fmax.reduce(tan_angle, axis=2)


def _march_parallel(
    z_padded: np.ndarray, dem: DEM, lat, lon, h0, ray_az, distance_m, refraction_k
) -> np.ndarray:
    """:func:`_march` compiled, on every core numba is given (cells split across threads,
    no temporaries of size cells x rays x samples); the same expressions in the same
    order, so it agrees with :func:`_march` to a few units in the last place (the
    trigonometric functions of numba and numpy may differ by an ulp)."""
    theta = np.asarray(ray_az, dtype=np.float64)
    best = np.empty((lat.size, theta.size))
    _march_kernel(
        z_padded,
        np.asarray(lat, np.float64),
        np.asarray(lon, np.float64),
        np.asarray(h0, np.float64),
        np.sin(theta),
        np.cos(theta),
        np.asarray(distance_m, np.float64),
        float(dem.lat0_deg),
        float(dem.lon0_deg),
        float(dem.dlat_deg),
        float(dem.dlon_deg),
        float(refraction_k),
        best,
    )
    return best


@njit(parallel=True, cache=True, error_model="numpy", nogil=True)
def _march_kernel(
    z_padded, lat, lon, h0, sin_t, cos_t, distance_m, lat0, lon0, dlat, dlon, refraction_k, out
):  # pragma: no cover - compiled; checked against _march in the tests
    radius_m = EARTH_RADIUS_KM * 1000.0
    to_deg = 180.0 / np.pi
    n_rows, n_cols = z_padded.shape
    flat = z_padded.ravel()
    k_row_1 = to_deg / radius_m / dlat
    k_row_2 = to_deg / radius_m**2 / dlat
    k_col_1 = to_deg / radius_m / dlon
    k_col_2 = to_deg / radius_m**2 / dlon
    bulge = 2.0 * refraction_k * radius_m
    for c in prange(lat.size):
        phi = np.radians(lat[c])
        tan_phi = np.tan(phi)
        sec_phi = 1.0 / np.cos(phi)
        row0 = (lat[c] - lat0) / dlat + 1.0
        col0 = (lon[c] - lon0) / dlon + 1.0
        for r in range(sin_t.size):
            s, co = sin_t[r], cos_t[r]
            row_1 = co * k_row_1
            row_2 = -0.5 * (s * s) * tan_phi * k_row_2
            col_1 = s * sec_phi * k_col_1
            col_2 = s * co * tan_phi * sec_phi * k_col_2
            best = np.nan
            for k in range(distance_m.size):
                d = distance_m[k]
                d2 = d * d
                row = row0 + row_1 * d + row_2 * d2
                col = col0 + col_1 * d + col_2 * d2
                row = min(max(row, 0.0), n_rows - 2.0)
                col = min(max(col, 0.0), n_cols - 2.0)
                i = int(row)
                j = int(col)
                row -= i
                col -= j
                index = i * n_cols + j
                z00 = flat[index]
                z01 = flat[index + 1]
                z10 = flat[index + n_cols]
                z11 = flat[index + n_cols + 1]
                top = z00 + (z01 - z00) * col
                height = top + (z10 + (z11 - z10) * col - top) * row
                tan_angle = (height - h0[c]) * (1.0 / d) - d / bulge
                if not tan_angle <= best:  # fmax: NaN samples are skipped
                    if tan_angle == tan_angle:
                        best = tan_angle
            out[c, r] = best


def _sector_max(tan_rays: np.ndarray, n_azimuth: int, rays_per_sector: int) -> np.ndarray:
    """Max over each sector's rays, the end-edge ray being the next sector's start."""
    per = rays_per_sector - 1
    rays = tan_rays.reshape(tan_rays.shape[0], n_azimuth, per)
    # column by column, in the order of a reduction over the sector's rays (fmax picks
    # one of its operands, so this is np.fmax.reduce(rays, axis=2) bit for bit)
    out = rays[:, :, 0].copy()
    for q in range(1, per):
        np.fmax(out, rays[:, :, q], out=out)
    np.fmax(out[:, :-1], rays[:, 1:, 0], out=out[:, :-1])  # the next sector's start ray
    np.fmax(out[:, -1], rays[:, 0, 0], out=out[:, -1])
    return out


def _sector_max_reference(tan_rays: np.ndarray, n_azimuth: int, rays_per_sector: int):
    """:func:`_sector_max` as first written (a reduction and a roll), for the tests."""
    per = rays_per_sector - 1
    rays = tan_rays.reshape(tan_rays.shape[0], n_azimuth, per)
    end_edge = np.roll(rays[:, :, 0], -1, axis=1)
    return np.fmax(np.fmax.reduce(rays, axis=2), end_edge)


def terrain_slope_deg(lat_deg, lon_deg, dem: DEM, baseline_m: float | None = None) -> np.ndarray:
    """Terrain slope at points by central differences on the DEM. [degree]

    Parameters
    ----------
    lat_deg, lon_deg : array_like
        Points. [degree]
    dem : DEM
    baseline_m : float, optional
        Half-distance of the central differences [m]; default one DEM spacing (the
        larger of north-south and east-west), i.e. the slope of the DEM at its own
        resolution (coarse DEMs give gentle slopes).
    """
    lat, lon = validate_latlon(lat_deg, lon_deg, "slope points")
    if baseline_m is None:
        baseline_m = max(dem.spacing_m(float(np.mean(lat)) if lat.size else 0.0))
    metres_per_deg = np.radians(1.0) * EARTH_RADIUS_KM * 1000.0
    dlat = baseline_m / metres_per_deg
    dlon = dlat / np.maximum(np.cos(np.radians(lat)), 1e-6)
    dz_dy = (dem._sample(lat + dlat, lon) - dem._sample(lat - dlat, lon)) / (2 * baseline_m)
    dz_dx = (dem._sample(lat, lon + dlon) - dem._sample(lat, lon - dlon)) / (2 * baseline_m)
    return np.degrees(np.arctan(np.hypot(dz_dx, dz_dy)))


def _relief_m(cells, dem: DEM, centres=None) -> np.ndarray:
    """Max - min of the DEM over each cell's centre and six (five) vertices. [m]

    ``centres``: ``(lat_deg, lon_deg)`` of the cells' centres when the caller has them
    (a grid's ``lat``/``lon``, which are ``h3.cell_to_latlng``'s)."""
    if len(cells) == 0:
        return np.zeros(0)
    boundaries = [h3.cell_to_boundary(c) for c in cells]
    pts = _vertex_array(boundaries)
    if centres is None:
        centre = np.array([h3.cell_to_latlng(c) for c in cells], dtype=float)[:, None, :]
    else:
        centre = np.stack([np.asarray(c, dtype=float) for c in centres], axis=-1)[:, None, :]
    pts = np.concatenate([centre, pts], axis=1)
    z = dem._sample(pts[..., 0], pts[..., 1])
    return np.fmax.reduce(z, axis=1) - np.fmin.reduce(z, axis=1)  # NaN only if all are NaN


def add_terrain(grid: xr.Dataset, dem: DEM | None = None, **horizon_kwargs) -> xr.Dataset:
    """Add ``elevation_m``, ``slope_deg``, ``relief_m`` and ``horizon_deg`` to a grid.

    Parameters
    ----------
    grid : xarray.Dataset
        From :func:`build_grid` (needs ``lat``, ``lon`` and the ``cell`` coordinate).
    dem : DEM, optional
        Default: the bundled coarse ITU-R P.1511 grid.
    **horizon_kwargs
        Passed to :func:`horizon_mask` (``n_azimuth``, ``max_distance_km``,
        ``antenna_height_m``, ``refraction_k``, ``rays_per_sector``, ``step_km``,
        ``step_growth``).

    Returns
    -------
    xarray.Dataset
        A copy with ``elevation_m`` (cell) [m], ``slope_deg`` (cell) [degree],
        ``relief_m`` (cell) [m], ``horizon_deg`` (cell, azimuth) [degree] and the
        coordinate ``azimuth_deg`` (sector centres) [degree]; attributes record the DEM
        source and the horizon parameters.
    """
    out, pending = start_terrain(grid, dem, None, **horizon_kwargs)
    return finish_terrain(out, pending)


def start_terrain(
    grid: xr.Dataset, dem: DEM | None, executor, **horizon_kwargs
) -> tuple[xr.Dataset, object]:
    """:func:`add_terrain` with the horizons computed on ``executor`` (a
    ``concurrent.futures`` executor; ``None``: here and now).

    The compiled march releases the GIL, so a thread can compute the horizons while the
    caller goes on with work that does not read them (population, fibre reach). Returns
    the grid, whose ``horizon_deg`` is NaN until :func:`finish_terrain`, and the pending
    ``(horizon_deg, azimuth_deg)`` (a future, or the arrays themselves).
    """
    dem = load_dem() if dem is None else dem
    lat, lon = grid["lat"].values, grid["lon"].values
    elevation = dem.elevation_m(lat, lon)
    params = {
        "n_azimuth": 72,
        "max_distance_km": 50.0,
        "antenna_height_m": 2.0,
        "refraction_k": 1.0,
        "rays_per_sector": 3,
        "step_growth": None,
        "step_km": None,
    }
    unknown = set(horizon_kwargs) - set(params)
    if unknown:
        raise GridError(
            _message(
                "add_terrain",
                f"horizon options among {sorted(params)}",
                f"{sorted(unknown)}",
                "remove or correct those keywords",
            )
        )
    params.update(horizon_kwargs)
    if params["step_km"] is None:
        params["step_km"] = default_step_km(dem)
    if params["step_growth"] is None:
        params["step_growth"] = default_step_growth(dem)
    if executor is None:
        pending = horizon_mask(lat, lon, dem, observer_elevation_m=elevation, **params)
    else:
        pending = executor.submit(
            horizon_mask, lat, lon, dem, observer_elevation_m=elevation, **params
        )
    azimuth = sector_azimuths_deg(params["n_azimuth"])
    # NaN (a read-only view, no memory) until finish_terrain puts the horizons in
    horizon = np.broadcast_to(np.float64(np.nan), (lat.size, azimuth.size))
    slope = terrain_slope_deg(lat, lon, dem) if lat.size else np.zeros(0)
    relief = _relief_m(list(grid["cell"].values), dem, centres=(lat, lon))
    width = 360.0 / params["n_azimuth"]
    out = grid.assign_coords(
        azimuth_deg=(
            "azimuth",
            azimuth,
            {
                "units": "degree",
                "long_name": "centre of the azimuth sector, clockwise from north",
                "sector_width_deg": width,
            },
        )
    )
    out = out.assign(
        elevation_m=(
            "cell",
            elevation,
            {"units": "m", "long_name": "terrain height at the cell centre (DEM, bilinear)"},
        ),
        slope_deg=(
            "cell",
            slope,
            {
                "units": "degree",
                "long_name": "terrain slope at the cell centre "
                "(central differences over one DEM spacing)",
            },
        ),
        relief_m=(
            "cell",
            relief,
            {
                "units": "m",
                "long_name": "terrain relief: max - min of the DEM at the cell centre and vertices",
            },
        ),
        horizon_deg=(
            ("cell", "azimuth"),
            horizon,
            {
                "units": "degree",
                "long_name": "elevation angle of the terrain skyline per azimuth sector",
                "comment": (
                    f"sector k covers azimuth [k*{width:g}, (k+1)*{width:g}) deg from north; "
                    f"max over {params['rays_per_sector']} rays per sector (edges included); "
                    f"observer {params['antenna_height_m']:g} m above the DEM; rays to "
                    f"{params['max_distance_km']:g} km; Earth radius 6371.0088 km x k="
                    f"{params['refraction_k']:g}"
                ),
            },
        ),
    )
    out.attrs.update(
        {
            "dem_source": dem.source,
            "dem_note": dem.note or "none",
            "horizon_max_distance_km": float(params["max_distance_km"]),
            "horizon_antenna_height_m": float(params["antenna_height_m"]),
            "horizon_refraction_k": float(params["refraction_k"]),
            "horizon_rays_per_sector": int(params["rays_per_sector"]),
            "horizon_step_km": float(params["step_km"]),
            "horizon_step_growth": float(params["step_growth"]),
        }
    )
    return out, pending


def finish_terrain(ground: xr.Dataset, pending) -> xr.Dataset:
    """The ground of :func:`start_terrain` (and whatever was added to it since, the same
    cells in the same order) with its ``horizon_deg`` filled from ``pending`` (waited
    for if it is a future); the variable keeps its place and attributes."""
    horizon, azimuth = pending.result() if hasattr(pending, "result") else pending
    if horizon.shape[0] == 0:
        horizon = np.zeros((0, azimuth.size))
    if not np.array_equal(azimuth, ground["azimuth_deg"].values):
        raise GridError(
            _message(
                "finish_terrain",
                "the horizons of the ground's azimuth sectors",
                f"{azimuth.size} sectors for {ground.sizes['azimuth']}",
                "pass the pending horizons start_terrain returned with this ground",
            )
        )
    if horizon.shape != ground["horizon_deg"].shape:
        raise GridError(
            _message(
                "finish_terrain",
                f"horizons of shape {ground['horizon_deg'].shape} (cell, azimuth)",
                f"{horizon.shape}",
                "keep the cells of start_terrain's grid (same cells, same order)",
            )
        )
    out = ground.copy()  # shallow: the other variables' data are shared
    out["horizon_deg"].variable.data = horizon
    return out


def _vertex_array(boundaries) -> np.ndarray:
    """``(n, width, 2)`` float array of cell boundaries (tuples of ``(lat, lon)``
    [degree]), each padded to the widest with its first vertex. All hexagons (the common
    case): read in one pass over the numbers."""
    width = max(len(b) for b in boundaries)
    if all(len(b) == width for b in boundaries):
        flat = itertools.chain.from_iterable(itertools.chain.from_iterable(boundaries))
        count = 2 * width * len(boundaries)
        return np.fromiter(flat, dtype=float, count=count).reshape(len(boundaries), width, 2)
    return np.array([list(b) + [b[0]] * (width - len(b)) for b in boundaries], dtype=float)
