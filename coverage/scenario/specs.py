"""The parts of a scenario as frozen dataclasses: region, window, terrain, systems (with
their Walker shell and filter), engine knobs, licensing cases and outputs.

Each spec checks its schema keys once, in its constructor, with ``where`` naming the
file and table (``"scenario.toml: [window]"``) when built from TOML, or the class name when
built in Python; the same checks either way.
"""

from __future__ import annotations

import re
from dataclasses import InitVar, dataclass
from datetime import datetime, timedelta

from hybridplan.tle import TimeGrid

from ..errors import ScenarioError
from .schema import COMPACT_ABOVE_CELLS, SCHEMA, default
from .validate import check_value, parse_utc

_CASE_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def _check(obj, section: str, where: str, skip: tuple[str, ...] = ()) -> None:
    """Validate and convert a spec's schema keys in place (TOML and Python alike)."""
    where = where or f"{type(obj).__name__}:"
    for key in SCHEMA[section]:
        if key.name in skip or not hasattr(obj, key.name):
            continue
        value = getattr(obj, key.name)
        if value is None and key.default is None:
            continue
        object.__setattr__(obj, key.name, check_value(key, value, f"{where} {key.name}"))


@dataclass(frozen=True)
class RegionSpec:
    """Where: region names (or a GeoJSON path) and the H3 resolution."""

    names: tuple[str, ...] = default("region", "names")
    resolution: int = default("region", "resolution")
    where: InitVar[str] = ""

    def __post_init__(self, where: str) -> None:
        _check(self, "region", where)


@dataclass(frozen=True)
class WindowSpec:
    """When: UTC start, duration, step, and the element-set age policy."""

    start: datetime = parse_utc(default("window", "start"), "default")
    duration_h: float = default("window", "duration_h")
    step_s: float = default("window", "step_s")
    max_epoch_age_days: float = default("window", "max_epoch_age_days")
    allow_stale_elements: bool = default("window", "allow_stale_elements")
    where: InitVar[str] = ""

    def __post_init__(self, where: str) -> None:
        where = where or "WindowSpec:"
        _check(self, "window", where)
        if self.duration_h * 3600.0 < self.step_s:
            raise ScenarioError(
                f"{where} duration_h = {self.duration_h:g} is shorter than "
                f"one step (step_s = {self.step_s:g}); lengthen the window or "
                "shorten the step"
            )

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
    where: InitVar[str] = ""

    def __post_init__(self, where: str) -> None:
        _check(self, "terrain", where)


@dataclass(frozen=True)
class WalkerSpec:
    """A generated Walker shell (see :class:`hybridplan.tle.WalkerShell`)."""

    altitude_km: float
    inclination_deg: float
    planes: int
    sats_per_plane: int
    phasing: int | None = default("systems.walker", "phasing")
    pattern: str = default("systems.walker", "pattern")
    raan_spread_deg: float | None = None
    raan0_deg: float = default("systems.walker", "raan0_deg")
    where: InitVar[str] = ""

    def __post_init__(self, where: str) -> None:
        where = where or "WalkerSpec:"
        _check(self, "systems.walker", where)
        if self.phasing is not None and self.phasing >= self.planes:
            raise ScenarioError(
                f"{where} phasing = {self.phasing}: expected 0 <= F < "
                f"planes ({self.planes}); lower phasing or add planes"
            )


@dataclass(frozen=True)
class FilterSpec:
    """Which satellites of the source to keep (all given conditions must hold)."""

    name: str | None = None
    altitude_km: tuple[float, float] | None = None
    inclination_deg: tuple[float, float] | None = None
    max_epoch_age_days: float | None = None
    where: InitVar[str] = ""

    def __post_init__(self, where: str) -> None:
        _check(self, "systems.filter", where)


@dataclass(frozen=True)
class GatewaySpec:
    """A bent-pipe gateway of a system (``[[systems]] gateways`` or ``gateways_file``)."""

    name: str
    lat_deg: float
    lon_deg: float
    height_m: float = default("systems.gateways", "height_m")
    min_elevation_deg: float = default("systems.gateways", "min_elevation_deg")
    where: InitVar[str] = ""

    def __post_init__(self, where: str) -> None:
        where = where or "GatewaySpec:"
        _check(self, "systems.gateways", where)
        if not self.name.strip():
            raise ScenarioError(f'{where} name = "{self.name}": expected a non-blank name')


@dataclass(frozen=True)
class SystemSpec:
    """One satellite system of the scenario: where its satellites come from and its rules.

    ``licensed`` holds in the base licensing case, ``licensed_alternative`` (``None``: the
    same) in the alternative case (see :meth:`Scenario.licensing_cases`). ``gateways``
    (given here) and ``gateways_file`` (read when the scenario is resolved, see
    :func:`~hybridplan.coverage.scenario.gateways.system_gateways`) together make the
    bent-pipe rule; both empty: no rule.
    """

    name: str
    source: str = ""
    preset: str = ""
    deployment: str = ""
    walker: WalkerSpec | None = None
    filter: FilterSpec | None = None
    min_elevation_deg: float = default("systems", "min_elevation_deg")
    n_required: int = default("systems", "n_required")
    gso_exclusion_deg: float = default("systems", "gso_exclusion_deg")
    licensed: bool = default("systems", "licensed")
    licensed_alternative: bool | None = None
    licence_source: str = default("systems", "licence_source")
    backhaul: bool = default("systems", "backhaul")
    gateways: tuple[GatewaySpec, ...] = default("systems", "gateways")
    gateways_file: str = default("systems", "gateways_file")
    where: InitVar[str] = ""

    def __post_init__(self, where: str) -> None:
        where = where or f"SystemSpec(name={self.name!r}):"
        _check(self, "systems", where, skip=("walker", "filter", "gateways"))
        object.__setattr__(self, "gateways", _check_gateways(self.gateways, f"{where} gateways"))
        given = [k for k in ("source", "preset", "walker", "deployment") if getattr(self, k)]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise ScenarioError(
                f"{where} give exactly one of source, preset, walker, deployment (found "
                f'{found}); e.g. source = "bundled:starlink"'
            )
        if self.name == "combined" or not self.name.strip():
            raise ScenarioError(
                f'{where} name = "{self.name}": expected a name other than '
                "'combined' or blank (both are reserved); choose another"
            )
        if any(not c.isprintable() for c in self.name):
            raise ScenarioError(
                f"{where} name = {self.name!r}: expected printable text, found "
                "a control character; remove it"
            )
        for name, cls in (("walker", WalkerSpec), ("filter", FilterSpec)):
            value = getattr(self, name)
            if value is not None and not isinstance(value, cls):
                raise ScenarioError(
                    f"{where} {name}: expected a {cls.__name__}, found {type(value).__name__}"
                )


def _check_gateways(gateways, where: str) -> tuple[GatewaySpec, ...]:
    """A tuple of GatewaySpec objects with distinct names."""
    if not isinstance(gateways, (list, tuple)):
        raise ScenarioError(
            f"{where}: expected a list of gateways, found {type(gateways).__name__}"
        )
    seen: set[str] = set()
    for k, gateway in enumerate(gateways):
        if not isinstance(gateway, GatewaySpec):
            raise ScenarioError(
                f"{where}[{k}]: expected a GatewaySpec, found {type(gateway).__name__}"
            )
        if gateway.name in seen:
            raise ScenarioError(
                f'{where}[{k}] name = "{gateway.name}": expected a name not used by another '
                "gateway of this system; rename one"
            )
        seen.add(gateway.name)
    return tuple(gateways)


@dataclass(frozen=True)
class EngineSpec:
    """Performance knobs: none of them changes a result."""

    steps_per_chunk: int = default("engine", "steps_per_chunk")
    coarse_step_s: float = default("engine", "coarse_step_s")
    workers: int = default("engine", "workers")
    series_cells: tuple[str, ...] = default("engine", "series_cells")
    default_series: bool = default("engine", "default_series")
    where: InitVar[str] = ""

    def __post_init__(self, where: str) -> None:
        _check(self, "engine", where)


@dataclass(frozen=True)
class LicensingSpec:
    """The two licensing cases the plan decides side by side from one coverage run.

    ``base_case`` names the case given by each system's ``licensed``;
    ``alternative_case`` (``""``: none) the case given by ``licensed_alternative``.
    """

    base_case: str = default("licensing", "base_case")
    alternative_case: str = default("licensing", "alternative_case")
    where: InitVar[str] = ""

    def __post_init__(self, where: str) -> None:
        where = where or "LicensingSpec:"
        _check(self, "licensing", where)
        for name in ("base_case", "alternative_case"):
            value = getattr(self, name)
            if (value or name == "base_case") and not _CASE_NAME.fullmatch(value):
                raise ScenarioError(
                    f'{where} {name} = "{value}": expected letters, digits, '
                    "'_', '-' or '.' (it names files and variables), e.g. "
                    '"as_of_2025"'
                )
        if self.base_case == self.alternative_case:
            raise ScenarioError(
                f'{where} alternative_case = "{self.alternative_case}": '
                "expected a name other than base_case; rename it or write "
                'alternative_case = "" for the base case only'
            )


@dataclass(frozen=True)
class OutputSpec:
    """``[output]``: which files ``hybridplan plan`` writes (see ``schema.EXPORTS``)."""

    exports: tuple[str, ...] = default("output", "exports")
    cell_detail: str = default("output", "cell_detail")
    where: InitVar[str] = ""

    def cell_detail_for(self, n_cells: int) -> str:
        """``"full"`` or ``"compact"``: ``cell_detail``, with ``"auto"`` resolved for a
        plan of ``n_cells`` cells (compact above ``schema.COMPACT_ABOVE_CELLS``)."""
        if self.cell_detail != "auto":
            return self.cell_detail
        return "compact" if n_cells > COMPACT_ABOVE_CELLS else "full"

    def __post_init__(self, where: str) -> None:
        _check(self, "output", where)
        object.__setattr__(self, "exports", tuple(dict.fromkeys(self.exports)))
