"""What ``hybridplan plan`` writes: plan.nc, the report and the exports, with the map
overlays (district outlines, fibre network) and the constellation summaries they need.

The overlays and summaries are also written next to the plan (``report_inputs.json``),
so ``hybridplan report plan.nc`` renders the same report as ``hybridplan plan``."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import xarray as xr
from hybridplan import reports
from hybridplan.grids import Network, Region
from hybridplan.reports.atomic import write_atomic, write_text_atomic
from hybridplan.tle import discover_shells
from shapely.geometry import mapping

from ..engine import SystemModel
from ..errors import CoverageError
from .inputs import PlanInputs


def boundaries_geojson(region: Region) -> dict:
    """District outlines of a region as a GeoJSON FeatureCollection."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": mapping(part.geometry),
                "properties": {"name": part.district, "province": part.province},
            }
            for part in region.parts
        ],
    }


def network_geojson(network: Network, include_planned: bool) -> dict:
    """Fibre routes (LineStrings, with status) and points of presence (Points)."""
    features = [
        {
            "type": "Feature",
            "properties": {"name": r.name, "status": r.status},
            "geometry": {
                "type": "LineString",
                "coordinates": np.column_stack([r.lon_deg, r.lat_deg]).tolist(),
            },
        }
        for r in network.routes
        if r.status == "existing" or include_planned
    ]
    features += [
        {
            "type": "Feature",
            "properties": {"name": p.name, "kind": p.kind},
            "geometry": {"type": "Point", "coordinates": [p.lon_deg, p.lat_deg]},
        }
        for p in network.pops
    ]
    return {"type": "FeatureCollection", "features": features}


def constellation_summaries(systems: Sequence[SystemModel]) -> dict[str, dict]:
    """Per system: satellites, epoch range and the shells found by clustering."""
    out = {}
    for system in systems:
        c = system.constellation
        shells, unassigned = discover_shells(c)
        epochs = c.epochs_utc
        out[system.name] = {
            "satellites": len(c),
            "epochs (UTC)": f"{str(epochs.min())[:16]} .. {str(epochs.max())[:16]}",
            "satellites in no shell": len(unassigned),
            "shells": [
                {
                    "inclination [deg]": round(s.inclination_deg, 2),
                    "altitude [km]": round(s.altitude_km, 1),
                    "satellites": s.n_satellites,
                    "planes": s.n_planes,
                }
                for s in shells
            ],
        }
    return out


REPORT_INPUTS = "report_inputs.json"


def report_inputs(plan: xr.Dataset, inputs: PlanInputs) -> dict:
    """What the report needs beyond the plan: overlays, constellation summaries, provenance,
    and the detail of the cell tables (``[output] cell_detail``, ``"auto"`` resolved for
    the plan's cells), so ``hybridplan report`` writes the same columns again."""
    return {
        "cell_detail": inputs.scenario.output.cell_detail_for(plan.sizes["cell"]),
        "boundaries": boundaries_geojson(inputs.region),
        "network": network_geojson(inputs.network, inputs.spec.network.include_planned),
        "constellations": constellation_summaries(inputs.systems),
        "provenance": {
            "region": str(plan.attrs.get("region_source", "")),
            "terrain": str(plan.attrs.get("dem_source", "")),
            "network": inputs.network.source,
        },
    }


def read_report_inputs(plan_path: str | Path) -> dict:
    """The ``report_inputs.json`` written beside a plan.nc (empty if there is none)."""
    path = Path(plan_path).parent / REPORT_INPUTS
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CoverageError(
            f"{path}: cannot read it ({exc}); re-run 'hybridplan plan' to "
            "write it again, or delete it to render without overlays"
        ) from None
    if not isinstance(data, dict):
        raise CoverageError(f"{path}: expected a JSON object; re-run 'hybridplan plan'")
    return data


def write_outputs(
    plan: xr.Dataset,
    inputs: PlanInputs,
    out_dir: str | Path,
    *,
    sweep: xr.Dataset | None = None,
    exports: tuple[str, ...] | None = None,
    concurrent: bool = True,
) -> dict[str, Path]:
    """The files of ``[output] exports`` (or ``exports``): plan.nc with report_inputs.json
    (what ``hybridplan report`` re-renders from), then the report and exports of
    :func:`hybridplan.reports.write_all`; every file atomically. With ``concurrent`` the
    report is written in a forked child process while this one writes plan.nc and the
    other exports (the same files as one after the other)."""
    out_dir = Path(out_dir)
    chosen = tuple(inputs.scenario.output.exports if exports is None else exports)
    extras = report_inputs(plan, inputs)
    first: dict[str, Callable[[], Path]] = {}
    if "plan_nc" in chosen:
        first["plan"] = lambda: write_netcdf(plan, out_dir / "plan.nc", float32=FLOAT32_VARIABLES)
        first["report_inputs"] = lambda: write_text_atomic(
            out_dir / REPORT_INPUTS, json.dumps(extras, separators=(",", ":"))
        )
    if sweep is not None:
        first["sweep"] = lambda: write_netcdf(sweep, out_dir / "sweep.nc")
    files = [e for e in chosen if e != "plan_nc"]
    if any(e in files for e in ("geopackage", "districts_csv", "cells_csv", "geojson")):
        files.append("attributes_csv")  # the column dictionary of every table
    if not files:
        return {name: write() for name, write in first.items()}
    return reports.write_all(
        plan,
        out_dir,
        exports=tuple(files),
        concurrent=concurrent,
        also=first,
        sweep=sweep,
        **extras,
    )


COMPRESSION_LEVEL = 1
"""gzip level of every numeric variable in the NetCDF files. Level 1: all Pakistan's
plan.nc (res 7) is 90.5 MB at level 1 and 87.7 MB at level 4, written in 3.3-4.0 s
instead of 4.1-4.7 s on the critical path of the outputs; the terrain horizons, its
largest variable, shrink to 0.79 of their float32 size (46 MB) at either level."""

FLOAT32_VARIABLES = (
    "horizon_deg",
    "best_elevation_mean_deg",
    "latency_rtt_mean_ms",
    "n_visible_mean",
    "series_best_elevation_deg",
)
"""Float variables stored as float32 (7 digits): terrain horizons from the DEM and figures
of merit whose physics is far coarser than that (mean elevation, latency, visible
count). Everything else keeps float64 (percentages of time, costs, positions, people),
so a plan read back gives the numbers the report was written from."""


def _all_str(values) -> bool:
    values = np.asarray(values)
    if values.dtype.kind == "U":  # numpy's fixed-width text: every element is a str
        return True
    return all(isinstance(v, str) for v in values.astype(object, copy=False).ravel())


def netcdf_encoding(ds: xr.Dataset, float32: Sequence[str] = ()) -> dict[str, dict]:
    """Per-variable encoding for :func:`write_netcdf`: gzip (``zlib``, level
    :data:`COMPRESSION_LEVEL`) with byte shuffling for every numeric variable of more than
    one element; float32 for the variables named in ``float32`` (the plan passes
    :data:`FLOAT32_VARIABLES`); text variables (not the ``cell``
    index) as compressed UTF-8 character arrays, which xarray reads back as the same
    strings (variable-length strings cannot be compressed in HDF5). Lossless otherwise."""
    encoding: dict[str, dict] = {}
    for name, var in ds.variables.items():
        if var.ndim == 0 or var.size < 2:
            continue
        if var.dtype.kind in "OU" and name not in ds.dims and _all_str(var.values):
            encoding[str(name)] = {"dtype": "S1", "zlib": True, "complevel": COMPRESSION_LEVEL}
            continue
        if var.dtype.kind not in "fiub":
            continue
        enc: dict = {"zlib": True, "complevel": COMPRESSION_LEVEL, "shuffle": True}
        if name in float32 and var.dtype.kind == "f":
            enc["dtype"] = "float32"
        encoding[str(name)] = enc
    return encoding


def write_netcdf(fom: xr.Dataset, path: str | Path, *, float32: Sequence[str] = ()) -> Path:
    """Write the Dataset as NetCDF-4 (h5netcdf) atomically: all or nothing; compressed
    (:func:`netcdf_encoding`), losslessly except for the variables named in ``float32``."""
    encoding = netcdf_encoding(fom, float32)
    return write_atomic(path, lambda tmp: fom.to_netcdf(tmp, engine="h5netcdf", encoding=encoding))
