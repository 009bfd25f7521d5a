"""Open element-set files: gzip, encodings, format detection (TLE, OMM JSON/CSV/XML).

Whole-file problems (missing, empty, binary, undecodable, no records) raise
:class:`ElementSetFileError` naming the file, what was found and the fix. Record problems
come back as data in the :class:`ParseReport`.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Literal

from .elements import ElementSet
from .errors import ElementSetFileError, ParseReport, RecordProblem
from .omm import parse_omm_csv, parse_omm_json, parse_omm_xml
from .tle_text import parse_tle_lines

Format = Literal["auto", "tle", "omm-json", "omm-csv", "omm-xml"]
FORMATS: tuple[str, ...] = ("auto", "tle", "omm-json", "omm-csv", "omm-xml")
MAX_FILE_BYTES = 512 * 1024 * 1024


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it is gzip (by magic number, not by name)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ElementSetFileError(f"{path}: no such file; check the path (bundled sets are "
                                  "named like bundled:starlink)") from None
    except OSError as exc:
        raise ElementSetFileError(f"{path}: cannot read ({exc.strerror})") from None
    if path.is_dir():
        raise ElementSetFileError(f"{path}: is a folder; name an element-set file in it")
    if size > MAX_FILE_BYTES:
        raise ElementSetFileError(f"{path}: {size / 2**20:.0f} MiB is larger than the "
                                  f"{MAX_FILE_BYTES // 2**20} MiB limit for an element-set "
                                  "file; split it or filter it first")
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ElementSetFileError(f"{path}: gzip data is damaged or truncated ({exc}); "
                                      "download or compress the file again") from None
    return data


def decode_text(data: bytes, source: str) -> str:
    """Decode element-set text: UTF-8 (BOM allowed) or UTF-16 with a BOM."""
    if not data.strip():
        raise ElementSetFileError(f"{source}: the file is empty; expected TLE lines or an "
                                  "OMM document")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise ElementSetFileError(f"{source}: binary data (NUL bytes), not a text element-set "
                                  "file; expected TLE lines or OMM JSON/CSV/XML")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ElementSetFileError(
            f"{source}:{line}: byte 0x{data[exc.start]:02x} is not valid UTF-8; TLE and OMM "
            "files are ASCII or UTF-8: re-save the file as UTF-8") from None


def detect_format(text: str) -> Format:
    """Guess the format from the first non-blank characters."""
    head = text.lstrip()[:512]
    if head.startswith(("[", "{")):
        return "omm-json"
    if head.startswith("<"):
        return "omm-xml"
    first_line = head.splitlines()[0] if head else ""
    if "OBJECT_NAME" in first_line and "," in first_line:
        return "omm-csv"
    return "tle"


def parse_text(text: str, source: str, fmt: Format = "auto"
               ) -> tuple[list[ElementSet], list[RecordProblem]]:
    """Element sets and dropped-record problems from decoded text."""
    if fmt not in FORMATS:
        raise ElementSetFileError(f"{source}: format {fmt!r} is not one of {', '.join(FORMATS)}")
    fmt = detect_format(text) if fmt == "auto" else fmt
    if fmt == "tle":
        records, problems = parse_tle_lines(text.splitlines(), source)
        return [ElementSet.from_tle_record(r) for r in records], problems
    parser = {"omm-json": parse_omm_json, "omm-csv": parse_omm_csv, "omm-xml": parse_omm_xml}
    omm_records, problems = parser[fmt](text, source)
    return [ElementSet.from_omm_record(r) for r in omm_records], problems


def read_element_sets(path: str | Path, fmt: Format = "auto"
                      ) -> tuple[list[ElementSet], ParseReport]:
    """Read one file; raise if it yields no element set at all."""
    path = Path(path)
    source = str(path)
    element_sets, problems = parse_text(decode_text(read_bytes(path), source), source, fmt)
    if not element_sets:
        first = f" The first problem: {problems[0]}" if problems else ""
        raise ElementSetFileError(f"{source}: no valid element set found ({len(problems)} "
                                  f"records dropped).{first}")
    return element_sets, ParseReport(source, len(element_sets), list(problems))
