"""The fold's covered-block fast path (kernel._fold skips the gap state on steps covered in
every cell of a block after such a step): every field of wide blocks, mostly covered with
blocks fully uncovered or holed at some steps, against the definitions computed per cell in
plain Python from the runs of covered steps, folded in one call and in two chunks."""

import math

import numpy as np
import pytest
from hybridplan.coverage.engine.accumulator import Accumulator
from hybridplan.coverage.engine.kernel import (
    _BLOCK,
    _RAD2DEG,
    F_ACC_COUNT,
    F_ACC_LEAD,
    F_ACC_MAX,
    F_ACC_MIN,
    F_ACC_TRAIL,
    F_ANY,
    F_BEST_EL_NDEG,
    F_COVERED,
    F_COVERED_OPEN,
    F_GAP_COUNT,
    F_GAP_MAX,
    F_GAP_SQ,
    F_GAP_SUM,
    F_HIST0,
    F_LEAD,
    F_N_OR_MORE,
    F_NVIS_MAX,
    F_NVIS_MIN,
    F_NVIS_SUM,
    F_PATH_MM,
    F_TRAIL,
    F_UNC_ANY,
    GAP_BIN_OF_STEPS,
    MM_PER_KM,
    N_BASE_FIELDS,
    N_FIELDS,
    NANO_DEGREE,
    NVIS_MIN_START,
    _fold,
    asin_fast,
)

N_CELLS = 2 * _BLOCK + 452  # two full blocks and a partial one
N_STEPS = 24


def chunk(seed):
    """Per-step inputs where each (step, block) is covered everywhere (most), nowhere,
    everywhere but a few cells, or everywhere but its first or last cell, so steady runs
    start, break and resume in every block."""
    rng = np.random.default_rng(seed)
    n_blocks = -(-N_CELLS // _BLOCK)
    mode = rng.choice(4, size=(N_STEPS, n_blocks), p=[0.6, 0.1, 0.15, 0.15])
    n_vis = rng.integers(1, 6, (N_STEPS, N_CELLS)).astype(np.int32)
    for t in range(N_STEPS):
        for b in range(n_blocks):
            cells = slice(b * _BLOCK, min(N_CELLS, (b + 1) * _BLOCK))
            if mode[t, b] == 1:
                n_vis[t, cells] = 0
            elif mode[t, b] == 2:
                width = cells.stop - cells.start
                holes = cells.start + rng.choice(width, size=rng.integers(1, 6), replace=False)
                n_vis[t, holes] = 0
            elif mode[t, b] == 3:  # one hole, at an edge of the block
                n_vis[t, cells.stop - 1 if t % 2 else cells.start] = 0
    best_sin = np.where(n_vis > 0, rng.uniform(0.1, 1.0, n_vis.shape), -2.0)
    d2 = rng.uniform(300.0, 2500.0, n_vis.shape) ** 2
    gw = np.where(rng.random(n_vis.shape) < 0.5, rng.uniform(500.0, 2000.0, n_vis.shape), -1.0)
    open_cov = ((n_vis > 0) | (rng.random(n_vis.shape) < 0.1)).astype(np.int8)
    return n_vis, open_cov, (n_vis >= 3).astype(np.int8), best_sin, d2, gw


def fold(inputs, stk, cut):
    """Fold steps [0, cut) and [cut, N_STEPS) into one accumulator, in that order."""
    acc = Accumulator.empty(0, N_STEPS, 0, N_CELLS, stk=stk)
    for part in (slice(0, cut), slice(cut, N_STEPS)):
        if part.stop > part.start:
            _fold(
                acc.fields,
                0,
                *(np.ascontiguousarray(a[part]) for a in inputs),
                np.full(N_CELLS, -1, np.int64),
                acc.series_n,
                acc.series_open,
                acc.series_best_deg,
            )
    return acc.fields[0]


def runs(flags):
    """(value, length) of the maximal runs of a boolean sequence."""
    out = []
    for f in flags:
        if out and out[-1][0] == f:
            out[-1][1] += 1
        else:
            out.append([f, 1])
    return out


def expected_fields(inputs, stk):
    """Every field of every cell from its definition (plain Python per cell)."""
    n_vis, open_cov, req_ok, best_sin, d2, gw = inputs
    out = np.zeros((N_CELLS, N_FIELDS if stk else N_BASE_FIELDS), np.int64)
    for i in range(N_CELLS):
        covered = [bool(n > 0) for n in n_vis[:, i]]
        f = out[i]
        f[F_COVERED] = sum(covered)
        f[F_COVERED_OPEN] = int(open_cov[:, i].sum())
        f[F_N_OR_MORE] = int(req_ok[:, i].sum())
        f[F_NVIS_SUM] = int(n_vis[:, i].sum())
        f[F_NVIS_MIN] = int(n_vis[:, i].min())
        f[F_NVIS_MAX] = int(n_vis[:, i].max())
        for t in np.flatnonzero(covered):
            f[F_BEST_EL_NDEG] += math.floor(
                asin_fast(best_sin[t, i]) * (_RAD2DEG * NANO_DEGREE) + 0.5
            )
            slant = math.floor(math.sqrt(d2[t, i]) * MM_PER_KM + 0.5)
            f[F_PATH_MM] += slant + (
                math.floor(gw[t, i] * MM_PER_KM + 0.5) if gw[t, i] >= 0.0 else slant
            )
        r = runs(covered)
        f[F_ANY] = any(covered)
        # leading run of uncovered steps (the whole window if never covered); the open
        # trailing one after the last covered step; closed gaps between covered steps
        f[F_LEAD] = r[0][1] if not r[0][0] else 0
        f[F_TRAIL] = r[-1][1] if not r[-1][0] and any(covered) else 0
        gaps = [n for k, (c, n) in enumerate(r) if not c and 0 < k < len(r) - 1]
        f[F_GAP_SUM], f[F_GAP_COUNT], f[F_GAP_MAX] = sum(gaps), len(gaps), max(gaps, default=0)
        if not stk:
            continue
        f[F_GAP_SQ] = sum(g * g for g in gaps)
        for g in gaps:
            f[F_HIST0 + GAP_BIN_OF_STEPS[min(g, 2048)]] += 1
        f[F_UNC_ANY] = not all(covered)
        f[F_ACC_LEAD] = r[0][1] if r[0][0] else 0
        f[F_ACC_TRAIL] = r[-1][1] if r[-1][0] and not all(covered) else 0
        accesses = [n for k, (c, n) in enumerate(r) if c and 0 < k < len(r) - 1]
        f[F_ACC_COUNT] = len(accesses)
        f[F_ACC_MAX] = max(accesses, default=0)
        f[F_ACC_MIN] = min(accesses, default=NVIS_MIN_START)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("stk", [True, False])
def test_covered_blocks_fold_to_the_definitions(seed, stk):
    inputs = chunk(seed)
    n_vis = inputs[0]
    blocks = [n_vis[:, b : b + _BLOCK] for b in range(0, N_CELLS, _BLOCK)]
    # the fast path is exercised: runs of steps covered in a whole block
    assert sum(int((blk[1:] > 0).all(axis=1).sum()) for blk in blocks) >= 10
    expected = expected_fields(inputs, stk)
    for cut in (N_STEPS, 7):
        np.testing.assert_array_equal(fold(inputs, stk, cut), expected, err_msg=f"cut {cut}")


def test_always_covered_block_has_no_gap_and_one_open_access():
    inputs = list(chunk(4))
    inputs[0][:] = 2  # every cell, every step
    f = fold(inputs, True, 9)
    assert (f[:, F_COVERED] == N_STEPS).all() and (f[:, F_NVIS_SUM] == 2 * N_STEPS).all()
    assert (f[:, [F_LEAD, F_TRAIL, F_GAP_COUNT, F_GAP_MAX, F_UNC_ANY, F_ACC_COUNT]] == 0).all()
    assert (f[:, F_ACC_LEAD] == N_STEPS).all() and (f[:, F_ACC_TRAIL] == 0).all()
    assert (f[:, F_ACC_MIN] == NVIS_MIN_START).all()
