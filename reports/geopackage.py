"""A small GeoPackage writer (OGC 12-128r18, version 1.3) on the standard library's sqlite3.

Why our own: the cells layer is one table of hexagon polygons in EPSG:4326 with plain
columns, which needs only the three core metadata tables, the GeoPackage geometry
header and WKB (from shapely). Writing it ourselves keeps GDAL's wheels out of the
runtime dependencies; the tests read the file back with pyogrio (GDAL) to prove it is a
standard GeoPackage. Column titles, descriptions and units go into
``gpkg_data_columns`` (the GeoPackage schema extension), which QGIS shows as aliases.

The layer gets the GeoPackage R-tree spatial index (``gpkg_rtree_index``: a SQLite
``rtree`` virtual table of the polygons' bounding boxes, without the maintenance
triggers, so the index is right for the file as written: edit the layer in QGIS or GDAL,
which rebuild it) and a ``column_dictionary`` attributes table (column, long name,
units, codes) beside ``gpkg_data_columns``.
"""

from __future__ import annotations

import os
import sqlite3
import struct
from pathlib import Path

import numpy as np
import shapely
import xarray as xr

from . import hexgeom
from .atomic import write_atomic
from .exports import cell_columns
from .labels import cell_ids, per_cell_variables

WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)
APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10300  # GeoPackage 1.3.0
#: gpkg_contents.last_change must be an ISO timestamp; a fixed default keeps files
#: byte-for-byte reproducible unless the caller passes the run's time.
DEFAULT_TIMESTAMP = "1970-01-01T00:00:00.000Z"
_SQL_TYPES = {"text": "TEXT", "integer": "INTEGER", "real": "REAL"}

_CORE_TABLES = """
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL,
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
  definition TEXT NOT NULL, scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE gpkg_data_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT,
  description TEXT, mime_type TEXT, constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
  CONSTRAINT gdc_tn UNIQUE (table_name, name));
CREATE TABLE gpkg_data_column_constraints (
  constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT,
  min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN,
  description TEXT, CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value));
"""


def gpkg_geometry_blob(geometry, srs_id: int = 4326) -> bytes:
    """GeoPackage geometry BLOB: ``GP`` header with an xy envelope, then ISO WKB.

    Header (OGC 12-128r18, 2.1.3): magic ``b"GP"``, version 0, flags (bit 0 little
    endian = 1, bits 1-3 envelope type 1 = [minx, maxx, miny, maxy]), int32 srs_id,
    four doubles; then the geometry as little-endian WKB.
    """
    minx, miny, maxx, maxy = shapely.bounds(geometry).tolist()
    header = b"GP" + struct.pack("<BBi4d", 0, 0b0000_0011, srs_id, minx, maxx, miny, maxy)
    return header + shapely.to_wkb(geometry, byte_order=1, flavor="iso")


ROWS_PER_BATCH = 8192
"""Cells whose rings, polygons and column values are built and inserted together (memory ~
a batch, not the layer: all Pakistan at res 7 is 160,000 cells x 140 columns)."""


def _polygons(groups, n: int) -> np.ndarray:
    """Shapely polygons of ``n`` cells from their :func:`~.hexgeom.ring_groups`."""
    out = np.empty(n, dtype=object)
    for idx, rings in groups:
        out[idx] = shapely.polygons(rings)
    return out


def _ring_bounds(groups, n: int) -> np.ndarray:
    """``(n, 4)`` [minx, miny, maxx, maxy] of the rings: ``shapely.bounds`` of their
    polygons (the extremes of the same coordinates)."""
    out = np.zeros((n, 4))
    for idx, rings in groups:
        out[idx, :2] = rings.min(axis=1)
        out[idx, 2:] = rings.max(axis=1)
    return out


def _geometry_blobs(polygons: np.ndarray, srs_id: int = 4326) -> list[bytes]:
    """:func:`gpkg_geometry_blob` of many polygons at once (same bytes)."""
    header = np.zeros(
        len(polygons),
        dtype=[
            ("magic", "S2"),
            ("version", "u1"),
            ("flags", "u1"),
            ("srs", "<i4"),
            ("env", "<f8", 4),
        ],
    )
    if len(polygons):
        minx, miny, maxx, maxy = shapely.bounds(polygons).T
        header["magic"], header["flags"], header["srs"] = b"GP", 0b0000_0011, srs_id
        header["env"] = np.column_stack([minx, maxx, miny, maxy])
    wkb = shapely.to_wkb(polygons, byte_order=1, flavor="iso")
    return [h.tobytes() + w for h, w in zip(header, wkb, strict=True)]


def _sql_column(values: np.ndarray, kind: str) -> list:
    """A column as Python values for sqlite3: str, int, or float with NULL for NaN/inf."""
    if kind == "text":
        return [str(v) for v in values]
    if kind == "integer":
        return np.asarray(values).astype(np.int64).tolist()
    floats = np.asarray(values, dtype=np.float64)
    out = floats.astype(object)
    out[~np.isfinite(floats)] = None
    return out.tolist()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _write(path: Path, ds: xr.Dataset, layer: str, timestamp_utc: str, detail: str) -> None:
    # the layer is built a batch of cells at a time (rings, polygons, column values),
    # so memory follows ROWS_PER_BATCH, not the plan's size
    cols = cell_columns(ds, values=False, detail=detail)
    cells = cell_ids(ds)
    ds = ds[per_cell_variables(ds)]  # each batch selects only the table's variables
    batches = [
        slice(lo, min(lo + ROWS_PER_BATCH, len(cells)))
        for lo in range(0, len(cells), ROWS_PER_BATCH)
    ]
    rings = [hexgeom.ring_groups(cells[part]) for part in batches]
    boxes = (
        np.vstack(
            [
                _ring_bounds(g, part.stop - part.start)
                for g, part in zip(rings, batches, strict=True)
            ]
        )
        if batches
        else np.zeros((0, 4))
    )
    bounds = (
        [*boxes[:, :2].min(axis=0).tolist(), *boxes[:, 2:].max(axis=0).tolist()]
        if len(boxes)
        else [None] * 4
    )
    con = sqlite3.connect(path)
    try:
        # a fresh file written whole, then moved into place (write_atomic): no rollback
        # journal and no syncs while it is built (the file's bytes are the same)
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        con.execute(f"PRAGMA user_version = {USER_VERSION}")
        con.executescript(_CORE_TABLES)
        con.executemany(
            "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
            [
                ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian"),
                ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic"),
                ("WGS 84 geodetic", 4326, "EPSG", 4326, WGS84_WKT, "longitude/latitude WGS 84"),
            ],
        )
        title = str(ds.attrs.get("title", "hybridplan cells"))
        con.execute(
            "INSERT INTO gpkg_contents VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, 4326)",
            (layer, layer, title, timestamp_utc, *bounds),
        )
        con.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'POLYGON', 4326, 0, 0)", (layer,)
        )
        column_sql = ", ".join(f"{_quote(c.name)} {_SQL_TYPES[c.kind]}" for c in cols)
        con.execute(
            f"CREATE TABLE {_quote(layer)} (fid INTEGER PRIMARY KEY AUTOINCREMENT "
            f"NOT NULL, geom POLYGON, {column_sql})"
        )
        placeholders = ", ".join("?" * (len(cols) + 1))
        names = ", ".join(["geom", *(_quote(c.name) for c in cols)])
        insert = f"INSERT INTO {_quote(layer)} ({names}) VALUES ({placeholders})"
        for part, groups in zip(batches, rings, strict=True):  # Python objects of a batch only
            blobs = _geometry_blobs(_polygons(groups, part.stop - part.start))
            values = cell_columns(ds.isel(cell=part), detail=detail)
            rows = zip(blobs, *(_sql_column(c.values, c.kind) for c in values), strict=True)
            con.executemany(insert, rows)
        con.execute(
            "INSERT INTO gpkg_extensions VALUES ('gpkg_data_columns', NULL, "
            "'gpkg_schema', 'http://www.geopackage.org/spec/#extension_schema', "
            "'read-write')"
        )
        con.execute(
            "INSERT INTO gpkg_extensions VALUES ('gpkg_data_column_constraints', "
            "NULL, 'gpkg_schema', 'http://www.geopackage.org/spec/#extension_schema',"
            " 'read-write')"
        )
        con.executemany(
            "INSERT INTO gpkg_data_columns VALUES (?, ?, ?, ?, ?, NULL, NULL)",
            [
                (
                    layer,
                    c.name,
                    c.name,
                    f"{c.long_name} [{c.units}]" if c.units else c.long_name,
                    c.codes or None,
                )
                for c in cols
            ],
        )
        _spatial_index(con, layer, boxes)
        _column_dictionary(con, cols, timestamp_utc)
        con.commit()
    finally:
        con.close()


def _spatial_index(con: sqlite3.Connection, layer: str, boxes: np.ndarray) -> None:
    """``rtree_<layer>_geom`` with each feature's (minx, maxx, miny, maxy), id = fid;
    ``boxes``: ``(n, 4)`` [minx, miny, maxx, maxy] per feature."""
    name = _quote(f"rtree_{layer}_geom")
    con.execute(f"CREATE VIRTUAL TABLE {name} USING rtree(id, minx, maxx, miny, maxy)")
    minx, miny, maxx, maxy = (boxes[:, k].tolist() for k in range(4))
    con.executemany(
        f"INSERT INTO {name} VALUES (?, ?, ?, ?, ?)",
        zip(range(1, len(minx) + 1), minx, maxx, miny, maxy, strict=True),
    )
    con.execute(
        "INSERT INTO gpkg_extensions VALUES (?, 'geom', 'gpkg_rtree_index', "
        "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        (layer,),
    )


def _column_dictionary(con: sqlite3.Connection, cols, timestamp_utc: str) -> None:
    """An attributes table documenting every column of the cells layer."""
    con.execute(
        "CREATE TABLE column_dictionary (id INTEGER PRIMARY KEY AUTOINCREMENT "
        "NOT NULL, column_name TEXT NOT NULL, long_name TEXT, units TEXT, "
        "codes TEXT)"
    )
    con.executemany(
        "INSERT INTO column_dictionary (column_name, long_name, units, codes) VALUES (?, ?, ?, ?)",
        [(c.name, c.long_name, c.units, c.codes) for c in cols],
    )
    con.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description,"
        " last_change) VALUES ('column_dictionary', 'attributes', "
        "'column_dictionary', 'columns of the cells layer: long name, units, codes',"
        " ?)",
        (timestamp_utc,),
    )


def write_geopackage(
    ds: xr.Dataset,
    path: str | os.PathLike,
    *,
    layer: str = "cells",
    timestamp_utc: str = DEFAULT_TIMESTAMP,
    detail: str = "full",
) -> Path:
    """Write the cells as a GeoPackage layer of hexagon polygons (EPSG:4326, lon/lat).

    Parameters
    ----------
    ds : xarray.Dataset
        The plan Dataset; columns as in :func:`~hybridplan.reports.exports.cell_columns`
        at ``detail``.
    path : path-like
        Output ``.gpkg``; written atomically (a failure leaves any old file intact).
    layer : str
        Table (layer) name.
    timestamp_utc : str
        ``gpkg_contents.last_change`` (ISO 8601, UTC); fixed by default so the output
        is reproducible.
    detail : str
        ``"full"`` (every figure of every system) or ``"compact"`` (see
        :func:`~hybridplan.reports.exports.cell_columns`).

    Returns
    -------
    pathlib.Path
    """
    return write_atomic(path, lambda tmp: _write(tmp, ds, layer, timestamp_utc, detail))
