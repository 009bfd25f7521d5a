"""Relay chains that meet are built once (``planning.microwave.shared_chains``).

Reference: an independent walk over each site's chain, the hops kept in a set and their
demand summed in a dict, priced by hand; properties: sharing never costs more than the
chains alone, the shares pay for what is built, and no site pays more than its chain.
"""

import math

import numpy as np
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
