"""The offline HTML report a regulator signs: one self-contained file, plotly.js embedded once.

The first screen is the answer: a title with the region and the date of the data, three to
five findings computed from the plan, the map of what to build where and the table per
technology. Then every assumption with its value, unit and source label; readable maps;
the district tables and collapsed district profiles; charts; the licensing comparison
(when the plan has a ``case`` dimension); the satellite systems; methods; provenance and
the limits the data steps recorded.

No network is needed to open it (no CDN, tile server or web font), the output is
deterministic (fixed figure ids, no clock), every string from the user or the data is
escaped, and it fits A4 portrait and a 1400 px screen without horizontal scrolling.
Sections whose inputs are missing become a short note.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import plotly.offline
import xarray as xr

from . import charts, maps
from .assumptions import assumption_rows, limits, provenance_rows
from .atomic import write_atomic
from .exports import cell_columns
from .findings import findings, licensing_sentence, money, option_label, technology_rows
from .labels import ReportDataError, as_text, default_system, systems
from .network import network_section
from .overlays import Overlay, map_box
from .page import CSS, SCRIPT, Report, e, kv_table, note, table
from .profiles import district_profiles
from .rollout import planned_routes_section, rollout_section
from .tables import district_table
from .text import METHODS


@dataclass(frozen=True)
class MapSpec:
    """One map of the Maps section: variable (``None`` = terrain loss), title, keywords."""

    variable: str | None
    title: str
    options: dict = field(default_factory=dict)
    per_system: bool = False


MAPS = (
    MapSpec("underserved", "Underserved cells"),
    MapSpec("population", "Population", {"colorscale": "Blues", "scale": "log"}),
    MapSpec(
        "cost_recommended_usd",
        "Cost of the recommended option",
        {"colorscale": "OrRd", "scale": "log"},
    ),
    MapSpec("pct_time_covered", "Coverage", per_system=True),
    MapSpec(None, "Terrain loss", per_system=True),
    MapSpec(
        "max_gap_s",
        "Longest gap",
        {"colorscale": "Viridis_r", "scale": "quantile"},
        per_system=True,
    ),
    MapSpec("fiber_path_km", "Fibre path", {"scale": "quantile"}),
)


def report_title(ds: xr.Dataset) -> str:
    region = str(ds.attrs.get("region") or "").strip()
    return f"Backhaul plan: {region}" if region else str(ds.attrs.get("title", "Backhaul plan"))


def data_date(ds: xr.Dataset) -> str:
    """``"data of 2026-05-30 (element sets up to 2026-05-30T20:40Z)"`` from the plan."""
    start = str(ds.attrs.get("window_start_utc", ""))[:10]
    epochs = ""
    if "element_set_epoch_max" in ds:
        values = sorted(v for v in as_text(ds["element_set_epoch_max"].values) if v)
        if values:
            epochs = f"; element sets up to {values[-1][:16]}Z"
    end = str(ds.attrs.get("window_end_utc", ""))
    window = f"analysis window {ds.attrs['window_start_utc']} to {end}" if start else ""
    return f"Data of {start or 'unknown date'}{epochs}; {window}".rstrip("; ")


def _first_screen(report: Report, ds, boundaries, network, max_hexagons) -> str:
    sentences = findings(ds)
    parts = [
        f"<h1>{e(report_title(ds))}</h1>",
        (
            f'<p class="meta">{e(data_date(ds))}. Scenario '
            f"{e(ds.attrs.get('scenario_name', ''))}; hybridplan "
            f"{e(ds.attrs.get('hybridplan_version', 'unknown'))}; "
            f"{ds.sizes['cell']:,} cells. This page works offline.</p>"
        ),
    ]
    if sentences:
        parts.append(
            '<ul class="findings">' + "".join(f"<li>{e(s)}</li>" for s in sentences) + "</ul>"
        )
    else:
        parts.append(note("No findings: the plan has no population or recommendation."))
    if "recommendation" in ds:
        parts.append(
            report.figure(
                "map what to build",
                lambda: maps.hex_map(
                    ds,
                    "recommendation",
                    boundaries=boundaries,
                    network=network,
                    max_hexagons=max_hexagons,
                    title="What to build where",
                ),
            )
        )
    parts.append(_technology_table(ds))
    return '<section id="answer">' + "\n".join(parts) + "</section>"


def _technology_table(ds: xr.Dataset) -> str:
    rows = technology_rows(ds)
    if not rows:
        return note("Per-technology table skipped: the plan has no recommendation.")
    body = [
        [
            r.label,
            r.cells,
            r.population,
            r.underserved_population,
            r.cost_usd,
            r.cost_per_person_usd,
        ]
        for r in rows
    ]
    total = [
        sum(r.cells for r in rows),
        sum(r.population for r in rows),
        sum(r.underserved_population for r in rows),
        sum(r.cost_usd for r in rows),
    ]
    body.append(["Total", *total, total[3] / total[1] if total[1] else float("nan")])
    head = [
        ("Technology", "recommended backhaul (plan option)"),
        ("Cells", "cells"),
        ("People", "population [person]"),
        ("Underserved people", "population of underserved cells [person]"),
        ("Cost [USD]", "present value of the recommended builds over the horizon [USD]"),
        ("Cost per person [USD]", "cost / people [USD/person]"),
    ]
    return table(head, body, wide=True)


def _assumptions_section(ds: xr.Dataset) -> list[str]:
    rows = assumption_rows(ds.attrs)
    parts = []
    head = [
        ("Key", "scenario key (TOML path)"),
        ("Value", ""),
        ("Unit", ""),
        (
            "Label",
            (
                "[FILED] regulatory filing; [MEASURED] measured or census figure; "
                "[ASSUMPTION] a choice to review"
            ),
        ),
        ("Source", ""),
    ]
    for group in dict.fromkeys(r.group for r in rows):
        members = [r for r in rows if r.group == group]
        body = [[r.key, r.value, r.unit, r.label, r.source] for r in members]
        classes = [["", "", "", "label-" + r.label.strip("[]"), ""] for r in members]
        parts.append(
            f"<h3>{e(group)}</h3>"
            + table(head, body, classes=classes, wide=True, widths=(30, 18, 10, 12, 30))
        )
    if not rows:
        parts.append(note("The plan records no scenario and no assumptions."))
    rule = ds.attrs.get("underserved_rule")
    if rule:
        parts.append(f"<p><b>Underserved rule.</b> {e(rule)}</p>")
    scenario = str(ds.attrs.get("scenario", ""))
    if scenario:
        parts.append(
            f"<details><summary>Scenario file as run</summary><pre>{e(scenario)}</pre></details>"
        )
    return parts


def _maps_section(
    report: Report, ds, boundaries, network, max_hexagons, specs: Sequence[MapSpec] = MAPS
) -> list[str]:
    system = default_system(ds) if systems(ds) else None
    kw = {"boundaries": boundaries, "network": network, "max_hexagons": max_hexagons}
    parts = []
    for spec in specs:
        if spec.variable is not None and spec.variable not in ds.data_vars:
            parts.append(
                note(f"{spec.title} map skipped: no variable {spec.variable} in the plan.")
            )
            continue
        extra = dict(spec.options, **({"system": system} if spec.per_system else {}))

        def build(spec=spec, extra=extra):
            if spec.variable is None:
                return maps.terrain_loss_map(ds, **extra, **kw)
            return maps.hex_map(ds, spec.variable, **extra, **kw)

        parts.append(report.figure(f"map {spec.title}", build))
    return parts


def _districts_section(ds: xr.Dataset) -> list[str]:
    try:
        t = district_table(ds)
    except ReportDataError as exc:
        return [note(f"District table skipped: {exc}")]
    counts = [c for c in t.columns if c.name.startswith("n_")]
    main = [c for c in t.columns if c not in counts]
    used = [c for c in counts if any(r[c.name] for r in t.rows)]

    def head(c):
        unit = f" [{c.units}]" if c.units and c.units != "1" else ""
        short = {
            "underserved_cells": "Underserved cells",
            "underserved_population": "Underserved people",
            "recommended_cost_usd": "Cost [USD]",
            "area_km2": "Area [km2]",
            "population": "People",
        }.get(c.name)
        if short is None:
            short = (
                option_label(c.name[2:])
                if c.name.startswith("n_")
                else "Coverage [%]"
                if c.name.startswith("pct_")
                else c.long_name
            )
        return short, f"{c.long_name}{unit}"

    digits = {i: 1 for i, c in enumerate(main) if c.name.startswith("pct_")}
    parts = [
        table(
            [head(c) for c in main],
            [[r[c.name] for c in main] for r in t.rows],
            digits=digits,
            wide=True,
        )
    ]
    if used:
        district = [c for c in main if c.name in ("district", "province")]
        cols = district + used
        parts.append("<h3>Recommended technology per district [cells]</h3>")
        parts.append(
            table([head(c) for c in cols], [[r[c.name] for c in cols] for r in t.rows], wide=True)
        )
    return parts


def _charts_section(report: Report, ds, sweep, series_cells) -> list[str]:
    parts = [
        report.figure("coverage by district", lambda: charts.district_coverage_chart(ds)),
        report.figure("recommended technology", lambda: charts.recommendation_chart(ds)),
        report.figure("cost by option", lambda: charts.cost_by_option_chart(ds)),
    ]
    if sweep is not None:
        parts.append(report.figure("sensitivity sweep", lambda: charts.sweep_chart(sweep)))
    else:
        parts.append(note("No sensitivity sweep in this run (hybridplan plan --sweep)."))
    if "series_cell" in ds.dims:
        parts.append(
            report.figure(
                "visible satellites over time",
                lambda: charts.visibility_series_chart(ds, series_cells),
            )
        )
    else:
        parts.append(note("The plan holds no per-step series ([engine] series_cells)."))
    return parts


def _licensing_section(ds: xr.Dataset) -> list[str]:
    """The licensing cases side by side (plan with ``recommendation_by_case``)."""
    if "recommendation_by_case" not in ds.data_vars:
        sentence = licensing_sentence(ds)
        return [
            note(
                "The plan holds one licensing case (no 'case' dimension); "
                + (sentence or "all backhaul systems are licensed.")
            )
        ]
    cases = list(as_text(ds["case"].values))
    about = list(as_text(ds["case_description"].values)) if "case_description" in ds else cases
    rec = ds["recommendation_by_case"]
    meanings = str(rec.attrs["flag_meanings"]).split()
    pop = np.nan_to_num(np.asarray(ds["population"].values, float))
    cost = (
        np.nan_to_num(np.asarray(ds["cost_recommended_by_case_usd"].values, float))
        if "cost_recommended_by_case_usd" in ds
        else np.zeros((len(cases), ds.sizes["cell"]))
    )
    codes = np.asarray(rec.values)
    rows = []
    for k, meaning in enumerate(meanings):
        people_by_case = [float(pop[codes[i] == k].sum()) for i in range(len(cases))]
        if any(people_by_case):
            rows.append([option_label(meaning), *people_by_case])
    rows.append(["Cost [USD]", *[float(cost[i].sum()) for i in range(len(cases))]])
    rate = float(ds.attrs.get("usd_to_pkr", 0.0) or 0.0)
    if rate > 0:
        rows.append(
            [
                f"Cost [PKR] at {rate:g} PKR/USD ({ds.attrs.get('usd_to_pkr_as_of', '')})",
                *[float(cost[i].sum()) * rate for i in range(len(cases))],
            ]
        )
    head = [("Technology", "people served per case")] + [
        (c, a) for c, a in zip(cases, about, strict=True)
    ]
    parts = [f"<p>{e(licensing_sentence(ds) or '')}</p>", table(head, rows, wide=True)]
    if "licensed_by_case" in ds:
        lic = np.asarray(ds["licensed_by_case"].values).astype(bool)
        pairs = [
            (
                c,
                ", ".join(
                    s for s, ok in zip(systems(ds), lic[i], strict=True) if ok and s != "combined"
                ),
            )
            for i, c in enumerate(cases)
        ]
        parts.append(kv_table([(f"Licensed in '{c}'", v) for c, v in pairs]))
    parts.extend(_cash_flow_table(ds, cases, rate))
    return parts


def _cash_flow_table(ds: xr.Dataset, cases: list[str], rate: float) -> list[str]:
    """Yearly investment and running costs of what each case builds (USD, and PKR)."""
    if "cash_flow_capex_usd" not in ds or "cash_flow_opex_usd" not in ds:
        return []
    capex = np.asarray(ds["cash_flow_capex_usd"].values, float)
    opex = np.asarray(ds["cash_flow_opex_usd"].values, float)
    years = np.asarray(ds["year"].values) if "year" in ds else np.arange(capex.shape[1])
    head = [("Year", "year of the planning horizon (0: build)")]
    for c in cases:
        head += [
            (f"{c}: CAPEX [USD]", "investment, terminal replacements included"),
            (f"{c}: OPEX [USD]", "running costs"),
        ]
    rows = []
    for j, year in enumerate(years):
        row = [str(int(year))]
        for i in range(len(cases)):
            row += [float(capex[i, j]), float(opex[i, j])]
        rows.append(row)
    total = ["Total"] + [
        float(v) for i in range(len(cases)) for v in (capex[i].sum(), opex[i].sum())
    ]
    rows.append(total)
    parts = ["<h3>Cash flows by year</h3>", table(head, rows, wide=True)]
    if rate > 0:
        parts.append(
            note(
                f"In PKR: multiply by {rate:g} PKR/USD "
                f"({ds.attrs.get('usd_to_pkr_as_of', 'date not given')}); total "
                f"of the first case PKR {(capex[0].sum() + opex[0].sum()) * rate:,.0f} "
                "(undiscounted)."
            )
        )
    return parts


def _systems_section(ds: xr.Dataset, constellations) -> list[str]:
    names = systems(ds)
    per_system = [n for n, v in ds.data_vars.items() if v.dims == ("system",)]
    parts = []
    if names:
        head = [("System", "")] + [
            (str(v), str(ds[v].attrs.get("long_name", v))) for v in per_system
        ]
        rows = [
            [n] + [str(as_text(np.atleast_1d(ds[v].sel(system=n).values))[0]) for v in per_system]
            for n in names
        ]
        parts.append(table(head, rows, wide=True))
    for name, info in (constellations or {}).items():
        parts.append(f"<h3>{e(name)}</h3>")
        if not isinstance(info, Mapping):
            continue
        flat = [(k, str(v)) for k, v in info.items() if k != "shells"]
        if flat:
            parts.append(kv_table(flat))
        shells = info.get("shells")
        if shells:
            keys = list(dict.fromkeys(k for s in shells for k in s))
            parts.append(
                table([(k, "") for k in keys], [[s.get(k, "") for k in keys] for s in shells])
            )
    return parts or [note("The plan names no systems.")]


def _methods_section(ds: xr.Dataset) -> list[str]:
    parts = [f"<h3>{e(h)}</h3><p>{e(p)}</p>" for h, p in METHODS]
    records = [
        (k, str(ds.attrs[k]))
        for k in (
            "visibility_model",
            "gap_policy",
            "latency_model",
            "bent_pipe_gateways",
            "combined_definition",
            "propagation_failure_policy",
        )
        if k in ds.attrs
    ]
    if records:
        parts.append("<h3>Models recorded in the plan</h3>" + kv_table(records))
    later = [
        name
        for name, var in (("Sites", "site"), ("Trunks", "trunk"), ("Capacity", "capacity"))
        if not any(var in str(v) for v in ds.data_vars)
    ]
    if later:
        parts.append(
            note(
                f"{', '.join(later)}: not in this plan; the report shows them "
                "when the planner adds them."
            )
        )
    return parts


def _provenance_section(ds: xr.Dataset, provenance, cell_detail: str) -> list[str]:
    rows = provenance_rows(ds.attrs, provenance)
    parts = [
        table(
            [("Data", ""), ("Source", ""), ("Method", ""), ("Recorded limits", "")],
            [[r.dataset, r.source, r.method, r.limits or "none recorded"] for r in rows],
            wide=True,
        )
        if rows
        else note("No provenance recorded in the plan.")
    ]
    recorded = limits(ds.attrs)
    if recorded:
        parts.append(
            "<h3>Honest limits of this plan's data</h3><ul>"
            + "".join(f"<li><b>{e(k)}:</b> {e(v)}</li>" for k, v in recorded)
            + "</ul>"
        )
    version = ds.attrs.get("hybridplan_version")
    if version:
        parts.append(f'<p class="small">Written by hybridplan {e(version)}.</p>')
    cols = cell_columns(ds, values=False, detail=cell_detail)
    detail_note = (
        " (compact: per system only availability and latency, every other figure for "
        "the combined system; plan.nc holds them all)"
        if cell_detail == "compact"
        else ""
    )
    parts.append(
        "<details><summary>Data dictionary (columns of cells.gpkg / cells.csv"
        f"{detail_note})</summary>"
        + table(
            [("Column", ""), ("Long name", ""), ("Units", ""), ("Codes", "")],
            [[c.name, c.long_name, c.units, c.codes] for c in cols],
            wide=True,
        )
        + "</details>"
    )
    return parts


def render_report(ds: xr.Dataset, *args, **kwargs) -> str:
    """The whole report as one self-contained HTML page (text); parameters as
    :func:`report_parts`."""
    return "".join(report_parts(ds, *args, **kwargs))


def report_parts(
    ds: xr.Dataset,
    boundaries: dict | None = None,
    network: dict | None = None,
    sweep: xr.Dataset | None = None,
    constellations: Mapping[str, Mapping] | None = None,
    provenance: Mapping[str, str] | None = None,
    *,
    title: str | None = None,
    series_cells: Sequence[str] | None = None,
    max_hexagons: int = maps.DEFAULT_MAX_HEXAGONS,
    map_specs: Sequence[MapSpec] = MAPS,
    cell_detail: str = "full",
) -> list[str]:
    """The whole report as one self-contained HTML page, in pieces to join or write
    one after the other (the page is tens of megabytes for a national plan).

    Parameters
    ----------
    ds : xarray.Dataset
        The plan Dataset (names, units, categories and colours read from its attributes;
        the scenario text and the assumptions record from ``attrs``).
    boundaries, network : dict, optional
        GeoJSON-like FeatureCollections (lon/lat) drawn over every map.
    sweep : xarray.Dataset, optional
        A sensitivity sweep for :func:`~hybridplan.reports.charts.sweep_chart`.
    constellations : mapping, optional
        ``{name: {key: value, ..., "shells": [{...}, ...]}}`` shown as tables.
    provenance : mapping, optional
        Extra ``{dataset: source}`` lines for the provenance section.
    title : str, optional
        Page title; default "Backhaul plan: <region>".
    series_cells : sequence of str, optional
        Cells of the plan's per-step series to draw (default all).
    max_hexagons : int
        Hexagon budget of each overview map.
    map_specs : sequence of MapSpec
        The maps of the Maps section (default :data:`MAPS`); a missing variable becomes
        a note.
    cell_detail : str
        The detail of the cell tables written beside the report (``"full"`` or
        ``"compact"``, :func:`~hybridplan.reports.exports.cell_columns`): the data
        dictionary lists their columns.
    """
    if "cell" not in ds.dims or ds.sizes["cell"] == 0:
        raise ReportDataError("the plan Dataset has no cells to report on")
    report = Report()
    # the region-wide maps draw the overlays simplified to their scale; the district
    # profiles cut and simplify the originals to each district
    _, tolerance = map_box(ds["lon"].values, ds["lat"].values)
    outlines = Overlay(boundaries, "boundaries").near(None, tolerance)
    routes = Overlay(network, "network").near(None, tolerance)
    first = _first_screen(report, ds, outlines, routes, max_hexagons)
    report.section("Assumptions", _assumptions_section(ds))
    report.section("Maps", _maps_section(report, ds, outlines, routes, max_hexagons, map_specs))
    report.section("Districts", _districts_section(ds))
    report.section(
        "District profiles", district_profiles(report, ds, boundaries=boundaries, network=network)
    )
    report.section("Charts", _charts_section(report, ds, sweep, series_cells))
    report.section("Licensing comparison", _licensing_section(ds))
    report.section("The network", network_section(ds))
    report.section("Rollout under a budget", rollout_section(report, ds))
    report.section("Planned routes", planned_routes_section(ds))
    report.section("Satellite systems", _systems_section(ds, constellations))
    report.section("Methods", _methods_section(ds))
    report.section("Data provenance and limits", _provenance_section(ds, provenance, cell_detail))
    return _page(title or report_title(ds), first, report)


def _page(title: str, first: str, report: Report) -> list[str]:
    nav = "".join(f'<li><a href="#{s}">{e(name)}</a></li>' for s, name, _ in report.sections)
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{CSS}</style>\n"
        f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>\n'
        f"</head>\n<body>\n<main>\n{first}\n<nav><ul>{nav}</ul></nav>\n"
    )
    out = [head]
    for k, (s, name, parts) in enumerate(report.sections):
        out.append("\n" if k else "")
        out.append(f'<section id="{s}"><h2>{e(name)}</h2>\n')
        for i, part in enumerate(parts):
            out.extend(("\n", part) if i else (part,))
        out.append("</section>")
    out.append(f"\n</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n")
    return out


def write_report(ds: xr.Dataset, path: str | os.PathLike, **kwargs) -> Path:
    """Render the report (keywords of :func:`report_parts`) and write it atomically
    (UTF-8), piece by piece: the same bytes as :func:`render_report`'s text."""
    parts = report_parts(ds, **kwargs)

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.writelines(parts)

    return write_atomic(path, write)


__all__ = [
    "MAPS",
    "MapSpec",
    "data_date",
    "money",
    "render_report",
    "report_parts",
    "report_title",
    "write_report",
]
