"""A sub-constellation reuses its parent's Satrec objects and derived rows: it must be
the constellation its element sets build from scratch, field for field, and propagate
the same; the coverage engine's satellite table takes the constellations' Satrecs."""

import pickle
from datetime import datetime, timezone

import numpy as np
import pytest
from hybridplan.coverage.engine.reach import satellite_table
from hybridplan.tle import Constellation, WalkerShell, load_constellation
from hypothesis import given, settings
from hypothesis import strategies as st

START = datetime(2026, 5, 30, tzinfo=timezone.utc)
SATREC_FIELDS = ("satnum", "jdsatepoch", "jdsatepochF", "inclo", "nodeo", "ecco", "argpo", "mo",
                 "no_kozai", "bstar", "a", "nodedot", "method")


@pytest.fixture(scope="module")
def mixed():
    """TLE data (LEO, MEO, GEO: near-earth and deep-space SGP4) and a generated shell."""
    data = (load_constellation("bundled:oneweb")[:40] | load_constellation("bundled:o3b")
            | load_constellation("bundled:geo")[:30])
    walker = Constellation.from_walker(WalkerShell("w", 550.0, 53.0, 6, 5, 1), START)
    return data | walker


def _same(a: Constellation, b: Constellation) -> None:
    assert a.label == b.label and a.element_sets == b.element_sets
    assert a._derived().keys() == b._derived().keys() == set(DERIVED)
    for name in DERIVED:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
        assert not x.flags.writeable, name
    assert len(a.satrecs) == len(a)
    for s, t in zip(a.satrecs, b.satrecs, strict=True):
        assert [getattr(s, f) for f in SATREC_FIELDS] == [getattr(t, f) for f in SATREC_FIELDS]


DERIVED = ("names", "norad_ids", "epochs_jd_utc", "inclination_deg", "raan_deg", "eccentricity",
           "mean_motion_rev_per_day", "mean_altitude_km", "perigee_altitude_km",
           "apogee_altitude_km", "arg_perigee_deg", "mean_anomaly_deg", "raan_rate_deg_per_day")


def test_the_derived_arrays_are_the_documented_ones(mixed):
    assert set(mixed._derived()) == set(DERIVED)


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_a_subset_is_the_constellation_of_its_element_sets(mixed, data):
    n = len(mixed)
    how = data.draw(st.sampled_from(["mask", "index", "slice"]))
    if how == "mask":
        selection = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    elif how == "index":
        selection = np.array(data.draw(st.lists(st.integers(0, n - 1), max_size=n)), dtype=int)
    else:
        selection = slice(data.draw(st.integers(0, n)), data.draw(st.integers(0, n)),
                          data.draw(st.sampled_from([1, 2, 3])))
    subset = mixed[selection]
    fresh = Constellation(mixed.label, subset.element_sets, subset.report)
    _same(subset, fresh)
    _same(subset[::-1][::-1], fresh)


def test_a_subset_propagates_like_a_fresh_one(mixed):
    subset = mixed.select(altitude_km=(1000.0, 40000.0))  # no Walker shell at 550 km
    assert 0 < len(subset) < len(mixed)
    fresh = Constellation(subset.label, subset.element_sets)
    jd = np.full(5, 2461190.5)
    fr = np.linspace(0.0, 1.5, 5)  # 36 h: the deep-space resonance integrator steps
    e1, r1, v1 = subset.satrec_array.sgp4(jd, fr)
    e2, r2, v2 = fresh.satrec_array.sgp4(jd, fr)
    assert np.array_equal(e1, e2) and np.array_equal(r1, r2) and np.array_equal(v1, v2)
    # propagating a subset's Satrec objects one by one does not change later results
    for satrec in subset.satrecs:
        satrec.sgp4(2461195.5, 0.25)
    again = Constellation(subset.label, subset.element_sets).satrec_array.sgp4(jd, fr)
    for satrec, row in zip(subset.satrecs, range(len(subset)), strict=True):
        err, r, _v = satrec.sgp4_array(jd, fr)
        assert np.array_equal(r, again[1][row]) and np.array_equal(err, again[0][row])


def test_pickling_rebuilds_the_satrecs(mixed):
    subset = mixed[::3]
    back = pickle.loads(pickle.dumps(subset))
    assert "satrecs" not in pickle.loads(pickle.dumps(subset)).__dict__
    _same(back, subset)


def test_the_satellite_table_takes_the_constellations_satrecs(mixed):
    a, b = mixed[:50], mixed[50:]
    cells = np.array([[6378.0, 0.0, 0.0], [6300.0, 900.0, 100.0]])
    table = satellite_table([a, b], [25.0, 10.0], cells)
    satrecs = table.satrecs
    assert len(satrecs) == len(a) + len(b)
    assert all(x is y for x, y in zip(satrecs, a.satrecs + b.satrecs, strict=True))
    back = pickle.loads(pickle.dumps(table))  # a table sent to another process
    rebuilt = back.satrecs
    assert all(x is not y for x, y in zip(rebuilt, satrecs, strict=True))
    for s, t in zip(rebuilt, satrecs, strict=True):
        assert [getattr(s, f) for f in SATREC_FIELDS] == [getattr(t, f) for f in SATREC_FIELDS]
