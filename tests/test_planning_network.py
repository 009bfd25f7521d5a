"""Shared fibre trunks (prize-collecting Steiner tree): hand-computed valleys, the exact
MILP as reference on random instances, and invariants (never worse than per-cell pricing;
allocations add up; a route that helps no target is worth nothing)."""

import numpy as np
import pytest
from hybridplan.coverage.planning.economics import (
    FiberCosts,
    FinanceAssumptions,
    SatelliteCosts,
    present_value_usd,
    satellite_option_usd,
)
from hybridplan.coverage.planning.network import (
    EDGE_PLANNED_BUILT,
    FibreGraph,
    NetworkDesignError,
    design_network,
    fibre_edge_cost_usd,
    fibre_site_cost_usd,
)
from hybridplan.coverage.planning.network_exact import (
    certify,
    cluster_subgraph,
    exact_pcst,
    independent_clusters,
)
from hybridplan.coverage.planning.route_value import PlannedRoute, planned_route_values
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import Delaunay

FINANCE = FinanceAssumptions(horizon_years=10, discount_rate=0.08)
FIBER = FiberCosts(cost_per_km_usd=20_000, site_equipment_usd=15_000, opex_fraction_per_year=0.03)
LEO = SatelliteCosts(terminal_usd=2_500, service_usd_per_month=500, capacity_mbps_per_terminal=100)
PV_FACTOR = 1 + 0.03 * 6.710081399  # 1 + O&M share x annuity(8 %, 10 y), by hand


def valley(spacing_km: float, n_villages: int = 20, spur_km: float = 0.5):
    """Node 0 = existing network at the valley mouth; road nodes 1..n every ``spacing_km``;
    village k hangs on road node k by a spur. Returns (graph, prize, roots, site, villages)."""
    road = np.arange(1, n_villages + 1)
    villages = road + n_villages
    i = np.concatenate([road - 1, road])
    j = np.concatenate([road, villages])
    km = np.concatenate([np.full(n_villages, spacing_km), np.full(n_villages, spur_km)])
    n = 2 * n_villages + 1
    graph = FibreGraph.from_edges(n, i, j, fibre_edge_cost_usd(km, FIBER, FINANCE))
    capex, opex = satellite_option_usd(np.full(n, 250.0), LEO)  # 3 terminals' demand
    leo = present_value_usd(capex, opex, 0.08, 10)
    prize = np.where(np.isin(np.arange(n), villages), leo, 0.0)
    roots = np.arange(n) == 0
    return graph, prize, roots, fibre_site_cost_usd(FIBER, FINANCE), villages


def test_hand_numbers_of_the_valley():
    graph, prize, _, site, villages = valley(2.0)
    assert prize[villages[0]] == pytest.approx(3 * 42_760.49, abs=0.1)  # 128,281 USD LEO PV
    assert site == pytest.approx(15_000 * PV_FACTOR, abs=1e-6)  # 18,020 USD
    assert graph.edge_cost_usd[0] == pytest.approx(2 * 20_000 * PV_FACTOR, abs=1e-6)


def test_villages_along_a_road_share_a_trunk_and_fibre_beats_leo():
    graph, prize, roots, site, villages = valley(2.0)
    d = design_network(graph, prize, roots, site)
    assert d.served[villages].all()
    assert (d.cells_sharing_trunk[villages] == 20).all()
    # 40 km of road + 20 spurs of 0.5 km, and 20 sites; research §1.3: ~78k USD per village.
    per_village = (d.allocated_trunk_usd[villages] + site).mean()
    assert per_village == pytest.approx((2.0 + 0.5) * 20_000 * PV_FACTOR + site, abs=1.0)
    assert per_village == pytest.approx(78_084.66, abs=0.01)  # 2.5 x 24,026.05 + 18,019.54
    assert d.allocated_trunk_usd.sum() == pytest.approx(d.edge_cost_total_usd, rel=1e-12)
    assert d.total_usd == pytest.approx(20 * per_village, rel=1e-9)
    assert d.total_usd < prize.sum()  # 20 x 128,281 USD on LEO


def test_villages_20_km_apart_stay_on_leo():
    graph, prize, roots, site, villages = valley(20.0)
    d = design_network(graph, prize, roots, site)
    assert not d.served.any()
    assert d.total_usd == pytest.approx(prize.sum(), rel=1e-12)
    assert d.total_usd == pytest.approx(d.per_cell_total_usd, rel=1e-12)


def random_instance(seed: int, n: int = 28, tree: bool = False):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 40, (n, 2))
    if tree:
        parent = [int(rng.integers(0, k)) for k in range(1, n)]
        edges = np.array([(p, k) for k, p in zip(range(1, n), parent, strict=True)])
    else:
        edges = set()
        for simplex in Delaunay(xy).simplices:
            for a in range(3):
                edges.add(tuple(sorted((int(simplex[a]), int(simplex[(a + 1) % 3])))))
        edges = np.array(sorted(edges))
    km = np.linalg.norm(xy[edges[:, 0]] - xy[edges[:, 1]], axis=1) * rng.uniform(1, 1.6, len(edges))
    graph = FibreGraph.from_edges(
        n, edges[:, 0], edges[:, 1], fibre_edge_cost_usd(km, FIBER, FINANCE)
    )
    prize = rng.choice([0.0, 42_760.0, 128_281.0, 300_000.0, 600_000.0], n)
    roots = np.zeros(n, bool)
    roots[rng.choice(n, 2, replace=False)] = True
    return graph, prize, roots


@pytest.mark.parametrize("seed", range(6))
def test_random_instances_within_5_percent_of_the_milp_optimum(seed):
    graph, prize, roots = random_instance(seed)
    site = fibre_site_cost_usd(FIBER, FINANCE)
    design = design_network(graph, prize, roots, site)
    cert = certify(graph, prize, roots, site, time_limit_s=30, design=design)
    assert cert.optimal
    assert cert.exact_usd <= design.total_usd + 1e-6  # the MILP is the optimum
    assert design.total_usd <= 1.05 * cert.exact_usd
    assert cert.gap == pytest.approx((design.total_usd - cert.exact_usd) / design.total_usd)


@pytest.mark.parametrize("seed", range(4))
def test_tree_instances_equal_the_milp_optimum(seed):
    graph, prize, roots = random_instance(100 + seed, n=30, tree=True)
    site = fibre_site_cost_usd(FIBER, FINANCE)
    design = design_network(graph, prize, roots, site)
    exact = exact_pcst(graph, prize, roots, site, time_limit_s=30)
    assert exact.optimal
    assert design.total_usd == pytest.approx(exact.total_usd, rel=1e-9, abs=1e-3)


def test_independent_clusters_add_up_to_the_whole():
    a, pa, ra = random_instance(7, n=14)
    b, pb, rb = random_instance(8, n=12)
    n = a.n_nodes + b.n_nodes
    graph = FibreGraph.from_edges(
        n,
        np.concatenate([a.edge_i, b.edge_i + a.n_nodes]),
        np.concatenate([a.edge_j, b.edge_j + a.n_nodes]),
        np.concatenate([a.edge_cost_usd, b.edge_cost_usd]),
    )
    prize, roots = np.concatenate([pa, pb]), np.concatenate([ra, rb])
    labels = independent_clusters(graph, roots)
    assert (labels[roots] == -1).all()
    total = exact_pcst(graph, prize, roots, 1000.0).total_usd
    parts = 0.0
    for label in np.unique(labels[labels >= 0]):
        sub, nodes = cluster_subgraph(graph, roots, labels, label)
        parts += exact_pcst(sub, prize[nodes], roots[nodes], 1000.0).total_usd
    # Root-only nodes outside every cluster pay nothing, so the parts add up.
    assert parts == pytest.approx(total, rel=1e-9)


def _per_cell_total(graph, prize, roots, site):
    """Independent reference: each site alone on its shortest path, or its prize."""
    m = csr_matrix(
        (graph.edge_cost_usd + 1e-9, (graph.edge_i, graph.edge_j)),
        shape=(graph.n_nodes, graph.n_nodes),
    )
    dist = dijkstra(m, directed=False, indices=np.flatnonzero(roots), min_only=True)
    return float(np.minimum(prize, dist + site)[~roots].sum())


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 30), site=st.floats(0, 50_000))
def test_network_total_never_exceeds_the_per_cell_total(seed, n, site):
    graph, prize, roots = random_instance(seed, n=n)
    d = design_network(graph, prize, roots, site)
    assert d.total_usd <= _per_cell_total(graph, prize, roots, site) + 1e-3
    assert d.total_usd == pytest.approx(d.per_cell_total_usd - (d.per_cell_total_usd - d.total_usd))
    # Re-count the total from the tree itself, and the allocations add up to the edges.
    unserved = ~d.served & ~roots
    recount = d.edge_cost_total_usd + site * d.served.sum() + prize[unserved].sum()
    assert d.total_usd == pytest.approx(recount, rel=1e-12)
    assert d.allocated_trunk_usd.sum() == pytest.approx(d.edge_cost_total_usd, rel=1e-9, abs=1e-6)
    # Every tree node's parent edge joins it to its parent.
    child = np.flatnonzero(d.parent >= 0)
    ends = {
        frozenset(e)
        for e in zip(
            graph.edge_i[d.parent_edge[child]], graph.edge_j[d.parent_edge[child]], strict=True
        )
    }
    assert ends == {frozenset(e) for e in zip(child, d.parent[child], strict=True)}


def test_a_built_planned_route_is_used_for_free_and_valued():
    graph, prize, roots, site, villages = valley(6.0)
    base = design_network(graph, prize, roots, site)
    assert not base.served.any()  # 6 km per village of road: LEO wins
    road = np.arange(1, 21)
    route = PlannedRoute(
        "valley road OFC", road - 1, road, graph.edge_cost_usd[:20]
    )  # the road edges, built by someone else
    population = np.where(np.isin(np.arange(graph.n_nodes), villages), 1_500.0, 0.0)
    target = population > 0
    values = planned_route_values(graph, [route], prize, roots, population, target, site)
    value = values["valley road OFC"]
    assert value.people_newly_reached == 20 * 1_500
    assert value.sites_newly_reached == 20
    # Without: 20 x LEO. With: 20 spurs of 0.5 km and 20 sites.
    with_total = 20 * (0.5 * 20_000 * PV_FACTOR + site)
    assert value.cost_saved_usd == pytest.approx(prize.sum() - with_total, rel=1e-9)
    assert value.technology_changes == {("other", "fiber"): 20}
    with_graph = graph.with_planned_route(route.edge_i, route.edge_j, route.edge_cost_usd, True)
    assert (with_graph.edge_status[-20:] == EDGE_PLANNED_BUILT).all()


def test_a_route_crossing_no_target_cell_is_worth_zero():
    graph, prize, roots, site, villages = valley(2.0)
    # A second, separate valley without targets: nodes 41..50 in a chain, off the network.
    extra = np.arange(41, 51)
    g = FibreGraph.from_edges(
        51,
        np.concatenate([graph.edge_i, extra[:-1]]),
        np.concatenate([graph.edge_j, extra[1:]]),
        np.concatenate([graph.edge_cost_usd, np.full(9, 50_000.0)]),
    )
    prize51 = np.concatenate([prize, np.zeros(10)])
    roots51 = np.concatenate([roots, np.zeros(10, bool)])
    population = np.where(np.isin(np.arange(51), villages), 1_500.0, 10.0)
    target = np.isin(np.arange(51), villages)
    route = PlannedRoute("far route", np.array([41, 45]), np.array([0, 50]), np.array([1e6, 1e6]))
    value = planned_route_values(g, [route], prize51, roots51, population, target, site)[
        "far route"
    ]
    assert value.people_newly_reached == 0
    assert value.cost_saved_usd == 0
    assert value.technology_changes == {}


def test_bad_inputs_name_the_edge_and_the_fix():
    with pytest.raises(NetworkDesignError, match=r"edge 1: expected a finite cost >= 0"):
        FibreGraph.from_edges(3, [0, 1], [1, 2], [1.0, -5.0])
    with pytest.raises(NetworkDesignError, match=r"node indices in \[0, 3\)"):
        FibreGraph.from_edges(3, [0, 1], [1, 3], [1.0, 1.0])
    graph = FibreGraph.from_edges(3, [0, 1], [1, 2], [1.0, 1.0])
    with pytest.raises(NetworkDesignError, match="root_mask: expected at least one node"):
        design_network(graph, [0, 1, 1], [False, False, False])
    with pytest.raises(NetworkDesignError, match=r"prize_usd\[2\]"):
        design_network(graph, [0, 1, np.nan], [True, False, False])


def test_allocation_by_demand_share_and_segments_by_hand():
    # 0 network -- 1 junction (100) -- village 2 (10, weight 1) and village 3 (20, weight 3)
    graph = FibreGraph.from_edges(4, [0, 1, 1], [1, 2, 3], [100.0, 10.0, 20.0])
    d = design_network(
        graph, [0, 0, 1e6, 1e6], [True, False, False, False], 0.0, demand_weight=[0, 0, 1, 3]
    )
    np.testing.assert_allclose(d.allocated_trunk_usd, [0, 0, 100 / 4 + 10, 300 / 4 + 20])
    np.testing.assert_array_equal(d.parent, [-1, 0, 1, 1])
    np.testing.assert_array_equal(d.trunk_id, [-1, 1, 1, 1])
    np.testing.assert_array_equal(d.cells_sharing_trunk, [0, 2, 2, 2])
    assert len({d.segment_id[1], d.segment_id[2], d.segment_id[3]}) == 3  # junction splits
    np.testing.assert_array_equal(d.cells_sharing_segment, [0, 2, 1, 1])
    # A pass-through chain is one segment: 0 - 1 - 2 - 3 (village at 3 only).
    chain = FibreGraph.from_edges(4, [0, 1, 2], [1, 2, 3], [1.0, 1.0, 1.0])
    c = design_network(chain, [0, 0, 0, 10.0], [True, False, False, False])
    assert c.segment_id[1] == c.segment_id[2] == c.segment_id[3] >= 0
    np.testing.assert_array_equal(c.cells_sharing_segment, [0, 1, 1, 1])
    assert c.served.tolist() == [False, False, False, True] and c.in_tree.all()
