"""The SWEEP.toml schema: which constellation and visibility parameters vary, over which
values, on which base scenario.

::

    scenario = "scenario.toml"    # the base scenario (relative to this file), or "default"
    system = "walker"             # the system whose parameters are swept (a walker system
                                  # for the shell parameters)
    threshold_pct = 95            # a cell "meets" when pct_time_covered >= this
    per_cell = "auto"             # keep per-cell figures: true, false or "auto" (small sweeps)
    population = true             # population % meeting (spreads the scenario's population)

    [combos]                      # cartesian product: one dimension each
    planes = [12, 18, 24]
    sats_per_plane = [10, 15, 20]
    min_elevation_deg = [25, 35]
    enabled_oneweb = [true, false]    # another scenario system switched on/off

    [constants]                   # applied to every point, recorded as attributes
    inclination_deg = 53

    [[cases]]                     # optional sparse points (combined with every combo);
    phasing = 1                   # combinations not run are NaN in the Dataset
    [[cases]]
    phasing = 5

Planning parameters (``fiber_cost_per_km``, ``discount_rate``, ``horizon_years``,
``take_up_rate``, ``min_availability_pct``, ``max_latency_rtt_ms``) may be listed under
``[combos]``: each coverage point's plan is re-decided for every combination of them
without re-running the engine (the population share per recommended technology and the
cost then appear over those dimensions). Region and resolution are not sweepable (they
change the cell dimension). Every error is one line
naming the file and key, with the nearest valid key suggested for typos.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ScenarioError, ScenarioFileError
from ..scenario import Scenario, default_scenario, load_scenario
from ..scenario.schema import keys
from ..scenario.validate import check_value

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

WALKER_PARAMETERS = (
    "altitude_km",
    "inclination_deg",
    "planes",
    "sats_per_plane",
    "phasing",
    "raan_spread_deg",
)
SYSTEM_PARAMETERS = ("min_elevation_deg", "gso_exclusion_deg", "n_required")

#: Sweepable name -> (units, long name). ``enabled_<system>`` is added per scenario system.
SWEEPABLE: dict[str, tuple[str, str]] = {
    "altitude_km": ("km", "mean altitude of the swept Walker shell"),
    "inclination_deg": ("degree", "inclination of the swept Walker shell"),
    "planes": ("1", "orbital planes P of the swept Walker shell"),
    "sats_per_plane": ("1", "satellites per plane S of the swept Walker shell"),
    "phasing": ("1", "Walker phasing F of the swept shell"),
    "raan_spread_deg": ("degree", "arc of the plane RAANs of the swept shell"),
    "min_elevation_deg": ("degree", "minimum elevation of the swept system's terminal"),
    "gso_exclusion_deg": ("degree", "GSO arc avoidance angle of the swept system"),
    "n_required": ("1", "N of N-asset coverage of the swept system"),
}
PLANNING_NAMES = (
    "fiber_cost_per_km",
    "discount_rate",
    "horizon_years",
    "take_up_rate",
    "min_availability_pct",
    "max_latency_rtt_ms",
)
TOP_KEYS = (
    "scenario",
    "system",
    "threshold_pct",
    "per_cell",
    "population",
    "combos",
    "constants",
    "cases",
)


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: base scenario, swept system, dimensions and points.

    Attributes
    ----------
    scenario : Scenario
    system : str
        The system whose parameters the names of :data:`SWEEPABLE` change.
    combos : dict
        Dimension name -> tuple of values (cartesian).
    cases : tuple of dict
        Sparse points (each combined with every combo).
    constants : dict
        Name -> value applied to every point.
    threshold_pct : float
        A cell meets the target when its ``pct_time_covered`` >= this [percent].
    per_cell : bool or None
        Keep per-cell figures (None: when the sweep is small).
    population : bool
        Compute population shares (spreads the scenario's population over the grid).
    source, text : str
        Where the sweep came from, and its text (recorded in the Dataset).
    """

    scenario: Scenario
    system: str
    combos: dict = field(default_factory=dict)
    cases: tuple = ()
    constants: dict = field(default_factory=dict)
    threshold_pct: float = 95.0
    per_cell: bool | None = None
    population: bool = True
    source: str = "<python>"
    text: str = ""

    def __post_init__(self) -> None:
        where = f"{self.source}:"
        names = [s.name for s in self.scenario.systems]
        if self.system not in names:
            raise ScenarioError(
                f"{where} system = {self.system!r}: expected one of the "
                f"scenario's systems ({', '.join(names)})"
            )
        if not 0.0 <= float(self.threshold_pct) <= 100.0:
            raise ScenarioError(
                f"{where} threshold_pct = {self.threshold_pct!r}: expected 0..100 percent"
            )
        combos = {k: _values(self, k, v, f"{where} [combos] {k}") for k, v in self.combos.items()}
        cases = tuple(
            {
                k: _value(self, k, v, f"{where} [[cases]] #{i + 1} {k}")
                for k, v in dict(case).items()
            }
            for i, case in enumerate(self.cases)
        )
        constants = {
            k: _value(self, k, v, f"{where} [constants] {k}") for k, v in self.constants.items()
        }
        clash = set(constants) & (set(combos) | {k for c in cases for k in c})
        if clash:
            raise ScenarioError(
                f"{where} {sorted(clash)} are both constant and swept; keep each name in one place"
            )
        if len({tuple(sorted(c)) for c in cases}) > 1:
            raise ScenarioError(
                f"{where} every [[cases]] entry must set the same keys "
                f"(found {sorted({tuple(sorted(c)) for c in cases})})"
            )
        both = set(combos) & {k for c in cases for k in c}
        if both:
            raise ScenarioError(
                f"{where} {sorted(both)} appear in [combos] and [[cases]]; "
                "a name is either a combo or a case key"
            )
        walker_needed = (set(combos) | set(constants) | {k for c in cases for k in c}) & set(
            WALKER_PARAMETERS
        )
        spec = next(s for s in self.scenario.systems if s.name == self.system)
        if walker_needed and spec.walker is None:
            raise ScenarioError(
                f"{where} {sorted(walker_needed)} change a Walker shell, but "
                f"system {self.system!r} of the scenario is not a walker "
                "system; give it a walker table in the scenario"
            )
        object.__setattr__(self, "combos", combos)
        object.__setattr__(self, "cases", cases)
        object.__setattr__(self, "constants", constants)

    @property
    def planning_dims(self) -> list[str]:
        """The swept planning parameters (applied to each coverage point's plan)."""
        return [k for k in self.combos if k in PLANNING_NAMES]

    @property
    def coverage_dims(self) -> list[str]:
        """The dimensions that need an engine run (all but the planning ones)."""
        return [d for d in self.dims if d not in PLANNING_NAMES]

    def planning_points(self) -> list[dict]:
        """Every combination of the swept planning parameters (``[{}]`` when none)."""
        names = self.planning_dims
        return [
            dict(zip(names, values, strict=True))
            for values in itertools.product(*(self.combos[k] for k in names))
        ]

    @property
    def dims(self) -> list[str]:
        """Dimension names: the combos in order, then case keys in order of appearance."""
        out = list(self.combos)
        for case in self.cases:
            out += [k for k in case if k not in out]
        return out

    def coords(self) -> dict[str, list]:
        """Sorted values of every dimension."""
        out = {k: list(v) for k, v in self.combos.items()}
        for name in self.dims[len(self.combos) :]:
            out[name] = sorted({c[name] for c in self.cases if name in c})
        return out

    def points(self) -> list[dict]:
        """Every coverage point to run: each case (or none) with each combination of the
        coverage combos (planning parameters are applied within each point)."""
        names = [k for k in self.combos if k not in PLANNING_NAMES]
        combos = [
            dict(zip(names, values, strict=True))
            for values in itertools.product(*(self.combos[k] for k in names))
        ]
        return [{**case, **combo} for case in (self.cases or ({},)) for combo in combos]

    def fingerprint(self) -> str:
        """A hash of what decides the results (scenario text, system, constants)."""
        text = json.dumps(
            {
                "scenario": self.scenario.text,
                "system": self.system,
                "constants": self.constants,
                "population": self.population,
                "planning": {k: self.combos[k] for k in self.planning_dims},
            },
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def parameter_attrs(name: str) -> dict[str, str]:
    """``units`` and ``long_name`` of a sweep dimension."""
    if name in PLANNING_NAMES:
        from ..planning.sweep import SWEEPABLE as PLANNING_SWEEPABLE

        _, _, units, long_name = PLANNING_SWEEPABLE[name]
        return {"units": units, "long_name": long_name}
    if name.startswith("enabled_"):
        return {"units": "1", "long_name": f"system {name[len('enabled_') :]} switched on"}
    units, long_name = SWEEPABLE[name]
    return {"units": units, "long_name": long_name}


def _known(spec: SweepSpec) -> list[str]:
    return list(SWEEPABLE) + [f"enabled_{s.name}" for s in spec.scenario.systems]


def _value(spec: SweepSpec, name: str, value, where: str):
    if name in PLANNING_NAMES:
        if "[combos]" not in where:
            raise ScenarioError(
                f"{where}: {name} is a planning parameter; list its values "
                "under [combos] (planning parameters are swept on every "
                "coverage point, without re-running the engine)"
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not (0 <= value < float("inf"))
        ):
            raise ScenarioError(f"{where} = {value!r}: expected a number >= 0")
        return float(value)
    if name not in _known(spec):
        close = difflib.get_close_matches(name, _known(spec), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ScenarioError(
            f"{where}: unknown sweep parameter {name!r}{hint} (sweepable: "
            f"{', '.join(_known(spec))})"
        )
    if name.startswith("enabled_"):
        if not isinstance(value, bool):
            raise ScenarioError(f"{where} = {value!r}: expected true or false")
        return value
    section = "systems.walker" if name in WALKER_PARAMETERS else "systems"
    return check_value(keys(section)[name], value, where)


def _values(spec: SweepSpec, name: str, values, where: str) -> tuple:
    if not isinstance(values, (list, tuple)) or not values:
        raise ScenarioError(
            f"{where} = {values!r}: expected a non-empty list of values, e.g. [12, 18, 24]"
        )
    out = tuple(_value(spec, name, v, where) for v in values)
    if len(set(out)) != len(out):
        raise ScenarioError(f"{where} = {list(values)!r}: values repeat; list each once")
    return out


def sweep_from_toml(text: str, source: str = "<string>", base_dir: Path | None = None) -> SweepSpec:
    """Parse and validate SWEEP.toml text (``source`` names it in messages)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioFileError(f"{source}: not valid TOML: {exc}") from None
    for key in data:
        if key not in TOP_KEYS:
            close = difflib.get_close_matches(key, TOP_KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ScenarioError(
                f"{source}: unknown key {key!r}{hint} (valid: {', '.join(TOP_KEYS)})"
            )
    if "scenario" not in data or not isinstance(data["scenario"], str):
        raise ScenarioError(
            f"{source}: missing 'scenario': the base scenario file (relative "
            'to the sweep file) or "default"'
        )
    if data["scenario"] == "default":
        scenario = default_scenario()
    else:
        path = Path(data["scenario"]).expanduser()
        if not path.is_absolute():
            path = (base_dir or Path.cwd()) / path
        scenario = load_scenario(path)
    for name in ("combos", "constants"):
        if not isinstance(data.get(name, {}), Mapping):
            raise ScenarioError(f"{source}: [{name}] must be a table")
    cases = data.get("cases", [])
    if not isinstance(cases, list) or not all(isinstance(c, Mapping) for c in cases):
        raise ScenarioError(f"{source}: 'cases' must be an array of tables: write [[cases]]")
    if not data.get("combos") and not cases:
        raise ScenarioError(
            f"{source}: nothing to sweep; add [combos] with lists of values, "
            "e.g. planes = [12, 18, 24]"
        )
    walkers = [s.name for s in scenario.systems if s.walker is not None]
    system = data.get("system", walkers[0] if walkers else scenario.systems[0].name)
    per_cell = data.get("per_cell", "auto")
    if per_cell not in ("auto", True, False):
        raise ScenarioError(f'{source}: per_cell = {per_cell!r}: expected true, false or "auto"')
    threshold = data.get("threshold_pct", 95.0)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise ScenarioError(
            f"{source}: threshold_pct = {threshold!r}: expected a number 0..100 (percent)"
        )
    population = data.get("population", True)
    if not isinstance(population, bool):
        raise ScenarioError(f"{source}: population = {population!r}: expected true or false")
    return SweepSpec(
        scenario,
        str(system),
        dict(data.get("combos", {})),
        tuple(cases),
        dict(data.get("constants", {})),
        float(threshold),
        None if per_cell == "auto" else bool(per_cell),
        population,
        source,
        text,
    )


def load_sweep(path: str | Path) -> SweepSpec:
    """Read a SWEEP.toml file; relative scenario paths resolve next to it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioFileError(f"{path}: no such sweep file; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFileError(
            f"{path}: cannot read the sweep file ({exc}); save it as UTF-8"
        ) from None
    return sweep_from_toml(text, str(path), path.parent)
