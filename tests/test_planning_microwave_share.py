"""Relay chains that meet are built once (``planning.microwave.shared_chains``).

Reference: an independent walk over each site's chain, the hops kept in a set and their
demand summed in a dict, priced by hand; properties: sharing never costs more than the
chains alone, the shares pay for what is built, and no site pays more than its chain.
"""

import math

import numpy as np
import pytest
from hybridplan.coverage.planning.microwave import MicrowaveCosts, relay_chains, shared_chains
from hypothesis import given, settings
from hypothesis import strategies as st


def test_two_villages_behind_one_ridge_relay_by_hand():
    # network 0 -- ridge relay 1 -- village 2
    #                             \- village 3
    # hop 0-1 costs 70,000 (+ the relay mast 25,000), hops 1-2 and 1-3 30,000 each
    next_cell = np.array([-1, 0, 1, 1])
    capex = np.array([0.0, 95_000.0, 125_000.0, 125_000.0])
    shared = shared_chains(next_cell, capex, [2, 3], [100.0, 300.0])
    assert shared.n_links == 3 and shared.n_relays == 1 and shared.n_radio_pairs == 3
    assert shared.total_capex_usd == 95_000.0 + 30_000.0 + 30_000.0
    assert shared.standalone_capex_usd == 250_000.0
    # the shared hop split 1:3 by demand
    np.testing.assert_allclose(
        shared.site_capex_usd, [95_000 / 4 + 30_000, 95_000 * 3 / 4 + 30_000]
    )


def test_a_shared_hop_over_capacity_gets_a_second_radio_pair():
    next_cell = np.array([-1, 0, 1, 1])
    capex = np.array([0.0, 50_000.0, 80_000.0, 80_000.0])
    cap = MicrowaveCosts().hop_capacity_mbps
    shared = shared_chains(next_cell, capex, [2, 3], [0.6 * cap, 0.6 * cap])
    assert shared.n_radio_pairs == 4  # 2 on the shared hop, 1 on each spur
    assert shared.total_capex_usd == 2 * 50_000 + 2 * 30_000
    np.testing.assert_allclose(shared.site_capex_usd, [80_000.0, 80_000.0])


def _chains(seed, n):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 80, (n, 2))
    a, b = np.triu_indices(n, 1)
    km = np.hypot(*(xy[a] - xy[b]).T)
    near = km <= 30.0
    network = np.zeros(n, bool)
    network[rng.choice(n, 2, replace=False)] = True
    relay = (rng.random(n) < 0.3) & ~network
    chains = relay_chains(
        n, a[near], b[near], km[near], rng.random(near.sum()) < 0.8, network, relay
    )
    return chains, rng


def _by_hand(next_cell, capex, ends, demand, capacity):
    load, total = {}, 0.0
    for end, d in zip(ends, demand, strict=True):
        v = end
        while next_cell[v] >= 0:
            load[v] = load.get(v, 0.0) + d
            v = next_cell[v]
    for v, d in load.items():
        total += (capex[v] - capex[next_cell[v]]) * math.ceil(d / capacity - 1e-12)
    return total, len(load)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(4, 40), take=st.floats(0.1, 1.0))
def test_shared_chains_against_a_walk_by_hand(seed, n, take):
    chains, rng = _chains(seed, n)
    reachable = np.flatnonzero(np.isfinite(chains.capex_usd) & (chains.next_hop >= 0))
    if reachable.size == 0:
        return
    ends = rng.choice(reachable, max(1, int(take * reachable.size)), replace=False)
    cap = MicrowaveCosts().hop_capacity_mbps
    demand = rng.uniform(1.0, cap, ends.size)
    shared = shared_chains(chains.next_hop, chains.capex_usd, ends, demand)
    total, links = _by_hand(chains.next_hop, chains.capex_usd, ends, demand, cap)
    assert shared.total_capex_usd == np.float64(total) or np.isclose(
        shared.total_capex_usd, total, rtol=1e-12
    )
    assert shared.n_links == links
    alone = chains.capex_usd[ends]
    assert shared.standalone_capex_usd == np.sum(alone) or np.isclose(
        shared.standalone_capex_usd, np.sum(alone), rtol=1e-12
    )
    # sharing never costs more than the chains alone, and nobody pays more than alone
    assert shared.total_capex_usd <= shared.standalone_capex_usd * (1 + 1e-12)
    assert (shared.site_capex_usd <= alone * (1 + 1e-9) + 1e-6).all()
    # the shares pay for what is built
    np.testing.assert_allclose(shared.site_capex_usd.sum(), shared.total_capex_usd, rtol=1e-9)


# --------------------------------------------------------------------------- the kernel
# ``shared_chains`` walks the chains and sums the shares in compiled loops (session 9:
# 1.1 s of Python per call on all Pakistan); the former formulation is kept here as the
# reference, and every output must equal it bit for bit.


def _shared_chains_before(next_cell, capex_usd, site_cell, site_demand_mbps, costs=None):
    from hybridplan.coverage.planning.network import capped_shares

    costs = costs or MicrowaveCosts()
    nxt = np.asarray(next_cell, np.int64)
    capex = np.asarray(capex_usd, np.float64)
    ends = np.asarray(site_cell, np.int64)
    demand = np.broadcast_to(np.asarray(site_demand_mbps, np.float64), ends.shape)
    load = np.zeros(nxt.size)
    paths = []
    root = np.full(ends.size, -1, np.int64)
    for s, end in enumerate(ends.tolist()):
        path = []
        v = end
        while v >= 0 and nxt[v] >= 0 and len(path) <= nxt.size:
            path.append(v)
            v = int(nxt[v])
        paths.append(path)
        root[s] = v
        if path:
            load[path] += demand[s]
    used = load > 0
    arc = np.zeros(nxt.size)
    arc[used] = capex[used] - capex[nxt[used]]
    pairs = np.where(used, np.ceil(load / costs.hop_capacity_mbps - 1e-12), 0.0)
    cost = arc * pairs
    share = np.full(ends.size, np.nan)
    alone = np.full(ends.size, np.nan)
    for s, path in enumerate(paths):
        if ends[s] < 0:
            continue
        alone[s] = capex[ends[s]] if path or nxt[ends[s]] < 0 else np.nan
        share[s] = float(np.sum(cost[path] * demand[s] / load[path])) if path else 0.0
    given = ends >= 0
    share[given] = capped_shares(
        share[given], np.ones(int(given.sum()), bool), root[given], alone[given]
    )
    ends_of_chains = np.zeros(nxt.size, bool)
    ends_of_chains[ends[given]] = True
    return (
        share,
        float(cost.sum()),
        float(np.nansum(alone)),
        int(used.sum()),
        int(pairs.sum()),
        int(np.sum(used & ~ends_of_chains & (nxt >= 0))),
    )


def _random_forest(rng, n, depth_bias):
    """A random forest of next cells (each cell's next one is an earlier cell, or -1):
    long chains when ``depth_bias`` is near 1."""
    nxt = np.full(n, -1, np.int64)
    for v in range(1, n):
        if rng.random() < 0.97:
            nxt[v] = v - 1 if rng.random() < depth_bias else int(rng.integers(0, v))
    capex = np.zeros(n)
    for v in range(n):  # a chain's capex grows along it (irregular hop costs)
        capex[v] = (capex[nxt[v]] if nxt[v] >= 0 else 0.0) + rng.uniform(1e3, 9e4)
    return nxt, capex


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 400),
    depth_bias=st.sampled_from([0.0, 0.5, 0.99]),
    n_sites=st.integers(0, 120),
)
def test_shared_chains_equals_the_former_loops_bit_for_bit(seed, n, depth_bias, n_sites):
    rng = np.random.default_rng(seed)
    nxt, capex = _random_forest(rng, n, depth_bias)
    ends = rng.integers(-1, n, n_sites)  # repeated ends and sites without one included
    cap = MicrowaveCosts().hop_capacity_mbps
    demand = rng.choice([1.0, 0.3 * cap, 0.7 * cap, rng.uniform(0.1, 2 * cap)], n_sites)
    new = shared_chains(nxt, capex, ends, demand)
    old = _shared_chains_before(nxt, capex, ends, demand)
    np.testing.assert_array_equal(new.site_capex_usd, old[0])  # NaN where NaN
    assert new.site_capex_usd.tobytes() == old[0].tobytes()
    assert (
        new.total_capex_usd,
        new.standalone_capex_usd,
        new.n_links,
        new.n_radio_pairs,
        new.n_relays,
    ) == old[1:]


def test_shared_chains_over_a_cycle_loads_each_cell_once():
    # 1 -> 2 -> 3 -> 1 never reaches the network: the guard stops the walk, and a cell
    # met twice carries the site's demand once, as the former fancy-indexed sum did
    nxt = np.array([-1, 2, 3, 1, 0])
    capex = np.array([0.0, 10.0, 20.0, 30.0, 5.0])
    demand = [0.6 * MicrowaveCosts().hop_capacity_mbps, 2.0]  # twice: a second radio pair
    new = shared_chains(nxt, capex, [1, 4], demand)
    old = _shared_chains_before(nxt, capex, [1, 4], demand)
    assert old[4] == 4  # one radio pair on each of the cycle's three hops, one on 4-0
    assert new.site_capex_usd.tobytes() == old[0].tobytes()
    assert (new.total_capex_usd, new.n_links, new.n_radio_pairs, new.n_relays) == (
        old[1],
        old[3],
        old[4],
        old[5],
    )


@pytest.mark.parametrize("n", [*range(0, 40), 127, 128, 129, 130, 255, 256, 257, 1000, 4097])
def test_the_pairwise_sum_is_numpys(n):
    from hybridplan.coverage.planning.microwave import _pairwise_sum

    rng = np.random.default_rng(n)
    # magnitudes over 30 orders so that the order of the additions shows in the result
    x = rng.standard_normal(n + 3) * 10.0 ** rng.integers(-15, 15, n + 3)
    for lo in (0, 3):
        assert _pairwise_sum(x, lo, n) == np.sum(x[lo : lo + n])


def test_a_chain_beyond_the_kernels_sum_is_summed_by_numpy(monkeypatch):
    import hybridplan.coverage.planning.microwave as mw

    rng = np.random.default_rng(5)
    nxt, capex = _random_forest(rng, 300, 0.99)
    ends = rng.integers(0, 300, 40)
    demand = rng.uniform(1.0, 900.0, 40)
    monkeypatch.setattr(mw, "_PAIRWISE_MAX_TERMS", 3)  # the Python fallback takes over
    new = mw.shared_chains(nxt, capex, ends, demand)
    assert (
        new.site_capex_usd.tobytes() == _shared_chains_before(nxt, capex, ends, demand)[0].tobytes()
    )


def test_shared_chains_refuses_a_cell_off_the_grid():
    from hybridplan.coverage.planning.microwave import MicrowaveError

    with pytest.raises(MicrowaveError, match="site_cell: expected cells of the routing grid"):
        shared_chains(np.array([-1, 0]), np.array([0.0, 1.0]), [2], [1.0])
