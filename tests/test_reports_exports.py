"""Exports: cells.csv, districts.csv, attributes.csv, GeoJSON and the GeoPackage read
back by a standard reader (pyogrio/GDAL)."""

import csv
import io
import json
import sqlite3

import h3
import numpy as np
import pytest
import shapely
from hybridplan.coverage import testing
from hybridplan.reports import (
    DEFAULT_EXPORTS,
    EXPORTS,
    ReportDataError,
    cell_columns,
    geojson_dict,
    write_all,
    write_cells_csv,
    write_districts_csv,
    write_geojson,
    write_geopackage,
)
from hybridplan.reports.atomic import write_atomic
from hybridplan.reports.geopackage import gpkg_geometry_blob


@pytest.fixture(scope="module")
def plan():
    return testing.synthetic_plan(box=(35.8, 36.0, 74.2, 74.5), series=False)


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_cells_csv_has_every_variable_flattened_per_system(plan, tmp_path):
    rows = _rows(write_cells_csv(plan, tmp_path / "cells.csv"))
    assert len(rows) == plan.sizes["cell"]
    header = list(rows[0])
    assert header[0] == "cell"
    for system in plan.system.values:
        assert f"pct_time_covered_{system}" in header
    assert "pct_time_covered" not in header
    first = rows[0]
    assert first["cell"] == str(plan.cell.values[0])
    assert float(first["pct_time_covered_oneweb"]) == pytest.approx(
        float(plan.pct_time_covered.sel(system="oneweb")[0]))
    meanings = plan.recommendation.attrs["flag_meanings"].split()
    assert first["recommendation"] == meanings[int(plan.recommendation[0])]
    assert first["underserved"] in ("0", "1")  # two-valued flags stay 0/1


def test_missing_values_are_empty_fields_and_null_in_geojson(plan, tmp_path):
    ds = plan.copy()
    ds["fiber_path_km"] = ds.fiber_path_km.where(ds.cell != ds.cell[0])
    rows = _rows(write_cells_csv(ds, tmp_path / "cells.csv"))
    assert rows[0]["fiber_path_km"] == ""
    text = write_geojson(ds, tmp_path / "cells.geojson").read_text(encoding="utf-8")
    assert "NaN" not in text
    assert json.loads(text)["features"][0]["properties"]["fiber_path_km"] is None


def test_districts_csv_totals_match_cells(plan, tmp_path):
    rows = _rows(write_districts_csv(plan, tmp_path / "districts.csv"))
    assert sum(int(float(r["cells"])) for r in rows) == plan.sizes["cell"]
    assert sum(float(r["population"]) for r in rows) == pytest.approx(
        float(plan.population.sum()))
    assert {"underserved_population", "n_fiber", "recommended_cost_usd"} <= set(rows[0])


def test_geojson_polygons_are_lng_lat_and_match_h3(plan):
    gj = geojson_dict(plan)
    assert len(gj["features"]) == plan.sizes["cell"]
    feature = gj["features"][0]
    ring = np.asarray(feature["geometry"]["coordinates"][0])
    lat, lng = h3.cell_to_latlng(feature["id"])
    centroid = shapely.Polygon(ring).centroid
    assert (centroid.x, centroid.y) == pytest.approx((lng, lat), abs=1e-4)
    assert shapely.Polygon(ring).exterior.is_ccw
    assert feature["properties"]["district"] in testing.DISTRICTS


def test_geopackage_reads_back_with_pyogrio(plan, tmp_path):
    pyogrio = pytest.importorskip("pyogrio", reason="pyogrio (GDAL) reads the GeoPackage")
    path = write_geopackage(plan, tmp_path / "cells.gpkg")
    info = pyogrio.read_info(path, layer="cells")
    assert info["crs"] == "EPSG:4326"
    assert info["features"] == plan.sizes["cell"]
    assert info["geometry_type"] == "Polygon"
    assert info["driver"] == "GPKG"
    names = [c.name for c in cell_columns(plan)]
    assert list(info["fields"]) == names
    meta, _, geometry, fields = pyogrio.raw.read(path, layer="cells")
    first = shapely.from_wkb(geometry[0])
    lat, lng = h3.cell_to_latlng(str(fields[names.index("cell")][0]))
    assert (first.centroid.x, first.centroid.y) == pytest.approx((lng, lat), abs=1e-4)
    population = fields[names.index("population")]
    np.testing.assert_allclose(population, plan.population.values)
    assert set(fields[names.index("recommendation")]) <= set(
        plan.recommendation.attrs["flag_meanings"].split())
    xmin, ymin, xmax, ymax = info["total_bounds"]
    assert 74.0 < xmin < xmax < 75.0 and 35.0 < ymin < ymax < 36.5  # lon on x


def test_geopackage_metadata_and_column_docs(plan, tmp_path):
    path = write_geopackage(plan, tmp_path / "cells.gpkg")
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        assert con.execute("SELECT srs_id, geometry_type_name FROM gpkg_geometry_columns"
                           ).fetchone() == (4326, "POLYGON")
        titles = dict(con.execute("SELECT column_name, title FROM gpkg_data_columns"))
        assert titles["max_gap_s_starlink"] == "longest coverage gap, starlink [s]"
        assert titles["population"] == "population [person]"
    finally:
        con.close()
    again = write_geopackage(plan, tmp_path / "again.gpkg")
    assert path.read_bytes() == again.read_bytes()  # deterministic


def test_geometry_blob_header():
    poly = shapely.Polygon([(74, 35), (75, 35), (75, 36), (74, 35)])
    blob = gpkg_geometry_blob(poly)
    assert blob[:2] == b"GP" and blob[2] == 0 and blob[3] == 0b11
    assert int.from_bytes(blob[4:8], "little") == 4326
    envelope = np.frombuffer(blob[8:40], "<f8")
    assert envelope.tolist() == [74, 75, 35, 36]  # minx, maxx, miny, maxy
    assert shapely.from_wkb(blob[40:]).equals(poly)


def test_geometry_blobs_in_one_batch_are_the_single_blobs():
    from hybridplan.reports.geopackage import _geometry_blobs

    polys = [
        shapely.Polygon([(74, 35), (75, 35), (75, 36), (74, 35)]),
        shapely.Polygon([(70.5, 28.25), (71, 28), (71.5, 29), (70.5, 28.25)]),
    ]
    batch = _geometry_blobs(np.array(polys, dtype=object))
    assert batch == [gpkg_geometry_blob(p) for p in polys]


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "cells.csv"
    target.write_text("old", encoding="utf-8")

    def boom(tmp):
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(target, boom)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["cells.csv"]


def test_write_all_default_exports_and_attributes_document_units(plan, tmp_path):
    paths = write_all(plan, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["report.html", "cells.gpkg", "districts.csv", "attributes.csv"])
    assert tuple(paths) == DEFAULT_EXPORTS
    rows = _rows(paths["attributes_csv"])
    units = {(r["table"], r["column"]): r["units"] for r in rows}
    assert units[("cells", "max_gap_s_kuiper")] == "s"
    assert units[("districts", "underserved_population")] == "person"
    codes = {r["column"]: r["codes"] for r in rows if r["table"] == "cells"}
    assert codes["recommendation"].startswith("0=no_population; 1=already_served; 2=fiber")
    assert {r["column"] for r in rows if r["table"] == "cells"} == {
        c.name for c in cell_columns(plan)}


def test_write_all_on_request_and_unknown_exports(plan, tmp_path):
    paths = write_all(plan, tmp_path / "out", exports=["geojson", "cells_csv"])
    assert sorted(paths) == ["cells_csv", "geojson"]
    header = next(csv.reader(io.StringIO(paths["cells_csv"].read_text("utf-8"))))
    assert header == [c.name for c in cell_columns(plan)]
    assert EXPORTS == ("report", "pdf", "geopackage", "geojson", "cells_csv",
                       "districts_csv", "attributes_csv")
    with pytest.raises(ReportDataError, match="unknown export.*'shapefile'.*expected some of"):
        write_all(plan, tmp_path / "bad", exports=["report", "shapefile"])
    assert not (tmp_path / "bad").exists()


def test_geopackage_has_a_spatial_index_and_a_column_dictionary(plan, tmp_path):
    path = write_geopackage(plan, tmp_path / "cells.gpkg")
    con = sqlite3.connect(path)
    try:
        ext = con.execute("SELECT table_name, column_name, extension_name FROM "
                          "gpkg_extensions WHERE extension_name = 'gpkg_rtree_index'"
                          ).fetchall()
        assert ext == [("cells", "geom", "gpkg_rtree_index")]
        index = con.execute("SELECT id, minx, maxx, miny, maxy FROM rtree_cells_geom "
                            "ORDER BY id").fetchall()
        assert len(index) == plan.sizes["cell"]
        # the box of feature 1 is the bounds of the first cell's hexagon (float32 in rtree)
        ring = np.asarray(h3.cell_to_boundary(str(plan.cell.values[0])))[:, ::-1]
        fid, minx, maxx, miny, maxy = index[0]
        assert fid == 1
        assert (minx, maxx, miny, maxy) == pytest.approx(
            (ring[:, 0].min(), ring[:, 0].max(), ring[:, 1].min(), ring[:, 1].max()),
            abs=1e-4)
        # a window query finds exactly the cells whose boxes meet it
        lat, lng = h3.cell_to_latlng(str(plan.cell.values[5]))
        hits = {r[0] for r in con.execute(
            "SELECT id FROM rtree_cells_geom WHERE minx <= ? AND maxx >= ? AND miny <= ? "
            "AND maxy >= ?", (lng, lng, lat, lat))}
        assert 6 in hits and len(hits) <= 3
        dictionary = con.execute("SELECT column_name, long_name, units, codes FROM "
                                 "column_dictionary").fetchall()
        assert [d[0] for d in dictionary] == [c.name for c in cell_columns(plan)]
        assert ("population", "population", "person", "") in dictionary
        assert con.execute("SELECT data_type FROM gpkg_contents WHERE table_name = "
                           "'column_dictionary'").fetchone() == ("attributes",)
    finally:
        con.close()
    pyogrio = pytest.importorskip("pyogrio", reason="pyogrio (GDAL) reads the GeoPackage")
    layers = dict(pyogrio.list_layers(path))
    assert layers["cells"] == "Polygon" and "column_dictionary" in layers
