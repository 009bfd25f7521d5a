"""All report outputs of a plan into one folder, in one call (for the CLI)."""

from __future__ import annotations

import os
from pathlib import Path

import xarray as xr

from .exports import write_attributes_csv, write_cells_csv, write_districts_csv, write_geojson
from .geopackage import write_geopackage
from .html import write_report

FILE_NAMES = {"report": "report.html", "geopackage": "cells.gpkg", "geojson": "cells.geojson",
              "cells_csv": "cells.csv", "districts_csv": "districts.csv",
              "attributes_csv": "attributes.csv"}


def write_all(ds: xr.Dataset, folder: str | os.PathLike, **report_kwargs) -> dict[str, Path]:
    """Write report.html, cells.gpkg, cells.geojson, cells.csv, districts.csv and
    attributes.csv (the column dictionary) into ``folder``; each file atomically.

    ``districts.csv`` is skipped when the Dataset has no ``district`` variable.
    ``report_kwargs`` go to :func:`~hybridplan.reports.html.render_report`.
    Returns ``{kind: path}`` of the files written.
    """
    folder = Path(folder)
    out = {"report": write_report(ds, folder / FILE_NAMES["report"], **report_kwargs),
           "geopackage": write_geopackage(ds, folder / FILE_NAMES["geopackage"]),
           "geojson": write_geojson(ds, folder / FILE_NAMES["geojson"]),
           "cells_csv": write_cells_csv(ds, folder / FILE_NAMES["cells_csv"])}
    if "district" in ds.data_vars:
        out["districts_csv"] = write_districts_csv(ds, folder / FILE_NAMES["districts_csv"])
    out["attributes_csv"] = write_attributes_csv(ds, folder / FILE_NAMES["attributes_csv"])
    return out
