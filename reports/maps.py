"""Hexagon maps that draw offline: H3 cells as filled SVG polygons in lon/lat.

Tile-based and ``geo`` traces render blank without a network (DESIGN.md, "Offline
maps"), so a map here is a plain cartesian plot: x = longitude, y = latitude, the y axis
stretched by ``1 / cos(mean latitude)`` so hexagons keep their shape. Colouring uses one
``go.Scatter(fill="toself")`` trace per colour bin (polygons of a bin joined with
``None`` gaps), which keeps the trace count small for 10^4 hexagons; an invisible marker
trace carries the colour bar. Large grids are coarsened for the overview (H3 parents,
area-weighted means) and shown at full resolution per district.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import h3
import numpy as np
import plotly.colors
import plotly.graph_objects as go
import xarray as xr

from . import hexgeom, plotly_objects
from .labels import ReportDataError, as_text, cell_ids, cell_values, flag_meanings, label, units_of
from .overlays import boundary_traces, network_traces

Aggregation = Literal["auto", "mean", "sum", "max", "mode"]
AGGREGATIONS = ("auto", "mean", "sum", "max", "mode")
Scale = Literal["linear", "log", "quantile"]
SCALES = ("linear", "log", "quantile")
ZERO_COLOUR = "#f7f7f7"
NO_DATA_COLOUR = "#d9d9d9"
DEFAULT_MAX_HEXAGONS = 3000
MAP_HEIGHT_PX = 700
PALETTE = plotly.colors.qualitative.Dark24


@dataclass(frozen=True)
class _MapData:
    cells: list[str]
    values: np.ndarray
    resolution: int
    note: str


def category_colours(da: xr.DataArray) -> dict[int, str]:
    """``{flag value: colour}`` of a flag variable: its ``flag_colors`` attribute (one
    colour per meaning, blank-separated, as the plan contract writes it), else a
    qualitative palette in code order."""
    table = flag_meanings(da) or {}
    given = str(da.attrs.get("flag_colors", "")).split()
    if len(given) != len(table):
        given = [PALETTE[i % len(PALETTE)] for i in range(len(table))]
    return dict(zip(table, given, strict=True))


def _aggregation_for(da: xr.DataArray, how: Aggregation) -> str:
    if how not in AGGREGATIONS:
        raise ValueError(f"aggregate must be one of {AGGREGATIONS}; found {how!r}")
    if how != "auto":
        return how
    if flag_meanings(da) is not None:
        return "mode"
    methods = str(da.attrs.get("cell_methods", ""))
    if units_of(da) == "person" or "sum" in methods:
        return "sum"
    return "mean"


def _map_data(
    ds: xr.Dataset,
    da: xr.DataArray,
    cells: Sequence[str] | None,
    overview_resolution: int | None,
    max_hexagons: int,
    aggregate: Aggregation,
) -> _MapData:
    all_cells = cell_ids(ds)
    values = np.asarray(da.values, dtype=np.float64)
    if cells is not None:
        wanted = set(map(str, cells))
        keep = np.asarray([c in wanted for c in all_cells], dtype=bool)
        if not keep.any():
            raise ReportDataError("none of the requested cells is in the plan Dataset")
        all_cells = [c for c, k in zip(all_cells, keep, strict=True) if k]
        values = values[keep]
        weights_all = _weights(ds)[keep]
    else:
        weights_all = _weights(ds)
    codes = hexgeom.cell_codes(all_cells)  # read once for the three calls below
    own = hexgeom.resolution_of(all_cells, codes=codes)
    target = (
        hexgeom.auto_overview_resolution(all_cells, max_hexagons, codes=codes)
        if overview_resolution is None
        else int(overview_resolution)
    )
    if not 0 <= target <= 15:
        raise ValueError(f"overview_resolution must be an H3 resolution 0..15; found {target}")
    if target >= own:
        return _MapData(all_cells, values, own, f"H3 resolution {own}")
    how = _aggregation_for(da, aggregate)
    parents, agg = hexgeom.aggregate(all_cells, values, weights_all, target, how, codes=codes)
    weight_name = "area" if "area_km2" in ds.variables else "equal"
    described = {
        "mean": f"{weight_name}-weighted mean",
        "sum": "sum",
        "max": "maximum",
        "mode": f"{weight_name}-weighted majority",
    }[how]
    note = f"overview: H3 resolution {target}, {described} of resolution-{own} cells"
    return _MapData(parents, agg, target, note)


def _weights(ds: xr.Dataset) -> np.ndarray:
    if "area_km2" in ds.variables and ds["area_km2"].dims == ("cell",):
        return np.asarray(ds["area_km2"].values, dtype=np.float64)
    return np.ones(ds.sizes["cell"])


def _value_range(da: xr.DataArray, values: np.ndarray, cmin, cmax) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    lo = (
        cmin
        if cmin is not None
        else da.attrs.get("valid_min", finite.min() if finite.size else 0.0)
    )
    hi = (
        cmax
        if cmax is not None
        else da.attrs.get("valid_max", finite.max() if finite.size else 1.0)
    )
    lo, hi = float(lo), float(hi)
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def _stepped_colorscale(colours: list[str]) -> list[list]:
    """A colour scale with flat steps, so the colour bar shows the bins we drew."""
    n = len(colours)
    scale = []
    for i, colour in enumerate(colours):
        scale.append([i / n, colour])
        scale.append([(i + 1) / n, colour])
    return scale


def _hexagon_trace(cells: list[str], name: str, colour: str, showlegend: bool) -> go.Scatter:
    xs, ys = hexgeom.concatenated_rings(hexgeom.rings_lnglat(cells))
    return plotly_objects.scatter(
        x=xs,
        y=ys,
        mode="lines",
        fill="toself",
        fillcolor=colour,
        line={"color": colour, "width": 0.5},
        name=name,
        hoverinfo="skip",
        showlegend=showlegend,
        legendgroup=name,
    )


def _hover_trace(cells: list[str], texts: list[str]) -> go.Scatter:
    centres = np.asarray([h3.cell_to_latlng(c) for c in cells]).reshape(-1, 2)
    return plotly_objects.scatter(
        x=centres[:, 1].astype(np.float32),
        y=centres[:, 0].astype(np.float32),
        mode="markers",
        marker={"size": 8, "opacity": 0},
        text=np.asarray(texts, dtype=str),  # validated far faster than a list
        hovertemplate="%{text}<extra></extra>",
        showlegend=False,
        name="cells",
    )


def bin_edges(
    values: np.ndarray, lo: float, hi: float, n_bins: int, scale: Scale = "linear"
) -> np.ndarray:
    """Edges of the colour bins over ``[lo, hi]``.

    ``linear``: equal widths. ``log``: equal ratios between the smallest positive value
    and ``hi`` (zeros get their own bin below, see :func:`hex_map`). ``quantile``: equal
    counts of the finite values (repeated edges merged, so fewer bins may remain).
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}; found {scale!r}")
    finite = values[np.isfinite(values)]
    if scale == "log":
        positive = finite[finite > 0]
        low = max(lo, float(positive.min())) if positive.size else 1.0
        high = max(hi, low * 10.0)
        return np.geomspace(low, high, n_bins + 1)
    if scale == "quantile" and finite.size:
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, n_bins + 1)))
        return edges if edges.size >= 2 else np.array([lo, hi])
    return np.linspace(lo, hi, n_bins + 1)


def _tick(value: float) -> str:
    """Colour-bar tick: three significant digits, thousands separated, no exponent."""
    if value == 0 or not np.isfinite(value):
        return f"{value:g}"
    digits = max(0, 2 - int(np.floor(np.log10(abs(value)))))
    return f"{round(value, digits):,.{digits}f}"


def _continuous_traces(
    data: _MapData,
    da: xr.DataArray,
    title: str,
    n_bins: int,
    colorscale: str,
    cmin,
    cmax,
    colour_bar: bool = True,
    scale: Scale = "linear",
) -> list[go.Scatter]:
    finite = np.isfinite(data.values)
    constant = constant_value(data.values)
    if constant is not None:
        return _constant_traces(data, da, constant)
    lo, hi = _value_range(da, data.values, cmin, cmax)
    edges = bin_edges(data.values, lo, hi, n_bins, scale)
    n = len(edges) - 1
    centres = (np.arange(n) + 0.5) / n
    colours = plotly.colors.sample_colorscale(colorscale, centres.tolist())
    index = np.clip(np.searchsorted(edges, data.values, side="right") - 1, 0, n - 1)
    zero = (data.values <= 0) & finite if scale == "log" else np.zeros_like(finite)
    traces = []
    if zero.any():
        members = [c for c, z in zip(data.cells, zero, strict=True) if z]
        traces.append(
            _hexagon_trace(members, f"0 {units_of(da)}".strip(), ZERO_COLOUR, showlegend=True)
        )
    for b in range(n):
        members = [
            c
            for c, i, f, z in zip(data.cells, index, finite, zero, strict=True)
            if f and i == b and not z
        ]
        if members:
            name = f"{_tick(edges[b])} to {_tick(edges[b + 1])}"
            traces.append(_hexagon_trace(members, name, colours[b], showlegend=False))
    missing = [c for c, f in zip(data.cells, finite, strict=True) if not f]
    if missing:
        traces.append(_hexagon_trace(missing, "no data", NO_DATA_COLOUR, showlegend=True))
    if not colour_bar:
        return traces
    x0, y0 = _first_centre(data.cells)
    # the colour bar runs over bin positions, so log and quantile bins get equal room
    traces.append(
        plotly_objects.scatter(
            x=[x0],
            y=[y0],
            mode="markers",
            name="colour scale",
            showlegend=False,
            hoverinfo="skip",
            marker={
                "size": 1,
                "opacity": 0,
                "color": [0],
                "cmin": 0,
                "cmax": n,
                "colorscale": _stepped_colorscale(colours),
                "showscale": True,
                "colorbar": {
                    "title": {
                        "text": title + ("" if scale == "linear" else f" ({scale} scale)"),
                        "side": "right",
                    },
                    "tickvals": list(range(n + 1)),
                    "ticktext": [_tick(e) for e in edges],
                    "len": 0.9,
                },
            },
        )
    )
    return traces


def _constant_traces(data: _MapData, da: xr.DataArray, value: float) -> list[go.Scatter]:
    """One flat colour for a field with the same value in every cell, named so."""
    shown = f"{_tick(value)} {units_of(da)}".strip()
    traces = [
        _hexagon_trace(
            [c for c, v in zip(data.cells, data.values, strict=True) if np.isfinite(v)],
            f"{shown} in every cell",
            "#9ecae1",
            showlegend=True,
        )
    ]
    missing = [c for c, v in zip(data.cells, data.values, strict=True) if not np.isfinite(v)]
    if missing:
        traces.append(_hexagon_trace(missing, "no data", NO_DATA_COLOUR, showlegend=True))
    return traces


#: Relative spread below which a field counts as one value (float noise of means).
CONSTANT_RTOL = 1e-9


def constant_value(values: np.ndarray) -> float | None:
    """The value of a field that is the same in every cell with data (to a relative
    ``CONSTANT_RTOL``, so 100 % summed from 1440 steps stays 100 %), else ``None``."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size and np.ptp(finite) <= CONSTANT_RTOL * max(1.0, float(np.abs(finite).max())):
        return float(np.median(finite))
    return None


def _first_centre(cells: list[str]) -> tuple[float, float]:
    lat, lng = h3.cell_to_latlng(cells[0])
    return round(lng, 4), round(lat, 4)


def _categorical_traces(data: _MapData, da: xr.DataArray) -> list[go.Scatter]:
    table = flag_meanings(da)
    colours = category_colours(da)
    traces = []
    for code, meaning in table.items():
        members = [c for c, v in zip(data.cells, data.values, strict=True) if v == code]
        if members:
            traces.append(_hexagon_trace(members, meaning, colours[code], showlegend=True))
    known = set(table)
    missing = [
        c
        for c, v in zip(data.cells, data.values, strict=True)
        if not (np.isfinite(v) and int(v) in known)
    ]
    if missing:
        traces.append(_hexagon_trace(missing, "no data", NO_DATA_COLOUR, showlegend=True))
    return traces


def _money(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"USD {value:,.0f}"


#: Options listed in a cell's hover text (the cheapest first).
HOVER_OPTIONS = 3


def _decision_lines(ds: xr.Dataset, index: np.ndarray) -> list[str]:
    """Hover lines of the cells ``index``: the recommendation's reason, its cost and the
    cheapest options with their costs (present values)."""
    from .tables import cost_options

    lines = [""] * len(index)
    if "reason" in ds.data_vars:
        reasons = as_text(np.asarray(ds["reason"].values)[index])
        lines = [f"<br>reason: {r}" for r in reasons]
    if "cost_recommended_usd" in ds.data_vars:
        chosen = np.asarray(ds["cost_recommended_usd"].values, dtype=float)[index]
        lines = [
            f"{t}<br>cost of the recommendation: {_money(c)}" if np.isfinite(c) else t
            for t, c in zip(lines, chosen, strict=True)
        ]
    options = cost_options(ds)
    if options:
        names = list(options)
        costs = np.stack(
            [np.asarray(ds[options[o]].values, dtype=float)[index] for o in names], axis=1
        )
        order = np.argsort(np.where(np.isfinite(costs), costs, np.inf), axis=1)
        for i in range(len(index)):
            parts = [
                f"{names[k]} {_money(costs[i, k])}"
                for k in order[i, :HOVER_OPTIONS]
                if np.isfinite(costs[i, k])
            ]
            if parts:
                lines[i] += "<br>cheapest options: " + ", ".join(parts)
    return lines


def _hover_texts(
    ds: xr.Dataset, data: _MapData, da: xr.DataArray, table: dict[int, str] | None
) -> list[str]:
    units = units_of(da)
    districts: list[str] = [""] * len(data.cells)
    details: list[str] = [""] * len(data.cells)
    ids = cell_ids(ds)
    if data.resolution == hexgeom.resolution_of(ids):
        position = {c: i for i, c in enumerate(ids)}
        index = np.asarray([position[c] for c in data.cells], dtype=np.int64)
        if "district" in ds.variables:
            districts = list(as_text(np.asarray(ds["district"].values)[index]))
        details = _decision_lines(ds, index)
    texts = []
    for k, (cell, value) in enumerate(zip(data.cells, data.values, strict=True)):
        if not np.isfinite(value):
            shown = "no data"
        elif table is not None:
            shown = table.get(int(value), f"code {int(value)}")
        else:
            shown = f"{value:,.4g} {units}".rstrip()
        where = f" ({districts[k]})" if districts[k] else ""
        texts.append(f"{cell}{where}<br>{shown}{details[k]}")
    return texts


def _layout(ds: xr.Dataset, title: str, note: str, cells: list[str]) -> dict:
    """The layout of a map (a dict for :func:`~.plotly_objects.figure`)."""
    corners = np.vstack(hexgeom.rings_lnglat(cells))
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    pad_x, pad_y = 0.02 * (x1 - x0) + 1e-3, 0.02 * (y1 - y0) + 1e-3
    mean_lat = 0.5 * (y0 + y1)
    x_label = label(ds["lon"]) if "lon" in ds.variables else "Longitude [degrees_east]"
    y_label = label(ds["lat"]) if "lat" in ds.variables else "Latitude [degrees_north]"
    return dict(
        title={"text": f"{title}<br><sup>{note}</sup>", "x": 0.01},
        xaxis={
            "title": {"text": x_label},
            "showgrid": False,
            "zeroline": False,
            "range": [round(x0 - pad_x, 4), round(x1 + pad_x, 4)],
            "constrain": "domain",
        },
        yaxis={
            "title": {"text": y_label},
            "showgrid": False,
            "zeroline": False,
            "range": [round(y0 - pad_y, 4), round(y1 + pad_y, 4)],
            "constrain": "domain",
            "scaleanchor": "x",
            "scaleratio": 1.0 / np.cos(np.radians(mean_lat)),
        },
        plot_bgcolor="white",
        paper_bgcolor="white",
        height=MAP_HEIGHT_PX,
        margin={"l": 60, "r": 20, "t": 70, "b": 50},
        legend={"orientation": "h", "y": -0.12},
        hovermode="closest",
        meta={"resolution": data_resolution(cells), "note": note},
    )


def data_resolution(cells: list[str]) -> int:
    """H3 resolution of the drawn hexagons (``-1`` for none)."""
    return hexgeom.resolution_of(cells) if cells else -1


def hex_map(
    ds: xr.Dataset,
    variable: str | xr.DataArray,
    system: str | None = None,
    boundaries: dict | None = None,
    network: dict | None = None,
    overview_resolution: int | None = None,
    *,
    cells: Sequence[str] | None = None,
    max_hexagons: int = DEFAULT_MAX_HEXAGONS,
    aggregate: Aggregation = "auto",
    n_bins: int = 8,
    colorscale: str = "Viridis",
    cmin: float | None = None,
    cmax: float | None = None,
    title: str | None = None,
    scale: Scale = "linear",
) -> go.Figure:
    """Map of one per-cell variable on H3 hexagons, drawn without any tile server.

    Parameters
    ----------
    ds : xarray.Dataset
        The plan Dataset (dimension ``cell`` of H3 ids; ``area_km2`` [km2] used as
        weights when present, ``lat``/``lon`` attrs label the axes).
    variable : str or xarray.DataArray
        Variable name, or an array over ``cell`` / ``(system, cell)`` with ``long_name``
        and ``units``. CF flag variables are drawn as categories with a legend.
    system : str, optional
        System for ``(system, cell)`` variables; default ``"combined"`` when present.
    boundaries, network : dict, optional
        GeoJSON-like FeatureCollections in lon/lat: district polygons (outlined, named)
        and fibre routes (lines) / points of presence (markers), drawn on top.
    overview_resolution : int, optional
        Coarser H3 resolution to aggregate to. ``None`` picks the finest resolution with
        at most ``max_hexagons`` hexagons; the cells' own resolution draws every cell.
    cells : sequence of str, optional
        Restrict the map to these cells (for example one district).
    max_hexagons : int
        Budget of hexagons for the automatic overview resolution.
    aggregate : {"auto", "mean", "sum", "max", "mode"}
        How children combine into a parent. ``"auto"``: area-weighted majority for flag
        variables, sum for ``units == "person"`` or a ``cell_methods`` with "sum",
        area-weighted mean otherwise.
    n_bins : int
        Number of colour bins of the discrete colour scale (continuous variables).
    colorscale : str
        A Plotly colour scale name.
    cmin, cmax : float, optional
        Colour range; default ``valid_min``/``valid_max`` attrs, else the data range.
    title : str, optional
        Title; default ``"long_name [units]"`` (with the system).
    scale : {"linear", "log", "quantile"}
        Colour bins of equal width, equal ratio (zeros drawn apart; for fields where a
        few cells dominate, such as population or cost) or equal counts. A field with
        one value in every cell is drawn in one flat colour named "<value> in every cell"
        whatever the scale.

    Hover text at full resolution shows the cell's district, value, ``reason`` and the
    cost of the recommendation and of each ``cost_<option>_usd`` when the plan has them.

    Returns
    -------
    plotly.graph_objects.Figure
        ``layout.meta`` holds ``{"resolution": drawn H3 resolution, "note": ...}``.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1; found {n_bins}")
    da = cell_values(ds, variable, system)
    data = _map_data(ds, da, cells, overview_resolution, max_hexagons, aggregate)
    table = flag_meanings(da)
    text = label(da)
    if "system" in da.coords and da["system"].ndim == 0:
        text = f"{text}, {da['system'].item()}"
    if table is not None:
        traces = _categorical_traces(data, da)
    else:
        traces = _continuous_traces(
            data, da, label(da), n_bins, colorscale, cmin, cmax, scale=scale
        )
    constant = None if table is not None else constant_value(data.values)
    note = (
        data.note
        if constant is None
        else (f"{data.note}; {_tick(constant)} {units_of(da)} in every cell".replace(" ;", ";"))
    )
    data = _MapData(data.cells, data.values, data.resolution, note)
    traces.append(_hover_trace(data.cells, _hover_texts(ds, data, da, table)))
    traces.extend(boundary_traces(boundaries))
    traces.extend(network_traces(network))
    layout = _layout(ds, title if title is not None else text, data.note, data.cells)
    return plotly_objects.figure(traces, layout)


def terrain_loss(ds: xr.Dataset) -> xr.DataArray:
    """Coverage lost to terrain: ``pct_time_covered_open_sky - pct_time_covered`` [%].

    Both per ``(system, cell)``; the difference keeps their dims and units.
    """
    from .labels import require

    require(ds, ["pct_time_covered", "pct_time_covered_open_sky"], "the terrain-loss map")
    loss = ds["pct_time_covered_open_sky"] - ds["pct_time_covered"]
    loss.name = "terrain_loss_pct"
    loss.attrs = {
        "long_name": "Coverage lost to terrain (open sky minus terrain-aware)",
        "units": ds["pct_time_covered"].attrs.get("units", "%"),
    }
    return loss


def terrain_loss_map(
    ds: xr.Dataset,
    system: str | None = None,
    boundaries: dict | None = None,
    network: dict | None = None,
    overview_resolution: int | None = None,
    **kwargs,
) -> go.Figure:
    """:func:`hex_map` of :func:`terrain_loss` (same keywords)."""
    kwargs.setdefault("colorscale", "OrRd")
    return hex_map(ds, terrain_loss(ds), system, boundaries, network, overview_resolution, **kwargs)


def district_map(
    ds: xr.Dataset,
    variable: str | xr.DataArray,
    district: str,
    system: str | None = None,
    boundaries: dict | None = None,
    network: dict | None = None,
    *,
    max_hexagons: int | None = None,
    **kwargs,
) -> go.Figure:
    """Full-resolution :func:`hex_map` of the cells of one ``district`` (with
    ``max_hexagons``: at the finest resolution that draws at most that many)."""
    from .labels import require

    require(ds, ["district"], "a district map")
    names = as_text(ds["district"].values)
    if district not in set(names):
        raise ReportDataError(
            f"district {district!r} is not in the plan Dataset; found {sorted(set(names))}"
        )
    ids = [c for c, d in zip(cell_ids(ds), names, strict=True) if d == district]
    kwargs.setdefault("title", None)
    fig = hex_map(
        ds,
        variable,
        system,
        boundaries,
        network,
        overview_resolution=hexgeom.resolution_of(ids) if max_hexagons is None else None,
        cells=ids,
        max_hexagons=DEFAULT_MAX_HEXAGONS if max_hexagons is None else max_hexagons,
        **kwargs,
    )
    fig.update_layout(
        title={
            "text": f"{fig.layout.title.text.split('<br>')[0]}: "
            f"{district}<br><sup>{fig.layout.meta['note']}</sup>"
        }
    )
    return fig


def district_detail_map(
    ds: xr.Dataset,
    variable: str | xr.DataArray,
    system: str | None = None,
    boundaries: dict | None = None,
    network: dict | None = None,
    *,
    n_bins: int = 8,
    colorscale: str = "Viridis",
    cmin: float | None = None,
    cmax: float | None = None,
) -> go.Figure:
    """Every cell at full resolution, one district at a time, chosen from a dropdown.

    One colour scale for all districts (the variable's overall range), so colours
    compare across districts. Traces of the districts not selected are hidden, so the
    browser draws one district's hexagons at a time. Parameters as :func:`hex_map`.
    """
    from .labels import require

    require(ds, ["district"], "the district detail map")
    da = cell_values(ds, variable, system)
    table = flag_meanings(da)
    names = as_text(ds["district"].values)
    ids = np.asarray(cell_ids(ds), dtype=object)
    values = np.asarray(da.values, dtype=np.float64)
    own = hexgeom.resolution_of(list(ids))
    lo, hi = _value_range(da, values, cmin, cmax)
    traces: list[go.Scatter] = []
    groups: list[tuple[str, int, int, list[str]]] = []
    for district in sorted(set(names)):
        sel = names == district
        data = _MapData(list(ids[sel]), values[sel], own, f"H3 resolution {own}")
        if table is not None:
            cell_traces = _categorical_traces(data, da)
        else:
            cell_traces = _continuous_traces(
                data, da, label(da), n_bins, colorscale, lo, hi, colour_bar=False
            )
        cell_traces.append(_hover_trace(data.cells, _hover_texts(ds, data, da, table)))
        groups.append((district, len(traces), len(traces) + len(cell_traces), data.cells))
        traces.extend(cell_traces)
    n_cells = len(traces)
    if table is None and constant_value(values) is None:
        full = _MapData(list(ids), values, own, "")
        bar = _continuous_traces(full, da, label(da), n_bins, colorscale, lo, hi)[-1]
        traces.append(bar)
    traces.extend(boundary_traces(boundaries))
    traces.extend(network_traces(network))
    buttons = []
    for district, start, stop, cells in groups:
        visible = [start <= i < stop for i in range(n_cells)] + [True] * (len(traces) - n_cells)
        corners = np.vstack(hexgeom.rings_lnglat(cells))
        (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
        pad = 0.03 * max(x1 - x0, y1 - y0) + 1e-3
        buttons.append(
            {
                "label": district,
                "method": "update",
                "args": [
                    {"visible": visible},
                    {
                        "xaxis.range": [round(x0 - pad, 4), round(x1 + pad, 4)],
                        "yaxis.range": [round(y0 - pad, 4), round(y1 + pad, 4)],
                    },
                ],
            }
        )
    for i, trace in enumerate(traces[:n_cells]):
        trace.visible = groups[0][1] <= i < groups[0][2]
    text = label(da)
    if "system" in da.coords and da["system"].ndim == 0:
        text = f"{text}, {da['system'].item()}"
    layout = _layout(
        ds, text, f"every cell at H3 resolution {own}; choose a district", groups[0][3]
    )
    return plotly_objects.figure(
        traces,
        dict(
            layout,
            updatemenus=[
                {
                    "buttons": buttons,
                    "direction": "down",
                    "x": 1.0,
                    "xanchor": "right",
                    "y": 1.12,
                    "yanchor": "top",
                    "showactive": True,
                    "active": 0,
                }
            ],
        ),
    )
