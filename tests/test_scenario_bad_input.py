"""The scenario TOML under hostile input: each bad file gets one line that names the file,
the table and the key, what was expected and what was found; nothing raises a traceback.

Table-driven: each case is (what is appended to / replaced in a good scenario, the message
fragment it must produce). A few go through the CLI, which must return 2 without a
traceback.
"""

import pytest
from hybridplan.coverage import ScenarioError, ScenarioFileError, load_scenario
from hybridplan.coverage.cli import main
from hybridplan.coverage.scenario import Scenario

GOOD = """name = "t"
[window]
start = "2026-05-30T00:00:00Z"
duration_h = 1
step_s = 60
[[systems]]
name = "starlink"
source = "bundled:starlink"
min_elevation_deg = 25
"""

SYSTEM = 'source = "bundled:starlink"'
BLOCK = GOOD[GOOD.index("[[systems]]") :]
DEEP = "[" * 6 + "1" + "]" * 6

#: (id, (old, new) replaced once in GOOD -- or a str appended to it --, message fragment)
CASES = [
    # top level and unknown tables
    ("reports-table", '[reports]\nformat = "html"\n', "t.toml: unknown key 'reports'"),
    ("output-unknown-key", '[output]\nformat = "html"\n', "[output] unknown key 'format'"),
    ("top-typo", ('name = "t"', 'nmae = "t"'), "unknown key 'nmae'; did you mean 'name'?"),
    ("name-not-string", ('name = "t"', "name = 5"), "t.toml: name = 5: expected a string"),
    (
        "description-nul",
        ('name = "t"', 'name = "t"\ndescription = "a\\u0000b"'),
        't.toml: description = "a\\x00b": expected text without NUL characters',
    ),
    (
        "deeply-nested-value",
        ('name = "t"', f'name = "t"\ndescription = {DEEP}'),
        "nested deeper than 5 levels",
    ),
    (
        "deeply-nested-parser",
        ('name = "t"', "description = " + "[" * 3000 + "]" * 3000),
        "nested too deeply for the parser",
    ),
    (
        "region-not-table",
        ('name = "t"', 'name = "t"\nregion = 5'),
        "t.toml: [region]: expected a table, found a number",
    ),
    # [output]
    (
        "exports-unknown",
        '[output]\nexports = ["report", "excel"]\n',
        '[output] exports = ["report", "excel"]: expected a list of one of \'report\'',
    ),
    ("exports-typo", '[output]\nexports = ["repot"]\n', "did you mean 'report'?"),
    (
        "exports-empty",
        "[output]\nexports = []\n",
        "[output] exports = []: expected at least 1 item(s), found an empty list",
    ),
    (
        "exports-number",
        "[output]\nexports = 3\n",
        "[output] exports = 3: expected a list of one of",
    ),
    # [region]
    (
        "names-empty",
        "[region]\nnames = []\n",
        "[region] names = []: expected at least 1 item(s), found an empty list",
    ),
    (
        "names-numbers",
        "[region]\nnames = [1, 2]\n",
        (
            "[region] names = [1, 2]: expected a string or a list of at least 1 string(s), "
            "found a list"
        ),
    ),
    ("names-nested", '[region]\nnames = [["Hunza"]]\n', "found a list"),
    (
        "names-nul",
        '[region]\nnames = ["Hunza\\u0000.geojson"]\n',
        "expected text without NUL characters, found a NUL (\\x00) at position 5",
    ),
    (
        "resolution-fraction",
        "[region]\nresolution = 7.5\n",
        "[region] resolution = 7.5: expected a whole number 0..15, found a fraction",
    ),
    (
        "resolution-inf",
        "[region]\nresolution = inf\n",
        "[region] resolution = inf: expected a whole number 0..15, found a non-finite number",
    ),
    (
        "resolution-string",
        '[region]\nresolution = "7"\n',
        '[region] resolution = "7": expected a whole number 0..15, found a string',
    ),
    (
        "resolution-huge",
        "[region]\nresolution = " + "9" * 400 + "\n",
        "found a number too large to represent",
    ),
    # [window]
    (
        "duration-inf",
        ("duration_h = 1", "duration_h = inf"),
        (
            "[window] duration_h = inf: expected > 0 and <= 8784 h, found a non-finite number "
            "(inf and nan are not allowed)"
        ),
    ),
    ("step-minus-inf", ("step_s = 60", "step_s = -inf"), "[window] step_s = -inf"),
    ("step-nan", ("step_s = 60", "step_s = nan"), "[window] step_s = nan: expected > 0"),
    (
        "start-date-only",
        ('start = "2026-05-30T00:00:00Z"', "start = 2026-05-30"),
        "found a TOML date/time",
    ),
    (
        "start-far-future",
        ('start = "2026-05-30T00:00:00Z"', 'start = "9999-12-31T23:00:00Z"'),
        "expected a time between 1957 and 2200 (the era of element sets), found the year 9999",
    ),
    (
        "start-words",
        ('start = "2026-05-30T00:00:00Z"', 'start = "yesterday"'),
        '[window] start = "yesterday": expected an ISO 8601 UTC time',
    ),
    (
        "stale-not-bool",
        ("step_s = 60", "step_s = 60\nallow_stale_elements = 1"),
        "allow_stale_elements = 1: expected true or false, found a number",
    ),
    # [terrain], [engine]
    (
        "dem-nul",
        '[terrain]\ndem = "tiles\\u0000/x"\n',
        '[terrain] dem = "tiles\\x00/x": expected text without NUL characters',
    ),
    (
        "max-distance-nan",
        "[terrain]\nmax_distance_km = nan\n",
        "[terrain] max_distance_km = nan: expected > 0 and <= 500 km, found a non-finite",
    ),
    (
        "terrain-enabled-string",
        '[terrain]\nenabled = "yes"\n',
        '[terrain] enabled = "yes": expected true or false, found a string',
    ),
    ("azimuth-too-few", "[terrain]\nn_azimuth = 3\n", "expected a whole number 4..3600"),
    ("workers-zero", "[engine]\nworkers = 0\n", "[engine] workers = 0: expected a whole number"),
    (
        "chunk-inf",
        "[engine]\nsteps_per_chunk = 1e400\n",
        "[engine] steps_per_chunk = inf: expected a whole number 1..100000, found a non-finite",
    ),
    (
        "series-cells-table",
        "[engine]\nseries_cells = { a = 1 }\n",
        "series_cells = {...}: expected a string or a list of strings, found a table",
    ),
    # [[systems]]
    (
        "systems-scalar",
        [(BLOCK, ""), ('name = "t"', 'name = "t"\nsystems = 5')],
        "t.toml: systems: expected an array of tables ([[systems]]), found int",
    ),
    ("systems-single-table", ("[[systems]]", "[systems]"), "write [[systems]] (double brackets)"),
    ("systems-none", (BLOCK, ""), "no [[systems]]; add at least one"),
    (
        "system-name-number",
        ('name = "starlink"', "name = 5"),
        "[[systems]] #1 name = 5: expected a string, found a number",
    ),
    (
        "system-name-blank",
        ('name = "starlink"', 'name = " "'),
        "expected a name other than 'combined' or blank",
    ),
    ("system-name-combined", ('name = "starlink"', 'name = "combined"'), "'combined'"),
    (
        "system-name-control",
        ('name = "starlink"', 'name = "star\\u0007link"'),
        "expected printable text, found a control character",
    ),
    ("system-missing-name", ('name = "starlink"\n', ""), "[[systems]] #1 is missing 'name'"),
    (
        "system-duplicate",
        '[[systems]]\nname = "starlink"\nsource = "bundled:o3b"\n',
        "[systems.starlink] the name appears twice",
    ),
    (
        "system-names-same-token",
        (
            '[[systems]]\nname = "SES O3b"\nsource = "bundled:o3b"\n'
            '[[systems]]\nname = "SES/O3b"\nsource = "bundled:o3b"\n'
        ),
        '[systems.SES/O3b] name: expected a name distinct from "SES O3b"',
    ),
    (
        "system-no-source",
        (SYSTEM + "\n", ""),
        "give exactly one of source, preset, walker, deployment (found none)",
    ),
    (
        "system-elevation-bool",
        ("min_elevation_deg = 25", "min_elevation_deg = true"),
        "min_elevation_deg = true: expected 0..90 deg, found a boolean",
    ),
    (
        "system-elevation-inf",
        ("min_elevation_deg = 25", "min_elevation_deg = inf"),
        "[systems.starlink] min_elevation_deg = inf: expected 0..90 deg, found a non-finite",
    ),
    (
        "system-gso-90",
        ("min_elevation_deg = 25", "gso_exclusion_deg = 90"),
        "gso_exclusion_deg = 90: expected >= 0 and < 90 deg",
    ),
    (
        "system-licensed-string",
        ("min_elevation_deg = 25", 'licensed = "no"'),
        '[systems.starlink] licensed = "no": expected true or false, found a string',
    ),
    (
        "system-licensed-alt-number",
        ("min_elevation_deg = 25", "licensed_alternative = 1"),
        "licensed_alternative = 1: expected true or false",
    ),
    (
        "system-typo",
        ("min_elevation_deg = 25", "min_elevation = 25"),
        "[systems.starlink] unknown key 'min_elevation'; did you mean 'min_elevation_deg'?",
    ),
    (
        "filter-scalar",
        ("min_elevation_deg = 25", "filter = 5"),
        "[systems.starlink] filter: expected a table, found a number",
    ),
    (
        "filter-one-number",
        ("min_elevation_deg = 25", "filter = { altitude_km = [400] }"),
        "filter: altitude_km = [400]: expected [low, high] with each >= 0 km, found a list",
    ),
    (
        "filter-inf",
        ("min_elevation_deg = 25", "filter = { altitude_km = [400, inf] }"),
        (
            "filter: altitude_km = [400, inf]: expected [low, high] with each >= 0 km, found a "
            "non-finite"
        ),
    ),
    (
        "filter-reversed",
        ("min_elevation_deg = 25", "filter = { inclination_deg = [60, 50] }"),
        "low > high; write [50, 60]",
    ),
    (
        "filter-name-number",
        ("min_elevation_deg = 25", "filter = { name = 5 }"),
        "filter: name = 5: expected a string, found a number",
    ),
    (
        "filter-unknown",
        ("min_elevation_deg = 25", "filter = { altitude = [1, 2] }"),
        "filter: unknown key 'altitude'; did you mean 'altitude_km'?",
    ),
    (
        "walker-missing",
        (SYSTEM, "walker = { altitude_km = 550 }"),
        "walker: is missing 'inclination_deg'",
    ),
    (
        "walker-phasing",
        (
            SYSTEM,
            (
                "walker = { altitude_km = 550, inclination_deg = 53, "
                "planes = 6, sats_per_plane = 4, phasing = 6 }"
            ),
        ),
        "walker: phasing = 6: expected 0 <= F < planes (6)",
    ),
    (
        "walker-pattern",
        (
            SYSTEM,
            (
                "walker = { altitude_km = 550, inclination_deg = 53, "
                'planes = 6, sats_per_plane = 4, pattern = "spiral" }'
            ),
        ),
        "walker: pattern = \"spiral\": expected one of 'delta', 'star'",
    ),
    (
        "walker-nan",
        (
            SYSTEM,
            (
                "walker = { altitude_km = nan, inclination_deg = 53, "
                "planes = 6, sats_per_plane = 4 }"
            ),
        ),
        "walker: altitude_km = nan: expected 160..40000 km, found a non-finite",
    ),
    ("walker-list", (SYSTEM, "walker = [550, 53]"), "walker: expected a table, found a list"),
    # [[systems]] gateways (bent pipe)
    (
        "gateway-lat",
        (SYSTEM, SYSTEM + '\ngateways = [{ name = "g", lat_deg = 95, lon_deg = 74 }]'),
        '[systems.starlink] gateways[0] ("g"): lat_deg = 95: expected -90..90 deg',
    ),
    (
        "gateway-lon-string",
        (SYSTEM, SYSTEM + '\ngateways = [{ name = "g", lat_deg = 35, lon_deg = "74E" }]'),
        'gateways[0] ("g"): lon_deg = "74E": expected -180..180 deg, found a string',
    ),
    (
        "gateway-missing-lon",
        (SYSTEM, SYSTEM + '\ngateways = [{ name = "g", lat_deg = 35 }]'),
        "[systems.starlink] gateways[0] (\"g\"): is missing 'lon_deg'",
    ),
    (
        "gateway-missing-name",
        (SYSTEM, SYSTEM + "\ngateways = [{ lat_deg = 35, lon_deg = 74 }]"),
        "[systems.starlink] gateways[0]: is missing 'name'",
    ),
    (
        "gateway-unknown-key",
        (
            SYSTEM,
            SYSTEM
            + '\ngateways = [{ name = "g", lat_deg = 35, lon_deg = 74, min_elevation = 10 }]',
        ),
        "gateways[0] (\"g\"): unknown key 'min_elevation'; did you mean 'min_elevation_deg'?",
    ),
    (
        "gateway-min-elevation-90",
        (
            SYSTEM,
            SYSTEM
            + '\ngateways = [{ name = "g", lat_deg = 35, lon_deg = 74, '
            + "min_elevation_deg = 90 }]",
        ),
        'gateways[0] ("g"): min_elevation_deg = 90: expected >= 0 and < 90 deg',
    ),
    (
        "gateway-name-blank",
        (SYSTEM, SYSTEM + '\ngateways = [{ name = " ", lat_deg = 35, lon_deg = 74 }]'),
        'gateways[0] (" "): name = " ": expected a non-blank name',
    ),
    (
        "gateway-name-twice",
        (
            SYSTEM,
            SYSTEM
            + '\ngateways = [{ name = "g", lat_deg = 35, lon_deg = 74 }, '
            + '{ name = "g", lat_deg = 30, lon_deg = 70 }]',
        ),
        'gateways[1] name = "g": expected a name not used by another gateway',
    ),
    (
        "gateways-one-table",
        (SYSTEM, SYSTEM + '\ngateways = { name = "g", lat_deg = 35, lon_deg = 74 }'),
        "[systems.starlink] gateways = {...}: expected a list of tables, found a table",
    ),
    (
        "gateways-strings",
        (SYSTEM, SYSTEM + '\ngateways = ["Karachi"]'),
        "[systems.starlink] gateways[0]: expected a table, found a string",
    ),
    (
        "gateways-file-number",
        (SYSTEM, SYSTEM + "\ngateways_file = 5"),
        "[systems.starlink] gateways_file = 5: expected a string, found a number",
    ),
    # [licensing]
    (
        "licensing-space",
        '[licensing]\nbase_case = "as of 2025"\n',
        '[licensing] base_case = "as of 2025": expected letters, digits',
    ),
    (
        "licensing-same",
        '[licensing]\nalternative_case = "as_of_2025"\n',
        "expected a name other than base_case",
    ),
    ("licensing-cases-key", '[licensing]\ncases = ["a", "b"]\n', "[licensing] unknown key 'cases'"),
    # planning tables
    (
        "demand-nan",
        "[demand]\ntake_up_rate = nan\n",
        "[demand] take_up_rate = nan: expected 0..1 1, found a non-finite",
    ),
    (
        "demand-string",
        '[demand]\nhousehold_size = "6"\n',
        '[demand] household_size = "6": expected 0.5..50 person, found a string',
    ),
    (
        "planning-horizon-zero",
        "[planning]\nhorizon_years = 0\n",
        "[planning] horizon_years = 0: expected a whole number 1..100 year",
    ),
    (
        "planning-discount",
        "[planning]\ndiscount_rate = 1.5\n",
        "[planning] discount_rate = 1.5: expected 0..1 1/year",
    ),
    (
        "planning-typo",
        "[planning]\nhorizon = 10\n",
        "[planning] unknown key 'horizon'; did you mean 'horizon_years'?",
    ),
    (
        "finance-zero",
        "[finance]\nusd_to_pkr = 0\n",
        "[finance] usd_to_pkr = 0: expected > 0 PKR/USD",
    ),
    ("finance-inf", "[finance]\nusd_to_pkr = inf\n", "usd_to_pkr = inf: expected > 0 PKR/USD"),
    (
        "finance-date",
        '[finance]\nusd_to_pkr_as_of = "Sep 2025"\n',
        '[finance] usd_to_pkr_as_of = "Sep 2025": expected a date such as 2025-09-24',
    ),
    (
        "costs-scalar",
        ('name = "t"', 'name = "t"\ncosts = 5'),
        "[costs]: expected a table, found a number",
    ),
    (
        "fiber-negative",
        "[costs.fiber]\ncost_per_km_usd = -1\n",
        "[costs.fiber] cost_per_km_usd = -1: expected >= 0 USD/km",
    ),
    (
        "fiber-scalar",
        ('name = "t"', 'name = "t"\ncosts = { fiber = 5 }'),
        "[costs.fiber]: expected a table, found a number",
    ),
    (
        "leo-string",
        '[costs.leo]\nterminal_usd = "cheap"\n',
        '[costs.leo] terminal_usd = "cheap": expected >= 0 USD, found a string',
    ),
    (
        "meo-lifetime-zero",
        "[costs.meo]\nlifetime_years = 0\n",
        "[costs.meo] lifetime_years = 0: expected a whole number 1..100 year",
    ),
    (
        "system-capacity-zero",
        "[costs.starlink]\ncapacity_mbps_per_terminal = 0\n",
        "[costs.starlink] capacity_mbps_per_terminal = 0: expected > 0 and <= 1e+06 Mbit/s",
    ),
    (
        "system-costs-unknown-key",
        "[costs.starlink]\nprice = 1\n",
        "[costs.starlink] unknown key 'price'",
    ),
    (
        "costs-unknown-system",
        "[costs.starlnk]\nterminal_usd = 1\n",
        "[costs] unknown key 'starlnk'; did you mean 'starlink'?",
    ),
    (
        "costs-source-number",
        "[costs.starlink]\nsource = 5\n",
        "[costs.starlink] source = 5: expected a string, found a number",
    ),
    (
        "network-bool",
        '[network]\ninclude_planned = "no"\n',
        '[network] include_planned = "no": expected true or false, found a string',
    ),
    (
        "network-nul",
        '[network]\npath = "fibre\\u0000.geojson"\n',
        '[network] path = "fibre\\x00.geojson": expected text without NUL characters',
    ),
    (
        "population-negative",
        "[population]\nrural_density_per_km2 = -5\n",
        "[population] rural_density_per_km2 = -5: expected >= 0 person/km2",
    ),
    ("population-typo", '[population]\nsorce = "x.csv"\n', "did you mean 'source'?"),
]


def _text(edit) -> str:
    if isinstance(edit, str):
        return GOOD + edit
    text = GOOD
    for old, new in edit if isinstance(edit, list) else [edit]:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def _write(tmp_path, text: str, name: str = "t.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_corpus_is_large_and_distinct():
    ids = [case[0] for case in CASES]
    assert len(ids) >= 40 and len(set(ids)) == len(ids)
    assert len({_text(case[1]) for case in CASES}) == len(CASES)


@pytest.mark.parametrize(
    "edit, fragment", [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_bad_scenario_gets_one_line_naming_the_key(tmp_path, edit, fragment):
    path = _write(tmp_path, _text(edit))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    assert fragment in text
    assert text.startswith(str(path))
    assert "\n" not in text and "\x00" not in text and len(text) < 1200


@pytest.mark.parametrize(
    "case",
    [
        "reports-table",
        "names-empty",
        "duration-inf",
        "dem-nul",
        "deeply-nested-parser",
        "costs-unknown-system",
        "exports-unknown",
    ],
)
def test_cli_exits_2_without_a_traceback(tmp_path, capsys, case):
    edit, fragment = dict((c[0], c[1:]) for c in CASES)[case]
    path = _write(tmp_path, _text(edit))
    for command in ("coverage", "plan"):
        assert main([command, str(path), "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err
        assert fragment in err and "Traceback" not in err
        assert err.startswith("hybridplan: error: ") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_files_that_are_not_scenarios(tmp_path):
    utf16 = _write(tmp_path, "", "u16.toml")
    utf16.write_bytes(GOOD.encode("utf-16"))
    with pytest.raises(ScenarioFileError, match="not UTF-8 text"):
        load_scenario(utf16)
    with pytest.raises(ScenarioFileError, match="found a NUL character"):
        load_scenario(str(tmp_path / "a\x00b.toml"))
    with pytest.raises(ScenarioFileError, match="is a folder"):
        load_scenario(tmp_path)
    blank = _write(tmp_path, "\ufeff  \n", "blank.toml")
    with pytest.raises(ScenarioFileError, match="the file is empty"):
        load_scenario(blank)


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    assert load_scenario(path).systems[0].name == "starlink"
    assert Scenario.from_toml("\ufeff" + GOOD).name == "t"


def test_system_names_with_spaces_and_slashes_are_accepted(tmp_path):
    text = (
        GOOD.replace('name = "starlink"', 'name = "Pak Sat"')
        + '[[systems]]\nname = "SES/O3b"\nsource = "bundled:o3b"\n'
        + '[costs."Pak Sat"]\nterminal_usd = 4000\n'
        + '[costs."SES/O3b"]\nservice_usd_per_month = 5000\n'
        + '[licensing]\nalternative_case = ""\n'
    )
    scenario = load_scenario(_write(tmp_path, text))
    assert [s.name for s in scenario.systems] == ["Pak Sat", "SES/O3b"]
    assert scenario.planning.costs_for("Pak Sat", "GEO").terminal_usd == 4000.0
    assert scenario.planning.costs_for("SES/O3b", "MEO").service_usd_per_month == 5000.0
    assert scenario.planning.costs_for("SES/O3b", "MEO").terminal_usd == 50_000.0
    again = Scenario.from_toml(scenario.to_toml())
    assert again.systems == scenario.systems and again.planning == scenario.planning
    assert list(again.licensing_cases()) == ["as_of_2025"]
