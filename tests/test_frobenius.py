"""Unit tests of the Frobenius interval and the row-sum floor (Chapter 6)."""

import numpy as np
import pytest
import scipy.sparse as sp

import repetition as rep

P3 = np.array([[0.5, 0.25, 0.0], [0.2, 0.2, 0.2], [0.0, 0.0, 1.0]])


def test_row_sums_and_square_sums_by_hand():
    np.testing.assert_allclose(rep.row_sums(P3), [0.75, 0.6, 1.0], rtol=1e-15)
    # 1/4 + 1/16 = 5/16; 3 * 1/25 = 3/25; 1
    np.testing.assert_allclose(
        rep.row_square_sums(P3), [5 / 16, 3 / 25, 1.0], rtol=1e-15
    )


def test_sparse_and_dense_agree():
    S = sp.csr_array(P3)
    np.testing.assert_allclose(
        rep.row_square_sums(S), rep.row_square_sums(P3), rtol=1e-15
    )
    np.testing.assert_allclose(
        rep.row_square_sum_floor(S), rep.row_square_sum_floor(P3), rtol=1e-15
    )
    assert rep.frobenius_interval(S) == rep.frobenius_interval(P3)


def test_floor_is_sum_squared_over_support_size():
    # row 0: s = 3/4 on 2 entries -> 9/32 (< 5/16, not uniform); row 1 uniform: equality 3/25
    floor = rep.row_square_sum_floor(P3)
    np.testing.assert_allclose(floor, [9 / 32, 9 / 25 / 3, 1.0], rtol=1e-15)
    r = rep.row_square_sums(P3)
    assert floor[0] < r[0]
    assert floor[1] == pytest.approx(r[1], rel=1e-15)


def test_floor_ignores_explicit_sparse_zeros():
    S = sp.csr_array(
        (np.array([0.5, 0.0]), (np.array([0, 0]), np.array([0, 1]))), shape=(2, 2)
    )
    np.testing.assert_allclose(rep.row_square_sum_floor(S), [0.25, 0.0], rtol=1e-15)


def test_frobenius_interval_contains_rho():
    rng = np.random.default_rng(3)
    for _ in range(20):
        M = rng.random((6, 6)) * (rng.random((6, 6)) < 0.5)
        P = M / (M.sum(axis=1, keepdims=True) + 0.3)
        lo, hi = rep.frobenius_interval(P)
        rho = max(abs(np.linalg.eigvals(P * P)))
        assert lo - 1e-12 <= rho <= hi + 1e-12


def test_reducible_matrix_reaches_the_maximum():
    # block triangular: rho = 1 = max row sum, min row sum 0.5
    M = np.array([[0.25, 0.25], [0.0, 1.0]])
    assert rep.row_sum_interval(M) == (0.5, 1.0)
    assert max(abs(np.linalg.eigvals(M))) == 1.0


def test_row_sum_interval_rejects_bad_input():
    with pytest.raises(ValueError, match="negative"):
        rep.row_sum_interval([[1.0, -1.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="square"):
        rep.row_sum_interval(np.ones((2, 3)))
    with pytest.raises(TypeError, match="dtype"):
        rep.row_sum_interval(np.ones((2, 2), dtype=complex))
