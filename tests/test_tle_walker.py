"""Walker shells: requested altitude, inclination, RAAN spacing and phasing, measured on the
propagated SGP4 orbits (orbit-averaged, so J2 short-period terms cancel); TLE round trip."""

from datetime import datetime, timezone

import numpy as np
import pytest
from hybridplan.tle import (
    EARTH_EQUATORIAL_RADIUS_KM,
    WALKER_PRESETS,
    Constellation,
    DuplicateSatellitesWarning,
    WalkerError,
    WalkerShell,
    discover_shells,
    preferred_first_id,
    preset_constellation,
)

EPOCH = datetime(2026, 5, 30, tzinfo=timezone.utc)
SHELLS = [
    WalkerShell("gen1-s1", 550, 53.0, 72, 22, 17),
    WalkerShell("polar-star", 1200, 87.9, 12, 49, 1, pattern="star"),
    WalkerShell("kuiper-630", 630, 51.9, 34, 34, 1),
    WalkerShell("odd", 800, 98.6, 7, 5, 3, raan0_deg=20.0),
]


def _one_orbit(constellation: Constellation, samples: int = 720):
    """TEME positions and velocities over one period from the common epoch."""
    first = constellation.element_sets[0].to_satrec()
    minutes = np.linspace(0.0, 2 * np.pi / first.no_kozai, samples, endpoint=False)
    jd = first.jdsatepoch + first.jdsatepochF + minutes / 1440.0
    errors, r, v = constellation.satrec_array.sgp4(np.floor(jd), jd - np.floor(jd))
    assert not errors.any()
    return r, v


def _circular_mean_deg(angles_deg, axis):
    return np.degrees(np.angle(np.exp(1j * np.radians(angles_deg)).mean(axis=axis)))


def _wrap(x):
    return (x + 180.0) % 360.0 - 180.0


@pytest.mark.parametrize("shell", SHELLS, ids=lambda s: s.name)
def test_walker_orbits_have_the_requested_geometry(shell):
    c = Constellation.from_walker(shell, EPOCH)
    assert len(c) == shell.planes * shell.sats_per_plane
    r, v = _one_orbit(c)
    altitude_km = np.linalg.norm(r, axis=2).mean(axis=1) - EARTH_EQUATORIAL_RADIUS_KM
    assert np.abs(altitude_km - shell.altitude_km).max() < 0.05  # issue asks 1 km; we hold 50 m
    h = np.cross(r, v)
    h_unit = h / np.linalg.norm(h, axis=2)[..., None]
    inclination = np.degrees(np.arccos(h_unit[..., 2])).mean(axis=1)
    assert np.abs(inclination - shell.inclination_deg).max() < 0.01
    raan = np.degrees(np.arctan2(h[..., 0], -h[..., 1]))
    node = np.stack([np.cos(np.radians(raan)), np.sin(np.radians(raan)), np.zeros_like(raan)], -1)
    u = np.degrees(np.arctan2(np.einsum("stj,stj->st", np.cross(node, r), h_unit),
                              np.einsum("stj,stj->st", node, r)))
    plane = np.repeat(np.arange(shell.planes), shell.sats_per_plane)
    slot = np.tile(np.arange(shell.sats_per_plane), shell.planes)
    raan_offset = _circular_mean_deg(raan - raan[0], axis=1)
    expected_raan = plane * shell.spread_deg / shell.planes
    assert np.abs(_wrap(raan_offset - expected_raan)).max() < 0.01
    phase_offset = _circular_mean_deg(u - u[0], axis=1)
    expected_phase = (slot * 360.0 / shell.sats_per_plane
                      + plane * shell.phasing * 360.0 / shell.n_satellites)
    assert np.abs(_wrap(phase_offset - expected_phase)).max() < 0.01
    assert np.allclose(c.mean_altitude_km, shell.altitude_km, atol=1e-6)


def test_written_tles_read_back_to_the_same_elements_and_orbits():
    c = Constellation.from_walker(SHELLS[3], EPOCH)
    back = Constellation.from_tle_lines(c.to_tle_lines(), label="back")
    assert back.report.n_dropped == 0 and len(back) == len(c)
    np.testing.assert_array_equal(back.norad_ids, c.norad_ids)
    np.testing.assert_allclose(back.inclination_deg, c.inclination_deg, atol=5e-5)
    np.testing.assert_allclose(_wrap(back.raan_deg - c.raan_deg), 0, atol=5e-5)
    np.testing.assert_allclose(_wrap(back.mean_anomaly_deg - c.mean_anomaly_deg), 0, atol=5e-5)
    np.testing.assert_allclose(back.mean_motion_rev_per_day, c.mean_motion_rev_per_day,
                               rtol=1e-9)
    np.testing.assert_allclose(back.epochs_jd_utc, c.epochs_jd_utc, atol=1e-8)
    # TLE columns round angles to 1e-4 deg: a few metres at 800 km altitude.
    ra, _ = _one_orbit(c, 16)
    rb, _ = _one_orbit(back, 16)
    assert np.abs(ra - rb).max() < 0.02


def test_presets_carry_sources_and_sizes():
    kuiper = preset_constellation("kuiper", EPOCH)
    assert len(kuiper) == 3236  # FCC 20-102: 1156 + 1296 + 784
    assert len(set(kuiper.norad_ids)) == len(kuiper)
    assert len(preset_constellation("starlink-gen1", EPOCH)) == 4408
    for shells in WALKER_PRESETS.values():
        for shell in shells:
            assert shell.source
    assert all(s.approximate for s in WALKER_PRESETS["qianfan-phase1"])
    assert not any(s.approximate for s in WALKER_PRESETS["kuiper"])


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(altitude_km=-5), r"altitude_km = -5 km; expected 160..40000"),
    (dict(inclination_deg=181), r"inclination_deg = 181 deg; expected 0..180"),
    (dict(planes=0), r"planes = 0; expected a whole number >= 1"),
    (dict(sats_per_plane=2.5), r"sats_per_plane = 2.5"),
    (dict(phasing=12), r"phasing = F = 12; expected a whole number 0 <= F < planes \(12\)"),
    (dict(pattern="rosette"), r"pattern = 'rosette'; expected 'delta' or 'star'"),
    (dict(raan_spread_deg=0), r"raan_spread_deg = 0; expected 0 < spread <= 360"),
])
def test_bad_walker_parameters_name_the_key(kwargs, pattern):
    params = dict(name="bad", altitude_km=550, inclination_deg=53, planes=12,
                  sats_per_plane=10, phasing=1) | kwargs
    with pytest.raises(WalkerError, match=r"Walker shell 'bad': " + pattern):
        WalkerShell(**params)


def test_unknown_preset_suggests_close_names():
    with pytest.raises(WalkerError, match="did you mean kuiper"):
        preset_constellation("kuipr", EPOCH)


# ---------------------------------------------------------------- catalogue numbers, union
def _expected_discovered(shells):
    """Preset shells grouped as shell discovery sees them: one group per (altitude,
    inclination); its planes are the sum of the sub-shells' planes."""
    groups = {}
    for s in shells:
        groups.setdefault((s.altitude_km, s.inclination_deg), []).append(s)
    return groups


@pytest.mark.parametrize("name", sorted(WALKER_PRESETS))
def test_every_preset_reads_back_as_specified_by_shell_discovery(name):
    shells = WALKER_PRESETS[name]
    c = preset_constellation(name, EPOCH)
    assert len(c) == sum(s.n_satellites for s in shells)
    assert len(set(c.norad_ids.tolist())) == len(c)  # no id shared, nothing dropped
    found, unassigned = discover_shells(c)
    assert len(unassigned) == 0
    expected = _expected_discovered(shells)
    assert len(found) == len(expected)
    for (altitude_km, inclination_deg), parts in expected.items():
        (shell,) = [f for f in found if abs(f.altitude_km - altitude_km) < 1.0
                    and abs(f.inclination_deg - inclination_deg) < 0.05]
        assert abs(shell.altitude_km - altitude_km) < 1e-3  # km
        assert abs(shell.inclination_deg - inclination_deg) < 1e-6  # deg
        assert shell.n_planes == sum(p.planes for p in parts)
        assert sorted(shell.plane_sizes.tolist()) == sorted(
            p.sats_per_plane for p in parts for _ in range(p.planes))


def test_the_gen1_polar_shells_read_back_as_ten_planes():
    c = preset_constellation("starlink-gen1", EPOCH)
    (polar,) = [s for s in discover_shells(c)[0] if s.inclination_deg > 90]
    assert (polar.n_planes, polar.n_satellites) == (10, 6 * 58 + 4 * 43)


def test_a_single_plane_shell_defaults_to_phasing_zero():
    assert WalkerShell("one", 550, 53, 1, 20).phasing == 0
    assert WalkerShell("two", 550, 53, 2, 20).phasing == 1
    with pytest.raises(WalkerError, match=r"phasing = F = 1; expected .* planes \(1\)"):
        WalkerShell("one", 550, 53, 1, 20, phasing=1)


def test_generated_ids_are_alpha5_blocks_derived_from_the_shell():
    a = WalkerShell("a", 550, 53, 20, 22, 1)
    first = preferred_first_id(a)
    assert 240_000 <= first <= 339_000 and first % 1000 == 0
    assert preferred_first_id(WalkerShell("a", 550, 53, 20, 22, 1)) == first  # deterministic
    c = Constellation.from_walker(a, EPOCH)
    assert c.norad_ids.tolist() == list(range(first, first + 440))
    lines = c.to_tle_lines()
    assert lines[1][2].isalpha() and lines[1][2] not in "IO"  # Alpha-5 columns
    back = Constellation.from_tle_lines(lines)
    np.testing.assert_array_equal(back.norad_ids, c.norad_ids)


def test_the_union_of_two_generated_shells_keeps_every_satellite():
    # The case: two shells that used to start at the same id lost 100 of 580.
    a = Constellation.from_walker(WalkerShell("a", 550, 53, 10, 48), EPOCH)
    b = Constellation.from_walker(WalkerShell("b", 600, 70, 10, 10), EPOCH)
    assert len(a | b) == 580
    clash = Constellation.from_walker(WalkerShell("b", 600, 70, 10, 10), EPOCH,
                                      first_norad_id=int(a.norad_ids.min()))
    u = a | clash
    assert len(u) == 580 and len(set(u.norad_ids.tolist())) == 580
    (note,) = u.report.renumbered
    assert note.startswith(f"walker:b: NORAD {a.norad_ids.min()}..{a.norad_ids.min() + 99} -> ")
    assert "1 generated shells renumbered" in u.report.summary()
    # The renumbered satellites keep their orbits exactly.
    moved = u[np.isin(u.names, clash.names)]
    np.testing.assert_array_equal(moved.raan_deg, clash.raan_deg)
    np.testing.assert_array_equal(moved.mean_anomaly_deg, clash.mean_anomaly_deg)


def test_a_union_that_drops_anything_warns_with_counts():
    a = Constellation.from_walker(WalkerShell("a", 550, 53, 4, 5), EPOCH)
    with pytest.warns(DuplicateSatellitesWarning,
                      match=r"union 'a\+a': dropped 20 of 40 .*\(20 identical copies, 0 older"):
        assert len(a | a) == 20


@pytest.mark.parametrize("name", ["Pak Sat", "SES/O3b", "a b/c\\d"])
def test_free_text_shell_names_survive_generation_and_tle_round_trip(name):
    c = Constellation.from_walker(WalkerShell(name, 800, 60, 3, 4), EPOCH)
    assert c.label == name and c.names[0] == f"{name}-P01-S01"
    back = Constellation.from_tle_lines(c.to_tle_lines(), label=name)
    assert list(back.names) == list(c.names) and back.report.n_dropped == 0
    (shell,), _ = discover_shells(c)
    assert shell.n_planes == 3


@pytest.mark.parametrize("kwargs", [dict(planes="6"), dict(altitude_km=float("nan")),
                                    dict(inclination_deg=None), dict(sats_per_plane=True)])
def test_walker_parameters_of_the_wrong_type_are_walker_errors(kwargs):
    params = dict(name="bad", altitude_km=550, inclination_deg=53, planes=12,
                  sats_per_plane=10) | kwargs
    key = next(iter(kwargs))
    with pytest.raises(WalkerError, match=rf"Walker shell 'bad': {key} = .*expected a finite "):
        WalkerShell(**params)


def test_files_and_folders_named_with_spaces_and_slash_like_names(tmp_path):
    folder = tmp_path / "Pak Sat"
    folder.mkdir()
    path = folder / "SES O3b.tle"
    shell = WalkerShell("SES/O3b", 8062, 0.05, 1, 10)
    path.write_text("\n".join(Constellation.from_walker(shell, EPOCH).to_tle_lines()) + "\n")
    c = Constellation.from_path(path)
    assert c.label == "SES O3b" and c.names[0] == "SES/O3b-P01-S01"
    assert c.select(name="SES/O3b").names.tolist() == c.names.tolist()
    both = c | Constellation.from_walker(WalkerShell("Pak Sat", 1100, 55, 2, 3), EPOCH)
    assert both.label == "SES O3b+Pak Sat" and len(both) == 16
