"""The cell boundary array of the terrain relief (grids/horizon._vertex_array) against
the list formulation it replaced (each boundary padded with its first vertex)."""

import h3
import numpy as np
from hybridplan.grids.horizon import _vertex_array
from hypothesis import given, settings
from hypothesis import strategies as st


def _padded_lists(boundaries):
    width = max(len(b) for b in boundaries)
    return np.array([list(b) + [b[0]] * (width - len(b)) for b in boundaries], dtype=float)


@given(
    lat=st.floats(-80.0, 80.0),
    lon=st.floats(-179.0, 179.0),
    resolution=st.integers(0, 10),
    k=st.integers(0, 3),
    pentagon=st.integers(0, 11),
    with_pentagon=st.booleans(),
)
@settings(max_examples=30, deadline=None)
def test_vertex_array_equals_the_padded_lists(lat, lon, resolution, k, pentagon, with_pentagon):
    centre = (
        h3.get_pentagons(resolution)[pentagon]
        if with_pentagon
        else h3.latlng_to_cell(lat, lon, resolution)
    )
    cells = sorted(h3.grid_disk(centre, k))
    boundaries = [h3.cell_to_boundary(c) for c in cells]
    got = _vertex_array(boundaries)
    want = _padded_lists(boundaries)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    # the first vertex of each boundary, bit for bit (the lat, lon order kept)
    np.testing.assert_array_equal(got[:, 0, 0], [b[0][0] for b in boundaries])
    np.testing.assert_array_equal(got[:, 0, 1], [b[0][1] for b in boundaries])
