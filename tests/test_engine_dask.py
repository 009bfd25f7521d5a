"""The engine on a dask.distributed cluster: the same integers as serially and on local
processes, through a worker lost mid-run, and resumed from per-span checkpoints.

Runs a 2-worker LocalCluster (processes, one thread each, 127.0.0.1, no dashboard), as
``--scheduler local:2`` would. dask is a test dependency (the ``test`` extra).
"""

from datetime import datetime, timezone

import numpy as np
import pytest
import xarray as xr
from hybridplan.coverage.engine import EngineOptions, SystemModel, accumulate, ground_from_grid
from hybridplan.coverage.engine.executors import executor_from_spec, refuse_nested
from hybridplan.coverage.errors import CoverageError
from hybridplan.tle import TimeGrid, load_constellation
from processes import dask_worker_killer

pytestmark = pytest.mark.dask

START = datetime(2026, 5, 30, 3, 0, tzinfo=timezone.utc)
WINDOW = TimeGrid(START, 90 * 60.0, 60.0)
OPTIONS = EngineOptions(steps_per_chunk=5, tasks_per_worker=3)
K = 24


@pytest.fixture(scope="module")
def client():
    with executor_from_spec("local:2") as client:
        yield client


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(11)
    n = 60
    grid = xr.Dataset(
        {
            "lat": ("cell", 35.3 + rng.uniform(-1.0, 1.0, n)),
            "lon": ("cell", 74.8 + rng.uniform(-1.2, 1.2, n)),
            "elevation_m": ("cell", rng.uniform(800, 5000, n)),
            "horizon_deg": (("cell", "azimuth"), np.clip(rng.normal(14, 10, (n, K)), -1, 45)),
        },
        coords={
            "cell": [f"c{i}" for i in range(n)],
            "azimuth_deg": ("azimuth", (np.arange(K) + 0.5) * 360.0 / K),
        },
    )
    starlink = load_constellation("bundled:starlink")[::25]
    oneweb = load_constellation("bundled:oneweb")[::8]
    systems = [
        SystemModel("starlink", starlink, 25.0, 2, 18.0),
        SystemModel("oneweb", oneweb, 30.0, 1, 0.0, licensed=False),
    ]
    return ground_from_grid(grid, True, 0.0, 8), systems


def run(case, **kwargs):
    ground, systems = case
    options = kwargs.pop("options", OPTIONS)
    return accumulate(ground, systems, WINDOW, options=options, series_cells=[0, 7], **kwargs)


def assert_identical(a, b):
    np.testing.assert_array_equal(a.fields, b.fields)  # every integer accumulator
    np.testing.assert_array_equal(a.failures, b.failures)
    np.testing.assert_array_equal(a.series_n, b.series_n)
    np.testing.assert_array_equal(a.series_open, b.series_open)
    np.testing.assert_array_equal(a.series_best_deg, b.series_best_deg)
    assert (a.first_step, a.n_steps) == (b.first_step, b.n_steps) == (0, WINDOW.n_steps)


@pytest.fixture(scope="module")
def serial(case):
    acc, stats = run(case)
    assert stats.spans_run == 1
    assert acc.fields[..., 0].sum() > 0, "something is covered"
    return acc


def test_serial_processes_threads_and_local_cluster_agree_exactly(case, serial, client):
    processes, _ = run(
        case,
        workers=2,
        options=EngineOptions(steps_per_chunk=5, tasks_per_worker=3, processes=True),
    )
    threads, _ = run(case, workers=2)
    cluster, stats = run(case, executor=client)
    for other in (processes, threads, cluster):
        assert_identical(serial, other)
    assert stats.spans_total == 6 == stats.spans_run  # 3 per thread of the cluster
    # deterministic task keys: the run's token and the span
    keys = [
        key
        for key in client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.tasks))
        if "hybridplan-span" in str(key)
    ]
    assert all(str(k).startswith("hybridplan-span-") for k in keys)


def test_a_worker_killed_mid_run_changes_nothing(case, serial, client):
    kill_one_worker, killed = dask_worker_killer(client)
    acc, stats = run(case, executor=client, progress=kill_one_worker)
    assert killed
    assert_identical(serial, acc)
    client.wait_for_workers(2, timeout=30)  # the nanny restarted it


def test_an_interrupted_run_resumes_and_runs_only_the_rest(case, serial, client, tmp_path):
    class Interrupted(Exception):
        pass

    seen = []

    def interrupt_after_three_spans(n_steps):
        seen.append(n_steps)
        if len(seen) == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        run(case, executor=client, checkpoint_dir=tmp_path, progress=interrupt_after_three_spans)
    names = sorted(p.name for p in tmp_path.glob("span-*.npz"))
    assert len(names) == 3
    # resumed on the cluster: only the missing spans run
    acc, stats = run(case, executor=client, checkpoint_dir=tmp_path)
    assert (stats.spans_total, stats.spans_run) == (12, 9)
    assert_identical(serial, acc)
    # and once complete, a rerun (here serial) runs nothing and gives the same integers
    again, stats = run(case, checkpoint_dir=tmp_path)
    assert (stats.spans_total, stats.spans_run) == (12, 0)
    assert_identical(serial, again)
    # a different run refuses the folder instead of mixing spans
    ground, systems = case
    with pytest.raises(CoverageError, match="another run"):
        accumulate(ground, systems[:1], WINDOW, options=OPTIONS, checkpoint_dir=tmp_path)


def test_nested_pools_are_refused_inside_a_dask_worker(client):
    with pytest.raises(CoverageError, match="inside a dask worker.*workers=1"):
        client.submit(refuse_nested, 2, pure=False).result()
    assert client.submit(refuse_nested, 1, pure=False).result() is None


@pytest.mark.parametrize("spec", ["local:0", "local:x", "nonsense"])
def test_bad_scheduler_specs_are_refused(spec):
    with pytest.raises(CoverageError, match="local:N"), executor_from_spec(spec):
        pass
