"""hexgeom by arrays (parents by H3 index arithmetic, rings per size group) against H3."""

import h3
import numpy as np
from hybridplan.reports import hexgeom
from hypothesis import given, settings
from hypothesis import strategies as st


@given(seed=st.integers(0, 2**31 - 1), own=st.integers(1, 15), data=st.data())
@settings(max_examples=40, deadline=None)
def test_parents_are_h3s(seed, own, data):
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(-89.0, 89.0, 300), rng.uniform(-179.0, 179.0, 300)
    lat[:50], lon[:50] = rng.uniform(24.0, 37.0, 50), rng.uniform(61.0, 77.0, 50)
    cells = [h3.latlng_to_cell(a, b, own) for a, b in zip(lat, lon, strict=True)]
    cells += [h3.cell_to_center_child(p, own) for p in h3.get_pentagons(0)[:3]] if own else []
    target = data.draw(st.integers(0, own))
    got = hexgeom.parents(cells, target)
    assert got.dtype == object
    assert list(got) == [h3.cell_to_parent(c, target) for c in cells]


def test_overview_resolution_is_the_finest_within_the_limit():
    rng = np.random.default_rng(5)
    cells = [
        h3.latlng_to_cell(a, b, 7)
        for a, b in zip(rng.uniform(24, 37, 5000), rng.uniform(61, 77, 5000), strict=True)
    ]
    for limit in (10, 300, 3000, 4999):
        res = hexgeom.auto_overview_resolution(cells, limit)
        count = {r: len({h3.cell_to_parent(c, r) for c in cells}) for r in range(0, 7)}
        assert count[res] <= limit or res == 0
        assert res == 6 or count[res + 1] > limit
    assert hexgeom.auto_overview_resolution(cells, 5000) == 7


def test_coarser_than_the_cells_is_refused_as_h3_does():
    cell = h3.latlng_to_cell(35.9, 74.3, 5)
    try:
        hexgeom.parents([cell], 6)
    except h3.H3BaseException:
        return
    raise AssertionError("a parent finer than the cell was accepted")


@given(seed=st.integers(0, 2**31 - 1), res=st.integers(0, 12))
@settings(max_examples=20, deadline=None)
def test_rings_by_group_are_the_cell_by_cell_rings(seed, res):
    """rings_lnglat / ring_groups (one array per ring size) == boundary_lnglat per cell,
    hexagons, pentagons and cells with distortion vertices (next to a pentagon) alike."""
    rng = np.random.default_rng(seed)
    cells = [
        h3.latlng_to_cell(a, b, res)
        for a, b in zip(rng.uniform(-85, 85, 200), rng.uniform(-179, 179, 200), strict=True)
    ]
    pentagons = list(h3.get_pentagons(res))[:4]
    cells += pentagons + [n for p in pentagons for n in h3.grid_ring(p, 1)]
    got = hexgeom.rings_lnglat(cells)
    for cell, ring in zip(cells, got, strict=True):
        want = hexgeom.boundary_lnglat(cell)
        assert ring.shape == want.shape
        np.testing.assert_array_equal(ring, want)
    assert len({len(r) for r in got}) >= 2  # pentagons and hexagons both seen
