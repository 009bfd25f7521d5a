"""The backhaul recommendation per cell: the cheapest feasible option, and why.

Options: extend fibre (always buildable where a path exists), satellite backhaul per
licensed system (feasible where the cell's terrain-aware coverage meets the availability
criterion and the round-trip latency meets the limit), or nothing to do (already on the
network, or nobody lives there). Costs are present values over the planning horizon.

Reasons are short machine-readable strings ``<choice>:<why>``:
``served:on_network``, ``none:no_population``, ``<option>:cheapest`` (several feasible,
the runner-up dearer by more than ``tie_within_pct``), ``<option>:tie_within_1pct`` (the
runner-up within ``tie_within_pct`` of the chosen cost: a tie, not a price advantage; the
label keeps "1pct" for the default 1 %), ``<option>:only_feasible``, ``fiber:leo_blocked_by_terrain`` (a licensed LEO system would
serve the cell under an open sky but the terrain hides it), ``fiber:no_licensed_satellite``,
``none:no_feasible_option``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .economics import (
    FiberCosts,
    FinanceAssumptions,
    SatelliteCosts,
    fiber_option_usd,
    present_value_usd,
    satellite_option_usd,
)

NO_POPULATION, ALREADY_SERVED, FIBER = 0, 1, 2
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9_.-]+")


def name_token(name: str) -> str:
    """A system name as a token for variable names and space-separated flag meanings:
    runs of anything but letters, digits, ``_``, ``.``, ``-`` become ``_``
    (``"SES/O3b"`` -> ``"SES_O3b"``, ``"Pak Sat"`` -> ``"Pak_Sat"``)."""
    return _NOT_TOKEN.sub("_", name.strip())


TIE = "tie_within_1pct"


@dataclass(frozen=True)
class FeasibilityCriteria:
    """When a satellite option counts as feasible (scenario section ``[criteria]``).

    Attributes
    ----------
    min_availability_pct : float
        Terrain-aware share of time with a usable satellite [%] (geometry only; rain fade
        and capacity outages are not modelled).
    max_latency_rtt_ms : float
        Largest acceptable mean round-trip latency [ms]; GEO bent pipe is ~560-600 ms.
    served_distance_km : float
        Cells within this straight-line distance of existing fibre or a point of presence
        count as already served [km].
    tie_within_pct : float
        When the runner-up's present value is within this share of the chosen one's [%],
        the reason says ``tie_within_1pct`` instead of ``cheapest``. The choice itself
        stays the cheapest option (exact ties: the earlier option, fibre first, then the
        systems in scenario order), so it is deterministic.
    """

    min_availability_pct: float = 99.0
    max_latency_rtt_ms: float = 800.0
    served_distance_km: float = 1.0
    tie_within_pct: float = 1.0


@dataclass(frozen=True)
class SatelliteOption:
    """One satellite system as a backhaul option, with its per-cell figures of merit."""

    system: str
    orbit: Literal["leo", "meo", "geo"]
    licensed: bool
    pct_time_covered: np.ndarray  # terrain-aware [%]
    pct_time_covered_open_sky: np.ndarray  # [%]
    latency_rtt_ms: np.ndarray  # [ms]
    costs: SatelliteCosts

    @property
    def code_name(self) -> str:
        """``<orbit>_<system token>``: a category name and part of variable names
        (``cost_<code_name>_usd``), so spaces and slashes of the system name become ``_``."""
        return f"{self.orbit}_{name_token(self.system)}"


@dataclass(frozen=True)
class Recommendation:
    """Per-cell outcome. ``code`` indexes ``meanings``; costs are present values [USD]."""

    code: np.ndarray  # int8, (n_cell,)
    meanings: tuple[str, ...]
    reason: np.ndarray  # object (str), (n_cell,)
    option_cost_usd: dict[str, np.ndarray]  # "fiber" and each satellite code name
    chosen_cost_usd: np.ndarray  # NaN where nothing is built


def feasible(option: SatelliteOption, criteria: FeasibilityCriteria, open_sky: bool = False):
    """Where a satellite option is feasible: licensed, available enough, fast enough."""
    return _feasible(option, criteria, open_sky)


def _feasible(option: SatelliteOption, criteria: FeasibilityCriteria, open_sky: bool):
    covered = option.pct_time_covered_open_sky if open_sky else option.pct_time_covered
    return (
        option.licensed
        & (np.asarray(covered) >= criteria.min_availability_pct)
        & (np.asarray(option.latency_rtt_ms) <= criteria.max_latency_rtt_ms)
    )


def _ties(matrix: np.ndarray, best_cost: np.ndarray, tie_within_pct: float) -> np.ndarray:
    """Cells whose runner-up costs at most ``tie_within_pct`` % more than the best."""
    if matrix.shape[0] < 2:
        return np.zeros(matrix.shape[1], dtype=bool)
    runner_up = np.partition(matrix, 1, axis=0)[1]
    with np.errstate(invalid="ignore"):
        return np.isfinite(runner_up) & (
            runner_up - best_cost <= np.abs(best_cost) * tie_within_pct / 100.0
        )


def recommend(
    population: np.ndarray,
    fiber_distance_km: np.ndarray,
    fiber_weighted_km: np.ndarray,
    demand_mbps: np.ndarray,
    options: Sequence[SatelliteOption],
    fiber_costs: FiberCosts,
    finance: FinanceAssumptions,
    criteria: FeasibilityCriteria,
) -> Recommendation:
    """Cheapest feasible backhaul per cell; all arrays are ``(n_cell,)``.

    Exact ties go to the earlier option in the order fibre, then ``options`` as given, so
    the outcome is deterministic; a runner-up within ``criteria.tie_within_pct`` is
    reported as ``<choice>:tie_within_1pct``. Satellite terminals are re-bought every
    ``costs.lifetime_years`` within the horizon.
    """
    population = np.asarray(population, dtype=np.float64)
    n = population.shape[0]
    capex, opex = fiber_option_usd(fiber_weighted_km, fiber_costs)
    costs = {"fiber": present_value_usd(capex, opex, finance.discount_rate, finance.horizon_years)}
    feasible = {"fiber": np.isfinite(costs["fiber"])}
    blocked_by_terrain = np.zeros(n, dtype=bool)
    for option in options:
        capex, opex = satellite_option_usd(demand_mbps, option.costs)
        costs[option.code_name] = present_value_usd(
            capex, opex, finance.discount_rate, finance.horizon_years, option.costs.lifetime_years
        )
        feasible[option.code_name] = _feasible(option, criteria, open_sky=False)
        if option.orbit.lower() == "leo":
            blocked_by_terrain |= _feasible(option, criteria, True) & ~feasible[option.code_name]

    names = list(costs)
    matrix = np.stack([np.where(feasible[k], costs[k], np.inf) for k in names])
    best = np.argmin(matrix, axis=0)
    best_cost = matrix[best, np.arange(n)]
    n_feasible = np.isfinite(matrix).sum(axis=0)

    meanings = ("no_population", "already_served", *names, "none_feasible")
    code = (best + FIBER).astype(np.int8)
    code[~np.isfinite(best_cost)] = len(meanings) - 1
    served = np.asarray(fiber_distance_km) <= criteria.served_distance_km
    settled = population > 0
    code[served] = ALREADY_SERVED
    code[~settled] = NO_POPULATION

    choice = np.array(meanings, dtype=object)[code]
    why = np.where(n_feasible > 1, "cheapest", "only_feasible").astype(object)
    why[_ties(matrix, best_cost, criteria.tie_within_pct)] = TIE
    licensed_satellite = any(o.licensed for o in options)
    fiber_only = (code == FIBER) & (n_feasible == 1)
    why[fiber_only & blocked_by_terrain] = "leo_blocked_by_terrain"
    if not licensed_satellite:
        why[fiber_only] = "no_licensed_satellite"
    reason = choice + ":" + why
    reason[code == len(meanings) - 1] = "none:no_feasible_option"
    reason[served & settled] = "served:on_network"
    reason[~settled] = "none:no_population"
    chosen = np.where((code >= FIBER) & (code < len(meanings) - 1), best_cost, np.nan)
    return Recommendation(code, meanings, reason.astype(object), costs, chosen)
