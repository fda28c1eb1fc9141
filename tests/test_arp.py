"""Unit tests of the paper's average repetition probability: its terms, tail bound, Theorem 1 and corollaries."""

import math

import numpy as np
import pytest
import scipy.sparse as sp
import sympy

import repetition as rep
from repetition import reference

P3 = np.array([[0.5, 0.25, 0.0], [0.2, 0.2, 0.2], [0.0, 0.0, 1.0]])


@pytest.mark.parametrize("form", ["printed", "corrected"])
@pytest.mark.parametrize("sparse", [False, True])
def test_arp_terms_exact(form, sparse):
    P = np.array([[0.5, 0.25, 0.0], [0.25, 0.0, 0.5], [0.5, 0.0, 0.25]])
    expected = reference.exact_arp_terms(P, 4, form)
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
    assert rep.arp_tail_bound(P, 2) == pytest.approx(
        (P * P).sum() / c**2 / (c - 1), rel=1e-14
    )


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("form", ["printed", "corrected"])
def test_whole_series_lies_between_partial_sums_of_the_terms_and_their_tail_bound(
    seed, form
):
    # arp_terms (the one home of the terms) and average_repetition_probability (the whole series, computed
    # without them) are independent computations: the closed form must lie in [S_K, S_K + tail bound].
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 30))
    P = rng.random((n, n)) * (rng.random((n, n)) < rng.uniform(0.2, 1.0))
    P[np.arange(n), rng.integers(0, n, n)] += 0.1  # every row nonzero
    P /= P.sum(axis=1, keepdims=True) * rng.uniform(1.0, 1.5, (n, 1))
    whole = rep.average_repetition_probability(P, form)
    assert rep.BigramChain(P).zeta_n > 1
    for K in (1, 5, 40):
        partial = float(rep.arp_terms(P, K, form).sum())
        assert (
            partial * (1 - 1e-13)
            <= whole
            <= (partial + rep.arp_tail_bound(P, K)) * (1 + 1e-13)
        )
    assert abs(
        whole - float(rep.arp_terms(P, 400, form).sum())
    ) <= 1e-12 * whole + rep.arp_tail_bound(P, 400)


def test_arp_rejects_bad_arguments():
    with pytest.raises(ValueError, match="form"):
        rep.arp_terms(P3, 2, "paper")
    with pytest.raises(ValueError, match="K"):
        rep.arp_terms(P3, 0)
    with pytest.raises(ValueError, match="row sums"):
        rep.frobenius_interval([[0.9, 0.9], [0.0, 0.0]])


# --------------------------------------------------------------------------
# Theorem 1 and its corollaries


@pytest.mark.parametrize("n", [2, 3, 5, 9])
def test_theorem1_uniform_matrix_exact(n):
    # P = J/n: ζn = n, P² = P has eigenvalues 1, 0, ..; A = J/n² has 1/n, 0, ..
    t = rep.paper_theorem1(np.full((n, n), 1.0 / n))
    assert t.zeta_n == pytest.approx(n)
    assert t.arp_printed == pytest.approx(1 / (n - 1), rel=1e-12)
    assert t.nuclear_p2 == pytest.approx(1.0, rel=1e-12)
    assert t.sigma_min_p2 == pytest.approx(n - 1, rel=1e-12)
    assert t.bound_printed == pytest.approx(1 / (n - 1), rel=1e-12)
    assert t.arp_hadamard == pytest.approx(1 / (n * n - 1), rel=1e-12)
    assert t.bound_hadamard == pytest.approx(1 / (n * n - 1), rel=1e-12)


def test_theorem1_closed_form_against_sympy():
    Ps = sympy.Matrix(
        [[sympy.Rational(1, 2), sympy.Rational(1, 4)], [sympy.Rational(1, 3), 0]]
    )
    c = sympy.Rational(3, 2)  # three nonzeros over n = 2
    exact = (Ps**2 * (c * sympy.eye(2) - Ps**2).inv()).trace()
    A = Ps.applyfunc(lambda x: x**2)
    exact_a = (A * (c * sympy.eye(2) - A).inv()).trace()
    t = rep.paper_theorem1(np.array(Ps.tolist(), dtype=float))
    assert t.arp_printed == pytest.approx(float(exact), rel=1e-13)
    assert t.arp_hadamard == pytest.approx(float(exact_a), rel=1e-13)


@pytest.mark.parametrize("seed", range(5))
def test_theorem1_sums_the_series_and_orders_them(seed):
    P = rep.dirichlet_decoder(7, rng=seed)
    t = rep.paper_theorem1(P)
    K = 400
    scale = t.zeta_n ** np.arange(1, K + 1)
    printed = rep.arp_terms(P, K, "printed")
    corrected = rep.arp_terms(P, K, "corrected")
    hadamard = rep.repetition_terms(P, K) / scale
    assert printed.sum() == pytest.approx(t.arp_printed, rel=1e-12)
    assert hadamard.sum() == pytest.approx(t.arp_hadamard, rel=1e-12)
    # termwise: Tr(A^k) <= Tr(P^k ⊙ P^k) <= Tr(P^(2k))
    assert np.all(hadamard <= corrected * (1 + 1e-12) + 1e-300)
    assert np.all(corrected <= printed * (1 + 1e-12) + 1e-300)
    assert t.arp_hadamard <= corrected.sum() <= t.arp_printed <= t.bound_printed
    assert t.arp_hadamard <= t.bound_hadamard
    assert rep.spectral_radius(rep.hadamard_square(P)) <= t.rho_p2 * (1 + 1e-12)


def test_theorem1_diverges_and_is_inf():
    t = rep.paper_theorem1(np.array([[0.0, 1.0], [1.0, 0.0]]))  # ζn = 1 = ρ(P²)
    assert t.arp_printed == math.inf and t.bound_printed == math.inf
    assert t.arp_hadamard == math.inf


def test_theorem1_two_cycle_hand_value():
    # ζn = 1, P² = 0.81 I: Σ_k 2 (0.81)^k = 2 * 0.81 / 0.19; A² = 0.6561^... same with 0.81² on the diagonal of A²
    t = rep.paper_theorem1(np.array([[0.0, 0.9], [0.9, 0.0]]))
    assert t.arp_printed == pytest.approx(2 * 0.81 / 0.19, rel=1e-12)
    assert t.bound_printed == pytest.approx(2 * 0.81 / 0.19, rel=1e-12)
    assert t.arp_hadamard == pytest.approx(
        rep.repetition_rate([[0, 0.9], [0.9, 0]]), rel=1e-12
    )


def test_theorem1_does_not_bound_R():
    # a dense row raises ζn; the 2-cycle's repeats are then discounted by (ζn)^k
    P = np.zeros((6, 6))
    P[0, 1] = P[1, 0] = 0.95
    P[2:, :] = 0.8 / 6
    t = rep.paper_theorem1(P)
    assert rep.repetition_rate(P) > t.bound_printed


def test_theorem1_refuses_large_n():
    with pytest.raises(ValueError, match="n <= 3000"):
        rep.paper_theorem1(sp.identity(3001, format="csr") * 0.5)


def test_corollaries_hand_example():
    P = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    c = rep.paper_corollaries(P)
    # ζn = 4/3; P² = [[.25,.25,.5],[1,0,0],[.5,.5,0]]
    assert c.zeta_n == pytest.approx(4 / 3)
    np.testing.assert_allclose(c.outflow, [1, 1, 1])
    np.testing.assert_allclose(c.inflow, [1.75, 0.75, 0.5])
    assert c.sigma_min_lower == pytest.approx(4 / 3 - 1.375)
    assert c.corollary_1_2 == math.inf
    assert c.frobenius_sq == pytest.approx(2.5)
    # printed Corollary 1.1: Σ_ij (P_ij - 1/3)² = 1/6 + 2/3 + 2/3, plus Σ_i s_i² = 3; P² is invertible (det 1/4)
    assert c.printed_numerator == pytest.approx(4.5, rel=1e-15) and c.rank_p2 == 3
    t = rep.paper_theorem1(P)
    assert c.printed_1_1 == pytest.approx(3 * 4.5 / t.sigma_min_p2, rel=1e-15)
    assert c.printed_1_2 == math.inf  # g = 4/3 - 11/8 < 0


def test_corollary_1_2_denominator_exactly_zero_gives_no_bound():
    # a funnel: every token leads only to token 0; ζn = 1, o + ι at token 0 is 1/4 + 7/4 = 2, so g = 0 exactly
    P = np.zeros((4, 4))
    P[:, 0] = [0.5, 1.0, 1.0, 1.0]
    c = rep.paper_corollaries(P)
    t = rep.paper_theorem1(P)
    np.testing.assert_allclose(c.inflow, [1.75, 0, 0, 0])
    assert c.zeta_n == 1 and c.sigma_min_lower == 0.0
    assert c.corollary_1_2 == math.inf
    assert math.isfinite(t.bound_printed) and math.isfinite(c.corollary_1_1)
    assert t.arp_printed == pytest.approx(
        1 / 3, rel=1e-12
    )  # Tr(P²) = 1/4, P^(2k) traces (1/4)^k


@pytest.mark.parametrize("seed", range(5))
def test_corollaries_are_weaker_than_theorem1(seed):
    P = rep.dirichlet_decoder(8, rng=seed)
    t = rep.paper_theorem1(P)
    c = rep.paper_corollaries(P)
    n = P.shape[0]
    s = P.sum(axis=1)
    assert c.printed_numerator == pytest.approx(
        c.frobenius_sq + (1 - 1 / n) * (s**2).sum(), rel=1e-12
    )
    assert c.rank_p2 == np.linalg.matrix_rank(P @ P)
    assert t.nuclear_p2 <= c.frobenius_sq * (1 + 1e-12)
    assert c.corollary_1_1 <= c.printed_1_1 * (1 + 1e-12)
    if c.sigma_min_lower > 0:
        assert t.bound_printed <= c.printed_1_2 * (1 + 1e-12)
        assert c.printed_1_2 == pytest.approx(
            t.nuclear_p2 / c.sigma_min_lower, rel=1e-15
        )
    assert c.sigma_min_lower <= t.sigma_min_p2 * (1 + 1e-12)
    assert t.bound_printed <= c.corollary_1_1 * (1 + 1e-12)
    assert c.corollary_1_1 <= c.corollary_1_2 * (1 + 1e-12)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("K", [1, 2, 3])
def test_corrected_terms_of_a_non_symmetric_matrix_are_exact(sparse, K):
    # pin: the corrected terms computed from P instead of Pᵀ (Σ_j P^(k-1)_ij P_ij for (P^k)_ii) slipped past
    # all but one test; a non-symmetric matrix with exact rational terms tells them apart at k = 2.
    P = np.array([[0.25, 0.5, 0.0], [0.0, 0.0, 0.5], [0.5, 0.25, 0.0]])
    X = sp.csr_array(P) if sparse else P
    exact = reference.exact_arp_terms(P, K, "corrected")
    np.testing.assert_allclose(
        rep.arp_terms(X, K, "corrected"), [float(x) for x in exact], rtol=1e-15
    )
