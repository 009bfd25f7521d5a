"""The compiled link test's shortcuts (planning/microwave.py): the bisection order of the
profile samples and the box bound that settles clear links without their profile."""

import numpy as np
from hybridplan.coverage.planning.microwave import (
    _path_height_max,
    candidate_links,
    check_links,
    feasible_on_grid,
    middle_first,
    profile_points,
    unit_vectors,
)
from hybridplan.grids import load_dem
from hypothesis import given, settings
from hypothesis import strategies as st


def test_middle_first_visits_every_interior_sample_once_middle_first():
    assert middle_first(3).tolist() == [1]
    assert middle_first(5).tolist() == [2, 1, 3]
    assert middle_first(32)[:4].tolist() == [15, 7, 23, 3]
    for n in range(3, 70):
        order = middle_first(n)
        assert sorted(order.tolist()) == list(range(1, n - 1))


@given(
    lat=st.floats(24.0, 37.0),
    lon=st.floats(61.0, 77.0),
    km=st.floats(0.5, 60.0),
    bearing_deg=st.floats(0.0, 360.0),
)
@settings(max_examples=60, deadline=None)
def test_the_box_bound_is_above_every_height_of_the_path(lat, lon, km, bearing_deg):
    """_path_height_max >= the DEM's bilinear height at 400 points of the arc (the
    kernel's 32 samples are among such points), on plains and in the Karakoram."""
    dem = load_dem()
    ang = km / 6371.0
    b_lat = np.degrees(
        np.arcsin(
            np.sin(np.radians(lat)) * np.cos(ang)
            + np.cos(np.radians(lat)) * np.sin(ang) * np.cos(np.radians(bearing_deg))
        )
    )
    b_lon = lon + np.degrees(
        np.arctan2(
            np.sin(np.radians(bearing_deg)) * np.sin(ang) * np.cos(np.radians(lat)),
            np.cos(ang) - np.sin(np.radians(lat)) * np.sin(np.radians(b_lat)),
        )
    )
    xyz = unit_vectors(np.array([lat, b_lat]), np.array([lon, b_lon]))
    omega = float(np.arccos(np.clip(xyz[0] @ xyz[1], -1.0, 1.0)))
    grid = np.ascontiguousarray(dem.elevation, dtype=np.float64)
    bound = _path_height_max(
        xyz[0], xyz[1], omega, grid, dem.lat0_deg, dem.dlat_deg, dem.lon0_deg, dem.dlon_deg
    )
    p_lat, p_lon, _ = profile_points([lat], [lon], [b_lat], [b_lon], 400)
    heights = dem.elevation_m(p_lat, p_lon)
    assert np.isfinite(bound)  # the bundled grid covers Pakistan without voids
    assert np.nanmax(heights) <= bound
    # and it is the box's highest grid point, not a loose global one (K2 is 8611 m)
    assert bound <= np.nanmax(dem.elevation) + 1e-3


def test_the_shortcut_settles_plains_links_and_keeps_the_answer():
    """On the Punjab plain most short hops clear the box bound, so the shortcut is taken;
    the answer equals profile_points + check_links on every hop."""
    dem = load_dem()
    rng = np.random.default_rng(11)
    lat = np.concatenate([rng.uniform(30.5, 31.3, 80), rng.uniform(35.5, 36.3, 40)])
    lon = np.concatenate([rng.uniform(72.5, 73.5, 80), rng.uniform(74.0, 75.0, 40)])
    a, b, _ = candidate_links(lat, lon, 30.0)
    got = feasible_on_grid(
        lat,
        lon,
        a,
        b,
        dem.elevation,
        dem.lat0_deg,
        dem.dlat_deg,
        dem.lon0_deg,
        dem.dlon_deg,
        n_samples=32,
        mast_m=30.0,
        freq_ghz=7.0,
    )
    p_lat, p_lon, dist = profile_points(lat[a], lon[a], lat[b], lon[b], 32)
    want = check_links(dem.elevation_m(p_lat, p_lon), dist, 30.0, 30.0, 7.0).feasible
    np.testing.assert_array_equal(got, want)
    # count the hops the box bound alone proves clear: the shortcut is exercised
    xyz = unit_vectors(lat, lon)
    grid = np.ascontiguousarray(dem.elevation, dtype=np.float64)
    bounds = np.array(
        [
            _path_height_max(
                xyz[i],
                xyz[j],
                float(np.arccos(np.clip(xyz[i] @ xyz[j], -1.0, 1.0))),
                grid,
                dem.lat0_deg,
                dem.dlat_deg,
                dem.lon0_deg,
                dem.dlon_deg,
            )
            for i, j in zip(a, b, strict=True)
        ]
    )
    n = dist.shape[1]
    flat = np.broadcast_to(bounds[:, None], (a.size, n)).copy()
    flat[:, 0] = dem.elevation_m(lat[a], lon[a])
    flat[:, -1] = dem.elevation_m(lat[b], lon[b])
    proven = check_links(flat, dist, 30.0, 30.0, 7.0).feasible
    assert proven.sum() > 0.2 * want.sum()
    assert not (proven & ~want).any()
