"""Blockwise microwave link tests (pipeline/microwave_links.feasible_links) against all-at-once."""

import numpy as np
from hybridplan.coverage.pipeline.microwave_links import feasible_links
from hybridplan.coverage.planning.microwave import candidate_links, check_links, profile_points
from hybridplan.grids import load_dem


def test_blocks_give_the_all_at_once_answer():
    dem = load_dem()
    rng = np.random.default_rng(3)
    # sites in the Karakoram and on the Punjab plain: blocked and clear hops both occur
    lat = np.concatenate([rng.uniform(35.5, 36.3, 60), rng.uniform(30.5, 31.3, 60)])
    lon = np.concatenate([rng.uniform(74.0, 75.0, 60), rng.uniform(72.5, 73.5, 60)])
    a, b, _ = candidate_links(lat, lon, 30.0)
    p_lat, p_lon, dist = profile_points(lat[a], lon[a], lat[b], lon[b], 16)
    whole = check_links(dem.elevation_m(p_lat, p_lon), dist, 30.0, 30.0, 7.0).feasible
    assert 0 < whole.sum() < whole.size  # a real mix, so the comparison can fail
    for block in (97, 1000, whole.size + 5):
        got = feasible_links(
            lat, lon, a, b, dem, n_samples=16, mast_m=30.0, freq_ghz=7.0, block_links=block
        )
        np.testing.assert_array_equal(got, whole)
    empty = feasible_links(lat, lon, a[:0], b[:0], dem, n_samples=16, mast_m=30.0, freq_ghz=7.0)
    assert empty.shape == (0,)
