"""The H3 cell grid of a region, as an ``xarray.Dataset`` with a ``cell`` dimension.

Membership rule (documented, tested): a cell belongs to the region when **its centre
lies inside the outline** (H3's own polygon-fill rule, ``h3.h3shape_to_cells``).
Border cells whose centre is outside are left out and those whose centre is inside
are kept, so the cells' total area matches the outline's geodesic area to within the
boundary's roughness (GB+AJK at resolution 7: 13,823 cells, 81,521 km2 against
81,465 km2 for the district union: +0.07 %).  A district in which no cell centre
falls (small units at coarse resolutions) still gets the cell that contains its
representative point, so no unit disappears from the grid.

Each cell's ``district`` and ``province`` come from the region part that contains its
centre (nearest part for the few centres that h3 and shapely place on different sides
of a shared border).
"""

from __future__ import annotations

import itertools
import numbers

import h3
import h3.api.basic_int as h3_int
import numpy as np
import shapely
import xarray as xr

from ._geo import AUTHALIC_RADIUS_KM, validate_latlon
from ._source import human_bytes
from .errors import GridError, ResolutionError, _message
from .regions import Region, _check_edges, load_region

__all__ = ["build_grid", "validate_resolution", "cells_dataset", "cell_centres", "MAX_CELLS"]

MAX_CELLS = 2_000_000
"""Largest grid :func:`build_grid` makes unless ``max_cells=`` says otherwise.

Building costs about :data:`BYTES_PER_CELL` of memory at its peak and ~20-50 us per
cell, so the default (~1.2 GB, under a minute or two) admits Pakistan at resolution 8
(~1.2 M cells) and refuses it at resolution 9 (~8.3 M cells, ~5 GB)."""

BYTES_PER_CELL = 620
"""Peak memory of :func:`build_grid` per cell, measured (Pakistan, res 8: 1,126,775
cells, +694 MB; res 7: 160,980 cells, +93 MB). [byte]"""

H3_BUFFER_BYTES_PER_BBOX_CELL = 32
"""h3's polygon fill allocates about this per cell of the polygon's bounding box
(measured: a 17 x 13 degree diagonal strip at res 10 took 4.8 GB for 114 k cells),
so regions whose box is much larger than their area are filled in pieces. [byte]"""

_H3_PIECE_BYTES = 256 * 2**20

H3_PIECE_BBOX_CELLS = 8192
"""Cells of the bounding box per piece when an outline of many vertices (over
:data:`H3_PIECE_MIN_VERTICES`) is filled: h3 tests each cell centre of a piece against
every edge of the piece, so pieces with a share of the edges fill faster (all Pakistan,
2,924 vertices, res 7: 1.14 s whole, 0.20 s in 7 x 7 pieces, the same cells). [1]"""

H3_PIECE_MIN_VERTICES = 256
"""Fewest outline vertices for which the fill is cut for speed (below, cutting costs
more than it saves). [1]"""

MEMBERSHIP_RULE = (
    "cell centre inside the region outline (h3 polygon fill); plus the cell "
    "containing the representative point of any district with no cell centre"
)


def validate_resolution(resolution) -> int:
    """Return ``resolution`` as an int after checking it is an integer in 0..15.

    Raises
    ------
    ResolutionError
        For booleans, non-integers and values outside 0..15 (h3 raises an empty message).
    """
    if isinstance(resolution, bool) or not isinstance(resolution, numbers.Integral):
        raise ResolutionError(
            _message(
                "resolution",
                "an integer H3 resolution 0..15",
                repr(resolution),
                "pass e.g. resolution=7 (~5 km2 cells)",
            )
        )
    if not 0 <= int(resolution) <= 15:
        raise ResolutionError(
            _message(
                "resolution",
                "an H3 resolution in 0..15",
                repr(resolution),
                "use 0 (coarsest, ~4.4 M km2) to 15 (finest, ~1 m2); 7 gives ~5 km2 cells",
            )
        )
    return int(resolution)


def cell_centres(cells) -> tuple[np.ndarray, np.ndarray]:
    """Centres of H3 cells (strings) as ``(lat_deg, lon_deg)`` float arrays [degree]."""
    latlon = np.array([h3.cell_to_latlng(c) for c in cells], dtype=float).reshape(-1, 2)
    return latlon[:, 0], latlon[:, 1]


def _centres_of_codes(codes) -> tuple[np.ndarray, np.ndarray]:
    """:func:`cell_centres` of 64-bit H3 indices (no string per cell). [degree]"""
    flat = itertools.chain.from_iterable(map(h3_int.cell_to_latlng, codes))
    latlon = np.fromiter(flat, dtype=float, count=2 * len(codes)).reshape(-1, 2)
    return latlon[:, 0], latlon[:, 1]


def cells_dataset(
    cells, district=None, province=None, attrs=None, *, centres=None, codes=None
) -> xr.Dataset:
    """A grid Dataset for given H3 cells: coordinate ``cell`` plus lat, lon, area_km2, labels.

    Parameters
    ----------
    cells : sequence of str
        H3 indexes (all of one resolution).
    district, province : sequence of str, optional
        Labels per cell (empty strings when omitted).
    attrs : dict, optional
        Global attributes to add.
    centres : tuple of numpy.ndarray, optional
        ``cell_centres(cells)`` when the caller has it already [degree].
    codes : list of int, optional
        The cells' 64-bit H3 indices when the caller has them (the areas are asked of
        H3 without a string per cell).
    """
    cells = [str(c) for c in cells]
    lat, lon = cell_centres(cells) if centres is None else centres
    if codes is None:
        area = np.array([h3.cell_area(c, unit="km^2") for c in cells], dtype=float)
    else:
        area_of = h3_int.cell_area
        area = np.fromiter((area_of(c, "km^2") for c in codes), dtype=float, count=len(codes))
    n = len(cells)
    district = np.array(list(district) if district is not None else [""] * n, dtype=str)
    province = np.array(list(province) if province is not None else [""] * n, dtype=str)
    ds = xr.Dataset(
        {
            "lat": (
                "cell",
                lat,
                {
                    "units": "degrees_north",
                    "long_name": "latitude of the cell centre",
                    "standard_name": "latitude",
                },
            ),
            "lon": (
                "cell",
                lon,
                {
                    "units": "degrees_east",
                    "long_name": "longitude of the cell centre",
                    "standard_name": "longitude",
                },
            ),
            "area_km2": ("cell", area, {"units": "km2", "long_name": "cell area (H3, spherical)"}),
            "district": (
                "cell",
                district,
                {"units": "1", "long_name": "district (ADM2) of the cell centre"},
            ),
            "province": (
                "cell",
                province,
                {"units": "1", "long_name": "province / first-level unit of the cell centre"},
            ),
        },
        coords={
            "cell": (
                "cell",
                np.array(cells, dtype=str),
                {"long_name": "H3 cell index", "units": "1"},
            )
        },
        attrs=dict(attrs or {}),
    )
    return ds


def _label_cells(region: Region, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Index of the region part containing each centre (nearest part if none; of the
    parts holding a point on a shared border, the first the parts' tree finds).

    Each part (prepared) tests the centres in its bounding box (``intersects_xy``, the
    ``intersects`` predicate without a point object per cell); the few centres in no
    part or in more than one are settled as before, by the parts' tree."""
    geoms = np.array([p.geometry for p in region.parts], dtype=object)
    owner = np.full(lat.size, -1, dtype=np.int64)
    count = np.zeros(lat.size, dtype=np.int64)
    for k, geometry in enumerate(geoms):
        west, south, east, north = geometry.bounds
        box = np.flatnonzero((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
        if not box.size:
            continue
        shapely.prepare(geometry)
        inside = box[shapely.intersects_xy(geometry, lon[box], lat[box])]
        count[inside] += 1
        owner[inside] = k
    rest = np.flatnonzero(count != 1)
    if rest.size:
        tree = shapely.STRtree(geoms)
        points = shapely.points(lon[rest], lat[rest])
        owner[rest] = -1
        pairs = tree.query(points, predicate="intersects")
        # first match wins for points on a shared border (reverse so the first is written last)
        owner[rest[pairs[0][::-1]]] = pairs[1][::-1]
        missing = np.flatnonzero(owner[rest] < 0)
        if missing.size:
            near = tree.query_nearest(points[missing], all_matches=False)
            owner[rest[missing[near[0]]]] = near[1]
    return owner


def _bbox_area_km2(bounds) -> float:
    """Area of a lon/lat box on the authalic sphere. [km2]"""
    west, south, east, north = bounds
    band = abs(np.sin(np.radians(north)) - np.sin(np.radians(south)))
    return float(AUTHALIC_RADIUS_KM**2 * np.radians(max(east - west, 0.0)) * band)


def _finest_fitting(area_km2: float, max_cells: int) -> int | None:
    """The finest H3 resolution whose expected cell count is within ``max_cells``."""
    fitting = [
        r for r in range(16) if area_km2 / h3.average_hexagon_area(r, unit="km^2") <= max_cells
    ]
    return max(fitting) if fitting else None


def _check_size(region: Region, resolution: int, max_cells: int) -> None:
    """Refuse a grid expected to exceed ``max_cells``, before anything is allocated."""
    if isinstance(max_cells, bool) or not isinstance(max_cells, numbers.Integral) or max_cells < 1:
        raise GridError(
            _message(
                "build_grid(max_cells=...)",
                "an integer >= 1",
                repr(max_cells),
                "pass e.g. 2_000_000",
            )
        )
    _check_edges(region.geometry, f"region {region.name!r}")
    area_km2 = region.area_km2
    if not np.isfinite(area_km2):
        raise GridError(
            _message(
                f"region {region.name!r}", "a finite area", repr(area_km2), "check the outline"
            )
        )
    cell_km2 = h3.average_hexagon_area(resolution, unit="km^2")
    expected = area_km2 / cell_km2
    if expected <= max_cells:
        return
    finest = _finest_fitting(area_km2, max_cells)
    fit = area_km2 / h3.average_hexagon_area(finest, unit="km^2") if finest is not None else 0
    choice = (
        f"choose a coarser resolution, {finest} or below (about {fit:,.0f} cells), or"
        if finest is not None
        else "choose"
    )
    raise GridError(
        _message(
            f"build_grid({region.name!r}, resolution={resolution})",
            f"at most {max_cells:,} cells (max_cells)",
            f"about {expected:,.0f} cells ({area_km2:,.0f} km2 / {cell_km2:.4g} km2 per cell; "
            f"~{human_bytes(expected * BYTES_PER_CELL)} to build)",
            f"{choice} a smaller region, or pass max_cells= if the memory is there",
        )
    )


def _fill(region: Region, resolution: int) -> set[int]:
    """H3 cells whose centre lies in the region, in pieces if h3's bounding-box buffer
    would be large (a long diagonal region) or the outline has many vertices (the fill's
    time): the pieces partition the outline in lon/lat, which is how h3 tests
    containment, so the union is the same set. The cells as 64-bit H3 indices."""
    geometry = region.geometry
    cell_km2 = h3.average_hexagon_area(resolution, unit="km^2")
    west, south, east, north = geometry.bounds
    bbox_cells = _bbox_area_km2(geometry.bounds) / cell_km2
    buffer = H3_BUFFER_BYTES_PER_BBOX_CELL * bbox_cells
    n = int(np.ceil(np.sqrt(buffer / _H3_PIECE_BYTES))) if buffer > _H3_PIECE_BYTES else 1
    if shapely.get_num_coordinates(geometry) > H3_PIECE_MIN_VERTICES:
        n = max(n, int(np.ceil(np.sqrt(bbox_cells / H3_PIECE_BBOX_CELLS))))
    # cut lines off round numbers, so no cell centre falls on one
    xs = np.linspace(west, east, n + 1)
    ys = np.linspace(south, north, n + 1)
    xs[1:-1] += 1.234567e-7
    ys[1:-1] += 1.234567e-7
    cells: set[int] = set()
    try:
        for i in range(n):
            for j in range(n):
                piece = (
                    geometry
                    if n == 1
                    else shapely.clip_by_rect(geometry, xs[i], ys[j], xs[i + 1], ys[j + 1])
                )
                if piece.is_empty:
                    continue
                for polygon in shapely.get_parts(piece):
                    if polygon.geom_type != "Polygon" or polygon.is_empty:
                        continue
                    shape = h3_int.geo_to_h3shape(polygon.__geo_interface__)
                    cells.update(h3_int.h3shape_to_cells(shape, resolution))
    except (h3.H3BaseException, MemoryError) as exc:
        raise GridError(
            _message(
                f"build_grid({region.name!r}, resolution={resolution})",
                "an outline h3 can fill with cells",
                f"h3 failed ({type(exc).__name__}{': ' if str(exc) else ''}{exc})",
                "use a region smaller than a hemisphere without edges along the poles",
            )
        ) from None
    return cells


def build_grid(region, resolution: int, *, max_cells: int = MAX_CELLS) -> xr.Dataset:
    """The H3 cells covering a region, with centre, area, district and province.

    Parameters
    ----------
    region : Region or str or sequence of str or path
        A :class:`Region`, or anything :func:`load_region` accepts.
    resolution : int
        H3 resolution 0..15 (7: ~5.2 km2 on average, ~5.9 km2 at 35 N).
    max_cells : int
        Largest grid to build (default :data:`MAX_CELLS`, 2,000,000: ~1.2 GB).  The
        expected count (geodesic area / mean cell area) is checked before any cell is
        made; the message names the finest resolution that fits.

    Returns
    -------
    xarray.Dataset
        Dimension ``cell`` (H3 index strings, sorted); variables ``lat``
        [degrees_north], ``lon`` [degrees_east] (cell centre), ``area_km2`` [km2],
        ``district``, ``province`` (str).  Attributes: ``region``, ``region_source``,
        ``h3_resolution``, ``cell_membership_rule``, ``region_area_km2`` (geodesic).

    Raises
    ------
    ResolutionError, RegionError, BoundaryFileError, GridError
    """
    resolution = validate_resolution(resolution)
    if not isinstance(region, Region):
        region = load_region(region)
    _check_size(region, resolution, max_cells)
    area_km2 = region.area_km2
    cells = _fill(region, resolution)
    # one resolution: every index has 15 hex digits, so the numbers sort as the strings
    ordered = sorted(cells)
    lat, lon = _centres_of_codes(ordered)
    owner = _label_cells(region, lat, lon) if ordered else np.zeros(0, dtype=np.int64)
    # districts with no cell centre keep one cell: the one holding their representative point
    extra_cells, extra_owner = [], []
    has_cell = np.zeros(len(region.parts), dtype=bool)
    has_cell[owner] = True
    for index in np.flatnonzero(~has_cell):
        point = region.parts[index].geometry.representative_point()
        lat_p, lon_p = validate_latlon(point.y, point.x, "representative point")
        cell = h3_int.latlng_to_cell(float(lat_p), float(lon_p), resolution)
        if cell not in cells:
            cells.add(cell)
            extra_cells.append(cell)
            extra_owner.append(index)
    centres = (lat, lon)
    if extra_cells:
        ordered = ordered + extra_cells
        owner = np.concatenate([owner, np.array(extra_owner, dtype=np.int64)])
        order = np.argsort(np.array(ordered, dtype=np.uint64), kind="stable")
        ordered = [ordered[i] for i in order]
        owner = owner[order]
        extra_lat, extra_lon = _centres_of_codes(extra_cells)
        centres = (np.append(lat, extra_lat)[order], np.append(lon, extra_lon)[order])
    district = [region.parts[i].district for i in owner]
    province = [region.parts[i].province for i in owner]
    return cells_dataset(
        [format(c, "x") for c in ordered],  # h3's own spelling (h3.int_to_str)
        district,
        province,
        centres=centres,
        codes=ordered,
        attrs={
            "region": region.name,
            "region_source": region.source,
            "region_area_km2": area_km2,
            "h3_resolution": resolution,
            "cell_membership_rule": MEMBERSHIP_RULE,
        },
    )
