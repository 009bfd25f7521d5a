"""Costs of the backhaul options over a planning horizon: CAPEX, OPEX and present value.

Present value of costs: ``PV = CAPEX + OPEX * sum_{t=1..H} (1 + r)^-t`` (year-end
payments, CAPEX at year 0). Defaults are indicative, with their sources; a planner sets
real quotes in the scenario file, and ``hybridplan plan --sweep`` shows the sensitivity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def annuity_factor(discount_rate: float, horizon_years: int) -> float:
    """``sum_{t=1..H} (1 + r)^-t`` [years]; equals ``H`` at ``r = 0``."""
    if horizon_years < 0:
        raise ValueError(f"horizon_years must be >= 0, found {horizon_years}")
    if discount_rate == 0.0:
        return float(horizon_years)
    return float((1.0 - (1.0 + discount_rate) ** -horizon_years) / discount_rate)


def present_value_usd(capex_usd, opex_usd_per_year, discount_rate: float,
                      horizon_years: int):
    """Present value of costs [USD]; works on scalars and arrays alike."""
    return (np.asarray(capex_usd, dtype=np.float64)
            + np.asarray(opex_usd_per_year, dtype=np.float64)
            * annuity_factor(discount_rate, horizon_years))


@dataclass(frozen=True)
class FinanceAssumptions:
    """Planning horizon and discount rate (scenario section ``[finance]``)."""

    horizon_years: int = 10
    discount_rate: float = 0.08  # real rate; assumption in line with World Bank appraisal practice


@dataclass(frozen=True)
class FiberCosts:
    """Fibre extension costs (scenario section ``[costs.fiber]``).

    Attributes
    ----------
    cost_per_km_usd : float
        Build cost per terrain-weighted km [USD/km]. Default 20,000 (ITU Connect2Recover /
        costing models). Range for sensitivity: 15,850 (Analysys Mason, emerging-market
        rural) to about 54,000 (Pak-China OFC: USD 44 M for 820 km, 2018).
    site_equipment_usd : float
        Node equipment and power at the served cell [USD].
    opex_fraction_per_year : float
        Maintenance per year as a share of CAPEX [1/year].
    """

    cost_per_km_usd: float = 20_000.0
    site_equipment_usd: float = 15_000.0
    opex_fraction_per_year: float = 0.03


@dataclass(frozen=True)
class SatelliteCosts:
    """Costs of one satellite system's backhaul at a cell (scenario ``[costs.<system>]``).

    Attributes
    ----------
    terminal_usd : float
        One enterprise terminal with installation [USD].
    service_usd_per_month : float
        Recurring service per terminal [USD/month].
    capacity_mbps_per_terminal : float
        Busy-hour throughput one terminal delivers [Mbit/s].
    """

    terminal_usd: float
    service_usd_per_month: float
    capacity_mbps_per_terminal: float


#: Indicative defaults; all are assumptions to replace with quotes (see the report).
DEFAULT_LEO_COSTS = SatelliteCosts(terminal_usd=2_500.0, service_usd_per_month=500.0,
                                   capacity_mbps_per_terminal=100.0)
DEFAULT_GEO_COSTS = SatelliteCosts(terminal_usd=5_000.0, service_usd_per_month=2_000.0,
                                   capacity_mbps_per_terminal=20.0)


def fiber_option_usd(fiber_weighted_km: np.ndarray, costs: FiberCosts
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``(capex_usd, opex_usd_per_year)`` per cell for a fibre extension.

    ``fiber_weighted_km`` is the least-cost path length with each edge multiplied by its
    terrain factor [km]; unreachable cells (inf) cost inf.
    """
    capex = np.asarray(fiber_weighted_km, dtype=np.float64) * costs.cost_per_km_usd \
        + costs.site_equipment_usd
    return capex, capex * costs.opex_fraction_per_year


def terminals_needed(demand_mbps: np.ndarray, capacity_mbps_per_terminal: float) -> np.ndarray:
    """Whole terminals to carry the demand; at least one for any settled cell."""
    demand = np.asarray(demand_mbps, dtype=np.float64)
    return np.where(demand > 0, np.maximum(1.0, np.ceil(demand / capacity_mbps_per_terminal)), 0.0)


def satellite_option_usd(demand_mbps: np.ndarray, costs: SatelliteCosts
                         ) -> tuple[np.ndarray, np.ndarray]:
    """``(capex_usd, opex_usd_per_year)`` per cell for satellite backhaul."""
    n = terminals_needed(demand_mbps, costs.capacity_mbps_per_terminal)
    return n * costs.terminal_usd, n * costs.service_usd_per_month * 12.0
