"""Constellation sweeps: a point equals the single run, dims/coords/units, NetCDF round
trip, NaN at the holes, resuming an interrupted sweep, SWEEP.toml errors, the CLI."""

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hybridplan.coverage.cli import main
from hybridplan.coverage.engine import compute_coverage
from hybridplan.coverage.errors import ScenarioError
from hybridplan.coverage.pipeline import resolve_systems
from hybridplan.coverage.pipeline.sweep import sweep, sweep_grid, write_sweep
from hybridplan.coverage.pipeline.sweep_spec import load_sweep, sweep_from_toml
from hybridplan.coverage.scenario import Scenario

SCENARIO = """
name = "sweep-test"
[region]
names = ["Hunza"]
resolution = 5
[window]
start = "2026-05-30T00:00:00Z"
duration_h = 2
step_s = 60
[terrain]
enabled = false
[[systems]]
name = "walker"
walker = {{ altitude_km = {alt}, inclination_deg = 53, planes = {planes}, sats_per_plane = {spp}, phasing = {f} }}
min_elevation_deg = {el}
[[systems]]
name = "geo"
source = "bundled:geo"
filter = {{ name = "PAKSAT" }}
min_elevation_deg = 10
licensed = false
"""

SWEEP = """
scenario = "scenario.toml"
system = "walker"
threshold_pct = 50
[combos]
planes = [4, 6]
sats_per_plane = [6, 8, 10]
enabled_geo = [true, false]
[constants]
altitude_km = 550
[[cases]]
min_elevation_deg = 25
[[cases]]
min_elevation_deg = 35
"""


def scenario_text(alt=550, planes=6, spp=8, f=1, el=25):
    return SCENARIO.format(alt=alt, planes=planes, spp=spp, f=f, el=el)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("sweep")
    (path / "scenario.toml").write_text(scenario_text(), encoding="utf-8")
    (path / "SWEEP.toml").write_text(SWEEP, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def result(folder):
    spec = load_sweep(folder / "SWEEP.toml")
    grid = sweep_grid(spec)
    return spec, grid, sweep(spec, grid=grid)


@pytest.mark.parametrize(
    "point",
    [
        dict(planes=6, sats_per_plane=8, min_elevation_deg=25.0),
        dict(planes=4, sats_per_plane=10, min_elevation_deg=35.0),
    ],
)
def test_a_point_equals_the_single_run_exactly(result, point):
    spec, grid, ds = result
    single = Scenario.from_toml(
        scenario_text(
            planes=point["planes"], spp=point["sats_per_plane"], el=point["min_elevation_deg"]
        )
    )
    fom = compute_coverage(grid, resolve_systems(single), single.window.time_grid(), terrain=False)
    got = ds.sel(**point, enabled_geo=True)
    for name in ("pct_time_covered", "pct_time_n_or_more", "n_visible_mean", "max_gap_s"):
        np.testing.assert_array_equal(
            got[name].transpose("system", "cell").values, fom[name].values
        )
    area = grid["area_km2"].values
    pct = fom["pct_time_covered"].sel(system="walker").values
    assert float(got["area_pct_meeting"].sel(system="walker")) == pytest.approx(
        100.0 * area[pct >= 50.0].sum() / area.sum(), rel=1e-12
    )
    assert (
        float(got["worst_max_gap_s"].sel(system="walker"))
        == fom["max_gap_s"].sel(system="walker").max()
    )
    assert (
        float(got["n_satellites"].sel(system="walker")) == point["planes"] * point["sats_per_plane"]
    )


def test_dims_coords_units_and_switched_off_systems(result):
    spec, grid, ds = result
    assert ds["area_pct_meeting"].dims == (
        "planes",
        "sats_per_plane",
        "enabled_geo",
        "min_elevation_deg",
        "system",
    )
    assert list(ds["planes"].values) == [4, 6]
    assert list(ds["min_elevation_deg"].values) == [25.0, 35.0]
    assert ds["sats_per_plane"].attrs == {
        "units": "1",
        "long_name": "satellites per plane S of the swept Walker shell",
    }
    assert ds["min_elevation_deg"].attrs["units"] == "degree"
    assert ds["area_pct_meeting"].attrs["units"] == "percent"
    assert ds["worst_max_gap_s"].attrs["units"] == "s"
    assert ds["cell"].attrs["grid_name"] == "h3" and ds["cell"].attrs["level"] == 5
    assert ds.attrs["constant_altitude_km"] == 550.0
    off = ds["area_pct_meeting"].sel(enabled_geo=False, system="geo")
    assert bool(off.isnull().all())
    on = ds["area_pct_meeting"].sel(enabled_geo=True, system="geo")
    assert bool(on.notnull().all())
    # geo is not licensed: switching it off leaves the walker and combined rows unchanged
    for system in ("walker", "combined"):
        np.testing.assert_array_equal(
            ds["pct_time_covered"].sel(enabled_geo=False, system=system).values,
            ds["pct_time_covered"].sel(enabled_geo=True, system=system).values,
        )
    # more satellites per plane never lowers the mean visible count here (superset of
    # planes is not guaranteed, but the mean count scales with T for a fixed shell)
    mean = ds["mean_visible"].sel(system="walker", enabled_geo=True)
    assert bool((mean.diff("sats_per_plane") > 0).all())


def test_netcdf_round_trip_without_multiindex(result, tmp_path):
    spec, grid, ds = result
    path = write_sweep(ds, tmp_path)
    back = xr.load_dataset(path, engine="h5netcdf")
    xr.testing.assert_identical(back, ds)


def test_invalid_and_sparse_points_are_nan(folder):
    (folder / "holes.toml").write_text(
        'scenario = "scenario.toml"\nper_cell = false\npopulation = false\n[combos]\n'
        "planes = [2, 3]\n[[cases]]\nphasing = 0\nsats_per_plane = 4\n[[cases]]\n"
        "phasing = 2\nsats_per_plane = 5\n",
        encoding="utf-8",
    )
    ds = sweep(load_sweep(folder / "holes.toml"))
    status = ds["point_status"]
    assert status.dims == ("planes", "phasing", "sats_per_plane")
    # run: (P, F=0, S=4) for P = 2, 3 and (P=3, F=2, S=5); F=2 >= P=2 is invalid;
    # the combinations no case names are not run
    assert int(status.sel(planes=2, phasing=2, sats_per_plane=5)) == 2
    assert int(status.sel(planes=3, phasing=2, sats_per_plane=5)) == 1
    assert int(status.sel(planes=3, phasing=0, sats_per_plane=5)) == 0
    assert int((status == 1).sum()) == 3
    value = ds["mean_visible"].sel(system="walker")
    assert bool(value.where(status == 1).notnull().sum() == 3)
    assert bool(value.where(status != 1).isnull().all())
    assert "cell" not in ds.dims


def test_an_interrupted_sweep_resumes_and_gives_the_same_dataset(folder, result, tmp_path):
    spec, grid, whole = result
    calls = []

    class Stop(Exception):
        pass

    def stop_after_five(index, params, from_checkpoint):
        calls.append(from_checkpoint)
        if len(calls) == 5:
            raise Stop

    with pytest.raises(Stop):
        sweep(spec, grid=grid, out_dir=tmp_path, on_point=stop_after_five)
    checkpoints = list(Path(tmp_path, ".checkpoints").glob("*/*.npz"))
    assert len(checkpoints) == 5 and not list(Path(tmp_path).rglob("*.part"))
    calls.clear()
    resumed = sweep(spec, grid=grid, out_dir=tmp_path, on_point=lambda *a: calls.append(a[2]))
    assert calls.count(True) == 5 and calls.count(False) == len(spec.points()) - 5
    xr.testing.assert_identical(resumed, whole)


@pytest.mark.parametrize(
    "text, message",
    [
        ('scenario = "scenario.toml"\n[combos]\nplane = [1, 2]\n', "did you mean 'planes'"),
        ('scenario = "scenario.toml"\n[combos]\nmin_elevation_deg = [95]\n', "expected 0..90"),
        (
            'scenario = "scenario.toml"\n[combos]\nplanes = [4]\n[constants]\nfiber_cost_per_km = 1e4\n',
            "planning parameter; list its values under \\[combos\\]",
        ),
        ('scenario = "scenario.toml"\n[combo]\nplanes = [1]\n', "did you mean 'combos'"),
        (
            'scenario = "scenario.toml"\nthreshold_pct = 120\n[combos]\nplanes = [1]\n',
            "threshold_pct = 120.0: expected 0..100",
        ),
        ('scenario = "scenario.toml"\n[combos]\nplanes = 4\n', "expected a non-empty list"),
        (
            'scenario = "scenario.toml"\nsystem = "geo"\n[combos]\nplanes = [4]\n',
            "not a walker system",
        ),
        (
            'scenario = "scenario.toml"\n[combos]\nplanes = [4]\n[constants]\nplanes = 3\n',
            "both constant and swept",
        ),
    ],
)
def test_sweep_file_errors_are_one_line(folder, text, message):
    with pytest.raises(ScenarioError, match=message) as info:
        sweep_from_toml(text, "SWEEP.toml", folder)
    assert "\n" not in str(info.value) and str(info.value).startswith("SWEEP.toml")


def test_cli_writes_sweep_nc_and_resumes(folder, tmp_path, capsys):
    (folder / "small.toml").write_text(
        'scenario = "scenario.toml"\nthreshold_pct = 50\n[combos]\nplanes = [4, 6]\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["sweep", str(folder / "small.toml"), "--out", str(out), "--no-progress"]) == 0
    first = capsys.readouterr().out
    assert "2 points run (0 from checkpoints)" in first
    assert main(["sweep", str(folder / "small.toml"), "--out", str(out), "--no-progress"]) == 0
    assert "2 points run (2 from checkpoints)" in capsys.readouterr().out
    ds = xr.load_dataset(out / "sweep.nc", engine="h5netcdf")
    assert list(ds["planes"].values) == [4, 6]
    assert main(["sweep", str(folder / "missing.toml"), "--out", str(out)]) == 2
    assert "no such sweep file" in capsys.readouterr().err


def test_research_figures_read_labels_from_the_dataset(result):
    from hybridplan.reports.research import required_chart, sweep_heatmap

    spec, grid, ds = result
    fig = sweep_heatmap(
        ds, x="planes", y="sats_per_plane", facet_col="min_elevation_deg", enabled_geo=True
    )
    assert len(fig.data) == 2  # one heatmap per facet
    z = np.asarray(fig.data[0].z)
    expected = (
        ds["area_pct_meeting"]
        .sel(system="walker", enabled_geo=True, min_elevation_deg=25.0)
        .transpose("sats_per_plane", "planes")
        .values
    )
    np.testing.assert_array_equal(z, expected)
    assert "satellites per plane" in fig.layout.yaxis.title.text
    curve = required_chart(
        ds, "sats_per_plane", color="planes", target=50.0, enabled_geo=True, min_elevation_deg=25.0
    )
    assert [t.name for t in curve.data] == ["planes = 4", "planes = 6"]
    assert list(curve.data[1].y) == list(
        ds["area_pct_meeting"]
        .sel(system="walker", enabled_geo=True, min_elevation_deg=25.0, planes=6)
        .values
    )
    with pytest.raises(ValueError, match="fix the other swept dimensions"):
        sweep_heatmap(ds, x="planes", y="sats_per_plane")


def test_planning_dimensions_redecide_each_coverage_point(folder):
    """Planning parameters in [combos]: each coverage point's plan re-decided per value,
    equal to the planning sweep of the corresponding single plan."""
    from hybridplan.coverage.pipeline import build_plan, resolve
    from hybridplan.coverage.planning.sweep import sweep as planning_sweep

    (folder / "plan.toml").write_text(
        'scenario = "scenario.toml"\nper_cell = false\n[combos]\nplanes = [4, 6]\n'
        "fiber_cost_per_km = [5000, 60000]\n",
        encoding="utf-8",
    )
    spec = load_sweep(folder / "plan.toml")
    ds = sweep(spec)
    assert ds["population_share"].dims == ("planes", "fiber_cost_per_km", "technology")
    assert ds["fiber_cost_per_km"].attrs["units"] == "USD/km"
    assert "fiber_cost_per_km" not in ds["area_pct_meeting"].dims
    inputs = resolve(Scenario.from_toml(scenario_text(planes=6)))
    plan = build_plan(inputs)
    single = planning_sweep(plan, inputs.spec, "fiber_cost_per_km", [5000.0, 60000.0])
    for technology in single["technology"].values:
        np.testing.assert_allclose(
            ds["population_share"].sel(planes=6, technology=str(technology)).values,
            single["population_share"].sel(technology=technology).values,
            rtol=1e-12,
        )
    np.testing.assert_allclose(
        ds["cost_usd"].sel(planes=6).values, single["cost_usd"].sum("technology").values, rtol=1e-12
    )
    fibre = ds["population_share"].sel(planes=6, technology="fiber").values
    assert fibre[0] >= fibre[1]  # dearer fibre never wins more people


def test_points_run_on_any_executor_with_identical_results(result):
    from concurrent.futures import ThreadPoolExecutor

    spec, grid, ds = result
    with ThreadPoolExecutor(2) as pool:
        again = sweep(spec, grid=grid, executor=pool)
    xr.testing.assert_identical(again, ds)
