"""The report's rollout and planned-route sections, tested as objects: the budget curve's
traces against the plan's variables, the build-by-year table, the route table and its
sentence, and both sections on the page."""

import numpy as np
import xarray as xr
from hybridplan.coverage.contract import contract_var
from hybridplan.reports.html import render_report
from hybridplan.reports.page import Report
from hybridplan.reports.rollout import (
    _built_by_year,
    planned_routes_section,
    rollout_chart,
    rollout_section,
)


def test_budget_curve_traces_are_the_plan_curves(real_plan):
    fig = rollout_chart(real_plan)
    cases = [str(c) for c in real_plan["case"].values]
    assert [t.name for t in fig.data[: len(cases)]] == cases
    usd = real_plan["rollout_cumulative_usd"].values
    people = real_plan["rollout_cumulative_people"].values
    first = fig.data[0]
    assert first.x[0] == 0 and first.y[0] == 0  # the curve starts at nothing spent
    np.testing.assert_allclose(first.x[1:], usd)
    np.testing.assert_allclose(first.y[1:], people)
    marks = fig.data[-1]
    assert list(marks.text) == [f"y{int(y)}" for y in real_plan["rollout_year"].values]
    np.testing.assert_allclose(marks.y, real_plan["rollout_people_by_year"].values)
    assert "[USD]" in fig.layout.xaxis.title.text and "[person]" in fig.layout.yaxis.title.text


def test_rollout_section_tabulates_every_year(real_plan):
    parts = rollout_section(Report(), real_plan)
    html = "\n".join(parts)
    n_years = real_plan.sizes["rollout_year"]
    table = next(p for p in parts if p.startswith("<table"))
    assert table.count("<tr>") == n_years + 1  # header + one row per year
    assert "year 1 connects" in parts[0]
    # The technologies built each year add up to the sites connected in it.
    years = real_plan["rollout_year"].values
    mix = _built_by_year(real_plan, years)
    per_year = np.diff(np.r_[0, real_plan["rollout_sites_by_year"].values])
    for text, n in zip(mix, per_year, strict=True):
        assert sum(int(part.rsplit(" ", 1)[1].replace(",", "")) for part in text.split(", ")) == n
    assert 'id="hp-budget-curve"' in html


def _routes(newly, saved, cells, changes):
    names = [f"route {k}" for k in range(len(newly))]
    n = len(names)
    return xr.Dataset(
        {
            "route": contract_var("route", np.array(names)),
            "route_cells": contract_var("route_cells", np.array(cells, np.int32)),
            "route_people_newly_reached": contract_var(
                "route_people_newly_reached", np.array(newly, float)
            ),
            "route_people_no_longer_reached": contract_var(
                "route_people_no_longer_reached", np.zeros(n)
            ),
            "route_sites_newly_reached": contract_var(
                "route_sites_newly_reached", (np.array(newly) > 0).astype(np.int32)
            ),
            "route_cost_saved_usd": contract_var("route_cost_saved_usd", np.array(saved, float)),
            "route_technology_changes": contract_var("route_technology_changes", np.array(changes)),
        }
    )


def test_route_table_and_its_sentence():
    outside = planned_routes_section(_routes([0, 0], [0, 0], [0, 0], ["", ""]))
    assert "None of the 2 planned routes enters a cell of the region" in outside[0]
    idle = planned_routes_section(_routes([0, 0], [0, 0], [3, 0], ["", ""]))
    assert "route 0 (3 cells) enters the region" in idle[0]
    worth = planned_routes_section(
        _routes([0, 12_400], [0, 2.5e6], [0, 7], ["", "leo_starlink->fiber: 4"])
    )
    assert "route 1 is worth the most to this plan: 12,400" in worth[0]
    assert "USD 2.5 million saved" in worth[0]
    table = worth[1]
    assert table.count("<tr>") == 3 and "leo_starlink-&gt;fiber: 4" in table


def test_route_sites_leaving_fibre_are_explained():
    ds = _routes([0, 0], [5.46e6, 0], [108, 0], ["microwave->fiber: 69; fiber->microwave: 29", ""])
    why = (
        "29 sites (73,460 people) fiber->microwave: their shared trunk lost sites that now "
        "reach fibre through the route, and the rest no longer pay for it"
    )
    ds["route_change_reasons"] = contract_var("route_change_reasons", np.array([why, ""]))
    parts = planned_routes_section(ds)
    said = [p for p in parts if "route 0" in p and "shared trunk lost sites" in p]
    assert len(said) == 1 and "route 1" not in said[0]
    assert any("an exact optimiser does the same" in p for p in parts)
    # no site leaves fibre: no paragraph and no note
    ds["route_change_reasons"] = contract_var("route_change_reasons", np.array(["", ""]))
    assert not any("shared trunk" in p for p in planned_routes_section(ds))


def test_both_sections_are_on_the_page(real_plan, synthetic_plan):
    page = render_report(real_plan)
    assert '<section id="rollout-under-a-budget">' in page and 'id="hp-budget-curve"' in page
    assert '<section id="planned-routes">' in page
    # A plan without rollout or routes gets notes, not errors.
    bare = render_report(synthetic_plan)
    assert "The plan has no rollout" in bare and "no planned route" in bare
