"""The error family of :mod:`hybridplan.grids`.

Every error is a :class:`GridError`, which is a :class:`ValueError`, so callers can
catch broadly (``except ValueError``) or precisely (``except DEMError``).  Messages are
one line and say where (file, line or key), what was expected, what was found and how
to fix it; :func:`_message` builds them in that order so they read the same everywhere.

Inputs that are readable but probably wrong (a fibre network thousands of km from the
region, e.g. with latitude and longitude swapped) give a :class:`GridWarning`, a
:class:`UserWarning`, so ``warnings.simplefilter("error", GridWarning)`` makes them fatal.
"""

from __future__ import annotations

__all__ = [
    "GridError",
    "RegionError",
    "BoundaryFileError",
    "ResolutionError",
    "CoordinateError",
    "DEMError",
    "PopulationError",
    "NetworkError",
    "RasterError",
    "GridWarning",
    "NetworkPlacementWarning",
    "DEMGapWarning",
]


class GridError(ValueError):
    """Root of the errors raised by :mod:`hybridplan.grids`."""


class RegionError(GridError):
    """A region name that does not exist, or a region that cannot be used."""


class BoundaryFileError(GridError):
    """A boundary file (GeoJSON) that cannot be read or holds unusable polygons."""


class ResolutionError(GridError):
    """An H3 resolution outside 0..15 or not an integer."""


class CoordinateError(GridError):
    """A latitude or longitude that is not finite or outside its range."""


class DEMError(GridError):
    """An elevation model file (SRTM ``.hgt``, GeoTIFF, ``.npz``) that cannot be used."""


class PopulationError(GridError):
    """Population inputs (control totals, raster, points) that cannot be used."""


class NetworkError(GridError):
    """A fibre-network file (GeoJSON, KML, CSV) that cannot be used."""


def _message(where: str, expected: str, found: str, fix: str) -> str:
    """One-line error text: ``where: expected ...; found ...; fix``."""
    text = f"{where}: expected {expected}; found {found}; {fix}"
    return " ".join(text.split())


class GridWarning(UserWarning):
    """An input that can be used but is probably wrong; the text says why and the fix."""


class NetworkPlacementWarning(GridWarning):
    """Network routes or points far from the region (wrong file, swapped lat/lon)."""


class DEMGapWarning(GridWarning):
    """Cells the elevation model has no height for (outside it, or voids): planned with
    open sky and no microwave there; the text counts them and names their extent."""


def _json_kind(value) -> str:
    """The JSON name of a parsed value's type, for messages ("found a JSON array")."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number" if isinstance(value, (int, float)) else "value")


def read_utf8(path, error: type[GridError], kind: str, max_bytes: int | None = None) -> str:
    """The text of ``path``; a missing, unreadable, oversized, non-regular (device, FIFO)
    or non-UTF-8 file raises ``error`` naming the file and ``kind`` (e.g. ``"GeoJSON
    file"``).  A UTF-8 byte-order mark is accepted.  ``max_bytes`` defaults to
    :data:`hybridplan.grids._source.MAX_TEXT_BYTES` (256 MiB)."""
    from ._source import MAX_TEXT_BYTES, read_text

    return read_text(path, error, kind, MAX_TEXT_BYTES if max_bytes is None else max_bytes)


class RasterError(DEMError, PopulationError):
    """A GeoTIFF raster (elevation or population) that cannot be read or located."""
