"""What the explorer shows, as pure functions of a plan Dataset: the map's traces (the
report's :func:`~hybridplan.reports.maps.hex_map`, reused), the district table that
follows the map, a cell's figures and its visible-satellite series, and the view built
from the controls' values. No Dash objects here except plain component trees, so each
piece is tested without a browser.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import h3
import numpy as np
import plotly.graph_objects as go
import xarray as xr
from dash import html

from ..charts import visibility_series_chart
from ..labels import ReportDataError, as_text, cell_values, flag_meanings, label, systems, units_of
from ..maps import hex_map
from ..overlays import boundary_traces
from ..tables import district_table

#: Figures mapped as categories although they hold text.
TEXT_FIGURES = ("reason",)
#: Trace slots of the map before the overlays (hexagon bins, no data, colour bar, hover).
MAP_SLOTS = 40
#: Categories a map shows at most (hexagon traces + no data + hover fit the slots).
MAX_CATEGORIES = MAP_SLOTS - 3
EMPTY_TRACE = {"type": "scatter", "x": [], "y": [], "showlegend": False, "hoverinfo": "skip"}
#: District-table columns taken from the report's table (when present).
DISTRICT_COLUMNS = (
    "district",
    "province",
    "cells",
    "population",
    "underserved_population",
    "recommended_cost_usd",
)


def figure_array(plan: xr.Dataset, figure: str, system: str | None) -> xr.DataArray:
    """The per-cell array a map shows; text figures (``reason``) become CF flags."""
    if figure in TEXT_FIGURES and figure in plan:
        text = as_text(plan[figure].values)
        meanings, counts = np.unique(text, return_counts=True)
        if len(meanings) > MAX_CATEGORIES:  # the rarest share one colour
            rare = set(meanings[np.argsort(-counts, kind="stable")[MAX_CATEGORIES - 1 :]])
            text = np.where(np.isin(text, list(rare)), "other", text)
        meanings, codes = np.unique(text, return_inverse=True)
        tokens = [m.replace(" ", "_") or "none" for m in meanings]
        return xr.DataArray(
            codes.astype(np.int16),
            dims=("cell",),
            name=figure,
            attrs={
                "long_name": plan[figure].attrs.get("long_name", figure),
                "units": "1",
                "flag_values": np.arange(len(tokens), dtype=np.int16),
                "flag_meanings": " ".join(tokens),
            },
        )
    da = cell_values(plan, figure, system)
    if da.dtype.kind == "b":
        da = da.astype(np.int8)
    return da


def map_traces(
    plan: xr.Dataset, figure: str, system: str | None, slots: int = MAP_SLOTS
) -> tuple[list[dict], str]:
    """``(traces, title)`` of the map of one figure: hexagons at the plan's own
    resolution, drawn by :func:`hex_map` exactly as in the report, padded with empty
    traces to ``slots`` (so an update writes the same trace indices every time and the
    overlays after them are never re-sent). More traces than slots: all are returned."""
    da = figure_array(plan, figure, system)
    own = h3.get_resolution(str(plan["cell"].values[0]))
    fig = hex_map(plan, da, system, overview_resolution=own)
    traces = [trace.to_plotly_json() for trace in fig.data]
    if len(traces) > slots:
        raise ReportDataError(
            f"the map of {figure!r} needs {len(traces)} traces; the explorer has {slots} slots"
        )
    traces += [dict(EMPTY_TRACE) for _ in range(slots - len(traces))]
    return traces, fig.layout.title.text


def map_key(plan: xr.Dataset, figure: str, system: str | None) -> str:
    """A digest of what the map of a figure shows (values, categories, label): equal
    keys draw the same map."""
    da = figure_array(plan, figure, system)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.ascontiguousarray(da.values).tobytes())
    digest.update(f"{figure}|{system}|{label(da)}|{da.attrs.get('flag_meanings', '')}".encode())
    return digest.hexdigest()


def full_figure(
    plan: xr.Dataset, figure: str, system: str | None, boundaries: dict | None = None
) -> go.Figure:
    """The first map: :data:`MAP_SLOTS` map traces, then the district outlines (later
    updates patch the map traces and the title only)."""
    da = figure_array(plan, figure, system)
    own = h3.get_resolution(str(plan["cell"].values[0]))
    fig = hex_map(plan, da, system, overview_resolution=own)
    traces, _ = map_traces(plan, figure, system)
    fig = go.Figure(
        data=traces + [t.to_plotly_json() for t in boundary_traces(boundaries)], layout=fig.layout
    )
    fig.update_layout(uirevision="explorer", height=640, clickmode="event")
    return fig


def hexagon_count(traces: Sequence[Mapping]) -> dict[str, int]:
    """Hexagons per filled trace (rings are separated by NaN / None gaps)."""
    counts = {}
    for trace in traces:
        if trace.get("fill") != "toself":
            continue
        x = trace.get("x")
        values = np.asarray(_decoded(x), dtype=float)
        counts[str(trace.get("name"))] = int(np.sum(np.isnan(values))) + (1 if values.size else 0)
    return counts


def _decoded(x):
    """Plotly typed-array dicts (``{"dtype", "bdata"}``) or lists, as a numpy array."""
    if isinstance(x, Mapping) and "bdata" in x:
        import base64

        return np.frombuffer(base64.b64decode(x["bdata"]), dtype=np.dtype(x["dtype"]))
    return np.asarray(
        [np.nan if v is None else v for v in (x if x is not None else [])], dtype=float
    )


def district_rows(
    plan: xr.Dataset, figure: str, system: str | None
) -> tuple[list[tuple[str, str]], list[dict]]:
    """Columns ``[(key, heading)]`` and rows of the district table, with the mapped
    figure per district: a sum for people and money, the most common category for
    flags and text, else the area-weighted mean."""
    if "district" not in plan:
        return [], []
    table = district_table(plan)
    columns = [
        (c.name, f"{c.long_name}" + (f" [{c.units}]" if c.units not in ("", "1") else ""))
        for c in table.columns
        if c.name in DISTRICT_COLUMNS
    ]
    da = figure_array(plan, figure, system)
    values = np.asarray(da.values, dtype=float)
    flags = flag_meanings(da)
    units = units_of(da)
    how = "mode" if flags is not None else "sum" if units in ("person", "USD") else "mean"
    area = (
        np.asarray(plan["area_km2"].values, dtype=float)
        if "area_km2" in plan
        else np.ones_like(values)
    )
    district = as_text(plan["district"].values)
    heading = f"{label(da)} ({'most common' if how == 'mode' else how})"
    columns.append(("mapped", heading))
    rows = []
    for row in table.rows:
        sel = district == row["district"]
        v = values[sel]
        ok = np.isfinite(v)
        if how == "mode":
            shown = ""
            if ok.any():
                codes, counts = np.unique(v[ok].astype(int), return_counts=True)
                shown = flags.get(int(codes[np.argmax(counts)]), "")
        elif how == "sum":
            shown = float(np.sum(v[ok]))
        else:
            w = area[sel][ok]
            shown = float(np.sum(w * v[ok]) / np.sum(w)) if ok.any() and w.sum() > 0 else ""
        out = {k: row.get(k, "") for k, _ in columns if k != "mapped"}
        out["mapped"] = shown
        rows.append(out)
    return columns, rows


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    return str(value)


def table_component(
    columns: Sequence[tuple[str, str]], rows: Sequence[Mapping], table_id: str
) -> html.Table:
    """A plain HTML table (no external stylesheet)."""
    head = html.Thead(html.Tr([html.Th(h) for _, h in columns]))
    body = html.Tbody([html.Tr([html.Td(_fmt(r.get(k, ""))) for k, _ in columns]) for r in rows])
    return html.Table([head, body], id=table_id, className="hp-table")


def cell_from_click(click: Mapping | None, resolution: int) -> str | None:
    """The H3 cell under a map click (the hover markers sit at cell centres)."""
    if not click or not click.get("points"):
        return None
    point = click["points"][0]
    if "x" not in point or "y" not in point:
        return None
    return h3.latlng_to_cell(float(point["y"]), float(point["x"]), resolution)


def cell_figures(plan: xr.Dataset, cell: str) -> list[tuple[str, str]]:
    """``[(label, value)]`` of one cell: every per-cell figure, per system where the
    figure has one, and the reason in words."""
    cells = plan["cell"].values.astype(str)
    index = np.flatnonzero(cells == str(cell))
    if index.size == 0:
        raise ReportDataError(f"cell {cell} is not in the plan")
    row = plan.isel(cell=int(index[0]))
    out = []
    for name, da in row.data_vars.items():
        if "cell" not in plan[name].dims or any(
            d not in ("cell", "system") for d in plan[name].dims
        ):
            continue
        flags = flag_meanings(plan[name])
        names = systems(plan) if "system" in da.dims else [None]
        for system in names:
            value = da.sel(system=system).values if system else da.values
            value = value.item() if hasattr(value, "item") else value
            if (
                flags is not None
                and isinstance(value, (int, np.integer, float))
                and np.isfinite(value)
            ):
                shown = flags.get(int(value), str(value))
            elif isinstance(value, float):
                shown = f"{value:,.4g} {units_of(plan[name])}".rstrip()
            else:
                shown = (
                    f"{value} {units_of(plan[name])}".rstrip()
                    if units_of(plan[name]) not in ("1", "")
                    else str(value)
                )
            text = label(plan[name]) + (f", {system}" if system else "")
            out.append((text, shown))
    return out


def series_figure(series: xr.Dataset, cell: str) -> go.Figure:
    """Visible satellites per step at one cell, one line per system."""
    fig = go.Figure()
    if "series_cell" not in series.dims and "cell" in series.dims:
        series = series.rename({"cell": "series_cell"})  # the report's series layout
    for system in systems(series):
        one = visibility_series_chart(series, [cell], "n_visible", system)
        for trace in one.data:
            trace.name = system
            fig.add_trace(trace)
    fig.update_layout(
        title={"text": f"Visible satellites at {cell}"},
        height=260,
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        xaxis_title="Time (UTC)",
        yaxis_title="satellites",
        plot_bgcolor="white",
    )
    return fig


def view_from_controls(
    initial: Mapping,
    system_names: Sequence[str],
    enabled: Sequence,
    licensed: Sequence,
    min_el: Sequence,
    gso: Sequence,
    n_req: Sequence,
    walker: Mapping,
    window: Mapping,
    planning_keys: Sequence[str],
    planning_values: Sequence,
) -> dict:
    """The view (see ``hybridplan.coverage.pipeline.explore_model``) of the controls'
    values; a control left empty keeps the scenario's value."""
    view = {
        "systems": {},
        "walker": dict(initial["walker"]),
        "window": dict(initial["window"]),
        "planning": dict(initial["planning"]),
    }
    for k, name in enumerate(system_names):
        base = initial["systems"][name]
        view["systems"][name] = {
            "enabled": bool(enabled[k]) if enabled[k] is not None else True,
            "licensed": bool(licensed[k]) if licensed[k] is not None else base["licensed"],
            "min_elevation_deg": _num(min_el[k], base["min_elevation_deg"]),
            "gso_exclusion_deg": _num(gso[k], base["gso_exclusion_deg"]),
            "n_required": int(_num(n_req[k], base["n_required"])),
        }
    for key, value in walker.items():
        if value is not None and value != "":
            view["walker"][key] = value
    for key, value in window.items():
        if value is not None and value != "":
            view["window"][key] = value
    for key, value in zip(planning_keys, planning_values, strict=True):
        view["planning"][key] = _num(value, initial["planning"][key])
    return view


def _num(value, default):
    if value is None or value == "":
        return default
    return value
