"""Constellation: OMM formats against TLE, filters, union and duplicates, shells, repr."""

import csv
import io
import json
from datetime import datetime, timezone

import numpy as np
import pytest
from hybridplan.tle import (
    Constellation,
    DuplicateSatellitesWarning,
    ElementSetError,
    TimeGrid,
    discover_shells,
    iter_chunks,
    load_constellation,
)
from sgp4.exporter import export_omm

START = datetime(2026, 5, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def starlink():
    return load_constellation("bundled:starlink")


@pytest.fixture(scope="module")
def oneweb20():
    return load_constellation("bundled:oneweb")[:20]


def _omm_dicts(constellation):
    return [export_omm(e.to_satrec(), e.name) for e in constellation.element_sets]


def _xml(records):
    segments = []
    for r in records:
        meta = "".join(f"<{k}>{r[k]}</{k}>" for k in ("OBJECT_NAME", "OBJECT_ID"))
        data = "".join(f"<{k}>{v}</{k}>" for k, v in r.items()
                       if k not in ("OBJECT_NAME", "OBJECT_ID"))
        segments.append(f"<segment><metadata>{meta}</metadata><data><meanElements>{data}"
                        "</meanElements></data></segment>")
    return f"<ndm><omm><body>{''.join(segments)}</body></omm></ndm>"


def _csv(records):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["json", "csv", "xml"])
def test_omm_formats_propagate_like_the_tle_they_came_from(tmp_path, oneweb20, fmt):
    records = _omm_dicts(oneweb20)
    text = {"json": lambda: json.dumps(records), "csv": lambda: _csv(records),
            "xml": lambda: _xml(records)}[fmt]()
    path = tmp_path / f"gp.{fmt}"
    path.write_text(text)
    omm = Constellation.from_path(path)
    assert omm.report.n_dropped == 0
    np.testing.assert_array_equal(omm.norad_ids, oneweb20.norad_ids)
    assert list(omm.names) == list(oneweb20.names)
    grid = TimeGrid(START, 86400, 3600)
    a = np.concatenate([c.positions_itrs_km for c in iter_chunks(oneweb20.element_sets, grid)], 1)
    b = np.concatenate([c.positions_itrs_km for c in iter_chunks(omm.element_sets, grid)], 1)
    # export_omm prints the epoch to the microsecond: 7.3 km/s x 0.5 us < 1 cm.
    assert np.abs(a - b).max() < 1e-3


def test_from_omm_accepts_dicts_and_gzip_is_transparent(tmp_path, oneweb20):
    assert len(Constellation.from_omm(_omm_dicts(oneweb20))) == 20
    import gzip
    path = tmp_path / "oneweb.tle.gz"
    path.write_bytes(gzip.compress("\n".join(oneweb20.to_tle_lines()).encode()))
    assert len(Constellation.from_path(path)) == 20


def test_duplicate_norad_ids_keep_the_newest_epoch_and_are_reported():
    lines = load_constellation("bundled:iridium-next").to_tle_lines()[:6]
    older_line1 = lines[1][:18] + "26140.00000000" + lines[1][32:]
    from hybridplan.tle.tle_text import checksum
    older_line1 = older_line1[:68] + str(checksum(older_line1))
    c = Constellation.from_tle_lines([lines[0] + " OLD", older_line1, lines[2]] + lines,
                                     source="dups.tle")
    assert len(c) == 2
    assert c.names[0] == lines[0]  # the newer one
    assert len(c.report.duplicates) == 1 and "dups.tle:2: NORAD 41917 (IRIDIUM 106 OLD) repeats" in c.report.duplicates[0]
    assert "1 duplicate NORAD ids resolved" in c.report.summary()


def test_filters(starlink):
    raised = starlink.select(altitude_km=(520, 580))
    assert 0 < len(raised) < len(starlink)
    assert raised.mean_altitude_km.min() >= 520 and raised.mean_altitude_km.max() <= 580
    polar = starlink.select(inclination_deg=(97, 98))
    assert np.all((polar.inclination_deg >= 97) & (polar.inclination_deg <= 98))
    named = starlink.select(name=r"STARLINK-3\d{3}$")
    assert len(named) > 0 and all(n.startswith("STARLINK-3") for n in named.names)
    fresh = starlink.select(max_epoch_age_days=0.5, at_utc=datetime(2026, 5, 30, 12, tzinfo=timezone.utc))
    age = np.abs(fresh.epochs_jd_utc - 2461191.0)
    assert len(fresh) > 0 and age.max() <= 0.5
    with pytest.raises(ElementSetError, match="needs at_utc"):
        starlink.select(max_epoch_age_days=1)
    with pytest.raises(ElementSetError, match=r"band \(600.0, 500.0\) has low > high"):
        starlink.select(altitude_km=(600, 500))
    with pytest.raises(ElementSetError, match="not a valid regular expression"):
        starlink.select(name="(")


def test_union_and_repr():
    geo = load_constellation("bundled:geo")
    paksat = geo.select(name="PAKSAT")
    assert sorted(paksat.norad_ids) == [37779, 59915]
    both = paksat | geo[:5]
    assert len(both) == 7 and both.label == "geo+geo"
    with pytest.warns(DuplicateSatellitesWarning,
                      match=r"dropped 2 of 4 element sets .*\(2 identical copies, 0 older"):
        twice = paksat | paksat
    assert len(twice) == 2 and len(twice.report.duplicates) == 2
    text = repr(paksat)
    assert text.startswith("Constellation('geo', 2 satellites, epochs 2026-05-30T12:")
    assert "inclination" in text and "km" in text


def test_paksat_sits_at_38_east(timescale=None):
    paksat = load_constellation("bundled:geo").select(name="PAKSAT-MM1")
    chunk = next(iter_chunks(paksat.element_sets, TimeGrid(START, 86400, 3600)))
    x, y, z = chunk.positions_itrs_km[0].T
    longitude = np.degrees(np.arctan2(y, x))
    assert np.abs(longitude - 38.2).max() < 0.1 and np.abs(z).max() < 100


def test_discovers_the_main_starlink_shells(starlink):
    shells, unassigned = discover_shells(starlink)
    big = [s for s in shells if s.n_satellites >= 400]
    inclinations = sorted(round(s.inclination_deg) for s in big)
    assert {43, 53, 70, 97} <= set(inclinations)
    shell_70 = next(s for s in big if round(s.inclination_deg) == 70)
    assert 560 < shell_70.altitude_km < 580 and 30 <= shell_70.n_planes <= 40
    assert sum(s.n_satellites for s in shells) + len(unassigned) == len(starlink)


def test_discovers_planes_of_oneweb_and_iridium():
    (oneweb, *_), _ = discover_shells(load_constellation("bundled:oneweb"))
    assert round(oneweb.inclination_deg, 1) == 87.9 and oneweb.n_planes == 12
    iridium, _ = discover_shells(load_constellation("bundled:iridium-next"))
    assert iridium[0].n_planes == 6  # Iridium's six planes at 86.4 deg


def test_walker_shell_is_rediscovered_exactly():
    from hybridplan.tle import WalkerShell
    c = Constellation.from_walker(WalkerShell("w", 700, 60, 15, 8, 2), START)
    (shell,), unassigned = discover_shells(c)
    assert (shell.n_planes, shell.sats_per_plane, shell.n_satellites) == (15, 8, 120)
    assert len(unassigned) == 0 and abs(shell.altitude_km - 700) < 1e-6


def test_a_union_of_data_counts_older_epochs_and_renamed_objects_separately():
    from hybridplan.tle.tle_text import checksum
    lines = load_constellation("bundled:iridium-next").to_tle_lines()[:6]

    def older(line1):
        line1 = line1[:18] + "26140.00000000" + line1[32:]
        return line1[:68] + str(checksum(line1))

    new = Constellation.from_tle_lines(lines, label="new")
    old = Constellation.from_tle_lines([lines[0], older(lines[1]), lines[2],
                                        "NOT IRIDIUM", older(lines[4]), lines[5]], label="old")
    with pytest.warns(DuplicateSatellitesWarning,
                      match=r"union 'new\+old': dropped 2 of 4 element sets that repeat a NORAD "
                            r"id \(0 identical copies, 1 older epochs of the same satellite, 1 "
                            r"under another name \(different objects with one id\?"):
        both = new | old
    assert both.names.tolist() == new.names.tolist()  # the newer epochs are kept
    assert len(both.report.duplicates) == 2
