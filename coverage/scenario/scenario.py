"""Scenarios: a TOML file, or the same as frozen, validated Python objects.

A scenario says where (``[region]``), when (``[window]``), with what terrain
(``[terrain]``) and which satellite systems (``[[systems]]``) to compute coverage for;
``[engine]`` holds performance knobs that never change a result. The planning tables
(``[planning]``, ``[costs]``, ``[demand]``, ...) are reserved and kept as written.

Every key, its default and its range is listed once, in
:data:`hybridplan.coverage.scenario_schema.SCHEMA`; unknown keys are errors that suggest
the nearest valid key, and every message names the file and the key::

    scenario.toml: [systems.starlink] min_elevation_deg = 95: expected 0..90 deg

Example::

    [window]
    start = "2026-05-30T00:00:00Z"
    duration_h = 24
    step_s = 60

    [[systems]]
    name = "starlink"
    source = "bundled:starlink"
    filter = { altitude_km = [400, 600] }
    min_elevation_deg = 25
    gso_exclusion_deg = 18
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from hybridplan.tle import TimeGrid

from ..errors import ScenarioError, ScenarioFileError
from .schema import RESERVED_SECTIONS, SCHEMA, check_table, default, parse_utc

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_SCENARIO_FILE = "default_scenario.toml"


def _check(obj, section: str, where: str) -> None:
    """Validate a dataclass built in Python against the schema (same rules as TOML)."""
    values = {f.name: getattr(obj, f.name) for f in fields(obj)
              if f.name in {k.name for k in SCHEMA[section]}}
    values = {k: v for k, v in values.items() if v is not None}
    cleaned = check_table(section, values, where)
    for name, value in cleaned.items():
        if name in values:
            object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class RegionSpec:
    """Where: region names (or a GeoJSON path) and the H3 resolution."""

    names: tuple[str, ...] = default("region", "names")
    resolution: int = default("region", "resolution")

    def __post_init__(self) -> None:
        _check(self, "region", "RegionSpec:")


@dataclass(frozen=True)
class WindowSpec:
    """When: UTC start, duration, step, and the element-set age policy."""

    start: datetime = parse_utc(default("window", "start"), "default")
    duration_h: float = default("window", "duration_h")
    step_s: float = default("window", "step_s")
    max_epoch_age_days: float = default("window", "max_epoch_age_days")
    allow_stale_elements: bool = default("window", "allow_stale_elements")

    def __post_init__(self) -> None:
        _check(self, "window", "WindowSpec:")
        if self.duration_h * 3600.0 < self.step_s:
            raise ScenarioError(f"WindowSpec: duration_h = {self.duration_h:g} is shorter than "
                                f"one step (step_s = {self.step_s:g}); lengthen the window or "
                                "shorten the step")

    def time_grid(self) -> TimeGrid:
        return TimeGrid(self.start, self.duration_h * 3600.0, self.step_s)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=self.duration_h)


@dataclass(frozen=True)
class TerrainSpec:
    """Terrain masking: on/off, the DEM and the horizon-mask parameters."""

    enabled: bool = default("terrain", "enabled")
    dem: str = default("terrain", "dem")
    n_azimuth: int = default("terrain", "n_azimuth")
    max_distance_km: float = default("terrain", "max_distance_km")
    antenna_height_m: float = default("terrain", "antenna_height_m")

    def __post_init__(self) -> None:
        _check(self, "terrain", "TerrainSpec:")


@dataclass(frozen=True)
class WalkerSpec:
    """A generated Walker shell (see :class:`hybridplan.tle.WalkerShell`)."""

    altitude_km: float
    inclination_deg: float
    planes: int
    sats_per_plane: int
    phasing: int = default("systems.walker", "phasing")
    pattern: str = default("systems.walker", "pattern")
    raan_spread_deg: float | None = None
    raan0_deg: float = default("systems.walker", "raan0_deg")

    def __post_init__(self) -> None:
        _check(self, "systems.walker", "WalkerSpec:")
        if self.phasing >= self.planes:
            raise ScenarioError(f"WalkerSpec: phasing = {self.phasing}: expected 0 <= F < "
                                f"planes ({self.planes})")


@dataclass(frozen=True)
class FilterSpec:
    """Which satellites of the source to keep (all given conditions must hold)."""

    name: str | None = None
    altitude_km: tuple[float, float] | None = None
    inclination_deg: tuple[float, float] | None = None
    max_epoch_age_days: float | None = None

    def __post_init__(self) -> None:
        _check(self, "systems.filter", "FilterSpec:")


@dataclass(frozen=True)
class SystemSpec:
    """One satellite system of the scenario: where its satellites come from and its rules."""

    name: str
    source: str = ""
    preset: str = ""
    walker: WalkerSpec | None = None
    filter: FilterSpec | None = None
    min_elevation_deg: float = default("systems", "min_elevation_deg")
    n_required: int = default("systems", "n_required")
    gso_exclusion_deg: float = default("systems", "gso_exclusion_deg")
    licensed: bool = default("systems", "licensed")
    backhaul: bool = default("systems", "backhaul")

    def __post_init__(self) -> None:
        where = f"SystemSpec(name={self.name!r}):"
        values = {k: getattr(self, k) for k in ("name", "source", "preset", "min_elevation_deg",
                                                "n_required", "gso_exclusion_deg", "licensed",
                                                "backhaul")}
        for name, value in check_table("systems", values, where).items():
            if name in values:
                object.__setattr__(self, name, value)
        _check_system_rules(self, where)


def _check_system_rules(system: SystemSpec, where: str) -> None:
    given = [k for k in ("source", "preset", "walker") if getattr(system, k)]
    if len(given) != 1:
        found = ", ".join(given) if given else "none"
        raise ScenarioError(f"{where} give exactly one of source, preset, walker (found "
                            f"{found}); e.g. source = \"bundled:starlink\"")
    if system.name == "combined" or not system.name.strip():
        raise ScenarioError(f"{where} name = \"{system.name}\": 'combined' and empty names "
                            "are reserved; choose another")
    if system.walker is not None and not isinstance(system.walker, WalkerSpec):
        raise ScenarioError(f"{where} walker must be a WalkerSpec")
    if system.filter is not None and not isinstance(system.filter, FilterSpec):
        raise ScenarioError(f"{where} filter must be a FilterSpec")


@dataclass(frozen=True)
class EngineSpec:
    """Performance knobs: none of them changes a result."""

    steps_per_chunk: int = default("engine", "steps_per_chunk")
    coarse_step_s: float = default("engine", "coarse_step_s")
    workers: int = default("engine", "workers")
    series_cells: tuple[str, ...] = default("engine", "series_cells")

    def __post_init__(self) -> None:
        _check(self, "engine", "EngineSpec:")


@dataclass(frozen=True)
class Scenario:
    """A whole scenario. Build it with :func:`load_scenario`, :meth:`from_toml` or directly.

    Attributes
    ----------
    systems : tuple of SystemSpec
        At least one; names unique.
    reserved : Mapping
        The planning tables (``planning``, ``costs``, ...), read-only, as written.
    source : str
        The file it came from (``"<python>"`` when built in code).
    text : str
        The TOML text (as read, or rendered by :meth:`to_toml`): recorded in outputs.
    base_dir : Path or None
        Folder that relative paths in the scenario are resolved against.
    """

    systems: tuple[SystemSpec, ...]
    region: RegionSpec = field(default_factory=RegionSpec)
    window: WindowSpec = field(default_factory=WindowSpec)
    terrain: TerrainSpec = field(default_factory=TerrainSpec)
    engine: EngineSpec = field(default_factory=EngineSpec)
    name: str = default("", "name")
    description: str = default("", "description")
    reserved: Mapping = field(default_factory=dict)
    source: str = "<python>"
    text: str = ""
    base_dir: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "systems", tuple(self.systems))
        object.__setattr__(self, "reserved", MappingProxyType(dict(self.reserved)))
        if not self.systems:
            raise ScenarioError(f"{self.source}: no [[systems]]; add at least one, e.g. "
                                "[[systems]] name = \"starlink\" source = \"bundled:starlink\"")
        seen = set()
        for system in self.systems:
            if not isinstance(system, SystemSpec):
                raise ScenarioError(f"{self.source}: systems must be SystemSpec objects")
            if system.name in seen:
                raise ScenarioError(f"{self.source}: [systems.{system.name}] the name appears "
                                    "twice; system names must be unique")
            seen.add(system.name)
        if not self.text:
            object.__setattr__(self, "text", self.to_toml())

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_toml(cls, text: str, source: str = "<string>",
                  base_dir: Path | None = None) -> Scenario:
        """Parse and validate TOML text (``source`` names it in messages)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioFileError(f"{source}: not valid TOML: {exc}") from None
        return cls.from_dict(data, source, text, base_dir)

    @classmethod
    def from_dict(cls, data: Mapping, source: str = "<dict>", text: str = "",
                  base_dir: Path | None = None) -> Scenario:
        """Validate a parsed TOML document (dicts and lists)."""
        sections = [s for s in SCHEMA if s and "." not in s]
        valid = sorted({k.name for k in SCHEMA[""]} | set(sections) | set(RESERVED_SECTIONS))
        top = {}
        for key, value in data.items():
            if key in sections or key in RESERVED_SECTIONS:
                continue
            top[key] = value
        for key in top:
            if key not in {k.name for k in SCHEMA[""]}:
                from .schema import unknown_key_message
                raise ScenarioError(unknown_key_message(f"{source}:", key, valid))
        head = check_table("", top, f"{source}:")
        region = RegionSpec(**check_table("region", data.get("region", {}),
                                          f"{source}: [region]"))
        window_values = check_table("window", data.get("window", {}), f"{source}: [window]")
        window_where = f"{source}: [window]"
        try:
            window = WindowSpec(**window_values)
        except ScenarioError as exc:
            raise ScenarioError(str(exc).replace("WindowSpec:", window_where)) from None
        terrain = TerrainSpec(**check_table("terrain", data.get("terrain", {}),
                                            f"{source}: [terrain]"))
        engine = EngineSpec(**check_table("engine", data.get("engine", {}),
                                          f"{source}: [engine]"))
        raw_systems = data.get("systems", [])
        if isinstance(raw_systems, Mapping):
            raise ScenarioError(f"{source}: 'systems' must be an array of tables: write "
                                "[[systems]] (double brackets) before each system")
        if not isinstance(raw_systems, list):
            raise ScenarioError(f"{source}: 'systems' must be an array of tables ([[systems]])")
        systems = tuple(_system_from_dict(raw, i, source) for i, raw in enumerate(raw_systems))
        reserved = {k: data[k] for k in RESERVED_SECTIONS if k in data}
        return cls(systems=systems, region=region, window=window, terrain=terrain,
                   engine=engine, name=head["name"], description=head["description"],
                   reserved=reserved, source=source, text=text, base_dir=base_dir)

    def resolve_path(self, path: str) -> Path:
        """A path from the scenario, relative to the scenario file's folder."""
        candidate = Path(path).expanduser()
        if not candidate.is_absolute() and self.base_dir is not None:
            candidate = self.base_dir / candidate
        return candidate

    # ------------------------------------------------------------------ rendering
    def to_toml(self) -> str:
        """The scenario as TOML (keys at their values, defaults included)."""
        out = [f"name = {_toml(self.name)}", f"description = {_toml(self.description)}", ""]
        for section, obj in (("region", self.region), ("window", self.window),
                             ("terrain", self.terrain), ("engine", self.engine)):
            out.append(f"[{section}]")
            for key in SCHEMA[section]:
                value = getattr(obj, key.name)
                if value is not None:
                    out.append(f"{key.name} = {_toml(value)}")
            out.append("")
        for system in self.systems:
            out.append("[[systems]]")
            for key in SCHEMA["systems"]:
                value = getattr(system, key.name)
                if key.name in ("walker", "filter"):
                    if value is not None:
                        inner = {k.name: getattr(value, k.name)
                                 for k in SCHEMA[f"systems.{key.name}"]}
                        out.append(f"{key.name} = {_toml(inner)}")
                elif value != "":
                    out.append(f"{key.name} = {_toml(value)}")
            out.append("")
        for name, table in self.reserved.items():
            out.append(f"{name} = {_toml(dict(table))}")
        return "\n".join(out).rstrip() + "\n"


def _toml(value) -> str:
    """A TOML literal for the values a scenario holds."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, datetime):
        return _toml(value.strftime("%Y-%m-%dT%H:%M:%SZ"))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        items = [f"{k} = {_toml(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _system_from_dict(raw, index: int, source: str) -> SystemSpec:
    name = raw.get("name") if isinstance(raw, Mapping) else None
    where = (f"{source}: [systems.{name}]" if isinstance(name, str) and name
             else f"{source}: [[systems]] #{index + 1}")
    values = check_table("systems", raw, where)
    walker = filter_ = None
    if values["walker"] is not None:
        walker = WalkerSpec(**check_table("systems.walker", values["walker"],
                                          f"{where} walker:"))
        if walker.phasing >= walker.planes:
            raise ScenarioError(f"{where} walker.phasing = {walker.phasing}: expected "
                                f"0 <= F < planes ({walker.planes})")
    if values["filter"] is not None:
        filter_ = FilterSpec(**check_table("systems.filter", values["filter"],
                                           f"{where} filter:"))
    values.update(walker=walker, filter=filter_)
    given = [k for k in ("source", "preset", "walker") if values[k]]
    if len(given) != 1:
        found = ", ".join(given) if given else "none"
        raise ScenarioError(f"{where} give exactly one of source, preset, walker (found "
                            f"{found}); e.g. source = \"bundled:starlink\"")
    if values["name"] == "combined" or not values["name"].strip():
        raise ScenarioError(f"{where} name = \"{values['name']}\": 'combined' and empty names "
                            "are reserved; choose another")
    return SystemSpec(**values)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (UTF-8 TOML)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioFileError(f"{path}: no such scenario file") from None
    except IsADirectoryError:
        raise ScenarioFileError(f"{path}: is a folder; give the scenario .toml file") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioFileError(f"{path}: not UTF-8 text (byte {exc.start}); save the "
                                "scenario as UTF-8") from None
    if not text.strip():
        raise ScenarioFileError(f"{path}: the file is empty; start from the default scenario "
                                "(hybridplan coverage --print-default > scenario.toml)")
    return Scenario.from_toml(text, str(path), path.resolve().parent)


def scenario_from_argument(argument: str | Path) -> Scenario:
    """A scenario from a command-line argument: a TOML path, or ``"default"``."""
    return default_scenario() if str(argument) == "default" else load_scenario(argument)


def default_scenario_text() -> str:
    """The text of the bundled default scenario (GB + AJK, 2026-05-30, all systems)."""
    return (resources.files("hybridplan.coverage.scenario") / "data" / DEFAULT_SCENARIO_FILE).read_text(
        encoding="utf-8")


def default_scenario() -> Scenario:
    """The bundled default scenario as a validated object."""
    return Scenario.from_toml(default_scenario_text(), f"bundled:{DEFAULT_SCENARIO_FILE}")
