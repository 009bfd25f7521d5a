"""The error family of :mod:`hybridplan.grids`.

Every error is a :class:`GridError`, which is a :class:`ValueError`, so callers can
catch broadly (``except ValueError``) or precisely (``except DEMError``).  Messages are
one line and say where (file, line or key), what was expected, what was found and how
to fix it; :func:`_message` builds them in that order so they read the same everywhere.
"""

from __future__ import annotations

from pathlib import Path

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


def read_utf8(path, error: type[GridError], kind: str) -> str:
    """The text of ``path``; a missing, unreadable or non-UTF-8 file raises ``error``
    naming the file and ``kind`` (e.g. ``"GeoJSON file"``)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(_message(str(path), f"an existing {kind}", "no such file",
                             "check the path")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(_message(str(path), f"a readable UTF-8 {kind}",
                             f"{type(exc).__name__}: {exc}", "save the file as UTF-8")) from None


class RasterError(DEMError, PopulationError):
    """A GeoTIFF raster (elevation or population) that cannot be read or located."""
