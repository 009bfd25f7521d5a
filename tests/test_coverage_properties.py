"""Invariants (hypothesis) and exactness: raising the minimum elevation, the GSO band or the
terrain never adds coverage; adding satellites never removes it; any chunking, pruning
or process split gives bit-identical figures of merit; failed propagations are counted."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import numpy as np
import pytest
import xarray as xr
from hybridplan.coverage import (
    EngineOptions,
    PropagationFailureWarning,
    SystemModel,
    compute_coverage,
)
from hybridplan.tle import Constellation, TimeGrid, load_constellation
from hybridplan.tle.elements import SGP4_EPOCH0, ElementSet, Sgp4InitArgs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

START = datetime(2026, 5, 30, 3, 0, tzinfo=timezone.utc)
WINDOW = TimeGrid(START, 40 * 60.0, 60.0)
PROPERTY = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
K = 24
FOM_VARS = ["pct_time_covered", "pct_time_covered_open_sky", "n_visible_mean",
            "n_visible_min", "n_visible_max", "pct_time_n_or_more", "max_gap_s", "mean_gap_s",
            "n_gaps", "best_elevation_mean_deg", "latency_rtt_mean_ms"]


def make_grid(seed=5, n=60, horizon_scale=1.0):
    rng = np.random.default_rng(seed)
    lat, lon = 35.3 + rng.uniform(-0.8, 0.8, n), 74.8 + rng.uniform(-1.0, 1.0, n)
    horizon = horizon_scale * np.clip(rng.normal(14, 10, (n, K)), -1, 45)
    return xr.Dataset(
        {"lat": ("cell", lat), "lon": ("cell", lon),
         "elevation_m": ("cell", rng.uniform(800, 5000, n)),
         "horizon_deg": (("cell", "azimuth"), horizon)},
        coords={"cell": [f"c{i:03d}" for i in range(n)],
                "azimuth_deg": ("azimuth", (np.arange(K) + 0.5) * 360.0 / K)})


@pytest.fixture(scope="module")
def sats():
    starlink = load_constellation("bundled:starlink").select(altitude_km=(400, 600))
    oneweb = load_constellation("bundled:oneweb").select(altitude_km=(1100, 1250))
    return {"starlink": starlink[::40], "oneweb": oneweb[::6],
            "paksat": load_constellation("bundled:geo").select(name="PAKSAT")}


@pytest.fixture(scope="module")
def grid():
    return make_grid()


def systems_for(sats, min_el=25.0, band=18.0, starlink=None):
    return [SystemModel("starlink", starlink if starlink is not None else sats["starlink"],
                        min_el, 2, band, True),
            SystemModel("oneweb", sats["oneweb"], min(90.0, min_el + 5.0), 1, 0.0, False),
            SystemModel("paksat", sats["paksat"], 10.0, 1, 0.0, True)]


def run(grid, systems, terrain=True, **options):
    return compute_coverage(grid, systems, WINDOW, terrain=terrain,
                            options=EngineOptions(**options))


def assert_same_foms(a, b):
    for name in FOM_VARS:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def assert_no_more(more, less):
    """Every cell of ``less`` is covered at most as often as in ``more``."""
    for name in ("pct_time_covered", "pct_time_covered_open_sky", "n_visible_mean",
                 "n_visible_max", "pct_time_n_or_more"):
        assert (less[name].values <= more[name].values).all(), name


@PROPERTY
@given(st.floats(0.0, 60.0), st.floats(0.5, 30.0))
def test_raising_min_elevation_never_adds_coverage(grid, sats, el, delta):
    assert_no_more(run(grid, systems_for(sats, el)), run(grid, systems_for(sats, el + delta)))


@PROPERTY
@given(st.floats(0.0, 40.0), st.floats(0.5, 30.0))
def test_widening_the_gso_band_never_adds_coverage(grid, sats, band, delta):
    assert_no_more(run(grid, systems_for(sats, band=band)),
                   run(grid, systems_for(sats, band=min(band + delta, 89.0))))


@PROPERTY
@given(st.lists(st.booleans(), min_size=1, max_size=300))
def test_adding_satellites_never_removes_coverage(grid, sats, keep):
    everything = sats["starlink"]
    mask = np.resize(np.asarray(keep), len(everything))
    if not mask.any():
        mask[0] = True
    assert_no_more(run(grid, systems_for(sats)),
                   run(grid, systems_for(sats, starlink=everything[mask])))


@PROPERTY
@given(st.integers(0, 1000), st.floats(0.0, 2.0))
def test_terrain_never_adds_coverage(sats, seed, scale):
    systems = systems_for(sats, 15.0)
    lower = run(make_grid(seed, 30, scale), systems)
    higher = run(make_grid(seed, 30, scale + 0.5), systems)
    open_sky = run(make_grid(seed, 30, scale), systems, terrain=False)
    assert (lower["pct_time_covered"] <= lower["pct_time_covered_open_sky"]).all()
    assert_same_foms_subset(open_sky, lower, "pct_time_covered_open_sky")
    assert (higher["pct_time_covered"] <= lower["pct_time_covered"]).all()
    assert (lower["pct_time_covered"] <= open_sky["pct_time_covered"]).all()


def assert_same_foms_subset(a, b, name):
    np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


@PROPERTY
@given(st.integers(1, 70), st.sampled_from([60.0, 120.0, 300.0, 480.0, 3600.0]))
def test_any_chunking_gives_exactly_the_single_chunk_result(grid, sats, chunk, coarse):
    reference = run(grid, systems_for(sats), steps_per_chunk=WINDOW.n_steps)
    assert_same_foms(reference, run(grid, systems_for(sats), steps_per_chunk=chunk,
                                    coarse_step_s=coarse))


def test_chunk_sizes_processes_executor_and_pruning_all_agree_exactly(grid, sats):
    systems = systems_for(sats)
    reference = run(grid, systems, steps_per_chunk=WINDOW.n_steps)
    for chunk in (1, 7, 60):
        assert_same_foms(reference, run(grid, systems, steps_per_chunk=chunk))
    unpruned = run(grid, systems, prune=False, steps_per_chunk=13)
    assert_same_foms(reference, unpruned)
    assert (reference.attrs["satellite_epochs_propagated"]
            < unpruned.attrs["satellite_epochs_propagated"])
    two = compute_coverage(grid, systems, WINDOW, workers=2,
                           options=EngineOptions(steps_per_chunk=7))
    assert_same_foms(reference, two)
    with ThreadPoolExecutor(3) as executor:
        assert_same_foms(reference, compute_coverage(
            grid, systems, WINDOW, executor=executor,
            options=EngineOptions(steps_per_chunk=5, tasks_per_worker=3)))
    # and the variables carry units and long names
    for name in FOM_VARS:
        assert reference[name].attrs["units"] and reference[name].attrs["long_name"]


def test_combined_is_the_union_of_licensed_systems(grid, sats):
    fom = run(grid, systems_for(sats), terrain=False)
    licensed = ["starlink", "paksat"]
    combined = fom.sel(system="combined")
    best = fom["pct_time_covered"].sel(system=licensed).max("system")
    assert (combined["pct_time_covered"] >= best).all()
    np.testing.assert_allclose(combined["n_visible_mean"],
                               fom["n_visible_mean"].sel(system=licensed).sum("system"))
    np.testing.assert_array_equal(fom["licensed"].values, [1, 0, 1, 1])


def _decaying(bstar=0.1):
    """A 220 km satellite with a huge drag term: SGP4 fails from 02:51 UTC on."""
    epoch = (START.replace(hour=0) - SGP4_EPOCH0).total_seconds() / 86400.0
    init = Sgp4InitArgs(99999, epoch, bstar, 0.0, 0.0, 0.001, 0.0, np.radians(53.0), 0.0,
                        2 * np.pi / 88.9, 0.0)
    return ElementSet("DECAYING", 99999, "test", 1, init=init)


def test_failed_propagations_are_counted_not_invisible(grid, sats):
    constellation = Constellation.from_element_sets(
        list(sats["starlink"].element_sets[:20]) + [_decaying()], "with-decay")
    systems = [SystemModel("mixed", constellation, 25.0)]
    with pytest.warns(PropagationFailureWarning, match="mixed: 40"):
        pruned = run(grid, systems)
    with pytest.warns(PropagationFailureWarning):
        unpruned = run(grid, systems, prune=False)
    # it fails from 02:51 UTC on, so at all 40 steps of the 03:00-03:40 window
    assert int(pruned["propagation_failures"].sel(system="mixed")) == 40
    assert_same_foms(pruned, unpruned)
    assert pruned.attrs["propagation_failures_total"] == 40
