"""The offline HTML report: one self-contained file, plotly.js embedded once.

No network is needed to open it (no CDN, no tile server, no web fonts), its output is
deterministic (fixed figure ids, no clock), and every string that comes from the user
or the data is HTML-escaped. Sections whose inputs are missing are replaced by a note.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline
import xarray as xr

from . import charts, maps
from .atomic import write_text_atomic
from .exports import cell_columns
from .labels import ReportDataError, cell_ids, default_system, systems
from .tables import Table, district_table, summary
from .text import DATA_LIMITS, METHODS

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;
color:#222;background:#fafafa}
main{max-width:1200px;margin:0 auto;padding:1em 2em 4em;background:#fff}
h1{font-size:1.6em}h2{border-bottom:2px solid #1f77b4;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f0f4f8}.note{color:#8a4b00;background:#fff6e5;padding:.4em .8em}
.figure{margin:1em 0}pre{background:#f5f5f5;padding:.8em;overflow-x:auto;font-size:.85em}
nav ul{columns:2}.small{font-size:.85em;color:#555}
"""
_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _number(value, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class _Report:
    """Collects sections; figures get ids ``hp-<slug>`` from their (fixed) names."""

    def __init__(self) -> None:
        self.sections: list[tuple[str, str, list[str]]] = []
        self._ids: set[str] = set()

    def section(self, title: str, parts: list[str]) -> None:
        self.sections.append((_slug(title), title, parts))

    def figure(self, name: str, build: Callable[[], go.Figure]) -> str:
        """HTML of a figure, or a note when its inputs are missing."""
        try:
            fig = build()
        except ReportDataError as exc:
            return f'<p class="note">{_e(name)} skipped: {_e(exc)}</p>'
        div_id = "hp-" + _slug(name)
        while div_id in self._ids:
            div_id += "-x"
        self._ids.add(div_id)
        body = pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=div_id,
                           config=_PLOTLY_CONFIG, default_width="100%")
        return f'<div class="figure">{body}</div>'


def html_table(table: Table, digits: Mapping[str, int] | None = None) -> str:
    """An escaped HTML table; headers show ``long_name [units]``, numbers right-aligned."""
    digits = digits or {}
    head = "".join(f'<th title="{_e(c.name)}">{_e(c.long_name)}'
                   f'{" [" + _e(c.units) + "]" if c.units else ""}</th>'
                   for c in table.columns)
    rows = []
    for row in table.rows:
        cells = []
        for c in table.columns:
            v = row.get(c.name)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                cells.append(f'<td class="num">{_number(v, digits.get(c.name, 0))}</td>')
            else:
                cells.append(f"<td>{_e(v if v is not None else '')}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _kv_table(pairs: Sequence[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in pairs)
    return f"<table>{rows}</table>"


def _summary_section(ds: xr.Dataset) -> list[str]:
    s = summary(ds)
    pairs = [("Cells", _number(s["cells"])), ("Area [km2]", _number(s["area_km2"]))]
    pairs += [("Population [person]", _number(s["population"])),
              ("Underserved cells", _number(s["underserved_cells"])),
              ("Underserved population [person]", _number(s["underserved_population"])),
              ("Total cost of the recommended options over the horizon [USD]",
               _number(s["total_cost_usd"]))]
    parts = [_kv_table([(k, v) for k, v in pairs if v != "n/a"])]
    if s["recommendation"] is None:
        parts.append('<p class="note">No recommendation variable in the plan: '
                     "technology shares skipped.</p>")
        return parts
    rows = [(m, r["cells"], r["population"], r["population_pct"], r["cost_usd"])
            for m, r in s["recommendation"].items()]
    body = "".join(
        f"<tr><td>{_e(m)}</td><td class=num>{_number(c)}</td><td class=num>{_number(p)}</td>"
        f"<td class=num>{_number(pct, 1)}</td><td class=num>{_number(cost)}</td></tr>"
        for m, c, p, pct, cost in rows)
    parts.append("<h3>Recommended technology</h3><table><thead><tr><th>Option</th>"
                 "<th>Cells</th><th>Population [person]</th><th>Population share [%]</th>"
                 f"<th>Cost [USD]</th></tr></thead><tbody>{body}</tbody></table>")
    return parts


def _scenario_pairs(text: str) -> list[tuple[str, str]]:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, TypeError):
        return []
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        else:
            pairs.append((prefix, str(node)))

    walk("", data)
    return pairs


def _assumptions_section(ds: xr.Dataset) -> list[str]:
    a = ds.attrs
    pairs = [(k, str(a[k])) for k in ("window_start_utc", "window_end_utc", "step_s")
             if k in a]
    scenario = str(a.get("scenario", ""))
    pairs += _scenario_pairs(scenario)
    parts = [_kv_table(pairs) if pairs else
             '<p class="note">The plan Dataset records no window or scenario.</p>']
    if scenario:
        parts.append(f"<details><summary>Scenario file</summary><pre>{_e(scenario)}</pre>"
                     "</details>")
    return parts


def _maps_section(report: _Report, ds, boundaries, network, max_hexagons) -> list[str]:
    system = default_system(ds) if systems(ds) else None
    kw = {"boundaries": boundaries, "network": network, "max_hexagons": max_hexagons}
    specs = [("recommendation", "Recommended backhaul", {}),
             ("underserved", "Underserved cells", {}),
             ("pct_time_covered", "Coverage", {"system": system}),
             (None, "Terrain loss", {"system": system}),
             ("max_gap_s", "Longest gap", {"system": system, "colorscale": "Viridis_r"}),
             ("fiber_path_km", "Fibre path", {}),
             ("population", "Population", {"colorscale": "Blues"})]
    parts = []
    for variable, name, extra in specs:
        if variable is not None and variable not in ds.data_vars:
            parts.append(f'<p class="note">{_e(name)} map skipped: no variable '
                         f"{_e(variable)} in the plan Dataset.</p>")
            continue

        def build(variable=variable, extra=extra):
            if variable is None:
                return maps.terrain_loss_map(ds, **extra, **kw)
            return maps.hex_map(ds, variable, **extra, **kw)

        parts.append(report.figure(f"map {name}", build))
    return parts


def _detail_section(report: _Report, ds, boundaries, network) -> list[str]:
    variable = next((v for v in ("recommendation", "pct_time_covered") if v in ds), None)
    if variable is None or "district" not in ds:
        return [('<p class="note">District detail skipped: needs district and '
                 "recommendation or pct_time_covered.</p>")]
    return [report.figure("district detail", lambda: maps.district_detail_map(
        ds, variable, boundaries=boundaries, network=network))]


def _charts_section(report: _Report, ds, sweep, series_cells) -> list[str]:
    parts = [report.figure("coverage by district",
                           lambda: charts.district_coverage_chart(ds)),
             report.figure("recommended technology", lambda: charts.recommendation_chart(ds)),
             report.figure("cost by option", lambda: charts.cost_by_option_chart(ds))]
    if sweep is not None:
        parts.append(report.figure("sensitivity sweep", lambda: charts.sweep_chart(sweep)))
    else:
        parts.append('<p class="note">No sensitivity sweep was passed: chart skipped.</p>')
    if "series_cell" in ds.dims:
        parts.append(report.figure("visible satellites over time",
                                   lambda: charts.visibility_series_chart(ds, series_cells)))
    else:
        parts.append('<p class="note">The plan holds no per-step series ([engine] '
                     "series_cells): chart skipped.</p>")
    return parts


def _districts_section(ds: xr.Dataset) -> list[str]:
    try:
        table = district_table(ds)
    except ReportDataError as exc:
        return [f'<p class="note">District table skipped: {_e(exc)}</p>']
    digits = {c.name: 1 for c in table.columns if c.name.startswith("pct_")}
    digits["area_km2"] = 0
    return [html_table(table, digits)]


def _constellation_section(ds: xr.Dataset, constellations) -> list[str]:
    parts = []
    names = systems(ds)
    per_system = [n for n, v in ds.data_vars.items() if v.dims == ("system",)]
    rows = [[name] + [str(ds[v].sel(system=name).values) for v in per_system]
            for name in names]
    head = ["System", *[str(ds[v].attrs.get("long_name", v)) for v in per_system]]
    if rows:
        parts.append("<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head)
                     + "</tr></thead><tbody>" + "".join(
                         "<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>"
                         for r in rows) + "</tbody></table>")
    for name, info in (constellations or {}).items():
        parts.append(f"<h3>{_e(name)}</h3>")
        shells = info.get("shells") if isinstance(info, Mapping) else None
        flat = [(k, str(v)) for k, v in (info.items() if isinstance(info, Mapping) else [])
                if k != "shells"]
        if flat:
            parts.append(_kv_table(flat))
        if shells:
            keys = list(dict.fromkeys(k for s in shells for k in s))
            parts.append("<table><thead><tr>" + "".join(f"<th>{_e(k)}</th>" for k in keys)
                         + "</tr></thead><tbody>" + "".join(
                             "<tr>" + "".join(f"<td>{_e(s.get(k, ''))}</td>" for k in keys)
                             + "</tr>" for s in shells) + "</tbody></table>")
    return parts or ['<p class="note">The plan Dataset names no systems.</p>']


def _methods_section() -> list[str]:
    parts = [f"<h3>{_e(h)}</h3><p>{_e(p)}</p>" for h, p in METHODS]
    parts.append("<h3>Limits of the default data</h3>")
    parts += [f"<p><b>{_e(h)}.</b> {_e(p)}</p>" for h, p in DATA_LIMITS]
    return parts


def _provenance_section(ds: xr.Dataset, provenance) -> list[str]:
    pairs = [(k, str(v)) for k, v in ds.attrs.items()
             if "provenance" in k.lower() or k in ("hybridplan_version", "source", "history")]
    pairs += [(str(k), str(v)) for k, v in (provenance or {}).items()]
    cols = cell_columns(ds)
    dictionary = "".join(
        f"<tr><td>{_e(c.name)}</td><td>{_e(c.long_name)}</td><td>{_e(c.units)}</td>"
        f"<td>{_e(c.codes)}</td></tr>" for c in cols)
    return [_kv_table(pairs) if pairs else '<p class="note">No provenance recorded.</p>',
            ("<details><summary>Data dictionary (columns of cells.csv / cells.gpkg)"
             "</summary><table><thead><tr><th>Column</th><th>Long name</th><th>Units</th>"
             f"<th>Codes</th></tr></thead><tbody>{dictionary}</tbody></table></details>")]


def render_report(ds: xr.Dataset, boundaries: dict | None = None, network: dict | None = None,
                  sweep: xr.Dataset | None = None,
                  constellations: Mapping[str, Mapping] | None = None,
                  provenance: Mapping[str, str] | None = None, *, title: str | None = None,
                  series_cells: Sequence[str] | None = None,
                  max_hexagons: int = maps.DEFAULT_MAX_HEXAGONS) -> str:
    """The whole report as one self-contained HTML page (text).

    Parameters
    ----------
    ds : xarray.Dataset
        The plan Dataset (see the package doc for the variables each section uses).
    boundaries, network : dict, optional
        GeoJSON-like FeatureCollections (lon/lat) drawn over every map.
    sweep : xarray.Dataset, optional
        A sensitivity sweep for :func:`~hybridplan.reports.charts.sweep_chart`.
    constellations : mapping, optional
        ``{name: {key: value, ..., "shells": [{...}, ...]}}`` shown as tables.
    provenance : mapping, optional
        Extra ``{dataset: description}`` lines for the provenance section.
    title : str, optional
        Page title; default the Dataset's ``title`` attribute.
    series_cells : sequence of str, optional
        Cells of the plan's per-step series to draw (default all).
    max_hexagons : int
        Hexagon budget of each overview map.
    """
    if "cell" not in ds.dims or ds.sizes["cell"] == 0:
        raise ReportDataError("the plan Dataset has no cells to report on")
    report = _Report()
    report.section("Summary", _summary_section(ds))
    report.section("Main assumptions", _assumptions_section(ds))
    report.section("Maps", _maps_section(report, ds, boundaries, network, max_hexagons))
    report.section("District detail", _detail_section(report, ds, boundaries, network))
    report.section("Charts", _charts_section(report, ds, sweep, series_cells))
    report.section("Districts", _districts_section(ds))
    report.section("Constellations", _constellation_section(ds, constellations))
    report.section("Methods and assumptions", _methods_section())
    report.section("Data provenance", _provenance_section(ds, provenance))
    return _page(title or str(ds.attrs.get("title", "hybridplan coverage plan")), ds, report)


def _page(title: str, ds: xr.Dataset, report: _Report) -> str:
    nav = "".join(f'<li><a href="#{slug}">{_e(name)}</a></li>'
                  for slug, name, _ in report.sections)
    body = "\n".join(f'<section id="{slug}"><h2>{_e(name)}</h2>\n' + "\n".join(parts)
                     + "</section>" for slug, name, parts in report.sections)
    version = _e(ds.attrs.get("hybridplan_version", "unknown"))
    first = _e(cell_ids(ds)[0])
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n"
        f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>\n'
        f"</head>\n<body>\n<main>\n<h1>{_e(title)}</h1>\n"
        f'<p class="small">hybridplan {version}; {ds.sizes["cell"]} cells (first {first}).'
        " This page works offline.</p>\n"
        f"<nav><ul>{nav}</ul></nav>\n{body}\n</main>\n</body>\n</html>\n")


def write_report(ds: xr.Dataset, path: str | os.PathLike, **kwargs) -> Path:
    """Render :func:`render_report` (same keywords) and write it atomically (UTF-8)."""
    return write_text_atomic(path, render_report(ds, **kwargs))
