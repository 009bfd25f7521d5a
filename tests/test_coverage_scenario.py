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
     "give exactly one of source, preset, walker, deployment (found source, preset)"),
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


def _keys_written_per_table(text: str) -> dict[str, set[str]]:
    """``{table header: key names}`` of a TOML text, commented-out keys included."""
    import re

    found: dict[str, set[str]] = {"": set()}
    table = ""
    for line in text.splitlines():
        header = re.match(r"\s*\[\[?([^\]]+)\]\]?\s*(#.*)?$", line)
        if header:
            table = header.group(1).strip()
            found.setdefault(table, set())
            continue
        key = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=", line)
        if key:
            found[table].add(key.group(1))
    return found


def test_the_default_scenario_writes_every_key_of_the_schema():
    from hybridplan.coverage.scenario import default_scenario_text

    text = default_scenario_text()
    written = _keys_written_per_table(text)
    for section, entries in SCHEMA.items():
        if section.startswith("systems."):
            inner = section.split(".")[1]
            for key in entries:  # documented in the comment above the systems
                assert f"{key.name} =" in text, (section, key.name)
            assert f"{inner} = {{" in text or f"{inner} = [{{" in text  # table(s)
            continue
        table = "costs.starlink" if section == "costs.<system>" else section
        for key in entries:
            if key.name in ("preset", "walker", "deployment") and section == "systems":
                assert f"{key.name} =" in text
                continue
            assert key.name in written[table], (table, key.name)
    scenario = default_scenario()
    for name in ("starlink", "oneweb", "kuiper", "qianfan", "guowang", "o3b", "paksat"):
        assert name in scenario.planning.satellite_costs, name
        assert scenario.planning.satellite_costs[name]["source"], name


def test_defaults_table_lists_every_key_with_its_source():
    table = schema_markdown()
    for section, entries in SCHEMA.items():
        for key in entries:
            from hybridplan.coverage.scenario.schema import label

            assert f"| {label(section, key.name)} |" in table, (section, key.name)
    assert "| [finance] usd_to_pkr | 281.425 | > 0 PKR/USD |" in table
    assert "| [costs.<system>] terminal_usd | [costs.<orbit class>] |" in table
    assert "[CENSUS] PBS 7th Population and Housing Census 2023" in table
    assert "[reports]" not in table


def test_each_value_is_validated_once_with_its_table_in_the_label(monkeypatch):
    """Specs built from TOML check each key once (no second pass in __post_init__)."""
    from collections import Counter

    from hybridplan.coverage.scenario import specs as specs_module
    from hybridplan.coverage.scenario import validate as validate_module

    calls = Counter()
    original = validate_module.check_value

    def counting(key, value, where):
        calls[where] += 1
        return original(key, value, where)

    monkeypatch.setattr(validate_module, "check_value", counting)
    monkeypatch.setattr(specs_module, "check_value", counting)
    scenario = default_scenario()
    assert calls and max(calls.values()) == 1, calls.most_common(3)
    assert "bundled:default_scenario.toml: [window] step_s" in calls
    assert "bundled:default_scenario.toml: [systems.starlink] walker" not in calls
    assert "bundled:default_scenario.toml: [costs.starlink] terminal_usd" in calls
    assert scenario.window.step_s == 60.0


def test_licensing_cases_of_the_default_scenario():
    cases = default_scenario().licensing_cases()
    assert list(cases) == ["as_of_2025", "foreign_leo_licensed"]
    base, alternative = cases.values()
    assert [n for n, ok in base.items() if ok] == ["paksat"]
    assert [n for n, ok in alternative.items() if ok] == [
        "starlink", "oneweb", "kuiper", "qianfan", "guowang", "paksat"]
    starlink = default_scenario().systems[0]
    assert "PTA draft FSS licence excl. AJK and GB (Feb 2025)" in starlink.licence_source
    built = Scenario(systems=[SystemSpec("a", source="bundled:o3b", licensed=False,
                                         licensed_alternative=True)])
    assert built.licensing_cases() == {"as_of_2025": {"a": False},
                                       "foreign_leo_licensed": {"a": True}}


def test_per_system_costs_override_their_orbit_class(tmp_path):
    from hybridplan.coverage.planning.economics import DEFAULT_GEO_COSTS, DEFAULT_MEO_COSTS

    scenario = load_text(tmp_path, GOOD + "[costs.starlink]\nterminal_usd = 900\n"
                         "[costs.leo]\nservice_usd_per_month = 450\n"
                         "[output]\nexports = \"report\"\n")
    costs = scenario.planning.costs_for("starlink", "LEO")
    assert (costs.terminal_usd, costs.service_usd_per_month) == (900.0, 450.0)
    assert costs.capacity_mbps_per_terminal == 100.0 and costs.lifetime_years == 5
    assert scenario.planning.costs_for("other", "MEO") == DEFAULT_MEO_COSTS
    assert scenario.planning.costs_for("other", "geo") == DEFAULT_GEO_COSTS
    assert scenario.planning.costs_for("other", "mixed").service_usd_per_month == 450.0
    assert scenario.output.exports == ("report",)
    default = default_scenario().planning
    prices = {n: default.costs_for(n, "LEO") for n in ("starlink", "oneweb", "kuiper",
                                                        "qianfan", "guowang")}
    assert len({(c.terminal_usd, c.service_usd_per_month) for c in prices.values()}) == 5
    assert default.costs_for("o3b", "MEO").terminal_usd == 50_000.0
    assert default.finance.usd_to_pkr == 281.425


def test_default_scenario_round_trips_through_to_toml():
    scenario = default_scenario()
    again = Scenario.from_toml(scenario.to_toml())
    assert again.systems == scenario.systems and again.planning == scenario.planning
    assert again.licensing == scenario.licensing and again.output == scenario.output


def test_planning_spec_built_in_python_is_checked_against_the_systems():
    from hybridplan.coverage.planning.economics import SatelliteCosts
    from hybridplan.coverage.planning.spec import PlanningSpec

    full = SatelliteCosts(700.0, 300.0, 100.0, 5, "quote")
    scenario = Scenario(systems=[SystemSpec("a", source="bundled:o3b")],
                        planning=PlanningSpec(satellite_costs={"a": full}))
    assert scenario.planning.costs_for("a", "MEO") == full
    assert Scenario.from_toml(scenario.text).planning.costs_for("a", "MEO") == full
    with pytest.raises(ScenarioError, match=r"\[costs\] unknown key 'b'"):
        Scenario(systems=[SystemSpec("a", source="bundled:o3b")],
                 planning=PlanningSpec(satellite_costs={"b": full}))


def test_a_deployment_system_uses_what_is_in_orbit_at_the_window(tmp_path):
    """[[systems]] deployment = "bundled:qianfan": the stages in service at the window
    start, more satellites at a later date; a window inside a stage change warns."""
    from hybridplan.tle import StageWindowWarning, load_deployment

    plan = load_deployment("bundled:qianfan")
    dates = sorted({s.in_service_utc for s in plan.stages})
    counts = []
    for day in (dates[0], dates[-1]):
        text = f"""
name = "qf"
[window]
start = "{day:%Y-%m-%dT%H:%M:%SZ}"
duration_h = 30
step_s = 600
[[systems]]
name = "qianfan"
deployment = "bundled:qianfan"
"""
        scenario = load_text(tmp_path, text)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StageWindowWarning)
            counts.append(len(resolve_systems(scenario)[0].constellation))
    assert counts[0] == len(plan.at(dates[0]))
    assert counts[1] == len(plan.full(dates[-1])) > counts[0]
