"""A planned route's fibre reach on the planner's routing grid (pipeline/planned_routes.py
``_with_route``): ``fiber_reach`` given the routing grid's neighbour pairs
(``neighbours=``) instead of asking H3 for every cell's ring, number for number."""

import numpy as np
from holed_discs import holed_disc
from hybridplan.coverage.planning.cell_graph import neighbour_pairs
from hybridplan.grids import Network, Route, fiber_reach
from hypothesis import given, settings
from hypothesis import strategies as st


def _route(seed: int) -> Network:
    rng = np.random.default_rng(seed + 100)
    lat = 35.9 + np.cumsum(rng.uniform(-0.05, 0.05, 5))
    lon = 74.3 + np.cumsum(rng.uniform(-0.05, 0.05, 5))
    return Network((Route("test route", "existing", lat, lon),), (), "test")


@settings(max_examples=5, deadline=None)
@given(st.integers(0, 10_000), st.integers(4, 9))
def test_fiber_reach_with_the_routing_grids_neighbours_is_h3s(seed, radius):
    ground, network = holed_disc(np.random.default_rng(seed), radius, 0.15), _route(seed)
    want = fiber_reach(ground, network, slope_cost_per_deg=0.04, elevation_cost_per_km=0.3)
    i, j = neighbour_pairs(ground["cell"].values, ground["lat"].values, ground["lon"].values)
    order = np.random.default_rng(seed).permutation(i.size)  # any order of the pairs
    got = fiber_reach(
        ground,
        network,
        slope_cost_per_deg=0.04,
        elevation_cost_per_km=0.3,
        neighbours=(i[order], j[order]),
    )
    assert want["on_network"].values.any()
    for name in ("on_network", "fiber_weighted_km", "fiber_path_km", "fiber_distance_km"):
        np.testing.assert_array_equal(got[name].values, want[name].values, err_msg=name)
