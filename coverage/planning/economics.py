"""Costs of the backhaul options over a planning horizon: CAPEX, OPEX, replacements,
present value and the yearly cash-flow table.

Present value of costs (year-end payments, CAPEX at year 0, equipment replaced every
``L`` years while the horizon lasts)::

    PV = CAPEX * sum_{k >= 0, k L < H} (1 + r)^-(k L)  +  OPEX * sum_{t=1..H} (1 + r)^-t

The defaults are indicative, each with its source or an ``[ASSUMPTION]`` label (the
scenario schema carries the same labels); a planner sets real quotes in the scenario
file, and ``hybridplan plan --sweep`` shows the sensitivity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np


def annuity_factor(discount_rate: float, horizon_years: int) -> float:
    """``sum_{t=1..H} (1 + r)^-t`` [years]; equals ``H`` at ``r = 0``."""
    if horizon_years < 0:
        raise ValueError(f"horizon_years must be >= 0, found {horizon_years}")
    if discount_rate == 0.0:
        return float(horizon_years)
    return float((1.0 - (1.0 + discount_rate) ** -horizon_years) / discount_rate)


def purchase_years(horizon_years: int, lifetime_years: int | None) -> np.ndarray:
    """Years in which equipment is bought: 0, L, 2L, ... while ``< horizon_years``.

    ``lifetime_years = None`` (or one at least as long as the horizon) buys once, at 0.
    """
    if lifetime_years is None or lifetime_years >= horizon_years:
        return np.zeros(1, dtype=np.int64)
    if lifetime_years < 1:
        raise ValueError(f"lifetime_years must be >= 1, found {lifetime_years}")
    return np.arange(0, horizon_years, int(lifetime_years), dtype=np.int64)


def replacement_factor(
    discount_rate: float, horizon_years: int, lifetime_years: int | None
) -> float:
    """``sum_{k >= 0, k L < H} (1 + r)^-(k L)`` [1]: CAPEX multiplier with replacements."""
    years = purchase_years(horizon_years, lifetime_years)
    return float(np.sum((1.0 + discount_rate) ** -years.astype(np.float64)))


def present_value_usd(
    capex_usd,
    opex_usd_per_year,
    discount_rate: float,
    horizon_years: int,
    lifetime_years: int | None = None,
):
    """Present value of costs [USD]; works on scalars and arrays alike.

    ``lifetime_years`` re-buys the CAPEX every ``L`` years within the horizon
    (:func:`purchase_years`); ``None`` buys it once.
    """
    return np.asarray(capex_usd, dtype=np.float64) * replacement_factor(
        discount_rate, horizon_years, lifetime_years
    ) + np.asarray(opex_usd_per_year, dtype=np.float64) * annuity_factor(
        discount_rate, horizon_years
    )


@dataclass(frozen=True)
class FinanceAssumptions:
    """Planning horizon, discount rate (``[planning]``) and exchange rate (``[finance]``).

    Attributes
    ----------
    horizon_years : int
        Planning horizon [year].
    discount_rate : float
        Real discount rate [1/year]; 0.08 is an [ASSUMPTION] in line with World Bank
        appraisal practice.
    usd_to_pkr : float
        Pakistani rupees per US dollar [PKR/USD] for costs shown in PKR. Default 281.425:
        State Bank of Pakistan mark-to-market USD/PKR spot rate of 24 Sep 2025 (as
        reported by ARY News, arynews.tv, 2025-09-24).
    usd_to_pkr_as_of : str
        Date of that rate (ISO 8601).
    """

    horizon_years: int = 10
    discount_rate: float = 0.08
    usd_to_pkr: float = 281.425
    usd_to_pkr_as_of: str = "2025-09-24"


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
        One terminal with installation [USD].
    service_usd_per_month : float
        Recurring service per terminal [USD/month].
    capacity_mbps_per_terminal : float
        Busy-hour throughput one terminal delivers [Mbit/s].
    lifetime_years : int or None
        Terminal life [year]: re-bought every ``lifetime_years`` within the horizon;
        ``None`` = lasts the whole horizon.
    source : str
        Where the figures come from (or ``[ASSUMPTION]``), carried into the outputs.
    """

    terminal_usd: float
    service_usd_per_month: float
    capacity_mbps_per_terminal: float
    lifetime_years: int | None = None
    source: str = ""


#: Defaults per orbit class, used for a system without its own ``[costs.<system>]``
#: table; all are assumptions to replace with quotes (the report says so).
DEFAULT_LEO_COSTS = SatelliteCosts(
    terminal_usd=2_500.0,
    service_usd_per_month=500.0,
    capacity_mbps_per_terminal=100.0,
    lifetime_years=5,
    source="[ASSUMPTION] generic LEO enterprise terminal and service",
)
DEFAULT_MEO_COSTS = SatelliteCosts(
    terminal_usd=50_000.0,
    service_usd_per_month=6_000.0,
    capacity_mbps_per_terminal=100.0,
    lifetime_years=7,
    source="[ASSUMPTION] tracking MEO remote (two antennas); service at USD 60 per Mbit/s "
    "per month, a tenth of O3b's 2009 launch quote of USD 600 (space.com, 2009)",
)
DEFAULT_GEO_COSTS = SatelliteCosts(
    terminal_usd=5_000.0,
    service_usd_per_month=2_000.0,
    capacity_mbps_per_terminal=20.0,
    lifetime_years=7,
    source="[ASSUMPTION] Ku/Ka-band VSAT and transponder share",
)

#: Orbit class -> default costs; ``mixed`` (a source spanning classes) is priced as LEO.
DEFAULT_COSTS_BY_ORBIT = {
    "LEO": DEFAULT_LEO_COSTS,
    "MEO": DEFAULT_MEO_COSTS,
    "GEO": DEFAULT_GEO_COSTS,
    "MIXED": DEFAULT_LEO_COSTS,
}


def default_costs(orbit_class: str) -> SatelliteCosts:
    """The default :class:`SatelliteCosts` of an orbit class (LEO, MEO, GEO, mixed)."""
    try:
        return DEFAULT_COSTS_BY_ORBIT[orbit_class.upper()]
    except KeyError:
        raise ValueError(
            f"orbit class {orbit_class!r}: expected one of LEO, MEO, GEO, mixed"
        ) from None


def with_overrides(costs: SatelliteCosts, overrides: Mapping[str, object]) -> SatelliteCosts:
    """``costs`` with the keys a scenario gave replaced (the rest stay)."""
    return replace(costs, **dict(overrides)) if overrides else costs


def fiber_option_usd(
    fiber_weighted_km: np.ndarray, costs: FiberCosts
) -> tuple[np.ndarray, np.ndarray]:
    """``(capex_usd, opex_usd_per_year)`` per cell for a fibre extension.

    ``fiber_weighted_km`` is the least-cost path length with each edge multiplied by its
    terrain factor [km]; unreachable cells (inf) cost inf.
    """
    capex = (
        np.asarray(fiber_weighted_km, dtype=np.float64) * costs.cost_per_km_usd
        + costs.site_equipment_usd
    )
    return capex, capex * costs.opex_fraction_per_year


def terminals_needed(demand_mbps: np.ndarray, capacity_mbps_per_terminal: float) -> np.ndarray:
    """Whole terminals to carry the demand; at least one for any settled cell."""
    demand = np.asarray(demand_mbps, dtype=np.float64)
    return np.where(demand > 0, np.maximum(1.0, np.ceil(demand / capacity_mbps_per_terminal)), 0.0)


def satellite_option_usd(
    demand_mbps: np.ndarray, costs: SatelliteCosts
) -> tuple[np.ndarray, np.ndarray]:
    """``(capex_usd, opex_usd_per_year)`` per cell for satellite backhaul (first purchase;
    replacements come from ``costs.lifetime_years``, see :func:`present_value_usd`)."""
    n = terminals_needed(demand_mbps, costs.capacity_mbps_per_terminal)
    return n * costs.terminal_usd, n * costs.service_usd_per_month * 12.0


@dataclass(frozen=True)
class CashFlowTable:
    """Yearly costs per option: CAPEX (purchases and replacements) and OPEX.

    Attributes
    ----------
    options : tuple of str
        Option names, the rows.
    year : ndarray, (n_year,)
        0 .. horizon [year]; CAPEX of the first purchase in year 0, OPEX from year 1.
    capex : ndarray, (n_option, n_year)
        Investment per option and year [currency].
    opex : ndarray, (n_option, n_year)
        Running costs per option and year [currency].
    discount_factor : ndarray, (n_year,)
        ``(1 + r)^-t`` [1].
    currency : str
        ``"USD"`` or ``"PKR"`` (see :meth:`in_pkr`).
    """

    options: tuple[str, ...]
    year: np.ndarray
    capex: np.ndarray
    opex: np.ndarray
    discount_factor: np.ndarray
    currency: str = "USD"

    @property
    def total(self) -> np.ndarray:
        """CAPEX + OPEX per option and year, ``(n_option, n_year)`` [currency]."""
        return self.capex + self.opex

    @property
    def present_value(self) -> np.ndarray:
        """Discounted sum per option, ``(n_option,)`` [currency]; equals
        :func:`present_value_usd` of the same option."""
        return (self.total * self.discount_factor).sum(axis=1)

    def in_pkr(self, usd_to_pkr: float) -> CashFlowTable:
        """The same table in Pakistani rupees at ``usd_to_pkr`` [PKR/USD]."""
        if self.currency != "USD":
            raise ValueError(f"the table is already in {self.currency}")
        return replace(
            self, capex=self.capex * usd_to_pkr, opex=self.opex * usd_to_pkr, currency="PKR"
        )


def cash_flow_table(
    capex_usd: Mapping[str, float],
    opex_usd_per_year: Mapping[str, float],
    finance: FinanceAssumptions,
    lifetime_years: Mapping[str, int | None] | None = None,
) -> CashFlowTable:
    """The yearly cash flows of each option over ``finance.horizon_years``.

    Parameters
    ----------
    capex_usd : mapping of str to float
        First purchase per option (e.g. summed over the cells it is chosen for) [USD],
        paid in year 0 and again in each replacement year.
    opex_usd_per_year : mapping of str to float
        Running costs per option, paid at the end of years 1 .. H [USD/year]; same keys.
    finance : FinanceAssumptions
        Horizon ``H`` and discount rate.
    lifetime_years : mapping of str to int or None, optional
        Equipment life per option (missing or ``None``: bought once), see
        :func:`purchase_years`.

    Returns
    -------
    CashFlowTable
        In USD; ``.in_pkr(finance.usd_to_pkr)`` converts it.
    """
    if set(capex_usd) != set(opex_usd_per_year):
        raise ValueError("capex_usd and opex_usd_per_year must name the same options")
    options = tuple(capex_usd)
    horizon = finance.horizon_years
    year = np.arange(horizon + 1, dtype=np.int64)
    capex = np.zeros((len(options), horizon + 1))
    opex = np.zeros((len(options), horizon + 1))
    lifetimes = lifetime_years or {}
    for i, name in enumerate(options):
        capex[i, purchase_years(horizon, lifetimes.get(name))] = float(capex_usd[name])
        opex[i, 1:] = float(opex_usd_per_year[name])
    discount = (1.0 + finance.discount_rate) ** -year.astype(np.float64)
    return CashFlowTable(options, year, capex, opex, discount)


def chosen_cash_flows(
    chosen: np.ndarray,
    capex_usd: Mapping[str, np.ndarray],
    opex_usd_per_year: Mapping[str, np.ndarray],
    finance: FinanceAssumptions,
    lifetime_years: Mapping[str, int | None] | None = None,
) -> CashFlowTable:
    """The cash-flow table of what a plan builds: per option, the sum over the cells it is
    chosen for.

    Parameters
    ----------
    chosen : ndarray of str, (n_cell,)
        The option chosen per cell (names as the keys below; anything else, such as
        ``"none_feasible"`` or ``"already_served"``, builds nothing).
    capex_usd, opex_usd_per_year : mapping of str to ndarray, (n_cell,)
        First purchase [USD] and running costs [USD/year] of each option per cell, as
        :func:`fiber_option_usd` and :func:`satellite_option_usd` give them.
    finance, lifetime_years
        As for :func:`cash_flow_table`.

    Returns
    -------
    CashFlowTable
        One row per option of ``capex_usd`` (zero where it is never chosen); its
        ``present_value`` summed over the rows equals the plan's total present value.
    """
    chosen = np.asarray(chosen).astype(str)
    capex, opex = {}, {}
    for name in capex_usd:
        mask = chosen == name
        capex[name] = float(np.sum(np.asarray(capex_usd[name], dtype=np.float64)[mask]))
        opex[name] = float(np.sum(np.asarray(opex_usd_per_year[name], dtype=np.float64)[mask]))
    return cash_flow_table(capex, opex, finance, lifetime_years)
