"""The kernel's tree walk (all satellites of a step at once) against its unpruned run and
an independent brute force: the visible counts, open-sky flags and the best satellite of
every cell agree exactly, whatever the size of the entry buffer it starts with."""

import numpy as np
import pytest
from hybridplan.coverage.engine import kernel
from hybridplan.coverage.engine.celltree import build_cell_tree
from hybridplan.coverage.engine.geometry import geodetic_to_ecef_km

N_AZIMUTH = 24
STEPS = 3


def make_tree(seed, n_cells=2500):
    rng = np.random.default_rng(seed)
    lat = rng.uniform(24.0, 37.0, n_cells)
    lon = rng.uniform(61.0, 77.0, n_cells)
    height_km = rng.uniform(0.0, 4.0, n_cells)
    # open plains (whole nodes clear of the terrain) and one cell in ten in the mountains
    # (horizons above the minimum elevation: the per-cell azimuth test)
    horizon_deg = np.clip(rng.normal(2.0, 3.0, (n_cells, N_AZIMUTH)), -1.0, 20.0)
    hills = rng.random(n_cells) < 0.1
    horizon_deg[hills] = np.clip(rng.normal(20.0, 12.0, (hills.sum(), N_AZIMUTH)), -1.0, 45.0)
    return build_cell_tree(lat, lon, height_km, horizon_deg)


def make_satellites(seed, n_leo=40, n_geo=3):
    """Per step: LEO satellites at 550 km over and around the region, and GSO ones."""
    rng = np.random.default_rng(seed + 1)
    blocks = []
    n = n_leo + n_geo
    for _ in range(STEPS):
        lat = rng.uniform(5.0, 55.0, n_leo)
        lon = rng.uniform(40.0, 100.0, n_leo)
        leo = geodetic_to_ecef_km(lat, lon, np.full(n_leo, 550.0))
        geo_lon = np.linspace(38.0, 98.0, n_geo)
        geo = geodetic_to_ecef_km(np.zeros(n_geo), geo_lon, np.full(n_geo, 35786.0))
        blocks.append(np.vstack([leo, geo]))
    ptr = np.array([[k * n, (k + 1) * n] for k in range(STEPS)], np.int64)
    gw_km = rng.uniform(800.0, 2500.0, STEPS * n)  # gateway slant ranges
    return ptr, np.ascontiguousarray(np.vstack(blocks)), gw_km


def system_row(min_el_deg, band_deg, n_required=2):
    row = np.zeros(kernel.N_SYS_COLUMNS)
    el, band = np.radians(min_el_deg), np.radians(band_deg)
    row[kernel.S_SIN_MIN], row[kernel.S_COS_MIN], row[kernel.S_MIN_EL] = np.sin(el), np.cos(el), el
    row[kernel.S_BAND], row[kernel.S_SIN_BAND], row[kernel.S_COS_BAND] = (
        band,
        np.sin(band),
        np.cos(band),
    )
    row[kernel.S_BAND_ON] = 1.0 if band_deg > 0 else 0.0
    row[kernel.S_N_REQ] = n_required
    return row


def walk(tree, ptr, sat_pos, gw_km, row, terrain, prune, ent_rows):
    """One system over the steps; returns the per-step arrays and the entry buffer."""
    n_cells = tree.n_cells
    shape = (STEPS, n_cells)
    out = [
        np.zeros(shape, np.int32),
        np.zeros(shape, np.int8),
        np.zeros(shape, np.int8),
        np.zeros(shape),
        np.zeros(shape),
        np.zeros(shape),
    ]
    ent, _ = kernel._system_steps(
        ptr,
        0,
        sat_pos,
        gw_km,
        row,
        terrain,
        prune,
        tree.cell_data,
        tree.sin_horizon,
        tree.node_data,
        tree.node_links,
        tree.depth,
        *out,
        np.empty((ent_rows, 4)),
        np.empty(ent_rows, np.int64),
        np.full(tree.n_nodes, -1, np.int64),
        np.zeros(tree.n_nodes, np.int8),
        np.ascontiguousarray(tree.cell_data[:, :6].T),
    )
    return out, ent


@pytest.mark.parametrize("seed", [3, 11])
def test_walk_equals_unpruned_and_any_entry_buffer(seed):
    tree = make_tree(seed)
    ptr, sat_pos, gw_km = make_satellites(seed, n_leo=160)  # many overlapping footprints
    row = system_row(25.0, 18.0)
    pruned, ent = walk(tree, ptr, sat_pos, gw_km, row, True, True, 1024)
    unpruned, _ = walk(tree, ptr, sat_pos, gw_km, row, True, False, 1024)
    small, grown = walk(tree, ptr, sat_pos, gw_km, row, True, True, 2)
    assert grown.shape[0] > 2  # the buffer had to grow mid-step and the step was redone
    for a, b, c in zip(pruned, unpruned, small, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    n_vis = pruned[0]
    assert n_vis.max() >= 10 and (n_vis < n_vis.max()).mean() > 0.5
    assert (pruned[1] >= (n_vis > 0)).all()  # visible implies open sky


def test_walk_equals_brute_force_without_band_and_terrain():
    tree = make_tree(5)
    ptr, sat_pos, gw_km = make_satellites(5, n_geo=0)
    row = system_row(30.0, 0.0)
    (n_vis, open_cov, req_ok, best_sin, best_d2, best_gw), _ = walk(
        tree, ptr, sat_pos, gw_km, row, False, True, 1024
    )
    cells = tree.cell_data
    for t in range(STEPS):
        sats = sat_pos[ptr[t, 0] : ptr[t, 1]]
        d = sats[None, :, :] - cells[:, None, :3]
        d2 = (d**2).sum(axis=2)
        sin_el = (d * cells[:, None, 3:6]).sum(axis=2) / np.sqrt(d2)
        visible = sin_el >= np.sin(np.radians(30.0))
        np.testing.assert_array_equal(n_vis[t], visible.sum(axis=1))
        np.testing.assert_array_equal(open_cov[t], visible.any(axis=1))
        np.testing.assert_array_equal(req_ok[t], visible.sum(axis=1) >= 2)
        seen = visible.any(axis=1)
        best = np.where(visible, sin_el, -2.0).argmax(axis=1)
        rows = np.arange(len(cells))
        # sine of the elevation to 1e-12 (6e-11 degree), slant range to 1e-9 km
        np.testing.assert_allclose(best_sin[t][seen], sin_el[rows, best][seen], rtol=0, atol=1e-12)
        np.testing.assert_allclose(
            np.sqrt(best_d2[t][seen]), np.sqrt(d2[rows, best][seen]), rtol=0, atol=1e-9
        )
        np.testing.assert_array_equal(best_gw[t][seen], gw_km[ptr[t, 0] + best][seen])
    assert 0.3 < (n_vis > 0).mean() < 0.99  # covered and uncovered cells both tested
