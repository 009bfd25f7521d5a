"""The import direction of DESIGN.md, checked on the sources (no imports executed).

Between packages: ``tle``, ``grids`` and ``reports`` are leaves (they import nothing of
ours); ``coverage`` is the top. Inside ``coverage``, the rooms of DESIGN.md ("Layout"):

=========  ===============================================================
room       may import (of ours, besides its own room)
=========  ===============================================================
errors     nothing
contract   errors
testing    contract, errors
engine     tle, errors, contract
planning   errors, contract
scenario   tle, errors, planning's dataclass modules (spec, demand,
           economics, recommend)
pipeline   everything
cli        pipeline, scenario, planning, tle, reports, errors, contract, and
           grids.errors (the error classes it turns into one-line messages);
           never engine
=========  ===============================================================

Relative imports are resolved against the module's own package, so ``from ..errors
import X`` in ``coverage/engine/run.py`` is ``hybridplan.coverage.errors``.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tle", "grids", "reports", "coverage")
LEAVES = ("tle", "grids", "reports")

#: room -> module prefixes (dotted, under ``hybridplan``) it may import.
ROOM_RULES = {
    "errors": (),
    "contract": ("coverage.errors",),
    "testing": ("coverage.contract", "coverage.errors"),
    "engine": ("tle", "coverage.errors", "coverage.contract"),
    "planning": ("coverage.errors", "coverage.contract"),
    "scenario": ("tle", "coverage.errors", "coverage.planning.spec",
                 "coverage.planning.demand", "coverage.planning.economics",
                 "coverage.planning.recommend"),
    "pipeline": ("tle", "grids", "reports", "coverage"),
    "cli": ("tle", "reports", "grids.errors", "coverage.errors", "coverage.contract",
            "coverage.pipeline", "coverage.scenario", "coverage.planning"),
    "__init__": (),  # the facade loads lazily by name (no import statements)
}


def module_name(path: Path) -> str:
    """``coverage/engine/run.py`` -> ``hybridplan.coverage.engine.run``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1] + ["__init__"]
    return "hybridplan." + ".".join(parts)


def imported_modules(source: str, module: str) -> set[str]:
    """Dotted names (under ``hybridplan``) that a module imports, relative ones resolved."""
    package = module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level > 0:
                base = package.split(".")
                if node.level - 1 >= len(base) - 1:  # climbs out of hybridplan.<package>
                    base = ["hybridplan"]
                else:
                    base = base[:len(base) - (node.level - 1)]
                if node.module:
                    names = [".".join([*base, node.module])]
                else:
                    names = [".".join([*base, alias.name]) for alias in node.names]
            elif node.module == "hybridplan":  # from hybridplan import reports
                names = [f"hybridplan.{alias.name}" for alias in node.names]
            else:
                names = [node.module or ""]
        else:
            continue
        found.update(n for n in names if n == "hybridplan" or n.startswith("hybridplan."))
    return found


def room_of(module: str) -> str:
    """Room of a coverage module: ``hybridplan.coverage.engine.run`` -> ``engine``."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 else "__init__"


def violations(module: str, imports: set[str]) -> list[str]:
    """Imports of ``module`` that break the package or room rules."""
    package = module.split(".")[1]
    bad = []
    for name in sorted(imports):
        target = name.removeprefix("hybridplan.").removeprefix("hybridplan")
        if not target:
            bad.append(name)
            continue
        target_package = target.split(".")[0]
        if target_package == package and package != "coverage":
            continue
        if package in LEAVES:
            bad.append(name)
            continue
        if package != "coverage":
            bad.append(name)
            continue
        room = room_of(module)
        if target_package == "coverage" and len(target.split(".")) > 1 \
                and target.split(".")[1] == room:
            continue  # within its own room
        allowed = ROOM_RULES[room]
        if not any(target == p or target.startswith(p + ".") for p in allowed):
            bad.append(name)
    return bad


def _modules(package: str):
    return sorted(p for p in (ROOT / package).rglob("*.py") if "data" not in p.parts)


@pytest.mark.parametrize("package", PACKAGES)
def test_import_direction(package):
    offenders = []
    for path in _modules(package):
        module = module_name(path)
        bad = violations(module, imported_modules(path.read_text(encoding="utf-8"), module))
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {bad}")
    assert not offenders, "import direction broken (DESIGN.md):\n" + "\n".join(offenders)


def test_every_coverage_module_is_in_a_room():
    for path in _modules("coverage"):
        assert room_of(module_name(path)) in ROOM_RULES, path


@pytest.mark.parametrize("module, source, expected_bad", [
    # leaves importing the top, in every spelling
    ("hybridplan.tle.walker", "from hybridplan.coverage import x", ["hybridplan.coverage"]),
    ("hybridplan.tle.walker", "import hybridplan.grids.hexgrid", ["hybridplan.grids.hexgrid"]),
    ("hybridplan.tle.walker", "from .. import coverage", ["hybridplan.coverage"]),
    ("hybridplan.tle.walker", "from hybridplan import reports", ["hybridplan.reports"]),
    ("hybridplan.tle.walker", "from .presets import x", []),
    # the engine may not import scenario, grids or planning
    ("hybridplan.coverage.engine.run", "from ..scenario import Scenario",
     ["hybridplan.coverage.scenario"]),
    ("hybridplan.coverage.engine.run", "from hybridplan.grids import build_grid",
     ["hybridplan.grids"]),
    ("hybridplan.coverage.engine.run", "from ..planning.decide import decide",
     ["hybridplan.coverage.planning.decide"]),
    ("hybridplan.coverage.engine.run", "from .kernel import run_steps\nfrom ..errors import E", []),
    # the CLI never imports the engine, in any spelling
    ("hybridplan.coverage.cli.plan", "from ..engine import compute_coverage",
     ["hybridplan.coverage.engine"]),
    ("hybridplan.coverage.cli.plan", "from hybridplan.coverage.engine.run import accumulate",
     ["hybridplan.coverage.engine.run"]),
    ("hybridplan.coverage.cli.__init__", "from . import plan", []),
    ("hybridplan.coverage.cli.plan", "from hybridplan.grids import load_region",
     ["hybridplan.grids"]),
    # planning is numpy + dataclasses: no scenario, no pipeline
    ("hybridplan.coverage.planning.decide", "from ..pipeline import resolve",
     ["hybridplan.coverage.pipeline"]),
    # the scenario may use planning's dataclasses, not its decision code
    ("hybridplan.coverage.scenario.planning", "from ..planning.spec import PlanningSpec", []),
    ("hybridplan.coverage.scenario.planning", "from ..planning.decide import decide",
     ["hybridplan.coverage.planning.decide"]),
])
def test_checker_sees_violations(module, source, expected_bad):
    """The checker itself flags planted violations (and passes clean imports)."""
    assert violations(module, imported_modules(source, module)) == expected_bad


def test_every_package_has_modules():
    for package in PACKAGES:
        assert (ROOT / package / "__init__.py").exists()
