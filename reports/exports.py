"""Exports for spreadsheets and GIS: cells.csv, districts.csv, attributes.csv, GeoJSON.

One flat record per cell: per-cell variables keep their names; ``(system, cell)``
variables become one column per system, ``<variable>_<system>`` (for example
``pct_time_covered_starlink``). A ``compact`` table keeps, per system, only the figures
the satellite decision reads (:data:`COMPACT_PER_SYSTEM`) and every other per-system
figure for the combined system alone: the full detail stays in plan.nc. CF flag variables are written as their meanings
(``recommendation = "leo_starlink"``) except two-valued 0/1 flags (``rural``,
``underserved``), which stay 0/1 integers. ``attributes.csv`` documents every column:
name, long name, units and the flag codes.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from . import hexgeom
from .atomic import write_text_atomic
from .labels import (
    CELL_DIM,
    COMBINED_SYSTEM,
    SYSTEM_DIM,
    ReportDataError,
    as_text,
    categories,
    cell_ids,
    flag_meanings,
    per_cell_variables,
    systems,
)
from .tables import district_table


@dataclass(frozen=True)
class CellColumn:
    """One exported column: name, description, units, kind and the values per cell.

    ``kind`` is ``"text"``, ``"integer"`` or ``"real"``; ``codes`` documents flags.
    """

    name: str
    long_name: str
    units: str
    kind: str
    values: np.ndarray
    codes: str = ""


def _is_binary_flag(table: dict[int, str]) -> bool:
    return sorted(table) == [0, 1]


def _column(name: str, da: xr.DataArray, suffix: str = "", values: bool = True) -> CellColumn:
    long_name = str(da.attrs.get("long_name", name)) + suffix
    units = str(da.attrs.get("units", ""))
    table = flag_meanings(da)
    data = np.asarray(da.values) if values else np.zeros(0, da.dtype)
    if table is not None:
        codes = "; ".join(f"{k}={v}" for k, v in table.items())
        if _is_binary_flag(table):
            return CellColumn(
                name, long_name, "", "integer", data.astype(np.int64, copy=False), codes
            )
        return CellColumn(name, long_name, "", "text", categories(da) if values else data, codes)
    if data.dtype.kind in "OSU":
        return CellColumn(name, long_name, units, "text", as_text(data))
    if data.dtype.kind in "iub":
        return CellColumn(name, long_name, units, "integer", data.astype(np.int64, copy=False))
    return CellColumn(name, long_name, units, "real", data.astype(np.float64, copy=False))


#: The cell tables' levels of detail (cells.gpkg, cells.csv, cells.geojson).
CELL_DETAILS = ("full", "compact")
#: Per-system figures a ``compact`` table keeps for every system: the two the satellite
#: decision reads (availability and latency against ``[criteria]``).
COMPACT_PER_SYSTEM = ("pct_time_covered", "latency_rtt_mean_ms")


def check_cell_detail(detail: str) -> str:
    """``detail`` if it is one of :data:`CELL_DETAILS` (else a one-line error)."""
    if detail not in CELL_DETAILS:
        raise ReportDataError(
            f"cell_detail = {detail!r}: expected one of {', '.join(map(repr, CELL_DETAILS))}"
        )
    return detail


def cell_columns(ds: xr.Dataset, *, values: bool = True, detail: str = "full") -> list[CellColumn]:
    """Every exported column of the cell table, ``cell`` (H3 id) first.

    Variables over ``cell`` in Dataset order, then each ``(system, cell)`` variable
    once per system (Dataset order of systems). Variables over ``time`` are left out.
    ``values=False``: the columns' names, descriptions and kinds only (empty values).
    ``detail="compact"``: of the ``(system, cell)`` variables, only those of
    :data:`COMPACT_PER_SYSTEM` for every system and the others for the combined
    system alone (every per-cell variable either way).
    """
    compact = check_cell_detail(detail) == "compact"
    ids = np.asarray(cell_ids(ds) if values else [], dtype=object)
    cols = [CellColumn("cell", "H3 cell index", "", "text", ids)]
    names = per_cell_variables(ds)
    for name in names:
        if ds[name].dims == (CELL_DIM,):
            cols.append(_column(name, ds[name], values=values))
    for name in names:
        if SYSTEM_DIM in ds[name].dims:
            for system in systems(ds):
                if compact and name not in COMPACT_PER_SYSTEM and system != COMBINED_SYSTEM:
                    continue
                da = ds[name]
                if values:
                    da = da.sel({SYSTEM_DIM: system}).transpose(CELL_DIM)
                cols.append(_column(f"{name}_{system}", da, f", {system}", values))
    return cols


def _text_value(value, kind: str) -> str:
    if kind == "text":
        return str(value)
    if kind == "integer":
        return str(int(value))
    return "" if not np.isfinite(value) else repr(float(value))


def _csv_text(header: list[str], rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def cells_csv_text(ds: xr.Dataset, detail: str = "full") -> str:
    """cells.csv as text (RFC 4180, UTF-8, empty field = missing); columns of
    :func:`cell_columns` at ``detail``."""
    cols = cell_columns(ds, detail=detail)
    rows = zip(*[[_text_value(v, c.kind) for v in c.values] for c in cols], strict=True)
    return _csv_text([c.name for c in cols], rows)


def write_cells_csv(ds: xr.Dataset, path: str | os.PathLike, detail: str = "full") -> Path:
    """Write one row per cell (see the module doc for columns); atomic. Returns path."""
    return write_text_atomic(path, cells_csv_text(ds, detail))


def districts_csv_text(ds: xr.Dataset) -> str:
    """districts.csv as text: the rows of :func:`~hybridplan.reports.tables.district_table`."""
    table = district_table(ds)
    names = [c.name for c in table.columns]
    rows = []
    for row in table.rows:
        rows.append(
            [_text_value(row[n], "real" if isinstance(row[n], float) else "text") for n in names]
        )
    return _csv_text(names, rows)


def write_districts_csv(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write one row per district: cells, population, underserved population,
    recommended technology counts and total cost; atomic. Returns path."""
    return write_text_atomic(path, districts_csv_text(ds))


def attributes_csv_text(ds: xr.Dataset, detail: str = "full") -> str:
    """The data dictionary: every column of cells.* (at ``detail``) and districts.csv
    with units."""
    columns = cell_columns(ds, values=False, detail=detail)
    rows = [("cells", c.name, c.long_name, c.units, c.codes) for c in columns]
    if "district" in ds.data_vars:
        rows += [
            ("districts", c.name, c.long_name, c.units, "") for c in district_table(ds).columns
        ]
    return _csv_text(["table", "column", "long_name", "units", "codes"], rows)


def write_attributes_csv(ds: xr.Dataset, path: str | os.PathLike, detail: str = "full") -> Path:
    """Write the data dictionary (:func:`attributes_csv_text`); atomic. Returns path."""
    return write_text_atomic(path, attributes_csv_text(ds, detail))


def _json_value(value, kind: str):
    if kind == "text":
        return str(value)
    if kind == "integer":
        return int(value)
    return float(value) if np.isfinite(value) else None


def geojson_dict(ds: xr.Dataset, decimals: int = 6, detail: str = "full") -> dict:
    """RFC 7946 FeatureCollection: one hexagon Polygon per cell (lon, lat; CCW exterior)
    with every column of :func:`cell_columns` at ``detail`` as properties (NaN as null)."""
    cols = cell_columns(ds, detail=detail)
    ids = cell_ids(ds)
    feats = []
    for i, cell in enumerate(ids):
        ring = np.round(hexgeom.boundary_lnglat(cell), decimals).tolist()
        props = {c.name: _json_value(c.values[i], c.kind) for c in cols}
        feats.append(
            {
                "type": "Feature",
                "id": cell,
                "properties": props,
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def write_geojson(ds: xr.Dataset, path: str | os.PathLike, detail: str = "full") -> Path:
    """Write :func:`geojson_dict` as UTF-8 JSON; atomic. Returns path."""
    text = json.dumps(
        geojson_dict(ds, detail=detail), ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )
    return write_text_atomic(path, text + "\n")
