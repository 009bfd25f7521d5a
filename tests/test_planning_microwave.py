"""Microwave line of sight: geometry against hand numbers (research/backhaul-anchors.md
§2.2 sanity table), a ridge of known height, the batched kernel against a plain profile
march on 1,000 random profiles of a synthetic DEM, and relay chains on a toy graph."""

import math

import numpy as np
import pytest
from hybridplan.coverage.planning.microwave import (
    HOP_COST_SOURCE,
    MicrowaveError,
    band_reach_km,
    candidate_links,
    check_links,
    earth_bulge_m,
    fresnel_radius_m,
    hop_cost_usd,
    knife_edge_loss_db,
    profile_points,
    relay_chains,
    worst_case_k,
)


def test_fresnel_and_bulge_hand_numbers_30_km_at_7_ghz():
    # 17.32 * sqrt(15 * 15 / (7 * 30)) = 17.93 m; 15 * 15 / (2 * 4/3 * 6371) km = 13.24 m
    assert fresnel_radius_m(15.0, 15.0, 7.0) == pytest.approx(17.93, abs=0.005)
    assert earth_bulge_m(15.0, 15.0, 4 / 3) == pytest.approx(13.24, abs=0.005)
    # The rest of the sanity table: 10 km at 7 GHz 10.4 m, 50 km at 18 GHz 14.4 m;
    # bulge 50 km at k = 0.6: 81.8 m.
    np.testing.assert_allclose(
        fresnel_radius_m([5.0, 25.0], [5.0, 25.0], [7.0, 18.0]), [10.35, 14.43], atol=0.01
    )
    assert earth_bulge_m(25.0, 25.0, 0.6) == pytest.approx(81.75, abs=0.01)
    np.testing.assert_array_equal(
        worst_case_k([10.0, 15.0, 30.0, 50.0, 60.0]), [0.8, 0.8, 0.7, 0.7, 0.6]
    )
    np.testing.assert_array_equal(band_reach_km([7.0, 13.0, 18.0]), [50.0, 30.0, 15.0])
    np.testing.assert_array_equal(hop_cost_usd([10.0, 20.0, 40.0]), [30e3, 40e3, 80e3])
    assert "pytal" in HOP_COST_SOURCE


def test_knife_edge_loss_p526():
    # J(0) = 6.9 + 20 log10(sqrt(1.01) - 0.1) = 6.03 dB; J(-1) = 0; J(1) = 6.9 + 20 log10(sqrt(1.81) + 0.9) = 13.93 dB
    np.testing.assert_allclose(
        knife_edge_loss_db([0.0, -1.0, 1.0]), [6.033, 0.0, 13.926], atol=0.002
    )


def ridge_profile(ridge_m: float, path_km: float = 30.0, n: int = 61):
    distance = np.linspace(0.0, path_km, n)
    height = np.zeros(n)
    height[n // 2] = ridge_m
    return height[None, :], distance


def test_a_ridge_of_known_height_fails_by_the_computed_margin():
    height, distance = ridge_profile(10.0)
    r = check_links(height, distance, 30.0, 30.0, 7.0)
    # Median state: 30 m line of sight - 10 m ridge - 13.24 m bulge - 17.93 m F1 = -11.17 m.
    bulge_med = 15 * 15 / (2 * 4 / 3 * 6371) * 1000
    f1 = 17.32 * math.sqrt(15 * 15 / (7 * 30))
    assert r.margin_median_m[0] == pytest.approx(30 - 10 - bulge_med - f1, abs=1e-9)
    assert r.margin_median_m[0] == pytest.approx(-11.17, abs=0.01)
    # Worst state, 30 km -> k_e = 0.7: 30 - 10 - 25.23 - 0.6 * 17.93 = -15.99 m.
    bulge_worst = 15 * 15 / (2 * 0.7 * 6371) * 1000
    assert r.margin_worst_m[0] == pytest.approx(30 - 10 - bulge_worst - 0.6 * f1, abs=1e-9)
    assert r.bottleneck_km[0] == pytest.approx(15.0)
    assert not r.feasible[0] and not r.clear_median[0] and not r.clear_worst[0]
    # Raise both masts by the margin it failed by (+1 cm): the median state clears.
    up = check_links(
        height, distance, 30 - r.margin_median_m[0] + 0.01, 30 - r.margin_median_m[0] + 0.01, 7.0
    )
    assert up.clear_median[0] and up.margin_median_m[0] == pytest.approx(0.01, abs=1e-9)
    assert not up.clear_worst[0]  # 0.6 F1 at k = 0.7 needs 4.82 m more
    assert up.margin_worst_m[0] == pytest.approx(0.01 + (bulge_med + f1) - (bulge_worst + 0.6 * f1))
    # Obstacle 11.17 m into the zone: nu = 11.17 * sqrt(2 * 30e3 / (lambda 15e3 * 15e3)).
    nu = (10 + bulge_med - 30) * math.sqrt(2 * 30e3 / (0.299792458 / 7 * 15e3 * 15e3))
    assert r.diffraction_loss_db[0] == pytest.approx(float(knife_edge_loss_db(nu)), abs=1e-9)


def test_reach_and_unknown_terrain_make_a_link_infeasible():
    distance = np.linspace(0.0, 40.0, 41)
    height = np.where((distance > 0) & (distance < 40), -200.0, 0.0)[None, :]  # a gorge
    r = check_links(np.vstack([height, height, height]), distance, 30.0, 30.0, [7.0, 13.0, 7.0])
    np.testing.assert_array_equal(r.within_reach, [True, False, True])
    assert r.feasible[0] and not r.feasible[1]
    nan_profile = height.copy()
    nan_profile[0, 5] = np.nan
    r = check_links(nan_profile, distance, 30.0, 30.0, 7.0)
    assert not r.feasible[0] and np.isnan(r.margin_median_m[0])


def synthetic_dem(seed: int = 3):
    """A 100 km x 100 km DEM at 250 m: a valley floor at 1,500 m and 40 Gaussian peaks."""
    rng = np.random.default_rng(seed)
    axis = np.arange(0.0, 100.0 + 1e-9, 0.25)
    x, y = np.meshgrid(axis, axis, indexing="ij")
    dem = np.full(x.shape, 1_500.0)
    for cx, cy, h, s in zip(
        rng.uniform(0, 100, 40),
        rng.uniform(0, 100, 40),
        rng.uniform(200, 2_500, 40),
        rng.uniform(1, 8, 40),
        strict=True,
    ):
        dem += h * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * s * s))
    return axis, dem


def bilinear(axis, dem, px, py):
    step = axis[1] - axis[0]
    fx, fy = px / step, py / step
    ix = np.clip(np.floor(fx).astype(int), 0, axis.size - 2)
    iy = np.clip(np.floor(fy).astype(int), 0, axis.size - 2)
    tx, ty = fx - ix, fy - iy
    return (
        (1 - tx) * (1 - ty) * dem[ix, iy]
        + tx * (1 - ty) * dem[ix + 1, iy]
        + (1 - tx) * ty * dem[ix, iy + 1]
        + tx * ty * dem[ix + 1, iy + 1]
    )


def march(height, distance, mast_a, mast_b, freq):
    """Brute force: walk the profile sample by sample with the math module only."""
    big_d = distance[-1]
    ha, hb = height[0] + mast_a, height[-1] + mast_b
    k_worst = 0.8 if big_d <= 15 else 0.7 if big_d <= 50 else 0.6
    med, worst = math.inf, math.inf
    for d1, h in zip(distance[1:-1], height[1:-1], strict=True):
        d2 = big_d - d1
        los = ha + (hb - ha) * d1 / big_d
        f1 = 17.32 * math.sqrt(d1 * d2 / (freq * big_d))
        med = min(med, los - h - d1 * d2 / (2 * 4 / 3 * 6371) * 1000 - f1)
        worst = min(worst, los - h - d1 * d2 / (2 * k_worst * 6371) * 1000 - 0.6 * f1)
    return med, worst


def test_batched_links_equal_a_brute_force_march_on_1000_profiles():
    axis, dem = synthetic_dem()
    rng = np.random.default_rng(11)
    n, samples = 1_000, 81
    a = rng.uniform(5, 95, (n, 2))
    angle = rng.uniform(0, 2 * np.pi, n)
    length = rng.uniform(1, 55, n)
    b = np.clip(a + length[:, None] * np.c_[np.cos(angle), np.sin(angle)], 0, 100)
    path = np.linalg.norm(b - a, axis=1)
    t = np.linspace(0, 1, samples)
    px = a[:, :1] + (b[:, :1] - a[:, :1]) * t
    py = a[:, 1:] + (b[:, 1:] - a[:, 1:]) * t
    height = bilinear(axis, dem, px, py)
    distance = path[:, None] * t
    mast_a, mast_b = rng.uniform(10, 60, n), rng.uniform(10, 60, n)
    freq = rng.choice([7.0, 11.0, 18.0], n)
    r = check_links(height, distance, mast_a, mast_b, freq)
    ref = np.array([march(height[k], distance[k], mast_a[k], mast_b[k], freq[k]) for k in range(n)])
    np.testing.assert_allclose(r.margin_median_m, ref[:, 0], rtol=0, atol=1e-6)
    np.testing.assert_allclose(r.margin_worst_m, ref[:, 1], rtol=0, atol=1e-6)
    within = path <= np.where(freq <= 8, 50, np.where(freq <= 13, 30, 15))
    np.testing.assert_array_equal(r.feasible, within & (ref[:, 0] >= 0) & (ref[:, 1] >= 0))
    assert 0 < r.feasible.sum() < n  # the DEM has both clear and blocked links


def test_relay_chain_over_a_ridge_relay():
    # Sites: 0 = PoP on the network, 1 = ridge relay, 2 = village, 3 = village behind 2.
    links = np.array([[0, 1, 20.0, 1], [1, 2, 10.0, 1], [0, 2, 35.0, 0], [2, 3, 5.0, 1]])
    chains = relay_chains(
        4,
        links[:, 0],
        links[:, 1],
        links[:, 2],
        links[:, 3] > 0,
        on_network=[True, False, False, False],
        relay_only=[False, True, False, False],
        demand_mbps=[0.0, 0.0, 120.0, 500.0],
    )
    # 0-1: 40k (15-30 km) + relay site 100k; 1-2: 30k; 2-3: 30k.
    np.testing.assert_allclose(chains.capex_usd, [0.0, 140e3, 170e3, 200e3])
    np.testing.assert_array_equal(chains.hops, [0, 1, 2, 3])
    assert chains.path(3) == [3, 2, 1, 0]
    np.testing.assert_array_equal(chains.capacity_ok, [True, True, True, False])
    np.testing.assert_allclose(chains.opex_usd_per_year, 0.10 * chains.capex_usd)
    lonely = relay_chains(2, [0], [1], [10.0], [False], [True, False], [False, False])
    assert np.isinf(lonely.capex_usd[1]) and lonely.hops[1] == -1 and lonely.path(1) == []


def test_bad_profiles_are_refused_with_the_fix():
    with pytest.raises(MicrowaveError, match=r"expected shape \(n_link, n_sample >= 3\)"):
        check_links(np.zeros((2, 2)), np.array([0.0, 1.0]), 10, 10, 7)
    with pytest.raises(MicrowaveError, match="starting at 0 and increasing"):
        check_links(np.zeros((1, 3)), np.array([0.0, 2.0, 1.0]), 10, 10, 7)
    with pytest.raises(MicrowaveError, match="expected > 0 GHz"):
        check_links(np.zeros((1, 3)), np.array([0.0, 1.0, 2.0]), 10, 10, 0)


def test_candidate_links_equal_brute_force_and_profiles_follow_the_great_circle():
    rng = np.random.default_rng(5)
    lat, lon = rng.uniform(34.5, 36.5, 300), rng.uniform(72.5, 76.5, 300)
    a, b, km = candidate_links(lat, lon, 30.0)
    la, lo = np.radians(lat), np.radians(lon)
    hav = (
        np.sin((la[:, None] - la[None, :]) / 2) ** 2
        + np.cos(la[:, None]) * np.cos(la[None, :]) * np.sin((lo[:, None] - lo[None, :]) / 2) ** 2
    )
    dist = 2 * 6371.0 * np.arcsin(np.sqrt(hav))  # haversine, all pairs
    i, j = np.nonzero(np.triu(dist <= 30.0, k=1))
    np.testing.assert_array_equal(np.c_[a, b], np.c_[i, j])
    np.testing.assert_allclose(km, dist[i, j], atol=1e-6)
    plat, plon, pkm = profile_points(lat[a], lon[a], lat[b], lon[b], 11)
    np.testing.assert_allclose(plat[:, 0], lat[a], atol=1e-9)
    np.testing.assert_allclose(plon[:, -1], lon[b], atol=1e-9)
    np.testing.assert_allclose(pkm[:, -1], km, atol=1e-6)
    step = (
        2
        * 6371.0
        * np.arcsin(
            np.sqrt(
                np.sin(np.radians(np.diff(plat, axis=1)) / 2) ** 2
                + np.cos(np.radians(plat[:, 1:]))
                * np.cos(np.radians(plat[:, :-1]))
                * np.sin(np.radians(np.diff(plon, axis=1)) / 2) ** 2
            )
        )
    )
    np.testing.assert_allclose(step, (km / 10)[:, None] * np.ones((1, 10)), atol=1e-6)
