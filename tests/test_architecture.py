"""The import direction of DESIGN.md, checked on the sources (no imports executed).

``tle``, ``grids`` and ``reports`` are leaves: they import nothing of ours.
``coverage`` is the top and may import the three others.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("tle", "grids", "reports", "coverage")
ALLOWED = {
    "tle": set(),
    "grids": set(),
    "reports": set(),
    "coverage": {"tle", "grids", "reports"},
}


def _imported_packages(source: str, package: str) -> set[str]:
    """Names of our packages that a module imports (absolute or relative)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level > 0:
                # A relative import stays in the package unless it climbs out of it;
                # a PEP 420 namespace has no parent to climb to, so level 1 is ours.
                names = [] if node.level == 1 else ["hybridplan"]
            elif node.module == "hybridplan":  # from hybridplan import reports
                names = [f"hybridplan.{alias.name}" for alias in node.names]
            else:
                names = [node.module or ""]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "hybridplan":
                found.add(parts[1] if len(parts) > 1 else "hybridplan")
    found.discard(package)
    return found


def _modules(package: str):
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_import_direction(package):
    offenders = []
    for path in _modules(package):
        bad = _imported_packages(path.read_text(encoding="utf-8"), package) - ALLOWED[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not offenders, "import direction broken (DESIGN.md):\n" + "\n".join(offenders)


def test_checker_sees_violations():
    """The checker itself must flag a leaf importing the top, in both spellings."""
    assert _imported_packages("from hybridplan.coverage import x", "tle") == {"coverage"}
    assert _imported_packages("import hybridplan.grids.hexgrid", "tle") == {"grids"}
    assert _imported_packages("from .. import coverage", "tle") == {"hybridplan"}
    assert _imported_packages("from .walker import x", "tle") == set()
    assert _imported_packages("from hybridplan import reports", "tle") == {"reports"}


def test_every_package_has_modules():
    for package in PACKAGES:
        assert (ROOT / package / "__init__.py").exists()
