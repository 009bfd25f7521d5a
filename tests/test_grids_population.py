"""Population (dasymetric default, raster, points), rural flag, and the GeoTIFF reader.

Control totals: population/province_totals.csv (PBS census 2023, GB 2023, AJK 2017).
"""

import struct
import zlib

import h3
import numpy as np
import pytest
from hybridplan.grids import (
    PopulationError,
    RasterError,
    build_grid,
    distribute_population,
    habitability,
    load_dem,
    read_geotiff,
)
from hybridplan.grids.population import read_province_totals, read_settlements

GB_AJK = "Gilgit-Baltistan + Azad Jammu and Kashmir"


@pytest.fixture(scope="module")
def gb_ajk():
    return distribute_population(build_grid(GB_AJK, 7))


def test_province_sums_match_control_totals(gb_ajk):
    totals = read_province_totals()
    sums = gb_ajk.population.groupby(gb_ajk.province).sum()
    assert set(sums.province.values) == {"Gilgit-Baltistan", "Azad Jammu and Kashmir"}
    for name in sums.province.values:
        assert float(sums.sel(province=name)) == pytest.approx(totals[name], rel=1e-3)
    assert totals["Gilgit-Baltistan"] == 1_787_000 and totals["Azad Jammu and Kashmir"] == 4_045_366


def test_settlement_cells_carry_their_population(gb_ajk):
    places = read_settlements()
    mine = np.isin(places["province"], ["Gilgit-Baltistan", "Azad Jammu and Kashmir"])
    assert mine.sum() == 39
    cells = list(gb_ajk.cell.values)
    by_cell = {}
    for lat, lon, pop in zip(
        places["lat"][mine], places["lon"][mine], places["population"][mine], strict=True
    ):
        cell = h3.latlng_to_cell(lat, lon, 7)
        by_cell[cell] = by_cell.get(cell, 0.0) + pop
    found = [c for c in by_cell if c in set(cells)]
    assert len(found) >= len(by_cell) - 2  # border places go to a neighbouring cell
    pop = gb_ajk.population.to_series()
    for cell in found:
        assert pop[cell] >= by_cell[cell]
    muzaffarabad = h3.latlng_to_cell(34.37002, 73.47082, 7)
    assert pop[muzaffarabad] >= 725_000


def test_schema_and_rural_flag(gb_ajk):
    for name in ("population", "population_density_per_km2", "rural", "settlement_population"):
        assert gb_ajk[name].dims == ("cell",)
        assert {"units", "long_name"} <= set(gb_ajk[name].attrs)
    assert gb_ajk.population.attrs["units"] == "person"
    assert list(gb_ajk.rural.attrs["flag_values"]) == [0, 1]
    assert gb_ajk.rural.attrs["flag_meanings"] == "not_rural rural"
    density = gb_ajk.population / gb_ajk.area_km2
    np.testing.assert_array_equal(gb_ajk.rural.values, (density < 300).values.astype(np.uint8))
    assert 0.9 < gb_ajk.rural.mean() < 1.0
    assert (gb_ajk.population >= 0).all()
    assert "GeoNames" in gb_ajk.attrs["population_source"]


def test_partial_province_gets_its_share():
    """Hunza alone: its cells get the share of GB's total, not all of it."""
    hunza = distribute_population(build_grid("Hunza", 7))
    total = float(hunza.population.sum())
    assert 20_000 < total < 0.3 * 1_787_000


def test_habitability_weights():
    assert habitability(1000.0, 0.0) == 1.0
    assert habitability(3750.0, 0.0) == pytest.approx(0.5)
    assert habitability(5000.0, 0.0) == 0.0
    assert habitability(1000.0, 15.0) == pytest.approx(0.5)
    np.testing.assert_allclose(habitability([1000.0, np.nan], [0.0, 45.0]), [1.0, 0.0])


def test_unknown_province_needs_user_data(tmp_path):
    grid = build_grid("Kyrgyzstan", 4)
    with pytest.raises(PopulationError, match=r"province 'Kyrgyzstan'.*raster"):
        distribute_population(grid)


def test_points_csv(tmp_path):
    grid = build_grid("Hunza", 6)
    lat, lon = float(grid.lat[0]), float(grid.lon[0])
    path = tmp_path / "people.csv"
    path.write_text(
        f"lat,lon,population\n{lat},{lon},120\n{lat},{lon},30\n0,0,99\n", encoding="utf-8"
    )
    out = distribute_population(grid, path, rural_density_per_km2=1.0)
    assert float(out.population[0]) == 150.0 and float(out.population.sum()) == 150.0
    assert "user file" in out.attrs["population_source"]
    bad = tmp_path / "bad.csv"
    bad.write_text("lat,lon,population\n36.3,74.6,many\n", encoding="utf-8")
    with pytest.raises(PopulationError, match=r"bad\.csv:2.*'population'"):
        distribute_population(grid, bad)
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("y,x,pop\n", encoding="utf-8")
    with pytest.raises(PopulationError, match=r"wrong\.csv:1.*columns"):
        distribute_population(grid, wrong)


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
    out = distribute_population(grid, path)
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
