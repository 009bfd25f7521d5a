"""The explorer's recompute model and callbacks as plain functions (no browser).

A small real setup: GB + AJK at H3 resolution 5, a 120-satellite Walker shell, 2 h at
300 s, terrain on (the bundled DEM). Checks: the two cache levels (a cost change never
runs the engine), the latest request wins, the map patch draws every cell once, the
exported TOML run through ``hybridplan plan`` gives the shown numbers, and the loopback
rule of ``hybridplan explore``.
"""

import copy
import dataclasses
import threading
import time

import numpy as np
import pytest

pytest.importorskip("dash", reason="the explore extra (Dash) is not installed")

import dash
from hybridplan.coverage.cli import main
from hybridplan.coverage.cli.explore import bind_address
from hybridplan.coverage.errors import CoverageError
from hybridplan.coverage.pipeline.explore_model import ExploreModel
from hybridplan.coverage.scenario import (
    Scenario,
    SystemSpec,
    WalkerSpec,
    default_scenario,
    planning_spec,
)
from hybridplan.reports.explorer import answer, cell_panel, views


def small_scenario(resolution: int = 5) -> Scenario:
    base = default_scenario()
    shell = WalkerSpec(550.0, 53.0, 12, 10, 1)
    return dataclasses.replace(
        base,
        systems=(SystemSpec("walker", walker=shell, min_elevation_deg=25.0),),
        region=dataclasses.replace(base.region, resolution=resolution),
        window=dataclasses.replace(base.window, duration_h=2.0, step_s=300.0),
        planning=dataclasses.replace(base.planning, satellite_costs={}),
        text="",
    )


@pytest.fixture(scope="module")
def model():
    m = ExploreModel(small_scenario(), workers=1)
    m.compute(m.initial_view())
    yield m
    m.close()


def with_(view, path, value):
    out = copy.deepcopy(view)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


def test_cost_change_reuses_coverage_and_is_affine_in_fibre_cost(model):
    view = model.initial_view()
    runs = model.stats.engine_runs
    costs = {}
    for per_km in (0.0, 20_000.0, 40_000.0):
        outcome = model.compute(with_(view, ("planning", "fiber.cost_per_km_usd"), per_km))
        assert not outcome.engine_ran
        costs[per_km] = outcome.plan["cost_fiber_usd"].values
    assert model.stats.engine_runs == runs  # the engine never ran for a cost slider
    # Present value of fibre = (km * cost_per_km + equipment) * (1 + opex * annuity):
    # affine in cost_per_km, so the second difference vanishes (independent of the code).
    ok = np.isfinite(costs[40_000.0]) & np.isfinite(costs[0.0])
    assert ok.sum() > 10
    second = costs[40_000.0][ok] - 2 * costs[20_000.0][ok] + costs[0.0][ok]
    np.testing.assert_allclose(second, 0.0, atol=1e-6 * np.abs(costs[40_000.0][ok]).max())
    assert np.all(costs[40_000.0][ok] >= costs[20_000.0][ok])


def test_cache_levels_and_quantisation(model):
    view = model.initial_view()
    model.compute(view)
    hits = model.stats.plan_hits
    cov_hits = model.stats.coverage_hits
    runs = model.stats.engine_runs
    model.compute(view)
    assert model.stats.plan_hits == hits + 1
    # below the slider's quantum (0.1 deg): the same coverage key, no engine run
    near = with_(view, ("systems", "walker", "min_elevation_deg"), 25.01)
    assert model.keys(near)[0] == model.keys(view)[0]
    model.compute(near)
    assert model.stats.engine_runs == runs
    # a cost change: new plan key, same coverage key, coverage cache hit
    cost = with_(view, ("planning", "finance.discount_rate"), 0.12)
    assert model.keys(cost)[0] == model.keys(view)[0]
    assert model.keys(cost)[1] != model.keys(view)[1]
    model.compute(cost)
    assert model.stats.coverage_hits == cov_hits + 1
    assert model.stats.engine_runs == runs


def test_raising_min_elevation_never_adds_coverage(model):
    view = model.initial_view()
    low = model.compute(view).plan["pct_time_covered"].sel(system="walker").values
    high_view = with_(view, ("systems", "walker", "min_elevation_deg"), 40.0)
    high = model.compute(high_view).plan["pct_time_covered"].sel(system="walker").values
    assert np.all(high <= low + 1e-9)
    assert high.mean() < low.mean()  # and at 40 deg a sparse shell loses some


def test_superseded_requests_are_dropped(model):
    views_ = [
        with_(model.initial_view(), ("systems", "walker", "min_elevation_deg"), v)
        for v in (31.0, 32.0, 33.0)
    ]
    runs = model.stats.engine_runs
    results = {}
    model._run_lock.acquire()  # one recompute "in flight": the three requests queue
    try:
        threads = []
        for k, v in enumerate(views_):
            before = model._latest
            t = threading.Thread(target=lambda k=k, v=v: results.__setitem__(k, model.compute(v)))
            t.start()
            threads.append(t)
            deadline = time.monotonic() + 5
            while model._latest == before and time.monotonic() < deadline:
                time.sleep(0.001)
    finally:
        model._run_lock.release()
    for t in threads:
        t.join(30)
    assert results[0] is None and results[1] is None  # overtaken while waiting
    assert results[2] is not None
    assert results[2].coverage_key == model.keys(views_[2])[0]
    assert model.stats.engine_runs == runs + 1  # only the latest input ran the engine
    shown = results[2].plan["min_elevation_deg"].sel(system="walker").item()
    assert shown == pytest.approx(33.0)


def test_answer_patches_map_with_every_cell_once(model):
    view = model.initial_view()
    state = {}
    patch, status, version, table, shown_view, systems, key = answer(
        model, view, "pct_time_covered", "walker", state
    )
    assert isinstance(patch, dash.Patch)
    ops = patch.to_plotly_json()["operations"]
    slots = {
        op["location"][1]: op["params"]["value"] for op in ops if op["location"][:1] == ["data"]
    }
    assert sorted(slots) == list(range(views.MAP_SLOTS))  # only the map's own slots
    counts = views.hexagon_count([slots[i] for i in range(views.MAP_SLOTS)])
    n_cells = model.current.plan.sizes["cell"]
    assert sum(counts.values()) == n_cells  # every hexagon drawn exactly once
    assert version == "1" and "engine runs" in status
    assert systems == ["walker", "combined"]
    again = answer(model, view, "pct_time_covered", "walker", state)
    assert again[2] == "2" and again[5] is dash.no_update  # same systems: options untouched
    # a cost change leaves the coverage map as shown: nothing is re-sent ...
    dearer = with_(view, ("planning", "fiber.cost_per_km_usd"), 31_000.0)
    same = answer(model, dearer, "pct_time_covered", "walker", state, shown_key=key)
    assert same[0] is dash.no_update and same[6] == key
    # ... but a map of the cost it changes is patched
    cost_key = views.map_key(model.compute(view).plan, "cost_recommended_usd", "walker")
    moved = answer(model, dearer, "cost_recommended_usd", "walker", state, shown_key=cost_key)
    assert isinstance(moved[0], dash.Patch) and moved[6] != cost_key
    # a request overtaken by a later one changes nothing in the page
    out = {}
    model._run_lock.acquire()
    try:
        before = model._latest
        t = threading.Thread(
            target=lambda: out.setdefault(
                "a", answer(model, view, "pct_time_covered", "walker", state)
            )
        )
        t.start()
        deadline = time.monotonic() + 5
        while model._latest == before and time.monotonic() < deadline:
            time.sleep(0.001)
        model._latest += 1  # a later request took the next ticket
    finally:
        model._run_lock.release()
    t.join(30)
    assert all(o is dash.no_update for o in out["a"])


def test_district_table_follows_the_map(model):
    plan = model.current.plan
    columns, rows = views.district_rows(plan, "population", None)
    assert columns[-1][0] == "mapped" and "sum" in columns[-1][1]
    total = sum(r["mapped"] for r in rows)
    assert total == pytest.approx(float(plan["population"].sum()), rel=1e-9)
    for row in rows:
        assert row["mapped"] == pytest.approx(row["population"], rel=1e-9)
    columns, rows = views.district_rows(plan, "recommendation", None)
    meanings = set(plan["recommendation"].attrs["flag_meanings"].split())
    assert all(r["mapped"] in meanings for r in rows)


def test_cell_click_series_matches_figures(model):
    view = model.initial_view()
    plan = model.compute(view).plan
    pct = plan["pct_time_covered"].sel(system="walker").values
    k = int(np.argmax((pct > 0) & (pct < 100))) if np.any((pct > 0) & (pct < 100)) else 0
    cell = str(plan["cell"].values[k])
    lat, lon = float(plan["lat"].values[k]), float(plan["lon"].values[k])
    click = {"points": [{"x": lon, "y": lat}]}
    assert views.cell_from_click(click, 5) == cell
    series = model.cell_series(view, cell)
    n = series["n_visible"].sel(system="walker", cell=cell).values
    assert n.size == 24  # 2 h at 300 s
    # the per-step series and the accumulated figures agree (two ways to one number)
    assert 100.0 * np.mean(n >= 1) == pytest.approx(pct[k], abs=1e-9)
    assert np.mean(n) == pytest.approx(
        float(plan["n_visible_mean"].sel(system="walker").values[k]), abs=1e-9
    )
    panel = cell_panel(model, view, cell)
    reason = panel[1].children
    assert reason == f"Reason: {plan['reason'].values[k]}"


def test_walker_add_and_replace(model):
    view = model.initial_view()
    add = with_(view, ("walker", "mode"), "add")
    add["walker"].update(
        name="shell2",
        planes=6,
        sats_per_plane=5,
        phasing=1,
        altitude_km=1200.0,
        inclination_deg=87.9,
    )
    plan = model.compute(add).plan
    assert [str(s) for s in plan["system"].values] == ["walker", "shell2", "combined"]
    assert int(plan["n_satellites"].sel(system="shell2")) == 30
    # adding satellites never removes coverage
    one = model.compute(view).plan["pct_time_covered"].sel(system="combined").values
    two = plan["pct_time_covered"].sel(system="combined").values
    assert np.all(two >= one - 1e-9)
    rep = with_(add, ("walker", "mode"), "replace")
    plan = model.compute(rep).plan
    assert [str(s) for s in plan["system"].values] == ["walker", "combined"]
    assert int(plan["n_satellites"].sel(system="walker")) == 30


def test_exported_toml_reproduces_the_shown_numbers(model, tmp_path):
    view = model.initial_view()
    view = with_(view, ("systems", "walker", "min_elevation_deg"), 30.0)
    view = with_(view, ("planning", "fiber.cost_per_km_usd"), 35_000.0)
    view = with_(view, ("planning", "costs.LEO.terminal_usd"), 4_000.0)
    view = with_(view, ("planning", "demand.kbps_per_person"), 120.0)
    shown = model.compute(view).plan
    text = model.export_toml(view)
    scenario = Scenario.from_toml(text, "exported.toml")
    assert planning_spec(scenario) == model.spec_of(view)  # the tables round-trip
    path = tmp_path / "exported.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["plan", str(path), "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    import xarray as xr

    with xr.open_dataset(tmp_path / "out" / "plan.nc") as ran:
        ran = ran.load()
    assert [str(c) for c in ran["cell"].values] == [str(c) for c in shown["cell"].values]
    np.testing.assert_array_equal(ran["recommendation"].values, shown["recommendation"].values)
    np.testing.assert_allclose(
        ran["pct_time_covered"].values, shown["pct_time_covered"].values, rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(
        ran["cost_recommended_usd"].values, shown["cost_recommended_usd"].values, rtol=1e-9
    )
    assert float(ran.attrs["fiber_cost_per_km_usd"]) == 35_000.0


def test_full_resolution_export_keeps_the_scenario_resolution():
    m = ExploreModel.__new__(ExploreModel)  # only the view -> scenario part is exercised
    m.base = dataclasses.replace(small_scenario(5), text="")
    m.full_resolution = 7
    m.spec = planning_spec(m.base)
    m._orbit = {"walker": "LEO"}
    view = {
        "systems": {"walker": {"enabled": True}},
        "walker": {"mode": "off"},
        "window": {},
        "planning": {},
    }
    assert m.scenario_of(view).region.resolution == 5
    assert m.scenario_of(view, full_resolution=True).region.resolution == 7


def test_explore_binds_loopback_unless_public(capsys):
    assert bind_address("127.0.0.1", False) == "127.0.0.1"
    assert bind_address("::1", False) == "::1"
    with pytest.raises(CoverageError, match="--public"):
        bind_address("0.0.0.0", False)
    with pytest.raises(CoverageError, match="--public"):
        bind_address("192.168.1.10", False)
    assert bind_address("127.0.0.1", True) == "0.0.0.0"
    assert bind_address("10.0.0.5", True) == "10.0.0.5"
    assert main(["explore", "--host", "0.0.0.0", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "add --public" in err


def test_full_plan_job_runs_in_background_and_cancels(tmp_path):
    from hybridplan.coverage.cli.explore import FullPlanJob

    job = FullPlanJob(tmp_path)
    assert job.status() == {"running": False, "text": "no full plan started"}
    text = small_scenario().to_toml()
    assert job.start(text).startswith("started in ")
    assert job.status()["running"]
    assert job.start(text) == "a full plan is already running"  # one at a time
    job.cancel()
    status = job.status()
    assert not status["running"] and "cancelled" in status["text"]
    (folder,) = tmp_path.iterdir()
    assert (folder / "scenario.toml").read_text(encoding="utf-8") == text
    assert not (folder / "results" / "plan.nc").exists()  # stopped before writing


def test_reason_map_keeps_the_common_reasons_within_the_trace_slots(model):
    import xarray as xr

    plan = model.current.plan.copy()
    n = plan.sizes["cell"]
    # 60 distinct reasons: "common" on half the cells, the rest one or two cells each
    text = np.array(["served:common"] * n, dtype=object)
    text[n // 2 :] = [f"none:rare_{k % 60}" for k in range(n - n // 2)]
    plan["reason"] = xr.DataArray(text.astype(str), dims="cell", attrs={"long_name": "why"})
    da = views.figure_array(plan, "reason", None)
    meanings = da.attrs["flag_meanings"].split()
    assert len(meanings) == views.MAX_CATEGORIES
    assert "served:common" in meanings and "other" in meanings
    common = meanings.index("served:common")
    assert int(np.sum(da.values == common)) == n - (n - n // 2)
    traces, _ = views.map_traces(plan, "reason", None)
    assert len(traces) == views.MAP_SLOTS
    assert sum(views.hexagon_count(traces).values()) == n


def test_bad_window_start_is_one_line_in_the_status(model):
    view = with_(model.initial_view(), ("window", "start"), "2026-05-30 00:00")
    out = answer(model, view, "pct_time_covered", "walker", {})
    assert out[0] is dash.no_update  # the map keeps the last good answer
    assert out[1].startswith("error: explorer [window] start")
    assert "no time zone" in out[1] and "\n" not in out[1]
    none = with_(model.initial_view(), ("systems", "walker", "enabled"), False)
    out = answer(model, none, "pct_time_covered", "walker", {})
    assert out[1].startswith("error: explorer: no system selected")
