"""Deployment plans from small tables: TOML (shells + dated stages) or CSV (one row per stage).

TOML layout (every key is checked; unknown keys are errors)::

    name = "Guowang (China SatNet)"       # free text
    source = "..."
    approximate = true

    [shells."guowang 50"]                 # shell names are free text (quote them)
    altitude_km = 1145
    inclination_deg = 50.0
    planes = 12
    sats_per_plane = 9
    phasing = 1                           # optional; pattern, raan_spread_deg, raan0_deg too
    # or: preset = "guowang", shell = "guowang-50"  (a shell of a Walker preset)

    [[stages]]
    name = "group 02"
    shell = "guowang 50"
    planes = [1]                          # or "1-3, 5"; omitted = every plane
    in_service_utc = 2025-02-11T00:00:00Z # TOML date-time with Z, or a date
    launch_utc = 2025-02-11               # optional
    source = "..."
    approximate = true

CSV layout: a header with ``stage, shell, in_service_utc`` and the shell's parameters
(``altitude_km, inclination_deg, planes, sats_per_plane``; optional ``phasing, pattern,
raan_spread_deg, raan0_deg``), plus optional ``planes_in_service, launch_utc, source,
approximate``. Rows of one shell repeat its parameters (or leave them blank after its
first row).
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from datetime import date, datetime, timezone
from importlib import resources
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from .deployment import DeploymentError, DeploymentPlan, Stage
from .errors import ElementSetError
from .presets import preset_shells
from .reader import decode_text, read_bytes
from .walker import WalkerShell

BUNDLED_PREFIX = "bundled:"
_DEPLOYMENT_FILE = re.compile(r"^deployment_(?P<name>[a-z0-9-]+)\.toml$")
_TOP_KEYS = {"name", "source", "approximate", "shells", "stages"}
_SHELL_KEYS = {
    "altitude_km",
    "inclination_deg",
    "planes",
    "sats_per_plane",
    "phasing",
    "pattern",
    "raan_spread_deg",
    "raan0_deg",
    "source",
    "approximate",
    "preset",
    "shell",
}
_STAGE_KEYS = {"name", "shell", "planes", "in_service_utc", "launch_utc", "source", "approximate"}
_CSV_REQUIRED = ("stage", "shell", "in_service_utc")
_CSV_SHELL = (
    "altitude_km",
    "inclination_deg",
    "planes",
    "sats_per_plane",
    "phasing",
    "pattern",
    "raan_spread_deg",
    "raan0_deg",
)
_CSV_OPTIONAL = ("planes_in_service", "launch_utc", "source", "approximate")


def _fail(where: str, expected: str, found: object, fix: str) -> DeploymentError:
    text = repr(found)
    text = text if len(text) <= 60 else text[:57] + "..."
    return DeploymentError(f"{where}: expected {expected}, found {text}; {fix}")


def _refuse_unknown_keys(spec: dict, known: frozenset | set, where: str) -> None:
    """A one-line error for the first key of ``spec`` not in ``known`` (nearest suggested)."""
    unknown = sorted(set(spec) - known)
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise _fail(
            f"{where} key {unknown[0]!r}",
            "one of " + ", ".join(sorted(known)),
            unknown[0],
            hint + "remove or rename the key",
        )


def _utc(value: object, where: str) -> datetime:
    """A TOML/CSV date or date-time as an aware UTC datetime."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = (
                date.fromisoformat(text)
                if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)
                else datetime.fromisoformat(text.replace("Z", "+00:00"))
            )
        except ValueError:
            raise _fail(
                where,
                "an ISO date or date-time like 2025-02-11T00:00:00Z",
                value,
                "write the date as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ",
            ) from None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise _fail(
                where,
                "a date-time in UTC",
                value.isoformat(),
                f"add Z: {value.strftime('%Y-%m-%dT%H:%M:%S')}Z",
            )
        return value.astimezone(timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    raise _fail(where, "a date or date-time", value, "write for example 2025-02-11")


def _plane_list(value: object, where: str) -> tuple[int, ...] | None:
    """``[1, 2, 5]``, ``"1-3, 5"`` or blank (every plane)."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        return tuple(value)
    if isinstance(value, str):
        planes: list[int] = []
        for part in value.split(","):
            match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
            if not match:
                break
            low, high = int(match[1]), int(match[2] or match[1])
            if high < low or high - low > 100_000:
                break
            planes += range(low, high + 1)
        else:
            return tuple(planes)
    raise _fail(
        where,
        'plane numbers like [1, 2, 5] or "1-3, 5"',
        value,
        "list the 1-based planes that enter service, or leave the key out for all",
    )


def _shell(name: str, spec: object, where: str) -> WalkerShell:
    if not isinstance(spec, dict):
        raise _fail(
            where,
            "a table of shell parameters",
            spec,
            'write [shells."NAME"] with altitude_km, inclination_deg, planes, sats_per_plane',
        )
    _refuse_unknown_keys(spec, _SHELL_KEYS, where)
    if "preset" in spec:
        shells = preset_shells(str(spec["preset"]))
        wanted = spec.get("shell")
        chosen = [s for s in shells if wanted is None or s.name == wanted]
        if len(chosen) != 1:
            raise _fail(
                f"{where} key 'shell'",
                "one of " + ", ".join(s.name for s in shells),
                wanted,
                "name the preset's shell",
            )
        base = chosen[0]
        return WalkerShell(
            name,
            base.altitude_km,
            base.inclination_deg,
            base.planes,
            base.sats_per_plane,
            base.phasing,
            base.pattern,
            base.raan_spread_deg,
            base.raan0_deg,
            source=str(spec.get("source", base.source)),
            approximate=bool(spec.get("approximate", base.approximate)),
        )
    missing = [
        k for k in ("altitude_km", "inclination_deg", "planes", "sats_per_plane") if k not in spec
    ]
    if missing:
        raise _fail(
            where,
            "keys altitude_km, inclination_deg, planes, sats_per_plane",
            "no " + ", ".join(missing),
            'add them, or take the shell from a preset with preset = "NAME"',
        )
    numbers = {}
    for key in ("altitude_km", "inclination_deg", "raan_spread_deg", "raan0_deg"):
        if key in spec:
            value = spec[key]
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):
                raise _fail(f"{where} key {key!r}", "a finite number", value, "fix the value")
            numbers[key] = float(value)
    for key in ("planes", "sats_per_plane", "phasing"):
        if key in spec and (isinstance(spec[key], bool) or not isinstance(spec[key], int)):
            raise _fail(f"{where} key {key!r}", "a whole number", spec[key], "fix the value")
    return WalkerShell(
        name,
        numbers["altitude_km"],
        numbers["inclination_deg"],
        spec["planes"],
        spec["sats_per_plane"],
        spec.get("phasing"),
        str(spec.get("pattern", "delta")),  # type: ignore[arg-type]
        numbers.get("raan_spread_deg"),
        numbers.get("raan0_deg", 0.0),
        source=str(spec.get("source", "")),
        approximate=bool(spec.get("approximate", False)),
    )


def plan_from_mapping(
    data: dict, source: str, stage_lines: list[int] | None = None
) -> DeploymentPlan:
    """A plan from the parsed TOML layout (see the module docstring).

    ``stage_lines`` (CSV input) gives each stage's file line for messages.
    """
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _fail(
            f"{source}: key {unknown[0]!r}",
            "one of " + ", ".join(sorted(_TOP_KEYS)),
            unknown[0],
            "remove or rename the key",
        )
    shell_specs = data.get("shells", {})
    if not isinstance(shell_specs, dict) or not shell_specs:
        raise _fail(
            f"{source}: [shells]",
            'at least one [shells."NAME"] table',
            shell_specs,
            "describe the shells the stages fill",
        )
    try:
        shells = {
            name: _shell(name, spec, f"{source}: [shells.{name!r}]")
            for name, spec in shell_specs.items()
        }
        stage_specs = data.get("stages", [])
        if not isinstance(stage_specs, list) or not stage_specs:
            raise _fail(
                f"{source}: [[stages]]",
                "at least one [[stages]] entry",
                stage_specs,
                "add the dated stages",
            )
        wheres = (
            [f"{source}:{line}" for line in stage_lines]
            if stage_lines
            else [f"{source}: [[stages]] #{i}" for i in range(1, len(stage_specs) + 1)]
        )
        stages = [
            _stage(spec, shells, where) for spec, where in zip(stage_specs, wheres, strict=True)
        ]
        return DeploymentPlan(
            str(data.get("name", Path(source).stem)),
            tuple(stages),
            source=str(data.get("source", "")),
            approximate=bool(data.get("approximate", False)),
        )
    except DeploymentError as exc:
        text = str(exc)
        raise DeploymentError(text if text.startswith(source) else f"{source}: {text}") from None
    except ElementSetError as exc:  # WalkerError, naive dates
        raise DeploymentError(f"{source}: {exc}") from None


def _stage(spec: object, shells: dict[str, WalkerShell], where: str) -> Stage:
    if not isinstance(spec, dict):
        raise _fail(
            where, "a table", spec, "write [[stages]] entries with name, shell, in_service_utc"
        )
    _refuse_unknown_keys(spec, _STAGE_KEYS, where)
    for key in ("name", "shell", "in_service_utc"):
        if key not in spec:
            raise _fail(where, f"key {key!r}", "nothing", f"add {key} = ...")
    name = spec["name"]
    if not isinstance(name, str) or not name.strip():
        raise _fail(f"{where} key 'name'", "a non-empty name", name, "name the stage")
    shell = shells.get(spec["shell"]) if isinstance(spec["shell"], str) else None
    if shell is None:
        raise _fail(
            f"{where} key 'shell'",
            "one of " + ", ".join(repr(s) for s in shells),
            spec["shell"],
            "name a shell of the [shells] table",
        )
    launch = spec.get("launch_utc")
    return Stage(
        name,
        shell,
        _utc(spec["in_service_utc"], f"{where} key 'in_service_utc'"),
        _plane_list(spec.get("planes"), f"{where} key 'planes'"),
        _utc(launch, f"{where} key 'launch_utc'") if launch not in (None, "") else None,
        source=str(spec.get("source", "")),
        approximate=bool(spec.get("approximate", False)),
    )


def _csv_mapping(text: str, source: str) -> dict:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [k for k in _CSV_REQUIRED + _CSV_SHELL[:4] if k not in header]
    if missing:
        raise DeploymentError(
            f"{source}:1: the header lacks column(s) {', '.join(missing)}; "
            "expected stage, shell, in_service_utc, altitude_km, "
            "inclination_deg, planes, sats_per_plane"
        )
    unknown = [h for h in header if h not in _CSV_REQUIRED + _CSV_SHELL + _CSV_OPTIONAL]
    if unknown:
        raise DeploymentError(
            f"{source}:1: unknown column {unknown[0]!r}; expected only "
            f"{', '.join(_CSV_REQUIRED + _CSV_SHELL + _CSV_OPTIONAL)}"
        )
    shells: dict[str, dict] = {}
    stages = []
    try:
        rows = [
            (reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items() if k})
            for row in reader
        ]
    except csv.Error as exc:
        raise DeploymentError(f"{source}:{reader.line_num}: unreadable CSV ({exc})") from None
    for line, row in rows:
        where = f"{source}:{line}"
        spec = {}
        for key in _CSV_SHELL:
            if row.get(key):
                spec[key] = _csv_number(row[key], key, where)
        known = shells.setdefault(row["shell"], spec)
        if spec and spec != known:
            raise DeploymentError(
                f"{where}: shell {row['shell']!r} has other parameters than "
                "in its first row; repeat them exactly or leave them blank"
            )
        stage = {
            "name": row["stage"],
            "shell": row["shell"],
            "in_service_utc": row["in_service_utc"],
            "planes": row.get("planes_in_service") or None,
            "launch_utc": row.get("launch_utc") or None,
            "source": row.get("source", ""),
            "approximate": row.get("approximate", "").lower() in ("1", "true", "yes"),
        }
        stages.append({k: v for k, v in stage.items() if v is not None})
    return {
        "name": Path(source).stem,
        "shells": shells,
        "stages": stages,
        "_lines": [line for line, _ in rows],
    }


def _csv_number(text: str, key: str, where: str) -> object:
    if key == "pattern":
        return text
    try:
        return int(text) if key in ("planes", "sats_per_plane", "phasing") else float(text)
    except ValueError:
        kind = "a whole number" if key in ("planes", "sats_per_plane", "phasing") else "a number"
        raise _fail(f"{where} column {key!r}", kind, text, "fix the value") from None


def read_deployment(path: str | Path) -> DeploymentPlan:
    """A plan from a ``.toml`` or ``.csv`` table (CSV by extension or by a header line)."""
    source = str(path)
    text = decode_text(read_bytes(Path(path), source), source)
    if source.lower().endswith(".csv") or text.lstrip().lower().startswith("stage,"):
        data = _csv_mapping(text, source)
        return plan_from_mapping(data, source, data.pop("_lines"))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DeploymentError(
            f"{source}: not valid TOML ({exc}); expected a deployment table "
            "(see hybridplan.tle.deployment_table)"
        ) from None
    except RecursionError:
        raise DeploymentError(f"{source}: the TOML is nested too deeply to read") from None
    return plan_from_mapping(data, source)


def bundled_deployments() -> dict[str, Path]:
    """Name -> path of every bundled deployment table (``{"guowang": ...}``)."""
    folder = resources.files("hybridplan.tle") / "data"
    found = {}
    for entry in folder.iterdir():
        match = _DEPLOYMENT_FILE.match(entry.name)
        if match:
            found[match["name"]] = Path(str(entry))
    return dict(sorted(found.items()))


def load_deployment(spec: str | Path) -> DeploymentPlan:
    """A plan from ``"bundled:<name>"`` (Qianfan, Guowang) or a TOML/CSV path."""
    text = str(spec)
    if text.startswith(BUNDLED_PREFIX):
        name = text[len(BUNDLED_PREFIX) :].strip().lower()
        tables = bundled_deployments()
        if name not in tables:
            raise DeploymentError(
                f"{text}: no bundled deployment of that name; available: "
                f"{', '.join(BUNDLED_PREFIX + n for n in tables)}"
            )
        return read_deployment(tables[name])
    return read_deployment(text)
