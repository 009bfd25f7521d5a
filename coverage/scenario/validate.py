"""The one validator of scenario values against :data:`~.schema.SCHEMA`.

Every message is one line: where (file, table, key), the value found, what was expected,
and the fix where it is not obvious from the expectation.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from datetime import date, datetime, timezone

from ..errors import ScenarioError
from .schema import REQUIRED, Key, keys
from .schema import clean as _clean
from .schema import show as _show
from .schema import type_name as _type_name

MAX_DEPTH = 5
"""Tables and lists nested deeper than this are refused before anything else looks."""


def unknown_key_message(where: str, key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{where} unknown key '{_clean(key)}'; {hint}valid keys: {', '.join(valid)}"


def check_depth(data, where: str, limit: int = MAX_DEPTH) -> None:
    """Refuse tables or lists nested deeper than ``limit`` (no valid key needs more)."""
    stack = [(data, 0, where)]
    while stack:
        value, depth, label = stack.pop()
        if isinstance(value, Mapping):
            children = [
                (v, f"{label} {k}" if depth else f"{label} [{k}]") for k, v in value.items()
            ]
        elif isinstance(value, (list, tuple)):
            children = [(v, label) for v in value]
        else:
            continue
        if depth >= limit and children:
            raise ScenarioError(
                f"{label}: nested deeper than {limit} levels of tables and "
                "lists; no scenario key takes that. Write the tables as in "
                "'hybridplan coverage --print-default'"
            )
        stack.extend((v, depth + 1, name) for v, name in children)


def parse_utc(value, where: str) -> datetime:
    """A time-zone-aware UTC datetime from TOML (string or offset date-time)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(
                value.strip().replace("Z", "+00:00").replace("z", "+00:00")
            )
        except ValueError:
            raise ScenarioError(
                f"{where} = {_show(value)}: expected an ISO 8601 UTC time such "
                'as "2026-05-30T00:00:00Z"'
            ) from None
    else:
        raise ScenarioError(
            f"{where} = {_show(value)}: expected a UTC time such as "
            f'"2026-05-30T00:00:00Z", found {_type_name(value)}'
        )
    if parsed.tzinfo is None or parsed.tzinfo.utcoffset(parsed) is None:
        fixed = parsed.strftime("%Y-%m-%dT%H:%M:%S")
        raise ScenarioError(
            f"{where} = {_show(value if isinstance(value, str) else fixed)} has "
            f'no time zone; hybridplan works in UTC: write "{fixed}Z" (or an '
            "offset such as +05:00)"
        )
    parsed = parsed.astimezone(timezone.utc)
    if not 1957 <= parsed.year <= 2200:
        raise ScenarioError(
            f"{where} = {_show(value)}: expected a time between 1957 and "
            f"2200 (the era of element sets), found the year {parsed.year}"
        )
    return parsed


def _parse_date(value, where: str) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise ScenarioError(
        f"{where} = {_show(value)}: expected a date such as 2025-09-24, found {_type_name(value)}"
    )


def _check_text(value: str, where: str) -> str:
    if "\x00" in value:
        raise ScenarioError(
            f"{where} = {_show(value)}: expected text without NUL characters, "
            f"found a NUL (\\x00) at position {value.index(chr(0))}; remove it"
        )
    return value


def check_value(key: Key, value, where: str):
    """Return ``value`` converted to the key's type, or raise a one-line ScenarioError.

    ``where`` names the key with its table, e.g. ``"scenario.toml: [window] step_s"``.
    """
    if value is None and key.default is None:
        return None
    kind = key.kind
    bad_type = ScenarioError(
        f"{where} = {_show(value)}: expected {key.expected()}, found {_type_name(value)}"
    )
    if kind == "str":
        if not isinstance(value, str):
            raise bad_type
        _check_text(value, where)
        if key.choices and value not in key.choices:
            raise ScenarioError(f"{where} = {_show(value)}: expected {key.expected()}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad_type
        return value
    if kind == "datetime":
        return parse_utc(value, where)
    if kind == "date":
        return _parse_date(value, where)
    if kind == "strs":
        return _check_strs(key, value, where, bad_type)
    if kind == "table":
        if not isinstance(value, Mapping):
            raise bad_type
        return value
    if kind == "tables":
        if not isinstance(value, (list, tuple)):
            raise bad_type
        return tuple(value)
    if kind == "pair":
        if (
            not isinstance(value, (list, tuple))
            or len(value) != 2
            or not all(_is_number(v) for v in value)
        ):
            raise bad_type
        for v in value:
            _check_range(key, v, where, value)
        low, high = (float(v) for v in value)
        if low > high:
            raise ScenarioError(f"{where} = {_show(value)}: low > high; write [{high:g}, {low:g}]")
        return (low, high)
    if kind == "int":
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        ):
            found = (
                f"found {_type_name(value)}"
                if not _is_number(value)
                else "found a fraction"
                if math.isfinite(value)
                else "found a non-finite number"
            )
            raise ScenarioError(f"{where} = {_show(value)}: expected {key.expected()}, {found}")
        _check_range(key, value, where, value)
        return int(value)
    if not _is_number(value):
        raise bad_type
    _check_range(key, value, where, value)
    return float(value)


def _check_strs(key: Key, value, where: str, bad_type: ScenarioError) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise bad_type
    for item in value:
        _check_text(item, where)
        if key.choices and item not in key.choices:
            close = difflib.get_close_matches(item, key.choices, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ScenarioError(
                f"{where} = {_show(value)}: expected {key.expected()}, found {_show(item)}{hint}"
            )
    if len(value) < key.min_items:
        raise ScenarioError(
            f"{where} = []: expected at least {key.min_items} item(s), found "
            "an empty list; give at least one or leave the key out for the "
            f"default {_show(key.default)}"
        )
    return tuple(value)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_range(key: Key, value, where: str, shown) -> None:
    try:
        number = float(value)
    except OverflowError:
        raise ScenarioError(
            f"{where} = {_show(shown)}: expected {key.expected()}, found a "
            "number too large to represent; write a smaller value"
        ) from None
    if not math.isfinite(number):
        raise ScenarioError(
            f"{where} = {_show(shown)}: expected {key.expected()}, found a "
            "non-finite number (inf and nan are not allowed); write a finite "
            "value"
        )
    ok = True
    if key.low is not None:
        ok = value > key.low if key.low_open else value >= key.low
    if ok and key.high is not None:
        ok = value < key.high if key.high_open else value <= key.high
    if not ok:
        raise ScenarioError(f"{where} = {_show(shown)}: expected {key.expected()}")


def check_table(section: str, table: Mapping, where: str, only_given: bool = False) -> dict:
    """Validate a table against ``SCHEMA[section]``: unknown keys, types, ranges, defaults.

    Returns the values with defaults filled in (``only_given``: just the keys given).
    ``where`` is the table's label, e.g. ``"scenario.toml: [window]"``.
    """
    check_names(section, table, where)
    out = {}
    for name, key in keys(section).items():
        if name in table:
            out[name] = check_value(key, table[name], f"{where} {name}")
        elif not only_given:
            out[name] = key.default
    return out


def check_names(section: str, table, where: str) -> Mapping:
    """A TOML table's key names against ``SCHEMA[section]`` (values are checked by the
    spec's constructor, once): a table, no unknown key, every required key present."""
    if not isinstance(table, Mapping):
        raise ScenarioError(
            f"{where.rstrip(':')}: expected a table, found {_type_name(table)} "
            f"({_show(table)}); write it as a [table] of keys"
        )
    spec = keys(section)
    for name in table:
        if name not in spec:
            raise ScenarioError(unknown_key_message(where, str(name), list(spec)))
    for name, key in spec.items():
        if key.default is REQUIRED and name not in table:
            raise ScenarioError(
                f"{where} is missing '{name}' ({key.doc}); add {name} = <{key.expected()}>"
            )
    return table
