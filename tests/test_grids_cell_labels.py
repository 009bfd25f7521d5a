"""Cell labels of build_grid (grids/hexgrid.py ``_label_cells``): the per-part prepared
``intersects_xy`` pass gives, index for index, the former rule (an STRtree of the parts
queried with one point per cell, first match on shared borders, nearest part off the
region), on real districts with points on their shared borders and outside."""

import h3
import numpy as np
import shapely
from hybridplan.grids import load_region
from hybridplan.grids.hexgrid import _label_cells
from hypothesis import given, settings
from hypothesis import strategies as st


def _former(region, lat, lon) -> np.ndarray:
    geoms = np.array([p.geometry for p in region.parts], dtype=object)
    tree = shapely.STRtree(geoms)
    points = shapely.points(lon, lat)
    owner = np.full(lat.size, -1, dtype=np.int64)
    pairs = tree.query(points, predicate="intersects")
    owner[pairs[0][::-1]] = pairs[1][::-1]
    missing = np.flatnonzero(owner < 0)
    if missing.size:
        near = tree.query_nearest(points[missing], all_matches=False)
        owner[missing[near[0]]] = near[1]
    return owner


REGION = load_region("Gilgit-Baltistan")


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 100_000))
def test_labels_are_the_former_rules(seed):
    rng = np.random.default_rng(seed)
    west, south, east, north = REGION.geometry.bounds
    # random points over the box and beyond it (some in no part), and the parts' own
    # vertices (on shared borders: in two or three parts)
    lat = rng.uniform(south - 0.5, north + 0.5, 3000)
    lon = rng.uniform(west - 0.5, east + 0.5, 3000)
    vertices = np.concatenate([shapely.get_coordinates(p.geometry) for p in REGION.parts], axis=0)
    pick = rng.choice(len(vertices), 400, replace=False)
    lat = np.concatenate([lat, vertices[pick, 1]])
    lon = np.concatenate([lon, vertices[pick, 0]])
    got = _label_cells(REGION, lat, lon)
    want = _former(REGION, lat, lon)
    assert (got >= 0).all()
    np.testing.assert_array_equal(got, want)


@settings(max_examples=5, deadline=None)
@given(st.integers(0, 100_000))
def test_grid_units_are_the_per_cell_lookup(seed):
    """``population._grid_units`` looks each distinct (province, district) up once:
    the same unit per cell as one look-up per cell, with unknown pairs (-1) and a
    district name under the wrong province among them."""
    from hybridplan.grids import build_grid
    from hybridplan.grids import population as pop

    rng = np.random.default_rng(seed)
    grid = build_grid(REGION, 6)
    province = grid["province"].values.astype(object)
    district = grid["district"].values.astype(object)
    swap = rng.random(province.size) < 0.1
    province[swap] = "Punjab"  # a real province, not these districts'
    district[rng.random(district.size) < 0.05] = "Nowhere"
    grid = grid.assign(
        province=("cell", province.astype(str)), district=("cell", district.astype(str))
    )
    lookup = pop._units().index()
    want = [
        lookup.get((str(p), str(d)), -1)
        for p, d in zip(grid["province"].values, grid["district"].values, strict=True)
    ]
    got, _ = pop._grid_units(grid)
    assert (np.asarray(want) >= 0).any() and (np.asarray(want) < 0).any()
    np.testing.assert_array_equal(got, np.array(want, dtype=np.int64))


def test_build_grid_from_64_bit_indices_is_the_string_path():
    """build_grid fills, sorts and measures the cells as 64-bit indices: the same cells
    (h3's strings), order, centres and areas as the string API gives them."""
    from hybridplan.grids import build_grid

    region = load_region("Hunza")
    grid = build_grid(region, 8)
    cells = list(grid["cell"].values)
    fill = set(h3.h3shape_to_cells(h3.geo_to_h3shape(region.geometry.__geo_interface__), 8))
    assert set(cells) == fill and len(cells) == 13_416
    assert cells == sorted(cells)
    want = np.array([h3.cell_to_latlng(c) for c in cells])
    np.testing.assert_array_equal(grid["lat"].values, want[:, 0])
    np.testing.assert_array_equal(grid["lon"].values, want[:, 1])
    area = [h3.cell_area(c, unit="km^2") for c in cells]
    np.testing.assert_array_equal(grid["area_km2"].values, area)
