"""Bent-pipe gateways of a system: the ``gateways`` list and the ``gateways_file`` CSV.

A gateways file is UTF-8 CSV (a byte-order mark is accepted) with a header row naming
its columns: ``name``, ``lat_deg``, ``lon_deg`` (required), ``height_m`` and
``min_elevation_deg`` (optional; defaults as in the schema's ``systems.gateways``).
Blank lines and lines starting with ``#`` (sources, notes) are skipped. Every value is
checked like the scenario key of the same name; an error names the file, the line and
the column. Example::

    # source: <filing or document, date>
    name,lat_deg,lon_deg,height_m,min_elevation_deg
    Site A,31.737,74.263,210,10
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ScenarioError, ScenarioFileError
from .schema import keys
from .specs import GatewaySpec, SystemSpec
from .validate import unknown_key_message

if TYPE_CHECKING:  # pragma: no cover
    from .scenario import Scenario

MAX_GATEWAYS = 10_000
"""Gateways one system may have (the rule tests each satellite against each of them)."""


def read_gateways_csv(path: str | Path, where: str = "") -> tuple[GatewaySpec, ...]:
    """The gateways of a CSV file (see the module docstring for the format).

    ``where`` names the scenario key that gave the path (for messages about the file as
    a whole). Raises :class:`ScenarioFileError` when the file cannot be read and
    :class:`ScenarioError` with ``file:line`` for a bad row.
    """
    path = Path(path)
    where = where or f"{path}:"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioFileError(
            f"{where} {path}: no such gateways file; check the path (relative to the scenario file)"
        ) from None
    except IsADirectoryError:
        raise ScenarioFileError(
            f"{where} {path}: is a folder; give the gateways .csv file"
        ) from None
    except OSError as exc:
        raise ScenarioFileError(
            f"{where} {path}: cannot read it ({exc.strerror or exc}); check its permissions"
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioFileError(
            f"{where} {path}: not UTF-8 text (byte {exc.start}); save the CSV as UTF-8"
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ScenarioFileError(f"{path}:{line}: a NUL character (\\x00); remove it")
    rows = [
        (number, row)
        for number, row in _numbered_rows(text)
        if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#")
    ]
    if not rows:
        raise ScenarioError(
            f"{where} {path}: no header row and no gateways; write the header "
            "name,lat_deg,lon_deg[,height_m,min_elevation_deg] and one row per gateway"
        )
    (header_line, header), body = rows[0], rows[1:]
    columns = [c.strip() for c in header]
    valid = [k.name for k in keys("systems.gateways").values()]
    for column in columns:
        if column not in valid:
            raise ScenarioError(
                unknown_key_message(f"{path}:{header_line}: header", column or "''", valid)
            )
    for column in ("name", "lat_deg", "lon_deg"):
        if column not in columns:
            raise ScenarioError(
                f"{path}:{header_line}: header {','.join(columns)}: expected a column "
                f"'{column}'; the header is name,lat_deg,lon_deg[,height_m,min_elevation_deg]"
            )
    if len(set(columns)) != len(columns):
        twice = next(c for c in columns if columns.count(c) > 1)
        raise ScenarioError(f"{path}:{header_line}: header: column '{twice}' appears twice")
    if not body:
        raise ScenarioError(
            f"{where} {path}: a header and no gateways; add one row per gateway or leave "
            "gateways_file out"
        )
    if len(body) > MAX_GATEWAYS:
        raise ScenarioError(
            f"{where} {path}: {len(body):,} gateways, more than {MAX_GATEWAYS:,}; keep "
            "the gateways that can serve the region"
        )
    out = []
    for number, row in body:
        if len(row) != len(columns):
            raise ScenarioError(
                f"{path}:{number}: expected {len(columns)} fields ({','.join(columns)}), "
                f"found {len(row)}"
            )
        values = {c: v.strip() for c, v in zip(columns, row, strict=True)}
        for column, value in values.items():
            if column != "name":
                values[column] = _number(value, f"{path}:{number}: {column}")
        out.append(GatewaySpec(**values, where=f"{path}:{number}:"))
    return tuple(out)


def _numbered_rows(text: str):
    """``(line number, fields)`` of each CSV row (quoted fields may not span lines)."""
    for number, line in enumerate(text.splitlines(), start=1):
        yield number, next(csv.reader([line]), [])


def _number(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise ScenarioError(f'{where} = "{shown}": expected a number') from None


def system_gateways(spec: SystemSpec, scenario: Scenario) -> tuple[GatewaySpec, ...]:
    """All gateways of one system: its ``gateways`` list, then its ``gateways_file``
    (resolved against the scenario file's folder); names must be distinct."""
    gateways = tuple(spec.gateways)
    origins = ["gateways"] * len(gateways)
    if spec.gateways_file:
        where = f"{scenario.source}: [systems.{spec.name}] gateways_file:"
        path = scenario.resolve_path(spec.gateways_file)
        from_file = read_gateways_csv(path, where)
        gateways += from_file
        origins += [f"gateways_file {path}"] * len(from_file)
    seen: dict[str, int] = {}
    for k, gateway in enumerate(gateways):
        if gateway.name in seen:
            first = origins[seen[gateway.name]]
            again = "again" if origins[k] == first else f"and in {origins[k]}"
            raise ScenarioError(
                f'{scenario.source}: [systems.{spec.name}] gateway "{gateway.name}" is in '
                f"{first} {again}; names must be distinct within a system: rename or drop one"
            )
        seen[gateway.name] = k
    return gateways
