"""Compact cell tables (``[output] cell_detail``): which columns a national plan's
cells.gpkg / cells.csv keep, that their values are the plan's own, and that the choice
follows the scenario through ``hybridplan plan`` and ``hybridplan report``."""

import csv
import io
import re
import sqlite3

import numpy as np
import pytest
from hybridplan.coverage import testing
from hybridplan.coverage.errors import ScenarioError
from hybridplan.coverage.scenario import default_scenario_text, load_scenario
from hybridplan.coverage.scenario.schema import COMPACT_ABOVE_CELLS
from hybridplan.reports import ReportDataError, cell_columns, write_all
from hybridplan.reports.exports import COMPACT_PER_SYSTEM


@pytest.fixture(scope="module")
def plan():
    return testing.synthetic_plan(box=(35.8, 36.0, 74.2, 74.5), series=False)


def _per_system(plan):
    return [n for n in plan.data_vars if plan[n].dims == ("system", "cell")]


def test_compact_keeps_every_cell_variable_and_only_decision_figures_per_system(plan):
    full = {c.name for c in cell_columns(plan, values=False)}
    compact = [c.name for c in cell_columns(plan, values=False, detail="compact")]
    assert len(compact) == len(set(compact))
    systems = [str(s) for s in plan.system.values]
    assert "combined" in systems
    cell_vars = [n for n in plan.data_vars if plan[n].dims == ("cell",)]
    expected = {"cell", *cell_vars}
    for name in _per_system(plan):
        for system in systems:
            if name in COMPACT_PER_SYSTEM or system == "combined":
                expected.add(f"{name}_{system}")
    assert set(compact) == expected
    assert set(compact) < full
    # the decision's inputs for every system, the rest for the combined system only
    assert {f"pct_time_covered_{s}" for s in systems} <= set(compact)
    assert {f"latency_rtt_mean_ms_{s}" for s in systems} <= set(compact)
    assert "max_gap_s_combined" in compact and "max_gap_s_starlink" not in compact


def test_compact_values_are_the_plans_own(plan):
    cols = {c.name: c for c in cell_columns(plan, detail="compact")}
    np.testing.assert_array_equal(
        cols["pct_time_covered_oneweb"].values, plan.pct_time_covered.sel(system="oneweb").values
    )
    np.testing.assert_array_equal(
        cols["max_gap_s_combined"].values, plan.max_gap_s.sel(system="combined").values
    )
    np.testing.assert_array_equal(cols["population"].values, plan.population.values)
    assert list(cols["cell"].values) == [str(c) for c in plan.cell.values]


def test_unknown_detail_is_a_clear_error(plan, tmp_path):
    with pytest.raises(ReportDataError, match="cell_detail = 'short': expected one of"):
        cell_columns(plan, detail="short")
    with pytest.raises(ReportDataError, match="cell_detail"):
        write_all(plan, tmp_path / "out", cell_detail="short")
    assert not (tmp_path / "out").exists()


def test_write_all_compact_tables_and_dictionary_agree(plan, tmp_path):
    paths = write_all(
        plan,
        tmp_path / "out",
        exports=["report", "geopackage", "cells_csv", "attributes_csv"],
        cell_detail="compact",
        concurrent=False,
    )
    names = [c.name for c in cell_columns(plan, values=False, detail="compact")]
    header = next(csv.reader(io.StringIO(paths["cells_csv"].read_text("utf-8"))))
    assert header == names
    con = sqlite3.connect(paths["geopackage"])
    try:
        gpkg = [r[1] for r in con.execute("PRAGMA table_info(cells)")]
        documented = {r[0] for r in con.execute("SELECT column_name FROM gpkg_data_columns")}
        n_rows = con.execute("SELECT COUNT(*) FROM cells").fetchone()[0]
    finally:
        con.close()
    assert gpkg == ["fid", "geom", *names]
    assert set(names) <= documented
    assert n_rows == plan.sizes["cell"]  # every cell, empty ones included
    with open(paths["attributes_csv"], newline="", encoding="utf-8") as f:
        cells = [r["column"] for r in csv.DictReader(f) if r["table"] == "cells"]
    assert cells == names
    html = paths["report"].read_text("utf-8")
    assert "compact: per system only availability and latency" in html
    assert "max_gap_s_starlink" not in html and "max_gap_s_combined" in html


def _scenario(tmp_path, detail_line: str):
    text = re.sub(r"(?m)^cell_detail = .*$", detail_line.strip(), default_scenario_text())
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


def test_auto_is_full_for_a_region_and_compact_for_a_nation(tmp_path):
    auto = _scenario(tmp_path, "").output
    assert auto.cell_detail == "auto"
    assert auto.cell_detail_for(13_837) == "full"  # GB and AJK at res 7
    assert auto.cell_detail_for(COMPACT_ABOVE_CELLS) == "full"
    assert auto.cell_detail_for(COMPACT_ABOVE_CELLS + 1) == "compact"
    assert auto.cell_detail_for(160_871) == "compact"  # all Pakistan at res 7
    assert _scenario(tmp_path, 'cell_detail = "full"\n').output.cell_detail_for(10**6) == "full"
    assert _scenario(tmp_path, 'cell_detail = "compact"\n').output.cell_detail_for(10) == "compact"


def test_a_bad_cell_detail_names_the_key_and_the_choices(tmp_path):
    with pytest.raises(ScenarioError) as err:
        _scenario(tmp_path, 'cell_detail = "tiny"\n')
    message = str(err.value)
    assert "cell_detail" in message and "'compact'" in message and "\n" not in message
