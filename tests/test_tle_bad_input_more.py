"""More bad element-set input: encodings, special files, wrong kinds of file, bombs, nesting.

Table-driven like tests/test_tle_bad_input.py: every case builds one file (or path) and
names a regular expression its error must match. Each error is an ElementSetError
subclass, one line, names the file, and the CLI turns it into exit 2 without a traceback.
Nothing may hang (an alarm fails the test after 20 s) or read without bound.
"""

import bz2
import csv
import gzip
import io
import json
import lzma
import os
import re
import signal
import socket
import struct
import time
import zipfile
import zlib

import pytest
from hybridplan.coverage.cli import main
from hybridplan.tle import Constellation, ElementSetError, ElementSetFileError, load_constellation
from hybridplan.tle import reader as reader_module
from hybridplan.tle.tle_text import checksum

NAME = "ISS (ZARYA)"
L1 = "1 25544U 98067A   26150.51782528 -.00002182  00000-0 -11606-4 0  292"
L2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537"


def signed(line: str) -> str:
    return line[:68] + str(checksum(line[:68]))


GOOD1, GOOD2 = signed(L1), signed(L2)
TLE = f"{NAME}\n{GOOD1}\n{GOOD2}\n"
OMM = {
    "OBJECT_NAME": "ISS (ZARYA)",
    "OBJECT_ID": "1998-067A",
    "EPOCH": "2026-05-30T12:25:40.104192",
    "MEAN_MOTION": 15.72125391,
    "ECCENTRICITY": 0.0006703,
    "INCLINATION": 51.6416,
    "RA_OF_ASC_NODE": 247.4627,
    "ARG_OF_PERICENTER": 130.536,
    "MEAN_ANOMALY": 325.0288,
    "EPHEMERIS_TYPE": 0,
    "CLASSIFICATION_TYPE": "U",
    "NORAD_CAT_ID": 25544,
    "ELEMENT_SET_NO": 999,
    "REV_AT_EPOCH": 56353,
    "BSTAR": -1.1606e-05,
    "MEAN_MOTION_DOT": -2.182e-05,
    "MEAN_MOTION_DDOT": 0,
}


def omm_csv(records) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()


def omm_xml(record) -> str:
    fields = "".join(f"<{k}>{v}</{k}>" for k, v in record.items())
    return f"<ndm><omm><body><segment><data>{fields}</data></segment></body></omm></ndm>"


def gzip_member_bomb(mebibytes: int) -> bytes:
    """``mebibytes`` gzip members of 1 MiB of zeros each (about 1 kB per member)."""
    member = gzip.compress(bytes(2**20), compresslevel=9)
    return member * mebibytes


@pytest.fixture(autouse=True)
def alarm():
    """Fail instead of hanging: FIFOs and devices must be refused, not read."""

    def fail(signum, frame):
        raise TimeoutError("reading the element-set input did not finish within 20 s")

    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------- accepted oddities
ACCEPTED = [
    ("utf8-bom-tle", "x.tle", b"\xef\xbb\xbf" + TLE.encode()),
    ("utf8-bom-json", "x.json", b"\xef\xbb\xbf" + json.dumps([OMM]).encode()),
    ("utf8-bom-csv", "x.csv", b"\xef\xbb\xbf" + omm_csv([OMM]).encode()),
    ("utf8-bom-xml", "x.xml", b"\xef\xbb\xbf" + omm_xml(OMM).encode()),
    ("utf16-le-bom", "x.tle", TLE.encode("utf-16")),
    ("utf16-be-bom", "x.tle", b"\xfe\xff" + TLE.encode("utf-16-be")),
    ("utf32-bom", "x.tle", TLE.encode("utf-32")),
    ("crlf", "x.tle", TLE.replace("\n", "\r\n").encode()),
    ("cr-only", "x.tle", TLE.replace("\n", "\r").encode()),
    ("gzip-bom", "x.tle.gz", gzip.compress(b"\xef\xbb\xbf" + TLE.encode())),
    (
        "gzip-concatenated-members",
        "x.tle.gz",
        gzip.compress(TLE.encode())
        + gzip.compress(
            f"OTHER\n{signed(GOOD1.replace('25544', '25545'))}\n"
            f"{signed(GOOD2.replace('25544', '25545'))}\n".encode()
        ),
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_oddities_real_tools_write_are_accepted(tmp_path, case):
    _, name, data = case
    path = tmp_path / name
    path.write_bytes(data)
    c = Constellation.from_path(path)
    assert c.report.n_dropped == 0
    assert c.names[0] == NAME and c.norad_ids[0] == 25544
    assert abs(c.inclination_deg[0] - 51.6416) < 1e-9


def test_line_numbers_count_newlines_only(tmp_path):
    # str.splitlines would also break at the form feed and NEL and shift line numbers.
    path = tmp_path / "ff.tle"
    path.write_text(f"A\x0cB\u0085C\n{GOOD1}\n{GOOD2}\nBROKEN\n{GOOD1[:50]}\n{GOOD2}\n")
    c = Constellation.from_path(path)
    assert c.names[0] == "A\x0cB\u0085C"
    (problem,) = c.report.problems
    assert problem.line == 5


# ---------------------------------------------------------------- refused files
def _write(data: bytes, name: str = "bad.tle"):
    def build(tmp_path):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return build


def _fifo(tmp_path):
    path = tmp_path / "pipe.tle"
    os.mkfifo(path)
    return path


def _socket(tmp_path):
    path = tmp_path / "sock.tle"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    return path


def _symlink_to(target):
    def build(tmp_path):
        path = tmp_path / "link.tle"
        path.symlink_to(target)
        return path

    return build


def _under_a_file(tmp_path):
    (tmp_path / "file.tle").write_text(TLE)
    return tmp_path / "file.tle" / "inner.tle"


def _netcdf_classic() -> bytes:
    return b"CDF\x01" + struct.pack(">i", 0) + bytes(64)


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("starlink.tle", TLE)
    return out.getvalue()


def _gzip_bad_crc() -> bytes:
    data = bytearray(gzip.compress(TLE.encode()))
    data[-8] ^= 0xFF  # CRC32 of the member
    return bytes(data)


def _billion_laughs() -> bytes:
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))
    return (
        f'<?xml version="1.0"?><!DOCTYPE ndm [<!ENTITY e0 "lol">{entities}]>'
        "<ndm><segment><OBJECT_NAME>&e9;</OBJECT_NAME></segment></ndm>"
    ).encode()


LONG_FIELD = omm_csv([dict(OMM, OBJECT_NAME="X" * 200_000)])
TLE_LINES_AS_CSV = (
    "OBJECT_NAME,OBJECT_ID,EPOCH,MEAN_MOTION,ECCENTRICITY,INCLINATION,"
    "RA_OF_ASC_NODE,ARG_OF_PERICENTER,MEAN_ANOMALY,NORAD_CAT_ID,BSTAR,"
    f"MEAN_MOTION_DOT,MEAN_MOTION_DDOT\n{TLE}"
)

# (id, builder(tmp_path) -> path, message pattern)
REFUSED = [
    (
        "utf16-without-bom",
        _write(TLE.encode("utf-16-le")),
        r"bad\.tle: the text looks like UTF-16 without a byte-order mark; re-save the file as UTF-8",
    ),
    (
        "utf16-bom-odd-bytes",
        _write(TLE.encode("utf-16")[:-1]),
        r"bad\.tle: UTF-16 text is damaged at byte \d+ .*re-save the file as UTF-8",
    ),
    (
        "windows-1252-quotes",
        _write(b"\x93ISS\x94\n" + f"{GOOD1}\n{GOOD2}\n".encode()),
        r"bad\.tle:1: byte 0x93 is not valid UTF-8.*re-save the file as UTF-8",
    ),
    (
        "nul-after-4k",
        _write((TLE * 60).encode() + b"\x00garbage\n"),
        r"bad\.tle:181: binary data \(NUL bytes\), not a text element-set file",
    ),
    (
        "nul-in-path",
        lambda tmp_path: str(tmp_path / "a\x00b.tle"),
        r"a\\x00b\.tle'?: the path contains a NUL character .*remove it from the path",
    ),
    ("empty-path", lambda tmp_path: "", r"^the element-set path is empty; name a TLE or OMM file"),
    (
        "dev-zero",
        lambda tmp_path: "/dev/zero",
        r"^/dev/zero: is a character device, not a regular file; save the element sets",
    ),
    (
        "dev-null",
        lambda tmp_path: "/dev/null",
        r"^/dev/null: is a character device, not a regular file",
    ),
    (
        "symlink-to-dev-zero",
        _symlink_to("/dev/zero"),
        r"link\.tle: is a character device, not a regular file",
    ),
    (
        "dangling-symlink",
        _symlink_to("/nonexistent/elements.tle"),
        r"link\.tle: no such file; check the path",
    ),
    ("fifo", _fifo, r"pipe\.tle: is a named pipe \(FIFO\); reading it could wait forever"),
    ("socket", _socket, r"sock\.tle: is a socket, not a regular file"),
    ("folder", lambda tmp_path: tmp_path, r": is a folder; name an element-set file in it"),
    ("path-under-a-file", _under_a_file, r"inner\.tle: a folder in this path is a file"),
    (
        "newline-in-file-name",
        _write(b"\x00", name="two\nlines.tle"),
        r"two\\nlines\.tle'?: binary data",
    ),
    (
        "json-deep-arrays",
        _write(b"[" * 200_000, "deep.json"),
        r"deep\.json: the JSON is nested too deeply to read; expected a flat CelesTrak OMM list",
    ),
    (
        "json-deep-objects",
        _write(b'{"a":' * 200_000 + b"1" + b"}" * 200_000, "deep.json"),
        r"deep\.json: the JSON is nested too deeply to read",
    ),
    (
        "json-5000-digit-number",
        _write(b'[{"NORAD_CAT_ID": ' + b"9" * 5000 + b"}]", "big.json"),
        r"big\.json: JSON value out of range \(Exceeds the limit .*\); expected OMM numbers",
    ),
    (
        "json-empty-list",
        _write(b"[]", "empty.json"),
        r"empty\.json: the JSON list is empty; expected OMM objects",
    ),
    (
        "json-empty-object",
        _write(b"{}", "empty.json"),
        (
            r"empty\.json: no valid element set found \(1 records dropped\); the first problem: "
            r".*empty\.json:1: OMM record: missing OMM field\(s\) OBJECT_NAME, NORAD_CAT_ID"
        ),
    ),
    (
        "json-list-of-numbers",
        _write(b"[1, 2, 3]", "n.json"),
        r"n\.json: record 1 is a JSON number, not an object; expected a list of OMM objects",
    ),
    ("json-list-of-nulls", _write(b"[null]", "n.json"), r"n\.json: record 1 is a JSON null"),
    (
        "json-mixed-list",
        _write(json.dumps([OMM, "x"]).encode(), "n.json"),
        r"n\.json: record 2 is a JSON string, not an object",
    ),
    (
        "geojson",
        _write(b'{"type": "FeatureCollection", "features": []}', "region.json"),
        r"region\.json: this is GeoJSON, not OMM element sets; name the CelesTrak FORMAT=json",
    ),
    (
        "json-then-tle",
        _write(json.dumps([OMM]).encode() + b"\n" + TLE.encode(), "mix.json"),
        r"mix\.json:2: not valid JSON \(Extra data at column 1\)",
    ),
    (
        "csv-header-only",
        _write(omm_csv([OMM]).splitlines()[0].encode() + b"\n", "h.csv"),
        r"h\.csv: the CSV has a header but no records; expected one OMM record per row",
    ),
    (
        "csv-field-too-large",
        _write(LONG_FIELD.encode(), "big.csv"),
        r"big\.csv:\d+: unreadable CSV \(field larger than field limit",
    ),
    (
        "csv-header-then-tle-lines",
        _write(TLE_LINES_AS_CSV.encode(), "mix.csv"),
        (
            r"mix\.csv: no valid element set found \(3 records dropped\); the first problem: "
            r".*missing OMM field\(s\)"
        ),
    ),
    (
        "xml-deep-nesting",
        _write(b"<a>" * 50_000 + b"</a>" * 50_000, "deep.xml"),
        r"deep\.xml: the XML has no <segment> elements; expected a CCSDS OMM document",
    ),
    (
        "xml-billion-laughs",
        _write(_billion_laughs(), "lol.xml"),
        r"lol\.xml:\d+: not well-formed XML \(limit on input amplification factor",
    ),
    (
        "kml",
        _write(b'<?xml version="1.0"?><kml><Document><Placemark/></Document></kml>', "route.kml"),
        r"route\.kml: the XML has no <segment> elements",
    ),
    (
        "html-page",
        _write(b"<!DOCTYPE html>\n<html><body>Too many requests</body></html>"),
        r"bad\.tle: this is an HTML page, not TLE or OMM element sets .*FORMAT=tle",
    ),
    (
        "png",
        _write(b"\x89PNG\r\n\x1a\n" + bytes(100), "map.png"),
        r"map\.png: this is a PNG image, not TLE or OMM element sets",
    ),
    ("jpeg", _write(b"\xff\xd8\xff\xe0" + bytes(100), "photo.jpg"), r"this is a JPEG image"),
    ("pdf", _write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "doc.pdf"), r"this is a PDF document"),
    ("tiff-dem", _write(b"II*\x00" + bytes(100), "dem.tif"), r"this is a TIFF image \(a DEM\?\)"),
    (
        "netcdf-classic",
        _write(_netcdf_classic(), "plan.nc"),
        r"plan\.nc: this is a NetCDF file \(a plan\.nc\?\), not TLE or OMM element sets",
    ),
    (
        "netcdf4-hdf5",
        _write(b"\x89HDF\r\n\x1a\n" + bytes(100), "plan.nc"),
        r"plan\.nc: this is an HDF5 / NetCDF-4 file",
    ),
    (
        "geopackage",
        _write(b"SQLite format 3\x00" + bytes(100), "cells.gpkg"),
        r"this is an SQLite database \(a GeoPackage\?\)",
    ),
    (
        "zip",
        _write(_zip(), "starlink.zip"),
        r"starlink\.zip: this is a ZIP archive .*unpack it and name the \.tle",
    ),
    (
        "bzip2",
        _write(bz2.compress(TLE.encode()), "x.tle.bz2"),
        r"this is bzip2-compressed data.*only gzip is read",
    ),
    (
        "xz",
        _write(lzma.compress(TLE.encode()), "x.tle.xz"),
        r"this is xz-compressed data.*only gzip is read",
    ),
    (
        "gzip-in-gzip",
        _write(gzip.compress(gzip.compress(TLE.encode())), "x.tle.gz"),
        r"this is gzip data inside gzip data, .*gunzip it once",
    ),
    (
        "gzip-header-only",
        _write(gzip.compress(TLE.encode())[:10], "x.tle.gz"),
        r"x\.tle\.gz: gzip data is damaged or truncated",
    ),
    (
        "gzip-bad-crc",
        _write(_gzip_bad_crc(), "x.tle.gz"),
        r"x\.tle\.gz: gzip data is damaged or truncated \(CRC check failed",
    ),
    ("gzip-of-nothing", _write(gzip.compress(b""), "x.tle.gz"), r"x\.tle\.gz: the file is empty"),
    (
        "gzip-of-png",
        _write(gzip.compress(b"\x89PNG\r\n\x1a\n" + bytes(64)), "x.tle.gz"),
        r"x\.tle\.gz: this is a PNG image",
    ),
    (
        "deflate-without-gzip-header",
        _write(zlib.compress(TLE.encode()), "x.tle"),
        r"x\.tle(:\d+)?: (byte 0x[0-9a-f]{2} is not valid UTF-8|binary data \(NUL bytes\))",
    ),
    (
        "only-comments",
        _write(b"# fetched 2026-05-30\n# nothing matched\n"),
        r"bad\.tle: no element set found \(no records at all\)",
    ),
    (
        "only-names",
        _write(b"STARLINK-1\nSTARLINK-2\n"),
        (
            r"bad\.tle: no valid element set found \(2 records dropped\); the first problem: "
            r".*bad\.tle:1: name line 'STARLINK-1' is not followed by element lines"
        ),
    ),
    (
        "one-megabyte-line",
        _write(b"A" * 2**20),
        r"name line 'AAAA[A.]{30,40}' at the end of the file has no element lines",
    ),
    (
        "superscript-checksum",
        _write(f"{NAME}\n{GOOD1[:68]}\u00b2\n{GOOD2}\n".encode()),
        r"line 1 column 69 \(checksum\): expected a digit, found '\u00b2'",
    ),
    (
        "blank-inside-mean-motion",
        _write(f"{NAME}\n{GOOD1}\n{signed(GOOD2[:56] + ' ' + GOOD2[57:])}\n".encode()),
        r"line 2 columns 53-63 \(mean motion \[rev/day\]\): expected NN\.NNNNNNNN",
    ),
]


def _path(case, tmp_path):
    _, build, _ = case
    return build(tmp_path)


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_each_refused_input_has_one_clear_line(tmp_path, case):
    path = _path(case, tmp_path)
    with pytest.raises(ElementSetFileError) as caught:
        Constellation.from_path(path)
    message = str(caught.value)
    assert re.search(case[2], message), message
    assert "\n" not in message and len(message) < 600
    if str(path):  # the message names the file (escaped when the name has control characters)
        assert reader_module.display_path(os.path.basename(str(path))).strip("'") in message


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_the_cli_exits_2_with_the_same_line_and_no_traceback(tmp_path, case, capsys):
    path = _path(case, tmp_path)
    assert main(["tle", "info", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hybridplan: error: ") and err.count("\n") == 1
    assert "Traceback" not in err
    assert re.search(case[2], err.removeprefix("hybridplan: error: ")), err


def test_a_gzip_bomb_stops_at_the_limit_quickly(tmp_path):
    path = tmp_path / "bomb.tle.gz"
    path.write_bytes(gzip_member_bomb(80))  # 80 MiB of zeros in ~80 kB
    assert path.stat().st_size < 200_000
    started = time.perf_counter()
    with pytest.raises(
        ElementSetFileError,
        match=r"bomb\.tle\.gz: the gzip data expands to more than the 64 MiB limit",
    ):
        Constellation.from_path(path)
    assert time.perf_counter() - started < 5.0


def test_a_small_limit_applies_to_the_decompressed_size(tmp_path, monkeypatch):
    monkeypatch.setattr(reader_module, "MAX_FILE_BYTES", 2**20)
    path = tmp_path / "x.tle.gz"
    path.write_bytes(gzip.compress(TLE.encode() * 20_000))  # 3.7 MB of text, 0.03 MB gzip
    with pytest.raises(ElementSetFileError, match=r"expands to more than the 1 MiB limit"):
        Constellation.from_path(path)


def test_bundled_with_an_empty_name_lists_the_snapshots():
    with pytest.raises(
        ElementSetFileError,
        match=r"bundled:: no bundled element set of that "
        r"name; .*available: bundled:geo",
    ):
        load_constellation("bundled:")


# ---------------------------------------------------------------- OMM numbers
NUMERIC = [
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
    "NORAD_CAT_ID",
]
BAD_NUMBERS = [
    (float("inf"), r"is not finite"),
    (float("nan"), r"is not finite"),
    (-float("inf"), r"is not finite"),
    (1e300, r"is outside|not an integer"),
    ("1e400", r"is not finite"),
    (True, r"is not a number"),
    ([1.0], r"is not a number"),
]


@pytest.mark.parametrize("key", NUMERIC)
def test_inf_nan_huge_and_wrongly_typed_numbers_drop_the_record_naming_the_field(tmp_path, key):
    records = [
        dict(OMM, NORAD_CAT_ID=30000 + i) | {key: value} for i, (value, _) in enumerate(BAD_NUMBERS)
    ]
    path = tmp_path / "gp.json"
    path.write_text(json.dumps([OMM] + records))  # json writes Infinity and NaN literals
    c = Constellation.from_path(path)
    assert len(c) == 1 and c.norad_ids[0] == 25544
    assert [p.line for p in c.report.problems] == list(range(2, 2 + len(BAD_NUMBERS)))
    for problem, (_, pattern) in zip(c.report.problems, BAD_NUMBERS, strict=True):
        assert problem.message.startswith(f"OMM record: {key} = "), problem.message
        assert re.search(pattern, problem.message), problem.message
        assert "\n" not in problem.message


OMM_FIELD_CASES = [
    (
        "name-with-newline",
        {"OBJECT_NAME": "ISS\nZARYA"},
        r"OBJECT_NAME = 'ISS\\nZARYA' contains control characters",
    ),
    (
        "name-is-an-object",
        {"OBJECT_NAME": {"en": "ISS"}},
        r"OBJECT_NAME = \{'en': 'ISS'\} is not text",
    ),
    (
        "epoch-year-9999",
        {"EPOCH": "9999-12-31T00:00:00"},
        r"EPOCH '9999-12-31T00:00:00' is outside the years 1957..2099",
    ),
    ("epoch-is-a-number", {"EPOCH": 26150.5}, r"EPOCH = 26150.5 is not an ISO date-time string"),
    (
        "mean-motion-above-tle-range",
        {"MEAN_MOTION": 150.0},
        r"MEAN_MOTION = 150 is outside \(0, 100\) rev/day",
    ),
    ("eccentricity-one", {"ECCENTRICITY": 1.0}, r"ECCENTRICITY = 1 is outside \[0, 1\)"),
    ("raan-720", {"RA_OF_ASC_NODE": 720}, r"RA_OF_ASC_NODE = 720 is outside -360..360 deg"),
    (
        "ndot-one",
        {"MEAN_MOTION_DOT": 1.5},
        r"MEAN_MOTION_DOT = 1.5 is outside \(-1, 1\) rev/day\^2",
    ),
    ("norad-negative", {"NORAD_CAT_ID": -5}, r"NORAD_CAT_ID = -5 is not an integer 0..339999"),
    ("long-garbage-is-cut", {"BSTAR": "x" * 5000}, r"BSTAR = 'x{30,}\.\.\. is not a number"),
]


@pytest.mark.parametrize("case", OMM_FIELD_CASES, ids=[c[0] for c in OMM_FIELD_CASES])
def test_omm_field_defects_in_json_csv_and_xml(tmp_path, case):
    _, change, pattern = case
    bad = dict(OMM, **change)
    path = tmp_path / "gp.json"
    path.write_text(json.dumps([OMM, bad]))
    c = Constellation.from_path(path)
    (problem,) = c.report.problems
    assert problem.line == 2 and re.search(pattern, problem.message), problem.message
    assert len(problem.message) < 300


def test_omm_field_defects_in_csv_name_the_file_line(tmp_path):
    path = tmp_path / "gp.csv"
    path.write_text(omm_csv([OMM, dict(OMM, NORAD_CAT_ID=1, INCLINATION="inf")]))
    c = Constellation.from_path(path)
    (problem,) = c.report.problems
    assert (
        str(problem)
        == f"{path}:3: OMM record: INCLINATION = 'inf' is not finite; expected a number"
    )


def test_element_set_errors_are_value_errors_for_broad_callers(tmp_path):
    with pytest.raises(ValueError):
        Constellation.from_path(tmp_path / "missing.tle")
    assert issubclass(ElementSetFileError, ElementSetError)
