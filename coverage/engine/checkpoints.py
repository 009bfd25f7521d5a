"""Per-span checkpoints: a killed run resumes and computes only the spans it lacks.

A checkpoint folder holds one ``span-<first>-<stop>.npz`` per finished span of steps (the
span's :class:`~hybridplan.coverage.engine.accumulator.Accumulator`, every field) and a
``manifest.json`` naming the run they belong to (a SHA-256 of everything that decides
the result: cells, tree, element sets, system parameters, window, options) and the spans
done. Files are written to a temporary name and renamed, so a kill leaves either the
whole file or none; the manifest is rewritten the same way after each span. A folder of
another run is refused (never mixed).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from ..errors import CoverageError
from .accumulator import Accumulator

MANIFEST = "manifest.json"


def run_token(*parts) -> str:
    """SHA-256 over arrays (dtype, shape, bytes) and the ``repr`` of anything else."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            digest.update(f"{part.dtype.str}{part.shape}".encode())
            digest.update(np.ascontiguousarray(part).tobytes())
        else:
            digest.update(repr(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


class SpanCheckpoints:
    """The checkpoint folder of one run (created if missing)."""

    def __init__(self, folder: str | os.PathLike, token: str) -> None:
        self.folder = Path(folder)
        self.token = token
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CoverageError(
                f"checkpoint folder {self.folder}: cannot create it ({exc}); give a writable folder"
            ) from exc
        self.done: dict[tuple[int, int], str] = {}
        manifest = self.folder / MANIFEST
        if manifest.exists():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
                run, spans = data["run"], data["spans"]
            except (ValueError, KeyError, TypeError) as exc:
                raise CoverageError(
                    f"{manifest}: not a checkpoint manifest ({exc}); delete "
                    "the folder or give another one"
                ) from exc
            if run != token:
                raise CoverageError(
                    f"checkpoint folder {self.folder} holds spans of another run (different "
                    "cells, systems, window or options); give a new folder or delete it"
                )
            self.done = {
                (int(a), int(b)): name for a, b, name in spans if (self.folder / name).exists()
            }
        # stale temporary files of runs killed while writing
        for stale in self.folder.glob(".*.tmp"):
            stale.unlink(missing_ok=True)

    def load(self, lo: int, hi: int) -> Accumulator | None:
        """The finished span ``lo .. hi - 1``, or ``None``."""
        name = self.done.get((lo, hi))
        if name is None:
            return None
        with np.load(self.folder / name, allow_pickle=False) as data:
            values = {}
            for field in dataclasses.fields(Accumulator):
                value = data[field.name]
                values[field.name] = int(value) if value.ndim == 0 else value
        return Accumulator(**values)

    def save(self, lo: int, hi: int, acc: Accumulator) -> None:
        """Store a finished span, then the manifest that lists it."""
        name = f"span-{lo:07d}-{hi:07d}.npz"
        arrays = {
            field.name: np.asarray(getattr(acc, field.name))
            for field in dataclasses.fields(Accumulator)
        }

        def write_npz(tmp: Path) -> None:
            with open(tmp, "wb") as handle:
                np.savez(handle, **arrays)

        _write_atomic(self.folder / name, write_npz)
        self.done[(lo, hi)] = name
        manifest = {
            "run": self.token,
            "spans": [[a, b, n] for (a, b), n in sorted(self.done.items())],
        }
        _write_atomic(
            self.folder / MANIFEST,
            lambda tmp: tmp.write_text(json.dumps(manifest), encoding="utf-8"),
        )
