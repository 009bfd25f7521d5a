"""The neighbour pairs of fibre reach's cell graph (grids/fiber_reach._grid_edges) on
64-bit indices against the string formulation (one h3.grid_ring per cell, a dict)."""

import h3
import numpy as np
from hybridplan.grids.fiber_reach import _grid_edges, _grid_edges_str
from hypothesis import given, settings
from hypothesis import strategies as st


@given(
    lat=st.floats(-70.0, 70.0),
    lon=st.floats(-179.0, 179.0),
    resolution=st.integers(3, 9),
    k=st.integers(0, 6),
    drop=st.integers(0, 2**32 - 1),
    shuffle=st.booleans(),
)
@settings(max_examples=25, deadline=None)
def test_int_edges_equal_the_string_edges(lat, lon, resolution, k, drop, shuffle):
    cells = sorted(h3.grid_disk(h3.latlng_to_cell(lat, lon, resolution), k))
    rng = np.random.default_rng(drop)
    cells = [c for c in cells if rng.random() > 0.2]  # holes: missing neighbours
    if shuffle:
        rng.shuffle(cells)
    got, want = _grid_edges(cells), _grid_edges_str(cells)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert got[0].dtype == got[1].dtype == np.int64


def test_pentagon_and_edge_cases():
    pentagon = h3.get_pentagons(5)[3]
    cells = sorted(h3.grid_disk(pentagon, 2))
    got, want = _grid_edges(cells), _grid_edges_str(cells)
    np.testing.assert_array_equal(np.stack(got), np.stack(want))
    # the pentagon has 5 neighbours, each next to the following one: 5 spokes + 5 around
    ring = sorted(h3.grid_disk(pentagon, 1))
    assert len(_grid_edges(ring)[0]) == len(_grid_edges_str(ring)[0]) == 10
    for odd in ([], [pentagon], [pentagon.upper(), ring[1]], [ring[1], ring[1], ring[2]]):
        got, want = _grid_edges(odd), _grid_edges_str(odd)
        np.testing.assert_array_equal(np.stack(got), np.stack(want))
