"""The ``hybridplan`` command line. Only the CLI prints, reads the clock or picks paths.

User errors (bad files, bad scenarios, bad values) print one message and exit with
status 2, never a traceback; ``--traceback`` shows it for debugging.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import PackageNotFoundError, version

from hybridplan.grids.errors import GridError
from hybridplan.reports.labels import ReportDataError
from hybridplan.tle.errors import ElementSetError

from ..errors import CoverageError
from . import coverage as cli_coverage
from . import explore as cli_explore
from . import plan as cli_plan
from . import sweep as cli_sweep
from . import tle as cli_tle

#: Error classes whose message is the whole story for a user.
USER_ERRORS: tuple[type[BaseException], ...] = (
    ElementSetError,
    GridError,
    CoverageError,
    ReportDataError,
)


def _version() -> str:
    try:
        return version("hybridplan")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hybridplan",
        description="Satellite-terrestrial hybrid coverage planner: real constellations over "
        "an H3 grid of the ground, terrain, fibre reach and backhaul advice. "
        "Everything runs offline on bundled data you can replace with your own.",
        epilog="Start with: hybridplan plan --out results/ (the bundled default plan). "
        "Each command has its own --help.",
    )
    parser.add_argument("--version", action="version", version=f"hybridplan {_version()}")
    parser.add_argument(
        "--traceback",
        action="store_true",
        help="show the Python traceback on errors (for bug reports)",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli_tle.add_parsers(subparsers)
    cli_coverage.add_parsers(subparsers)
    cli_plan.add_parsers(subparsers)
    cli_sweep.add_parsers(subparsers)
    cli_explore.add_parsers(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hybridplan`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except USER_ERRORS + (OSError,) as exc:
        if args.traceback:
            raise
        print(f"hybridplan: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hybridplan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
