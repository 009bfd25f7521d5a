"""The HTML report as text: self-contained, deterministic, escaped, tolerant of
missing optional inputs."""

import re

import plotly.offline
import pytest
from hybridplan.coverage import testing
from hybridplan.reports import ReportDataError, render_report, write_report

SMALL_BOX = (35.8, 36.1, 74.2, 74.6)


@pytest.fixture(scope="module")
def plan():
    return testing.synthetic_plan(box=SMALL_BOX)


@pytest.fixture(scope="module")
def page(plan):
    return render_report(plan, boundaries=testing.synthetic_boundaries(SMALL_BOX),
                         network=testing.synthetic_network(), sweep=testing.synthetic_sweep(),
                         constellations={"starlink": {"satellites": 6000, "shells": [
                             {"altitude_km": 550, "inclination_deg": 53, "planes": 72}]}},
                         provenance={"fibre routes": "demo"})


def test_plotly_js_embedded_once_and_no_external_resources(page):
    plotly_js = plotly.offline.get_plotlyjs()
    assert page.count(plotly_js) == 1
    ours = page.replace(plotly_js, "")  # plotly.js itself names CDNs it never uses here
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", ours)
    assert "cdn." not in ours.lower() and "@import" not in ours
    assert not re.search(r"https?://", ours)


def test_sections_and_stable_figure_ids(page):
    for section in ("summary", "main-assumptions", "maps", "district-detail", "charts",
                    "districts", "constellations", "methods-and-assumptions",
                    "data-provenance"):
        assert f'<section id="{section}">' in page
    ids = re.findall(r'<div id="(hp-[a-z0-9-]+)"', page)
    assert ids == ["hp-map-recommended-backhaul", "hp-map-underserved-cells",
                   "hp-map-coverage", "hp-map-terrain-loss", "hp-map-longest-gap",
                   "hp-map-fibre-path", "hp-map-population", "hp-district-detail",
                   "hp-coverage-by-district", "hp-recommended-technology",
                   "hp-cost-by-option", "hp-sensitivity-sweep",
                   "hp-visible-satellites-over-time"]
    assert "9 km" in page  # the honest note on the default DEM
    assert "550" in page and "fibre routes" in page
    assert "cost_per_km_usd" in page  # scenario assumptions flattened


def test_report_is_deterministic(plan, page):
    again = render_report(plan, boundaries=testing.synthetic_boundaries(SMALL_BOX),
                          network=testing.synthetic_network(),
                          sweep=testing.synthetic_sweep(),
                          constellations={"starlink": {"satellites": 6000, "shells": [
                              {"altitude_km": 550, "inclination_deg": 53, "planes": 72}]}},
                          provenance={"fibre routes": "demo"})
    assert again == page


def test_user_strings_are_escaped(plan):
    evil = "<script>alert(1)</script>"
    ds = plan.copy()
    ds["district"] = ds.district.where(ds.district != "Hunza", evil)
    ds.attrs["title"] = f"Plan {evil}"
    ds.attrs["scenario"] = f'name = "{evil}"\n'
    page = render_report(ds, provenance={evil: evil}, constellations={evil: {"x": evil}})
    assert evil not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<title>Plan &lt;script&gt;" in page


def test_missing_optional_variables_become_notes(plan):
    costs = [n for n in plan.data_vars if str(n).startswith("cost_")]
    ds = plan.drop_vars(["recommendation", *costs, "pct_time_covered_open_sky",
                         "population", "district"])
    page = render_report(ds)
    assert "Recommended backhaul map skipped" in page
    assert "Terrain loss skipped" in page and "pct_time_covered_open_sky" in page
    assert "District table skipped" in page
    assert "No sensitivity sweep was passed" in page
    assert 'id="hp-map-coverage"' in page


def test_no_cells_is_a_clear_error(plan):
    with pytest.raises(ReportDataError, match="no cells"):
        render_report(plan.isel(cell=slice(0, 0)))


def test_write_report_writes_utf8_atomically(plan, tmp_path):
    path = write_report(plan, tmp_path / "out" / "report.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.endswith("</html>\n")
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]
