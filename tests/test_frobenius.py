"""Unit tests of the Frobenius interval, the row-sum floor and the ARP series (Chapter 6 and 7)."""

from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

import repetition as rep


P3 = np.array([[0.5, 0.25, 0.0], [0.2, 0.2, 0.2], [0.0, 0.0, 1.0]])


def test_row_sums_and_square_sums_by_hand():
    np.testing.assert_allclose(rep.row_sums(P3), [0.75, 0.6, 1.0], rtol=1e-15)
    # 1/4 + 1/16 = 5/16; 3 * 1/25 = 3/25; 1
    np.testing.assert_allclose(rep.row_square_sums(P3), [5 / 16, 3 / 25, 1.0], rtol=1e-15)


def test_sparse_and_dense_agree():
    S = sp.csr_array(P3)
    np.testing.assert_allclose(rep.row_square_sums(S), rep.row_square_sums(P3), rtol=1e-15)
    np.testing.assert_allclose(rep.row_square_sum_floor(S), rep.row_square_sum_floor(P3), rtol=1e-15)
    assert rep.frobenius_interval(S) == rep.frobenius_interval(P3)


def test_floor_is_sum_squared_over_support_size():
    # row 0: s = 3/4 on 2 entries -> 9/32 (< 5/16, not uniform); row 1 uniform: equality 3/25
    floor = rep.row_square_sum_floor(P3)
    np.testing.assert_allclose(floor, [9 / 32, 9 / 25 / 3, 1.0], rtol=1e-15)
    r = rep.row_square_sums(P3)
    assert floor[0] < r[0]
    assert floor[1] == pytest.approx(r[1], rel=1e-15)


def test_floor_ignores_explicit_sparse_zeros():
    S = sp.csr_array((np.array([0.5, 0.0]), (np.array([0, 0]), np.array([0, 1]))), shape=(2, 2))
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


def _exact_arp_terms(P, K, form):
    P = [[Fraction(x) for x in row] for row in P]
    n = len(P)

    def mul(X, Y):
        return [[sum(X[i][l] * Y[l][j] for l in range(n)) for j in range(n)] for i in range(n)]

    c = Fraction(sum(1 for row in P for x in row if x != 0), n)
    out, Pk = [], P
    for k in range(1, K + 1):
        if k > 1:
            Pk = mul(Pk, P)
        if form == "printed":
            P2k = mul(Pk, Pk)
            value = sum(P2k[i][i] for i in range(n))
        else:
            value = sum(Pk[i][i] ** 2 for i in range(n))
        out.append(value / c**k)
    return out


@pytest.mark.parametrize("form", ["printed", "corrected"])
@pytest.mark.parametrize("sparse", [False, True])
def test_arp_terms_exact(form, sparse):
    P = np.array([[0.5, 0.25, 0.0], [0.25, 0.0, 0.5], [0.5, 0.0, 0.25]])
    expected = _exact_arp_terms(P.tolist(), 4, form)
    got = rep.arp_terms(sp.csr_array(P) if sparse else P, 4, form)
    np.testing.assert_allclose(got, [float(x) for x in expected], rtol=1e-13)


def test_printed_and_corrected_differ():
    # the paper's Tr(P^{2k}) is not Tr(P^k ⊙ P^k): already at k = 1, Tr(P^2) != Σ P_ii^2
    P = np.array([[0.0, 0.5], [0.5, 0.0]])
    assert rep.arp_terms(P, 1, "printed")[0] == 0.5
    assert rep.arp_terms(P, 1, "corrected")[0] == 0.0


def test_arp_tail_bound_dominates_the_tail():
    rng = np.random.default_rng(0)
    M = rng.random((8, 8)) * (rng.random((8, 8)) < 0.6)
    P = M / (M.sum(axis=1, keepdims=True) + 0.1)
    for form in ("printed", "corrected"):
        terms = rep.arp_terms(P, 30, form)
        for K in (1, 2, 3):
            assert abs(terms[K:].sum()) <= rep.arp_tail_bound(P, K)
    c = np.count_nonzero(P) / 8
    assert rep.arp_tail_bound(P, 2) == pytest.approx((P * P).sum() / c**2 / (c - 1), rel=1e-14)


def test_arp_rejects_bad_arguments():
    with pytest.raises(ValueError, match="form"):
        rep.arp_terms(P3, 2, "paper")
    with pytest.raises(ValueError, match="K"):
        rep.arp_terms(P3, 0)
    with pytest.raises(ValueError, match="row sums"):
        rep.frobenius_interval([[0.9, 0.9], [0.0, 0.0]])
