"""The one-pattern layout check of usual element lines agrees with the field-by-field one.

``tle_text._layout_problem`` accepts a line matching the usual full-width layout (and its
checksum) without the field-by-field diagnosis; that is only sound if every line the
pattern accepts passes every field check. Checked on every bundled element line and on
lines mutated column by column, against the field checks and a checksum written
independently from the definition (mod-10 sum of the digits of columns 1-68, '-' = 1).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hybridplan.tle import tle_text
from hypothesis import given, settings
from hypothesis import strategies as st

DATA = Path(tle_text.__file__).parent / "data"


def _bundled_lines() -> list[str]:
    lines = []
    for path in sorted(DATA.glob("*.tle.gz")):
        with gzip.open(path, "rt") as fh:
            lines += [ln.rstrip() for ln in fh if ln[:2] in ("1 ", "2 ")]
    return lines


LINES = _bundled_lines()


def _reference_checksum(line: str) -> int:
    total = 0
    for c in line[:68]:
        if c in "0123456789":
            total += ord(c) - ord("0")
        elif c == "-":
            total += 1
    return total % 10


def test_bundled_lines_take_the_usual_path_and_agree():
    assert len(LINES) > 20_000
    for line in LINES:
        which = int(line[0])
        assert tle_text._USUAL_LINE[which].fullmatch(line), line
        assert tle_text._layout_problem(line, which) is None
        assert tle_text._field_problem(line, which) is None
        assert tle_text.checksum(line) == _reference_checksum(line) == int(line[68])


MUTATION_CHARS = st.sampled_from(list("0123456789 +-.ABIOUCSZ\t٣²éx"))


@settings(max_examples=3000, deadline=None)
@given(
    st.integers(0, len(LINES) - 1),
    st.lists(st.tuples(st.integers(0, 70), MUTATION_CHARS), min_size=1, max_size=3),
    st.sampled_from(["replace", "insert", "delete"]),
)
def test_usual_pattern_accepts_only_lines_the_fields_accept(index, edits, how):
    line = LINES[index]
    for column, char in edits:
        column = min(column, len(line))
        if how == "replace":
            line = line[:column] + char + line[column + 1 :]
        elif how == "insert":
            line = line[:column] + char + line[column:]
        else:
            line = line[:column] + line[column + 1 :]
    which = int(line[0]) if line[:1] in ("1", "2") else 1
    usual = bool(tle_text._USUAL_LINE[which].fullmatch(line))
    if usual and tle_text.checksum(line) == int(line[68]):
        assert tle_text._field_problem(line, which) is None
    assert tle_text._layout_problem(line, which) == tle_text._field_problem(line, which)
    assert tle_text.checksum(line) == _reference_checksum(line)


@pytest.mark.parametrize(
    "line",
    [
        # a blank inside the right-aligned inclination is not the usual layout
        "2 25544  5 .6416 247.4627 0006703 130.5360 325.0288 15.72125391563537",
        # a non-ASCII digit in a numeric field
        "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.7212539156353٣",
    ],
)
def test_unusual_lines_get_the_field_diagnosis(line):
    assert not tle_text._USUAL_LINE[2].fullmatch(line)
    assert tle_text._layout_problem(line, 2) == tle_text._field_problem(line, 2)
    assert tle_text._layout_problem(line, 2) is not None
