"""Busy-hour demand per cell from population, and the underserved-cell rule.

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
        return (self.take_up_rate * self.users_per_household * self.busy_hour_mbps_per_user
                / (self.household_size * self.overbooking_ratio))


def demand_mbps(population: np.ndarray, assumptions: DemandAssumptions) -> np.ndarray:
    """Busy-hour demand per cell [Mbit/s], same shape as ``population`` [person]."""
    return np.asarray(population, dtype=np.float64) * assumptions.mbps_per_person


@dataclass(frozen=True)
class UnderservedRule:
    """Which cells need new backhaul (scenario section ``[underserved]``).

    A cell is underserved when it is rural, holds at least ``min_population`` people,
    and lies farther than ``min_fiber_distance_km`` from existing fibre or a point of
    presence (straight line).
    """

    min_fiber_distance_km: float = 5.0
    min_population: float = 50.0

    def describe(self) -> str:
        return (f"rural cells with population >= {self.min_population:g} whose straight-line "
                f"distance to existing fibre or a point of presence exceeds "
                f"{self.min_fiber_distance_km:g} km")


def underserved(rural: np.ndarray, population: np.ndarray, fiber_distance_km: np.ndarray,
                rule: UnderservedRule) -> np.ndarray:
    """Boolean per cell: rural, settled and beyond the fibre-distance threshold."""
    return (np.asarray(rural, dtype=bool)
            & (np.asarray(population) >= rule.min_population)
            & (np.asarray(fiber_distance_km) > rule.min_fiber_distance_km))
