"""The engine against an independent skyfield computation (alt/az per satellite, per
cell, per step): identical visible sets, and figures of merit equal within floating-point
tolerance. Reference: skyfield ``(satellite - wgs84.latlon(...)).at(t).altaz()``
(geometric, no refraction), horizon sectors applied in the test itself."""

from datetime import datetime, timezone

import numpy as np
import pytest
import xarray as xr
from hybridplan.coverage import EngineOptions, SystemModel, compute_coverage
from hybridplan.tle import TimeGrid, iter_chunks, load_constellation
from skyfield.api import EarthSatellite, load, wgs84

START = datetime(2026, 5, 30, 6, 0, tzinfo=timezone.utc)
N_STEPS, STEP_S = 40, 60.0
K = 72
# Gilgit, Skardu, Muzaffarabad, Karimabad (Hunza): centre lat, lon, terrain height
CELLS = {"gilgit": (35.920, 74.308, 1500.0), "skardu": (35.297, 75.633, 2230.0),
         "muzaffarabad": (34.370, 73.471, 740.0), "karimabad": (36.323, 74.663, 2400.0)}


def _horizons():
    """Synthetic skylines: two deep valleys (walls up to 38 deg), two open sites."""
    az = (np.arange(K) + 0.5) * 360.0 / K
    walls = 24.0 + 14.0 * np.cos(np.radians(2.0 * (az - 40.0)))
    return np.stack([walls, np.full(K, 2.0), 8.0 + 6.0 * np.sin(np.radians(3.0 * az)),
                     walls[::-1]])


@pytest.fixture(scope="module")
def case():
    lat, lon, elev = (np.array(v) for v in zip(*CELLS.values(), strict=True))
    grid = xr.Dataset(
        {"lat": ("cell", lat), "lon": ("cell", lon), "elevation_m": ("cell", elev),
         "horizon_deg": (("cell", "azimuth"), _horizons())},
        coords={"cell": list(CELLS), "azimuth_deg": ("azimuth", (np.arange(K) + 0.5) * 5.0)})
    window = TimeGrid(START, N_STEPS * STEP_S, STEP_S)
    starlink = load_constellation("bundled:starlink")
    # pick 14 satellites passing near Gilgit during the window (choice only, no result)
    probe = next(iter_chunks(starlink.element_sets, TimeGrid(START, 1200.0, 1200.0)))
    gilgit = wgs84.latlon(35.92, 74.308).itrs_xyz.km
    unit = probe.positions_itrs_km[:, 0] / np.linalg.norm(probe.positions_itrs_km[:, 0], axis=1,
                                                        keepdims=True)
    angle = np.degrees(np.arccos(unit @ (gilgit / np.linalg.norm(gilgit))))
    chosen = np.argsort(angle)[:14]
    sats = starlink[np.sort(chosen)]
    paksat = load_constellation("bundled:geo").select(name="PAKSAT")
    systems = [SystemModel(f"s{i}", sats[[i]], 20.0) for i in range(len(sats))]
    systems += [SystemModel(f"g{i}", paksat[[i]], 10.0) for i in range(len(paksat))]
    systems.append(SystemModel("all", sats, 20.0, n_required=3))
    fom = compute_coverage(grid, systems, window, terrain=True, antenna_height_m=0.0,
                           series_cells=list(CELLS), options=EngineOptions(steps_per_chunk=13))
    return grid, window, sats, paksat, systems, fom


def _skyfield_alt_az(element_sets, window):
    ts = load.timescale(builtin=True)
    s = window.start_utc
    t = ts.utc(s.year, s.month, s.day, s.hour, s.minute, window.offsets_s)
    alt = np.empty((len(element_sets), len(CELLS), window.n_steps))
    az, dist = np.empty_like(alt), np.empty_like(alt)
    for i, element_set in enumerate(element_sets):
        satellite = EarthSatellite(*element_set.tle_lines, ts=ts)
        for k, (lat, lon, elev) in enumerate(CELLS.values()):
            a, z, d = (satellite - wgs84.latlon(lat, lon, elevation_m=elev)).at(t).altaz()
            alt[i, k], az[i, k], dist[i, k] = a.degrees, z.degrees, d.km
    return alt, az, dist


def _visible(alt, az, min_el):
    horizon = _horizons()
    sector = np.minimum((az / (360.0 / K)).astype(int), K - 1)
    walls = np.take_along_axis(np.broadcast_to(horizon[None, :, None, :],
                                               alt.shape + (K,)), sector[..., None], -1)[..., 0]
    return (alt >= min_el) & (alt > walls), walls


def test_visible_sets_identical_to_skyfield(case):
    grid, window, sats, paksat, systems, fom = case
    for constellation, prefix, min_el in ((sats, "s", 20.0), (paksat, "g", 10.0)):
        alt, az, _ = _skyfield_alt_az(constellation.element_sets, window)
        reference, walls = _visible(alt, az, min_el)
        names = [f"{prefix}{i}" for i in range(len(constellation))]
        ours = fom["series_n_visible"].sel(system=names).transpose("system", "series_cell",
                                                                  "time").values
        assert set(np.unique(ours)) <= {0, 1}
        np.testing.assert_array_equal(ours == 1, reference)
        # the check means something: many pairs are cut by the mask or the terrain, and none
        # sits within 1e-5 deg of a threshold (where 1 m of position could flip it)
        above = alt >= min_el
        assert above.sum() > 20 and (above & ~reference).sum() > 5
        margin = np.minimum(np.abs(alt - min_el), np.abs(alt - walls))
        assert margin.min() > 1e-5


def test_figures_of_merit_equal_skyfield_within_float_tolerance(case):
    grid, window, sats, paksat, systems, fom = case
    alt, az, dist = _skyfield_alt_az(sats.element_sets, window)
    visible, _ = _visible(alt, az, 20.0)
    n_visible = visible.sum(axis=0)                      # (cell, step)
    covered = n_visible > 0
    row = fom.sel(system="all")
    np.testing.assert_array_equal(row["pct_time_covered"].values,
                                  100.0 * covered.sum(axis=1) / N_STEPS)
    np.testing.assert_allclose(row["n_visible_mean"].values, n_visible.mean(axis=1), rtol=1e-15)
    np.testing.assert_array_equal(row["n_visible_min"].values, n_visible.min(axis=1))
    np.testing.assert_array_equal(row["n_visible_max"].values, n_visible.max(axis=1))
    np.testing.assert_array_equal(row["pct_time_n_or_more"].values,
                                  100.0 * (n_visible >= 3).sum(axis=1) / N_STEPS)
    best = np.where(visible, alt, -np.inf).max(axis=0)
    best_index = np.where(visible, alt, -np.inf).argmax(axis=0)
    slant = np.take_along_axis(dist, best_index[None], 0)[0]
    with np.errstate(invalid="ignore"):
        best_mean = np.where(covered, best, 0).sum(1) / covered.sum(1)
        rtt_ms = 4e3 * np.where(covered, slant, 0).sum(1) / covered.sum(1) / 299792.458
    np.testing.assert_allclose(row["best_elevation_mean_deg"].values, best_mean, rtol=0,
                               atol=2e-5)                  # 1 m at 500+ km is 1e-4 deg
    np.testing.assert_allclose(row["latency_rtt_mean_ms"].values, rtt_ms, rtol=0, atol=1e-4)
    for k in range(len(CELLS)):
        gaps = [len(run) for run in "".join("x" if c else "." for c in covered[k]).split("x")
                if run]
        assert row["max_gap_s"].values[k] == max(gaps, default=0) * STEP_S
        assert row["n_gaps"].values[k] == len(gaps)
    assert (row["pct_time_covered"] < 100).any(), "some gaps, so the gap check bites"
    series = fom["series_best_elevation_deg"].sel(system="all").transpose("series_cell",
                                                                           "time").values
    np.testing.assert_allclose(series[covered], best.T.T[covered], rtol=0, atol=2e-5)
    assert np.isnan(series[~covered]).all()
