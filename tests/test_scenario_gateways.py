"""Gateways in the scenario: the ``gateways`` list and the ``gateways_file`` CSV, their
one-line errors (file, line, column), the TOML round trip, and the wiring to the engine.
The coordinates below are test points, not real gateway sites."""

import pytest
from hybridplan.coverage import ScenarioError, ScenarioFileError
from hybridplan.coverage.cli import main
from hybridplan.coverage.engine.gateway import Gateway, gateway_tables
from hybridplan.coverage.pipeline.inputs import resolve_systems
from hybridplan.coverage.scenario import (
    GatewaySpec,
    Scenario,
    SystemSpec,
    load_scenario,
    read_gateways_csv,
    system_gateways,
)

SCENARIO = """name = "t"
[window]
start = "2026-05-30T00:00:00Z"
duration_h = 1
step_s = 60
[[systems]]
name = "paksat"
source = "bundled:geo"
filter = { name = "PAKSAT" }
min_elevation_deg = 10
gateways = [{ name = "inline", lat_deg = 30.5, lon_deg = 70.25, height_m = 100, min_elevation_deg = 5 }]
gateways_file = "gw.csv"
"""

CSV = """\ufeff# test points, not real sites
name,lat_deg,lon_deg,min_elevation_deg

"east, one",31.0,74.0,12.5
west,29.0,66.0,0
"""


def _scenario(tmp_path, text=SCENARIO, csv=CSV):
    (tmp_path / "gw.csv").write_text(csv, encoding="utf-8")
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


def test_list_and_file_give_the_system_its_gateways(tmp_path):
    scenario = _scenario(tmp_path)
    gateways = system_gateways(scenario.systems[0], scenario)
    assert gateways == (
        GatewaySpec("inline", 30.5, 70.25, 100.0, 5.0),
        GatewaySpec("east, one", 31.0, 74.0, 0.0, 12.5),  # height_m: the schema default
        GatewaySpec("west", 29.0, 66.0, 0.0, 0.0),
    )
    models = resolve_systems(scenario)
    assert models[0].gateways == (
        Gateway("inline", 30.5, 70.25, 100.0, 5.0),
        Gateway("east, one", 31.0, 74.0, 0.0, 12.5),
        Gateway("west", 29.0, 66.0, 0.0, 0.0),
    )
    tables = gateway_tables(models)
    assert tables is not None and tables[0].ecef_km.shape == (3, 3)


def test_without_gateways_there_is_no_rule(tmp_path):
    text = SCENARIO.replace(SCENARIO[SCENARIO.index("gateways = [") :], "")
    scenario = _scenario(tmp_path, text)
    assert scenario.systems[0].gateways == () and scenario.systems[0].gateways_file == ""
    models = resolve_systems(scenario)
    assert models[0].gateways == () and gateway_tables(models) is None


def test_gateways_round_trip_through_toml(tmp_path):
    scenario = _scenario(tmp_path)
    again = Scenario.from_toml(scenario.to_toml())
    assert again.systems == scenario.systems
    assert 'gateways_file = "gw.csv"' in scenario.to_toml()
    built = Scenario(
        systems=[
            SystemSpec(
                "w",
                source="bundled:o3b",
                gateways=[GatewaySpec("a", 1.0, 2.0), GatewaySpec("b", -1.0, -2.0, 5.0, 20.0)],
            )
        ]
    )
    assert built.systems[0].gateways == (
        GatewaySpec("a", 1.0, 2.0),
        GatewaySpec("b", -1.0, -2.0, 5.0, 20.0),
    )
    assert Scenario.from_toml(built.text).systems == built.systems


def test_python_specs_are_checked_like_toml():
    with pytest.raises(ScenarioError, match=r"GatewaySpec: lat_deg = -91: expected -90..90 deg"):
        GatewaySpec("a", -91, 0)
    with pytest.raises(ScenarioError, match=r"gateways\[0\]: expected a GatewaySpec, found dict"):
        SystemSpec("w", source="bundled:o3b", gateways=[{"name": "a"}])
    with pytest.raises(ScenarioError, match="expected a list of gateways, found GatewaySpec"):
        SystemSpec("w", source="bundled:o3b", gateways=GatewaySpec("a", 1.0, 2.0))


BAD_FILES = [
    (
        "missing-column",
        "name,lat_deg\na,1\n",
        ":1: header name,lat_deg: expected a column 'lon_deg'",
    ),
    (
        "unknown-column",
        "name,lat_deg,lon_deg,elevation\na,1,2,3\n",
        ":1: header unknown key 'elevation'; did you mean 'min_elevation_deg'?",
    ),
    (
        "column-twice",
        "name,lat_deg,lon_deg,lat_deg\na,1,2,3\n",
        ":1: header: column 'lat_deg' appears twice",
    ),
    (
        "lat-range",
        "# c\nname,lat_deg,lon_deg\na,1,2\nb,91,2\n",
        ":4: lat_deg = 91.0: expected -90..90 deg",
    ),
    ("lon-range", "name,lat_deg,lon_deg\na,1,200\n", ":2: lon_deg = 200.0: expected -180..180 deg"),
    ("not-a-number", "name,lat_deg,lon_deg\na,1,74E\n", ':2: lon_deg = "74E": expected a number'),
    (
        "nan",
        "name,lat_deg,lon_deg\na,nan,2\n",
        ":2: lat_deg = nan: expected -90..90 deg, found a non-finite",
    ),
    (
        "fields",
        "name,lat_deg,lon_deg\na,1\n",
        ":2: expected 3 fields (name,lat_deg,lon_deg), found 2",
    ),
    ("blank-name", "name,lat_deg,lon_deg\n ,1,2\n", ':2: name = "": expected a non-blank name'),
    (
        "elevation-90",
        "name,lat_deg,lon_deg,min_elevation_deg\na,1,2,90\n",
        ":2: min_elevation_deg = 90.0: expected >= 0 and < 90 deg",
    ),
    ("empty", "", "gateways_file: "),
    ("header-only", "name,lat_deg,lon_deg\n", "a header and no gateways"),
    ("nul", "name,lat_deg,lon_deg\na,1,\x002\n", ":2: a NUL character"),
    (
        "twice",
        "name,lat_deg,lon_deg\ninline,1,2\n",
        'gateway "inline" is in gateways and in gateways_file',
    ),
    ("twice-in-file", "name,lat_deg,lon_deg\na,1,2\na,3,4\n", 'gateway "a" is in gateways_file'),
]


@pytest.mark.parametrize("csv, fragment", [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_gateways_file_gets_one_line_naming_file_line_and_column(tmp_path, csv, fragment):
    scenario = _scenario(tmp_path, csv=csv)
    with pytest.raises(ScenarioError) as info:
        system_gateways(scenario.systems[0], scenario)
    text = str(info.value)
    assert fragment in text
    assert str(tmp_path / "gw.csv") in text or "gw.csv" in text
    assert "\n" not in text and "\x00" not in text and len(text) < 600


def test_unreadable_gateways_files(tmp_path):
    with pytest.raises(ScenarioFileError, match="no such gateways file"):
        read_gateways_csv(tmp_path / "none.csv")
    with pytest.raises(ScenarioFileError, match="is a folder"):
        read_gateways_csv(tmp_path)
    utf16 = tmp_path / "u16.csv"
    utf16.write_bytes("name,lat_deg,lon_deg\na,1,2\n".encode("utf-16"))
    with pytest.raises(ScenarioFileError, match="not UTF-8 text"):
        read_gateways_csv(utf16)
    huge = tmp_path / "huge.csv"
    huge.write_text("name,lat_deg,lon_deg\n" + "".join(f"g{k},1,2\n" for k in range(10_001)))
    with pytest.raises(ScenarioError, match="10,001 gateways, more than 10,000"):
        read_gateways_csv(huge)


def test_cli_exits_2_on_a_bad_gateways_file_without_writing(tmp_path, capsys):
    scenario = tmp_path / "t.toml"
    _scenario(tmp_path, csv="name,lat_deg,lon_deg\na,95,2\n")
    for command in ("coverage", "plan"):
        assert main([command, str(scenario), "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("hybridplan: error: ") and err.count("\n") == 1
        assert "gw.csv:2: lat_deg = 95.0: expected -90..90 deg" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
