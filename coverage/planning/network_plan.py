"""The network plan: shared fibre trunks, satellite capacity and the joint choice per site.

The per-site decision (``decide``) prices every site alone. Here the target sites are
served as a network, the way rural backhaul is built:

- **Fibre** is a prize-collecting Steiner tree (:func:`.network.design_network`) over the
  H3 cell graph (edges between neighbouring cells, cost = great-circle length x the mean
  terrain factor of the two cells x the cost per km, as a present value with O&M), rooted
  at the cells the existing network enters. Each target site hangs on its *access cell*
  (its cell with the cheapest path to fibre); a node's prize is its sites' best
  stand-alone alternative, so a trunk is built where the sites it passes would otherwise
  pay more.
- **Satellites** have finite capacity per coarse area (H3 ``capacity_resolution``, default
  res 5): beams per satellite x Mbit/s per beam x the share that may serve one area
  (:mod:`.capacity`), for the satellites in view. The planning value should be a low
  percentile over time (p10); the engine's per-cell figure used here is the *smallest*
  number of satellites in view at any step (``n_visible_min``, the minimum over the
  area's cells), which is never above the p10, so the capacity is conservative.
- **One decision** (:func:`.capacity.joint_plan`): the tree and the capacity assignment
  are solved in turn; a site pushed off a full system has it closed and its prize rises.

Outputs per site (choice, cost, runner-up, reason such as ``fiber:shared_trunk(n=34)``,
``leo_starlink:capacity_ok``, ``geo_paksat:leo_not_licensed``,
``fiber:leo_capacity_limited``) and per cell (trunk, cells sharing it, allocated trunk
cost, on the tree).
"""

from __future__ import annotations

from dataclasses import dataclass

import h3
import numpy as np
import xarray as xr

from .capacity import SiteOption, decide_sites, default_capacity, joint_plan
from .network import FibreGraph, NetworkDesign, fibre_edge_cost_usd, fibre_site_cost_usd
from .recommend import FeasibilityCriteria, SatelliteOption, feasible
from .routing import RoutingGrid
from .sites import Sites
from .sparse_lines import argmax_lines
from .spec import PlanningSpec

#: H3 index bits (H3 v4 "Index bit layout"): the resolution at bits 52-55, then fifteen
#: 3-bit digits (resolution 1 highest); the digits finer than a cell's resolution are 7.
_RES_SHIFT = np.uint64(52)
_RES_MASK = np.uint64(0xF) << _RES_SHIFT


def capacity_areas(cells, resolution: int) -> np.ndarray:
    """The coarse H3 area (parent at ``resolution``, or the cell itself if coarser) of
    each cell, as strings.

    ``h3.cell_to_parent`` done on the 64-bit indices at once: the parent is the index
    with the resolution field set to ``resolution`` and the finer digits set to 7.
    """
    names = np.asarray(cells).astype(str)
    if names.size == 0:
        return names
    codes = np.array([h3.str_to_int(c) for c in names.tolist()], dtype=np.uint64)
    own = (codes & _RES_MASK) >> _RES_SHIFT
    unused = np.uint64((1 << (3 * (15 - int(resolution)))) - 1)
    parent = (codes & ~_RES_MASK) | (np.uint64(resolution) << _RES_SHIFT) | unused
    parent = np.where(own > resolution, parent, codes)
    uniq, inverse = np.unique(parent, return_inverse=True)
    text = np.array([h3.int_to_str(int(x)) for x in uniq], dtype=str)
    return text[inverse.reshape(-1)]


@dataclass(frozen=True)
class NetworkPlan:
    """The joint plan of the target sites and the fibre tree per cell.

    Site arrays are ``(n_site,)`` (non-target sites: ``""`` / NaN); cell arrays
    ``(n_cell,)``.
    """

    site_choice: np.ndarray
    site_cost_usd: np.ndarray
    site_runner_up: np.ndarray
    site_runner_up_cost_usd: np.ndarray
    site_reason: np.ndarray
    cell_trunk_id: np.ndarray
    cell_sharing_trunk: np.ndarray
    cell_allocated_trunk_usd: np.ndarray
    cell_in_tree: np.ndarray
    cell_area: np.ndarray
    new_fiber_km: float
    n_trunks: int
    network_total_usd: float
    rounds: int
    # the tree itself, for the rollout (trunks before branches) and the certificates: the
    # graph of cells and site nodes, the design on it with its last prizes [USD] per node,
    # and each site's node (-1: not a node of the graph)
    graph: FibreGraph | None = None
    design: NetworkDesign | None = None
    site_node: np.ndarray | None = None
    prize_usd: np.ndarray | None = None


def _plan_areas(plan: xr.Dataset, spec: PlanningSpec) -> tuple[np.ndarray, np.ndarray, int]:
    """The capacity area of every plan cell (:func:`capacity_areas`), its index among the
    plan's distinct areas, and their number."""
    areas = capacity_areas(plan["cell"].values.astype(str), spec.network.capacity_resolution)
    area_ids, cell_area = np.unique(areas, return_inverse=True)
    return areas, cell_area.reshape(-1), int(area_ids.size)


def _site_areas(plan_areas: np.ndarray, sites: Sites, population: np.ndarray) -> np.ndarray:
    """Per site, the capacity area of the plan cell holding most of its people."""
    people = sites.share.multiply(np.asarray(population, dtype=np.float64)[:, None]).tocsc()
    top = argmax_lines(people, axis=0)
    return plan_areas[top] if top.size else np.zeros(0, dtype=np.int64)


def network_plan(
    plan: xr.Dataset,
    spec: PlanningSpec,
    sites: Sites,
    target: np.ndarray,
    site_demand_mbps: np.ndarray,
    site_option_cost_usd: dict[str, np.ndarray],
    options: list[SatelliteOption],
    routing: RoutingGrid,
    microwave: tuple[np.ndarray, np.ndarray] | None = None,
    start: tuple[np.ndarray, np.ndarray] | None = None,
) -> NetworkPlan:
    """Serve the target sites jointly (module docstring); ``options`` are the per-site
    satellite options (licensing already applied), ``site_option_cost_usd`` their present
    values per site (and ``fiber``, the stand-alone path) from the per-site decision;
    ``routing`` is the grid the trunks run over (``planning.routing``). ``start``
    (:func:`tree_start` of another plan on the same routing grid and sites) is the tree
    the design starts from (a warm start: ``network.design_network``)."""
    n_route = routing.n_cells
    ei, ej, km, wkm = routing.cell_graph()
    roots = routing.on_network
    access = routing.site_access()
    needs = target & (access >= 0) & ~roots[np.maximum(access, 0)]
    # every target site is a node of its own, hung on its access cell by a free edge, so
    # the options of sites that share a cell are never lumped together
    site_ids = np.flatnonzero(needs)
    n_node = n_route + site_ids.size
    site_node = n_route + np.arange(site_ids.size)
    graph = FibreGraph.from_edges(
        n_node,
        np.concatenate([ei, access[site_ids]]),
        np.concatenate([ej, site_node]),
        np.concatenate(
            [fibre_edge_cost_usd(wkm, spec.fiber, spec.finance), np.zeros(site_ids.size)]
        ),
    )
    roots = np.concatenate([roots, np.zeros(site_ids.size, bool)])
    node_demand = np.zeros(n_node)
    node_demand[site_node] = site_demand_mbps[site_ids]
    areas, cell_area, n_area = _plan_areas(plan, spec)
    # routing cells carry no demand: any area will do for them
    node_area = np.concatenate(
        [
            np.zeros(n_route, dtype=np.int64),
            _site_areas(cell_area, sites, plan["population"].values)[site_ids],
        ]
    )

    def per_node(values) -> np.ndarray:
        out = np.full(n_node, np.inf)
        out[site_node] = np.asarray(values, dtype=np.float64)[site_ids]
        return out

    site_options = _satellite_site_options(
        plan, spec, options, site_option_cost_usd, cell_area, n_area, per_node
    )
    if microwave is not None:  # relay chains, priced per site, unlimited like fibre
        pv, hops = microwave
        node_hops = np.zeros(n_node, dtype=np.int64)
        node_hops[site_node] = np.maximum(hops[site_ids], 0)
        site_options.insert(
            0, SiteOption("microwave", "microwave", per_node(pv), True, None, node_hops)
        )
    fibre_site = np.zeros(n_node)
    fibre_site[site_node] = fibre_site_cost_usd(spec.fiber, spec.finance)
    start_nodes = None
    if start is not None:
        start_nodes = np.concatenate([start[0][:n_route], start[1][site_ids]]).astype(bool)
    joint = joint_plan(
        graph, roots, fibre_site, site_options, node_demand, node_area, start_in_tree=start_nodes
    )
    decision, design = joint.decision, joint.design
    names = np.array([*decision.names, ""], dtype=object)
    site_choice = np.full(sites.n_sites, "", dtype=object)
    site_runner = np.full(sites.n_sites, "", dtype=object)
    site_reason = np.full(sites.n_sites, "", dtype=object)
    site_cost = np.full(sites.n_sites, np.nan)
    site_runner_cost = np.full(sites.n_sites, np.nan)
    site_choice[site_ids] = names[decision.choice[site_node]]
    site_runner[site_ids] = names[decision.runner_up[site_node]]
    site_reason[site_ids] = decision.reason[site_node]
    site_cost[site_ids] = decision.chosen_cost_usd[site_node]
    site_runner_cost[site_ids] = decision.runner_up_cost_usd[site_node]
    used = design.edge_used[: km.size] & (graph.edge_status[: km.size] == 0)
    route_in_tree = design.in_tree[:n_route] & ~roots[:n_route]
    route_trunk = np.where(route_in_tree, design.trunk_id[:n_route], -1)
    route_sharing = np.where(route_trunk >= 0, design.cells_sharing_trunk[:n_route], 0)
    in_tree = routing.to_plan_any(route_in_tree)
    trunk = routing.to_plan_max(route_trunk.astype(np.int64), -1)
    sharing = routing.to_plan_max(np.asarray(route_sharing, dtype=np.int64), 0)
    # a cell's allocated trunk cost: its people's share of their sites' trunk shares
    site_trunk = np.zeros(sites.n_sites)
    site_trunk[site_ids] = np.where(
        design.served[site_node], design.allocated_trunk_usd[site_node], 0.0
    )
    allocated = np.nan_to_num(
        sites.allocate_to_cells(site_trunk, plan["population"].values), nan=0.0
    )
    return NetworkPlan(
        site_choice,
        site_cost,
        site_runner,
        site_runner_cost,
        site_reason,
        trunk.astype(np.int32),
        sharing,
        allocated,
        in_tree,
        areas,
        float(km[used].sum()),
        int(np.unique(trunk[trunk >= 0]).size),
        float(np.nansum(site_cost)),
        joint.rounds,
        graph=graph,
        design=design,
        site_node=_site_nodes(sites.n_sites, site_ids, site_node),
        prize_usd=joint.prize_usd,
    )


def _satellite_site_options(
    plan, spec: PlanningSpec, options, site_option_cost_usd, cell_area, n_area, spread
) -> list[SiteOption]:
    """One :class:`SiteOption` per satellite option: its per-site cost where the site
    meets the criteria (inf elsewhere; unlicensed options kept, they explain choices),
    put on the nodes by ``spread``, and its capacity per area of ``cell_area``."""
    criteria: FeasibilityCriteria = spec.criteria
    site_options = []
    for option in options:
        ok = feasible(option, criteria) | ~option.licensed  # unlicensed: still explains
        covered = option.pct_time_covered >= criteria.min_availability_pct
        cost = np.where(
            covered & (option.latency_rtt_ms <= criteria.max_latency_rtt_ms) & ok,
            site_option_cost_usd[option.code_name],
            np.inf,
        )
        capacity = None
        if (
            spec.network.satellite_capacity
            and option.orbit in ("leo", "meo", "geo")
            and "n_visible_min" in plan
        ):
            model = default_capacity(option.system, option.orbit)
            visible = plan["n_visible_min"].sel(system=option.system).values.astype(float)
            per_area = np.full(n_area, np.inf)
            np.minimum.at(per_area, cell_area, visible)
            capacity = np.asarray(model.capacity_mbps(per_area), dtype=np.float64)
        site_options.append(
            SiteOption(option.code_name, "satellite", spread(cost), bool(option.licensed), capacity)
        )
    return site_options


@dataclass(frozen=True)
class SitePlan:
    """The choice per target site under satellite capacity, without shared trunks.

    ``(n_site,)`` arrays as :class:`NetworkPlan`'s first five (non-target sites: ``""``
    / NaN).
    """

    site_choice: np.ndarray
    site_cost_usd: np.ndarray
    site_runner_up: np.ndarray
    site_runner_up_cost_usd: np.ndarray
    site_reason: np.ndarray


def capacity_plan(
    plan: xr.Dataset,
    spec: PlanningSpec,
    sites: Sites,
    target: np.ndarray,
    site_demand_mbps: np.ndarray,
    site_option_cost_usd: dict[str, np.ndarray],
    options: list[SatelliteOption],
    microwave: tuple[np.ndarray, np.ndarray] | None = None,
) -> SitePlan:
    """Each target site's cheapest option with room left (:func:`.capacity.decide_sites`)
    when no trunk is shared: no existing network in the region, or ``[network] design =
    "per_site"``. Fibre is the site's own path (``site_option_cost_usd["fiber"]``, inf
    without a network) and microwave its own chain, both unlimited; the satellites have
    their capacity per area, as in :func:`network_plan`. Without this, a region without
    fibre would put every target on one satellite system whatever its capacity."""
    site_ids = np.flatnonzero(target)
    _, cell_area, n_area = _plan_areas(plan, spec)
    site_area = _site_areas(cell_area, sites, plan["population"].values)[site_ids]

    def pick(values) -> np.ndarray:
        return np.asarray(values, dtype=np.float64)[site_ids]

    site_options = [SiteOption("fiber", "fiber", pick(site_option_cost_usd["fiber"]))]
    if microwave is not None:
        pv, hops = microwave
        site_options.append(
            SiteOption(
                "microwave", "microwave", pick(pv), True, None, np.maximum(hops, 0)[site_ids]
            )
        )
    site_options += _satellite_site_options(
        plan, spec, options, site_option_cost_usd, cell_area, n_area, pick
    )
    decision = decide_sites(site_options, site_demand_mbps[site_ids], site_area)
    names = np.array([*decision.names, ""], dtype=object)
    out = SitePlan(
        np.full(sites.n_sites, "", dtype=object),
        np.full(sites.n_sites, np.nan),
        np.full(sites.n_sites, "", dtype=object),
        np.full(sites.n_sites, np.nan),
        np.full(sites.n_sites, "", dtype=object),
    )
    out.site_choice[site_ids] = names[decision.choice]
    out.site_cost_usd[site_ids] = decision.chosen_cost_usd
    out.site_runner_up[site_ids] = names[decision.runner_up]
    out.site_runner_up_cost_usd[site_ids] = decision.runner_up_cost_usd
    out.site_reason[site_ids] = decision.reason
    return out


def tree_start(network: NetworkPlan, n_site: int) -> tuple[np.ndarray, np.ndarray]:
    """The tree of a network plan as a warm start for another on the same routing grid
    and sites: ``(routing cell in the tree (n_route,), site on the tree (n_site,))``."""
    node = network.site_node
    n_route = network.graph.n_nodes - int(np.count_nonzero(node >= 0))
    served = np.zeros(n_site, dtype=bool)
    served[node >= 0] = network.design.in_tree[node[node >= 0]]
    return network.design.in_tree[:n_route].copy(), served


def _site_nodes(n_site: int, site_ids: np.ndarray, site_node: np.ndarray) -> np.ndarray:
    out = np.full(n_site, -1, dtype=np.int64)
    out[site_ids] = site_node
    return out
