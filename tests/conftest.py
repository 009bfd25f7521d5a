"""Fixtures shared by the report and contract tests: one synthetic plan (from the
contract) and one small real plan built once per test run.

This file lives inside ``tests/`` (never at the repository root: a root conftest puts
the repo first on ``sys.path`` and ``import coverage`` would load our folder; DESIGN.md,
"Layout"); pytest runs with ``--import-mode=importlib``.
"""

import pytest

#: A tiny real scenario: Nagar at H3 resolution 6 (71 cells), 2 h at 5 min steps, one
#: LEO and one GEO system, with the per-step series of two cells.
SMALL_REAL = """
name = "nagar-small"
description = "Nagar district, 2 h, Starlink and PakSat"
[region]
names = ["Nagar"]
resolution = 6
[window]
start = "2026-05-30T00:00:00Z"
duration_h = 2
step_s = 300
[engine]
series_cells = ["862099b87ffffff", "86209996fffffff"]
[[systems]]
name = "starlink"
source = "bundled:starlink"
filter = { altitude_km = [520, 560], inclination_deg = [53, 54] }
min_elevation_deg = 25     # [FILED] FCC 21-48
licensed = true            # [ASSUMPTION] registration reported in 2025
[[systems]]
name = "paksat"
source = "bundled:geo"
filter = { name = "PAKSAT" }
min_elevation_deg = 10     # [ASSUMPTION] typical VSAT pointing limit
[planning]
min_fiber_distance_km = 5
[costs.fiber]
cost_per_km_usd = 20000    # [ASSUMPTION] indicative
"""


@pytest.fixture(scope="session")
def synthetic_plan():
    """The contract's synthetic plan (GB box, H3 resolution 7, with series)."""
    from hybridplan.coverage import testing

    return testing.synthetic_plan()


@pytest.fixture(scope="session")
def real_run():
    """A real plan of Nagar with its report inputs (overlays), built once (~5 s)."""
    from hybridplan.coverage import build_plan, resolve
    from hybridplan.coverage.pipeline.outputs import report_inputs
    from hybridplan.coverage.scenario import Scenario

    inputs = resolve(Scenario.from_toml(SMALL_REAL, "nagar-small.toml"))
    plan = build_plan(inputs)
    return plan, report_inputs(plan, inputs)


@pytest.fixture(scope="session")
def real_plan(real_run):
    return real_run[0]


@pytest.fixture(params=["synthetic", "real"])
def any_plan(request):
    """Each report test that takes this runs on the synthetic and on the real plan."""
    return request.getfixturevalue(f"{request.param}_plan")
