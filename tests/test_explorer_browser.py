"""``hybridplan explore`` in a real headless Chromium (Debian's package) against the running
app on a free loopback port.

Every request that is not to 127.0.0.1 is aborted and recorded (none may happen), no
console error, the hexagon map draws, a slider changes the map, five rapid changes end
on the last input's map with at most two engine runs, a cost-only change runs no engine,
a click shows the cell's reason and series, and the server refuses a connection on a
non-loopback address of this machine. Screenshots go to ``$EXPLORER_SCREENSHOTS`` when
set (else the test's tmp folder).
"""

import copy
import dataclasses
import ipaddress
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("dash", reason="the explore extra (Dash) is not installed")

from hybridplan.coverage.cli.explore import make_server
from hybridplan.coverage.pipeline.explore_model import ExploreModel
from hybridplan.coverage.scenario import SystemSpec, WalkerSpec, default_scenario
from hybridplan.reports.explorer import build_app, views

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not ON_CI,
    reason="Chromium not installed (apt-get install chromium); CI installs it",
)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--no-first-run",
    "--disable-sync",
    "--metrics-recording-only",
    "--no-default-browser-check",
]
MIN_EL = '[id=\'{"kind":"sys-minel","system":"walker"}\'] input[type=number]'
# Dash writes a dict id as JSON with sorted keys
FIBRE = '[id=\'{"key":"fiber.cost_per_km_usd","kind":"plan"}\'] input[type=number]'
#: Hexagons per filled trace of the map in the page (rings are split by NaN gaps).
SIGNATURE_JS = """() => {
  const gd = document.querySelector('#map .js-plotly-plot');
  if (!gd || !gd._fullData) return null;
  const out = {};
  for (const t of gd._fullData) {  // decoded arrays (gd.data may hold base64)
    if (t.fill !== 'toself') continue;
    let gaps = 0;
    for (let i = 0; i < t.x.length; i++) if (t.x[i] === null || Number.isNaN(t.x[i])) gaps++;
    out[t.name] = t.x.length ? gaps + 1 : 0;
  }
  return out;
}"""


@pytest.fixture(scope="module")
def running():
    base = default_scenario()
    scenario = dataclasses.replace(
        base,
        systems=(
            SystemSpec("walker", walker=WalkerSpec(550.0, 53.0, 12, 10, 1), min_elevation_deg=25.0),
        ),
        region=dataclasses.replace(base.region, resolution=5),
        window=dataclasses.replace(base.window, duration_h=2.0, step_s=300.0),
        planning=dataclasses.replace(base.planning, satellite_costs={}),
        text="",
    )
    model = ExploreModel(scenario, workers=1)
    app = build_app(model, figure="pct_time_covered")
    server = make_server(app, "127.0.0.1", 0)  # port 0: the OS picks a free one
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield model, server.port
    server.shutdown()
    model.close()


def _shots() -> Path | None:
    folder = os.environ.get("EXPLORER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return Path(folder)
    return None


def _with(view, path, value):
    out = copy.deepcopy(view)
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


def _wait_version_above(page, version: int, timeout_ms: int = 20_000) -> int:
    page.wait_for_function(
        f"Number((document.getElementById('map-version') || {{}}).textContent) > {version}",
        timeout=timeout_ms,
    )
    return int(page.inner_text("#map-version"))


def _set(page, selector: str, value) -> None:
    box = page.locator(selector)
    box.fill(str(value))
    box.press("Tab")  # the slider's box commits on blur


def _wait_settled(page, model, view, timeout_s: float = 30.0) -> None:
    """Wait (serving the page's routed requests meanwhile) until the model answered."""
    key = model.keys(view)[0]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if model.current is not None and model.current.coverage_key == key:
            return
        page.wait_for_timeout(20)  # not time.sleep: the route handler runs in this thread
    raise AssertionError(
        f"the model never answered the last input: shows "
        f"{model.current.coverage_key}, expected {key}"
    )


def test_explorer_in_headless_chromium(running, tmp_path):
    if ON_CI:
        import playwright.sync_api as sync_api
    else:
        sync_api = pytest.importorskip("playwright.sync_api")
    model, port = running
    base_url = f"http://127.0.0.1:{port}/"
    shots = _shots() or tmp_path
    errors, blocked = [], []

    def route(r):
        if r.request.url.startswith(f"http://127.0.0.1:{port}/"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    initial = model.initial_view()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", route)
            page.goto(base_url, wait_until="load", timeout=30_000)
            version = _wait_version_above(page, 0)
            page.wait_for_function(
                "document.querySelectorAll('#map path.js-fill').length > 0", timeout=10_000
            )
            n_paths = page.evaluate("document.querySelectorAll('#map path.js-fill').length")
            assert n_paths > 0  # the hexagons are SVG paths, one per colour bin
            first = page.evaluate(SIGNATURE_JS)
            assert sum(first.values()) == model.current.plan.sizes["cell"]
            page.screenshot(path=str(shots / "explorer-start.png"))

            # one slider change: the map changes. The 2 s goal is measured by
            # benchmarks/bench_explorer.py on a quiet machine; here only a loose bound, so
            # a loaded CI machine (or a first compile of the kernel) cannot fail the test
            t0 = time.perf_counter()
            _set(page, MIN_EL, 45)
            version = _wait_version_above(page, version)
            assert time.perf_counter() - t0 < 20.0
            changed = page.evaluate(SIGNATURE_JS)
            assert changed != first
            expected = views.hexagon_count(
                views.map_traces(
                    model.plan(_with(initial, ("systems", "walker", "min_elevation_deg"), 45.0))[0],
                    "pct_time_covered",
                    "combined",
                )[0]
            )
            assert changed == expected

            # five rapid changes: the page ends on the last one, with <= 2 engine runs
            runs = model.stats.engine_runs
            for value in (30, 35, 40, 50, 55):
                _set(page, MIN_EL, value)
            last = _with(initial, ("systems", "walker", "min_elevation_deg"), 55.0)
            try:
                _wait_settled(page, model, last)
            except AssertionError as exc:
                raise AssertionError(
                    f"{exc}; page input {page.input_value(MIN_EL)}, {model.stats}"
                ) from None
            burst_runs = model.stats.engine_runs - runs
            assert 1 <= burst_runs <= 2
            expected = views.hexagon_count(
                views.map_traces(model.plan(last)[0], "pct_time_covered", "combined")[0]
            )
            page.wait_for_function(
                f"JSON.stringify(({SIGNATURE_JS})()) === JSON.stringify({_js_object(expected)})",
                timeout=10_000,
            )
            assert page.input_value(MIN_EL) == "55"
            page.screenshot(path=str(shots / "explorer-after-burst.png"))
            version = int(page.inner_text("#map-version"))

            # a cost-only change: a new plan, no engine run
            runs = model.stats.engine_runs
            plans = model.stats.plan_runs
            _set(page, FIBRE, 50000)
            version = _wait_version_above(page, version)
            page.wait_for_function(
                "document.getElementById('status').textContent.includes('cached coverage')"
            )
            assert model.stats.engine_runs == runs
            assert model.stats.plan_runs == plans + 1

            # click the hexagon of a known cell: its reason and series appear
            plan = model.current.plan
            k = int(np.argmax(plan["population"].values))
            cell = str(plan["cell"].values[k])
            xy = page.evaluate(
                """([lon, lat]) => {
                const gd = document.querySelector('#map .js-plotly-plot');
                const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
                const box = gd.getBoundingClientRect();
                return [box.left + xa._offset + xa.l2p(lon), box.top + ya._offset + ya.l2p(lat)];
            }""",
                [float(plan["lon"].values[k]), float(plan["lat"].values[k])],
            )
            page.mouse.move(xy[0], xy[1])
            page.mouse.click(xy[0], xy[1])
            page.wait_for_selector("#cell-reason", timeout=10_000)
            assert page.inner_text("#cell-reason") == f"Reason: {plan['reason'].values[k]}"
            assert cell in page.inner_text("#cell-panel")
            page.wait_for_function(  # one step line per system (walker, combined)
                "document.querySelectorAll('#cell-series .scatterlayer .trace').length == 2",
                timeout=10_000,
            )
            page.screenshot(path=str(shots / "explorer-cell.png"), full_page=True)
        finally:
            browser.close()
    assert blocked == []  # not one request left the machine
    assert errors == []


def _js_object(counts: dict) -> str:
    import json

    return json.dumps(counts)


def non_loopback_address() -> str | None:
    """A non-loopback IPv4 address of this machine (no packet is sent)."""
    found = []
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: UDP connect only picks a route
            found.append(s.getsockname()[0])
    except OSError:
        pass
    try:
        out = subprocess.run(
            ["ip", "-4", "-o", "addr"], capture_output=True, text=True, timeout=5
        ).stdout
        found += [
            line.split()[3].split("/")[0] for line in out.splitlines() if len(line.split()) > 3
        ]
    except (OSError, subprocess.SubprocessError):
        pass
    for address in found:
        try:
            if not ipaddress.ip_address(address).is_loopback:
                return address
        except ValueError:
            continue
    return None


def test_non_loopback_connection_is_refused(running):
    _, port = running
    with socket.create_connection(("127.0.0.1", port), timeout=3):
        pass  # the server is up on loopback
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection((address, port), timeout=3),
    ):
        pass
