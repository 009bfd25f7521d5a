"""hybridplan.coverage: scenarios, the visibility engine, figures of merit, the CLI.

This folder installs as ``hybridplan.coverage``. Imported under any other name it
would shadow coverage.py (the test-coverage tool), so refuse loudly.

The public names load lazily (``from hybridplan.coverage import run_scenario``), so the
command line starts fast and importing has no side effects::

    from hybridplan.coverage import default_scenario, run_scenario, write_netcdf
    fom = run_scenario(default_scenario(), workers=2)
"""

if __name__ != "hybridplan.coverage":  # pragma: no cover - guard against sys.path traps
    raise ImportError(
        f"the repository folder 'coverage/' was imported as {__name__!r}; it must be "
        "imported as 'hybridplan.coverage'. The repo root is first on sys.path: run the "
        "'pytest' console script (not 'python -m pytest'), do not run 'python -c' from the "
        "repo root, or set PYTHONSAFEPATH=1. See DESIGN.md, 'Layout'."
    )

_EXPORTS = {
    "compute_coverage": "api", "run_scenario": "api", "prepare_grid": "api",
    "write_netcdf": "api",
    "SystemModel": "engine", "EngineOptions": "engine", "ground_from_grid": "engine",
    "accumulate": "engine",
    "Accumulator": "accumulate",
    "Scenario": "scenario", "RegionSpec": "scenario", "WindowSpec": "scenario",
    "TerrainSpec": "scenario", "SystemSpec": "scenario", "WalkerSpec": "scenario",
    "FilterSpec": "scenario", "EngineSpec": "scenario", "load_scenario": "scenario",
    "default_scenario": "scenario", "default_scenario_text": "scenario",
    "resolve_systems": "systems",
    "SCHEMA": "scenario_schema", "schema_markdown": "scenario_schema",
    "CoverageError": "errors", "ScenarioError": "errors", "ScenarioFileError": "errors",
    "StaleElementSetsError": "errors", "PropagationFailureWarning": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hybridplan.coverage' has no attribute {name!r}")
    from importlib import import_module
    return getattr(import_module(f"hybridplan.coverage.{module}"), name)


def __dir__():
    return sorted(list(globals()) + __all__)
