"""hybridplan.coverage: scenarios, the visibility engine, figures of merit, the CLI.

This folder installs as ``hybridplan.coverage``. Imported under any other name it
would shadow coverage.py (the test-coverage tool), so refuse loudly.
"""

if __name__ != "hybridplan.coverage":  # pragma: no cover - guard against sys.path traps
    raise ImportError(
        f"the repository folder 'coverage/' was imported as {__name__!r}; it must be "
        "imported as 'hybridplan.coverage'. The repo root is first on sys.path: run the "
        "'pytest' console script (not 'python -m pytest'), do not run 'python -c' from the "
        "repo root, or set PYTHONSAFEPATH=1. See DESIGN.md, 'Layout'."
    )
