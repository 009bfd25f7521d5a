"""The bent-pipe gateway rule and its latency against an independent skyfield computation.

Reference path (no engine code): skyfield ``EarthSatellite`` from the TLE lines and
``(satellite - wgs84.latlon(lat, lon, elevation_m)).at(t).altaz()`` for every satellite,
cell, gateway and step; a satellite serves a cell at a step when the cell sees it above
its minimum elevation and some gateway sees it above the gateway's own; the serving
satellite is the highest one; the round trip is ``2 x (user slant range + gateway slant
range) / c`` with the nearest gateway that sees it. The gateways here are test points,
not real sites.
"""

from datetime import datetime, timezone

import numpy as np
import pytest
import xarray as xr
from hybridplan.coverage import EngineOptions, SystemModel, compute_coverage
from hybridplan.coverage.engine.gateway import Gateway, GatewayTable, mask_by_gateways
from hybridplan.coverage.engine.geometry import SPEED_OF_LIGHT_KM_S
from hybridplan.tle import TimeGrid, iter_chunks, load_constellation
from hypothesis import given, settings
from hypothesis import strategies as st
from skyfield.api import EarthSatellite, load, wgs84

START = datetime(2026, 5, 30, 6, 0, tzinfo=timezone.utc)
N_STEPS, STEP_S = 40, 60.0
MIN_EL_DEG = 20.0
# Gilgit, Skardu, Muzaffarabad: centre lat, lon [deg], ground height [m]
CELLS = {
    "gilgit": (35.920, 74.308, 1500.0),
    "skardu": (35.297, 75.633, 2230.0),
    "muzaffarabad": (34.370, 73.471, 740.0),
}
# test points (not real gateways), chosen so that the rule removes some satellites
GATEWAYS = (
    Gateway("test-sw", 33.0, 71.0, 400.0, 35.0),
    Gateway("test-ne", 38.0, 78.0, 1200.0, 30.0),
)
ONE_CM_RTT_MS = 2.0 * 1e-5 / SPEED_OF_LIGHT_KM_S * 1e3
"""Round trip over a path 1 cm longer each way [ms] (6.7e-8 ms). Our ITRS positions agree
with skyfield's to well under a centimetre here (0.2 mm measured on the mean path) and
each range is rounded to 1 mm in the accumulator; a wrong serving satellite or gateway
(kilometres) is far outside it."""


@pytest.fixture(scope="module")
def case():
    lat, lon, elev = (np.array(v) for v in zip(*CELLS.values(), strict=True))
    grid = xr.Dataset(
        {"lat": ("cell", lat), "lon": ("cell", lon), "elevation_m": ("cell", elev)},
        coords={"cell": list(CELLS)},
    )
    window = TimeGrid(START, N_STEPS * STEP_S, STEP_S)
    starlink = load_constellation("bundled:starlink")
    # the 8 satellites nearest Gilgit every 10 minutes (a choice of inputs, not a result)
    probe = next(iter_chunks(starlink.element_sets, TimeGrid(START, N_STEPS * STEP_S, 600.0)))
    gilgit = wgs84.latlon(35.92, 74.308).itrs_xyz.km
    unit = probe.positions_itrs_km / np.linalg.norm(probe.positions_itrs_km, axis=2, keepdims=True)
    angle = np.nan_to_num(np.arccos(unit @ (gilgit / np.linalg.norm(gilgit))), nan=np.pi)
    chosen = np.unique(np.argsort(angle, axis=0)[:8])
    sats = starlink[chosen]
    systems = [
        SystemModel("plain", sats, MIN_EL_DEG),
        SystemModel("gated", sats, MIN_EL_DEG, gateways=GATEWAYS),
    ]
    fom = compute_coverage(
        grid,
        systems,
        window,
        terrain=False,
        antenna_height_m=0.0,
        series_cells=list(CELLS),
        options=EngineOptions(steps_per_chunk=13),
    )
    return grid, window, sats, systems, fom


def _alt_dist(element_sets, sites, window):
    """Skyfield altitude [deg] and distance [km], ``(satellite, site, step)``."""
    ts = load.timescale(builtin=True)
    s = window.start_utc
    t = ts.utc(s.year, s.month, s.day, s.hour, s.minute, window.offsets_s)
    alt = np.empty((len(element_sets), len(sites), window.n_steps))
    dist = np.empty_like(alt)
    for i, element_set in enumerate(element_sets):
        satellite = EarthSatellite(*element_set.tle_lines, ts=ts)
        for k, (lat, lon, height_m) in enumerate(sites):
            a, _, d = (satellite - wgs84.latlon(lat, lon, elevation_m=height_m)).at(t).altaz()
            alt[i, k], dist[i, k] = a.degrees, d.km
    return alt, dist


@pytest.fixture(scope="module")
def reference(case):
    """Per (cell, step): covered and the one-way path [km], plain and gated, by skyfield."""
    _, window, sats, _, _ = case
    alt, dist = _alt_dist(sats.element_sets, list(CELLS.values()), window)
    alt_g, dist_g = _alt_dist(
        sats.element_sets, [(g.lat_deg, g.lon_deg, g.height_m) for g in GATEWAYS], window
    )
    min_g = np.array([g.min_elevation_deg for g in GATEWAYS])[None, :, None]
    gateway_km = np.where(alt_g >= min_g, dist_g, np.inf).min(axis=1)  # (sat, step)
    seen = alt >= MIN_EL_DEG
    out = {"alt": alt, "alt_g": alt_g, "seen": seen, "gateway_km": gateway_km}
    for name, visible, other_km in (
        ("plain", seen, dist),
        ("gated", seen & np.isfinite(gateway_km)[:, None, :], gateway_km[:, None, :]),
    ):
        best = np.where(visible, alt, -np.inf).argmax(axis=0)[None]  # highest serves
        user_km = np.take_along_axis(dist, best, 0)[0]
        far_km = np.take_along_axis(np.broadcast_to(other_km, dist.shape), best, 0)[0]
        covered = visible.any(axis=0)
        out[name] = (visible.sum(axis=0), covered, np.where(covered, user_km + far_km, np.inf))
    return out


def _mean_rtt_ms(covered, path_km):
    with np.errstate(invalid="ignore"):
        return 2e3 * np.where(covered, path_km, 0).sum(1) / covered.sum(1) / SPEED_OF_LIGHT_KM_S


def test_reference_case_is_not_trivial(reference):
    """The rule bites (satellites the cells see are dropped for want of a gateway, at
    steps where others serve), and no elevation sits within 1e-5 deg of a threshold
    (where centimetres of position could flip a decision)."""
    seen, gateway_km = reference["seen"], reference["gateway_km"]
    dropped = seen & ~np.isfinite(gateway_km)[:, None, :]
    assert dropped.sum() > 20
    assert (dropped.any(axis=0) & reference["gated"][1]).sum() > 5
    assert np.isfinite(gateway_km).sum() > 20
    assert np.abs(reference["alt"] - MIN_EL_DEG).min() > 1e-5
    for k, g in enumerate(GATEWAYS):
        assert np.abs(reference["alt_g"][:, k] - g.min_elevation_deg).min() > 1e-5
    # both systems have steps without coverage and the gated one strictly less
    plain, gated = reference["plain"][1], reference["gated"][1]
    assert 0 < gated.sum() < plain.sum() < plain.size


def test_serve_rule_and_latency_equal_skyfield(case, reference):
    _, _, _, _, fom = case
    for name in ("plain", "gated"):
        n_visible, covered, path_km = reference[name]
        row = fom.sel(system=name)
        ours = fom["series_n_visible"].sel(system=name).transpose("series_cell", "time").values
        np.testing.assert_array_equal(ours, n_visible)
        np.testing.assert_array_equal(
            row["pct_time_covered"].values, 100.0 * covered.sum(axis=1) / N_STEPS
        )
        np.testing.assert_allclose(
            row["latency_rtt_mean_ms"].values,
            _mean_rtt_ms(covered, path_km),
            rtol=0,
            atol=ONE_CM_RTT_MS,
        )
    # with gateways the feeder link is shorter here than the user link on average, so
    # the two models differ by far more than the tolerance (the test can tell them apart)
    gap_ms = np.abs(
        fom["latency_rtt_mean_ms"].sel(system="gated").values
        - fom["latency_rtt_mean_ms"].sel(system="plain").values
    )
    assert gap_ms.max() > 1e6 * ONE_CM_RTT_MS


def test_combined_latency_is_the_shortest_path_of_the_systems(case, reference):
    """``combined`` serves through the system whose serving satellite's path is shortest."""
    _, _, _, _, fom = case
    _, cov_p, path_p = reference["plain"]
    _, cov_g, path_g = reference["gated"]
    covered = cov_p | cov_g
    path = np.minimum(path_p, path_g)
    assert (path_g < path_p).any() and (path_p < path_g).any()
    np.testing.assert_allclose(
        fom["latency_rtt_mean_ms"].sel(system="combined").values,
        _mean_rtt_ms(covered, path),
        rtol=0,
        atol=ONE_CM_RTT_MS,
    )


def test_nearest_gateway_km_equals_skyfield(case, reference):
    """The mask's gateway slant ranges per (satellite, step) against skyfield's."""
    _, window, sats, _, _ = case
    chunk = next(iter_chunks(sats.element_sets, window))
    positions = chunk.positions_itrs_km  # (sat, step, 3)
    ours = (
        GatewayTable.of(GATEWAYS).nearest_km(positions.reshape(-1, 3)).reshape(positions.shape[:2])
    )
    expected = reference["gateway_km"]
    np.testing.assert_array_equal(np.isfinite(ours), np.isfinite(expected))
    both = np.isfinite(expected)
    np.testing.assert_allclose(ours[both], expected[both], rtol=0, atol=1e-5)  # 1 cm


def test_tree_pruning_and_chunking_do_not_change_the_latency(case):
    """The best satellite (and so its gateway range) is found on two kernel paths, the
    tree's bounds and the cell-by-cell one: identical results, any chunk length."""
    grid, window, _, systems, fom = case
    for options in (EngineOptions(prune=False), EngineOptions(steps_per_chunk=7)):
        other = compute_coverage(
            grid,
            systems,
            window,
            terrain=False,
            antenna_height_m=0.0,
            series_cells=list(CELLS),
            options=options,
        )
        for name in fom.data_vars:  # attrs differ: prune=False propagates everything
            xr.testing.assert_identical(other[name], fom[name])


def test_gateways_of_one_system_leave_the_others_bit_identical(case):
    """A system without gateways is computed exactly as before the rule existed, whether
    or not another system of the run has gateways."""
    grid, window, _, systems, fom = case
    alone = compute_coverage(
        grid,
        systems[:1],
        window,
        terrain=False,
        antenna_height_m=0.0,
        series_cells=list(CELLS),
        options=EngineOptions(steps_per_chunk=13),
    )
    for name in alone.data_vars:
        if "system" in alone[name].dims:
            xr.testing.assert_identical(
                alone[name].sel(system="plain"), fom[name].sel(system="plain")
            )
    # and its latency is the equal-slant model, 4 x user slant range / c
    assert "4 x slant range / c" in fom.attrs["latency_model"]
    # the gateways used are recorded (and nothing when no system has any)
    assert fom.attrs["bent_pipe_gateways"] == (
        "gated: test-sw (33.000000 N, 71.000000 E, 400 m, >= 35 deg), "
        "test-ne (38.000000 N, 78.000000 E, 1200 m, >= 30 deg)"
    )
    assert "bent_pipe_gateways" not in alone.attrs


def test_mask_returns_gateway_ranges_aligned_with_kept_entries():
    """Per step and system: kept entries keep their order; a system without gateways
    gets -1 (the kernel's equal-slant marker) and loses nothing."""
    rng = np.random.default_rng(7)
    table = GatewayTable.of((Gateway("t", 35.0, 74.0, 0.0, 30.0),))
    # positions 550 km above random points near the gateway: some seen, some not
    lat = rng.uniform(25.0, 45.0, 24)
    lon = rng.uniform(64.0, 84.0, 24)
    positions = np.array(
        [wgs84.latlon(a, b, elevation_m=550e3).itrs_xyz.km for a, b in zip(lat, lon, strict=True)]
    )
    ptr = np.array([[0, 6, 12], [12, 18, 24]], np.int64)  # 2 steps x 2 systems
    new_ptr, kept, gateway_km = mask_by_gateways(ptr, positions, (table, None))
    nearest = table.nearest_km(positions)
    for t in range(2):
        gated = np.arange(ptr[t, 0], ptr[t, 1])
        keep = gated[np.isfinite(nearest[gated])]
        np.testing.assert_array_equal(kept[new_ptr[t, 0] : new_ptr[t, 1]], positions[keep])
        np.testing.assert_array_equal(gateway_km[new_ptr[t, 0] : new_ptr[t, 1]], nearest[keep])
        plain = np.arange(ptr[t, 1], ptr[t, 2])
        np.testing.assert_array_equal(kept[new_ptr[t, 1] : new_ptr[t, 2]], positions[plain])
        assert (gateway_km[new_ptr[t, 1] : new_ptr[t, 2]] == -1.0).all()
    assert 0 < np.isfinite(nearest[[*range(6), *range(12, 18)]]).sum() < 12


_gateway = st.builds(
    Gateway,
    st.just("g"),
    st.floats(28.0, 44.0),
    st.floats(64.0, 84.0),
    st.floats(0.0, 3000.0),
    st.floats(0.0, 60.0),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(_gateway, min_size=1, max_size=3), _gateway)
def test_adding_a_gateway_never_lengthens_a_feeder_link(gateways, extra):
    positions = np.array(
        [
            wgs84.latlon(a, b, elevation_m=550e3).itrs_xyz.km
            for a in (28.0, 33.0, 38.0, 43.0)
            for b in (66.0, 72.0, 78.0, 84.0)
        ]
    )
    before = GatewayTable.of(gateways).nearest_km(positions)
    after = GatewayTable.of([*gateways, extra]).nearest_km(positions)
    assert (after <= before).all()
    assert (np.isfinite(after) | ~np.isfinite(before)).all()


@settings(max_examples=12, deadline=None)
@given(st.lists(_gateway, min_size=1, max_size=2), _gateway)
def test_adding_a_gateway_never_removes_coverage(case, gateways, extra):
    """More gateways can only admit satellites, so coverage never drops; where a cell's
    serving satellites are the same at every step, its latency never rises (each feeder
    link can only get shorter). Latency in general is not monotone: a newly admitted,
    higher satellite can serve over a longer path, and newly covered steps change the
    mean; so the property is stated only where it holds."""
    grid, window, sats, _, _ = case
    runs = [
        compute_coverage(
            grid,
            [SystemModel("g", sats, MIN_EL_DEG, gateways=tuple(gws))],
            window,
            terrain=False,
            antenna_height_m=0.0,
            series_cells=list(CELLS),
            stk=False,
        ).sel(system="g")
        for gws in (gateways, [*gateways, extra])
    ]
    before, after = runs
    n_before = before["series_n_visible"].values
    n_after = after["series_n_visible"].values
    assert (n_after >= n_before).all()
    assert (after["pct_time_covered"].values >= before["pct_time_covered"].values).all()
    same = (n_after == n_before).all(axis=0)  # per cell: same visible sets at every step
    lat_before = before["latency_rtt_mean_ms"].values[same]
    lat_after = after["latency_rtt_mean_ms"].values[same]
    assert np.array_equal(np.isnan(lat_before), np.isnan(lat_after))
    assert (lat_after[~np.isnan(lat_after)] <= lat_before[~np.isnan(lat_before)]).all()


def test_checkpoints_of_another_gateway_set_are_refused(case, tmp_path):
    """The run token holds the gateways' exact coordinates (not a rounded repr): a
    gateway moved by 1e-7 deg (1 cm) is another run."""
    from hybridplan.coverage import CoverageError

    grid, window, sats, _, _ = case
    moved = Gateway("test-sw", 33.0 + 1e-7, 71.0, 400.0, 35.0)

    def run(gateways):
        system = SystemModel("gated", sats, MIN_EL_DEG, gateways=gateways)
        return compute_coverage(
            grid, [system], window, terrain=False, checkpoint_dir=tmp_path, stk=False
        )

    first = run(GATEWAYS)
    xr.testing.assert_identical(run(GATEWAYS), first)  # the same run resumes
    with pytest.raises(CoverageError, match="holds spans of another run"):
        run((moved, GATEWAYS[1]))
