"""The cell boundary array of the terrain relief (grids/horizon._vertex_array) and the
sector maximum of the horizons (_sector_max) against the formulations they replaced."""

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


@given(
    seed=st.integers(0, 2**31 - 1),
    n_cell=st.integers(0, 30),
    n_azimuth=st.integers(1, 12),
    rays_per_sector=st.integers(2, 6),
    nan_share=st.sampled_from([0.0, 0.3, 1.0]),
)
@settings(max_examples=60, deadline=None)
def test_sector_max_equals_the_reduction_and_roll(
    seed, n_cell, n_azimuth, rays_per_sector, nan_share
):
    """The horizon's sector maximum, column by column, against the reduction over each
    sector's rays and the roll for the end-edge ray, NaN included (fmax skips NaN)."""
    from hybridplan.grids.horizon import _sector_max, _sector_max_reference

    rng = np.random.default_rng(seed)
    tan = rng.normal(size=(n_cell, n_azimuth * (rays_per_sector - 1)))
    tan[rng.random(tan.shape) < nan_share] = np.nan
    got = _sector_max(tan, n_azimuth, rays_per_sector)
    want = _sector_max_reference(tan, n_azimuth, rays_per_sector)
    assert got.shape == (n_cell, n_azimuth)
    np.testing.assert_array_equal(got, want)  # NaN where both are NaN
    if n_cell and rays_per_sector == 2 and nan_share == 0.0:  # by hand: own ray, next ray
        np.testing.assert_array_equal(got[:, 0], np.fmax(tan[:, 0], tan[:, 1 % n_azimuth]))
