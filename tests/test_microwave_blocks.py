"""Blockwise microwave link tests (pipeline/microwave_links.feasible_links) against all-at-once."""

import numpy as np
from hybridplan.coverage.pipeline.microwave_links import feasible_links
from hybridplan.coverage.planning.microwave import candidate_links, check_links, profile_points
from hybridplan.grids import DEM, load_dem
from hypothesis import example, given, settings
from hypothesis import strategies as st


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


class _NotADEM:
    """Heights through ``elevation_m`` only: the block-by-block path of feasible_links."""

    def __init__(self, dem):
        self.dem = dem

    def elevation_m(self, lat_deg, lon_deg):
        return self.dem.elevation_m(lat_deg, lon_deg)


def _reference(lat, lon, a, b, dem, n_samples, mast_m, freq_ghz):
    p_lat, p_lon, dist = profile_points(lat[a], lon[a], lat[b], lon[b], n_samples)
    return check_links(dem.elevation_m(p_lat, p_lon), dist, mast_m, mast_m, freq_ghz).feasible


@given(
    seed=st.integers(0, 2**31 - 1),
    n_samples=st.integers(3, 40),
    mast_m=st.floats(0.0, 120.0),
    freq_ghz=st.sampled_from([2.0, 7.0, 11.0, 18.0]),
)
@settings(max_examples=25, deadline=None)
@example(seed=1034, n_samples=5, mast_m=0.0, freq_ghz=18.0)  # no random link crossed the void
def test_the_compiled_pass_gives_the_profile_answer(seed, n_samples, mast_m, freq_ghz):
    """feasible_on_grid (one compiled pass over the DEM grid) == profile_points +
    DEM.elevation_m + check_links, on random sites in mountains and plains, some off the
    grid and some over a void (NaN heights: never feasible)."""
    dem = load_dem()
    rng = np.random.default_rng(seed)
    z = np.array(dem.elevation, dtype=np.float64)
    row = int(round((35.9 - dem.lat0_deg) / dem.dlat_deg))  # a void in the Karakoram
    col = int(round((74.6 - dem.lon0_deg) / dem.dlon_deg))
    z[row - 1 : row + 1, col - 1 : col + 1] = np.nan
    holed = DEM(z, dem.lat0_deg, dem.dlat_deg, dem.lon0_deg, dem.dlon_deg, "holed")
    lat0, lat1 = sorted([dem.lat0_deg, dem.lat0_deg + (dem.shape[0] - 1) * dem.dlat_deg])
    lon1 = dem.lon0_deg + (dem.shape[1] - 1) * dem.dlon_deg
    lat = np.concatenate([rng.uniform(35.5, 36.3, 40), rng.uniform(30.5, 31.3, 40)])
    lon = np.concatenate([rng.uniform(74.0, 75.0, 40), rng.uniform(72.5, 73.5, 40)])
    lat = np.append(lat, [lat1 + 0.05, lat0 - 0.05, 36.0, 36.0, 35.9])  # off the grid,
    lon = np.append(lon, [74.5, 74.5, lon1 + 0.05, 74.6, 74.6])  # a pair 0 km apart and
    lat[-2], lon[-2] = lat[-3], lon[-3] = 36.0, 74.6  # a site in the void
    a, b, _ = candidate_links(lat, lon, 60.0)  # beyond the 11/18 GHz band reach too
    for terrain in (dem, holed):
        want = _reference(lat, lon, a, b, terrain, n_samples, mast_m, freq_ghz)
        got = feasible_links(
            lat, lon, a, b, terrain, n_samples=n_samples, mast_m=mast_m, freq_ghz=freq_ghz
        )
        blocks = feasible_links(
            lat,
            lon,
            a,
            b,
            _NotADEM(terrain),
            n_samples=n_samples,
            mast_m=mast_m,
            freq_ghz=freq_ghz,
            block_links=500,
        )
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(blocks, want)
        assert 0 < want.sum() < want.size  # a real mix, so the comparison can fail
    # the void reaches the answer: every link with a sample in it is refused (the site
    # in the void has links, so some are), whatever the random sites
    p_lat, p_lon, _ = profile_points(lat[a], lon[a], lat[b], lon[b], n_samples)
    in_void = np.isnan(holed.elevation_m(p_lat, p_lon)).any(axis=1)
    assert in_void.any()
    voided = _reference(lat, lon, a, b, holed, n_samples, mast_m, freq_ghz)
    assert not voided[in_void].any()
