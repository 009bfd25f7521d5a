"""Accumulators: the figure-of-merit definitions and the gap policy against plain Python,
and exact associative merging across chunk boundaries (gaps spanning them included)."""

import numpy as np
import pytest
from hybridplan.coverage.engine.accumulator import Accumulator
from hybridplan.coverage.engine.kernel import (
    F_BEST_EL_NDEG,
    F_COVERED,
    F_N_OR_MORE,
    F_NVIS_MAX,
    F_NVIS_MIN,
    F_NVIS_SUM,
    F_PATH_MM,
    _fold,
    asin_fast,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st


def reference_gaps(covered):
    """Gap policy in plain Python: runs of uncovered steps, edges in-window, none -> window."""
    if not any(covered):
        return len(covered), len(covered), 1
    runs, run = [], 0
    for c in covered:
        if c:
            if run:
                runs.append(run)
            run = 0
        else:
            run += 1
    if run:
        runs.append(run)
    return (max(runs) if runs else 0), sum(runs), len(runs)


def fold(n_vis, first_step=0, n_required=2, gateway_km=-1.0):
    """Accumulate one cell's per-step visible counts (1-D) with the kernel's fold (user
    slant range 1000 km; gateway slant range ``gateway_km``, < 0: none given)."""
    n_vis = np.asarray(n_vis, dtype=np.int32).reshape(-1, 1)
    steps = n_vis.shape[0]
    acc = Accumulator.empty(first_step, steps, 0, 1)
    best_sin = np.where(n_vis > 0, np.sin(np.radians(30.0 + n_vis)), -2.0)
    _fold(
        acc.fields,
        0,
        n_vis,
        (n_vis > 0).astype(np.int8),
        (n_vis >= n_required).astype(np.int8),
        best_sin,
        np.full(n_vis.shape, 1000.0**2),
        np.full(n_vis.shape, gateway_km),
        np.full(1, -1, np.int64),
        acc.series_n,
        acc.series_open,
        acc.series_best_deg,
    )
    return acc


@pytest.mark.parametrize(
    "covered, expected",
    [
        ([1, 0, 0, 1, 0], (2, 3, 2)),  # interior gap of 2, trailing gap of 1
        ([0, 0, 1, 1], (2, 2, 1)),  # leading gap counts with its in-window length
        ([0, 0, 0], (3, 3, 1)),  # never covered: one gap, the whole window
        ([1, 1, 1], (0, 0, 0)),  # always covered: no gap
        ([0, 1, 0, 1, 0, 0, 0, 1], (3, 5, 3)),
    ],
)
def test_gap_policy_examples(covered, expected):
    acc = fold(covered)
    longest, total, count = (int(a[0, 0]) for a in acc.gaps())
    assert (longest, total, count) == expected == reference_gaps([bool(c) for c in covered])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=40), st.data())
def test_fold_matches_the_definitions_and_merges_exactly(counts, data):
    whole = fold(counts)
    f = whole.fields[0, 0]
    assert f[F_COVERED] == sum(c > 0 for c in counts)
    assert f[F_N_OR_MORE] == sum(c >= 2 for c in counts)
    assert f[F_NVIS_SUM] == sum(counts)
    assert f[F_NVIS_MIN] == min(counts) and f[F_NVIS_MAX] == max(counts)
    expected_el = sum(round((30.0 + c) * 1e9) for c in counts if c > 0)
    assert abs(int(f[F_BEST_EL_NDEG]) - expected_el) <= len(counts)  # asin rounding, < 1e-9 deg
    # bent-pipe path: the user's 1000 km twice without a gateway, 1000 + 1234.5678 km with
    n_covered = sum(c > 0 for c in counts)
    assert f[F_PATH_MM] == n_covered * 2_000_000_000
    assert fold(counts, gateway_km=1234.5678).fields[0, 0, F_PATH_MM] == n_covered * (
        1_000_000_000 + 1_234_567_800
    )
    assert tuple(int(a[0, 0]) for a in whole.gaps()) == reference_gaps([c > 0 for c in counts])
    # split anywhere, merge in any grouping: bit-identical
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(counts) - 1)), max_size=4)))
    edges = [0] + [c for c in cuts if c < len(counts)] + [len(counts)]
    parts = [fold(counts[a:b], a) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    left = parts[0]
    for part in parts[1:]:
        left = left.merge(part)
    right = parts[-1]
    for part in reversed(parts[:-1]):
        right = part.merge(right)
    np.testing.assert_array_equal(left.fields, whole.fields)
    np.testing.assert_array_equal(right.fields, whole.fields)
    assert left.n_steps == right.n_steps == len(counts)


def test_merge_refuses_holes_and_wrong_order():
    a, b = fold([1, 0]), fold([0, 1], first_step=3)
    with pytest.raises(ValueError, match="time order, without holes"):
        a.merge(b)


def test_asin_fast_matches_numpy_everywhere():
    x = np.concatenate([np.linspace(-1.0, 1.0, 200_001), [0.5, -0.5, 0.4999999999, 1.0 - 1e-16]])
    ours = np.array([asin_fast(v) for v in x[::97]])
    np.testing.assert_allclose(ours, np.arcsin(x[::97]), rtol=0, atol=2e-15)
    assert asin_fast(1.0 + 1e-15) == pytest.approx(np.pi / 2, abs=1e-15)  # clamped


def _fold_columns(n_vis, best_sin, d2, gw, stk, series_of):
    """Fold a (steps, cells) chunk in one call; ``series_of``: cell -> series slot or -1."""
    steps, n_cells = n_vis.shape
    n_series = int(series_of.max()) + 1 if series_of.size else 0
    acc = Accumulator.empty(0, steps, 0, n_cells, n_series=n_series, stk=stk)
    _fold(
        acc.fields,
        0,
        n_vis,
        (n_vis > 0).astype(np.int8),
        (n_vis >= 2).astype(np.int8),
        best_sin,
        d2,
        gw,
        series_of,
        acc.series_n,
        acc.series_open,
        acc.series_best_deg,
    )
    return acc


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 3000), st.integers(1, 7), st.booleans(), st.integers(0, 2**32 - 1))
@example(2049, 3, True, 1)  # three blocks of kernel._BLOCK cells, the last of one cell
@example(1024, 2, False, 2)
def test_a_cells_fold_does_not_depend_on_its_neighbours(n_cells, steps, stk, seed):
    """Cells are folded in blocks (kernel._BLOCK wide): every cell's fields and series are
    the same with its columns shuffled, split in two calls, or folded alone."""
    rng = np.random.default_rng(seed)
    n_vis = rng.integers(0, 4, (steps, n_cells)) * (rng.random((steps, n_cells)) < 0.7)
    n_vis = n_vis.astype(np.int32)
    best_sin = np.where(n_vis > 0, rng.uniform(0.2, 1.0, n_vis.shape), -2.0)
    d2 = rng.uniform(300.0, 2500.0, n_vis.shape) ** 2
    gw = np.where(rng.random(n_vis.shape) < 0.5, rng.uniform(500.0, 2000.0, n_vis.shape), -1.0)
    picked = rng.choice(n_cells, size=min(n_cells, 5), replace=False)
    series_of = np.full(n_cells, -1, np.int64)
    series_of[picked] = np.arange(picked.size)
    columns = (n_vis, best_sin, d2, gw)
    whole = _fold_columns(*columns, stk, series_of)
    perm = rng.permutation(n_cells)
    shuffled = _fold_columns(*(a[:, perm] for a in columns), stk, series_of[perm])
    np.testing.assert_array_equal(shuffled.fields[0], whole.fields[0, perm])
    np.testing.assert_array_equal(shuffled.series_n, whole.series_n)
    np.testing.assert_array_equal(shuffled.series_best_deg, whole.series_best_deg)
    cut = int(rng.integers(0, n_cells + 1))
    halves = [
        _fold_columns(*(a[:, part] for a in columns), stk, np.full(part.stop - part.start, -1))
        for part in (slice(0, cut), slice(cut, n_cells))
    ]
    np.testing.assert_array_equal(np.concatenate([h.fields[0] for h in halves]), whole.fields[0])
    for i in picked[:2]:
        alone = _fold_columns(*(a[:, i : i + 1] for a in columns), stk, np.array([0]))
        np.testing.assert_array_equal(whole.fields[0, i], alone.fields[0, 0])
        k = series_of[i]
        np.testing.assert_array_equal(whole.series_n[:, 0, k], alone.series_n[:, 0, 0])
        np.testing.assert_array_equal(
            whole.series_best_deg[:, 0, k], alone.series_best_deg[:, 0, 0]
        )
