"""Figures for researchers: figure-of-merit maps, coverage by latitude, visible-count and
percent-satisfied series, sweep heatmaps with facets, required-satellites curves.

Builders take labelled Datasets (from the coverage engine, a sweep, ``required``) and
return ``plotly.graph_objects.Figure``; titles, axis and colour-bar labels come from the
variables' ``long_name`` and ``units``. Nothing is computed beyond selecting and
reshaping, and nothing is written: ``fig.write_html(...)`` is the caller's step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
import xarray as xr

from .labels import SYSTEM_DIM, ReportDataError, label, require
from .maps import hex_map

_LAYOUT = {
    "plot_bgcolor": "white",
    "paper_bgcolor": "white",
    "margin": {"l": 70, "r": 20, "t": 60, "b": 60},
}


def _style(
    fig: go.Figure, title: str, x_title: str | None = None, y_title: str | None = None
) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.01}, **_LAYOUT)
    if x_title is not None:
        fig.update_xaxes(title_text=x_title)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title, gridcolor="#e5e5e5")
    return fig


def fom_map(
    fom: xr.Dataset, variable: str = "pct_time_covered", system: str | None = None, **kwargs
) -> go.Figure:
    """Hexagon map of one per-cell figure of merit (any ``(system, cell)`` variable, e.g.
    ``revisit_time_percentile_s`` after ``.sel(percentile=95)``); see
    :func:`hybridplan.reports.maps.hex_map` for the options."""
    return hex_map(fom, variable, system=system, **kwargs)


def latitude_chart(
    bands: xr.Dataset, variable: str = "pct_time_covered", systems: Sequence[str] | None = None
) -> go.Figure:
    """Lines of a per-band figure against latitude, one per system.

    ``bands``: from ``coverage_by_latitude`` (dims ``system``, ``lat_band``).
    """
    require(bands, [variable], "the coverage-by-latitude chart")
    da = bands[variable]
    fig = go.Figure()
    for name in systems or [str(s) for s in da[SYSTEM_DIM].values]:
        row = da.sel({SYSTEM_DIM: name})
        fig.add_trace(
            go.Scatter(x=bands["lat_band"].values, y=row.values, mode="lines+markers", name=name)
        )
    return _style(
        fig,
        f"{da.attrs.get('long_name', variable)} by latitude",
        label(bands["lat_band"]),
        label(da),
    )


def series_chart(
    fom: xr.Dataset,
    variable: str = "series_n_visible",
    system: str | None = None,
    cells: Sequence[str] | None = None,
) -> go.Figure:
    """Time series: per series cell (``series_*`` variables) or per system
    (``pct_*_over_time`` variables)."""
    require(fom, [variable], "the time-series chart")
    da = fom[variable]
    fig = go.Figure()
    times = fom["time"].values
    if "series_cell" in da.dims:
        chosen = da.sel({SYSTEM_DIM: system or str(da[SYSTEM_DIM].values[-1])})
        for cell in cells or [str(c) for c in chosen["series_cell"].values]:
            fig.add_trace(
                go.Scatter(
                    x=times,
                    y=chosen.sel(series_cell=cell).values,
                    mode="lines",
                    name=str(cell),
                    line={"shape": "hv"},
                )
            )
    else:
        names = [system] if system else [str(s) for s in da[SYSTEM_DIM].values]
        for name in names:
            fig.add_trace(
                go.Scatter(
                    x=times,
                    y=da.sel({SYSTEM_DIM: name}).values,
                    mode="lines",
                    name=name,
                    line={"shape": "hv"},
                )
            )
    return _style(fig, str(da.attrs.get("long_name", variable)), "time (UTC)", label(da))


def sweep_heatmap(
    ds: xr.Dataset,
    variable: str = "area_pct_meeting",
    *,
    x: str,
    y: str,
    system: str | None = None,
    facet_col: str | None = None,
    animation_frame: str | None = None,
    **select,
) -> go.Figure:
    """Heatmap of a sweep variable over two swept dimensions, optionally faceted by a third
    and animated over a fourth; every other swept dimension must be fixed in ``select``.
    """
    require(ds, [variable], "the sweep heatmap")
    da = ds[variable]
    if SYSTEM_DIM in da.dims:
        da = da.sel(
            {SYSTEM_DIM: system or ds.attrs.get("swept_system", str(da[SYSTEM_DIM].values[0]))}
        )
    if select:
        da = da.sel(select)
    keep = [d for d in (facet_col, animation_frame) if d]
    extra = [d for d in da.dims if d not in (x, y, *keep)]
    if extra:
        raise ReportDataError(
            f"sweep_heatmap: fix the other swept dimensions {extra} "
            f"(e.g. {extra[0]}={da[extra[0]].values[0]!r})"
        )
    da = da.transpose(*[d for d in (animation_frame, facet_col) if d], y, x)
    fig = px.imshow(
        da,
        facet_col=facet_col,
        animation_frame=animation_frame,
        origin="lower",
        aspect="auto",
        color_continuous_scale="Viridis",
        labels={"color": label(ds[variable])},
    )
    for axis, dim in (("xaxis", x), ("yaxis", y)):
        fig.update_layout({axis: {"title": {"text": label(ds[dim])}}})
    return _style(fig, str(ds[variable].attrs.get("long_name", variable)))


def required_chart(
    ds: xr.Dataset,
    parameter: str,
    variable: str = "area_pct_meeting",
    *,
    system: str | None = None,
    color: str | None = None,
    target: float | None = None,
    **select,
) -> go.Figure:
    """Required-satellites curve: a sweep figure against the swept ``parameter``, one line
    per value of ``color``, with the target as a horizontal line (where the lines cross
    it is what ``required`` reports; a line falling back below it is non-monotone)."""
    require(ds, [variable], "the required-satellites chart")
    da = ds[variable]
    if SYSTEM_DIM in da.dims:
        da = da.sel({SYSTEM_DIM: system or ds.attrs.get("swept_system")})
    if select:
        da = da.sel(select)
    others = [d for d in da.dims if d not in (parameter, color)]
    if others:
        raise ReportDataError(f"required_chart: fix the other swept dimensions {others}")
    fig = go.Figure()
    groups = [None] if color is None else list(da[color].values)
    for value in groups:
        row = da if value is None else da.sel({color: value})
        x = np.asarray(ds[parameter].values)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=row.values,
                mode="lines+markers",
                name=parameter if value is None else f"{color} = {value}",
            )
        )
    if target is not None:
        fig.add_hline(y=target, line_dash="dash", annotation_text=f"target {target:g}")
    return _style(
        fig,
        f"{da.attrs.get('long_name', variable)} against {parameter}",
        label(ds[parameter]),
        label(ds[variable]),
    )
