"""Compiled pruning and tree building (planning/network_fast.py) against network.py's
Python loops: the same trees, bit for bit, and the same network design end to end."""

import dataclasses

import h3
import numpy as np
import pytest
from hybridplan.coverage.planning import network, network_fast
from hybridplan.coverage.planning.network_plan import cell_graph
from scipy.sparse.csgraph import dijkstra


def _grid_graph(seed: int, radius: int = 14):
    """An H3 disc around Gilgit with a few holes, random costs, and site prizes."""
    rng = np.random.default_rng(seed)
    cells = [c for c in sorted(h3.grid_disk(h3.latlng_to_cell(35.9, 74.3, 7), radius))
             if rng.random() > 0.1]
    centres = np.array([h3.cell_to_latlng(c) for c in cells])
    i, j, km, _ = cell_graph(cells, centres[:, 0], centres[:, 1], np.ones(len(cells)))
    cost = km * rng.uniform(10_000.0, 60_000.0, km.size)
    n = len(cells)
    roots = np.zeros(n, bool)
    roots[rng.choice(n, 3, replace=False)] = True
    prize = np.where(rng.random(n) < 0.15, rng.uniform(0.0, 400_000.0, n), 0.0)
    return network.FibreGraph.from_edges(n, i, j, cost), prize, roots


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_prune_and_tree_building_are_bit_identical(seed):
    graph, prize, roots = _grid_graph(seed)
    c = network._contract(graph, roots)
    lookup = network._edge_lookup(c)
    _, pred = dijkstra(c.matrix, directed=False, indices=c.root, return_predecessors=True)
    want = network._tree_from_predecessors(c, pred.astype(np.int64), lookup)
    got = network_fast.tree_from_predecessors(c, pred.astype(np.int64), lookup)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    net = network._net_prizes(c, prize, roots, np.zeros(graph.n_nodes), 1e12)
    for scale in (1.0, 3.0, 10.0):
        ref = network._strong_prune(c, *want, net * scale)
        new = network_fast.strong_prune(c, *want, net * scale)
        np.testing.assert_array_equal(new.parent, ref.parent)
        np.testing.assert_array_equal(new.edge, ref.edge)
        assert new.objective == ref.objective
        assert (ref.parent >= 0).sum() > 0  # a real tree was kept
    bad = pred.astype(np.int64).copy()
    leaf = int(np.flatnonzero(bad >= 0)[0])
    bad[leaf] = next(v for v in range(c.n) if v != leaf and (min(v, leaf), max(v, leaf))
                     not in lookup)
    with pytest.raises(KeyError):
        network_fast.tree_from_predecessors(c, bad)


def test_design_network_is_unchanged_with_the_drop_ins(monkeypatch):
    graph, prize, roots = _grid_graph(4, radius=12)
    ref = network.design_network(graph, prize, roots, node_cost_usd=5_000.0)
    monkeypatch.setattr(network, "_strong_prune", network_fast.strong_prune)
    monkeypatch.setattr(network, "_tree_from_predecessors", network_fast.tree_from_predecessors)
    new = network.design_network(graph, prize, roots, node_cost_usd=5_000.0)
    for field in dataclasses.fields(ref):
        a, b = getattr(new, field.name), getattr(ref, field.name)
        if isinstance(b, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=field.name)
        else:
            assert a == b, field.name
