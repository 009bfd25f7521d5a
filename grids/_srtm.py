"""SRTM ``.hgt`` tiles (private): find, check and mosaic them, within a memory limit.

The mosaic's extent is planned from the tile names and file sizes (the zip directory
for ``.hgt.zip``) before any tile is decompressed or any array allocated, so tiles far
apart in one folder, a zip bomb or a device file named like a tile are refused at once.
:func:`hybridplan.grids.dem.read_hgt` wraps the result in a :class:`~.dem.DEM`.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._source import ZIP_ERRORS, check_source, human_bytes, read_source_bytes, source_path
from .errors import DEMError, _message

SRTM_VOID = -32768
_HGT_NAME = re.compile(r"^([NS])(\d{2})([EW])(\d{3})\.hgt$", re.IGNORECASE)
_HGT_SIZES = {1201: '3"', 3601: '1"'}


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
    corner = (
        int(lat) * (1 if ns.upper() == "N" else -1),
        int(lon) * (1 if ew.upper() == "E" else -1),
    )
    if not (-90 <= corner[0] < 90 and -180 <= corner[1] < 180):
        raise DEMError(
            _message(
                where,
                "a tile corner with latitude -90..89 and longitude -180..179",
                repr(name),
                "keep the original tile names",
            )
        )
    return corner


@dataclass(frozen=True)
class _Tile:
    """One SRTM tile found but not yet read: path, corner, side and zip member."""

    path: Path
    corner: tuple[int, int]
    n: int
    member: str | None = None


def _hgt_side(n_bytes: int, where: str) -> int:
    n = {2 * k * k: k for k in _HGT_SIZES}.get(n_bytes)
    if n is None:
        raise DEMError(
            _message(
                where,
                'an SRTM tile of 2,884,802 bytes (1201x1201 int16, 3") or 25,934,402 '
                'bytes (3601x3601, 1")',
                f"{n_bytes:,} bytes",
                "the file is truncated or not an SRTM .hgt: download the tile again",
            )
        )
    return n


def _find_tile(path) -> _Tile:
    """Name, size and zip member of a tile, from the file system and the zip's directory
    only (nothing is decompressed)."""
    path = source_path(path, DEMError, "SRTM tile")
    is_zip = path.name.lower().endswith(".zip")
    if not is_zip:
        corner = _hgt_corner(path.name, str(path))
    path, size = check_source(
        path, DEMError, "SRTM tile", (2**20 if is_zip else 0) + 2 * 3601 * 3601
    )
    if not is_zip:
        return _Tile(path, corner, _hgt_side(size, str(path)))
    try:
        with zipfile.ZipFile(path) as archive:
            members = [i for i in archive.infolist() if i.filename.lower().endswith(".hgt")]
    except ZIP_ERRORS as exc:
        raise DEMError(
            _message(
                str(path),
                "a zip archive holding one SRTM .hgt tile",
                f"{type(exc).__name__}: {exc}",
                "download the tile again",
            )
        ) from None
    if len(members) != 1:
        raise DEMError(
            _message(
                str(path),
                "a zip holding exactly one .hgt tile",
                f"{len(members)} .hgt members",
                "unzip and pass the tile",
            )
        )
    info = members[0]
    where = f"{path} member {info.filename!r}"
    corner = _hgt_corner(Path(info.filename).name, where)
    return _Tile(path, corner, _hgt_side(info.file_size, where), info.filename)


def _tile_heights(tile: _Tile) -> np.ndarray:
    """The heights of a tile (north-up, NaN voids), reading at most its nominal size."""
    expected = 2 * tile.n * tile.n
    where = str(tile.path) if tile.member is None else f"{tile.path} member {tile.member!r}"
    if tile.member is None:
        raw = read_source_bytes(tile.path, DEMError, "SRTM tile", expected)
    else:
        try:
            with zipfile.ZipFile(tile.path) as archive, archive.open(tile.member) as fh:
                raw = fh.read(expected + 1)  # a forged size cannot make us inflate more
        except ZIP_ERRORS as exc:
            raise DEMError(
                _message(
                    where,
                    "a readable SRTM tile",
                    f"{type(exc).__name__}: {exc}",
                    "download the tile again",
                )
            ) from None
    if len(raw) != expected:
        raise DEMError(
            _message(
                where,
                f"{expected:,} bytes of heights",
                f"{len(raw):,}{' or more' if len(raw) > expected else ''} bytes",
                "the tile is damaged or not an SRTM .hgt: download it again",
            )
        )
    heights = np.frombuffer(raw, dtype=">i2").reshape(tile.n, tile.n).astype(np.float32)
    heights[heights == SRTM_VOID] = np.nan
    return heights


def _tile_paths(paths) -> list:
    if isinstance(paths, (str, bytes, os.PathLike)):
        base = source_path(paths, DEMError, "SRTM tile")
        if not os.path.isdir(base):
            return [base]
        try:
            names = sorted(
                e.name for e in os.scandir(base) if e.name.lower().endswith((".hgt", ".hgt.zip"))
            )
        except OSError as exc:
            raise DEMError(
                _message(str(base), "a readable folder of tiles", f"{exc}", "check the path")
            ) from None
        return [base / n for n in names]
    try:
        return list(paths)
    except TypeError:
        raise DEMError(
            _message(
                "read_hgt",
                "a path, a folder or a list of paths",
                f"{type(paths).__name__}",
                "pass the tile paths",
            )
        ) from None


def mosaic_hgt(paths, max_bytes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Heights (float32, north-up, NaN voids), row latitudes, column longitudes [degree]
    and a source label of the tiles ``paths`` (see :func:`~.dem.read_hgt`)."""
    where = (
        f"read_hgt({os.fspath(paths)!r})" if isinstance(paths, (str, os.PathLike)) else "read_hgt"
    )
    paths = _tile_paths(paths)
    if not paths:
        raise DEMError(
            _message(
                where,
                "at least one .hgt tile",
                "none",
                "pass the tile paths or a folder with N..E...hgt files",
            )
        )
    tiles = [_find_tile(p) for p in paths]
    sizes = {t.n for t in tiles}
    if len(sizes) > 1:
        raise DEMError(
            _message(
                "read_hgt",
                "tiles of one resolution",
                f'both 1" and 3" tiles ({", ".join(str(t.path) for t in tiles[:6])})',
                "pass tiles of one resolution",
            )
        )
    seen: dict[tuple[int, int], Path] = {}
    for t in tiles:
        if t.corner in seen:
            raise DEMError(
                _message(
                    str(t.path),
                    "one file per tile",
                    f"the same tile as {seen[t.corner]}",
                    "remove one of the two (e.g. the .zip you already unpacked)",
                )
            )
        seen[t.corner] = t.path
    n = sizes.pop()
    south = min(t.corner[0] for t in tiles)
    north = max(t.corner[0] for t in tiles) + 1
    west = min(t.corner[1] for t in tiles)
    east = max(t.corner[1] for t in tiles) + 1
    step = n - 1
    shape = ((north - south) * step + 1, (east - west) * step + 1)
    nbytes = 4 * shape[0] * shape[1]
    if nbytes > max_bytes:
        slots = (north - south) * (east - west)
        raise DEMError(
            _message(
                f"read_hgt ({tiles[0].path.parent if len(tiles) > 1 else tiles[0].path})",
                f"a mosaic of at most {human_bytes(max_bytes)}",
                f"{len(tiles)} tile(s) spanning lat {south}..{north}, lon {west}..{east}: "
                f"{human_bytes(nbytes)} for {shape[0]:,} x {shape[1]:,} points, "
                f"{len(tiles)} of {slots:,} one-degree slots filled",
                "pass only the tiles around the region (tiles far apart make a huge, "
                "mostly empty mosaic), or raise the limit with max_bytes=",
            )
        )
    mosaic = np.full(shape, np.nan, dtype=np.float32)
    for tile in tiles:
        lat_sw, lon_sw = tile.corner
        r0 = (north - lat_sw - 1) * step
        c0 = (lon_sw - west) * step
        mosaic[r0 : r0 + n, c0 : c0 + n] = _tile_heights(tile)
    lat = north - np.arange(mosaic.shape[0]) / step
    lon = west + np.arange(mosaic.shape[1]) / step
    names = [t.path.name for t in tiles]
    label = f"SRTM {_HGT_SIZES[n]} tiles {', '.join(names[:4])}" + (
        f" and {len(names) - 4} more" if len(names) > 4 else ""
    )
    return mosaic, lat, lon, label
