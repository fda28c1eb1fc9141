"""Unit tests of the paper's Theorem 1 and corollaries, the perturbed bigram and pair chains (book, Chapter 9)."""

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp
import sympy

import repetition as rep


def random_substochastic(n, seed, mass=0.8, concentration=0.4, cut=0.02):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(n, concentration), size=n) * mass
    P[P < cut] = 0.0
    return P


# --------------------------------------------------------------------------
# Theorem 1


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
    Ps = sympy.Matrix([[sympy.Rational(1, 2), sympy.Rational(1, 4)], [sympy.Rational(1, 3), 0]])
    c = sympy.Rational(3, 2)  # three nonzeros over n = 2
    exact = (Ps**2 * (c * sympy.eye(2) - Ps**2).inv()).trace()
    A = Ps.applyfunc(lambda x: x**2)
    exact_a = (A * (c * sympy.eye(2) - A).inv()).trace()
    t = rep.paper_theorem1(np.array(Ps.tolist(), dtype=float))
    assert t.arp_printed == pytest.approx(float(exact), rel=1e-13)
    assert t.arp_hadamard == pytest.approx(float(exact_a), rel=1e-13)


@pytest.mark.parametrize("seed", range(5))
def test_theorem1_sums_the_series_and_orders_them(seed):
    P = random_substochastic(7, seed)
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
    assert rep.spectral_radius(P) <= t.rho_p2 * (1 + 1e-12)


def test_theorem1_diverges_and_is_inf():
    t = rep.paper_theorem1(np.array([[0.0, 1.0], [1.0, 0.0]]))  # ζn = 1 = ρ(P²)
    assert t.arp_printed == math.inf and t.bound_printed == math.inf
    assert t.arp_hadamard == math.inf


def test_theorem1_two_cycle_hand_value():
    # ζn = 1, P² = 0.81 I: Σ_k 2 (0.81)^k = 2 * 0.81 / 0.19; A² = 0.6561^... same with 0.81² on the diagonal of A²
    t = rep.paper_theorem1(np.array([[0.0, 0.9], [0.9, 0.0]]))
    assert t.arp_printed == pytest.approx(2 * 0.81 / 0.19, rel=1e-12)
    assert t.bound_printed == pytest.approx(2 * 0.81 / 0.19, rel=1e-12)
    assert t.arp_hadamard == pytest.approx(rep.repetition_rate([[0, 0.9], [0.9, 0]]), rel=1e-12)


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


# --------------------------------------------------------------------------
# Corollaries


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
    np.testing.assert_allclose(c.row_variances, [1 / 3 * (2 * (0.5 - 1 / 3) ** 2 + (1 / 3) ** 2), 2 / 9, 2 / 9])


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
    assert t.arp_printed == pytest.approx(1 / 3, rel=1e-12)      # Tr(P²) = 1/4, P^(2k) traces (1/4)^k


@pytest.mark.parametrize("seed", range(5))
def test_corollaries_are_weaker_than_theorem1(seed):
    P = random_substochastic(8, seed)
    t = rep.paper_theorem1(P)
    c = rep.paper_corollaries(P)
    n = P.shape[0]
    s = P.sum(axis=1)
    assert c.frobenius_sq == pytest.approx(n * c.row_variances.sum() + (s**2).sum() / n, rel=1e-12)
    assert t.nuclear_p2 <= c.frobenius_sq * (1 + 1e-12)
    assert c.sigma_min_lower <= t.sigma_min_p2 * (1 + 1e-12)
    assert t.bound_printed <= c.corollary_1_1 * (1 + 1e-12)
    assert c.corollary_1_1 <= c.corollary_1_2 * (1 + 1e-12)


# --------------------------------------------------------------------------
# Perturbed bigram


def test_amplitudes_hand_example():
    P = [[0.3, 0.3, 0.0], [0.05, 0.5, 0.25], [0.5, 0.5, 0.0]]
    c = rep.perturbation_amplitudes(P, 0.1)
    # row 0: slack 0.4/0.6; row 1: slack 0.2/0.8 = 1/4; row 2: none
    np.testing.assert_allclose(c, [[0.1, 0.1, 0.0], [0.0125, 0.1, 0.0625], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("seed", range(3))
def test_perturbed_matrices_are_valid_and_centred(seed):
    P = random_substochastic(6, seed)
    rng = np.random.default_rng(seed)
    B = rep.perturbed_matrices(P, 0.05, 4, rng, size=5000)
    assert B.shape == (5000, 4, 6, 6)
    assert (B >= 0).all() and (B.sum(axis=-1) <= 1 + 1e-12).all()
    c = rep.perturbation_amplitudes(P, 0.05)
    # each entry is P ± c: the mean is within 5 standard errors of P
    assert np.all(np.abs(B.mean(axis=(0, 1)) - P) <= 5 * c / np.sqrt(B.shape[0] * B.shape[1]) + 1e-15)
    np.testing.assert_allclose(np.abs(B - P).max(axis=(0, 1)), c, atol=1e-15)


def test_time_varying_terms_constant_and_hand():
    P = random_substochastic(5, 0)
    np.testing.assert_allclose(rep.time_varying_repetition_terms(np.stack([P] * 8), 4), rep.repetition_terms(P, 4), rtol=1e-12)
    B1 = np.array([[0.5, 0.1], [0.2, 0.3]])
    B2 = np.array([[0.4, 0.0], [0.6, 0.2]])
    # R'_1 = Σ_i B1_ii B2_ii
    assert rep.time_varying_repetition_terms(np.stack([B1, B2]), 1)[0] == pytest.approx(0.5 * 0.4 + 0.3 * 0.2)
    # R'_2 = tr((B1 ⊙ B3)(B2 ⊙ B4))
    B3, B4 = B2[::-1].copy(), B1.T.copy()
    expected = np.trace((B1 * B3) @ (B2 * B4))
    assert rep.time_varying_repetition_terms(np.stack([B1, B2, B3, B4]), 2)[1] == pytest.approx(expected)


@pytest.mark.parametrize("K", [1, 2])
def test_moments_match_exhaustive_enumeration(K):
    P = np.array([[0.3, 0.2], [0.1, 0.4]])
    delta = 0.05
    c = rep.perturbation_amplitudes(P, delta)
    signs = np.array(list(itertools.product([-1.0, 1.0], repeat=2 * K * 4))).reshape(-1, 2 * K, 2, 2)
    terms = rep.time_varying_repetition_terms(P + c * signs, K)
    m = rep.perturbed_rate_moments(P, delta, K)
    np.testing.assert_allclose(terms.mean(axis=0), m.mean, rtol=1e-10)
    np.testing.assert_allclose(terms.var(axis=0), m.variance, rtol=1e-9)
    assert terms.sum(axis=1).std() <= m.sd_bound * (1 + 1e-12)
    assert m.tail_bound(m.sd_bound) == pytest.approx(1.0)
    assert m.tail_bound(2 * m.sd_bound) == pytest.approx(0.25)


def test_moments_without_perturbation():
    P = random_substochastic(5, 3)
    m = rep.perturbed_rate_moments(P, 0.0, 6)
    np.testing.assert_allclose(m.mean, rep.repetition_terms(P, 6), rtol=1e-12)
    np.testing.assert_allclose(m.variance, 0.0, atol=1e-15)


def test_perturbed_chains_end_and_determinism():
    Y = rep.perturbed_chains([[0.0, 0.5], [0.0, 0.0]], 0.0, np.array([0, 1]), 3, np.random.default_rng(0))
    assert Y[1].tolist() == [1, rep.END, rep.END, rep.END]
    assert set(Y[0, 1:].tolist()) <= {1, rep.END}


def test_monte_carlo_perturbed_rate_is_unbiased():
    P = random_substochastic(5, 4)
    K = 5
    est = rep.monte_carlo_perturbed_rate(P, 0.05, K, 100_000, np.random.default_rng(7))
    target = rep.repetition_terms(P, K).sum()
    assert abs(est.value - target) <= 5 * est.stderr


# --------------------------------------------------------------------------
# Pair chains


@pytest.mark.parametrize("seed", range(4))
def test_lift_preserves_every_term(seed):
    P = random_substochastic(6, seed, cut=0.05)
    L = rep.lift_to_pairs(sp.csr_array(P))
    assert L.N == np.count_nonzero(P)
    np.testing.assert_allclose(rep.repetition_terms(L.Q, 6), rep.repetition_terms(P, 6), rtol=1e-12, atol=1e-300)
    assert rep.repetition_rate(L.Q) == pytest.approx(rep.repetition_rate(P), rel=1e-12)
    np.testing.assert_allclose(L.Q.sum(axis=1), P.sum(axis=1)[L.pairs[:, 1]], rtol=1e-12)


@pytest.mark.parametrize("P", [[[0.0]], np.zeros((3, 3))])
def test_lift_of_an_empty_support_is_refused(P):
    with pytest.raises(ValueError, match="no positive entry"):
        rep.lift_to_pairs(P)


def test_trigram_pair_chain_hand_example():
    seqs = [list("abcab"), list("abd")]
    ch = rep.trigram_pair_chain(seqs)
    assert ch.vocab == ["a", "b", "c", "d"]
    names = ["".join(ch.vocab[i] for i in p) for p in ch.pairs]
    assert names == ["ab", "bc", "bd", "ca"]
    Q = ch.Q.toarray()
    # "ab" occurs 3 times: followed by c once, d once, end once
    assert Q[0].tolist() == [0.0, 1 / 3, 1 / 3, 0.0]
    assert Q[1].tolist() == [0.0, 0.0, 0.0, 1.0]  # bc -> ca
    assert Q[2].tolist() == [0.0, 0.0, 0.0, 0.0]  # bd ends
    assert Q[3].tolist() == [1.0, 0.0, 0.0, 0.0]  # ca -> ab
    assert ch.starts.tolist() == [2, 0, 0, 0]


def test_trigram_states_are_the_bigram_support():
    seqs = [list("abracadabra"), list("cadabra"), list("abba")]
    ch = rep.trigram_pair_chain(seqs)
    counts = rep.bigram_counts(seqs)
    lifted = rep.lift_to_pairs(rep.transition_matrix(counts.counts))
    assert ch.pairs.tolist() == lifted.pairs.tolist()


def test_trigram_of_a_periodic_text_is_deterministic():
    ch = rep.trigram_pair_chain([list("xyz" * 5)])
    assert rep.repetition_rate(ch.Q) < math.inf  # the last pair ends the text
    assert rep.deterministic_cycle(rep.trigram_pair_chain([list("xyzxyz"), list("zxyzx")]).Q) is None


def test_split_at_rare_tokens():
    segs, vocab = rep.split_at_rare_tokens([list("aabxa"), list("yab")], 2)
    assert vocab == ["a", "b"]
    assert segs == [list("aab"), list("a"), list("ab")]
