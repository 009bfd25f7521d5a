"""An output folder is never a mix of two runs (issue "Exact in every case", item 6).

A run writes into a staging folder and swaps it in whole; a second run into a folder in
use is refused; a failure (full disk, a crash in the report step, a kill) leaves the
previous complete set; leftovers of killed runs are cleaned by the next run.
"""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hybridplan.coverage.cli import main
from hybridplan.coverage.errors import CoverageError
from hybridplan.coverage.pipeline.folder import OutputFolder, OutputFolderWarning, read_manifest

TINY = """
name = "tiny"
[region]
names = ["Hunza"]
resolution = 4
[window]
start = "2026-05-30T00:00:00Z"
duration_h = %s
step_s = 60
[terrain]
enabled = false
[[systems]]
name = "paksat"
source = "bundled:geo"
filter = { name = "PAKSAT" }
min_elevation_deg = 10
"""


def _scenario(tmp_path: Path, hours: float = 0.25) -> Path:
    path = tmp_path / f"tiny-{hours}.toml"
    path.write_text(TINY % hours, encoding="utf-8")
    return path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_run_swaps_in_a_complete_set_with_its_manifest(tmp_path):
    out = tmp_path / "out"
    assert main(["coverage", str(_scenario(tmp_path)), "--out", str(out), "--no-progress"]) == 0
    manifest = read_manifest(out)
    assert manifest["command"] == "coverage"
    assert set(manifest["files"]) == {"coverage.nc"}
    assert manifest["files"]["coverage.nc"] == (out / "coverage.nc").stat().st_size
    assert not list(tmp_path.glob(".out.staging-*"))


def test_a_second_run_into_a_folder_in_use_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    with OutputFolder(out):  # another run holds the folder
        code = main(["coverage", str(_scenario(tmp_path)), "--out", str(out), "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err
    assert "another hybridplan run (pid" in err and "is writing this folder" in err
    assert "Traceback" not in err


def test_a_crash_after_the_computation_keeps_the_previous_set(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    assert main(["coverage", str(_scenario(tmp_path)), "--out", str(out), "--no-progress"]) == 0
    before = _snapshot(out)

    import hybridplan.coverage.pipeline as pipeline

    def full_disk(ds, path):
        Path(path).write_bytes(b"half a file")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pipeline, "write_netcdf", full_disk)
    code = main(["coverage", str(_scenario(tmp_path, 0.5)), "--out", str(out), "--no-progress"])
    assert code == 2
    err = capsys.readouterr().err
    assert "coverage.nc: cannot write (No space left on device)" in err
    assert "previous outputs in" in err and "are unchanged" in err
    assert _snapshot(out) == before  # the same bytes, manifest included
    assert not list(tmp_path.glob(".out.staging-*"))


def test_a_folder_hybridplan_did_not_write_is_refused(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious", encoding="utf-8")
    assert main(["coverage", str(_scenario(tmp_path)), "--out", str(out), "--no-progress"]) == 2
    assert "holds files that hybridplan did not write" in capsys.readouterr().err
    assert (out / "thesis.tex").read_text(encoding="utf-8") == "precious"


def test_out_is_checked_before_the_long_computation(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    started = time.perf_counter()
    assert main(["coverage", str(_scenario(tmp_path, 24)), "--out", str(blocker),
                 "--no-progress"]) == 2
    assert time.perf_counter() - started < 5.0  # refused before a day of coverage
    assert "exists and is not a folder" in capsys.readouterr().err
    with pytest.raises(CoverageError, match="NUL"):
        OutputFolder("out\x00put")


def test_leftovers_of_killed_runs_are_cleaned_or_restored(tmp_path):
    out = tmp_path / "out"
    (tmp_path / ".out.staging-12345").mkdir()
    (tmp_path / ".out.staging-12345" / "plan.nc").write_bytes(b"partial")
    previous = tmp_path / ".out.previous-12345"
    previous.mkdir()
    (previous / "manifest.json").write_text(json.dumps({"command": "plan"}), encoding="utf-8")
    with pytest.warns(OutputFolderWarning, match="removed 1 unfinished output folder.*restored"):
        with OutputFolder(out) as folder:
            assert (out / "manifest.json").exists()  # the set a killed swap had put aside
            (folder.staging / "a.txt").write_text("new", encoding="utf-8")
            folder.commit({"run": 2})
    assert read_manifest(out)["run"] == 2 and (out / "a.txt").exists()
    assert not list(tmp_path.glob(".out.*-12345"))


@pytest.mark.skipif(sys.platform != "linux", reason="signals and /proc")
def test_sigkill_mid_run_never_leaves_a_mixed_folder(tmp_path):
    out = tmp_path / "out"
    assert main(["coverage", str(_scenario(tmp_path)), "--out", str(out), "--no-progress"]) == 0
    before = _snapshot(out)
    env = {**os.environ, "PYTHONSAFEPATH": "1"}
    script = Path(sys.executable).with_name("hybridplan")
    process = subprocess.Popen(
        [str(script), "coverage", str(_scenario(tmp_path, 12)), "--out", str(out),
         "--no-progress"], cwd=tmp_path, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.staging-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert _snapshot(out) == before  # the killed run changed nothing in the folder
    # the next run cleans the killed run's staging folder and says so
    with pytest.warns(OutputFolderWarning, match="removed 1 unfinished"):
        with OutputFolder(out):
            pass
    assert not list(tmp_path.glob(".out.staging-*"))


@pytest.mark.dask
def test_cli_scheduler_and_checkpoints_give_the_serial_result(tmp_path):
    """``--scheduler local:2`` and ``--checkpoints DIR`` change where the coverage step
    runs, not what it computes; a rerun with the same checkpoints computes no span."""
    import xarray as xr

    scenario = str(_scenario(tmp_path, 1.0))
    assert main(["coverage", scenario, "--out", str(tmp_path / "serial"), "--no-progress"]) == 0
    assert main(["coverage", scenario, "--out", str(tmp_path / "dask"), "--no-progress",
                 "--scheduler", "local:2"]) == 0
    spans = tmp_path / "spans"
    for run in ("ck1", "ck2"):
        assert main(["coverage", scenario, "--out", str(tmp_path / run), "--no-progress",
                     "--checkpoints", str(spans)]) == 0
    assert any(spans.rglob("*.npz"))
    serial = xr.load_dataset(tmp_path / "serial" / "coverage.nc", engine="h5netcdf")
    for run in ("dask", "ck1", "ck2"):
        other = xr.load_dataset(tmp_path / run / "coverage.nc", engine="h5netcdf")
        for name in ("pct_time_covered", "n_visible_max", "max_gap_s", "n_gaps"):
            np.testing.assert_array_equal(other[name].values, serial[name].values)
