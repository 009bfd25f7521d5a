"""The CAREC corridor from bundled data: regions by name, whole country outlines, terrain
coverage, and population equal to the bundled totals.

References (typed by hand from population/corridor_admin1_totals.csv and
province_totals.csv): Kyrgyzstan 7,395,000 (NSC, 2025-12-01), Tajikistan 10,277,100
(2024-01-01), Uzbekistan 38,069,116 (2025-10-01), Kazakhstan 20,495,975 (2026-01-01),
Azerbaijan 10,241,722 (2025-07-01), Xinjiang 25,852,345 (census 2020), Pakistan
247,331,797 (PBS census 2023 provinces and ICT + GB 2023 + AJK 2017). City coordinates:
GeoNames.
"""

import json

import h3
import numpy as np
import pytest
import shapely
from hybridplan.grids import (
    DEM,
    build_grid,
    distribute_population,
    list_regions,
    load_dem,
    load_region,
)

PAKISTAN = 127_688_922 + 55_696_147 + 40_856_097 + 14_894_402 + 2_363_863 + 1_787_000 + 4_045_366
TOTALS = {
    "Kyrgyzstan": 7_395_000,
    "Tajikistan": 10_277_100,
    "Uzbekistan": 38_069_116,
    "Kazakhstan": 20_495_975,
    "Azerbaijan": 10_241_722,
    "Xinjiang": 25_852_345,
    "Pakistan + Kyrgyzstan": PAKISTAN + 7_395_000,
}
BISHKEK = (42.87, 74.59)
URUMQI = (43.80, 87.60)
ALMATY = (43.25, 76.95)
BAKU = (40.38, 49.89)


@pytest.mark.parametrize("name", list(TOTALS))
def test_region_population_equals_the_bundled_totals(name):
    grid = build_grid(name, 5)
    out = distribute_population(grid)
    assert float(out.population.sum()) == pytest.approx(TOTALS[name], rel=1e-3)
    control = json.loads(out.attrs["population_control_totals"])
    assert sum(control.values()) == pytest.approx(TOTALS[name], rel=1e-6)
    by_province = out.population.groupby(out.province).sum().to_series()
    # per unit where each unit has cells of its own (at res 5 Bishkek City's people sit
    # in a cell labelled Chuy; Azerbaijan has one national total over 78 rayons)
    if set(control) <= set(by_province.index):
        for unit, total in control.items():
            assert by_province[unit] == pytest.approx(total, rel=1e-3), unit
    else:
        assert name in ("Kyrgyzstan", "Pakistan + Kyrgyzstan", "Azerbaijan")
    assert (out.population >= 0).all()
    assert out.attrs["population_dropped_count"] == 0


def test_whole_country_outlines_not_cut_at_42_north():
    kgz = load_region("Kyrgyzstan")
    assert kgz.geometry.contains(shapely.Point(BISHKEK[1], BISHKEK[0]))
    assert kgz.bounds_deg[3] == pytest.approx(43.26, abs=0.05)
    assert load_region("Kazakhstan").bounds_deg[3] > 55.0
    assert "not clipped" in kgz.source
    assert {p.province for p in kgz.parts} >= {
        "Bishkek City",
        "Chuy",
        "Osh Region (incl. Osh City)",
    }
    grid = build_grid("Kyrgyzstan", 6)
    cell = h3.latlng_to_cell(*BISHKEK, 6)
    assert str(grid.province.sel(cell=cell).values) in {"Bishkek City", "Chuy"}
    xinjiang = load_region("Xinjiang")
    assert xinjiang.geometry.contains(shapely.Point(URUMQI[1], URUMQI[0]))
    assert not xinjiang.geometry.contains(shapely.Point(BISHKEK[1], BISHKEK[0]))
    assert load_region("Azerbaijan").geometry.contains(shapely.Point(BAKU[1], BAKU[0]))


def test_corridor_names_and_unions():
    countries = set(list_regions("country"))
    assert {"Kyrgyzstan", "Tajikistan", "Uzbekistan", "Kazakhstan", "Azerbaijan"} <= countries
    assert {"Pakistan", "Afghanistan", "Turkmenistan"} <= countries
    provinces = set(list_regions("province"))
    assert {"Xinjiang", "Chuy", "Sughd", "Samarkand", "Mangystau", "Almaty City"} <= provinces
    union = load_region("Pakistan + Kyrgyzstan")
    assert union.name == "Pakistan + Kyrgyzstan"
    assert union.area_km2 == pytest.approx(
        load_region("Pakistan").area_km2 + load_region("Kyrgyzstan").area_km2, rel=1e-3
    )
    grid = build_grid(union, 4)
    assert {"Gilgit-Baltistan", "Punjab", "Chuy", "Naryn"} <= set(grid.province.values)


def test_bundled_terrain_covers_the_corridor():
    """ITU-R P.1511 grid lon 40-90 E, lat 20-56 N; spot values from PROVENANCE."""
    dem = load_dem()
    assert "lon 40-90 E, lat 20-56 N" in dem.source
    heights = dem.elevation_m(
        np.array([BISHKEK[0], ALMATY[0], 41.30, BAKU[0], 35.92]),
        np.array([BISHKEK[1], ALMATY[1], 69.24, BAKU[1], 74.31]),
    )
    assert np.isfinite(heights).all()
    np.testing.assert_allclose(heights[:2], [766.0, 921.0], atol=150.0)
    grid = build_grid("Kazakhstan", 4)
    assert np.isfinite(dem.elevation_m(grid.lat.values, grid.lon.values)).all()


def test_population_needs_no_terrain_where_settlements_are():
    """Population at settlements uses no DEM: a DEM that covers nothing changes nothing."""
    grid = build_grid("Kyrgyzstan", 5)
    nowhere = DEM.from_arrays(np.zeros((2, 2)), [0.0, 1.0], [0.0, 1.0], source="elsewhere")
    with_dem = distribute_population(grid)
    without = distribute_population(grid, dem=nowhere)
    np.testing.assert_allclose(without.population.values, with_dem.population.values)
    urumqi = distribute_population(build_grid("Xinjiang", 4), dem=nowhere)
    assert float(urumqi.population.sum()) == pytest.approx(TOTALS["Xinjiang"], rel=1e-3)
    cell = h3.latlng_to_cell(*URUMQI, 4)
    assert float(urumqi.population.sel(cell=cell)) > 1_000_000  # Urumqi is a city
