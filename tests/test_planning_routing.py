"""The routing grid: fibre trunks and relay chains are a property of the ground.

The network is designed on one routing grid (``[network] routing_resolution``) whatever
the plan's resolution, and sites reach it at their settlement points, so the same
villages on the same ground get the same technology, cost and trunk at H3 res 6, 7
and 8. The reference here is the decision at the routing resolution itself, where the
plan's own cells are the routing grid (``planning.routing``'s other path).
"""

import h3
import numpy as np
import pytest
import xarray as xr
from hybridplan.coverage.planning.decide import decide
from hybridplan.coverage.planning.routing import routing_grid
from hybridplan.coverage.planning.spec import NetworkOptions, PlanningSpec
from hypothesis import example, given, settings
from hypothesis import strategies as st

ROUTING = 7
ROOT = (35.95, 73.95)  # the existing network's point of presence
BOX = (36.0, 36.5, 74.0, 74.6)  # lat min, lat max, lon min, lon max


def _km(lat, lon, lat0, lon0):
    a = (
        np.sin(np.radians(lat - lat0) / 2) ** 2
        + np.cos(np.radians(lat))
        * np.cos(np.radians(lat0))
        * np.sin(np.radians(lon - lon0) / 2) ** 2
    )
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def _cells(resolution):
    lat0, lat1, lon0, lon1 = BOX
    shape = h3.LatLngPoly(
        [
            (lat0 - 0.2, lon0 - 0.2),
            (lat0 - 0.2, lon1 + 0.1),
            (lat1 + 0.1, lon1 + 0.1),
            (lat1 + 0.1, lon0 - 0.2),
        ]
    )
    return sorted(h3.polygon_to_cells(shape, resolution))


def _ground(cells):
    """Fibre and microwave reach per cell from a hand rule (any values will do: the
    test is that every resolution sees the same ones)."""
    centre = np.array([h3.cell_to_latlng(c) for c in cells])
    km = _km(centre[:, 0], centre[:, 1], *ROOT)
    on_network = np.array([c == h3.latlng_to_cell(*ROOT, ROUTING) for c in cells])
    hops = np.ceil(km / 25.0)
    return {
        "on_network": on_network.astype(np.int8),
        "fiber_weighted_km": np.where(on_network, 0.0, 1.3 * km),
        "fiber_terrain_factor": 1.0 + 0.5 * np.abs(np.sin(centre[:, 0] * 40.0)),
        "microwave_capex_usd": np.where(on_network, 0.0, 40_000.0 * hops),
        "microwave_opex_usd_per_year": np.where(on_network, 0.0, 4_000.0 * hops),
        "microwave_hops": np.where(on_network, 0, hops).astype(np.int64),
    }, centre


def _plan(resolution, lat, lon, people, coverage_pct):
    cells = _cells(resolution)
    index = {c: k for k, c in enumerate(cells)}
    point_cell = np.array(
        [h3.latlng_to_cell(a, b, resolution) for a, b in zip(lat, lon, strict=True)]
    )
    row = np.array([index[c] for c in point_cell])
    population = np.bincount(row, weights=people, minlength=len(cells))
    own, centre = _ground(cells)
    n = len(cells)
    ones = np.ones((1, n))
    data = {
        "population": ("cell", population),
        "lat": ("cell", centre[:, 0]),
        "lon": ("cell", centre[:, 1]),
        "area_km2": ("cell", [h3.cell_area(c, unit="km^2") for c in cells]),
        "fiber_distance_km": ("cell", _km(centre[:, 0], centre[:, 1], *ROOT)),
        "settlement_lat": ("settlement", lat),
        "settlement_lon": ("settlement", lon),
        "settlement_weight": ("settlement", people),
        "settlement_cell": ("settlement", point_cell),
        "settlement_place": ("settlement", np.arange(lat.size)),
        "settlement_fiber_distance_km": ("settlement", _km(lat, lon, *ROOT)),
        "footprint_cell": ("footprint", point_cell),
        "footprint_place": ("footprint", np.arange(lat.size)),
        "footprint_people": ("footprint", people),
        "pct_time_covered": (("system", "cell"), coverage_pct * ones),
        "pct_time_covered_open_sky": (("system", "cell"), coverage_pct * ones),
        "latency_rtt_mean_ms": (("system", "cell"), 40 * ones),
        "licensed": ("system", [1]),
        "orbit_class": ("system", ["LEO"]),
        "backhaul": ("system", [1]),
    }
    coords = {"cell": cells, "system": ["starlink"]}
    if resolution == ROUTING:
        data.update({k: ("cell", v) for k, v in own.items()})
    else:
        route = _cells(ROUTING)
        values, route_centre = _ground(route)
        data.update({f"routing_{k}": ("routing_cell", v) for k, v in values.items()})
        data["routing_lat"] = ("routing_cell", route_centre[:, 0])
        data["routing_lon"] = ("routing_cell", route_centre[:, 1])
        coords["routing_cell"] = route
        # the plan's own cells: fibre far away, no microwave (never used by the decision)
        data["fiber_weighted_km"] = ("cell", np.full(n, np.inf))
    return xr.Dataset(data, coords=coords)


def _villages(seed, n):
    rng = np.random.default_rng(seed)
    lat0, lat1, lon0, lon1 = BOX
    lat = rng.uniform(lat0, lat1, n)
    lon = rng.uniform(lon0, lon1, n)
    people = rng.integers(60, 4000, n).astype(float)
    return lat, lon, people


def _by_site(decision):
    meanings = np.array(decision.site.meanings)
    return (meanings[decision.site.code], decision.site.chosen_cost_usd, decision.sites.population)


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 10_000), st.integers(5, 40), st.sampled_from([0.0, 99.0, 100.0]))
# found by hypothesis: 99.0 % in every cell averaged to 98.99999999999999 % for a site
# over two res-6 cells, below the 99 % criterion (Sites.mean_over_cells now stays in range)
@example(5701, 35, 99.0)
def test_sites_get_the_same_choice_and_cost_at_every_resolution(seed, n, coverage_pct):
    lat, lon, people = _villages(seed, n)
    spec = PlanningSpec(network=NetworkOptions(satellite_capacity=False))
    reference = None
    for resolution in (6, 7, 8):
        choice, cost, site_people = _by_site(
            decide(_plan(resolution, lat, lon, people, coverage_pct), spec)
        )
        if reference is None:
            reference = (choice, cost, site_people)
            continue
        np.testing.assert_array_equal(choice, reference[0])
        np.testing.assert_allclose(cost, reference[1], rtol=1e-9)
        np.testing.assert_allclose(site_people, reference[2], rtol=1e-12)


def test_the_valley_shares_a_trunk_and_shows_it_on_the_plan_cells():
    """Eight villages 6.6 km apart in a line away from the network: one trunk at every
    resolution, drawn on the plan's cells that overlap the routing cells it uses."""
    lat = np.linspace(36.02, 36.48, 8)
    lon = np.full(8, 74.05)
    people = np.full(8, 1500.0)
    spec = PlanningSpec(network=NetworkOptions(satellite_capacity=False, microwave=False))
    trunks = []
    for resolution in (6, 7, 8):
        plan = _plan(resolution, lat, lon, people, 0.0)
        decision = decide(plan, spec)
        net = decision.network
        choice = np.array(decision.site.meanings)[decision.site.code]
        assert (choice == "fiber").all(), resolution
        assert net.n_trunks == 1
        trunks.append(net.new_fiber_km)
        assert net.cell_in_tree.sum() > 0
        # every plan cell on the trunk overlaps a routing cell on the trunk
        routing = routing_grid(plan, decision.sites)
        assert (routing.plan_cells.sum(axis=0) > 0).A1[net.cell_in_tree].all()
    np.testing.assert_allclose(trunks, trunks[0], rtol=1e-12)
    assert trunks[0] > 50.0  # the valley is ~51 km long, plus the way to the network


def test_a_site_reaches_the_routing_grid_at_its_settlement_points():
    lat, lon, people = _villages(3, 12)
    plan = _plan(6, lat, lon, people, 100.0)
    decision = decide(plan, PlanningSpec())
    routing = routing_grid(plan, decision.sites)
    expected = {h3.latlng_to_cell(a, b, ROUTING) for a, b in zip(lat, lon, strict=True)}
    reached = set(routing.cell[np.flatnonzero(routing.site_cells.sum(axis=0).A1)])
    assert reached == expected
    # and its stand-alone fibre path is the cheapest of those cells'
    weighted = routing.site_min(routing.weighted_km)
    for s in range(decision.sites.n_sites):
        mine = decision.sites.point_site == s
        km = [
            1.3 * _km(*h3.cell_to_latlng(h3.latlng_to_cell(a, b, ROUTING)), *ROOT)
            for a, b in zip(lat[mine], lon[mine], strict=True)
        ]
        assert weighted[s] == pytest.approx(min(km), rel=1e-12)


NAGAR = """
name = "nagar-res{res}"
[region]
names = ["Nagar"]
resolution = {res}
[window]
start = "2026-05-30T00:00:00Z"
duration_h = 1
step_s = 600
[terrain]
enabled = false
[[systems]]
name = "paksat"
source = "bundled:geo"
filter = {{ name = "PAKSAT" }}
min_elevation_deg = 10
licensed = true
[costs.fiber]
cost_per_km_usd = 3000.0
"""


def test_a_real_district_costs_the_same_at_res_6_7_and_8():
    """Nagar from the bundled data (people, settlements, DEM, network): the same demand
    sites with the same people, technology and cost at every resolution."""
    from hybridplan.coverage import Scenario, build_plan, resolve

    seen = []
    for res in (6, 7, 8):
        plan = build_plan(resolve(Scenario.from_toml(NAGAR.format(res=res), f"n{res}.toml")))
        order = np.lexsort((plan["site_lon"].values, plan["site_lat"].values))
        seen.append({
            "lat": plan["site_lat"].values[order],
            "people": plan["site_population"].values[order],
            "choice": plan["site_recommendation"].values[order],
            "cost": plan["site_cost_usd"].values[order],
            "total": np.nansum(plan["cost_recommended_usd"].values),
        })
        assert ("routing_cell" in plan.dims) == (res != 7)
    first = seen[0]
    assert first["people"].sum() > 10_000 and np.isfinite(first["cost"]).sum() >= 5
    assert len(set(first["choice"].tolist())) >= 3  # fibre trunks, microwave, ...
    for other in seen[1:]:
        np.testing.assert_allclose(other["lat"], first["lat"], atol=1e-9)
        np.testing.assert_allclose(other["people"], first["people"], rtol=1e-9)
        np.testing.assert_array_equal(other["choice"], first["choice"])
        np.testing.assert_allclose(other["cost"], first["cost"], rtol=1e-9)
        assert other["total"] == pytest.approx(first["total"], rel=1e-9)


@pytest.mark.parametrize("resolution", [6, 7])
def test_with_network_is_the_routing_grid_of_the_plan_with_more_network(resolution):
    """``RoutingGrid.with_network`` (the planned-route valuation's grid with the route)
    equals a routing grid built afresh on the plan with the route, and shares the cell
    graph."""
    from hybridplan.coverage.planning.decide import plan_sites

    lat, lon, people = _villages(3, 25)
    plan = _plan(resolution, lat, lon, people, 0.0)
    spec = PlanningSpec()
    sites = plan_sites(plan, spec)
    before = routing_grid(plan, sites)
    edges = before.cell_graph()
    p = "routing_" if resolution != ROUTING else ""
    dim = plan[f"{p}on_network"].dims
    on = plan[f"{p}on_network"].values.copy()
    weighted = plan[f"{p}fiber_weighted_km"].values.copy()
    built = np.arange(3, on.size, 9)  # a route's cells: on the network, paths shorter
    on[built] = 1
    weighted = np.fmin(weighted, 0.5 * weighted)
    weighted[built] = 0.0
    weighted[0] = np.nan  # no path: inf on the grid
    with_plan = plan.assign(
        {f"{p}on_network": (dim, on), f"{p}fiber_weighted_km": (dim, weighted)}
    )
    want = routing_grid(with_plan, sites)
    got = before.with_network(with_plan)
    assert got.on_network.sum() == before.on_network.sum() + built.size
    assert np.isinf(got.weighted_km[0])
    for name in ("cell", "lat_deg", "lon_deg", "on_network", "weighted_km", "terrain_factor"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    for k in range(4):
        np.testing.assert_array_equal(got.microwave[k], want.microwave[k])
    assert (got.site_cells != want.site_cells).nnz == 0
    assert (got.plan_cells != want.plan_cells).nnz == 0
    assert got.cell_graph() is edges  # shared, not built again
    for a, b in zip(edges, want.cell_graph(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_chains_without_next_cells_are_priced_alone_not_free():
    """A plan without ``microwave_next_cell`` (as this fixture) cannot follow its chains:
    each microwave site pays its own chain. The old default (-1: "at the network") made
    every chain's shared price zero."""
    lat, lon, people = _villages(5701, 35)
    plan = _plan(7, lat, lon, people, 0.0)  # no satellite: microwave or fibre only
    assert "microwave_next_cell" not in plan
    decision = decide(plan, PlanningSpec(network=NetworkOptions(satellite_capacity=False)))
    choice, cost, _ = _by_site(decision)
    alone = decision.standalone.option_cost_usd["microwave"]
    mw = choice == "microwave"
    assert mw.sum() >= 3
    np.testing.assert_allclose(cost[mw], alone[mw], rtol=1e-12)
    assert (cost[mw] > 0).all()
