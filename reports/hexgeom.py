"""H3 hexagons as plane polygons in (longitude, latitude) degrees, and coarsening.

``h3.cell_to_boundary`` returns ``(lat, lng)`` pairs; this module is the one edge where
they become GeoJSON's ``(lng, lat)`` order, so every caller downstream sees x = longitude.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain, repeat

import h3
import numpy as np


def boundary_lnglat(cell: str) -> np.ndarray:
    """Closed exterior ring of an H3 cell, shape ``(n + 1, 2)``, columns (lng, lat) [deg].

    The ring is counter-clockwise (RFC 7946 exterior rings) and its last vertex repeats
    the first. Cells crossing the antimeridian are not handled (not in our regions).
    """
    ring = np.asarray(h3.cell_to_boundary(cell), dtype=np.float64)[:, ::-1]
    ring = np.vstack([ring, ring[:1]])
    if _signed_area(ring) < 0:
        ring = ring[::-1]
    return ring


def _signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


def rings_lnglat(cells: Sequence[str]) -> list[np.ndarray]:
    """:func:`boundary_lnglat` for each cell (the same arrays, built per ring size)."""
    out: list[np.ndarray] = [np.zeros((0, 2))] * len(cells)
    for idx, rings in ring_groups(cells):
        for k, ring in zip(idx.tolist(), rings, strict=True):
            out[k] = ring
    return out


def ring_groups(cells: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The rings of :func:`boundary_lnglat` grouped by size: ``[(index, rings), ...]``
    with ``rings`` of shape ``(len(index), n + 1, 2)`` (hexagons, pentagons and cells
    with distortion vertices each in one array, so the work is per group, not per cell)."""
    bounds = list(map(h3.cell_to_boundary, cells))
    sizes = np.fromiter(map(len, bounds), dtype=np.int64, count=len(bounds))
    groups = []
    for size in np.unique(sizes).tolist():
        idx = np.flatnonzero(sizes == size)
        members = [bounds[i] for i in idx.tolist()] if len(idx) < len(bounds) else bounds
        flat = chain.from_iterable(chain.from_iterable(members))  # lat, lng, lat, ...
        ring = np.fromiter(flat, np.float64, count=2 * size * len(idx))
        ring = ring.reshape(len(idx), size, 2)[:, :, ::-1]
        ring = np.concatenate([ring, ring[:, :1]], axis=1)
        x, y = ring[:, :, 0], ring[:, :, 1]
        area = 0.5 * np.sum(x[:, :-1] * y[:, 1:] - x[:, 1:] * y[:, :-1], axis=1)
        ring[area < 0] = ring[area < 0][:, ::-1]
        groups.append((idx, ring))
    return groups


def concatenated_rings(rings: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Rings joined into x and y arrays with NaN between them (one SVG path per trace).

    float32 (about 1 m at these longitudes) halves the report size: Plotly sends numpy
    arrays as typed arrays, and plotly.js treats NaN as a gap, like ``None``.
    """
    if not rings:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    gap = np.full((1, 2), np.nan)
    parts = []
    for ring in rings:
        parts.extend([ring, gap])
    xy = np.vstack(parts[:-1]).astype(np.float32)
    return xy[:, 0], xy[:, 1]


def resolution_of(cells: Sequence[str], *, codes: np.ndarray | None = None) -> int:
    """The H3 resolution shared by ``cells``; mixed resolutions are refused.

    Read from the resolution field of the 64-bit indices when every cell is in H3's
    cell mode and the first is a valid cell (as :func:`_parent_codes` trusts them), else
    ``h3.get_resolution`` of each cell (which names an invalid one). ``codes``: the
    cells' indices (:func:`cell_codes`) when the caller has them."""
    if codes is None:
        codes = cell_codes(cells) if len(cells) else None
    if codes is not None and ((codes & _MODE_MASK) == _CELL_MODE).all():
        if h3.is_valid_cell(str(cells[0])):
            resolutions = set(np.unique((codes & _RES_MASK) >> _RES_SHIFT).tolist())
            if len(resolutions) != 1:
                raise ValueError(f"cells must share one H3 resolution; found {sorted(resolutions)}")
            return int(resolutions.pop())
    resolutions = {h3.get_resolution(c) for c in cells}
    if len(resolutions) != 1:
        raise ValueError(f"cells must share one H3 resolution; found {sorted(resolutions)}")
    return resolutions.pop()


def parents(
    cells: Sequence[str], resolution: int, *, codes: np.ndarray | None = None
) -> np.ndarray:
    """Parent cell of each cell at a coarser ``resolution`` (object array of str);
    ``codes``: the cells' indices (:func:`cell_codes`) when the caller has them."""
    codes = _parent_codes(cells, resolution, codes)
    if codes is None:  # not all finer than ``resolution``: H3 says what is wrong
        return np.asarray([h3.cell_to_parent(c, resolution) for c in cells], dtype=object)
    uniq, inverse = np.unique(codes, return_inverse=True)
    names = np.array([format(int(x), "x") for x in uniq], dtype=object)
    return names[inverse.reshape(-1)]


#: Bits of the H3 index (H3 v4 "Index bit layout"): resolution at 52-55, then fifteen
#: 3-bit digits, resolution 1 highest; digits below the cell's resolution are all 7.
_RES_SHIFT = np.uint64(52)
_RES_MASK = np.uint64(0xF) << _RES_SHIFT
#: The reserved high bit and the mode (bits 59-62): 0 and 1 (a cell) for every H3 cell.
_MODE_MASK = np.uint64(0x1F) << np.uint64(59)
_CELL_MODE = np.uint64(1) << np.uint64(59)


def _parent_codes(cells: Sequence[str], resolution: int, codes=None) -> np.ndarray | None:
    """``h3.cell_to_parent`` on the 64-bit indices of ``cells`` (uint64; ``codes``: those
    indices, if the caller has them), or ``None`` when a cell is not a valid cell of
    resolution >= ``resolution``. The parent of a cell is the same index with the
    resolution field set to ``resolution`` and the digits finer than it set to 7."""
    if not 0 <= int(resolution) <= 15:
        return None
    codes = cell_codes(cells) if codes is None else codes
    if codes is None:
        return None
    own = (codes & _RES_MASK) >> _RES_SHIFT
    if codes.size and (own.min() < resolution or not h3.is_valid_cell(str(cells[0]))):
        return None
    unused = np.uint64((1 << (3 * (15 - int(resolution)))) - 1)
    return (codes & ~_RES_MASK) | (np.uint64(resolution) << _RES_SHIFT) | unused


def cell_codes(cells: Sequence[str]) -> np.ndarray | None:
    """The 64-bit H3 indices of ``cells`` (hexadecimal strings), or ``None``: read once
    and passed to :func:`resolution_of`, :func:`auto_overview_resolution`,
    :func:`parents` and :func:`aggregate` (each would read them again)."""
    try:
        return np.fromiter(map(int, cells, repeat(16)), dtype=np.uint64, count=len(cells))
    except (TypeError, ValueError, OverflowError):
        return None


def auto_overview_resolution(
    cells: Sequence[str], max_hexagons: int = 3000, *, codes: np.ndarray | None = None
) -> int:
    """The finest resolution at which ``cells`` make at most ``max_hexagons`` parents.

    Returns the cells' own resolution when they are already few enough.
    """
    if not len(cells):
        return 0
    codes = cell_codes(cells) if codes is None else codes
    own = resolution_of(cells, codes=codes)
    if len(cells) <= max_hexagons:
        return own
    for res in range(own - 1, 0, -1):
        up = _parent_codes(cells, res, codes)
        n = len(set(parents(cells, res))) if up is None else np.unique(up).size
        if n <= max_hexagons:
            return res
    return 0


def aggregate(
    cells: Sequence[str],
    values: np.ndarray,
    weights: np.ndarray,
    resolution: int,
    how: str,
    *,
    codes: np.ndarray | None = None,
) -> tuple[list[str], np.ndarray]:
    """Aggregate per-cell values to parent cells at ``resolution``.

    Parameters
    ----------
    cells : sequence of str
        H3 cells of one resolution, finer than or equal to ``resolution``.
    values : ndarray, shape (n,)
        Values per cell; NaN is missing and does not count.
    weights : ndarray, shape (n,)
        Weights per cell (for example area [km2]); used by ``"mean"`` and ``"mode"``.
    resolution : int
        Target H3 resolution.
    how : {"mean", "sum", "max", "mode"}
        Weighted mean, plain sum, maximum, or weighted majority (categorical codes).
    codes : numpy.ndarray of uint64, optional
        The cells' indices (:func:`cell_codes`) when the caller has them.

    Returns
    -------
    parent_cells : list of str
        Sorted parent cell ids.
    aggregated : ndarray of float, shape (len(parent_cells),)
        NaN where no child had a value.
    """
    if how not in ("mean", "sum", "max", "mode"):
        raise ValueError(f"how must be one of 'mean', 'sum', 'max', 'mode'; found {how!r}")
    par = parents(cells, resolution, codes=codes)
    uniq, inverse = np.unique(par.astype(str), return_inverse=True)
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    ok = np.isfinite(values) & np.isfinite(weights)
    n = len(uniq)
    count = np.bincount(inverse[ok], minlength=n)
    if how == "mean":
        wsum = np.bincount(inverse[ok], weights[ok], minlength=n)
        vsum = np.bincount(inverse[ok], weights[ok] * values[ok], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(wsum > 0, vsum / np.where(wsum > 0, wsum, 1.0), np.nan)
    elif how == "sum":
        out = np.bincount(inverse[ok], values[ok], minlength=n).astype(np.float64)
    elif how == "max":
        out = np.full(n, -np.inf)
        np.maximum.at(out, inverse[ok], values[ok])
    else:
        codes, code_idx = np.unique(values[ok], return_inverse=True)
        table = np.zeros((n, max(len(codes), 1)))
        np.add.at(table, (inverse[ok], code_idx), weights[ok])
        out = codes[np.argmax(table, axis=1)] if len(codes) else np.full(n, np.nan)
        out = np.asarray(out, dtype=np.float64)
    out = np.where(count > 0, out, np.nan)
    return [str(u) for u in uniq], out
