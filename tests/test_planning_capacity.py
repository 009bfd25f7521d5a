"""Satellite capacity per area and the joint choice: the capacity formula by hand, the
p10 rule, the invariants (halving a system's beams never raises its share; unlimited
capacity gives the no-capacity choice) and the reason strings."""

import numpy as np
import pytest
from hybridplan.coverage.planning.capacity import (
    DEFAULT_CAPACITY,
    CapacityError,
    SatelliteCapacity,
    SiteOption,
    area_capacity_mbps,
    area_index,
    assign_with_capacity,
    decide_sites,
    default_capacity,
    joint_plan,
)
from hybridplan.coverage.planning.network import FibreGraph
from hypothesis import given, settings
from hypothesis import strategies as st


def test_capacity_formula_and_p10_by_hand():
    starlink = DEFAULT_CAPACITY["starlink"]
    # 3 satellites: 3 x 48 beams x 1/48 = 3 beams x 1,230 = 3,690; 10 hit the 8-beam cap.
    np.testing.assert_allclose(starlink.capacity_mbps([3, 10, 0]), [3_690, 9_840, 0])
    counts = np.array([[k, 2 * k] for k in range(10)], float)  # 10 steps, 2 areas
    counts[0, 1] = np.nan  # an unknown step is left out, not counted as zero
    model = SatelliteCapacity(4, 100.0, 0.5)  # 2 beams x 100 Mbit/s per satellite
    cap = area_capacity_mbps(counts, model, percentile=10)
    # area 0: C = 200 k for k = 0..9 -> p10 (linear) = 200 * 0.9 = 180
    # area 1: C = 400 k for k = 1..9 -> p10 = 400 * (1 + 0.8) = 720
    np.testing.assert_allclose(cap, [180.0, 720.0])
    assert area_capacity_mbps(np.full((3, 1), np.nan), model)[0] == 0.0
    assert default_capacity("Starlink Gen2", "leo") is starlink
    assert default_capacity("paksat_mm1", "geo") is DEFAULT_CAPACITY["geo"]
    assert all(m.source for m in DEFAULT_CAPACITY.values())


def test_area_index_and_its_error():
    ids = np.array(["85a", "85c", "85b"])
    np.testing.assert_array_equal(area_index(["85b", "85a", "85b"], ids), [2, 0, 2])
    with pytest.raises(CapacityError, match="'85z' missing"):
        area_index(["85z"], ids)


def test_over_capacity_the_cheapest_to_move_sites_move():
    # One area; LEO 200 Mbit/s; fibre unlimited. Sites' regret (fibre - LEO): 10k, 50k, 90k.
    cost = np.array(
        [
            [110e3, 150e3, 190e3],  # fibre
            [100e3, 100e3, 100e3],
        ]
    )  # leo
    cap = np.array([[np.inf], [200.0]])
    a = assign_with_capacity(cost, [100.0, 100.0, 100.0], [0, 0, 0], cap)
    np.testing.assert_array_equal(a.choice, [0, 1, 1])  # the 10k-regret site moves
    np.testing.assert_array_equal(a.capacity_limited, [True, False, False])
    np.testing.assert_allclose(a.load_mbps, [[100.0], [200.0]])
    np.testing.assert_allclose(a.share, [1 / 3, 2 / 3])
    np.testing.assert_allclose(a.load_fraction, [[0.0], [1.0]])


@st.composite
def instances(draw):
    n_site = draw(st.integers(1, 25))
    n_area = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    cost = rng.uniform(50e3, 500e3, (4, n_site))
    cost[rng.uniform(size=cost.shape) < 0.2] = np.inf  # some options infeasible
    demand = rng.choice([0.0, 20.0, 100.0, 300.0, 900.0], n_site)
    area = rng.integers(0, n_area, n_site)
    counts = rng.integers(0, 12, (30, n_area)).astype(float)
    beams = draw(st.sampled_from([2, 8, 16, 48]))
    return cost, demand, area, counts, beams


def _capacity(counts, beams_by_system):
    rows = [np.full(counts.shape[1], np.inf)]  # option 0: fibre, unlimited
    for beams in beams_by_system:
        rows.append(area_capacity_mbps(counts, SatelliteCapacity(beams, 250.0, 1 / 16, 12)))
    return np.stack(rows)


@settings(max_examples=80, deadline=None)
@given(instances(), st.integers(1, 3))
def test_halving_beams_never_raises_that_systems_share(instance, system):
    cost, demand, area, counts, beams = instance
    full = [beams, beams, beams]
    halved = list(full)
    halved[system - 1] = beams / 2
    a = assign_with_capacity(cost, demand, area, _capacity(counts, full))
    b = assign_with_capacity(cost, demand, area, _capacity(counts, halved))
    assert b.share[system] <= a.share[system] + 1e-12
    assert np.all(b.load_mbps[system] <= a.load_mbps[system] + 1e-9)
    assert np.all(b.load_mbps <= _capacity(counts, halved) + 1e-9)


@settings(max_examples=60, deadline=None)
@given(instances())
def test_unlimited_capacity_gives_the_no_capacity_choice(instance):
    cost, demand, area, _, _ = instance
    a = assign_with_capacity(cost, demand, area, np.full((4, 3), np.inf))
    best = np.argmin(cost, axis=0)
    expected = np.where(np.isfinite(cost.min(axis=0)), best, -1)
    np.testing.assert_array_equal(a.choice, expected)
    assert not a.capacity_limited.any()


def test_reasons_of_the_joint_choice():
    inf = np.inf
    # sites: 0 shared trunk, 1 microwave, 2 leo ok, 3 geo because leo unlicensed cheaper,
    # 4 and 5 in area 1 where LEO holds 150 Mbit/s: site 4 (regret 5k) goes to fibre.
    fiber = SiteOption(
        "fiber",
        "fiber",
        np.array([50e3, 400e3, 300e3, 500e3, 105e3, 300e3]),
        detail=np.array([34, 0, 0, 0, 1, 0]),
    )
    micro = SiteOption(
        "microwave",
        "microwave",
        np.array([inf, 90e3, 200e3, inf, inf, inf]),
        detail=np.array([-1, 2, 1, -1, -1, -1]),
    )
    leo = SiteOption(
        "leo_starlink",
        "satellite",
        np.array([128e3, 128e3, 128e3, inf, 100e3, 100e3]),
        capacity_mbps=np.array([1_000.0, 150.0]),
    )
    kuiper = SiteOption("leo_kuiper", "satellite", np.full(6, 90e3), licensed=False)
    geo = SiteOption("geo_paksat", "satellite", np.array([inf, inf, inf, 160e3, inf, inf]))
    d = decide_sites(
        [fiber, micro, leo, kuiper, geo],
        [100.0, 50.0, 100.0, 20.0, 100, 100],
        site_area=[0, 0, 0, 0, 1, 1],
    )
    assert d.names == ("fiber", "microwave", "leo_starlink", "geo_paksat")
    assert list(d.reason) == [
        "fiber:shared_trunk(n=34)",
        "microwave:2_hops",
        "leo_starlink:leo_not_licensed",
        "geo_paksat:leo_not_licensed",
        "fiber:leo_capacity_limited",
        "leo_starlink:leo_not_licensed",
    ]
    np.testing.assert_allclose(d.chosen_cost_usd, [50e3, 90e3, 128e3, 160e3, 105e3, 100e3])
    np.testing.assert_array_equal(d.runner_up, [2, 2, 1, 0, 2, 0])
    np.testing.assert_allclose(d.runner_up_cost_usd, [128e3, 128e3, 200e3, 500e3, 100e3, 300e3])
    # Without the unlicensed system the satellite reasons speak of capacity.
    d = decide_sites(
        [fiber, micro, leo, geo], [100.0, 50.0, 100.0, 20.0, 100, 100], site_area=[0, 0, 0, 0, 1, 1]
    )
    assert d.reason[2] == "leo_starlink:capacity_ok" and d.reason[3] == "geo_paksat:cheapest"
    assert d.reason[5] == "leo_starlink:capacity_ok"


def test_decide_sites_refuses_a_capacity_without_areas():
    leo = SiteOption("leo_x", "satellite", np.ones(2), capacity_mbps=np.ones(1))
    with pytest.raises(CapacityError, match="site_area is missing"):
        decide_sites([leo], [1.0, 1.0])


def _valley(spacing_km=6.0, n_villages=20):
    """Node 0 on the network; a road of ``n_villages`` nodes; one village per road node."""
    road = np.arange(1, n_villages + 1)
    villages = road + n_villages
    edges_i = np.concatenate([road - 1, road])
    edges_j = np.concatenate([road, villages])
    km = np.concatenate([np.full(n_villages, spacing_km), np.full(n_villages, 0.5)])
    n = 2 * n_villages + 1
    graph = FibreGraph.from_edges(n, edges_i, edges_j, km * 24_026.05)
    demand = np.where(np.isin(np.arange(n), villages), 250.0, 0.0)
    leo_cost = np.where(demand > 0, 128_281.47, 0.0)
    return graph, demand, leo_cost, villages


def test_joint_plan_moves_sites_off_a_full_leo_area_onto_a_shared_trunk():
    graph, demand, leo_cost, villages = _valley()
    roots = np.arange(graph.n_nodes) == 0
    area = np.zeros(graph.n_nodes, np.int64)
    unlimited = SiteOption("leo_starlink", "satellite", leo_cost)
    free = joint_plan(graph, roots, 18_019.54, [unlimited], demand, area)
    assert not free.design.served.any()  # 6 km of road per village: LEO wins
    assert set(free.decision.reason[villages]) == {"leo_starlink:cheapest"}
    assert free.decision.reason[0] == "served:on_network" and free.decision.choice[0] == -1
    road = np.arange(1, 21)
    assert set(free.decision.reason[road]) == {"none:no_demand"}
    # LEO holds 2,000 Mbit/s in the area: 8 villages of 250 Mbit/s; 12 must move, and
    # with GEO too dear and nothing else they share a fibre trunk.
    full = SiteOption("leo_starlink", "satellite", leo_cost, capacity_mbps=np.array([2_000.0]))
    plan = joint_plan(graph, roots, 18_019.54, [full], demand, area)
    d = plan.decision
    on_leo = d.choice[villages] == d.names.index("leo_starlink")
    assert on_leo.sum() == 8
    assert d.assignment.load_mbps[d.names.index("leo_starlink"), 0] <= 2_000.0
    fibre = villages[~on_leo]
    assert plan.design.served[fibre].all()
    assert set(d.reason[fibre]) == {"fiber:leo_capacity_limited"}
    assert np.isinf(plan.prize_usd[fibre]).all()  # no other option left open to them
    # The cheapest to move are the ones nearest the network (their fibre costs least).
    assert set(fibre.tolist()) == set(villages[:12].tolist())


def test_joint_plan_is_the_same_with_reasons_only_where_kept(monkeypatch):
    """``joint_plan`` asks ``decide_sites`` for the reasons of the sites with demand only
    (the rest are replaced by ``served:on_network`` / ``none:no_demand``): the plan is
    the one with every reason computed, and ``explain`` leaves "" elsewhere."""
    from hybridplan.coverage.planning import capacity

    graph, demand, leo_cost, villages = _valley()
    roots = np.arange(graph.n_nodes) == 0
    area = np.zeros(graph.n_nodes, np.int64)
    full = SiteOption("leo_starlink", "satellite", leo_cost, capacity_mbps=np.array([2_000.0]))
    geo = SiteOption("geo_paksat", "satellite", np.where(demand > 0, 400e3, 0.0))
    kuiper = SiteOption("leo_kuiper", "satellite", np.where(demand > 0, 90e3, 0.0), False)
    options = [full, geo, kuiper]
    fast = joint_plan(graph, roots, 18_019.54, options, demand, area)
    original = capacity.decide_sites

    def every_reason(*args, explain=None):
        d = original(*args)
        wanted = original(*args, explain=explain)
        np.testing.assert_array_equal(wanted.reason[explain], d.reason[explain])
        assert set(wanted.reason[~explain]) == {""}
        return d

    monkeypatch.setattr(capacity, "decide_sites", every_reason)
    slow = joint_plan(graph, roots, 18_019.54, options, demand, area)
    assert fast.rounds == slow.rounds == 2
    for name in ("choice", "chosen_cost_usd", "runner_up", "runner_up_cost_usd", "reason"):
        np.testing.assert_array_equal(getattr(fast.decision, name), getattr(slow.decision, name))
    np.testing.assert_array_equal(fast.prize_usd, slow.prize_usd)
    # the reasons kept are the real ones (capacity, licensing, the shared trunk)
    assert "fiber:leo_capacity_limited" in set(fast.decision.reason[villages])
    assert "fiber:leo_not_licensed" in set(fast.decision.reason[villages])
    assert set(fast.decision.reason[1:21]) == {"none:no_demand"}


def reference_assign(cost, demand, area, cap, fixed):
    """``assign_with_capacity``'s choice as the plain loop over every free site in regret
    order (capacity.py before the sites without demand were decided at once)."""
    cost = np.asarray(cost, float)
    n_option, n_site = cost.shape
    ranked = np.argsort(cost, axis=0, kind="stable")
    sorted_cost = np.take_along_axis(cost, ranked, axis=0)
    second = sorted_cost[1] if n_option > 1 else np.full(n_site, np.inf)
    regret = np.full(n_site, np.inf)
    two = np.isfinite(second)
    regret[two] = second[two] - sorted_cost[0][two]
    order = np.lexsort((np.arange(n_site), -regret))
    load = np.zeros_like(cap)
    choice = fixed.copy()
    for s in np.flatnonzero(fixed >= 0):
        load[fixed[s], area[s]] += demand[s]
    for s in order[fixed[order] < 0]:
        for o in ranked[:, s]:
            if not np.isfinite(cost[o, s]):
                break
            if load[o, area[s]] + demand[s] <= cap[o, area[s]]:
                load[o, area[s]] += demand[s]
                choice[s] = o
                break
    return choice, load


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4), st.integers(1, 40), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_sites_without_demand_get_what_the_loop_gives_them(n_option, n_site, n_area, seed):
    """Random costs (inf, ties), demands (many zero), capacities (some exceeded by the
    fixed sites alone): the same choices and loads as the loop over every site."""
    rng = np.random.default_rng(seed)
    cost = rng.choice([1.0, 2.0, 3.0, np.inf], size=(n_option, n_site))
    demand = np.where(rng.random(n_site) < 0.5, 0.0, rng.choice([1.0, 2.0, 5.0], n_site))
    area = rng.integers(0, n_area, n_site)
    cap = rng.choice([0.0, 1.0, 3.0, 6.0, np.inf], size=(n_option, n_area))
    fixed = np.where(rng.random(n_site) < 0.3, rng.integers(0, n_option, n_site), -1)
    got = assign_with_capacity(cost, demand, area, cap, fixed)
    want_choice, want_load = reference_assign(cost, demand, area, cap, fixed)
    np.testing.assert_array_equal(got.choice, want_choice)
    np.testing.assert_array_equal(got.load_mbps, want_load)
