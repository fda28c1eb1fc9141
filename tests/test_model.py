"""Unit tests of the bigram model and input validation."""

import numpy as np
import pytest
import scipy.sparse as sp

import repetition as rep


def test_transition_matrix_mle_and_end_token():
    C = np.array([[1, 2, 1], [0, 0, 4]])
    P = rep.transition_matrix(C)
    np.testing.assert_array_equal(P, [[0.25, 0.5], [0.0, 0.0]])


def test_transition_matrix_add_delta():
    C = np.array([[1, 2, 1], [0, 0, 4]])
    P = rep.transition_matrix(C, smoothing=1.0)
    np.testing.assert_allclose(P, [[2 / 7, 3 / 7], [1 / 7, 1 / 7]], rtol=1e-15)


def test_transition_matrix_sparse_keeps_sparse():
    C = sp.csr_array(np.array([[1, 2, 1], [0, 0, 4]]))
    P = rep.transition_matrix(C)
    assert sp.issparse(P)
    np.testing.assert_array_equal(P.toarray(), [[0.25, 0.5], [0.0, 0.0]])
    assert not sp.issparse(rep.transition_matrix(C, smoothing=0.5))


def test_unseen_row_is_zero_without_smoothing():
    P = rep.transition_matrix(np.zeros((2, 3)))
    np.testing.assert_array_equal(P, 0.0)


@pytest.mark.parametrize(
    "counts, exc, match",
    [
        (np.ones((2, 2)), ValueError, "shape"),
        (np.ones(3), ValueError, "shape"),
        (-np.ones((2, 3)), ValueError, "negative"),
        (np.array([[np.nan, 1, 1], [1, 1, 1]]), ValueError, "NaN"),
        (np.ones((2, 3), dtype=complex), TypeError, "dtype"),
    ],
)
def test_transition_matrix_rejects(counts, exc, match):
    with pytest.raises(exc, match=match):
        rep.transition_matrix(counts)


def test_negative_smoothing_rejected():
    with pytest.raises(ValueError, match="smoothing"):
        rep.transition_matrix(np.ones((2, 3)), smoothing=-0.1)


def test_sparsity_and_support():
    P = np.array([[0.5, 0.5], [0.0, 1.0]])
    assert rep.sparsity(P) == 0.75
    np.testing.assert_array_equal(rep.support(P), [[1, 1], [0, 1]])
    np.testing.assert_array_equal(rep.hadamard_square(P), [[0.25, 0.25], [0.0, 1.0]])


@pytest.mark.parametrize(
    "P, exc, match",
    [
        (np.ones((2, 3)) * 0.1, ValueError, r"shape \(2, 3\)"),
        (np.ones(3) * 0.1, ValueError, "shape"),
        (np.ones((2, 2, 2)) * 0.1, ValueError, "shape"),
        (np.zeros((0, 0)), ValueError, "shape"),
        (np.array([[0.5, -0.1], [0.2, 0.2]]), ValueError, r"negative entry P\[0, 1\]"),
        (np.array([[np.nan, 0.1], [0.2, 0.2]]), ValueError, "NaN"),
        (np.array([[np.inf, 0.1], [0.2, 0.2]]), ValueError, "infinite"),
        (np.array([[0.6, 0.6], [0.2, 0.2]]), ValueError, "row 0 sums to 1.2"),
        (np.eye(2, dtype=complex) * 0.5, TypeError, "complex"),
        (np.array([[0.5, 0.5], [0.5, 0.5]], dtype=object), TypeError, "object"),
        (np.eye(2, dtype=bool), TypeError, "bool"),
    ],
)
def test_bad_transition_matrices(P, exc, match):
    for fn in (rep.repetition_rate, rep.sparsity, rep.spectral_radius):
        with pytest.raises(exc, match=match):
            fn(P)


def test_sparse_negative_zero_and_duplicates_rejected():
    neg0 = sp.csr_array((np.array([-0.0, 0.5]), (np.array([0, 1]), np.array([1, 0]))), shape=(2, 2))
    with pytest.raises(ValueError, match="negative stored"):
        rep.repetition_rate(neg0)
    dup = sp.coo_array((np.array([0.3, 0.3]), (np.array([0, 0]), np.array([1, 1]))), shape=(2, 2))
    with pytest.raises(ValueError, match="duplicate"):
        rep.repetition_rate(dup)


def test_row_sum_tolerance_accepts_rounding():
    P = np.array([[0.1] * 10] * 10)  # rows sum to 0.9999999999999999 or 1.0000000000000002 in floating point
    assert np.isfinite(rep.repetition_rate(P))
