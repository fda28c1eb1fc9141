"""Unit tests of the perturbed bigram (Chapter 9, theorem thm-ar-perturbed)."""

import itertools

import numpy as np
import pytest

import repetition as rep


def test_amplitudes_hand_example():
    P = [[0.3, 0.3, 0.0], [0.05, 0.5, 0.25], [0.5, 0.5, 0.0]]
    c = rep.perturbation_amplitudes(P, 0.1)
    # row 0: slack 0.4/0.6; row 1: slack 0.2/0.8 = 1/4; row 2: none
    np.testing.assert_allclose(c, [[0.1, 0.1, 0.0], [0.0125, 0.1, 0.0625], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("seed", range(3))
def test_perturbed_matrices_are_valid_and_centred(seed):
    P = rep.dirichlet_decoder(6, rng=seed)
    rng = np.random.default_rng(seed)
    B = rep.perturbed_matrices(P, 0.05, 4, rng, size=5000)
    assert B.shape == (5000, 4, 6, 6)
    assert (B >= 0).all() and (B.sum(axis=-1) <= 1 + 1e-12).all()
    c = rep.perturbation_amplitudes(P, 0.05)
    # each entry is P ± c: the mean is within 5 standard errors of P
    assert np.all(np.abs(B.mean(axis=(0, 1)) - P) <= 5 * c / np.sqrt(B.shape[0] * B.shape[1]) + 1e-15)
    np.testing.assert_allclose(np.abs(B - P).max(axis=(0, 1)), c, atol=1e-15)


def test_time_varying_terms_constant_and_hand():
    P = rep.dirichlet_decoder(5, rng=0)
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
    P = rep.dirichlet_decoder(5, rng=3)
    m = rep.perturbed_rate_moments(P, 0.0, 6)
    np.testing.assert_allclose(m.mean, rep.repetition_terms(P, 6), rtol=1e-12)
    np.testing.assert_allclose(m.variance, 0.0, atol=1e-15)


def test_perturbed_chains_end_and_determinism():
    Y = rep.perturbed_chains([[0.0, 0.5], [0.0, 0.0]], 0.0, np.array([0, 1]), 3, np.random.default_rng(0))
    assert Y[1].tolist() == [1, rep.END, rep.END, rep.END]
    assert set(Y[0, 1:].tolist()) <= {1, rep.END}


def test_monte_carlo_perturbed_rate_is_unbiased():
    P = rep.dirichlet_decoder(5, rng=4)
    K = 5
    est = rep.monte_carlo_perturbed_rate(P, 0.05, K, 100_000, np.random.default_rng(7))
    target = rep.repetition_terms(P, K).sum()
    assert abs(est.value - target) <= 5 * est.stderr
