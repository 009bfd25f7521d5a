"""Scenarios: a TOML file, or the same as frozen, validated Python objects.

A scenario says where (``[region]``), when (``[window]``), with what terrain
(``[terrain]``) and which satellite systems (``[[systems]]``) to compute coverage for;
``[engine]`` holds performance knobs that never change a result; ``[licensing]`` names the
two licensing cases the plan compares; the planning tables (``[demand]``, ``[planning]``,
``[finance]``, ``[costs.*]``, ``[network]``, ``[population]``) become one
:class:`~hybridplan.coverage.planning.spec.PlanningSpec`; ``[output]`` says which files
``hybridplan plan`` writes.

Every key, its default, range and source is listed once, in
:data:`hybridplan.coverage.scenario.schema.SCHEMA`, and validated once: a spec built from
TOML is checked in its constructor with the file and table as ``where``; one built in
Python is checked by the same code with the class name as ``where``. Unknown keys are
errors that suggest the nearest valid key, and every message names the file and the key::

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

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path

from ..errors import ScenarioError, ScenarioFileError
from ..planning.recommend import name_token
from ..planning.spec import PlanningSpec
from .schema import SCHEMA, TOP_TABLES, default, keys
from .specs import (
    EngineSpec,
    FilterSpec,
    GatewaySpec,
    LicensingSpec,
    OutputSpec,
    RegionSpec,
    SystemSpec,
    TerrainSpec,
    WalkerSpec,
    WindowSpec,
)
from .validate import check_depth, check_names, check_value, unknown_key_message

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_SCENARIO_FILE = "default_scenario.toml"

__all__ = [
    "EngineSpec",
    "FilterSpec",
    "GatewaySpec",
    "LicensingSpec",
    "OutputSpec",
    "RegionSpec",
    "Scenario",
    "SystemSpec",
    "TerrainSpec",
    "WalkerSpec",
    "WindowSpec",
    "default_scenario",
    "default_scenario_text",
    "load_scenario",
    "scenario_from_argument",
    "toml_key",
]


@dataclass(frozen=True)
class Scenario:
    """A whole scenario. Build it with :func:`load_scenario`, :meth:`from_toml` or directly.

    Attributes
    ----------
    systems : tuple of SystemSpec
        At least one; names unique.
    planning : PlanningSpec
        The planning tables, validated once.
    licensing : LicensingSpec
        The names of the two licensing cases (:meth:`licensing_cases`).
    output : OutputSpec
        The files ``hybridplan plan`` writes.
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
    licensing: LicensingSpec = field(default_factory=LicensingSpec)
    output: OutputSpec = field(default_factory=OutputSpec)
    planning: PlanningSpec = field(default_factory=PlanningSpec)
    name: str = default("", "name")
    description: str = default("", "description")
    source: str = "<python>"
    text: str = ""
    base_dir: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "systems", tuple(self.systems))
        for key in SCHEMA[""]:
            object.__setattr__(
                self,
                key.name,
                check_value(key, getattr(self, key.name), f"{self.source}: {key.name}"),
            )
        if not self.systems:
            raise ScenarioError(
                f"{self.source}: no [[systems]]; add at least one, e.g. "
                '[[systems]] name = "starlink" source = "bundled:starlink"'
            )
        seen, tokens = set(), {}
        for system in self.systems:
            if not isinstance(system, SystemSpec):
                raise ScenarioError(f"{self.source}: systems must be SystemSpec objects")
            if system.name in seen:
                raise ScenarioError(
                    f"{self.source}: [systems.{system.name}] the name appears "
                    "twice; system names must be unique"
                )
            token = name_token(system.name)
            if token in tokens:
                raise ScenarioError(
                    f"{self.source}: [systems.{system.name}] name: expected a "
                    f'name distinct from "{tokens[token]}" once spaces and '
                    f"slashes become '_' (both give '{token}' in variable "
                    "names); rename one"
                )
            seen.add(system.name)
            tokens[token] = system.name
        for name in self.planning.satellite_costs:
            if name not in seen:
                raise ScenarioError(
                    unknown_key_message(
                        f"{self.source}: [costs]",
                        name,
                        ["fiber", "leo", "meo", "geo", *sorted(seen)],
                    )
                )
        if not self.text:
            object.__setattr__(self, "text", self.to_toml())

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_toml(
        cls, text: str, source: str = "<string>", base_dir: Path | None = None
    ) -> Scenario:
        """Parse and validate TOML text (``source`` names it in messages); a leading
        UTF-8 byte-order mark is accepted (Notepad and Excel write one)."""
        text = text.removeprefix("\ufeff")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioFileError(f"{source}: not valid TOML: {exc}") from None
        except RecursionError:
            raise ScenarioFileError(
                f"{source}: not readable TOML: tables or lists nested too "
                "deeply for the parser; no scenario key needs more than "
                "a few levels"
            ) from None
        return cls.from_dict(data, source, text, base_dir)

    @classmethod
    def from_dict(
        cls, data: Mapping, source: str = "<dict>", text: str = "", base_dir: Path | None = None
    ) -> Scenario:
        """Validate a parsed TOML document (dicts and lists); each value is checked once."""
        from .planning import planning_from_tables

        check_depth(data, f"{source}:")
        heads = {k.name for k in SCHEMA[""]}
        for key in data:
            if key not in heads and key not in TOP_TABLES:
                raise ScenarioError(
                    unknown_key_message(f"{source}:", key, sorted(heads | set(TOP_TABLES)))
                )

        def spec(cls_, section):
            where = f"{source}: [{section}]"
            return cls_(**check_names(section, data.get(section, {}), where), where=where)

        raw_systems = data.get("systems", [])
        if isinstance(raw_systems, Mapping):
            raise ScenarioError(
                f"{source}: systems: expected an array of tables, found one "
                "table; write [[systems]] (double brackets) before each system"
            )
        if not isinstance(raw_systems, list):
            raise ScenarioError(
                f"{source}: systems: expected an array of tables ([[systems]]),"
                f" found {type(raw_systems).__name__}"
            )
        systems = tuple(_system_from_dict(raw, i, source) for i, raw in enumerate(raw_systems))
        planning = planning_from_tables(data, [s.name for s in systems], source)
        return cls(
            systems=systems,
            region=spec(RegionSpec, "region"),
            window=spec(WindowSpec, "window"),
            terrain=spec(TerrainSpec, "terrain"),
            engine=spec(EngineSpec, "engine"),
            licensing=spec(LicensingSpec, "licensing"),
            output=spec(OutputSpec, "output"),
            planning=planning,
            name=data.get("name", default("", "name")),
            description=data.get("description", default("", "description")),
            source=source,
            text=text,
            base_dir=base_dir,
        )

    def resolve_path(self, path: str) -> Path:
        """A path from the scenario, relative to the scenario file's folder."""
        candidate = Path(path).expanduser()
        if not candidate.is_absolute() and self.base_dir is not None:
            candidate = self.base_dir / candidate
        return candidate

    def licensing_cases(self) -> dict[str, dict[str, bool]]:
        """``{case name: {system name: licensed}}``: the base case first, then the
        alternative case (when ``[licensing] alternative_case`` is not empty)."""
        cases = {self.licensing.base_case: {s.name: s.licensed for s in self.systems}}
        if self.licensing.alternative_case:
            cases[self.licensing.alternative_case] = {
                s.name: s.licensed if s.licensed_alternative is None else s.licensed_alternative
                for s in self.systems
            }
        return cases

    # ------------------------------------------------------------------ rendering
    def to_toml(self) -> str:
        """The scenario as TOML (keys at their values, defaults included)."""
        from .planning import planning_tables

        out = [f"name = {_toml(self.name)}", f"description = {_toml(self.description)}", ""]
        for section, obj in (
            ("region", self.region),
            ("window", self.window),
            ("terrain", self.terrain),
            ("engine", self.engine),
            ("licensing", self.licensing),
            ("output", self.output),
        ):
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
                        inner = {
                            k.name: getattr(value, k.name) for k in SCHEMA[f"systems.{key.name}"]
                        }
                        out.append(f"{key.name} = {_toml(inner)}")
                elif key.name == "gateways":
                    if value:
                        rows = [
                            {k.name: getattr(g, k.name) for k in SCHEMA["systems.gateways"]}
                            for g in value
                        ]
                        out.append(f"gateways = {_toml(rows)}")
                elif value is not None and value != "":
                    out.append(f"{key.name} = {_toml(value)}")
            out.append("")
        for header, table in planning_tables(self.planning).items():
            out.append(f"[{header}]")
            out.extend(f"{k} = {_toml(v)}" for k, v in table.items() if v is not None)
            out.append("")
        return "\n".join(out).rstrip() + "\n"


def toml_key(name: str) -> str:
    """A TOML key: bare when it can be, else quoted (``"Pak Sat"``)."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _toml(name)


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
    where = (
        f"{source}: [systems.{name}]"
        if isinstance(name, str) and name
        else f"{source}: [[systems]] #{index + 1}"
    )
    values = dict(check_names("systems", raw, where))
    for key, cls, section in (
        ("walker", WalkerSpec, "systems.walker"),
        ("filter", FilterSpec, "systems.filter"),
    ):
        if values.get(key) is not None:
            inner = f"{where} {key}:"
            values[key] = cls(**check_names(section, values[key], inner), where=inner)
    if "gateways" in values:
        values["gateways"] = _gateways_from_list(values["gateways"], f"{where} gateways")
    return SystemSpec(**values, where=where)


def _gateways_from_list(raw, where: str) -> tuple[GatewaySpec, ...]:
    """``gateways = [{name = .., lat_deg = .., lon_deg = ..}, ..]`` as GatewaySpecs."""
    rows = check_value(keys("systems")["gateways"], raw, where)
    out = []
    for k, row in enumerate(rows):
        inner = f"{where}[{k}]"
        if isinstance(row, Mapping) and isinstance(row.get("name"), str):
            inner += f' ("{row["name"]}")'
        inner += ":"
        out.append(GatewaySpec(**check_names("systems.gateways", row, inner), where=inner))
    return tuple(out)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (UTF-8 TOML, with or without a byte-order mark)."""
    shown = str(path).replace("\x00", "\\x00")
    if "\x00" in str(path):
        raise ScenarioFileError(
            f"{shown}: expected a file path, found a NUL character (\\x00) in it; remove it"
        )
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioFileError(f"{path}: no such scenario file") from None
    except IsADirectoryError:
        raise ScenarioFileError(f"{path}: is a folder; give the scenario .toml file") from None
    except OSError as exc:
        raise ScenarioFileError(
            f"{path}: cannot read it ({exc.strerror or exc}); check the path and its permissions"
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioFileError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the scenario as UTF-8"
        ) from None
    if not text.strip():
        raise ScenarioFileError(
            f"{path}: the file is empty; start from the default scenario "
            "(hybridplan coverage --print-default > scenario.toml)"
        )
    return Scenario.from_toml(text, str(path), path.resolve().parent)


def scenario_from_argument(argument: str | Path) -> Scenario:
    """A scenario from a command-line argument: a TOML path, or ``"default"``."""
    return default_scenario() if str(argument) == "default" else load_scenario(argument)


def default_scenario_text() -> str:
    """The text of the bundled default scenario (GB + AJK, 2026-05-30, all systems)."""
    return (
        resources.files("hybridplan.coverage.scenario") / "data" / DEFAULT_SCENARIO_FILE
    ).read_text(encoding="utf-8")


def default_scenario() -> Scenario:
    """The bundled default scenario as a validated object."""
    return Scenario.from_toml(default_scenario_text(), f"bundled:{DEFAULT_SCENARIO_FILE}")
