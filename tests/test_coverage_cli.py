"""``hybridplan coverage``: a real small run writes the NetCDF; bad scenarios exit 2 with
one line and no traceback; outputs already written survive a failed run."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr
from hybridplan.coverage import Scenario
from hybridplan.coverage.cli import main

SMALL = """
name = "hunza-small"
[region]
names = ["Hunza"]
resolution = 5
[window]
start = "2026-05-30T00:00:00Z"
duration_h = 0.5
step_s = 60
[terrain]
n_azimuth = 36
max_distance_km = 20
[engine]
series_cells = []
[[systems]]
name = "starlink"
source = "bundled:starlink"
filter = { altitude_km = [400, 600] }
gso_exclusion_deg = 18
[[systems]]
name = "paksat"
source = "bundled:geo"
filter = { name = "PAKSAT" }
min_elevation_deg = 10
"""

BAD = {
    "unknown key": (("duration_h = 0.5", "duraton_h = 0.5"),
                    "[window] unknown key 'duraton_h'; did you mean 'duration_h'?"),
    "negative altitude": (("filter = { altitude_km = [400, 600] }",
                           "filter = { altitude_km = [-400, 600] }"),
                          "[systems.starlink] filter: altitude_km = [-400, 600]: expected"),
    "min elevation 95": (("gso_exclusion_deg = 18", "min_elevation_deg = 95"),
                         "[systems.starlink] min_elevation_deg = 95: expected 0..90 deg"),
    "step 0": (("step_s = 60", "step_s = 0"), "[window] step_s = 0: expected > 0"),
    "no time zone": (('start = "2026-05-30T00:00:00Z"', 'start = "2026-05-30T00:00:00"'),
                     ("has no time zone; hybridplan works in UTC: write "
                      '"2026-05-30T00:00:00Z"')),
    "60 days from epoch": (("2026-05-30T00:00:00Z", "2026-07-29T00:00:00Z"),
                           "allow_stale_elements = true"),
}


@pytest.fixture
def write(tmp_path):
    def _write(text, name="scenario.toml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return _write


def test_small_run_writes_the_netcdf_and_a_summary(write, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["coverage", str(write(SMALL)), "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "starlink" in printed and "combined" in printed and "wrote" in printed
    fom = xr.load_dataset(out / "coverage.nc", engine="h5netcdf")
    assert list(fom["system"].values) == ["starlink", "paksat", "combined"]
    assert fom.sizes["cell"] > 20 and fom.attrs["terrain"] == 1
    assert fom["pct_time_covered"].attrs["units"] == "percent"
    assert (fom["pct_time_covered"].sel(system="combined") == 100.0).all()
    assert Scenario.from_toml(fom.attrs["scenario"]).name == "hunza-small"
    assert fom.attrs["dem_source"].startswith("ITU-R P.1511")


@pytest.mark.parametrize("case", list(BAD))
def test_bad_scenarios_exit_2_with_one_line(write, tmp_path, capsys, case):
    (old, new), message = BAD[case]
    assert old in SMALL
    out = tmp_path / "out"
    out.mkdir()
    (out / "coverage.nc").write_bytes(b"previous result")
    code = main(["coverage", str(write(SMALL.replace(old, new, 1))), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("hybridplan: error: ") and err.count("\n") == 1
    assert message in err and "Traceback" not in err
    assert (out / "coverage.nc").read_bytes() == b"previous result"


def test_console_script_exits_nonzero_without_traceback(write, tmp_path):
    bad = write(SMALL.replace("step_s = 60", "step_s = 0"))
    env = dict(os.environ, PYTHONSAFEPATH="1")
    script = Path(sys.executable).parent / "hybridplan"
    result = subprocess.run([str(script), "coverage", str(bad), "--out", str(tmp_path)],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "[window] step_s = 0: expected > 0" in result.stderr


def test_missing_arguments_and_the_reference_outputs(capsys, tmp_path):
    assert main(["coverage", "default"]) == 2
    assert "needs --out DIR" in capsys.readouterr().err
    assert main(["coverage", "--out", str(tmp_path)]) == 2
    assert "needs SCENARIO.toml" in capsys.readouterr().err
    assert main(["coverage", str(tmp_path / "nope.toml"), "--out", str(tmp_path)]) == 2
    assert "no such scenario file" in capsys.readouterr().err
    assert main(["coverage", "--defaults"]) == 0
    assert "| [window] duration_h | 24.0 |" in capsys.readouterr().out
    assert main(["coverage", "--print-default"]) == 0
    text = capsys.readouterr().out
    assert Scenario.from_toml(text).name == "gb-ajk-default"
