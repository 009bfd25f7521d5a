"""Build-out by date: stages enter service on their dates, ids stay distinct and stable,
the bundled Qianfan and Guowang tables read back with shell discovery (and Guowang's agrees
with the real 2026-05-30 catalogue), and short windows are flagged."""

import math
import warnings
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hybridplan.tle import (
    DeploymentError,
    DeploymentPlan,
    Stage,
    StageWindowWarning,
    WalkerShell,
    discover_shells,
    load_constellation,
    load_deployment,
    read_deployment,
    shell_separation_time_s,
)
from hybridplan.tle.deployment import stage_counts
from hypothesis import given, settings
from hypothesis import strategies as st

UTC = timezone.utc
D0 = datetime(2026, 1, 1, tzinfo=UTC)
PAK = WalkerShell("Pak Sat", 1100, 55.0, 6, 8, 1)
SES = WalkerShell("SES/O3b", 8062, 0.05, 1, 12)
POLAR = WalkerShell("polar / star", 700, 87.0, 4, 5, 1, pattern="star")


def _plan():
    return DeploymentPlan(
        "Pak Sat + SES/O3b",
        (
            Stage("first planes", PAK, D0, planes=(1, 2)),
            Stage("MEO ring", SES, D0 + timedelta(days=30)),
            Stage("rest of Pak Sat", PAK, D0 + timedelta(days=90), planes=(3, 4, 5, 6)),
            Stage("polar", POLAR, D0 + timedelta(days=120)),
        ),
    )


def test_a_stage_is_absent_before_its_date_and_present_from_it():
    plan = _plan()
    assert len(plan.at(D0 - timedelta(seconds=1))) == 0
    for stage in plan.stages:
        before = plan.at(stage.in_service_utc - timedelta(seconds=1))
        after = plan.at(stage.in_service_utc)
        assert len(after) - len(before) == stage.n_satellites
        prefix = f"{stage.shell.name}-P"
        planes_after = {n.split("-P")[-1][:2] for n in after.names if n.startswith(prefix)}
        planes_before = {n.split("-P")[-1][:2] for n in before.names if n.startswith(prefix)}
        assert planes_after - planes_before == {f"{p:02d}" for p in stage.plane_numbers}
    assert len(plan.at(D0 + timedelta(days=365))) == 6 * 8 + 12 + 4 * 5


def test_ids_are_distinct_and_a_satellite_keeps_its_id_and_orbit_at_every_date():
    plan = _plan()
    late = plan.at(D0 + timedelta(days=200), epoch_utc=D0)
    assert len(set(late.norad_ids.tolist())) == len(late)
    assert all(240_000 <= i <= 339_999 for i in late.norad_ids)
    early = plan.at(D0 + timedelta(days=31), epoch_utc=D0)
    index = {n: i for i, n in enumerate(late.norad_ids)}
    rows = [index[n] for n in early.norad_ids]
    np.testing.assert_array_equal(late.names[rows], early.names)
    np.testing.assert_array_equal(late.raan_deg[rows], early.raan_deg)
    np.testing.assert_array_equal(late.mean_anomaly_deg[rows], early.mean_anomaly_deg)


def test_the_planes_of_a_stage_are_the_full_shells_planes():
    plan = _plan()
    c = plan.at(D0, epoch_utc=D0)
    (shell,), _ = discover_shells(c, min_satellites=5)
    assert shell.n_planes == 2 and sorted(shell.plane_sizes.tolist()) == [8, 8]
    # Plane 2 of a 6-plane delta shell sits 60 deg after plane 1.
    raan = np.sort(np.unique(np.round(c.raan_deg, 6)))
    assert raan.tolist() == [0.0, 60.0]


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=-10, max_value=200))
def test_satellites_in_service_grow_with_the_date_and_match_the_stage_table(day):
    plan = _plan()
    date = D0 + timedelta(days=day)
    counts = stage_counts(plan, [date, date + timedelta(days=1)])
    assert counts[0] <= counts[1]
    assert len(plan.at(date)) == counts[0]


# ---------------------------------------------------------------- bundled examples
@pytest.mark.parametrize("name", ["qianfan", "guowang"])
def test_the_bundled_examples_read_back_with_shell_discovery_at_every_stage(name):
    plan = load_deployment(f"bundled:{name}")
    assert plan.approximate and plan.source
    assert all(s.source and s.approximate for s in plan.stages)
    for stage in plan.stages:
        c = plan.at(stage.in_service_utc)
        assert len(set(c.norad_ids.tolist())) == len(c)
        found, unassigned = discover_shells(c, min_satellites=5)
        assert len(unassigned) == 0
        for shell in plan.shells:
            planes = {
                p
                for s in plan.stages_at(stage.in_service_utc)
                if s.shell == shell
                for p in s.plane_numbers
            }
            if not planes:
                continue
            (got,) = [f for f in found if abs(f.inclination_deg - shell.inclination_deg) < 0.01]
            assert got.n_planes == len(planes)
            assert got.plane_sizes.tolist() == [shell.sats_per_plane] * len(planes)
            assert abs(got.altitude_km - shell.altitude_km) < 1e-3  # km
    final = plan.at(plan.stages[-1].in_service_utc)
    assert len(final) == sum(s.n_satellites for s in plan.shells)


def test_guowang_at_the_snapshot_date_matches_the_real_catalogue():
    """The table's shells against CelesTrak's 2026-05-30 DIGUI satellites (bundled)."""
    date = datetime(2026, 5, 30, 12, tzinfo=UTC)
    planned, _ = discover_shells(load_deployment("bundled:guowang").at(date))
    real, _ = discover_shells(load_constellation("bundled:guowang").select(name="DIGUI"))
    for shell in planned:
        (match,) = [r for r in real if abs(r.inclination_deg - shell.inclination_deg) < 0.2]
        assert match.n_planes == shell.n_planes  # 12 at 50 deg, 6 at 86.5 deg
        assert abs(match.n_satellites - shell.n_satellites) <= 2  # 2 still raising orbit
        assert abs(match.altitude_km - shell.altitude_km) < 3.0  # km


def test_qianfan_in_service_count_follows_the_launch_table():
    plan = load_deployment("bundled:qianfan")
    counts = stage_counts(
        plan,
        [datetime(y, m, 1, tzinfo=UTC) for y, m in ((2024, 12), (2025, 7), (2026, 5), (2028, 1))],
    )
    assert counts.tolist() == [0, 4 * 18, 6 * 18, 648]


# ---------------------------------------------------------------- windows
def test_separation_time_is_the_nodal_day_against_a_first_order_j2_reference():
    mu, r_e, j2 = 398600.8, 6378.135, 0.001082616  # WGS72, as SGP4
    omega_e = 7.2921158553e-5
    for altitude_km, inclination_deg in ((550, 53.0), (1149, 50.0), (1169, 86.5)):
        shell = WalkerShell("s", altitude_km, inclination_deg, 1, 1)
        a = 6378.137 + altitude_km
        n = math.sqrt(mu / a**3)
        node_rate = -1.5 * n * j2 * (r_e / a) ** 2 * math.cos(math.radians(inclination_deg))
        reference_s = 2 * math.pi / (omega_e - node_rate)
        assert abs(shell_separation_time_s(shell) - reference_s) < 30.0  # s (J2^2, J4 terms)
    polar = WalkerShell("p", 800, 90.0, 1, 1)
    assert abs(shell_separation_time_s(polar) - 86164.09) < 1.0  # a sidereal day
    assert shell_separation_time_s(WalkerShell("m", 8062, 0.05, 1, 1)) > 86164.0 - 4000.0


def test_a_short_window_warns_and_a_day_long_one_does_not():
    plan = _plan()
    start = D0 + timedelta(days=60)
    needed = plan.minimum_window_s(start)
    assert 80_000 < needed < 87_000  # s: the nodal days of the neighbouring stages' shells
    with pytest.warns(StageWindowWarning, match=r"a window of 6\.00 h .* shorter than 2\d\.\d\d h"):
        plan.check_window(start, 6 * 3600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert plan.check_window(start, 86400) == []


def test_a_stage_entering_service_inside_the_window_is_flagged():
    plan = _plan()
    start = D0 + timedelta(days=89, hours=12)
    with pytest.warns(
        StageWindowWarning,
        match=r"stage 'rest of Pak Sat' enters service at "
        r"2026-04-01T00:00Z, inside the window",
    ):
        plan.check_window(start, 2 * 86400)


# ---------------------------------------------------------------- tables and bad tables
TOML_OK = """
name = "Pak Sat / SES"
[shells."Pak Sat"]
altitude_km = 1100
inclination_deg = 55.0
planes = 6
sats_per_plane = 8
[shells."SES/O3b"]
altitude_km = 8062
inclination_deg = 0.05
planes = 1
sats_per_plane = 12
[[stages]]
name = "first planes"
shell = "Pak Sat"
planes = "1-2"
in_service_utc = 2026-01-01T00:00:00Z
[[stages]]
name = "MEO ring"
shell = "SES/O3b"
in_service_utc = 2026-01-31
[[stages]]
name = "rest of Pak Sat"
shell = "Pak Sat"
planes = [3, 4, 5, 6]
in_service_utc = 2026-04-01T00:00:00Z
"""

CSV_OK = """stage,shell,in_service_utc,altitude_km,inclination_deg,planes,sats_per_plane,planes_in_service
first planes,Pak Sat,2026-01-01T00:00:00Z,1100,55.0,6,8,1-2
MEO ring,SES/O3b,2026-01-31,8062,0.05,1,12,
rest of Pak Sat,Pak Sat,2026-04-01T00:00:00Z,,,,,3-6
"""


@pytest.mark.parametrize("suffix, text", [("toml", TOML_OK), ("csv", CSV_OK)])
def test_toml_and_csv_tables_give_the_same_plan(tmp_path, suffix, text):
    path = tmp_path / f"plan.{suffix}"
    path.write_text(text)
    plan = read_deployment(path)
    reference = _plan()
    date = D0 + timedelta(days=100)
    a, b = plan.at(date), reference.at(date)
    assert sorted(a.names) == sorted(b.names)
    assert [s.plane_numbers for s in plan.stages] == [s.plane_numbers for s in reference.stages[:3]]


def _edit(old, new):
    assert old in TOML_OK
    return TOML_OK.replace(old, new, 1)


BAD_TABLES = [
    (
        "overlapping-planes",
        _edit("planes = [3, 4, 5, 6]", "planes = [2, 3]"),
        (r"plane 2 of shell 'Pak Sat' enters service in stage 'first planes' and again in stage "
        r"'rest of Pak Sat'; list each plane in one stage"),
    ),
    (
        "plane-out-of-range",
        _edit("planes = [3, 4, 5, 6]", "planes = [3, 7]"),
        r"stage 'rest of Pak Sat': planes = \[3, 7\]; expected distinct plane numbers 1..6 .*\(found 7\)",
    ),
    (
        "naive-date",
        _edit("in_service_utc = 2026-04-01T00:00:00Z", "in_service_utc = 2026-04-01T00:00:00"),
        (r"\[\[stages\]\] #3 key 'in_service_utc': expected a date-time in UTC, found "
        r"'2026-04-01T00:00:00'; add Z: 2026-04-01T00:00:00Z"),
    ),
    (
        "unknown-stage-key",
        _edit('name = "MEO ring"', 'name = "MEO ring"\nin_servce = 2026-01-01'),
        r"\[\[stages\]\] #2 key 'in_servce': expected one of .*did you mean 'in_service_utc'\?",
    ),
    (
        "unknown-shell",
        _edit('shell = "SES/O3b"', 'shell = "SES"'),
        r"\[\[stages\]\] #2 key 'shell': expected one of 'Pak Sat', 'SES/O3b', found 'SES'",
    ),
    (
        "bad-plane-text",
        _edit('planes = "1-2"', 'planes = "2-1"'),
        r"key 'planes': expected plane numbers like \[1, 2, 5\] or \"1-3, 5\", found '2-1'",
    ),
    (
        "inf-altitude",
        _edit("altitude_km = 1100", "altitude_km = inf"),
        r"\[shells.'Pak Sat'\] key 'altitude_km': expected a finite number, found inf",
    ),
    (
        "walker-range",
        _edit("sats_per_plane = 8", "sats_per_plane = 0"),
        r"Walker shell 'Pak Sat': sats_per_plane = 0; expected a whole number >= 1",
    ),
    (
        "no-stages",
        TOML_OK.split("[[stages]]")[0],
        r"\[\[stages\]\]: expected at least one \[\[stages\]\] entry",
    ),
    (
        "launch-after-service",
        _edit('name = "MEO ring"', 'name = "MEO ring"\nlaunch_utc = 2026-03-01'),
        r"stage 'MEO ring': launch_utc 2026-03-01 is after in_service_utc 2026-01-31",
    ),
    (
        "duplicate-stage-name",
        _edit('name = "MEO ring"', 'name = "first planes"'),
        r"stage name 'first planes' is used twice",
    ),
    ("not-toml", "name = [", r"not valid TOML"),
    ("deep-toml", "x = " + "[" * 5000 + "]" * 5000, r"nested too deeply|not valid TOML"),
]


@pytest.mark.parametrize("case", BAD_TABLES, ids=[c[0] for c in BAD_TABLES])
def test_bad_tables_get_one_line_naming_file_key_and_fix(tmp_path, case):
    _, text, pattern = case
    path = tmp_path / "plan.toml"
    path.write_text(text)
    with pytest.raises(DeploymentError) as caught:
        read_deployment(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and "\n" not in message, message
    assert __import__("re").search(pattern, message), message


@pytest.mark.parametrize(
    "text, pattern",
    [
        (
            CSV_OK.replace("in_service_utc,", "in_service,", 1),
            r"plan\.csv:1: the header lacks column\(s\) in_service_utc",
        ),
        (
            CSV_OK.replace(",,,,,3-6", ",1200,,,,3-6"),
            r"plan\.csv:4: shell 'Pak Sat' has other parameters than in its first row",
        ),
        (
            CSV_OK.replace("1100,55.0", "1100,north"),
            r"plan\.csv:2 column 'inclination_deg': expected a number, found 'north'",
        ),
        (
            CSV_OK.replace("SES/O3b,2026-01-31", "SES/O3b,2026-01-31T00:00:00"),
            r"plan\.csv:3 key 'in_service_utc': expected a date-time in UTC, found '2026-01-31T00:00:00'; add Z",
        ),
    ],
)
def test_bad_csv_tables(tmp_path, text, pattern):
    path = tmp_path / "plan.csv"
    path.write_text(text)
    with pytest.raises(DeploymentError, match=pattern):
        read_deployment(path)


def test_unknown_bundled_deployment_lists_the_available_ones():
    with pytest.raises(
        DeploymentError,
        match=r"bundled:kuiper: no bundled deployment of that "
        r"name; available: bundled:guowang, bundled:qianfan",
    ):
        load_deployment("bundled:kuiper")
