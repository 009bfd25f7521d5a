"""The analytic case (Wertz & Larson, SMAD 3rd ed., eqs. 5-15 to 5-18): one satellite on a
circular equatorial orbit, seen from cells on the equator, is above the minimum elevation
for the fraction lambda / pi of the time, lambda = arccos(R cos(el) / r) - el the Earth
central angle of its footprint (over whole synodic periods relative to the rotating Earth).
"""

from datetime import datetime, timezone

import numpy as np
import pytest
import xarray as xr
from hybridplan.coverage import EngineOptions, SystemModel, compute_coverage
from hybridplan.coverage.engine.geometry import WGS84_A_KM, footprint_central_angle_rad
from hybridplan.tle import Constellation, TimeGrid, WalkerShell
from hybridplan.tle.propagate import builtin_timescale, gmst_angles_rad, propagate_arrays
from sgp4.api import SatrecArray

START = datetime(2026, 5, 30, tzinfo=timezone.utc)


def _orbit(satellite: Constellation, hours: float = 4.0):
    """Mean geocentric radius [km] and Earth-fixed angular rate [rad/s], from SGP4 itself."""
    grid = TimeGrid(START, hours * 3600.0, 10.0)
    whole, fraction = grid.julian_dates_utc()
    positions, errors = propagate_arrays(SatrecArray([satellite.element_sets[0].to_satrec()]),
                                         whole, fraction,
                                         gmst_angles_rad(grid, slice(None), builtin_timescale()))
    assert not errors.any()
    xyz = positions[0]
    longitude = np.unwrap(np.arctan2(xyz[:, 1], xyz[:, 0]))
    rate = np.polyfit(grid.offsets_s, longitude, 1)[0]
    return np.linalg.norm(xyz, axis=1), rate


@pytest.mark.parametrize("altitude_km, min_el, step_s", [(550.0, 25.0, 0.25),
                                                         (1200.0, 10.0, 1.0)])
def test_equatorial_orbit_covers_equator_cells_lambda_over_pi(altitude_km, min_el, step_s):
    shell = WalkerShell("equatorial", altitude_km, 0.0, planes=1, sats_per_plane=1, phasing=0)
    satellite = Constellation.from_walker(shell, START)
    radius, rate = _orbit(satellite)
    assert radius.std() < 1.0  # [km] circular: the radius is steady
    synodic_s = 2 * np.pi / abs(rate)
    periods = 3
    duration = round(periods * synodic_s / step_s) * step_s
    lam = footprint_central_angle_rad(radius.mean(), min_el, WGS84_A_KM)
    lon = np.array([0.0, 37.0, 101.5, 222.2, 300.0])
    grid = xr.Dataset({"lat": ("cell", np.zeros(5)), "lon": ("cell", lon),
                       "elevation_m": ("cell", np.zeros(5))},
                      coords={"cell": [f"eq{i}" for i in range(5)]})
    fom = compute_coverage(grid, [SystemModel("equatorial", satellite, min_el)],
                           TimeGrid(START, duration, step_s), terrain=False,
                           options=EngineOptions(steps_per_chunk=5000))
    fraction = fom["pct_time_covered"].sel(system="equatorial").values / 100.0
    expected = lam / np.pi
    relative = np.abs(fraction / expected - 1.0)
    print(f"lambda/pi = {expected:.6f}; worst relative error {relative.max():.2e}")
    assert relative.max() < 0.002, f"lambda/pi = {expected:.6f}, got {fraction}"
    # each cell sees exactly `periods` passes: one gap between consecutive passes
    assert set(fom["n_gaps"].sel(system="equatorial").values) <= {periods, periods + 1}
