"""Opening user files safely (private): one place for the checks every reader needs.

A reader must not block, hang or exhaust memory on a path that is not what it claims
to be.  Before reading, :func:`check_source` refuses

- paths that are not paths (``None``, numbers) or hold a NUL character;
- missing files, folders, and anything that is not a regular file: ``/dev/zero``,
  ``/dev/urandom`` (endless), a FIFO (``open`` would block until a writer appears),
  a socket, also behind a symlink;
- files larger than the reader's limit (``max_bytes``), judged from ``stat`` before
  a byte is read.

:func:`read_source_bytes` then reads at most ``max_bytes + 1`` bytes, so a file that
grows while it is read is caught too.  :func:`read_text` decodes UTF-8 and accepts a
UTF-8 byte-order mark (Notepad and Excel write one), and names UTF-16 when it sees
its byte-order mark.

The limits are defaults that callers raise with a keyword (``max_bytes=``):
:data:`MAX_TEXT_BYTES` for GeoJSON/KML/CSV, :data:`MAX_RASTER_BYTES` for DEM and
GeoTIFF files and their decoded arrays.
"""

from __future__ import annotations

import os
import stat
import zipfile
import zlib
from pathlib import Path

from .errors import GridError, _message

MAX_TEXT_BYTES = 256 * 2**20
"""Largest GeoJSON/KML/CSV file read by default (256 MiB; parsing needs ~10x). [byte]"""

MAX_RASTER_BYTES = 4 * 2**30
"""Largest DEM/GeoTIFF array made by default (4 GiB: 1" SRTM over ~6 x 12 degrees). [byte]"""

ZIP_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
)
"""What :mod:`zipfile` raises on damaged, encrypted or exotic archives."""


def human_bytes(n: float) -> str:
    """``n`` bytes as a short text with a binary prefix, e.g. ``'72.0 GiB'``."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} bytes"


def source_path(path, error: type[GridError], kind: str) -> Path:
    """``path`` as a :class:`~pathlib.Path`; refuses non-paths and NUL characters."""
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, (str, os.PathLike)):
        raise error(
            _message(
                f"{kind} path",
                "a file path (str or pathlib.Path)",
                f"{type(path).__name__} {path!r:.60}",
                "pass the path of the file",
            )
        )
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if "\x00" in text:
        raise error(
            _message(
                f"{kind} path {text!r:.80}",
                "a path without NUL characters",
                f"a NUL at position {text.index(chr(0))}",
                "remove the NUL (often a copy-paste or C-string artefact) from the path",
            )
        )
    if not text.strip():
        raise error(
            _message(f"{kind} path", "a file path", "an empty path", "pass the file's path")
        )
    return Path(text)


def check_source(path, error: type[GridError], kind: str, max_bytes: int) -> tuple[Path, int]:
    """The path and size of a regular file no larger than ``max_bytes``, else ``error``.

    Uses ``os.stat`` (follows symlinks; never opens the file, so a FIFO cannot block).
    """
    path = source_path(path, error, kind)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error(
            _message(str(path), f"an existing {kind}", "no such file", "check the path")
        ) from None
    except OSError as exc:
        raise error(
            _message(
                str(path),
                f"a readable {kind}",
                f"{type(exc).__name__}: {exc.strerror or exc}",
                "check the path and its permissions",
            )
        ) from None
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise error(
            _message(str(path), f"a {kind}", "a folder", f"pass the {kind} inside the folder")
        )
    if not stat.S_ISREG(mode):
        what = (
            "a FIFO (named pipe)"
            if stat.S_ISFIFO(mode)
            else "a character device"
            if stat.S_ISCHR(mode)
            else "a block device"
            if stat.S_ISBLK(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "not a regular file"
        )
        raise error(
            _message(
                str(path), f"a regular {kind}", what, "save the data to a file and pass that file"
            )
        )
    if info.st_size > max_bytes:
        raise error(
            _message(
                str(path),
                f"a {kind} of at most {human_bytes(max_bytes)}",
                f"{human_bytes(info.st_size)} ({info.st_size:,} bytes)",
                "check that this is the right file, or raise the limit with max_bytes=",
            )
        )
    return path, int(info.st_size)


def read_source_bytes(path, error: type[GridError], kind: str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (see :func:`check_source`)."""
    path, size = check_source(path, error, kind, max_bytes)
    try:
        with open(path, "rb") as fh:
            # read(n) reserves n bytes up front: ask for the size stat gave, plus one
            raw = fh.read(size + 1)
            if len(raw) > size:
                raw += fh.read(max_bytes + 1 - len(raw))
    except OSError as exc:
        raise error(
            _message(
                str(path),
                f"a readable {kind}",
                f"{type(exc).__name__}: {exc.strerror or exc}",
                "check the file's permissions",
            )
        ) from None
    if len(raw) > max_bytes:
        raise error(
            _message(
                str(path),
                f"a {kind} of at most {human_bytes(max_bytes)}",
                "a file that grew while it was read",
                "pass a finished file, or raise the limit with max_bytes=",
            )
        )
    return raw


def read_text(path, error: type[GridError], kind: str, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of a file (a leading byte-order mark is dropped)."""
    raw = read_source_bytes(path, error, kind, max_bytes)
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise error(
            _message(
                str(path),
                f"a UTF-8 {kind}",
                "UTF-16 text (byte-order mark FF FE or FE FF)",
                "save the file as UTF-8 (e.g. 'CSV UTF-8' in Excel, 'UTF-8' in Notepad)",
            )
        )
    head = raw[:4096]
    zeros = (head[0::2].count(0), head[1::2].count(0))  # ASCII in UTF-16: one side all 0
    half = len(head) // 2
    if half >= 4 and min(zeros) == 0 and max(zeros) >= 0.9 * half:
        raise error(
            _message(
                str(path),
                f"a UTF-8 {kind}",
                "UTF-16 text without a byte-order mark (every other byte is 0)",
                "save the file as UTF-8",
            )
        )
    if b"\x00" in head:
        offset = raw.index(b"\x00")
        raise error(
            _message(
                str(path),
                f"a UTF-8 text {kind}",
                f"binary data (a NUL byte at offset {offset})",
                f"check that this is the {kind} and not a binary file",
            )
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise error(
            _message(
                f"{path}:{line}",
                f"a UTF-8 {kind}",
                f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not UTF-8 "
                "(Latin-1 / Windows-1252 text?)",
                "save the file as UTF-8",
            )
        ) from None
