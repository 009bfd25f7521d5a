"""The Dash app of ``hybridplan explore``: controls on the left, the hexagon map, the
clicked cell and the district table on the right.

The recompute side is passed in (``reports`` imports nothing of ``coverage``): any
object with the methods of :class:`ExplorerModel` works, for example
``hybridplan.coverage.pipeline.explore_model.ExploreModel``. The map is drawn once and
then updated in place: every answer is a :class:`dash.Patch` of the figure's ``data``
and title, so zoom and pan survive a recompute. Everything is served from this process
(``serve_locally``; CSS in ``assets/``), nothing from a CDN.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import h3
from dash import ALL, Dash, Input, Output, Patch, State, dcc, html, no_update

from . import views

ASSETS = Path(__file__).with_name("assets")
STEP_CHOICES_S = (30, 60, 120, 300, 600)


class ExplorerModel(Protocol):
    """What the app needs from the recompute side."""

    boundaries: dict | None
    stats: Any
    current: Any

    def initial_view(self) -> dict: ...
    def planning_controls(self) -> list[dict]: ...
    def figures(self, plan=None) -> list[str]: ...
    def compute(self, view: Mapping, clock: Callable[[], float] | None = None): ...
    def cell_series(self, view: Mapping, cell: str): ...
    def export_toml(self, view: Mapping, *, full_resolution: bool = False) -> str: ...


class FullPlanJob(Protocol):
    """A background ``hybridplan plan`` run: started with scenario TOML text."""

    def start(self, toml_text: str) -> str: ...
    def status(self) -> dict: ...
    def cancel(self) -> None: ...


def _slider(id_, low, high, step, value, marks=None) -> dcc.Slider:
    return dcc.Slider(
        id=id_,
        min=low,
        max=high,
        step=step,
        value=value,
        marks=marks or {low: f"{low:g}", high: f"{high:g}"},
        updatemode="mouseup",
        tooltip={"placement": "bottom"},
    )


def _row(label: str, control, units: str = "") -> html.Div:
    text = f"{label} [{units}]" if units and units != "1" else label
    return html.Div([html.Label(text, className="hp-label"), control], className="hp-row")


def _system_block(name: str, v: Mapping) -> html.Details:
    on = ["on"]
    return html.Details(
        [
            html.Summary(name),
            dcc.Checklist(
                id={"kind": "sys-enabled", "system": name},
                options=[{"label": " in the plan", "value": "on"}],
                value=on,
            ),
            dcc.Checklist(
                id={"kind": "sys-licensed", "system": name},
                options=[{"label": " licensed", "value": "on"}],
                value=on if v["licensed"] else [],
            ),
            _row(
                "min elevation",
                _slider({"kind": "sys-minel", "system": name}, 0, 60, 0.5, v["min_elevation_deg"]),
                "deg",
            ),
            _row(
                "GSO exclusion",
                _slider({"kind": "sys-gso", "system": name}, 0, 30, 0.5, v["gso_exclusion_deg"]),
                "deg",
            ),
            _row(
                "N satellites required",
                _slider({"kind": "sys-n", "system": name}, 1, 8, 1, v["n_required"]),
            ),
        ],
        open=True,
        className="hp-system",
    )


def _walker_block(w: Mapping, system_names: list[str]) -> html.Details:
    return html.Details(
        [
            html.Summary("Walker shell"),
            dcc.RadioItems(
                id="walker-mode",
                value=w["mode"],
                inline=True,
                options=[
                    {"label": " off", "value": "off"},
                    {"label": " add", "value": "add"},
                    {"label": " replace", "value": "replace"},
                ],
            ),
            _row(
                "system to replace",
                dcc.Dropdown(
                    id="walker-replace", value=w["replace"], options=system_names, clearable=False
                ),
            ),
            _row("altitude", _slider("walker-alt", 300, 2000, 10, w["altitude_km"]), "km"),
            _row("inclination", _slider("walker-inc", 0, 180, 0.5, w["inclination_deg"]), "deg"),
            _row("planes", _slider("walker-planes", 1, 72, 1, w["planes"])),
            _row("satellites per plane", _slider("walker-spp", 1, 60, 1, w["sats_per_plane"])),
            _row("phasing F", _slider("walker-phasing", 0, 71, 1, w["phasing"])),
            _row(
                "min elevation", _slider("walker-minel", 0, 60, 0.5, w["min_elevation_deg"]), "deg"
            ),
            _row("GSO exclusion", _slider("walker-gso", 0, 30, 0.5, w["gso_exclusion_deg"]), "deg"),
            _row("N required", _slider("walker-n", 1, 8, 1, w["n_required"])),
            dcc.Checklist(
                id="walker-licensed",
                options=[{"label": " licensed", "value": "on"}],
                value=["on"] if w["licensed"] else [],
            ),
        ],
        open=w["mode"] != "off",
        className="hp-system",
    )


def _layout(
    model: ExplorerModel,
    title: str,
    first_figure,
    figures: list[str],
    figure: str,
    system_names: list[str],
    plan_systems: list[str],
    map_key: str,
) -> html.Div:
    view = model.initial_view()
    window = view["window"]
    planning = [
        _row(
            c["label"],
            _slider({"kind": "plan", "key": c["key"]}, c["min"], c["max"], c["step"], c["value"]),
            c["units"],
        )
        for c in model.planning_controls()
    ]
    controls = html.Div(
        [
            html.H3("Systems"),
            *[_system_block(n, view["systems"][n]) for n in system_names],
            _walker_block(view["walker"], system_names),
            html.H3("Time window"),
            _row(
                "start (UTC)",
                dcc.Input(id="window-start", value=window["start"], type="text", debounce=True),
            ),
            _row("duration", _slider("window-duration", 0.5, 24, 0.5, window["duration_h"]), "h"),
            _row(
                "step",
                dcc.Dropdown(
                    id="window-step",
                    value=window["step_s"],
                    clearable=False,
                    options=sorted({*STEP_CHOICES_S, window["step_s"]}),
                ),
                "s",
            ),
            html.H3("Planning"),
            *planning,
            html.H3("Scenario"),
            html.Button("Export this scenario", id="export", className="hp-button"),
            dcc.Download(id="download"),
            html.Button("Run full plan", id="full-run", className="hp-button"),
            html.Button("Cancel", id="full-cancel", className="hp-button"),
            html.Div(id="job-status", className="hp-job"),
            dcc.Interval(id="job-poll", interval=1000, disabled=True),
        ],
        className="hp-controls",
    )
    main = html.Div(
        [
            html.Div(
                [
                    _row(
                        "figure",
                        dcc.Dropdown(id="figure", options=figures, clearable=False, value=figure),
                    ),
                    _row(
                        "system",
                        dcc.Dropdown(
                            id="system",
                            options=plan_systems,
                            clearable=False,
                            value="combined" if "combined" in plan_systems else plan_systems[0],
                        ),
                    ),
                ],
                className="hp-pickers",
            ),
            html.Div(
                [html.Span("ready", id="status"), " · map ", html.Span("0", id="map-version")],
                className="hp-status",
            ),
            dcc.Graph(
                id="map", figure=first_figure, config={"displaylogo": False, "scrollZoom": True}
            ),
            html.Div(
                id="cell-panel",
                className="hp-cell",
                children="Click a hexagon for its figures and visible satellites.",
            ),
            html.H3("Districts"),
            html.Div(id="districts"),
            dcc.Store(id="view", data=view),
            dcc.Store(id="map-key", data=map_key),
        ],
        className="hp-main",
    )
    return html.Div(
        [html.H2(title, className="hp-title"), html.Div([controls, main], className="hp-columns")]
    )


def build_app(
    model: ExplorerModel,
    *,
    title: str = "hybridplan explore",
    job: FullPlanJob | None = None,
    clock: Callable[[], float] = time.perf_counter,
    figure: str = "recommendation",
) -> Dash:
    """The explorer app over a model (its initial view is computed here when the model
    has not answered one yet); ``figure`` is the variable mapped first."""
    if model.current is None:
        model.compute(model.initial_view(), clock)
    plan = model.current.plan
    initial = model.initial_view()
    system_names = list(initial["systems"])
    figures = model.figures(plan)
    plan_systems = [str(s) for s in plan["system"].values]
    figure = figure if figure in figures else figures[0]
    first = views.full_figure(plan, figure, "combined", model.boundaries)
    resolution = h3.get_resolution(str(plan["cell"].values[0]))

    app = Dash(
        __name__, title=title, serve_locally=True, assets_folder=str(ASSETS), update_title=None
    )
    app.layout = _layout(
        model,
        title,
        first,
        figures,
        figure,
        system_names,
        plan_systems,
        views.map_key(plan, figure, "combined"),
    )
    planning_keys = [c["key"] for c in model.planning_controls()]
    state = {"version": 0, "systems": plan_systems}

    @app.callback(
        Output("map", "figure"),
        Output("status", "children"),
        Output("map-version", "children"),
        Output("districts", "children"),
        Output("view", "data"),
        Output("system", "options"),
        Output("map-key", "data"),
        Input({"kind": "sys-enabled", "system": ALL}, "value"),
        Input({"kind": "sys-licensed", "system": ALL}, "value"),
        Input({"kind": "sys-minel", "system": ALL}, "value"),
        Input({"kind": "sys-gso", "system": ALL}, "value"),
        Input({"kind": "sys-n", "system": ALL}, "value"),
        Input("walker-mode", "value"),
        Input("walker-replace", "value"),
        Input("walker-alt", "value"),
        Input("walker-inc", "value"),
        Input("walker-planes", "value"),
        Input("walker-spp", "value"),
        Input("walker-phasing", "value"),
        Input("walker-minel", "value"),
        Input("walker-gso", "value"),
        Input("walker-n", "value"),
        Input("walker-licensed", "value"),
        Input("window-start", "value"),
        Input("window-duration", "value"),
        Input("window-step", "value"),
        Input({"kind": "plan", "key": ALL}, "value"),
        Input("figure", "value"),
        Input("system", "value"),
        State("map-key", "data"),
        running=[(Output("status", "className"), "hp-busy", "")],
        prevent_initial_call=False,
    )
    def update(
        enabled,
        licensed,
        min_el,
        gso,
        n_req,
        w_mode,
        w_replace,
        w_alt,
        w_inc,
        w_planes,
        w_spp,
        w_phasing,
        w_minel,
        w_gso,
        w_n,
        w_lic,
        start,
        duration,
        step,
        planning_values,
        figure,
        system,
        shown_key,
    ):
        walker = {
            "mode": w_mode,
            "replace": w_replace,
            "altitude_km": w_alt,
            "inclination_deg": w_inc,
            "planes": w_planes,
            "sats_per_plane": w_spp,
            "phasing": w_phasing,
            "min_elevation_deg": w_minel,
            "gso_exclusion_deg": w_gso,
            "n_required": w_n,
            "licensed": bool(w_lic),
        }
        window = {"start": start, "duration_h": duration, "step_s": step}
        view = views.view_from_controls(
            initial,
            system_names,
            enabled,
            licensed,
            min_el,
            gso,
            n_req,
            walker,
            window,
            planning_keys,
            planning_values,
        )
        return answer(model, view, figure, system, state, clock, shown_key)

    @app.callback(
        Output("cell-panel", "children"),
        Input("map", "clickData"),
        State("view", "data"),
        prevent_initial_call=True,
    )
    def click(click_data, view):
        return cell_panel(model, view, views.cell_from_click(click_data, resolution))

    @app.callback(
        Output("download", "data"),
        Input("export", "n_clicks"),
        State("view", "data"),
        prevent_initial_call=True,
    )
    def export(_, view):
        return {
            "content": model.export_toml(view),
            "filename": "explorer-scenario.toml",
            "type": "application/toml",
            "base64": False,
        }

    @app.callback(
        Output("job-status", "children"),
        Output("job-poll", "disabled"),
        Input("full-run", "n_clicks"),
        Input("full-cancel", "n_clicks"),
        Input("job-poll", "n_intervals"),
        State("view", "data"),
        prevent_initial_call=True,
    )
    def full_plan(run_clicks, cancel_clicks, _, view):
        from dash import ctx

        if job is None:
            return "Full plans are not available here (no job runner).", True
        if ctx.triggered_id == "full-run":
            job.start(model.export_toml(view, full_resolution=True))
        elif ctx.triggered_id == "full-cancel":
            job.cancel()
        status = job.status()
        return status.get("text", ""), not status.get("running", False)

    return app


def answer(
    model: ExplorerModel,
    view: Mapping,
    figure: str,
    system: str | None,
    state: dict,
    clock: Callable[[], float] = time.perf_counter,
    shown_key: str | None = None,
):
    """The main callback's outputs for a view: a map :class:`Patch`, the status line,
    the map version, the district table, the view, the system choices and the map's key.
    A request the model dropped (a later one arrived) changes nothing; a map equal to
    the one the page shows (``shown_key``) is not sent again."""
    t0 = clock()
    try:
        outcome = model.compute(view, clock)
    except ValueError as exc:  # the model's user errors (bad window, no system, ...)
        return (no_update, f"error: {exc}", *(no_update,) * 5)
    if outcome is None:
        return (no_update,) * 7
    plan = outcome.plan
    plan_systems = [str(s) for s in plan["system"].values]
    system = (
        system
        if system in plan_systems
        else ("combined" if "combined" in plan_systems else plan_systems[0])
    )
    figures = model.figures(plan)
    figure = figure if figure in figures else figures[0]
    key = views.map_key(plan, figure, system)
    if key == shown_key:  # the page already shows this very map (e.g. a cost change
        patch = no_update  # that leaves the mapped figure as it was): nothing to redraw
    else:
        traces, title = views.map_traces(plan, figure, system)
        patch = Patch()  # the map's trace slots rewritten in place; the outlines stay
        for index, trace in enumerate(traces):
            patch["data"][index] = trace
        patch["layout"]["title"]["text"] = title
    columns, rows = views.district_rows(plan, figure, system)
    table = views.table_component(columns, rows, "district-table")
    state["version"] = state.get("version", 0) + 1
    stats = model.stats
    how = "engine ran" if outcome.engine_ran else "cached coverage"
    status = (
        f"{how}; answered in {clock() - t0:.2f} s · engine runs {stats.engine_runs}, "
        f"plan runs {stats.plan_runs}"
    )
    options = no_update if plan_systems == state.get("systems") else plan_systems
    state["systems"] = plan_systems
    return patch, status, str(state["version"]), table, dict(view), options, key


def cell_panel(model: ExplorerModel, view: Mapping, cell: str | None):
    """The clicked cell's figures, reason and visible-satellite series."""
    if cell is None or model.current is None:
        return "Click a hexagon for its figures and visible satellites."
    plan = model.current.plan
    try:
        rows = views.cell_figures(plan, cell)
    except ValueError:
        return f"{cell}: not a cell of this map (outside the region)."
    reason = str(plan["reason"].sel(cell=cell).values) if "reason" in plan else ""
    table = views.table_component(
        [("figure", "Figure"), ("value", "Value")],
        [{"figure": a, "value": b} for a, b in rows],
        "cell-table",
    )
    series = model.cell_series(view, cell)
    graph = dcc.Graph(
        id="cell-series", figure=views.series_figure(series, cell), config={"displaylogo": False}
    )
    return [
        html.H4(f"Cell {cell}"),
        html.P(f"Reason: {reason}", id="cell-reason"),
        graph,
        html.Details([html.Summary("All figures"), table], open=False),
    ]
