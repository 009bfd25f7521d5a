"""plan.nc encoding (pipeline/outputs.py): compressed, and read back as written."""

import h5py
import numpy as np
import xarray as xr
from hybridplan.coverage.contract import validate_plan
from hybridplan.coverage.pipeline.outputs import FLOAT32_VARIABLES, write_netcdf
from hybridplan.coverage.testing import synthetic_plan


def test_plan_nc_is_compressed_and_reads_back(tmp_path):
    plan = synthetic_plan()
    path = write_netcdf(plan, tmp_path / "plan.nc", float32=FLOAT32_VARIABLES)
    back = xr.load_dataset(path, engine="h5netcdf")
    validate_plan(back, strict=True)
    assert set(back.variables) == set(plan.variables)
    for name, var in plan.variables.items():
        got = back[name].values
        if var.dtype.kind in "OUS":
            assert [str(v) for v in got.ravel()] == [str(v) for v in var.values.ravel()], name
        elif name in FLOAT32_VARIABLES:
            np.testing.assert_allclose(got, var.values, rtol=1e-6, atol=1e-6, err_msg=name)
        elif var.dtype.kind in "fiub":
            np.testing.assert_array_equal(got, var.values, err_msg=name)  # lossless
    with h5py.File(path, "r") as f:
        assert f["pct_time_covered"].compression == "gzip"
        assert f["reason"].compression == "gzip"  # text as compressed characters
        assert f["pct_time_covered"].dtype == np.float64
        if "horizon_deg" in f:
            assert f["horizon_deg"].dtype == np.float32
    lossless = xr.load_dataset(write_netcdf(plan, tmp_path / "all.nc"), engine="h5netcdf")
    xr.testing.assert_identical(lossless, plan)  # without float32: every value as written
