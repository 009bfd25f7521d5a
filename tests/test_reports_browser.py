"""The report in a real headless Chromium (Debian's package) with the network cut.

Proves what DESIGN.md ("Offline maps") asks: the page loads from one file, makes no
other request, logs no console error, and its hexagon map draws (not blank pixels).
Skipped only when Chromium or the playwright driver is absent; CI installs both.
"""

import os
import shutil
from pathlib import Path

import pytest
from hybridplan.coverage import testing
from hybridplan.reports import write_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BOX = (35.7, 36.2, 74.1, 74.8)

# On CI a missing browser is a failure, never a silent skip.
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not ON_CI,
    reason="Chromium not installed (apt-get install chromium); CI installs it")


def _non_white_share(png: bytes) -> float:
    from io import BytesIO

    from PIL import Image  # in the test extra

    histogram = Image.open(BytesIO(png)).convert("L").histogram()
    return sum(histogram[:235]) / sum(histogram)


def test_report_renders_offline_in_headless_chromium(tmp_path):
    if ON_CI:
        import playwright.sync_api as sync_api  # CI installs the test extra: must import
    else:
        sync_api = pytest.importorskip("playwright.sync_api",
                                       reason="playwright drives Chromium over CDP")
    plan = testing.synthetic_plan(box=BOX)
    report = write_report(plan, tmp_path / "report.html",
                          boundaries=testing.synthetic_boundaries(BOX),
                          network=testing.synthetic_network(), sweep=testing.synthetic_sweep())
    url = report.resolve().as_uri()
    errors, failed, blocked = [], [], []

    def route(r):
        if r.request.url == url:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.route("**/*", route)
            page.goto(url, wait_until="load", timeout=45_000)
            n_figures = page.evaluate("document.querySelectorAll('div[id^=hp-]').length")
            page.wait_for_function(
                "[...document.querySelectorAll('div[id^=hp-]')].every(d => d._fullLayout)",
                timeout=30_000)
            map_div = page.query_selector("#hp-map-recommended-backhaul")
            map_div.scroll_into_view_if_needed()
            filled = page.evaluate(
                "document.querySelectorAll('#hp-map-recommended-backhaul path.js-fill')"
                ".length")
            plot_area = page.query_selector("#hp-map-recommended-backhaul .nsewdrag")
            png = plot_area.screenshot()
            map_div.screenshot(path=str(tmp_path / "map.png"))
            page.screenshot(path=str(tmp_path / "page.png"), full_page=False)
        finally:
            browser.close()
    shots = os.environ.get("HYBRIDPLAN_SCREENSHOTS")
    if shots:  # keep the pictures for a person to look at
        Path(shots).mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "map.png", Path(shots) / "report_map.png")
        shutil.copy(tmp_path / "page.png", Path(shots) / "report_page.png")
    assert errors == []
    assert failed == [] and blocked == []
    assert n_figures == 13
    assert filled >= 4  # one filled SVG path per drawn category
    assert _non_white_share(png) > 0.5  # hexagons cover most of the plot area
