"""STK figures of merit (revisit, response, time-average gap, accesses, percent satisfied
over time, coverage by latitude, gap lists) against independent per-step computations in
plain Python, and exact chunking / merging like the first-release accumulators."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import numpy as np
import pytest
import xarray as xr
from hybridplan.coverage.engine import EngineOptions, SystemModel, compute_coverage
from hybridplan.coverage.engine.accumulator import Accumulator
from hybridplan.coverage.engine.fom import PERCENTILES, stk_variables
from hybridplan.coverage.engine.kernel import _fold
from hybridplan.coverage.engine.stk import coverage_by_latitude, gap_list
from hybridplan.tle import Constellation, TimeGrid, WalkerShell
from hypothesis import given, settings
from hypothesis import strategies as st

START = datetime(2026, 5, 30, 0, 0, tzinfo=timezone.utc)


def runs(covered, value):
    """Lengths of the maximal runs of ``value`` in a boolean sequence (edges in-window)."""
    out, run = [], 0
    for c in covered:
        if bool(c) == value:
            run += 1
        elif run:
            out.append(run)
            run = 0
    if run:
        out.append(run)
    return out


def reference(covered, step_s=1.0):
    """Every STK figure of merit of one cell, by brute force over its samples."""
    n = len(covered)
    gaps, accesses = runs(covered, False), runs(covered, True)
    waits = np.zeros(n)  # response time at every sample: steps to the next covered sample
    nxt = n
    for t in range(n - 1, -1, -1):
        nxt = t if covered[t] else nxt
        waits[t] = nxt - t
    ref = {
        "response_time_mean_s": waits.mean() * step_s,
        "response_time_max_s": waits.max() * step_s,
        "time_average_gap_s": sum(g * g for g in gaps) / n * step_s,
        "access_count": len(accesses),
        "access_duration_mean_s": (np.mean(accesses) * step_s if accesses else np.nan),
        "access_duration_min_s": (min(accesses) * step_s if accesses else np.nan),
        "access_duration_max_s": (max(accesses) * step_s if accesses else np.nan),
    }
    # percent below: the smallest r with at least q of the samples waiting <= r
    ref["response_time_percentile_s"] = [
        np.sort(waits)[int(np.ceil(q / 100.0 * n - 1e-9)) - 1] * step_s for q in PERCENTILES
    ]
    ref["revisit_time_percentile_s"] = [
        (
            np.sort(gaps)[max(int(np.ceil(q / 100.0 * len(gaps) - 1e-9)), 1) - 1] * step_s
            if gaps
            else 0.0
        )
        for q in PERCENTILES
    ]
    return ref


def fold(covered, first_step=0):
    """Accumulate one cell's coverage flags (1-D) with the kernel's fold."""
    n_vis = np.asarray(covered, dtype=np.int32).reshape(-1, 1)
    acc = Accumulator.empty(first_step, n_vis.shape[0], 0, 1)
    best_sin = np.where(n_vis > 0, 0.5, -2.0)
    _fold(
        acc.fields,
        0,
        n_vis,
        (n_vis > 0).astype(np.int8),
        (n_vis > 0).astype(np.int8),
        best_sin,
        np.full(n_vis.shape, 1e6),
        np.full(n_vis.shape, -1.0),
        np.full(1, -1, np.int64),
        acc.series_n,
        acc.series_open,
        acc.series_best_deg,
    )
    return acc


def values_of(acc, step_s=1.0):
    out = {k: v[1] for k, v in stk_variables(acc, step_s).items()}
    return {k: np.asarray(v)[0, 0] for k, v in out.items()}


def check_against_reference(covered, acc, step_s=1.0):
    ours, ref = values_of(acc, step_s), reference(covered, step_s)
    for key, expected in ref.items():
        np.testing.assert_allclose(
            ours[key], expected, rtol=1e-12, atol=1e-9, err_msg=f"{key} for {covered}"
        )


@pytest.mark.parametrize(
    "covered",
    [
        [1, 0, 0, 1, 0],
        [0, 0, 1, 1],
        [0, 0, 0],
        [1, 1, 1],
        [0, 1, 0, 1, 1, 0, 0, 0, 1],
        [1] * 5 + [0] * 7 + [1] * 2 + [0] * 3,
    ],
)
def test_stk_figures_of_merit_by_hand(covered):
    check_against_reference(covered, fold(covered), step_s=30.0)


def test_hand_numbers():
    """A 10-step window, covered at steps 2-3 and 7: gaps 2, 3, 2; accesses 2, 1."""
    covered = [0, 0, 1, 1, 0, 0, 0, 1, 0, 0]
    got = values_of(fold(covered), step_s=60.0)
    assert got["time_average_gap_s"] == pytest.approx((4 + 9 + 4) / 10 * 60.0)
    # waits 2 1 0 0 3 2 1 0 2 1 -> mean 1.2 steps
    assert got["response_time_mean_s"] == pytest.approx(1.2 * 60.0)
    assert got["access_count"] == 2
    assert got["access_duration_mean_s"] == pytest.approx(90.0)
    assert (got["access_duration_min_s"], got["access_duration_max_s"]) == (60.0, 120.0)
    assert got["revisit_time_percentile_s"][0] == 120.0  # median of gaps 2, 2, 3 steps


@settings(max_examples=80, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=60), st.data())
def test_fold_and_merge_match_brute_force(covered, data):
    whole = fold(covered)
    check_against_reference(covered, whole)
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(covered) - 1)), max_size=5)))
    edges = [0] + [c for c in cuts if c < len(covered)] + [len(covered)]
    parts = [fold(covered[a:b], a) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    left = parts[0]
    for part in parts[1:]:
        left = left.merge(part)
    right = parts[-1]
    for part in reversed(parts[:-1]):
        right = part.merge(right)
    np.testing.assert_array_equal(left.fields, whole.fields)
    np.testing.assert_array_equal(right.fields, whole.fields)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from([1, 2, 3, 5, 8, 9, 12, 40, 700, 3000]), min_size=1, max_size=8))
def test_long_gaps_percentiles_stay_within_one_bin(gap_lengths):
    """Gaps of 8 steps or more fall in 26 %-wide bins: the revisit percentile is never
    below the truth and at most one bin (x 2**(1/3), rounded) above; the response
    percentile is within a bin either way."""
    covered = []
    for g in gap_lengths:
        covered += [1] + [0] * g
    covered.append(1)
    ours = values_of(fold(covered))
    ref = reference(covered)
    for k in range(len(PERCENTILES)):
        truth = ref["revisit_time_percentile_s"][k]
        got = ours["revisit_time_percentile_s"][k]
        assert truth <= got <= max(truth, np.ceil(truth * 2 ** (1 / 3)) + 1)
        truth_r = ref["response_time_percentile_s"][k]
        got_r = ours["response_time_percentile_s"][k]
        # gap lengths taken at their bin's top shift the time quantile either way
        assert truth_r / 2 ** (1 / 3) - 1 <= got_r <= truth_r * 2 ** (1 / 3) + 1


@pytest.fixture(scope="module")
def engine_case():
    """A 12-satellite Walker shell over 6 cells near Gilgit for 3 h at 60 s: accesses and
    gaps of many lengths."""
    lat = np.array([35.9, 36.3, 35.3, 34.4, 20.0, 50.0])
    lon = np.array([74.3, 74.7, 75.6, 73.5, 74.0, 74.0])
    grid = xr.Dataset(
        {
            "lat": ("cell", lat),
            "lon": ("cell", lon),
            "area_km2": ("cell", np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])),
            "population": ("cell", np.array([10.0, 0.0, 5.0, 0.0, 1.0, 0.0])),
        },
        coords={"cell": [f"c{i}" for i in range(6)]},
    )
    shell = WalkerShell("w", 800.0, 53.0, 3, 4, 1)
    system = SystemModel("w", Constellation.from_walker(shell, START), 10.0, n_required=2)
    window = TimeGrid(START, 3 * 3600.0, 60.0)
    fom = compute_coverage(
        grid,
        [system],
        window,
        terrain=False,
        series_cells=list(grid["cell"].values),
        options=EngineOptions(steps_per_chunk=17),
    )
    return grid, system, window, fom


def test_engine_figures_equal_a_per_step_computation(engine_case):
    """Per-step visible counts (series, prune=False) -> plain-Python FOMs == the engine's."""
    grid, system, window, fom = engine_case
    exact = compute_coverage(
        grid,
        [system],
        window,
        terrain=False,
        series_cells=list(grid["cell"].values),
        options=EngineOptions(prune=False, steps_per_chunk=window.n_steps),
    )
    counts = exact["series_n_visible"].sel(system="w").values  # (time, cell)
    assert 0 < (counts > 0).mean() < 1
    n_access = 0
    for i, cell in enumerate(grid["cell"].values):
        covered = list(counts[:, i] > 0)
        ref = reference(covered, window.step_s)
        got = fom.sel(system="w", cell=cell)
        # gaps here run to tens of steps: percentiles are exact to a histogram bin (26 %)
        truth = np.array(ref.pop("revisit_time_percentile_s"))
        ours = got["revisit_time_percentile_s"].values
        assert np.all((truth <= ours) & (ours <= truth * 2 ** (1 / 3) + 60.0))
        truth = np.array(ref.pop("response_time_percentile_s"))
        ours = got["response_time_percentile_s"].values
        assert np.all(np.abs(ours - truth) <= truth * (2 ** (1 / 3) - 1) + 60.0)
        for key, expected in ref.items():
            np.testing.assert_allclose(
                got[key].values, expected, rtol=1e-12, atol=1e-9, err_msg=f"{key} at {cell}"
            )
        n_access += ref["access_count"]
    assert n_access > 5
    # percent satisfied over time: plain sums of weights per step
    for name, var in (("cells", None), ("area", "area_km2"), ("population", "population")):
        w = np.ones(6) if var is None else grid[var].values
        expected = 100.0 * ((counts > 0) * w).sum(axis=1) / w.sum()
        np.testing.assert_allclose(
            fom[f"pct_{name}_covered_over_time"].sel(system="w"), expected, rtol=1e-10
        )
        expected2 = 100.0 * ((counts >= 2) * w).sum(axis=1) / w.sum()
        np.testing.assert_allclose(
            fom[f"pct_{name}_n_or_more_over_time"].sel(system="w"), expected2, rtol=1e-10
        )


def test_executor_split_gives_identical_figures(engine_case):
    grid, system, window, fom = engine_case
    with ThreadPoolExecutor(2) as pool:
        split = compute_coverage(
            grid,
            [system],
            window,
            terrain=False,
            executor=pool,
            options=EngineOptions(steps_per_chunk=7, tasks_per_worker=3),
        )
    for name in (
        "response_time_mean_s",
        "time_average_gap_s",
        "access_count",
        "access_duration_min_s",
        "revisit_time_percentile_s",
        "response_time_percentile_s",
        "pct_area_covered_over_time",
    ):
        xr.testing.assert_identical(split[name], fom[name])


def test_gap_list_of_a_series_cell(engine_case):
    grid, system, window, fom = engine_case
    gaps = gap_list(fom, "c0", "w")
    covered = list(fom["series_n_visible"].sel(system="w", series_cell="c0").values > 0)
    assert list(gaps["duration_s"].values) == [g * 60.0 for g in runs(covered, False)]
    assert gaps["duration_s"].max() == fom["max_gap_s"].sel(system="w", cell="c0")
    first = gaps.isel(gap=0)
    assert first["start"].values == window.datetimes64()[covered.index(False)]


def test_coverage_by_latitude_weights_cells_by_area(engine_case):
    grid, system, window, fom = engine_case
    bands = coverage_by_latitude(fom, band_deg=10.0, area_km2=grid["area_km2"])
    pct = fom["pct_time_covered"].sel(system="w").values
    # the 30-40 deg band holds cells 0-3 (areas 1, 2, 3, 4)
    expected = float((pct[:4] * [1, 2, 3, 4]).sum() / 10.0)
    got = bands["pct_time_covered"].sel(system="w", lat_band=35.0)
    assert float(got) == pytest.approx(expected, rel=1e-12)
    assert int(bands["n_cells"].sel(lat_band=35.0)) == 4
    assert bands["lat_band"].attrs["units"] == "degrees_north"


def test_bent_pipe_gateways_count_only_satellites_that_see_one(engine_case):
    """Per step, the visible count with gateways equals a brute-force count of satellites
    above the user's minimum elevation that also see a gateway above its own."""
    from hybridplan.coverage.engine.gateway import Gateway
    from hybridplan.coverage.engine.geometry import enu_basis, geodetic_to_ecef_km
    from hybridplan.tle import iter_chunks

    grid, system, window, _ = engine_case
    gateways = (
        Gateway("Islamabad", 33.7, 73.1, 500.0, 20.0),
        Gateway("Tashkent", 41.3, 69.3, 450.0, 20.0),
    )
    gated = SystemModel("g", system.constellation, 10.0, gateways=gateways)
    fom = compute_coverage(
        grid, [system, gated], window, terrain=False, series_cells=list(grid["cell"].values)
    )
    sats = np.concatenate(
        [c.positions_itrs_km for c in iter_chunks(system.constellation.element_sets, window)],
        axis=1,
    )  # (n_sat, n_steps, 3)

    def sin_el(lat, lon, h_km):
        p = geodetic_to_ecef_km(lat, lon, h_km)
        _, _, up = enu_basis(lat, lon)
        d = sats - p
        return (d @ up) / np.linalg.norm(d, axis=-1)

    sees_gw = np.zeros(sats.shape[:2], bool)
    for g in gateways:
        sees_gw |= sin_el(g.lat_deg, g.lon_deg, g.height_m / 1e3) >= np.sin(
            np.radians(g.min_elevation_deg)
        )
    assert 0 < sees_gw.mean() < 1
    for i, cell in enumerate(grid["cell"].values):
        above = sin_el(grid["lat"].values[i], grid["lon"].values[i], 0.0) >= np.sin(
            np.radians(10.0)
        )
        got = fom["series_n_visible"].sel(system="g", series_cell=cell).values
        np.testing.assert_array_equal(got, (above & sees_gw).sum(axis=0))
        plain = fom["series_n_visible"].sel(system="w", series_cell=cell).values
        np.testing.assert_array_equal(plain, above.sum(axis=0))
    nowhere = SystemModel(
        "far", system.constellation, 10.0, gateways=(Gateway("south pole", -90.0, 0.0),)
    )
    far = compute_coverage(grid, [nowhere], window, terrain=False)
    assert float(far["pct_time_covered"].sel(system="far").max()) == 0.0


def test_research_figures_of_a_run(engine_case):
    from hybridplan.reports.research import latitude_chart, series_chart

    grid, system, window, fom = engine_case
    fig = series_chart(fom, "pct_area_covered_over_time")
    assert [t.name for t in fig.data] == ["w", "combined"]
    np.testing.assert_array_equal(
        fig.data[0].y, fom["pct_area_covered_over_time"].sel(system="w").values
    )
    assert fig.layout.yaxis.title.text.endswith("[percent]")
    cells = series_chart(fom, "series_n_visible", system="w", cells=["c0", "c1"])
    assert [t.name for t in cells.data] == ["c0", "c1"]
    bands = coverage_by_latitude(fom, 10.0, grid["area_km2"])
    lat = latitude_chart(bands)
    np.testing.assert_array_equal(lat.data[0].x, bands["lat_band"].values)


def test_without_stk_fields_the_other_figures_are_identical(engine_case):
    grid, system, window, fom = engine_case
    lean = compute_coverage(
        grid,
        [system],
        window,
        terrain=False,
        series_cells=list(grid["cell"].values),
        options=EngineOptions(steps_per_chunk=17),
        stk=False,
    )
    assert "access_count" not in lean and "percentile" not in lean.dims
    for name in lean.data_vars:
        xr.testing.assert_identical(lean[name], fom[name])


def _numpy_percentiles(hist, longest, covered, n):
    """The percentiles as first written, whole arrays at once (numpy), kept as a second
    formulation of the compiled per-cell loop over hand-picked and random histograms."""
    from hybridplan.coverage.engine.kernel import GAP_BIN_LOWER_STEPS

    upper = np.append(GAP_BIN_LOWER_STEPS[1:] - 1, np.iinfo(np.int64).max).astype(np.float64)
    rep = np.minimum(upper, longest[..., None].astype(np.float64))
    levels = np.asarray(PERCENTILES) / 100.0
    n_gaps = hist.sum(axis=-1)
    cum = np.cumsum(hist, axis=-1)
    revisit = np.full(hist.shape[:-1] + (len(levels),), np.nan)
    for k, q in enumerate(levels):
        need = np.maximum(np.ceil(q * n_gaps - 1e-9), 1)
        idx = np.argmax(cum >= need[..., None], axis=-1)
        value = np.take_along_axis(rep, idx[..., None], axis=-1)[..., 0]
        revisit[..., k] = np.where(n_gaps > 0, value, 0.0)
    response = np.zeros(hist.shape[:-1] + (len(levels),))
    knots = np.concatenate([np.zeros(rep.shape[:-1] + (1,)), rep], axis=-1)
    zero = np.zeros(rep.shape[:-1] + (1,))
    weighted = np.concatenate([zero, np.cumsum(hist * rep, axis=-1)], axis=-1)
    counted = np.concatenate([zero, cum.astype(np.float64)], axis=-1)
    below = covered[..., None] + weighted + knots * (n_gaps[..., None] - counted)
    for k, q in enumerate(levels):
        need = np.ceil(q * n - 1e-9)
        idx = np.argmax(below >= need, axis=-1)
        start = np.maximum(idx - 1, 0)
        knot = np.take_along_axis(knots, start[..., None], axis=-1)[..., 0]
        base = np.take_along_axis(below, start[..., None], axis=-1)[..., 0]
        slope = (hist * (rep > knot[..., None])).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            inside = knot + np.ceil((need - base) / np.maximum(slope, 1))
        response[..., k] = np.where(idx == 0, 0.0, inside)
    return revisit, response


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_compiled_percentiles_equal_the_array_formulation(data):
    from hybridplan.coverage.engine.fom import _percentiles
    from hybridplan.coverage.engine.kernel import GAP_BIN_LOWER_STEPS, N_GAP_BINS

    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    rows, cells = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 40))
    sparse = rng.random((rows, cells, N_GAP_BINS)) < data.draw(st.floats(0.0, 1.0))
    hist = np.where(sparse, rng.integers(0, 50, (rows, cells, N_GAP_BINS)), 0)
    # the longest gap lies in the highest occupied bin (or 0 without gaps)
    top = np.where(hist.any(-1), N_GAP_BINS - 1 - np.argmax(hist[..., ::-1] > 0, -1), -1)
    lower = np.append(GAP_BIN_LOWER_STEPS, 4096)
    longest = np.where(top >= 0, lower[np.maximum(top, 0)] + rng.integers(0, 3, top.shape), 0)
    gap_steps = (hist * np.minimum(lower[1:] - 1, longest[..., None])).sum(-1)
    covered = rng.integers(0, 500, (rows, cells))
    n = int((gap_steps + covered).max()) + 1
    got = _percentiles(hist, longest, covered, n)
    want = _numpy_percentiles(hist, longest, covered, n)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
