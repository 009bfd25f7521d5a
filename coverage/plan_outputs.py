"""What ``hybridplan plan`` writes: plan.nc, the report and the exports, with the map
overlays (district outlines, fibre network) and the constellation summaries they need."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr
from hybridplan import reports
from hybridplan.grids import Network, Region
from hybridplan.tle import discover_shells
from shapely.geometry import mapping

from .api import write_netcdf
from .engine import SystemModel


def boundaries_geojson(region: Region) -> dict:
    """District outlines of a region as a GeoJSON FeatureCollection."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": mapping(part.geometry),
         "properties": {"name": part.district, "province": part.province}}
        for part in region.parts]}


def network_geojson(network: Network, include_planned: bool) -> dict:
    """Fibre routes (LineStrings, with status) and points of presence (Points)."""
    features = [{"type": "Feature", "properties": {"name": r.name, "status": r.status},
                 "geometry": {"type": "LineString",
                              "coordinates": np.column_stack([r.lon_deg, r.lat_deg]).tolist()}}
                for r in network.routes if r.status == "existing" or include_planned]
    features += [{"type": "Feature", "properties": {"name": p.name, "kind": p.kind},
                  "geometry": {"type": "Point", "coordinates": [p.lon_deg, p.lat_deg]}}
                 for p in network.pops]
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
            "shells": [{"inclination [deg]": round(s.inclination_deg, 2),
                        "altitude [km]": round(s.altitude_km, 1),
                        "satellites": s.n_satellites, "planes": s.n_planes}
                       for s in shells]}
    return out


def write_plan_outputs(plan: xr.Dataset, out_dir: str | Path, *, region: Region,
                       network: Network, systems: Sequence[SystemModel], include_planned: bool,
                       sweep: xr.Dataset | None = None) -> dict[str, Path]:
    """plan.nc (atomic) and the report/exports of :func:`hybridplan.reports.write_all`,
    with the region, network and systems the plan was built from."""
    out_dir = Path(out_dir)
    written = {"plan": write_netcdf(plan, out_dir / "plan.nc")}
    if sweep is not None:
        written["sweep"] = write_netcdf(sweep, out_dir / "sweep.nc")
    written.update(reports.write_all(
        plan, out_dir, boundaries=boundaries_geojson(region),
        network=network_geojson(network, include_planned), sweep=sweep,
        constellations=constellation_summaries(systems),
        provenance={"region": str(plan.attrs.get("region_source", "")),
                    "terrain": str(plan.attrs.get("dem_source", "")),
                    "network": network.source}))
    return written
