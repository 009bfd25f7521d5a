"""Whole plans (``hybridplan plan``) of the CAREC corridor regions at H3 res 6, bundled data.

Run (from any folder except the repo root, so coverage/ cannot shadow coverage.py):

    /work/venv/bin/python /work/main/benchmarks/bench_corridor_plans.py [--only NAME ...]
    /work/venv/bin/python /work/main/benchmarks/bench_corridor_plans.py --write-scenarios

Each case is one scenario file in ``benchmarks/scenarios/`` (a copy of the bundled default
scenario with the region, res 6 and the licensing of that country; see each file's
header).  Each plan runs as ``hybridplan plan SCENARIO --out DIR --no-progress`` in a child
process, **one at a time**; the parent reads the child's wall time and peak RSS
(``os.wait4``) and then ``DIR/plan.nc``: cells, population against the bundled control
totals (``population_control_totals``), people dropped or without DEM heights, and the
technology split (people and cells per recommendation) of every licensing case.

``--write-scenarios`` regenerates the scenario files from the bundled default (run it
when the default scenario changes, then review the diff).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios"


@dataclass(frozen=True)
class Case:
    """One corridor region: file stem, region names, and the licensing of its base case."""

    stem: str
    names: tuple[str, ...]
    description: str
    licence_note: str
    licensed: dict[str, tuple[bool, str]] = field(default_factory=dict)
    terrain: bool = True
    terrain_note: str = ""


FOREIGN_LEO = ("starlink", "oneweb", "kuiper", "qianfan", "guowang")

_UNVERIFIED = (
    "[ASSUMPTION] no licence for {country} verified here: unlicensed in the base case; "
    "check the national regulator"
)
_GEO_PROXY = (
    "[ASSUMPTION] stands in for a national GEO VSAT service ({geo}); PakSat's orbit (38 E) "
    "and costs are used as the proxy"
)


def _corridor_case(
    stem, country, names, geo, *, extra=None, terrain=True, terrain_note="", note=""
) -> Case:
    licensed = {s: (False, _UNVERIFIED.format(country=country)) for s in FOREIGN_LEO}
    licensed["o3b"] = (False, _UNVERIFIED.format(country=country))
    licensed["paksat"] = (True, _GEO_PROXY.format(geo=geo))
    licensed.update(extra or {})
    return Case(
        stem,
        names,
        f"{' + '.join(names)}, 2026-05-30, bundled systems, H3 res 6",
        note
        or (
            f"No satellite licence for {country} was verified for this file: every foreign "
            "LEO/MEO system is unlicensed in the base case (an [ASSUMPTION], not a fact) "
            "and licensed in the alternative case, and the PakSat GEO entry stands in for "
            f"the national GEO VSAT service ({geo}) with PakSat's orbit and costs."
        ),
        licensed,
        terrain,
        terrain_note,
    )


CASES = (
    _corridor_case("kyrgyzstan", "Kyrgyzstan", ("Kyrgyzstan",), "KazSat/Intelsat capacity resold"),
    _corridor_case(
        "tajikistan",
        "Tajikistan",
        ("Tajikistan",),
        "leased GEO capacity",
        note=(
            "No satellite licence for Tajikistan was verified for this file: every foreign "
            "LEO/MEO system is unlicensed in the base case (an [ASSUMPTION]; the Caspian "
            "Post reported Starlink service in Tajikistan, undated, not verified) and "
            "licensed in the alternative case; PakSat stands in for a GEO VSAT service."
        ),
    ),
    _corridor_case("uzbekistan", "Uzbekistan", ("Uzbekistan",), "leased GEO capacity"),
    _corridor_case(
        "kazakhstan",
        "Kazakhstan",
        ("Kazakhstan",),
        "KazSat",
        extra={
            "starlink": (
                True,
                (
                    "[REPORTED] MDAI-SpaceX agreement of 12 Jun 2025, public sales from Q3 "
                    "2025 (The Diplomat, 2025-07; Times of Central Asia, service official 13 "
                    "Aug 2025); a pilot to 1 Nov 2026 pending a ground station (adyrna.kz)"
                ),
            )
        },
        note=(
            "Kazakhstan: Starlink licensed in the base case ([REPORTED] agreement of 12 Jun "
            "2025, sales from Q3 2025; a pilot regime to 1 Nov 2026 pending a ground "
            "station); every other foreign LEO/MEO system unlicensed (an [ASSUMPTION]: "
            "OneWeb was tested with Kazakhtelecom, no licence verified), all licensed in "
            "the alternative case; PakSat stands in for KazSat."
        ),
    ),
    _corridor_case("azerbaijan", "Azerbaijan", ("Azerbaijan",), "Azerspace-1/-2 (Azercosmos)"),
    _corridor_case(
        "xinjiang",
        "China (Xinjiang)",
        ("Xinjiang",),
        "ChinaSat",
        terrain=False,
        terrain_note=(
            "The bundled terrain grid covers lon 40-90 E, lat 20-56 N; Xinjiang reaches "
            "96.4 E, so a terrain-aware plan is refused (cells east of 90 E have no DEM "
            "height). Terrain is off here: open sky everywhere, observers at the DEM height "
            "where there is one and on the ellipsoid (0 m) east of 90 E, no microwave "
            "relays there. Bring a DEM covering lon 40-97 E ([terrain] dem) for terrain."
        ),
    ),
    Case(
        "pakistan_kyrgyzstan",
        ("Pakistan", "Kyrgyzstan"),
        "Pakistan + Kyrgyzstan, 2026-05-30, bundled systems, H3 res 6",
        "Licensing is one flag per system for the whole region: the Pakistan facts of the "
        "default scenario are kept (they were written for GB/AJK; no foreign LEO licence "
        "anywhere in Pakistan as of Sep 2025); Kyrgyzstan's status is not verified here.",
    ),
)


def scenario_text(default: str, case: Case) -> str:
    """The default scenario's text with ``case``'s header, region, terrain and licences."""
    lines = default.splitlines()
    out: list[str] = [
        f"# hybridplan corridor scenario: {case.description}.",
        "# Generated from the bundled default scenario by benchmarks/bench_corridor_plans.py",
        "# --write-scenarios: only the region, the resolution, the licences (and terrain",
        "# where noted) differ from it.",
        "#",
    ]
    out += _comment(case.licence_note)
    if case.terrain_note:
        out += _comment(case.terrain_note)
    skip_header = True
    system = None
    in_licence_comment = False
    section = ""
    for line in lines:
        if skip_header:
            if line.startswith("#") or not line.strip():
                continue
            skip_header = False
        if line.startswith("name = ") and section == "":
            out.append(f'name = "corridor-{case.stem.replace("_", "-")}"')
            continue
        if line.startswith("description = ") and section == "":
            out.append(f'description = "{case.description}"')
            continue
        if line.startswith("["):
            section = line.strip()
            if section == "[[systems]]":
                system = None
        if line.startswith("names = ") and section == "[region]":
            names = ", ".join(json.dumps(n) for n in case.names)
            out.append(f"names = [{names}]")
            continue
        if line.startswith("resolution = ") and section == "[region]":
            out.append("resolution = 6           # H3 resolution (6: about 36 km2 per cell)")
            continue
        if line.startswith("enabled = ") and section == "[terrain]" and not case.terrain:
            out.append("enabled = false          # the bundled DEM stops at 90 E (header)")
            continue
        if line.startswith("# Licensing:"):
            in_licence_comment = True
            out += _comment(
                "Licensing: two cases decided side by side from one coverage run. The base "
                "case is each system's `licensed`, the alternative each system's "
                "`licensed_alternative` (every foreign LEO system licensed). " + case.licence_note
            )
            continue
        if in_licence_comment:
            if line.startswith("#"):
                continue
            in_licence_comment = False
        match = re.match(r'name = "([^"]+)"', line)
        if match and section == "[[systems]]":
            system = match.group(1)
        if section == "[[systems]]" and system in case.licensed:
            if line.startswith("licence_source = "):
                continue
            if line.startswith("licensed = "):
                value, source = case.licensed[system]
                out.append(f"licensed = {str(value).lower()}")
                out.append(f"licence_source = {json.dumps(source)}")
                continue
        out.append(line)
    return "\n".join(out) + "\n"


def _comment(text: str, width: int = 88) -> list[str]:
    words, lines, line = text.split(), [], "#"
    for word in words:
        if len(line) + 1 + len(word) > width:
            lines.append(line)
            line = "#"
        line += " " + word
    return [*lines, line, "#"]


def write_scenarios() -> None:
    from importlib import resources

    default = (
        resources.files("hybridplan.coverage.scenario")
        .joinpath("data/default_scenario.toml")
        .read_text(encoding="utf-8")
    )
    SCENARIOS.mkdir(exist_ok=True)
    for case in CASES:
        path = SCENARIOS / f"{case.stem}.toml"
        path.write_text(scenario_text(default, case), encoding="utf-8")
        print(f"wrote {path}")


def run_case(case: Case, folder: Path) -> dict:
    """``hybridplan plan`` of one case in a child process: wall time, peak RSS, stderr."""
    exe = Path(sys.executable).with_name("hybridplan")
    command = [str(exe), "plan", str(SCENARIOS / f"{case.stem}.toml"), "--out", str(folder)]
    command.append("--no-progress")
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err, tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(command, stdout=out, stderr=err, cwd=folder.parent)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        err.seek(0)
        out.seek(0)
        return {
            "returncode": child.returncode,
            "seconds": seconds,
            "peak_rss_mb": usage.ru_maxrss / 1024.0,
            "stderr": err.read(),
            "stdout": out.read(),
        }


def summarise(plan_nc: Path) -> dict:
    """Cells, people, bundled totals and the technology split per licensing case."""
    import numpy as np
    import xarray as xr

    with xr.open_dataset(plan_nc) as plan:
        people = plan["population"].values
        totals = json.loads(plan.attrs["population_control_totals"])
        meanings = plan["recommendation"].attrs["flag_meanings"].split()
        values = list(plan["recommendation"].attrs["flag_values"])
        if "recommendation_by_case" in plan:
            cases = [str(c) for c in plan["case"].values]
            codes = plan["recommendation_by_case"].values
        else:
            cases, codes = ["base"], plan["recommendation"].values[None, :]
        split = {}
        for name, row in zip(cases, codes, strict=True):
            split[name] = {
                meanings[values.index(v)]: (int((row == v).sum()), float(people[row == v].sum()))
                for v in np.unique(row)
            }
        attrs = {
            key: _plain(plan.attrs[key])
            for key in plan.attrs
            if "dropped" in key or "without_dem" in key or "unplaced" in key
        }
        return {
            "cells": int(plan.sizes["cell"]),
            "population": float(people.sum()),
            "totals": float(sum(totals.values())),
            "split": split,
            "attrs": attrs,
        }


def _plain(value):
    """A netCDF attribute as a JSON-ready Python value."""
    return value.item() if hasattr(value, "item") and getattr(value, "size", 1) == 1 else value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="case stems to run (default: all)")
    parser.add_argument("--write-scenarios", action="store_true")
    parser.add_argument("--keep", help="keep the output folders under this folder")
    args = parser.parse_args()
    if args.write_scenarios:
        write_scenarios()
        return
    cases = [c for c in CASES if not args.only or c.stem in args.only]
    root = Path(args.keep or tempfile.mkdtemp(prefix="corridor_plans_"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"whole plans at H3 res 6, one at a time (outputs under {root})")
    rows = []
    for case in cases:
        folder = root / case.stem
        run = run_case(case, folder)
        warnings = [ln for ln in run["stderr"].splitlines() if "warning" in ln or "error" in ln]
        if run["returncode"] != 0:
            print(f"{case.stem}: exit {run['returncode']} after {run['seconds']:.0f} s")
            print("\n".join(warnings[-5:]))
            continue
        s = summarise(folder / "plan.nc")
        rows.append((case, run, s))
        print(json.dumps({"case": case.stem, **run, **s, "stdout": None, "stderr": warnings}))
        sys.stdout.flush()
    print()
    print(
        f"{'region':<22s} {'cells':>7s} {'population':>12s} {'bundled total':>14s} "
        f"{'diff %':>8s} {'plan s':>7s} {'peak RSS MB':>11s}"
    )
    for case, run, s in rows:
        diff = 100.0 * (s["population"] - s["totals"]) / s["totals"]
        print(
            f"{' + '.join(case.names):<22s} {s['cells']:>7,d} {s['population']:>12,.0f} "
            f"{s['totals']:>14,.0f} {diff:>8.4f} {run['seconds']:>7.0f} "
            f"{run['peak_rss_mb']:>11.0f}"
        )
    print()
    for case, _, s in rows:
        for name, split in s["split"].items():
            parts = ", ".join(
                f"{k} {c:,d} cells/{p / 1e6:.2f} M"
                for k, (c, p) in sorted(split.items(), key=lambda kv: -kv[1][1])
            )
            print(f"{case.stem} [{name}]: {parts}")


if __name__ == "__main__":
    main()
