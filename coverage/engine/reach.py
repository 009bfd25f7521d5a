"""Which satellites can be in reach of the region when: exact pruning in time and space.

Propagating every satellite at every step costs more than the whole coverage budget
(12k satellites x 1440 steps ~ 13 s on one core), and almost all of those positions are
on the far side of the Earth. So each chunk of steps is handled in two passes:

1. **coarse**: satellites are propagated at every ``coarse_every``-th step, but only
   those that may come within reach before the next coarse sample: a satellite seen at
   angle ``a`` from the region cannot be in reach for ``(a - reach) / omega`` seconds, so
   one far away skips samples until then;
2. **fine**: between two coarse samples ``k`` and ``k+1`` a satellite is propagated at
   the steps in between only if it *can* come within reach during that interval.

"Within reach" is a cone test on geocentric directions: a satellite at geocentric
distance ``r_s`` can be seen at geodetic elevation ``>= el_min`` from some cell only if the
angle between its direction and the region's cap centre is at most::

    reach = cap_radius + arccos(r_min cos(eps) / r_s_max) - eps,  eps = el_min - 0.00336 rad

(``cap_radius``: largest angle between the cap centre and a cell; ``r_min``: smallest
geocentric distance of a cell; ``r_s_max``: a bound on the satellite's distance; 0.00336
rad bounds the angle between the geodetic vertical and the geocentric radius on WGS84).
The satellite's direction turns at most ``omega`` rad/s in the Earth-fixed frame, where
``omega`` bounds the orbital angular rate ``h / r^2`` at a perigee lowered by 100 km, plus
5 %, plus the Earth's rotation. With angles ``a_k``, ``a_k+1`` at the two samples, the
smallest angle inside the interval is at least ``(a_k + a_k+1 - omega dt) / 2``; the
interval is refined only if that can be ``<= reach``. Samples that fail (SGP4 error) make
both neighbouring intervals refined. The tests compare against propagating everything.

Failures are counted where a satellite is propagated; a satellite that fails is sampled
at every coarse sample from then on and refined around it, so a decay is counted from the
step it happens (a transient failure inside an interval never refined is not seen).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from hybridplan.tle import EARTH_EQUATORIAL_RADIUS_KM, Constellation
from hybridplan.tle.elements import ElementSet
from hybridplan.tle.propagate import SatellitePropagator

from .geometry import (
    EARTH_ROTATION_RAD_S,
    MAX_GEODETIC_VERTICAL_DEFLECTION_RAD,
    footprint_central_angle_rad,
)

_MU_WGS72_KM3_S2 = 398600.8
_RADIUS_MARGIN = 1.005
_RADIUS_MARGIN_KM = 30.0
_PERIGEE_DROP_KM = 100.0
_RATE_MARGIN = 1.05
_ANGLE_EPS_RAD = 1e-6


@dataclass(frozen=True, eq=False)
class SatelliteTable:
    """All satellites of all systems, in system order, with their reach bounds.

    Attributes
    ----------
    element_sets : tuple of ElementSet
        What each satellite is rebuilt from in the process that propagates it.
    system_index : numpy.ndarray
        ``(n_sat,)`` int64: index of the satellite's system.
    reach_rad : numpy.ndarray
        ``(n_sat,)``: largest angle [rad] between the satellite's geocentric direction and
        the region's cap centre at which it may be visible from some cell.
    omega_rad_s : numpy.ndarray
        ``(n_sat,)``: bound on how fast its Earth-fixed direction turns [rad/s].
    cap_centre : numpy.ndarray
        ``(3,)`` unit vector of the region's cap centre.
    """

    element_sets: tuple[ElementSet, ...]
    system_index: np.ndarray
    reach_rad: np.ndarray
    omega_rad_s: np.ndarray
    cap_centre: np.ndarray

    @property
    def n_satellites(self) -> int:
        return len(self.element_sets)

    @cached_property
    def satrecs(self) -> list:
        """The Satrec objects of ``element_sets``: those of the constellations the table
        was made from (set by :func:`satellite_table`), else built here (a table that
        travelled to another process)."""
        return [e.to_satrec() for e in self.element_sets]

    def propagator(self, satrecs: list) -> SatellitePropagator:
        """The propagator of ``satrecs`` (the Satrec objects of ``element_sets``), built
        once per list and kept with the table (not pickled): every span and thread of a
        run shares it. Two threads asking first may both build it (identical results)."""
        source, propagator = self.__dict__.get("_propagator", (None, None))
        if propagator is None or source is not satrecs:
            propagator = SatellitePropagator(satrecs)
            self.__dict__["_propagator"] = (satrecs, propagator)
        return propagator

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        for name in ("_propagator", "satrecs"):
            state.pop(name, None)  # Satrec objects do not pickle reliably
        return state


def region_cap(cell_positions_km: np.ndarray) -> tuple[np.ndarray, float, float]:
    """``(centre unit vector, cap radius [rad], smallest cell distance [km])`` of the cells."""
    norms = np.linalg.norm(cell_positions_km, axis=1)
    units = cell_positions_km / norms[:, None]
    centre = units.mean(axis=0)
    centre /= np.linalg.norm(centre)
    chord = np.linalg.norm(units - centre, axis=1).max()
    radius = 2.0 * np.arcsin(min(chord / 2.0, 1.0))
    return centre, float(radius), float(norms.min())


def satellite_table(
    constellations: Sequence[Constellation],
    min_elevation_deg: Sequence[float],
    cell_positions_km: np.ndarray,
) -> SatelliteTable:
    """Reach bounds of every satellite for the cells (ECEF, km) of a region."""
    centre, cap_radius, ground_min_km = region_cap(cell_positions_km)
    sets, satrecs, system, reach, omega = [], [], [], [], []
    for index, (constellation, el_min) in enumerate(
        zip(constellations, min_elevation_deg, strict=True)
    ):
        eps_deg = el_min - np.degrees(MAX_GEODETIC_VERTICAL_DEFLECTION_RAD)
        r_apo = constellation.apogee_altitude_km + EARTH_EQUATORIAL_RADIUS_KM
        r_peri = constellation.perigee_altitude_km + EARTH_EQUATORIAL_RADIUS_KM
        a_km = 0.5 * (r_apo + r_peri)
        e = np.clip(constellation.eccentricity, 0.0, 0.99)
        r_max = r_apo * _RADIUS_MARGIN + _RADIUS_MARGIN_KM
        r_low = np.maximum(r_peri - _PERIGEE_DROP_KM, 0.5 * EARTH_EQUATORIAL_RADIUS_KM)
        with np.errstate(invalid="ignore"):
            h = np.sqrt(_MU_WGS72_KM3_S2 * np.maximum(a_km, 0.0) * (1.0 - e * e))
        rate = h / r_low**2 * _RATE_MARGIN + EARTH_ROTATION_RAD_S
        lam = footprint_central_angle_rad(r_max, eps_deg, ground_min_km)
        sets.extend(constellation.element_sets)
        satrecs.extend(constellation.satrecs)
        system.append(np.full(len(constellation), index, dtype=np.int64))
        reach.append(cap_radius + lam + _ANGLE_EPS_RAD)
        omega.append(np.where(np.isfinite(rate), rate, np.inf))
    table = SatelliteTable(
        tuple(sets),
        np.concatenate(system),
        np.concatenate(reach).astype(np.float64),
        np.concatenate(omega).astype(np.float64),
        centre,
    )
    table.__dict__["satrecs"] = satrecs  # the constellations' own (no second init)
    return table


@dataclass(frozen=True)
class StepTimes:
    """Time arguments of a run of consecutive steps: UTC Julian dates and GMST [rad]."""

    first_step: int
    jd_whole: np.ndarray
    jd_fraction: np.ndarray
    gmst_rad: np.ndarray
    step_s: float

    def __len__(self) -> int:
        return len(self.jd_fraction)

    def take(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.jd_whole[index], self.jd_fraction[index], self.gmst_rad[index]


@dataclass(frozen=True)
class Candidates:
    """Satellite positions handed to the kernel for a run of steps.

    ``step_sys_ptr[t, s] .. step_sys_ptr[t, s + 1]`` index the rows of ``positions_km``
    of system ``s`` at step ``t`` (ITRS, km, never NaN). ``failures[s]`` counts the
    (satellite, step) pairs of system ``s`` that SGP4 could not propagate, and
    ``propagated`` the satellite-epochs computed (for the benchmark).
    """

    step_sys_ptr: np.ndarray
    positions_km: np.ndarray
    failures: np.ndarray
    propagated: int


def _angles(positions: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Angle [rad] between geocentric directions ``(..., 3)`` and ``centre``; NaN stays."""
    norms = np.linalg.norm(positions, axis=-1)
    cos = (positions @ centre) / norms
    return np.arccos(np.clip(cos, -1.0, 1.0))


def candidates(
    satrecs: list | SatellitePropagator,
    table: SatelliteTable,
    times: StepTimes,
    lo: int,
    hi: int,
    n_systems: int,
    coarse_every: int,
    last_step: int,
    safe_until: np.ndarray | None = None,
    prune: bool = True,
) -> tuple[Candidates, np.ndarray]:
    """Positions of the satellites that may be visible at steps ``lo .. hi - 1``.

    Steps are absolute indices of the analysis window (``last_step`` is its last one);
    ``times`` must cover ``lo`` to ``min(hi - 1 + coarse_every, last_step)``. ``satrecs``
    are the Satrec objects of ``table.element_sets`` (built in this process), or their
    :class:`SatellitePropagator`; near-earth satellites propagate without the GIL.

    ``safe_until`` (float steps, per satellite) carries what earlier chunks proved: the
    satellite cannot be in reach before that step. A coarse sample at ``g`` (followed by
    ``g'``) is computed for a satellite only if ``g' >= safe_until``; an evaluation at angle
    ``a`` proves ``safe_until = g + (a - reach) / omega``. An interval between two
    evaluated samples is refined unless ``(a_k + a_k+1 - omega dt) / 2 > reach``. Returns
    the candidates and the updated ``safe_until``.
    """
    n_sat = table.n_satellites
    propagator = satrecs if isinstance(satrecs, SatellitePropagator) else table.propagator(satrecs)
    failures = np.zeros(n_systems, dtype=np.int64)
    local = np.arange(lo, hi) - times.first_step
    if not prune:
        positions, errors = propagator.itrs_km(None, *times.take(local))
        np.add.at(failures, table.system_index, np.count_nonzero(errors, axis=1))
        sat_index, step = np.nonzero(errors == 0)
        return _assemble(
            step,
            table.system_index[sat_index],
            sat_index,
            positions[sat_index, step],
            hi - lo,
            n_systems,
            n_sat * (hi - lo),
            failures,
        ), safe_until
    if safe_until is None:
        safe_until = np.full(n_sat, -np.inf)
    safe_until = safe_until.copy()
    samples = list(range(lo, hi, coarse_every))
    samples.append(min(samples[-1] + coarse_every, last_step))
    if samples[-1] <= samples[-2]:
        samples.pop()
    reach = table.reach_rad
    rate = table.omega_rad_s * times.step_s  # rad per step
    pending = np.zeros(n_sat, dtype=bool)
    last_angle = np.full(n_sat, np.nan)
    steps, sats, rows = [], [], []
    propagated = 0
    for k, g in enumerate(samples):
        following = samples[k + 1] if k + 1 < len(samples) else g
        members = np.flatnonzero(following >= safe_until)
        if members.size == 0:
            continue
        pos, err = propagator.itrs_km(members, *times.take(np.array([g - times.first_step])))
        propagated += members.size
        pos, failed = pos[:, 0], err[:, 0] != 0
        if g < hi:
            np.add.at(failures, table.system_index[members[failed]], 1)
        angle = _angles(pos, table.cap_centre)
        near = angle <= reach[members]
        if g < hi:
            steps.append(np.full(np.count_nonzero(near), g))
            sats.append(members[near])
            rows.append(pos[near])
        if k > 0:  # intervals (previous sample -> g) left undecided
            undecided = pending[members]
            who = members[undecided]
            dt = g - samples[k - 1]
            lower = 0.5 * (last_angle[who] + angle[undecided] - rate[who] * dt)
            refine = who[~(lower > reach[who])]  # NaN (a failed sample) refines too
            pending[who] = False
            inner = np.arange(samples[k - 1] + 1, min(g, hi))
            inner = inner[inner >= lo]
            if refine.size and inner.size:
                pos_f, err_f = propagator.itrs_km(refine, *times.take(inner - times.first_step))
                propagated += refine.size * inner.size
                np.add.at(failures, table.system_index[refine], np.count_nonzero(err_f, axis=1))
                near_f = _angles(pos_f, table.cap_centre) <= reach[refine, None]
                r_idx, t_idx = np.nonzero(near_f)
                steps.append(inner[t_idx])
                sats.append(refine[r_idx])
                rows.append(pos_f[r_idx, t_idx])
        if g >= hi:  # the sample after the chunk only settles the last interval: what it
            break  # proves about earlier steps (of the next chunk) is not "safe until"
        slack = np.where(failed, 0.0, np.maximum(angle - reach[members], 0.0))
        safe_until[members] = g + slack / rate[members]
        last_angle[members] = np.where(failed, np.nan, angle)
        pending[members] = safe_until[members] < following
    step = np.concatenate(steps) - lo if steps else np.zeros(0, dtype=np.int64)
    sat_index = np.concatenate(sats) if sats else np.zeros(0, dtype=np.int64)
    positions = np.concatenate(rows).reshape(-1, 3) if rows else np.zeros((0, 3))
    return _assemble(
        step,
        table.system_index[sat_index],
        sat_index,
        positions,
        hi - lo,
        n_systems,
        propagated,
        failures,
    ), safe_until


def _assemble(
    step: np.ndarray,
    system: np.ndarray,
    sat_index: np.ndarray,
    positions: np.ndarray,
    n_steps: int,
    n_systems: int,
    propagated: int,
    failures: np.ndarray,
) -> Candidates:
    order = np.lexsort((sat_index, system, step))
    key = step[order] * n_systems + system[order]
    bounds = np.searchsorted(key, np.arange(n_steps * n_systems + 1))
    ptr = np.empty((n_steps, n_systems + 1), dtype=np.int64)
    ptr[:, :n_systems] = bounds[:-1].reshape(n_steps, n_systems)
    ptr[:, n_systems] = bounds[n_systems::n_systems]
    return Candidates(
        ptr, np.ascontiguousarray(positions[order], dtype=np.float64), failures, int(propagated)
    )
