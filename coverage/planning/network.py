"""Shared fibre trunks: a prize-collecting Steiner tree (PCST) rooted at the existing network.

The problem (``research/backhaul-anchors.md`` §1.4): nodes are cells; edge ``e`` costs
``c_e`` [USD, present value of building and maintaining that stretch of fibre]; every
cell on the existing network is a root (all roots are contracted into one); node ``v``
carries a prize ``p_v`` [USD], the present value of its best stand-alone alternative
(satellite, microwave), and a node cost ``s_v`` [USD], the fibre site equipment it needs
when the network serves it. Minimise

    total = sum_{e in tree} c_e + sum_{v served} s_v + sum_{v not served} p_v,

the whole cost of the hybrid plan when every site is served one way or the other. A node
in the tree is *served* when its net prize ``max(0, p_v - s_v)`` is positive; a node with
no net prize may still carry the trunk through (a Steiner node).

Solution in three levels:

1. Strong pruning (Johnson, Minkoff & Phillips, SODA 2000) on the shortest-path tree
   from the roots (``scipy.sparse.csgraph.dijkstra``): the best subtree of that tree,
   ``net(v) = p'(v) + sum_children max(0, net(c) - c(v, c))``, O(n).
2. Local search on the full graph: regrow shortest paths to the current tree (sharing
   what is built, as Prim/Takahashi-Matsuyama do) and re-span the tree's nodes and
   their neighbours by a minimum spanning tree, strong-pruning each candidate; keep a
   candidate only if the total falls. Every step is monotone, so the result never costs
   more than the per-cell plan (each site alone on its shortest path, or its prize).
3. An exact MILP (directed multi-commodity flow, ``scipy.optimize.milp`` / HiGHS) on
   small instances and on independent clusters, for the optimum and a lower bound:
   ``network_exact.exact_pcst``, ``network_exact.certify``.

Cost allocation (documented rule): each tree edge's cost is shared by the served nodes
downstream of it in proportion to their demand weight (default: equal shares), so the
allocations add up to the tree's edge cost exactly.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import CoverageError
from .economics import FiberCosts, FinanceAssumptions, annuity_factor
from .network_fast import (
    adjacency,
    dijkstra_update,
    edges_between,
    multi_source_dijkstra,
    path_sums,
    prune_passes,
    spanning_tree,
    stable_order,
    strictly_increasing,
    tree_objective,
    tree_order,
    tree_shares,
)

#: Edge status codes of :class:`FibreGraph` (``edge_status``).
EDGE_NEW, EDGE_PLANNED, EDGE_PLANNED_BUILT = 0, 1, 2
EDGE_STATUS_MEANINGS = ("new_build", "planned_route", "planned_route_built")

#: Costs below this are raised to it inside the graph algorithms only (scipy's sparse
#: graphs drop explicit zeros); totals use the true costs [USD].
_EPS_USD = 1e-6


class NetworkDesignError(CoverageError):
    """Inputs to the network design that are inconsistent (shapes, indices, signs)."""


def _message(where: str, expected: str, found: str, fix: str) -> str:
    return f"{where}: expected {expected}, found {found}; {fix}"


@dataclass(frozen=True)
class FibreGraph:
    """Candidate fibre edges between nodes (cells, sites).

    Attributes
    ----------
    n_nodes : int
        Number of nodes; edges index ``0 .. n_nodes-1``.
    edge_i, edge_j : numpy.ndarray
        End nodes of each edge, int64 ``(n_edge,)``; undirected.
    edge_cost_usd : numpy.ndarray
        Present value of building and keeping the edge [USD], ``(n_edge,)``, finite, >= 0.
    edge_status : numpy.ndarray
        int8 ``(n_edge,)``: :data:`EDGE_NEW`, :data:`EDGE_PLANNED` (a planned route, not
        built: priced as a build) or :data:`EDGE_PLANNED_BUILT` (cost 0).
    """

    n_nodes: int
    edge_i: np.ndarray
    edge_j: np.ndarray
    edge_cost_usd: np.ndarray
    edge_status: np.ndarray

    @classmethod
    def from_edges(
        cls, n_nodes: int, edge_i, edge_j, edge_cost_usd, edge_status=None
    ) -> FibreGraph:
        """Validate and build; ``edge_status`` defaults to all :data:`EDGE_NEW`."""
        i = np.asarray(edge_i, dtype=np.int64).ravel()
        j = np.asarray(edge_j, dtype=np.int64).ravel()
        cost = np.asarray(edge_cost_usd, dtype=np.float64).ravel()
        status = (
            np.zeros(i.shape, np.int8)
            if edge_status is None
            else np.asarray(edge_status, dtype=np.int8).ravel()
        )
        if not (i.shape == j.shape == cost.shape == status.shape):
            raise NetworkDesignError(
                _message(
                    "FibreGraph edges",
                    "edge_i, edge_j, edge_cost_usd, edge_status of one length",
                    f"lengths {i.size}, {j.size}, {cost.size}, {status.size}",
                    "pass one value per edge",
                )
            )
        if i.size and (min(i.min(), j.min()) < 0 or max(i.max(), j.max()) >= n_nodes):
            raise NetworkDesignError(
                _message(
                    "FibreGraph edges",
                    f"node indices in [0, {n_nodes})",
                    f"range [{min(i.min(), j.min())}, {max(i.max(), j.max())}]",
                    "index nodes from 0 and pass n_nodes",
                )
            )
        if cost.size and not (np.all(np.isfinite(cost)) and cost.min() >= 0):
            bad = int(np.flatnonzero(~(np.isfinite(cost) & (cost >= 0)))[0])
            raise NetworkDesignError(
                _message(
                    f"FibreGraph edge {bad}",
                    "a finite cost >= 0 [USD]",
                    f"{cost[bad]!r}",
                    "leave impassable edges out of the graph",
                )
            )
        if status.size and not np.isin(status, (EDGE_NEW, EDGE_PLANNED, EDGE_PLANNED_BUILT)).all():
            raise NetworkDesignError(
                _message(
                    "FibreGraph edge_status",
                    "0 (new), 1 (planned) or 2 (planned, built)",
                    f"{sorted(set(status.tolist()))}",
                    "use the EDGE_* codes",
                )
            )
        return cls(int(n_nodes), i, j, cost, status)

    def with_planned_route(self, edge_i, edge_j, edge_cost_usd, built: bool) -> FibreGraph:
        """This graph plus a planned route's edges: at their cost, or free when ``built``."""
        i = np.asarray(edge_i, dtype=np.int64).ravel()
        cost = np.zeros(i.shape) if built else np.asarray(edge_cost_usd, np.float64).ravel()
        status = np.full(i.shape, EDGE_PLANNED_BUILT if built else EDGE_PLANNED, np.int8)
        return FibreGraph.from_edges(
            self.n_nodes,
            np.concatenate([self.edge_i, i]),
            np.concatenate([self.edge_j, np.asarray(edge_j, np.int64).ravel()]),
            np.concatenate([self.edge_cost_usd, cost]),
            np.concatenate([self.edge_status, status]),
        )


def fibre_edge_cost_usd(weighted_km, costs: FiberCosts, finance: FinanceAssumptions):
    """Present value of fibre along terrain-weighted length [km] -> [USD].

    ``weighted_km * cost_per_km_usd * (1 + opex_fraction_per_year * annuity)``, the same
    rule as ``economics.fiber_option_usd`` without the site equipment.
    """
    factor = 1.0 + costs.opex_fraction_per_year * annuity_factor(
        finance.discount_rate, finance.horizon_years
    )
    return np.asarray(weighted_km, dtype=np.float64) * costs.cost_per_km_usd * factor


def fibre_site_cost_usd(costs: FiberCosts, finance: FinanceAssumptions) -> float:
    """Present value of the fibre site equipment at one served node [USD]."""
    return costs.site_equipment_usd * (
        1.0
        + costs.opex_fraction_per_year
        * annuity_factor(finance.discount_rate, finance.horizon_years)
    )


@dataclass(frozen=True)
class NetworkDesign:
    """The fibre tree and what each node gets from it. Shapes ``(n_node,)`` unless noted.

    Attributes
    ----------
    in_tree : bool array
        Node is on the network after the plan (roots, served nodes, pass-through nodes).
    served : bool array
        Non-root node connected by the new fibre and paying its site equipment.
    parent : int64 array
        Next node towards the existing network (-1 for roots and nodes off the tree).
    parent_edge : int64 array
        Index into the graph's edges of the edge to ``parent`` (-1 where none).
    trunk_id : int64 array
        The tree hanging off the existing network that holds the node (its first node
        below the root); -1 off the tree and for roots.
    segment_id : int64 array
        The chain of edges above the node up to the next branching or served node; -1
        off the tree and for roots.
    cells_sharing_trunk, cells_sharing_segment : int64 array
        Served nodes downstream of the trunk's first edge / of the segment.
    allocated_trunk_usd : float64 array
        The node's share of the tree's edge costs [USD] (served nodes only; 0 elsewhere):
        each edge's cost split by the demand below it, then capped at the node's best
        alternative less its site equipment, the excess moved to the trunk's other nodes
        in proportion to their room (:func:`capped_shares`).
    standalone_fibre_usd : float64 array
        Shortest path to the existing network plus site cost [USD] (inf if unreachable).
    edge_used : bool array, ``(n_edge,)``
        Graph edges in the tree.
    edge_cost_total_usd, total_usd : float
        Sum of the tree's edge costs; the plan's total (edges + served sites' equipment +
        prizes of the rest) [USD].
    per_cell_total_usd : float
        The per-cell plan on the same inputs: ``sum min(prize, standalone_fibre)`` [USD].
    rounds : int
        Local-search rounds that improved the tree.
    """

    in_tree: np.ndarray
    served: np.ndarray
    parent: np.ndarray
    parent_edge: np.ndarray
    trunk_id: np.ndarray
    segment_id: np.ndarray
    cells_sharing_trunk: np.ndarray
    cells_sharing_segment: np.ndarray
    allocated_trunk_usd: np.ndarray
    standalone_fibre_usd: np.ndarray
    edge_used: np.ndarray
    edge_cost_total_usd: float
    total_usd: float
    per_cell_total_usd: float
    rounds: int


# --------------------------------------------------------------------------- contraction


@dataclass(frozen=True)
class _Contracted:
    """The graph with all roots merged into node ``root`` (= n_nodes); parallel edges
    reduced to the cheapest; ``orig`` maps each contracted edge to a graph edge;
    ``lists``: ``matrix`` as the two CSR lists of :func:`.network_fast.adjacency`;
    ``weight_order``: the edges in a stable sort of their (eps-raised) weights, the
    order scipy's Kruskal takes them in (:func:`.network_fast.spanning_tree`);
    ``ordered_ends``: ``(a, b)`` in that order (int32 below 2**31 nodes), which the
    spanning tree reads one after the other instead of gathering them."""

    n: int  # nodes in the contracted graph (n_nodes + 1)
    root: int
    a: np.ndarray
    b: np.ndarray
    cost: np.ndarray
    orig: np.ndarray
    matrix: sp.csr_matrix
    lists: tuple = ()
    weight_order: np.ndarray | None = None
    ordered_ends: tuple = ()

    @property
    def min_weight(self) -> float:
        """The smallest edge weight of the graph algorithms [USD] (inf without edges)."""
        return float(self.lists[2].min()) if self.lists[2].size else np.inf


def _contract(graph: FibreGraph, root_mask: np.ndarray) -> _Contracted:
    n = graph.n_nodes
    node = np.arange(n, dtype=np.int64)
    node[root_mask] = n
    a, b = node[graph.edge_i], node[graph.edge_j]
    keep = a != b
    lo, hi = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
    cost, orig = graph.edge_cost_usd[keep], np.flatnonzero(keep)
    order = stable_order(cost, hi, lo)  # np.lexsort: cheapest first within each (lo, hi)
    lo, hi, cost, orig = lo[order], hi[order], cost[order], orig[order]
    first = np.ones(lo.size, dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    lo, hi, cost, orig = lo[first], hi[first], cost[first], orig[first]
    weight = np.maximum(cost, _EPS_USD)
    matrix = sp.csr_matrix((weight, (lo, hi)), shape=(n + 1, n + 1))
    fwd, back = adjacency(lo, hi, weight, n + 1)
    order = stable_order(weight)  # np.argsort(weight, kind="stable")
    ends_dtype = np.int32 if n < np.iinfo(np.int32).max else np.int64
    ends = (lo[order].astype(ends_dtype), hi[order].astype(ends_dtype))
    return _Contracted(n + 1, n, lo, hi, cost, orig, matrix, (*fwd, *back), order, ends)


# --------------------------------------------------------------------------- pruning


@dataclass(frozen=True)
class _Tree:
    """A rooted tree on the contracted graph: ``parent`` and ``edge`` (contracted edge
    index to the parent), -1 off the tree; ``objective`` [USD, net-prize form]."""

    parent: np.ndarray
    edge: np.ndarray
    objective: float


def _tree_order(c: _Contracted, parent: np.ndarray) -> np.ndarray:
    """Nodes of the tree given by ``parent`` in breadth-first order from the root
    (:func:`.network_fast.tree_order`: scipy's ``breadth_first_order`` of the tree's
    matrix, node for node)."""
    return tree_order(np.asarray(parent, np.int64), int(c.root))


def _strong_prune(
    c: _Contracted, parent: np.ndarray, edge: np.ndarray, net_prize: np.ndarray, order=None
) -> _Tree:
    """JMP00 strong pruning of a rooted tree: its best subtree containing the root;
    ``order``: the tree's :func:`_tree_order` if known."""
    order = np.asarray(_tree_order(c, parent) if order is None else order, dtype=np.int64)
    keep_parent, keep_edge = prune_passes(
        order,
        np.asarray(parent, np.int64),
        np.asarray(edge, np.int64),
        np.asarray(c.cost, np.float64),
        np.array(net_prize, dtype=np.float64),  # a copy: the passes add to it
        int(c.root),
    )
    return _Tree(keep_parent, keep_edge, _objective(c, keep_parent, keep_edge, net_prize))


def _objective(c: _Contracted, parent: np.ndarray, edge: np.ndarray, net_prize) -> float:
    """Edge costs of the tree + net prizes of the nodes left out (constant part dropped)."""
    return float(
        tree_objective(
            np.asarray(parent, np.int64),
            np.asarray(edge, np.int64),
            np.asarray(c.cost, np.float64),
            np.asarray(net_prize, np.float64),
            int(c.root),
        )
    )


def _tree_from_predecessors(c: _Contracted, pred: np.ndarray) -> tuple:
    """``(parent, edge)`` of the tree given by Dijkstra's predecessors (edges found in
    the contracted graph's adjacency lists, :func:`.network_fast.edges_between`)."""
    parent = np.where(pred >= 0, pred, -1).astype(np.int64)
    parent[c.root] = -1
    edge = np.full(c.n, -1, np.int64)
    child = np.flatnonzero(parent >= 0)
    if child.size:
        found = edges_between(*c.lists[:2], c.lists[3], parent[child], child)
        if np.any(found < 0):
            raise KeyError("a predecessor link is not an edge of the contracted graph")
        edge[child] = found
    return parent, edge


@dataclass(frozen=True)
class _Paths:
    """Dijkstra from a set of source nodes over the contracted graph: ``sources`` (bool
    ``(n,)``) and :func:`.network_fast.multi_source_dijkstra`'s ``(dist, pred,
    pred_edge)``. Never written to (``_regrow`` copies what it changes)."""

    sources: np.ndarray
    dist: np.ndarray
    pred: np.ndarray
    pred_edge: np.ndarray


#: Above this share of the nodes changing source, the Dijkstra runs from scratch (an
#: update would touch most of the graph twice); the result is the same either way.
UPDATE_MAX_CHANGED = 0.125


def _paths_from(c: _Contracted, sources: np.ndarray, base: _Paths | None = None) -> _Paths:
    """Dijkstra from the nodes ``sources`` (bool): updated from ``base`` (an earlier one
    on the same graph, :func:`.network_fast.dijkstra_update`) when few sources differ
    and the update's condition holds, else from scratch; the same arrays either way."""
    if base is not None:
        changed = int(np.count_nonzero(base.sources != sources))
        if changed <= UPDATE_MAX_CHANGED * c.n:
            dist, pred, pred_edge = dijkstra_update(
                base.sources, sources, base.dist, base.pred, base.pred_edge, c.n, *c.lists
            )
            if strictly_increasing(base.dist, c.min_weight) and strictly_increasing(
                dist, c.min_weight
            ):
                return _Paths(sources, dist, pred, pred_edge)
    dist, pred, pred_edge = multi_source_dijkstra(np.flatnonzero(sources), c.n, *c.lists)
    return _Paths(sources, dist, pred, pred_edge)


def _shortest_to_tree(c: _Contracted, tree: _Tree, base: _Paths | None = None) -> _Paths:
    """Dijkstra from the tree's nodes (and the root) over the whole graph
    (:func:`.network_fast.multi_source_dijkstra`, scipy's ``dijkstra(min_only=True)``
    step for step; compiled without the GIL, so it runs beside the other candidates of a
    local-search round), updated from ``base`` where that is cheaper (:func:`_paths_from`)."""
    return _paths_from(c, _tree_nodes(c, tree), base)


def _regrow(c: _Contracted, tree: _Tree, net_prize, paths: _Paths | None = None) -> _Tree:
    """Shortest paths from every node to the current tree, grafted on, then pruned;
    ``paths``: :func:`_shortest_to_tree` of ``tree`` if already computed."""
    paths = _shortest_to_tree(c, tree) if paths is None else paths
    nodes = np.flatnonzero(paths.sources)
    pred = paths.pred.copy()
    pred[nodes] = tree.parent[nodes]
    parent = np.where(pred >= 0, pred, -1)
    parent[c.root] = -1
    edge = paths.pred_edge.copy()
    edge[nodes] = tree.edge[nodes]
    edge[parent < 0] = -1
    return _strong_prune(c, parent, edge, net_prize)


def _span_and_prune(c: _Contracted, nodes: np.ndarray, net_prize) -> _Tree:
    """Minimum spanning tree of the subgraph induced by ``nodes`` (bool), then pruned
    (:func:`.network_fast.spanning_tree`: scipy's ``minimum_spanning_tree`` and the
    breadth-first predecessors from the root, edge for edge)."""
    ends = c.ordered_ends or (c.a[c.weight_order], c.b[c.weight_order])
    parent, edge, order = spanning_tree(
        np.asarray(nodes, np.bool_), c.a, c.b, c.weight_order, int(c.root), *ends
    )
    return _strong_prune(c, parent, edge, net_prize, order)  # order: _tree_order's


def _tree_nodes(c: _Contracted, tree: _Tree) -> np.ndarray:
    nodes = tree.parent >= 0
    nodes[c.root] = True
    return nodes


def _respan(c: _Contracted, tree: _Tree, net_prize, with_neighbours: bool) -> _Tree:
    """Minimum spanning tree of the tree's nodes (and their neighbours), then pruned."""
    nodes = _tree_nodes(c, tree)
    if with_neighbours:
        touch = nodes[c.a] | nodes[c.b]
        nodes[c.a[touch]] = True
        nodes[c.b[touch]] = True
    return _span_and_prune(c, nodes, net_prize)


def _vertex_moves(c: _Contracted, tree: _Tree, net_prize, budget: int) -> _Tree:
    """Key-vertex insertion and elimination: re-span the tree's nodes with one node added
    (a neighbour of the tree) or removed (a non-root tree node), best first; at most
    ``budget`` candidates, those with the largest net prize / smallest net prize first."""
    nodes = _tree_nodes(c, tree)
    touch = nodes[c.a] | nodes[c.b]
    outside = np.zeros(c.n, bool)
    outside[c.a[touch]] = True
    outside[c.b[touch]] = True
    outside &= ~nodes
    add = np.flatnonzero(outside)
    add = add[np.argsort(-net_prize[add], kind="stable")]
    drop = np.flatnonzero(nodes)
    drop = drop[drop != c.root]
    drop = drop[np.argsort(net_prize[drop], kind="stable")]
    best = tree
    for k, v in enumerate(np.concatenate([add, drop]).tolist()):
        if k >= budget:
            break
        trial = _tree_nodes(c, best)
        trial[v] = not trial[v]
        candidate = _span_and_prune(c, trial, net_prize)
        if candidate.objective < best.objective - 1e-9 * max(1.0, abs(best.objective)):
            best = candidate
    return best


# --------------------------------------------------------------------------- public API


def _checked_node_arrays(graph: FibreGraph, prize_usd, root_mask, node_cost_usd):
    n = graph.n_nodes
    prize = np.broadcast_to(np.asarray(prize_usd, dtype=np.float64), (n,)).copy()
    roots = np.broadcast_to(np.asarray(root_mask, dtype=bool), (n,)).copy()
    site = np.broadcast_to(np.asarray(node_cost_usd, dtype=np.float64), (n,)).copy()
    for name, arr in (("prize_usd", prize), ("node_cost_usd", site)):
        bad = np.flatnonzero(np.isnan(arr) | (arr < 0))
        if bad.size:
            raise NetworkDesignError(
                _message(
                    f"{name}[{bad[0]}]",
                    "a cost >= 0 [USD] (inf allowed)",
                    f"{arr[bad[0]]!r}",
                    "give every node a non-negative value",
                )
            )
    if not roots.any():
        raise NetworkDesignError(
            _message(
                "root_mask",
                "at least one node on the existing network",
                "none",
                "mark the cells that hold existing fibre or a point of presence",
            )
        )
    return prize, roots, site


def _net_prizes(c: _Contracted, prize, roots, site, big_usd):
    net = np.zeros(c.n)
    net[:-1] = np.where(roots, 0.0, np.clip(prize - site, 0.0, big_usd))
    return net


def _cores() -> int:
    """The cores this process may use."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return cores or 1


def _dijkstra_thread() -> ThreadPoolExecutor | None:
    """A second thread for the local search's Dijkstra when this process may use two
    cores (None: all on the calling thread; the results are the same either way)."""
    return ThreadPoolExecutor(1, "pcst-dijkstra") if _cores() > 1 else None


def _start_threads(n_starts: int) -> ThreadPoolExecutor | None:
    """Threads for the multi-start's local searches, one per core up to one per start
    (None: one after the other on the calling thread, each with a
    :func:`_dijkstra_thread`). Each search is a function of its start alone and their
    results are compared in the starts' order, so the design is the same either way;
    most of a search is its Dijkstra, compiled without the GIL, so the threads run on
    both cores."""
    workers = min(_cores(), n_starts)
    return ThreadPoolExecutor(workers, "pcst-start") if workers > 1 else None


#: Largest graph on which key-vertex moves run by default [nodes].
VERTEX_MOVES_MAX_NODES = 2_000
#: Prize multipliers of the starting trees of the multi-start local search.
START_PRIZE_SCALES = (1.0, 1.5, 3.0, 10.0)


#: Trunks of a design re-solved exactly (largest first), the size of the cluster around
#: each [nodes], and the branch-and-bound nodes each exact solve may take: a count, not a
#: time, so a design does not depend on the machine's speed or load.
EXACT_TRUNKS = 8
EXACT_CLUSTER_NODES = 180
EXACT_NODE_LIMIT = 5_000
#: A guard against a pathological instance only [s per solve] (the node limit binds
#: first on every plan seen; a solve stopped by it keeps its best tree found).
EXACT_GUARD_S = 120.0
#: Largest MILP tried: terminals x arcs (the flow variables; ~200 bytes each in HiGHS).
EXACT_MAX_FLOWS = 150_000


def _cluster(adjacency: sp.csr_matrix, seeds: np.ndarray, root: int, max_nodes: int):
    """The seeds and rings of their neighbours, up to ``max_nodes`` nodes (root included)."""
    taken = np.zeros(adjacency.shape[0], dtype=bool)
    taken[seeds] = True
    taken[root] = True
    frontier = np.asarray(seeds, dtype=np.int64)
    while frontier.size and taken.sum() < max_nodes:
        ring = np.unique(adjacency[frontier].indices)
        ring = ring[~taken[ring]]
        ring = ring[: max(0, max_nodes - int(taken.sum()))]
        taken[ring] = True
        frontier = ring
    return np.flatnonzero(taken)


def _exact_polish(
    c: _Contracted, tree: _Tree, net, n_trunks: int, max_nodes: int, node_limit: int
) -> _Tree:
    """Re-solve the neighbourhood of the tree's largest trunks exactly.

    Around each trunk (its nodes and rings of neighbours, at most ``max_nodes``), the PCST
    restricted to that cluster is solved by the MILP (:func:`.network_exact.exact_pcst`);
    its nodes replace the tree's there, the whole is re-spanned and pruned, and kept where
    the objective falls. Each solve stops after ``node_limit`` branch-and-bound nodes (a
    count: the same design on any machine); trunks of more than half the
    cluster, and clusters whose MILP would exceed :data:`EXACT_MAX_FLOWS` flow variables,
    keep the heuristic's tree.
    """
    from .network_exact import exact_pcst

    order = _tree_order(c, tree.parent).tolist()
    trunk = np.full(c.n, -1, np.int64)
    for v in order[1:]:
        p = int(tree.parent[v])
        trunk[v] = v if p == c.root else trunk[p]
    if not (trunk >= 0).any():
        return tree
    has = tree.edge >= 0
    size = np.bincount(trunk[has], weights=c.cost[tree.edge[has]], minlength=c.n)
    adjacency = (c.matrix + c.matrix.T).tocsr()
    best = tree
    for t in np.argsort(-size)[:n_trunks].tolist():
        if size[t] <= 0:
            break
        seeds = np.flatnonzero(trunk == t)
        if seeds.size > max_nodes // 2:  # too big a trunk for the exact solver
            continue
        nodes = _cluster(adjacency, seeds, c.root, max_nodes)
        index = np.full(c.n, -1, np.int64)
        index[nodes] = np.arange(nodes.size)
        inside = (index[c.a] >= 0) & (index[c.b] >= 0)
        if np.count_nonzero(net[nodes] > 0) * 2 * int(inside.sum()) > EXACT_MAX_FLOWS:
            continue  # memory and time of the MILP: keep the heuristic's tree here
        sub = FibreGraph.from_edges(
            nodes.size, index[c.a[inside]], index[c.b[inside]], c.cost[inside]
        )
        exact = exact_pcst(
            sub, net[nodes], nodes == c.root, 0.0, EXACT_GUARD_S, node_limit=node_limit
        )
        if not np.isfinite(exact.total_usd):
            continue
        trial = _tree_nodes(c, best)
        trial[nodes] = False
        trial[nodes[exact.in_tree]] = True
        trial[c.root] = True
        candidate = _span_and_prune(c, trial, net)
        if candidate.objective < best.objective - 1e-9 * max(1.0, abs(best.objective)):
            best = candidate
    return best


class _RecentPaths:
    """The last few Dijkstras of a local search (:class:`_Paths`): a round whose tree has
    the nodes of a recent one (only its edges changed, or it went back) takes it as it
    is; any other round's Dijkstra is updated from the recent one whose sources differ
    least (:func:`_paths_from`), which on all of Pakistan touches a few thousand of the
    176,000 nodes instead of all of them. ``first``: a Dijkstra to start from (the root's)."""

    def __init__(self, first: _Paths | None = None, size: int = 3) -> None:
        self.size = size
        self.kept: list[_Paths] = [] if first is None else [first]

    def nearest(self, c: _Contracted, tree: _Tree) -> tuple[_Paths | None, bool]:
        """The kept Dijkstra whose sources differ least from the tree's nodes, and
        whether they are the same."""
        sources = _tree_nodes(c, tree)
        best, fewest = None, np.inf
        for paths in self.kept:
            changed = int(np.count_nonzero(paths.sources != sources))
            if changed < fewest:
                best, fewest = paths, changed
        return best, fewest == 0

    def put(self, paths: _Paths) -> None:
        if any(p is paths for p in self.kept):
            return
        self.kept = [*self.kept[-(self.size - 1) :], paths]


def _local_search(
    c: _Contracted,
    tree: _Tree,
    net,
    max_rounds: int,
    vertex_budget: int,
    pool=None,
    first: _Paths | None = None,
):
    """Regrow / re-span / vertex moves, each pruned, until nothing lowers the objective;
    ``pool``: a thread (:func:`_dijkstra_thread`) for the regrow's Dijkstra; ``first``:
    a Dijkstra on the same graph the first round's may be updated from."""
    rounds = 0
    recent = _RecentPaths(first)
    for _ in range(max_rounds):
        # the regrow's Dijkstra (compiled, no GIL) on a second thread beside the respans,
        # unless a recent tree had the same nodes (the Dijkstra depends on them alone)
        base, same = recent.nearest(c, tree)
        paths = base if same else None
        if paths is None and pool is not None:
            paths = pool.submit(_shortest_to_tree, c, tree, base)
        respans = [
            _respan(c, tree, net, with_neighbours=False),
            _respan(c, tree, net, with_neighbours=True),
        ]
        if paths is None:
            paths = _shortest_to_tree(c, tree, base)
        elif not isinstance(paths, _Paths):
            paths = paths.result()
        recent.put(paths)
        candidates = [_regrow(c, tree, net, paths), *respans]
        if vertex_budget > 0:
            candidates.append(_vertex_moves(c, tree, net, vertex_budget))
        top = min(candidates, key=lambda t: t.objective)
        if top.objective >= tree.objective - 1e-9 * max(1.0, abs(tree.objective)):
            break
        tree, rounds = top, rounds + 1
    return tree, rounds


def _search_starts(
    c: _Contracted, starts, net, max_rounds: int, vertex_budget: int, first: _Paths | None = None
):
    """:func:`_local_search` from each start, in the starts' order: on
    :func:`_start_threads` when there are cores for them, else one after the other;
    ``first``: the Dijkstra every search's first round may be updated from."""
    threads = _start_threads(len(starts))
    if threads is None:
        pool = _dijkstra_thread()
        try:
            return [
                _local_search(c, s, net, max_rounds, vertex_budget, pool, first) for s in starts
            ]
        finally:
            if pool is not None:
                pool.shutdown()
    with threads:
        return list(
            threads.map(
                lambda s: _local_search(c, s, net, max_rounds, vertex_budget, first=first), starts
            )
        )


@dataclass(frozen=True)
class PreparedGraph:
    """A graph with its roots contracted into one (:func:`_contract`) and the Dijkstra
    from that root: what every design on the same graph and roots starts from, whatever
    the prizes."""

    graph: FibreGraph
    roots: np.ndarray
    contracted: _Contracted
    from_root: _Paths

    def fits(self, graph: FibreGraph, roots: np.ndarray) -> bool:
        """Prepared for this graph (the same object) and these roots (equal values)."""
        return graph is self.graph and np.array_equal(self.roots, roots)


def prepare_graph(graph: FibreGraph, root_mask) -> PreparedGraph:
    """:class:`PreparedGraph` of ``graph`` rooted at ``root_mask`` (bool ``(n_node,)``)."""
    roots = np.broadcast_to(np.asarray(root_mask, dtype=bool), (graph.n_nodes,)).copy()
    c = _contract(graph, roots)
    sources = np.zeros(c.n, dtype=bool)
    sources[c.root] = True
    return PreparedGraph(graph, roots, c, _paths_from(c, sources))


def design_network(
    graph: FibreGraph,
    prize_usd,
    root_mask,
    node_cost_usd=0.0,
    demand_weight=None,
    max_rounds: int = 20,
    vertex_budget: int | None = None,
    exact_trunks: int = EXACT_TRUNKS,
    start_in_tree=None,
    prepared: PreparedGraph | None = None,
) -> NetworkDesign:
    """Shared fibre trunks for the given prizes: strong pruning, local search, then the
    largest trunks' neighbourhoods re-solved exactly.

    Parameters
    ----------
    graph : FibreGraph
        Candidate fibre edges with their present-value costs [USD].
    prize_usd : array_like, ``(n_node,)``
        Present value of each node's best stand-alone alternative [USD]; 0 where nobody
        needs service; ``inf`` where there is no alternative.
    root_mask : array_like of bool, ``(n_node,)``
        Nodes on the existing network (contracted into one root).
    node_cost_usd : array_like, ``(n_node,)`` or scalar
        Present value of the fibre site equipment a served node needs [USD].
    demand_weight : array_like, ``(n_node,)``, optional
        Weights for sharing edge costs among the served nodes below them (e.g. demand
        [Mbit/s]); equal shares when omitted.
    max_rounds : int
        Cap on improving local-search rounds.
    vertex_budget : int, optional
        Key-vertex insertions/eliminations tried per round (each re-spans the tree);
        default 400 on graphs up to :data:`VERTEX_MOVES_MAX_NODES` nodes, else 0 (use
        :func:`independent_clusters` to apply them cluster by cluster).
    exact_trunks : int
        The largest trunks whose neighbourhood (:data:`EXACT_CLUSTER_NODES` nodes) is then
        re-solved by the exact MILP, each within :data:`EXACT_NODE_LIMIT` branch-and-bound
        nodes; 0: none.
    start_in_tree : array_like of bool, ``(n_node,)``, optional
        The nodes of a tree to start from, e.g. the design without a planned route on the
        same cells. It is re-spanned, pruned and improved by local search only (no
        multi-start, no exact polish): what changes is what the new inputs (more roots,
        other prizes) make better, never a far-away trunk the multi-start or the
        time-budgeted polish happens to pick otherwise. With more roots and the same
        prizes the total never rises (the old tree's span is feasible and no dearer).
    prepared : PreparedGraph, optional
        :func:`prepare_graph` of this ``graph`` and ``root_mask`` (the same objects'
        values; otherwise prepared again here), shared by designs that differ in their
        prizes only (``capacity.joint_plan``'s rounds).

    Returns
    -------
    NetworkDesign
    """
    prize, roots, site = _checked_node_arrays(graph, prize_usd, root_mask, node_cost_usd)
    if prepared is None or not prepared.fits(graph, roots):
        prepared = prepare_graph(graph, roots)
    c, from_root = prepared.contracted, prepared.from_root
    if vertex_budget is None:
        vertex_budget = 400 if c.n <= VERTEX_MOVES_MAX_NODES else 0
    big = 2.0 * float(c.cost.sum()) + 1.0  # an inf prize: must connect if it can
    net = _net_prizes(c, prize, roots, site, big)
    dist, pred = from_root.dist, from_root.pred
    parent = np.where(pred >= 0, pred, -1)
    parent[c.root] = -1
    edge = from_root.pred_edge.copy()
    edge[parent < 0] = -1
    best = _strong_prune(c, parent, edge, net)
    rounds = 0
    if start_in_tree is not None:  # a warm start, improved locally (see the docstring)
        nodes = np.append(np.broadcast_to(np.asarray(start_in_tree, bool), (graph.n_nodes,)), True)
        pool = _dijkstra_thread()
        try:
            best, rounds = _local_search(
                c, _span_and_prune(c, nodes, net), net, max_rounds, vertex_budget, pool, from_root
            )
        finally:
            if pool is not None:
                pool.shutdown()
        exact_trunks = 0
    else:
        # Multi-start: trees grown for inflated prizes hold the nodes a shared trunk could
        # reach; re-spanning and pruning them at the true prizes, then local search.
        starts = []
        for scale in START_PRIZE_SCALES:
            start = best if scale == 1.0 else _strong_prune(c, parent, edge, net * scale)
            starts.append(
                _Tree(start.parent, start.edge, _objective(c, start.parent, start.edge, net))
            )
        for tree, n_rounds in _search_starts(c, starts, net, max_rounds, vertex_budget, from_root):
            if tree.objective < best.objective - 1e-9 * max(1.0, abs(best.objective)):
                best, rounds = tree, n_rounds
    if exact_trunks > 0:
        polished = _exact_polish(c, best, net, exact_trunks, EXACT_CLUSTER_NODES, EXACT_NODE_LIMIT)
        if polished is not best:
            best, rounds = polished, rounds + 1
    # Distances with true (not eps-raised) costs along the shortest-path tree.
    standalone = _true_distances(c, parent, edge, dist)[:-1] + site
    standalone[roots] = 0.0
    return _describe(graph, c, best, prize, roots, site, demand_weight, standalone, rounds)


def capped_shares(share, served, trunk, headroom) -> np.ndarray:
    """Trunk shares that no served node pays above its best alternative.

    ``share`` splits each edge's cost by the demand below it, which can charge a big site
    on a long trunk more than it would pay alone. Per trunk (any grouping label: a
    microwave relay tree too), shares above a node's
    ``headroom`` (its prize less its site equipment) are cut to it and the excess goes to
    the trunk's other served nodes in proportion to what they have left; a trunk the
    design keeps always has room for it (its prizes pay for it), else its shares are
    left as they were.
    """
    out = np.asarray(share, dtype=np.float64).copy()
    room = np.where(served, np.asarray(headroom, dtype=np.float64), 0.0)
    over = served & (out > room)
    for t in np.unique(trunk[over]):
        mine = served & (trunk == t)
        excess = float(np.sum(np.maximum(out[mine] - room[mine], 0.0)))
        capped = np.minimum(out[mine], room[mine])
        slack = room[mine] - capped
        free = float(np.sum(slack[np.isfinite(slack)]))
        if np.isinf(slack).any():  # a node with no alternative takes it all
            inf = np.isinf(slack)
            capped[inf] += excess / inf.sum()
        elif free >= excess * (1.0 - 1e-12) - 1e-6 and free > 0:
            capped += min(excess, free) * slack / free
        else:
            continue
        out[mine] = capped
    return out


def _true_distances(c: _Contracted, parent, edge, dist) -> np.ndarray:
    order = _tree_order(c, parent)
    out = path_sums(order, np.asarray(parent, np.int64), np.asarray(edge, np.int64), c.cost, c.n)
    return np.where(np.isfinite(dist), out, np.inf)


def _describe(
    graph, c, tree: _Tree, prize, roots, site, demand_weight, standalone, rounds
) -> NetworkDesign:
    n = graph.n_nodes
    in_tree = np.zeros(n, dtype=bool)
    in_tree[:] = tree.parent[:-1] >= 0
    served = in_tree & ~roots & (prize > site)
    in_tree |= roots
    weight = (
        np.ones(n)
        if demand_weight is None
        else np.broadcast_to(np.asarray(demand_weight, np.float64), (n,)).copy()
    )
    weight = np.where(served, np.where(weight > 0, weight, 0.0), 0.0)
    if np.any(served & (weight <= 0)):  # a served node with zero demand still shares
        weight[served & (weight <= 0)] = 1e-12

    order = _tree_order(c, tree.parent)
    cost_up = np.zeros(c.n)
    has = tree.edge >= 0
    cost_up[has] = c.cost[tree.edge[has]]
    down_w = np.concatenate([weight, [0.0]])
    down_n = np.concatenate([served.astype(np.int64), [0]])
    served_c = np.concatenate([served, [False]])
    rate, trunk, segment = tree_shares(
        np.asarray(order, np.int64),
        np.asarray(tree.parent, np.int64),
        cost_up,
        down_w,  # summed up the tree in place
        down_n,
        served_c,
        int(c.root),
    )

    parent = np.full(n, -1, np.int64)
    parent_edge = np.full(n, -1, np.int64)
    child = np.flatnonzero(tree.parent[:-1] >= 0)
    parent_edge[child] = c.orig[tree.edge[child]]
    ends = np.stack([graph.edge_i[parent_edge[child]], graph.edge_j[parent_edge[child]]])
    parent[child] = np.where(ends[0] == child, ends[1], ends[0])
    edge_used = np.zeros(graph.edge_i.size, dtype=bool)
    edge_used[parent_edge[child]] = True

    trunk_n = np.where(trunk[:-1] >= 0, down_n[np.maximum(trunk[:-1], 0)], 0)
    seg_n = np.where(segment[:-1] >= 0, down_n[:-1], 0)
    # The segment's count is that of its top node: equal along a pass-through chain, and
    # for a served node the chain above it carries everything the node carries.
    edge_total = float(graph.edge_cost_usd[edge_used].sum())
    unserved = ~served & ~roots
    total = edge_total + float(site[served].sum()) + float(prize[unserved].sum())
    per_cell = float(np.minimum(prize, standalone)[~roots].sum())
    return NetworkDesign(
        in_tree=in_tree,
        served=served,
        parent=parent,
        parent_edge=parent_edge,
        trunk_id=np.where(trunk[:-1] >= 0, trunk[:-1], -1),
        segment_id=segment[:-1],
        cells_sharing_trunk=trunk_n.astype(np.int64),
        cells_sharing_segment=seg_n,
        allocated_trunk_usd=capped_shares(
            np.where(served, weight * rate[:-1], 0.0), served, trunk[:-1], prize - site
        ),
        standalone_fibre_usd=standalone,
        edge_used=edge_used,
        edge_cost_total_usd=edge_total,
        total_usd=total,
        per_cell_total_usd=per_cell,
        rounds=rounds,
    )
