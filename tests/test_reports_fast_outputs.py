"""The fast output path writes the same files as the plain one.

- figures built without Plotly's validation (reports/plotly_objects.py) and serialised
  without ``to_dict``'s deep copy give the same figure JSON as validated figures through
  ``plotly.io.to_html``; the report's text outside the figures is the same byte for byte;
- the report written in a forked child (reports/background.py) is the same file as the
  one written inline, and the child's errors reach the caller.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from hybridplan.coverage import testing
from hybridplan.reports import ReportDataError, page, plotly_objects, render_report, write_all
from hybridplan.reports.background import BackgroundWrite, BackgroundWriteError, fork_available

SMALL_BOX = (35.8, 36.1, 74.2, 74.6)
_spec = importlib.util.spec_from_file_location(
    "compare_reports", Path(__file__).parents[1] / "benchmarks" / "compare_reports.py"
)
compare_reports = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(compare_reports)


@pytest.fixture(scope="module")
def plan():
    return testing.synthetic_plan(box=SMALL_BOX, cases=True)


def _extras():
    return {
        "boundaries": testing.synthetic_boundaries(SMALL_BOX),
        "network": testing.synthetic_network(),
        "sweep": testing.synthetic_sweep(),
    }


def _plotly_default_path(monkeypatch):
    """Validated figures, serialised by Plotly's own to_dict (what the report did)."""
    monkeypatch.setattr(plotly_objects, "VALIDATE", True)
    monkeypatch.setattr(page, "figure_dict", lambda fig: fig.to_dict())


def _same_report(old: str, new: str) -> None:
    old_text, old_figs = compare_reports.figures(old)
    new_text, new_figs = compare_reports.figures(new)
    assert new_text == old_text
    assert list(new_figs) == list(old_figs) and len(old_figs) > 10
    for name, value in old_figs.items():
        assert new_figs[name] == value, name


@pytest.mark.parametrize("which", ["synthetic", "real"])
def test_unvalidated_figures_are_the_validated_ones(which, plan, real_run, monkeypatch):
    ds, extras = (plan, _extras()) if which == "synthetic" else real_run
    fast = render_report(ds, **extras)
    with monkeypatch.context() as m:
        _plotly_default_path(m)
        slow = render_report(ds, **extras)
    _same_report(slow, fast)
    assert '"template":' in fast  # Plotly's default template still travels with figures


def test_figure_dict_is_to_dict_and_leaves_the_figure_alone():
    x = np.linspace(70.0, 71.0, 50, dtype=np.float32)
    fig = plotly_objects.figure(
        [plotly_objects.scatter(x=x, y=x * 2, mode="lines", marker={"size": 3})],
        {"title": {"text": "t"}, "xaxis": {"range": [70.0, 71.0]}},
    )
    assert plotly_objects.figure_dict(fig) == fig.to_dict()
    # arrays became typed-array specs in the copy, not in the figure
    assert plotly_objects.figure_dict(fig)["data"][0]["x"]["dtype"] == "f4"
    assert isinstance(fig.data[0].x, np.ndarray)
    np.testing.assert_array_equal(fig.data[0].x, x)


def test_validation_can_be_switched_back_on(monkeypatch):
    monkeypatch.setattr(plotly_objects, "VALIDATE", True)
    with pytest.raises(ValueError, match="colour"):
        plotly_objects.scatter(x=[1], colour="red")
    monkeypatch.setattr(plotly_objects, "VALIDATE", False)
    assert pio.to_json(plotly_objects.figure([plotly_objects.bar(x=[1], y=[2])]))


needs_fork = pytest.mark.skipif(not fork_available(), reason="no fork on this platform")


@needs_fork
def test_concurrent_outputs_are_the_serial_files(plan, tmp_path):
    exports = ("report", "geopackage", "districts_csv", "attributes_csv")
    calls = []

    def also():
        calls.append(os.getpid())
        path = tmp_path / "a" / "x.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text("x")
        return path

    a = write_all(plan, tmp_path / "a", exports, concurrent=True, also={"x": also}, **_extras())
    b = write_all(plan, tmp_path / "b", exports, concurrent=False, **_extras())
    assert list(a) == ["x", *exports] and list(b) == list(exports)
    assert calls == [os.getpid()]  # the caller's writers ran here
    for name in exports:
        assert a[name].read_bytes() == b[name].read_bytes(), name
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.startswith(".")]


def _fail():
    raise ReportDataError("the plan Dataset has no cells to report on")


@needs_fork
def test_child_errors_reach_the_caller(plan, tmp_path):
    with pytest.raises(ReportDataError, match="no cells"):
        with BackgroundWrite(_fail) as job:
            job.wait()
    # an error here stops the child: nothing of either is left, not even a temporary file
    with pytest.raises(ReportDataError, match="no cells"):
        write_all(plan.isel(cell=slice(0, 0)), tmp_path / "e", ("report", "districts_csv"))
    assert not list((tmp_path / "e").glob("*")) if (tmp_path / "e").exists() else True


@needs_fork
def test_a_killed_child_is_a_clear_error():
    def die():
        os._exit(9)

    with pytest.raises(BackgroundWriteError, match="writing the report died .exit code 9"):
        with BackgroundWrite(die) as job:
            job.wait()
    with pytest.raises(BackgroundWriteError, match="writing the GIS layers died .exit code 9"):
        with BackgroundWrite(die, what="the GIS layers") as job:
            job.wait()


@needs_fork
def test_the_child_inherits_a_frozen_heap_and_the_parent_does_not_keep_it():
    """gc.freeze() before the fork: the child's collections never walk (and so never
    copy) the pages of the objects it inherits; this process collects as before."""
    import gc

    keep = [[k] for k in range(1000)]  # container objects a collection would walk
    with BackgroundWrite(gc.get_freeze_count) as job:
        assert gc.get_freeze_count() == 0
        assert job.wait() >= len(keep)
    assert gc.get_freeze_count() == 0


def test_without_concurrency_the_writer_runs_inline(tmp_path):
    path = tmp_path / "f.txt"
    job = BackgroundWrite(lambda: path.write_text("ok") and path, concurrent=False).start()
    assert not path.exists()  # nothing runs before wait()
    assert job.wait() == path and path.read_text() == "ok"


def test_plotly_objects_are_plotly_objects():
    assert isinstance(plotly_objects.figure(), go.Figure)
    assert isinstance(plotly_objects.scatter(x=[1]), go.Scatter)
    assert isinstance(plotly_objects.bar(x=[1]), go.Bar)


def test_geopackage_batches_do_not_change_the_file(plan, tmp_path, monkeypatch):
    from hybridplan.reports import geopackage

    whole = geopackage.write_geopackage(plan, tmp_path / "whole.gpkg")
    monkeypatch.setattr(geopackage, "ROWS_PER_BATCH", 7)  # many batches, a short last one
    assert plan.sizes["cell"] % 7 and plan.sizes["cell"] > 3 * 7
    batched = geopackage.write_geopackage(plan, tmp_path / "batched.gpkg")
    assert batched.read_bytes() == whole.read_bytes()
