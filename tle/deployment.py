"""Build-out by date: a constellation's stages enter service on dates, and a window at date D
sees what is in orbit at D.

A :class:`Stage` puts some planes of one Walker shell into service on ``in_service_utc``;
a :class:`DeploymentPlan` is a dated list of stages. ``plan.at(D)`` is the constellation in
service at ``D``: every plane whose stage date is on or before ``D``. Each shell of a plan
keeps one block of generated catalogue numbers
(:func:`~hybridplan.tle.walker.allocate_first_ids`), so a satellite has the same id at
every date and no two satellites of a plan share one.

Windows and stages. Two stages differ by the planes of one of them. A cell sees a plane's
ground tracks only when the Earth has turned under the plane, which takes one *nodal day*
of that shell, ``2 pi / (omega_E - dOmega/dt)`` (Earth rotation rate minus the J2 node
drift; 23.6 h for a 53 deg shell at 550 km, 23.93 h for a polar one), and every slot of
a plane passes a point of its track once per orbital period. A window shorter than
``max(nodal day, orbital period)`` of the planes that differ between the stage in service
at its start and its neighbours can show the same coverage for both stages at one cell and
a different one elsewhere or a day later: :meth:`DeploymentPlan.check_window` warns
(:class:`StageWindowWarning`). It also warns when a stage enters service inside the window,
since the window uses the constellation in service at its start throughout.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from .constellation import Constellation
from .errors import ElementSetError
from .timegrid import require_utc
from .walker import WalkerShell, allocate_first_ids, walker_element_sets

EARTH_ROTATION_RAD_PER_S = 7.2921158553e-5  # IERS, sidereal


class DeploymentError(ElementSetError):
    """A deployment plan or stage table that cannot be honoured."""


class StageWindowWarning(UserWarning):
    """An analysis window too short to tell two stages apart, or one a stage enters."""


@dataclass(frozen=True)
class Stage:
    """Planes of one Walker shell that enter service together.

    Attributes
    ----------
    name : str
        Free text (``"group 01 (86.5 deg)"``).
    shell : WalkerShell
        The shell the planes belong to (the whole shell's geometry, not just these planes).
    in_service_utc : datetime
        From this instant on the planes are in orbit and in service (UTC, aware).
    planes : tuple of int, optional
        1-based plane numbers of ``shell`` (plane ``k`` has RAAN ``raan0 + (k - 1) *
        spread / P``); ``None`` means every plane.
    launch_utc : datetime, optional
        For the record (orbit raising makes service later than launch).
    source : str
        Where the date and planes come from.
    approximate : bool
        True for press figures, targets and our own assumptions.
    """

    name: str
    shell: WalkerShell
    in_service_utc: datetime
    planes: tuple[int, ...] | None = None
    launch_utc: datetime | None = None
    source: str = ""
    approximate: bool = False

    def __post_init__(self) -> None:
        where = f"stage {self.name!r}"
        if not isinstance(self.shell, WalkerShell):
            raise DeploymentError(f"{where}: shell = {self.shell!r}; expected a WalkerShell")
        object.__setattr__(
            self, "in_service_utc", require_utc(self.in_service_utc, f"{where}: in_service_utc")
        )
        if self.launch_utc is not None:
            launch = require_utc(self.launch_utc, f"{where}: launch_utc")
            object.__setattr__(self, "launch_utc", launch)
            if launch > self.in_service_utc:
                raise DeploymentError(
                    f"{where}: launch_utc {launch:%Y-%m-%d} is after in_service_utc "
                    f"{self.in_service_utc:%Y-%m-%d}; a stage enters service after launch"
                )
        if self.planes is not None:
            planes = tuple(self.planes)
            bad = [
                p
                for p in planes
                if not (
                    isinstance(p, numbers.Integral)
                    and not isinstance(p, bool)
                    and 1 <= p <= self.shell.planes
                )
            ]
            if not planes or bad or len(set(planes)) != len(planes):
                raise DeploymentError(
                    f"{where}: planes = {list(planes)}; expected distinct plane numbers "
                    f"1..{self.shell.planes} of shell {self.shell.name!r}"
                    + (f" (found {bad[0]!r})" if bad else "")
                )
            object.__setattr__(self, "planes", tuple(sorted(int(p) for p in planes)))

    @property
    def plane_numbers(self) -> tuple[int, ...]:
        """The 1-based planes this stage puts into service."""
        return self.planes if self.planes is not None else tuple(range(1, self.shell.planes + 1))

    @property
    def n_satellites(self) -> int:
        return len(self.plane_numbers) * self.shell.sats_per_plane


@dataclass(frozen=True)
class DeploymentPlan:
    """Dated stages of one system; :meth:`at` gives the constellation in service at a date.

    Stages are kept in order of ``in_service_utc``. Every plane of a shell enters service
    once; shells are told apart by name, and one name means one geometry.
    """

    name: str
    stages: tuple[Stage, ...]
    source: str = ""
    approximate: bool = False
    _first_ids: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        stages = tuple(sorted(self.stages, key=lambda s: s.in_service_utc))
        if not stages:
            raise DeploymentError(
                f"deployment plan {self.name!r} has no stages; add at least one [[stages]] entry"
            )
        names = [s.name for s in stages]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise DeploymentError(
                f"deployment plan {self.name!r}: stage name {repeated[0]!r} "
                "is used twice; give every stage its own name"
            )
        shells: dict[str, WalkerShell] = {}
        owner: dict[tuple[str, int], str] = {}
        for stage in stages:
            known = shells.setdefault(stage.shell.name, stage.shell)
            if known != stage.shell:
                raise DeploymentError(
                    f"deployment plan {self.name!r}: shell {stage.shell.name!r} has two "
                    f"geometries ({known.notation()} and {stage.shell.notation()}); one "
                    "name, one shell"
                )
            for plane in stage.plane_numbers:
                earlier = owner.setdefault((stage.shell.name, plane), stage.name)
                if earlier != stage.name:
                    raise DeploymentError(
                        f"deployment plan {self.name!r}: plane {plane} of shell "
                        f"{stage.shell.name!r} enters service in stage {earlier!r} and again "
                        f"in stage {stage.name!r}; list each plane in one stage"
                    )
        object.__setattr__(self, "stages", stages)
        firsts = allocate_first_ids(list(shells.values()))
        object.__setattr__(self, "_first_ids", dict(zip(shells, firsts, strict=True)))

    @property
    def shells(self) -> tuple[WalkerShell, ...]:
        """The distinct shells, in order of their first stage."""
        seen: dict[str, WalkerShell] = {}
        for stage in self.stages:
            seen.setdefault(stage.shell.name, stage.shell)
        return tuple(seen.values())

    def first_norad_id(self, shell_name: str) -> int:
        """First catalogue number of a shell of this plan (fixed for every date)."""
        return self._first_ids[shell_name]

    def stages_at(self, date_utc: datetime) -> tuple[Stage, ...]:
        """Stages in service at ``date_utc`` (``in_service_utc <= date``)."""
        date = require_utc(date_utc, "date_utc")
        return tuple(s for s in self.stages if s.in_service_utc <= date)

    def at(self, date_utc: datetime, epoch_utc: datetime | None = None) -> Constellation:
        """The satellites in service at ``date_utc``, as one constellation.

        Parameters
        ----------
        date_utc : datetime
            The date whose stages count (UTC, aware).
        epoch_utc : datetime, optional
            Epoch of the generated element sets; default ``date_utc`` (use the analysis
            window's start).

        Returns
        -------
        Constellation
            Labelled with the plan's name; empty (``len == 0``) before the first stage.
        """
        date = require_utc(date_utc, "date_utc")
        epoch = require_utc(epoch_utc, "epoch_utc") if epoch_utc is not None else date
        in_service: dict[str, set[int]] = {}
        for stage in self.stages_at(date):
            in_service.setdefault(stage.shell.name, set()).update(stage.plane_numbers)
        sets = []
        for shell in self.shells:
            planes = in_service.get(shell.name)
            if not planes:
                continue
            every = walker_element_sets(shell, epoch, self._first_ids[shell.name])
            per_plane = shell.sats_per_plane
            sets += [e for i, e in enumerate(every) if i // per_plane + 1 in planes]
        return Constellation.from_element_sets(sets, self.name)

    def full(self, epoch_utc: datetime) -> Constellation:
        """Every stage in service (the plan's final state)."""
        return self.at(max(self.stages[-1].in_service_utc, require_utc(epoch_utc)), epoch_utc)

    # ------------------------------------------------------------ windows
    def minimum_window_s(self, date_utc: datetime) -> float:
        """Shortest window that separates the stage in service at ``date_utc`` from its
        neighbours [s]: ``max(nodal day, orbital period)`` over the shells of the last stage
        in service and the next one (see the module docstring)."""
        date = require_utc(date_utc, "date_utc")
        before = [s for s in self.stages if s.in_service_utc <= date]
        after = [s for s in self.stages if s.in_service_utc > date]
        neighbours = before[-1:] + after[:1]
        return max(shell_separation_time_s(s.shell) for s in neighbours)

    def check_window(self, start_utc: datetime, duration_s: float) -> list[str]:
        """Warn (:class:`StageWindowWarning`) about a window that cannot separate stages.

        Returns the warning texts (empty when the window is long enough and no stage
        enters service inside it).
        """
        start = require_utc(start_utc, "start_utc")
        texts = []
        needed = self.minimum_window_s(start)
        if duration_s < needed:
            texts.append(
                f"deployment {self.name!r}: a window of {duration_s / 3600:.2f} h at "
                f"{start:%Y-%m-%dT%H:%MZ} is shorter than {needed / 3600:.2f} h, the nodal day "
                "of the planes that differ between neighbouring stages; coverage of those "
                f"stages can differ only over longer windows: use at least {needed / 3600:.1f} h"
            )
        end = start + timedelta(seconds=float(duration_s))
        for stage in self.stages:
            if start < stage.in_service_utc < end:
                texts.append(
                    f"deployment {self.name!r}: stage {stage.name!r} enters service at "
                    f"{stage.in_service_utc:%Y-%m-%dT%H:%MZ}, inside the window "
                    f"{start:%Y-%m-%dT%H:%MZ}..{end:%Y-%m-%dT%H:%MZ}, which uses the stages "
                    "in service at its start throughout; split the window at that date"
                )
        for text in texts:
            warnings.warn(StageWindowWarning(text), stacklevel=2)
        return texts

    def describe(self) -> list[str]:
        """One line per stage: date, name, planes, satellites, shell."""
        lines = []
        for s in self.stages:
            flag = " (approximate)" if s.approximate else ""
            lines.append(
                f"{s.in_service_utc:%Y-%m-%d}  {s.name}: planes {_ranges(s.plane_numbers)}"
                f" of {s.shell.name} ({s.n_satellites} satellites){flag}"
            )
        return lines


def shell_separation_time_s(shell: WalkerShell, epoch_utc: datetime | None = None) -> float:
    """``max(nodal day, orbital period)`` of a shell [s].

    Nodal day: ``2 pi / (omega_E - dOmega/dt)``, with the node rate SGP4 derives for the
    shell's orbit (J2 secular precession, ``nodedot``); orbital period from its mean motion.
    """
    probe = WalkerShell(shell.name, shell.altitude_km, shell.inclination_deg, 1, 1, 0)
    epoch = (
        epoch_utc if epoch_utc is not None else datetime.fromisoformat("2026-01-01T00:00:00+00:00")
    )
    satrec = walker_element_sets(probe, epoch, 0)[0].to_satrec()
    node_rate_rad_per_s = satrec.nodedot / 60.0
    nodal_day_s = 2.0 * math.pi / (EARTH_ROTATION_RAD_PER_S - node_rate_rad_per_s)
    period_s = 2.0 * math.pi / satrec.no_kozai * 60.0
    return float(max(nodal_day_s, period_s))


def _ranges(numbers: Iterable[int]) -> str:
    values = sorted(numbers)
    parts, start = [], None
    for i, v in enumerate(values):
        if start is None:
            start = v
        if i + 1 == len(values) or values[i + 1] != v + 1:
            parts.append(str(start) if start == v else f"{start}-{v}")
            start = None
    return ", ".join(parts)


def stage_counts(plan: DeploymentPlan, dates_utc: Iterable[datetime]) -> np.ndarray:
    """Satellites in service at each date (for build-out curves), shape ``(n_dates,)``."""
    return np.array([sum(s.n_satellites for s in plan.stages_at(d)) for d in dates_utc])
