"""Scenarios: the bundled default is valid and complete; bad scenarios get one clear
message each (file, key, what was expected, the fix); Python objects obey the same rules."""

import warnings
from datetime import datetime, timezone

import pytest
from hybridplan.coverage import (
    SCHEMA,
    Scenario,
    ScenarioError,
    ScenarioFileError,
    StaleElementSetsError,
    SystemSpec,
    default_scenario,
    load_scenario,
)
from hybridplan.coverage.pipeline import resolve_systems
from hybridplan.coverage.scenario import WalkerSpec, WindowSpec, schema_markdown
from hybridplan.coverage.scenario.schema import REQUIRED
from hybridplan.tle import StaleElementsWarning

GOOD = """
name = "t"
[window]
start = "2026-05-30T00:00:00Z"
duration_h = 2
step_s = 60
[[systems]]
name = "starlink"
source = "bundled:starlink"
min_elevation_deg = 25
"""


def load_text(tmp_path, text, name="scenario.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


def test_default_scenario_is_valid_and_resolves_without_warnings():
    scenario = default_scenario()
    assert scenario.region.names == ("Gilgit-Baltistan", "Azad Jammu and Kashmir")
    assert scenario.region.resolution == 7 and scenario.terrain.enabled
    assert scenario.window.start == datetime(2026, 5, 30, tzinfo=timezone.utc)
    names = [s.name for s in scenario.systems]
    assert names[:3] == ["starlink", "oneweb", "kuiper"] and "paksat" in names
    starlink = scenario.systems[0]
    assert (starlink.min_elevation_deg, starlink.gso_exclusion_deg) == (25.0, 18.0)
    kuiper = scenario.systems[2]
    assert kuiper.min_elevation_deg == 30.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        systems = resolve_systems(scenario)
    paksat = systems[names.index("paksat")]
    assert sorted(paksat.constellation.names) == ["PAKSAT-1R", "PAKSAT-MM1"]
    assert paksat.orbit_class == "GEO" and systems[0].orbit_class == "LEO"


def test_round_trip_through_toml_and_python_objects(tmp_path):
    scenario = load_text(tmp_path, GOOD)
    again = Scenario.from_toml(scenario.to_toml())
    assert again.systems == scenario.systems and again.window == scenario.window
    built = Scenario(systems=[SystemSpec("w", walker=WalkerSpec(550, 53, 10, 10))])
    assert Scenario.from_toml(built.text).systems == built.systems
    assert "[[systems]]" in built.text and "walker = {" in built.text


def test_every_schema_default_is_the_dataclass_default():
    assert WindowSpec().duration_h == SCHEMA["window"][1].default
    spec = SystemSpec("x", source="bundled:o3b")
    for key in SCHEMA["systems"]:
        if key.default is not REQUIRED and key.name not in ("source",):
            assert getattr(spec, key.name) == key.default, key.name
    table = schema_markdown()
    assert "| [window] step_s | 60.0 |" in table and "gso_exclusion_deg" in table


@pytest.mark.parametrize("edit, message", [
    (("duration_h = 2", "duraton_h = 2"),
     "scenario.toml: [window] unknown key 'duraton_h'; did you mean 'duration_h'?"),
    (("min_elevation_deg = 25", "min_elevation_deg = 95"),
     "scenario.toml: [systems.starlink] min_elevation_deg = 95: expected 0..90 deg"),
    (("step_s = 60", "step_s = 0"),
     "scenario.toml: [window] step_s = 0: expected > 0 and <= 86400 s"),
    (('start = "2026-05-30T00:00:00Z"', 'start = "2026-05-30T00:00:00"'),
     ('scenario.toml: [window] start = "2026-05-30T00:00:00" has no time zone; hybridplan '
      'works in UTC: write "2026-05-30T00:00:00Z"')),
    (('start = "2026-05-30T00:00:00Z"', "start = 2026-05-30T00:00:00"),
     "has no time zone; hybridplan works in UTC"),
    (('source = "bundled:starlink"',
      "walker = { altitude_km = -550, inclination_deg = 53, planes = 6, sats_per_plane = 4 }"),
     "scenario.toml: [systems.starlink] walker: altitude_km = -550: expected 160..40000 km"),
    (('source = "bundled:starlink"', 'source = "bundled:starlink"\npreset = "kuiper"'),
     "give exactly one of source, preset, walker (found source, preset)"),
    (("min_elevation_deg = 25", 'min_elevation_deg = "25"'),
     'min_elevation_deg = "25": expected 0..90 deg, found a string'),
    (("[[systems]]", "[systems]"), "write [[systems]] (double brackets)"),
    (("name = \"t\"", "nmae = \"t\""), "unknown key 'nmae'; did you mean 'name'?"),
    (("duration_h = 2", "duration_h = 0.001"), "is shorter than one step"),
    (("step_s = 60", "step_s = 60\n[terain]\nenabled = false"),
     "unknown key 'terain'; did you mean 'terrain'?"),
    (("min_elevation_deg = 25", "min_elevation_deg = 25\nfilter = { altitude_km = [600, 400] }"),
     "filter: altitude_km = [600, 400]: low > high; write [400, 600]"),
])
def test_bad_scenarios_get_one_clear_message(tmp_path, edit, message):
    old, new = edit
    assert old in GOOD
    with pytest.raises(ScenarioError) as info:
        load_text(tmp_path, GOOD.replace(old, new, 1))
    text = str(info.value)
    assert message in text
    assert "\n" not in text


def test_window_far_from_the_epochs_is_refused_with_the_fix(tmp_path):
    stale = GOOD.replace("2026-05-30T00:00:00Z", "2026-07-29T00:00:00Z")
    scenario = load_text(tmp_path, stale)
    with pytest.raises(StaleElementSetsError) as info:
        resolve_systems(scenario)
    text = str(info.value)
    assert "scenario.toml: [systems.starlink] the window 2026-07-29T00:00Z.." in text
    assert "is up to 61.8 days from the element-set epochs (2026-05-28..2026-05-30)" in text
    assert text.endswith("set [window] allow_stale_elements = true")
    allowed = load_text(tmp_path, stale.replace("step_s = 60",
                                                "step_s = 60\nallow_stale_elements = true"))
    with pytest.warns(StaleElementsWarning, match="up to 61.8 days"):
        assert len(resolve_systems(allowed)[0].constellation) > 9000


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"\xff\xfe[window]", "not UTF-8 text"),
    (b"[window\nstart = 1", "not valid TOML"),
])
def test_unreadable_files(tmp_path, content, message):
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    with pytest.raises(ScenarioFileError, match=message):
        load_scenario(path)
    with pytest.raises(ScenarioFileError, match="no such scenario file"):
        load_scenario(tmp_path / "missing.toml")


def test_python_objects_are_validated_too():
    with pytest.raises(ScenarioError, match="min_elevation_deg = 95: expected 0..90 deg"):
        SystemSpec("s", source="bundled:starlink", min_elevation_deg=95)
    with pytest.raises(ScenarioError, match="has no time zone"):
        WindowSpec(start=datetime(2026, 5, 30))
    with pytest.raises(ScenarioError, match="step_s = -1: expected > 0"):
        WindowSpec(step_s=-1)
    with pytest.raises(ScenarioError, match="names must be unique|appears twice"):
        Scenario(systems=[SystemSpec("a", source="bundled:o3b")] * 2)
    with pytest.raises(ScenarioError, match="'combined'"):
        SystemSpec("combined", source="bundled:o3b")
    with pytest.raises(ScenarioError, match="no \\[\\[systems\\]\\]"):
        Scenario(systems=[])


def test_filters_walkers_and_relative_paths(tmp_path):
    tle = tmp_path / "mine.tle"
    tle.write_text("\n".join(default_scenario().systems and _two_sets()) + "\n")
    text = GOOD.replace('source = "bundled:starlink"', 'source = "mine.tle"')
    scenario = load_text(tmp_path, text)
    assert len(resolve_systems(scenario)[0].constellation) == 2
    empty = GOOD.replace("min_elevation_deg = 25",
                         "min_elevation_deg = 25\nfilter = { name = \"NO-SUCH-NAME\" }")
    with pytest.raises(ScenarioError, match="no satellites left from bundled:starlink"):
        resolve_systems(load_text(tmp_path, empty))
    walker = GOOD.replace('source = "bundled:starlink"',
                          "walker = { altitude_km = 550, inclination_deg = 53, planes = 6, "
                          "sats_per_plane = 4, phasing = 1 }")
    assert len(resolve_systems(load_text(tmp_path, walker))[0].constellation) == 24


def _two_sets():
    from hybridplan.tle import load_constellation
    return load_constellation("bundled:o3b")[:2].to_tle_lines()
