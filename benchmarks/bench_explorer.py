"""Input-to-repaint times of ``hybridplan explore`` in headless Chromium (Debian's package).

The issue's goal: GB + AJK at H3 resolution 6, a 6 h window at 120 s, one 1,500-satellite
Walker shell (30 planes x 50, 550 km, 53 deg): a constellation change repainted within
2 s on 2 cores, a planning-only change within 300 ms. The app runs in this process on a
free loopback port with a persistent pool of ``--workers`` engine processes; Playwright
changes a slider's input box and waits until the map's version counter moved and two
animation frames passed (the browser painted the patched map).

Run from outside the repository root::

    cd /tmp && python /path/to/benchmarks/bench_explorer.py [--repeats 10] [--workers 2]
        [--shots DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import statistics
import threading
import time
from pathlib import Path

from hybridplan.coverage.cli.explore import make_server
from hybridplan.coverage.pipeline.explore_model import ExploreModel
from hybridplan.coverage.scenario import SystemSpec, WalkerSpec, default_scenario
from hybridplan.reports.explorer import build_app

# the werkzeug request log would drown the numbers
logging.getLogger("werkzeug").setLevel(logging.ERROR)

MIN_EL = '[id=\'{"kind":"sys-minel","system":"walker"}\'] input[type=number]'
FIBRE = '[id=\'{"key":"fiber.cost_per_km_usd","kind":"plan"}\'] input[type=number]'
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def goal_scenario():
    base = default_scenario()
    shell = WalkerSpec(550.0, 53.0, 30, 50, 1)
    return dataclasses.replace(
        base,
        systems=(SystemSpec("walker", walker=shell, min_elevation_deg=25.0),),
        region=dataclasses.replace(base.region, resolution=6),
        window=dataclasses.replace(base.window, duration_h=6.0, step_s=120.0),
        reserved={},
        text="",
    )


def repaint_seconds(page, selector: str, value) -> float:
    """Seconds from filling a slider's box to the patched map painted."""
    version = int(page.inner_text("#map-version"))
    box = page.locator(selector)
    t0 = time.perf_counter()
    box.fill(str(value))
    box.press("Tab")
    page.wait_for_function(
        f"Number(document.getElementById('map-version').textContent) > {version}",
        timeout=60_000,
    )
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return time.perf_counter() - t0


def summary(name: str, times: list[float]) -> str:
    return (
        f"{name:<28} median {statistics.median(times):6.3f} s   max {max(times):6.3f} s   "
        f"(n = {len(times)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--shots", type=Path, default=None, help="folder for screenshots")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    t0 = time.perf_counter()
    model = ExploreModel(goal_scenario(), workers=args.workers)
    t_ground = time.perf_counter() - t0
    model.compute(model.initial_view(), time.perf_counter)  # warms the pool
    t_warm = time.perf_counter() - t0 - t_ground
    n_cells = model.ground.sizes["cell"]
    # two pages over one model: a coverage map, and a map of the recommended build's cost
    servers = []
    for figure in ("pct_time_covered", "cost_recommended_usd"):
        server = make_server(build_app(model, figure=figure), "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    print(
        f"GB + AJK res 6: {n_cells} cells; 1,500-satellite Walker shell; 6 h at 120 s; "
        f"{args.workers} engine processes"
    )
    print(f"start-up: ground {t_ground:.1f} s, first coverage (pool warm-up) {t_warm:.1f} s")
    constellation, cost_same, cost_map, engine_s, plan_s = [], [], [], [], []
    blocked = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            pages = []
            for server in servers:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.route(
                    "**/*",
                    lambda r: (
                        r.continue_()
                        if r.request.url.startswith("http://127.0.0.1:")
                        else (blocked.append(r.request.url), r.abort())
                    ),
                )
                page.goto(f"http://127.0.0.1:{server.port}/", wait_until="load")
                page.wait_for_function(
                    "Number((document.getElementById('map-version') || {}).textContent) > 0",
                    timeout=60_000,
                )
                page.wait_for_timeout(1000)  # let the page's start-up callbacks finish
                pages.append(page)
            coverage_page, cost_page = pages
            for k in range(args.repeats):
                # a new minimum elevation each time: a coverage-cache miss, the engine runs
                runs = model.stats.engine_runs
                constellation.append(repaint_seconds(coverage_page, MIN_EL, 15 + 0.5 * (k + 1)))
                assert model.stats.engine_runs == runs + 1
                engine_s.append(model.stats.last_seconds)
            if args.shots:
                args.shots.mkdir(parents=True, exist_ok=True)
                coverage_page.screenshot(path=str(args.shots / "bench-coverage.png"))
            for k in range(args.repeats):
                runs = model.stats.engine_runs
                # the coverage map does not change with the fibre cost: not redrawn
                cost_same.append(repaint_seconds(coverage_page, FIBRE, 20_000 + 1_000 * (k + 1)))
                assert model.stats.engine_runs == runs  # planning only
            for k in range(args.repeats):
                runs = model.stats.engine_runs
                # the cost map changes with every fibre cost: patched and repainted
                cost_map.append(repaint_seconds(cost_page, FIBRE, 40_000 + 1_000 * (k + 1)))
                plan_s.append(model.stats.last_seconds)
                assert model.stats.engine_runs == runs
            if args.shots:
                cost_page.screenshot(path=str(args.shots / "bench-cost.png"))
            browser.close()
    finally:
        for server in servers:
            server.shutdown()
        model.close()
    print(summary("constellation change", constellation))
    print(summary("  of which model (server)", engine_s))
    print(summary("cost change, map of cost", cost_map))
    print(summary("  of which model (server)", plan_s))
    print(summary("cost change, coverage map", cost_same))
    print(f"requests that left the machine: {len(blocked)}")


if __name__ == "__main__":
    main()
