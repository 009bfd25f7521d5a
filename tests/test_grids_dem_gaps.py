"""Cells the DEM has no height for (Xinjiang east of the bundled grid's 90 E edge).

- ``dem_gaps`` counts points outside a DEM and in its voids, with their extent (hand
  numbers on a 3 x 3 synthetic grid);
- the engine with terrain off puts an observer without a height on the ellipsoid: the
  same figures of merit, bit for bit, as an explicit 0 m; with terrain on it refuses;
- a plan of a box straddling 90 E: with terrain on it is refused in one line naming the
  cells' extent and the fix; with terrain off it plans every cell, keeps ``elevation_m``
  NaN east of 90 E, counts those cells (against the cell centres' longitudes) and the
  people in them in a warning and the plan's attributes, and builds no microwave there.
"""

import warnings
from datetime import datetime, timezone

import numpy as np
import pytest
import xarray as xr
from hybridplan.coverage import build_plan, resolve
from hybridplan.coverage.engine import SystemModel, compute_coverage
from hybridplan.coverage.errors import CoverageError, ScenarioError
from hybridplan.coverage.scenario import Scenario
from hybridplan.grids import DEM, DEMGapWarning, dem_gaps, load_dem
from hybridplan.tle import TimeGrid, load_constellation

# grids/data/README.md: the bundled DEM covers lon 40-90 E with 5' cells; its easternmost
# point is the centre of the last column, 90 - 1/24 deg
BUNDLED_EAST_EDGE_DEG = 90.0 - 1.0 / 24.0

BOX = (
    '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
    '{"name": "Turpan east edge"}, "geometry": {"type": "Polygon", "coordinates": '
    "[[[88.9, 42.6], [90.7, 42.6], [90.7, 43.1], [88.9, 43.1], [88.9, 42.6]]]}}]}"
)

SCENARIO = """
name = "edge-90e"
[region]
names = ["box.geojson"]
resolution = 6
[window]
start = "2026-05-30T00:00:00Z"
duration_h = 1
step_s = 300
[terrain]
enabled = {terrain}
[engine]
default_series = false
[[systems]]
name = "starlink"
source = "bundled:starlink"
filter = {{ altitude_km = [520, 560], inclination_deg = [53, 54] }}
min_elevation_deg = 25
[[systems]]
name = "paksat"
source = "bundled:geo"
filter = {{ name = "PAKSAT" }}
min_elevation_deg = 10
"""


def test_dem_gaps_counts_outside_and_voids_with_their_extent():
    z = np.arange(16.0).reshape(4, 4) * 100.0
    z[3, 3] = np.nan  # a void at the node (33 N, 73 E)
    dem = DEM.from_arrays(z, [30.0, 31.0, 32.0, 33.0], [70.0, 71.0, 72.0, 73.0], source="toy")
    lat = np.array([30.5, 32.5, 34.0, 31.0, 29.0])
    lon = np.array([70.5, 72.5, 71.0, 74.0, 69.0])
    gaps = dem_gaps(dem, lat, lon)
    # (32.5, 72.5): its bilinear stencil holds the void -> no height, but inside the grid
    np.testing.assert_array_equal(gaps.missing, [False, True, True, True, True])
    np.testing.assert_array_equal(gaps.outside, [False, False, True, True, True])
    assert gaps.count == 4
    assert gaps.extent_deg == (69.0, 29.0, 74.0, 34.0)
    text = gaps.describe()
    assert text.startswith("4 of 5 cells at lon 69.00 E to 74.00 E, lat 29.00 N to 34.00 N")
    assert "3 outside the DEM's lon 70.00 E to 73.00 E, lat 30.00 N to 33.00 N" in text
    assert "1 in voids" in text
    inside = dem_gaps(dem, [30.0, 33.0], [70.0, 70.0])  # the grid's corners are points
    assert inside.count == 0 and inside.extent_deg is None and inside.describe() == ""


def test_bundled_dem_stops_at_90_east():
    dem = load_dem()
    assert dem.bounds_deg[2] == pytest.approx(BUNDLED_EAST_EDGE_DEG, abs=1e-5)  # ~1 m
    lat = np.array([43.0, 43.0, 43.0])
    lon = np.array([89.9, 89.95, 89.96])
    np.testing.assert_array_equal(dem_gaps(dem, lat, lon).missing, [False, False, True])


def test_engine_terrain_off_observer_without_height_is_on_the_ellipsoid():
    start = datetime(2026, 5, 30, tzinfo=timezone.utc)
    window = TimeGrid(start, 3600.0, 120.0)
    sats = load_constellation("bundled:starlink")[::8]
    systems = [SystemModel("s", sats, 25.0, 1, 0.0)]
    cells = {"lat": ("cell", np.array([42.8, 42.9, 43.0])), "lon": ("cell", [89.5, 90.3, 95.0])}
    unknown = xr.Dataset({**cells, "elevation_m": ("cell", [1200.0, np.nan, np.nan])})
    zero = xr.Dataset({**cells, "elevation_m": ("cell", [1200.0, 0.0, 0.0])})
    a = compute_coverage(unknown, systems, window, terrain=False)
    b = compute_coverage(zero, systems, window, terrain=False)
    for name in ("pct_time_covered", "n_visible_mean", "max_gap_s"):
        np.testing.assert_array_equal(a[name].values, b[name].values)
    with pytest.raises(CoverageError, match="NaN cells"):
        compute_coverage(
            unknown.assign(horizon_deg=(("cell", "azimuth"), np.zeros((3, 8)))),
            systems,
            window,
            terrain=True,
        )


def _scenario(tmp_path, terrain: bool) -> Scenario:
    (tmp_path / "box.geojson").write_text(BOX, encoding="utf-8")
    text = SCENARIO.format(terrain=str(terrain).lower())
    return Scenario.from_toml(text, str(tmp_path / "edge.toml"), tmp_path)


def test_terrain_on_refuses_cells_beyond_the_dem_naming_them_and_the_fix(tmp_path):
    with pytest.raises(ScenarioError) as caught:
        build_plan(resolve(_scenario(tmp_path, True)))
    message = str(caught.value)
    assert "\n" not in message
    assert "edge.toml: [terrain] dem = 'bundled'" in message
    assert "outside the DEM's lon 40.04 E to 89.96 E, lat 20.04 N to 55.96 N" in message
    assert "at lon 89.9" in message and "to 90.6" in message  # the cells' own extent
    assert "SRTM" in message and "[terrain] enabled = false" in message


def test_terrain_off_plans_every_cell_and_counts_those_without_height(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan = build_plan(resolve(_scenario(tmp_path, False)))
    lon = plan["lon"].values
    east = lon > BUNDLED_EAST_EDGE_DEG
    assert 50 < east.sum() < plan.sizes["cell"] - 50  # the box straddles the edge
    elevation = plan["elevation_m"].values
    np.testing.assert_array_equal(np.isnan(elevation), east)
    assert np.all((elevation[~east] > -200.0) & (elevation[~east] < 6000.0))
    assert plan.attrs["cells_without_dem_height"] == east.sum()
    people_east = float(plan["population"].values[east].sum())
    assert plan.attrs["population_without_dem_height"] == pytest.approx(people_east, abs=0.5)
    gap_warnings = [w for w in caught if issubclass(w.category, DEMGapWarning)]
    assert len(gap_warnings) == 1
    text = str(gap_warnings[0].message)
    assert f"{east.sum():,d} of {plan.sizes['cell']:,d} cells" in text
    assert f"{people_east:,.0f} people" in text and "open sky" in text
    # every cell has coverage figures; none east of the edge gets a microwave chain
    covered = plan["pct_time_covered"].sel(system="paksat").values
    assert np.all(np.isfinite(covered)) and np.all(covered[east] == 100.0)
    if "microwave_hops" in plan:
        on_network = plan["on_network"].values.astype(bool)
        assert np.all(plan["microwave_hops"].values[east & ~on_network] == -1)
    # the bundled settlements hold no place east of 90 E in China (grids/data/README.md)
    assert people_east == 0.0
    assert plan["population"].sum() > 100_000  # Turpan, west of the edge


def test_a_region_without_people_plans_with_no_site(tmp_path):
    # east of Turpan: no bundled settlement, so no demand site at all (this crashed in
    # planning_variables when every cell had no site)
    (tmp_path / "box.geojson").write_text(BOX.replace("88.9", "89.6"), encoding="utf-8")
    text = SCENARIO.format(terrain="false")
    scenario = Scenario.from_toml(text, str(tmp_path / "edge.toml"), tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = build_plan(resolve(scenario))
    assert float(plan["population"].sum()) == 0.0
    meanings = np.array(plan["recommendation"].attrs["flag_meanings"].split())
    assert set(meanings[plan["recommendation"].values]) == {"no_population"}
    assert set(plan["runner_up"].values.astype(str)) == {""}
