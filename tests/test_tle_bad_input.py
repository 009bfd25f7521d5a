"""Bad element-set input: each defect gets its own clear message; good records are kept.

Every case names the defect, the input, and a regular expression its message must match
(file and line where there is one, what was expected or found).
"""

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hybridplan.coverage.cli import main
from hybridplan.tle import Constellation, ElementSetFileError, load_constellation
from hybridplan.tle import reader as reader_module
from hybridplan.tle.tle_text import checksum, parse_tle_lines

NAME = "ISS (ZARYA)"
L1 = "1 25544U 98067A   26150.51782528 -.00002182  00000-0 -11606-4 0  292"
L2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"


def signed(line: str) -> str:
    """The first 68 columns of ``line`` with a correct checksum appended."""
    return line[:68] + str(checksum(line[:68]))


GOOD1, GOOD2 = signed(L1), signed(L2)


def edit(line: str, column: int, text: str) -> str:
    """Replace text at 1-based ``column`` and re-sign, so only the edit is wrong."""
    return signed(line[: column - 1] + text + line[column - 1 + len(text):])


# (id, lines, line number of the problem, reason, message pattern)
LINE_CASES = [
    ("line1-truncated", [NAME, GOOD1[:40], GOOD2], 2, "truncated", r"line 1 is truncated: expected 69 characters, found 40"),
    ("line2-too-long", [NAME, GOOD1, GOOD2 + "7"], 3, "columns", r"line 2 is too long: expected 69 characters, found 70"),
    ("checksum-line1", [NAME, GOOD1[:68] + str((int(GOOD1[68]) + 1) % 10), GOOD2], 2, "checksum", r"line 1 checksum: expected \d .*found \d"),
    ("checksum-line2", [NAME, GOOD1, GOOD2[:68] + str((int(GOOD2[68]) + 3) % 10)], 3, "checksum", r"line 2 checksum"),
    ("catalogue-mismatch", [NAME, GOOD1, edit(GOOD2, 3, "25545")], 2, "catalogue", r"catalogue numbers differ: line 1 has '25544', line 2 has '25545'"),
    ("catalogue-letters", [NAME, edit(GOOD1, 3, "2X544"), GOOD2], 2, "columns", r"columns 3-7 \(catalogue number\).*found '2X544'"),
    ("alpha5-letter-I", [NAME, edit(GOOD1, 3, "I0001"), edit(GOOD2, 3, "I0001")], 2, "columns", r"Alpha-5 .*found 'I0001'"),
    ("classification", [NAME, edit(GOOD1, 8, "X"), GOOD2], 2, "columns", r"column 8 \(classification\): expected U, C, S or blank, found 'X'"),
    ("epoch-letters", [NAME, edit(GOOD1, 19, "26I50"), GOOD2], 2, "columns", r"columns 19-32 \(epoch\): expected YYDDD.DDDDDDDD"),
    ("epoch-day-400", [NAME, edit(GOOD1, 19, "26400"), GOOD2], 2, "epoch", r"day of year 400.* outside 1 .. 365"),
    ("epoch-day-366-not-leap", [NAME, edit(GOOD1, 19, "26366"), GOOD2], 2, "epoch", r"day of year 366.5.* for 2026"),
    ("separator-shifted", [NAME, edit(GOOD1, 9, "9"), GOOD2], 2, "columns", r"column 9 \(separator\): expected a blank, found '9'"),
    ("ndot-no-point", [NAME, edit(GOOD1, 34, "-000002182"), GOOD2], 2, "columns", r"columns 34-43 \(first derivative of mean motion\)"),
    ("bstar-garbage", [NAME, edit(GOOD1, 54, "-1160x-4"), GOOD2], 2, "columns", r"columns 54-61 \(BSTAR drag term\): expected \+NNNNN-N"),
    ("eccentricity-with-point", [NAME, GOOD1, edit(GOOD2, 27, "0.00067")], 3, "columns", r"columns 27-33 \(eccentricity\): expected 7 digits"),
    ("inclination-over-180", [NAME, GOOD1, edit(GOOD2, 9, "191.6416")], 3, "range", r"inclination\): 191.6416 deg is outside 0..180"),
    ("raan-over-360", [NAME, GOOD1, edit(GOOD2, 18, "447.4627")], 3, "range", r"\(RAAN\): 447.4627 deg is outside 0..360"),
    ("mean-motion-zero", [NAME, GOOD1, edit(GOOD2, 53, " 0.00000000")], 3, "range", r"mean motion\): expected > 0 rev/day"),
    ("mean-motion-letters", [NAME, GOOD1, edit(GOOD2, 53, "15.7212539X")], 3, "columns", r"columns 53-63 \(mean motion \[rev/day\]\)"),
    ("line1-without-line2", [NAME, GOOD1], 2, "truncated", r"line 1 is not followed by its line 2"),
    ("line2-without-line1", [NAME, GOOD2], 2, "truncated", r"line 2 without a line 1"),
    ("name-without-elements", [NAME, GOOD1, GOOD2, "DANGLING"], 4, "truncated", r"name line 'DANGLING' is not followed by element lines 1 and 2"),
]


@pytest.mark.parametrize("case", LINE_CASES, ids=[c[0] for c in LINE_CASES])
def test_each_line_defect_has_its_message_and_good_records_are_kept(case):
    _, lines, line_number, reason, pattern = case
    good = ["GOOD SAT", GOOD1, GOOD2]
    records, problems = parse_tle_lines(good + lines + good, "defects.tle")
    assert len(problems) == 1, [str(p) for p in problems]
    problem = problems[0]
    assert (problem.source, problem.line, problem.reason) == ("defects.tle", line_number + 3, reason)
    assert re.search(pattern, problem.message), problem.message
    assert str(problem).startswith(f"defects.tle:{line_number + 3}: ")
    # The surrounding good records survive (the defective one may too, if only its name broke).
    assert sum(r.name == "GOOD SAT" for r in records) == 2


def test_a_name_line_at_the_end_of_a_file_is_reported():
    _, problems = parse_tle_lines([NAME, GOOD1, GOOD2, "DANGLING"], "end.tle")
    assert [str(p) for p in problems] == [(
        "end.tle:4: name line 'DANGLING' at the end of the file has no element lines "
        "(file truncated?)")]


def test_the_good_lines_used_above_really_are_good():
    records, problems = parse_tle_lines([NAME, GOOD1, GOOD2], "ok.tle")
    assert problems == [] and records[0].name == NAME


def test_alpha5_catalogue_numbers_parse():
    a1, a2 = edit(GOOD1, 3, "A0001"), edit(GOOD2, 3, "A0001")
    c = Constellation.from_tle_lines(["ALPHA", a1, a2])
    assert list(c.norad_ids) == [100001]
    assert c.to_tle_lines()[1:] == [a1, a2]


FILE_CASES = [
    ("empty", b"", r"empty\.tle: the file is empty"),
    ("blank", b"\n   \n\n", r"blank\.tle: the file is empty"),
    ("binary", b"\x00\x01\x02PNG\x00" * 50, r"binary\.tle: binary data \(NUL bytes\)"),
    ("latin1", f"{NAME}\n{GOOD1}\n{GOOD2}\nS\xc3O PAULO\n".encode("latin-1"),
     r"latin1\.tle:4: byte 0xc3 .*not valid UTF-8.*re-save the file as UTF-8"),
    ("all-bad", f"{NAME}\n{GOOD1[:50]}\n".encode(), r"all-bad\.tle: no valid element set found \(1 records dropped\).*truncated"),
    ("json-broken", b'[{"OBJECT_NAME": "X",', r"json-broken\.tle:1: not valid JSON"),
    ("json-not-list", b'"hello"', r"expected TLE lines|no valid element set"),
    ("xml-broken", b"<ndm><omm><body>", r"xml-broken\.tle:1: not well-formed XML"),
    ("csv-no-columns", b"OBJECT_NAME,EPOCH\nX,2026-05-30T00:00:00\n", r"csv-no-columns\.tle:1: the CSV header lacks OMM column\(s\) NORAD_CAT_ID"),
    ("gzip-truncated", gzip.compress(f"{NAME}\n{GOOD1}\n{GOOD2}\n".encode() * 20)[:40],
     r"gzip-truncated\.tle: gzip data is damaged or truncated"),
]


@pytest.mark.parametrize("case", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_whole_file_defects_raise_one_clear_error(tmp_path, case):
    name, data, pattern = case
    path = tmp_path / f"{name}.tle"
    path.write_bytes(data)
    with pytest.raises(ElementSetFileError, match=pattern):
        Constellation.from_path(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ElementSetFileError, match=r"nope\.tle: no such file; check the path"):
        load_constellation(tmp_path / "nope.tle")
    with pytest.raises(ElementSetFileError, match="is a folder"):
        load_constellation(tmp_path)


def test_huge_file_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "huge.tle"
    path.write_text(f"{NAME}\n{GOOD1}\n{GOOD2}\n" * 100)
    monkeypatch.setattr(reader_module, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ElementSetFileError, match=r"huge\.tle: 0 MiB is larger than the 0 MiB"):
        Constellation.from_path(path)


def _omm(**changes):
    record = {"OBJECT_NAME": "ISS (ZARYA)", "OBJECT_ID": "1998-067A", "EPOCH": "2026-05-30T12:25:40.104192",
              "MEAN_MOTION": 15.72125391, "ECCENTRICITY": 0.0006703, "INCLINATION": 51.6416,
              "RA_OF_ASC_NODE": 247.4627, "ARG_OF_PERICENTER": 130.536, "MEAN_ANOMALY": 325.0288,
              "EPHEMERIS_TYPE": 0, "CLASSIFICATION_TYPE": "U", "NORAD_CAT_ID": 25544,
              "ELEMENT_SET_NO": 999, "REV_AT_EPOCH": 56353, "BSTAR": -1.1606e-05,
              "MEAN_MOTION_DOT": -2.182e-05, "MEAN_MOTION_DDOT": 0}
    record.update(changes)
    return {k: v for k, v in record.items() if v is not None}


OMM_CASES = [
    ("missing-field", _omm(MEAN_MOTION=None), r"missing OMM field\(s\) MEAN_MOTION"),
    ("eccentricity", _omm(ECCENTRICITY=1.2), r"ECCENTRICITY = 1.2 is outside \[0, 1\)"),
    ("mean-motion", _omm(MEAN_MOTION=-1), r"MEAN_MOTION = -1 is outside \(0, 100\) rev/day"),
    ("inclination", _omm(INCLINATION=200), r"INCLINATION = 200 is outside 0..180 deg"),
    ("not-a-number", _omm(BSTAR="abc"), r"BSTAR = 'abc' is not a number"),
    ("epoch", _omm(EPOCH="30/05/2026"), r"EPOCH '30/05/2026' is not an ISO date-time"),
    ("norad", _omm(NORAD_CAT_ID=12.5), r"NORAD_CAT_ID = 12.5 is not an integer"),
]


@pytest.mark.parametrize("case", OMM_CASES, ids=[c[0] for c in OMM_CASES])
def test_omm_record_defects_are_reported_by_record_number(tmp_path, case):
    _, bad, pattern = case
    path = tmp_path / "gp.json"
    path.write_text(json.dumps([_omm(), bad, _omm(NORAD_CAT_ID=25545)]))
    c = Constellation.from_path(path)
    assert len(c) == 2
    (problem,) = c.report.problems
    assert problem.line == 2 and str(problem).startswith(f"{path}:2: OMM record: ")
    assert re.search(pattern, problem.message), problem.message


def _hybridplan_script() -> str:
    return str(Path(sys.executable).with_name("hybridplan"))


def test_cli_exits_nonzero_without_traceback_on_bad_files(tmp_path):
    bad = tmp_path / "bad.tle"
    bad.write_bytes(b"\x00\x00binary")
    done = subprocess.run([_hybridplan_script(), "tle", "info", str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (f"hybridplan: error: {bad}: binary data (NUL bytes), not a "
                                   "text element-set file; expected TLE lines or OMM JSON/CSV/XML")


def test_cli_reports_dropped_records_and_strict_fails(tmp_path, capsys):
    path = tmp_path / "mixed.tle"
    path.write_text("\n".join([NAME, GOOD1, GOOD2, "BROKEN", GOOD1[:60], GOOD2]) + "\n")
    assert main(["tle", "info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 kept, 1 dropped" in out and f"{path}:5: BROKEN: line 1 is truncated" in out
    assert main(["tle", "info", "--strict", str(path)]) == 1
