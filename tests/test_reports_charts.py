"""Charts and tables as objects: labels from attrs, values computed by hand."""

import numpy as np
import pytest
from hybridplan.coverage import testing as demo
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


@pytest.fixture(scope="module")
def plan():
    return demo.demo_plan()


def test_label_is_long_name_and_units(plan):
    assert label(plan.max_gap_s) == "Longest coverage gap [s]"
    assert label(plan.n_visible_mean) == "Mean number of visible satellites [1]"
    assert label(plan.recommendation) == "Recommended backhaul"
    assert label(plan.district) == "District"
    assert label(plan.max_gap_s.drop_attrs(), "max_gap_s") == "max_gap_s"


def test_district_coverage_is_population_weighted_mean(plan):
    fig = district_coverage_chart(plan)
    assert [t.name for t in fig.data] == [str(s) for s in plan.system.values]
    assert fig.layout.yaxis.title.text == "Time covered (terrain-aware) [%]"
    assert "population-weighted mean" in fig.layout.title.text
    combined = next(t for t in fig.data if t.name == "combined")
    assert list(combined.x) == sorted(demo.DISTRICTS)
    sel = (plan.district == "Hunza").values
    pop = plan.population.values[sel]
    cov = plan.pct_time_covered.sel(system="combined").values[sel]
    assert combined.y[list(combined.x).index("Hunza")] == pytest.approx(
        np.sum(pop * cov) / np.sum(pop))
    one = district_coverage_chart(plan, system="kuiper", variable="max_gap_s")
    assert [t.name for t in one.data] == ["kuiper"]
    assert one.layout.yaxis.title.text == "Longest coverage gap [s]"
    with pytest.raises(ReportDataError, match="found"):
        district_coverage_chart(plan, system="iridium")


def test_cost_chart_totals(plan):
    fig = cost_by_option_chart(plan)
    assert fig.layout.yaxis.title.text == "Total cost [USD]"
    every, chosen = fig.data
    assert list(every.x) == ["fiber", "geo", "leo"]
    under = plan.underserved.values.astype(bool)
    assert every.y[0] == pytest.approx(plan.cost_fiber_usd.values[under].sum())
    codes = plan.recommendation.values
    leo = np.isin(codes, [2, 3])  # leo_starlink, leo_oneweb -> cost_leo_usd
    assert chosen.y[2] == pytest.approx(plan.cost_leo_usd.values[leo].sum())
    assert chosen.y[0] == pytest.approx(plan.cost_fiber_usd.values[codes == 1].sum())
    assert sum(chosen.y) == pytest.approx(summary(plan)["total_cost_usd"])
    with pytest.raises(ReportDataError, match="cost_<option>_usd"):
        cost_by_option_chart(plan.drop_vars(["cost_fiber_usd", "cost_leo_usd",
                                             "cost_geo_usd"]))


def test_summary_numbers(plan):
    s = summary(plan)
    under = plan.underserved.values.astype(bool)
    assert s["cells"] == plan.sizes["cell"]
    assert s["underserved_population"] == pytest.approx(plan.population.values[under].sum())
    shares = s["recommendation"]
    assert list(shares) == plan.recommendation.attrs["flag_meanings"].split()
    assert sum(r["cells"] for r in shares.values()) == plan.sizes["cell"]
    assert sum(r["population_pct"] for r in shares.values()) == pytest.approx(100.0)
    assert shares["already_served"]["cost_usd"] == 0.0
    bare = summary(plan.drop_vars(["population", "recommendation", "underserved"]))
    assert bare["population"] is None and bare["recommendation"] is None


def test_district_table_rows_and_units(plan):
    table = district_table(plan)
    cols = {c.name: c for c in table.columns}
    assert cols["population"].units == "person"
    assert cols["recommended_cost_usd"].units == "USD"
    assert [r["district"] for r in table.rows] == sorted(demo.DISTRICTS)
    assert sum(r["cells"] for r in table.rows) == plan.sizes["cell"]
    nagar = next(r for r in table.rows if r["district"] == "Nagar")
    sel = (plan.district == "Nagar").values
    assert nagar["n_leo_oneweb"] == int(np.sum(plan.recommendation.values[sel] == 3))
    assert nagar["underserved_population"] == pytest.approx(
        plan.population.values[sel & plan.underserved.values.astype(bool)].sum())
    assert sum(r["recommended_cost_usd"] for r in table.rows) == pytest.approx(
        summary(plan)["total_cost_usd"])
    with pytest.raises(ReportDataError, match="district"):
        district_table(plan.drop_vars("district"))


def test_recommendation_chart_counts_people(plan):
    fig = recommendation_chart(plan)
    (bar,) = fig.data
    assert list(bar.x) == plan.recommendation.attrs["flag_meanings"].split()
    assert sum(bar.y) == pytest.approx(float(plan.population.sum()))
    assert fig.layout.yaxis.title.text == "Population [person]"


def test_sweep_chart_lines_per_technology_labels_from_coordinate_attrs():
    sweep = demo.demo_sweep()
    fig = sweep_chart(sweep)
    assert [t.name for t in fig.data] == ["fiber", "leo", "geo"]
    assert fig.layout.xaxis.title.text == "Fibre build cost per km [USD/km]"
    assert fig.layout.yaxis.title.text == "Share of underserved population [%]"
    assert list(fig.data[0].x) == sweep.fiber_cost_per_km_usd.values.tolist()
    np.testing.assert_allclose(fig.data[2].y, sweep.population_share.sel(technology="geo"))
    with pytest.raises(ReportDataError, match="no numeric dimension"):
        sweep_chart(sweep.population_share.isel(fiber_cost_per_km_usd=0).to_dataset())


def test_visibility_series_chart_one_step_line_per_cell(plan):
    series = demo.demo_series(plan, n_cells=3)
    cells = [str(c) for c in series.cell.values[:2]]
    fig = visibility_series_chart(series, cells, system="starlink")
    assert [t.name for t in fig.data] == cells
    assert fig.layout.xaxis.title.text == "Time (UTC)"
    assert fig.layout.yaxis.title.text == "Visible satellites [1]"
    assert fig.data[0].line.shape == "hv"
    np.testing.assert_array_equal(
        fig.data[1].y, series.n_visible.sel(system="starlink", cell=cells[1]).values)
    assert fig.data[0].x[0] == "2025-01-01T00:00:00"
    with pytest.raises(ReportDataError, match="not in the series"):
        visibility_series_chart(series, ["87ffffffffffff"])
