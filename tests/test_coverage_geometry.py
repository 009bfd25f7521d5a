"""Geometry: WGS84 positions and look angles against skyfield, the footprint formula, the
GSO-arc separation (Newton) against brute force, and the cell tree's bounds."""

import numpy as np
import pytest
from hybridplan.coverage.engine.celltree import build_cell_tree
from hybridplan.coverage.engine.geometry import (
    GSO_RADIUS_KM,
    enu_basis,
    footprint_central_angle_rad,
    geodetic_to_ecef_km,
    gso_arc_separation_deg,
    look_angles_deg,
)
from hybridplan.coverage.engine.kernel import gso_separation_rad
from skyfield.api import load, wgs84

ONE_MM_KM = 1e-6


def test_ecef_matches_skyfield_wgs84_for_scalars_and_arrays():
    lat = np.array([0.0, 35.9, -33.4, 89.9, 36.5])
    lon = np.array([0.0, 74.3, 151.2, -45.0, 75.1])
    elev_m = np.array([0.0, 1500.0, 20.0, 2900.0, 8611.0])  # K2's summit last
    ours = geodetic_to_ecef_km(lat, lon, elev_m / 1000.0)
    assert ours.shape == (5, 3)
    for i in range(5):
        theirs = wgs84.latlon(lat[i], lon[i], elevation_m=elev_m[i]).itrs_xyz.km
        np.testing.assert_allclose(ours[i], theirs, rtol=0, atol=ONE_MM_KM)
        np.testing.assert_allclose(geodetic_to_ecef_km(lat[i], lon[i], elev_m[i] / 1000.0),
                                   theirs, rtol=0, atol=ONE_MM_KM)


def test_look_angles_match_skyfield_altaz():
    ts = load.timescale(builtin=True)
    t = ts.utc(2026, 5, 30, 12)
    observer = wgs84.latlon(35.9, 74.3, elevation_m=1500.0)
    east, north, up = enu_basis(35.9, 74.3)
    origin = geodetic_to_ecef_km(35.9, 74.3, 1.5)
    rng = np.random.default_rng(4)
    for _ in range(20):  # satellite-like points 300-2000 km up, within 15 deg
        lat, lon = 35.9 + rng.uniform(-15, 15), 74.3 + rng.uniform(-15, 15)
        height_km = rng.uniform(300, 2000)
        target = wgs84.latlon(lat, lon, elevation_m=height_km * 1000.0)
        alt, az, dist = (target - observer).at(t).altaz()
        el, azimuth, rng_km = look_angles_deg(origin, east, north, up,
                                              geodetic_to_ecef_km(lat, lon, height_km))
        assert el == pytest.approx(alt.degrees, abs=1e-7)
        assert azimuth == pytest.approx(az.degrees, abs=1e-7)
        assert rng_km == pytest.approx(dist.km, abs=1e-6)


def test_footprint_central_angle_textbook_value_and_arrays():
    # Starlink at 550 km, 25 deg: lambda = arccos(R cos 25 / (R + h)) - 25 = 8.45 deg
    r_e = 6378.137
    lam = np.degrees(footprint_central_angle_rad(r_e + 550.0, 25.0, r_e))
    expected = np.degrees(np.arccos(r_e * np.cos(np.radians(25)) / (r_e + 550))) - 25.0
    assert lam == pytest.approx(expected, abs=1e-12)
    assert lam == pytest.approx(8.45, abs=0.01)
    # zenith only at 90 deg; horizon at 0 deg: arccos(R / r)
    assert footprint_central_angle_rad(r_e + 550.0, 90.0, r_e) == pytest.approx(0.0, abs=1e-12)
    assert footprint_central_angle_rad(r_e + 550.0, 0.0, r_e) == pytest.approx(
        np.arccos(r_e / (r_e + 550.0)))
    arr = footprint_central_angle_rad(np.array([r_e + 550, r_e + 1200]), np.array([25, 10]), r_e)
    assert arr.shape == (2,) and arr[1] > arr[0]


def test_gso_separation_newton_equals_brute_force():
    """The engine's Newton iteration against dense sampling + golden section."""
    rng = np.random.default_rng(7)
    worst = 0.0
    for _ in range(40):
        lat, lon = rng.uniform(-60, 60), rng.uniform(-180, 180)
        p = geodetic_to_ecef_km(lat, lon, rng.uniform(0, 5))
        d = rng.normal(size=(25, 3))
        up = p / np.linalg.norm(p)
        d[:, :] += up * 1.5  # mostly above the horizon, like the satellites that matter
        reference = gso_arc_separation_deg(p, d)
        ours = np.degrees([gso_separation_rad(*p, *v) for v in d])
        worst = max(worst, np.abs(ours - reference).max())
    assert worst < 1e-7, f"worst difference {worst:.2e} deg"


def test_gso_separation_of_a_point_on_the_arc_is_zero_and_of_the_pole_large():
    p = geodetic_to_ecef_km(35.0, 75.0, 2.0)
    on_arc = GSO_RADIUS_KM * np.array([np.cos(np.radians(38.2)), np.sin(np.radians(38.2)), 0.0])
    assert np.degrees(gso_separation_rad(*p, *(on_arc - p))) == pytest.approx(0.0, abs=1e-6)
    assert np.degrees(gso_separation_rad(*p, 0.0, 0.0, 1.0)) > 60.0


def test_cell_tree_bounds_hold_for_every_cell():
    """Each node's radius and vertical spread bound its cells (what the kernel relies on)."""
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(34, 36, 500), rng.uniform(74, 76, 500)
    height = rng.uniform(0.5, 6.0, 500)
    tree = build_cell_tree(lat, lon, height, rng.uniform(0, 20, (500, 8)), leaf_size=8)
    assert sorted(tree.order.tolist()) == list(range(500))
    positions = tree.cell_data[:, :3]
    ups = tree.cell_data[:, 3:6]
    for node in range(tree.n_nodes):
        lo, hi, left, right, parent = tree.node_links[node]
        centre, radius = tree.node_data[node, :3], tree.node_data[node, 3]
        assert np.linalg.norm(positions[lo:hi] - centre, axis=1).max() <= radius + 1e-9
        angles = np.arccos(np.clip(ups[lo:hi] @ tree.node_data[node, 4:7], -1, 1))
        assert angles.max() <= tree.node_data[node, 7] + 1e-9
        horizon = np.arcsin(tree.sin_horizon[lo:hi]).max()
        assert horizon == pytest.approx(tree.node_data[node, 8], abs=1e-12)
        if left >= 0:
            assert tree.node_links[left, 0] == lo and tree.node_links[right, 1] == hi
            assert tree.node_links[left, 4] == node == tree.node_links[right, 4]
        else:
            assert hi - lo <= 8


def test_the_horizon_sector_check_runs_on_real_grids():
    """A real grid's sectors (``azimuth_deg`` from hybridplan.grids) are checked: shifted
    sector centres are refused, the grid as built passes."""
    import pytest
    from hybridplan.coverage.engine import ground_from_grid
    from hybridplan.coverage.errors import CoverageError
    from hybridplan.grids import add_terrain, build_grid, load_dem, load_region

    grid = add_terrain(build_grid(load_region("Hunza"), 5), load_dem(), n_azimuth=36,
                       max_distance_km=20)
    assert "azimuth_deg" in grid.variables
    ground_from_grid(grid, terrain=True)
    shifted = grid.assign_coords(azimuth_deg=grid["azimuth_deg"] + 2.0)
    with pytest.raises(CoverageError, match="equal sectors from north"):
        ground_from_grid(shifted, terrain=True)
