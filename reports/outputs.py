"""The report outputs of a plan into one folder, in one call (for the CLI).

The export set is chosen by the caller (the scenario's ``[output] exports``): big regions
need not write gigabytes of GeoJSON and per-cell CSV by default. ``plan.nc`` is written by
the pipeline, not here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from pathlib import Path

import xarray as xr

from .background import BackgroundWrite, trim_heap
from .exports import (
    check_cell_detail,
    write_attributes_csv,
    write_cells_csv,
    write_districts_csv,
    write_geojson,
)
from .geopackage import write_geopackage
from .html import write_report
from .labels import ReportDataError
from .pdf import write_pdf

FILE_NAMES = {
    "report": "report.html",
    "pdf": "report.pdf",
    "geopackage": "cells.gpkg",
    "geojson": "cells.geojson",
    "cells_csv": "cells.csv",
    "districts_csv": "districts.csv",
    "attributes_csv": "attributes.csv",
}
#: Every export, in writing order.
EXPORTS = tuple(FILE_NAMES)
#: Written when the caller does not choose: the report, the GeoPackage (with its column
#: dictionary), the district table and its column dictionary. GeoJSON, the per-cell CSV
#: and the PDF on request.
DEFAULT_EXPORTS = ("report", "geopackage", "districts_csv", "attributes_csv")
#: Written in the forked child with the report (``concurrent=True``); the others here.
CHILD_EXPORTS = ("report", "districts_csv", "attributes_csv", "cells_csv")


def check_exports(exports: Iterable[str]) -> tuple[str, ...]:
    """The export names, validated (unknown names raise with the valid choices)."""
    chosen = tuple(dict.fromkeys(str(x) for x in exports))
    unknown = [x for x in chosen if x not in EXPORTS]
    if unknown:
        raise ReportDataError(
            f"unknown export(s) {unknown}; expected some of "
            f"{', '.join(EXPORTS)} (default {', '.join(DEFAULT_EXPORTS)})"
        )
    if "pdf" in chosen and "report" not in chosen:
        chosen = ("report", *chosen)  # the PDF is printed from the HTML
    return chosen


def write_all(
    ds: xr.Dataset,
    folder: str | os.PathLike,
    exports: Iterable[str] = DEFAULT_EXPORTS,
    *,
    concurrent: bool = True,
    also: Mapping[str, Callable[[], Path]] | None = None,
    cell_detail: str = "full",
    **report_kwargs,
) -> dict[str, Path]:
    """Write the chosen exports of a plan into ``folder``; each file atomically.

    Parameters
    ----------
    ds : xarray.Dataset
        The plan Dataset.
    folder : path-like
    exports : iterable of str
        Some of ``report`` (report.html), ``pdf`` (report.pdf through headless Chromium;
        implies ``report``), ``geopackage`` (cells.gpkg), ``geojson`` (cells.geojson),
        ``cells_csv`` (cells.csv), ``districts_csv`` (districts.csv, skipped without a
        ``district`` variable), ``attributes_csv`` (attributes.csv, the column
        dictionary). Default :data:`DEFAULT_EXPORTS`.
    concurrent : bool
        Write the report and the tables (:data:`CHILD_EXPORTS`) in a forked child
        process while this process writes the GIS layers and ``also``
        (:mod:`~hybridplan.reports.background`); with ``also``, the GIS layers in a
        second forked child. The files are the same either way. ``False`` writes one
        file after the other.
    also : mapping, optional
        ``{name: writer}``: more files the caller writes here while the report is
        written (the pipeline's plan.nc); each writer returns its path, which is
        returned under ``name`` (first, in the mapping's order).
    cell_detail : str
        The columns of cells.gpkg, cells.csv and cells.geojson (and of their data
        dictionary): ``"full"``, every figure of every system, or ``"compact"``, per
        system only the figures the satellite decision reads and the rest for the
        combined system (:func:`~hybridplan.reports.exports.cell_columns`).
    **report_kwargs
        Go to :func:`~hybridplan.reports.html.render_report`.

    Returns
    -------
    dict
        ``{export: path}`` of the files written.
    """
    chosen = check_exports(exports)
    detail = check_cell_detail(cell_detail)
    folder = Path(folder)
    writers = {
        "report": lambda p: write_report(ds, p, cell_detail=detail, **report_kwargs),
        "pdf": lambda p: write_pdf(folder / FILE_NAMES["report"], p),
        "geopackage": lambda p: write_geopackage(ds, p, detail=detail),
        "geojson": lambda p: write_geojson(ds, p, detail),
        "cells_csv": lambda p: write_cells_csv(ds, p, detail),
        "districts_csv": lambda p: write_districts_csv(ds, p),
        "attributes_csv": lambda p: write_attributes_csv(ds, p, detail),
    }
    names = [
        name
        for name in EXPORTS
        if name in chosen and not (name == "districts_csv" and "district" not in ds.data_vars)
    ]
    # the report and the tables in a child; the GIS layers in a second child when the
    # caller writes files here too (all Pakistan: report 5.6 s, cells.gpkg 4.6 s,
    # plan.nc 3.3 s; the GIS child adds its batches, about 70 MB, to the peak), else here
    child = [n for n in names if n in CHILD_EXPORTS]
    gis = [n for n in names if n not in CHILD_EXPORTS and n != "pdf"]
    out: dict[str, Path] = {}
    background = BackgroundWrite(
        lambda: {n: writers[n](folder / FILE_NAMES[n]) for n in child},
        concurrent=concurrent and "report" in child and bool(also or gis),
    )
    beside = BackgroundWrite(
        lambda: {n: writers[n](folder / FILE_NAMES[n]) for n in gis},
        concurrent=concurrent and bool(also) and bool(gis),
        what="the GIS layers",
    )
    with background if child else nullcontext(), beside if gis else nullcontext():
        for name, write in (also or {}).items():
            out[name] = write()
            trim_heap()  # its temporaries, before the next file's (the children are at work)
        if gis:
            out.update(beside.wait())
            trim_heap()
        if child:
            out.update(background.wait())
    if "pdf" in names:  # printed from the finished report.html
        out["pdf"] = writers["pdf"](folder / FILE_NAMES["pdf"])
    return {name: out[name] for name in [*(also or {}), *names]}  # the order of EXPORTS
