"""The compiled cell-tree build against its definition.

The split: every node of more than ``leaf_size`` cells gives its ``n // 2`` cells of
smallest coordinate along its widest axis to the left child (ties in any order); the
nodes are numbered in pre-order. The node statistics: the numpy formulation the tree
was first built with (kept here as the reference), to 1e-9 km / 1e-12 rad.
"""

import numpy as np
import pytest
from hybridplan.coverage.engine.celltree import (
    _node_statistics,
    _partition,
    build_cell_tree,
)
from hybridplan.coverage.engine.geometry import GSO_RADIUS_KM
from hypothesis import example, given, settings
from hypothesis import strategies as st


def _reference_statistics(pos, ups, top, lo, hi):
    """Node columns by numpy over each node's cells (one node at a time)."""
    rows = []
    for a, b in zip(lo, hi, strict=True):
        p, u = pos[a:b], ups[a:b]
        centre = p.mean(axis=0)
        mean_up = u.sum(axis=0)
        mean_up /= np.linalg.norm(mean_up)
        radius = np.linalg.norm(p - centre, axis=1).max()
        chord = np.linalg.norm(u - mean_up, axis=1).max()
        spread = 2.0 * np.arcsin(min(chord / 2.0, 1.0))
        highest = top[a:b].max()
        norm = np.linalg.norm(centre)
        parallax = radius / (GSO_RADIUS_KM - norm)
        east = np.cross([0.0, 0.0, 1.0], mean_up)
        east = east / np.linalg.norm(east) if np.linalg.norm(east) > 1e-12 else np.array([0, 1.0, 0])
        north = np.cross(mean_up, east)
        offsets = (p - centre) @ np.stack([east, north, mean_up], axis=1)
        low, high = offsets.min(axis=0), offsets.max(axis=0)
        pad = 1e-9 * (1.0 + np.maximum(np.abs(low), np.abs(high)).max())
        box = np.stack([low - pad, high + pad], axis=1).ravel()
        rows.append(np.concatenate([
            centre, [radius], mean_up, [spread, highest, norm, np.cos(spread), np.sin(spread),
                                        np.sin(highest), np.cos(highest), parallax,
                                        np.sqrt(1.0 - parallax**2)], east, north, box]))
    return np.array(rows)


def _check_split(positions, order, links, leaf_size):
    n = len(positions)
    assert np.array_equal(np.sort(order), np.arange(n))
    assert links[0, 0] == 0 and links[0, 1] == n and links[0, 4] == -1
    seen = np.zeros(len(links), dtype=int)
    assert links.shape[1] == 5
    for node, (lo, hi, left, right, parent) in enumerate(links):
        if parent >= 0:
            assert parent < node  # pre-order
            seen[node] += 1
        if left < 0:
            assert right < 0 and 0 < hi - lo <= leaf_size
            continue
        assert hi - lo > leaf_size
        assert left == node + 1  # the left subtree comes first
        half = (hi - lo) // 2
        assert tuple(links[left, :2]) == (lo, lo + half) and tuple(links[right, :2]) == (lo + half, hi)
        assert links[left, 4] == node == links[right, 4]
        cells = positions[order[lo:hi]]
        extent = cells.max(axis=0) - cells.min(axis=0)
        axis = int(np.argmax(extent))
        assert positions[order[lo:lo + half], axis].max() <= positions[order[lo + half:hi], axis].min()
    assert seen[1:].tolist() == [1] * (len(links) - 1)  # every node but the root has a parent


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 400),
    leaf_size=st.integers(1, 12),
    distinct=st.integers(1, 50),
    seed=st.integers(0, 2**31 - 1),
)
@example(n=300, leaf_size=1, distinct=1, seed=0)  # every cell at one point
@example(n=257, leaf_size=8, distinct=2, seed=5)
@example(n=64, leaf_size=2, distinct=4, seed=2)  # the first widest axis on a tie
def test_the_split_follows_its_definition_with_ties(n, leaf_size, distinct, seed):
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.5, 3.0, 3) if seed % 2 else np.ones(3)  # even seeds: equal extents
    positions = rng.integers(0, distinct, (n, 3)).astype(np.float64) * scale
    order, links, depth = _partition(positions, leaf_size)
    _check_split(positions, order, links, leaf_size)
    depths = np.zeros(len(links), int)
    for node in range(1, len(links)):
        depths[node] = depths[links[node, 4]] + 1
    assert depth == depths.max() + 1


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 300), seed=st.integers(0, 2**31 - 1), pole=st.booleans())
@example(n=1, seed=0, pole=True)
def test_the_node_statistics_match_the_numpy_definition(n, seed, pole):
    rng = np.random.default_rng(seed)
    lat = np.full(n, 90.0) if pole else rng.uniform(30.0, 45.0, n)
    lon = rng.uniform(60.0, 80.0, n)
    horizon_deg = rng.uniform(-2, 30, (n, 6))
    tree = build_cell_tree(lat, lon, rng.uniform(0.0, 6.0, n), horizon_deg, 4)
    _check_split(tree.cell_data[:, :3], np.arange(n), tree.node_links, 4)
    top = np.radians(horizon_deg).max(axis=1)[tree.order]
    got = _node_statistics(tree.cell_data[:, :3], tree.cell_data[:, 3:6], top,
                           tree.node_links[:, 0], tree.node_links[:, 1])
    assert np.array_equal(got, tree.node_data)
    want = _reference_statistics(tree.cell_data[:, :3], tree.cell_data[:, 3:6], top,
                                 tree.node_links[:, 0], tree.node_links[:, 1])
    km = [0, 1, 2, 3, 9] + list(range(22, 28))
    rad = [c for c in range(28) if c not in km]
    np.testing.assert_allclose(got[:, km], want[:, km], rtol=0, atol=1e-9)
    np.testing.assert_allclose(got[:, rad], want[:, rad], rtol=0, atol=1e-12)
    # the depth is the longest root-to-leaf path
    depth = np.zeros(tree.n_nodes, int)
    for node in range(1, tree.n_nodes):
        depth[node] = depth[tree.node_links[node, 4]] + 1
    assert tree.depth == depth.max() + 1


def test_a_national_size_grid_builds_a_balanced_tree():
    rng = np.random.default_rng(11)
    n = 100_000
    lat, lon = rng.uniform(24.0, 37.0, n), rng.uniform(61.0, 78.0, n)
    tree = build_cell_tree(lat, lon, np.zeros(n), None, 8)
    assert tree.depth == int(np.ceil(np.log2(n / 8))) + 1
    assert tree.node_links.shape == (tree.n_nodes, 5) and tree.node_data.shape == (tree.n_nodes, 28)
    with pytest.raises(ValueError, match="no cells"):
        build_cell_tree(np.zeros(0), np.zeros(0), np.zeros(0))
