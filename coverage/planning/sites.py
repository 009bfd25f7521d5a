"""Demand sites: the unit a backhaul build serves, grouped from where people live.

A plan priced per H3 cell is a property of the grid: every settled cell gets at least
one terminal, so a finer grid multiplies the terminals for the same people (USD 21.6 M
for Hunza at res 7, 155 M at res 8 in the first release). Builds are sized per *site*
instead, and the cost of a site is allocated back to its cells by population.

How sites are made (all distances on the sphere, radius 6371.0 km):

1. **Settlement clusters.** Settlement points (GeoNames populated places, or the user's
   points) are grouped around leading places: the largest place not yet in a site leads
   a new one and takes every free point within ``service_radius_km`` (leader clustering,
   :func:`cluster_points`). A site is a village with its hamlets, or a town, and spans at
   most twice the radius. The clustering depends on the points only, never on the grid,
   which is what makes sites a property of the ground.
2. **People to sites.** With the population model's settlement footprints (the people
   of each place in each cell, ``footprint_*`` in the ground) a cell's people go to the
   sites of the places they belong to, so a site's people are the people of its places,
   the same at every resolution. Without footprints (a user's raster or points), each
   settled cell's people go to the sites whose points lie in the cell, in proportion to
   the points' weights (their listed population, or 1). The rest of a cell (people of no
   known place, or a cell with no point) goes to the nearest site whose nearest point
   is within ``service_radius_km`` plus the cell's circumradius; what no site reaches is
   *dispersed* (people the population model put on habitable land away from any
   known place): dispersed cells are grouped by the H3 cell of resolution
   ``dispersed_resolution`` (default 6, edge ~3.7 km, close to the service radius) that
   holds their centre, so a dispersed site is a fixed patch of ground at every grid
   resolution finer than that.
3. **Site figures.** Demand and population are sums over the site's share of each cell;
   the site's distance to fibre is the least over its cells, and its fibre path the
   cheapest (terrain-weighted) over its cells; its satellite coverage and latency are
   population-weighted means over its cells.

The result is a sparse ``(cell, site)`` matrix of population shares (rows sum to 1 for
settled cells), so any per-site quantity ``x_s`` gives the cells' allocation
``share @ (x_s / population_s) * population_c``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import h3
import numba
import numpy as np
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

from ..errors import CoverageError
from .sparse_lines import argmax_lines
from .sphere import EARTH_RADIUS_KM, chord_of_km, unit_vectors


def cluster_points(lat_deg, lon_deg, radius_km: float, weight=None) -> np.ndarray:
    """Sites of at most ``radius_km`` around a leading settlement (leader clustering).

    The points are taken in order of decreasing ``weight`` (listed population; ties by
    index); each point not yet in a site leads a new site that takes every unassigned
    point within ``radius_km`` of it. Every site therefore spans at most ``2 radius_km``
    (single linkage would chain a whole valley of villages into one "site"), the biggest
    places lead, and the result depends on the points only, never on the grid.

    Returns a label per point, ``0 .. n_sites - 1``, numbered in the leaders' order.
    """
    lat = np.asarray(lat_deg, dtype=np.float64).reshape(-1)
    lon = np.asarray(lon_deg, dtype=np.float64).reshape(-1)
    if lat.size == 0:
        return np.zeros(0, dtype=np.int64)
    if not radius_km >= 0:
        raise CoverageError(f"service_radius_km = {radius_km!r}: expected a distance >= 0 km")
    w = np.ones(lat.size) if weight is None else np.asarray(weight, dtype=np.float64)
    order = np.lexsort((np.arange(lat.size), -w))
    xyz = unit_vectors(lat, lon)  # (each row as unit_vectors gives it for that point alone)
    tree = cKDTree(xyz)
    labels = np.full(lat.size, -1, dtype=np.int64)
    chord = chord_of_km(radius_km)
    site = 0
    for leader in order.tolist():
        if labels[leader] >= 0:
            continue
        near = np.asarray(tree.query_ball_point(xyz[leader], chord), dtype=np.int64)
        near = near[labels[near] < 0]
        labels[near] = site
        labels[leader] = site
        site += 1
    return labels


def cell_rows(cell_id, wanted) -> np.ndarray:
    """The row of each ``wanted`` identifier in ``cell_id`` (the last row of a repeated
    identifier), -1 where it is not there; int64 ``(n_wanted,)``. Identifiers compare as
    ``str`` of each element."""
    keys, asked = np.asarray(cell_id), np.asarray(wanted)
    if keys.dtype.kind != "U" or asked.dtype.kind != "U":  # str() of each element
        index = {str(c): i for i, c in enumerate(keys)}
        return np.array([index.get(str(c), -1) for c in asked], dtype=np.int64).reshape(-1)
    keys, asked = keys.reshape(-1), asked.reshape(-1)
    if keys.size == 0:
        return np.full(asked.size, -1, dtype=np.int64)
    order = np.argsort(keys, kind="stable")  # equal keys in row order: the last one wins
    at = np.searchsorted(keys[order], asked, side="right") - 1
    found = at >= 0
    found[found] = keys[order[at[found]]] == asked[found]
    return np.where(found, order[np.maximum(at, 0)], -1).astype(np.int64)


@numba.njit(cache=True, nogil=True)
def _site_min_max(lo, hi, site, value):  # pragma: no cover (compiled)
    """``np.minimum.at(lo, site, value)`` and ``np.maximum.at(hi, site, value)`` (no NaN
    in ``value``): in entry order, a value equal to the one held replaces it, as NumPy's
    ``minimum(held, value)`` returns ``value`` on ties (the sign of a zero stays NumPy's)."""
    for k in range(site.size):
        s, v = site[k], value[k]
        if not lo[s] < v:
            lo[s] = v
        if not hi[s] > v:
            hi[s] = v


@dataclass(frozen=True)
class Sites:
    """Demand sites and how the cells' people are shared among them.

    Attributes
    ----------
    lat_deg, lon_deg : ndarray, (n_site,)
        Weighted centre of the site's settlement points (dispersed sites: the cell
        centre) [degree].
    population : ndarray, (n_site,)
        People served by the site [person].
    n_points : ndarray, (n_site,)
        Settlement points in the site (0 for a dispersed site).
    share : scipy.sparse.csr_matrix, (n_cell, n_site)
        Share of each cell's people that lives in each site [1]; rows of settled cells
        sum to 1, rows of empty cells are empty.
    main_site : ndarray, (n_cell,)
        The site holding the largest share of the cell's people; -1 for empty cells.
    service_radius_km : float
    point_site : ndarray, (n_point,)
        The site of each settlement point (-1: its site holds nobody in the grid).
    """

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    population: np.ndarray
    n_points: np.ndarray
    share: csr_matrix
    main_site: np.ndarray
    service_radius_km: float
    point_site: np.ndarray

    @property
    def n_sites(self) -> int:
        return int(self.population.size)

    def sum_over_cells(self, per_cell: np.ndarray) -> np.ndarray:
        """Per-site sums of an extensive per-cell quantity (people, demand)."""
        return np.asarray(self.share.T @ np.asarray(per_cell, dtype=np.float64)).reshape(-1)

    def mean_over_cells(self, per_cell: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """Per-site means of an intensive per-cell quantity (NaN counts as 0), weighted by
        ``weight`` per cell (e.g. people) times the cell's share in the site.

        Each mean is kept between the smallest and the largest value it averages: the
        rounding of the weighted sum can step a few units in the last place outside them,
        and a site whose cells all read 99.0 % must read 99.0 %, not 98.99999999999999 %,
        against a 99 % criterion (else the answer would depend on how the site's people
        are split over cells, i.e. on the grid's resolution).
        """
        return self.mean_over_cells_by(weight)(per_cell)

    def mean_over_cells_by(self, weight: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        """:meth:`mean_over_cells` with ``weight`` fixed, for many quantities: the weights,
        their sums and each site's cells are prepared once; ``f(per_cell)`` is then
        ``mean_over_cells(per_cell, weight)``, bit for bit."""
        w = self.share.multiply(np.asarray(weight, dtype=np.float64)[:, None]).tocsc()
        total = np.asarray(w.sum(axis=0)).reshape(-1)
        w_t = w.T
        coo = w.tocoo()
        held = coo.data > 0
        site, cell = coo.col[held], coo.row[held]
        by_site = np.argsort(site, kind="stable")  # each site's cells in the former order
        site, cell = site[by_site].astype(np.int64), cell[by_site].astype(np.int64)
        inside = total > 0
        n_sites = self.n_sites

        def mean(per_cell: np.ndarray) -> np.ndarray:
            values = np.nan_to_num(np.asarray(per_cell, dtype=np.float64), nan=0.0)
            value = np.asarray(w_t @ values).reshape(-1)
            out = np.divide(value, total, out=np.full(total.shape, np.nan), where=inside)
            lo = np.full(n_sites, np.inf)
            hi = np.full(n_sites, -np.inf)
            _site_min_max(lo, hi, site, np.ascontiguousarray(values[cell]))
            out[inside] = np.clip(out[inside], lo[inside], hi[inside])
            return out

        return mean

    def min_over_points(self, per_point: np.ndarray, fallback: np.ndarray) -> np.ndarray:
        """Per-site minimum of a per-point quantity over the site's settlement points;
        ``fallback`` (per site) where a site has no point (dispersed sites)."""
        out = np.full(self.n_sites, np.inf)
        ok = self.point_site >= 0
        np.minimum.at(out, self.point_site[ok], np.asarray(per_point, dtype=float)[ok])
        return np.where(np.isfinite(out), out, fallback)

    def min_over_cells(self, per_cell: np.ndarray) -> np.ndarray:
        """Per-site minimum of a per-cell quantity over the cells sharing the site."""
        coo = self.share.tocoo()
        values = np.asarray(per_cell, dtype=np.float64)[coo.row]
        out = np.full(self.n_sites, np.inf)
        np.minimum.at(out, coo.col, values)
        return out

    def allocate_to_cells(self, per_site: np.ndarray, cell_population: np.ndarray) -> np.ndarray:
        """A per-site amount (a cost) shared out to cells by their people in the site.

        Cells with no people, or whose sites all have NaN, get NaN; a cell with people in
        a site whose amount is infinite (an option that cannot serve it) gets inf.
        """
        return self.allocate_to_cells_by(cell_population)(per_site)

    def allocate_to_cells_by(
        self, cell_population: np.ndarray
    ) -> Callable[[np.ndarray], np.ndarray]:
        """:meth:`allocate_to_cells` with ``cell_population`` fixed, for many amounts: the
        people of each site in each cell are prepared once; ``f(per_site)`` is then
        ``allocate_to_cells(per_site, cell_population)``, bit for bit."""
        people = self.share.multiply(np.asarray(cell_population, dtype=np.float64)[:, None])
        people = people.tocsr()
        population, n_sites = self.population, self.n_sites
        has_people = population > 0

        def allocate(per_site: np.ndarray) -> np.ndarray:
            per_site = np.asarray(per_site, dtype=np.float64)
            finite = np.isfinite(per_site)
            per_person = np.divide(
                np.where(finite, per_site, 0.0), population, out=np.zeros(n_sites), where=has_people
            )
            out = np.asarray(people @ per_person).reshape(-1)
            defined = np.asarray(people @ (~np.isnan(per_site)).astype(float)).reshape(-1) > 0
            infinite = np.asarray(people @ np.isinf(per_site).astype(float)).reshape(-1) > 0
            out = np.where(infinite, np.inf, out)
            return np.where(defined, out, np.nan)

        return allocate


def demand_sites(
    cell_id: np.ndarray,
    cell_lat_deg: np.ndarray,
    cell_lon_deg: np.ndarray,
    cell_population: np.ndarray,
    cell_radius_km: np.ndarray,
    point_cell: np.ndarray,
    point_lat_deg: np.ndarray,
    point_lon_deg: np.ndarray,
    point_weight: np.ndarray,
    service_radius_km: float,
    dispersed_resolution: int = 6,
    point_reach_km: np.ndarray | None = None,
    footprint: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> Sites:
    """Group a grid's people into demand sites (module docstring for the rules).

    Parameters
    ----------
    cell_id : ndarray, (n_cell,)
        Cell identifiers (H3 strings), only used to match ``point_cell``.
    cell_lat_deg, cell_lon_deg : ndarray, (n_cell,)
        Cell centres [degree].
    cell_population : ndarray, (n_cell,)
        People per cell [person].
    cell_radius_km : ndarray or float
        Circumradius of each cell [km] (the reach of a cell with no point inside).
    point_cell : ndarray, (n_point,)
        Cell identifier holding each settlement point (anything not in ``cell_id``
        for points outside the grid: they still link clusters but hold no people).
    point_lat_deg, point_lon_deg : ndarray, (n_point,)
        Settlement points [degree].
    point_weight : ndarray, (n_point,)
        Relative weight of each point inside its cell (listed population, else 1).
    service_radius_km : float
        Points closer than this belong to one site [km].
    dispersed_resolution : int
        H3 resolution of the patches that group dispersed cells into sites.
    point_reach_km : ndarray, (n_point,), optional
        How far each point's people may live from it [km] (e.g. its built-up radius);
        a cell without a point joins the nearest point's site within
        ``max(service_radius_km, point_reach_km) + cell radius``. Default: the service
        radius for every point.
    footprint : tuple of ndarray, optional
        ``(cell_row, point, people)``: the people the population model put in each cell
        from each settlement point (row of the points; -1 for a place that is not among
        them) [person]. With it, a cell's people go to the sites whose places they
        belong to, wherever in the cell (or in a neighbouring cell) they live, so a
        site's people do not depend on the grid; the rest of the cell (people of no
        known place) is shared as a cell without a point is. Without it, a cell's people
        are split over the points inside it by weight.
    """
    population = np.asarray(cell_population, dtype=np.float64).reshape(-1)
    n_cell = population.size
    cell_lat = np.asarray(cell_lat_deg, dtype=np.float64)
    cell_lon = np.asarray(cell_lon_deg, dtype=np.float64)
    radius = np.broadcast_to(np.asarray(cell_radius_km, dtype=np.float64), (n_cell,))
    p_lat = np.asarray(point_lat_deg, dtype=np.float64).reshape(-1)
    p_lon = np.asarray(point_lon_deg, dtype=np.float64).reshape(-1)
    weight = np.asarray(point_weight, dtype=np.float64).reshape(-1)
    if not (p_lat.size == p_lon.size == weight.size == np.asarray(point_cell).size):
        raise CoverageError(
            "settlement points: lat, lon, weight and cell must have one value per point"
        )
    if np.any(~np.isfinite(weight) | (weight <= 0)):
        raise CoverageError("settlement point weights must be finite and > 0")
    labels = cluster_points(p_lat, p_lon, service_radius_km, weight)
    n_cluster = int(labels.max()) + 1 if labels.size else 0
    p_row = cell_rows(cell_id, point_cell)

    settled = population > 0
    rows, cols, vals = [], [], []
    assigned = np.zeros(n_cell)  # share of each cell's people given to a site so far
    if footprint is None:
        # (1) cells holding points: their people split over those points' clusters by weight
        inside = (p_row >= 0) & settled[np.maximum(p_row, 0)]
        f_row, f_point, f_people = p_row[inside], np.flatnonzero(inside), weight[inside]
    else:
        # (1) the people of each place, in whichever cell the population model put them
        f_row, f_point, f_people = (np.asarray(a).reshape(-1) for a in footprint)
        ok = (f_point >= 0) & (f_row >= 0) & (f_people > 0)
        ok[ok] &= settled[f_row[ok]]
        f_row, f_point, f_people = f_row[ok], f_point[ok].astype(np.int64), f_people[ok]
    if f_row.size:
        key = f_row * max(n_cluster, 1) + labels[f_point]
        keys, w = np.unique(key, return_inverse=True)
        summed = np.bincount(w.reshape(-1), weights=f_people)
        r, c = keys // max(n_cluster, 1), keys % max(n_cluster, 1)
        if footprint is None:
            fraction = summed / np.bincount(r, weights=summed, minlength=n_cell)[r]
        else:
            fraction = np.minimum(summed / population[r], 1.0)
        rows.append(r)
        cols.append(c)
        vals.append(fraction)
        np.add.at(assigned, r, fraction)
    # (2) the rest of each settled cell (all of it for a cell with no known place's
    # people): the nearest cluster in reach, else dispersed
    rest = np.where(settled, np.clip(1.0 - assigned, 0.0, 1.0), 0.0)
    rest[rest < 1e-9] = 0.0
    orphan = np.flatnonzero(rest > 0)
    dispersed = np.zeros(0, dtype=np.int64)
    if orphan.size:
        if p_lat.size:
            chord, nearest = cKDTree(unit_vectors(p_lat, p_lon)).query(
                unit_vectors(cell_lat[orphan], cell_lon[orphan])
            )
            km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / 2.0, 1.0))
            own = (
                np.zeros(p_lat.size)
                if point_reach_km is None
                else np.asarray(point_reach_km, dtype=np.float64).reshape(-1)
            )
            reach = km <= np.maximum(service_radius_km, own[nearest]) + radius[orphan]
        else:
            reach = np.zeros(orphan.size, dtype=bool)
            nearest = np.zeros(orphan.size, dtype=np.int64)
        rows.append(orphan[reach])
        cols.append(labels[nearest[reach]] if p_lat.size else np.zeros(0, np.int64))
        vals.append(rest[orphan[reach]])
        dispersed = orphan[~reach]
        patch = np.array(
            [
                h3.latlng_to_cell(a, b, dispersed_resolution)
                for a, b in zip(cell_lat[dispersed], cell_lon[dispersed], strict=True)
            ],
            dtype=str,
        )
        _, first, patch_id = np.unique(patch, return_index=True, return_inverse=True)
        order = np.argsort(first)  # number patches by first appearance
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        patch_id = rank[patch_id.reshape(-1)]
        rows.append(dispersed)
        cols.append(n_cluster + patch_id)
        vals.append(rest[dispersed])
    n_patch = int(patch_id.max()) + 1 if orphan.size and dispersed.size else 0
    n_raw = n_cluster + n_patch
    share = csr_matrix(
        (
            np.concatenate(vals) if vals else np.zeros(0),
            (
                np.concatenate(rows) if rows else np.zeros(0, np.int64),
                np.concatenate(cols) if cols else np.zeros(0, np.int64),
            ),
        ),
        shape=(n_cell, n_raw),
    )
    # keep the sites that hold people, numbered in order of first appearance
    site_people = np.asarray(share.T @ population).reshape(-1)
    keep = np.flatnonzero(site_people > 0)
    share = share[:, keep].tocsr()
    site_people = site_people[keep]
    # centres: weighted points of the cluster (in the grid), else the cell centre
    lat = np.empty(keep.size)
    lon = np.empty(keep.size)
    n_points = np.zeros(keep.size, dtype=np.int64)
    is_cluster = keep < n_cluster
    if is_cluster.any():
        xyz = unit_vectors(p_lat, p_lon) * weight[:, None]
        sums = np.zeros((n_cluster, 3))
        np.add.at(sums, labels, xyz)
        counts = np.bincount(labels, minlength=n_cluster)
        v = sums[keep[is_cluster]]
        lat[is_cluster] = np.degrees(np.arctan2(v[:, 2], np.hypot(v[:, 0], v[:, 1])))
        lon[is_cluster] = np.degrees(np.arctan2(v[:, 1], v[:, 0]))
        n_points[is_cluster] = counts[keep[is_cluster]]
    if (~is_cluster).any():
        # people-weighted centre of the patch's cells
        sub = share[:, ~is_cluster].multiply(population[:, None]).tocsc()
        v = np.asarray(sub.T @ unit_vectors(cell_lat, cell_lon))
        lat[~is_cluster] = np.degrees(np.arctan2(v[:, 2], np.hypot(v[:, 0], v[:, 1])))
        lon[~is_cluster] = np.degrees(np.arctan2(v[:, 1], v[:, 0]))
    people_in_site = share.multiply(population[:, None]).tocsr()
    main = np.full(n_cell, -1, dtype=np.int64)
    if keep.size:
        main_all = argmax_lines(people_in_site, axis=1)
        main[settled] = main_all[settled]
    renumber = np.full(max(n_raw, 1), -1, dtype=np.int64)
    renumber[keep] = np.arange(keep.size)
    point_site = renumber[labels] if labels.size else np.zeros(0, dtype=np.int64)
    return Sites(lat, lon, site_people, n_points, share, main, float(service_radius_km), point_site)
