"""Grids beyond a region: the whole globe or a latitude band at a coarse H3 resolution,
and lists of named sites (points) as first-class grids.

A global or band grid holds every H3 cell of the resolution whose **centre** lies in the
band (the same centre rule as :func:`build_grid`), so the bands of a partition of
[-90, 90] partition the globe's cells. Resolutions 0-4 only (122 to 288,122 cells on the
whole globe); finer ones are refused with the cell count and what to do instead.

A site grid is a grid Dataset whose ``cell`` coordinate holds the site names; ``lat`` and
``lon`` are the sites' own coordinates (not cell centres), so the engine evaluates the
exact points. ``h3_cell`` gives the cell holding each site, for maps.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path

import h3
import numpy as np
import xarray as xr

from ._geo import validate_latlon
from .errors import CoordinateError, GridError, ResolutionError, _message, read_utf8
from .hexgrid import cells_dataset, validate_resolution

__all__ = [
    "global_grid",
    "latitude_band_grid",
    "sites_grid",
    "read_sites_csv",
    "MAX_GLOBAL_RESOLUTION",
]

MAX_GLOBAL_RESOLUTION = 4
"""Finest resolution of :func:`global_grid` / :func:`latitude_band_grid` (288,122 cells)."""

_AUTHALIC_RADIUS_KM = 6371.0072  # radius of the sphere of the WGS84 ellipsoid's area

BAND_MEMBERSHIP_RULE = "cell centre latitude in [lat_min_deg, lat_max_deg) (90 included)"


def _n_cells_globally(resolution: int) -> int:
    return int(h3.get_num_cells(resolution))


def _check_global_resolution(resolution, what: str) -> int:
    resolution = validate_resolution(resolution)
    if resolution > MAX_GLOBAL_RESOLUTION:
        raise ResolutionError(
            _message(
                f"{what}(resolution={resolution})",
                f"an H3 resolution 0..{MAX_GLOBAL_RESOLUTION} for a global or band grid",
                f"resolution {resolution}: {_n_cells_globally(resolution):,} cells on the globe",
                f"use resolution {MAX_GLOBAL_RESOLUTION} "
                f"({_n_cells_globally(MAX_GLOBAL_RESOLUTION):,} cells, ~1,770 km2 each) or "
                "coarser, or a region (build_grid) or a list of sites (sites_grid) for fine cells",
            )
        )
    return resolution


def latitude_band_grid(
    resolution: int, lat_min_deg: float = -90.0, lat_max_deg: float = 90.0
) -> xr.Dataset:
    """Every H3 cell whose centre latitude is in ``[lat_min_deg, lat_max_deg)``.

    Parameters
    ----------
    resolution : int
        H3 resolution 0..4.
    lat_min_deg, lat_max_deg : float
        Band edges [degrees_north], -90 <= min < max <= 90 (90 itself is included).

    Returns
    -------
    xarray.Dataset
        As :func:`build_grid` (``lat``, ``lon``, ``area_km2``, empty ``district`` and
        ``province``); attributes ``region`` (e.g. ``"band -60..60 deg"``),
        ``h3_resolution``, ``cell_membership_rule``, ``region_area_km2`` (the band's area
        on the authalic sphere).
    """
    where = "latitude_band_grid"
    resolution = _check_global_resolution(resolution, where)
    for name, value in (("lat_min_deg", lat_min_deg), ("lat_max_deg", lat_max_deg)):
        if not (
            isinstance(value, (int, float, np.floating, np.integer))
            and np.isfinite(value)
            and -90.0 <= value <= 90.0
        ):
            raise CoordinateError(
                _message(
                    f"{where}({name}=...)",
                    "a latitude in -90..90 deg",
                    repr(value),
                    "give degrees north, e.g. -60",
                )
            )
    if not lat_min_deg < lat_max_deg:
        raise GridError(
            _message(
                where,
                "lat_min_deg < lat_max_deg",
                f"{lat_min_deg} .. {lat_max_deg}",
                "swap or widen the band",
            )
        )
    cells = [
        c for base in sorted(h3.get_res0_cells()) for c in h3.cell_to_children(base, resolution)
    ]
    lat = np.array([h3.cell_to_latlng(c)[0] for c in cells])
    inside = (lat >= lat_min_deg) & ((lat < lat_max_deg) | (lat_max_deg >= 90.0))
    chosen = sorted(np.asarray(cells, dtype=object)[inside].tolist())
    if not chosen:
        raise GridError(
            _message(
                where,
                "at least one cell centre in the band",
                f"none in {lat_min_deg} .. {lat_max_deg} deg at resolution {resolution}",
                "widen the band or use a finer resolution",
            )
        )
    earth_km2 = 4.0 * np.pi * _AUTHALIC_RADIUS_KM**2
    band_km2 = earth_km2 * (np.sin(np.radians(lat_max_deg)) - np.sin(np.radians(lat_min_deg))) / 2.0
    name = (
        "globe"
        if lat_min_deg <= -90.0 and lat_max_deg >= 90.0
        else f"band {lat_min_deg:g}..{lat_max_deg:g} deg"
    )
    return cells_dataset(
        chosen,
        attrs={
            "region": name,
            "region_source": "H3 cells by centre latitude",
            "region_area_km2": float(band_km2),
            "h3_resolution": resolution,
            "cell_membership_rule": BAND_MEMBERSHIP_RULE,
        },
    )


def global_grid(resolution: int) -> xr.Dataset:
    """Every H3 cell of ``resolution`` (0..4) on the globe; see :func:`latitude_band_grid`."""
    _check_global_resolution(resolution, "global_grid")
    return latitude_band_grid(resolution, -90.0, 90.0)


def sites_grid(
    sites: Mapping[str, tuple[float, float]] | Iterable[tuple[str, float, float]],
    resolution: int = 7,
    elevation_m: Iterable[float] | None = None,
) -> xr.Dataset:
    """Named points as a grid: the engine evaluates each site's own coordinates.

    Parameters
    ----------
    sites : mapping name -> (lat_deg, lon_deg), or iterable of (name, lat_deg, lon_deg)
    resolution : int
        H3 resolution of ``h3_cell`` (the cell holding each site, for maps).
    elevation_m : iterable of float, optional
        Height of each site [m]; omitted: no ``elevation_m`` (the engine uses 0 m).

    Returns
    -------
    xarray.Dataset
        ``cell`` coordinate = site names (unique); ``lat`` [degrees_north], ``lon``
        [degrees_east], ``h3_cell``, ``area_km2`` (the holding cell's area, so area
        shares weight sites like cells; set it to 1 for equal weights), optional
        ``elevation_m``; attribute ``grid_kind = "sites"``.
    """
    resolution = validate_resolution(resolution)
    rows = (
        [(k, *v) for k, v in sites.items()]
        if isinstance(sites, Mapping)
        else [tuple(r) for r in sites]
    )
    if not rows:
        raise GridError(
            _message("sites_grid", "at least one site", "none", "give {'name': (lat, lon), ...}")
        )
    names, lats, lons = [], [], []
    for k, row in enumerate(rows):
        if len(row) != 3:
            raise GridError(
                _message(
                    f"sites_grid: site {k + 1}",
                    "(name, lat_deg, lon_deg)",
                    repr(row),
                    "give three values per site",
                )
            )
        name, lat, lon = str(row[0]).strip(), row[1], row[2]
        lat, lon = validate_latlon(lat, lon, f"site {name!r}")
        names.append(name)
        lats.append(float(lat))
        lons.append(float(lon))
    seen = set()
    for name in names:
        if not name or name in seen:
            raise GridError(
                _message(
                    "sites_grid", "unique, non-empty site names", repr(name), "rename the site"
                )
            )
        seen.add(name)
    lat, lon = np.array(lats), np.array(lons)
    holding = [h3.latlng_to_cell(a, b, resolution) for a, b in zip(lat, lon, strict=True)]
    data = {
        "lat": (
            "cell",
            lat,
            {"units": "degrees_north", "long_name": "site latitude", "standard_name": "latitude"},
        ),
        "lon": (
            "cell",
            lon,
            {"units": "degrees_east", "long_name": "site longitude", "standard_name": "longitude"},
        ),
        "h3_cell": (
            "cell",
            np.array(holding, dtype=str),
            {"units": "1", "long_name": f"H3 cell (resolution {resolution}) holding the site"},
        ),
        "area_km2": (
            "cell",
            np.array([h3.cell_area(c, unit="km^2") for c in holding]),
            {"units": "km2", "long_name": "area of the H3 cell holding the site"},
        ),
    }
    if elevation_m is not None:
        heights = np.asarray(list(elevation_m), dtype=np.float64)
        if heights.shape != lat.shape or not np.all(np.isfinite(heights)):
            raise GridError(
                _message(
                    "sites_grid(elevation_m=...)",
                    f"{lat.size} finite heights [m]",
                    repr(heights[:5]),
                    "give one height per site",
                )
            )
        data["elevation_m"] = ("cell", heights, {"units": "m", "long_name": "site height"})
    return xr.Dataset(
        data,
        coords={
            "cell": ("cell", np.array(names, dtype=str), {"long_name": "site name", "units": "1"})
        },
        attrs={
            "region": "sites",
            "grid_kind": "sites",
            "h3_resolution": resolution,
            "cell_membership_rule": "named points (sites), not cells",
        },
    )


def read_sites_csv(path: str | Path, resolution: int = 7) -> xr.Dataset:
    """A site grid from a CSV file with columns ``name, lat, lon`` (optional ``elevation_m``).

    Errors name the file and line.
    """
    text = read_utf8(path, GridError, "CSV file of sites").lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not {"name", "lat", "lon"} <= set(header):
        raise GridError(
            _message(
                f"{path}:1",
                "a header with name, lat, lon",
                repr(",".join(header)),
                "add the header line name,lat,lon",
            )
        )
    rows, heights = [], []
    for line, raw in enumerate(reader, start=2):
        row = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        try:
            lat, lon = float(row["lat"]), float(row["lon"])
            height = float(row["elevation_m"]) if row.get("elevation_m") else None
        except ValueError:
            raise GridError(
                _message(
                    f"{path}:{line}",
                    "numbers in lat, lon (and elevation_m)",
                    repr(raw),
                    "fix the line",
                )
            ) from None
        try:
            validate_latlon(lat, lon, "site")
        except CoordinateError as exc:
            raise CoordinateError(f"{path}:{line}: {exc}") from None
        rows.append((row["name"], lat, lon))
        heights.append(height)
    with_heights = any(h is not None for h in heights)
    if with_heights and any(h is None for h in heights):
        raise GridError(
            _message(
                str(path),
                "elevation_m on every line or on none",
                "some lines without it",
                "fill the column",
            )
        )
    return sites_grid(rows, resolution, heights if with_heights else None)
