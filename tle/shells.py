"""Shell discovery: cluster a real constellation by inclination and altitude, count planes.

No launch tables: satellites are grouped where their (inclination, mean altitude) values
form dense runs separated by gaps, and the orbital planes of a shell are counted from
the right ascensions of the ascending node carried to one common instant with each
satellite's secular node rate (J2 precession moves RAAN by several degrees per day, so
raw RAANs from element sets of different epochs would smear the planes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .constellation import Constellation


@dataclass(frozen=True)
class Shell:
    """One discovered shell.

    Attributes
    ----------
    inclination_deg, altitude_km : float
        Medians over the members [deg], [km].
    n_satellites, n_planes : int
        Members, and distinct orbital planes (RAAN clusters).
    sats_per_plane : float
        Median members per plane.
    members : numpy.ndarray
        Indices into the constellation.
    plane_sizes : numpy.ndarray
        Members of each plane, in order of RAAN (a shell made of two Walker sub-shells
        at one altitude and inclination shows both plane sizes here).
    """

    inclination_deg: float
    altitude_km: float
    n_satellites: int
    n_planes: int
    sats_per_plane: float
    members: np.ndarray
    plane_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))

    def __str__(self) -> str:
        return (
            f"{self.inclination_deg:6.2f} deg {self.altitude_km:7.1f} km "
            f"{self.n_satellites:6d} sats {self.n_planes:4d} planes "
            f"~{self.sats_per_plane:.0f} per plane"
        )


def _split_runs(values: np.ndarray, gap: float) -> list[np.ndarray]:
    """Index groups of ``values`` whose sorted neighbours lie within ``gap``."""
    order = np.argsort(values, kind="stable")
    breaks = np.nonzero(np.diff(values[order]) > gap)[0] + 1
    return np.split(order, breaks)


def count_planes(raan_deg: np.ndarray, gap_deg: float = 1.0) -> tuple[int, np.ndarray]:
    """Cluster RAANs on the circle; returns ``(n_planes, plane_sizes)``.

    Two satellites share a plane when a chain of neighbours within ``gap_deg`` joins them.
    """
    if len(raan_deg) == 0:
        return 0, np.zeros(0, dtype=int)
    ordered = np.sort(np.mod(raan_deg, 360.0))
    gaps = np.diff(np.append(ordered, ordered[0] + 360.0))
    cuts = np.nonzero(gaps > gap_deg)[0]
    if len(cuts) == 0:
        return 1, np.array([len(ordered)])
    # Plane sizes: members between consecutive cuts, wrapping round the circle.
    starts = cuts + 1
    sizes = np.diff(np.append(starts, starts[0] + len(ordered)))
    return len(cuts), sizes


def raan_at_deg(constellation: Constellation, jd_utc: float) -> np.ndarray:
    """Each satellite's RAAN carried to ``jd_utc`` with its secular node rate [deg]."""
    days = jd_utc - constellation.epochs_jd_utc
    return np.mod(constellation.raan_deg + constellation.raan_rate_deg_per_day * days, 360.0)


def _dense_altitude_groups(
    altitudes_km: np.ndarray, bin_km: float, min_satellites: int
) -> list[np.ndarray]:
    """Index groups of contiguous well-populated altitude bins.

    A bin is dense when it holds at least 5 % of the fullest bin's count (and at least
    ``min_satellites / 4``): satellites raising or lowering their orbit spread thinly
    between shells and are left out instead of bridging two shells into one.
    """
    bins = np.floor(altitudes_km / bin_km).astype(np.int64)
    labels, counts = np.unique(bins, return_counts=True)
    dense = counts >= max(3.0, min_satellites / 4.0, 0.05 * counts.max())
    groups, run = [], []
    for label, is_dense in zip(labels, dense, strict=True):
        if is_dense and run and label == run[-1] + 1:
            run.append(label)
        elif is_dense:
            if run:
                groups.append(run)
            run = [label]
        elif run:
            groups.append(run)
            run = []
    if run:
        groups.append(run)
    return [np.nonzero(np.isin(bins, run))[0] for run in groups]


def discover_shells(
    constellation: Constellation,
    inclination_gap_deg: float = 0.5,
    altitude_bin_km: float = 5.0,
    min_satellites: int | None = None,
    plane_gap_deg: float = 1.0,
) -> tuple[list[Shell], np.ndarray]:
    """Group satellites into shells by inclination, then altitude; count their planes.

    Parameters
    ----------
    inclination_gap_deg : float
        A gap wider than this in sorted inclinations separates shells [deg].
    altitude_bin_km : float
        Altitude histogram bin [km]; shells are runs of densely populated bins
        (see :func:`_dense_altitude_groups`).
    min_satellites : int, optional
        Smaller groups are not shells (test satellites, a launch still raising its
        orbit). Default: 1 % of the constellation, at least 5.
    plane_gap_deg : float
        RAAN gap separating planes, after carrying every RAAN to the median epoch [deg].
        Near-equatorial shells (inclination < 1 deg) have one plane: RAAN is undefined.

    Returns
    -------
    shells : list of Shell
        Largest first.
    unassigned : numpy.ndarray
        Indices of satellites in no shell.
    """
    n = len(constellation)
    if min_satellites is None:
        min_satellites = max(5, int(0.01 * n))
    if n == 0:
        return [], np.zeros(0, dtype=int)
    raan = raan_at_deg(constellation, float(np.median(constellation.epochs_jd_utc)))
    shells, assigned = [], np.zeros(n, dtype=bool)
    for by_inclination in _split_runs(constellation.inclination_deg, inclination_gap_deg):
        altitudes = constellation.mean_altitude_km[by_inclination]
        for local in _dense_altitude_groups(altitudes, altitude_bin_km, min_satellites):
            members = np.sort(by_inclination[local])
            if len(members) < min_satellites:
                continue
            inclination = float(np.median(constellation.inclination_deg[members]))
            if min(inclination, 180.0 - inclination) < 1.0:
                n_planes, sizes = 1, np.array([len(members)])
            else:
                n_planes, sizes = count_planes(raan[members], plane_gap_deg)
            shells.append(
                Shell(
                    inclination_deg=inclination,
                    altitude_km=float(np.median(constellation.mean_altitude_km[members])),
                    n_satellites=len(members),
                    n_planes=n_planes,
                    sats_per_plane=float(np.median(sizes)),
                    members=members,
                    plane_sizes=np.asarray(sizes),
                )
            )
            assigned[members] = True
    shells.sort(key=lambda s: -s.n_satellites)
    return shells, np.nonzero(~assigned)[0]
