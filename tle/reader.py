"""Open element-set files: gzip, encodings, format detection (TLE, OMM JSON/CSV/XML).

Whole-file problems (missing, empty, binary, undecodable, no records) raise
:class:`ElementSetFileError` naming the file, what was found and the fix. Record problems
come back as data in the :class:`ParseReport`.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import zlib
from pathlib import Path
from typing import Literal

from .elements import ElementSet
from .errors import ElementSetFileError, ParseReport, RecordProblem
from .omm import parse_omm_csv, parse_omm_json, parse_omm_xml
from .tle_text import parse_tle_lines

Format = Literal["auto", "tle", "omm-json", "omm-csv", "omm-xml"]
FORMATS: tuple[str, ...] = ("auto", "tle", "omm-json", "omm-csv", "omm-xml")
#: Largest element-set file read, and largest text a gzip file may expand to [bytes].
#: CelesTrak's whole active catalogue (~15,000 sets) is about 2.6 MB of TLE text.
MAX_FILE_BYTES = 64 * 1024 * 1024

# Leading bytes of files that are often picked by mistake: (magic, what it is, the fix).
_NOT_ELEMENT_SETS = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image", "name the TLE or OMM file instead"),
    (b"\xff\xd8\xff", "a JPEG image", "name the TLE or OMM file instead"),
    (b"GIF87a", "a GIF image", "name the TLE or OMM file instead"),
    (b"GIF89a", "a GIF image", "name the TLE or OMM file instead"),
    (b"%PDF-", "a PDF document", "name the TLE or OMM file instead"),
    (b"II*\x00", "a TIFF image (a DEM?)", "name the TLE or OMM file instead"),
    (b"MM\x00*", "a TIFF image (a DEM?)", "name the TLE or OMM file instead"),
    (b"CDF\x01", "a NetCDF file (a plan.nc?)", "name the TLE or OMM file instead"),
    (b"CDF\x02", "a NetCDF file (a plan.nc?)", "name the TLE or OMM file instead"),
    (b"CDF\x05", "a NetCDF file (a plan.nc?)", "name the TLE or OMM file instead"),
    (
        b"\x89HDF\r\n\x1a\n",
        "an HDF5 / NetCDF-4 file (a plan.nc?)",
        "name the TLE or OMM file instead",
    ),
    (
        b"SQLite format 3\x00",
        "an SQLite database (a GeoPackage?)",
        "name the TLE or OMM file instead",
    ),
    (
        b"PK\x03\x04",
        "a ZIP archive (or an Excel/Word file)",
        "unpack it and name the .tle/.json/.csv/.xml file inside",
    ),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "unpack it and name the element-set file inside"),
    (b"\xfd7zXZ\x00", "xz-compressed data", "only gzip is read: unxz it, or gzip it instead"),
    (
        b"\x28\xb5\x2f\xfd",
        "zstd-compressed data",
        "only gzip is read: unzstd it, or gzip it instead",
    ),
    (b"\x1f\x8b", "gzip data inside gzip data", "gunzip it once before reading it"),
)


def display_path(path: str | Path) -> str:
    """The path as messages show it: as typed, or escaped when it has control characters."""
    text = str(path)
    return text if text.isprintable() else ascii(text)


def _stat(path: Path, source: str) -> os.stat_result:
    """``os.stat`` with each failure turned into one clear line."""
    if "\x00" in str(path):
        raise ElementSetFileError(
            f"{source}: the path contains a NUL character (\\x00), "
            "which no file name can hold; remove it from the path"
        )
    try:
        return path.stat()
    except FileNotFoundError:
        raise ElementSetFileError(
            f"{source}: no such file; check the path (bundled sets are named like bundled:starlink)"
        ) from None
    except NotADirectoryError:
        raise ElementSetFileError(
            f"{source}: a folder in this path is a file; check the path"
        ) from None
    except OSError as exc:
        raise ElementSetFileError(
            f"{source}: cannot read ({exc.strerror or exc}); check the path and its permissions"
        ) from None


def _refuse_special(mode: int, source: str) -> None:
    """Folders, FIFOs, devices and sockets are refused before anything is opened."""
    kinds = (
        (stat.S_ISDIR, "is a folder", "name an element-set file in it"),
        (
            stat.S_ISFIFO,
            "is a named pipe (FIFO); reading it could wait forever",
            "save the element sets to a regular file and name that",
        ),
        (
            stat.S_ISCHR,
            "is a character device, not a regular file",
            "save the element sets to a regular file and name that",
        ),
        (
            stat.S_ISBLK,
            "is a block device, not a regular file",
            "save the element sets to a regular file and name that",
        ),
        (
            stat.S_ISSOCK,
            "is a socket, not a regular file",
            "save the element sets to a regular file and name that",
        ),
    )
    for test, what, fix in kinds:
        if test(mode):
            raise ElementSetFileError(f"{source}: {what}; {fix}")
    if not stat.S_ISREG(mode):
        raise ElementSetFileError(f"{source}: not a regular file; name a TLE or OMM file")


def _too_big(source: str, what: str) -> ElementSetFileError:
    return ElementSetFileError(
        f"{source}: {what} the {MAX_FILE_BYTES // 2**20} MiB limit for an element-"
        "set file (CelesTrak's whole active catalogue is about 3 MB); split or filter it "
        "first, or check that this is the element-set file you meant"
    )


def _gunzip(data: bytes, source: str) -> bytes:
    """Decompress gzip data, never to more than ``MAX_FILE_BYTES`` (gzip bombs stop there)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            text = stream.read(MAX_FILE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise ElementSetFileError(
            f"{source}: gzip data is damaged or truncated ({exc}); "
            "download or compress the file again"
        ) from None
    if len(text) > MAX_FILE_BYTES:
        raise _too_big(source, "the gzip data expands to more than")
    return text


def _refuse_wrong_kind(data: bytes, source: str) -> None:
    for magic, what, fix in _NOT_ELEMENT_SETS:
        if data.startswith(magic):
            raise ElementSetFileError(
                f"{source}: this is {what}, not TLE or OMM element sets; {fix}"
            )
    if data[:3] == b"BZh" and data[4:10] == b"1AY&SY":
        raise ElementSetFileError(
            f"{source}: this is bzip2-compressed data, not TLE or OMM "
            "element sets; only gzip is read: bunzip2 it, or gzip it"
        )


def read_bytes(path: Path, source: str | None = None) -> bytes:
    """The file's bytes, gunzipped when it is gzip (by magic number, not by name).

    Only regular files are opened (FIFOs and devices such as ``/dev/zero`` would block or
    never end), at most ``MAX_FILE_BYTES`` are read, and gzip is decompressed to at most
    ``MAX_FILE_BYTES``.
    """
    source = source if source is not None else display_path(path)
    info = _stat(path, source)
    _refuse_special(info.st_mode, source)
    if info.st_size > MAX_FILE_BYTES:
        raise _too_big(source, f"{info.st_size / 2**20:.0f} MiB is larger than")
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ElementSetFileError(
            f"{source}: cannot read ({exc.strerror or exc}); check the file and its permissions"
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise _too_big(source, "the file grew while being read to more than")
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, source)
    _refuse_wrong_kind(data, source)
    return data


def _looks_like_utf16(data: bytes) -> bool:
    """ASCII text saved as UTF-16 without a byte-order mark: every other byte is NUL."""
    head = data[:512]
    if len(head) < 8:
        return False
    return head[1::2].count(0) > 0.9 * len(head[1::2]) or head[0::2].count(0) > 0.9 * len(
        head[0::2]
    )


def decode_text(data: bytes, source: str) -> str:
    """Decode element-set text: UTF-8 (BOM allowed) or UTF-16/UTF-32 with a BOM."""
    if not data.strip():
        raise ElementSetFileError(
            f"{source}: the file is empty; expected TLE lines or an OMM document"
        )
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise ElementSetFileError(
                    f"{source}: {codec.upper()} text is damaged at byte {exc.start} "
                    f"({exc.reason}); re-save the file as UTF-8"
                ) from None
    if _looks_like_utf16(data):
        raise ElementSetFileError(
            f"{source}: the text looks like UTF-16 without a byte-order "
            "mark; re-save the file as UTF-8"
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        where = source if line == 1 else f"{source}:{line}"
        raise ElementSetFileError(
            f"{where}: binary data (NUL bytes), not a text "
            "element-set file; expected TLE lines or OMM JSON/CSV/XML"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ElementSetFileError(
            f"{source}:{line}: byte 0x{data[exc.start]:02x} is not valid UTF-8; TLE and OMM "
            "files are ASCII or UTF-8: re-save the file as UTF-8"
        ) from None


def detect_format(text: str, source: str = "<text>") -> Format:
    """Guess the format from the first non-blank characters."""
    head = text.lstrip()[:512]
    if head[:14].lower().startswith(("<!doctype html", "<html")):
        raise ElementSetFileError(
            f"{source}: this is an HTML page, not TLE or OMM element "
            "sets (a download that returned a web page or an error?); "
            "fetch the GP data again as FORMAT=tle or FORMAT=json"
        )
    if head.startswith(("[", "{")):
        return "omm-json"
    if head.startswith("<"):
        return "omm-xml"
    first_line = head.splitlines()[0] if head else ""
    if "OBJECT_NAME" in first_line and "," in first_line:
        return "omm-csv"
    return "tle"


def parse_text(
    text: str, source: str, fmt: Format = "auto"
) -> tuple[list[ElementSet], list[RecordProblem]]:
    """Element sets and dropped-record problems from decoded text."""
    if fmt not in FORMATS:
        raise ElementSetFileError(f"{source}: format {fmt!r} is not one of {', '.join(FORMATS)}")
    fmt = detect_format(text, source) if fmt == "auto" else fmt
    if fmt == "tle":
        # Lines end at LF, CRLF or CR only (str.splitlines would also split at form feeds,
        # NEL and other separators and so shift every line number after them).
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        records, problems = parse_tle_lines(lines, source)
        return [ElementSet.from_tle_record(r) for r in records], problems
    parser = {"omm-json": parse_omm_json, "omm-csv": parse_omm_csv, "omm-xml": parse_omm_xml}
    omm_records, problems = parser[fmt](text, source)
    return [ElementSet.from_omm_record(r) for r in omm_records], problems


def read_element_sets(
    path: str | Path, fmt: Format = "auto"
) -> tuple[list[ElementSet], ParseReport]:
    """Read one file; raise if it yields no element set at all."""
    if str(path) == "":
        raise ElementSetFileError(
            "the element-set path is empty; name a TLE or OMM file (or bundled:<name>)"
        )
    source = display_path(path)
    path = Path(path)
    element_sets, problems = parse_text(decode_text(read_bytes(path, source), source), source, fmt)
    if not element_sets:
        if problems:
            first = str(problems[0]).splitlines()[0]
            raise ElementSetFileError(
                f"{source}: no valid element set found ({len(problems)} "
                f"records dropped); the first problem: {first}"
            )
        raise ElementSetFileError(
            f"{source}: no element set found (no records at all); expected TLE lines or OMM records"
        )
    return element_sets, ParseReport(source, len(element_sets), list(problems))
