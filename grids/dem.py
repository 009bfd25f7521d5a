"""Digital elevation models on a regular latitude/longitude grid.

Readers: the bundled ITU-R P.1511-2 grid (``load_dem()``), SRTM ``.hgt`` tiles (1" and
3", plain or zipped, read with numpy), GeoTIFF (:mod:`.geotiff`), and arrays
(:meth:`DEM.from_arrays`, used by the tests for synthetic terrain).

The bundled grid has 5 arc-minute (~9 km) cells: it smooths the valleys away (Gilgit
town is ~1500 m, its cell says 2157 m; K2 8611 m -> 6033 m), so it **under-states the
valley walls and therefore the terrain horizons**.  Use SRTM tiles for terrain masking.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ._geo import EARTH_RADIUS_KM, validate_latlon
from .errors import DEMError, _message

__all__ = ["DEM", "load_dem", "read_hgt", "BUNDLED_DEM_NOTE"]

BUNDLED_DEM_FILE = "itur_p1511_topo_5arcmin_corridor.npz"
BUNDLED_DEM_SOURCE = (
    "ITU-R P.1511-2 topographic height, 1/12 deg (5 arc-min, ~9 km), via PyPI "
    "itur 0.4.0, cropped to lon 40-90 E, lat 20-56 N"
)
BUNDLED_DEM_NOTE = (
    "coarse 9 km grid: valley floors read too high and ridges too low, so "
    "horizon elevations are under-stated in valleys; use SRTM tiles for terrain masking"
)

SRTM_VOID = -32768
_HGT_NAME = re.compile(r"^([NS])(\d{2})([EW])(\d{3})\.hgt$", re.IGNORECASE)
_HGT_SIZES = {1201: '3"', 3601: '1"'}


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
        if z.ndim != 2 or z.shape != (lat.size, lon.size) or min(z.shape) < 2:
            raise DEMError(
                _message(
                    source,
                    "elevation of shape (len(lat), len(lon)), both >= 2",
                    f"elevation {z.shape}, lat {lat.shape}, lon {lon.shape}",
                    "pass one row per latitude and one column per longitude",
                )
            )
        validate_latlon(lat[:, None], lon[None, :], f"{source} grid")
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


def load_dem(path=None) -> DEM:
    """Load an elevation model.

    Parameters
    ----------
    path : None, path, or sequence of paths
        ``None``: the bundled ITU-R P.1511-2 grid (5 arc-min, coarse: see
        :data:`BUNDLED_DEM_NOTE`).  A ``.npz`` with arrays ``elevation``, ``lat``,
        ``lon``; one or more SRTM ``.hgt`` / ``.hgt.zip`` tiles or a folder of them;
        or a GeoTIFF (``.tif``/``.tiff``).

    Raises
    ------
    DEMError
    """
    if path is None:
        with (
            resources.files(__package__).joinpath("data", "dem", BUNDLED_DEM_FILE).open("rb") as fh
        ):
            return _read_npz(fh, BUNDLED_DEM_SOURCE, BUNDLED_DEM_NOTE)
    if isinstance(path, (list, tuple)):
        return read_hgt(path)
    path = Path(path)
    name = path.name.lower()
    if path.is_dir() or name.endswith((".hgt", ".hgt.zip")):
        return read_hgt(path)
    if name.endswith((".tif", ".tiff")):
        from .geotiff import read_geotiff

        raster = read_geotiff(path)
        return DEM.from_arrays(
            raster.values, raster.lat_deg, raster.lon_deg, source=f"GeoTIFF {path}"
        )
    if name.endswith(".npz"):
        try:
            with open(path, "rb") as fh:
                return _read_npz(fh, f"{path}", "")
        except FileNotFoundError:
            raise DEMError(
                _message(str(path), "an existing file", "no such file", "check the path")
            ) from None
    raise DEMError(
        _message(
            str(path),
            "a .hgt/.hgt.zip tile, a folder of tiles, a .tif or a .npz",
            f"suffix {path.suffix!r}",
            "convert the DEM to one of these formats",
        )
    )


def _read_npz(fh, source: str, note: str) -> DEM:
    try:
        with np.load(fh) as data:
            missing = {"elevation", "lat", "lon"} - set(data.files)
            if missing:
                raise DEMError(
                    _message(
                        source,
                        "arrays 'elevation', 'lat', 'lon'",
                        f"arrays {sorted(data.files)}",
                        "save with np.savez(path, elevation=..., lat=..., lon=...)",
                    )
                )
            return DEM.from_arrays(
                data["elevation"], data["lat"], data["lon"], source=source, note=note
            )
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        if isinstance(exc, DEMError):
            raise
        raise DEMError(
            _message(
                source,
                "a NumPy .npz archive",
                f"{type(exc).__name__}: {exc}",
                "save the arrays with numpy.savez",
            )
        ) from None


def _hgt_corner(name: str, where: str) -> tuple[int, int]:
    match = _HGT_NAME.match(name)
    if not match:
        raise DEMError(
            _message(
                where,
                "an SRTM tile name like N35E074.hgt (south-west corner)",
                repr(name),
                "keep the original tile names",
            )
        )
    ns, lat, ew, lon = match.groups()
    return (
        int(lat) * (1 if ns.upper() == "N" else -1),
        int(lon) * (1 if ew.upper() == "E" else -1),
    )


def _read_one_hgt(path: Path) -> tuple[tuple[int, int], np.ndarray]:
    """(south, west) corner and the height array (north-up, NaN voids) of one tile."""
    try:
        if path.name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist() if m.lower().endswith(".hgt")]
                if len(members) != 1:
                    raise DEMError(
                        _message(
                            str(path),
                            "a zip holding exactly one .hgt tile",
                            f"{len(members)} .hgt members",
                            "unzip and pass the tile",
                        )
                    )
                name = Path(members[0]).name
                raw = archive.read(members[0])
        else:
            name = path.name
            raw = path.read_bytes()
    except FileNotFoundError:
        raise DEMError(
            _message(str(path), "an existing SRTM tile", "no such file", "check the path")
        ) from None
    except (OSError, zipfile.BadZipFile) as exc:
        raise DEMError(
            _message(
                str(path),
                "a readable SRTM tile",
                f"{type(exc).__name__}: {exc}",
                "download the tile again",
            )
        ) from None
    corner = _hgt_corner(name, str(path))
    n = {2 * k * k: k for k in _HGT_SIZES}.get(len(raw))
    if n is None:
        raise DEMError(
            _message(
                str(path),
                'an SRTM tile of 2,884,802 bytes (1201x1201 int16, 3") or 25,934,402 '
                'bytes (3601x3601, 1")',
                f"{len(raw):,} bytes",
                "the file is truncated or not an SRTM .hgt: download the tile again",
            )
        )
    heights = np.frombuffer(raw, dtype=">i2").reshape(n, n).astype(np.float32)
    heights[heights == SRTM_VOID] = np.nan
    return corner, heights


def read_hgt(paths) -> DEM:
    """Read SRTM ``.hgt`` tiles (1" or 3", big-endian int16) into one mosaic.

    Parameters
    ----------
    paths : path or sequence of paths
        Tiles (``N35E074.hgt`` or ``N35E074.hgt.zip``; the name gives the south-west
        corner) or a folder holding them.  Missing tiles inside the mosaic's extent
        and voids (-32768) become NaN.

    Raises
    ------
    DEMError
        Wrong file size, a bad tile name, mixed 1"/3" tiles, or no tiles.
    """
    if isinstance(paths, (str, Path)):
        base = Path(paths)
        paths = (
            sorted(p for p in base.iterdir() if p.name.lower().endswith((".hgt", ".hgt.zip")))
            if base.is_dir()
            else [base]
        )
    paths = [Path(p) for p in paths]
    if not paths:
        raise DEMError(
            _message(
                "read_hgt",
                "at least one .hgt tile",
                "none",
                "pass the tile paths or a folder with N..E...hgt files",
            )
        )
    tiles = [_read_one_hgt(p) for p in paths]
    sizes = {t[1].shape[0] for t in tiles}
    if len(sizes) > 1:
        raise DEMError(
            _message(
                "read_hgt",
                "tiles of one resolution",
                f'both 1" and 3" tiles ({", ".join(map(str, paths))})',
                "pass tiles of one resolution",
            )
        )
    n = sizes.pop()
    south = min(c[0] for c, _ in tiles)
    north = max(c[0] for c, _ in tiles) + 1
    west = min(c[1] for c, _ in tiles)
    east = max(c[1] for c, _ in tiles) + 1
    step = n - 1
    mosaic = np.full(
        ((north - south) * step + 1, (east - west) * step + 1), np.nan, dtype=np.float32
    )
    for (lat_sw, lon_sw), heights in tiles:
        r0 = (north - lat_sw - 1) * step
        c0 = (lon_sw - west) * step
        mosaic[r0 : r0 + n, c0 : c0 + n] = heights
    lat = north - np.arange(mosaic.shape[0]) / step
    lon = west + np.arange(mosaic.shape[1]) / step
    label = f"SRTM {_HGT_SIZES[n]} tiles {', '.join(p.name for p in paths[:4])}" + (
        f" and {len(paths) - 4} more" if len(paths) > 4 else ""
    )
    return DEM.from_arrays(mosaic, lat, lon, source=label)
