"""The plan contract: the real and the synthetic plan keep it; each kind of breach is
named in one clear line."""

import json

import numpy as np
import pytest
import xarray as xr
from hybridplan.coverage import PlanContractError, validate_plan
from hybridplan.coverage.contract import (
    PLAN_VARIABLES,
    assumption_of,
    contract_var,
    plan_breaches,
    variable,
)


def test_real_plan_keeps_the_contract_strictly(real_plan, tmp_path):
    # every variable of a real plan is named by the contract, before and after NetCDF
    assert plan_breaches(real_plan, strict=True) == []
    path = tmp_path / "plan.nc"
    real_plan.to_netcdf(path, engine="h5netcdf")
    with xr.open_dataset(path, engine="h5netcdf") as back:
        assert plan_breaches(back, strict=True) == []
    assert "series_n_visible" in real_plan and real_plan.sizes["series_cell"] == 2


def test_synthetic_plan_keeps_the_contract(synthetic_plan):
    assert plan_breaches(synthetic_plan, strict=True) == []
    from hybridplan.coverage import testing

    with_cases = testing.synthetic_plan(cases=True, series=False)
    assert plan_breaches(with_cases, strict=True) == []
    assert list(with_cases["case"].values) == ["today", "foreign_leo_licensed"]


def test_real_and_synthetic_plans_share_vocabulary(real_plan, synthetic_plan):
    real = real_plan["recommendation"].attrs["flag_meanings"].split()
    fake = synthetic_plan["recommendation"].attrs["flag_meanings"].split()
    assert real[:3] == fake[:3] == ["no_population", "already_served", "fiber"]
    assert real[-2:] == fake[-2:] == ["none_feasible", "not_target"]
    for name in ("rural", "underserved", "on_network", "licensed", "backhaul"):
        assert (
            real_plan[name].attrs["flag_meanings"] == synthetic_plan[name].attrs["flag_meanings"]
        ), name
    shared = set(real_plan.data_vars) & set(synthetic_plan.data_vars)
    for name in shared:
        assert real_plan[name].attrs["units"] == synthetic_plan[name].attrs["units"], name
        assert real_plan[name].dims == synthetic_plan[name].dims, name


def test_colours_come_with_the_flags(real_plan):
    rec = real_plan["recommendation"].attrs
    colours = rec["flag_colors"].split()
    meanings = rec["flag_meanings"].split()
    assert len(colours) == len(meanings)
    assert dict(zip(meanings, colours, strict=True))["fiber"] == "#1f77b4"
    assert all(c.startswith("#") and len(c) == 7 for c in colours)
    # the grids' flags get theirs at the end of build_plan
    assert len(real_plan["rural"].attrs["flag_colors"].split()) == 2


def test_missing_variable_is_named(synthetic_plan):
    broken = synthetic_plan.drop_vars("demand_mbps")
    with pytest.raises(
        PlanContractError,
        match=r"missing variable demand_mbps\('cell',\): "
        r"busy-hour backhaul demand \[Mbit/s\]",
    ):
        validate_plan(broken)


def test_wrong_units_are_named(synthetic_plan):
    broken = synthetic_plan.copy()
    broken["pct_time_covered"] = broken["pct_time_covered"].copy()
    broken["pct_time_covered"].attrs["units"] = "%"
    with pytest.raises(PlanContractError, match="pct_time_covered: units '%', expected 'percent'"):
        validate_plan(broken)


def test_unknown_flag_meaning_is_named(synthetic_plan):
    broken = synthetic_plan.copy()
    broken["rural"] = broken["rural"].copy()
    broken["rural"].attrs["flag_meanings"] = "urban rural"
    with pytest.raises(
        PlanContractError,
        match="rural: unknown flag meaning 'urban'; the contract allows not_rural, rural",
    ):
        validate_plan(broken)


def test_every_breach_is_listed_once(synthetic_plan):
    broken = synthetic_plan.drop_vars(["reason", "cost_fiber_usd"]).copy()
    broken["max_gap_s"] = broken["max_gap_s"].transpose("cell", "system")
    broken["underserved"] = broken["underserved"].copy()
    broken["underserved"].attrs["flag_values"] = np.array([0, 1, 2], np.int8)
    broken["recommendation"] = broken["recommendation"].copy()
    broken["recommendation"].attrs["flag_meanings"] += " leo_"  # not a system option
    broken.attrs.pop("window_start_utc")
    with pytest.raises(PlanContractError) as info:
        validate_plan(broken)
    lines = str(info.value).splitlines()[1:]
    assert len(lines) == 7, lines
    text = str(info.value)
    assert "missing variable reason" in text
    assert "max_gap_s: dims ('cell', 'system'), expected ('system', 'cell')" in text
    assert "underserved: 3 flag_values but 2 flag_meanings" in text
    assert "recommendation: unknown flag meaning 'leo_'" in text
    assert "missing global attribute 'window_start_utc'" in text
    # the cost family still has members (leo_starlink ...), so no cost breach; the
    # recommendation's extra meaning also breaks the value and colour counts
    assert "recommendation: 9 flag_values but 10 flag_meanings" in text
    assert "recommendation: 9 flag_colors for 10 flag_meanings" in text


def test_strict_refuses_unnamed_variables(synthetic_plan):
    extra = synthetic_plan.assign(mystery=("cell", np.zeros(synthetic_plan.sizes["cell"])))
    validate_plan(extra)  # tolerated by default (later issues add variables)
    with pytest.raises(PlanContractError, match="unknown variable 'mystery'"):
        validate_plan(extra, strict=True)


def test_malformed_reason_is_a_breach(synthetic_plan):
    broken = synthetic_plan.copy()
    reason = broken["reason"].values.astype(object)
    reason[0] = "fibre:cheapest"
    broken["reason"] = ("cell", reason.astype(str), broken["reason"].attrs)
    with pytest.raises(PlanContractError, match="reason: values \\['fibre:cheapest'\\]"):
        validate_plan(broken)


def test_pattern_rows_and_lookup():
    assert variable("cost_leo_starlink_usd").name == "cost_<option>_usd"
    assert variable("cost_fiber_usd").units == "USD"
    with pytest.raises(PlanContractError, match="'cost_recommended_x_usd' is not a plan"):
        variable("cost_recommended_x_usd")
    dims, values, attrs = contract_var(
        "recommendation", np.zeros(3, np.int8), ["no_population", "fiber", "meo_o3b", "geo_paksat"]
    )
    assert dims == ("cell",)
    assert attrs["flag_values"].tolist() == [0, 1, 2, 3]
    assert attrs["flag_colors"].split()[1] == "#1f77b4"
    assert len(set(attrs["flag_colors"].split())) == 4
    for row in PLAN_VARIABLES.values():
        assert row.units is not None and row.long_name, row.name
        if row.kind == "flag":
            assert row.flags, row.name


def test_assumptions_record_has_the_effective_defaults(real_plan):
    records = {r["key"]: r for r in json.loads(real_plan.attrs["assumptions"])}
    assert records["costs.fiber.cost_per_km_usd"]["value"] == 20000.0
    assert records["costs.fiber.cost_per_km_usd"]["unit"] == "USD/km"
    assert records["planning.discount_rate"]["value"] == pytest.approx(0.08)
    # satellite costs of every backhaul system, defaults by orbit class
    assert records["costs.starlink.terminal_usd"]["unit"] == "USD"
    assert records["costs.paksat.service_usd_per_month"]["value"] == 2000.0
    assert {r["label"] for r in records.values()} <= {"[FILED]", "[MEASURED]", "[ASSUMPTION]"}
    assert assumption_of("costs.kuiper.terminal_usd").unit == "USD"
    assert assumption_of("window.step_s").unit == "s"
