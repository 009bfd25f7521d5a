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
    order_array, links = _partition(positions, leaf_size)
    pos, ups, top = positions[order_array], up[order_array], max_horizon[order_array]
    node_data = np.empty((len(links), len(NODE_COLUMNS)))
    depth = _node_depths(links)
    for level in range(depth.max() + 1):
        nodes = np.flatnonzero(depth == level)
        nodes = nodes[np.argsort(links[nodes, 0])]
        node_data[nodes] = _node_statistics(pos, ups, top, links[nodes, 0], links[nodes, 1])
    cell_data = np.column_stack([pos, ups, east[order_array], north[order_array], np.sin(top)])
    return CellTree(
        order_array,
        np.ascontiguousarray(cell_data),
        np.ascontiguousarray(np.sin(horizon_rad[order_array])),
        node_data,
        links,
        int(depth.max()) + 1,
    )


def _partition(positions: np.ndarray, leaf_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Median splits along the widest axis; returns the cell order and the node links.

    Nodes are numbered in pre-order; ``links`` rows are ``lo, hi, left, right, parent``.
    """
    order: list[np.ndarray] = []
    links: list[list[int]] = []
    stack = [(np.arange(len(positions)), -1, -1, 0)]  # indices, parent, side, first cell
    while stack:
        indices, parent, side, first = stack.pop()
        index = len(links)
        links.append([first, first + len(indices), -1, -1, parent])
        if parent >= 0:
            links[parent][2 + side] = index
        if len(indices) <= leaf_size:
            order.append(indices)
            continue
        pos = positions[indices]
        axis = int(np.argmax(pos.max(axis=0) - pos.min(axis=0)))
        half = len(indices) // 2
        split = np.argpartition(pos[:, axis], half)
        # right pushed first so that the left subtree is numbered (and laid out) first
        stack.append((indices[split[half:]], index, 1, first + half))
        stack.append((indices[split[:half]], index, 0, first))
    return np.concatenate(order).astype(np.int64), np.asarray(links, dtype=np.int64)


def _node_depths(links: np.ndarray) -> np.ndarray:
    depth = np.zeros(len(links), dtype=np.int64)
    for node in range(1, len(links)):  # pre-order: a parent comes before its children
        depth[node] = depth[links[node, 4]] + 1
    return depth


def _node_statistics(
    pos: np.ndarray, ups: np.ndarray, top: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """:data:`NODE_COLUMNS` of disjoint nodes (cell ranges ``[lo, hi)`` sorted by ``lo``)."""
    count = hi - lo
    member = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)])
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    owner = np.repeat(np.arange(len(lo)), count)
    p, u = pos[member], ups[member]
    centre = np.add.reduceat(p, starts, axis=0) / count[:, None]
    mean_up = np.add.reduceat(u, starts, axis=0)
    mean_up /= np.linalg.norm(mean_up, axis=1, keepdims=True)
    radius = np.maximum.reduceat(np.linalg.norm(p - centre[owner], axis=1), starts)
    chord = np.maximum.reduceat(np.linalg.norm(u - mean_up[owner], axis=1), starts)
    spread = 2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0))
    highest = np.maximum.reduceat(top[member], starts)
    norm = np.linalg.norm(centre, axis=1)
    parallax = radius / (GSO_RADIUS_KM - norm)
    east_c = np.cross([0.0, 0.0, 1.0], mean_up)
    east_len = np.linalg.norm(east_c, axis=1, keepdims=True)
    east_c = np.where(east_len > 1e-12, east_c / np.maximum(east_len, 1e-300), [0.0, 1.0, 0.0])
    north_c = np.cross(mean_up, east_c)
    offsets = np.stack(
        [
            np.einsum("ij,ij->i", p - centre[owner], axis[owner])
            for axis in (east_c, north_c, mean_up)
        ],
        axis=1,
    )
    low = np.minimum.reduceat(offsets, starts, axis=0)
    high = np.maximum.reduceat(offsets, starts, axis=0)
    pad = 1e-9 * (1.0 + np.maximum(np.abs(low), np.abs(high)).max(axis=1, keepdims=True))
    box = np.stack([low - pad, high + pad], axis=2).reshape(len(lo), 6)
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
