"""Page machinery of the HTML report: escaping, numbers, tables, figures (eager and lazy),
the print-ready style sheet and the small script that draws collapsed figures on demand.

Lazy figures (inside collapsed ``<details>``) are stored as JSON next to an empty div and
drawn with ``Plotly.newPlot`` when their section opens, before printing, or at load when
the page's address ends in ``#print`` (how :mod:`~hybridplan.reports.pdf` prints it).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from .labels import ReportDataError
from .plotly_objects import figure_dict

#: Content width of an A4 portrait page with 12 mm margins, in CSS px (96 per inch).
A4_CONTENT_PX = 703
SCREEN_MAX_PX = 1400
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

CSS = f"""
*{{box-sizing:border-box}}
body{{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;
color:#222;background:#fafafa;line-height:1.4}}
main{{max-width:{SCREEN_MAX_PX}px;margin:0 auto;padding:1em 1.5em 4em;background:#fff}}
h1{{font-size:1.7em;margin:.2em 0}}h2{{border-bottom:2px solid #1f77b4;padding-bottom:.2em;
margin-top:2em}}
.meta{{color:#555;font-size:.9em;margin:.2em 0 1em}}
ul.findings{{font-size:1.12em;padding-left:1.2em;margin:.6em 0 1em}}
ul.findings li{{margin:.35em 0}}
table{{border-collapse:collapse;margin:.5em 0 1em;font-size:.88em;max-width:100%}}
table.wide{{width:100%;table-layout:fixed}}
th,td{{border:1px solid #ddd;padding:.25em .45em;text-align:left;vertical-align:top;
overflow-wrap:anywhere}}
td.num{{text-align:right;font-variant-numeric:tabular-nums}}
th{{background:#f0f4f8;font-weight:600}}th[title]{{cursor:help}}
.note{{color:#8a4b00;background:#fff6e5;padding:.4em .8em}}
.label-FILED{{color:#1b5e20;font-weight:600}}.label-MEASURED{{color:#0d47a1;font-weight:600}}
.label-ASSUMPTION{{color:#8a4b00;font-weight:600}}
.figure{{margin:1em 0;max-width:100%;overflow:hidden}}
pre{{background:#f5f5f5;padding:.8em;white-space:pre-wrap;overflow-wrap:anywhere;
font-size:.85em}}
nav ul{{columns:3;padding-left:1.2em}}.small{{font-size:.85em;color:#555}}
details{{border:1px solid #ddd;border-radius:4px;margin:.4em 0;padding:.2em .8em}}
summary{{cursor:pointer;font-weight:600;padding:.3em 0}}
@page{{size:A4 portrait;margin:12mm}}
@media print{{body{{background:#fff}}main{{max-width:none;padding:0}}nav{{display:none}}
h2{{break-before:auto;break-after:avoid}}.figure,tr{{break-inside:avoid}}
table{{font-size:.8em}}}}
"""

SCRIPT = f"""
(function(){{
var CONFIG={{displaylogo:false,responsive:true}};
function draw(root){{root.querySelectorAll('div.lazy').forEach(function(el){{
  if(el.dataset.drawn)return;
  var f=JSON.parse(document.getElementById(el.dataset.fig).textContent);
  Plotly.newPlot(el,f.data,f.layout,CONFIG);el.dataset.drawn='1';}});}}
document.querySelectorAll('details').forEach(function(d){{
  d.addEventListener('toggle',function(){{if(d.open)draw(d);}});}});
function printMode(){{
  document.querySelectorAll('details').forEach(function(d){{d.open=true;draw(d);}});
  document.querySelectorAll('.js-plotly-plot').forEach(function(g){{
    Plotly.relayout(g,{{width:{A4_CONTENT_PX - 8},autosize:false}});}});
}}
window.hybridplanPrintMode=printMode;
window.addEventListener('beforeprint',printMode);
if(location.hash==='#print')printMode();
}})();
"""


def e(value) -> str:
    """HTML-escaped text (quotes too)."""
    return html.escape(str(value), quote=True)


def number(value, digits: int = 0) -> str:
    """``1,234`` style; ``n/a`` for None and non-finite values."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def note(text: str) -> str:
    return f'<p class="note">{e(text)}</p>'


class Report:
    """Collects sections; figures get ids ``hp-<slug>`` from their (fixed) names."""

    def __init__(self) -> None:
        self.sections: list[tuple[str, str, list[str]]] = []
        self._ids: set[str] = set()

    def section(self, title: str, parts: list[str]) -> None:
        self.sections.append((slug(title), title, parts))

    def _id(self, name: str) -> str:
        div_id = "hp-" + slug(name)
        while div_id in self._ids:
            div_id += "-x"
        self._ids.add(div_id)
        return div_id

    def figure(self, name: str, build: Callable[[], go.Figure]) -> str:
        """HTML of a figure drawn at load, or a note when its inputs are missing."""
        try:
            fig = build()
        except ReportDataError as exc:
            return note(f"{name} skipped: {exc}")
        body = pio.to_html(
            figure_dict(fig),
            validate=False,  # built from our builders' fixed properties
            include_plotlyjs=False,
            full_html=False,
            div_id=self._id(name),
            config=PLOTLY_CONFIG,
            default_width="100%",
        )
        return f'<div class="figure">{body}</div>'

    def lazy_figure(self, name: str, build: Callable[[], go.Figure]) -> str:
        """A figure drawn when its collapsed section opens (JSON kept beside the div)."""
        try:
            fig = build()
        except ReportDataError as exc:
            return note(f"{name} skipped: {exc}")
        div_id = self._id(name)
        data = pio.to_json(figure_dict(fig), validate=False).replace("</", "<\\/")
        return (
            f'<div class="figure"><div class="lazy" id="{div_id}" '
            f'data-fig="{div_id}-json" style="width:100%;height:'
            f'{int(fig.layout.height or 450)}px"></div></div>'
            f'<script type="application/json" id="{div_id}-json">{data}</script>'
        )


def table(
    head: Sequence[tuple[str, str]],
    rows: Sequence[Sequence],
    *,
    digits: Mapping[int, int] | None = None,
    wide: bool = False,
    classes: Sequence[Sequence[str]] | None = None,
    widths: Sequence[int] | None = None,
) -> str:
    """An escaped table. ``head``: ``(short label, long name shown on hover)``; numbers
    are right-aligned with ``digits[column]`` decimals (default 0); ``widths`` in % of
    a wide table."""
    digits = digits or {}
    th = "".join(
        f'<th title="{e(long)}">{e(short)}</th>'
        if long and long != short
        else f"<th>{e(short)}</th>"
        for short, long in head
    )
    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, value in enumerate(row):
            cls = classes[r][c] if classes else ""
            if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
                value, bool
            ):
                cells.append(f'<td class="num">{number(float(value), digits.get(c, 0))}</td>')
            else:
                attr = f' class="{e(cls)}"' if cls else ""
                cells.append(f"<td{attr}>{e(value if value is not None else '')}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cls = ' class="wide"' if wide else ""
    cols = (
        ("<colgroup>" + "".join(f'<col style="width:{w}%">' for w in widths) + "</colgroup>")
        if widths
        else ""
    )
    return f"<table{cls}>{cols}<thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def kv_table(pairs: Sequence[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in pairs)
    return f"<table>{rows}</table>"
