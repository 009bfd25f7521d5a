"""The grid pipeline end to end: the variable names, dims and units the coverage engine
consumes, and a NetCDF round trip (h5netcdf)."""

import numpy as np
import pytest
import xarray as xr
from hybridplan.grids import add_terrain, build_grid, distribute_population, fiber_reach

CONTRACT = {
    "lat": "degrees_north",
    "lon": "degrees_east",
    "area_km2": "km2",
    "district": "1",
    "province": "1",
    "elevation_m": "m",
    "slope_deg": "degree",
    "horizon_deg": "degree",
    "population": "person",
    "population_density_per_km2": "km-2",
    "rural": "1",
    "fiber_distance_km": "km",
    "fiber_path_km": "km",
    "fiber_weighted_km": "km",
}


@pytest.fixture(scope="module")
def pipeline():
    grid = build_grid(["Gilgit-Baltistan", "Azad Jammu and Kashmir"], 5)
    return fiber_reach(distribute_population(add_terrain(grid, n_azimuth=36)))


def test_pipeline_contract(pipeline):
    grid = pipeline
    for name, units in CONTRACT.items():
        assert grid[name].attrs["units"] == units, name
        assert grid[name].attrs["long_name"]
    assert grid.horizon_deg.dims == ("cell", "azimuth")
    assert grid.azimuth_deg.dims == ("azimuth",)
    for key in ("region", "region_source", "dem_source", "population_source", "network_source"):
        assert grid.attrs[key]


def test_netcdf_roundtrip(pipeline, tmp_path):
    pytest.importorskip("h5py", reason="h5netcdf needs h5py to write files (not installed)")
    grid = pipeline
    path = tmp_path / "grid.nc"
    grid.to_netcdf(path, engine="h5netcdf")
    with xr.open_dataset(path, engine="h5netcdf") as back:
        back = back.load()
    assert list(back.cell.values) == list(grid.cell.values)
    np.testing.assert_allclose(back.horizon_deg.values, grid.horizon_deg.values)
    assert back.rural.attrs["flag_meanings"] == "not_rural rural"
    assert str(back.district.values[0]) == str(grid.district.values[0])
