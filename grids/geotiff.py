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

import numpy as np

from ._source import MAX_RASTER_BYTES, human_bytes, read_source_bytes, source_path
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


def _truncated(path, what: str, need: int, size: int):
    _fail(
        path,
        f"a complete TIFF ({what} needs bytes up to offset {need:,})",
        f"a file of {size:,} bytes",
        "the file is truncated or damaged: copy or export it again",
    )


def _read_tags(raw: bytes, path) -> tuple[str, dict[int, tuple]]:
    """Byte order and the tags of the first image file directory (IFD); every offset
    and count is checked against the file's length before it is followed."""
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
    size = len(raw)
    (offset,) = struct.unpack(order + "I", raw[4:8])
    if offset < 8 or offset + 2 > size:
        _truncated(path, "the image file directory", offset + 2, size)
    (count,) = struct.unpack(order + "H", raw[offset : offset + 2])
    if offset + 2 + 12 * count > size:
        _truncated(path, f"the directory of {count} tags", offset + 2 + 12 * count, size)
    tags = {}
    for k in range(count):
        entry = raw[offset + 2 + 12 * k : offset + 14 + 12 * k]
        tag, kind, n = struct.unpack(order + "HHI", entry[:8])
        fmt = _TYPES.get(kind)
        if fmt is None:
            continue
        item = struct.calcsize(order + fmt)
        nbytes = item * n
        if nbytes <= 4:
            data = entry[8 : 8 + nbytes]
        else:
            (start,) = struct.unpack(order + "I", entry[8:12])
            if start + nbytes > size:
                _truncated(path, f"tag {tag} ({n:,} values)", start + nbytes, size)
            data = raw[start : start + nbytes]
        if kind == 2:
            tags[tag] = (data.split(b"\x00")[0].decode("ascii", "replace"),)
        else:
            dtype = np.dtype(fmt[0].replace("s", "B")).newbyteorder(order)
            tags[tag] = tuple(np.frombuffer(data, dtype=dtype).tolist())
    return order, tags


def _int_tag(tags: dict, tag: int, name: str, path, default=None, low: int = 1) -> int:
    """A single positive integer tag (ImageWidth, RowsPerStrip ...)."""
    values = tags.get(tag, None if default is None else (default,))
    if not values:
        _fail(path, f"a TIFF with the tag {name} ({tag})", "none", "export the raster again")
    value = values[0]
    if not isinstance(value, int) or value < low:
        _fail(path, f"tag {name} ({tag}) >= {low}", repr(value), "export the raster again")
    return value


def _int_list(tags: dict, tag: int, name: str, path) -> tuple[int, ...]:
    """A list of integers >= 0 (strip or tile offsets and byte counts)."""
    values = tags.get(tag, ())
    if not all(isinstance(v, int) and v >= 0 for v in values):
        _fail(
            path,
            f"integers in the tag {name} ({tag})",
            f"{values[:4]!r:.60}",
            "export the raster again",
        )
    return values


def _image_layout(tags: dict, path, max_bytes: int) -> tuple[int, int]:
    """(width, height) after checking the result fits in ``max_bytes`` (float64)."""
    width = _int_tag(tags, 256, "ImageWidth", path)
    height = _int_tag(tags, 257, "ImageLength", path)
    nbytes = 8 * width * height
    if nbytes > max_bytes:
        _fail(
            path,
            f"a raster of at most {human_bytes(max_bytes)} as float64",
            f"{width:,} x {height:,} pixels ({human_bytes(nbytes)})",
            "crop it to the region (gdal_translate -projwin ...), or raise the limit "
            "with max_bytes=",
        )
    return width, height


def _blocks(tags: dict, path, width: int, height: int):
    """(offsets, byte counts, block rows, block cols, blocks across) of strips or tiles."""
    if 322 in tags or 323 in tags:
        tw = _int_tag(tags, 322, "TileWidth", path)
        th = _int_tag(tags, 323, "TileLength", path)
        across = -(-width // tw)
        n_blocks = across * -(-height // th)
        offsets = _int_list(tags, 324, "TileOffsets", path)
        counts = _int_list(tags, 325, "TileByteCounts", path)
        rows, cols = th, tw
    else:
        rows = min(_int_tag(tags, 278, "RowsPerStrip", path, default=height), height)
        cols, across = width, 1
        n_blocks = -(-height // rows)
        offsets = _int_list(tags, 273, "StripOffsets", path)
        counts = _int_list(tags, 279, "StripByteCounts", path)
    if len(offsets) != n_blocks or len(counts) != n_blocks:
        _fail(
            path,
            f"{n_blocks} data blocks (offsets and byte counts) for {width} x {height} pixels",
            f"{len(offsets)} offsets and {len(counts)} byte counts",
            "the file is truncated or damaged: export it again",
        )
    return offsets, counts, rows, cols, across


def _decode_builtin(raw: bytes, order: str, tags: dict, path, shape) -> np.ndarray:
    height, width = shape
    samples = _int_tag(tags, 277, "SamplesPerPixel", path, default=1)
    if samples != 1:
        _fail(
            path,
            "a single-band raster",
            f"{samples} samples per pixel",
            "extract one band (gdal_translate -b 1)",
        )
    bits = _int_tag(tags, 258, "BitsPerSample", path, default=8)
    sample_format = _int_tag(tags, 339, "SampleFormat", path, default=1)
    dtype = _SAMPLE.get((sample_format, bits))
    if dtype is None:
        _fail(
            path,
            "8/16/32-bit integer or 32/64-bit float samples",
            f"format {sample_format} with {bits} bits",
            "convert with gdal_translate -ot Float32",
        )
    dtype = np.dtype(dtype).newbyteorder(order)
    compression = _int_tag(tags, 259, "Compression", path, default=1)
    predictor = _int_tag(tags, 317, "Predictor", path, default=1)
    if compression not in (1, 8, 32946) or predictor not in (1, 2):
        _fail(
            path,
            "uncompressed or Deflate data without floating-point predictor",
            f"compression {compression}, predictor {predictor}",
            "install the optional package tifffile, or gdal_translate -co COMPRESS=DEFLATE",
        )
    offsets, counts, rows, cols, across = _blocks(tags, path, width, height)

    tiled = across > 1 or 322 in tags

    def block(k, offset, count, block_rows):
        if offset + count > len(raw):
            _truncated(path, f"data block {k}", offset + count, len(raw))
        data = raw[offset : offset + count]
        need = block_rows * cols * dtype.itemsize
        if compression != 1:
            try:  # at most `need` bytes: a Deflate bomb cannot inflate further
                data = zlib.decompressobj().decompress(data, need)
            except zlib.error as exc:
                _fail(path, f"Deflate data in block {k}", f"{exc}", "export the raster again")
        if len(data) < need:
            _fail(
                path,
                f"{need:,} bytes of pixels in block {k}",
                f"{len(data):,}",
                "the file is truncated or damaged: export it again",
            )
        out = np.frombuffer(data, dtype=dtype, count=block_rows * cols).reshape(block_rows, cols)
        if predictor == 2:
            out = np.cumsum(out, axis=1, dtype=out.dtype)
        return out

    image = np.empty((height, width), dtype=dtype)
    for k, (offset, count) in enumerate(zip(offsets, counts, strict=True)):
        r, c = divmod(k, across)
        n_rows, n_cols = min(rows, height - r * rows), min(cols, width - c * cols)
        tile = block(k, offset, count, rows if tiled else n_rows)
        image[r * rows : r * rows + n_rows, c * cols : c * cols + n_cols] = tile[:n_rows, :n_cols]
    return image


def _decode_tifffile(tifffile, path) -> np.ndarray:
    try:
        values = np.asarray(tifffile.imread(path))
    except Exception as exc:  # tifffile raises many types on damaged files
        _fail(
            path,
            "a TIFF that tifffile can decode",
            f"{type(exc).__name__}: {exc}",
            "export the raster again",
        )
    if values.ndim != 2:
        _fail(
            path,
            "a single-band raster",
            f"an array of shape {values.shape}",
            "extract one band (gdal_translate -b 1)",
        )
    return values


def _numbers(tags: dict, tag: int, count: int, name: str, path) -> tuple[float, ...]:
    values = tags[tag]
    if len(values) < count or not all(
        isinstance(v, (int, float)) and np.isfinite(v) for v in values[:count]
    ):
        _fail(
            path,
            f"{count} finite numbers in the GeoTIFF tag {name}",
            f"{values[:count]!r:.80}",
            "set the georeference again (gdal_translate -a_ullr ... -a_srs EPSG:4326)",
        )
    return tuple(float(v) for v in values[:count])


def _georeference(tags: dict, shape, path) -> tuple[np.ndarray, np.ndarray]:
    height, width = shape
    if 34264 in tags:
        m = _numbers(tags, 34264, 16, "ModelTransformation", path)
        if m[1] != 0 or m[4] != 0:
            _fail(path, "a north-up raster", "a rotated ModelTransformation", "warp it north-up")
        sx, sy, x0, y0 = m[0], -m[5], m[3], m[7]
    elif 33550 in tags and 33922 in tags:
        sx, sy = _numbers(tags, 33550, 2, "ModelPixelScale", path)
        i, j, _, x, y, _ = _numbers(tags, 33922, 6, "ModelTiepoint", path)
        x0, y0 = x - i * sx, y + j * sy
    else:
        _fail(
            path,
            "GeoTIFF georeference tags (ModelPixelScale + ModelTiepoint, or ModelTransformation)",
            "none",
            "save the raster as a GeoTIFF in EPSG:4326 "
            "(gdal_translate -a_srs EPSG:4326 -a_ullr ...)",
        )
    if sx <= 0 or sy == 0:
        _fail(
            path,
            "a pixel size > 0 in longitude and non-zero in latitude",
            f"{sx:g} x {sy:g} degrees",
            "set the georeference again (gdal_translate -a_ullr ... -a_srs EPSG:4326)",
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


def read_geotiff(path, *, max_bytes: int = MAX_RASTER_BYTES) -> Raster:
    """Read band 1 of a geographic GeoTIFF.

    Parameters
    ----------
    path : path
        GeoTIFF in EPSG:4326 (WorldPop, SRTM/Copernicus GeoTIFF tiles ...).
    max_bytes : int
        Largest file, and largest decoded raster as float64 (8 bytes per pixel),
        accepted [byte]; default :data:`MAX_RASTER_BYTES` (4 GiB).  Checked from the
        header before any pixel is decoded.

    Returns
    -------
    Raster

    Raises
    ------
    RasterError
        Not a TIFF, truncated, no georeference, a projected CRS, an unsupported
        encoding, a raster larger than ``max_bytes``, or +-inf pixel values.
    """
    path = source_path(path, RasterError, "GeoTIFF")
    raw = read_source_bytes(path, RasterError, "GeoTIFF", max_bytes)
    if len(raw) < 8:
        _fail(path, "a TIFF file", f"{len(raw)} bytes", "pass a GeoTIFF raster")
    order, tags = _read_tags(raw, path)
    width, height = _image_layout(tags, path, max_bytes)
    try:
        import tifffile  # optional: every TIFF compression
    except ImportError:
        tifffile = None
    if tifffile is not None:
        values = _decode_tifffile(tifffile, path)
    else:
        values = _decode_builtin(raw, order, tags, path, (height, width))
    del raw
    lat, lon = _georeference(tags, values.shape, path)
    values = values.astype(np.float64)
    if tags.get(42113):
        try:
            nodata = float(tags[42113][0])
        except (TypeError, ValueError):
            nodata = None
        if nodata is not None:
            values[values == nodata] = np.nan
    infinite = np.isinf(values)
    if infinite.any():
        row, col = (int(v) for v in np.argwhere(infinite)[0])
        _fail(
            f"{path} pixel [{row}, {col}]",
            "finite values (NaN or the nodata value for missing data)",
            f"{float(values[row, col])!r} ({int(infinite.sum()):,} such pixels)",
            "set the nodata value (gdal_translate -a_nodata ...) or fix the pixels",
        )
    return Raster(values, lat, lon, f"GeoTIFF {path}")
