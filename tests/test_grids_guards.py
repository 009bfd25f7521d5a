"""Size guards refuse blow-ups before the memory is spent; probably-wrong networks warn.

Blow-ups (``BLOWUPS``) run in one child process with its address space capped at 2 GiB
(so a guard that regressed fails with MemoryError instead of exhausting the machine) and
a timeout (so a FIFO that blocks fails instead of hanging).  The child reports, per case,
the error, the seconds taken and its peak resident memory so far (``VmHWM``: the
peak of every case up to that one; not ``ru_maxrss``, which a child inherits from a big
parent across fork and exec).  Each must be refused by a GridError within
:data:`SECONDS` and under :data:`PEAK_MB`.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap
import warnings
import zipfile

import h3
import numpy as np
import pytest
import shapely
from hybridplan.grids import (
    DEMError,
    GridError,
    GridWarning,
    NetworkPlacementWarning,
    build_grid,
    fiber_reach,
    hexgrid,
    load_dem,
    load_network,
    load_region,
    read_geotiff,
    read_hgt,
)
from hybridplan.grids._geo import great_circle_km
from hybridplan.grids.regions import Region, RegionPart

SECONDS = 5.0
PEAK_MB = 500.0
H1 = 2 * 3601 * 3601  # bytes of a 1" SRTM tile
H3 = 2 * 1201 * 1201  # bytes of a 3" SRTM tile


def sparse(path, size):
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def zip_bomb(path, member="N35E074.hgt", inflated=256 * 2**20, forge_size=None):
    """A zip whose member inflates to ``inflated`` bytes of zeros (~250 KiB on disk);
    ``forge_size`` rewrites the sizes in both headers to that value."""
    chunk = bytes(2**20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(member, "w") as fh:
            for _ in range(inflated // len(chunk)):
                fh.write(chunk)
    if forge_size is not None:
        data = bytearray(path.read_bytes())
        struct.pack_into("<I", data, 22, forge_size)  # local header: uncompressed size
        central = data.rindex(b"PK\x01\x02")
        struct.pack_into("<I", data, central + 24, forge_size)
        path.write_bytes(bytes(data))
    return path


def forged_npz(path, shape):
    """An .npz whose elevation header announces ``shape`` (float32) over 16 bytes."""
    header = repr({"descr": "<f4", "fortran_order": False, "shape": shape}).encode()
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "elevation.npy",
            b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + bytes(16),
        )
        for key, values in (("lat", [36.0, 35.0]), ("lon", [74.0, 75.0])):
            with archive.open(f"{key}.npy", "w") as fh:
                np.lib.format.write_array(fh, np.array(values))
    return path


def polygon_file(path, ring):
    geometry = {"type": "Polygon", "coordinates": [ring]}
    path.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": geometry}))
    return path


WHOLE_EARTH = [[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]
WHOLE_EARTH_DENSE = [
    [-180, -90], [0, -90], [180, -90], [180, 0], [180, 90], [0, 90], [-180, 90], [-180, 0],
    [-180, -90],
]  # fmt: skip
GLOBE_BAND = [
    [-180, -89], [-90, -89], [0, -89], [90, -89], [180, -89], [180, 89], [90, 89], [0, 89],
    [-90, 89], [-180, 89], [-180, -89],
]  # fmt: skip
DIAGONAL_STRIP = [[60, 24], [77, 37], [77, 37.01], [60, 24.01], [60, 24]]


def prepare(tmp):
    """Make the inputs of the blow-ups in ``tmp``; returns {name: path}."""
    p = {}
    p["earth"] = polygon_file(tmp / "earth.geojson", WHOLE_EARTH)
    p["earth_dense"] = polygon_file(tmp / "earth_dense.geojson", WHOLE_EARTH_DENSE)
    p["band"] = polygon_file(tmp / "band.geojson", GLOBE_BAND)
    p["strip"] = polygon_file(tmp / "strip.geojson", DIAGONAL_STRIP)
    far = tmp / "far_tiles"
    far.mkdir()
    sparse(far / "N20E040.hgt", H1)
    sparse(far / "N49E089.hgt", H1)
    p["far"] = far
    p["bomb"] = zip_bomb(tmp / "N35E074.hgt.zip")
    (tmp / "forged").mkdir()
    p["bomb_forged"] = zip_bomb(tmp / "forged" / "N35E074.hgt.zip", forge_size=H3)
    p["npz_huge"] = forged_npz(tmp / "huge.npz", (1_000_000, 1_000_000))
    p["npz_big"] = forged_npz(tmp / "big.npz", (20_000, 20_000))
    for name, target in (
        ("zero_geojson", "/dev/zero"),
        ("urandom_network", "/dev/urandom"),
        ("zero_hgt", "/dev/zero"),
        ("zero_tif", "/dev/zero"),
        ("zero_npz", "/dev/zero"),
    ):
        suffix = {"geojson": ".geojson", "network": ".geojson", "hgt": ".hgt", "tif": ".tif",
                  "npz": ".npz"}[name.split("_")[1]]  # fmt: skip
        stem = "N35E074" if suffix == ".hgt" else name
        link = tmp / name
        link.mkdir()
        os.symlink(target, link / f"{stem}{suffix}")
        p[name] = link / f"{stem}{suffix}"
    (tmp / "fifo").mkdir()
    for suffix in (".geojson", ".kml", ".hgt", ".tif"):
        stem = "N35E074" if suffix == ".hgt" else "pipe"
        os.mkfifo(tmp / "fifo" / f"{stem}{suffix}")
        p[f"fifo{suffix}"] = tmp / "fifo" / f"{stem}{suffix}"
    p["huge_text"] = sparse(tmp / "huge.geojson", 3 * 2**30)
    huge_tif = bytearray(b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 2))
    huge_tif += struct.pack("<HHII", 256, 4, 1, 300_000) + struct.pack("<HHII", 257, 4, 1, 300_000)
    huge_tif += bytes(4)
    (tmp / "huge.tif").write_bytes(bytes(huge_tif))
    p["huge_tif"] = tmp / "huge.tif"
    return p


# (id, call made in the child with `p` the prepared paths, message pattern)
BLOWUPS = [
    ("whole-earth-box", "load_region(p['earth'])", r"ring edges spanning less than 180 degrees"),
    ("whole-earth-densified", "build_grid(p['earth_dense'], 7)", r"from lon -180 to 0"),
    ("globe-band-res7", "build_grid(p['band'], 7)", r"at most 2,000,000 cells.*about 9[0-9],[0-9,]+ cells"),
    ("national-res9", "build_grid('Pakistan', 9)", r"about 8,3\d\d,\d\d\d cells.*~4\.\d GiB to build\); choose a coarser resolution, 8 or below \(about 1,1\d\d,\d\d\d cells\)"),
    ("dem-tiles-far-apart", "read_hgt(p['far'])", r"2 tile\(s\) spanning lat 20\.\.50, lon 40\.\.90: 72\.4 GiB for 108,001 x 180,001 points, 2 of 1,500 one-degree slots filled"),
    ("zip-bomb", "load_dem(p['bomb'])", r"member 'N35E074\.hgt': expected an SRTM tile of 2,884,802 bytes.*found 268,435,456 bytes"),
    ("zip-bomb-forged-size", "load_dem(p['bomb_forged'])", r"N35E074\.hgt\.zip member 'N35E074\.hgt': expected a readable SRTM tile; found BadZipFile: Bad CRC-32|expected 2,884,802 bytes of heights"),
    ("npz-forged-huge", "load_dem(p['npz_huge'])", r"expected at most 4\.0 GiB of heights; found shape \(1000000, 1000000\) of float32 \(3\.6 TiB\)"),
    ("npz-forged-under-limit", "load_dem(p['npz_big'])", r"expected the 1\.5 GiB its header announces.*truncated or forged"),
    ("dev-zero-region", "load_region(p['zero_geojson'])", r"expected a regular GeoJSON file; found a character device"),
    ("dev-zero-region-by-name", "load_region('/dev/zero')", r"/dev/zero: expected a regular GeoJSON file; found a character device"),
    ("dev-urandom-network", "load_network(p['urandom_network'])", r"expected a regular network file; found a character device"),
    ("dev-zero-hgt", "load_dem(p['zero_hgt'])", r"N35E074\.hgt: expected a regular SRTM tile; found a character device"),
    ("dev-zero-tif", "load_dem(p['zero_tif'])", r"expected a regular GeoTIFF; found a character device"),
    ("dev-zero-npz", "load_dem(p['zero_npz'])", r"expected a regular DEM \.npz file; found a character device"),
    ("fifo-region", "load_region(p['fifo.geojson'])", r"pipe\.geojson: expected a regular GeoJSON file; found a FIFO"),
    ("fifo-kml", "load_network(p['fifo.kml'])", r"pipe\.kml: expected a regular network file; found a FIFO"),
    ("fifo-hgt", "read_hgt(p['fifo.hgt'].parent)", r"N35E074\.hgt: expected a regular SRTM tile; found a FIFO"),
    ("fifo-tif", "read_geotiff(p['fifo.tif'])", r"pipe\.tif: expected a regular GeoTIFF; found a FIFO"),
    ("huge-text-file", "load_region(p['huge_text'])", r"huge\.geojson: expected a GeoJSON file of at most 256\.0 MiB; found 3\.0 GiB"),
    ("tiff-forged-size", "read_geotiff(p['huge_tif'])", r"found 300,000 x 300,000 pixels \(670\.6 GiB\)"),
]  # fmt: skip

# Work that must succeed within the same limits: (id, call, check of the result)
BOUNDED = [
    # 17 x 13 degrees of bounding box for ~1,800 km2: h3 alone allocates ~700 MB here
    ("diagonal-strip-res9", "build_grid(p['strip'], 9).sizes['cell']", lambda n: 14_000 < n < 20_000),
]  # fmt: skip

CHILD = textwrap.dedent(
    """
    import json, resource, sys, time, tracemalloc
    from pathlib import Path
    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))
    sys.path.insert(0, sys.argv[1])
    from test_grids_guards import BLOWUPS, BOUNDED, prepare
    from hybridplan.grids import (GridError, build_grid, load_dem, load_network, load_region,
                                  read_geotiff, read_hgt)
    p = prepare(Path(sys.argv[2]))
    build_grid(load_region("Hunza"), 5)  # first parse of the bundled data is not a guard

    def peak_mb():
        # VmHWM: this process image's own peak (ru_maxrss carries the parent's size
        # across fork + exec, so a big pytest process would inflate it)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    base_mb = peak_mb()
    tracemalloc.start()
    for case_id, call, _ in BLOWUPS + BOUNDED:
        tracemalloc.reset_peak()
        start = time.perf_counter()
        try:
            value = eval(call)
            error, message = None, repr(value)
        except GridError as exc:
            error, message = type(exc).__name__, str(exc)
        except BaseException as exc:
            error, message = "ESCAPED " + type(exc).__name__, str(exc)[:300]
        seconds = time.perf_counter() - start
        print(json.dumps({
            "id": case_id, "error": error, "message": message, "seconds": seconds,
            "maxrss_mb": peak_mb(),
            "base_mb": base_mb,
            "traced_peak_mb": tracemalloc.get_traced_memory()[1] / 2**20,
        }), flush=True)
    """
)


@pytest.fixture(scope="module")
def blowups(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("blowups")
    env = {**os.environ, "PYTHONSAFEPATH": "1", "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, os.path.dirname(__file__), str(tmp)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp,
        env=env,
    )
    results = {}
    for line in done.stdout.splitlines():
        row = json.loads(line)
        results[row["id"]] = row
    assert len(results) == len(BLOWUPS) + len(BOUNDED), done.stderr[-2000:]
    return results


@pytest.mark.parametrize("case", BLOWUPS, ids=[c[0] for c in BLOWUPS])
def test_each_blowup_is_refused_fast_and_small(case, blowups):
    import re

    case_id, _, pattern = case
    row = blowups[case_id]
    assert row["error"] is not None and not row["error"].startswith("ESCAPED"), row
    assert re.search(pattern, row["message"]), row["message"]
    assert "\n" not in row["message"]
    assert row["seconds"] < SECONDS, row
    # the process's peak over its start-up level (imports and the bundled catalogue)
    assert row["maxrss_mb"] - row["base_mb"] < PEAK_MB, row
    assert row["maxrss_mb"] < PEAK_MB + 300, row
    assert row["traced_peak_mb"] < 100, row  # nothing large was allocated by Python/numpy


@pytest.mark.parametrize("case", BOUNDED, ids=[c[0] for c in BOUNDED])
def test_bounded_work_succeeds_under_the_same_limits(case, blowups):
    case_id, _, check = case
    row = blowups[case_id]
    assert row["error"] is None, row
    assert check(eval(row["message"])), row
    # the process's peak over its start-up level (imports and the bundled catalogue)
    assert row["maxrss_mb"] - row["base_mb"] < PEAK_MB, row
    assert row["maxrss_mb"] < PEAK_MB + 300, row


# --- the guards' numbers and keywords -------------------------------------------------


def test_build_grid_names_the_finest_resolution_that_fits():
    region = load_region("Hunza")
    area_km2 = region.area_km2
    expected = {r: area_km2 / h3.average_hexagon_area(r, unit="km^2") for r in range(16)}
    limit = 5_000
    finest = max(r for r, n in expected.items() if n <= limit)
    assert expected[finest + 1] > limit  # independent of the code under test
    with pytest.raises(GridError, match=rf"coarser resolution, {finest} or below \(about {expected[finest]:,.0f} cells\)"):  # fmt: skip
        build_grid(region, finest + 1, max_cells=limit)
    grid = build_grid(region, finest, max_cells=limit)
    # the estimate is the area over the mean cell area: within 35 % of the real count here
    assert grid.sizes["cell"] == pytest.approx(expected[finest], rel=0.35)
    with pytest.raises(GridError, match=r"max_cells=...\): expected an integer >= 1; found 0"):
        build_grid(region, 3, max_cells=0)


def test_long_diagonal_region_filled_in_pieces_gives_h3s_cells(monkeypatch):
    """Pieces partition the outline in lon/lat, so the union is h3's own fill."""
    strip = shapely.Polygon(DIAGONAL_STRIP)
    regions = [
        (load_region("Gilgit-Baltistan"), 6),
        (load_region("Hunza"), 8),
        (Region("strip", strip, (RegionPart("strip", "strip", strip),), "test"), 7),
    ]
    for region, resolution in regions:
        whole = set(h3.h3shape_to_cells(h3.geo_to_h3shape(region.geometry.__geo_interface__), resolution))  # fmt: skip
        monkeypatch.setattr(hexgrid, "_H3_PIECE_BYTES", 2e5)
        pieces = hexgrid._fill(region, resolution)
        monkeypatch.undo()
        assert {h3.int_to_str(c) for c in pieces} == whole


def test_hgt_mosaic_limit_is_a_keyword_and_counts_float32_points(tmp_path):
    for name in ("N35E074.hgt", "N35E075.hgt"):
        (tmp_path / name).write_bytes(np.full((1201, 1201), 1500, dtype=">i2").tobytes())
    nbytes = 4 * 1201 * (2 * 1200 + 1)
    with pytest.raises(DEMError, match=rf"{nbytes / 2**20:.1f} MiB for 1,201 x 2,401 points"):
        read_hgt(tmp_path, max_bytes=nbytes - 1)
    dem = read_hgt(tmp_path, max_bytes=nbytes)
    assert dem.shape == (1201, 2401) and dem.elevation.nbytes == nbytes
    assert float(dem.elevation_m(35.5, 75.5)) == pytest.approx(1500.0)


def test_npz_and_geotiff_limits_are_keywords(tmp_path):
    """The .npz limit applies to the file and to the arrays its headers announce."""
    lat, lon = np.linspace(36, 35, 400), np.linspace(74, 75, 500)
    np.savez_compressed(tmp_path / "d.npz", elevation=np.zeros((400, 500), np.float32),
                        lat=lat, lon=lon)  # fmt: skip
    assert (tmp_path / "d.npz").stat().st_size < 20_000  # 800 kB of heights, compressed
    with pytest.raises(DEMError, match=r"d\.npz: expected a DEM \.npz file of at most 1000 bytes"):
        load_dem(tmp_path / "d.npz", max_bytes=1000)
    left = (100_000 - lat.nbytes - lon.nbytes) / 2**10
    with pytest.raises(DEMError, match=rf"array 'elevation\.npy': expected at most {left:.1f} KiB"):
        load_dem(tmp_path / "d.npz", max_bytes=100_000)
    assert load_dem(tmp_path / "d.npz", max_bytes=808_000).shape == (400, 500)
    tif = tmp_path / "r.tif"
    tif.write_bytes(b"II*\x00" + struct.pack("<IH", 8, 2) + struct.pack("<HHII", 256, 4, 1, 10)
                    + struct.pack("<HHII", 257, 4, 1, 10) + bytes(4))  # fmt: skip
    with pytest.raises(GridError, match=r"at most 799 bytes as float64; found 10 x 10 pixels"):
        read_geotiff(tif, max_bytes=799)


def test_text_limit_is_a_keyword(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("route,lat,lon\nR,35,74\nR,36,75\n")
    with pytest.raises(GridError, match=r"n\.csv: expected a network file of at most 10 bytes"):
        load_network(path, max_bytes=10)
    assert len(load_network(path, max_bytes=100).routes) == 1


# --- probably wrong networks: NetworkPlacementWarning ----------------------------------

GILGIT_SKARDU = [(35.92, 74.31), (35.75, 74.95), (35.30, 75.63)]  # (lat, lon) waypoints


def csv_network(path, rows):
    path.write_text("route,lat,lon\n" + "".join(f"{r},{a},{b}\n" for r, a, b in rows))
    return path


@pytest.fixture(scope="module")
def gb_grid():
    return build_grid("Gilgit-Baltistan", 5)


def placement_warning(grid, network):
    with pytest.warns(NetworkPlacementWarning) as record:
        fiber_reach(grid, network)
    assert len(record) == 1
    return str(record[0].message)


def test_swapped_lat_lon_is_flagged_with_the_distance_and_the_cause(tmp_path, gb_grid):
    rows = [("KKH", lon, lat) for lat, lon in GILGIT_SKARDU]  # columns swapped
    network = load_network(csv_network(tmp_path / "n.csv", rows))
    message = placement_warning(gb_grid, network)
    # independent nearest distance: brute force over the densified points and cell centres
    from hybridplan.grids.placement import _points

    lat, lon, _ = _points(network)
    brute = great_circle_km(lat[:, None], lon[:, None], gb_grid["lat"].values[None, :],
                            gb_grid["lon"].values[None, :]).min()  # fmt: skip
    n = lat.size
    assert f"all {n:,} points outside it, the nearest {brute:,.0f} km away" in message
    assert "likely latitude and longitude swapped" in message
    assert "n.csv" in message and "\n" not in message


def test_lost_longitude_sign_and_another_area_are_named(tmp_path, gb_grid):
    west = [("KKH", lat, -lon) for lat, lon in GILGIT_SKARDU]
    message = placement_warning(gb_grid, load_network(csv_network(tmp_path / "w.csv", west)))
    assert "likely longitude sign lost (east/west)" in message
    brazil = [("BR", -15.8, -47.9), ("BR", -23.5, -46.6)]
    message = placement_warning(gb_grid, load_network(csv_network(tmp_path / "b.csv", brazil)))
    assert "probably for another area" in message


def test_routes_wholly_outside_the_region_are_counted_and_named(tmp_path):
    rows = [("KKH", lat, lon) for lat, lon in GILGIT_SKARDU]
    rows += [("Karachi-Hyderabad", 24.86, 67.01), ("Karachi-Hyderabad", 25.39, 68.37)]
    rows += [("Lahore PoP", 31.55, 74.34)]
    path = csv_network(tmp_path / "n.csv", rows)
    with pytest.warns(NetworkPlacementWarning) as record:
        load_network(path, region=load_region("Gilgit-Baltistan"))
    message = str(record[0].message)
    assert "1 of 2 routes and 1 of 1 PoPs wholly outside it ('Karachi-Hyderabad', 'Lahore PoP')" in message  # fmt: skip
    assert issubclass(NetworkPlacementWarning, GridWarning)
    assert issubclass(GridWarning, UserWarning)


def test_a_network_inside_the_region_gives_no_warning(tmp_path, gb_grid):
    rows = [("KKH", lat, lon) for lat, lon in GILGIT_SKARDU]
    path = csv_network(tmp_path / "n.csv", rows)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GridWarning)
        network = load_network(path, region=load_region("Gilgit-Baltistan"))
        out = fiber_reach(gb_grid, network)
        fiber_reach(gb_grid)  # the bundled network
    assert float(np.nanmin(out["fiber_distance_km"].values)) == 0.0


@pytest.mark.parametrize("piece_cells", [300, 2_000, 8_192])
def test_outline_of_many_vertices_filled_in_pieces_gives_h3s_cells(monkeypatch, piece_cells):
    """Hunza (1,163 vertices) at res 8 is cut for speed; the pieces' union is h3's fill."""
    region = load_region("Hunza")
    whole = set(h3.h3shape_to_cells(h3.geo_to_h3shape(region.geometry.__geo_interface__), 8))
    calls = []
    fill = hexgrid.h3_int.h3shape_to_cells
    monkeypatch.setattr(hexgrid, "H3_PIECE_BBOX_CELLS", piece_cells)
    monkeypatch.setattr(hexgrid.h3_int, "h3shape_to_cells", lambda *a: calls.append(1) or fill(*a))
    pieces = hexgrid._fill(region, 8)
    monkeypatch.undo()
    assert len(calls) > 1  # it was cut
    assert {h3.int_to_str(c) for c in pieces} == whole and len(whole) == 13_416
