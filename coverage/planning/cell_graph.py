"""Neighbour edges of an H3 grid without a Python loop over the cells.

``network_plan.cell_graph`` asks H3 for the ring of every cell (``h3.grid_ring``), about
4 s for the 160,871 cells of Pakistan at res 7. Neighbouring H3 hexagons are the cells
whose centres are closest: on a hexagon grid the six neighbours sit at the centre spacing
``s`` and the next ring at ``sqrt(3) s`` or more. :func:`neighbour_pairs` takes the six
nearest centres from a k-d tree where they are all within 1.35 nearest distances, and
asks H3 for the ring of every other cell (the grid's edge, cells near a pentagon), so the
edge set is H3's exactly.
"""

from __future__ import annotations

import h3
import numpy as np

from .sphere import EARTH_RADIUS_KM, unit_vectors

NEIGHBOUR_CUT = 1.35
"""Cells closer than this many nearest distances are ring candidates (next ring: >= 1.6)."""


def _ring_edges(cells: list[str], index: dict[str, int], which) -> tuple[list, list]:
    ei, ej = [], []
    for i in which:
        for n in h3.grid_ring(cells[i], 1):
            j = index.get(n)
            if j is not None:
                ei.append(min(i, j))
                ej.append(max(i, j))
    return ei, ej


def _near_pentagons(cells: list[str], index: dict[str, int]) -> np.ndarray:
    """Indices of the cells within two rings of a pentagon of their resolution."""
    if not cells:
        return np.zeros(0, dtype=np.int64)
    out = set()
    for pentagon in h3.get_pentagons(h3.get_resolution(cells[0])):
        for c in h3.grid_disk(pentagon, 2):
            if c in index:
                out.add(index[c])
    return np.array(sorted(out), dtype=np.int64)


def neighbour_pairs(cells, lat_deg=None, lon_deg=None) -> tuple[np.ndarray, np.ndarray]:
    """``(i, j)`` with ``i < j`` for every pair of neighbouring cells (one resolution),
    sorted by ``i`` then ``j``: the edge set of ``h3.grid_ring(cell, 1)`` over the grid.

    ``lat_deg``, ``lon_deg``: the cells' centres [degree] if the caller has them (checked
    on a sample against H3; recomputed if they are not the centres).

    A cell whose nearest cell is a neighbour (asked of H3) and which has exactly six cells
    within :data:`NEIGHBOUR_CUT` times that distance has found its ring (a hexagon has six
    neighbours, the next ring is at least 1.6 spacings away); every other cell (the grid's edge, isolated cells, cells
    near a pentagon) gets its ring from H3.
    """
    from scipy.spatial import cKDTree

    cells = [str(c) for c in np.asarray(cells)]
    n = len(cells)
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    centres = _centres(cells, lat_deg, lon_deg)
    xyz = unit_vectors(centres[:, 0], centres[:, 1])
    k = min(8, n)
    dist, near = cKDTree(xyz).query(xyz, k=k)
    d1 = dist[:, 1]
    close = (dist[:, 1:] < NEIGHBOUR_CUT * d1[:, None]) & (near[:, 1:] < n)
    full = close.sum(axis=1) == 6
    # the nearest cell must be a neighbour, so that the cut scales with the true spacing
    # (six cells of the second ring around a lone cell look like a ring, 1.73 times larger)
    nearest = near[:, 1]
    full &= np.fromiter(
        (
            f and h3.are_neighbor_cells(cells[m], cells[q])
            for m, (f, q) in enumerate(zip(full, nearest, strict=True))
        ),
        dtype=bool,
        count=n,
    )
    index = {c: m for m, c in enumerate(cells)}
    full[_near_pentagons(cells, index)] = False
    rows = np.repeat(np.flatnonzero(full), 6)
    cols = near[:, 1:][full][close[full]].astype(np.int64)
    ri, rj = _ring_edges(cells, index, np.flatnonzero(~full).tolist())
    i = np.concatenate([np.minimum(rows, cols), np.asarray(ri, np.int64)])
    j = np.concatenate([np.maximum(rows, cols), np.asarray(rj, np.int64)])
    pair = np.sort(i * n + j)
    pair = pair[np.concatenate([[True], pair[1:] != pair[:-1]])] if pair.size else pair
    return pair // n, pair % n


def _centres(cells: list[str], lat_deg, lon_deg) -> np.ndarray:
    """``(n, 2)`` centres [degree]: the given ones if a sample matches H3's, else H3's."""
    if lat_deg is not None and lon_deg is not None:
        given = np.column_stack([np.asarray(lat_deg, float), np.asarray(lon_deg, float)])
        sample = np.linspace(0, len(cells) - 1, min(len(cells), 64)).astype(int)
        truth = np.array([h3.cell_to_latlng(cells[m]) for m in sample])
        if given.shape == (len(cells), 2) and np.allclose(given[sample], truth, atol=1e-7):
            return given
    return np.array([h3.cell_to_latlng(c) for c in cells], dtype=np.float64)


def cell_graph(cells, lat_deg, lon_deg, terrain_factor):
    """Drop-in for ``network_plan.cell_graph``: ``(i, j, km, weighted_km)``, ``i < j``.

    The same edges (:func:`neighbour_pairs`), sorted by ``(i, j)`` rather than in H3's
    ring order; ``km`` is the great-circle distance between ``lat_deg``/``lon_deg``
    [km] and ``weighted_km`` that times the mean terrain factor of the two cells.
    """
    ei, ej = neighbour_pairs(cells, lat_deg, lon_deg)
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    a = (
        np.sin((lat[ej] - lat[ei]) / 2) ** 2
        + np.cos(lat[ei]) * np.cos(lat[ej]) * np.sin((lon[ej] - lon[ei]) / 2) ** 2
    )
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    factor = np.asarray(terrain_factor, dtype=np.float64)
    return ei, ej, km, km * 0.5 * (factor[ei] + factor[ej])
