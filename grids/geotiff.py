"""A small GeoTIFF reader (single-band rasters in geographic lat/lon coordinates).

If the optional package ``tifffile`` is installed it decodes the pixels (all TIFF
compressions); otherwise a built-in reader handles baseline TIFF: strips or tiles,
uncompressed or Deflate, integer/float samples, horizontal predictor.  The georeference
comes from the GeoTIFF tags ModelPixelScale (33550) + ModelTiepoint (33922) or
ModelTransformation (34264) without rotation; GDAL_NODATA (42113) marks missing
values.  Projected rasters are refused: reproject to EPSG:4326 first (e.g.
``gdalwarp -t_srs EPSG:4326``).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import RasterError, _message

__all__ = ["Raster", "read_geotiff"]

_TYPES = {
    1: "B",
    2: "s",
    3: "H",
    4: "I",
    5: "II",
    6: "b",
    7: "B",
    8: "h",
    9: "i",
    10: "ii",
    11: "f",
    12: "d",
    16: "Q",
    17: "q",
}
_SAMPLE = {
    (1, 8): "u1",
    (1, 16): "u2",
    (1, 32): "u4",
    (2, 8): "i1",
    (2, 16): "i2",
    (2, 32): "i4",
    (3, 32): "f4",
    (3, 64): "f8",
}


@dataclass(frozen=True)
class Raster:
    """A single-band geographic raster.

    Attributes
    ----------
    values : numpy.ndarray, shape (n_rows, n_cols)
        Pixel values (float64, NaN where nodata).
    lat_deg : numpy.ndarray, shape (n_rows,)
        Latitude of each row's pixel centres. [degree]
    lon_deg : numpy.ndarray, shape (n_cols,)
        Longitude of each column's pixel centres. [degree]
    source : str
    """

    values: np.ndarray = field(repr=False)
    lat_deg: np.ndarray = field(repr=False)
    lon_deg: np.ndarray = field(repr=False)
    source: str


def _fail(path, expected, found, fix):
    raise RasterError(_message(str(path), expected, found, fix))


def _read_tags(raw: bytes, path) -> tuple[str, dict[int, tuple]]:
    if raw[:4] in (b"II*\x00", b"MM\x00*"):
        order = "<" if raw[:2] == b"II" else ">"
    elif raw[:4] in (b"II+\x00", b"MM\x00+"):
        _fail(path, "a classic TIFF", "a BigTIFF", "install the optional package tifffile")
    else:
        _fail(
            path,
            "a TIFF file (starting with II*\\0 or MM\\0*)",
            repr(raw[:4]),
            "pass a GeoTIFF raster",
        )
    (offset,) = struct.unpack(order + "I", raw[4:8])
    (count,) = struct.unpack(order + "H", raw[offset : offset + 2])
    tags = {}
    for k in range(count):
        entry = raw[offset + 2 + 12 * k : offset + 14 + 12 * k]
        tag, kind, n = struct.unpack(order + "HHI", entry[:8])
        fmt = _TYPES.get(kind)
        if fmt is None:
            continue
        size = struct.calcsize(order + fmt) * n if kind != 2 else n
        data = (
            entry[8 : 8 + size]
            if size <= 4
            else raw[struct.unpack(order + "I", entry[8:12])[0] :][:size]
        )
        if kind == 2:
            tags[tag] = (data.split(b"\x00")[0].decode("ascii", "replace"),)
        else:
            tags[tag] = struct.unpack(order + fmt * n, data)
    return order, tags


def _decode_builtin(raw: bytes, order: str, tags: dict, path) -> np.ndarray:
    width, height = tags[256][0], tags[257][0]
    if tags.get(277, (1,))[0] != 1:
        _fail(
            path,
            "a single-band raster",
            f"{tags[277][0]} samples per pixel",
            "extract one band (gdal_translate -b 1)",
        )
    bits, sample_format = tags.get(258, (8,))[0], tags.get(339, (1,))[0]
    dtype = _SAMPLE.get((sample_format, bits))
    if dtype is None:
        _fail(
            path,
            "8/16/32-bit integer or 32/64-bit float samples",
            f"format {sample_format} with {bits} bits",
            "convert with gdal_translate -ot Float32",
        )
    dtype = np.dtype(dtype).newbyteorder(order)
    compression, predictor = tags.get(259, (1,))[0], tags.get(317, (1,))[0]
    if compression not in (1, 8, 32946) or predictor not in (1, 2):
        _fail(
            path,
            "uncompressed or Deflate data without floating-point predictor",
            f"compression {compression}, predictor {predictor}",
            "install the optional package tifffile, or gdal_translate -co COMPRESS=DEFLATE",
        )

    def block(offset, count, rows, cols):
        data = raw[offset : offset + count]
        if compression != 1:
            data = zlib.decompress(data)
        out = np.frombuffer(data, dtype=dtype, count=rows * cols).reshape(rows, cols)
        if predictor == 2:
            out = np.cumsum(out, axis=1, dtype=out.dtype)
        return out

    image = np.empty((height, width), dtype=dtype)
    if 322 in tags:
        tw, th = tags[322][0], tags[323][0]
        across = -(-width // tw)
        for k, (offset, count) in enumerate(zip(tags[324], tags[325], strict=False)):
            r, c = divmod(k, across)
            tile = block(offset, count, th, tw)
            rows, cols = min(th, height - r * th), min(tw, width - c * tw)
            image[r * th : r * th + rows, c * tw : c * tw + cols] = tile[:rows, :cols]
    else:
        per_strip = tags.get(278, (height,))[0]
        for k, (offset, count) in enumerate(zip(tags[273], tags[279], strict=False)):
            rows = min(per_strip, height - k * per_strip)
            image[k * per_strip : k * per_strip + rows] = block(offset, count, rows, width)
    return image


def _georeference(tags: dict, shape, path) -> tuple[np.ndarray, np.ndarray]:
    height, width = shape
    if 34264 in tags:
        m = tags[34264]
        if m[1] != 0 or m[4] != 0:
            _fail(path, "a north-up raster", "a rotated ModelTransformation", "warp it north-up")
        sx, sy, x0, y0 = m[0], -m[5], m[3], m[7]
    elif 33550 in tags and 33922 in tags:
        sx, sy = tags[33550][:2]
        i, j, _, x, y, _ = tags[33922][:6]
        x0, y0 = x - i * sx, y + j * sy
    else:
        _fail(
            path,
            "GeoTIFF georeference tags (ModelPixelScale + ModelTiepoint, or ModelTransformation)",
            "none",
            "save the raster as a GeoTIFF in EPSG:4326 "
            "(gdal_translate -a_srs EPSG:4326 -a_ullr ...)",
        )
    keys = tags.get(34735, ())
    geokeys = {keys[k]: keys[k + 3] for k in range(4, len(keys) - 3, 4)}
    if 3072 in geokeys or geokeys.get(1024) == 1:
        _fail(
            path,
            "geographic lat/lon coordinates (EPSG:4326)",
            "a projected CRS",
            "reproject: gdalwarp -t_srs EPSG:4326",
        )
    half = 0.0 if geokeys.get(1025) == 2 else 0.5  # PixelIsPoint vs PixelIsArea
    lon = x0 + (np.arange(width) + half) * sx
    lat = y0 - (np.arange(height) + half) * sy
    if not (np.all(np.abs(lat) <= 90) and np.all(np.abs(lon) <= 180)):
        _fail(
            path,
            "pixel centres in degrees of lat/lon",
            f"lat {lat.min():g}..{lat.max():g}, lon {lon.min():g}..{lon.max():g}",
            "reproject: gdalwarp -t_srs EPSG:4326",
        )
    return lat, lon


def read_geotiff(path) -> Raster:
    """Read band 1 of a geographic GeoTIFF.

    Parameters
    ----------
    path : path
        GeoTIFF in EPSG:4326 (WorldPop, SRTM/Copernicus GeoTIFF tiles ...).

    Returns
    -------
    Raster

    Raises
    ------
    RasterError
        Not a TIFF, no georeference, a projected CRS, or an unsupported encoding.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        _fail(path, "an existing GeoTIFF", "no such file", "check the path")
    if len(raw) < 8:
        _fail(path, "a TIFF file", f"{len(raw)} bytes", "pass a GeoTIFF raster")
    order, tags = _read_tags(raw, path)
    try:
        import tifffile  # optional: every TIFF compression
    except ImportError:
        tifffile = None
    if tifffile is not None:
        values = np.asarray(tifffile.imread(path))
        if values.ndim != 2:
            _fail(
                path,
                "a single-band raster",
                f"an array of shape {values.shape}",
                "extract one band (gdal_translate -b 1)",
            )
    else:
        values = _decode_builtin(raw, order, tags, path)
    lat, lon = _georeference(tags, values.shape, path)
    values = values.astype(np.float64)
    if 42113 in tags:
        try:
            nodata = float(tags[42113][0])
        except ValueError:
            nodata = None
        if nodata is not None:
            values[values == nodata] = np.nan
    return Raster(values, lat, lon, f"GeoTIFF {path}")
