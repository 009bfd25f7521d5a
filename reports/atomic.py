"""Atomic file output: write beside the target, then rename in one step.

A failure half-way never leaves a truncated file, and never destroys the previous one.
(The coverage package has its own; reports imports nothing of ours, so it keeps this
small copy.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomic(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` for a temporary file in the target's folder, then
    ``os.replace`` it onto ``path``. On any error the temporary file is removed and
    ``path`` is left as it was. Returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; outputs are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 text atomically, exactly as given (no newline translation)."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline=""))
