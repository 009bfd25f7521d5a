"""Errors and warnings of hybridplan.coverage.

Every error is a ``ValueError`` too (callers may catch broadly or precisely); the CLI
prints the message of any of them on one line and exits with status 2.
"""

from __future__ import annotations


class CoverageError(ValueError):
    """Base class of the errors raised by hybridplan.coverage."""


class ScenarioError(CoverageError):
    """A scenario (file or object) that is malformed or out of range."""


class ScenarioFileError(ScenarioError):
    """A scenario file that cannot be read at all (missing, not TOML, not UTF-8)."""


class StaleElementSetsError(ScenarioError):
    """The analysis window is too far from the element-set epochs for SGP4 to mean much."""


class PropagationFailureWarning(UserWarning):
    """SGP4 failed for some (satellite, step) pairs; they are reported, not "invisible"."""


class PlanContractError(CoverageError):
    """A plan Dataset that breaks the plan contract (``coverage.contract``)."""
