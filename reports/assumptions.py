"""Every assumption in view, and where the data came from, read from the plan's attributes.

Assumptions (:func:`assumption_rows`) come from two records the plan carries:

- ``attrs["scenario"]``: the scenario file's text (TOML). Every key it sets is a row with
  its value; the source label (``[FILED]``, ``[MEASURED]``, ``[ASSUMPTION]``) and the
  source text come from the comment on the key's line (``min_elevation_deg = 25  #
  [FILED] FCC 21-48``); a key without a labelled comment is an ``[ASSUMPTION]`` of the
  scenario's author.
- ``attrs["assumptions"]``: JSON records ``{key, value, unit, label, source}`` of the
  effective planning values, defaults included (written by the planner from its contract),
  for the keys the scenario file leaves out.

Provenance (:func:`provenance_rows`) reads the ``<dataset>_source``, ``<dataset>_method``
and ``<dataset>_note`` attributes of the data steps (region, dem, population, network ...):
the limits shown are the ones the data steps recorded, not fixed prose.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

LABELS = ("[FILED]", "[MEASURED]", "[ASSUMPTION]")
_COMMENT = re.compile(r"#\s*(?P<label>\[(?:FILED|MEASURED|ASSUMPTION)\])?\s*(?P<text>.*)$")
_KEY_LINE = re.compile(r"^\s*(?P<key>[A-Za-z0-9_-]+)\s*=")
_SUFFIX_UNITS = (
    ("_usd_per_month", "USD/month"),
    ("_per_km_usd", "USD/km"),
    ("_usd", "USD"),
    ("_per_km2", "km-2"),
    ("_km", "km"),
    ("_deg", "degree"),
    ("_pct", "percent"),
    ("_mbps", "Mbit/s"),
    ("_ms", "ms"),
    ("_m", "m"),
    ("_s", "s"),
    ("_h", "h"),
    ("_days", "day"),
    ("_years", "year"),
)
GROUPS = (
    ("costs", "Costs"),
    ("demand", "Demand"),
    ("planning", "Finance and criteria"),
    ("systems", "Satellite systems: licensing and physics"),
    ("window", "Analysis window"),
    ("terrain", "Terrain and physics"),
    ("region", "Region"),
    ("population", "Population"),
    ("network", "Fibre network"),
    ("engine", "Computation"),
)


@dataclass(frozen=True)
class AssumptionRow:
    """One assumption: dotted key, value as shown, unit, source label and source text."""

    group: str
    key: str
    value: str
    unit: str
    label: str
    source: str


def _toml(text: str) -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, TypeError):
        return {}


def _show(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 1e4 else str(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(_show(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k} = {_show(v)}" for k, v in value.items())
    return str(value)


def unit_of(key: str) -> str:
    """Unit of a scenario key from the suffix of its name (``cost_per_km_usd`` -> USD/km)."""
    last = key.rsplit(".", 1)[-1]
    return next((u for suffix, u in _SUFFIX_UNITS if last.endswith(suffix)), "")


def _comments(text: str) -> dict[str, tuple[str, str]]:
    """``{dotted key: (label, comment)}`` from the comments on the scenario's key lines.

    Tables and arrays of tables are tracked so ``min_elevation_deg`` under the second
    ``[[systems]]`` becomes ``systems.<its name>.min_elevation_deg``.
    """
    out: dict[str, tuple[str, str]] = {}
    table = ""
    pending: list[tuple[str, str, str]] = []  # keys of the current [[systems]] block

    def flush(name: str | None) -> None:
        for key, label, comment in pending:
            full = f"systems.{name}.{key}" if name else f"systems.{key}"
            out[full] = (label, comment)
        pending.clear()

    system_name = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            if table == "systems":
                flush(system_name)
            table = line.strip("[]").strip()
            system_name = None
            continue
        match = _KEY_LINE.match(raw)
        if not match:
            continue
        key = match["key"]
        if table == "systems" and key == "name":
            value = _toml(line).get("name")
            system_name = str(value) if value is not None else None
        comment = ""
        label = ""
        hash_at = _comment_start(raw)
        if hash_at >= 0:
            found = _COMMENT.match(raw[hash_at:])
            if found:
                label, comment = found["label"] or "", found["text"].strip()
        if table == "systems":
            pending.append((key, label, comment))
        else:
            out[f"{table}.{key}" if table else key] = (label, comment)
    if table == "systems":
        flush(system_name)
    return out


def _comment_start(line: str) -> int:
    """Index of a ``#`` that starts a comment (not inside a quoted string), or -1."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return i
    return -1


def scenario_items(text: str) -> list[tuple[str, object]]:
    """Every leaf key the scenario sets, as ``(dotted key, value)`` in file order.

    ``[[systems]]`` entries become ``systems.<name>.<key>``; inline tables (``filter``)
    are one value.
    """
    data = _toml(text)
    items: list[tuple[str, object]] = []

    def walk(prefix: str, node) -> None:
        for key, value in node.items():
            full = f"{prefix}.{key}" if prefix else str(key)
            if key == "systems" and not prefix and isinstance(value, list):
                for entry in value:
                    name = str(entry.get("name", "?"))
                    for k, v in entry.items():
                        if k != "name":
                            items.append((f"systems.{name}.{k}", v))
            elif isinstance(value, dict) and not _inline(text, full):
                walk(full, value)
            else:
                items.append((full, value))

    walk("", data)
    return items


def _inline(text: str, key: str) -> bool:
    """True when ``key`` is written as an inline table (``filter = { ... }``)."""
    return bool(re.search(rf"^\s*{re.escape(key.rsplit('.', 1)[-1])}\s*=\s*\{{", text, re.M))


def _group(key: str) -> str:
    head = key.split(".", 1)[0]
    return next((g for prefix, g in GROUPS if prefix == head), "Scenario")


def _records(attrs: Mapping) -> list[dict]:
    try:
        records = json.loads(str(attrs.get("assumptions", "[]")))
    except json.JSONDecodeError:
        return []
    return (
        [r for r in records if isinstance(r, dict) and "key" in r]
        if isinstance(records, list)
        else []
    )


def assumption_rows(attrs: Mapping) -> list[AssumptionRow]:
    """Every scenario key with its value, then every effective default the scenario leaves
    out, each with unit, source label and source (see the module doc). Sorted by group."""
    text = str(attrs.get("scenario", ""))
    comments = _comments(text)
    records = {str(r["key"]): r for r in _records(attrs)}
    rows = []
    seen = set()
    for key, value in scenario_items(text):
        label, comment = comments.get(key, ("", ""))
        record = records.get(key, {})
        if not label:
            label = "[ASSUMPTION]"
        source = "scenario file" + (f": {comment}" if comment else "")
        rows.append(
            AssumptionRow(
                _group(key),
                key,
                _show(value),
                str(record.get("unit") or unit_of(key)),
                label,
                source,
            )
        )
        seen.add(key)
    for key, record in records.items():
        if key in seen:
            continue
        label = str(record.get("label", "[ASSUMPTION]"))
        rows.append(
            AssumptionRow(
                _group(key),
                key,
                _show(record.get("value")),
                str(record.get("unit") or unit_of(key)),
                label if label in LABELS else "[ASSUMPTION]",
                f"default: {record.get('source', 'hybridplan default')}",
            )
        )
    order = [g for _, g in GROUPS] + ["Scenario"]
    return sorted(rows, key=lambda r: order.index(r.group))


@dataclass(frozen=True)
class ProvenanceRow:
    """Where one input came from, how it was made and its recorded limits."""

    dataset: str
    source: str
    method: str
    limits: str


def provenance_rows(attrs: Mapping, extra: Mapping[str, str] | None = None) -> list[ProvenanceRow]:
    """One row per data step that recorded ``<dataset>_source`` in the plan's attributes
    (``_method`` and ``_note`` beside it), then the ``extra`` ``{dataset: source}`` lines
    (such as the report inputs' provenance) not already shown."""
    rows = []
    names = [
        k[: -len("_source")] for k in attrs if k.endswith("_source") and k != "scenario_source"
    ]
    for name in names:
        rows.append(
            ProvenanceRow(
                name,
                str(attrs[f"{name}_source"]),
                str(attrs.get(f"{name}_method", "")),
                str(attrs.get(f"{name}_note", "")),
            )
        )
    shown = {r.source for r in rows}
    for name, source in (extra or {}).items():
        if str(source) and str(source) not in shown:
            rows.append(ProvenanceRow(str(name), str(source), "", ""))
    return rows


def limits(attrs: Mapping) -> list[tuple[str, str]]:
    """The honest limits the data steps recorded: ``(dataset, note)`` from ``*_note``."""
    return [
        (k[: -len("_note")], str(v)) for k, v in attrs.items() if k.endswith("_note") and str(v)
    ]
