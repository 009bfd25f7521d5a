"""Fibre reach per cell: straight-line distance to the network and least-cost paths.

- ``fiber_distance_km``: great-circle distance from the cell centre to the nearest
  point of an active route (densified to <= 0.25 km, or a third of the H3 edge if
  smaller) or point of presence; 0 on the cells the network enters ("network cells").
- ``fiber_path_km`` / ``fiber_weighted_km``: least-cost path over the H3 cell graph
  (edges between neighbouring cells of the grid, length = great-circle distance
  between centres, cost = length x the mean terrain factor of the two cells), solved
  from all network cells at once with ``scipy.sparse.csgraph.dijkstra`` through a
  virtual source joined to each network cell by its own last mile (the distance from
  its centre to the network, at its terrain factor).  Hence ``fiber_path_km >=
  fiber_distance_km`` (triangle inequality) and both are 0 on network cells.  Paths
  stay inside the grid; cells with no path get NaN.
- terrain factor = 1 + ``slope_cost_per_deg`` x slope_deg + ``elevation_cost_per_km`` x
  max(0, elevation_m - ``elevation_threshold_m``)/1000 (defaults 0.05 /deg, 0.25 /km
  above 2000 m: a 20 deg slope doubles the cost, 4000 m adds half).
"""

from __future__ import annotations

import heapq
import itertools

import h3
import h3.api.basic_int as h3_int
import numba
import numpy as np
import pandas as pd
import xarray as xr
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from ._geo import chord_to_km, densify_lonlat, great_circle_km, unit_vectors
from .dem import DEM, load_dem
from .errors import GridError, _message
from .horizon import terrain_slope_deg
from .network import Network, load_network
from .placement import check_network_cells

__all__ = [
    "fiber_reach",
    "extend_reach",
    "terrain_factor",
    "least_cost_paths",
    "network_points",
    "network_distance_km",
]

"""Indicative construction cost of buried fibre on easy ground [USD/km]; set it per scenario."""


def terrain_factor(
    slope_deg,
    elevation_m,
    *,
    slope_cost_per_deg: float = 0.05,
    elevation_cost_per_km: float = 0.25,
    elevation_threshold_m: float = 2000.0,
) -> np.ndarray:
    """Cost multiplier of building fibre across a cell (>= 1). [1]"""
    slope = np.nan_to_num(np.asarray(slope_deg, dtype=float), nan=0.0)
    height = np.nan_to_num(np.asarray(elevation_m, dtype=float), nan=0.0)
    return (
        1.0
        + slope_cost_per_deg * slope
        + elevation_cost_per_km * np.maximum(0.0, height - elevation_threshold_m) / 1000.0
    )


SOURCE_EDGE_COST = 1e-12
"""Added to each source's starting cost in :func:`least_cost_paths` (on its edge from the
virtual source, where an explicit 0 would be read as "no edge") [cost units]."""


def least_cost_paths(
    n_nodes: int, edge_i, edge_j, edge_km, edge_cost, source_offset_km, source_offset_cost, sources
) -> tuple[np.ndarray, np.ndarray]:
    """Multi-source least-cost paths on an undirected graph, with the path length.

    Parameters
    ----------
    n_nodes : int
    edge_i, edge_j : array_like of int
        Undirected edges, each listed once.
    edge_km, edge_cost : array_like
        Length [km] and cost [cost units] of each edge (cost > 0).
    sources : array_like of int
        Source nodes; ``source_offset_km`` / ``source_offset_cost`` are their starting
        length and cost (the last mile to the network).

    Returns
    -------
    cost, length_km : numpy.ndarray, shape (n_nodes,)
        Least cost from any source (inf if unreachable) and the length of that path
        (recovered from the predecessor tree by pointer jumping, vectorised).
    """
    edge_i, edge_j = np.asarray(edge_i, dtype=np.int64), np.asarray(edge_j, dtype=np.int64)
    sources = np.asarray(sources, dtype=np.int64)
    root = n_nodes
    rows = np.concatenate([edge_i, edge_j, np.full(sources.size, root)])
    cols = np.concatenate([edge_j, edge_i, sources])
    start = np.asarray(source_offset_cost) + SOURCE_EDGE_COST
    cost = np.concatenate([edge_cost, edge_cost, start])
    graph = coo_matrix((cost, (rows, cols)), shape=(n_nodes + 1, n_nodes + 1)).tocsr()
    graph.sum_duplicates()
    total, pred = dijkstra(graph, directed=True, indices=root, return_predecessors=True)
    # length of the edge into each node from its predecessor
    km_lookup = coo_matrix(
        (np.concatenate([edge_km, edge_km, source_offset_km]), (rows, cols)), shape=graph.shape
    ).tocsr()
    km_lookup.sum_duplicates()
    parent = pred.astype(np.int64)
    has_parent = parent >= 0
    length = np.zeros(n_nodes + 1)
    idx = np.flatnonzero(has_parent)
    length[idx] = np.asarray(km_lookup[parent[idx], idx]).ravel()
    while (parent >= 0).any():  # pointer jumping: O(log depth) passes
        ok = parent >= 0
        length[ok] += length[parent[ok]]
        parent[ok] = np.where(parent[parent[ok]] >= 0, parent[parent[ok]], -1)
    return total[:n_nodes], length[:n_nodes]


def network_points(network: Network, include_planned: bool, max_step_km: float) -> np.ndarray:
    """(lat, lon) points of the active routes (densified) and of the PoPs. [degree]"""
    chunks = [
        densify_lonlat(np.stack([r.lon_deg, r.lat_deg], axis=-1), max_step_km)
        for r in network.active_routes(include_planned)
    ]
    chunks.append(
        np.array([[p.lat_deg, p.lon_deg] for p in network.pops], dtype=float).reshape(-1, 2)
    )
    return np.concatenate(chunks, axis=0)


def _nearest_km(points: np.ndarray, lat, lon) -> np.ndarray:
    """Great-circle distance from each (lat, lon) to the nearest of ``points`` [km]."""
    chord, _ = cKDTree(unit_vectors(points[:, 0], points[:, 1])).query(unit_vectors(lat, lon))
    return chord_to_km(chord)


def network_distance_km(
    network: Network, lat_deg, lon_deg, *, include_planned: bool = False, max_step_km: float = 0.25
) -> np.ndarray:
    """Straight-line distance from points to the nearest active route or PoP [km] (the
    ``fiber_distance_km`` rule of :func:`fiber_reach`, for any points, e.g. settlements);
    inf when the network has no active route or PoP."""
    points = network_points(network, include_planned, max_step_km)
    lat = np.asarray(lat_deg, dtype=np.float64)
    if points.shape[0] == 0:
        return np.full(lat.shape, np.inf)
    return _nearest_km(points, lat, np.asarray(lon_deg, dtype=np.float64))


def _grid_edges(cells) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, of neighbouring cells (``h3.grid_ring(cell, 1)``),
    in the order of ``i`` then of the ring: on the 64-bit indices (no string per
    neighbour), the cells found by a sorted search."""
    codes = _codes(cells)
    if codes is None:
        return _grid_edges_str(cells)
    ring = h3_int.grid_ring
    rings = [ring(c, 1) for c in codes.tolist()]
    width = max((len(r) for r in rings), default=0)
    if all(len(r) == width for r in rings):  # no pentagon about: one pass over the indices
        flat = itertools.chain.from_iterable(rings)
        neighbours = np.fromiter(flat, dtype=np.uint64, count=codes.size * width)
        neighbours = neighbours.reshape(codes.size, width)
    else:
        neighbours = np.zeros((codes.size, width), dtype=np.uint64)  # 0 is no H3 cell
        for i, r in enumerate(rings):
            neighbours[i, : len(r)] = r
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    at = np.minimum(np.searchsorted(sorted_codes, neighbours), max(codes.size - 1, 0))
    found = sorted_codes[at] == neighbours if codes.size else np.zeros_like(neighbours, bool)
    j = order[at]
    i = np.broadcast_to(np.arange(codes.size)[:, None], j.shape)
    keep = found & (j > i)
    return i[keep].astype(np.int64), j[keep].astype(np.int64)


def _codes(cells) -> np.ndarray | None:
    """The 64-bit H3 indices of the cells (lower-case hexadecimal strings, as h3 writes
    them), or ``None`` (other strings, or the same cell twice: the string path keeps
    its meaning then)."""
    try:
        codes = np.fromiter((int(c, 16) for c in cells), dtype=np.uint64, count=len(cells))
    except (TypeError, ValueError, OverflowError):
        return None
    if np.unique(codes).size != codes.size or any(
        format(int(k), "x") != str(c) for k, c in zip(codes.tolist(), cells, strict=True)
    ):
        return None
    return codes


def _grid_edges_str(cells) -> tuple[np.ndarray, np.ndarray]:
    index = {c: i for i, c in enumerate(cells)}
    ei, ej = [], []
    for i, cell in enumerate(cells):
        for other in h3.grid_ring(cell, 1):
            j = index.get(other)
            if j is not None and j > i:
                ei.append(i)
                ej.append(j)
    return np.array(ei, dtype=np.int64), np.array(ej, dtype=np.int64)


def _setup(grid, network, include_planned, dem, **costs):
    """Cells, centres, terrain factor, resolution and network points of
    :func:`fiber_reach` (the checks and the placement warning included)."""
    cells = [str(c) for c in grid["cell"].values]
    if not cells:
        raise GridError(
            _message("fiber_reach grid", "at least one cell", "none", "build a grid first")
        )
    lat, lon = grid["lat"].values, grid["lon"].values
    if "elevation_m" in grid and "slope_deg" in grid:
        elevation, slope = grid["elevation_m"].values, grid["slope_deg"].values
    else:
        dem = load_dem() if dem is None else dem
        elevation, slope = dem.elevation_m(lat, lon), terrain_slope_deg(lat, lon, dem)
    factor = terrain_factor(slope, elevation, **costs)
    resolution = h3.get_resolution(cells[0])
    step_km = min(0.25, h3.average_hexagon_edge_length(resolution, unit="km") / 3.0)
    points = network_points(network, include_planned, step_km)
    if points.shape[0] == 0:
        raise GridError(
            _message(
                "fiber_reach network",
                "at least one active route or PoP",
                "none",
                "pass include_planned=True or a network with existing routes",
            )
        )
    check_network_cells(
        network, lat, lon, region_name=repr(grid.attrs.get("region", "")), stacklevel=4
    )
    return cells, lat, lon, factor, resolution, points


def _network_cells(points, cells, lat, lon, resolution) -> np.ndarray:
    """Network cells: the cells holding a densified route point or a PoP (bool)."""
    margin = 0.1
    box = (
        (points[:, 0] >= lat.min() - margin)
        & (points[:, 0] <= lat.max() + margin)
        & (points[:, 1] >= lon.min() - margin)
        & (points[:, 1] <= lon.max() + margin)
    )
    hit = list({h3.latlng_to_cell(a, b, resolution) for a, b in points[box]})
    index = pd.Index(cells)
    if index.is_unique:
        at = index.get_indexer(hit)
    else:  # a cell listed twice: the last one, as a dict would
        last = {c: i for i, c in enumerate(cells)}
        at = np.array([last.get(c, -1) for c in hit], dtype=np.int64)
    on_network = np.zeros(len(cells), dtype=bool)
    on_network[at[at >= 0]] = True
    return on_network


def _edge_costs(cells, lat, lon, factor, neighbours):
    """``(i, j, km, cost)`` of the cell graph's edges (H3's, or ``neighbours``)."""
    ei, ej = _grid_edges(cells) if neighbours is None else map(np.asarray, neighbours)
    edge_km = great_circle_km(lat[ei], lon[ei], lat[ej], lon[ej])
    return ei, ej, edge_km, edge_km * 0.5 * (factor[ei] + factor[ej])


def fiber_reach(
    grid: xr.Dataset,
    network: Network | None = None,
    *,
    include_planned: bool = False,
    slope_cost_per_deg: float = 0.05,
    elevation_cost_per_km: float = 0.25,
    elevation_threshold_m: float = 2000.0,
    dem: DEM | None = None,
    neighbours: tuple[np.ndarray, np.ndarray] | None = None,
) -> xr.Dataset:
    """Distance, least-cost path length and construction cost from each cell to fibre.

    Parameters
    ----------
    grid : xarray.Dataset
        From :func:`build_grid`; uses ``elevation_m`` and ``slope_deg`` if present
        (after :func:`add_terrain`), else samples ``dem``.
    network : Network, optional
        Default :func:`load_network` () (indicative backbone + district HQ PoPs).
    include_planned : bool
        Also count planned routes ("planned route built" scenario).
    slope_cost_per_deg, elevation_cost_per_km, elevation_threshold_m : float
        Terrain factor coefficients, see :func:`terrain_factor`. [1/degree], [1/km], [m]
    dem : DEM, optional
    neighbours : (ndarray, ndarray), optional
        ``(i, j)``, ``i < j``, every pair of neighbouring cells of ``grid`` once (the
        edges of ``h3.grid_ring(cell, 1)`` within the grid, in any order), when the
        caller has them (the planner's routing grid); default: asked of H3 here. The
        result does not depend on their order.

    Returns
    -------
    xarray.Dataset
        A copy with ``fiber_distance_km`` [km], ``fiber_path_km`` [km],
        ``fiber_weighted_km`` [km] (the terrain-weighted path length: km of easy ground;
        the planner multiplies it by its cost per km, so fibre is priced in one place),
        ``fiber_terrain_factor`` [1] and ``on_network``
        (uint8 flag: the network enters the cell).

    Warns
    -----
    NetworkPlacementWarning
        When the network's nearest point is more than 300 km from every cell centre
        (swapped lat/lon, a lost sign, a file for another area): see :mod:`.placement`.
    """
    for name, value in (
        ("slope_cost_per_deg", slope_cost_per_deg),
        ("elevation_cost_per_km", elevation_cost_per_km),
    ):
        if not np.isfinite(value) or value < 0:
            raise GridError(
                _message(
                    f"fiber_reach({name}=...)",
                    "a finite number >= 0",
                    repr(value),
                    "pass a non-negative value",
                )
            )
    network = load_network() if network is None else network
    cells, lat, lon, factor, resolution, points = _setup(
        grid,
        network,
        include_planned,
        dem,
        slope_cost_per_deg=slope_cost_per_deg,
        elevation_cost_per_km=elevation_cost_per_km,
        elevation_threshold_m=elevation_threshold_m,
    )
    distance = _nearest_km(points, lat, lon)
    on_network = _network_cells(points, cells, lat, lon, resolution)
    sources = np.flatnonzero(on_network)
    ei, ej, edge_km, edge_cost = _edge_costs(cells, lat, lon, factor, neighbours)
    if sources.size:
        cost, path = least_cost_paths(
            len(cells),
            ei,
            ej,
            edge_km,
            edge_cost,
            distance[sources],
            distance[sources] * factor[sources],
            sources,
        )
    else:
        cost = path = np.full(len(cells), np.inf)
    cost[on_network] = 0.0
    path[on_network] = 0.0
    distance[on_network] = 0.0
    unreachable = ~np.isfinite(cost)
    cost[unreachable] = np.nan
    path[unreachable] = np.nan
    out = grid.assign(
        fiber_distance_km=(
            "cell",
            distance,
            {
                "units": "km",
                "long_name": "straight-line (great-circle) "
                "distance to the nearest active fibre route or PoP",
            },
        ),
        fiber_path_km=(
            "cell",
            path,
            {
                "units": "km",
                "long_name": "length of the least-cost fibre path "
                "over the cell graph to the network",
            },
        ),
        fiber_weighted_km=(
            "cell",
            cost,
            {
                "units": "km",
                "long_name": "terrain-weighted length of the least-cost fibre path "
                "(km of easy ground)",
            },
        ),
        fiber_terrain_factor=(
            "cell",
            factor,
            {
                "units": "1",
                "long_name": "fibre construction cost multiplier from slope and elevation",
            },
        ),
        on_network=(
            "cell",
            on_network.astype(np.uint8),
            {
                "units": "1",
                "long_name": "the fibre network enters the cell",
                "flag_values": np.array([0, 1], dtype=np.uint8),
                "flag_meanings": "off_network on_network",
            },
        ),
    )
    out.attrs.update(
        {
            "network_source": network.source,
            "fiber_include_planned": int(include_planned),
            "fiber_terrain_factor": (
                f"1 + {slope_cost_per_deg:g}/deg x slope + {elevation_cost_per_km:g}/km "
                f"x max(0, elevation - {elevation_threshold_m:g} m)"
            ),
            "fiber_unreachable_cells": int(unreachable.sum()),
        }
    )
    return out


@numba.njit(cache=True)
def _pruned_dijkstra(indptr, indices, weight, sources, start, bound):  # pragma: no cover
    """Least cost from ``sources`` (starting at ``start``), kept only where it is below
    ``bound``: a node is reached and expanded only when its cost beats its bound (inf
    elsewhere). Each cost is a float sum along its path, as in scipy's Dijkstra."""
    best = np.full(bound.size, np.inf)
    heap = [(np.inf, np.int64(-1))]
    heap.pop()
    for k in range(sources.size):
        s = sources[k]
        if start[k] < bound[s] and start[k] < best[s]:
            best[s] = start[k]
            heapq.heappush(heap, (start[k], np.int64(s)))
    done = np.zeros(bound.size, dtype=np.bool_)
    while len(heap) > 0:
        d, u = heapq.heappop(heap)
        if done[u] or d > best[u]:
            continue
        done[u] = True
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            c = d + weight[e]
            if c < best[v] and c < bound[v]:
                best[v] = c
                heapq.heappush(heap, (c, np.int64(v)))
    return best


def extend_reach(
    grid: xr.Dataset,
    network: Network,
    on_network,
    weighted_km,
    *,
    slope_cost_per_deg: float = 0.05,
    elevation_cost_per_km: float = 0.25,
    elevation_threshold_m: float = 2000.0,
    dem: DEM | None = None,
    neighbours: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The grid's network cells and terrain-weighted reach with ``network``'s existing
    routes built on top of a network whose reach is known.

    Number for number ``on_network | r["on_network"]`` and
    ``numpy.fmin(weighted_km, r["fiber_weighted_km"])`` with ``r = fiber_reach(grid,
    network, ...)``, for ``on_network`` / ``weighted_km`` from :func:`fiber_reach` of the
    old network on the same grid with the same costs, but searched only where the new
    network brings a cell closer: the old costs are Dijkstra costs on the same graph, so
    along a new least-cost path that beats the old cost at its end every cell beats its
    old cost too (a float sum is monotone in each term), and a Dijkstra from the new
    network's cells that expands only cells it improves finds the same costs there. The
    old network's own cells show 0, not their Dijkstra cost (their last mile), so they
    are never pruned.

    Parameters
    ----------
    grid, network, slope_cost_per_deg, elevation_cost_per_km, elevation_threshold_m, \
dem, neighbours
        As :func:`fiber_reach` (``network``: its existing routes and PoPs).
    on_network : array_like of bool, (n_cell,)
        The old network's cells.
    weighted_km : array_like, (n_cell,)
        The old ``fiber_weighted_km`` [km] (NaN: unreachable).

    Returns
    -------
    on_network : numpy.ndarray of bool
    weighted_km : numpy.ndarray [km]
    """
    cells, lat, lon, factor, resolution, points = _setup(
        grid,
        network,
        False,
        dem,
        slope_cost_per_deg=slope_cost_per_deg,
        elevation_cost_per_km=elevation_cost_per_km,
        elevation_threshold_m=elevation_threshold_m,
    )
    old_on = np.asarray(on_network).astype(bool)
    old = np.asarray(weighted_km, dtype=np.float64)
    new_on = _network_cells(points, cells, lat, lon, resolution)
    sources = np.flatnonzero(new_on)
    out = old.copy()
    if sources.size:
        ei, ej, _, edge_cost = _edge_costs(cells, lat, lon, factor, neighbours)
        n = len(cells)
        # the cell graph as least_cost_paths builds it (both directions, duplicates summed)
        graph = coo_matrix(
            (
                np.concatenate([edge_cost, edge_cost]),
                (np.concatenate([ei, ej]), np.concatenate([ej, ei])),
            ),
            shape=(n, n),
        ).tocsr()
        graph.sum_duplicates()
        offset_km = _nearest_km(points, lat[sources], lon[sources])
        # each source starts where least_cost_paths' virtual source puts it (0 + its edge)
        start = 0.0 + (offset_km * factor[sources] + SOURCE_EDGE_COST)
        bound = np.where(old_on | np.isnan(old), np.inf, old)
        best = _pruned_dijkstra(
            graph.indptr.astype(np.int64),
            graph.indices.astype(np.int64),
            graph.data,
            sources,
            start,
            bound,
        )
        better = (best < bound) & ~old_on  # the old network's cells stay at 0
        out[better] = best[better]
        out[new_on] = 0.0
    return old_on | new_on, out
