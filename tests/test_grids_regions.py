"""Regions and the H3 grid (hybridplan.grids.regions, .hexgrid).

Reference values: H3's own cell areas (``h3.cell_area``) as an independent second
computation of our geodesic polygon area; cell counts/areas of GB+AJK from the issue.
"""

import json

import h3
import numpy as np
import pytest
import shapely
from hybridplan.grids import (
    BoundaryFileError,
    CoordinateError,
    GridError,
    RegionError,
    ResolutionError,
    build_grid,
    list_regions,
    load_region,
)
from hybridplan.grids._geo import geodesic_area_km2, great_circle_km, validate_latlon
from shapely.geometry import Polygon

GB_AJK = "Gilgit-Baltistan + Azad Jammu and Kashmir"


@pytest.fixture(scope="module")
def gb_ajk_grid():
    return build_grid(GB_AJK, 7)


def test_geodesic_area_matches_h3_cell_area():
    """One quantity two ways: our spherical-excess area of an H3 hexagon = h3.cell_area."""
    for lat, lon, res in [(35.9, 74.3, 5), (0.0, 0.0, 4), (-60.0, 170.0, 6), (24.9, 67.0, 9)]:
        cell = h3.latlng_to_cell(lat, lon, res)
        ring = [(lng, la) for la, lng in h3.cell_to_boundary(cell)]  # edge: (lat,lng) -> (lon,lat)
        assert geodesic_area_km2(Polygon(ring)) == pytest.approx(
            h3.cell_area(cell, "km^2"), rel=1e-6
        )


def test_geodesic_area_of_a_spherical_cap_quadrant():
    """A lat/lon box 0..10 N x 0..10 E has area R^2 * dlon * (sin 10 - sin 0) (meridian and
    equator edges are great circles; the 10 N edge is not, so densify it)."""
    top = [(lon, 10.0) for lon in np.linspace(10, 0, 2001)]
    box = Polygon([(0, 0), (10, 0), *top, (0, 0)])
    expected = 6371.0072**2 * np.radians(10) * np.sin(np.radians(10))
    assert geodesic_area_km2(box) == pytest.approx(expected, rel=1e-5)


def test_gb_ajk_cell_count_and_area(gb_ajk_grid):
    g = gb_ajk_grid
    assert 13_500 <= g.sizes["cell"] <= 14_100
    assert float(g.area_km2.mean()) == pytest.approx(5.9, abs=0.1)
    polygon_km2 = load_region(GB_AJK).area_km2
    assert polygon_km2 == pytest.approx(81_500, rel=0.01)
    assert float(g.area_km2.sum()) == pytest.approx(polygon_km2, rel=0.02)
    assert g.attrs["region_area_km2"] == pytest.approx(polygon_km2)


def test_grid_schema(gb_ajk_grid):
    g = gb_ajk_grid
    assert list(g.dims) == ["cell"]
    for name in ("lat", "lon", "area_km2", "district", "province"):
        assert g[name].dims == ("cell",)
        assert {"units", "long_name"} <= set(g[name].attrs)
    assert g.lat.attrs["units"] == "degrees_north" and g.lon.attrs["units"] == "degrees_east"
    assert list(g.cell.values) == sorted(g.cell.values)
    assert all(h3.get_resolution(c) == 7 for c in g.cell.values[:50])
    assert set(np.unique(g.province.values)) == {"Gilgit-Baltistan", "Azad Jammu and Kashmir"}
    # GB's 14 current districts (OCHA COD-AB 2022) + AJK as one unit
    assert len(np.unique(g.district.values)) == 15
    assert {"Darel", "Tangir", "Gupis-Yasin", "Rondu"} <= set(g.district.values)
    assert "geoBoundaries" in g.attrs["region_source"]
    assert "COD-AB" in g.attrs["region_source"] and "CC BY-IGO" in g.attrs["region_source"]


def test_lat_lon_edge_is_not_swapped(gb_ajk_grid):
    """The Gilgit town cell: centre near (35.92 N, 74.31 E), district Gilgit."""
    cell = h3.latlng_to_cell(35.9187, 74.3124, 7)
    row = gb_ajk_grid.sel(cell=cell)
    assert float(row.lat) == pytest.approx(35.92, abs=0.03)
    assert float(row.lon) == pytest.approx(74.31, abs=0.03)
    assert str(row.district.values) == "Gilgit"
    # every centre lies inside the bounds of the outline (lon is x, lat is y)
    minx, miny, maxx, maxy = load_region(GB_AJK).bounds_deg
    lon, lat = gb_ajk_grid.lon.values, gb_ajk_grid.lat.values
    assert ((lon >= minx) & (lon <= maxx)).all() and ((lat >= miny) & (lat <= maxy)).all()


def test_membership_rule_centre_inside():
    region = load_region("Hunza")
    grid = build_grid(region, 6)
    pts = shapely.points(grid.lon.values, grid.lat.values)
    inside = shapely.contains(region.geometry, pts) | shapely.touches(region.geometry, pts)
    assert inside.mean() > 0.99
    # a neighbour ring cell whose centre is outside is not included
    ring = set().union(*(h3.grid_ring(c, 1) for c in grid.cell.values)) - set(grid.cell.values)
    lat_lon = np.array([h3.cell_to_latlng(c) for c in ring])
    outside = ~shapely.contains(region.geometry, shapely.points(lat_lon[:, 1], lat_lon[:, 0]))
    assert outside.mean() > 0.99


def test_small_district_at_coarse_resolution_keeps_a_cell():
    grid = build_grid("Islamabad Capital Territory", 3)
    assert grid.sizes["cell"] == 1
    assert str(grid.district.values[0]) == "Islamabad Capital Territory"


def test_names_aliases_and_unions():
    assert load_region("gilgit baltistan").name == "Gilgit-Baltistan"
    assert load_region("GB").name == "Gilgit-Baltistan"
    assert load_region("AJK").name == "Azad Jammu and Kashmir"
    assert load_region("azad  KASHMIR").parts[0].province == "Azad Jammu and Kashmir"
    union = load_region(["Gilgit-Baltistan", "Azad Jammu and Kashmir"])
    assert union.name == GB_AJK
    assert load_region(GB_AJK).area_km2 == pytest.approx(union.area_km2)
    kp = load_region("Khyber Pakhtunkhwa")
    assert {p.province for p in kp.parts} == {"Khyber Pakhtunkhwa"}
    assert len(kp.parts) == 30  # 25 + 5 ex-FATA
    assert "Kyrgyzstan" in list_regions("country")
    assert "Hunza" in list_regions("district")
    assert "Gilgit-Baltistan" in list_regions("province")
    kg = load_region("Kyrgyzstan")
    assert "Natural Earth" in kg.source


def test_province_outline_from_districts_vs_natural_earth():
    districts = load_region("Gilgit-Baltistan")
    natural_earth = load_region("Gilgit-Baltistan", outline="naturalearth")
    assert "union of its districts" in districts.source
    assert "Natural Earth" in natural_earth.source
    # COD-AB's 14 districts (6.96 deg2; geoBoundaries' 10 gave 69,070 km2)
    assert districts.area_km2 == pytest.approx(69_753, rel=0.001)
    assert len(districts.parts) == 14
    assert districts.area_km2 - natural_earth.area_km2 > 3_000


def test_unknown_region_lists_close_matches():
    with pytest.raises(RegionError, match=r"'Gilgit-Baltistan'.*list_regions"):
        load_region("Gilgit Baltstan")
    with pytest.raises(RegionError, match="'Hunza'"):
        load_region("Hunzza")
    with pytest.raises(RegionError, match="outline"):
        load_region("Hunza", outline="gadm")


@pytest.mark.parametrize("bad", [16, -1, 7.0, True, "7", None])
def test_bad_resolution(bad):
    with pytest.raises(ResolutionError, match=r"resolution.*0\.\.15"):
        build_grid("Hunza", bad)


def test_resolution_error_is_a_value_error():
    assert issubclass(ResolutionError, GridError) and issubclass(GridError, ValueError)


@pytest.mark.parametrize("lat, lon", [(95.0, 74.0), (np.nan, 74.0), (35.0, 181.0), (-90.5, 0.0)])
def test_bad_coordinates(lat, lon):
    with pytest.raises(CoordinateError, match="lon, lat"):
        validate_latlon(lat, lon)


def test_validate_latlon_scalar_and_array():
    lat, lon = validate_latlon(35.0, [74.0, 75.0])
    assert lat.shape == lon.shape == (2,)
    assert great_circle_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(111.195, abs=1e-3)


def test_too_many_cells_refused():
    with pytest.raises(GridError, match="coarser resolution"):
        build_grid("Pakistan", 15)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_geojson(tmp_path):
    square = {
        "type": "Polygon",
        "coordinates": [[[74, 35], [74.5, 35], [74.5, 35.5], [74, 35.5], [74, 35]]],
    }
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Box", "province": "Test"},
                "geometry": square,
            }
        ],
    }
    path = _write(tmp_path, "box.geojson", json.dumps(fc))
    region = load_region(path)
    assert region.name == "box" and region.parts[0].district == "Box"
    assert "user file" in region.source
    grid = build_grid(str(path), 6)
    assert set(grid.district.values) == {"Box"} and set(grid.province.values) == {"Test"}
    assert float(grid.area_km2.sum()) == pytest.approx(region.area_km2, rel=0.1)


def test_broken_geojson_names_file_and_line(tmp_path):
    path = _write(
        tmp_path,
        "broken.geojson",
        '{"type": "FeatureCollection",\n "features": [\n  {"type": }\n]}',
    )
    with pytest.raises(BoundaryFileError, match=r"broken\.geojson:3:\d+: expected valid JSON"):
        load_region(path)


def test_self_intersecting_polygon(tmp_path):
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[74, 35], [75, 36], [75, 35], [74, 36], [74, 35]]],
    }
    path = _write(
        tmp_path,
        "bowtie.geojson",
        json.dumps({"type": "Feature", "properties": {"name": "x"}, "geometry": bowtie}),
    )
    with pytest.raises(
        BoundaryFileError, match=r"bowtie\.geojson: feature 0.*Self-intersection.*make_valid"
    ):
        load_region(path)


def test_swapped_axes_and_no_polygons(tmp_path):
    swapped = {"type": "Polygon", "coordinates": [[[35, 74], [35, 100], [36, 100], [35, 74]]]}
    path = _write(tmp_path, "swapped.geojson", json.dumps(swapped))
    with pytest.raises(BoundaryFileError, match=r"swapped\.geojson.*\(lon, lat\)"):
        load_region(path)
    path = _write(
        tmp_path,
        "points.geojson",
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Point", "coordinates": [74, 35]},
                    }
                ],
            }
        ),
    )
    with pytest.raises(BoundaryFileError, match="Polygon"):
        load_region(path)
    with pytest.raises(BoundaryFileError, match="no such file"):
        load_region(tmp_path / "missing.geojson")
