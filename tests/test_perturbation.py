"""Unit tests of the perturbed bigram (Chapter 9, theorem thm-ar-perturbed)."""

import itertools
import math
import warnings

import numpy as np
import pytest

import repetition as rep


def test_amplitudes_hand_example():
    P = [[0.3, 0.3, 0.0], [0.05, 0.5, 0.25], [0.5, 0.5, 0.0]]
    c = rep.perturbation_amplitudes(P, 0.1)
    # row 0: slack 0.4/0.6; row 1: slack 0.2/0.8 = 1/4; row 2: none
    np.testing.assert_allclose(
        c, [[0.1, 0.1, 0.0], [0.0125, 0.1, 0.0625], [0.0, 0.0, 0.0]]
    )


@pytest.mark.parametrize("seed", range(3))
def test_perturbed_matrices_are_valid_and_centred(seed):
    P = rep.dirichlet_decoder(6, rng=seed)
    rng = np.random.default_rng(seed)
    B = rep.perturbed_matrices(P, 0.05, 4, rng, size=5000)
    assert B.shape == (5000, 4, 6, 6)
    assert (B >= 0).all() and (B.sum(axis=-1) <= 1 + 1e-12).all()
    c = rep.perturbation_amplitudes(P, 0.05)
    # each entry is P ± c: the mean is within 5 standard errors of P
    assert np.all(
        np.abs(B.mean(axis=(0, 1)) - P)
        <= 5 * c / np.sqrt(B.shape[0] * B.shape[1]) + 1e-15
    )
    np.testing.assert_allclose(np.abs(B - P).max(axis=(0, 1)), c, atol=1e-15)


def test_time_varying_terms_constant_and_hand():
    P = rep.dirichlet_decoder(5, rng=0)
    np.testing.assert_allclose(
        rep.time_varying_repetition_terms(np.stack([P] * 8), 4),
        rep.repetition_terms(P, 4),
        rtol=1e-12,
    )
    B1 = np.array([[0.5, 0.1], [0.2, 0.3]])
    B2 = np.array([[0.4, 0.0], [0.6, 0.2]])
    # R'_1 = Σ_i B1_ii B2_ii
    assert rep.time_varying_repetition_terms(np.stack([B1, B2]), 1)[0] == pytest.approx(
        0.5 * 0.4 + 0.3 * 0.2
    )
    # R'_2 = tr((B1 ⊙ B3)(B2 ⊙ B4))
    B3, B4 = B2[::-1].copy(), B1.T.copy()
    expected = np.trace((B1 * B3) @ (B2 * B4))
    assert rep.time_varying_repetition_terms(np.stack([B1, B2, B3, B4]), 2)[
        1
    ] == pytest.approx(expected)


@pytest.mark.parametrize("K", [1, 2])
def test_moments_match_exhaustive_enumeration(K):
    P = np.array([[0.3, 0.2], [0.1, 0.4]])
    delta = 0.05
    c = rep.perturbation_amplitudes(P, delta)
    signs = np.array(list(itertools.product([-1.0, 1.0], repeat=2 * K * 4))).reshape(
        -1, 2 * K, 2, 2
    )
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
    Y = rep.perturbed_chains(
        [[0.0, 0.5], [0.0, 0.0]], 0.0, np.array([0, 1]), 3, np.random.default_rng(0)
    )
    assert Y[1].tolist() == [1, rep.END, rep.END, rep.END]
    assert set(Y[0, 1:].tolist()) <= {1, rep.END}


def test_monte_carlo_perturbed_rate_is_unbiased():
    P = rep.dirichlet_decoder(5, rng=4)
    K = 5
    est = rep.monte_carlo_perturbed_rate(P, 0.05, K, 100_000, np.random.default_rng(7))
    target = rep.repetition_terms(P, K).sum()
    assert abs(est.value - target) <= 5 * est.stderr


# ---------------------------------------------------------------------------
# Theorem 2 of Fu et al. as printed (paper_theorem2, paper_perturbed_arp)

from fractions import Fraction  # noqa: E402

from repetition import reference  # noqa: E402
from repetition.perturbation import paper_perturbed_arp, paper_theorem2  # noqa: E402


def _exact_mean_square(P, delta2, K):
    """Σ_(r,s<=K) (S - t tᵀ)_rs / (ζn)^(r+s) from the exact reference."""
    S, t = reference.paper_perturbed_second_moments(P, delta2, K)
    zn = Fraction(sum(1 for row in P for x in row if x != 0), len(P))
    return sum(
        (S[r][s] - t[r] * t[s]) / zn ** (r + s + 2) for r in range(K) for s in range(K)
    )


@pytest.mark.parametrize("K", [1, 2])
def test_paper_second_moments_against_every_sign_pattern(K):
    P = [[Fraction(1, 2), Fraction(1, 4)], [Fraction(1, 3), Fraction(1, 3)]]
    values = reference.paper_perturbed_arp_by_signs(np.array(P, dtype=float), 0.25, K)
    _, t = reference.paper_perturbed_second_moments(P, Fraction(1, 16), K)
    arp_K = sum(t[r] / Fraction(2) ** (r + 1) for r in range(K))
    assert values.mean() == pytest.approx(float(arp_K), rel=1e-12)
    assert np.mean((values - float(arp_K)) ** 2) == pytest.approx(
        float(_exact_mean_square(P, Fraction(1, 16), K)), rel=1e-12
    )


@pytest.mark.parametrize(
    "P, delta2",
    [
        (
            [[Fraction(1, 2), Fraction(1, 4)], [Fraction(1, 3), Fraction(1, 3)]],
            Fraction(1, 16),
        ),
        (
            [
                [Fraction(1, 5), Fraction(1, 5), Fraction(1, 5)],
                [Fraction(3, 5), 0, Fraction(1, 10)],
                [Fraction(1, 4), Fraction(1, 2), Fraction(1, 8)],
            ],
            Fraction(1, 10),
        ),
    ],
)
def test_paper_theorem2_mean_square_is_the_series(P, delta2):
    # the closed form (Woodbury + Stein equations) against exact partial sums of the double series
    t2 = paper_theorem2(np.array(P, dtype=float), float(delta2) ** 0.5)
    partial = float(_exact_mean_square(P, delta2, 30))
    assert t2.mean_square == pytest.approx(partial, rel=1e-9)
    _, t = reference.paper_perturbed_second_moments(P, 0, 30)
    zn = Fraction(sum(1 for row in P for x in row if x != 0), len(P))
    assert t2.arp_printed == pytest.approx(
        float(sum(t[r] / zn ** (r + 1) for r in range(30))), rel=1e-9
    )


def test_paper_theorem2_tail_bound_dominates_the_exact_tail():
    P = [
        [Fraction(1, 5), Fraction(1, 5), Fraction(1, 5)],
        [Fraction(3, 5), 0, Fraction(1, 10)],
        [Fraction(1, 4), Fraction(1, 2), Fraction(1, 8)],
    ]
    delta2 = Fraction(1, 10)
    S, _ = reference.paper_perturbed_second_moments(P, delta2, 24)
    zn = Fraction(8, 3)
    t2 = paper_theorem2(np.array(P, dtype=float), float(delta2) ** 0.5)
    for K in (2, 4, 8):
        # E τ_K² = Σ_(r,s>K) S_rs/(ζn)^(r+s), truncated at 24 terms (a lower estimate of the tail)
        tail = sum(
            S[r][s] / zn ** (r + s + 2) for r in range(K, 24) for s in range(K, 24)
        )
        assert float(tail) ** 0.5 <= t2.tail_rms_bound(K)
    assert t2.tail_rms_bound(8) < t2.tail_rms_bound(4) < t2.tail_rms_bound(2)


def test_paper_perturbed_arp_without_noise_is_the_partial_sum():
    P = rep.dirichlet_decoder(6, rng=2)
    for law, p in (("rademacher", None), ("normal", None), ("three-point", 0.1)):
        x = paper_perturbed_arp(P, 0.0, 5, 3, rng=0, law=law, p=p)
        np.testing.assert_allclose(x, rep.arp_terms(P, 5, "printed").sum(), rtol=1e-12)


@pytest.mark.parametrize(
    "law, p", [("rademacher", None), ("normal", None), ("three-point", 0.05)]
)
def test_paper_perturbed_arp_is_unbiased_with_the_exact_mean_square(law, p):
    n = 5
    P = np.full((n, n), 0.19)
    delta = (0.5 / n) ** 0.5
    K = 6
    x = paper_perturbed_arp(P, delta, K, 20_000, rng=11, law=law, p=p)
    arp_K = rep.arp_terms(P, K, "printed").sum()
    assert abs(x.mean() - arp_K) <= 5 * x.std(ddof=1) / np.sqrt(x.size)
    exact = float(_exact_mean_square(np.array(P).tolist(), delta**2, K))
    dev2 = (x - arp_K) ** 2
    assert abs(dev2.mean() - exact) <= 5 * dev2.std(ddof=1) / np.sqrt(x.size)
    # and K = 6 terms already carry the whole mean square to within the tail bound
    t2 = paper_theorem2(P, delta)
    assert abs(t2.mean_square**0.5 - exact**0.5) <= t2.tail_rms_bound(K) + 1e-12


def test_paper_perturbed_arp_same_seed_same_values():
    P = rep.dirichlet_decoder(4, rng=1)
    a = paper_perturbed_arp(P, 0.1, 3, 1500, rng=5, law="three-point", p=0.2)
    b = paper_perturbed_arp(
        P, 0.1, 3, 1500, rng=np.random.default_rng(5), law="three-point", p=0.2
    )
    np.testing.assert_array_equal(a, b)


def test_paper_theorem2_hypotheses_constant_and_bounds():
    P = np.full((5, 5), 0.19)
    t2 = paper_theorem2(P, 0.1)
    assert t2.zeta_n == 5 and t2.column_square_max == pytest.approx(5 * 0.19**2)
    assert t2.hypotheses_hold
    assert t2.constant == pytest.approx(3 * 5 * 0.01 / (1 * 4))
    assert t2.bound(0.5) == pytest.approx(t2.constant / 0.25)
    np.testing.assert_allclose(
        t2.chebyshev(np.array([1.0, 2.0])), [t2.mean_square, t2.mean_square / 4]
    )
    assert not paper_theorem2(P, 0.5).hypotheses_hold  # δ² = 1/4 > 1/n
    assert not paper_theorem2(np.full((3, 3), 0.3), 0.1).hypotheses_hold  # ζn = 3
    assert np.isnan(paper_theorem2(np.full((3, 3), 0.3), 0.1).constant)
    assert paper_theorem2(P, 0.0).mean_square == 0.0


def test_paper_theorem2_divergent_cases_are_inf():
    # ζn = 1 = ρ(P²): the printed ARP diverges
    t2 = paper_theorem2([[0.0, 1.0], [1.0, 0.0]], 0.1)
    assert t2.arp_printed == np.inf and t2.mean_square == np.inf
    # ARP finite, but δ so large that the second moments diverge (ρ(P⊗P + δ² uuᵀ) >= ζn)
    t2 = paper_theorem2([[0.5, 0.5], [0.5, 0.5]], 1.5)
    assert np.isfinite(t2.arp_printed) and t2.mean_square == np.inf


def test_paper_theorem2_decides_divergence_exactly():
    # ρ(P)² = 1 - 2^-53 < ζn = 1: the series converges (exactly), although eigenvalues in floating point
    # put ρ(P)² at 1; ARP_printed = 2x/(1 - x), x = 1 - 2^-53, with a ConditioningWarning, not inf
    x = 1.0 - 2.0**-53
    with pytest.warns(
        rep.ConditioningWarning, match="condition number about .* relative accuracy"
    ):
        t2 = paper_theorem2([[0.0, 1.0], [x, 0.0]], 0.0)
    assert t2.arp_printed == pytest.approx(2 * x / (1 - x), rel=1e-6)
    # ρ(P)² = ζn exactly: inf
    assert paper_theorem2([[0.0, 1.0], [1.0, 0.0]], 0.0).arp_printed == np.inf
    # the second moments diverge exactly when δ² >= 2/3 for P = J/2 (uᵀ(2I - P⊗P)^{-1}u = 3/2): the
    # floating-point criterion is within rounding there, so the exact test decides, on both sides
    P = [[0.5, 0.5], [0.5, 0.5]]
    delta = float(np.sqrt(2 / 3))
    for step in range(-3, 4):
        d = delta
        for _ in range(abs(step)):
            d = float(np.nextafter(d, np.inf if step > 0 else -np.inf))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rep.ConditioningWarning)
            diverges = paper_theorem2(P, d).mean_square == np.inf
        assert diverges == (Fraction(d) ** 2 >= Fraction(2, 3)), d
    # above n = 8 the exact test is refused, with a message naming delta
    with pytest.raises(ValueError, match="delta = .* within rounding of divergence"):
        paper_theorem2(np.full((9, 9), 1 / 9), float(np.sqrt(72 / 73)))


@pytest.mark.parametrize(
    "n", [3, 12]
)  # scipy's Stein solver: direct (n < 10) and bilinear
def test_paper_theorem2_near_divergence_warns_conditioning_not_scipy(n):
    # ρ(P)² = 1 - 2^-53 < ζn = 1 on a cycle: scipy's solvers warned LinAlgWarning (and, for the bilinear
    # route, a RuntimeWarning); the package warns its own ConditioningWarning, with the accuracy to expect
    P = np.roll(np.eye(n), 1, axis=1)
    P[0, 1] = 1.0 - 2.0**-53
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t2 = paper_theorem2(P, 1e-9)
    kinds = {type(w.message) for w in caught}
    assert kinds == {rep.ConditioningWarning}, kinds
    assert all("relative accuracy" in str(w.message) for w in caught)
    # P^L = x^(L/n) I for L = lcm(2, n), and Tr(P^(2k)) = 0 unless L | 2k: ARP = n y / (1 - y), y = x^(L/n)
    y = Fraction(1 - 2.0**-53) ** (math.lcm(2, n) // n)
    assert t2.arp_printed == pytest.approx(float(n * y / (1 - y)), rel=1e-6)
    # well inside the domain: no warning at all
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        paper_theorem2(np.full((5, 5), 0.19), 0.1)


def test_paper_theorem2_rejects_bad_arguments():
    P = np.full((5, 5), 0.19)
    with pytest.raises(ValueError, match="delta"):
        paper_theorem2(P, -0.1)
    with pytest.raises(ValueError, match="law"):
        paper_perturbed_arp(P, 0.1, 2, 3, rng=0, law="uniform")
    with pytest.raises(ValueError, match="p must be given"):
        paper_perturbed_arp(P, 0.1, 2, 3, rng=0, law="three-point")
    with pytest.raises(ValueError, match="p is used only"):
        paper_perturbed_arp(P, 0.1, 2, 3, rng=0, p=0.1)
    with pytest.raises(ValueError, match="p must be in"):
        paper_perturbed_arp(P, 0.1, 2, 3, rng=0, law="three-point", p=0.7)
    with pytest.raises(ValueError, match="a must be"):
        paper_theorem2(P, 0.1).bound(0.0)
    with pytest.raises(TypeError, match="K"):
        paper_perturbed_arp(P, 0.1, 2.5, 3, rng=0)
