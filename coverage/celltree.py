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
CELL_COLUMNS = ("x", "y", "z", "up_x", "up_y", "up_z", "east_x", "east_y", "east_z",
                "north_x", "north_y", "north_z", "max_sin_horizon")
#: Columns of :attr:`CellTree.node_data`.
NODE_COLUMNS = ("x", "y", "z", "radius_km", "up_x", "up_y", "up_z", "up_spread_rad",
                "max_horizon_rad", "centre_norm_km", "cos_up_spread", "sin_up_spread",
                "sin_max_horizon", "cos_max_horizon", "sin_gso_parallax", "cos_gso_parallax",
                "east_x", "east_y", "east_z", "north_x", "north_y", "north_z",
                "box_east_lo", "box_east_hi", "box_north_lo", "box_north_hi", "box_up_lo",
                "box_up_hi")
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

    @property
    def n_azimuth(self) -> int:
        return self.sin_horizon.shape[1]


def build_cell_tree(lat_deg: np.ndarray, lon_deg: np.ndarray, height_km: np.ndarray,
                    horizon_deg: np.ndarray | None = None, leaf_size: int = 8) -> CellTree:
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

    order: list[int] = []
    nodes: list[list] = []  # [lo, hi, left, right, parent, data...]

    def build(indices: np.ndarray, parent: int) -> int:
        index = len(nodes)
        pos = positions[indices]
        centre = pos.mean(axis=0)
        radius = float(np.sqrt(((pos - centre) ** 2).sum(axis=1)).max())
        mean_up = up[indices].mean(axis=0)
        mean_up /= np.linalg.norm(mean_up)
        chord = np.linalg.norm(up[indices] - mean_up, axis=1)
        spread = float(2.0 * np.arcsin(np.minimum(chord.max() / 2.0, 1.0)))
        top = float(max_horizon[indices].max())
        norm = float(np.linalg.norm(centre))
        parallax = radius / (GSO_RADIUS_KM - norm)
        east_c = np.cross([0.0, 0.0, 1.0], mean_up)
        east_c = (east_c / np.linalg.norm(east_c) if np.linalg.norm(east_c) > 1e-12
                  else np.array([0.0, 1.0, 0.0]))
        north_c = np.cross(mean_up, east_c)
        offsets = (pos - centre) @ np.stack([east_c, north_c, mean_up]).T
        pad = 1e-9 * (1.0 + np.abs(offsets).max())
        box = np.column_stack([offsets.min(axis=0) - pad, offsets.max(axis=0) + pad]).ravel()
        data = [*centre, radius, *mean_up, spread, top, norm, np.cos(spread), np.sin(spread),
                np.sin(top), np.cos(top), parallax, np.sqrt(1.0 - parallax**2), *east_c,
                *north_c, *box]
        nodes.append([len(order), -1, -1, -1, parent, data])
        if len(indices) <= leaf_size:
            order.extend(int(i) for i in indices)
            nodes[index][1] = len(order)
            return index
        axis = int(np.argmax(pos.max(axis=0) - pos.min(axis=0)))
        half = len(indices) // 2
        split = np.argpartition(pos[:, axis], half)
        left = build(indices[split[:half]], index)
        right = build(indices[split[half:]], index)
        nodes[index][1] = len(order)
        nodes[index][2], nodes[index][3] = left, right
        return index

    def depth_of(node: int) -> int:
        left, right = nodes[node][2], nodes[node][3]
        return 1 if left < 0 else 1 + max(depth_of(left), depth_of(right))

    if n == 0:
        raise ValueError("the grid has no cells")
    build(np.arange(n), -1)
    order_array = np.asarray(order, dtype=np.int64)
    cell_data = np.column_stack([positions[order_array], up[order_array], east[order_array],
                                 north[order_array], np.sin(max_horizon[order_array])])
    node_links = np.array([row[:5] for row in nodes], dtype=np.int64)
    node_data = np.array([row[5] for row in nodes], dtype=np.float64)
    return CellTree(order_array, np.ascontiguousarray(cell_data),
                    np.ascontiguousarray(np.sin(horizon_rad[order_array])),
                    node_data, node_links, depth_of(0))
