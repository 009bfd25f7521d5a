"""``hybridplan tle ...``: inspect element-set files and generate Walker constellations."""

from __future__ import annotations

import argparse
from datetime import datetime

import numpy as np
from hybridplan.reports.atomic import write_text_atomic
from hybridplan.tle import (
    WALKER_PRESETS,
    Constellation,
    WalkerShell,
    discover_shells,
    load_constellation,
    preset_constellation,
    require_utc,
)
from hybridplan.tle.errors import ElementSetError


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    tle = subparsers.add_parser(
        "tle",
        help="inspect element sets; generate Walker constellations",
        description="Element sets: TLE (2- or 3-line) and CelesTrak OMM (JSON, CSV, XML), "
        "plain or .gz; bundled snapshots are named bundled:<name>.",
    )
    sub = tle.add_subparsers(dest="tle_command", required=True, metavar="{info,walker}")

    info = sub.add_parser(
        "info",
        help="count, epochs, shells and problems of element-set files",
        description="Reads each file, reports what was kept and dropped (with file:line "
        "and the reason), the epoch range, altitudes, inclinations and the "
        "shells found by clustering. Example: hybridplan tle info bundled:oneweb",
    )
    info.add_argument(
        "specs",
        nargs="+",
        metavar="FILE|bundled:NAME",
        help="a TLE/OMM file, or bundled:starlink, bundled:oneweb, "
        "bundled:kuiper, bundled:qianfan, bundled:guowang, bundled:o3b, "
        "bundled:iridium-next, bundled:geo",
    )
    info.add_argument(
        "--problems",
        type=int,
        default=10,
        metavar="N",
        help="show at most N dropped records per file (default 10)",
    )
    info.add_argument(
        "--strict", action="store_true", help="exit with status 1 if any record was dropped"
    )
    info.set_defaults(handler=run_info)

    walker = sub.add_parser(
        "walker",
        help="write a Walker delta/star constellation as a TLE file",
        description="Either --preset NAME or the shell parameters. Altitude is the "
        "orbit-averaged altitude above the WGS84 equatorial radius. Example: "
        "hybridplan tle walker --altitude-km 550 --inclination-deg 53 --planes 72 "
        "--sats-per-plane 22 --phasing 17 --epoch 2026-05-30T00:00Z -o shell.tle",
    )
    walker.add_argument(
        "--preset",
        choices=sorted(WALKER_PRESETS),
        help="a sourced preset (see 'hybridplan tle walker --list')",
    )
    walker.add_argument("--list", action="store_true", help="list the presets and exit")
    walker.add_argument("--name", default="walker", help="name prefix of the satellites")
    walker.add_argument("--altitude-km", type=float)
    walker.add_argument("--inclination-deg", type=float)
    walker.add_argument("--planes", type=int)
    walker.add_argument("--sats-per-plane", type=int)
    walker.add_argument(
        "--phasing", type=int, default=None, help="Walker F (default 1, or 0 for a single plane)"
    )
    walker.add_argument("--pattern", choices=("delta", "star"), default="delta")
    walker.add_argument("--raan-spread-deg", type=float, default=None)
    walker.add_argument(
        "--epoch",
        default="2026-05-30T00:00:00Z",
        help="UTC epoch, ISO 8601 with Z or an offset "
        "(default 2026-05-30T00:00:00Z, the bundled snapshots' day)",
    )
    walker.add_argument("-o", "--output", help="TLE file to write (atomically)")
    walker.set_defaults(handler=run_walker)


def _fmt_range(values: np.ndarray, fmt: str, unit: str) -> str:
    return f"{values.min():{fmt}} .. {values.max():{fmt}} {unit}"


def describe(spec: str, constellation: Constellation, max_problems: int) -> str:
    """The text of ``tle info`` for one constellation."""
    report = constellation.report
    lines = [
        f"{spec}  ({report.source})" if report.source != spec else spec,
        (
            f"  element sets   {len(constellation)} kept, {report.n_dropped} dropped, "
            f"{len(report.duplicates)} duplicate NORAD ids resolved to the newest epoch"
        ),
    ]
    if len(constellation):
        epochs = constellation.epochs_utc
        lines += [
            f"  epochs         {str(epochs.min())[:16]} .. {str(epochs.max())[:16]} UTC",
            f"  mean altitude  {_fmt_range(constellation.mean_altitude_km, '.0f', 'km')}",
            f"  inclination    {_fmt_range(constellation.inclination_deg, '.2f', 'deg')}",
        ]
        shells, unassigned = discover_shells(constellation)
        lines.append(
            f"  shells         {len(shells)} found by clustering "
            f"({len(unassigned)} satellites in none: orbit raising, tests, strays)"
        )
        if shells:
            lines.append("      inclination   altitude    sats  planes  per plane")
            lines += [
                f"      {s.inclination_deg:7.2f} deg {s.altitude_km:7.1f} km "
                f"{s.n_satellites:7d} {s.n_planes:7d} {s.sats_per_plane:10.0f}"
                for s in shells
            ]
    if report.problems:
        lines.append(f"  problems       {report.summary()}")
        for problem in report.problems[:max_problems]:
            lines.append("      " + str(problem).replace("\n", "\n      "))
        if report.n_dropped > max_problems:
            lines.append(
                f"      ... {report.n_dropped - max_problems} more (--problems N shows more)"
            )
    for duplicate in report.duplicates[:max_problems]:
        lines.append(f"      {duplicate}")
    return "\n".join(lines)


def run_info(args: argparse.Namespace) -> int:
    dropped = 0
    for spec in args.specs:
        constellation = load_constellation(spec)
        dropped += constellation.report.n_dropped
        print(describe(spec, constellation, args.problems))
    return 1 if args.strict and dropped else 0


def _parse_epoch(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ElementSetError(
            f"--epoch {text!r} is not ISO 8601; write for example 2026-05-30T00:00:00Z"
        ) from None
    return require_utc(value, "--epoch")


def run_walker(args: argparse.Namespace) -> int:
    if args.list:
        for name, shells in WALKER_PRESETS.items():
            print(name)
            for shell in shells:
                flag = " (approximate)" if shell.approximate else ""
                print(f"    {shell.notation()}{flag}\n        source: {shell.source}")
        return 0
    epoch = _parse_epoch(args.epoch)
    if args.preset:
        constellation = preset_constellation(args.preset, epoch)
    else:
        missing = [
            f"--{k.replace('_', '-')}"
            for k in ("altitude_km", "inclination_deg", "planes", "sats_per_plane")
            if getattr(args, k) is None
        ]
        if missing:
            raise ElementSetError(
                f"tle walker needs {', '.join(missing)} (or --preset NAME; "
                "--list shows the presets)"
            )
        shell = WalkerShell(
            args.name,
            args.altitude_km,
            args.inclination_deg,
            args.planes,
            args.sats_per_plane,
            args.phasing,
            args.pattern,
            args.raan_spread_deg,
        )
        constellation = Constellation.from_walker(shell, epoch)
    if not args.output:
        raise ElementSetError("tle walker needs -o FILE, the TLE file to write")
    write_text_atomic(args.output, "\n".join(constellation.to_tle_lines()) + "\n")
    print(f"wrote {len(constellation)} satellites to {args.output}")
    print(describe(args.output, constellation, 0))
    return 0
