"""``hybridplan tle ...`` as a user runs it: info on bundled sets, walker files, help."""

import re

import pytest
from hybridplan.coverage.cli import main
from hybridplan.tle import Constellation


def test_info_on_a_bundled_set_prints_counts_epochs_and_shells(capsys):
    assert main(["tle", "info", "bundled:oneweb"]) == 0
    out = capsys.readouterr().out
    assert "651 kept, 0 dropped" in out
    assert "2026-05-29T15:29 .. 2026-05-30T15:49 UTC" in out
    assert re.search(r"87\.90 deg  120\d\.\d km +644 +12 +53", out), out


def test_walker_writes_a_tle_file_that_reads_back(tmp_path, capsys):
    out = tmp_path / "shell.tle"
    assert main(["tle", "walker", "--name", "test", "--altitude-km", "550",
                 "--inclination-deg", "53", "--planes", "6", "--sats-per-plane", "4",
                 "--phasing", "1", "--epoch", "2026-05-30T00:00:00Z", "-o", str(out)]) == 0
    assert "wrote 24 satellites" in capsys.readouterr().out
    back = Constellation.from_path(out)
    assert len(back) == 24 and back.report.n_dropped == 0
    assert back.names[0] == "test-P01-S01"
    assert abs(back.mean_altitude_km - 550).max() < 0.01
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_walker_preset_list_and_errors(tmp_path, capsys):
    assert main(["tle", "walker", "--list"]) == 0
    listing = capsys.readouterr().out
    assert "kuiper" in listing and "FCC 20-102" in listing and "(approximate)" in listing
    assert main(["tle", "walker", "--altitude-km", "550", "-o", str(tmp_path / "x.tle")]) == 2
    err = capsys.readouterr().err
    assert "needs --inclination-deg, --planes, --sats-per-plane" in err
    assert main(["tle", "walker", "--preset", "kuiper", "--epoch", "2026-05-30T00:00",
                 "-o", str(tmp_path / "k.tle")]) == 2
    assert "has no time zone" in capsys.readouterr().err
    assert not (tmp_path / "k.tle").exists()


def test_help_and_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("hybridplan ")
    with pytest.raises(SystemExit):
        main(["tle", "info", "--help"])
    assert "bundled:starlink" in capsys.readouterr().out
