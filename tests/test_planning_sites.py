"""Demand sites: clusters of settlements, people shared from cells, costs back to cells.

References are independent of the code under test: clusters against a brute-force
union-find over all pairs (great-circle distances from the haversine formula), and the
resolution property against the points themselves.
"""

import h3
import numpy as np
import pytest
from hybridplan.coverage.planning.sites import EARTH_RADIUS_KM, cluster_points, demand_sites
from hypothesis import given, settings
from hypothesis import strategies as st


def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def brute_leaders(lat, lon, weight, radius_km):
    """Leader clustering written plainly: heaviest free point first, all pairs."""
    order = sorted(range(len(lat)), key=lambda k: (-weight[k], k))
    label = [-1] * len(lat)
    site = 0
    for leader in order:
        if label[leader] >= 0:
            continue
        for k in range(len(lat)):
            if label[k] < 0 and haversine_km(lat[leader], lon[leader], lat[k], lon[k]) <= radius_km:
                label[k] = site
        label[leader] = site
        site += 1
    return label


points = st.lists(st.tuples(st.floats(35.0, 35.4), st.floats(74.0, 74.5),
                            st.integers(1, 5000)), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(points, st.floats(0.0, 12.0))
def test_clusters_equal_a_plain_leader_clustering(pts, radius_km):
    lat, lon, weight = (np.array(v, dtype=float) for v in zip(*pts, strict=True))
    labels = cluster_points(lat, lon, radius_km, weight)
    expected = brute_leaders(lat, lon, weight, radius_km * (1 - 1e-9))
    expected_up = brute_leaders(lat, lon, weight, radius_km * (1 + 1e-9))
    assert labels.tolist() in (expected, expected_up)
    # every site spans at most twice the radius
    for k in np.unique(labels):
        members = np.flatnonzero(labels == k)
        d = haversine_km(lat[members, None], lon[members, None], lat[None, members],
                         lon[None, members])
        assert d.max() <= 2 * radius_km * (1 + 1e-9) + 1e-9


def _grid_around(lat, lon, resolution):
    cells = sorted({c for a, b in zip(lat, lon, strict=True)
                    for c in h3.grid_disk(h3.latlng_to_cell(a, b, resolution), 1)})
    centre = np.array([h3.cell_to_latlng(c) for c in cells])
    area = np.array([h3.cell_area(c, unit="km^2") for c in cells])
    return np.array(cells), centre[:, 0], centre[:, 1], area


@pytest.mark.parametrize("resolution", [6, 7, 8, 9])
def test_sites_are_a_property_of_the_ground_not_the_grid(resolution):
    """People at the points: the sites' populations are the clusters' populations at
    every resolution, and the cells' allocated costs add up to the sites' costs."""
    rng = np.random.default_rng(7)
    lat = 35.9 + rng.uniform(0, 0.25, 60)
    lon = 74.3 + rng.uniform(0, 0.3, 60)
    people = rng.integers(20, 3000, 60).astype(float)
    cells, clat, clon, area = _grid_around(lat, lon, resolution)
    point_cell = np.array([h3.latlng_to_cell(a, b, resolution) for a, b in zip(lat, lon,
                                                                                strict=True)])
    population = np.array([people[point_cell == c].sum() for c in cells])
    sites = demand_sites(cells, clat, clon, population, np.sqrt(2 * area / (3 * np.sqrt(3))),
                         point_cell, lat, lon, people, 3.0)
    labels = cluster_points(lat, lon, 3.0, people)
    expected = np.sort(np.bincount(labels, weights=people))
    np.testing.assert_allclose(np.sort(sites.population), expected, rtol=1e-12)
    assert (sites.n_points > 0).all()
    # conservation and allocation
    row_sums = np.asarray(sites.share.sum(axis=1)).reshape(-1)
    np.testing.assert_allclose(row_sums[population > 0], 1.0, rtol=1e-12)
    cost = rng.uniform(1e4, 1e6, sites.n_sites)
    cell_cost = sites.allocate_to_cells(cost, population)
    np.testing.assert_allclose(np.nansum(cell_cost), cost.sum(), rtol=1e-12)
    assert np.isnan(cell_cost[population == 0]).all()


def test_cells_without_points_join_a_site_in_reach_or_stand_alone():
    cells = np.array(["a", "b", "c"])
    lat = np.array([35.0, 35.02, 36.0])  # b is 2.2 km from a's point; c is 110 km away
    lon = np.array([74.0, 74.0, 74.0])
    sites = demand_sites(cells, lat, lon, np.array([100.0, 40.0, 10.0]), 1.2,
                         np.array(["a"]), np.array([35.0]), np.array([74.0]),
                         np.array([1.0]), 3.0)
    assert sites.n_sites == 2
    np.testing.assert_allclose(sorted(sites.population), [10.0, 140.0])
    assert sites.main_site[0] == sites.main_site[1] != sites.main_site[2]
    assert sites.n_points[sites.main_site[2]] == 0  # dispersed


def test_site_statistics_over_cells():
    cells = np.array(["a", "b"])
    sites = demand_sites(cells, np.array([35.0, 35.01]), np.array([74.0, 74.0]),
                         np.array([300.0, 100.0]), 1.0, np.array(["a", "b"]),
                         np.array([35.0, 35.01]), np.array([74.0, 74.0]),
                         np.array([1.0, 1.0]), 3.0)
    assert sites.n_sites == 1
    np.testing.assert_allclose(sites.min_over_cells(np.array([7.0, 3.0])), [3.0])
    np.testing.assert_allclose(sites.mean_over_cells(np.array([100.0, 80.0]),
                                                     np.array([300.0, 100.0])), [95.0])
    np.testing.assert_allclose(sites.sum_over_cells(np.array([300.0, 100.0])), [400.0])


@pytest.mark.parametrize("resolution", [7, 8])
def test_dispersed_people_form_fixed_patches_at_every_resolution(resolution):
    """No settlement point: people spread evenly form one site per res-6 patch, the same
    patches (and people) whatever the grid's resolution."""
    patch = h3.latlng_to_cell(36.2, 74.4, 6)
    cells = np.array(sorted(h3.cell_to_children(patch, resolution)))
    centre = np.array([h3.cell_to_latlng(c) for c in cells])
    inside = np.array([h3.latlng_to_cell(a, b, 6) == patch for a, b in centre])
    cells, centre = cells[inside], centre[inside]
    population = np.full(cells.size, 10.0)
    sites = demand_sites(cells, centre[:, 0], centre[:, 1], population, 0.5,
                         np.zeros(0, str), np.zeros(0), np.zeros(0), np.zeros(0), 3.0)
    assert sites.n_sites == 1 and sites.n_points[0] == 0
    np.testing.assert_allclose(sites.population, population.sum())
    lat, lon = h3.cell_to_latlng(patch)
    assert abs(sites.lat_deg[0] - lat) < 0.02 and abs(sites.lon_deg[0] - lon) < 0.02


def _sites_from_share(share):
    from hybridplan.coverage.planning.sites import Sites
    from scipy.sparse import csr_matrix

    share = csr_matrix(share)
    n_cell, n_site = share.shape
    return Sites(np.zeros(n_site), np.zeros(n_site), np.ones(n_site), np.ones(n_site, int),
                 share, np.full(n_cell, -1), 3.0, np.zeros(0, int))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 12),
    st.integers(1, 4),
    st.integers(0, 2**32 - 1),
    st.floats(0.0, 100.0),
)
def test_a_site_mean_of_equal_values_is_that_value_and_any_mean_stays_in_range(
    n_cell, n_site, seed, value
):
    """Floating point may round a weighted mean a few ulp outside the values it averages
    (99.0 everywhere read 98.99999999999999 at res 6, so a 99 % criterion failed for
    one site at res 6 and held at res 7 and 8). Reference: the plain definition, each
    site's cells listed by hand."""
    rng = np.random.default_rng(seed)
    share = rng.uniform(0.0, 1.0, (n_cell, n_site)) * (rng.uniform(size=(n_cell, n_site)) < 0.7)
    weight = rng.uniform(1.0, 5000.0, n_cell).round()
    sites = _sites_from_share(share)
    equal = sites.mean_over_cells(np.full(n_cell, value), weight)
    varied_values = rng.uniform(0.0, 100.0, n_cell)
    varied = sites.mean_over_cells(varied_values, weight)
    for s in range(n_site):
        held = share[:, s] * weight > 0
        if not held.any():
            assert np.isnan(equal[s]) and np.isnan(varied[s])
            continue
        assert equal[s] == value  # exactly
        w = share[held, s] * weight[held]
        reference = float(np.sum(w * varied_values[held]) / np.sum(w))
        assert varied_values[held].min() <= varied[s] <= varied_values[held].max()
        assert abs(varied[s] - reference) <= 1e-12 * max(1.0, abs(reference))
