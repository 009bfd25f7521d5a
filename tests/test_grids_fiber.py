"""Terrestrial network readers and fibre reach (hybridplan.grids.network, .fiber_reach)."""

import json

import h3
import numpy as np
import pytest
from hybridplan.grids import (
    GridError,
    NetworkError,
    build_grid,
    district_headquarters,
    fiber_reach,
    least_cost_paths,
    load_network,
    terrain_factor,
)
from hybridplan.grids.network import Network, PointOfPresence, Route

GB_AJK = "Gilgit-Baltistan + Azad Jammu and Kashmir"


def test_least_cost_paths_on_a_hand_built_graph():
    """0 --1km x1-- 1 --1km x5-- 2 ;  0 --3km x1-- 3 --1km x1-- 2 ; source 0 (offset 0.5 km, cost 0.5).
    Cheapest to 2 is 0-3-2 (cost 4.5 incl. offset, 4.5 km) not 0-1-2 (cost 6.5, 2.5 km)."""
    ei, ej = [0, 1, 0, 3], [1, 2, 3, 2]
    km = np.array([1.0, 1.0, 3.0, 1.0])
    cost = km * np.array([1.0, 5.0, 1.0, 1.0])
    total, length = least_cost_paths(5, ei, ej, km, cost, [0.5], [0.5], [0])
    np.testing.assert_allclose(total[:4], [0.5, 1.5, 4.5, 3.5])
    np.testing.assert_allclose(length[:4], [0.5, 1.5, 4.5, 3.5])
    assert np.isinf(total[4]) and length[4] == 0  # node 4 is isolated
    # two sources: node 2 becomes a source too, at zero offset
    total, length = least_cost_paths(4, ei, ej, km, cost, [0.0, 0.0], [0.0, 0.0], [0, 2])
    np.testing.assert_allclose(total, [0.0, 1.0, 0.0, 1.0], atol=1e-9)
    np.testing.assert_allclose(length, [0.0, 1.0, 0.0, 1.0], atol=1e-9)


def test_path_length_differs_from_cost_on_a_long_chain():
    """A 300-node chain with factor 2: pointer jumping must sum every edge."""
    n = 300
    ei, ej = np.arange(n - 1), np.arange(1, n)
    km = np.full(n - 1, 0.5)
    total, length = least_cost_paths(n, ei, ej, km, 2 * km, [0.0], [0.0], [0])
    np.testing.assert_allclose(length, 0.5 * np.arange(n), atol=1e-9)
    np.testing.assert_allclose(total, np.arange(n), atol=1e-9)


def test_terrain_factor_defaults():
    assert terrain_factor(0.0, 1000.0) == 1.0
    assert terrain_factor(20.0, 1000.0) == pytest.approx(2.0)
    assert terrain_factor(0.0, 4000.0) == pytest.approx(1.5)
    np.testing.assert_allclose(terrain_factor([0.0, np.nan], [np.nan, 2000.0]), [1.0, 1.0])


@pytest.fixture(scope="module")
def reach():
    grid = build_grid(GB_AJK, 7)
    return grid, fiber_reach(grid), fiber_reach(grid, include_planned=True)


def test_real_grid_invariants(reach):
    grid, out, _ = reach
    # the only unreachable cell is one with no neighbour in the grid: COD-AB's Ghanche
    # reaches 77.83 E in a sliver that holds one isolated res-7 cell
    cells = set(grid.cell.values)
    isolated = np.array([not (set(h3.grid_ring(c, 1)) & cells) for c in grid.cell.values])
    assert isolated.sum() == out.attrs["fiber_unreachable_cells"] == 1
    out = out.isel(cell=~isolated)
    path, dist = out.fiber_path_km.values, out.fiber_distance_km.values
    assert np.isfinite(path).all()
    assert (path >= dist - 1e-9).all()
    on = out.on_network.values.astype(bool)
    assert on.sum() > 300
    assert (
        (path[on] == 0).all()
        and (dist[on] == 0).all()
        and (out.fiber_weighted_km.values[on] == 0).all()
    )
    assert (path[~on] > 0).all()
    np.testing.assert_allclose(
        out.fiber_weighted_km[~on] >= out.fiber_path_km[~on] - 1e-9, True
    )
    # cells the Pak-China OFC passes (Gilgit town, Karimabad) are network cells
    for lat, lon in [(35.91869, 74.31245), (36.32692, 74.66141)]:
        assert int(out.on_network.sel(cell=h3.latlng_to_cell(lat, lon, 7))) == 1
    for name in (
        "fiber_distance_km",
        "fiber_path_km",
        "fiber_weighted_km",
        "fiber_terrain_factor",
        "on_network",
    ):
        assert {"units", "long_name"} <= set(out[name].attrs)
    assert out.fiber_path_km.attrs["units"] == "km" and out.fiber_weighted_km.attrs["units"] == "km"


def test_distance_is_a_true_nearest_distance(reach):
    """Cross-check 50 cells against brute force over all densified network points."""
    from hybridplan.grids._geo import great_circle_km
    from hybridplan.grids.fiber_reach import network_points

    grid, out, _ = reach
    pts = network_points(load_network(), False, 0.25)
    rng = np.random.default_rng(3)
    pick = rng.choice(grid.sizes["cell"], 50, replace=False)
    pick = pick[out.on_network.values[pick] == 0]
    brute = great_circle_km(
        grid.lat.values[pick, None], grid.lon.values[pick, None], pts[None, :, 0], pts[None, :, 1]
    ).min(axis=1)
    np.testing.assert_allclose(out.fiber_distance_km.values[pick], brute, rtol=1e-9, atol=1e-6)


def test_planned_switch_never_increases_reach(reach):
    _, existing, planned = reach
    assert (planned.fiber_distance_km.values <= existing.fiber_distance_km.values + 1e-9).all()
    reachable = np.isfinite(existing.fiber_weighted_km.values)  # all but one isolated cell
    assert (
        planned.fiber_weighted_km.values[reachable]
        <= existing.fiber_weighted_km.values[reachable] + 1e-6
    ).all()
    assert planned.attrs["fiber_include_planned"] == 1


def test_planned_route_changes_reach():
    """A single planned route across a small grid: only the switch brings it in."""
    grid = build_grid("Hunza", 7)
    line = Route("test", "planned", np.array([36.3, 36.6]), np.array([74.6, 74.9]))
    pop = PointOfPresence("far", 35.0, 73.0)
    net = Network((line,), (pop,), "test")
    off = fiber_reach(grid, net)
    on = fiber_reach(grid, net, include_planned=True)
    assert off.on_network.sum() == 0 and np.isnan(off.fiber_path_km).all()
    assert on.on_network.sum() > 10
    assert float(on.fiber_distance_km.max()) < float(off.fiber_distance_km.min())


def test_default_network_and_district_hqs():
    net = load_network()
    assert len(net.routes) == 14
    assert {r.status for r in net.routes} == {"existing", "planned"}
    names = [p.name for p in net.pops]
    assert any(n.startswith("Karachi cable landing") for n in names)
    hqs = {p.name for p in district_headquarters()}
    assert len(hqs) == 130  # 126 geoBoundaries districts with GB's 10 replaced by COD-AB's 14
    assert "Muzaffarābād (Azad Kashmir HQ)" in hqs and "Gilgit (Gilgit HQ)" in hqs
    assert "Shigar (Shigar HQ)" in hqs  # population 0 in GeoNames, only place in Shigar
    assert "indicative" in net.source


def test_user_network_formats(tmp_path):
    geojson = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "A", "status": "planned"},
                "geometry": {"type": "LineString", "coordinates": [[74.0, 35.0], [74.5, 35.5]]},
            },
            {
                "type": "Feature",
                "properties": {"name": "P"},
                "geometry": {"type": "Point", "coordinates": [74.2, 35.1]},
            },
        ],
    }
    (tmp_path / "n.geojson").write_text(json.dumps(geojson), encoding="utf-8")
    net = load_network(tmp_path / "n.geojson")
    assert net.routes[0].status == "planned" and net.routes[0].lat_deg[0] == 35.0
    assert net.pops[0].lat_deg == pytest.approx(35.1) and net.pops[0].lon_deg == pytest.approx(74.2)
    kml = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>K</name><ExtendedData><Data name="status"><value>existing</value></Data></ExtendedData>
<LineString><coordinates>74.0,35.0,0 74.5,35.5,0</coordinates></LineString></Placemark>
<Placemark><name>Q</name><Point><coordinates>74.2,35.1</coordinates></Point></Placemark>
</Document></kml>"""
    (tmp_path / "n.kml").write_text(kml, encoding="utf-8")
    net = load_network(tmp_path / "n.kml")
    assert (
        net.routes[0].name == "K" and net.routes[0].lon_deg[1] == 74.5 and net.pops[0].name == "Q"
    )
    (tmp_path / "n.csv").write_text(
        "route,lat,lon,status\nR,35.0,74.0,existing\nR,35.5,74.5,existing\nPoP1,35.1,74.2,\n",
        encoding="utf-8",
    )
    net = load_network(tmp_path / "n.csv")
    assert len(net.routes) == 1 and net.routes[0].lat_deg.tolist() == [35.0, 35.5]
    assert net.pops[0].name == "PoP1"


def test_bad_network_input(tmp_path):
    (tmp_path / "s.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "A", "status": "maybe"},
                        "geometry": {"type": "LineString", "coordinates": [[74, 35], [75, 36]]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(NetworkError, match=r"s\.geojson: feature 0 \('A'\).*'maybe'.*'planned'"):
        load_network(tmp_path / "s.geojson")
    (tmp_path / "b.kml").write_text("<kml><Placemark>", encoding="utf-8")
    with pytest.raises(NetworkError, match=r"b\.kml:1:\d+: expected well-formed KML"):
        load_network(tmp_path / "b.kml")
    (tmp_path / "c.csv").write_text("route,lat,lon\nR,95,74\n", encoding="utf-8")
    with pytest.raises(GridError, match=r"c\.csv:2 latitude\[0\].*found 95\.0"):
        load_network(tmp_path / "c.csv")
    (tmp_path / "x.shp").write_text("", encoding="utf-8")
    with pytest.raises(NetworkError, match="suffix '.shp'"):
        load_network(tmp_path / "x.shp")
    with pytest.raises(GridError, match="slope_cost_per_deg"):
        fiber_reach(build_grid("Hunza", 5), slope_cost_per_deg=-1)


def test_network_distance_of_points_is_the_cells_rule(reach):
    """network_distance_km at the cell centres equals fiber_reach's straight-line distance
    (off the network cells, which fiber_reach sets to 0)."""
    from hybridplan.grids import network_distance_km

    grid, out, _ = reach
    off = out.on_network.values == 0
    got = network_distance_km(load_network(), grid.lat.values[off], grid.lon.values[off])
    np.testing.assert_allclose(got, out.fiber_distance_km.values[off], rtol=1e-12, atol=1e-9)
