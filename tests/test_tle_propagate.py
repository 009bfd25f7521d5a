"""Earth-fixed positions against skyfield, time grids, error codes, chunking, workers."""

import pickle
import warnings
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hybridplan.tle import (
    Constellation,
    PropagationError,
    StaleElementsWarning,
    TimeGrid,
    iter_chunks,
    load_constellation,
    warn_if_stale,
)
from hybridplan.tle.elements import SGP4_EPOCH0, ElementSet, Sgp4InitArgs
from skyfield.api import EarthSatellite, load
from skyfield.framelib import itrs

ONE_METRE_KM = 1e-3
START = datetime(2026, 5, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def timescale():
    return load.timescale(builtin=True)


@pytest.fixture(scope="module")
def sample_100():
    """100 satellites across the bundled systems: LEO shells, MEO, GEO with PakSat."""
    picks = {"starlink": 40, "oneweb": 12, "kuiper": 10, "qianfan": 8, "guowang": 8,
             "iridium-next": 6, "o3b": 6}
    rng = np.random.default_rng(2026)
    parts = []
    for name, n in picks.items():
        c = load_constellation(f"bundled:{name}")
        parts.append(c[np.sort(rng.choice(len(c), n, replace=False))])
    geo = load_constellation("bundled:geo")
    paksat = geo.select(name="PAKSAT")
    others = geo[np.sort(rng.choice(len(geo), 10 - len(paksat), replace=False))]
    sample = parts[0].union(*parts[1:], paksat, others, label="sample")
    assert len(sample) == 100
    return sample


def test_itrs_positions_match_skyfield_to_a_metre_over_24_hours(sample_100, timescale):
    grid = TimeGrid(START, 86400.0, 600.0)
    chunks = list(iter_chunks(sample_100.element_sets, grid, steps_per_chunk=50,
                              timescale=timescale))
    ours = np.concatenate([c.positions_itrs_km for c in chunks], axis=1)
    assert ours.shape == (100, 144, 3)
    s = grid.start_utc
    t = timescale.utc(s.year, s.month, s.day, s.hour, s.minute, grid.offsets_s)
    worst_km = 0.0
    for i, element_set in enumerate(sample_100.element_sets):
        satellite = EarthSatellite(*element_set.tle_lines, ts=timescale)
        reference = satellite.at(t).frame_xyz(itrs).km.T
        worst_km = max(worst_km, np.abs(ours[i] - reference).max())
    assert worst_km < ONE_METRE_KM, f"worst difference {worst_km * 1e3:.3f} m"


def test_two_worker_processes_give_identical_chunks(sample_100):
    grid = TimeGrid(START, 4 * 3600.0, 60.0)
    serial = list(iter_chunks(sample_100.element_sets, grid, steps_per_chunk=40))
    parallel = list(iter_chunks(sample_100.element_sets, grid, steps_per_chunk=40, workers=2))
    assert [c.time_index for c in serial] == [c.time_index for c in parallel]
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a.positions_itrs_km, b.positions_itrs_km)
        np.testing.assert_array_equal(a.times, b.times)


def test_chunks_cover_the_grid_in_order_with_bounded_size(sample_100):
    grid = TimeGrid(START, 3600.0, 60.0)
    chunks = list(iter_chunks(sample_100.element_sets[:5], grid, steps_per_chunk=25))
    assert [c.positions_itrs_km.shape[1] for c in chunks] == [25, 25, 10]
    times = np.concatenate([c.times for c in chunks])
    np.testing.assert_array_equal(times, grid.datetimes64())


def _decaying_satellite() -> ElementSet:
    """A 160 km orbit with a large drag term: SGP4 declares it decayed within hours."""
    epoch_days = (START - SGP4_EPOCH0).total_seconds() / 86400.0
    n = np.sqrt(398600.8 / (6378.137 + 160.0) ** 3) * 60.0
    args = Sgp4InitArgs(99999, epoch_days, 0.05, 0.0, 0.0, 0.0, 0.0, np.radians(51.6),
                        0.0, n, 0.0)
    return ElementSet("DECAYING", 99999, "<test>", 1, init=args)


def test_failed_propagations_are_error_codes_and_nan_never_dropped():
    healthy = load_constellation("bundled:iridium-next")[:3]
    sets = list(healthy.element_sets) + [_decaying_satellite()]
    grid = TimeGrid(START, 2 * 86400.0, 600.0)
    chunks = list(iter_chunks(sets, grid, steps_per_chunk=100))
    errors = np.concatenate([c.error_codes for c in chunks], axis=1)
    positions = np.concatenate([c.positions_itrs_km for c in chunks], axis=1)
    assert positions.shape[0] == 4  # the failed satellite is kept
    assert not errors[:3].any()
    assert errors[3].any() and errors[3, 0] == 0  # fine at first, then fails
    failed = errors != 0
    assert np.isnan(positions[failed]).all()
    assert np.isfinite(positions[~failed]).all()
    assert sum(c.n_failed for c in chunks) == failed.sum()
    assert set(np.unique(errors[3][errors[3] != 0])) <= {1, 6}  # eccentricity or decayed


def test_time_grid_julian_dates_agree_with_skyfield(timescale):
    grid = TimeGrid(datetime(2026, 5, 30, 7, 13, 5, 250000, tzinfo=timezone.utc), 7200, 17.5)
    whole, fraction = grid.julian_dates_utc()
    s = grid.start_utc
    t = timescale.utc(s.year, s.month, s.day, s.hour, s.minute,
                      s.second + s.microsecond * 1e-6 + grid.offsets_s)
    skyfield_fraction = t.tai_fraction - t._leap_seconds() / 86400.0
    difference_s = ((whole - t.whole) + (fraction - skyfield_fraction)) * 86400.0
    assert np.abs(difference_s).max() < 1e-6
    assert grid.n_steps == 411 and grid.datetimes64()[1] - grid.datetimes64()[0] == \
        np.timedelta64(17500, "ms")


def test_time_grid_refuses_naive_datetimes_and_shows_the_fix():
    with pytest.raises(PropagationError, match=r"tzinfo=timezone.utc.*2026-05-30T00:00:00Z"):
        TimeGrid(datetime(2026, 5, 30), 3600, 60)
    with pytest.raises(PropagationError, match="step_s must be > 0"):
        TimeGrid(START, 3600, 0)
    with pytest.raises(PropagationError, match="at least one step"):
        TimeGrid(START, 30, 60)


def test_non_utc_zones_are_converted_not_refused():
    pakistan = timezone(timedelta(hours=5))
    grid = TimeGrid(datetime(2026, 5, 30, 5, tzinfo=pakistan), 3600, 60)
    assert grid.start_utc == START


def test_stale_element_sets_warn_with_the_age():
    oneweb = load_constellation("bundled:oneweb")
    near = TimeGrid(START, 86400, 60)
    far = TimeGrid(START + timedelta(days=60), 86400, 60)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_stale("oneweb", oneweb.epochs_jd_utc, near)
    with pytest.warns(StaleElementsWarning, match=r"651 of 651 .*\(up to 61\.\d days\)"):
        warn_if_stale("oneweb", oneweb.epochs_jd_utc, far)


def test_constellation_pickles_without_satrec_objects():
    qianfan = load_constellation("bundled:qianfan")
    clone = pickle.loads(pickle.dumps(qianfan))
    assert isinstance(clone, Constellation) and len(clone) == len(qianfan)
    grid = TimeGrid(START, 600, 60)
    a = next(iter_chunks(qianfan.element_sets, grid, satrecs=qianfan.satrec_array))
    b = next(iter_chunks(clone.element_sets, grid, satrecs=clone.satrec_array))
    np.testing.assert_array_equal(a.positions_itrs_km, b.positions_itrs_km)


def test_parallel_path_leaves_no_shared_memory_behind(sample_100):
    from pathlib import Path
    shm = Path("/dev/shm")
    if not shm.is_dir():
        pytest.skip("no /dev/shm on this system")
    before = set(shm.iterdir())
    grid = TimeGrid(START, 6 * 3600.0, 60.0)
    chunks = iter_chunks(sample_100.element_sets, grid, steps_per_chunk=30, workers=2)
    first_two = [next(chunks), next(chunks)]
    chunks.close()  # a consumer that stops early
    assert [c.time_index.start for c in first_two] == [0, 30]
    assert {p for p in set(shm.iterdir()) - before if p.name.startswith("psm_")} == set()
