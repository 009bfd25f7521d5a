"""Every scenario key, its type, range, default and meaning: the one place.

:data:`SCHEMA` drives the validator, the dataclass defaults of
:mod:`hybridplan.coverage.scenario`, the unknown-key suggestions and the reference
table (:func:`schema_markdown`, printed by ``hybridplan coverage --defaults``).

Sources of the defaults: Starlink's 25 deg minimum elevation and 18 deg GSO arc
avoidance angle are the figures of SpaceX's Gen1 modification (FCC 21-48, 2021). The
minimum elevations of the other systems in the bundled default scenario are labelled
there as assumptions.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from ..errors import ScenarioError

REQUIRED = object()
"""Marker of a key without a default."""


@dataclass(frozen=True)
class Key:
    """One scenario key.

    ``kind``: ``"str"``, ``"int"``, ``"float"``, ``"bool"``, ``"datetime"``, ``"strs"``
    (a string or a list of strings), ``"pair"`` (two numbers, low <= high) or ``"table"``.
    ``low``/``high`` bound numbers (``low_open``/``high_open`` make the bound strict).
    """

    name: str
    kind: str
    default: object
    doc: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()

    def expected(self) -> str:
        """What a valid value looks like, for messages."""
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        unit = f" {self.unit}" if self.unit else ""
        if self.kind in ("int", "float", "pair"):
            lo = "" if self.low is None else f"{self.low:g}"
            hi = "" if self.high is None else f"{self.high:g}"
            if self.low is not None and self.high is not None:
                text = f"{lo}..{hi}{unit}"
                if self.low_open or self.high_open:
                    text = (f"{'>' if self.low_open else '>='} {lo} and "
                            f"{'<' if self.high_open else '<='} {hi}{unit}")
            elif self.low is not None:
                text = f"{'>' if self.low_open else '>='} {lo}{unit}"
            elif self.high is not None:
                text = f"{'<' if self.high_open else '<='} {hi}{unit}"
            else:
                text = f"a number{unit}"
            if self.kind == "int":
                text = "a whole number " + text
            if self.kind == "pair":
                text = f"[low, high] with each {text}"
            return text
        return {"str": "a string", "bool": "true or false",
                "datetime": "a UTC time such as \"2026-05-30T00:00:00Z\"",
                "strs": "a string or a list of strings", "table": "a table"}[self.kind]


def _k(*args, **kwargs) -> Key:
    return Key(*args, **kwargs)


SCHEMA: dict[str, tuple[Key, ...]] = {
    "": (
        _k("name", "str", "scenario", "short name of the scenario (reports, file names)"),
        _k("description", "str", "", "free text"),
    ),
    "region": (
        _k("names", "strs", ("Gilgit-Baltistan", "Azad Jammu and Kashmir"),
           "region names known to hybridplan.grids (provinces, districts, countries) or one "
           "path to a GeoJSON boundary (relative to the scenario file)"),
        _k("resolution", "int", 7, "H3 resolution of the cells (7: about 5 km2)", low=0,
           high=15),
    ),
    "window": (
        _k("start", "datetime", "2026-05-30T00:00:00Z",
           "UTC start of the analysis window (never 'now': results must be reproducible; "
           "the default is the day of the bundled element sets)"),
        _k("duration_h", "float", 24.0, "length of the window", "h", low=0.0, high=24 * 366,
           low_open=True),
        _k("step_s", "float", 60.0, "time step", "s", low=0.0, high=86400, low_open=True),
        _k("max_epoch_age_days", "float", 14.0,
           "largest distance between an element-set epoch and the window before the run is "
           "refused (a warning comes from 3 days on; SGP4 errors grow ~1-3 km per day)",
           "days", low=0.0),
        _k("allow_stale_elements", "bool", False,
           "run anyway when element sets are older than max_epoch_age_days (warns)"),
    ),
    "terrain": (
        _k("enabled", "bool", True, "mask satellites behind the terrain horizon of each cell"),
        _k("dem", "str", "bundled",
           "'bundled' (coarse ITU-R P.1511 5' grid) or a path to SRTM .hgt tiles, a folder "
           "of them, a GeoTIFF or a .npz (relative to the scenario file)"),
        _k("n_azimuth", "int", 72, "azimuth sectors of the horizon mask", low=4, high=3600),
        _k("max_distance_km", "float", 50.0, "how far the horizon rays look", "km", low=0.0,
           high=500.0, low_open=True),
        _k("antenna_height_m", "float", 2.0, "user antenna above the ground", "m", low=0.0,
           high=500.0),
    ),
    "systems": (
        _k("name", "str", REQUIRED, "label of the system in the outputs (unique; not "
           "'combined')"),
        _k("source", "str", "", "element sets: 'bundled:<name>' (starlink, oneweb, kuiper, "
           "qianfan, guowang, o3b, iridium-next, geo) or a TLE/OMM file (relative to the "
           "scenario file); exactly one of source, preset, walker"),
        _k("preset", "str", "", "a Walker preset of hybridplan.tle (starlink-gen1, kuiper, "
           "oneweb-phase1, ...), epoch = window start"),
        _k("walker", "table", None, "a Walker shell: altitude_km, inclination_deg, planes, "
           "sats_per_plane, phasing (1), pattern ('delta'), raan_spread_deg, raan0_deg (0); "
           "epoch = window start"),
        _k("filter", "table", None, "keep only satellites matching: name (regular expression), "
           "altitude_km = [low, high], inclination_deg = [low, high], max_epoch_age_days"),
        _k("min_elevation_deg", "float", 25.0, "minimum elevation of the user terminal "
           "(25: Starlink, FCC 21-48)", "deg", low=0.0, high=90.0),
        _k("n_required", "int", 1, "N for N-asset coverage (pct_time_n_or_more)", low=1,
           high=1000),
        _k("gso_exclusion_deg", "float", 0.0, "GSO arc avoidance angle, 0 = none (18: "
           "SpaceX, FCC 21-48; published operator figures 18-22)", "deg", low=0.0, high=90.0,
           high_open=True),
        _k("licensed", "bool", True, "licensed to serve the region (counts in 'combined')"),
        _k("backhaul", "bool", True, "usable as a backhaul option by the planner (false for "
           "narrowband voice/IoT systems such as Iridium; coverage is still computed)"),
    ),
    "systems.walker": (
        _k("altitude_km", "float", REQUIRED, "mean altitude above the equatorial radius", "km",
           low=160.0, high=40000.0),
        _k("inclination_deg", "float", REQUIRED, "inclination", "deg", low=0.0, high=180.0),
        _k("planes", "int", REQUIRED, "orbital planes P", low=1, high=10000),
        _k("sats_per_plane", "int", REQUIRED, "satellites per plane S", low=1, high=10000),
        _k("phasing", "int", 1, "Walker phasing F (0 <= F < P)", low=0),
        _k("pattern", "str", "delta", "Walker pattern", choices=("delta", "star")),
        _k("raan_spread_deg", "float", None, "arc of the plane RAANs (default 360 for delta, "
           "180 for star)", "deg", low=0.0, high=360.0, low_open=True),
        _k("raan0_deg", "float", 0.0, "RAAN of the first plane", "deg", low=0.0, high=360.0),
    ),
    "systems.filter": (
        _k("name", "str", None, "regular expression searched in the satellite names "
           "(case-insensitive)"),
        _k("altitude_km", "pair", None, "mean-altitude band", "km", low=0.0),
        _k("inclination_deg", "pair", None, "inclination band", "deg", low=0.0, high=180.0),
        _k("max_epoch_age_days", "float", None, "drop sets whose epoch is further than this "
           "from the window start", "days", low=0.0),
    ),
    "engine": (
        _k("steps_per_chunk", "int", 60, "steps propagated and evaluated together (memory "
           "grows with it, results do not change)", low=1, high=100000),
        _k("coarse_step_s", "float", 600.0, "spacing of the coarse propagation pass that "
           "prunes satellites out of reach (results do not change)", "s", low=0.0,
           low_open=True),
        _k("workers", "int", 1, "worker processes (the CLI's --workers overrides it)", low=1,
           high=1024),
        _k("series_cells", "strs", (), "H3 cells whose per-step values are kept "
           "(series_* variables, dim time)"),
    ),
}

RESERVED_SECTIONS = ("planning", "costs", "demand", "network", "population", "reports",
                     "output")
"""Tables accepted as they are for the planning stages (validated there, not here)."""


def keys(section: str) -> dict[str, Key]:
    return {k.name: k for k in SCHEMA[section]}


def default(section: str, name: str):
    """The documented default of ``[section] name``."""
    value = keys(section)[name].default
    if value is REQUIRED:
        raise KeyError(f"[{section}] {name} has no default")
    return value


def unknown_key_message(where: str, key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{where} unknown key '{key}'; {hint}valid keys: {', '.join(valid)}"


def _type_name(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (datetime, date, time)):
        return "a TOML date/time"
    return type(value).__name__


def _show(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def parse_utc(value, where: str) -> datetime:
    """A time-zone-aware UTC datetime from TOML (string or offset date-time)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00")
                                            .replace("z", "+00:00"))
        except ValueError:
            raise ScenarioError(f"{where} = {_show(value)}: expected an ISO 8601 UTC time such "
                                "as \"2026-05-30T00:00:00Z\"") from None
    else:
        raise ScenarioError(f"{where} = {_show(value)}: expected a UTC time such as "
                            f"\"2026-05-30T00:00:00Z\", found {_type_name(value)}")
    if parsed.tzinfo is None or parsed.tzinfo.utcoffset(parsed) is None:
        fixed = parsed.strftime("%Y-%m-%dT%H:%M:%S")
        raise ScenarioError(f"{where} = {_show(value if isinstance(value, str) else fixed)} has "
                            f"no time zone; hybridplan works in UTC: write \"{fixed}Z\" (or an "
                            "offset such as +05:00)")
    return parsed.astimezone(timezone.utc)


def check_value(key: Key, value, where: str):
    """Return ``value`` converted to the key's type, or raise a one-line ScenarioError.

    ``where`` names the key with its table, e.g. ``"scenario.toml: [window] step_s"``.
    """
    if value is None and key.default is None:
        return None
    kind = key.kind
    bad_type = ScenarioError(f"{where} = {_show(value)}: expected {key.expected()}, found "
                             f"{_type_name(value)}")
    if kind == "str":
        if not isinstance(value, str):
            raise bad_type
        if key.choices and value not in key.choices:
            raise ScenarioError(f"{where} = {_show(value)}: expected {key.expected()}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad_type
        return value
    if kind == "datetime":
        return parse_utc(value, where)
    if kind == "strs":
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise bad_type
        return tuple(value)
    if kind == "table":
        if not isinstance(value, Mapping):
            raise bad_type
        return value
    if kind == "pair":
        if (not isinstance(value, (list, tuple)) or len(value) != 2
                or not all(_is_number(v) for v in value)):
            raise bad_type
        low, high = (float(v) for v in value)
        for v in (low, high):
            _check_range(key, v, where, value)
        if low > high:
            raise ScenarioError(f"{where} = {_show(value)}: low > high; write "
                                f"[{high:g}, {low:g}]")
        return (low, high)
    shown = value
    if kind == "int":
        if isinstance(value, bool) or not (isinstance(value, int) or (
                isinstance(value, float) and value.is_integer())):
            raise ScenarioError(f"{where} = {_show(value)}: expected {key.expected()}")
        value = int(value)
    elif kind == "float":
        if not _is_number(value):
            raise bad_type
        value = float(value)
    _check_range(key, value, where, shown)
    return value


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_range(key: Key, value: float, where: str, shown) -> None:
    ok = math.isfinite(value)
    if ok and key.low is not None:
        ok = value > key.low if key.low_open else value >= key.low
    if ok and key.high is not None:
        ok = value < key.high if key.high_open else value <= key.high
    if not ok:
        raise ScenarioError(f"{where} = {_show(shown)}: expected {key.expected()}")


def check_table(section: str, table: Mapping, where: str) -> dict:
    """Validate a table against ``SCHEMA[section]``: unknown keys, types, ranges, defaults.

    Returns the values with defaults filled in. ``where`` is the table's label, e.g.
    ``"scenario.toml: [window]"``.
    """
    if not isinstance(table, Mapping):
        raise ScenarioError(f"{where}: expected a table, found {_type_name(table)}")
    spec = keys(section)
    for name in table:
        if name not in spec:
            raise ScenarioError(unknown_key_message(where, str(name), list(spec)))
    out = {}
    for name, key in spec.items():
        if name in table:
            out[name] = check_value(key, table[name], f"{where} {name}")
        elif key.default is REQUIRED:
            raise ScenarioError(f"{where} is missing '{name}': {key.doc}")
        else:
            out[name] = key.default
    return out


def schema_markdown() -> str:
    """The reference table of every key, its default, range and meaning (Markdown)."""
    lines = ["| key | default | valid | meaning |", "|---|---|---|---|"]
    for section, entries in SCHEMA.items():
        for key in entries:
            label = f"[{section}] {key.name}" if section else key.name
            if section == "systems":
                label = f"[[systems]] {key.name}"
            elif section.startswith("systems."):
                label = f"[[systems]] {section.split('.')[1]}.{key.name}"
            dflt = ("required" if key.default is REQUIRED else
                    "-" if key.default in (None, "", ()) else _show(key.default))
            lines.append(f"| {label} | {dflt} | {key.expected()} | {key.doc} |")
    lines.append(f"| [{'], ['.join(RESERVED_SECTIONS)}] | - | tables | reserved for the "
                 "planning stages; accepted as written |")
    return "\n".join(lines)
