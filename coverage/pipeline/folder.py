"""An output folder that is never a mix of two runs.

A run writes every file into a staging folder beside the target
(``.<name>.staging-<pid>``), writes ``manifest.json`` (the run's id, scenario, files and
sizes) last, then swaps the folders: the old set is renamed aside, the staging folder
takes its name, the old set is deleted. A run that fails or is interrupted before the
swap leaves the previous complete set untouched; one killed between the two renames
leaves the previous set under ``.<name>.previous-<pid>`` (restored by the next run).

Before the long computation :class:`OutputFolder` checks that the target can be written,
refuses a folder that another run is writing (an ``flock`` on ``.<name>.lock`` beside
it, released by the kernel even when a run is killed), refuses a non-empty folder that
hybridplan did not write (it would be swapped away), and removes staging folders of
earlier runs that were killed (a warning counts them).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
import warnings
from pathlib import Path

from ..errors import CoverageError

MANIFEST = "manifest.json"

#: Files hybridplan writes; a folder holding only these (an output folder of a version
#: without manifests) may be replaced too.
KNOWN_OUTPUTS = frozenset(
    {
        MANIFEST,
        "plan.nc",
        "coverage.nc",
        "sweep.nc",
        "report.html",
        "report.pdf",
        "report_inputs.json",
        "cells.gpkg",
        "cells.geojson",
        "cells.csv",
        "districts.csv",
        "attributes.csv",
        "changes.csv",
    }
)


class OutputFolderWarning(UserWarning):
    """Leftovers of an earlier, killed run were cleaned or restored."""


class OutputFolder:
    """``with OutputFolder(out) as folder: write into folder.staging; folder.commit(...)``.

    Parameters
    ----------
    path : str or Path
        The folder the user asked for (``--out``).
    command : str
        What is writing (recorded in the manifest).
    """

    def __init__(self, path: str | os.PathLike, command: str = "plan") -> None:
        if "\x00" in str(path):
            raise CoverageError(
                f"--out {str(path)!r}: the path contains a NUL character; give a plain folder name"
            )
        self.path = Path(path).absolute()
        self.command = command
        self.staging = self.path.parent / f".{self.path.name}.staging-{os.getpid()}"
        self._lock_file = None
        self._committed = False

    # -- checks before the long computation -------------------------------------------
    def __enter__(self) -> OutputFolder:
        parent = self.path.parent
        if self.path.exists() and not self.path.is_dir():
            raise CoverageError(f"--out {self.path}: exists and is not a folder; give a folder")
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CoverageError(
                f"--out {self.path}: cannot create its parent folder "
                f"({exc.strerror}); choose a writable place"
            ) from None
        if not os.access(parent, os.W_OK | os.X_OK):
            raise CoverageError(
                f"--out {self.path}: the folder {parent} is not writable; "
                "choose a writable place for the outputs"
            )
        self._lock()
        self._recover_leftovers()
        if (
            self.path.is_dir()
            and not (self.path / MANIFEST).exists()
            and any(
                p.name not in KNOWN_OUTPUTS and not p.name.endswith(".part")
                for p in self.path.iterdir()
            )
        ):
            self._unlock()
            raise CoverageError(
                f"--out {self.path}: the folder holds files that hybridplan did not write "
                "(no manifest.json); a run replaces its folder as a whole, so choose a new "
                "or empty folder"
            )
        try:
            self.staging.mkdir()
        except OSError as exc:
            self._unlock()
            raise CoverageError(
                f"--out {self.path}: cannot create the staging folder "
                f"{self.staging.name} ({exc.strerror})"
            ) from None
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if not self._committed:
                shutil.rmtree(self.staging, ignore_errors=True)
        finally:
            self._unlock()

    def _lock(self) -> None:
        lock_path = self.path.parent / f".{self.path.name}.lock"
        try:
            self._lock_file = open(lock_path, "a+")
        except OSError as exc:
            raise CoverageError(
                f"--out {self.path}: cannot create the lock file {lock_path} "
                f"({exc.strerror}); choose a writable place"
            ) from None
        try:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._lock_file.seek(0)
            holder = self._lock_file.read().strip() or "another process"
            self._lock_file.close()
            self._lock_file = None
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise CoverageError(
                    f"--out {self.path}: another hybridplan run ({holder}) is writing this "
                    "folder; wait for it to finish or choose another --out"
                ) from None
            raise
        self._lock_file.seek(0)
        self._lock_file.truncate()
        self._lock_file.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}")
        self._lock_file.flush()

    def _unlock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def _recover_leftovers(self) -> None:
        """Staging folders of killed runs go; a previous set left aside comes back."""
        parent, name = self.path.parent, self.path.name
        cleaned = 0
        for stale in parent.glob(f".{name}.staging-*"):
            shutil.rmtree(stale, ignore_errors=True)
            cleaned += 1
        restored = False
        for previous in sorted(parent.glob(f".{name}.previous-*")):
            if not self.path.exists():
                os.replace(previous, self.path)
                restored = True
            else:
                shutil.rmtree(previous, ignore_errors=True)
        if cleaned or restored:
            what = []
            if cleaned:
                what.append(f"removed {cleaned} unfinished output folder(s) of killed runs")
            if restored:
                what.append("restored the previous complete outputs a killed run had set aside")
            warnings.warn(
                f"--out {self.path}: " + "; ".join(what), OutputFolderWarning, stacklevel=3
            )
        for part in self.path.glob(".*.part") if self.path.is_dir() else ():
            part.unlink(missing_ok=True)  # temporary files of the old single-file writer

    # -- the swap --------------------------------------------------------------------
    def commit(self, run: dict) -> Path:
        """Write the manifest into the staging folder and swap it in as the output set."""
        files = sorted(p for p in self.staging.iterdir() if p.is_file())
        manifest = {
            "command": self.command,
            **run,
            "files": {p.name: p.stat().st_size for p in files},
        }
        (self.staging / MANIFEST).write_text(
            json.dumps(manifest, indent=1, default=str), encoding="utf-8"
        )
        aside = self.path.parent / f".{self.path.name}.previous-{os.getpid()}"
        if self.path.exists():
            os.replace(self.path, aside)
        os.replace(self.staging, self.path)
        self._committed = True
        shutil.rmtree(aside, ignore_errors=True)
        return self.path


def read_manifest(folder: str | os.PathLike) -> dict:
    """The manifest of an output folder (``{}`` when it has none)."""
    path = Path(folder) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
