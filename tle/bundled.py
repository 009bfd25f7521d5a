"""Bundled element-set snapshots, addressed as ``bundled:<name>``, and spec resolution."""

from __future__ import annotations

import difflib
import re
from importlib import resources
from pathlib import Path

from .constellation import Constellation
from .errors import ElementSetFileError

BUNDLED_PREFIX = "bundled:"
_SNAPSHOT = re.compile(r"^(?P<name>[a-z0-9-]+)_(?P<date>\d{8})\.tle\.gz$")


def bundled_snapshots() -> dict[str, Path]:
    """Name -> path of every bundled snapshot (``{"starlink": .../starlink_20260530.tle.gz}``)."""
    folder = resources.files("hybridplan.tle") / "data"
    found = {}
    for entry in folder.iterdir():
        match = _SNAPSHOT.match(entry.name)
        if match:
            found[match["name"]] = Path(str(entry))
    return dict(sorted(found.items()))


def load_constellation(spec: str | Path) -> Constellation:
    """A constellation from ``"bundled:<name>"`` or a path to a TLE/OMM file."""
    text = str(spec)
    if text.startswith(BUNDLED_PREFIX):
        name = text[len(BUNDLED_PREFIX) :].strip().lower()
        snapshots = bundled_snapshots()
        if name not in snapshots:
            close = difflib.get_close_matches(name, list(snapshots), n=3, cutoff=0.4)
            hint = f"did you mean {', '.join(BUNDLED_PREFIX + c for c in close)}? " if close else ""
            raise ElementSetFileError(
                f"{text}: no bundled element set of that name; {hint}available: "
                f"{', '.join(BUNDLED_PREFIX + n for n in snapshots)}"
            )
        return Constellation.from_path(snapshots[name], fmt="tle", label=name)
    return Constellation.from_path(text)
