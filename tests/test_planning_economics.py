"""Demand, costs, present values and the recommendation rule: hand-computed cases and
invariants (cheaper fibre never turns a fibre cell into satellite; licensing a system never
raises a cell's cost; turning terrain off never makes a cell infeasible)."""

import numpy as np
import pytest
from hybridplan.coverage.planning.demand import (
    DemandAssumptions,
    UnderservedRule,
    demand_mbps,
    target_sites,
)
from hybridplan.coverage.planning.economics import (
    FiberCosts,
    FinanceAssumptions,
    SatelliteCosts,
    annuity_factor,
    fiber_option_usd,
    present_value_usd,
    satellite_option_usd,
)
from hybridplan.coverage.planning.recommend import FeasibilityCriteria, SatelliteOption, recommend
from hypothesis import given, settings
from hypothesis import strategies as st

FINANCE = FinanceAssumptions(horizon_years=10, discount_rate=0.08)
ANNUITY_8PCT_10Y = 6.710081399  # sum_{t=1..10} 1.08^-t, by hand (tables: 6.7101)
LEO = SatelliteCosts(terminal_usd=2_500, service_usd_per_month=500, capacity_mbps_per_terminal=100)
GEO = SatelliteCosts(terminal_usd=5_000, service_usd_per_month=2_000, capacity_mbps_per_terminal=20)


def test_annuity_and_present_value_of_a_known_cash_flow():
    assert annuity_factor(0.08, 10) == pytest.approx(ANNUITY_8PCT_10Y, abs=1e-9)
    assert annuity_factor(0.0, 7) == 7.0
    assert present_value_usd(100_000, 10_000, 0.08, 10) == pytest.approx(167_100.81, abs=0.01)
    np.testing.assert_allclose(present_value_usd([0, 1], [1, 0], 0.0, 3), [3, 1])


def test_a_fibre_cell_and_a_leo_cell_of_known_cost():
    capex, opex = fiber_option_usd(np.array([12.5]), FiberCosts(20_000, 15_000, 0.03))
    assert capex[0] == 265_000 and opex[0] == pytest.approx(7_950)
    assert present_value_usd(capex, opex, 0.08, 10)[0] == pytest.approx(318_345.15, abs=0.01)
    capex, opex = satellite_option_usd(np.array([250.0, 0.0, 1.0]), LEO)
    np.testing.assert_array_equal(capex, [7_500, 0, 2_500])  # 3 terminals; none; at least 1
    np.testing.assert_array_equal(opex, [18_000, 0, 6_000])
    assert present_value_usd(capex, opex, 0.08, 10)[0] == pytest.approx(128_281.47, abs=0.01)


def test_demand_and_underserved_rule():
    d = DemandAssumptions(household_size=6.3, take_up_rate=0.3, users_per_household=3,
                          busy_hour_mbps_per_user=5, overbooking_ratio=10)
    np.testing.assert_allclose(demand_mbps(np.array([6300.0, 0.0]), d), [450.0, 0.0])
    rule = UnderservedRule(min_fiber_distance_km=5, min_population=50,
                           urban_min_population=5000)
    got, why = target_sites(np.array([100, 10, 9000, 100, 4999]),
                            np.array([8.0, 8.0, 8.0, 3.0, 5.01]), rule)
    np.testing.assert_array_equal(got, [True, False, False, False, True])
    assert list(why) == ["", "small", "urban", "near_fibre", ""]
    assert "5 km" in rule.describe() and "3 km" in rule.describe()


def _options(cov_leo, open_leo, cov_geo, licensed=True):
    n = len(cov_leo)
    return [
        SatelliteOption("starlink", "leo", licensed, np.asarray(cov_leo, float),
                        np.asarray(open_leo, float), np.full(n, 40.0), LEO),
        SatelliteOption("paksat", "geo", True, np.asarray(cov_geo, float),
                        np.asarray(cov_geo, float), np.full(n, 600.0), GEO),
    ]


def test_reasons_for_each_kind_of_cell():
    population = np.array([0, 500, 500, 500, 500, 500])
    distance = np.array([20, 0.5, 20, 20, 20, 20])
    weighted = np.array([20, 0.5, 1.0, 30, 30, np.inf])
    demand = np.full(6, 50.0)
    options = _options(cov_leo=[100, 100, 100, 100, 40, 40], open_leo=[100, 100, 100, 100, 100, 100],
                       cov_geo=[100, 100, 100, 100, 0, 0])
    r = recommend(population, distance, weighted, demand, options, FiberCosts(),
                  FINANCE, FeasibilityCriteria())
    assert r.meanings == ("no_population", "already_served", "fiber", "leo_starlink",
                          "geo_paksat", "none_feasible")
    assert list(r.reason) == ["none:no_population", "served:on_network", "fiber:cheapest",
                              "leo_starlink:cheapest", "fiber:leo_blocked_by_terrain",
                              "none:no_feasible_option"]
    assert list(r.code) == [0, 1, 2, 3, 2, 5]
    assert np.isnan(r.chosen_cost_usd[[0, 1, 5]]).all()
    leo_pv = 2_500 + 500 * 12 * ANNUITY_8PCT_10Y
    assert r.chosen_cost_usd[3] == pytest.approx(leo_pv)


def test_unlicensed_satellites_leave_fibre_with_its_reason():
    options = _options([100], [100], [0], licensed=False)
    options[1] = SatelliteOption("paksat", "geo", False, *([np.array([100.0])] * 2),
                                 np.array([600.0]), GEO)
    r = recommend(np.array([500]), np.array([20]), np.array([30.0]), np.array([50.0]),
                  options, FiberCosts(), FINANCE, FeasibilityCriteria())
    assert list(r.reason) == ["fiber:no_licensed_satellite"]


def test_latency_limit_rules_out_geo():
    options = _options([0], [0], [100])
    criteria = FeasibilityCriteria(max_latency_rtt_ms=150)
    r = recommend(np.array([500]), np.array([20]), np.array([500.0]), np.array([10.0]),
                  options, FiberCosts(), FINANCE, criteria)
    assert list(r.reason) == ["fiber:only_feasible"]


cells = st.integers(min_value=1, max_value=30)


@st.composite
def planning_cases(draw):
    n = draw(cells)
    floats = lambda lo, hi: st.lists(st.floats(lo, hi), min_size=n, max_size=n)  # noqa: E731
    population = np.array(draw(floats(0, 5000)))
    distance = np.array(draw(floats(0, 80)))
    weighted = np.array(draw(floats(0, 200)))
    demand = population * 0.07
    open_leo = np.array(draw(floats(0, 100)))
    terrain_loss = np.array(draw(floats(0, 100)))
    cov_leo = np.maximum(open_leo - terrain_loss, 0)
    cov_geo = np.array(draw(floats(0, 100)))
    return population, distance, weighted, demand, cov_leo, open_leo, cov_geo


@settings(max_examples=60, deadline=None)
@given(planning_cases(), st.floats(0.05, 0.95))
def test_cheaper_fibre_never_turns_a_fibre_cell_into_satellite(case, factor):
    population, distance, weighted, demand, cov_leo, open_leo, cov_geo = case
    options = _options(cov_leo, open_leo, cov_geo)
    base = recommend(population, distance, weighted, demand, options, FiberCosts(20_000),
                     FINANCE, FeasibilityCriteria())
    cheaper = recommend(population, distance, weighted, demand, options,
                        FiberCosts(20_000 * factor), FINANCE, FeasibilityCriteria())
    was_fiber = base.code == 2
    assert (cheaper.code[was_fiber] == 2).all()


@settings(max_examples=60, deadline=None)
@given(planning_cases())
def test_licensing_a_system_never_raises_a_cells_cost(case):
    population, distance, weighted, demand, cov_leo, open_leo, cov_geo = case
    without = recommend(population, distance, weighted, demand,
                        _options(cov_leo, open_leo, cov_geo, licensed=False), FiberCosts(),
                        FINANCE, FeasibilityCriteria())
    with_leo = recommend(population, distance, weighted, demand,
                         _options(cov_leo, open_leo, cov_geo, licensed=True), FiberCosts(),
                         FINANCE, FeasibilityCriteria())
    before = np.nan_to_num(without.chosen_cost_usd, nan=np.inf)
    after = np.nan_to_num(with_leo.chosen_cost_usd, nan=np.inf)
    assert (after <= before).all()


@settings(max_examples=60, deadline=None)
@given(planning_cases())
def test_turning_terrain_off_never_makes_a_cell_infeasible(case):
    population, distance, weighted, demand, cov_leo, open_leo, cov_geo = case
    terrain = recommend(population, distance, weighted, demand,
                        _options(cov_leo, open_leo, cov_geo), FiberCosts(), FINANCE,
                        FeasibilityCriteria())
    open_sky = recommend(population, distance, weighted, demand,
                         _options(open_leo, open_leo, cov_geo), FiberCosts(), FINANCE,
                         FeasibilityCriteria())
    infeasible = len(terrain.meanings) - 1
    assert not ((open_sky.code == infeasible) & (terrain.code != infeasible)).any()
