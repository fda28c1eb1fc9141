"""Unit tests of estimation from counts: bigram counts and the add-δ transition matrix."""

from fractions import Fraction

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



def test_bigram_counts_hand_example():
    bc = rep.bigram_counts([["a", "b", "a"], ["b"]])
    assert bc.vocab == ["a", "b"]  # a and b both occur twice; ties in code-point order
    # a->b, b->a, a-><eos>, b-><eos>
    np.testing.assert_array_equal(bc.counts.toarray(), [[0, 1, 1], [1, 0, 1]])
    np.testing.assert_array_equal(bc.starts, [1, 1])
    P = rep.transition_matrix(bc.counts)
    np.testing.assert_array_equal(P.toarray(), [[0, 0.5], [0.5, 0]])


def test_bigram_counts_fixed_vocab_rejects_unknown():
    with pytest.raises(ValueError, match="'c'"):
        rep.bigram_counts([["a", "c"]], vocab=["a", "b"])


def test_bigram_counts_rejects_empty():
    with pytest.raises(ValueError, match="no token"):
        rep.bigram_counts([[], []])


def test_add_delta_is_the_one_estimate_of_transition_matrix_and_the_rebalanced_encoding():
    C = np.array([[3, 0, 1], [0, 0, 0]])
    for delta in (0.0, 0.5, 1.0):
        P = rep.transition_matrix(C, smoothing=delta)
        np.testing.assert_array_equal(P, rep.add_delta(C[:, :2], C.sum(axis=1)[:, None], 2, delta))
        S = rep.transition_matrix(sp.csr_array(C), smoothing=delta)
        np.testing.assert_array_equal(S.toarray() if sp.issparse(S) else S, P)
    # exactly the rational MLE (c + δ) / (t + (n + 1) δ), correctly rounded
    assert rep.add_delta([1], 3, 2, 1.0)[0] == float(Fraction(2, 6))
    assert rep.add_delta([7], 49, 5)[0] == 7 / 49
    assert rep.add_delta([49], 49, 5)[0] == 1.0  # a successor seen every time has probability exactly 1
    assert rep.add_delta([0], 0, 5).tolist() == [0.0]


def test_sparse_mle_is_the_correctly_rounded_quotient():
    # c / t, not c * (1 / t): with t = 49, 49 * (1 / 49) = 0.9999999999999999 but 49 / 49 = 1
    C = sp.csr_array(np.array([[0, 49, 0], [7, 0, 42]]))
    P = rep.transition_matrix(C)
    assert P[0, 1] == 1.0 and P[1, 0] == 7 / 49
