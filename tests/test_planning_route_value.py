"""What a planned route does to the shared-trunk plan: the invariants that hold, and the
one an expert expects that a shared trunk legitimately breaks.

- Adding existing fibre (new roots) never raises the plan's total: the old tree stays a
  feasible tree. Checked against the exact MILP (``network_exact.exact_pcst``) and on the
  heuristic itself, on random grids (hypothesis).
- A route never changes the plan of a part of the graph it cannot reach except through
  the existing network (two grids joined only at a root), designed afresh or grown from
  the tree without the route (``design_network(start_in_tree=...)``, the valuation's
  warm start). On all Pakistan a fresh design did change far-away trunks (923 of the
  1,126 sites that left fibre with the transit route were 63-600 km from it): that is
  why ``pipeline.planned_routes`` compares plans grown from each other's trees.
- "Cheaper fibre never moves a site off fibre" does NOT hold for shared trunks, even for
  the exact optimum. Hand case (numbers below): sites A and B share the trunk
  root-x-b; a route through b serves B for its equipment alone, and A alone would pay
  7 > its net prize 6, so A takes its alternative. What does hold (proved by the
  exchange argument in ``route_value.explain_losses``): a node that leaves the tree had
  a path to the network in the old tree costing at least its net prize, i.e. it was
  there only because others shared its trunk.
"""

from __future__ import annotations

import numpy as np
import pytest
from hybridplan.coverage.planning.network import FibreGraph, design_network
from hybridplan.coverage.planning.network_exact import exact_pcst
from hybridplan.coverage.planning.route_value import (
    CAPACITY,
    TRUNK_LOST_SHARERS,
    UNEXPLAINED,
    explain_losses,
    route_value,
)
from hypothesis import given, settings
from hypothesis import strategies as st

USD = 1e-6  # totals agree to a micro-dollar
SITE_USD = 2.0  # fibre site equipment in the synthetic cases [USD]


def _hand_case():
    """root(0) -10- x(1) -7- b(2); site A(3) on x, site B(4) on b (free edges)."""
    graph = FibreGraph.from_edges(5, [0, 1, 1, 2], [1, 2, 3, 4], [10.0, 7.0, 0.0, 0.0])
    prize = np.array([0.0, 0.0, 0.0, 8.0, 14.0])  # net of equipment: A 6, B 12
    node_cost = np.array([0.0, 0.0, 0.0, SITE_USD, SITE_USD])
    before = np.array([True, False, False, False, False])
    after = before.copy()
    after[2] = True  # the route runs through b
    return graph, prize, node_cost, before, after


def test_hand_case_a_route_takes_a_sharer_and_the_other_site_leaves_fibre():
    graph, prize, node_cost, roots, roots_after = _hand_case()
    without = design_network(graph, prize, roots, node_cost)
    with_route = design_network(graph, prize, roots_after, node_cost)
    # Without: both on the trunk, 10 + 7 + 2 x 2 = 21 (< 8 + 14 = 22 with neither).
    assert without.served.tolist() == [False, False, False, True, True]
    assert without.total_usd == pytest.approx(21.0, abs=USD)
    # Equal shares: A pays 10 / 2 = 5 of the trunk, B 5 + 7 = 12.
    assert without.allocated_trunk_usd[3] == pytest.approx(5.0, abs=USD)
    assert without.allocated_trunk_usd[4] == pytest.approx(12.0, abs=USD)
    # With the route through b: B pays its equipment (2); A alone would pay 7 > 6: out.
    assert with_route.served.tolist() == [False, False, False, False, True]
    assert with_route.total_usd == pytest.approx(2.0 + 8.0, abs=USD)
    # The exact optimum does the same: this is the model, not the heuristic.
    for roots_, total in ((roots, 21.0), (roots_after, 10.0)):
        exact = exact_pcst(graph, prize, roots_, node_cost)
        assert exact.optimal and exact.total_usd == pytest.approx(total, abs=USD)
    # A's fibre got cheaper (its own path 10 -> 7) and A still left fibre; the total fell.
    assert with_route.standalone_fibre_usd[3] < without.standalone_fibre_usd[3]
    tech_before = np.array(["", "", "", "fiber", "fiber"], dtype=object)
    tech_after = np.array(["", "", "", "geo_paksat", "fiber"], dtype=object)
    target = np.array([False, False, False, True, True])
    people = np.array([0.0, 0.0, 0.0, 300.0, 900.0])
    value = route_value(without, with_route, people, target, tech_before, tech_after)
    assert value.cost_saved_usd == pytest.approx(11.0, abs=USD)
    assert value.people_no_longer_reached == pytest.approx(300.0)
    assert value.technology_changes == {("fiber", "geo_paksat"): 1}
    # Why: A's old trunk (the tree below x) now meets the network at b, the route.
    old_trunk = without.trunk_id
    meets = np.where(with_route.served, with_route.parent[np.maximum(with_route.trunk_id, 0)], -1)
    meets[with_route.trunk_id < 0] = -1
    via = (meets >= 0) & roots_after[np.maximum(meets, 0)] & ~roots[np.maximum(meets, 0)]
    assert old_trunk[3] == old_trunk[4] >= 0 and via[4] and not via[3]
    reasons = explain_losses(tech_before, tech_after, target, people, old_trunk, via)
    assert reasons == {("fiber", "geo_paksat", TRUNK_LOST_SHARERS): (1, 300.0)}


def test_explain_losses_sorts_the_other_causes():
    before = np.array(["fiber", "fiber", "microwave", "fiber", "microwave"], dtype=object)
    after = np.array(["microwave", "leo_x", "leo_x", "fiber", "fiber"], dtype=object)
    target = np.array([True, True, True, True, True])
    people = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    trunk = np.array([5, 6, -1, 6, -1])  # site 3 stays on trunk 6, not via the route
    via = np.array([False, False, False, False, True])
    limited = np.array([False, False, True, False, False])
    got = explain_losses(before, after, target, people, trunk, via, limited)
    assert got == {
        ("fiber", "microwave", UNEXPLAINED): (1, 10.0),
        ("fiber", "leo_x", UNEXPLAINED): (1, 20.0),
        ("microwave", "leo_x", CAPACITY): (1, 30.0),
    }
    # Not a target: never counted.
    assert explain_losses(before, after, ~target, people, trunk, via, limited) == {}


def _grid(width: int, height: int, offset: int = 0):
    index = np.arange(width * height).reshape(height, width) + offset
    i = np.concatenate([index[:, :-1].ravel(), index[:-1, :].ravel()])
    j = np.concatenate([index[:, 1:].ravel(), index[1:, :].ravel()])
    return i, j


@st.composite
def _instances(draw):
    """A grid of cells with random fibre costs and prizes, one root, a route of 1-3 cells."""
    width, height = draw(st.integers(3, 5)), draw(st.integers(2, 4))
    n = width * height
    i, j = _grid(width, height)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    cost = rng.uniform(1.0, 10.0, i.size)  # continuous: no ties between optima
    prize = np.where(rng.random(n) < 0.5, rng.uniform(0.0, 30.0, n), 0.0)
    roots = np.zeros(n, bool)
    roots[int(rng.integers(n))] = True
    after = roots.copy()
    after[rng.integers(n, size=int(rng.integers(1, 4)))] = True
    prize[after] = 0.0  # the route's cells are served on the network either way
    return FibreGraph.from_edges(n, i, j, cost), prize, roots, after


def _old_path_usd(graph: FibreGraph, design, node: int) -> float:
    total = 0.0
    while design.parent[node] >= 0:
        total += graph.edge_cost_usd[design.parent_edge[node]]
        node = int(design.parent[node])
    return total


@settings(max_examples=25, deadline=None)
@given(_instances())
def test_adding_existing_fibre_never_raises_the_total(instance):
    graph, prize, roots, after = instance
    without = design_network(graph, prize, roots, SITE_USD)
    with_route = design_network(graph, prize, after, SITE_USD)
    exact_without = exact_pcst(graph, prize, roots, SITE_USD)
    exact_with = exact_pcst(graph, prize, after, SITE_USD)
    assert exact_with.total_usd <= exact_without.total_usd + USD  # the reference
    assert with_route.total_usd <= without.total_usd + USD  # the heuristic
    # grown from the tree without the route (the valuation's warm start): never dearer
    grown = design_network(graph, prize, after, SITE_USD, start_in_tree=without.in_tree)
    assert grown.total_usd <= without.total_usd + USD
    assert grown.total_usd >= exact_with.lower_bound_usd - 1e-6 * exact_with.total_usd
    # the heuristic is never below the exact optimum's lower bound
    assert with_route.total_usd >= exact_with.lower_bound_usd - 1e-6 * exact_with.total_usd
    # Who leaves the tree needed its sharers: its old path cost at least its net prize;
    # and nobody whose own path to the network (route included) is cheaper than its net
    # prize is left off.
    net = np.maximum(prize - SITE_USD, 0.0)
    left = without.served & ~with_route.served & ~after
    for v in np.flatnonzero(left).tolist():
        assert _old_path_usd(graph, without, v) >= net[v] - USD
    alone = with_route.standalone_fibre_usd - SITE_USD  # the path only [USD]
    assert not np.any(~with_route.served & ~after & (alone < net - USD))


@settings(max_examples=15, deadline=None)
@given(st.integers(3, 4), st.integers(2, 3), st.integers(3, 4), st.integers(0, 2**32 - 1))
def test_a_route_in_one_valley_changes_nothing_in_the_other(w1, h1, w2, h2_seed):
    """Two grids that meet only at the root: a route in the second leaves the first's
    plan as it was (heuristic and exact)."""
    rng = np.random.default_rng(h2_seed)
    h2 = int(rng.integers(2, 4))
    n1, n2 = w1 * h1, w2 * h2
    n = 1 + n1 + n2
    a, b = _grid(w1, h1, 1), _grid(w2, h2, 1 + n1)
    i = np.concatenate([a[0], b[0], [0, 0]])
    j = np.concatenate([a[1], b[1], [1 + int(rng.integers(n1)), 1 + n1 + int(rng.integers(n2))]])
    graph = FibreGraph.from_edges(n, i, j, rng.uniform(1.0, 10.0, i.size))
    prize = np.where(rng.random(n) < 0.5, rng.uniform(0.0, 30.0, n), 0.0)
    roots = np.zeros(n, bool)
    roots[0] = True
    after = roots.copy()
    after[1 + n1 + rng.integers(n2, size=2)] = True
    prize[after] = 0.0
    first = slice(1, 1 + n1)
    without = design_network(graph, prize, roots, SITE_USD)
    with_route = design_network(graph, prize, after, SITE_USD)
    grown = design_network(graph, prize, after, SITE_USD, start_in_tree=without.in_tree)
    for design in (with_route, grown):
        assert np.array_equal(without.served[first], design.served[first])
        assert np.allclose(
            without.allocated_trunk_usd[first], design.allocated_trunk_usd[first], atol=USD
        )
    exact_without = exact_pcst(graph, prize, roots, SITE_USD)
    exact_with = exact_pcst(graph, prize, after, SITE_USD)
    assert np.array_equal(exact_without.in_tree[first], exact_with.in_tree[first])
