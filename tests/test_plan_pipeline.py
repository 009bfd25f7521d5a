"""The plan pipeline end to end on a small scenario: the plan Dataset contract, outputs
written atomically and readable, the CLI, and bad planning tables."""

import numpy as np
import pytest
import xarray as xr
from hybridplan.coverage import build_plan, resolve
from hybridplan.coverage.cli import main
from hybridplan.coverage.errors import ScenarioError
from hybridplan.coverage.planning.sweep import compare_plans, parse_sweep, sweep
from hybridplan.coverage.scenario import Scenario, load_scenario, planning_spec

SMALL = """
name = "nagar-small"
[region]
names = ["Nagar"]
resolution = 6
[window]
start = "2026-05-30T00:00:00Z"
duration_h = 1
step_s = 300
[[systems]]
name = "starlink"
source = "bundled:starlink"
filter = { altitude_km = [520, 560], inclination_deg = [53, 54] }
min_elevation_deg = 25
licensed = %s
[[systems]]
name = "paksat"
source = "bundled:geo"
filter = { name = "PAKSAT" }
min_elevation_deg = 10
[planning]
min_fiber_distance_km = 5
[costs.fiber]
cost_per_km_usd = 20000
"""


@pytest.fixture(scope="module")
def plans():
    licensed = build_plan(resolve(Scenario.from_toml(SMALL % "true", "small.toml")))
    unlicensed = build_plan(resolve(Scenario.from_toml(SMALL % "false", "small.toml")))
    return licensed, unlicensed


def test_plan_dataset_contract(plans):
    plan, _ = plans
    assert set(plan.sizes) >= {"cell", "system"}
    for name in ("lat", "lon", "area_km2", "district", "province", "population",
                 "elevation_m", "rural", "fiber_distance_km", "fiber_path_km", "underserved",
                 "demand_mbps", "recommendation", "reason", "cost_fiber_usd",
                 "cost_recommended_usd", "pct_time_covered", "pct_time_covered_open_sky",
                 "max_gap_s", "mean_gap_s", "latency_rtt_mean_ms"):
        assert name in plan, name
        assert "units" in plan[name].attrs and "long_name" in plan[name].attrs, name
    meanings = plan["recommendation"].attrs["flag_meanings"].split()
    assert meanings[:3] == ["no_population", "already_served", "fiber"]
    assert len(plan["recommendation"].attrs["flag_values"]) == len(meanings)
    assert plan.attrs["scenario"].startswith("\nname = \"nagar-small\"")
    assert plan.attrs["window_start_utc"] == "2026-05-30T00:00:00Z"
    assert "hybridplan_version" in plan.attrs and "underserved_rule" in plan.attrs


def test_recommendations_are_consistent_with_costs_and_reasons(plans):
    plan, _ = plans
    meanings = np.array(plan["recommendation"].attrs["flag_meanings"].split())
    chosen = meanings[plan["recommendation"].values]
    reasons = plan["reason"].values.astype(str)
    prefix = np.array([r.split(":")[0] for r in reasons])
    built = ~np.isin(chosen, ["no_population", "already_served", "none_feasible",
                              "not_target"])
    np.testing.assert_array_equal(prefix[built], chosen[built])
    # a cell whose people all belong to one site pays its share of that site's choice
    from hybridplan.coverage.planning.decide import plan_sites

    sites = plan_sites(plan, planning_spec(Scenario.from_toml(SMALL % "true", "small.toml")))
    single = np.diff(sites.share.indptr) == 1
    for option in ("fiber", "leo_starlink", "geo_paksat"):
        mask = (chosen == option) & single
        np.testing.assert_allclose(plan["cost_recommended_usd"].values[mask],
                                   plan[f"cost_{option}_usd"].values[mask])
    assert (plan["population"].values[chosen == "no_population"] == 0).all()
    # a cell pays (its people's share) exactly when one of its sites is built
    site_built = np.isfinite(plan["site_cost_usd"].values).astype(float)
    any_built = np.asarray(sites.share @ site_built).reshape(-1) > 0
    np.testing.assert_array_equal(np.isfinite(plan["cost_recommended_usd"].values), any_built)
    assert (np.isfinite(plan["cost_recommended_usd"].values[built])).all()


def test_builds_only_for_targets_and_tables_reconcile(plans):
    """Every built cell is a target cell; target cells = cells with a build + cells with
    no feasible option; the cells' allocated costs add up to the sites' costs."""
    plan, _ = plans
    meanings = np.array(plan["recommendation"].attrs["flag_meanings"].split())
    chosen = meanings[plan["recommendation"].values]
    target = plan["underserved"].values.astype(bool)
    built = np.isfinite(plan["cost_recommended_usd"].values)
    assert built.any()
    assert not (built & ~target).any()
    assert (target == (built | (chosen == "none_feasible"))).all()
    np.testing.assert_allclose(np.nansum(plan["cost_recommended_usd"].values),
                               np.nansum(plan["site_cost_usd"].values), rtol=1e-12)
    np.testing.assert_allclose(plan["site_population"].sum(), plan["population"].sum(),
                               rtol=1e-12)
    # non-target settled cells carry a reason and no cost
    idle = (plan["population"].values > 0) & ~target
    assert np.isnan(plan["cost_recommended_usd"].values[idle]).all()
    assert all(r.startswith(("served:", "none:not_target(")) for r in
               plan["reason"].values[idle].astype(str))


def test_licensing_starlink_never_raises_the_plans_cost(plans):
    """More licensed options never raise the plan's total; with sites priced alone
    (``design = "per_site"``, satellites unlimited) never a single cell's cost either. (With shared trunks a
    cell's share of a trunk may rise when a neighbour leaves it for a satellite.)"""
    licensed, unlicensed = plans
    a = np.nan_to_num(licensed["cost_recommended_usd"].values, nan=0.0)
    b = np.nan_to_num(unlicensed["cost_recommended_usd"].values, nan=0.0)
    assert a.sum() <= b.sum() * (1 + 1e-9)
    diff = compare_plans(unlicensed, licensed)
    assert diff.attrs["total_cost_b_usd"] <= diff.attrs["total_cost_a_usd"]
    def total(text):
        plan = build_plan(resolve(Scenario.from_toml(text, "s.toml")))
        return np.nan_to_num(plan["cost_recommended_usd"].values, nan=0.0)

    # satellites unlimited (with capacity, a site priced alone may be pushed off a full
    # system by a neighbour that licensing made cheaper there)
    per_site = SMALL + "[network]\ndesign = \"per_site\"\nsatellite_capacity = false\n"
    alone = [total(per_site % s) for s in ("true", "false")]
    assert (alone[0] <= alone[1] + 1e-6).all()
    # sharing infrastructure never raises the plan's cost (satellites unlimited on both sides)
    shared = SMALL + "[network]\nsatellite_capacity = false\n"
    together = [total(shared % s) for s in ("true", "false")]
    assert together[0].sum() <= alone[0].sum() * (1 + 1e-9)
    assert together[1].sum() <= alone[1].sum() * (1 + 1e-9)


def test_sweep_shares_add_up_and_cheap_fibre_wins_cells(plans):
    plan, _ = plans
    spec = planning_spec(Scenario.from_toml(SMALL % "true", "small.toml"))
    result = sweep(plan, spec, "fiber_cost_per_km", [1_000.0, 20_000.0, 200_000.0])
    np.testing.assert_allclose(result["population_share"].sum("technology"), 100.0)
    fiber = result["cells"].sel(technology="fiber") if "fiber" in result["technology"] else None
    if fiber is not None:
        assert (np.diff(fiber.values) <= 0).all()  # dearer fibre never wins more cells
    assert result["fiber_cost_per_km"].attrs["units"] == "USD/km"


def test_cli_plan_writes_every_output_and_reads_back(tmp_path, capsys):
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL % "true")
    out = tmp_path / "out"
    assert main(["plan", str(scenario), "--out", str(out), "--no-progress",
                 "--sweep", "fiber_cost_per_km=10000,54000"]) == 0
    printed = capsys.readouterr().out
    assert "Gilgit-Baltistan" in printed and "present value" in printed
    names = {p.name for p in out.iterdir()}
    assert names == {"plan.nc", "sweep.nc", "report.html", "cells.gpkg",  # default exports
                     "districts.csv", "attributes.csv", "report_inputs.json", "manifest.json"}
    plan = xr.load_dataset(out / "plan.nc", engine="h5netcdf")
    assert plan.sizes["cell"] > 0 and "recommendation" in plan
    assert main(["report", str(out / "plan.nc"), "--out", str(tmp_path / "again")]) == 0
    # the report re-rendered from plan.nc (+ report_inputs.json) is the plan's report,
    # overlays and constellation summaries included (the sweep is not re-read)
    first = (out / "report.html").read_text(encoding="utf-8")
    again = (tmp_path / "again" / "report.html").read_text(encoding="utf-8")
    for marker in ("Nagar", "shells", "fibre"):
        assert (marker in first) == (marker in again), marker
    assert main(["compare", str(out / "plan.nc"), str(out / "plan.nc")]) == 0
    assert "0 of" in capsys.readouterr().out


@pytest.mark.parametrize("table, pattern", [
    ("[costs.fiber]\ncost_per_kms_usd = 1",
     r"\[costs.fiber\] unknown key 'cost_per_kms_usd'; did you mean 'cost_per_km_usd'\?"),
    ("[demand]\ntake_up_rate = 1.5", r"\[demand\] take_up_rate = 1.5: expected 0..1"),
    ("[costs.starlnk]\nterminal_usd = 1",
     r"\[costs\] unknown key 'starlnk'; did you mean 'starlink'\?"),
    ("[planning]\nhorizon_years = 10.5", r"horizon_years = 10.5: expected a whole number"),
    ("[network]\ninclude_planned = 1", r"include_planned = 1: expected true or false"),
])
def test_bad_planning_tables_name_the_key(tmp_path, table, pattern):
    text = (SMALL % "true").replace("[planning]\nmin_fiber_distance_km = 5\n"
                                    "[costs.fiber]\ncost_per_km_usd = 20000\n", "") + table
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=pattern):
        planning_spec(load_scenario(path))
    assert main(["plan", str(path), "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists()


def test_sweep_argument_errors():
    assert parse_sweep("fiber_cost_per_km=1,2") == ("fiber_cost_per_km", [1.0, 2.0])
    with pytest.raises(ScenarioError, match="cannot sweep 'min_elevation_deg'"):
        parse_sweep("min_elevation_deg=10,20")
    with pytest.raises(ScenarioError, match="values must be numbers"):
        parse_sweep("discount_rate=a,b")


def test_a_relative_geojson_region_resolves_next_to_the_scenario(tmp_path, monkeypatch):
    import json

    from hybridplan.coverage.pipeline import prepare_grid, scenario_region
    from hybridplan.coverage.pipeline.outputs import boundaries_geojson

    box = [[74.5, 36.2], [74.7, 36.2], [74.7, 36.35], [74.5, 36.35], [74.5, 36.2]]
    (tmp_path / "box.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Box"},
         "geometry": {"type": "Polygon", "coordinates": [box]}}]}))
    text = SMALL % "true"
    text = text.replace('names = ["Nagar"]', 'names = ["box.geojson"]')
    (tmp_path / "s.toml").write_text(text)
    monkeypatch.chdir(tmp_path.parent)  # relative to the scenario file, not the cwd
    scenario = load_scenario(tmp_path / "s.toml")
    region = scenario_region(scenario)
    outline = boundaries_geojson(region)
    assert len(outline["features"]) == 1
    assert outline["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    grid = prepare_grid(scenario, region)
    assert 0 < grid.sizes["cell"] < 50
    assert ((grid["lon"] > 74.5) & (grid["lon"] < 74.7)).all()


def test_licensing_cases_come_from_one_coverage_run(plans):
    """The plan's own recommendation is the base case; the alternative case (Starlink
    licensed) decided on the same coverage equals a run with Starlink licensed; the cash
    flows add up to the plan's present value."""
    licensed, _ = plans
    text = (SMALL % "false").replace("licensed = false", "licensed = false\n"
                                     "licensed_alternative = true")
    plan = build_plan(resolve(Scenario.from_toml(text, "cases.toml")))
    assert plan["case"].values.tolist() == ["as_of_2025", "foreign_leo_licensed"]
    assert plan["licensed_by_case"].sel(system="starlink").values.tolist() == [0, 1]
    np.testing.assert_array_equal(plan["recommendation_by_case"].isel(case=0),
                                  plan["recommendation"])
    np.testing.assert_array_equal(plan["recommendation_by_case"].isel(case=1),
                                  licensed["recommendation"])
    np.testing.assert_allclose(plan["cost_recommended_by_case_usd"].isel(case=1),
                               licensed["cost_recommended_usd"], equal_nan=True)
    rate = plan.attrs["discount_rate"]
    years = plan["year"].values
    flows = (plan["cash_flow_capex_usd"] + plan["cash_flow_opex_usd"]).values
    pv = (flows * (1 + rate) ** -years).sum(axis=1)
    np.testing.assert_allclose(pv, np.nansum(plan["cost_recommended_by_case_usd"].values, axis=1),
                               rtol=1e-9)


def test_output_exports_choose_the_files(tmp_path):
    """[output] exports decides what 'hybridplan plan' writes (attributes.csv, the column
    dictionary, comes with any table; manifest.json with every run)."""
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL % "true" + '[output]\nexports = ["plan_nc", "geojson"]\n')
    out = tmp_path / "out"
    assert main(["plan", str(scenario), "--out", str(out), "--no-progress"]) == 0
    assert {p.name for p in out.iterdir()} == {"plan.nc", "report_inputs.json",
                                               "cells.geojson", "attributes.csv",
                                               "manifest.json"}


def test_cell_detail_follows_the_scenario_into_plan_and_report(tmp_path):
    """``[output] cell_detail = "compact"``: the plan's cell table keeps per system only the
    decision's figures, and ``hybridplan report`` re-renders with the same columns
    (report_inputs.json records the choice)."""
    import json
    import sqlite3

    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL % "true" + '[output]\nexports = ["plan_nc", "cells_csv"]\n'
                        'cell_detail = "compact"\n')
    out = tmp_path / "out"
    assert main(["plan", str(scenario), "--out", str(out), "--no-progress"]) == 0
    assert json.loads((out / "report_inputs.json").read_text())["cell_detail"] == "compact"
    header = (out / "cells.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert "pct_time_covered_starlink" in header and "max_gap_s_combined" in header
    assert "max_gap_s_starlink" not in header
    assert main(["report", str(out / "plan.nc"), "--out", str(tmp_path / "again")]) == 0
    con = sqlite3.connect(tmp_path / "again" / "cells.gpkg")
    try:
        gpkg = [r[1] for r in con.execute("PRAGMA table_info(cells)")][2:]
    finally:
        con.close()
    assert gpkg == header


def test_the_plan_keeps_the_horizons_as_plan_nc_stores_them(plans, tmp_path):
    """The coverage run reads the horizons at full precision; the plan holds them as
    float32, as plan.nc stores them, so a plan read back has the same horizons."""
    from hybridplan.coverage.pipeline.inputs import prepare_ground
    from hybridplan.coverage.pipeline.outputs import FLOAT32_VARIABLES, write_netcdf

    plan, _ = plans
    ground = prepare_ground(resolve(Scenario.from_toml(SMALL % "true", "small.toml")))
    assert ground["horizon_deg"].dtype == np.float64
    assert plan["horizon_deg"].dtype == np.float32
    np.testing.assert_array_equal(
        plan["horizon_deg"].values, ground["horizon_deg"].values.astype(np.float32)
    )
    assert plan["horizon_deg"].attrs == ground["horizon_deg"].attrs
    write_netcdf(plan, tmp_path / "plan.nc", float32=FLOAT32_VARIABLES)
    back = xr.load_dataset(tmp_path / "plan.nc", engine="h5netcdf")
    assert back["horizon_deg"].dtype == np.float32
    np.testing.assert_array_equal(back["horizon_deg"].values, plan["horizon_deg"].values)
