"""The HTML report as text: the answer first, assumptions from the plan, self-contained,
deterministic, escaped, tolerant of missing optional inputs; on the synthetic and the
real plan."""

import html
import re

import numpy as np
import plotly.offline
import pytest
from hybridplan.coverage import testing
from hybridplan.reports import ReportDataError, findings, render_report, write_report
from hybridplan.reports.assumptions import assumption_rows, scenario_items

SMALL_BOX = (35.8, 36.1, 74.2, 74.6)


@pytest.fixture(scope="module")
def plan():
    return testing.synthetic_plan(box=SMALL_BOX, cases=True)


def _render(plan):
    return render_report(plan, boundaries=testing.synthetic_boundaries(SMALL_BOX),
                         network=testing.synthetic_network(), sweep=testing.synthetic_sweep(),
                         constellations={"starlink": {"satellites": 6000, "shells": [
                             {"altitude_km": 550, "inclination_deg": 53, "planes": 72}]}},
                         provenance={"fibre routes": "synthetic"})


@pytest.fixture(scope="module")
def page(plan):
    return _render(plan)


@pytest.fixture(scope="module")
def real_page(real_run):
    plan, extras = real_run
    return render_report(plan, **extras)


def test_plotly_js_embedded_once_and_no_external_resources(page):
    plotly_js = plotly.offline.get_plotlyjs()
    assert page.count(plotly_js) == 1
    ours = page.replace(plotly_js, "")  # plotly.js itself names CDNs it never uses here
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", ours)
    assert "cdn." not in ours.lower() and "@import" not in ours
    assert not re.search(r"https?://(?!www\.geopackage)", ours)


def test_first_screen_is_the_answer(real_page, real_plan):
    head = real_page[real_page.index("<main>"):real_page.index("<nav>")]
    assert "<h1>Backhaul plan: Nagar</h1>" in head
    assert "Data of 2026-05-30" in head  # the date of the data
    sentences = findings(real_plan)
    assert 3 <= len(sentences) <= 5
    for sentence in sentences:
        assert html.escape(sentence) in head
    assert head.index('id="hp-map-what-to-build"') < head.index("<table")
    assert "starlink (LEO)" in head and "Cost per person [USD]" in head


def test_sections_and_stable_figure_ids(plan, page):
    for section in ("assumptions", "maps", "districts", "district-profiles", "charts",
                    "licensing-comparison", "satellite-systems", "methods",
                    "data-provenance-and-limits"):
        assert f'<section id="{section}">' in page
    ids = re.findall(r'<div id="(hp-[a-z0-9-]+)"', page)
    assert ids == ["hp-map-what-to-build", "hp-map-underserved-cells", "hp-map-population",
                   "hp-map-cost-of-the-recommended-option", "hp-map-coverage",
                   "hp-map-terrain-loss", "hp-map-longest-gap", "hp-map-fibre-path",
                   "hp-coverage-by-district", "hp-recommended-technology",
                   "hp-cost-by-option", "hp-sensitivity-sweep",
                   "hp-visible-satellites-over-time"]
    lazy = re.findall(r'<div class="lazy" id="(hp-[a-z0-9-]+)"', page)
    assert lazy[:2] == ["hp-profile-map-ghizer", "hp-profile-series-ghizer"]
    n_districts = len(set(plan.district.values.tolist()))
    assert n_districts == 2
    assert page.count('<details class="profile"') == n_districts  # collapsed by default
    assert "<details class=\"profile\" open" not in page
    assert "550" in page and "fibre routes" in page


def test_findings_follow_the_plan(real_plan):
    before = findings(real_plan)
    changed = real_plan.copy()
    changed["population"] = real_plan.population * 2.0
    changed["cost_recommended_usd"] = real_plan.cost_recommended_usd * 3.0
    after = findings(changed)
    pop = float(real_plan.population.values[real_plan.underserved.values == 1].sum())
    assert f"home to {pop:,.0f}" in before[0] or f"{round(pop, -2):,.0f}" in before[0]
    assert before[0] != after[0] and before[1] != after[1]
    total = np.nansum(real_plan.cost_recommended_usd.values)
    assert f"USD {total / 1e6:.1f} million" in before[1]
    assert f"USD {3 * total / 1e6:.1f} million" in after[1]
    # the licensing sentence: a second case in the plan, or the unlicensed systems
    unlicensed = real_plan.drop_dims("case", errors="ignore").copy()
    unlicensed["licensed"] = unlicensed.licensed * 0
    assert "Not licensed in this scenario" in findings(unlicensed)[-1]
    assert "starlink" in findings(unlicensed)[-1]


def test_licensing_comparison_renders_with_a_case_dimension(plan, page, real_page):
    section = page[page.index('<section id="licensing-comparison">'):]
    section = section[:section.index("</section>")]
    cost = np.nansum(plan.cost_recommended_by_case_usd.values, axis=1)
    assert "foreign_leo_licensed" in section and "every foreign LEO system licensed" in section
    assert f"{cost[0]:,.0f}" in section and f"{cost[1]:,.0f}" in section
    assert "changes the plan&#x27;s cost by" in section
    # the real plan carries the scenario's two cases, decided on one coverage run
    real = real_page[real_page.index('<section id="licensing-comparison">'):]
    assert "foreign_leo_licensed" in real[:real.index("</section>")]


def test_every_scenario_key_appears_with_its_value(real_plan, real_page):
    items = scenario_items(real_plan.attrs["scenario"])
    keys = {k for k, _ in items}
    assert {"region.names", "window.step_s", "systems.starlink.min_elevation_deg",
            "systems.paksat.filter", "planning.min_fiber_distance_km",
            "costs.fiber.cost_per_km_usd", "engine.series_cells"} <= keys
    rows = {r.key: r for r in assumption_rows(real_plan.attrs)}
    section = real_page[real_page.index('<section id="assumptions">'):]
    section = section[:section.index("</section>")]
    for key, value in items:
        assert key in rows, key
        shown = rows[key].value
        assert f"<td>{key}</td><td>{html.escape(shown)}</td>" in section, key
        if isinstance(value, bool):
            assert shown == str(value).lower()
        elif isinstance(value, (int, float)):
            assert float(shown.replace(",", "")) == pytest.approx(value), key
        elif isinstance(value, str):
            assert shown == value
        else:  # lists and inline tables: every element is shown
            parts = value.values() if isinstance(value, dict) else value
            for part in parts:
                assert all(str(p) in shown for p in np.atleast_1d(part)), key
    assert rows["window.step_s"].value == "300" and rows["window.step_s"].unit == "s"
    assert rows["systems.starlink.min_elevation_deg"].label == "[FILED]"
    assert rows["systems.starlink.min_elevation_deg"].source == "scenario file: FCC 21-48"
    assert rows["costs.fiber.cost_per_km_usd"].value == "20,000"
    assert rows["costs.fiber.cost_per_km_usd"].unit == "USD/km"
    # defaults the scenario leaves out, from the plan's assumptions record
    assert rows["costs.starlink.terminal_usd"].value == "2,500"
    assert rows["costs.starlink.service_usd_per_month"].unit == "USD/month"
    assert rows["planning.discount_rate"].source.startswith("default:")
    assert rows["demand.household_size"].label == "[MEASURED]"


def test_provenance_and_limits_come_from_the_plan_records(real_plan, real_page):
    section = real_page[real_page.index('<section id="data-provenance-and-limits">'):]
    assert html.escape(real_plan.attrs["dem_note"]) in section
    assert "population_source" not in section  # dataset names, not attribute names
    assert ">dem<" in section and ">population<" in section and ">network<" in section
    changed = real_plan.copy()
    changed.attrs["population_note"] = "modelled from census totals, not counted"
    page = render_report(changed)
    assert "modelled from census totals, not counted" in page


def test_report_is_deterministic(plan, page):
    assert _render(plan) == page


def test_user_strings_are_escaped(plan):
    evil = "<script>alert(1)</script>"
    ds = plan.copy()
    ds["district"] = ds.district.where(ds.district != "Hunza", evil)
    ds.attrs["region"] = f"Region {evil}"
    ds.attrs["scenario"] = f'name = "{evil}"  # [FILED] {evil}\n'
    page = render_report(ds, provenance={evil: evil}, constellations={evil: {"x": evil}})
    ours = page.replace(plotly.offline.get_plotlyjs(), "")
    assert evil not in ours.replace("<\\/script>", "")  # JSON keeps it escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<title>Backhaul plan: Region &lt;script&gt;" in page


def test_missing_optional_variables_become_notes(plan):
    costs = [n for n in plan.data_vars if str(n).startswith("cost_")]
    ds = plan.drop_vars(["recommendation", "recommendation_by_case", *costs,
                         "pct_time_covered_open_sky", "population", "district"])
    page = render_report(ds)
    assert "Per-technology table skipped" in page
    assert "Population map skipped" in page
    assert "Terrain loss skipped" in page and "pct_time_covered_open_sky" in page
    assert "District table skipped" in page and "District profiles skipped" in page
    assert "No sensitivity sweep" in page
    assert 'id="hp-map-coverage"' in page


def test_no_cells_is_a_clear_error(plan):
    with pytest.raises(ReportDataError, match="no cells"):
        render_report(plan.isel(cell=slice(0, 0)))


def test_write_report_writes_utf8_atomically(plan, tmp_path):
    path = write_report(plan, tmp_path / "out" / "report.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.endswith("</html>\n")
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]


def test_cash_flows_by_year_in_usd_and_pkr(real_plan, real_page):
    """The licensing section carries the yearly CAPEX/OPEX of each case and the PKR rate."""
    section = real_page[real_page.index('<section id="licensing-comparison">'):]
    section = section[:section.index("</section>")]
    assert "Cash flows by year" in section
    capex = real_plan["cash_flow_capex_usd"].values
    assert f"{capex[0, 0]:,.0f}" in section
    rate = real_plan.attrs["usd_to_pkr"]
    assert rate > 0 and f"{rate:g} PKR/USD" in section


def test_findings_count_only_what_is_built(real_plan):
    """Settled cells outside the target rule are not a technology and not a build."""
    sentences = findings(real_plan)
    assert not any(s.lower().startswith("not a target") or "not target serves" in s.lower()
                   for s in sentences)
    built = np.isfinite(real_plan.cost_recommended_usd.values)
    assert f"{int(built.sum()):,} cells the plan builds for" in " ".join(sentences)
