"""The k-d tree cell graph (planning/cell_graph.py) against H3's rings, cell by cell."""

import h3
import numpy as np
import pytest
from hybridplan.coverage.planning.cell_graph import cell_graph, neighbour_pairs
from hybridplan.coverage.planning.sphere import EARTH_RADIUS_KM


def ring_graph(cells, lat_deg, lon_deg, terrain_factor):
    """The reference: H3's rings of every cell, in plain Python (network_plan's first
    cell graph)."""
    cells = [str(c) for c in np.asarray(cells)]
    index = {c: k for k, c in enumerate(cells)}
    ei, ej = [], []
    for i, c in enumerate(cells):
        for n in h3.grid_ring(c, 1):
            j = index.get(n)
            if j is not None and j > i:
                ei.append(i)
                ej.append(j)
    ei = np.array(ei, dtype=np.int64)
    ej = np.array(ej, dtype=np.int64)
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    a = (np.sin((lat[ej] - lat[ei]) / 2) ** 2
         + np.cos(lat[ei]) * np.cos(lat[ej]) * np.sin((lon[ej] - lon[ei]) / 2) ** 2)
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    factor = np.asarray(terrain_factor, dtype=np.float64)
    return ei, ej, km, km * 0.5 * (factor[ei] + factor[ej])


def _sorted(graph, n):
    i, j, km, wkm = graph
    order = np.argsort(i * n + j)
    return i[order], j[order], km[order], wkm[order]


def _cells(kind: str) -> list[str]:
    rng = np.random.default_rng(11)
    if kind == "holes":  # a disc around Gilgit at res 7 with a third of its cells dropped
        disc = sorted(h3.grid_disk(h3.latlng_to_cell(35.92, 74.31, 7), 25))
        return [c for c in disc if rng.random() > 0.33]
    if kind == "pentagon":  # around a res-4 pentagon: five neighbours, distorted hexagons
        return sorted(h3.grid_disk(h3.get_pentagons(4)[0], 6))
    return sorted(h3.grid_disk(h3.latlng_to_cell(24.86, 67.0, 6), 30))  # Karachi, res 6


@pytest.mark.parametrize("kind", ["holes", "pentagon", "plain"])
def test_the_same_edges_and_lengths_as_the_rings(kind):
    cells = _cells(kind)
    n = len(cells)
    centres = np.array([h3.cell_to_latlng(c) for c in cells])
    factor = np.random.default_rng(2).uniform(1.0, 3.0, n)
    want = _sorted(ring_graph(cells, centres[:, 0], centres[:, 1], factor), n)
    got = cell_graph(cells, centres[:, 0], centres[:, 1], factor)
    for a, b in zip(got[:2], want[:2], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(got[2], want[2], rtol=0, atol=1e-12)  # km
    np.testing.assert_allclose(got[3], want[3], rtol=0, atol=1e-12)
    # wrong "centres" are noticed and H3's are used instead
    i, j = neighbour_pairs(cells, centres[:, 0] + 0.01, centres[:, 1])
    np.testing.assert_array_equal(i, want[0])
    np.testing.assert_array_equal(j, want[1])


def test_tiny_grids():
    one = [h3.latlng_to_cell(35.0, 74.0, 7)]
    assert [a.size for a in neighbour_pairs(one)] == [0, 0]
    two = [one[0], sorted(h3.grid_ring(one[0], 1))[0]]
    i, j = neighbour_pairs(two)
    assert i.tolist() == [0] and j.tolist() == [1]
