"""Atomic output for the CLI and the API: write beside the target, then rename.

The implementation lives in :mod:`hybridplan.reports.atomic` (``reports`` imports nothing
of ours, so it holds the one copy; ``coverage`` sits above it and re-uses it).
"""

from hybridplan.reports.atomic import write_atomic, write_text_atomic

__all__ = ["write_atomic", "write_text_atomic"]
