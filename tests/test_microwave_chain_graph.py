"""relay_chains' graph (built straight into CSR) and candidate_links (one sort key, lengths
by blocks) against brute force."""

import math

import numpy as np
from hybridplan.coverage.planning.microwave import MicrowaveCosts, candidate_links, relay_chains
from hybridplan.coverage.planning.sphere import EARTH_RADIUS_KM
from hypothesis import given, settings
from hypothesis import strategies as st


def _bellman_ford(n, a, b, km, ok, network, relay, costs):
    """Cheapest chain cost per site by relaxing every arc until nothing changes [USD]."""
    dist = np.where(network, 0.0, np.inf)
    hop = costs.hop_usd(km)
    for _ in range(n + 1):
        changed = False
        for u, v, h, f in zip(a, b, hop, ok, strict=True):
            if not f:
                continue
            for x, y in ((u, v), (v, u)):
                cost = dist[x] + h + (costs.relay_site_usd if relay[y] else 0.0)
                if cost < dist[y] - 1e-6:
                    dist[y], changed = cost, True
        if not changed:
            break
    return dist


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(2, 14), twice=st.booleans())
@settings(max_examples=60, deadline=None)
def test_chains_are_the_cheapest_and_duplicates_keep_the_cheapest_arc(seed, n, twice):
    rng = np.random.default_rng(seed)
    costs = MicrowaveCosts()
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.4]
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    km = rng.uniform(1.0, 45.0, a.size)
    ok = rng.random(a.size) < 0.8
    network = rng.random(n) < 0.25
    network[0] = True
    relay = (rng.random(n) < 0.3) & ~network
    want = _bellman_ford(n, a, b, km, ok, network, relay, costs)
    got = relay_chains(n, a, b, km, ok, network, relay, costs=costs)
    np.testing.assert_allclose(np.where(network, 0.0, got.capex_usd), want, atol=1e-3)
    if twice and a.size:  # every link again, reversed and dearer: the same chains
        again = relay_chains(
            n,
            np.concatenate([a, b]),
            np.concatenate([b, a]),
            np.concatenate([km, km + 20.0]),
            np.concatenate([ok, ok]),
            network,
            relay,
            costs=costs,
        )
        np.testing.assert_array_equal(again.capex_usd, got.capex_usd)
    # each chain's next hop is a feasible link whose cost makes up the difference
    hop = dict()
    for u, v, k, f in zip(a, b, km, ok, strict=True):
        if f:
            hop[(u, v)] = hop[(v, u)] = float(costs.hop_usd(k))
    for v in np.flatnonzero(got.next_hop >= 0):
        u = got.next_hop[v]
        step = hop[(u, v)] + (costs.relay_site_usd if relay[v] else 0.0)
        assert math.isclose(got.capex_usd[v] - np.where(network, 0.0, got.capex_usd)[u], step)


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(0, 150), max_km=st.floats(1.0, 80.0))
@settings(max_examples=40, deadline=None)
def test_candidate_pairs_are_all_pairs_within_reach(seed, n, max_km):
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(34.0, 35.0, n), rng.uniform(73.0, 74.0, n)
    a, b, km = candidate_links(lat, lon, max_km)
    p, q = np.radians(lat), np.radians(lon)
    want = []
    for i in range(n):
        for j in range(i + 1, n):
            cos = math.sin(p[i]) * math.sin(p[j]) + math.cos(p[i]) * math.cos(p[j]) * math.cos(
                q[i] - q[j]
            )
            d = math.acos(min(1.0, max(-1.0, cos))) * EARTH_RADIUS_KM
            if d <= max_km - 1e-6:
                want.append((i, j, d))
    got = {(int(x), int(y)): d for x, y, d in zip(a, b, km, strict=True)}
    assert list(got) == sorted(got)  # sorted by (a, b), a < b
    assert all(x < y for x, y in got)
    for i, j, d in want:
        assert math.isclose(got[(i, j)], d, abs_tol=1e-6)
    assert len(got) <= len(want) + sum(1 for k in got.values() if k > max_km - 1e-6)


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 40), density=st.floats(0.0, 1.0))
@settings(max_examples=60, deadline=None)
def test_sorted_links_go_straight_into_the_same_csr(seed, n, density):
    """The compiled scatter of sorted unique links (candidate_links' order) builds the
    very matrix of the COO path: same indptr, columns and arc costs, bit for bit."""
    from hybridplan.coverage.planning.microwave import _chain_graph, _chain_graph_coo

    rng = np.random.default_rng(seed)
    costs = MicrowaveCosts()
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < density]
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    hop = costs.hop_usd(rng.uniform(1.0, 45.0, a.size))
    network = rng.random(n) < 0.3
    relay = (rng.random(n) < 0.4) & ~network
    got = _chain_graph(n, a, b, hop, network, relay, costs)
    want = _chain_graph_coo(n, a, b, hop, np.flatnonzero(network), relay, costs)
    assert got.shape == want.shape == (n + 1, n + 1)
    np.testing.assert_array_equal(got.indptr, want.indptr)
    np.testing.assert_array_equal(got.indices, want.indices)
    np.testing.assert_array_equal(got.data, want.data)
    assert got.has_sorted_indices


def test_unsorted_or_repeated_links_take_the_coo_path():
    from hybridplan.coverage.planning.microwave import _sorted_unique_pairs

    assert _sorted_unique_pairs(np.array([0, 0, 1]), np.array([1, 2, 2]), 3)
    assert not _sorted_unique_pairs(np.array([0, 1, 0]), np.array([1, 2, 2]), 3)  # order
    assert not _sorted_unique_pairs(np.array([0, 0]), np.array([1, 1]), 3)  # twice
    assert not _sorted_unique_pairs(np.array([1]), np.array([0]), 3)  # a > b
    assert not _sorted_unique_pairs(np.array([-1]), np.array([0]), 3)  # negative
    assert not _sorted_unique_pairs(np.array([0]), np.array([3]), 3)  # beyond n
    assert _sorted_unique_pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), 3)


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 60), density=st.floats(0.0, 1.0))
@settings(max_examples=60, deadline=None)
def test_pairs_ordered_by_counting_sort_as_by_one_key_sort(seed, n, density):
    """candidate_links' counting sort of the k-d tree's pairs (any order, either way
    round) gives the order of one ``min * n + max`` key sort, as int64."""
    from hybridplan.coverage.planning.microwave import _order_pairs

    rng = np.random.default_rng(seed)
    pairs = np.array(
        [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < density], dtype=np.intp
    ).reshape(-1, 2)
    pairs = pairs[rng.permutation(len(pairs))]
    flip = rng.random(len(pairs)) < 0.5
    pairs[flip] = pairs[flip][:, ::-1]
    a, b = _order_pairs(pairs[:, 0], pairs[:, 1], n)
    key = np.sort(pairs.min(axis=1).astype(np.int64) * n + pairs.max(axis=1))
    assert a.dtype == b.dtype == np.int64
    np.testing.assert_array_equal(a, key // n)
    np.testing.assert_array_equal(b, key % n)


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(0, 80), root_share=st.floats(0.0, 1.0))
@settings(max_examples=60, deadline=None)
def test_chain_hops_by_pointer_jumping_equal_the_walk(seed, n, root_share):
    """relay_chains' hop counts (pointer jumping over the chain tree) against walking
    each chain to its root, one link at a time."""
    from hybridplan.coverage.planning.microwave import _tree_depth

    rng = np.random.default_rng(seed)
    counted = rng.random(n) >= root_share
    parent = np.full(n, -1, np.int64)
    for v in range(n):  # a forest: each counted node points to an earlier node
        if counted[v] and v > 0:
            parent[v] = rng.integers(0, v)
        else:
            counted[v] = False
    want = np.zeros(n, np.int64)
    for v in range(n):
        u = v
        while counted[u]:
            want[v] += 1
            u = parent[u]
    np.testing.assert_array_equal(_tree_depth(parent, counted), want)
