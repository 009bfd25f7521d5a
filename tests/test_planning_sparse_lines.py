"""argmax_lines (planning/sparse_lines.py) against scipy.sparse's own argmax: index for
index on random matrices with ties, zeros, negatives, NaN, duplicates and empty lines."""

import numpy as np
import pytest
import scipy.sparse as sp
from hybridplan.coverage.planning.sparse_lines import argmax_lines
from hypothesis import given, settings
from hypothesis import strategies as st

VALUES = st.sampled_from([0.0, 1.0, 2.0, -1.0, 0.5, 3.0, np.nan])


@st.composite
def sparse_matrices(draw):
    rows, cols = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    n = draw(st.integers(0, 3 * rows * cols))
    r = draw(st.lists(st.integers(0, rows - 1), min_size=n, max_size=n))
    c = draw(st.lists(st.integers(0, cols - 1), min_size=n, max_size=n))
    v = draw(st.lists(VALUES, min_size=n, max_size=n))
    fmt = draw(st.sampled_from(["csr", "csc", "coo"]))
    return sp.coo_matrix((v, (r, c)), shape=(rows, cols)).asformat(fmt)


@settings(max_examples=300, deadline=None)
@given(sparse_matrices(), st.sampled_from([0, 1]))
def test_argmax_lines_is_scipys(matrix, axis):
    want = np.asarray(matrix.copy().argmax(axis=axis)).reshape(-1)
    got = argmax_lines(matrix, axis)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.int64


@pytest.mark.parametrize("axis", [0, 1])
def test_argmax_lines_hand_cases(axis):
    # rows: max stored positive (first of a tie); all stored negative (first missing
    # column); a stored zero at position 1 before the first missing column 2; empty
    rows = [0, 0, 0, 1, 1, 1, 2, 2]
    cols = [1, 2, 3, 0, 1, 3, 0, 1]
    values = [2.0, 2.0, 1.0, -1.0, -2.0, -3.0, -1.0, 0.0]  # (2, 1): an explicit zero
    matrix = sp.csr_matrix((values, (rows, cols)), shape=(4, 4))
    got = argmax_lines(matrix if axis == 1 else matrix.T.tocsc(), axis)
    np.testing.assert_array_equal(got, [1, 2, 1, 0])
