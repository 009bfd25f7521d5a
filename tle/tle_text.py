"""Two- and three-line element sets: column layout, checksums, and grouping into records.

sgp4's fast C++ ``twoline2rv`` accepts malformed lines silently, so every line is checked
here first against the official layout (Hoots & Roehrich, Spacetrack Report #3; CelesTrak
"NORAD Two-Line Element Set Format"). A bad record becomes a :class:`RecordProblem`
naming the line, what was expected and what was found; the rest of the file is kept.

Parsing takes an iterable of lines, so tests can feed lists; opening files is elsewhere
(:mod:`hybridplan.tle.reader`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .errors import RecordProblem

LINE_LENGTH = 69
TEMPLATE_LINE1 = "1 NNNNNC NNNNNAAA NNNNN.NNNNNNNN +.NNNNNNNN +NNNNN-N +NNNNN-N N NNNNN"
TEMPLATE_LINE2 = "2 NNNNN NNN.NNNN NNN.NNNN NNNNNNN NNN.NNNN NNN.NNNN NN.NNNNNNNNNNNNNN"

_ALPHA5_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # I and O are not used (CelesTrak, Alpha-5)
_CATNUM = re.compile(r"^(?:[ 0-9]{4}[0-9]|[A-HJ-NP-Z][0-9]{4})$")
_EPOCH = re.compile(r"^[0-9 ][0-9][0-9 ]{2}[0-9]\.[0-9]{1,8} *$")
_DECIMAL_POINT_FIELD = re.compile(r"^[ +-]?[0-9 ]*\.[0-9 ]*$")  # e.g. " .00000023", "-.00000084"
_IMPLIED_EXP = re.compile(r"^[ +-][ 0-9]{5}[ +-][0-9]$")  # e.g. " 28098-4", "-30915-6"
_ANGLE = re.compile(r"^ *[0-9]{1,3}\.[0-9]+ *$|^ *[0-9]{1,3}\.? *$")
_ECC = re.compile(r"^[0-9]{7}$")
_MEAN_MOTION = re.compile(r"^ *[0-9]{1,2}\.[0-9]+ *$")
_ASCII_DIGITS = frozenset("0123456789")


def _blank(text: str) -> bool:
    return text == " "


def _any(text: str) -> bool:
    return True


def _digits_or_blank(text: str) -> bool:
    return all(c == " " or c in _ASCII_DIGITS for c in text)


def _ascii_digit(text: str) -> bool:
    # str.isdigit would take superscripts and other scripts' digits ("²", "٣").
    return len(text) == 1 and text in _ASCII_DIGITS


def _implied_exponent(text: str) -> bool:
    # Leading '+' or blank; trailing exponent may be '+0' or '-0' too.
    return bool(_IMPLIED_EXP.match(text))


# (start, stop, name, expected, predicate): Python slice columns (0-based, stop exclusive).
_Field = tuple[int, int, str, str, Callable[[str], bool]]
LINE1_FIELDS: tuple[_Field, ...] = (
    (0, 1, "line number", "'1'", lambda s: s == "1"),
    (1, 2, "separator", "a blank", _blank),
    (
        2,
        7,
        "catalogue number",
        "5 digits or Alpha-5 (letter A-Z without I, O + 4 digits)",
        lambda s: bool(_CATNUM.match(s)),
    ),
    (7, 8, "classification", "U, C, S or blank", lambda s: s in "UCS "),
    (8, 9, "separator", "a blank", _blank),
    (9, 17, "international designator", "YYNNNAAA or blanks", _any),
    (17, 18, "separator", "a blank", _blank),
    (18, 32, "epoch", "YYDDD.DDDDDDDD", lambda s: bool(_EPOCH.match(s))),
    (32, 33, "separator", "a blank", _blank),
    (
        33,
        43,
        "first derivative of mean motion",
        "+.NNNNNNNN",
        lambda s: bool(_DECIMAL_POINT_FIELD.match(s)),
    ),
    (43, 44, "separator", "a blank", _blank),
    (
        44,
        52,
        "second derivative of mean motion",
        "+NNNNN-N (implied decimal point)",
        _implied_exponent,
    ),
    (52, 53, "separator", "a blank", _blank),
    (53, 61, "BSTAR drag term", "+NNNNN-N (implied decimal point)", _implied_exponent),
    (61, 62, "separator", "a blank", _blank),
    (62, 63, "ephemeris type", "a digit or blank", _digits_or_blank),
    (63, 64, "separator", "a blank", _blank),
    (64, 68, "element set number", "up to 4 digits", _digits_or_blank),
    (68, 69, "checksum", "a digit", _ascii_digit),
)
LINE2_FIELDS: tuple[_Field, ...] = (
    (0, 1, "line number", "'2'", lambda s: s == "2"),
    (1, 2, "separator", "a blank", _blank),
    (2, 7, "catalogue number", "5 digits or Alpha-5", lambda s: bool(_CATNUM.match(s))),
    (7, 8, "separator", "a blank", _blank),
    (8, 16, "inclination [deg]", "NNN.NNNN", lambda s: bool(_ANGLE.match(s))),
    (16, 17, "separator", "a blank", _blank),
    (
        17,
        25,
        "right ascension of the ascending node [deg]",
        "NNN.NNNN",
        lambda s: bool(_ANGLE.match(s)),
    ),
    (25, 26, "separator", "a blank", _blank),
    (
        26,
        33,
        "eccentricity",
        "7 digits (implied leading decimal point)",
        lambda s: bool(_ECC.match(s)),
    ),
    (33, 34, "separator", "a blank", _blank),
    (34, 42, "argument of perigee [deg]", "NNN.NNNN", lambda s: bool(_ANGLE.match(s))),
    (42, 43, "separator", "a blank", _blank),
    (43, 51, "mean anomaly [deg]", "NNN.NNNN", lambda s: bool(_ANGLE.match(s))),
    (51, 52, "separator", "a blank", _blank),
    (52, 63, "mean motion [rev/day]", "NN.NNNNNNNN", lambda s: bool(_MEAN_MOTION.match(s))),
    (63, 68, "revolution number", "up to 5 digits", _digits_or_blank),
    (68, 69, "checksum", "a digit", _ascii_digit),
)


@dataclass(frozen=True)
class TLERecord:
    """One checked element set: optional name and its two lines, with where it came from."""

    name: str
    line1: str
    line2: str
    source: str
    line_number: int  # 1-based line number of line 1 in the source


_CHECKSUM_TABLE = bytes.maketrans(b"0123456789-", bytes(range(10)) + b"\x01")
_NOT_COUNTED = bytes(sorted(set(range(256)) - set(b"0123456789-")))


def checksum(line: str) -> int:
    """Mod-10 checksum of the first 68 columns: digits count their value, '-' counts 1
    (other characters, non-ASCII digits included, count 0)."""
    counted = line[:68].encode("latin-1", "replace").translate(_CHECKSUM_TABLE, _NOT_COUNTED)
    return sum(counted) % 10


def alpha5_to_int(catnum: str) -> int:
    """Catalogue number from a 5-character field, Alpha-5 included ('A0001' -> 100001)."""
    catnum = catnum.strip()
    if catnum and catnum[0].isalpha():
        return (10 + _ALPHA5_LETTERS.index(catnum[0].upper())) * 10000 + int(catnum[1:])
    return int(catnum)


def int_to_alpha5(number: int) -> str:
    """The 5-character catalogue field for ``number`` (0..339999), Alpha-5 above 99999."""
    if not 0 <= number <= 339_999:
        raise ValueError(f"catalogue number {number} is outside 0..339999 (Alpha-5 range)")
    if number < 100_000:
        return f"{number:05d}"
    letter, rest = divmod(number, 10_000)
    return f"{_ALPHA5_LETTERS[letter - 10]}{rest:04d}"


# The usual layout of each line (every field at its full width, as CelesTrak and
# Space-Track write them), in one pattern: a line matching it passes every field check
# of LINE1_FIELDS / LINE2_FIELDS (tests/test_tle_text_fast.py checks the inclusion on
# mutated lines), so only the other lines need the field-by-field diagnosis.
_CATNUM_TEXT = r"(?:[ 0-9]{4}[0-9]|[A-HJ-NP-Z][0-9]{4})"
_IMPLIED_EXP_TEXT = r"[ +-][ 0-9]{5}[ +-][0-9]"
_ANGLE_TEXT = r"(?:  [0-9]| [0-9]{2}|[0-9]{3})\.[0-9]{4}"
_USUAL_LINE = {
    1: re.compile(
        rf"1 {_CATNUM_TEXT}[UCS ] .{{8}} [0-9 ][0-9][0-9 ]{{2}}[0-9]\.[0-9]{{8}} "
        rf"[ +-]\.[0-9]{{8}} {_IMPLIED_EXP_TEXT} {_IMPLIED_EXP_TEXT} [ 0-9] [ 0-9]{{4}}[0-9]",
        re.ASCII | re.DOTALL,
    ),
    2: re.compile(
        rf"2 {_CATNUM_TEXT} {_ANGLE_TEXT} {_ANGLE_TEXT} [0-9]{{7}} {_ANGLE_TEXT} {_ANGLE_TEXT} "
        r"(?: [0-9]|[0-9]{2})\.[0-9]{8}[ 0-9]{5}[0-9]",
        re.ASCII,
    ),
}


def _layout_problem(line: str, which: int) -> str | None:
    """None when ``line`` fits the layout of element line ``which`` (1 or 2)."""
    if _USUAL_LINE[which].fullmatch(line) and checksum(line) == int(line[68]):
        return None
    return _field_problem(line, which)


def _field_problem(line: str, which: int) -> str | None:
    """The field-by-field check of :func:`_layout_problem` (None when the line fits)."""
    template = TEMPLATE_LINE1 if which == 1 else TEMPLATE_LINE2
    if len(line) != LINE_LENGTH:
        kind = "truncated" if len(line) < LINE_LENGTH else "too long"
        return (
            f"line {which} is {kind}: expected {LINE_LENGTH} characters, found "
            f"{len(line)}; the layout is\n    {template}\n    {line}"
        )
    for start, stop, name, expected, ok in LINE1_FIELDS if which == 1 else LINE2_FIELDS:
        text = line[start:stop]
        if not ok(text):
            columns = f"column {start + 1}" if stop - start == 1 else f"columns {start + 1}-{stop}"
            return (
                f"line {which} {columns} ({name}): expected {expected}, found {text!r}; "
                f"the layout is\n    {template}\n    {line}"
            )
    found = int(line[68])
    if checksum(line) != found:
        return (
            f"line {which} checksum: expected {checksum(line)} (mod-10 sum of columns "
            f"1-68), found {found}; the line is corrupted or was edited by hand"
        )
    return None


def _epoch_problem(line1: str) -> str | None:
    year2 = int(line1[18:20].replace(" ", "0"))
    day = float(line1[20:32])
    year = 1900 + year2 if year2 >= 57 else 2000 + year2
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1.0 <= day < (367.0 if leap else 366.0):
        return (
            f"line 1 columns 19-32 (epoch): day of year {day} is outside 1 .. "
            f"{366 if leap else 365}.99999999 for {year}"
        )
    return None


def _element_problem(line2: str) -> str | None:
    inclination = float(line2[8:16])
    if not 0.0 <= inclination <= 180.0:
        return f"line 2 columns 9-16 (inclination): {inclination} deg is outside 0..180 deg"
    for start, stop, name in (
        (17, 25, "RAAN"),
        (34, 42, "argument of perigee"),
        (43, 51, "mean anomaly"),
    ):
        value = float(line2[start:stop])
        if not 0.0 <= value <= 360.0:
            return f"line 2 columns {start + 1}-{stop} ({name}): {value} deg is outside 0..360"
    if float(line2[52:63]) <= 0.0:
        return "line 2 columns 53-63 (mean motion): expected > 0 rev/day, found 0"
    return None


def check_pair(line1: str, line2: str) -> tuple[str, str] | None:
    """Check two element lines; None if good, else ``(reason, message)``."""
    for which, line in ((1, line1), (2, line2)):
        message = _layout_problem(line, which)
        if message:
            reason = (
                "truncated"
                if len(line) < LINE_LENGTH
                else ("checksum" if "checksum:" in message else "columns")
            )
            return reason, message
    if line1[2:7] != line2[2:7]:
        return (
            "catalogue",
            (
                f"catalogue numbers differ: line 1 has {line1[2:7]!r}, line 2 "
                f"has {line2[2:7]!r}; the two lines belong to different satellites"
            ),
        )
    for reason, message in (("epoch", _epoch_problem(line1)), ("range", _element_problem(line2))):
        if message:
            return reason, message
    return None


def _looks_like_element_line(line: str, which: int) -> bool:
    return line.startswith(f"{which} ") and len(line) >= 20 and line[2:7].strip() != ""


def parse_tle_lines(
    lines: Iterable[str], source: str = "<lines>", first_line_number: int = 1
) -> tuple[list[TLERecord], list[RecordProblem]]:
    """Group lines into checked two- or three-line element sets.

    Parameters
    ----------
    lines : iterable of str
        Text lines (with or without line endings). Blank lines and lines starting with
        ``#`` are skipped. A name line (three-line format; a leading ``"0 "`` is
        removed) applies to the element lines right after it.
    source : str
        Name used in problem messages (the file name).
    first_line_number : int
        Line number of the first line, for messages.

    Returns
    -------
    records : list of TLERecord
        The element sets that passed every check, in file order.
    problems : list of RecordProblem
        One per dropped record, with line number, expectation and finding.
    """
    records: list[TLERecord] = []
    problems: list[RecordProblem] = []
    pending_name: tuple[int, str] | None = None
    iterator: Iterator[tuple[int, str]] = (
        (number, raw.rstrip("\r\n").rstrip()) for number, raw in enumerate(lines, first_line_number)
    )
    held: tuple[int, str] | None = None

    def next_line() -> tuple[int, str] | None:
        nonlocal held
        if held is not None:
            item, held = held, None
            return item
        return next(iterator, None)

    while (item := next_line()) is not None:
        number, line = item
        if not line or line.startswith("#"):
            continue
        if _looks_like_element_line(line, 1):
            following = next_line()
            while following is not None and not following[1]:
                following = next_line()
            if following is None or not _looks_like_element_line(following[1], 2):
                problems.append(
                    RecordProblem(
                        source,
                        number,
                        "truncated",
                        "line 1 is not followed by its line 2 (record "
                        "truncated); expected a line starting '2 '",
                    )
                )
                held = following
                pending_name = None
                continue
            bad = check_pair(line, following[1])
            name = pending_name[1] if pending_name else ""
            if bad:
                problems.append(
                    RecordProblem(
                        source,
                        number
                        if bad[1].startswith("line 1") or bad[0] == "catalogue"
                        else following[0],
                        bad[0],
                        _with_name(bad[1], name),
                    )
                )
            else:
                records.append(TLERecord(name, line, following[1], source, number))
            pending_name = None
        elif _looks_like_element_line(line, 2):
            problems.append(
                RecordProblem(
                    source,
                    number,
                    "truncated",
                    "line 2 without a line 1 before it (record truncated or lines out of order)",
                )
            )
            pending_name = None
        else:
            if pending_name is not None:
                problems.append(
                    RecordProblem(
                        source,
                        pending_name[0],
                        "truncated",
                        f"name line {_quote(pending_name[1])} is not followed by "
                        "element lines 1 and 2",
                    )
                )
            name = line[2:].strip() if line.startswith("0 ") else line.strip()
            pending_name = (number, name)
    if pending_name is not None:
        problems.append(
            RecordProblem(
                source,
                pending_name[0],
                "truncated",
                f"name line {_quote(pending_name[1])} at the end of the file has "
                "no element lines (file truncated?)",
            )
        )
    return records, problems


def _quote(name: str, limit: int = 40) -> str:
    """``repr`` of a name line, cut to ``limit`` characters (a stray binary line is long)."""
    return repr(name) if len(name) <= limit else repr(name[: limit - 3] + "...")


def _with_name(message: str, name: str) -> str:
    if len(name) > 40:
        name = name[:37] + "..."
    return f"{name}: {message}" if name else message
