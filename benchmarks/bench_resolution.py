"""Do the plan's totals survive a change of resolution? (issue "People where they live").

Runs the default scenario (or SCENARIO) at H3 resolutions 6, 7 and 8 and prints, per
resolution: cells, demand sites, target people, total present value of the builds, and
people and cost per recommended technology, then the spread (max/min - 1) of each total.
The same people at the same places should cost the same: the goal is a spread <= 10 %.

    cd /tmp && python /path/to/repo/benchmarks/bench_resolution.py [--hours 6] [--step 120]

Not a test: res 8 over GB + AJK is ~97 k cells and takes a few minutes.
"""

from __future__ import annotations

import argparse
import re
import time

import numpy as np


def run(resolution: int, hours: float, step_s: float, workers: int, scenario_text: str):
    from hybridplan.coverage import Scenario, build_plan, resolve
    from hybridplan.coverage.planning.decide import technology_of

    text = re.sub(r"(?m)^resolution = \d+", f"resolution = {resolution}", scenario_text)
    text = re.sub(r"(?m)^duration_h = [\d.]+", f"duration_h = {hours:g}", text)
    text = re.sub(r"(?m)^step_s = [\d.]+", f"step_s = {step_s:g}", text)
    started = time.perf_counter()
    plan = build_plan(resolve(Scenario.from_toml(text, f"res{resolution}")), workers=workers)
    seconds = time.perf_counter() - started
    # people and costs per demand site (the unit that is built), not per cell
    meanings = plan["site_recommendation"].attrs["flag_meanings"].split()
    tech = technology_of(meanings)[plan["site_recommendation"].values]
    cost = np.nan_to_num(plan["site_cost_usd"].values)
    people = plan["site_population"].values
    built = np.isfinite(plan["site_cost_usd"].values)
    per_tech = {t: (people[(tech == t) & built].sum(), cost[tech == t].sum())
                for t in sorted(set(tech[built]))}
    return {"resolution": resolution, "cells": plan.sizes["cell"],
            "sites": plan.sizes.get("site", 0), "population": people.sum(),
            "target_people": people[plan["site_target"].values.astype(bool)].sum(),
            "total_usd": np.nansum(plan["cost_recommended_usd"].values), "per_tech": per_tech,
            "seconds": seconds}


def main() -> None:
    from hybridplan.coverage import default_scenario_text

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", help="scenario TOML (default: the bundled default)")
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--step", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--resolutions", default="6,7,8")
    args = parser.parse_args()
    text = (open(args.scenario, encoding="utf-8").read() if args.scenario
            else default_scenario_text())
    rows = [run(int(r), args.hours, args.step, args.workers, text)
            for r in args.resolutions.split(",")]
    techs = sorted({t for row in rows for t in row["per_tech"]})
    print(f"{'res':>3s} {'cells':>7s} {'sites':>6s} {'people':>10s} {'target':>10s} "
          f"{'total USD':>14s} " + " ".join(f"{t + ' ppl':>12s} {t + ' USD':>13s}"
                                            for t in techs) + "   time")
    for row in rows:
        cols = " ".join(f"{row['per_tech'].get(t, (0, 0))[0]:12,.0f} "
                        f"{row['per_tech'].get(t, (0, 0))[1]:13,.0f}" for t in techs)
        print(f"{row['resolution']:3d} {row['cells']:7d} {row['sites']:6d} "
              f"{row['population']:10,.0f} {row['target_people']:10,.0f} "
              f"{row['total_usd']:14,.0f} {cols}   {row['seconds']:.0f} s")

    def spread(values):
        values = np.asarray(values, dtype=float)
        return values.max() / values.min() - 1 if values.min() > 0 else float("inf")

    print(f"spread (max/min - 1): total USD {spread([r['total_usd'] for r in rows]):.1%}, "
          f"target people {spread([r['target_people'] for r in rows]):.1%}")
    for t in techs:
        print(f"  {t}: people {spread([r['per_tech'].get(t, (0, 0))[0] for r in rows]):.1%}, "
              f"USD {spread([r['per_tech'].get(t, (0, 0))[1] for r in rows]):.1%}")


if __name__ == "__main__":
    main()
