"""A new route's fibre reach on top of a known one (grids.extend_reach, used by
pipeline/planned_routes.py ``_with_route``): the pruned Dijkstra from the route's cells
gives, number for number, ``fmin`` of the old reach and a fresh ``fiber_reach`` of the
route alone, on random grids with holes, random terrain, and routes that run through
the old network's cells."""

import numpy as np
from holed_discs import holed_disc
from hybridplan.coverage.planning.cell_graph import neighbour_pairs
from hybridplan.grids import Network, PointOfPresence, Route, extend_reach, fiber_reach
from hypothesis import given, settings
from hypothesis import strategies as st

COSTS = {"slope_cost_per_deg": 0.04, "elevation_cost_per_km": 0.3}


def _line(rng, n: int, step_deg: float):
    lat = 35.9 + np.cumsum(rng.uniform(-step_deg, step_deg, n))
    lon = 74.3 + np.cumsum(rng.uniform(-step_deg, step_deg, n))
    return lat, lon


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 100_000), st.integers(3, 8), st.booleans(), st.booleans())
def test_extended_reach_is_fmin_of_a_fresh_reach(seed, radius, near_old, given_pairs):
    rng = np.random.default_rng(seed)
    ground = holed_disc(rng, radius, 0.2)
    lat, lon = _line(rng, 4, 0.04)
    pop = PointOfPresence("hq", 35.9 + rng.uniform(-0.1, 0.1), 74.3 + rng.uniform(-0.1, 0.1))
    old_net = Network((Route("old", "existing", lat, lon),), (pop,), "test")
    if near_old:  # the new route runs along the old one, a few hundred metres off
        new_lat, new_lon = lat + rng.uniform(-0.004, 0.004), lon + rng.uniform(-0.004, 0.004)
    else:
        new_lat, new_lon = _line(rng, 3, 0.06)
    new_net = Network((Route("new", "existing", new_lat, new_lon),), (), "test")
    old = fiber_reach(ground, old_net, **COSTS)
    fresh = fiber_reach(ground, new_net, **COSTS)
    pairs = None
    if given_pairs:
        pairs = neighbour_pairs(ground["cell"].values, ground["lat"].values, ground["lon"].values)
    on, weighted = extend_reach(
        ground,
        new_net,
        old["on_network"].values,
        old["fiber_weighted_km"].values,
        neighbours=pairs,
        **COSTS,
    )
    want_on = old["on_network"].values.astype(bool) | fresh["on_network"].values.astype(bool)
    want = np.fmin(old["fiber_weighted_km"].values, fresh["fiber_weighted_km"].values)
    np.testing.assert_array_equal(on, want_on)
    np.testing.assert_array_equal(weighted, want)  # NaN where neither reaches


def test_a_route_through_the_old_networks_cells_lowers_the_cells_beyond():
    """The old network's cells show 0 but their Dijkstra cost is their last mile: a new
    route through their centres reaches the cells beyond them for less, so the search
    must run on through them (a bound of 0 there would keep the old costs)."""
    rng = np.random.default_rng(7)
    ground = holed_disc(rng, 6, 0.2)
    lat, lon = ground["lat"].values, ground["lon"].values
    # old: a PoP 1 km off a cell centre; new: a route through that centre
    k = int(np.argmin(np.hypot(lat - 35.9, lon - 74.3)))
    old_net = Network((), (PointOfPresence("hq", lat[k] + 0.009, lon[k]),), "test")
    new_net = Network(
        (Route("new", "existing", np.array([lat[k], lat[k]]), np.array([lon[k], lon[k]])),),
        (),
        "test",
    )
    old = fiber_reach(ground, old_net, **COSTS)
    fresh = fiber_reach(ground, new_net, **COSTS)
    on, weighted = extend_reach(
        ground, new_net, old["on_network"].values, old["fiber_weighted_km"].values, **COSTS
    )
    want = np.fmin(old["fiber_weighted_km"].values, fresh["fiber_weighted_km"].values)
    lowered = want < old["fiber_weighted_km"].values
    assert lowered.sum() > 10  # the new route beats the PoP's last mile all around
    np.testing.assert_array_equal(weighted, want)
