"""Two report.html files, compared as a browser sees them: the HTML text outside the
figures byte for byte, and every figure's JSON (``Plotly.newPlot`` arguments and the
lazy figures' ``application/json`` blobs) as parsed JSON values, so a different key
order or escaping of the same figure counts as equal. Prints the first differences::

    python benchmarks/compare_reports.py old/report.html new/report.html
"""

from __future__ import annotations

import json
import re
import sys

_NEWPLOT = re.compile(r'Plotly\.newPlot\(\s*"([^"]+)",\s*')
_LAZY = re.compile(r'<script type="application/json" id="([^"]+)">')


def figures(text: str) -> tuple[str, dict[str, object]]:
    """``(text with every figure JSON cut out, {figure id: parsed JSON})``."""
    decoder = json.JSONDecoder()
    parts, found, pos = [], {}, 0
    while True:
        a = _NEWPLOT.search(text, pos)
        b = _LAZY.search(text, pos)
        m = min((x for x in (a, b) if x), key=lambda x: x.start(), default=None)
        if m is None:
            break
        parts.append(text[pos : m.end()])
        at = m.end()
        if m.re is _NEWPLOT:
            values = []
            for _ in range(3):  # data, layout, config
                value, end = decoder.raw_decode(text, at)
                values.append(value)
                at = end
                sep = re.match(r",\s*", text[at:])
                if sep:
                    at += sep.end()
            found[m.group(1)] = values
        else:
            end = text.index("</script>", at)
            found[m.group(1)] = json.loads(text[at:end].replace("<\\/", "</"))
            at = end
        parts.append("<FIG>")
        pos = at
    parts.append(text[pos:])
    return "".join(parts), found


def main() -> int:
    old, new = (open(p, encoding="utf-8").read() for p in sys.argv[1:3])
    old_text, old_figs = figures(old)
    new_text, new_figs = figures(new)
    same = True
    if old_text != new_text:
        same = False
        pairs = enumerate(zip(old_text, new_text, strict=False))
        k = next((i for i, (x, y) in pairs if x != y), min(len(old_text), len(new_text)))
        print(
            f"text differs at {k}:\n  {old_text[k - 80 : k + 80]!r}\n  {new_text[k - 80 : k + 80]!r}"
        )
    if list(old_figs) != list(new_figs):
        same = False
        print("figure ids differ:", set(old_figs) ^ set(new_figs))
    differ = [k for k in old_figs if k in new_figs and old_figs[k] != new_figs[k]]
    for k in differ[:5]:
        same = False
        print("figure differs:", k)
    print(
        f"{len(old_figs)} figures, {len(differ)} differ; text outside figures "
        f"{'identical' if old_text == new_text else 'differs'}; "
        f"bytes {'identical' if old == new else 'differ'}"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
