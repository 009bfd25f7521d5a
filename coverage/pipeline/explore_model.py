"""The recompute side of ``hybridplan explore``: a scenario's ground built once, a warmed
engine executor, and a two-level cache so a slider answers in seconds (a cost slider in
milliseconds).

A *view* is what the explorer's controls say, as plain JSON-able data::

    {"systems": {name: {"enabled", "licensed", "min_elevation_deg",
                        "gso_exclusion_deg", "n_required"}},
     "walker": {"mode": "off" | "add" | "replace", "replace": system name, "name",
                "altitude_km", "inclination_deg", "planes", "sats_per_plane", "phasing",
                "min_elevation_deg", "gso_exclusion_deg", "n_required", "licensed"},
     "window": {"start": ISO 8601 UTC, "duration_h", "step_s"},
     "planning": {control key: value}}

:meth:`ExploreModel.scenario_of` turns a view into a :class:`Scenario` (the one
:meth:`ExploreModel.export_toml` writes), :meth:`ExploreModel.compute` into a plan Dataset.
Caches: coverage keyed by the constellation and visibility parameters (quantised to the
sliders' steps) and the window; plan keyed by coverage + planning parameters. A
planning-only change re-runs :func:`assemble_plan` on the cached coverage and never the
engine. One recompute runs at a time and the latest request wins: a request overtaken
while it waited returns ``None``.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import get_context

import numpy as np
import xarray as xr

from ..engine import SystemModel
from ..errors import ScenarioError
from ..planning.spec import PlanningSpec
from ..scenario import Scenario, SystemSpec, WalkerSpec, system_gateways
from ..scenario.validate import parse_utc
from .build import assemble_plan, run_coverage
from .inputs import check_epochs, load_system_constellation, prepare_ground, resolve, system_model
from .outputs import boundaries_geojson

#: Explorer resolution when the scenario is finer (the full plan keeps the scenario's).
EXPLORE_MAX_RESOLUTION = 6
#: Quantum per coverage parameter (the sliders' steps): equal after rounding = same key.
QUANTUM = {
    "min_elevation_deg": 0.1,
    "gso_exclusion_deg": 0.1,
    "altitude_km": 1.0,
    "inclination_deg": 0.1,
    "duration_h": 0.05,
    "step_s": 1.0,
}
#: Planning controls: (spec section, field) whose value a slider sets directly.
PLANNING_FIELDS = (
    ("fiber", "cost_per_km_usd"),
    ("finance", "discount_rate"),
    ("finance", "horizon_years"),
)
#: Per-orbit-class satellite cost fields with a slider.
COST_FIELDS = ("terminal_usd", "service_usd_per_month")
DEMAND_KEY = "demand.kbps_per_person"
#: Largest cells x steps x systems whose series the coverage run keeps (else one-cell runs).
SERIES_BUDGET = 3_000_000
#: Reserved scenario table of each spec section (``scenario.planning.planning_spec``).
SECTION_TABLE = {"finance": ("planning",), "fiber": ("costs", "fiber"), "demand": ("demand",)}


@dataclass(frozen=True)
class Outcome:
    """One answered view: the plan and how it was obtained."""

    plan: xr.Dataset
    coverage_key: tuple
    plan_key: tuple
    engine_ran: bool
    seconds: float


@dataclass
class Stats:
    """What the model did since start (the tests and the status line read it)."""

    engine_runs: int = 0
    plan_runs: int = 0
    series_runs: int = 0
    coverage_hits: int = 0
    plan_hits: int = 0
    superseded: int = 0
    last_seconds: float = 0.0


class _Lru(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get(self, key, default=None):
        if key in self:
            self.move_to_end(key)
            return self[key]
        return default

    def put(self, key, value) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


def _q(name: str, value) -> float | int:
    quantum = QUANTUM.get(name)
    if quantum is None:
        return int(value) if isinstance(value, (bool, np.integer)) else value
    return round(round(float(value) / quantum) * quantum, 6)


def _label(name: str) -> tuple[str, str]:
    """A field name as (text, units): ``cost_per_km_usd`` -> ("cost per km", "USD")."""
    for suffix, units in (
        ("_usd_per_month", "USD/month"),
        ("_usd", "USD"),
        ("_deg", "deg"),
        ("_km", "km"),
        ("_years", "years"),
    ):
        if name.endswith(suffix):
            return name.removesuffix(suffix).replace("_", " "), units
    return name.replace("_", " "), "1"


class ExploreModel:
    """Ground, element sets and engine workers of one scenario, kept for interactive use.

    Parameters
    ----------
    scenario : Scenario
    resolution : int, optional
        H3 resolution of the explorer's grid; default the scenario's, at most
        :data:`EXPLORE_MAX_RESOLUTION`.
    workers : int
        Engine processes (a persistent pool; 1 runs the engine in the calling thread).
    executor : concurrent.futures.Executor, optional
        Use this executor instead of starting a pool.
    cache_size : int
        Entries of each cache level.
    settle_s : float
        Quiet time [s] an engine run waits for: a newer request in that time replaces it.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        resolution: int | None = None,
        workers: int = 2,
        executor: Executor | None = None,
        cache_size: int = 24,
        settle_s: float = 0.25,
    ) -> None:
        self.full_resolution = scenario.region.resolution
        res = (
            resolution
            if resolution is not None
            else min(self.full_resolution, EXPLORE_MAX_RESOLUTION)
        )
        self.base = dataclasses.replace(
            scenario, region=dataclasses.replace(scenario.region, resolution=int(res)), text=""
        )
        self.inputs = resolve(self.base)
        self.spec: PlanningSpec = self.inputs.spec
        self.ground = prepare_ground(self.inputs)
        self.boundaries = boundaries_geojson(self.inputs.region)
        self._constellations = {
            (s.name, self._source_key(s, self.base.window.start)): m.constellation
            for s, m in zip(self.base.systems, self.inputs.systems, strict=True)
        }
        self._orbit = {m.name: m.orbit_class for m in self.inputs.systems}
        self._own_pool = executor is None and workers > 1
        self.executor = (
            ProcessPoolExecutor(workers, mp_context=get_context("forkserver"))
            if self._own_pool
            else executor
        )
        self.coverage_cache = _Lru(cache_size)
        self.plan_cache = _Lru(cache_size)
        self.series_cache = _Lru(4 * cache_size)
        self.stats = Stats()
        self._run_lock = threading.Lock()
        self._arrival = threading.Condition()
        self.settle_s = float(settle_s)
        self._latest = 0
        self.current: Outcome | None = None

    # ------------------------------------------------------------------ views
    def initial_view(self) -> dict:
        """The view of the scenario as given (the controls' starting values)."""
        window = self.base.window
        systems = {
            s.name: {
                "enabled": True,
                "licensed": s.licensed,
                "min_elevation_deg": s.min_elevation_deg,
                "gso_exclusion_deg": s.gso_exclusion_deg,
                "n_required": s.n_required,
            }
            for s in self.base.systems
        }
        walker_base = next((s for s in self.base.systems if s.walker is not None), None)
        w = walker_base.walker if walker_base else WalkerSpec(550.0, 53.0, 30, 50, 1)
        walker = {
            "mode": "off",
            "replace": self.base.systems[0].name,
            "name": "walker",
            "altitude_km": w.altitude_km,
            "inclination_deg": w.inclination_deg,
            "planes": w.planes,
            "sats_per_plane": w.sats_per_plane,
            "phasing": w.phasing,
            "min_elevation_deg": 25.0,
            "gso_exclusion_deg": 0.0,
            "n_required": 1,
            "licensed": True,
        }
        return {
            "systems": systems,
            "walker": walker,
            "window": {
                "start": window.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "duration_h": window.duration_h,
                "step_s": window.step_s,
            },
            "planning": {c["key"]: c["value"] for c in self.planning_controls()},
        }

    def planning_controls(self) -> list[dict]:
        """Planning sliders: key, label, units, min, max, step, value (from the spec)."""
        spec = self.spec
        controls = []
        for section, name in PLANNING_FIELDS:
            part = getattr(spec, section, None)
            if part is None or not hasattr(part, name):
                continue
            value = getattr(part, name)
            text, units = _label(name)
            if name == "discount_rate":
                low, high, step = 0.0, 0.3, 0.005
            elif isinstance(value, int):
                low, high, step = 1, max(40, 2 * value), 1
            else:
                low, high, step = 0.0, 4.0 * value, max(value / 100.0, 1e-6)
            controls.append(
                {
                    "key": f"{section}.{name}",
                    "label": text,
                    "units": units,
                    "min": low,
                    "max": high,
                    "step": step,
                    "value": value,
                }
            )
        kbps = _kbps_shown(spec)
        controls.append(
            {
                "key": DEMAND_KEY,
                "label": "busy-hour demand per person",
                "units": "kbit/s",
                "min": 0.0,
                "max": round(10 * kbps, 1),
                "step": 0.1,
                "value": kbps,
            }
        )
        for orbit in sorted(set(self._orbit.values()) | {"LEO"}):
            first = next((n for n, o in self._orbit.items() if o == orbit), "walker")
            costs = spec.costs_for(first, orbit)
            for name in COST_FIELDS:
                value = float(getattr(costs, name))
                text, units = _label(name)
                controls.append(
                    {
                        "key": f"costs.{orbit}.{name}",
                        "label": f"{orbit} {text}",
                        "units": units,
                        "min": 0.0,
                        "max": 4.0 * value,
                        "step": max(value / 100.0, 1.0),
                        "value": value,
                    }
                )
        return controls

    def figures(self, plan: xr.Dataset | None = None) -> list[str]:
        """Per-cell variables of a plan the map can show (plus ``reason``)."""
        plan = plan if plan is not None else (self.current.plan if self.current else None)
        if plan is None:
            return []
        return [
            str(n)
            for n, v in plan.data_vars.items()
            if "cell" in v.dims
            and "time" not in v.dims
            and "azimuth" not in v.dims
            and v.dtype.kind in "biuf"
            or n == "reason"
        ]

    # ------------------------------------------------------------------ view -> scenario
    @staticmethod
    def _source_key(spec: SystemSpec, start: datetime) -> tuple:
        walker = dataclasses.astuple(spec.walker) if spec.walker else None
        time_dependent = bool(spec.preset or spec.walker)
        return (spec.source, spec.preset, walker, spec.filter, start if time_dependent else None)

    def _systems_of(self, view: Mapping) -> tuple[SystemSpec, ...]:
        out = []
        chosen = view.get("systems", {})
        walker = view.get("walker", {})
        mode = walker.get("mode", "off")
        for spec in self.base.systems:
            v = chosen.get(spec.name, {})
            if not v.get("enabled", True) and not (
                mode == "replace" and walker.get("replace") == spec.name
            ):
                continue
            if mode == "replace" and walker.get("replace") == spec.name:
                out.append(self._walker_system(walker, spec.name, spec.backhaul))
                continue
            out.append(
                dataclasses.replace(
                    spec,
                    licensed=bool(v.get("licensed", spec.licensed)),
                    min_elevation_deg=float(
                        _q("min_elevation_deg", v.get("min_elevation_deg", spec.min_elevation_deg))
                    ),
                    gso_exclusion_deg=float(
                        _q("gso_exclusion_deg", v.get("gso_exclusion_deg", spec.gso_exclusion_deg))
                    ),
                    n_required=int(v.get("n_required", spec.n_required)),
                )
            )
        if mode == "add":
            out.append(self._walker_system(walker, str(walker.get("name") or "walker"), True))
        if not out:
            raise ScenarioError(
                "explorer: no system selected; enable at least one system or add a Walker shell"
            )
        return tuple(out)

    @staticmethod
    def _walker_system(w: Mapping, name: str, backhaul: bool) -> SystemSpec:
        planes = int(w["planes"])
        shell = WalkerSpec(
            float(_q("altitude_km", w["altitude_km"])),
            float(_q("inclination_deg", w["inclination_deg"])),
            planes,
            int(w["sats_per_plane"]),
            min(int(w["phasing"]), max(planes - 1, 0)),
        )
        return SystemSpec(
            name,
            walker=shell,
            licensed=bool(w.get("licensed", True)),
            min_elevation_deg=float(_q("min_elevation_deg", w["min_elevation_deg"])),
            gso_exclusion_deg=float(_q("gso_exclusion_deg", w.get("gso_exclusion_deg", 0.0))),
            n_required=int(w.get("n_required", 1)),
            backhaul=backhaul,
        )

    def _window_of(self, view: Mapping):
        w = view.get("window", {})
        base = self.base.window
        start = parse_utc(w.get("start", base.start), "explorer [window] start")
        return dataclasses.replace(
            base,
            start=start,
            duration_h=float(_q("duration_h", w.get("duration_h", base.duration_h))),
            step_s=float(_q("step_s", w.get("step_s", base.step_s))),
        )

    def spec_of(self, view: Mapping, systems: tuple[SystemSpec, ...] | None = None) -> PlanningSpec:
        """The planning spec of a view (the scenario's, with the sliders' values)."""
        systems = systems if systems is not None else self._systems_of(view)
        spec = self.spec
        values = dict(view.get("planning", {}))
        for section, name in PLANNING_FIELDS:
            key = f"{section}.{name}"
            if key in values and hasattr(getattr(spec, section), name):
                part = getattr(spec, section)
                kind = type(getattr(part, name))
                spec = dataclasses.replace(
                    spec, **{section: dataclasses.replace(part, **{name: kind(values[key])})}
                )
        if DEMAND_KEY in values and float(values[DEMAND_KEY]) != _kbps_shown(spec):
            d = spec.demand
            per_user = (
                float(values[DEMAND_KEY])
                / 1000.0
                * d.household_size
                * d.overbooking_ratio
                / (d.take_up_rate * d.users_per_household)
            )
            spec = dataclasses.replace(
                spec, demand=dataclasses.replace(d, busy_hour_mbps_per_user=per_user)
            )
        costs = {}
        for system in systems:
            orbit = self._orbit_of(system)
            own = spec.costs_for(system.name, orbit)
            changes = {
                n: float(values[f"costs.{orbit}.{n}"])
                for n in COST_FIELDS
                if f"costs.{orbit}.{n}" in values
            }
            costs[system.name] = dataclasses.replace(own, **changes)
        return dataclasses.replace(spec, satellite_costs=costs)

    def _orbit_of(self, system: SystemSpec) -> str:
        if system.walker is not None:
            altitude = system.walker.altitude_km
            return "LEO" if altitude < 2000 else ("GEO" if 35000 <= altitude <= 36600 else "MEO")
        return self._orbit.get(system.name, "LEO")

    def scenario_of(self, view: Mapping, *, full_resolution: bool = False) -> Scenario:
        """The scenario that reproduces a view (``full_resolution``: the scenario's own
        H3 resolution instead of the explorer's)."""
        systems = self._systems_of(view)
        spec = self.spec_of(view, systems)
        names = {s.name for s in systems}
        spec = dataclasses.replace(
            spec, satellite_costs={k: v for k, v in spec.satellite_costs.items() if k in names}
        )
        region = self.base.region
        if full_resolution:
            region = dataclasses.replace(region, resolution=self.full_resolution)
        return dataclasses.replace(
            self.base,
            systems=systems,
            window=self._window_of(view),
            region=region,
            planning=spec,
            text="",
            source="<explorer>",
            description=f"{self.base.description} (from the explorer)",
        )

    def export_toml(self, view: Mapping, *, full_resolution: bool = False) -> str:
        """The TOML text of :meth:`scenario_of`; ``hybridplan plan`` on it reproduces the
        view's numbers (at the explorer's resolution unless ``full_resolution``)."""
        scenario = self.scenario_of(view, full_resolution=full_resolution)
        return (
            "# written by `hybridplan explore`: reproduces the explorer's view\n"
            + scenario.to_toml()
        )

    # ------------------------------------------------------------------ keys
    def keys(self, view: Mapping) -> tuple[tuple, tuple]:
        """``(coverage_key, plan_key)`` of a view."""
        systems = self._systems_of(view)
        window = self._window_of(view)
        coverage_key = (
            tuple(
                (
                    s.name,
                    self._source_key(s, window.start),
                    s.min_elevation_deg,
                    s.gso_exclusion_deg,
                    s.n_required,
                    s.licensed,
                    s.backhaul,
                )
                for s in systems
            ),
            window.start,
            window.duration_h,
            window.step_s,
        )
        spec = self.spec_of(view, systems)
        return coverage_key, (coverage_key, repr(spec))

    # ------------------------------------------------------------------ compute
    def _models(self, scenario: Scenario) -> list[SystemModel]:
        models = []
        for spec in scenario.systems:
            key = (spec.name, self._source_key(spec, scenario.window.start))
            constellation = self._constellations.get(key)
            if constellation is None:
                constellation = load_system_constellation(spec, scenario)
                self._constellations[key] = constellation
            check_epochs(spec, constellation, scenario)
            models.append(system_model(spec, constellation, system_gateways(spec, scenario)))
        return models

    def coverage(self, view: Mapping) -> tuple[xr.Dataset, bool]:
        """Figures of merit of a view (cached); ``True`` when the engine ran."""
        coverage_key, _ = self.keys(view)
        hit = self.coverage_cache.get(coverage_key)
        if hit is not None:
            self.stats.coverage_hits += 1
            return hit[0], False
        scenario = self.scenario_of(view)
        models = self._models(scenario)
        n_cells = self.ground.sizes["cell"]
        keep_series = (
            n_cells * scenario.window.time_grid().n_steps * (len(models) + 1) <= SERIES_BUDGET
        )
        if keep_series:  # every cell's series in the same run: a click answers at once
            engine = dataclasses.replace(
                scenario.engine, series_cells=tuple(self.ground["cell"].values.astype(str))
            )
            scenario = dataclasses.replace(scenario, engine=engine, text=scenario.text)
        fom = run_coverage(
            scenario, grid=self.ground, systems=models, workers=1, executor=self.executor
        )
        self.stats.engine_runs += 1
        series = _visible_series(fom) if keep_series else None
        fom = fom.drop_vars([n for n in fom.variables if str(n).startswith("series_")])
        self.coverage_cache.put(coverage_key, (fom, series))
        return fom, True

    def plan(self, view: Mapping) -> tuple[xr.Dataset, bool]:
        """The plan Dataset of a view (cached; the engine runs only on a coverage miss)."""
        coverage_key, plan_key = self.keys(view)
        hit = self.plan_cache.get(plan_key)
        if hit is not None:
            self.stats.plan_hits += 1
            return hit, False
        fom, engine_ran = self.coverage(view)
        plan = assemble_plan(self.ground, fom, self.spec_of(view))
        self.stats.plan_runs += 1
        self.plan_cache.put(plan_key, plan)
        return plan, engine_ran

    def compute(self, view: Mapping, clock=None) -> Outcome | None:
        """Answer a view, one at a time; ``None`` when a later request arrived while this
        one waited (the latest input wins). ``clock`` returns seconds (for timing).

        A view that needs the engine first waits until no new request has arrived for
        ``settle_s`` (a burst of slider changes runs the engine once, for the last one);
        a cached coverage is answered at once.
        """
        with self._arrival:
            self._latest += 1
            ticket = self._latest
            self._arrival.notify_all()
        with self._run_lock:
            if ticket == self._latest and self.settle_s > 0 and self._needs_engine(view):
                with self._arrival:
                    self._arrival.wait_for(lambda: ticket != self._latest, timeout=self.settle_s)
            if ticket != self._latest:
                self.stats.superseded += 1
                return None
            t0 = clock() if clock else 0.0
            plan, engine_ran = self.plan(view)
            seconds = (clock() - t0) if clock else 0.0
            coverage_key, plan_key = self.keys(view)
            self.stats.last_seconds = seconds
            self.current = Outcome(plan, coverage_key, plan_key, engine_ran, seconds)
            return self.current

    def _needs_engine(self, view: Mapping) -> bool:
        return self.keys(view)[0] not in self.coverage_cache

    def cell_series(self, view: Mapping, cell: str) -> xr.Dataset:
        """Visible satellites per step at one cell (dims time, system, cell): a one-cell
        engine run with the view's systems, cached."""
        coverage_key, _ = self.keys(view)
        cached = self.coverage_cache.get(coverage_key)
        if cached is not None and cached[1] is not None and str(cell) in cached[1].indexes["cell"]:
            return cached[1].sel(cell=[str(cell)])
        key = (coverage_key, str(cell))
        hit = self.series_cache.get(key)
        if hit is not None:
            return hit
        scenario = self.scenario_of(view)
        models = self._models(scenario)
        index = np.flatnonzero(self.ground["cell"].values.astype(str) == str(cell))
        if index.size == 0:
            raise ScenarioError(f"explorer: cell {cell} is not in the region's grid")
        one = self.ground.isel(cell=index)
        engine = dataclasses.replace(scenario.engine, series_cells=(str(cell),))
        with self._run_lock:  # one engine run at a time, this one included
            fom = run_coverage(
                dataclasses.replace(scenario, engine=engine, text=scenario.text),
                grid=one,
                systems=models,
                workers=1,
            )
        self.stats.series_runs += 1
        series = _visible_series(fom)
        self.series_cache.put(key, series)
        return series

    def close(self) -> None:
        """Stop the engine pool this model started."""
        if self._own_pool and self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)


def _visible_series(fom: xr.Dataset) -> xr.Dataset:
    """The engine's visible-satellite series as ``n_visible`` (time, system, cell), int16."""
    da = fom["series_n_visible"]
    cells = fom["series_cell"].values.astype(str) if "series_cell" in fom.coords else None
    da = da.rename({"series_cell": "cell"}).astype(np.int16)
    if cells is not None:
        da = da.assign_coords(cell=cells)
    da.attrs = dict(fom["series_n_visible"].attrs)
    return xr.Dataset({"n_visible": da})


def _kbps_shown(spec: PlanningSpec) -> float:
    """The scenario's busy-hour demand per person as the slider shows it [kbit/s]."""
    return round(1000.0 * spec.demand.mbps_per_person, 1)


def _plain(value):
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


__all__ = ["EXPLORE_MAX_RESOLUTION", "ExploreModel", "Outcome", "Stats"]
