"""The exact prize-collecting Steiner tree by MILP, and certificates for the heuristic.

Same problem and totals as :mod:`.network` (see there). :func:`exact_pcst` solves it on
HiGHS through ``scipy.optimize.milp`` (directed multi-commodity flow); :func:`certify`
reports the heuristic's gap to the MILP's lower bound; :func:`independent_clusters` and
:func:`cluster_subgraph` cut a graph into the pieces that meet only at the network, whose
optima add up to the whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from .network import (
    FibreGraph,
    NetworkDesign,
    _checked_node_arrays,
    _contract,
    _net_prizes,
    design_network,
)


@dataclass(frozen=True)
class ExactResult:
    """Exact PCST by MILP. ``total_usd`` in the same terms as ``NetworkDesign.total_usd``.

    ``lower_bound_usd`` is HiGHS's dual bound (equal to ``total_usd`` when ``optimal``).
    """

    total_usd: float
    lower_bound_usd: float
    optimal: bool
    in_tree: np.ndarray  # bool (n_node,), roots included
    status: str


def exact_pcst(
    graph: FibreGraph,
    prize_usd,
    root_mask,
    node_cost_usd=0.0,
    time_limit_s: float = 60.0,
    node_limit: int | None = None,
) -> ExactResult:
    """Solve the rooted PCST exactly: directed multi-commodity flow MILP on HiGHS.

    Variables: ``y_v`` (node in tree), ``x_a`` (arc in tree, both directions of every
    edge, none into the root), ``f^k_a`` (flow of commodity ``k`` from the root to each
    node with a positive net prize). Constraints: one arc into every tree node
    (``sum_in x = y_v``), ``x_a <= y_tail``, ``f^k_a <= x_a``, and ``y_k`` units of
    commodity ``k`` conserved from the root to ``k``. Its LP relaxation is as strong as
    the directed cut formulation (Ljubić et al., Math. Program. 105, 2006). Meant for
    instances up to a few hundred nodes. ``node_limit`` (branch-and-bound nodes) bounds
    the work by a count, so the answer does not depend on the machine's speed or load as
    ``time_limit_s`` does; ``optimal`` says whether either stopped the search.
    """
    prize, roots, site = _checked_node_arrays(graph, prize_usd, root_mask, node_cost_usd)
    c = _contract(graph, roots)
    big = 2.0 * float(c.cost.sum()) + 1.0
    net = _net_prizes(c, prize, roots, site, big)
    tail = np.concatenate([c.a, c.b])
    head = np.concatenate([c.b, c.a])
    arc_cost = np.concatenate([c.cost, c.cost])
    ok = head != c.root
    tail, head, arc_cost = tail[ok], head[ok], arc_cost[ok]
    n_arc = tail.size
    terminals = np.flatnonzero(net > 0)
    n_k = terminals.size
    n_y = c.n  # y of the root is fixed to 1 through bounds
    n_var = n_y + n_arc + n_k * n_arc
    ix_x = n_y + np.arange(n_arc)

    def flow_ix(k):
        return n_y + n_arc + k * n_arc + np.arange(n_arc)

    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0

    def add(row_cols, row_vals, lo_v, hi_v):
        nonlocal r
        rows.append(np.full(len(row_cols), r))
        cols.append(np.asarray(row_cols))
        vals.append(np.asarray(row_vals, dtype=np.float64))
        lo.append(lo_v)
        hi.append(hi_v)
        r += 1

    into = [[] for _ in range(c.n)]
    out = [[] for _ in range(c.n)]
    for k_arc, (t, h) in enumerate(zip(tail.tolist(), head.tolist(), strict=True)):
        into[h].append(k_arc)
        out[t].append(k_arc)
    for v in range(c.n):
        if v == c.root:
            continue
        add([*ix_x[into[v]], v], [*([1.0] * len(into[v])), -1.0], 0.0, 0.0)
    for k_arc, t in enumerate(tail.tolist()):
        if t != c.root:
            add([ix_x[k_arc], t], [1.0, -1.0], -np.inf, 0.0)
    for k, term in enumerate(terminals.tolist()):
        f = flow_ix(k)
        for k_arc in range(n_arc):
            add([f[k_arc], ix_x[k_arc]], [1.0, -1.0], -np.inf, 0.0)
        for v in range(c.n):
            cs = [*f[into[v]], *f[out[v]]]
            vs = [*([1.0] * len(into[v])), *([-1.0] * len(out[v]))]
            if v == term:
                add([*cs, term], [*vs, -1.0], 0.0, 0.0)
            elif v == c.root:
                add([*cs, term], [*vs, 1.0], 0.0, 0.0)
            elif cs:
                add(cs, vs, 0.0, 0.0)
    A = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, n_var)
    )
    objective = np.zeros(n_var)
    objective[:n_y] = -net
    objective[ix_x] = arc_cost
    lower = np.zeros(n_var)
    upper = np.ones(n_var)
    lower[c.root] = 1.0
    integrality = np.zeros(n_var)
    integrality[: n_y + n_arc] = 1
    res = milp(
        objective,
        constraints=LinearConstraint(A, np.array(lo), np.array(hi)),
        integrality=integrality,
        bounds=Bounds(lower, upper),
        options={"time_limit": float(time_limit_s), "mip_rel_gap": 1e-9}
        | ({} if node_limit is None else {"node_limit": int(node_limit)}),
    )
    # total = edges + sum_served s + sum_unserved p; with p = min(p, s) + net for every
    # non-root node this is the MILP objective + sum(net) + sum(min(p, s)).
    offset = float(net[:-1].sum()) + float(np.where(roots, 0.0, np.minimum(prize, site)).sum())
    if res.x is None:
        return ExactResult(np.nan, np.nan, False, np.zeros(graph.n_nodes, bool), res.message)
    y = res.x[:n_y] > 0.5
    dual = getattr(res, "mip_dual_bound", None)
    bound = float(dual) + offset if dual is not None and np.isfinite(dual) else np.nan
    total = float(res.fun) + offset
    in_tree = y[:-1] | roots
    return ExactResult(
        total, total if res.status == 0 else bound, res.status == 0, in_tree, str(res.message)
    )


@dataclass(frozen=True)
class Certificate:
    """Heuristic against exact on the same instance [USD]; ``gap = (h - lb) / h``."""

    heuristic_usd: float
    exact_usd: float
    lower_bound_usd: float
    gap: float
    optimal: bool


def certify(
    graph: FibreGraph,
    prize_usd,
    root_mask,
    node_cost_usd=0.0,
    time_limit_s: float = 60.0,
    design: NetworkDesign | None = None,
) -> Certificate:
    """Gap of :func:`design_network` against the MILP's lower bound on one instance."""
    if design is None:
        design = design_network(graph, prize_usd, root_mask, node_cost_usd)
    exact = exact_pcst(graph, prize_usd, root_mask, node_cost_usd, time_limit_s)
    h = design.total_usd
    gap = (h - exact.lower_bound_usd) / h if h > 0 else 0.0
    return Certificate(h, exact.total_usd, exact.lower_bound_usd, float(gap), exact.optimal)


def independent_clusters(graph: FibreGraph, root_mask) -> np.ndarray:
    """Label of each node's connected component once the roots are removed, ``(n_node,)``.

    Components meet only at the (contracted) root, so the PCST splits into one
    independent problem per label: the optimum and its lower bound are the sums over
    the clusters. Roots get -1.
    """
    roots = np.broadcast_to(np.asarray(root_mask, dtype=bool), (graph.n_nodes,))
    keep = ~roots[graph.edge_i] & ~roots[graph.edge_j]
    m = sp.csr_matrix(
        (np.ones(int(keep.sum())), (graph.edge_i[keep], graph.edge_j[keep])),
        shape=(graph.n_nodes, graph.n_nodes),
    )
    _, labels = connected_components(m, directed=False)
    return np.where(roots, -1, labels).astype(np.int64)


def cluster_subgraph(graph: FibreGraph, root_mask, labels, label: int):
    """One cluster with its root nodes as a standalone instance.

    Returns ``(subgraph, nodes)``: ``nodes`` are the original indices of the subgraph's
    nodes (the cluster's nodes, then the roots it touches).
    """
    roots = np.broadcast_to(np.asarray(root_mask, dtype=bool), (graph.n_nodes,))
    member = labels == label
    touch = member[graph.edge_i] | member[graph.edge_j]
    nodes = np.flatnonzero(
        member
        | (
            roots
            & np.isin(
                np.arange(graph.n_nodes), np.concatenate([graph.edge_i[touch], graph.edge_j[touch]])
            )
        )
    )
    index = np.full(graph.n_nodes, -1, np.int64)
    index[nodes] = np.arange(nodes.size)
    inside = touch & (index[graph.edge_i] >= 0) & (index[graph.edge_j] >= 0)
    sub = FibreGraph.from_edges(
        nodes.size,
        index[graph.edge_i[inside]],
        index[graph.edge_j[inside]],
        graph.edge_cost_usd[inside],
        graph.edge_status[inside],
    )
    return sub, nodes
