"""Charts and tables as objects: labels from attrs, values computed by hand, on the
synthetic plan and on a small real plan."""

import numpy as np
import pytest
from hybridplan.coverage import testing
from hybridplan.reports import (
    ReportDataError,
    cost_by_option_chart,
    district_coverage_chart,
    district_table,
    label,
    recommendation_chart,
    summary,
    sweep_chart,
    visibility_series_chart,
)


def _meanings(plan):
    return plan.recommendation.attrs["flag_meanings"].split()


def test_label_is_long_name_and_units(any_plan):
    assert label(any_plan.max_gap_s) == "longest coverage gap [s]"
    assert label(any_plan.n_visible_mean) == "mean number of visible satellites [1]"
    assert label(any_plan.recommendation) == "recommended backhaul"
    assert label(any_plan.max_gap_s.drop_attrs(), "max_gap_s") == "max_gap_s"


def test_district_coverage_is_population_weighted_mean(synthetic_plan):
    plan = synthetic_plan
    fig = district_coverage_chart(plan)
    assert [t.name for t in fig.data] == [str(s) for s in plan.system.values]
    assert fig.layout.yaxis.title.text == (
        "percentage of time steps with at least one visible satellite [percent]")
    assert "population-weighted mean" in fig.layout.title.text
    combined = next(t for t in fig.data if t.name == "combined")
    assert list(combined.x) == sorted(testing.DISTRICTS)
    sel = (plan.district == "Hunza").values
    pop = plan.population.values[sel]
    cov = plan.pct_time_covered.sel(system="combined").values[sel]
    assert combined.y[list(combined.x).index("Hunza")] == pytest.approx(
        np.sum(pop * cov) / np.sum(pop))
    one = district_coverage_chart(plan, system="kuiper", variable="max_gap_s")
    assert [t.name for t in one.data] == ["kuiper"]
    with pytest.raises(ReportDataError, match="found"):
        district_coverage_chart(plan, system="iridium")


def test_cost_chart_totals_per_system_option(any_plan):
    plan = any_plan
    fig = cost_by_option_chart(plan)
    assert fig.layout.yaxis.title.text == "Total cost [USD]"
    every, chosen = fig.data
    options = [m for m in _meanings(plan) if f"cost_{m}_usd" in plan]
    assert sorted(every.x) == sorted(options)
    under = plan.underserved.values.astype(bool)
    x = list(every.x)
    assert every.y[x.index("fiber")] == pytest.approx(
        np.nansum(plan.cost_fiber_usd.values[under]))
    codes = plan.recommendation.values
    for option in options:  # the plan's own option names, no orbit-class fallback
        chosen_cells = codes == _meanings(plan).index(option)
        assert chosen.y[x.index(option)] == pytest.approx(
            np.nansum(plan.cost_recommended_usd.values[chosen_cells]))
    assert sum(chosen.y) == pytest.approx(np.nansum(plan.cost_recommended_usd.values))
    assert sum(chosen.y) == pytest.approx(summary(plan)["total_cost_usd"])
    with pytest.raises(ReportDataError, match="cost_<option>_usd"):
        cost_by_option_chart(plan.drop_vars([f"cost_{o}_usd" for o in options]))


def test_summary_numbers(any_plan):
    plan = any_plan
    s = summary(plan)
    under = plan.underserved.values.astype(bool)
    assert s["cells"] == plan.sizes["cell"]
    assert s["underserved_population"] == pytest.approx(plan.population.values[under].sum())
    shares = s["recommendation"]
    assert list(shares) == _meanings(plan)
    assert sum(r["cells"] for r in shares.values()) == plan.sizes["cell"]
    assert sum(r["population_pct"] for r in shares.values()) == pytest.approx(100.0)
    assert shares["already_served"]["cost_usd"] == 0.0
    bare = summary(plan.drop_vars(["population", "recommendation", "underserved"]))
    assert bare["population"] is None and bare["recommendation"] is None


def test_district_table_rows_and_units(synthetic_plan):
    plan = synthetic_plan
    table = district_table(plan)
    cols = {c.name: c for c in table.columns}
    assert cols["population"].units == "person"
    assert cols["recommended_cost_usd"].units == "USD"
    assert [r["district"] for r in table.rows] == sorted(testing.DISTRICTS)
    assert sum(r["cells"] for r in table.rows) == plan.sizes["cell"]
    nagar = next(r for r in table.rows if r["district"] == "Nagar")
    sel = (plan.district == "Nagar").values
    code = _meanings(plan).index("geo_paksat")
    assert nagar["n_geo_paksat"] == int(np.sum(plan.recommendation.values[sel] == code))
    assert nagar["underserved_population"] == pytest.approx(
        plan.population.values[sel & plan.underserved.values.astype(bool)].sum())
    assert sum(r["recommended_cost_usd"] for r in table.rows) == pytest.approx(
        summary(plan)["total_cost_usd"])
    with pytest.raises(ReportDataError, match="district"):
        district_table(plan.drop_vars("district"))


def test_recommendation_chart_counts_people_in_contract_colours(any_plan):
    fig = recommendation_chart(any_plan)
    (bar,) = fig.data
    assert list(bar.x) == _meanings(any_plan)
    assert sum(bar.y) == pytest.approx(float(any_plan.population.sum()))
    assert list(bar.marker.color) == any_plan.recommendation.attrs["flag_colors"].split()
    assert fig.layout.yaxis.title.text == "population [person]"


def test_sweep_chart_lines_per_technology_labels_from_coordinate_attrs():
    sweep = testing.synthetic_sweep()
    fig = sweep_chart(sweep)
    assert [t.name for t in fig.data] == list(sweep.technology.values)
    assert fig.layout.xaxis.title.text == "fibre build cost per km [USD/km]"
    assert fig.layout.yaxis.title.text == (
        "share of the population by recommended technology [%]")
    assert list(fig.data[0].x) == sweep.fiber_cost_per_km.values.tolist()
    np.testing.assert_allclose(fig.data[2].y, sweep.population_share.sel(technology="fiber"))
    with pytest.raises(ReportDataError, match="no numeric dimension"):
        sweep_chart(sweep.population_share.isel(fiber_cost_per_km=0).to_dataset())


def test_visibility_series_chart_reads_the_plan_series(any_plan):
    plan = any_plan
    cells = [str(c) for c in plan.series_cell.values[:2]]
    fig = visibility_series_chart(plan, cells, system="starlink")
    assert [t.name for t in fig.data] == cells
    assert fig.layout.xaxis.title.text == "Time (UTC)"
    assert fig.layout.yaxis.title.text == "number of visible satellites per step [1]"
    assert fig.data[0].line.shape == "hv"
    np.testing.assert_array_equal(
        fig.data[1].y, plan.series_n_visible.sel(system="starlink").isel(series_cell=1).values)
    assert fig.data[0].x[0] == "2026-05-30T00:00:00"
    assert len(visibility_series_chart(plan).data) == plan.sizes["series_cell"]
    with pytest.raises(ReportDataError, match="not in the series"):
        visibility_series_chart(plan, ["87ffffffffffff"])
    with pytest.raises(ReportDataError, match="series_cells"):
        visibility_series_chart(plan.drop_dims(["time", "series_cell"]))
