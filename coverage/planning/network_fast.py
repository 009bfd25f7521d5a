"""The compiled inner loops of the fibre network's local search (``network.py``).

On all of Pakistan at H3 res 7 (160,871 cells, 479,226 edges) ``network.design_network``
spent most of its time in two Python loops over the nodes, run once per candidate tree:
strong pruning (219 calls, 41 s) and the tree from Dijkstra's predecessors (210 calls,
33 s) of 87 s (cProfile, shared 2-core machine). :func:`prune_passes` and
:func:`edge_of_links` do the same work (the same floating-point operations in the same
order, so the same trees bit for bit) in a few milliseconds per call; ``network.py``
calls them, and ``tests/test_planning_network_fast.py`` keeps the loops as the reference.
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
