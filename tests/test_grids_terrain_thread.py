"""Horizons on a thread (grids.start_terrain / finish_terrain, as prepare_ground runs
them) against add_terrain in one go: the same Dataset, bit for bit."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import xarray as xr
from hybridplan.grids import (
    GridError,
    add_terrain,
    build_grid,
    finish_terrain,
    load_dem,
    start_terrain,
)


@pytest.fixture(scope="module")
def small_grid():
    grid = build_grid("Hunza", 6)
    assert 50 < grid.sizes["cell"] < 2000
    return grid


def test_threaded_horizons_equal_add_terrain(small_grid):
    dem = load_dem()
    want = add_terrain(small_grid, dem, n_azimuth=36, max_distance_km=30.0)
    with ThreadPoolExecutor(1) as pool:
        started, pending = start_terrain(small_grid, dem, pool, n_azimuth=36, max_distance_km=30.0)
        assert np.isnan(started["horizon_deg"].values).all()  # not there yet
        # work done meanwhile on the grid keeps its place before the horizons come in
        started = started.assign(extra=("cell", np.arange(started.sizes["cell"])))
        got = finish_terrain(started, pending)
    assert list(got.variables) == list(want.variables) + ["extra"]
    xr.testing.assert_identical(got.drop_vars("extra"), want)
    assert np.isfinite(got["horizon_deg"].values).all()
    assert (got["horizon_deg"].values > -5.0).all() and (got["horizon_deg"].values < 60.0).any()
    assert np.isnan(started["horizon_deg"].values).all()  # the grid given is left alone


def test_finish_refuses_other_cells(small_grid):
    dem = load_dem()
    started, pending = start_terrain(small_grid, dem, None, n_azimuth=12)
    with pytest.raises(GridError, match="same cells, same order"):
        finish_terrain(started.isel(cell=slice(1, None)), pending)
    with pytest.raises(GridError, match="azimuth sectors"):
        finish_terrain(started, (pending[0][:, :6], pending[1][:6]))
