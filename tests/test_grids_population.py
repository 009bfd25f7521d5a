"""Population: people at settlements (default), raster, points; rural flag; the GeoTIFF reader.

References: control totals from population/province_totals.csv (PBS census 2023, GB 2023,
AJK census 2017) and population/corridor_admin1_totals.csv.gz, typed into the tests by
hand; H3's own cell areas; brute-force distances to the GeoNames points.
"""

import json
import struct
import warnings
import zlib

import h3
import numpy as np
import pytest
from hybridplan.grids import (
    GridError,
    PopulationError,
    RasterError,
    build_grid,
    distribute_population,
    habitability,
    load_dem,
    read_geotiff,
)
from hybridplan.grids._geo import great_circle_km, unit_vectors
from hybridplan.grids.population import (
    MAX_HABITABLE_ELEVATION_M,
    PopulationDroppedWarning,
    builtup_radius_km,
    control_totals,
    read_province_totals,
    read_settlements,
)
from scipy.spatial import cKDTree

GB_AJK = "Gilgit-Baltistan + Azad Jammu and Kashmir"
GB_TOTAL, AJK_TOTAL, ICT_TOTAL = 1_787_000, 4_045_366, 2_363_863
MUZAFFARABAD = (34.37002, 73.47082)  # GeoNames 1159301, listed 725,000 (a district figure)
ISLAMABAD = (33.72148, 73.04329)  # GeoNames 1176615


@pytest.fixture(scope="module")
def by_resolution():
    return {res: distribute_population(build_grid(GB_AJK, res)) for res in (6, 7, 8)}


@pytest.fixture(scope="module")
def gb_ajk(by_resolution):
    return by_resolution[7]


def test_province_sums_match_control_totals(gb_ajk):
    totals = read_province_totals()
    assert totals["Gilgit-Baltistan"] == GB_TOTAL and totals["Azad Jammu and Kashmir"] == AJK_TOTAL
    sums = gb_ajk.population.groupby(gb_ajk.province).sum()
    assert set(sums.province.values) == {"Gilgit-Baltistan", "Azad Jammu and Kashmir"}
    assert float(sums.sel(province="Gilgit-Baltistan")) == pytest.approx(GB_TOTAL, rel=1e-3)
    assert float(sums.sel(province="Azad Jammu and Kashmir")) == pytest.approx(AJK_TOTAL, rel=1e-3)
    attrs = json.loads(gb_ajk.attrs["population_control_totals"])
    assert len(attrs) == 11 and attrs["Azad Jammu and Kashmir"] == AJK_TOTAL
    gb = {k: v for k, v in attrs.items() if k.startswith("Gilgit-Baltistan/")}
    assert len(gb) == 10 and sum(gb.values()) == pytest.approx(GB_TOTAL, abs=1.0)


def test_district_totals_are_a_property_of_the_ground(by_resolution):
    """GB's 14 districts + AJK: the same people at H3 res 6, 7 and 8 (within 1 %), and the
    ground totals written in the attributes are kept within 0.1 %."""
    ground = json.loads(by_resolution[7].attrs["population_district_totals"])
    assert len(ground) == 15 and sum(ground.values()) == pytest.approx(GB_TOTAL + AJK_TOTAL)
    tables = {}
    for res, ds in by_resolution.items():
        tables[res] = ds.population.groupby(ds.district).sum().to_series()
        assert len(tables[res]) == 15
        for district, people in tables[res].items():
            province = (
                "Azad Jammu and Kashmir" if district == "Azad Kashmir" else "Gilgit-Baltistan"
            )
            assert people == pytest.approx(ground[f"{province}/{district}"], rel=1e-3)
    for district in tables[6].index:
        values = [tables[res][district] for res in (6, 7, 8)]
        assert max(values) <= 1.01 * min(values), district
    assert tables[7]["Gilgit"] > tables[7]["Nagar"] > 0  # the seat of GB outweighs a valley
    # GB's census districts keep their control totals (2023 households, 233,033 in all):
    # Diamer became Diamir + Darel + Tangir in 2019; Nagar is one district
    for res in (6, 7, 8):
        diamer = sum(tables[res][d] for d in ("Diamir", "Darel", "Tangir"))
        assert diamer == pytest.approx(GB_TOTAL * 41_536 / 233_033, rel=1e-3)
        assert tables[res]["Nagar"] == pytest.approx(GB_TOTAL * 13_162 / 233_033, rel=1e-3)


def test_nobody_above_the_limit_outside_settlement_footprints(gb_ajk):
    """Cells whose DEM height is above 4,000 m hold people only within reach of a GeoNames
    place (brute force: footprint radius of a place of 20,000 + one cell radius)."""
    assert MAX_HABITABLE_ELEVATION_M == 4000.0
    assert gb_ajk.attrs["population_max_habitable_elevation_m"] == 4000.0
    elevation = load_dem().elevation_m(gb_ajk.lat.values, gb_ajk.lon.values)
    high = elevation > 4000.0
    assert high.sum() > 1000  # the test means something: much of GB is above 4 km
    settled = gb_ajk.population.values > 0
    np.testing.assert_allclose(gb_ajk.settlement_population.values, gb_ajk.population.values)
    places = read_settlements()
    reach_km = float(builtup_radius_km(20_000)) + 1.6  # res-7 circumradius ~1.5 km
    tree = cKDTree(unit_vectors(places.lat, places.lon))
    lat, lon = gb_ajk.lat.values[high & settled], gb_ajk.lon.values[high & settled]
    _, nearest = tree.query(unit_vectors(lat, lon))
    gap = great_circle_km(lat, lon, places.lat[nearest], places.lon[nearest])
    assert gap.max() <= reach_km
    # and most high ground is empty
    assert (high & ~settled).sum() > 0.8 * high.sum()


def test_fallback_is_capped_by_the_elevation_limit(tmp_path):
    """User settlements only in AJK: GB has none, so its total goes to habitable cells by
    area x habitability, and cells above the limit get nobody. A place outside every
    bundled unit is reported."""
    path = tmp_path / "places.csv"
    path.write_text(
        "name,lat,lon,population\nMuzaffarabad,34.37,73.47,0\nMirpur,33.15,73.75,0\n"
        "nowhere,0.5,0.5,1200\n",
        encoding="utf-8",
    )
    grid = build_grid(GB_AJK, 6)
    with pytest.warns(PopulationDroppedWarning, match=r"1 points with 1,200 people"):
        out = distribute_population(grid, settlements=path, max_habitable_elevation_m=3500.0)
    assert out.attrs["population_dropped_count"] == 1
    assert out.attrs["population_dropped"] == 1200.0
    sums = out.population.groupby(out.province).sum()
    assert float(sums.sel(province="Gilgit-Baltistan")) == pytest.approx(GB_TOTAL, rel=1e-3)
    assert float(sums.sel(province="Azad Jammu and Kashmir")) == pytest.approx(AJK_TOTAL, rel=1e-3)
    elevation = load_dem().elevation_m(out.lat.values, out.lon.values)
    gb = out.province.values == "Gilgit-Baltistan"
    assert (out.population.values[gb & (elevation > 3500.0)] == 0).all()
    assert (out.population.values[gb & (elevation < 3000.0)] > 0).mean() > 0.5
    assert "habitable-land fallback" in out.attrs["population_method"]


def _people_near(ds, point, radius_km):
    gap = great_circle_km(point[0], point[1], ds.lat.values, ds.lon.values)
    return float(ds.population.values[gap <= radius_km].sum()), gap


def test_towns_spread_over_built_up_areas(gb_ajk):
    """Muzaffarabad's 725,000 (a district figure in GeoNames) is not on one ~6 km2 cell:
    its built-up disc is 5.8 km in radius (104 km2)."""
    radius = float(builtup_radius_km(725_000))
    assert radius == pytest.approx(np.sqrt(725_000 / (5000 * 7.25 ** (1 / 6)) / np.pi), rel=1e-9)
    assert np.pi * radius**2 == pytest.approx(104, abs=2)
    cell = h3.latlng_to_cell(*MUZAFFARABAD, 7)
    pop = gb_ajk.population.to_series()
    assert pop[cell] < 0.12 * 725_000
    near, gap = _people_near(gb_ajk, MUZAFFARABAD, radius + 1.5)
    assert near > 725_000
    dense = (gap <= radius + 1.5) & (gb_ajk.population_density_per_km2.values > 2000)
    assert 12 <= dense.sum() <= 30
    assert 70 <= float(gb_ajk.area_km2.values[dense].sum()) <= 180
    assert pop.max() < 100_000  # no cell of GB+AJK holds a district
    # Skardu's GeoNames 260,000 is 90 % of its census district (Skardu + Rondu): cut to half
    method = gb_ajk.attrs["population_method"]
    assert "(260,000 listed) is a district figure (90% of Gilgit-Baltistan/Skardu)" in method


def test_islamabad_capital_territory_equals_its_census_total():
    """At res 6 ICT holds its census total (the GeoNames point of Rawalpindi, 3.36 M,
    lies inside geoBoundaries' ICT polygon and goes to Rawalpindi district); Islamabad's
    people spread over its built-up disc."""
    ds = distribute_population(build_grid("Islamabad Capital Territory + Rawalpindi", 6))
    sums = ds.population.groupby(ds.province).sum()
    assert float(sums.sel(province="Islamabad Capital Territory")) == pytest.approx(
        ICT_TOTAL, rel=1e-6
    )
    assert "Rawalpindi (3,357,612 listed) moved" in ds.attrs["population_method"]
    ict = ds.where(ds.province == "Islamabad Capital Territory", drop=True)
    assert float(ict.population.max()) < 0.35 * ICT_TOTAL
    assert (ict.population > 0).sum() >= 15


def test_control_totals_of_the_corridor():
    """Admin-1 figures as shares of the latest national figure, by hand."""
    table = control_totals()
    kgz = {k: v["population"] for k, v in table.items() if v["country"] == "Kyrgyzstan"}
    assert sum(kgz.values()) == pytest.approx(7_395_000, rel=1e-9)
    assert kgz["Chuy"] == pytest.approx(7_395_000 * 870_300 / 5_885_500, rel=1e-9)
    assert table["Xinjiang"]["population"] == 25_852_345
    assert table["Azerbaijan"]["population"] == 10_241_722  # national only: one unit
    assert table["Gilgit-Baltistan/Skardu"]["population"] == pytest.approx(
        GB_TOTAL * 37_699 / 233_033, rel=1e-9
    )  # Skardu + Rondu
    assert "households" in table["Gilgit-Baltistan/Skardu"]["source"]
    assert "census 2023" in table["Islamabad Capital Territory"]["source"]


def test_schema_and_rural_flag(gb_ajk):
    for name in ("population", "population_density_per_km2", "rural", "settlement_population"):
        assert gb_ajk[name].dims == ("cell",)
        assert {"units", "long_name"} <= set(gb_ajk[name].attrs)
    assert gb_ajk.population.attrs["units"] == "person"
    assert list(gb_ajk.rural.attrs["flag_values"]) == [0, 1]
    assert gb_ajk.rural.attrs["flag_meanings"] == "not_rural rural"
    density = gb_ajk.population / gb_ajk.area_km2
    np.testing.assert_array_equal(gb_ajk.rural.values, (density < 300).values.astype(np.uint8))
    assert 0.8 < gb_ajk.rural.mean() < 1.0
    assert (gb_ajk.population >= 0).all()
    assert "GeoNames" in gb_ajk.attrs["population_source"]
    assert gb_ajk.attrs["population_dropped"] == 0.0
    assert gb_ajk.attrs["population_dropped_count"] == 0


def test_partial_province_gets_its_districts_people(gb_ajk):
    """Hunza alone: exactly Hunza's people of the GB+AJK grid."""
    hunza = distribute_population(build_grid("Hunza", 7))
    expected = float(gb_ajk.population.where(gb_ajk.district == "Hunza").sum())
    assert float(hunza.population.sum()) == pytest.approx(expected, rel=1e-3)
    assert 20_000 < expected < 0.3 * GB_TOTAL


def test_habitability_weights():
    assert habitability(1000.0, 0.0) == 1.0
    assert habitability(3750.0, 0.0) == pytest.approx(0.5)
    assert habitability(5000.0, 0.0) == 0.0
    assert habitability(1000.0, 15.0) == pytest.approx(0.5)
    assert habitability(3750.0, 0.0, max_habitable_elevation_m=3700.0) == 0.0
    np.testing.assert_allclose(habitability([1000.0, np.nan], [0.0, 45.0]), [1.0, 0.0])


def test_builtup_radius_grows_sub_linearly():
    small, large = builtup_radius_km([500.0, 5_000_000.0])
    assert small == pytest.approx(np.sqrt(500 / (5000 * 0.005 ** (1 / 6)) / np.pi))
    # area ~ P^(5/6): 10,000 times the people, 10,000^(5/6) = 2,154 times the area
    assert (large / small) ** 2 == pytest.approx(10_000 ** (5 / 6), rel=1e-9)
    assert builtup_radius_km(0.0) == 0.2


def test_region_without_totals_needs_user_data():
    grid = build_grid("India", 3)
    with pytest.raises(PopulationError, match=r"province 'India'.*raster"):
        distribute_population(grid)


def test_user_grid_counts_people_where_they_fall(tmp_path, gb_ajk):
    """A user GeoJSON (Hunza's outline): people counted where their footprints fall."""
    from hybridplan.grids import load_region

    path = tmp_path / "valley.geojson"
    geometry = load_region("Hunza").geometry.__geo_interface__
    path.write_text(
        json.dumps({"type": "Feature", "properties": {"name": "valley"}, "geometry": geometry}),
        encoding="utf-8",
    )
    out = distribute_population(build_grid(str(path), 7))
    hunza = float(gb_ajk.population.where(gb_ajk.district == "Hunza").sum())
    # footprints in border cells whose centre is outside the outline are not in the grid
    assert float(out.population.sum()) == pytest.approx(hunza, rel=0.1)
    assert "user region" in out.attrs["population_method"]


def test_points_csv(tmp_path):
    grid = build_grid("Hunza", 6)
    lat, lon = float(grid.lat[0]), float(grid.lon[0])
    path = tmp_path / "people.csv"
    path.write_text(
        f"lat,lon,population\n{lat},{lon},120\n{lat},{lon},30\n0,0,99\n", encoding="utf-8"
    )
    with pytest.warns(PopulationDroppedWarning, match=r"people\.csv: 1 points with 99 people"):
        out = distribute_population(grid, path, rural_density_per_km2=1.0)
    assert float(out.population[0]) == 150.0 and float(out.population.sum()) == 150.0
    assert out.attrs["population_dropped"] == 99.0 and out.attrs["population_dropped_count"] == 1
    assert "user file" in out.attrs["population_source"]
    bad = tmp_path / "bad.csv"
    bad.write_text("lat,lon,population\n36.3,74.6,many\n", encoding="utf-8")
    with pytest.raises(PopulationError, match=r"bad\.csv:2.*'population'"):
        distribute_population(grid, bad)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("y,x,pop\n", encoding="utf-8")
    with pytest.raises(PopulationError, match=r"wrong\.csv:1.*columns"):
        distribute_population(grid, wrong)


def test_points_inside_the_grid_raise_no_warning(tmp_path):
    grid = build_grid("Hunza", 6)
    path = tmp_path / "people.csv"
    path.write_text(
        f"lat,lon,population\n{float(grid.lat[3])},{float(grid.lon[3])},7\n", encoding="utf-8"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = distribute_population(grid, path)
    assert out.attrs["population_dropped_count"] == 0


# --- GeoTIFF ---------------------------------------------------------------------------


def write_geotiff(
    path, array, *, origin=None, pixel_deg=None, nodata=None, deflate=False, projected=False
):
    """A minimal little-endian single-strip GeoTIFF (tags written by hand)."""
    array = np.ascontiguousarray(array)
    kinds = {np.dtype("int16"): (2, 16), np.dtype("float32"): (3, 32), np.dtype("uint8"): (1, 8)}
    sample_format, bits = kinds[array.dtype]
    data = array.astype(array.dtype.newbyteorder("<")).tobytes()
    if deflate:
        data = zlib.compress(data)
    entries = [
        (256, 3, [array.shape[1]]),
        (257, 3, [array.shape[0]]),
        (258, 3, [bits]),
        (259, 3, [8 if deflate else 1]),
        (262, 3, [1]),
        (273, 4, [0]),
        (277, 3, [1]),
        (278, 3, [array.shape[0]]),
        (279, 4, [len(data)]),
        (339, 3, [sample_format]),
    ]
    if origin is not None:
        entries += [
            (33550, 12, [pixel_deg, pixel_deg, 0.0]),
            (33922, 12, [0.0, 0.0, 0.0, origin[0], origin[1], 0.0]),
        ]
        keys = [1, 1, 0, 2, 1024, 0, 1, 1 if projected else 2, 1025, 0, 1, 1]
        entries.append((34735, 3, keys))
    if nodata is not None:
        entries.append((42113, 2, str(nodata)))
    entries.sort()
    fmt = {3: "H", 4: "I", 12: "d", 2: "s"}
    header = 8
    ifd_size = 2 + 12 * len(entries) + 4
    extra = bytearray()
    body = bytearray()
    data_offset = header + ifd_size
    payloads = []
    for _tag, kind, values in entries:
        raw = (
            (values.encode() + b"\x00")
            if kind == 2
            else struct.pack("<" + fmt[kind] * len(values), *values)
        )
        payloads.append(raw)
    extra_offset = data_offset + len(data)
    for (tag, kind, values), raw in zip(entries, payloads, strict=True):
        count = len(raw) if kind == 2 else len(values)
        if tag == 273:
            raw = struct.pack("<I", data_offset)
        if len(raw) <= 4:
            body += struct.pack("<HHI", tag, kind, count) + raw.ljust(4, b"\x00")
        else:
            body += struct.pack("<HHII", tag, kind, count, extra_offset + len(extra))
            extra += raw
    ifd = struct.pack("<H", len(entries)) + body + struct.pack("<I", 0)
    path.write_bytes(b"II*\x00" + struct.pack("<I", header) + ifd + data + extra)
    return path


@pytest.mark.parametrize("deflate", [False, True])
def test_geotiff_roundtrip(tmp_path, deflate):
    z = np.arange(12, dtype=np.int16).reshape(3, 4) * 100
    z[0, 0] = -9999
    path = write_geotiff(
        tmp_path / "dem.tif", z, origin=(74.0, 36.0), pixel_deg=0.5, nodata=-9999, deflate=deflate
    )
    raster = read_geotiff(path)
    np.testing.assert_allclose(raster.lat_deg, [35.75, 35.25, 34.75])  # pixel centres
    np.testing.assert_allclose(raster.lon_deg, [74.25, 74.75, 75.25, 75.75])
    assert np.isnan(raster.values[0, 0]) and raster.values[2, 3] == 1100
    dem = load_dem(path)
    assert dem.elevation_m(35.25, 74.75) == pytest.approx(500.0)


def test_geotiff_population_raster(tmp_path):
    grid = build_grid("Hunza", 6)
    lat0, lon0 = float(grid.lat[0]), float(grid.lon[0])
    counts = np.zeros((3, 3), dtype=np.float32)
    counts[1, 1] = 42.0
    path = write_geotiff(
        tmp_path / "pop.tif", counts, origin=(lon0 - 0.015, lat0 + 0.015), pixel_deg=0.01
    )
    out = distribute_population(grid, path)  # empty pixels carry nobody: nothing dropped
    assert float(out.population.sel(cell=grid.cell.values[0])) == pytest.approx(42.0)
    assert float(out.population.sum()) == pytest.approx(42.0)


def test_geotiff_without_georeference(tmp_path):
    path = write_geotiff(tmp_path / "plain.tif", np.zeros((2, 2), dtype=np.uint8))
    with pytest.raises(
        RasterError, match=r"plain\.tif: expected GeoTIFF georeference tags.*EPSG:4326"
    ):
        read_geotiff(path)
    with pytest.raises(PopulationError, match="georeference"):  # RasterError is both kinds
        distribute_population(build_grid("Hunza", 5), path)


def test_geotiff_projected_and_not_a_tiff(tmp_path):
    path = write_geotiff(
        tmp_path / "utm.tif",
        np.zeros((2, 2), dtype=np.uint8),
        origin=(74.0, 36.0),
        pixel_deg=0.5,
        projected=True,
    )
    with pytest.raises(RasterError, match="projected CRS.*gdalwarp"):
        read_geotiff(path)
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"not a tiff at all")
    with pytest.raises(RasterError, match="junk.tif: expected a TIFF"):
        read_geotiff(junk)


# --- properties -------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(1.0, 5e7), min_size=2, max_size=6))
def test_builtup_radius_is_monotone(populations):
    populations = np.sort(np.array(populations))
    radius = builtup_radius_km(populations)
    assert (np.diff(radius) >= -1e-12).all()
    assert (radius >= 0.2).all()


@pytest.fixture(scope="module")
def gb_ajk_res5():
    return build_grid("Gilgit-Baltistan + Azad Jammu and Kashmir", 5)


@settings(max_examples=8, deadline=None)
@given(gb=st.floats(1e4, 1e7), ajk=st.floats(1e4, 1e7))
def test_user_totals_are_kept_whatever_they_are(tmp_path_factory, gb_ajk_res5, gb, ajk):
    """Any positive control totals from the user's file: each province sums to its total."""
    path = tmp_path_factory.mktemp("totals") / "totals.csv"
    path.write_text(
        f"adm1_name,population\nGilgit-Baltistan,{gb!r}\nAzad Jammu and Kashmir,{ajk!r}\n",
        encoding="utf-8",
    )
    out = distribute_population(gb_ajk_res5, totals=path)
    sums = out.population.groupby(out.province).sum()
    assert float(sums.sel(province="Gilgit-Baltistan")) == pytest.approx(gb, rel=1e-6)
    assert float(sums.sel(province="Azad Jammu and Kashmir")) == pytest.approx(ajk, rel=1e-6)
    assert "user file" in out.attrs["population_totals_source"]
    assert (out.population.values >= 0).all()


def test_a_town_listed_twice_counts_once():
    """Sumgait / Sumqayit 1.6 km apart: one town; Qaracuxur / Bakixanov (87,349 and 66,686,
    distinct names) stay two; a far namesake stays."""
    from hybridplan.grids.population import Settlements, _listed_twice

    names = ["Sumgait", "Sumqayḯt", "Qaraçuxur", "Bakıxanov", "Sumgait"]
    lat = np.array([40.5897, 40.5855, 40.4231, 40.4217, 41.5])
    lon = np.array([49.6686, 49.6500, 49.9758, 49.9555, 49.6686])
    pop = np.array([427_000.0, 298_000.0, 87_349.0, 66_686.0, 5_000.0])
    places = Settlements(np.array(names), lat, lon, pop, np.full(5, np.nan), "test")
    assert great_circle_km(lat[0], lon[0], lat[1], lon[1]) < 3.0
    assert great_circle_km(lat[2], lon[2], lat[3], lon[3]) < 3.0
    np.testing.assert_array_equal(_listed_twice(places, np.arange(5)), [1])


def test_bad_options_and_bad_settlement_files(tmp_path, gb_ajk_res5):
    with pytest.raises(PopulationError, match=r"builtup_density_per_km2.*> 0.*pass e\.g\. 5000"):
        distribute_population(gb_ajk_res5, builtup_density_per_km2=0.0)
    with pytest.raises(PopulationError, match=r"max_habitable_elevation_m.*finite"):
        distribute_population(gb_ajk_res5, max_habitable_elevation_m=float("nan"))
    bad = tmp_path / "places.csv"
    bad.write_text("name,lat,lon,population\nA,35.9,74.3,10\nB,95.0,74.3,0\n", encoding="utf-8")
    with pytest.raises(GridError, match=r"places\.csv:3 latitude.*95\.0"):
        distribute_population(gb_ajk_res5, settlements=bad)
    worse = tmp_path / "worse.csv"
    worse.write_text("name,lat,lon,population\nA,35.9,74.3,-4\n", encoding="utf-8")
    with pytest.raises(PopulationError, match=r"worse\.csv:2.*>= 0.*'population'"):
        distribute_population(gb_ajk_res5, settlements=worse)
