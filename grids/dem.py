"""Digital elevation models on a regular latitude/longitude grid.

Readers: the bundled ITU-R P.1511-2 grid (``load_dem()``), SRTM ``.hgt`` tiles (1" and
3", plain or zipped, read with numpy), GeoTIFF (:mod:`.geotiff`), and arrays
(:meth:`DEM.from_arrays`, used by the tests for synthetic terrain).

The bundled grid has 5 arc-minute (~9 km) cells: it smooths the valleys away (Gilgit
town is ~1500 m, its cell says 2157 m; K2 8611 m -> 6033 m), so it **under-states the
valley walls and therefore the terrain horizons**.  Use SRTM tiles for terrain masking.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from ._geo import EARTH_RADIUS_KM, validate_latlon
from ._source import MAX_RASTER_BYTES, ZIP_ERRORS, check_source, human_bytes, source_path
from ._srtm import SRTM_VOID, mosaic_hgt
from .errors import DEMError, _message

__all__ = ["DEM", "DEMGaps", "dem_gaps", "load_dem", "read_hgt", "BUNDLED_DEM_NOTE"]

BUNDLED_DEM_FILE = "itur_p1511_topo_5arcmin_corridor.npz"
BUNDLED_DEM_SOURCE = (
    "ITU-R P.1511-2 topographic height, 1/12 deg (5 arc-min, ~9 km), via PyPI "
    "itur 0.4.0, cropped to lon 40-90 E, lat 20-56 N"
)
BUNDLED_DEM_NOTE = (
    "coarse 9 km grid: valley floors read too high and ridges too low, so "
    "horizon elevations are under-stated in valleys; use SRTM tiles for terrain masking"
)

HEIGHT_RANGE_M = (-12_000.0, 9_000.0)
"""Heights a DEM may hold (Challenger Deep -10,935 m, Everest 8,849 m); others are refused."""


@dataclass(frozen=True)
class DEM:
    """Heights on a regular latitude/longitude grid, sampled bilinearly.

    Attributes
    ----------
    elevation : numpy.ndarray, shape (n_lat, n_lon)
        Heights of the grid points (float32, NaN for voids). [m]
    lat0_deg, dlat_deg : float
        Latitude of row 0 and the step between rows (negative for north-up). [degree]
    lon0_deg, dlon_deg : float
        Longitude of column 0 and the (positive) step between columns. [degree]
    source : str
        Where the heights come from.
    note : str
        Caveats worth carrying into results (e.g. coarse resolution).

    Notes
    -----
    Values are heights at grid *points* (SRTM convention: the tile edges are points);
    samples between points are bilinear; samples outside the grid are NaN.  Longitudes
    do not wrap at +-180 degrees.
    """

    elevation: np.ndarray = field(repr=False)
    lat0_deg: float
    dlat_deg: float
    lon0_deg: float
    dlon_deg: float
    source: str = "arrays"
    note: str = ""

    @classmethod
    def from_arrays(
        cls, elevation_m, lat_deg, lon_deg, *, source: str = "arrays", note: str = ""
    ) -> DEM:
        """A DEM from a height array and the latitudes/longitudes of its rows/columns.

        Parameters
        ----------
        elevation_m : array_like, shape (n_lat, n_lon)
            Heights [m]; NaN marks voids.
        lat_deg : array_like, shape (n_lat,)
            Latitude of each row, evenly spaced, either order. [degree]
        lon_deg : array_like, shape (n_lon,)
            Longitude of each column, evenly spaced and increasing. [degree]
        """
        z = np.asarray(elevation_m, dtype=np.float32)
        lat = np.asarray(lat_deg, dtype=float)
        lon = np.asarray(lon_deg, dtype=float)
        if (
            z.ndim != 2
            or lat.ndim != 1
            or lon.ndim != 1
            or z.shape != (lat.size, lon.size)
            or min(z.shape) < 2
        ):
            raise DEMError(
                _message(
                    source,
                    "elevation of shape (len(lat), len(lon)), both >= 2",
                    f"elevation {z.shape}, lat {lat.shape}, lon {lon.shape}",
                    "pass one row per latitude and one column per longitude",
                )
            )
        # each axis on its own: broadcasting them would build two full-size arrays
        validate_latlon(lat, np.zeros_like(lat), f"{source} grid")
        validate_latlon(np.zeros_like(lon), lon, f"{source} grid")
        _check_heights(z, source)
        for name, axis in (("lat", lat), ("lon", lon)):
            step = np.diff(axis)
            if not (np.all(step != 0) and np.allclose(step, step[0], rtol=1e-6, atol=1e-9)):
                raise DEMError(
                    _message(
                        f"{source} {name}",
                        "evenly spaced coordinates",
                        f"steps from {step.min():g} to {step.max():g} degrees",
                        "resample the raster to a regular grid",
                    )
                )
        if lon[1] < lon[0]:
            raise DEMError(
                _message(
                    f"{source} lon",
                    "increasing longitudes (west to east)",
                    "decreasing longitudes",
                    "flip the columns (elevation[:, ::-1])",
                )
            )
        return cls(
            z,
            float(lat[0]),
            float(lat[1] - lat[0]),
            float(lon[0]),
            float(lon[1] - lon[0]),
            source,
            note,
        )

    @property
    def shape(self) -> tuple[int, int]:
        return self.elevation.shape

    @property
    def bounds_deg(self) -> tuple[float, float, float, float]:
        """(min_lon, min_lat, max_lon, max_lat) of the grid points. [degree]"""
        n_lat, n_lon = self.shape
        lat_end = self.lat0_deg + (n_lat - 1) * self.dlat_deg
        return (
            self.lon0_deg,
            min(self.lat0_deg, lat_end),
            self.lon0_deg + (n_lon - 1) * self.dlon_deg,
            max(self.lat0_deg, lat_end),
        )

    def spacing_m(self, lat_deg: float) -> tuple[float, float]:
        """Grid spacing (north-south, east-west) at a latitude. [m]"""
        metres_per_deg = np.radians(1.0) * EARTH_RADIUS_KM * 1000.0
        return (
            abs(self.dlat_deg) * metres_per_deg,
            self.dlon_deg * metres_per_deg * float(np.cos(np.radians(lat_deg))),
        )

    def elevation_m(self, lat_deg, lon_deg) -> np.ndarray:
        """Bilinear height at points (scalars or arrays, broadcast).

        Parameters
        ----------
        lat_deg, lon_deg : array_like
            Latitude and longitude. [degree]

        Returns
        -------
        numpy.ndarray
            Height [m] (float64, the broadcast shape); NaN outside the grid or in voids.
        """
        lat, lon = validate_latlon(lat_deg, lon_deg, f"{self.source} sample")
        return self._sample(lat, lon)

    def _sample(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """:meth:`elevation_m` without input checks (hot loop of the horizon march)."""
        n_lat, n_lon = self.shape
        row = (lat - self.lat0_deg) / self.dlat_deg
        col = (lon - self.lon0_deg) / self.dlon_deg
        eps = 1e-9
        inside = (row >= -eps) & (row <= n_lat - 1 + eps) & (col >= -eps) & (col <= n_lon - 1 + eps)
        i = np.clip(np.floor(row), 0, n_lat - 2).astype(np.intp)
        j = np.clip(np.floor(col), 0, n_lon - 2).astype(np.intp)
        fr = np.clip(row - i, 0.0, 1.0)
        fc = np.clip(col - j, 0.0, 1.0)
        z = self.elevation
        top = z[i, j] * (1.0 - fc) + z[i, j + 1] * fc
        bottom = z[i + 1, j] * (1.0 - fc) + z[i + 1, j + 1] * fc
        out = top * (1.0 - fr) + bottom * fr
        return np.where(inside, out, np.nan)


@dataclass(frozen=True)
class DEMGaps:
    """Points a DEM has no height for: outside its grid, or in a void.

    Attributes
    ----------
    missing : numpy.ndarray of bool, shape (n,)
        True where the DEM gives no height.
    outside : numpy.ndarray of bool, shape (n,)
        True where the point lies outside the DEM's grid (the rest of ``missing`` are voids).
    lat_deg, lon_deg : numpy.ndarray, shape (n,)
        The points. [degree]
    dem_bounds_deg : tuple of float
        (min_lon, min_lat, max_lon, max_lat) of the DEM's grid points. [degree]
    dem_source : str
    """

    missing: np.ndarray
    outside: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    dem_bounds_deg: tuple[float, float, float, float]
    dem_source: str

    @property
    def count(self) -> int:
        """Points without a height."""
        return int(self.missing.sum())

    @property
    def extent_deg(self) -> tuple[float, float, float, float] | None:
        """(min_lon, min_lat, max_lon, max_lat) of the points without a height, or None.
        [degree]"""
        if not self.missing.any():
            return None
        lat, lon = self.lat_deg[self.missing], self.lon_deg[self.missing]
        return (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))

    def describe(self, what: str = "cells") -> str:
        """``"1,234 of 5,678 cells at lon 90.02 E to 96.38 E, lat 40.10 N to 45.20 N
        (1,200 outside the DEM's lon 40.04 E to 89.96 E, lat 20.04 N to 55.96 N, 34 in
        voids)"``;
        empty when nothing is missing."""
        extent = self.extent_deg
        if extent is None:
            return ""
        outside, voids = int(self.outside.sum()), int((self.missing & ~self.outside).sum())
        why = (
            [f"{outside:,d} outside the DEM's {_box_text(self.dem_bounds_deg, 2)}"]
            if outside
            else []
        )
        why += [f"{voids:,d} in voids"] if voids else []
        return (
            f"{self.count:,d} of {self.missing.size:,d} {what} at {_box_text(extent, 2)} "
            f"({', '.join(why)})"
        )


def _box_text(box: tuple[float, float, float, float], digits: int = 0) -> str:
    """``lon 40 E to 90 E, lat 20 N to 56 N`` of (min_lon, min_lat, max_lon, max_lat)."""
    w, s, e, n = box

    def lon(value: float) -> str:
        return f"{abs(value):.{digits}f} {'E' if value >= 0 else 'W'}"

    def lat(value: float) -> str:
        return f"{abs(value):.{digits}f} {'N' if value >= 0 else 'S'}"

    return f"lon {lon(w)} to {lon(e)}, lat {lat(s)} to {lat(n)}"


def dem_gaps(dem: DEM, lat_deg, lon_deg) -> DEMGaps:
    """Which points ``dem`` has no height for (outside its grid, or voids).

    Parameters
    ----------
    dem : DEM
    lat_deg, lon_deg : array_like, shape (n,)
        Points, e.g. cell centres. [degree]

    Returns
    -------
    DEMGaps
        With :meth:`DEMGaps.describe` for warnings and errors.
    """
    lat, lon = validate_latlon(lat_deg, lon_deg, f"{dem.source} sample")
    lat, lon = np.ravel(lat), np.ravel(lon)
    missing = ~np.isfinite(dem._sample(lat, lon))
    w, s, e, n = dem.bounds_deg
    eps = 1e-9
    outside = (lon < w - eps) | (lon > e + eps) | (lat < s - eps) | (lat > n + eps)
    return DEMGaps(missing, outside & missing, lat, lon, dem.bounds_deg, dem.source)


def _check_heights(z: np.ndarray, source: str) -> None:
    """Refuse +-inf and heights outside :data:`HEIGHT_RANGE_M` (a missing nodata value
    or heights not in metres); NaN marks voids and is allowed."""
    low, high = HEIGHT_RANGE_M
    with np.errstate(invalid="ignore"):
        bad = ~((z >= low) & (z <= high)) & ~np.isnan(z)
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        raise DEMError(
            _message(
                f"{source} elevation[{row}, {col}]",
                f"heights in metres within {low:,.0f} .. {high:,.0f} m, NaN for voids",
                f"{float(z[row, col])!r} ({int(bad.sum()):,} such values)",
                "mark voids as nodata (gdal_translate -a_nodata -32768) or convert the "
                "heights to metres",
            )
        )


def load_dem(path=None, *, max_bytes: int = MAX_RASTER_BYTES) -> DEM:
    """Load an elevation model.

    Parameters
    ----------
    path : None, path, or sequence of paths
        ``None``: the bundled ITU-R P.1511-2 grid (5 arc-min, coarse: see
        :data:`BUNDLED_DEM_NOTE`).  A ``.npz`` with arrays ``elevation``, ``lat``,
        ``lon``; one or more SRTM ``.hgt`` / ``.hgt.zip`` tiles or a folder of them;
        or a GeoTIFF (``.tif``/``.tiff``; its nodata value and -32768, the SRTM void,
        become NaN).  Heights must be metres within :data:`HEIGHT_RANGE_M`.
    max_bytes : int
        Largest height array (and file) to make or read [byte]; default
        :data:`MAX_RASTER_BYTES` (4 GiB).  Checked from file names, sizes and headers
        before the array is allocated; raise it for a larger DEM.

    Raises
    ------
    DEMError
        With the file, what was expected and found, and the fix.
    """
    if path is None:
        with (
            resources.files(__package__).joinpath("data", "dem", BUNDLED_DEM_FILE).open("rb") as fh
        ):
            return _read_npz(fh, BUNDLED_DEM_SOURCE, BUNDLED_DEM_NOTE, max_bytes)
    if isinstance(path, (list, tuple)):
        return read_hgt(path, max_bytes=max_bytes)
    path = source_path(path, DEMError, "DEM")
    name = path.name.lower()
    if os.path.isdir(path) or name.endswith((".hgt", ".hgt.zip")):
        return read_hgt(path, max_bytes=max_bytes)
    if name.endswith((".tif", ".tiff")):
        from .geotiff import read_geotiff

        raster = read_geotiff(path, max_bytes=max_bytes)
        values = raster.values
        values[values == SRTM_VOID] = np.nan  # SRTM GeoTIFFs without a nodata tag
        return DEM.from_arrays(values, raster.lat_deg, raster.lon_deg, source=f"GeoTIFF {path}")
    if name.endswith(".npz"):
        path, _ = check_source(path, DEMError, "DEM .npz file", max_bytes)
        try:
            with open(path, "rb") as fh:
                return _read_npz(fh, f"{path}", "", max_bytes)
        except OSError as exc:
            raise DEMError(
                _message(str(path), "a readable .npz file", f"{exc}", "check the file")
            ) from None
    raise DEMError(
        _message(
            str(path),
            "a .hgt/.hgt.zip tile, a folder of tiles, a .tif or a .npz",
            f"suffix {path.suffix!r}",
            "convert the DEM to one of these formats",
        )
    )


_NPZ_ARRAYS = ("lat", "lon", "elevation")


def _npz_fail(source: str, found: str, fix: str = "save the arrays with numpy.savez") -> DEMError:
    return DEMError(_message(source, "a NumPy .npz archive", found, fix))


def _read_npz(fh, source: str, note: str, max_bytes: int) -> DEM:
    """A DEM from an ``.npz`` file object, checking every ``.npy`` header before reading
    (a forged shape cannot make us allocate, only ``max_bytes`` in all)."""
    head = fh.read(4)
    fh.seek(0)
    if head != b"PK\x03\x04":
        kind = "a single .npy array" if head == b"\x93NUM" else f"data starting {head!r}"
        raise _npz_fail(
            source,
            f"{kind}, not a zip archive",
            "save with np.savez(path, elevation=..., lat=..., lon=...)",
        )
    try:
        with zipfile.ZipFile(fh) as archive:
            members = {n.removesuffix(".npy"): n for n in archive.namelist()}
            missing = [k for k in _NPZ_ARRAYS if k not in members]
            if missing:
                raise DEMError(
                    _message(
                        source,
                        "arrays 'elevation', 'lat', 'lon'",
                        f"arrays {sorted(members)[:10]}",
                        "save with np.savez(path, elevation=..., lat=..., lon=...)",
                    )
                )
            budget = max_bytes
            arrays = {}
            for key in _NPZ_ARRAYS:
                arrays[key] = _read_npy_member(archive, members[key], source, budget)
                budget -= arrays[key].nbytes
    except DEMError:
        raise
    except RecursionError:
        raise _npz_fail(source, "a corrupt archive") from None
    except ZIP_ERRORS as exc:
        raise _npz_fail(source, f"{type(exc).__name__}: {exc}") from None
    return DEM.from_arrays(
        arrays["elevation"], arrays["lat"], arrays["lon"], source=source, note=note
    )


def _read_npy_member(archive: zipfile.ZipFile, member: str, source: str, max_bytes: int):
    """One array of an ``.npz``: header checked (numeric dtype, size within
    ``max_bytes`` and within the stored member), then exactly its bytes read."""
    where = f"{source} array {member!r}"
    info = archive.getinfo(member)
    with archive.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        if dtype.hasobject or dtype.kind not in "biuf":
            raise DEMError(
                _message(
                    where, "integer or float numbers", f"dtype {dtype}", "store heights as float32"
                )
            )
        if any(d < 0 for d in shape):
            raise DEMError(
                _message(where, "a shape of sizes >= 0", f"shape {shape}", "save it again")
            )
        count = int(np.prod(shape, dtype=object))
        nbytes = count * dtype.itemsize
        if nbytes > max_bytes:
            raise DEMError(
                _message(
                    where,
                    f"at most {human_bytes(max_bytes)} of heights",
                    f"shape {shape} of {dtype} ({human_bytes(nbytes)})",
                    "crop the DEM to the region, or raise the limit with max_bytes=",
                )
            )
        if nbytes > info.file_size:
            raise DEMError(
                _message(
                    where,
                    f"the {human_bytes(nbytes)} its header announces (shape {shape})",
                    f"a stored array of {human_bytes(info.file_size)}",
                    "the file is truncated or forged: save it again with numpy.savez",
                )
            )
        raw = fh.read(nbytes)
    if len(raw) != nbytes:
        raise DEMError(
            _message(where, f"{nbytes:,} bytes of data", f"{len(raw):,}", "save the file again")
        )
    return np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")


def read_hgt(paths, *, max_bytes: int = MAX_RASTER_BYTES) -> DEM:
    """Read SRTM ``.hgt`` tiles (1" or 3", big-endian int16) into one mosaic.

    Parameters
    ----------
    paths : path or sequence of paths
        Tiles (``N35E074.hgt`` or ``N35E074.hgt.zip``; the name gives the south-west
        corner) or a folder holding them.  Missing tiles inside the mosaic's extent
        and voids (-32768) become NaN.
    max_bytes : int
        Largest mosaic to allocate [byte] (float32, 4 bytes per point); default
        :data:`MAX_RASTER_BYTES` (4 GiB: 1" tiles over about 6 x 12 degrees).  The
        extent comes from the tile names and sizes, so tiles far apart are refused
        before anything is read or allocated.

    Raises
    ------
    DEMError
        Wrong file size, a bad tile name, mixed 1"/3" tiles, the same tile twice,
        a mosaic larger than ``max_bytes``, or no tiles.
    """
    heights, lat, lon, label = mosaic_hgt(paths, max_bytes)
    return DEM.from_arrays(heights, lat, lon, source=label)
