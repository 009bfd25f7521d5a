"""Charts of a plan: coverage by district, technologies, costs, sweeps, visibility series.

Titles and axis labels come from the variables' ``long_name`` and ``units``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import xarray as xr

from . import plotly_objects
from .labels import (
    SYSTEM_DIM,
    TIME_DIM,
    ReportDataError,
    as_text,
    default_system,
    flag_meanings,
    label,
    require,
    systems,
    units_of,
)
from .maps import PALETTE, category_colours
from .tables import cost_options, recommended_cost_usd, summary

_LAYOUT = {
    "plot_bgcolor": "white",
    "paper_bgcolor": "white",
    "height": 450,
    "margin": {"l": 70, "r": 20, "t": 60, "b": 60},
}


def _chart_layout(title: str, x_title: str, y_title: str) -> dict:
    """The layout :func:`_styled` gives a chart, as a dict for a new figure."""
    return {
        "title": {"text": title, "x": 0.01},
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#e5e5e5", "zerolinecolor": "#999999"},
        **_LAYOUT,
    }


def _styled(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        xaxis_title_text=x_title,
        yaxis_title_text=y_title,
        **_LAYOUT,
    )
    fig.update_yaxes(gridcolor="#e5e5e5", zerolinecolor="#999999")
    return fig


def district_coverage_chart(
    ds: xr.Dataset, system: str | None = None, variable: str = "pct_time_covered"
) -> go.Figure:
    """Bars of the population-weighted mean of ``variable`` per district.

    Parameters
    ----------
    ds : xarray.Dataset
        Plan Dataset with ``district`` and ``variable`` over ``(system, cell)``;
        ``population`` [person] weights the mean (``area_km2`` when absent, else equal).
    system : str, optional
        One system; ``None`` draws one bar group per system (all systems).
    variable : str
        A ``(system, cell)`` variable, default ``pct_time_covered`` [%].
    """
    require(ds, ["district", variable], "the coverage-by-district chart")
    da = ds[variable]
    names = [system] if system is not None else systems(ds)
    for name in names:
        if name not in systems(ds):
            raise ReportDataError(f"system {name!r} not in the Dataset; found {systems(ds)}")
    district = as_text(ds["district"].values)
    if "population" in ds.data_vars and float(np.nansum(ds["population"].values)) > 0:
        weights, weighting = np.nan_to_num(ds["population"].values.astype(float)), "population"
    elif "area_km2" in ds.data_vars:
        weights, weighting = ds["area_km2"].values.astype(float), "area"
    else:
        weights, weighting = np.ones(ds.sizes["cell"]), "equally"
    order, which = np.unique(district.astype(str), return_inverse=True)
    order = order.tolist()
    which = which.reshape(-1)
    fig = plotly_objects.figure()
    for name in names:
        values = np.asarray(da.sel({SYSTEM_DIM: name}).values, dtype=float)
        ok = np.isfinite(values)
        w = np.where(ok, weights, 0.0)
        w_sum = np.bincount(which, weights=w, minlength=len(order))
        wv_sum = np.bincount(which, weights=np.where(ok, w * values, 0.0), minlength=len(order))
        means = [float(wv_sum[k] / w_sum[k]) if w_sum[k] > 0 else None for k in range(len(order))]
        fig.add_trace(
            plotly_objects.bar(
                x=order,
                y=means,
                name=name,
                hovertemplate=f"{name}<br>%{{x}}: %{{y:.4g}} {units_of(da)}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group", legend_title_text="System")
    return _styled(
        fig,
        f"{da.attrs.get('long_name', variable)} by district ({weighting}-weighted mean)",
        label(ds["district"]) if ds["district"].attrs else "District",
        label(da),
    )


def recommendation_chart(ds: xr.Dataset) -> go.Figure:
    """Bars of population (or cells, without population) per recommended technology."""
    require(ds, ["recommendation"], "the recommendation chart")
    shares = summary(ds)["recommendation"]
    table = flag_meanings(ds["recommendation"])
    use_pop = "population" in ds.data_vars
    meanings = list(table.values())
    y = [shares[m]["population"] if use_pop else shares[m]["cells"] for m in meanings]
    colours = list(category_colours(ds["recommendation"]).values())
    cells = [shares[m]["cells"] for m in meanings]
    fig = plotly_objects.figure(
        plotly_objects.bar(
            x=meanings,
            y=y,
            marker_color=colours,
            customdata=cells,
            hovertemplate="%{x}: %{y:,.0f}<br>%{customdata} cells<extra></extra>",
        )
    )
    y_title = label(ds["population"]) if use_pop else "Cells [1]"
    return _styled(
        fig,
        f"{label(ds['recommendation'])}: {'population' if use_pop else 'cells'} per option",
        label(ds["recommendation"]),
        y_title,
    )


def cost_by_option_chart(ds: xr.Dataset) -> go.Figure:
    """Total cost per option: serving every underserved cell with it vs the plan.

    Two bar traces per option ``cost_<option>_usd``: the sum over underserved cells (all
    cells when ``underserved`` is absent) if that option served them all, and the sum
    over the cells where that option is recommended.
    """
    options = cost_options(ds)
    if not options:
        raise ReportDataError(
            "the cost chart needs per-cell variables named cost_<option>_usd; found "
            f"{sorted(map(str, ds.data_vars))}"
        )
    names = sorted(options)
    if "underserved" in ds.data_vars:
        scope = np.asarray(ds["underserved"].values).astype(bool)
        scope_text = "every underserved cell"
    else:
        scope = np.ones(ds.sizes["cell"], dtype=bool)
        scope_text = "every cell"
    units = {units_of(ds[options[n]]) for n in names}
    unit = units.pop() if len(units) == 1 else "mixed units"

    def finite_sum(values) -> float:  # an option that cannot reach a cell adds nothing
        values = np.asarray(values, dtype=np.float64)
        return float(values[np.isfinite(values)].sum())

    all_cost = [finite_sum(ds[options[n]].values[scope]) for n in names]
    fig = plotly_objects.figure(
        plotly_objects.bar(
            x=names,
            y=all_cost,
            name=f"if {scope_text} used this option",
            customdata=[ds[options[n]].attrs.get("long_name", options[n]) for n in names],
            hovertemplate="%{customdata}<br>%{y:,.0f} " + unit + "<extra></extra>",
        )
    )
    if "recommendation" in ds.data_vars:
        plan = summary(ds)["recommendation"]
        per_option = dict.fromkeys(names, 0.0)
        for meaning, row in plan.items():
            if meaning in per_option:
                per_option[meaning] += row["cost_usd"]
        fig.add_trace(
            plotly_objects.bar(
                x=names,
                y=[per_option[n] for n in names],
                name="recommended plan",
                hovertemplate="%{x}: %{y:,.0f} " + unit + "<extra></extra>",
            )
        )
        total = float(recommended_cost_usd(ds).sum())
        title = f"Cost by option over the planning horizon (plan total {total:,.0f} {unit})"
    else:
        title = "Cost by option over the planning horizon"
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": -0.2})
    return _styled(fig, title, "Option", f"Total cost [{unit}]")


def _swept_and_category(da: xr.DataArray, sweep_ds: xr.Dataset) -> tuple[str, str | None]:
    numeric = [d for d in da.dims if d in sweep_ds.coords and sweep_ds[d].dtype.kind in "iuf"]
    if not numeric:
        raise ReportDataError(
            f"{da.name!r} has no numeric dimension to sweep over (dims {da.dims})"
        )
    swept = numeric[0]
    others = [d for d in da.dims if d != swept]
    if len(others) > 1:
        raise ReportDataError(
            f"{da.name!r} has dims {da.dims}; a sweep chart takes one swept dimension and "
            "at most one category dimension"
        )
    return swept, (others[0] if others else None)


def sweep_chart(sweep_ds: xr.Dataset, variable: str | None = None) -> go.Figure:
    """Lines of ``variable`` against the swept parameter, one per category.

    Parameters
    ----------
    sweep_ds : xarray.Dataset
        A sweep result: one numeric dimension named after the swept parameter (its
        coordinate's ``long_name``/``units`` label the x axis) and at most one category
        dimension (for example ``technology``).
    variable : str, optional
        Default: ``population_share`` when present, else the first data variable.
    """
    if variable is None:
        names = list(map(str, sweep_ds.data_vars))
        if not names:
            raise ReportDataError("the sweep Dataset has no data variables")
        variable = "population_share" if "population_share" in names else names[0]
    require(sweep_ds, [variable], "the sweep chart")
    da = sweep_ds[variable]
    swept, category = _swept_and_category(da, sweep_ds)
    x = np.asarray(sweep_ds[swept].values, dtype=float).tolist()
    fig = plotly_objects.figure()
    groups = [str(c) for c in sweep_ds[category].values] if category else [None]
    for i, group in enumerate(groups):
        line = da if group is None else da.sel({category: group})
        colour = PALETTE[i % len(PALETTE)]
        fig.add_trace(
            plotly_objects.scatter(
                x=x,
                y=np.asarray(line.values, dtype=float).tolist(),
                mode="lines+markers",
                name=group or variable,
                line={"color": colour},
            )
        )
    x_label = label(sweep_ds[swept], swept)
    return _styled(
        fig,
        f"{da.attrs.get('long_name', variable)} vs {sweep_ds[swept].attrs.get('long_name', swept)}",
        x_label,
        label(da),
    )


SERIES_CELL_DIM = "series_cell"


def visibility_series_chart(
    ds: xr.Dataset,
    cells: Sequence[str] | None = None,
    variable: str | None = None,
    system: str | None = None,
) -> go.Figure:
    """Step lines of a per-step series (visible-satellite counts) for chosen cells.

    Parameters
    ----------
    ds : xarray.Dataset
        A plan with series variables over ``(time, system, series_cell)`` (``time`` in
        UTC, datetime64), such as ``series_n_visible``.
    cells : sequence of str, optional
        H3 ids among ``series_cell`` to draw, one line each; default all of them.
    variable : str, optional
        Default: ``series_n_visible`` when present, else the first variable over
        ``series_cell`` and ``time``.
    system : str, optional
        Default ``"combined"`` or the first system.
    """
    if variable is None:
        with_time = [  # dims from the variables: no DataArray built per variable
            str(n)
            for n in ds.data_vars
            if TIME_DIM in ds.variables[n].dims and SERIES_CELL_DIM in ds.variables[n].dims
        ]
        if not with_time:
            raise ReportDataError(
                "the plan has no per-step series (variables over 'time' "
                "and 'series_cell'; set [engine] series_cells)"
            )
        variable = "series_n_visible" if "series_n_visible" in with_time else with_time[0]
    require(ds, [variable], "the visibility series chart")
    da = ds[variable]
    if SYSTEM_DIM in da.dims:
        system = system if system is not None else default_system(ds)
        da = da.sel({SYSTEM_DIM: system})
    available = [str(c) for c in as_text(ds[SERIES_CELL_DIM].values)]
    cells = available if cells is None else [str(c) for c in cells]
    missing = [c for c in cells if c not in available]
    if missing:
        raise ReportDataError(f"cells {missing} are not in the series; found {available}")
    times = np.datetime_as_string(np.asarray(ds[TIME_DIM].values), unit="s")
    traces = []
    for cell in cells:
        y = np.asarray(
            da.isel({SERIES_CELL_DIM: available.index(cell)}).transpose(TIME_DIM).values,
            dtype=float,
        )
        traces.append(
            plotly_objects.scatter(x=times, y=y, mode="lines", name=cell, line={"shape": "hv"})
        )
    title = da.attrs.get("long_name", variable) + (f", {system}" if system else "")
    return plotly_objects.figure(
        traces, _chart_layout(f"{title} over time", "Time (UTC)", label(da))
    )
