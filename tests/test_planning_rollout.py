"""Rollout under a budget: Horn's order against brute force over every precedence-feasible
order, trunks before branches, build years by hand, budget sweeps that never connect
fewer people with more money."""

import itertools

import numpy as np
import pytest
from hybridplan.coverage.planning.network import FibreGraph, design_network
from hybridplan.coverage.planning.rollout import (
    RolloutError,
    budget_curve,
    build_year,
    network_items,
    rollout_order,
)
from hypothesis import given, settings
from hypothesis import strategies as st


def weighted_completion(order, cost, people):
    """sum_j people_j x (money spent when j is built): smaller = people connected sooner."""
    spent = np.cumsum(cost[order])
    return float((people[order] * spent).sum())


def feasible_orders(parent):
    n = len(parent)
    for perm in itertools.permutations(range(n)):
        seen = set()
        ok = True
        for i in perm:
            if parent[i] >= 0 and parent[i] not in seen:
                ok = False
                break
            seen.add(i)
        if ok:
            yield np.array(perm)


def test_a_cheap_rich_branch_pulls_its_trunk_forward():
    # 0: trunk 100k, nobody; 1: branch of 0, 10k, 5,000 people; 2: standalone 50k, 1,000.
    parent = np.array([-1, 0, -1])
    cost = np.array([100e3, 10e3, 50e3])
    people = np.array([0.0, 5_000.0, 1_000.0])
    r = rollout_order(parent, cost, people)
    np.testing.assert_array_equal(r.order, [0, 1, 2])  # 5,000 / 110k beats 1,000 / 50k
    np.testing.assert_allclose(r.cumulative_usd, [100e3, 110e3, 160e3])
    np.testing.assert_allclose(r.cumulative_people, [0, 5_000, 6_000])
    # With a poorer branch the standalone site goes first.
    r = rollout_order(parent, cost, np.array([0.0, 1_000.0, 1_000.0]))
    np.testing.assert_array_equal(r.order, [2, 0, 1])


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 7).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(-1, n - 1), min_size=n, max_size=n),
            st.lists(st.floats(1, 100), min_size=n, max_size=n),
            st.lists(st.floats(0, 100), min_size=n, max_size=n),
        )
    )
)
def test_horn_order_is_optimal_against_brute_force(data):
    raw_parent, cost, people = data
    parent = np.array([p if p < i else -1 for i, p in enumerate(raw_parent)])  # a forest
    cost, people = np.array(cost), np.array(people)
    r = rollout_order(parent, cost, people)
    assert all(parent[i] < 0 or r.rank[parent[i]] < r.rank[i] for i in range(len(parent)))
    best = min(weighted_completion(o, cost, people) for o in feasible_orders(parent))
    assert weighted_completion(r.order, cost, people) <= best * (1 + 1e-9) + 1e-9


def test_build_years_by_hand_and_budget_sweeps():
    parent = np.array([-1, 0, 1, -1])
    cost = np.array([60e3, 30e3, 30e3, 90e3])
    people = np.array([100.0, 2_000.0, 2_000.0, 300.0])
    r = rollout_order(parent, cost, people)
    np.testing.assert_array_equal(r.order, [0, 1, 2, 3])
    # 50k a year: cumulative 60k -> year 2, 90k -> 2, 120k -> 3, 210k -> 5.
    np.testing.assert_array_equal(build_year(r, 50e3), [2, 2, 3, 5])
    curve = budget_curve(r, [50e3, 100e3, 300e3], n_years=5)
    np.testing.assert_allclose(curve.people_by_year[0], [0, 2_100, 4_100, 4_100, 4_400])
    np.testing.assert_allclose(curve.people_by_year[1], [2_100, 4_100, 4_400, 4_400, 4_400])
    np.testing.assert_allclose(curve.usd_by_year[2], [210e3] * 5)
    assert np.all(np.diff(curve.people_by_year, axis=0) >= 0)  # more money, never fewer
    with pytest.raises(RolloutError, match="budget_usd_per_year: expected > 0"):
        build_year(r, 0.0)


def test_a_cycle_is_refused():
    with pytest.raises(RolloutError, match="found a cycle through item"):
        rollout_order([1, 0], [1.0, 1.0], [1.0, 1.0])


def test_network_items_build_the_trunk_before_its_villages():
    # 0 network; 1-2-3 a road; villages 4, 5 hang on 2 and 3; site 6 is on LEO.
    graph = FibreGraph.from_edges(7, [0, 1, 2, 2, 3], [1, 2, 3, 4, 5], [30e3, 30e3, 30e3, 5e3, 5e3])
    prize = np.array([0, 0, 0, 0, 200e3, 200e3, 100e3])
    design = design_network(graph, prize, np.arange(7) == 0, 10e3)
    assert design.served[[4, 5]].all() and not design.in_tree[6]
    people = np.array([0, 0, 0, 0, 800.0, 700.0, 50.0])
    parent, cost, ppl = network_items(
        graph, design, people, 10e3, other_capex_usd=[np.nan] * 6 + [8e3]
    )
    np.testing.assert_array_equal(parent, [-1, 0, 1, 2, 2, 3, -1])
    np.testing.assert_allclose(cost, [0, 30e3, 30e3, 30e3, 15e3, 15e3, 8e3])
    np.testing.assert_allclose(ppl, [0, 0, 0, 0, 800, 700, 50])
    r = rollout_order(parent, cost, ppl)
    assert r.rank[1] < r.rank[2] < r.rank[4] and r.rank[3] < r.rank[5]
    assert r.cumulative_usd[-1] == pytest.approx(cost.sum())
