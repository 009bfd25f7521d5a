"""hybridplan.coverage: the planner on top of ``tle``, ``grids`` and ``reports``.

This folder installs as ``hybridplan.coverage``. Imported under any other name it
would shadow coverage.py (the test-coverage tool), so refuse loudly.

The curated public API (loaded lazily, so the command line starts fast and importing
has no side effects)::

    from hybridplan.coverage import build_plan, default_scenario, resolve, validate_plan
    inputs = resolve(default_scenario())      # everything validated and loaded once
    plan = build_plan(inputs, workers=2)      # ground, coverage, decision
    validate_plan(plan)                       # the plan contract (coverage.contract)

Rooms: ``scenario`` (what the user asked for), ``engine`` (satellites x cells x steps ->
figures of merit), ``planning`` (figures of merit + ground -> decision), ``pipeline``
(scenario -> inputs -> plan -> files), ``cli``; ``contract`` names every plan variable;
``testing`` builds synthetic plans from the contract.
"""

if __name__ != "hybridplan.coverage":  # pragma: no cover - guard against sys.path traps
    raise ImportError(
        f"the repository folder 'coverage/' was imported as {__name__!r}; it must be "
        "imported as 'hybridplan.coverage'. The repo root is first on sys.path: run the "
        "'pytest' console script (not 'python -m pytest'), do not run 'python -c' from the "
        "repo root, or set PYTHONSAFEPATH=1. See DESIGN.md, 'Layout'."
    )

_EXPORTS = {
    # the pipeline
    "PlanInputs": "pipeline",
    "resolve": "pipeline",
    "build_plan": "pipeline",
    "write_outputs": "pipeline",
    "run_coverage": "pipeline",
    "prepare_ground": "pipeline",
    "write_netcdf": "pipeline",
    # the engine
    "compute_coverage": "engine",
    "SystemModel": "engine",
    "EngineOptions": "engine",
    # the scenario
    "Scenario": "scenario",
    "SystemSpec": "scenario",
    "load_scenario": "scenario",
    "default_scenario": "scenario",
    "default_scenario_text": "scenario",
    "planning_spec": "scenario",
    "SCHEMA": "scenario",
    # planning
    "PlanningSpec": "planning",
    "decide": "planning",
    # the contract
    "validate_plan": "contract",
    "PLAN_VARIABLES": "contract",
    # errors
    "CoverageError": "errors",
    "ScenarioError": "errors",
    "ScenarioFileError": "errors",
    "StaleElementSetsError": "errors",
    "PlanContractError": "errors",
    "PropagationFailureWarning": "errors",
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
