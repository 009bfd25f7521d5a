"""Compiled pruning and tree building (planning/network_fast.py, used by network.py)
against the plain Python loops they replaced (kept here as the reference): the same
trees, bit for bit, and the same network design end to end."""

import dataclasses

import h3
import numpy as np
import pytest
from hybridplan.coverage.planning import network, network_fast
from hybridplan.coverage.planning.cell_graph import cell_graph
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra


def _assert_same_design(got, want):
    """Two designs equal field for field (arrays exactly)."""
    for field in dataclasses.fields(want):
        a, b = getattr(got, field.name), getattr(want, field.name)
        if isinstance(b, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=field.name)
        else:
            assert a == b, field.name


def reference_strong_prune(c, parent, edge, net_prize, order=None):
    """JMP00 strong pruning as plain loops (network.py before it was compiled); the
    tree's order found again here whatever ``order`` the caller knows."""
    order = network._tree_order(c, parent).tolist()
    par, cost = parent.tolist(), c.cost.tolist()
    e_up = edge.tolist()
    net = net_prize.tolist()
    for v in reversed(order[1:]):
        gain = net[v] - cost[e_up[v]]
        if gain > 0:
            net[par[v]] += gain
    keep_parent = np.full(c.n, -1, np.int64)
    keep_edge = np.full(c.n, -1, np.int64)
    kept = np.zeros(c.n, dtype=bool)
    kept[c.root] = True
    for v in order[1:]:
        p = par[v]
        if kept[p] and net[v] - cost[e_up[v]] > 0:
            kept[v] = True
            keep_parent[v], keep_edge[v] = p, e_up[v]
    return network._Tree(keep_parent, keep_edge,
                         network._objective(c, keep_parent, keep_edge, net_prize))


def edge_lookup(c):
    """Contracted edge index of each node pair, as a dict (network.py's first way)."""
    pairs = zip(c.a.tolist(), c.b.tolist(), strict=True)
    return {(int(x), int(y)): k for k, (x, y) in enumerate(pairs)}


def reference_tree_from_predecessors(c, pred):
    lookup = edge_lookup(c)
    parent = np.where(pred >= 0, pred, -1).astype(np.int64)
    parent[c.root] = -1
    edge = np.full(c.n, -1, np.int64)
    for v in np.flatnonzero(parent >= 0).tolist():
        p = int(parent[v])
        edge[v] = lookup[(min(p, v), max(p, v))]
    return parent, edge


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
    lookup = edge_lookup(c)
    _, pred = dijkstra(c.matrix, directed=False, indices=c.root, return_predecessors=True)
    want = reference_tree_from_predecessors(c, pred.astype(np.int64))
    got = network._tree_from_predecessors(c, pred.astype(np.int64))
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    net = network._net_prizes(c, prize, roots, np.zeros(graph.n_nodes), 1e12)
    for scale in (1.0, 3.0, 10.0):
        ref = reference_strong_prune(c, *want, net * scale)
        new = network._strong_prune(c, *want, net * scale)
        np.testing.assert_array_equal(new.parent, ref.parent)
        np.testing.assert_array_equal(new.edge, ref.edge)
        assert new.objective == ref.objective
        assert (ref.parent >= 0).sum() > 0  # a real tree was kept
    bad = pred.astype(np.int64).copy()
    leaf = int(np.flatnonzero(bad >= 0)[0])
    bad[leaf] = next(v for v in range(c.n) if v != leaf and (min(v, leaf), max(v, leaf))
                     not in lookup)
    with pytest.raises(KeyError):
        network._tree_from_predecessors(c, bad)


def test_design_network_is_unchanged_with_the_compiled_loops(monkeypatch):
    graph, prize, roots = _grid_graph(4, radius=12)
    new = network.design_network(graph, prize, roots, node_cost_usd=5_000.0)
    monkeypatch.setattr(network, "_strong_prune", reference_strong_prune)
    monkeypatch.setattr(network, "_tree_from_predecessors", reference_tree_from_predecessors)
    ref = network.design_network(graph, prize, roots, node_cost_usd=5_000.0)
    _assert_same_design(new, ref)


# --------------------------------------------------------------------------- Dijkstra


def reference_regrow(c, tree, net_prize):
    """The regrow candidate with scipy's Dijkstra and the edge found by binary search
    (network.py before the compiled Dijkstra)."""
    nodes = np.flatnonzero(tree.parent >= 0).tolist() + [c.root]
    _, pred, _ = dijkstra(
        c.matrix, directed=False, indices=nodes, min_only=True, return_predecessors=True
    )
    pred = pred.astype(np.int64)
    pred[nodes] = tree.parent[nodes]
    parent, edge = network._tree_from_predecessors(c, pred)
    return network._strong_prune(c, parent, edge, net_prize)


@st.composite
def tie_graphs(draw):
    """Small random graphs with integer costs (many equal distances: the tie rules
    decide the predecessors), some nodes merged into the root, random sources."""
    n = draw(st.integers(3, 40))
    m = draw(st.integers(1, 4 * n))
    i = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    j = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    cost = np.array(draw(st.lists(st.integers(0, 3), min_size=m, max_size=m)), float)
    keep = i != j
    graph = network.FibreGraph.from_edges(n, i[keep], j[keep], cost[keep] * 1000.0)
    roots = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    roots[draw(st.integers(0, n - 1))] = True
    sources = draw(st.lists(st.integers(0, n), min_size=1, max_size=n + 1, unique=True))
    return graph, roots, np.array(sources, np.int64)


@settings(max_examples=150, deadline=None)
@given(tie_graphs())
def test_compiled_dijkstra_is_scipys_bit_for_bit(case):
    graph, roots, sources = case
    c = network._contract(graph, roots)
    want_d, want_p, _ = dijkstra(
        c.matrix, directed=False, indices=sources, min_only=True, return_predecessors=True
    )
    dist, pred, pred_edge = network_fast.multi_source_dijkstra(sources, c.n, *c.lists)
    np.testing.assert_array_equal(dist, want_d)
    np.testing.assert_array_equal(pred, want_p.astype(np.int64))
    has = pred >= 0
    np.testing.assert_array_equal(
        pred_edge[has], network_fast.edge_of_links(c.a, c.b, c.n, pred[has], np.flatnonzero(has))
    )
    assert np.all(pred_edge[~has] == -1)


@pytest.mark.parametrize("seed", [5, 6])
def test_regrow_is_unchanged_with_the_compiled_dijkstra(seed):
    graph, prize, roots = _grid_graph(seed)
    c = network._contract(graph, roots)
    net = network._net_prizes(c, prize, roots, np.zeros(graph.n_nodes), 1e12)
    _, pred = dijkstra(c.matrix, directed=False, indices=c.root, return_predecessors=True)
    tree = network._strong_prune(c, *network._tree_from_predecessors(c, pred), net * 3.0)
    assert (tree.parent >= 0).sum() > 5
    for _ in range(3):  # a few rounds of regrowing, each from the last
        want = reference_regrow(c, tree, net)
        got = network._regrow(c, tree, net)
        np.testing.assert_array_equal(got.parent, want.parent)
        np.testing.assert_array_equal(got.edge, want.edge)
        assert got.objective == want.objective
        tree = network._respan(c, want, net * 2.0, with_neighbours=True)


def test_design_is_the_same_with_and_without_the_dijkstra_thread(monkeypatch):
    graph, prize, roots = _grid_graph(7, radius=12)
    # no exact polish (a MILP per trunk): the threads are what is compared, faster
    threaded = network.design_network(graph, prize, roots, 5_000.0, exact_trunks=0)
    assert threaded.rounds > 0
    monkeypatch.setattr(network, "_dijkstra_thread", lambda: None)
    serial = network.design_network(graph, prize, roots, 5_000.0, exact_trunks=0)
    _assert_same_design(threaded, serial)


def test_design_is_the_same_without_the_recent_paths(monkeypatch):
    """Dijkstras taken from ``network._RecentPaths`` (a recent one from the same source
    nodes, or one updated from the nearest recent one) or computed from scratch every
    round: the same design; and each is scipy's Dijkstra from those sources."""
    graph, prize, roots = _grid_graph(9, radius=14)  # a search that repeats a tree's nodes
    seen = {"same": 0, "updated": 0}
    paths_from = network._paths_from

    def checked(c, sources, base=None):
        got = paths_from(c, sources, base)
        seen["updated"] += base is not None
        want_d, want_p, _ = dijkstra(
            c.matrix, directed=False, indices=np.flatnonzero(sources), min_only=True,
            return_predecessors=True,
        )
        np.testing.assert_array_equal(got.dist, want_d)
        np.testing.assert_array_equal(got.pred, want_p.astype(np.int64))
        return got

    nearest = network._RecentPaths.nearest

    def counted(self, c, tree):
        base, same = nearest(self, c, tree)
        seen["same"] += same
        return base, same

    monkeypatch.setattr(network, "_paths_from", checked)
    monkeypatch.setattr(network._RecentPaths, "nearest", counted)
    kept = network.design_network(graph, prize, roots, 5_000.0, exact_trunks=0)
    assert seen["same"] and seen["updated"], seen
    monkeypatch.setattr(network, "_paths_from", lambda c, sources, base=None: paths_from(c, sources))
    monkeypatch.setattr(network._RecentPaths, "nearest", lambda self, c, tree: (None, False))
    again = network.design_network(graph, prize, roots, 5_000.0, exact_trunks=0)
    _assert_same_design(kept, again)


def test_design_is_the_same_with_the_starts_on_threads_or_in_turn(monkeypatch):
    """The multi-start's local searches on two threads (``network._search_starts``) or
    one after the other on the calling thread: the same design, field for field."""
    graph, prize, roots = _grid_graph(8, radius=12)
    monkeypatch.setattr(network, "_cores", lambda: 2)
    threads = network._start_threads(len(network.START_PRIZE_SCALES))
    assert threads is not None and threads._max_workers == 2
    threads.shutdown()
    threaded = network.design_network(graph, prize, roots, 5_000.0, exact_trunks=0)
    assert threaded.rounds > 0
    monkeypatch.setattr(network, "_cores", lambda: 1)
    assert network._start_threads(4) is None
    in_turn = network.design_network(graph, prize, roots, 5_000.0, exact_trunks=0)
    _assert_same_design(threaded, in_turn)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 60), st.integers(0, 2**32 - 1), st.floats(0.0, 0.5))
def test_compiled_tree_order_is_scipys_breadth_first_order(n, seed, detached):
    """Random forests (some nodes off the tree, some subtrees not under the root)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order

    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    root = int(perm[0])
    parent = np.full(n, -1, np.int64)
    for k in range(1, n):
        if rng.random() >= detached:  # else a node off the tree (its own subtree root)
            parent[perm[k]] = perm[rng.integers(0, k)]
    child = np.flatnonzero(parent >= 0)
    matrix = csr_matrix((np.ones(child.size), (parent[child], child)), shape=(n, n))
    want = breadth_first_order(matrix, root, directed=True, return_predecessors=False)
    np.testing.assert_array_equal(network_fast.tree_order(parent, root), want)


@pytest.mark.parametrize("seed", [8, 9])
def test_true_distances_are_the_loops_sums(seed):
    """The stand-alone fibre distances (true costs along the shortest-path tree): the
    compiled sums equal the Python loop's, bit for bit, and inf off the tree."""
    graph, _, roots = _grid_graph(seed)
    c = network._contract(graph, roots)
    dist, pred = dijkstra(c.matrix, directed=False, indices=c.root, return_predecessors=True)
    parent, edge = network._tree_from_predecessors(c, pred.astype(np.int64))
    want = np.full(c.n, np.inf)
    want[c.root] = 0.0
    for v in network._tree_order(c, parent).tolist()[1:]:
        want[v] = want[parent[v]] + c.cost[edge[v]]
    want = np.where(np.isfinite(dist), want, np.inf)
    got = network._true_distances(c, parent, edge, dist)
    np.testing.assert_array_equal(got, want)
    assert np.isfinite(got).sum() > 100
    np.testing.assert_allclose(got, dist, rtol=1e-9, atol=1e-3)  # eps-raised zero costs


# --------------------------------------------------------------------------- updates


@settings(max_examples=200, deadline=None)
@given(tie_graphs(), st.data())
def test_dijkstra_update_is_the_full_dijkstra_bit_for_bit(case, data):
    """A Dijkstra updated from another one's result (sources added and dropped) equals
    the full search from the new sources: distances, predecessors and their edges, on
    graphs full of equal distances (integer costs, eps-raised zero costs)."""
    graph, roots, sources = case
    c = network._contract(graph, roots)
    old = np.zeros(c.n, bool)
    old[sources] = True
    new = np.array(data.draw(st.lists(st.booleans(), min_size=c.n, max_size=c.n)))
    if not new.any():
        new[data.draw(st.integers(0, c.n - 1))] = True
    base = network_fast.multi_source_dijkstra(np.flatnonzero(old), c.n, *c.lists)
    want = network_fast.multi_source_dijkstra(np.flatnonzero(new), c.n, *c.lists)
    assert network_fast.strictly_increasing(want[0], c.min_weight)
    got = network_fast.dijkstra_update(old, new, *base, c.n, *c.lists)
    for name, a, b in zip(("dist", "pred", "pred_edge"), got, want, strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
    # and chained: back to the old sources from the updated result
    back = network_fast.dijkstra_update(new, old, *got, c.n, *c.lists)
    for a, b in zip(back, base, strict=True):
        np.testing.assert_array_equal(a, b)


def test_strictly_increasing_refuses_distances_that_swallow_the_smallest_weight():
    assert network_fast.strictly_increasing(np.array([0.0, 1e8, np.inf]), 1e-6)
    assert not network_fast.strictly_increasing(np.array([0.0, 2.0**40]), 1e-6)
    assert not network_fast.strictly_increasing(np.array([0.0, 1.0]), 0.0)
    assert network_fast.strictly_increasing(np.array([np.inf]), 1e-6)


def test_paths_fall_back_to_the_full_search_when_the_condition_fails(monkeypatch):
    """Without the update's condition the Dijkstra is computed from scratch: the same."""
    graph, prize, roots = _grid_graph(4, radius=10)
    c = network._contract(graph, roots)
    base = network._paths_from(c, np.arange(c.n) == c.root)
    sources = base.sources.copy()
    sources[np.flatnonzero(prize > 0)[:5]] = True
    calls = []
    monkeypatch.setattr(
        network, "dijkstra_update", lambda *a: calls.append(1) or network_fast.dijkstra_update(*a)
    )
    updated = network._paths_from(c, sources, base)
    monkeypatch.setattr(network, "strictly_increasing", lambda dist, w: False)
    full = network._paths_from(c, sources, base)
    assert len(calls) == 2
    for name in ("dist", "pred", "pred_edge"):
        np.testing.assert_array_equal(getattr(updated, name), getattr(full, name))


def reference_span(c, nodes):
    """scipy's minimum spanning tree of the induced subgraph and the breadth-first
    predecessors from the root (network.py before the compiled span)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

    inside = nodes[c.a] & nodes[c.b]
    sub = csr_matrix(
        (np.maximum(c.cost[inside], network._EPS_USD), (c.a[inside], c.b[inside])),
        shape=(c.n, c.n),
    )
    mst = minimum_spanning_tree(sub)
    _, pred = breadth_first_order(mst, c.root, directed=False, return_predecessors=True)
    return network._tree_from_predecessors(c, pred.astype(np.int64))


@settings(max_examples=200, deadline=None)
@given(tie_graphs(), st.data())
def test_compiled_span_is_scipys_minimum_spanning_tree(case, data):
    """Random node subsets of graphs full of equal costs: the same tree, edge for edge."""
    graph, roots, _ = case
    c = network._contract(graph, roots)
    nodes = np.array(data.draw(st.lists(st.booleans(), min_size=c.n, max_size=c.n)))
    nodes[c.root] = True
    want = reference_span(c, nodes)
    *got, order = network_fast.spanning_tree(
        nodes, c.a, c.b, c.weight_order, c.root, *c.ordered_ends
    )
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    # its breadth-first order is tree_order's, node for node
    np.testing.assert_array_equal(order, network_fast.tree_order(got[0], c.root))


@pytest.mark.parametrize("seed", [1, 2])
def test_compiled_span_on_a_grid(seed):
    graph, prize, roots = _grid_graph(seed)
    c = network._contract(graph, roots)
    rng = np.random.default_rng(seed)
    for share in (0.2, 0.6, 1.0):
        nodes = rng.random(c.n) < share
        nodes[c.root] = True
        want = reference_span(c, nodes)
        *got, order = network_fast.spanning_tree(
            nodes, c.a, c.b, c.weight_order, c.root, *c.ordered_ends
        )
        np.testing.assert_array_equal(order, network_fast.tree_order(got[0], c.root))
        assert (got[0] >= 0).sum() > 0
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)


def test_design_is_the_same_with_a_prepared_graph():
    """``prepare_graph`` shared by designs with other prizes (``joint_plan``'s rounds):
    the same designs; a preparation of other roots is not used."""
    graph, prize, roots = _grid_graph(6, radius=10)
    prepared = network.prepare_graph(graph, roots)
    for scale in (1.0, 2.5):
        want = network.design_network(graph, prize * scale, roots, 5_000.0, exact_trunks=0)
        got = network.design_network(
            graph, prize * scale, roots, 5_000.0, exact_trunks=0, prepared=prepared
        )
        _assert_same_design(got, want)
    other = roots.copy()
    other[np.flatnonzero(~roots)[0]] = True
    assert not prepared.fits(graph, other)
    want = network.design_network(graph, prize, other, 5_000.0, exact_trunks=0)
    got = network.design_network(graph, prize, other, 5_000.0, exact_trunks=0, prepared=prepared)
    _assert_same_design(got, want)


# --------------------------------------------------------------------------- contraction
# ``network._contract`` sorts the edges by radix passes (``network_fast.stable_order``,
# session 9) instead of ``np.lexsort`` and a stable ``np.argsort``; the former
# formulation is kept here and every field must equal it.


def reference_contract(graph, root_mask):
    """``network._contract`` before session 9 (``np.lexsort`` and a stable argsort)."""
    import scipy.sparse as sp

    n = graph.n_nodes
    node = np.arange(n, dtype=np.int64)
    node[root_mask] = n
    a, b = node[graph.edge_i], node[graph.edge_j]
    keep = a != b
    lo, hi = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
    cost, orig = graph.edge_cost_usd[keep], np.flatnonzero(keep)
    order = np.lexsort((cost, hi, lo))
    lo, hi, cost, orig = lo[order], hi[order], cost[order], orig[order]
    first = np.ones(lo.size, dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    lo, hi, cost, orig = lo[first], hi[first], cost[first], orig[first]
    weight = np.maximum(cost, network._EPS_USD)
    matrix = sp.csr_matrix((weight, (lo, hi)), shape=(n + 1, n + 1))
    fwd, back = network_fast.adjacency(lo, hi, weight, n + 1)
    order = np.argsort(weight, kind="stable")
    return network._Contracted(n + 1, n, lo, hi, cost, orig, matrix, (*fwd, *back), order)


def _assert_same_contracted(got, want):
    for field in ("n", "root", "a", "b", "cost", "orig", "weight_order"):
        x, y = getattr(got, field), getattr(want, field)
        assert np.asarray(x).dtype == np.asarray(y).dtype, field
        assert np.asarray(x).tobytes() == np.asarray(y).tobytes(), field
    for x, y in zip(got.lists, want.lists, strict=True):
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes()
    # the ends in weight order, for the spanning tree
    assert np.array_equal(got.ordered_ends[0], want.a[want.weight_order])
    assert np.array_equal(got.ordered_ends[1], want.b[want.weight_order])
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(got.matrix, part), getattr(want.matrix, part)), part


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 60),
    n_edge=st.integers(0, 400),
    levels=st.sampled_from([1, 3, 1000]),
)
def test_contract_equals_lexsort_and_argsort(seed, n, n_edge, levels):
    # few cost levels and few nodes: parallel edges and equal costs everywhere, zero
    # costs (raised to eps) and -0.0 among them
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, n, n_edge), rng.integers(0, n, n_edge)
    cost = rng.integers(0, levels, n_edge) * 1_000.5
    cost[rng.random(n_edge) < 0.1] = -0.0
    graph = network.FibreGraph(n, i, j, cost, np.zeros(n_edge, np.int8))
    roots = rng.random(n) < 0.2
    roots[rng.integers(0, n)] = True
    _assert_same_contracted(network._contract(graph, roots), reference_contract(graph, roots))


@pytest.mark.parametrize("seed", [1, 2])
def test_contract_on_an_h3_grid_equals_the_former_sort(seed):
    graph, _, roots = _grid_graph(seed)
    _assert_same_contracted(network._contract(graph, roots), reference_contract(graph, roots))


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(0, 3000),
    top=st.sampled_from([1, 7, 70_000, 2**40, 2**62]),
)
def test_stable_order_is_lexsort(seed, size, top):
    rng = np.random.default_rng(seed)
    ints = rng.integers(0, top, size)
    floats = rng.choice([0.0, -0.0, 1e-6, 2.5, 1e300, np.inf, 3e-310], size)
    spread = rng.random(size) < 0.5  # the other half: distinct values
    floats[spread] = rng.uniform(0.0, 1e6, int(spread.sum()))
    for keys in ((floats,), (ints,), (floats, ints), (ints, floats, ints[::-1].copy())):
        assert np.array_equal(network_fast.stable_order(*keys), np.lexsort(keys))


def test_stable_order_leaves_negative_and_nan_keys_to_lexsort():
    floats = np.array([3.0, np.nan, -1.0, 3.0, 0.0])
    ints = np.array([2, -5, 2, 0, 1])
    for keys in ((floats,), (ints,), (ints, floats)):
        assert np.array_equal(network_fast.stable_order(*keys), np.lexsort(keys))


# --------------------------------------------------------------------------- describe
# ``network._describe`` sums the tree in ``network_fast.tree_shares`` (session 9) instead
# of two Python loops over its nodes; the loops are kept here as the reference.


def reference_tree_shares(order, parent, cost_up, down_w, down_n, served, root):
    order, par = order.tolist(), parent.tolist()
    n_children = np.zeros(parent.size, np.int64)
    for v in reversed(order[1:]):
        down_w[par[v]] += down_w[v]
        down_n[par[v]] += down_n[v]
        n_children[par[v]] += 1
    rate = np.zeros(parent.size)
    trunk = np.full(parent.size, -1, np.int64)
    segment = np.full(parent.size, -1, np.int64)
    n_segments = 0
    for v in order[1:]:
        p = par[v]
        rate[v] = rate[p] + (cost_up[v] / down_w[v] if down_w[v] > 0 else 0.0)
        trunk[v] = v if p == root else trunk[p]
        if p == root or served[p] or n_children[p] != 1:
            segment[v], n_segments = n_segments, n_segments + 1
        else:
            segment[v] = segment[p]
    return rate, trunk, segment


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300), chain=st.floats(0.0, 1.0))
def test_tree_shares_equal_the_former_loops(seed, n, chain):
    rng = np.random.default_rng(seed)
    root = n - 1
    parent = np.full(n, -1, np.int64)
    in_tree = rng.random(n) < 0.8
    members = [root]
    for v in rng.permutation(n - 1).tolist():  # each node hangs on an earlier member
        if in_tree[v]:
            parent[v] = members[-1] if rng.random() < chain else rng.choice(members)
            members.append(v)
    order = network_fast.tree_order(parent, root)
    cost_up = np.where(parent >= 0, rng.choice([0.0, 1e-6, 3.3e4, 7.1e5], n), 0.0)
    served = rng.random(n) < 0.4
    weight = np.where(served, rng.choice([0.0, 1e-12, 2.5, 40.0, 1e3 / 3], n), 0.0)
    down_n = served.astype(np.int64)
    want_w, want_n = weight.copy(), down_n.copy()
    want = reference_tree_shares(order, parent, cost_up, want_w, want_n, served, root)
    got_w, got_n = weight.copy(), down_n.copy()
    got = network_fast.tree_shares(order, parent, cost_up, got_w, got_n, served, root)
    assert got_w.tobytes() == want_w.tobytes() and np.array_equal(got_n, want_n)
    for x, y in zip(got, want, strict=True):
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes()


# --------------------------------------------------------------------------- objective
# ``network._objective`` sums in ``network_fast.tree_objective`` (session 9) instead of
# masks, gathers and two ``np.sum``; the former formulation is kept here.


def reference_objective(c, parent, edge, net_prize):
    in_tree = parent >= 0
    in_tree[c.root] = True
    return float(c.cost[edge[edge >= 0]].sum() + net_prize[~in_tree].sum())


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), share=st.floats(0.0, 1.0))
def test_tree_objective_equals_the_masked_sums(seed, share):
    graph, prize, roots = _grid_graph(seed % 7 + 1, radius=8)
    c = network._contract(graph, roots)
    rng = np.random.default_rng(seed)
    nodes = rng.random(c.n) < share
    nodes[c.root] = True
    parent, edge, _ = network_fast.spanning_tree(
        nodes, c.a, c.b, c.weight_order, c.root, *c.ordered_ends
    )
    # prizes over many magnitudes, so that the order of the additions shows
    net = np.append(prize, 0.0) * 10.0 ** rng.integers(-6, 9, c.n)
    got = network._objective(c, parent, edge, net)
    assert got == reference_objective(c, parent, edge, net)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 128, 129, 8193, 176_029, 1_000_003])
def test_pairwise_sum_is_numpys_sum_at_any_length(n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n) * 10.0 ** rng.integers(-12, 12, n)
    assert network_fast.pairwise_sum(x, 0, n) == np.sum(x)
