"""From a scenario's ``[[systems]]`` to the engine's :class:`SystemModel` objects.

Sources: bundled snapshots, user TLE/OMM files, Walker presets and Walker shells (the
generated ones take the window start as their epoch). Then the filter, then the age
policy: element sets more than ``[window] max_epoch_age_days`` from the window are
refused (SGP4 errors grow by ~1-3 km per day) unless ``allow_stale_elements = true``;
more than 3 days give a :class:`hybridplan.tle.StaleElementsWarning`.
"""

from __future__ import annotations

import numpy as np
from hybridplan.tle import (
    Constellation,
    WalkerShell,
    epoch_age_days,
    load_constellation,
    preset_constellation,
    warn_if_stale,
)
from hybridplan.tle.errors import ElementSetError

from .engine import SystemModel
from .errors import ScenarioError, StaleElementSetsError
from .scenario import Scenario, SystemSpec


def _where(scenario: Scenario, spec: SystemSpec) -> str:
    return f"{scenario.source}: [systems.{spec.name}]"


def load_system_constellation(spec: SystemSpec, scenario: Scenario) -> Constellation:
    """The satellites of one system, filtered (errors name the scenario key)."""
    where = _where(scenario, spec)
    start = scenario.window.start
    try:
        if spec.source:
            source = spec.source
            if not source.startswith("bundled:"):
                source = str(scenario.resolve_path(source))
            constellation = load_constellation(source)
        elif spec.preset:
            constellation = preset_constellation(spec.preset, start)
        else:
            w = spec.walker
            shell = WalkerShell(spec.name, w.altitude_km, w.inclination_deg, w.planes,
                                w.sats_per_plane, w.phasing, w.pattern, w.raan_spread_deg,
                                w.raan0_deg, source="scenario walker table")
            constellation = Constellation.from_walker(shell, start)
        if spec.filter is not None:
            f = spec.filter
            constellation = constellation.select(
                name=f.name, altitude_km=f.altitude_km, inclination_deg=f.inclination_deg,
                max_epoch_age_days=f.max_epoch_age_days,
                at_utc=start if f.max_epoch_age_days is not None else None)
    except ElementSetError as exc:
        raise ScenarioError(f"{where} {exc}") from None
    if len(constellation) == 0:
        origin = spec.source or spec.preset or "walker"
        raise ScenarioError(f"{where} no satellites left from {origin} after the filter; "
                            "widen the filter")
    return constellation


def check_epochs(spec: SystemSpec, constellation: Constellation, scenario: Scenario) -> None:
    """Refuse element sets too far from the window; warn beyond 3 days."""
    window = scenario.window
    grid = window.time_grid()
    age = epoch_age_days(constellation.epochs_jd_utc, grid)
    if age.max() > window.max_epoch_age_days and not window.allow_stale_elements:
        epochs = constellation.epochs_utc
        raise StaleElementSetsError(
            f"{_where(scenario, spec)} the window {window.start:%Y-%m-%dT%H:%MZ}.."
            f"{window.end:%Y-%m-%dT%H:%MZ} is up to {age.max():.1f} days from the element-set "
            f"epochs ({str(epochs.min())[:10]}..{str(epochs.max())[:10]}), more than "
            f"max_epoch_age_days = {window.max_epoch_age_days:g}; SGP4 errors grow by about "
            "1-3 km per day, so the coverage would be fiction. Move [window] start next to "
            "the epochs, use fresher element sets, or set [window] allow_stale_elements = true")
    warn_if_stale(f"[systems.{spec.name}]", constellation.epochs_jd_utc, grid)


def resolve_systems(scenario: Scenario) -> list[SystemModel]:
    """Every system of the scenario, loaded, filtered and checked."""
    models = []
    for spec in scenario.systems:
        constellation = load_system_constellation(spec, scenario)
        check_epochs(spec, constellation, scenario)
        models.append(SystemModel(spec.name, constellation, spec.min_elevation_deg,
                                  spec.n_required, spec.gso_exclusion_deg, spec.licensed))
    return models


def epoch_range(constellation: Constellation) -> tuple[np.datetime64, np.datetime64]:
    epochs = constellation.epochs_utc
    return epochs.min(), epochs.max()
