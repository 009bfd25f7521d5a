"""Busy-hour demand from population, and the target rule for demand sites.

demand [Mbit/s] = population / household_size * take_up_rate * users_per_household
                  * busy_hour_mbps_per_user / overbooking_ratio

Every parameter is an assumption a planner is expected to replace in the scenario file;
the defaults are labelled with where they come from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DemandAssumptions:
    """Parameters of the demand model (scenario section ``[demand]``).

    Attributes
    ----------
    household_size : float
        Persons per household [person]. Default 6.3: Pakistan Bureau of Statistics,
        7th Population and Housing Census 2023 (national average ~6.3).
    take_up_rate : float
        Share of households that subscribe [1]. Default 0.3: assumption for a rural
        launch (replace with survey data).
    users_per_household : float
        Concurrent-capable users per subscribing household [person]. Default 3.
    busy_hour_mbps_per_user : float
        Rate provisioned per active user in the busy hour [Mbit/s]. Default 5.
    overbooking_ratio : float
        Users sharing one provisioned unit (contention) [1]. Default 10, within the
        10:1 to 50:1 range common for residential broadband.
    """

    household_size: float = 6.3
    take_up_rate: float = 0.3
    users_per_household: float = 3.0
    busy_hour_mbps_per_user: float = 5.0
    overbooking_ratio: float = 10.0

    @property
    def mbps_per_person(self) -> float:
        """Busy-hour demand per resident [Mbit/s per person]."""
        return (
            self.take_up_rate
            * self.users_per_household
            * self.busy_hour_mbps_per_user
            / (self.household_size * self.overbooking_ratio)
        )


def demand_mbps(population: np.ndarray, assumptions: DemandAssumptions) -> np.ndarray:
    """Busy-hour demand per cell [Mbit/s], same shape as ``population`` [person]."""
    return np.asarray(population, dtype=np.float64) * assumptions.mbps_per_person


@dataclass(frozen=True)
class UnderservedRule:
    """Which demand sites need new backhaul (scenario section ``[planning]``).

    A site (settlements within ``service_radius_km`` of each other, see
    ``planning.sites``) is a target when it is rural (fewer than
    ``urban_min_population`` people), holds at least ``min_population`` people, and
    lies farther than ``min_fiber_distance_km`` from existing fibre or a point of
    presence (straight line from its nearest cell).

    Attributes
    ----------
    min_fiber_distance_km : float
        [km]. Default 5: an assumption (a settlement within 5 km is a short last-mile
        extension for the incumbent, not a backhaul gap).
    min_population : float
        [person]. Default 50: an assumption (about 8 households).
    urban_min_population : float
        Sites with at least this many people are urban, not rural targets [person].
        Default 5,000: the "urban cluster" population of the UN / Eurostat Degree of
        Urbanisation (2021), which also asks >= 300 people/km2.
    service_radius_km : float
        Settlements closer than this form one site [km]. Default 3: an assumption, about
        the reach of a village distribution network (a point-to-multipoint wireless
        sector or a short copper/fibre run) from one backhaul point.
    """

    min_fiber_distance_km: float = 5.0
    min_population: float = 50.0
    urban_min_population: float = 5000.0
    service_radius_km: float = 3.0

    def describe(self) -> str:
        return (
            f"demand sites (settlements within {self.service_radius_km:g} km of each other) "
            f"with {self.min_population:g} to {self.urban_min_population:g} people whose "
            "straight-line distance to existing fibre or a point of presence exceeds "
            f"{self.min_fiber_distance_km:g} km"
        )


def target_sites(
    population: np.ndarray, fiber_distance_km: np.ndarray, rule: UnderservedRule
) -> tuple[np.ndarray, np.ndarray]:
    """Which sites are targets, and why the others are not.

    Returns ``(target, why)``: booleans per site, and for non-targets one of
    ``"near_fibre"``, ``"small"``, ``"urban"`` (``""`` for targets).
    """
    population = np.asarray(population, dtype=np.float64)
    distance = np.asarray(fiber_distance_km, dtype=np.float64)
    rural = population < rule.urban_min_population
    big_enough = population >= rule.min_population
    far = distance > rule.min_fiber_distance_km
    why = np.full(population.shape, "", dtype=object)
    why[~far] = "near_fibre"
    why[far & ~big_enough] = "small"
    why[far & big_enough & ~rural] = "urban"
    return rural & big_enough & far, why
