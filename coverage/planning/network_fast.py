"""The compiled inner loops of the fibre network's local search (``network.py``).

On all of Pakistan at H3 res 7 (160,871 cells, 479,226 edges) ``network.design_network``
spent most of its time in two Python loops over the nodes, run once per candidate tree:
strong pruning (219 calls, 41 s) and the tree from Dijkstra's predecessors (210 calls,
33 s) of 87 s (cProfile, shared 2-core machine). :func:`prune_passes` and
:func:`edge_of_links` do the same work (the same floating-point operations in the same
order, so the same trees bit for bit) in a few milliseconds per call; ``network.py``
calls them, and ``tests/test_planning_network_fast.py`` keeps the loops as the reference.

Then the local search's own graph work (cProfile, the same run): the regrow's Dijkstra
from the tree (474 calls, 65 s of 255 s profiled), the edge of each predecessor link
(binary search over all edges, 12 s) and the breadth-first order of every candidate tree
(8 s). :func:`multi_source_dijkstra`, :func:`edges_between` and :func:`tree_order` do
them step for step as scipy does (the same distances, predecessors and orders, checked
against scipy on random graphs full of ties), compiled without the GIL, so
``network._local_search`` runs the Dijkstra on a second thread beside the re-spans.

Then (session 7, the all-Pakistan route valuation): consecutive trees of a local search
share most of their nodes, so :func:`dijkstra_update` updates the last Dijkstra instead
of running it again (5.4 s -> 0.8 s over the 66 Dijkstras of one multi-start design, the
same arrays), and :func:`spanning_tree` replaces scipy's minimum spanning tree and
breadth-first predecessors of every re-span (one stable sort of the weights per graph
instead of one per call). ``tests/test_planning_network_fast.py`` checks both against
the full search and scipy on random graphs full of ties.

Then (session 9, the serial parts around the searches; thread CPU over one all-Pakistan
planning + planned-route run, shared machine): the contraction's sorts by radix passes
(:func:`stable_order`, the same permutations as ``np.lexsort`` and the stable argsort),
the spanning tree reading the edges' ends in weight order and returning its
breadth-first order (:func:`tree_order`'s, so a re-span's pruning does not build it
again), the objective's sums (:func:`tree_objective`, numpy's pairwise sums followed term
for term by :func:`pairwise_sum`) and ``network._describe``'s loops
(:func:`tree_shares`). ``tests/test_planning_network_fast.py`` keeps each former
formulation and checks these against it bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def prune_passes(order, parent, edge, cost, net, root):  # pragma: no cover - compiled
    """The two passes of strong pruning (``net`` is updated in place): leaves up, a
    child's positive gain moves to its parent; root down, the subtrees that pay for their
    edge are kept. Returns ``(keep_parent, keep_edge)``."""
    n = parent.size
    for k in range(order.size - 1, 0, -1):  # leaves up: a child's positive gain moves up
        v = order[k]
        gain = net[v] - cost[edge[v]]
        if gain > 0:
            net[parent[v]] += gain
    keep_parent = np.full(n, -1, np.int64)
    keep_edge = np.full(n, -1, np.int64)
    kept = np.zeros(n, np.bool_)
    kept[root] = True
    for k in range(1, order.size):  # root down: keep the subtrees that pay for their edge
        v = order[k]
        p = parent[v]
        if kept[p] and net[v] - cost[edge[v]] > 0:
            kept[v] = True
            keep_parent[v] = p
            keep_edge[v] = edge[v]
    return keep_parent, keep_edge


def edge_of_links(a: np.ndarray, b: np.ndarray, n: int, parent: np.ndarray, child: np.ndarray):
    """Index of the contracted edge joining each ``(parent, child)`` pair.

    The contracted edges are unique and sorted by ``(a, b)`` (``network._contract``), so
    an edge is found by binary search. Raises ``KeyError`` for a pair that is no edge.
    """
    keys = np.asarray(a, np.int64) * n + np.asarray(b, np.int64)
    want = np.minimum(parent, child) * n + np.maximum(parent, child)
    at = np.searchsorted(keys, want)
    if np.any(at >= keys.size) or np.any(keys[np.minimum(at, keys.size - 1)] != want):
        raise KeyError("a predecessor link is not an edge of the contracted graph")
    return at


def adjacency(a: np.ndarray, b: np.ndarray, cost: np.ndarray, n: int):
    """The contracted graph's edges (``a < b``, unique, sorted by ``(a, b)``) as the two
    CSR lists scipy's undirected Dijkstra scans: ``(indptr, indices, weight, edge)`` of
    the matrix ``(a, b)`` (rows ``a``) and of its transpose (rows ``b``, the ``a``
    ascending, as ``csr.T.tocsr()`` orders them); ``edge`` is the edge index of each
    entry."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    weight = np.asarray(cost, np.float64)
    eid = np.arange(a.size, dtype=np.int64)
    fwd = (np.concatenate([[0], np.cumsum(np.bincount(a, minlength=n))]), b, weight, eid)
    order = np.argsort(b, kind="stable")  # a ascending within each b
    back = (
        np.concatenate([[0], np.cumsum(np.bincount(b, minlength=n))]),
        a[order],
        weight[order],
        eid[order],
    )
    return fwd, back


@njit(cache=True, nogil=True)
def _before(d1, i1, d2, i2):  # pragma: no cover - compiled
    # scipy's queue pops the largest (-distance, index): the nearest, ties to the larger index
    return d1 < d2 or (d1 == d2 and i1 > i2)


@njit(cache=True, nogil=True, inline="always")
def heap_push(hd, hi, size, d, v):  # pragma: no cover - compiled
    """Push ``(d, v)`` on a binary heap held in ``hd`` (keys) and ``hi`` (int ids) of
    ``size`` entries, which pops the smallest key first, ties to the larger id (the
    order of scipy's Dijkstra queue; :func:`multi_source_dijkstra`, Horn's rollout);
    returns the new size."""
    k = size
    while k > 0:
        p = (k - 1) >> 1
        if _before(d, v, hd[p], hi[p]):
            hd[k], hi[k] = hd[p], hi[p]
            k = p
        else:
            break
    hd[k], hi[k] = d, v
    return size + 1


@njit(cache=True, nogil=True, inline="always")
def heap_pop(hd, hi, size):  # pragma: no cover - compiled
    """Pop the first ``(d, v)`` of the heap of :func:`heap_push` (the last entry sifts
    down from the top); ``(d, v, new size)``."""
    d, v = hd[0], hi[0]
    size -= 1
    ld, li = hd[size], hi[size]
    k = 0
    while True:
        c = 2 * k + 1
        if c >= size:
            break
        if c + 1 < size and _before(hd[c + 1], hi[c + 1], hd[c], hi[c]):
            c += 1
        if _before(hd[c], hi[c], ld, li):
            hd[k], hi[k] = hd[c], hi[c]
            k = c
        else:
            break
    hd[k], hi[k] = ld, li
    return d, v, size


@njit(cache=True, nogil=True)
def multi_source_dijkstra(
    sources, n, indptr, indices, weight, eid, t_indptr, t_indices, t_weight, t_eid
):  # pragma: no cover - compiled
    """``scipy.sparse.csgraph.dijkstra(directed=False, indices=sources, min_only=True,
    return_predecessors=True)`` on the graph given by :func:`adjacency`, bit for bit;
    also the edge to each node's predecessor. Returns ``(dist, pred, pred_edge)``
    (inf, -9999, -1 where none).

    scipy 1.17's algorithm step for step: a binary heap of ``(distance, node)`` that pops
    the nearest first, ties to the larger node (scipy's ``priority_queue`` of
    ``(-distance, node)`` pairs), stale entries skipped; a node's forward list scanned
    before its transposed one; a label replaced only by a strictly shorter distance.
    The nodes are scanned in the same order with the same labels, so every distance and
    predecessor is the same. Compiled without the GIL: it runs on a second thread beside
    Python work.
    """
    dist = np.full(n, np.inf)
    pred = np.full(n, -9999, np.int64)
    pred_edge = np.full(n, -1, np.int64)
    cap = sources.size + indices.size + t_indices.size + 1
    hd = np.empty(cap, np.float64)
    hi = np.empty(cap, np.int64)
    size = 0
    for s in sources:
        dist[s] = 0.0
        size = heap_push(hd, hi, size, 0.0, s)
    while size > 0:
        d, v, size = heap_pop(hd, hi, size)
        if dist[v] < d:  # stale
            continue
        for side in range(2):
            ptr = indptr if side == 0 else t_indptr
            idx = indices if side == 0 else t_indices
            w = weight if side == 0 else t_weight
            ed = eid if side == 0 else t_eid
            for j in range(ptr[v], ptr[v + 1]):
                u = idx[j]
                nd = d + w[j]
                if dist[u] > nd:
                    dist[u] = nd
                    pred[u] = v
                    pred_edge[u] = ed[j]
                    size = heap_push(hd, hi, size, nd, u)
    return dist, pred, pred_edge


@njit(cache=True, nogil=True)
def edges_between(indptr, indices, eid, parent, child):  # pragma: no cover - compiled
    """Index of the contracted edge joining each ``(parent, child)`` pair, found in the
    forward list of :func:`adjacency` (row ``min``, column ``max``): what
    :func:`edge_of_links` finds by binary search over all edges, in a few steps per
    pair. -1 for a pair that is no edge."""
    out = np.full(child.size, -1, np.int64)
    for k in range(child.size):
        lo, hi = min(parent[k], child[k]), max(parent[k], child[k])
        for j in range(indptr[lo], indptr[lo + 1]):
            if indices[j] == hi:
                out[k] = eid[j]
                break
    return out


@njit(cache=True, nogil=True)
def tree_order(parent, root):  # pragma: no cover - compiled
    """Nodes of the tree given by ``parent`` (-1: none) in breadth-first order from
    ``root``: ``scipy.sparse.csgraph.breadth_first_order`` of the matrix
    ``(parent[child], child)`` (children in ascending order, as its CSR holds them),
    node for node."""
    n = parent.size
    start = np.zeros(n + 1, np.int64)
    for v in range(n):
        if parent[v] >= 0:
            start[parent[v] + 1] += 1
    for v in range(n):
        start[v + 1] += start[v]
    fill = start[:-1].copy()
    kids = np.empty(start[n], np.int64)
    for v in range(n):  # ascending: each parent's children in ascending order
        p = parent[v]
        if p >= 0:
            kids[fill[p]] = v
            fill[p] += 1
    seen = np.zeros(n, np.bool_)
    seen[root] = True
    order = np.empty(n, np.int64)
    order[0] = root
    head, tail = 0, 1
    while head < tail:
        u = order[head]
        head += 1
        for j in range(start[u], start[u + 1]):
            w = kids[j]
            if not seen[w]:
                seen[w] = True
                order[tail] = w
                tail += 1
    return order[:tail]


@njit(cache=True, nogil=True)
def path_sums(order, parent, edge, cost, n):  # pragma: no cover - compiled
    """Length of the tree path from the root (``order[0]``) to every node of ``order``
    (a breadth-first order of the tree ``parent``/``edge``), adding ``cost`` edge by
    edge from the root down, as a Python loop over ``order`` does; inf elsewhere."""
    out = np.full(n, np.inf)
    out[order[0]] = 0.0
    for k in range(1, order.size):
        v = order[k]
        out[v] = out[parent[v]] + cost[edge[v]]
    return out


# --------------------------------------------------------------------------- incremental


@njit(cache=True, nogil=True)
def _forest_children(pred, n):  # pragma: no cover - compiled
    """The children of each node in the predecessor forest ``pred`` as CSR lists."""
    start = np.zeros(n + 1, np.int64)
    for v in range(n):
        if pred[v] >= 0:
            start[pred[v] + 1] += 1
    for v in range(n):
        start[v + 1] += start[v]
    fill = start[:-1].copy()
    kids = np.empty(start[n], np.int64)
    for v in range(n):
        if pred[v] >= 0:
            kids[fill[pred[v]]] = v
            fill[pred[v]] += 1
    return start, kids


@njit(cache=True, nogil=True)
def dijkstra_update(
    old_sources,
    new_sources,
    old_dist,
    old_pred,
    old_pred_edge,
    n,
    indptr,
    indices,
    weight,
    eid,
    t_indptr,
    t_indices,
    t_weight,
    t_eid,
):  # pragma: no cover - compiled
    """:func:`multi_source_dijkstra` from the sources ``new_sources`` (bool ``(n,)``),
    computed from its result ``(old_dist, old_pred, old_pred_edge)`` for the sources
    ``old_sources`` on the same graph: the same ``(dist, pred, pred_edge)``, bit for bit,
    when every edge weight ``w > 0`` and ``d + w > d`` in floating point for every finite
    distance ``d`` (:func:`strictly_increasing` checks it; ``network._Paths`` falls back
    to the full search otherwise).

    Why the same. The distances are the least sums, added edge by edge from a source,
    over all paths (``x + w`` is non-decreasing in ``x``, so any label-correcting order
    reaches them). Nodes whose shortest-path tree hangs from a dropped source lose their
    label and are seeded from their other neighbours; added sources start at 0; a
    Dijkstra from these seeds lowers only what it must (an untouched node keeps a label
    that is the sum along its old path, and every edge satisfies ``d(v) <= d(u) + w``).
    With ``d + w > d``, the full search pops nodes by increasing distance, ties to the
    larger index, and a node's predecessor is the first popped neighbour ``u`` with
    ``d(u) + w == d(v)``: a function of the distances around the node, recomputed
    where a node's distance or a neighbour's changed.
    """
    dist = old_dist.copy()
    pred = old_pred.copy()
    pred_edge = old_pred_edge.copy()
    start, kids = _forest_children(old_pred, n)
    invalid = np.zeros(n, np.bool_)
    stack = np.empty(n, np.int64)
    for s in range(n):  # the subtrees of the dropped sources lose their labels
        if old_sources[s] and not new_sources[s]:
            invalid[s] = True
            top = 1
            stack[0] = s
            while top > 0:
                top -= 1
                u = stack[top]
                for j in range(start[u], start[u + 1]):
                    k = kids[j]
                    if not invalid[k]:
                        invalid[k] = True
                        stack[top] = k
                        top += 1
    for v in range(n):
        if invalid[v]:
            dist[v] = np.inf
    cap = n + indices.size + t_indices.size + 1
    hd = np.empty(cap, np.float64)
    hi = np.empty(cap, np.int64)
    size = 0
    for v in range(n):
        if new_sources[v] and not old_sources[v]:
            dist[v] = 0.0
            size = heap_push(hd, hi, size, 0.0, v)
    for v in range(n):  # seeds: the best label from a neighbour that kept its own
        if invalid[v] and not new_sources[v]:
            best = np.inf
            for side in range(2):
                ptr = indptr if side == 0 else t_indptr
                idx = indices if side == 0 else t_indices
                w = weight if side == 0 else t_weight
                for j in range(ptr[v], ptr[v + 1]):
                    u = idx[j]
                    if not invalid[u] and dist[u] + w[j] < best:
                        best = dist[u] + w[j]
            if best < np.inf:
                dist[v] = best
                size = heap_push(hd, hi, size, best, v)
    while size > 0:
        d, v, size = heap_pop(hd, hi, size)
        if dist[v] < d:  # stale
            continue
        for side in range(2):
            ptr = indptr if side == 0 else t_indptr
            idx = indices if side == 0 else t_indices
            w = weight if side == 0 else t_weight
            for j in range(ptr[v], ptr[v + 1]):
                u = idx[j]
                nd = d + w[j]
                if dist[u] > nd:
                    dist[u] = nd
                    size = heap_push(hd, hi, size, nd, u)
    # predecessors again where a node's distance or a neighbour's changed
    done = np.zeros(n, np.bool_)
    for v0 in range(n):
        if not (invalid[v0] or dist[v0] != old_dist[v0] or old_sources[v0] != new_sources[v0]):
            continue
        lo0, hi0 = indptr[v0], indptr[v0 + 1]
        lo1, hi1 = t_indptr[v0], t_indptr[v0 + 1]
        for jj in range(-1, (hi0 - lo0) + (hi1 - lo1)):
            if jj < 0:
                v = v0
            elif jj < hi0 - lo0:
                v = indices[lo0 + jj]
            else:
                v = t_indices[lo1 + jj - (hi0 - lo0)]
            if done[v]:
                continue
            done[v] = True
            pred[v] = -9999
            pred_edge[v] = -1
            dv = dist[v]
            if new_sources[v] or dv == np.inf:
                continue
            bd, bu, be = np.inf, -1, -1
            for side in range(2):
                ptr = indptr if side == 0 else t_indptr
                idx = indices if side == 0 else t_indices
                w = weight if side == 0 else t_weight
                ed = eid if side == 0 else t_eid
                for j in range(ptr[v], ptr[v + 1]):
                    u = idx[j]
                    du = dist[u]
                    if du + w[j] == dv and (du < bd or (du == bd and u > bu)):
                        bd, bu, be = du, u, ed[j]
            pred[v] = bu
            pred_edge[v] = be
    return dist, pred, pred_edge


def strictly_increasing(dist: np.ndarray, min_weight: float) -> bool:
    """Whether ``d + w > d`` in floating point for every finite distance ``d`` and every
    weight ``w >= min_weight > 0`` (the condition of :func:`dijkstra_update`)."""
    finite = dist[np.isfinite(dist)]
    if min_weight <= 0 or not finite.size:
        return min_weight > 0
    top = float(finite.max())
    return top + min_weight > top


@njit(cache=True, nogil=True)
def spanning_tree(nodes, a, b, order, root, a_in_order, b_in_order):  # pragma: no cover
    """``scipy.sparse.csgraph.minimum_spanning_tree`` of the edges ``(a, b)`` with both
    ends in ``nodes`` (bool), then each node's parent and edge towards ``root`` in it
    (``breadth_first_order(directed=False)``'s predecessors): ``(parent, edge, order)``,
    -1 off the root's tree.

    scipy's Kruskal takes the edges in a stable sort of their weights (CSR order among
    equals: here the edge order, ``a`` then ``b`` ascending, as ``network._contract``
    holds them) and keeps each edge that joins two components; ``order`` is that sort
    over all edges (a stable sort restricted to a subset is the subset's stable sort),
    so the same edges are kept. In a tree each node has one path to the root, so the
    breadth-first predecessors are the parents whatever the scan order. ``a_in_order``,
    ``b_in_order``: ``a[order]``, ``b[order]`` (``network._Contracted.ordered_ends``),
    read in sequence: 4.5 -> 2.2 ms a span of a 15,578-node tree on all Pakistan's
    489,842 edges, where gathering the ends through ``order`` missed the cache.

    Also returns the tree's nodes in breadth-first order from the root: each node's
    neighbours are listed by edge index, which for edges sorted by ``(a, b)`` with
    ``a < b`` is ascending node order, so this is :func:`tree_order` of ``parent``
    (children ascending), node for node, without building the children again.
    """
    n = nodes.size
    comp = np.arange(n)
    keep = np.zeros(a.size, np.bool_)
    degree = np.zeros(n + 1, np.int64)
    for k in range(order.size):
        u, v = np.int64(a_in_order[k]), np.int64(b_in_order[k])
        if not (nodes[u] and nodes[v]):
            continue
        while comp[u] != u:  # path halving
            comp[u] = comp[comp[u]]
            u = comp[u]
        while comp[v] != v:
            comp[v] = comp[comp[v]]
            v = comp[v]
        if u != v:
            comp[u] = v
            e = order[k]
            keep[e] = True
            degree[a[e] + 1] += 1
            degree[b[e] + 1] += 1
    for v in range(n):
        degree[v + 1] += degree[v]
    fill = degree[:-1].copy()
    other = np.empty(degree[n], np.int64)
    via = np.empty(degree[n], np.int64)
    for e in range(a.size):
        if keep[e]:
            other[fill[a[e]]], via[fill[a[e]]] = b[e], e
            fill[a[e]] += 1
            other[fill[b[e]]], via[fill[b[e]]] = a[e], e
            fill[b[e]] += 1
    parent = np.full(n, -1, np.int64)
    edge = np.full(n, -1, np.int64)
    seen = np.zeros(n, np.bool_)
    seen[root] = True
    queue = np.empty(n, np.int64)
    queue[0] = root
    head, tail = 0, 1
    while head < tail:
        u = queue[head]
        head += 1
        for j in range(degree[u], degree[u + 1]):
            w = other[j]
            if not seen[w]:
                seen[w] = True
                parent[w] = u
                edge[w] = via[j]
                queue[tail] = w
                tail += 1
    return parent, edge, queue[:tail]


@njit(cache=True, nogil=True)
def _radix_pass_order(keys, perm):  # pragma: no cover - compiled
    """``perm`` stably sorted by ``keys[perm]`` (uint64): a least-significant-digit radix
    sort, 16 bits a pass, the passes above the largest key skipped."""
    n = perm.size
    top = np.uint64(0)
    for i in range(n):
        if keys[perm[i]] > top:
            top = keys[perm[i]]
    out = perm.copy()
    tmp = np.empty(n, np.int64)
    count = np.empty(65537, np.int64)
    shift = np.uint64(0)
    mask = np.uint64(0xFFFF)
    while shift < 64 and (shift == 0 or (top >> shift) > 0):
        count[:] = 0
        for i in range(n):
            count[np.int64((keys[out[i]] >> shift) & mask) + 1] += 1
        for d in range(65536):
            count[d + 1] += count[d]
        for i in range(n):
            d = np.int64((keys[out[i]] >> shift) & mask)
            tmp[count[d]] = out[i]
            count[d] += 1
        out, tmp = tmp, out
        shift += np.uint64(16)
    return out


def _float_keys(x: np.ndarray) -> np.ndarray | None:
    """uint64 keys whose order is that of the floats ``x`` (>= 0 or +inf; -0.0 as 0.0,
    as a comparison sees it), or None when ``x`` holds a negative number or NaN."""
    x = np.asarray(x, np.float64)
    if x.size and not (x.min() >= 0.0):  # also False with a NaN
        return None
    return (x + 0.0).view(np.uint64)  # -0.0 + 0.0 = +0.0


def stable_order(*keys) -> np.ndarray:
    """``np.lexsort(keys)`` (the last key primary, ties in index order) for int keys in
    ``[0, 2**63)`` and float keys >= 0 (a comparison's order: -0.0 ties with 0.0), by
    radix passes (:func:`_radix_pass_order`); ``np.lexsort`` itself for any other key.
    On all of Pakistan's contracted graph (494,490 edges) 9 ms instead of lexsort's 89 ms
    and the stable float argsort's 45 ms, the same permutation."""
    ready = []
    for key in keys:
        key = np.asarray(key)
        if key.dtype.kind == "f":
            as_u64 = _float_keys(key)
        elif key.dtype.kind in "iu" and (key.size == 0 or key.min() >= 0):
            as_u64 = key.astype(np.uint64)
        else:
            as_u64 = None
        if as_u64 is None:
            return np.lexsort(keys)
        ready.append(np.ascontiguousarray(as_u64))
    perm = np.arange(ready[0].size if ready else 0, dtype=np.int64)
    for key in ready:  # least significant first: each pass keeps the order of the last
        perm = _radix_pass_order(key, perm)
    return perm


@njit(cache=True, nogil=True)
def tree_shares(order, parent, cost_up, down_w, down_n, served, root):  # pragma: no cover
    """The per-node sums of ``network._describe`` over a tree given in breadth-first
    ``order`` (root first): leaves up, each node's demand weight ``down_w`` and served
    count ``down_n`` added to its parent's (in place) and its children counted; root
    down, the cost rate [USD per unit weight] from the root, the trunk (first node below
    the root) and the segment (a new one below the root, a served node or a branching).
    The same floating-point operations in the same order as the Python loops they
    replace. Returns ``(rate, trunk, segment)``."""
    n = parent.size
    n_children = np.zeros(n, np.int64)
    for k in range(order.size - 1, 0, -1):
        v = order[k]
        p = parent[v]
        down_w[p] += down_w[v]
        down_n[p] += down_n[v]
        n_children[p] += 1
    rate = np.zeros(n)
    trunk = np.full(n, -1, np.int64)
    segment = np.full(n, -1, np.int64)
    n_segments = 0
    for k in range(1, order.size):
        v = order[k]
        p = parent[v]
        rate[v] = rate[p] + (cost_up[v] / down_w[v] if down_w[v] > 0 else 0.0)
        trunk[v] = v if p == root else trunk[p]
        if p == root or served[p] or n_children[p] != 1:
            segment[v] = n_segments
            n_segments += 1
        else:
            segment[v] = segment[p]
    return rate, trunk, segment


@njit(cache=True, nogil=True)
def _block_sum(x, lo, n):  # pragma: no cover - compiled
    """numpy's pairwise sum of at most 128 terms: below 8 in order, else eight running
    sums combined pairwise, then the rest in order."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += x[i]
        return res
    r0, r1, r2, r3 = x[lo], x[lo + 1], x[lo + 2], x[lo + 3]
    r4, r5, r6, r7 = x[lo + 4], x[lo + 5], x[lo + 6], x[lo + 7]
    i = 8
    while i < n - (n % 8):
        r0 += x[lo + i]
        r1 += x[lo + i + 1]
        r2 += x[lo + i + 2]
        r3 += x[lo + i + 3]
        r4 += x[lo + i + 4]
        r5 += x[lo + i + 5]
        r6 += x[lo + i + 6]
        r7 += x[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += x[lo + i]
        i += 1
    return res


@njit(cache=True, nogil=True)
def pairwise_sum(x, lo, n):  # pragma: no cover - compiled
    """numpy's pairwise sum of ``x[lo:lo + n]`` (``pairwise_sum_DOUBLE`` in numpy's
    ``loops_utils.h``: up to 128 terms :func:`_block_sum`, above that halved at a
    multiple of 8, the halves' sums added), the same additions in the same order:
    ``np.sum`` of a contiguous float64 array, bit for bit (checked up to 10**6 terms).
    The halving runs on explicit stacks (numba's cache does not keep recursive
    functions safely)."""
    if n <= 128:
        return _block_sum(x, lo, n)
    span_lo = np.empty(256, np.int64)
    span_n = np.empty(256, np.int64)
    halved = np.zeros(256, np.bool_)
    sums = np.empty(256)
    top, n_sums = 0, 0
    span_lo[0], span_n[0] = lo, n
    while top >= 0:
        a, m = span_lo[top], span_n[top]
        if m <= 128:
            sums[n_sums] = _block_sum(x, a, m)
            n_sums += 1
            top -= 1
        elif halved[top]:  # both halves summed: the left one below the right one
            sums[n_sums - 2] = sums[n_sums - 2] + sums[n_sums - 1]
            n_sums -= 1
            halved[top] = False
            top -= 1
        else:
            half = m // 2
            half -= half % 8
            halved[top] = True
            span_lo[top + 1], span_n[top + 1] = a + half, m - half  # right, summed second
            halved[top + 1] = False
            span_lo[top + 2], span_n[top + 2] = a, half  # left, on top: summed first
            halved[top + 2] = False
            top += 2
    return sums[0]


@njit(cache=True, nogil=True)
def tree_objective(parent, edge, cost, net_prize, root):  # pragma: no cover - compiled
    """``network._objective``: ``cost[edge[edge >= 0]].sum() + net_prize[~in_tree].sum()``
    (``in_tree``: ``parent >= 0`` and the root), each sum numpy's pairwise one over the
    values in index order (:func:`pairwise_sum`), without the masks and gathers."""
    n = parent.size
    buf = np.empty(n)
    k = 0
    for v in range(n):
        if edge[v] >= 0:
            buf[k] = cost[edge[v]]
            k += 1
    built = pairwise_sum(buf, 0, k)
    k = 0
    for v in range(n):
        if parent[v] < 0 and v != root:
            buf[k] = net_prize[v]
            k += 1
    return built + pairwise_sum(buf, 0, k)
