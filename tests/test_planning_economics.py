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
    DEFAULT_LEO_COSTS,
    DEFAULT_MEO_COSTS,
    FiberCosts,
    FinanceAssumptions,
    SatelliteCosts,
    annuity_factor,
    cash_flow_table,
    chosen_cash_flows,
    fiber_option_usd,
    present_value_usd,
    purchase_years,
    satellite_option_usd,
)
from hybridplan.coverage.planning.recommend import FeasibilityCriteria, SatelliteOption, recommend
from hybridplan.coverage.planning.spec import PlanningSpec
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


def test_replacements_and_the_cash_flow_table_by_hand():
    np.testing.assert_array_equal(purchase_years(10, 5), [0, 5])
    np.testing.assert_array_equal(purchase_years(10, 3), [0, 3, 6, 9])
    np.testing.assert_array_equal(purchase_years(10, 10), [0])
    np.testing.assert_array_equal(purchase_years(10, None), [0])
    # a terminal of USD 1,000 bought at 0 and 5, USD 100/yr service, 10 years at 8 %
    pv = 1_000 * (1 + 1.08 ** -5) + 100 * ANNUITY_8PCT_10Y
    assert present_value_usd(1_000, 100, 0.08, 10, 5) == pytest.approx(pv, abs=1e-6)
    assert pv == pytest.approx(1680.583 + 671.008, abs=1e-3)
    table = cash_flow_table({"leo_a": 1_000.0, "fiber": 50_000.0},
                            {"leo_a": 100.0, "fiber": 1_500.0}, FINANCE,
                            lifetime_years={"leo_a": 5})
    assert table.options == ("leo_a", "fiber") and table.currency == "USD"
    np.testing.assert_array_equal(table.year, np.arange(11))
    np.testing.assert_array_equal(table.capex[0], [1_000, 0, 0, 0, 0, 1_000, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(table.capex[1], [50_000] + [0] * 10)
    np.testing.assert_array_equal(table.opex[1], [0] + [1_500] * 10)
    np.testing.assert_allclose(table.present_value,
                               [pv, present_value_usd(50_000, 1_500, 0.08, 10)], rtol=1e-9)
    pkr = table.in_pkr(FINANCE.usd_to_pkr)
    assert pkr.currency == "PKR" and FINANCE.usd_to_pkr == 281.425
    np.testing.assert_allclose(pkr.total, table.total * 281.425)
    with pytest.raises(ValueError, match="already in PKR"):
        pkr.in_pkr(281.425)


def test_meo_systems_get_meo_costs():
    spec = PlanningSpec()
    assert spec.costs_for("o3b", "MEO") == DEFAULT_MEO_COSTS
    assert spec.costs_for("o3b", "meo").terminal_usd > spec.costs_for("x", "LEO").terminal_usd
    assert spec.costs_for("x", "LEO") == DEFAULT_LEO_COSTS
    with pytest.raises(ValueError, match="orbit class 'HEO'"):
        spec.costs_for("x", "HEO")


def _two_leo(price_a, price_b, licensed_a=True):
    cov = np.full(3, 100.0)
    a = SatelliteCosts(price_a, 500, 100)
    b = SatelliteCosts(price_b, 500, 100)
    return [SatelliteOption("a", "leo", licensed_a, cov, cov, np.full(3, 40.0), a),
            SatelliteOption("b", "leo", True, cov, cov, np.full(3, 40.0), b)]


def test_a_tie_within_one_percent_is_reported_as_a_tie():
    population, distance, weighted = np.full(3, 500.0), np.full(3, 20.0), np.full(3, 100.0)
    demand = np.array([50.0, 50.0, 250.0])
    leo_pv = 2_500 + 6_000 * ANNUITY_8PCT_10Y  # 42,762.5 per terminal
    # b's terminal dearer by USD 300: 0.70 % of the PV per terminal -> a tie; 3 terminals
    # in cell 3 keep the same share, so a tie there too
    r = recommend(population, distance, weighted, demand, _two_leo(2_500, 2_800),
                  FiberCosts(), FINANCE, FeasibilityCriteria())
    assert list(r.reason) == ["leo_a:tie_within_1pct"] * 3
    assert r.chosen_cost_usd[0] == pytest.approx(leo_pv)
    # USD 1,000 dearer: 2.3 % -> a real price advantage
    r = recommend(population, distance, weighted, demand, _two_leo(2_500, 3_500),
                  FiberCosts(), FINANCE, FeasibilityCriteria())
    assert list(r.reason) == ["leo_a:cheapest"] * 3
    # an exact tie goes to the earlier option, every time
    r = recommend(population, distance, weighted, demand, _two_leo(2_500, 2_500),
                  FiberCosts(), FINANCE, FeasibilityCriteria(tie_within_pct=0.0))
    assert list(r.reason) == ["leo_a:tie_within_1pct"] * 3


def test_unlicensing_the_cheaper_system_raises_the_cost():
    population, distance, weighted = np.full(3, 500.0), np.full(3, 20.0), np.full(3, np.inf)
    demand = np.full(3, 50.0)
    both = recommend(population, distance, weighted, demand, _two_leo(782, 6_000),
                     FiberCosts(), FINANCE, FeasibilityCriteria())
    only_b = recommend(population, distance, weighted, demand,
                       _two_leo(782, 6_000, licensed_a=False), FiberCosts(), FINANCE,
                       FeasibilityCriteria())
    assert list(both.reason) == ["leo_a:cheapest"] * 3
    assert list(only_b.reason) == ["leo_b:only_feasible"] * 3
    np.testing.assert_allclose(only_b.chosen_cost_usd - both.chosen_cost_usd, 6_000 - 782)


@settings(max_examples=60, deadline=None)
@given(planning_cases(), st.floats(1.0, 10.0), st.sampled_from(["terminal", "service"]))
def test_raising_a_systems_price_never_makes_it_chosen_in_more_cells(case, factor, which):
    population, distance, weighted, demand, cov_leo, open_leo, cov_geo = case
    before = _options(cov_leo, open_leo, cov_geo)
    after = list(before)
    dearer = LEO.__class__(LEO.terminal_usd * (factor if which == "terminal" else 1),
                           LEO.service_usd_per_month * (factor if which == "service" else 1),
                           LEO.capacity_mbps_per_terminal)
    after[0] = SatelliteOption("starlink", "leo", True, before[0].pct_time_covered,
                               before[0].pct_time_covered_open_sky, before[0].latency_rtt_ms,
                               dearer)
    args = (FiberCosts(), FINANCE, FeasibilityCriteria())
    a = recommend(population, distance, weighted, demand, before, *args)
    b = recommend(population, distance, weighted, demand, after, *args)
    starlink = a.meanings.index("leo_starlink")
    chosen_after = b.code == starlink
    assert chosen_after.sum() <= (a.code == starlink).sum()
    assert not (chosen_after & (a.code != starlink)).any()


def test_system_names_with_spaces_and_slashes_make_safe_category_names():
    cov = np.full(1, 100.0)
    options = [SatelliteOption("SES/O3b", "meo", True, cov, cov, np.full(1, 150.0), GEO),
               SatelliteOption("Pak Sat", "geo", True, cov, cov, np.full(1, 600.0), GEO)]
    assert [o.code_name for o in options] == ["meo_SES_O3b", "geo_Pak_Sat"]
    r = recommend(np.array([500.0]), np.array([20.0]), np.array([np.inf]), np.array([10.0]),
                  options, FiberCosts(), FINANCE, FeasibilityCriteria())
    assert r.meanings[2:5] == ("fiber", "meo_SES_O3b", "geo_Pak_Sat")
    assert all(" " not in m and "/" not in m for m in r.meanings)


def test_the_cash_flows_of_a_plan_add_up_to_its_present_value():
    population = np.array([500.0, 500.0, 500.0, 0.0])
    distance, weighted = np.full(4, 20.0), np.array([0.1, 300.0, np.inf, 5.0])
    demand = np.array([50.0, 250.0, 50.0, 0.0])
    options = _options([100] * 4, [100] * 4, [100] * 4)
    options[0] = SatelliteOption("starlink", "leo", True, *([np.full(4, 100.0)] * 2),
                                 np.full(4, 40.0), SatelliteCosts(782, 338, 100, 5))
    r = recommend(population, distance, weighted, demand, options, FiberCosts(), FINANCE,
                  FeasibilityCriteria())
    chosen = np.array(r.meanings, dtype=object)[r.code]
    assert list(chosen) == ["fiber", "leo_starlink", "leo_starlink", "no_population"]
    capex, opex = {}, {}
    capex["fiber"], opex["fiber"] = fiber_option_usd(weighted, FiberCosts())
    for o in options:
        capex[o.code_name], opex[o.code_name] = satellite_option_usd(demand, o.costs)
    table = chosen_cash_flows(chosen, capex, opex, FINANCE,
                              {o.code_name: o.costs.lifetime_years for o in options})
    assert table.options == ("fiber", "leo_starlink", "geo_paksat")
    # starlink: 1 + 3 terminals of USD 782, bought in years 0 and 5; 4 x 338 x 12 a year
    np.testing.assert_allclose(table.capex[1], [4 * 782, 0, 0, 0, 0, 4 * 782, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(table.opex[1, 1:], 4 * 338 * 12)
    np.testing.assert_allclose(table.total[2], 0.0)
    assert table.present_value.sum() == pytest.approx(np.nansum(r.chosen_cost_usd), rel=1e-12)
