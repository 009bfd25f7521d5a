"""The report in a real headless Chromium (Debian's package) with the network cut.

Proves what DESIGN.md ("Offline maps") and the regulator's report ask: the page loads
from one file and every other request is aborted and recorded (none is made), no
console error, the first screen holds the region's name and the findings, the page is
no wider than a 1400 px window, the hexagon map draws (not blank pixels), a collapsed
district profile draws its map when opened, and the page prints to A4 PDF pages whose
content fits the page width (also through :func:`hybridplan.reports.write_pdf`).
Skipped only when Chromium or the playwright driver is absent; CI installs both.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from hybridplan.reports import findings, write_pdf, write_report
from hybridplan.reports.page import A4_CONTENT_PX, CSS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
A4_WIDTH_PT = 595.0  # 210 mm

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


def _page_widths_pt(pdf: bytes) -> list[float]:
    """Widths of the PDF's pages from their /MediaBox entries [pt]."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)",
                       pdf)
    return [float(x1) - float(x0) for x0, _, x1, _ in boxes]


def _sync_api():
    if ON_CI:
        import playwright.sync_api as sync_api  # CI installs the test extra: must import

        return sync_api
    return pytest.importorskip("playwright.sync_api",
                               reason="playwright drives Chromium over CDP")


def test_report_renders_offline_fits_1400px_and_prints_to_a4(tmp_path, real_run):
    sync_api = _sync_api()
    plan, extras = real_run
    report = write_report(plan, tmp_path / "report.html", **extras)
    url = report.resolve().as_uri()
    errors, failed, blocked = [], [], []

    def route(r):
        if r.request.url.split("#")[0] == url:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.route("**/*", route)
            page.goto(url, wait_until="load", timeout=45_000)
            page.wait_for_function(
                "[...document.querySelectorAll('div.js-plotly-plot')].every(d => d._fullLayout)",
                timeout=30_000)
            first_screen = page.evaluate(
                "[...document.querySelectorAll('h1, ul.findings li')]"
                ".filter(el => el.getBoundingClientRect().bottom <= innerHeight)"
                ".map(el => el.textContent)")
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            map_div = page.query_selector("#hp-map-what-to-build")
            filled = page.evaluate(
                "document.querySelectorAll('#hp-map-what-to-build path.js-fill').length")
            png = page.query_selector("#hp-map-what-to-build .nsewdrag").screenshot()
            page.screenshot(path=str(tmp_path / "first_screen.png"))
            profile = page.query_selector("details.profile")
            profile.scroll_into_view_if_needed()
            profile.click()
            page.wait_for_function(
                "document.querySelector('details.profile div.lazy')._fullLayout !== undefined",
                timeout=15_000)
            profile.screenshot(path=str(tmp_path / "profile.png"))
            map_div.scroll_into_view_if_needed()
            # print: A4 content width, every section open, figures sized to the page
            page.emulate_media(media="print")
            page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1000})
            page.evaluate("window.hybridplanPrintMode()")
            page.wait_for_timeout(500)
            print_width = page.evaluate("document.documentElement.scrollWidth")
            pdf = page.pdf(format="A4", margin={"top": "12mm", "bottom": "12mm",
                                                "left": "12mm", "right": "12mm"})
        finally:
            browser.close()
    shots = os.environ.get("HYBRIDPLAN_SCREENSHOTS")
    if shots:  # keep the pictures for a person to look at
        Path(shots).mkdir(parents=True, exist_ok=True)
        for name in ("first_screen.png", "profile.png"):
            shutil.copy(tmp_path / name, Path(shots) / name)
    assert errors == []
    assert failed == [] and blocked == []
    assert first_screen[0] == "Backhaul plan: Nagar"
    assert first_screen[1:] == findings(plan)  # every finding visible without scrolling
    assert scroll_width <= 1400
    assert filled >= 3  # one filled SVG path per drawn category
    assert _non_white_share(png) > 0.15  # coloured hexagons (no_population is near white)
    assert print_width <= A4_CONTENT_PX
    widths = _page_widths_pt(pdf)
    assert len(widths) >= 3
    assert all(abs(w - A4_WIDTH_PT) < 2.0 for w in widths)


def test_write_pdf_prints_a4_pages_with_chromium(tmp_path):
    # the mechanism of ``--pdf`` on a small page with the report's style sheet (its
    # @page rule makes the paper A4; the report itself prints in the test above)
    html = tmp_path / "page.html"
    rows = "".join(f"<p>line {i}</p>" for i in range(200))
    html.write_text(f"<!DOCTYPE html><html><head><style>{CSS}</style></head><body><main>"
                    f"{rows}</main></body></html>", encoding="utf-8")
    pdf = write_pdf(html, tmp_path / "page.pdf", chromium=CHROMIUM)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    widths = _page_widths_pt(data)
    assert len(widths) >= 2 and all(abs(w - A4_WIDTH_PT) < 2.0 for w in widths)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html", "page.pdf"]


def test_missing_chromium_is_a_clear_error(tmp_path, monkeypatch):
    from hybridplan.reports import ChromiumNotFoundError

    monkeypatch.setenv("HYBRIDPLAN_CHROMIUM", str(tmp_path / "no-chromium"))
    with pytest.raises(ChromiumNotFoundError, match="does not exist; point it at a Chromium"):
        write_pdf(tmp_path / "report.html", tmp_path / "report.pdf")
    assert not (tmp_path / "report.pdf").exists()
