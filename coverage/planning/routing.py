"""The routing grid as the planner sees it: its cells, and where each site reaches it.

Fibre trunks and microwave relay chains run over one routing grid (``[network]
routing_resolution``, built by ``pipeline.routing``) whatever the plan's resolution. A
plan whose resolution differs carries it on the dimension ``routing_cell`` (``routing_lat``,
``routing_on_network``, ``routing_fiber_weighted_km``, ...); otherwise the plan's own cells
are the routing grid.

A site reaches the routing grid at the routing cells that hold its settlement points
(a dispersed site, which has none, at the cell holding its centre); a site whose points
all fall outside it (a place across the region's edge whose people live inside) reaches
it at the routing cell nearest to them. Its stand-alone fibre path and microwave chain
are the cheapest over those cells, and it hangs on the network's graph at the one with
the cheapest fibre path. So on the same ground a site is priced the same at every plan
resolution.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import h3
import numpy as np
import xarray as xr
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

from .cell_graph import cell_graph
from .sites import Sites
from .sphere import unit_vectors

ROUTE_DIM = "routing_cell"
"""The routing grid's dimension (and coordinate: H3 indices) in a plan."""


@dataclass(frozen=True)
class RoutingGrid:
    """The cells trunks and relay chains run over, and the sites' access to them.

    Attributes
    ----------
    cell : ndarray of str, (n_route,)
    lat_deg, lon_deg : ndarray, (n_route,)
    on_network : ndarray of bool, (n_route,)
    weighted_km : ndarray, (n_route,)
        Terrain-weighted least-cost fibre path to the network [km] (inf: none).
    terrain_factor : ndarray, (n_route,)
    microwave : tuple of ndarray or None
        ``(capex_usd, opex_usd_per_year, hops, next_cell)`` per routing cell, when the
        plan has them (``next_cell``: the chain's next cell towards the network, -1 at
        the network; ``None`` for a plan without ``microwave_next_cell``, whose chains
        are then priced alone, not shared).
    site_cells : scipy.sparse.csr_matrix, (n_site, n_route)
        1 where a site reaches a routing cell.
    plan_cells : scipy.sparse.csr_matrix, (n_route, n_plan_cell)
        1 where a routing cell and a plan cell overlap (nested H3 cells); the identity
        when the plan's cells are the routing grid.
    """

    cell: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    on_network: np.ndarray
    weighted_km: np.ndarray
    terrain_factor: np.ndarray
    microwave: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None] | None
    site_cells: csr_matrix
    plan_cells: csr_matrix

    @property
    def n_cells(self) -> int:
        return int(self.cell.size)

    @functools.cached_property
    def _edges(self):
        return cell_graph(self.cell, self.lat_deg, self.lon_deg, self.terrain_factor)

    def cell_graph(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(i, j, km, weighted_km)`` of the neighbouring routing cells
        (:func:`.cell_graph.cell_graph`), built once per grid (every licensing case of a
        plan decides on the same grid)."""
        return self._edges

    def with_network(self, plan: xr.Dataset) -> RoutingGrid:
        """This grid with the network of ``plan``: the same plan with more of it built
        (``pipeline.planned_routes``: only ``on_network`` and ``fiber_weighted_km`` of
        the routing grid differ), so the same as ``routing_grid(plan, sites)`` without
        placing the sites again; the cell graph is shared (it does not depend on the
        network)."""
        prefix = "" if ROUTE_DIM not in plan.dims else "routing_"
        n = self.n_cells
        grid = dataclasses.replace(
            self,
            on_network=_values(plan, f"{prefix}on_network", False, n).astype(bool),
            weighted_km=_weighted(plan, f"{prefix}fiber_weighted_km", n),
        )
        if "_edges" in self.__dict__:  # functools.cached_property's slot
            grid.__dict__["_edges"] = self.__dict__["_edges"]
        return grid

    def site_min(self, per_cell) -> np.ndarray:
        """Per-site minimum of a per-routing-cell quantity over the cells it reaches
        (inf for a site that reaches none)."""
        coo = self.site_cells.tocoo()
        out = np.full(self.site_cells.shape[0], np.inf)
        np.minimum.at(out, coo.row, np.asarray(per_cell, dtype=np.float64)[coo.col])
        return out

    def site_best(self, per_cell, tie=None) -> np.ndarray:
        """Per site, the routing cell it reaches with the least ``per_cell`` (NaN and inf
        last; ties to the least ``tie``, then the first cell); -1 for a site that reaches
        none."""
        coo = self.site_cells.tocoo()
        value = np.asarray(per_cell, dtype=np.float64)
        value = np.where(np.isfinite(value), value, 1e300)[coo.col]
        keys = [coo.col, value, coo.row]
        if tie is not None:
            keys.insert(1, np.asarray(tie)[coo.col])
        order = np.lexsort(keys)
        first = np.ones(order.size, dtype=bool)
        first[1:] = coo.row[order][1:] != coo.row[order][:-1]
        best = np.full(self.site_cells.shape[0], -1, dtype=np.int64)
        best[coo.row[order][first]] = coo.col[order][first]
        return best

    def site_access(self) -> np.ndarray:
        """Per site, the routing cell it hangs on: among the cells it reaches, the one
        with the cheapest fibre path; -1 for a site that reaches none."""
        return self.site_best(self.weighted_km)

    def to_plan_any(self, per_route) -> np.ndarray:
        """Per plan cell: whether any overlapping routing cell is true."""
        values = np.asarray(per_route, dtype=bool).astype(np.float64)
        return np.asarray(self.plan_cells.T @ values).reshape(-1) > 0

    def to_plan_max(self, per_route, empty) -> np.ndarray:
        """Per plan cell: the largest value over its overlapping routing cells."""
        coo = self.plan_cells.tocoo()
        values = np.asarray(per_route)
        out = np.full(self.plan_cells.shape[1], empty, dtype=values.dtype)
        np.maximum.at(out, coo.col, values[coo.row])
        return out


def _values(plan: xr.Dataset, name: str, default, n: int) -> np.ndarray:
    return plan[name].values if name in plan else np.full(n, default)


def _cells_of(lat_deg, lon_deg, resolution: int, index: dict[str, int]) -> np.ndarray:
    return np.array(
        [
            index.get(h3.latlng_to_cell(float(a), float(b), resolution), -1)
            for a, b in zip(lat_deg, lon_deg, strict=True)
        ],
        dtype=np.int64,
    )


def routing_grid(plan: xr.Dataset, sites: Sites) -> RoutingGrid:
    """The routing grid of a plan (module docstring) and its sites' access to it."""
    n_plan = plan.sizes["cell"]
    own = ROUTE_DIM not in plan.dims  # the plan's own cells are the routing grid
    prefix = "" if own else "routing_"
    cells = plan["cell" if own else ROUTE_DIM].values.astype(str)
    n_route = cells.size
    index = {c: k for k, c in enumerate(cells)}
    route_res = int(h3.get_resolution(cells[0])) if n_route else 0
    plan_cells = plan["cell"].values.astype(str)
    plan_res = int(h3.get_resolution(plan_cells[0])) if n_plan else 0
    routing_lat = plan["lat" if own else "routing_lat"].values
    routing_lon = plan["lon" if own else "routing_lon"].values
    # sites -> routing cells: the cells holding their settlement points (a dispersed
    # site: its centre); where none is in the routing grid (a place across the region's
    # edge whose people live inside), the routing cell nearest to them
    lat = sites.lat_deg.copy()
    lon = sites.lon_deg.copy()
    owner = np.arange(sites.n_sites)
    if "settlement_lat" in plan and sites.point_site.size:
        ok = sites.point_site >= 0
        lat = np.concatenate([plan["settlement_lat"].values[ok], lat[sites.n_points == 0]])
        lon = np.concatenate([plan["settlement_lon"].values[ok], lon[sites.n_points == 0]])
        owner = np.concatenate([sites.point_site[ok], owner[sites.n_points == 0]])
    hit = _cells_of(lat, lon, route_res, index)
    rows, cols = [owner[hit >= 0]], [hit[hit >= 0]]
    has = np.zeros(sites.n_sites, dtype=bool)
    has[owner[hit >= 0]] = True
    lost = ~has[owner]
    if lost.any() and n_route:
        nearest = cKDTree(unit_vectors(routing_lat, routing_lon)).query(
            unit_vectors(lat[lost], lon[lost])
        )[1]
        rows.append(owner[lost])
        cols.append(np.asarray(nearest, dtype=np.int64))
    r, c = np.concatenate(rows), np.concatenate(cols)
    site_cells = csr_matrix((np.ones(r.size), (r, c)), shape=(sites.n_sites, n_route))
    site_cells.sum_duplicates()
    site_cells.data[:] = 1.0  # membership, not counts
    # routing cells <-> plan cells (nested hexagons: the coarser one is the parent)
    if plan_res <= route_res:
        plan_index = {p: k for k, p in enumerate(plan_cells)}
        pr = np.arange(n_route)
        pc = np.array(
            [plan_index.get(h3.cell_to_parent(x, plan_res), -1) for x in cells], dtype=np.int64
        )
    else:
        pc = np.arange(n_plan)
        pr = np.array(
            [index.get(h3.cell_to_parent(x, route_res), -1) for x in plan_cells], dtype=np.int64
        )
    ok = (pr >= 0) & (pc >= 0)
    overlap = csr_matrix((np.ones(int(ok.sum())), (pr[ok], pc[ok])), shape=(n_route, n_plan))
    microwave = None
    if f"{prefix}microwave_capex_usd" in plan:
        microwave = (
            plan[f"{prefix}microwave_capex_usd"].values.astype(np.float64),
            plan[f"{prefix}microwave_opex_usd_per_year"].values.astype(np.float64),
            plan[f"{prefix}microwave_hops"].values.astype(np.int64),
            # no next cells (a plan written without them): the chains cannot be followed,
            # so none is shared (each site pays its own chain), never "at the network"
            (
                plan[f"{prefix}microwave_next_cell"].values.astype(np.int64)
                if f"{prefix}microwave_next_cell" in plan
                else None
            ),
        )
    return RoutingGrid(
        cells,
        routing_lat,
        routing_lon,
        _values(plan, f"{prefix}on_network", False, n_route).astype(bool),
        _weighted(plan, f"{prefix}fiber_weighted_km", n_route),
        _values(plan, f"{prefix}fiber_terrain_factor", 1.0, n_route).astype(np.float64),
        microwave,
        site_cells,
        overlap,
    )


def _weighted(plan: xr.Dataset, name: str, n: int) -> np.ndarray:
    """Terrain-weighted fibre path [km], NaN (no path) as inf."""
    values = _values(plan, name, np.inf, n).astype(np.float64)
    return np.where(np.isnan(values), np.inf, values)
