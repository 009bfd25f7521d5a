"""Recipes on a dask cluster: the workers rebuild the static inputs from a scenario's text,
its folder and the element sets, and give the same integers as serially and on threads.

The scenario is a GeoJSON box of about 0.5 x 0.4 degrees near Gilgit at H3 resolution 7
(a few hundred cells) with its own DEM file: a crop of the bundled ITU-R P.1511 grid
(real heights) saved as ``dem.npz`` next to the scenario, three hours at 60 s, and three
systems: Iridium NEXT (bundled TLEs), a Walker shell (generated element sets: SGP4 init
arguments, not TLE lines) with a GSO exclusion band, and PakSat (GEO). Runs a 2-worker
LocalCluster (processes, one thread each, 127.0.0.1), as ``--scheduler local:2`` would.
"""

import json
import pickle
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hybridplan.coverage.engine import EngineOptions, accumulate
from hybridplan.coverage.engine import recipe as recipe_module
from hybridplan.coverage.engine.compute import engine_inputs, keep_stk
from hybridplan.coverage.engine.executors import executor_from_spec
from hybridplan.coverage.engine.recipe import RecipeError, StaticRecipe, SystemRecipe
from hybridplan.coverage.engine.run import static_inputs
from hybridplan.coverage.errors import CoverageError
from hybridplan.coverage.pipeline import prepare_grid, resolve_systems, run_coverage
from hybridplan.coverage.pipeline.build import ScenarioGrid
from hybridplan.coverage.scenario import load_scenario
from hybridplan.grids import load_dem
from processes import dask_worker_killer

pytestmark = pytest.mark.dask

BOX = [[74.0, 35.7], [74.5, 35.7], [74.5, 36.1], [74.0, 36.1], [74.0, 35.7]]

SCENARIO = """
name = "recipe-box"
[region]
names = ["box.geojson"]
resolution = 7
[window]
start = "2026-05-30T06:00:00Z"
duration_h = %s
step_s = 60
[terrain]
dem = "dem.npz"
n_azimuth = 36
max_distance_km = 30
[engine]
steps_per_chunk = 15
[[systems]]
name = "iridium"
source = "bundled:iridium-next"
min_elevation_deg = 20
[[systems]]
name = "walker"
walker = { altitude_km = 1100, inclination_deg = 55, planes = 8, sats_per_plane = 10, phasing = 1 }
min_elevation_deg = 25
gso_exclusion_deg = 10
n_required = 2
[[systems]]
name = "paksat"
source = "bundled:geo"
filter = { name = "PAKSAT" }
min_elevation_deg = 10
"""

OPTIONS = EngineOptions(steps_per_chunk=15, tasks_per_worker=3)


def write_folder(folder: Path, hours: float = 3) -> Path:
    """The scenario, its region and its DEM (the bundled heights around the box)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "box.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "Box"},
                        "geometry": {"type": "Polygon", "coordinates": [BOX]},
                    }
                ],
            }
        )
    )
    dem = load_dem(None)
    n_lat, n_lon = dem.elevation.shape
    lat = dem.lat0_deg + dem.dlat_deg * np.arange(n_lat)
    lon = dem.lon0_deg + dem.dlon_deg * np.arange(n_lon)
    rows = (lat > 34.5) & (lat < 37.3)
    cols = (lon > 72.8) & (lon < 75.7)
    np.savez(
        folder / "dem.npz",
        elevation=dem.elevation[np.ix_(rows, cols)],
        lat=lat[rows],
        lon=lon[cols],
    )
    (folder / "scenario.toml").write_text(SCENARIO % hours, encoding="utf-8")
    return folder / "scenario.toml"


@pytest.fixture(scope="module")
def client():
    with executor_from_spec("local:2") as client:
        yield client


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    scenario = load_scenario(write_folder(tmp_path_factory.mktemp("recipe") / "run"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # element sets a few hours from the window
        systems = resolve_systems(scenario)
    grid = prepare_grid(scenario)
    return scenario, systems, grid


def engine_run(case, **kwargs):
    """``accumulate`` as ``compute_coverage`` calls it, with a recipe of the scenario."""
    scenario, systems, grid = case
    window = scenario.window.time_grid()
    height = scenario.terrain.antenna_height_m
    ground, index, weights = engine_inputs(grid, True, height, OPTIONS, ())
    recipe = StaticRecipe.of(
        ScenarioGrid.of(scenario),
        systems,
        window,
        terrain=True,
        antenna_height_m=height,
        options=OPTIONS,
        stk=True,
    )
    return accumulate(
        ground, systems, window, options=OPTIONS, weights=weights, recipe=recipe, **kwargs
    )


def assert_identical(a, b):
    np.testing.assert_array_equal(a.fields, b.fields)  # every integer accumulator
    np.testing.assert_array_equal(a.failures, b.failures)
    np.testing.assert_array_equal(a.step_sums, b.step_sums)
    assert (a.first_step, a.n_steps) == (b.first_step, b.n_steps)


@pytest.fixture(scope="module")
def serial(case):
    acc, stats = engine_run(case)
    assert stats.spans_run == 1
    n_cells = case[2].sizes["cell"]
    assert 200 <= n_cells <= 800, n_cells
    covered = acc.fields[..., 0].sum(axis=1)
    assert (covered > 0).all(), "every system covers some cell-steps"
    return acc


def test_serial_threads_and_a_cluster_building_from_the_recipe_agree_exactly(case, serial, client):
    threads, _ = engine_run(case, workers=2)
    cluster, stats = engine_run(case, executor=client)
    assert_identical(serial, threads)
    assert_identical(serial, cluster)
    assert stats.spans_run == stats.spans_total == 6
    # the workers built the static inputs themselves, with the caller's token
    scenario, systems, grid = case
    ground, _, weights = engine_inputs(grid, True, 2.0, OPTIONS, ())
    token = static_inputs(
        ground, systems, scenario.window.time_grid(), OPTIONS, (), weights, True
    ).token
    built = client.run(lambda: list(recipe_module._STATICS))
    assert any(token in tokens for tokens in built.values()), built


def test_the_recipe_is_kilobytes_where_the_static_inputs_are_megabytes(case):
    scenario, systems, grid = case
    window = scenario.window.time_grid()
    ground, index, weights = engine_inputs(grid, True, 2.0, OPTIONS, ())
    static = static_inputs(ground, systems, window, OPTIONS, index, weights, True)
    recipe = StaticRecipe.of(
        ScenarioGrid.of(scenario),
        systems,
        window,
        terrain=True,
        antenna_height_m=2.0,
        options=OPTIONS,
    )
    sent = recipe.nbytes()
    scattered = len(pickle.dumps(static, protocol=5))
    assert sent < 12_000, sent  # 9.0 kB: scenario text 0.6 kB, 162 element sets 7.4 kB
    assert scattered > 20 * sent, (scattered, sent)
    # the element sets come back exactly (TLE lines and generated init arguments alike)
    for model in systems:
        again = SystemRecipe.of(model).model()
        assert again == type(model)(**{**model.__dict__, "constellation": again.constellation})
        assert again.constellation.element_sets == model.constellation.element_sets
    # and a worker-style build in this process gives the same token
    recipe_module._STATICS.clear()
    rebuilt = recipe.__class__(**{**recipe.__dict__, "token": static.token}).static()
    assert rebuilt.token == static.token


def test_a_worker_whose_dem_differs_refuses_the_run_in_one_line(client, tmp_path):
    path = write_folder(tmp_path / "other", hours=1)  # another run: no worker has it cached
    scenario = load_scenario(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        systems = resolve_systems(scenario)
    grid = prepare_grid(scenario)  # the caller's grid, from the DEM as it was
    dem = path.parent / "dem.npz"
    original = dem.read_bytes()
    with np.load(dem) as data:  # the workers see another DEM
        arrays = {k: data[k] for k in data.files}
    np.savez(dem, **{**arrays, "elevation": arrays["elevation"] + 150.0})

    def run():
        return run_coverage(
            scenario,
            grid=grid,
            systems=systems,
            executor=client,
            grid_recipe=ScenarioGrid.of(scenario),
        )

    with pytest.raises(RecipeError, match="differ from the caller's") as caught:
        run()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("dask worker tcp://127.0.0.1:")
    assert "give every worker the caller's files" in message
    # the workers' cached grid is from the other DEM: with the file restored, the next
    # run rebuilds it from the file and runs
    dem.write_bytes(original)
    fom = run()
    serial = run_coverage(scenario, grid=grid, systems=systems)
    np.testing.assert_array_equal(fom["pct_time_covered"], serial["pct_time_covered"])
    # a file missing on the workers: the builder's own message, with the worker
    dem.unlink()
    recipe_module._GRIDS.clear()
    with pytest.raises(RecipeError, match=r"^process \d+: cannot rebuild the grid .*dem\.npz"):
        recipe_module.built_grid(ScenarioGrid.of(scenario), fresh=True)
    with pytest.raises(CoverageError, match="without the caller's run token"):
        StaticRecipe.of(
            ScenarioGrid.of(scenario),
            systems,
            scenario.window.time_grid(),
            terrain=True,
            antenna_height_m=2.0,
            options=OPTIONS,
        ).static()


def test_a_worker_killed_mid_run_changes_nothing(case, serial, client):
    kill_one_worker, killed = dask_worker_killer(client)
    acc, stats = engine_run(case, executor=client, progress=kill_one_worker)
    assert killed
    assert_identical(serial, acc)
    client.wait_for_workers(2, timeout=30)  # the nanny restarted it


def test_an_interrupted_run_resumes_from_its_checkpoints(case, serial, client, tmp_path):
    class Interrupted(Exception):
        pass

    seen = []

    def interrupt_after_two_spans(n_steps):
        seen.append(n_steps)
        if len(seen) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        engine_run(
            case, executor=client, checkpoint_dir=tmp_path, progress=interrupt_after_two_spans
        )
    assert len(list(tmp_path.glob("span-*.npz"))) == 2
    acc, stats = engine_run(case, executor=client, checkpoint_dir=tmp_path)
    assert (stats.spans_total, stats.spans_run) == (12, 10)
    assert_identical(serial, acc)


def test_run_coverage_on_the_cluster_gives_the_serial_dataset(case, client):
    scenario, systems, grid = case
    serial = run_coverage(scenario, grid=grid, systems=systems)
    cluster = run_coverage(scenario, systems=systems, executor=client)
    for fom in (serial, cluster):  # spans propagate their edges twice: a count, not a result
        del fom.attrs["satellite_epochs_propagated"]
    xr.testing.assert_identical(serial, cluster)
    assert keep_stk(len(systems), grid.sizes["cell"])


def test_a_scenario_changed_in_code_falls_back_to_sending_the_inputs(case):
    import dataclasses

    scenario = case[0]
    changed = dataclasses.replace(
        scenario, terrain=dataclasses.replace(scenario.terrain, n_azimuth=72)
    )
    assert ScenarioGrid.of(changed) is None  # its text says 36 sectors
    assert ScenarioGrid.of(scenario) is not None
    moved = shutil.copytree(scenario.base_dir, scenario.base_dir.parent / "moved")
    again = load_scenario(moved / "scenario.toml")
    assert ScenarioGrid.of(again).key != ScenarioGrid.of(scenario).key


SWEEP = """
scenario = "scenario.toml"
system = "walker"
threshold_pct = 20
[combos]
planes = [6, 8]
min_elevation_deg = [25, 35]
"""


def test_a_sweep_on_the_cluster_rebuilds_the_grid_and_gives_the_serial_result(case, client):
    from hybridplan.coverage.pipeline.sweep import sweep
    from hybridplan.coverage.pipeline.sweep_spec import load_sweep

    scenario, systems, grid = case
    (scenario.base_dir / "SWEEP.toml").write_text(SWEEP, encoding="utf-8")
    spec = load_sweep(scenario.base_dir / "SWEEP.toml")
    assert spec.population  # the sweep's grid carries people: "grid+population"
    serial = sweep(spec, systems=systems)
    cluster = sweep(spec, systems=systems, executor=client)
    xr.testing.assert_identical(serial, cluster)
    assert float(serial["population_pct_meeting"].sel(system="walker").max()) > 0
    key = ScenarioGrid.of(scenario, "grid+population").key
    assert all(key in keys for keys in client.run(lambda: list(recipe_module._GRIDS)).values())
    # a worker's grid with another token is refused in one line
    with pytest.raises(CoverageError, match=r"^process \d+: the grid rebuilt .* differs"):
        recipe_module.built_grid(ScenarioGrid.of(scenario, "grid+population"), "0" * 64)


def test_the_plan_recipe_rebuilds_what_the_plans_coverage_run_reads(case):
    """``build_plan`` on dask sends ``ScenarioGrid.of(scenario, "plan")``: the grid with
    the slope and population of ``prepare_ground``, without the network; its static
    inputs must have the same run token as the plan ground's."""
    from hybridplan.coverage.pipeline import prepare_ground, resolve

    scenario, systems, _ = case
    window = scenario.window.time_grid()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ground = prepare_ground(resolve(scenario))
    rebuilt = ScenarioGrid.of(scenario, "plan").build()
    assert "fiber_distance_km" in ground and "fiber_distance_km" not in rebuilt
    assert float(rebuilt["population"].sum()) > 0

    def token(grid):
        g, index, weights = engine_inputs(grid, True, 2.0, OPTIONS, ())
        assert weights.shape[0] == 3  # cells, area, population
        return static_inputs(g, systems, window, OPTIONS, index, weights, True).token

    assert token(rebuilt) == token(ground)
