"""A bounding-sphere tree over the cells, so whole blocks of cells are decided at once.

The engine asks, per satellite and step, "which cells see it?". Neighbouring cells
nearly always answer alike, so the cells are sorted into a binary tree (median splits
along the widest axis of their 3-D positions) and each node keeps what is needed to
bound the answer for all of its cells from one computation at its centre:

- ``radius_km``: the largest distance from the node centre to a member cell (3-D, so
  terrain heights are included);
- ``up`` and ``up_spread_rad``: the mean local vertical and the largest angle between
  it and a member cell's vertical;
- ``max_horizon_rad``: the highest terrain horizon of any member cell in any azimuth.

The bounds themselves live in :mod:`hybridplan.coverage.kernel`. Every node covers a
contiguous range ``[lo, hi)`` of the reordered cells, and nodes are stored in pre-order
(a parent before its children), so a top-down pass is a plain loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .geometry import GSO_RADIUS_KM, enu_basis, geodetic_to_ecef_km

#: Columns of :attr:`CellTree.cell_data`.
CELL_COLUMNS = (
    "x",
    "y",
    "z",
    "up_x",
    "up_y",
    "up_z",
    "east_x",
    "east_y",
    "east_z",
    "north_x",
    "north_y",
    "north_z",
    "max_sin_horizon",
)
#: Columns of :attr:`CellTree.node_data`.
NODE_COLUMNS = (
    "x",
    "y",
    "z",
    "radius_km",
    "up_x",
    "up_y",
    "up_z",
    "up_spread_rad",
    "max_horizon_rad",
    "centre_norm_km",
    "cos_up_spread",
    "sin_up_spread",
    "sin_max_horizon",
    "cos_max_horizon",
    "sin_gso_parallax",
    "cos_gso_parallax",
    "east_x",
    "east_y",
    "east_z",
    "north_x",
    "north_y",
    "north_z",
    "box_east_lo",
    "box_east_hi",
    "box_north_lo",
    "box_north_hi",
    "box_up_lo",
    "box_up_hi",
)
#: Columns of :attr:`CellTree.node_links`.
LINK_COLUMNS = ("lo", "hi", "left", "right", "parent")

NO_HORIZON_RAD = -0.5 * np.pi


@dataclass(frozen=True, eq=False)
class CellTree:
    """Cells reordered along a bounding-sphere tree, with per-cell and per-node arrays.

    Attributes
    ----------
    order : numpy.ndarray
        ``(n_cells,)`` int64: tree position -> index of the cell in the input.
    cell_data : numpy.ndarray
        ``(n_cells, 13)`` float64, columns :data:`CELL_COLUMNS` (ECEF position [km],
        up, east, north unit vectors, sine of the highest horizon of the cell).
    sin_horizon : numpy.ndarray
        ``(n_cells, n_azimuth)`` float64: sine of the terrain horizon per azimuth sector;
        one column of -1 when terrain is off.
    node_data : numpy.ndarray
        ``(n_nodes, 28)`` float64, columns :data:`NODE_COLUMNS`; the GSO parallax is
        ``asin(radius / (R_GSO - |centre|))``, the largest angle by which the direction
        to a point of the geostationary ring changes between the centre and a member;
        ``box_*`` bound the members' offsets from the centre [km] along the node's own
        east, north and up unit vectors (the up is the members' mean vertical).
    node_links : numpy.ndarray
        ``(n_nodes, 5)`` int64, columns :data:`LINK_COLUMNS` (-1: none).
    depth : int
        Longest root-to-leaf path (number of nodes).
    """

    order: np.ndarray
    cell_data: np.ndarray
    sin_horizon: np.ndarray
    node_data: np.ndarray
    node_links: np.ndarray
    depth: int

    @property
    def n_cells(self) -> int:
        return len(self.order)

    @property
    def n_nodes(self) -> int:
        return len(self.node_data)

    def positions(self) -> np.ndarray:
        """``(n_cells,)`` int64: index of the cell in the input -> tree position (the
        inverse of ``order``)."""
        positions = np.empty_like(self.order)
        positions[self.order] = np.arange(self.n_cells)
        return positions

    @property
    def n_azimuth(self) -> int:
        return self.sin_horizon.shape[1]


def build_cell_tree(
    lat_deg: np.ndarray,
    lon_deg: np.ndarray,
    height_km: np.ndarray,
    horizon_deg: np.ndarray | None = None,
    leaf_size: int = 8,
) -> CellTree:
    """Build the tree of cell centres.

    Parameters
    ----------
    lat_deg, lon_deg : numpy.ndarray
        ``(n_cells,)`` geodetic latitude and longitude of the cell centres [degree].
    height_km : numpy.ndarray
        ``(n_cells,)`` height of the observer above the ellipsoid [km] (terrain plus
        antenna).
    horizon_deg : numpy.ndarray, optional
        ``(n_cells, n_azimuth)`` terrain horizon elevation per azimuth sector [degree];
        sector ``k`` covers azimuths ``[k, k + 1) * 360 / n_azimuth`` clockwise from
        north. ``None``: open sky everywhere.
    leaf_size : int
        Largest number of cells in a leaf.
    """
    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    n = lat.size
    positions = geodetic_to_ecef_km(lat, lon, np.broadcast_to(height_km, lat.shape))
    east, north, up = enu_basis(lat, lon)
    if horizon_deg is None:
        horizon_rad = np.full((n, 1), NO_HORIZON_RAD)
    else:
        horizon_rad = np.radians(np.asarray(horizon_deg, dtype=np.float64).reshape(n, -1))
    max_horizon = horizon_rad.max(axis=1) if n else np.zeros(0)

    if n == 0:
        raise ValueError("the grid has no cells")
    order_array, links, depth = _partition(positions, leaf_size)
    pos, ups, top = positions[order_array], up[order_array], max_horizon[order_array]
    node_data = _node_statistics(pos, ups, top, links[:, 0], links[:, 1])
    cell_data = np.column_stack([pos, ups, east[order_array], north[order_array], np.sin(top)])
    return CellTree(
        order_array,
        np.ascontiguousarray(cell_data),
        np.ascontiguousarray(np.sin(horizon_rad[order_array])),
        node_data,
        links,
        depth,
    )


def _partition(positions: np.ndarray, leaf_size: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Median splits along the widest axis; returns the cell order, the node links and
    the tree's depth (nodes on the longest root-to-leaf path).

    Nodes are numbered in pre-order; ``links`` rows are ``lo, hi, left, right, parent``.
    A node of more than
    ``leaf_size`` cells puts its ``n // 2`` cells of smallest coordinate along the axis
    of its widest extent (the first such axis on a tie) in its left child and the rest
    in its right child (:func:`_split_tree`, compiled; ties in any order).
    """
    n = len(positions)
    order = np.arange(n, dtype=np.int64)
    links = np.empty((max(2 * n, 1), 5), dtype=np.int64)
    n_nodes, depth = _split_tree(
        np.ascontiguousarray(positions, dtype=np.float64), order, links, max(int(leaf_size), 1)
    )
    return order, links[:n_nodes].copy(), depth


@njit(cache=True, nogil=True)
def _split_tree(positions, order, links, leaf_size):  # pragma: no cover - compiled
    n = order.size
    # lo, hi, parent, side, depth of the nodes to visit; a split halves the cells, so
    # the stack never holds more than log2(n) + 2 of them
    stack = np.empty((66, 5), dtype=np.int64)
    stack[0, 0], stack[0, 1], stack[0, 2], stack[0, 3], stack[0, 4] = 0, n, -1, -1, 0
    top = 1
    n_nodes = 0
    deepest = 0
    while top > 0:
        top -= 1
        lo, hi, parent, side = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
        depth = stack[top, 4]
        index = n_nodes
        n_nodes += 1
        links[index, 0], links[index, 1] = lo, hi
        links[index, 2], links[index, 3], links[index, 4] = -1, -1, parent
        deepest = max(deepest, depth)
        if parent >= 0:
            links[parent, 2 + side] = index
        if hi - lo <= leaf_size:
            continue
        axis = 0
        widest = -1.0
        for a in range(3):
            low = positions[order[lo], a]
            high = low
            for i in range(lo + 1, hi):
                v = positions[order[i], a]
                if v < low:
                    low = v
                if v > high:
                    high = v
            if high - low > widest:
                widest = high - low
                axis = a
        half = (hi - lo) // 2
        _select(positions, axis, order, lo, hi, lo + half)
        # right pushed first so that the left subtree is numbered (and laid out) first
        stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = lo + half, hi, index, 1
        stack[top + 1, 0], stack[top + 1, 1] = lo, lo + half
        stack[top + 1, 2], stack[top + 1, 3] = index, 0
        stack[top, 4] = stack[top + 1, 4] = depth + 1
        top += 2
    return n_nodes, deepest + 1


@njit(cache=True, nogil=True, inline="always")
def _select(positions, axis, order, lo, hi, k):  # pragma: no cover - compiled
    """Reorder ``order[lo:hi]`` so that the cells before ``k`` have coordinates <= the
    one at ``k`` <= those after it (Hoare's selection, median-of-three pivot)."""
    left, right = lo, hi - 1
    while right > left:
        mid = (left + right) // 2
        a = positions[order[left], axis]
        b = positions[order[mid], axis]
        c = positions[order[right], axis]
        pivot = max(min(a, b), min(max(a, b), c))
        i, j = left, right
        while i <= j:
            while positions[order[i], axis] < pivot:
                i += 1
            while positions[order[j], axis] > pivot:
                j -= 1
            if i <= j:
                order[i], order[j] = order[j], order[i]
                i += 1
                j -= 1
        if k <= j:
            right = j
        elif k >= i:
            left = i
        else:
            break


def _node_statistics(
    pos: np.ndarray, ups: np.ndarray, top: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """:data:`NODE_COLUMNS` of the nodes with cell ranges ``[lo, hi)`` (any, nested too);
    the sums and extremes over each node's cells are compiled (:func:`_node_members`)."""
    n = len(lo)
    centre, mean_up, east_c, north_c = (np.empty((n, 3)) for _ in range(4))
    low, high = np.empty((n, 3)), np.empty((n, 3))
    radius, chord, highest = np.empty(n), np.empty(n), np.empty(n)
    _node_members(
        np.ascontiguousarray(pos, dtype=np.float64),
        np.ascontiguousarray(ups, dtype=np.float64),
        np.ascontiguousarray(top, dtype=np.float64),
        np.ascontiguousarray(lo, dtype=np.int64),
        np.ascontiguousarray(hi, dtype=np.int64),
        centre,
        mean_up,
        east_c,
        north_c,
        radius,
        chord,
        highest,
        low,
        high,
    )
    spread = 2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0))
    norm = np.linalg.norm(centre, axis=1)
    parallax = radius / (GSO_RADIUS_KM - norm)
    pad = 1e-9 * (1.0 + np.maximum(np.abs(low), np.abs(high)).max(axis=1, keepdims=True))
    box = np.stack([low - pad, high + pad], axis=2).reshape(n, 6)
    return np.column_stack(
        [
            centre,
            radius,
            mean_up,
            spread,
            highest,
            norm,
            np.cos(spread),
            np.sin(spread),
            np.sin(highest),
            np.cos(highest),
            parallax,
            np.sqrt(1.0 - parallax**2),
            east_c,
            north_c,
            box,
        ]
    )


@njit(cache=True, nogil=True)
def _node_members(
    pos, ups, top, lo, hi, centre, mean_up, east_c, north_c, radius, chord, highest, low, high
):  # pragma: no cover - compiled
    """Per node ``k`` (cells ``lo[k]:hi[k]`` of the tree order): the centre (mean
    position), the mean up (normalised), the node's east (horizontal, perpendicular to the
    mean up; y when the mean up is the pole) and north axes, the largest distance from the
    centre, the largest chord between a cell's up and the mean up, the highest horizon
    and the smallest and largest offsets from the centre along east, north and up."""
    for k in range(lo.size):
        a, b = lo[k], hi[k]
        count = b - a
        c0 = c1 = c2 = 0.0
        u0 = u1 = u2 = 0.0
        for i in range(a, b):
            c0 += pos[i, 0]
            c1 += pos[i, 1]
            c2 += pos[i, 2]
            u0 += ups[i, 0]
            u1 += ups[i, 1]
            u2 += ups[i, 2]
        c0, c1, c2 = c0 / count, c1 / count, c2 / count
        length = np.sqrt(u0 * u0 + u1 * u1 + u2 * u2)
        u0, u1, u2 = u0 / length, u1 / length, u2 / length
        e0, e1, e2 = -u1, u0, 0.0
        length = np.sqrt(e0 * e0 + e1 * e1)
        if length > 1e-12:
            length = max(length, 1e-300)
            e0, e1 = e0 / length, e1 / length
        else:
            e0, e1 = 0.0, 1.0
        n0 = u1 * e2 - u2 * e1
        n1 = u2 * e0 - u0 * e2
        n2 = u0 * e1 - u1 * e0
        far = near = 0.0
        high_top = -np.inf
        lo_e = lo_n = lo_u = np.inf
        hi_e = hi_n = hi_u = -np.inf
        for i in range(a, b):
            d0, d1, d2 = pos[i, 0] - c0, pos[i, 1] - c1, pos[i, 2] - c2
            far = max(far, np.sqrt(d0 * d0 + d1 * d1 + d2 * d2))
            v0, v1, v2 = ups[i, 0] - u0, ups[i, 1] - u1, ups[i, 2] - u2
            near = max(near, np.sqrt(v0 * v0 + v1 * v1 + v2 * v2))
            high_top = max(high_top, top[i])
            along = d0 * e0 + d1 * e1 + d2 * e2
            lo_e, hi_e = min(lo_e, along), max(hi_e, along)
            along = d0 * n0 + d1 * n1 + d2 * n2
            lo_n, hi_n = min(lo_n, along), max(hi_n, along)
            along = d0 * u0 + d1 * u1 + d2 * u2
            lo_u, hi_u = min(lo_u, along), max(hi_u, along)
        centre[k, 0], centre[k, 1], centre[k, 2] = c0, c1, c2
        mean_up[k, 0], mean_up[k, 1], mean_up[k, 2] = u0, u1, u2
        east_c[k, 0], east_c[k, 1], east_c[k, 2] = e0, e1, e2
        north_c[k, 0], north_c[k, 1], north_c[k, 2] = n0, n1, n2
        radius[k], chord[k], highest[k] = far, near, high_top
        low[k, 0], low[k, 1], low[k, 2] = lo_e, lo_n, lo_u
        high[k, 0], high[k, 1], high[k, 2] = hi_e, hi_n, hi_u
