"""Constellation: an immutable set of satellites with their element sets and derived orbits."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sgp4.api import SatrecArray

from .elements import ElementSet
from .errors import DuplicateSatellitesWarning, ElementSetError, ParseReport, RecordProblem
from .omm import record_from_fields
from .reader import Format, parse_text, read_element_sets
from .timegrid import require_utc

if TYPE_CHECKING:
    from .walker import WalkerShell

_RAD = 180.0 / np.pi
_MIN_PER_DAY = 1440.0


EARTH_EQUATORIAL_RADIUS_KM = 6378.137  # WGS84


def orbit_mean_radius_km(satrec) -> float:
    """Time-averaged geocentric distance of an SGP4 orbit [km].

    The SGP4 mean semi-major axis ``a`` averaged over the mean anomaly gives
    ``a (1 + e^2 / 2)``; SGP4's short-period J2 term then scales the radius by
    ``1 - 1.5 k2 sqrt(1 - e^2) (3 cos^2 i - 1) / p^2`` with ``k2 = J2 / 2`` and
    ``p = a (1 - e^2)`` in Earth radii (Hoots & Roehrich 1980, Spacetrack Report #3,
    eq. for ``rk``). For a circular 570 km orbit at 70 deg that term is +3.1 km.
    """
    a, e = satrec.a, satrec.ecco
    p = a * (1.0 - e * e)
    con41 = 3.0 * np.cos(satrec.inclo) ** 2 - 1.0
    short_period = 1.0 - 0.75 * satrec.j2 * np.sqrt(1.0 - e * e) * con41 / (p * p)
    return float(a * (1.0 + 0.5 * e * e) * short_period * satrec.radiusearthkm)


def _jd_to_datetime64(jd: np.ndarray) -> np.ndarray:
    return np.datetime64("1970-01-01T00:00:00", "us") + np.round((jd - 2440587.5) * 86400e6).astype(
        "timedelta64[us]"
    )


@dataclass(frozen=True, eq=False)
class Constellation:
    """Satellites with their element sets, derived mean orbits and a batch propagator.

    Build it with an alternate constructor (:meth:`from_path`, :meth:`from_tle_lines`,
    :meth:`from_omm`, :meth:`from_walker`); every array attribute has shape ``(n_sat,)``
    and is read-only.

    Attributes
    ----------
    label : str
        Short name used in reports (``"starlink"``).
    element_sets : tuple of ElementSet
        What each satellite was built from (ships to worker processes).
    report : ParseReport
        What the reader kept, dropped and de-duplicated.
    names, norad_ids : numpy.ndarray
        Object names (str) and NORAD catalogue numbers (int64).
    epochs_jd_utc : numpy.ndarray
        Element-set epochs as UTC Julian dates.
    inclination_deg, raan_deg, eccentricity, mean_motion_rev_per_day : numpy.ndarray
        Mean elements at epoch.
    raan_rate_deg_per_day : numpy.ndarray
        Secular drift of the ascending node (J2 precession, SGP4's ``nodedot``).
    mean_altitude_km : numpy.ndarray
        Orbit-averaged geocentric distance of the SGP4 trajectory minus the WGS84
        equatorial radius [km] (see :func:`orbit_mean_radius_km`).
    perigee_altitude_km, apogee_altitude_km : numpy.ndarray
        From the SGP4 mean semi-major axis and eccentricity, same reference radius [km].
    """

    label: str
    element_sets: tuple[ElementSet, ...]
    report: ParseReport = field(default_factory=lambda: ParseReport(""))

    def __post_init__(self) -> None:
        satrecs = tuple(e.to_satrec() for e in self.element_sets)
        derived = {
            "names": np.array([e.name for e in self.element_sets], dtype=object),
            "norad_ids": np.array([e.norad_id for e in self.element_sets], dtype=np.int64),
            "epochs_jd_utc": np.array([s.jdsatepoch + s.jdsatepochF for s in satrecs]),
            "inclination_deg": np.array([s.inclo for s in satrecs]) * _RAD,
            "raan_deg": np.array([s.nodeo for s in satrecs]) * _RAD % 360.0,
            "eccentricity": np.array([s.ecco for s in satrecs]),
            "mean_motion_rev_per_day": np.array([s.no_kozai for s in satrecs])
            * _MIN_PER_DAY
            / (2 * np.pi),
            "mean_altitude_km": np.array([orbit_mean_radius_km(s) for s in satrecs])
            - EARTH_EQUATORIAL_RADIUS_KM,
            "perigee_altitude_km": np.array([s.a * (1 - s.ecco) * s.radiusearthkm for s in satrecs])
            - EARTH_EQUATORIAL_RADIUS_KM,
            "apogee_altitude_km": np.array([s.a * (1 + s.ecco) * s.radiusearthkm for s in satrecs])
            - EARTH_EQUATORIAL_RADIUS_KM,
            "arg_perigee_deg": np.array([s.argpo for s in satrecs]) * _RAD,
            "mean_anomaly_deg": np.array([s.mo for s in satrecs]) * _RAD,
            "raan_rate_deg_per_day": np.array([s.nodedot for s in satrecs]) * _RAD * _MIN_PER_DAY,
        }
        self._set_derived(derived, satrecs)

    def _set_derived(self, derived: dict[str, np.ndarray], satrecs: tuple) -> None:
        for name, values in derived.items():
            values.setflags(write=False)
            object.__setattr__(self, name, values)
        self.__dict__["satrecs"] = satrecs

    # ---------------------------------------------------------------- constructors
    @classmethod
    def from_element_sets(
        cls, element_sets: Iterable[ElementSet], label: str, report: ParseReport | None = None
    ) -> Constellation:
        """Core constructor: de-duplicates NORAD ids, keeping the newest epoch."""
        element_sets = list(element_sets)
        report = report if report is not None else ParseReport(label, len(element_sets))
        newest: dict[int, int] = {}
        epochs = [e.epoch_jd_utc for e in element_sets]
        duplicates = []
        for i, e in enumerate(element_sets):
            j = newest.get(e.norad_id)
            if j is None:
                newest[e.norad_id] = i
                continue
            keep, drop = (i, j) if epochs[i] > epochs[j] else (j, i)
            newest[e.norad_id] = keep
            d = element_sets[drop]
            what = (
                "an identical copy; kept one"
                if d.same_orbit(element_sets[keep])
                else "kept the newer epoch"
            )
            duplicates.append(
                f"{d.source}:{d.line_number}: NORAD {e.norad_id} "
                f"({d.name or 'unnamed'}) repeats, {what}"
            )
        kept = tuple(element_sets[i] for i in sorted(newest.values()))
        report = ParseReport(
            report.source,
            len(kept),
            report.problems,
            report.duplicates + duplicates,
            report.renumbered,
        )
        return cls(label, kept, report)

    @classmethod
    def from_tle_lines(
        cls, lines: Iterable[str], source: str = "<lines>", label: str = "tle"
    ) -> Constellation:
        """From TLE text lines (two- or three-line), e.g. a list in a test."""
        element_sets, problems = parse_text("\n".join(lines), source, "tle")
        return cls.from_element_sets(
            element_sets, label, ParseReport(source, len(element_sets), problems)
        )

    @classmethod
    def from_omm(
        cls, records: str | Path | Sequence[Mapping[str, object]], label: str | None = None
    ) -> Constellation:
        """From an OMM file (JSON/CSV/XML) or a list of OMM field dicts."""
        if isinstance(records, (str, Path)):
            return cls.from_path(records, label=label)
        element_sets, problems = [], []
        for number, fields in enumerate(records, 1):
            try:
                element_sets.append(
                    ElementSet.from_omm_record(record_from_fields(fields, "<omm>", number))
                )
            except ValueError as exc:
                problems.append(RecordProblem("<omm>", number, "omm-field", f"OMM record: {exc}"))
        return cls.from_element_sets(
            element_sets, label or "omm", ParseReport("<omm>", len(element_sets), problems)
        )

    @classmethod
    def from_path(
        cls, path: str | Path, fmt: Format = "auto", label: str | None = None
    ) -> Constellation:
        """From a TLE or OMM file (format detected, ``.gz`` read transparently)."""
        element_sets, report = read_element_sets(path, fmt)
        return cls.from_element_sets(element_sets, label or _label_from_path(Path(path)), report)

    @classmethod
    def from_walker(
        cls, shell: WalkerShell, epoch_utc: datetime, first_norad_id: int | None = None
    ) -> Constellation:
        """A generated Walker delta/star shell (see :mod:`hybridplan.tle.walker`).

        Catalogue numbers start at ``first_norad_id``, by default the shell's own block
        of the Alpha-5 range 240000..339999 (:func:`~hybridplan.tle.walker.preferred_first_id`).
        """
        from .walker import walker_element_sets

        sets = walker_element_sets(shell, epoch_utc, first_norad_id)
        return cls.from_element_sets(sets, shell.name)

    # ---------------------------------------------------------------- views
    def __len__(self) -> int:
        return len(self.element_sets)

    def __getitem__(self, selection) -> Constellation:
        """A sub-constellation from a boolean mask, index array or slice.

        Its Satrec objects and derived arrays are this one's rows (no element set is
        initialised again: the same values as building the subset from its element sets).
        """
        index = np.atleast_1d(np.arange(len(self))[selection])
        sets = tuple(self.element_sets[i] for i in index)
        subset = object.__new__(Constellation)
        for name, value in (
            ("label", self.label),
            ("element_sets", sets),
            ("report", ParseReport(self.report.source, len(sets))),
        ):
            object.__setattr__(subset, name, value)
        satrecs = self.satrecs
        subset._set_derived(
            {name: values[index] for name, values in self._derived().items()},
            tuple(satrecs[i] for i in index),
        )
        return subset

    def _derived(self) -> dict[str, np.ndarray]:
        """The per-satellite arrays :meth:`__post_init__` derives (the array attributes)."""
        return {k: v for k, v in vars(self).items() if isinstance(v, np.ndarray)}

    @property
    def epochs_utc(self) -> np.ndarray:
        """Epochs as ``datetime64[us]`` (UTC)."""
        return _jd_to_datetime64(self.epochs_jd_utc)

    def select(
        self,
        name: str | None = None,
        altitude_km: tuple[float, float] | None = None,
        inclination_deg: tuple[float, float] | None = None,
        max_epoch_age_days: float | None = None,
        at_utc: datetime | None = None,
    ) -> Constellation:
        """Satellites that pass every given filter.

        Parameters
        ----------
        name : str, optional
            Regular expression searched in the name, case-insensitive (``"DIGUI"``).
        altitude_km : (low, high), optional
            Mean altitude band [km], inclusive; e.g. ``(500, 600)`` drops satellites
            still raising their orbit.
        inclination_deg : (low, high), optional
            Inclination band [deg], inclusive.
        max_epoch_age_days : float, optional
            Keep sets whose epoch is within this many days of ``at_utc`` (required then).
        """
        keep = np.ones(len(self), dtype=bool)
        if name is not None:
            try:
                pattern = re.compile(name, re.IGNORECASE)
            except re.error as exc:
                raise ElementSetError(
                    f"name filter {name!r} is not a valid regular expression ({exc})"
                ) from None
            keep &= np.array([bool(pattern.search(n)) for n in self.names], dtype=bool)
        for band, values, what in (
            (altitude_km, self.mean_altitude_km, "altitude_km"),
            (inclination_deg, self.inclination_deg, "inclination_deg"),
        ):
            if band is not None:
                low, high = _band(band, what)
                keep &= (values >= low) & (values <= high)
        if max_epoch_age_days is not None:
            if at_utc is None:
                raise ElementSetError(
                    "max_epoch_age_days needs at_utc, the time the age is "
                    "measured from (for example the analysis start)"
                )
            at = require_utc(at_utc, "at_utc")
            at_jd = at.timestamp() / 86400.0 + 2440587.5
            keep &= np.abs(self.epochs_jd_utc - at_jd) <= max_epoch_age_days
        return self[keep]

    def union(self, *others: Constellation, label: str | None = None) -> Constellation:
        """All satellites of ``self`` and ``others``.

        Nothing is dropped silently:

        * generated satellites (Walker shells) whose catalogue numbers collide with a
          different orbit already in the union are moved, shell by shell, to the next free
          block of the generated range (listed in ``report.renumbered``); nothing is lost;
        * the same NORAD id twice from data keeps one element set: an identical copy, or
          the newer epoch of the same satellite. Each drop is listed in
          ``report.duplicates`` and a :class:`DuplicateSatellitesWarning` counts them by
          reason.
        """
        label = label or "+".join([self.label] + [o.label for o in others])
        merged = list(self.element_sets)
        report = self.report
        renumbered: list[str] = []
        for other in others:
            merged, incoming = _separate_generated(
                merged, list(other.element_sets), other.label, renumbered
            )
            merged.extend(incoming)
            report = report.merge(other.report)
        report = ParseReport(
            report.source,
            report.n_records,
            report.problems,
            report.duplicates,
            report.renumbered + renumbered,
        )
        n_before = len(report.duplicates)
        result = Constellation.from_element_sets(merged, label, report)
        new = result.report.duplicates[n_before:]
        if new:
            warnings.warn(
                DuplicateSatellitesWarning(
                    f"union {label!r}: dropped {len(new)} of {len(merged)} element sets that "
                    f"repeat a NORAD id ({_why_dropped(merged)}); the list is in "
                    ".report.duplicates"
                ),
                stacklevel=2,
            )
        return result

    __or__ = union

    def to_tle_lines(self) -> list[str]:
        """Three-line element sets (name, line 1, line 2) for every satellite."""
        out: list[str] = []
        for e in self.element_sets:
            line1, line2 = e.to_tle_lines()
            out += [e.name or str(e.norad_id), line1, line2]
        return out

    def __repr__(self) -> str:
        if not len(self):
            return f"Constellation({self.label!r}, 0 satellites)"
        epochs = self.epochs_utc
        return (
            f"Constellation({self.label!r}, {len(self)} satellites, epochs "
            f"{str(epochs.min())[:16]} .. {str(epochs.max())[:16]} UTC, mean altitude "
            f"{self.mean_altitude_km.min():.0f}-{self.mean_altitude_km.max():.0f} km, "
            f"inclination {self.inclination_deg.min():.1f}-"
            f"{self.inclination_deg.max():.1f} deg)"
        )

    # ---------------------------------------------------------------- propagation
    @cached_property
    def satrecs(self) -> tuple:  # set in __post_init__; rebuilt after pickle
        """One initialised ``Satrec`` per satellite (built once per constellation in this
        process and shared by its subsets and the coverage engine; SGP4 results do not
        depend on what a Satrec propagated before)."""
        return tuple(e.to_satrec() for e in self.element_sets)

    @cached_property
    def satrec_array(self) -> SatrecArray | None:
        """The satellites as one ``sgp4`` ``SatrecArray`` (built on first use)."""
        return SatrecArray(list(self.satrecs)) if self.satrecs else None

    def __getstate__(self):
        state = dict(self.__dict__)
        for name in ("satrecs", "satrec_array"):
            state.pop(name, None)  # Satrec objects do not pickle reliably
        return state

    def __setstate__(self, state) -> None:
        self.__dict__.update(state)
        for values in self._derived().values():
            values.setflags(write=False)  # unpickled arrays come back writeable


def _why_dropped(sets: list[ElementSet]) -> str:
    """Counts of repeated NORAD ids by kind: identical, older epoch, another name."""
    first: dict[int, ElementSet] = {}
    identical = older = renamed = 0
    for e in sets:
        if e.norad_id not in first:
            first[e.norad_id] = e
            continue
        seen = first[e.norad_id]
        if seen.same_orbit(e):
            identical += 1
        elif seen.name.strip() == e.name.strip():
            older += 1
        else:
            renamed += 1
    text = f"{identical} identical copies, {older} older epochs of the same satellite"
    if renamed:
        text += f", {renamed} under another name (different objects with one id? check the sources)"
    return text


def _generated_groups(sets: list[ElementSet]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = {}
    for i, e in enumerate(sets):
        if e.generated:
            groups.setdefault(e.source, []).append(i)
    return groups


def _renumber_group(
    sets: list[ElementSet], members: list[int], taken: set[int], why: str, notes: list[str]
) -> None:
    """Move the generated satellites ``sets[members]`` to a free run of ids, in place."""
    from .walker import free_id_run

    old = [sets[i].norad_id for i in members]
    first = free_id_run(len(members), min(old), taken)
    order = sorted(members, key=lambda i: sets[i].norad_id)
    for k, i in enumerate(order):
        sets[i] = sets[i].renumbered(first + k)
    taken.update(range(first, first + len(members)))
    notes.append(
        f"{sets[members[0]].source}: NORAD {min(old)}..{max(old)} -> {first}.."
        f"{first + len(members) - 1} ({why})"
    )


def _separate_generated(
    merged: list[ElementSet], incoming: list[ElementSet], incoming_label: str, notes: list[str]
) -> tuple[list[ElementSet], list[ElementSet]]:
    """Renumber generated shells whose ids collide with a different orbit."""
    merged, incoming = list(merged), list(incoming)
    by_id = {e.norad_id: e for e in merged}
    taken = set(by_id) | {e.norad_id for e in incoming}
    for members in _generated_groups(incoming).values():
        if any(
            incoming[i].norad_id in by_id
            and not by_id[incoming[i].norad_id].same_orbit(incoming[i])
            for i in members
        ):
            _renumber_group(
                incoming,
                members,
                taken,
                f"its ids were taken when adding {incoming_label!r}",
                notes,
            )
    incoming_ids = {e.norad_id: e for e in incoming}
    for members in _generated_groups(merged).values():
        if any(
            merged[i].norad_id in incoming_ids
            and not incoming_ids[merged[i].norad_id].same_orbit(merged[i])
            and not incoming_ids[merged[i].norad_id].generated
            for i in members
        ):
            _renumber_group(
                merged, members, taken, f"{incoming_label!r} uses the same catalogue numbers", notes
            )
    return merged, incoming


def _band(band, what: str) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in band)
    except (TypeError, ValueError):
        raise ElementSetError(f"{what} must be a (low, high) pair, found {band!r}") from None
    if low > high:
        raise ElementSetError(f"{what} band ({low}, {high}) has low > high; swap them")
    return low, high


def _label_from_path(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".tle", ".txt", ".json", ".csv", ".xml", ".3le"):
        name = name.removesuffix(suffix)
    return name
