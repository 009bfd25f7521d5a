"""The rollout and the planned-route values in the plan: trunks before branches on a real
fibre design, the curve against the plan's own site costs, build years against the
budget by hand, and planned routes on a small real plan (Nagar) with its own network file:
a route through the target villages is worth people and money, a route that enters only an
empty cell far from every target, or no cell of the region at all, is worth zero."""

import json

import numpy as np
import pytest
from hybridplan.coverage import build_plan, resolve
from hybridplan.coverage.errors import ScenarioError
from hybridplan.coverage.planning.network import FibreGraph, design_network
from hybridplan.coverage.planning.rollout import RolloutError, site_rollout
from hybridplan.coverage.scenario import Scenario, default_scenario_text, planning_spec
from hybridplan.grids import load_network
from hybridplan.grids.errors import NetworkPlacementWarning


def test_sites_on_a_trunk_wait_for_it_and_the_curve_adds_up():
    # 0 = network; 1-2-3 a road (30k per edge); sites 4, 5 hang on 2 and 3 (free edges);
    # site 6 (node 6) is off the tree on a satellite at 40k; site 3 stands alone (no node).
    graph = FibreGraph.from_edges(7, [0, 1, 2, 2, 3], [1, 2, 3, 4, 5], [30e3, 30e3, 30e3, 0, 0])
    prize = np.array([0, 0, 0, 0, 300e3, 300e3, 40e3])
    design = design_network(graph, prize, np.arange(7) == 0, 10e3)
    assert design.served[[4, 5]].all() and not design.in_tree[6]
    cost = np.array([60e3 + 10e3, 30e3 + 10e3, 40e3, 5e3])  # sites 0, 1 on fibre (allocated)
    people = np.array([900.0, 800.0, 100.0, 1000.0])
    node = np.array([4, 5, 6, -1])
    r = site_rollout(cost, people, 50e3, graph, design, node, fibre_site_usd=10e3)
    # Horn by hand: site 3 (1000 / 5k) first; then the trunk group 1-2-4 (900 / 70k =
    # 0.0129) merged with 3-5 (800 / 40k) = 1700 / 110k = 0.0155 beats site 2 (100 / 40k).
    np.testing.assert_array_equal(r.step_site, [3, 0, 1, 2])
    np.testing.assert_allclose(r.step_usd, [5e3, 75e3, 115e3, 155e3])
    np.testing.assert_allclose(r.step_people, [1000, 1900, 2700, 2800])
    np.testing.assert_array_equal(r.site_rank, [1, 2, 3, 0])
    # 50k a year: 5k -> 1, 75k -> 2, 115k -> 3, 155k -> 4.
    np.testing.assert_array_equal(r.site_year, [2, 3, 4, 1])
    np.testing.assert_array_equal(r.years, [1, 2, 3, 4])
    np.testing.assert_allclose(r.people_by_year, [1000, 1900, 2700, 2800])
    np.testing.assert_array_equal(r.sites_by_year, [1, 2, 3, 4])
    # The curve ends at the total of what the tree and the sites cost.
    assert r.step_usd[-1] == pytest.approx(90e3 + 2 * 10e3 + 40e3 + 5e3)
    with pytest.raises(RolloutError, match="budget_usd_per_year: expected > 0"):
        site_rollout(cost, people, 0.0, graph, design, node, fibre_site_usd=10e3)


def test_nothing_built_gives_an_empty_curve():
    r = site_rollout([np.nan, np.nan], [10.0, 20.0], 1e6)
    assert r.step_site.size == 0 and (r.site_year == 0).all() and (r.site_rank == -1).all()
    np.testing.assert_array_equal(r.people_by_year, [0.0])


def test_the_budget_key_is_in_the_default_scenario_and_checked():
    text = default_scenario_text()
    assert planning_spec(Scenario.from_toml(text, "d.toml")).network.budget_usd_per_year == 20e6
    bad = text.replace("budget_usd_per_year = 20000000.0", "budget_usd_per_year = 0")
    with pytest.raises(ScenarioError, match=r"\[network\] budget_usd_per_year = 0: expected > 0"):
        planning_spec(Scenario.from_toml(bad, "d.toml"))


def test_the_plan_rollout_spends_the_plan_and_keeps_the_budget(real_plan):
    plan = real_plan
    budget = float(plan["rollout_budget_usd_per_year"])
    assert budget == pytest.approx(20e6)
    target = plan["site_target"].values == 1
    cost = plan["site_cost_usd"].values
    built = target & np.isfinite(cost) & (cost > 0)
    usd = plan["rollout_cumulative_usd"].values
    people = plan["rollout_cumulative_people"].values
    assert usd.size == built.sum() > 0
    assert usd[-1] == pytest.approx(cost[built].sum(), rel=1e-9)
    assert people[-1] == pytest.approx(plan["site_population"].values[built].sum(), rel=1e-9)
    assert np.all(np.diff(usd) >= 0) and np.all(np.diff(people) >= 0)
    # Sites in build order; each step's year is ceil(cumulative / budget).
    step_site = plan["rollout_step_site"].values
    assert sorted(step_site.tolist()) == np.flatnonzero(built).tolist()
    year = plan["site_build_year"].values
    np.testing.assert_array_equal(year[step_site], np.maximum(1, np.ceil(usd / budget)))
    assert (year[~built] == 0).all() and (plan["site_rollout_rank"].values[~built] == -1).all()
    # Cells show their site's year.
    cell_site = plan["site"].values
    has = cell_site >= 0
    np.testing.assert_array_equal(plan["build_year"].values[has], year[cell_site[has]])
    # The year table is the curve read at the budget's multiples.
    for y, p in zip(
        plan["rollout_year"].values, plan["rollout_people_by_year"].values, strict=True
    ):
        assert p == pytest.approx(people[usd <= y * budget * (1 + 1e-12)].max(initial=0.0))
    # The base licensing case's curve is the plan's own.
    by_case = plan["rollout_cumulative_usd_by_case"].values[0]
    np.testing.assert_allclose(by_case[: usd.size], usd)
    assert np.isnan(by_case[usd.size :]).all()


def _feature(name, status, lonlat):
    return {
        "type": "Feature",
        "properties": {"name": name, "status": status},
        "geometry": {"type": "LineString", "coordinates": lonlat},
    }


NAGAR = """
name = "nagar-routes"
[region]
names = ["Nagar"]
resolution = 6
[window]
start = "2026-05-30T00:00:00Z"
duration_h = 1
step_s = 300
[[systems]]
name = "starlink"
source = "bundled:starlink"
filter = { altitude_km = [520, 560], inclination_deg = [53, 54] }
min_elevation_deg = 25
licensed = true
[[systems]]
name = "paksat"
source = "bundled:geo"
filter = { name = "PAKSAT" }
min_elevation_deg = 10
[planning]
min_fiber_distance_km = 5
[network]
path = "%s"
"""


@pytest.fixture(scope="module")
def route_plan(tmp_path_factory):
    """Nagar with the bundled routes and PoPs plus three planned routes of our own."""
    net = load_network()

    def near(lat, lon):  # the bundled routes and PoPs near Nagar
        return np.any((np.abs(lat - 36.3) < 0.6) & (np.abs(lon - 74.7) < 0.8))

    features = [
        _feature(r.name, r.status, np.stack([r.lon_deg, r.lat_deg], 1).tolist())
        for r in net.routes
        if near(r.lat_deg, r.lon_deg)
    ]
    features += [
        {
            "type": "Feature",
            "properties": {"name": p.name},
            "geometry": {"type": "Point", "coordinates": [p.lon_deg, p.lat_deg]},
        }
        for p in net.pops
        if near(np.array([p.lat_deg]), np.array([p.lon_deg]))
    ]
    features += [
        # from the existing network at Nagar's east end up the valley past its villages
        _feature("valley route", "planned", [[74.707, 36.303], [75.047, 36.156], [75.158, 36.116]]),
        # a 2 km stub in an empty cell 20 km from every target site
        _feature("empty stub", "planned", [[74.520, 36.502], [74.535, 36.506]]),
        # far outside the region
        _feature("Karachi stub", "planned", [[67.00, 24.86], [67.10, 24.90]]),
    ]
    path = tmp_path_factory.mktemp("net") / "network.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with pytest.warns(NetworkPlacementWarning, match="Karachi stub"):  # it is far away
        return build_plan(resolve(Scenario.from_toml(NAGAR % path, "nagar-routes.toml")))


def test_planned_routes_are_valued_in_the_plan(route_plan):
    plan = route_plan
    routes = [str(r) for r in plan["route"].values]
    assert {"valley route", "empty stub", "Karachi stub"} <= set(routes)
    row = {r: k for k, r in enumerate(routes)}
    cells = plan["route_cells"].values
    newly = plan["route_people_newly_reached"].values
    saved = plan["route_cost_saved_usd"].values
    changes = plan["route_technology_changes"].values
    # Outside the region: no cell, worth zero.
    k = row["Karachi stub"]
    assert cells[k] == 0 and newly[k] == 0 and saved[k] == 0 and changes[k] == ""
    # An empty cell far from every target: on the network now, and still worth zero.
    k = row["empty stub"]
    assert cells[k] >= 1
    assert newly[k] == 0 and plan["route_people_no_longer_reached"].values[k] == 0
    assert saved[k] == pytest.approx(0.0, abs=1e-6) and changes[k] == ""
    # Up the valley: villages move to fibre, and the plan costs less.
    k = row["valley route"]
    assert cells[k] >= 5 and plan["route_sites_newly_reached"].values[k] >= 1
    target_people = plan["site_population"].values[plan["site_target"].values == 1].sum()
    assert 0 < newly[k] <= target_people
    assert saved[k] > 0
    assert "->fiber" in str(changes[k])
    # existing fibre added never costs the plan money (each side grown from the other)
    assert np.all(saved >= -1e-6)
    # a route's reasons are written exactly when a target site leaves fibre (or
    # terrestrial backhaul), and name a cause
    terrestrial = ("fiber", "microwave")
    for reason, change in zip(plan["route_change_reasons"].values, changes, strict=True):
        pairs = [p.split(":")[0].split("->") for p in str(change).split("; ") if p]
        leaves = any(
            (a == "fiber" and b != "fiber") or (a in terrestrial and b not in terrestrial)
            for a, b in pairs
        )
        assert bool(str(reason)) == leaves
        if leaves:
            assert any(w in str(reason) for w in ("through the route", "not explained", "is full"))


def test_route_values_are_the_same_from_the_plans_own_decision(route_plan, tmp_path):
    """build_plan hands its decision to the route valuation; deciding it again from the
    sealed plan gives the same table (the decision is a function of ground + coverage)."""
    from hybridplan.coverage.pipeline.planned_routes import planned_route_variables

    scenario_path = route_plan.attrs.get("scenario_source", "")
    text = route_plan.attrs["scenario"]
    with pytest.warns(NetworkPlacementWarning, match="Karachi stub"):
        inputs = resolve(Scenario.from_toml(text, scenario_path or "nagar-routes.toml"))
    again = planned_route_variables(route_plan, inputs)
    for name, (_dims, values, *_rest) in again.items():
        np.testing.assert_array_equal(np.asarray(values), route_plan[name].values, err_msg=name)
