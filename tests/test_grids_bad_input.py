"""Bad input for every grids reader: one clear line naming the file, never a traceback.

The corpus is one table, ``CASES``: (id, file name, content or builder, reader, message
pattern).  Content is bytes or text written to ``tmp_path / name``; a builder is a
function of that path that makes the input and returns what the reader is given.
Each case must raise a :class:`GridError` (so the CLI prints one line and exits 2)
whose message is one line, names the file (when there is one) and matches the pattern.
``ACCEPTED`` holds the inputs that look odd but are fine (UTF-8 with a byte-order mark,
written by Notepad and Excel) and must be read.
"""

from __future__ import annotations

import json
import os
import re
import struct
import zipfile
import zlib

import numpy as np
import pytest
from hybridplan.grids import GridError, load_dem, load_network, load_region, read_geotiff, read_hgt
from hybridplan.grids.population import (
    read_population_points,
    read_province_totals,
    read_settlements,
)

# --- builders ---------------------------------------------------------------------------


def fc(*features) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def feature(geometry, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


SQUARE = [[[74.0, 35.0], [75.0, 35.0], [75.0, 36.0], [74.0, 36.0], [74.0, 35.0]]]
POLY = {"type": "Polygon", "coordinates": SQUARE}
LINE = {"type": "LineString", "coordinates": [[74.0, 35.0], [75.0, 36.0]]}


def poly_with(vertex) -> str:
    """A region whose second vertex is ``vertex`` (raw JSON text, so NaN/Infinity stay)."""
    ring = f"[[74, 35], {vertex}, [75, 36], [74, 36], [74, 35]]"
    return '{"type": "Polygon", "coordinates": [' + ring + "]}"


def line_with(position: str) -> str:
    return (
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"name": "R"}, "geometry": {"type": "LineString", "coordinates": [[74, 35], '
        + position
        + "]}}]}"
    )


def kml(placemarks: str, root: str = "kml") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<{root} xmlns="http://www.opengis.net/kml/2.2"><Document>{placemarks}'
        f"</Document></{root}>"
    )


def kml_line(coordinates: str, status: str | None = None) -> str:
    data = (
        f'<ExtendedData><Data name="status"><value>{status}</value></Data></ExtendedData>'
        if status is not None
        else ""
    )
    return kml(
        f"<Placemark><name>R</name>{data}<LineString><coordinates>{coordinates}"
        "</coordinates></LineString></Placemark>"
    )


def kml_point(coordinates: str) -> str:
    return kml(
        f"<Placemark><name>P</name><Point><coordinates>{coordinates}</coordinates></Point>"
        "</Placemark>"
    )


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE kml ['
    '<!ENTITY a0 "ha">'
    + "".join(f'<!ENTITY a{k} "{("&a" + str(k - 1) + ";") * 10}">' for k in range(1, 10))
    + "]><kml><Placemark><name>&a9;</name></Placemark></kml>"
)


def hgt_bytes(n=1201, value=100) -> bytes:
    return np.full((n, n), value, dtype=">i2").tobytes()


def sparse(size: int):
    """A builder of a sparse file of ``size`` bytes (nothing written to disk)."""

    def build(path):
        with open(path, "wb") as fh:
            fh.truncate(size)
        return path

    return build


def hgt_zip(members: dict[str, bytes]):
    def build(path):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        return path

    return build


def folder(files: dict[str, int]):
    """A folder of sparse tiles ``{name: size}``."""

    def build(path):
        path.mkdir()
        for name, size in files.items():
            sparse(size)(path / name)
        return path

    return build


def npz(**arrays):
    def build(path):
        np.savez(path, **arrays)
        return path

    return build


GOOD_NPZ = {
    "elevation": np.full((3, 3), 100.0, dtype=np.float32),
    "lat": np.array([36.0, 35.5, 35.0]),
    "lon": np.array([74.0, 74.5, 75.0]),
}


def npz_with(**changes):
    return npz(**{**GOOD_NPZ, **changes})


def forged_npz(shape):
    """An .npz whose elevation header announces ``shape`` but stores 16 bytes."""

    def build(path):
        np.savez(path, **GOOD_NPZ)
        header = {"descr": "<f4", "fortran_order": False, "shape": shape}
        text = repr(header).encode("latin1")
        text += b" " * (-(len(text) + 11) % 64) + b"\n"
        fake = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + b"\x00" * 16
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("elevation.npy", fake)
            for key in ("lat", "lon"):
                with archive.open(f"{key}.npy", "w") as fh:
                    np.lib.format.write_array(fh, GOOD_NPZ[key])
        return path

    return build


def truncated_copy(builder, keep: float):
    def build(path):
        builder(path)
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])
        return path

    return build


def tiff(
    array=None,
    *,
    tags=None,
    drop=(),
    data=None,
    deflate=False,
    order="<",
    magic=None,
    cut=None,
    ifd_offset=None,
):
    """A builder of a single-strip GeoTIFF (EPSG:4326, pixel 0.5 deg at 74 E, 36 N);
    ``tags`` {tag: (type, values)} override, ``drop`` removes tags, ``data``
    replaces the pixel bytes, ``cut`` truncates the file to that many bytes."""
    array = np.arange(12, dtype=np.float32).reshape(3, 4) if array is None else array
    kinds = {np.dtype("int16"): (2, 16), np.dtype("float32"): (3, 32), np.dtype("uint8"): (1, 8)}
    sample_format, bits = kinds[array.dtype]

    def build(path):
        pixels = array.astype(array.dtype.newbyteorder(order)).tobytes() if data is None else data
        if deflate and data is None:
            pixels = zlib.compress(pixels)
        entries = {
            256: (3, [array.shape[1]]),
            257: (3, [array.shape[0]]),
            258: (3, [bits]),
            259: (3, [8 if deflate else 1]),
            262: (3, [1]),
            273: (4, [0]),
            277: (3, [1]),
            278: (3, [array.shape[0]]),
            279: (4, [len(pixels)]),
            339: (3, [sample_format]),
            33550: (12, [0.5, 0.5, 0.0]),
            33922: (12, [0.0, 0.0, 0.0, 74.0, 36.0, 0.0]),
            34735: (3, [1, 1, 0, 2, 1024, 0, 1, 2, 1025, 0, 1, 1]),
        }
        entries.update(tags or {})
        for tag in drop:
            entries.pop(tag, None)
        fmt = {3: "H", 4: "I", 12: "d", 2: "s", 11: "f"}
        ifd_size = 2 + 12 * len(entries) + 4
        data_offset = 8 + ifd_size
        extra_offset = data_offset + len(pixels)
        body, extra = bytearray(), bytearray()
        for tag in sorted(entries):
            kind, values = entries[tag]
            if kind == 2:
                raw = values.encode() + b"\x00"
                count = len(raw)
            else:
                raw = struct.pack(order + fmt[kind] * len(values), *values)
                count = len(values)
            if tag == 273:
                raw = struct.pack(order + "I", data_offset)
            if len(raw) <= 4:
                body += struct.pack(order + "HHI", tag, kind, count) + raw.ljust(4, b"\x00")
            else:
                body += struct.pack(order + "HHII", tag, kind, count, extra_offset + len(extra))
                extra += raw
        head = (magic or (b"II*\x00" if order == "<" else b"MM\x00*")) + struct.pack(
            order + "I", 8 if ifd_offset is None else ifd_offset
        )
        ifd = struct.pack(order + "H", len(entries)) + body + struct.pack(order + "I", 0)
        raw = head + ifd + pixels + extra
        path.write_bytes(raw if cut is None else raw[:cut])
        return path

    return build


def symlink_to(target: str):
    def build(path):
        os.symlink(target, path)
        return path

    return build


def nul_path(path):
    return str(path) + "\x00.geojson"


def make_dir(path):
    path.mkdir()
    return path


def single_npy(path):
    with open(path, "wb") as fh:
        np.save(fh, np.zeros(3))
    return path


def fixed(argument):
    """A builder that ignores the file and gives the reader ``argument``."""
    return lambda path: argument


# --- readers ----------------------------------------------------------------------------

READERS = {
    "region": load_region,
    "network": load_network,
    "dem": load_dem,
    "hgt": read_hgt,
    "tiff": read_geotiff,
    "totals": read_province_totals,
    "settlements": read_settlements,
    "points": read_population_points,
}

UTF16 = "\ufeffroute,lat,lon\nR,35,74\n".encode("utf-16-le")
LATIN1 = "route,lat,lon\nGilgit–Skardu,35,74\n".encode("cp1252")
GARBAGE = bytes(range(256)) * 4
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
TOTALS = "adm1_name,population\n"
SETTLEMENTS = "name,lat,lon,population,province\n"
POINTS = "lat,lon,population\n"
DEEP = "[" * 100_000 + "]" * 100_000
H3 = 2 * 1201 * 1201  # bytes of a 3" tile
H1 = 2 * 3601 * 3601  # bytes of a 1" tile

# (id, file name, content or builder, reader, message pattern)
# fmt: off
CASES = [
    # region GeoJSON --------------------------------------------------------------------
    ("region-empty-file", "r.geojson", "", "region", r"r\.geojson:1:1: expected valid JSON"),
    ("region-whitespace", "r.geojson", "  \n\n ", "region", r"r\.geojson:3:2: expected valid JSON"),
    ("region-trailing-comma", "r.geojson", '{"type": "Polygon",}', "region", r"r\.geojson:1:19: expected valid JSON.*Illegal trailing comma|r\.geojson:1:\d+: expected valid JSON"),
    ("region-top-array", "r.geojson", "[1, 2]", "region", r"r\.geojson: expected a GeoJSON FeatureCollection.*found a JSON array"),
    ("region-top-number", "r.geojson", "42", "region", r"found a JSON number"),
    ("region-top-string", "r.geojson", '"Gilgit"', "region", r"found a JSON string"),
    ("region-features-object", "r.geojson", '{"type": "FeatureCollection", "features": {}}', "region", r"'features' is a JSON object"),
    ("region-features-missing", "r.geojson", '{"type": "FeatureCollection"}', "region", r"'features' is a JSON null"),
    ("region-topojson", "r.geojson", '{"type": "Topology", "objects": {}}', "region", r"found type 'Topology'"),
    ("region-no-type", "r.geojson", '{"coordinates": []}', "region", r"an object without 'type'"),
    ("region-feature-number", "r.geojson", fc(5), "region", r"feature 0: expected a GeoJSON Feature object; found a JSON number"),
    ("region-feature-string", "r.geojson", fc(feature(POLY), "x"), "region", r"feature 1: expected a GeoJSON Feature object; found a JSON string"),
    ("region-feature-null", "r.geojson", fc(None), "region", r"feature 0: .*found a JSON null"),
    ("region-properties-list", "r.geojson", fc({"type": "Feature", "properties": [1], "geometry": POLY}), "region", r"feature 0 key 'properties': expected a JSON object \(or null\); found a JSON array"),
    ("region-properties-string", "r.geojson", fc({"type": "Feature", "properties": "GB", "geometry": POLY}), "region", r"key 'properties'.*found a JSON string"),
    ("region-geometry-string", "r.geojson", fc({"type": "Feature", "properties": {}, "geometry": "POLYGON"}), "region", r"key 'geometry'.*found a JSON string"),
    ("region-geometry-array", "r.geojson", fc({"type": "Feature", "properties": {}, "geometry": SQUARE}), "region", r"key 'geometry'.*found a JSON array"),
    ("region-only-points", "r.geojson", fc(feature({"type": "Point", "coordinates": [74, 35]})), "region", r"expected at least one Polygon or MultiPolygon feature; found none"),
    ("region-empty-features", "r.geojson", fc(), "region", r"at least one Polygon"),
    ("region-coordinates-null", "r.geojson", fc(feature({"type": "Polygon", "coordinates": None}, name="A")), "region", r"feature 0 \('A'\): expected a non-empty polygon; found an empty geometry"),
    ("region-ring-two-points", "r.geojson", fc(feature({"type": "Polygon", "coordinates": [[[74, 35], [75, 35]]]})), "region", r"feature 0: expected a GeoJSON Polygon/MultiPolygon with closed rings"),
    ("region-coordinates-strings", "r.geojson", fc(feature({"type": "Polygon", "coordinates": [[["a", "b"]] * 4]})), "region", r"feature 0: expected a GeoJSON Polygon"),
    ("region-coordinates-too-deep", "r.geojson", fc(feature({"type": "Polygon", "coordinates": [[[[[74, 35]]]] * 4]})), "region", r"feature 0: expected a GeoJSON Polygon"),
    ("region-empty-polygon", "r.geojson", fc(feature({"type": "Polygon", "coordinates": []})), "region", r"expected a non-empty polygon"),
    ("region-nan-vertex", "r.geojson", poly_with("[NaN, 35]"), "region", r"feature 0: expected finite \[lon, lat\] pairs.*found a vertex at \[nan, 35\.0\]"),
    ("region-infinity-vertex", "r.geojson", poly_with("[75, Infinity]"), "region", r"found a vertex at \[75\.0, inf\]"),
    ("region-overflow-vertex", "r.geojson", poly_with("[75, 1e999]"), "region", r"found a vertex at \[75\.0, inf\]"),
    ("region-swapped-latlon", "r.geojson", poly_with("[35, 174]"), "region", r"\|lat\| <= 90.*\[35\.0, 174\.0\].*swap the axes"),
    ("region-lon-over-180", "r.geojson", poly_with("[181, 35]"), "region", r"found a vertex at \[181\.0, 35\.0\]"),
    ("region-bow-tie", "r.geojson", fc(feature({"type": "Polygon", "coordinates": [[[74, 35], [75, 36], [75, 35], [74, 36], [74, 35]]]}, name="B")), "region", r"feature 0 \('B'\): expected a valid polygon.*Self-intersection.*Fix geometries"),
    ("region-whole-earth", "r.geojson", fc(feature({"type": "Polygon", "coordinates": [[[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]]})), "region", r"ring edges spanning less than 180 degrees.*from lon -180 to 180.*antimeridian"),
    ("region-deep-json", "r.geojson", DEEP, "region", r"r\.geojson: expected GeoJSON of ordinary depth; found JSON nested too deeply"),
    ("region-utf16", "r.geojson", '\ufeff{"type": "Polygon"}'.encode("utf-16-le"), "region", r"r\.geojson: expected a UTF-8 GeoJSON file; found UTF-16 text"),
    ("region-latin1", "r.geojson", json.dumps(feature(POLY, name="Diamer–Astore"), ensure_ascii=False).encode("cp1252"), "region", r"r\.geojson:1: expected a UTF-8 GeoJSON file; found byte 0x96 at offset \d+ is not UTF-8"),
    ("region-binary", "r.geojson", GARBAGE, "region", r"found binary data \(a NUL byte at offset 0\)"),
    ("region-png", "r.geojson", PNG, "region", r"r\.geojson: expected a UTF-8 text GeoJSON file; found binary data"),
    ("region-nul-in-path", "r.geojson", nul_path, "region", r"GeoJSON file path .*expected a path without NUL characters"),
    ("region-missing-file", "r.geojson", fixed("no/such/region.geojson"), "region", r"no/such/region\.geojson: expected an existing GeoJSON file; found no such file"),
    ("region-folder", "r.geojson", make_dir, "region", r"r\.geojson: expected a GeoJSON file; found a folder"),
    ("region-dev-null", "r.geojson", fixed("/dev/null"), "region", r"/dev/null: expected a regular GeoJSON file; found a character device"),
    ("region-empty-name-list", "-", fixed([]), "region", r"load_region: expected at least one region name; found an empty list"),
    ("region-empty-union", "-", fixed(" + "), "region", r"load_region: expected a region name or a GeoJSON path; found ''"),
    ("region-name-none", "-", fixed(None), "region", r"expected a region name or a GeoJSON path; found None"),
    ("region-unknown-name", "-", fixed("Gilgit-Baltisan"), "region", r"region 'Gilgit-Baltisan'.*close matches: 'Gilgit-Baltistan'"),
    # network GeoJSON -------------------------------------------------------------------
    ("network-empty-file", "n.geojson", "", "network", r"n\.geojson:1:1: expected valid JSON"),
    ("network-syntax", "n.geojson", '{"type": "FeatureCollection", "features": [\n  {"a": 1,,}]}', "network", r"n\.geojson:2:11: expected valid JSON"),
    ("network-top-array", "n.geojson", "[]", "network", r"expected a GeoJSON FeatureCollection with a 'features' list; found a JSON array"),
    ("network-features-object", "n.geojson", '{"type": "FeatureCollection", "features": {"a": 1}}', "network", r"found 'features' is a JSON object"),
    ("network-bare-geometry", "n.geojson", json.dumps(LINE), "network", r"found an object with type 'LineString' and no 'features' list"),
    ("network-feature-number", "n.geojson", fc(7), "network", r"n\.geojson: feature 0: expected a GeoJSON Feature object; found a JSON number"),
    ("network-properties-list", "n.geojson", fc({"type": "Feature", "properties": ["a"], "geometry": LINE}), "network", r"feature 0 key 'properties': expected a JSON object"),
    ("network-geometry-string", "n.geojson", fc({"type": "Feature", "properties": {}, "geometry": "LINESTRING"}), "network", r"feature 0 key 'geometry'.*found a JSON string"),
    ("network-coordinates-null", "n.geojson", fc(feature({"type": "LineString", "coordinates": None}, name="R")), "network", r"feature 0 \('R'\): expected a list of positions \[\[lon, lat\], \.\.\.\]; found a JSON null"),
    ("network-one-point-line", "n.geojson", fc(feature({"type": "LineString", "coordinates": [[74, 35]]}, name="R")), "network", r"\('R'\): expected a line of at least two \[lon, lat\] points; found 1 points"),
    ("network-position-one-number", "n.geojson", line_with("[75]"), "network", r"\('R'\): expected a position \[lon, lat\] of two numbers; found \[75\]"),
    ("network-position-strings", "n.geojson", line_with('["75", "36"]'), "network", r"found \[\"75\", \"36\"\]"),
    ("network-position-booleans", "n.geojson", line_with("[true, false]"), "network", r"a position \[lon, lat\] of two numbers; found \[true, false\]"),
    ("network-position-object", "n.geojson", line_with('{"lon": 75, "lat": 36}'), "network", r"a position \[lon, lat\]"),
    ("network-nan", "n.geojson", line_with("[NaN, 36]"), "network", r"\('R'\) longitude\[1\]: expected a finite longitude.*found nan"),
    ("network-infinity", "n.geojson", line_with("[75, -Infinity]"), "network", r"latitude\[1\]: expected a finite latitude.*found -inf"),
    ("network-lat-95", "n.geojson", line_with("[75, 95]"), "network", r"latitude\[1\].*found 95\.0.*\(lat, lon\) order"),
    ("network-status-unknown", "n.geojson", fc(feature(LINE, name="R", status="maybe")), "network", r"expected status one of \('existing', 'planned'\); found 'maybe'"),
    ("network-status-number", "n.geojson", fc(feature(LINE, name="R", status=1)), "network", r"status one of.*found 1;"),
    ("network-multiline-number", "n.geojson", fc(feature({"type": "MultiLineString", "coordinates": 5}, name="M")), "network", r"\('M'\): expected a list of positions.*found a JSON number"),
    ("network-point-empty", "n.geojson", fc(feature({"type": "Point", "coordinates": []}, name="P")), "network", r"\('P'\): expected a position \[lon, lat\]"),
    ("network-deep-json", "n.geojson", DEEP, "network", r"n\.geojson: expected GeoJSON of ordinary depth"),
    ("network-only-polygons", "n.geojson", fc(feature(POLY)), "network", r"n\.geojson: expected at least one route or point of presence; found none"),
    ("network-utf16", "n.geojson", "\ufeff{}".encode("utf-16-le"), "network", r"n\.geojson: expected a UTF-8 network file; found UTF-16"),
    ("network-wrong-suffix", "n.shp", b"\x00\x00\x27\x0a", "network", r"n\.shp: expected a \.geojson, \.kml or \.csv network file; found suffix '\.shp'"),
    ("network-nul-in-path", "n.geojson", nul_path, "network", r"network file path .*NUL"),
    ("network-dev-null-link", "n.geojson", symlink_to("/dev/null"), "network", r"n\.geojson: expected a regular network file; found a character device"),
    ("network-path-number", "-", fixed(3.5), "network", r"network file path: expected a file path.*found float 3\.5"),
    # KML -------------------------------------------------------------------------------
    ("kml-not-xml", "n.kml", "hello", "network", r"n\.kml:1:0: expected well-formed KML \(XML\); found syntax error"),
    ("kml-unclosed", "n.kml", "<kml>\n<Placemark>", "network", r"n\.kml:2:11: expected well-formed KML"),
    ("kml-html-root", "n.kml", "<html><body>routes</body></html>", "network", r"n\.kml: expected a KML document \(root element <kml>\); found root element <html>"),
    ("kml-coordinate-one-number", "n.kml", kml_line("74.1,35.2 74.3"), "network", r"placemark 0 \('R'\) coordinate 2: expected KML coordinates 'lon,lat\[,alt\]'.*found '74\.3'"),
    ("kml-space-after-comma", "n.kml", kml_line("74.1, 35.2 74.5, 35.6"), "network", r"coordinate 1: .*no space after commas.*found '74\.1,'"),
    ("kml-coordinates-letters", "n.kml", kml_line("east,north 74,35"), "network", r"coordinate 1:.*found 'east,north'"),
    ("kml-four-values", "n.kml", kml_line("74,35,0,9 75,36"), "network", r"coordinate 1:.*found '74,35,0,9'"),
    ("kml-point-no-coordinates", "n.kml", kml_point(""), "network", r"placemark 0 \('P'\): expected KML coordinates; found none"),
    ("kml-nan", "n.kml", kml_point("nan,nan"), "network", r"\('P'\) latitude\[0\]: expected a finite latitude"),
    ("kml-lat-95", "n.kml", kml_line("74,35 75,95"), "network", r"\('R'\) latitude\[1\].*found 95\.0"),
    ("kml-status-unknown", "n.kml", kml_line("74,35 75,36", status="soon"), "network", r"status one of.*found 'soon'"),
    ("kml-billion-laughs", "n.kml", BILLION_LAUGHS, "network", r"n\.kml:\d+:\d+: expected well-formed KML \(XML\); found .*amplification"),
    ("kml-no-placemarks", "n.kml", kml(""), "network", r"n\.kml: expected at least one route or point of presence; found none"),
    ("kml-binary", "n.kml", PNG, "network", r"n\.kml: expected a UTF-8 text network file; found binary data"),
    # CSV waypoints ---------------------------------------------------------------------
    ("csv-empty-file", "n.csv", "", "network", r"n\.csv:1: expected a header line 'route,lat,lon\[,status\]'; found an empty file"),
    ("csv-missing-lon", "n.csv", "route,lat\nR,35\n", "network", r"n\.csv:1: expected columns route, lat, lon.*add the column\(s\) \['lon'\]"),
    ("csv-semicolons", "n.csv", "route;lat;lon\nR;35;74\n", "network", r"semicolon-separated: save it comma-separated"),
    ("csv-lat-letters", "n.csv", "route,lat,lon\nR,abc,74\n", "network", r"n\.csv:2: expected numbers in lat and lon; found 'abc', '74'"),
    ("csv-lat-inf", "n.csv", "route,lat,lon\nR,35,74\nR,inf,74\n", "network", r"n\.csv:3 latitude\[0\]: expected a finite latitude.*found inf"),
    ("csv-lon-nan", "n.csv", "route,lat,lon\nR,35,nan\n", "network", r"n\.csv:2 longitude\[0\]: expected a finite longitude.*found nan"),
    ("csv-lat-95", "n.csv", "route,lat,lon\nR,95,74\n", "network", r"n\.csv:2 latitude\[0\].*found 95\.0"),
    ("csv-short-row", "n.csv", "route,lat,lon\nR,35\n", "network", r"n\.csv:2: expected numbers in lat and lon; found '35', None"),
    ("csv-nul-byte", "n.csv", "route,lat,lon\n" + "R,35,74\n" * 600 + "R,3\x005,74\n", "network", r"n\.csv:602: expected numbers in lat and lon; found '3\\x005', '74'"),
    ("csv-huge-field", "n.csv", "route,lat,lon\n" + "R" * 200_000 + ",35,74\n", "network", r"n\.csv:2: expected a readable CSV line; found field larger than field limit"),
    ("csv-status-unknown", "n.csv", "route,lat,lon,status\nR,35,74,maybe\n", "network", r"n\.csv:2: expected status one of"),
    ("csv-utf16", "n.csv", UTF16, "network", r"n\.csv: expected a UTF-8 network file; found UTF-16 text.*CSV UTF-8"),
    ("csv-latin1", "n.csv", LATIN1, "network", r"n\.csv:2: expected a UTF-8 network file; found byte 0x96"),
    ("csv-utf16-no-bom", "n.csv", "route,lat,lon\nR,35,74\n".encode("utf-16-le"), "network", r"n\.csv: expected a UTF-8 network file; found UTF-16 text without a byte-order mark"),
    ("csv-fifo", "n.csv", lambda p: (os.mkfifo(p), p)[1], "network", r"n\.csv: expected a regular network file; found a FIFO"),
    # SRTM .hgt tiles -------------------------------------------------------------------
    ("hgt-wrong-size", "N35E074.hgt", b"\x00" * 1000, "dem", r"N35E074\.hgt: expected an SRTM tile of 2,884,802 bytes.*found 1,000 bytes.*download the tile again"),
    ("hgt-empty", "N35E074.hgt", b"", "dem", r"N35E074\.hgt: expected an SRTM tile.*found 0 bytes"),
    ("hgt-too-big", "N35E074.hgt", sparse(H1 + 2), "dem", r"N35E074\.hgt: expected a SRTM tile of at most 24\.7 MiB"),
    ("hgt-bad-name", "tile.hgt", hgt_bytes(), "dem", r"tile\.hgt: expected an SRTM tile name like N35E074\.hgt"),
    ("hgt-lat-95", "N95E074.hgt", hgt_bytes(), "dem", r"N95E074\.hgt: expected a tile corner with latitude -90\.\.89"),
    ("hgt-zip-not-zip", "N35E074.hgt.zip", "not a zip", "dem", r"N35E074\.hgt\.zip: expected a zip archive holding one SRTM \.hgt tile; found BadZipFile"),
    ("hgt-zip-two-tiles", "N35E074.hgt.zip", hgt_zip({"N35E074.hgt": b"1", "N36E074.hgt": b"2"}), "dem", r"expected a zip holding exactly one \.hgt tile; found 2 \.hgt members"),
    ("hgt-zip-no-tile", "N35E074.hgt.zip", hgt_zip({"readme.txt": b"hello"}), "dem", r"found 0 \.hgt members"),
    ("hgt-zip-member-size", "N35E074.hgt.zip", hgt_zip({"N35E074.hgt": b"\x00" * 5000}), "dem", r"N35E074\.hgt\.zip member 'N35E074\.hgt': expected an SRTM tile.*found 5,000 bytes"),
    ("hgt-zip-member-name", "N35E074.hgt.zip", hgt_zip({"dem.hgt": hgt_bytes()}), "dem", r"member 'dem\.hgt': expected an SRTM tile name"),
    ("hgt-mixed-resolutions", "tiles", folder({"N35E074.hgt": H3, "N35E075.hgt": H1}), "hgt", r"read_hgt: expected tiles of one resolution"),
    ("hgt-duplicate-tile", "tiles", lambda p: (folder({"N35E074.hgt": H3})(p), hgt_zip({"N35E074.hgt": hgt_bytes()})(p / "N35E074.hgt.zip"))[0], "hgt", r"N35E074\.hgt(\.zip)?: expected one file per tile; found the same tile as .*remove one"),
    ("hgt-empty-folder", "tiles", make_dir, "dem", r"read_hgt\('.*tiles'\): expected at least one \.hgt tile; found none"),
    ("hgt-empty-list", "-", fixed([]), "dem", r"read_hgt: expected at least one \.hgt tile"),
    ("hgt-not-a-path", "-", fixed(42), "hgt", r"read_hgt: expected a path, a folder or a list of paths; found int"),
    ("hgt-void-device", "N35E074.hgt", symlink_to("/dev/zero"), "dem", r"N35E074\.hgt: expected a regular SRTM tile; found a character device"),
    # DEM .npz and others ---------------------------------------------------------------
    ("dem-unknown-suffix", "d.asc", "ncols 2\n", "dem", r"d\.asc: expected a \.hgt/\.hgt\.zip tile, a folder of tiles, a \.tif or a \.npz; found suffix '\.asc'"),
    ("npz-text", "d.npz", "elevation,lat,lon\n", "dem", r"d\.npz: expected a NumPy \.npz archive; found data starting b'elev', not a zip archive"),
    ("npz-empty", "d.npz", b"", "dem", r"d\.npz: expected a NumPy \.npz archive; found data starting b'', not a zip"),
    ("npz-single-npy", "d.npz", single_npy, "dem", r"found a single \.npy array, not a zip archive"),
    ("npz-missing-arrays", "d.npz", npz(z=np.ones((2, 2))), "dem", r"d\.npz: expected arrays 'elevation', 'lat', 'lon'; found arrays \['z'\]"),
    ("npz-object-dtype", "d.npz", npz_with(elevation=np.array([[1, None], [2, 3]], dtype=object)), "dem", r"d\.npz array 'elevation\.npy': expected integer or float numbers; found dtype object"),
    ("npz-complex", "d.npz", npz_with(elevation=np.ones((3, 3), dtype=complex)), "dem", r"found dtype complex128"),
    ("npz-truncated", "d.npz", truncated_copy(npz(**GOOD_NPZ), 0.6), "dem", r"d\.npz: expected a NumPy \.npz archive; found BadZipFile"),
    ("npz-negative-shape", "d.npz", forged_npz((-1, 3)), "dem", r"d\.npz array 'elevation\.npy': expected a shape of sizes >= 0; found shape \(-1, 3\)"),
    ("npz-forged-header", "d.npz", forged_npz((2000, 3000)), "dem", r"array 'elevation\.npy': expected the 22\.9 MiB its header announces.*a stored array of .* bytes; the file is truncated or forged"),
    ("npz-inf-height", "d.npz", npz_with(elevation=np.array([[1, 2, 3], [4, np.inf, 6], [7, 8, 9]], np.float32)), "dem", r"d\.npz elevation\[1, 1\]: expected heights in metres within -12,000 \.\. 9,000 m.*found inf"),
    ("npz-height-1e30", "d.npz", npz_with(elevation=np.full((3, 3), 1e30, np.float32)), "dem", r"found 1\.0000000150474662e\+30 \(9 such values\).*nodata"),
    ("npz-nan-latitude", "d.npz", npz_with(lat=np.array([36.0, np.nan, 35.0])), "dem", r"d\.npz grid latitude\[1\]: expected a finite latitude"),
    ("npz-3d-elevation", "d.npz", npz_with(elevation=np.zeros((3, 3, 1))), "dem", r"d\.npz: expected elevation of shape \(len\(lat\), len\(lon\)\)"),
    ("npz-uneven-lat", "d.npz", npz_with(lat=np.array([36.0, 35.9, 35.0])), "dem", r"d\.npz lat: expected evenly spaced coordinates"),
    ("npz-lon-decreasing", "d.npz", npz_with(lon=np.array([75.0, 74.5, 74.0])), "dem", r"d\.npz lon: expected increasing longitudes"),
    ("dem-nul-in-path", "d.npz", lambda p: str(p) + "\x00", "dem", r"DEM path .*expected a path without NUL characters"),
    ("dem-path-number", "-", fixed(3.5), "dem", r"DEM path: expected a file path \(str or pathlib\.Path\); found float 3\.5"),
    ("dem-npz-fifo", "d.npz", lambda p: (os.mkfifo(p), p)[1], "dem", r"d\.npz: expected a regular DEM \.npz file; found a FIFO"),
    # GeoTIFF (DEM and population rasters) ----------------------------------------------
    ("tiff-text", "r.tif", "not a tiff at all", "tiff", r"r\.tif: expected a TIFF file \(starting with II\*\\0 or MM\\0\*\); found b'not '"),
    ("tiff-four-bytes", "r.tif", b"II*\x00", "tiff", r"r\.tif: expected a TIFF file; found 4 bytes"),
    ("tiff-bigtiff", "r.tif", b"II+\x00" + b"\x00" * 20, "tiff", r"expected a classic TIFF; found a BigTIFF"),
    ("tiff-ifd-beyond-end", "r.tif", tiff(ifd_offset=10_000), "tiff", r"r\.tif: expected a complete TIFF \(the image file directory needs bytes up to offset 10,002\)"),
    ("tiff-cut-in-directory", "r.tif", tiff(cut=40), "tiff", r"the directory of 13 tags needs bytes up to offset 166\); found a file of 40 bytes"),
    ("tiff-cut-after-pixels", "r.tif", tiff(cut=180), "tiff", r"tag 33550 \(3 values\) needs bytes up to offset 242\); found a file of 180 bytes"),
    ("tiff-strip-beyond-end", "r.tif", tiff(tags={279: (4, [10_000])}), "tiff", r"data block 0 needs bytes up to offset 10,170\); found a file of \d+ bytes; the file is truncated"),
    ("tiff-cut-in-tags", "r.tif", tiff(cut=250), "tiff", r"tag 33922 \(6 values\) needs bytes up to offset \d+\); found a file of 250 bytes"),
    ("tiff-no-width", "r.tif", tiff(drop=(256,)), "tiff", r"expected a TIFF with the tag ImageWidth \(256\)"),
    ("tiff-zero-height", "r.tif", tiff(tags={257: (3, [0])}), "tiff", r"expected tag ImageLength \(257\) >= 1; found 0"),
    ("tiff-strip-count", "r.tif", tiff(tags={278: (3, [1])}), "tiff", r"expected 3 data blocks \(offsets and byte counts\) for 4 x 3 pixels; found 1 offsets"),
    ("tiff-short-strip", "r.tif", tiff(tags={279: (4, [8])}), "tiff", r"expected 48 bytes of pixels in block 0; found 8"),
    ("tiff-no-georeference", "r.tif", tiff(drop=(33550, 33922)), "tiff", r"expected GeoTIFF georeference tags.*found none.*gdal_translate -a_srs EPSG:4326"),
    ("tiff-projected", "r.tif", tiff(tags={34735: (3, [1, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 32643])}), "tiff", r"expected geographic lat/lon coordinates \(EPSG:4326\); found a projected CRS; reproject: gdalwarp"),
    ("tiff-three-bands", "r.tif", tiff(tags={277: (3, [3])}), "tiff", r"expected a single-band raster; found 3 samples per pixel"),
    ("tiff-complex-samples", "r.tif", tiff(tags={339: (3, [6])}), "tiff", r"found format 6 with 32 bits"),
    ("tiff-lzw", "r.tif", tiff(tags={259: (3, [5])}), "tiff", r"found compression 5, predictor 1"),
    ("tiff-bad-deflate", "r.tif", tiff(data=b"\x78\x9c" + b"\xff" * 46, tags={259: (3, [8])}), "tiff", r"expected Deflate data in block 0"),
    ("tiff-zero-pixel-size", "r.tif", tiff(tags={33550: (12, [0.0, 0.5, 0.0])}), "tiff", r"expected a pixel size > 0 in longitude.*found 0 x 0\.5 degrees"),
    ("tiff-nan-pixel-size", "r.tif", tiff(tags={33550: (12, [float("nan"), 0.5, 0.0])}), "tiff", r"expected 2 finite numbers in the GeoTIFF tag ModelPixelScale; found \(nan, 0\.5\)"),
    ("tiff-short-tiepoint", "r.tif", tiff(tags={33922: (12, [0.0, 0.0])}), "tiff", r"expected 6 finite numbers in the GeoTIFF tag ModelTiepoint"),
    ("tiff-inf-pixel", "r.tif", tiff(np.array([[1, 2], [np.inf, 4]], np.float32)), "tiff", r"r\.tif pixel \[1, 0\]: expected finite values.*found inf \(1 such pixels\)"),
    ("tiff-lat-95", "r.tif", tiff(tags={33922: (12, [0.0, 0.0, 0.0, 74.0, 96.0, 0.0])}), "tiff", r"expected pixel centres in degrees of lat/lon; found lat 94\.75\.\.95\.75"),
    ("tiff-huge-header", "r.tif", tiff(tags={256: (4, [200_000]), 257: (4, [100_000])}), "tiff", r"expected a raster of at most 4\.0 GiB as float64; found 200,000 x 100,000 pixels \(149\.0 GiB\)"),
    ("tiff-dem-1e30", "r.tif", tiff(np.full((2, 2), 1e30, np.float32)), "dem", r"GeoTIFF .*r\.tif elevation\[0, 0\]: expected heights in metres"),
    ("tiff-nul-in-path", "r.tif", lambda p: str(p) + "\x00", "tiff", r"GeoTIFF path .*NUL"),
    ("tiff-urandom", "r.tif", symlink_to("/dev/urandom"), "tiff", r"r\.tif: expected a regular GeoTIFF; found a character device"),
    # population CSV readers ------------------------------------------------------------
    ("totals-missing-column", "t.csv", "adm1_name,people\nSindh,1\n", "totals", r"t\.csv:1: expected columns \['adm1_name', 'population'\]; found columns \['adm1_name', 'people'\]"),
    ("totals-empty", "t.csv", "", "totals", r"t\.csv:1: expected columns.*found an empty file"),
    ("totals-inf", "t.csv", TOTALS + "Sindh,inf\n", "totals", r"t\.csv:2: expected a number >= 0 in column 'population'; found 'inf'"),
    ("totals-nan", "t.csv", TOTALS + "Sindh,nan\n", "totals", r"t\.csv:2: .*found 'nan'"),
    ("totals-negative", "t.csv", TOTALS + "Sindh,-5\n", "totals", r"found '-5'"),
    ("totals-utf16", "t.csv", "\ufeffadm1_name,population\n".encode("utf-16-le"), "totals", r"t\.csv: expected a UTF-8 CSV file; found UTF-16"),
    ("settlements-nan-lat", "s.csv", SETTLEMENTS + "Gilgit,nan,74.3,100,GB\n", "settlements", r"s\.csv:2 latitude\[0\]: expected a finite latitude"),
    ("settlements-lon-letters", "s.csv", SETTLEMENTS + "Gilgit,35.9,east,100,GB\n", "settlements", r"s\.csv:2: expected a number in column 'lon'; found 'east'"),
    ("settlements-population-1e400", "s.csv", SETTLEMENTS + "Gilgit,35.9,74.3,1e400,GB\n", "settlements", r"s\.csv:2: expected a number >= 0 in column 'population'; found '1e400'"),
    ("points-lat-95", "p.csv", POINTS + "95,74,10\n", "points", r"p\.csv:2 latitude\[0\].*found 95\.0"),
    ("points-inf-population", "p.csv", POINTS + "35,74,Infinity\n", "points", r"p\.csv:2: expected a number >= 0 in column 'population'; found 'Infinity'"),
    ("points-nul-byte", "p.csv", POINTS + "35,74,10\n" * 500 + "35,7\x004,1\n", "points", r"p\.csv:502: expected a number in column 'lon'; found '7\\x004'"),
    ("points-binary", "p.csv", GARBAGE, "points", r"p\.csv: expected a UTF-8 text CSV file; found binary data"),
    ("points-folder", "p.csv", make_dir, "points", r"p\.csv: expected a CSV file; found a folder"),
]

# fmt: on
IDS = [c[0] for c in CASES]


def test_the_corpus_is_large_and_its_ids_distinct():
    assert len(CASES) >= 90
    assert len(set(IDS)) == len(IDS)
    assert {c[3] for c in CASES} == set(READERS)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_each_bad_input_gets_one_clear_line(case, tmp_path):
    _, name, content, reader, pattern = case
    path = tmp_path / name
    if callable(content):
        argument = content(path)
    else:
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        argument = path
    with pytest.raises(GridError) as info:
        READERS[reader](argument)
    message = str(info.value)
    assert "\n" not in message, message
    assert re.search(pattern, message), message
    if name != "-" and not callable(content):
        assert name in message, message
    assert info.value.__cause__ is None or isinstance(info.value.__cause__, GridError)


# --- odd but fine -------------------------------------------------------------------------

BOM = "\ufeff"

# fmt: off
ACCEPTED = [
    ("region-geojson-bom", "r.geojson", BOM + fc(feature(POLY, name="Box")), "region", lambda r: r.parts[0].district == "Box"),
    ("network-geojson-bom", "n.geojson", BOM + fc(feature(LINE, name="R")), "network", lambda n: n.routes[0].name == "R"),
    ("kml-bom", "n.kml", BOM + kml_line("74,35 75,36"), "network", lambda n: n.routes[0].lat_deg.tolist() == [35.0, 36.0]),
    ("csv-bom-excel", "n.csv", BOM + "Route, Lat ,LON\r\nR,35,74\r\nR,36,75\r\n", "network", lambda n: n.routes[0].lon_deg.tolist() == [74.0, 75.0]),
    ("totals-bom", "t.csv", BOM + TOTALS + "Sindh,55696147\n", "totals", lambda t: t == {"Sindh": 55696147.0}),
    ("points-bom", "p.csv", BOM + POINTS + "35.9,74.3,12\n", "points", lambda p: p[2].tolist() == [12.0]),
    ("npz-good", "d.npz", npz(**GOOD_NPZ), "dem", lambda d: abs(d.elevation_m(35.25, 74.25) - 100.0) < 1e-6),
    ("tiff-big-endian-deflate", "r.tif", tiff(order=">", deflate=True), "tiff", lambda r: r.values[2, 3] == 11.0 and r.lat_deg[0] == 35.75),
    ("geojson-null-geometry-skipped", "n.geojson", fc(feature(None, name="X"), feature(LINE, name="R")), "network", lambda n: [r.name for r in n.routes] == ["R"]),
    ("network-multipoint", "n.geojson", fc(feature({"type": "MultiPoint", "coordinates": [[74, 35], [75, 36]]}, name="P")), "network", lambda n: len(n.pops) == 2),
]


# fmt: on


@pytest.mark.parametrize("case", ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_odd_but_valid_inputs_are_read(case, tmp_path):
    _, name, content, reader, check = case
    path = tmp_path / name
    if callable(content):
        content(path)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    assert check(READERS[reader](path))


# --- through the command line: one line on stderr, exit status 2 -------------------------


def scenario_text(region: str, dem: str) -> str:
    """The bundled default scenario with another region and DEM (and a coarse grid)."""
    from hybridplan.coverage.scenario import default_scenario_text

    text = default_scenario_text()
    text = text.replace('names = ["Gilgit-Baltistan", "Azad Jammu and Kashmir"]', f"names = [{region!r}]")  # fmt: skip
    text = text.replace("resolution = 7", "resolution = 5")
    text = text.replace('dem = "bundled"', f"dem = {dem!r}")
    assert f"names = [{region!r}]" in text and f"dem = {dem!r}" in text
    return text


# (id, region, DEM, files to write {name: bytes or builder}, message pattern)
# fmt: off
CLI_CASES = [
    ("region-whole-earth", "earth.geojson", "bundled", {"earth.geojson": fc(feature({"type": "Polygon", "coordinates": [[[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]]})).encode()}, r"earth\.geojson: feature 0: expected ring edges spanning less than 180 degrees"),
    ("region-fifo", "pipe.geojson", "bundled", {"pipe.geojson": lambda p: os.mkfifo(p)}, r"pipe\.geojson: expected a regular GeoJSON file; found a FIFO"),
    ("dem-tiles-far-apart", "Hunza", "tiles", {"tiles": folder({"N20E040.hgt": H1, "N49E089.hgt": H1})}, r"read_hgt \(.*tiles\): expected a mosaic of at most 4\.0 GiB; found 2 tile\(s\).*72\.4 GiB"),
    ("dem-zip-bomb-member", "Hunza", "N36E074.hgt.zip", {"N36E074.hgt.zip": hgt_zip({"N36E074.hgt": bytes(8 * 2**20)})}, r"N36E074\.hgt\.zip member 'N36E074\.hgt': expected an SRTM tile.*found 8,388,608 bytes"),
    ("dem-npz-forged", "Hunza", "d.npz", {"d.npz": forged_npz((1_000_000, 1_000_000))}, r"d\.npz array 'elevation\.npy': expected at most 4\.0 GiB of heights"),
]
# fmt: on


@pytest.mark.parametrize("case", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_the_cli_prints_one_line_and_exits_2(case, tmp_path, capsys):
    from hybridplan.coverage.cli import main

    _, region, dem, files, pattern = case
    for name, content in files.items():
        if callable(content):
            content(tmp_path / name)
        else:
            (tmp_path / name).write_bytes(content)
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(scenario_text(region, dem), encoding="utf-8")
    status = main(["coverage", str(scenario), "--out", str(tmp_path / "out"), "--no-progress"])
    err = capsys.readouterr().err
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hybridplan: error: "), err
    assert "Traceback" not in err
    assert re.search(pattern, lines[0]), lines[0]


# --- property: any damage to a valid file gives the data or one GridError line ----------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SEEDS = {
    "a.tif": (tiff(), read_geotiff),
    "b.tif": (tiff(deflate=True, order=">"), read_geotiff),
    "c.tif": (tiff(np.arange(12, dtype=np.int16).reshape(3, 4)), read_geotiff),
    "d.npz": (npz(**GOOD_NPZ), load_dem),
    "N35E074.hgt.zip": (hgt_zip({"N35E074.hgt": hgt_bytes()}), load_dem),
    "r.geojson": (fc(feature(POLY, name="A")), load_region),
    "n.geojson": (fc(feature(LINE, name="R", status="planned")), load_network),
    "n.kml": (kml_line("74,35 75,36", status="existing"), load_network),
    "n.csv": ("route,lat,lon,status\nR,35,74,existing\nR,36,75,planned\n", load_network),
    "p.csv": (POINTS + "35,74,10\n", read_population_points),
}

edits = st.lists(
    st.tuples(
        st.sampled_from(["set", "cut", "insert", "delete"]),
        st.floats(0, 1, exclude_max=True),
        st.binary(min_size=1, max_size=8),
    ),
    min_size=1,
    max_size=4,
)


def damaged(raw: bytes, edit_list) -> bytes:
    data = bytearray(raw)
    for kind, where, payload in edit_list:
        i = int(where * len(data)) if data else 0
        if kind == "set" and data:
            data[i] = payload[0]
        elif kind == "cut":
            del data[i:]
        elif kind == "insert":
            data[i:i] = payload
        elif data:
            del data[i : i + len(payload)]
    return bytes(data)


@pytest.fixture(scope="module")
def seed_bytes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seeds")
    out = {}
    for name, (content, _) in SEEDS.items():
        path = folder / name
        if callable(content):
            content(path)
        else:
            path.write_text(content, encoding="utf-8")
        out[name] = path.read_bytes()
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(name=st.sampled_from(sorted(SEEDS)), edit_list=edits)
def test_damaged_files_give_the_data_or_one_grid_error_line(name, edit_list, seed_bytes, tmp_path):
    path = tmp_path / name
    path.write_bytes(damaged(seed_bytes[name], edit_list))
    try:
        SEEDS[name][1](path)
    except GridError as exc:
        assert "\n" not in str(exc) and str(exc)
