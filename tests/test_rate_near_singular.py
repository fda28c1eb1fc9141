"""Near-singular decoders: ρ(P ⊙ P) = 1 - 1e-9 gives a finite, accurate R, with a warning.

When the spectral radius of ``A = P ⊙ P`` is within 1e-9 of 1, ``I - A`` has a
condition number of about 2e9, so rounding alone limits ``R`` to about
``κ eps ≈ 4e-7`` relative accuracy. The package must then (a) still return a
finite number, (b) be as accurate as that conditioning allows, and (c) say so
with a :class:`repetition.ConditioningWarning` whose message states the
expected accuracy. The references are computed from the *same* float64 input,
converted exactly: with rational arithmetic (``fractions``) where a closed form
exists, and with 60-digit ``mpmath`` linear algebra otherwise.

The property ``test_rate_equals_the_exact_rational_value`` in
``test_properties.py`` covers the converse on thousands of rational matrices,
including rows with mass ``1 - O(1e-9)``: without a warning the computed ``R``
is within 1e-8 relative of the exact value.
"""

from __future__ import annotations

import math
import re
import warnings
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import scipy.sparse as sp

import repetition as rep
from repetition import reference

EPS = np.finfo(float).eps
GAP = 1e-9  # 1 - ρ(P ⊙ P)


def two_cycle() -> np.ndarray:
    # A = [[0, 1], [q^2, 0]] has eigenvalues ±q: ρ(A) = q = 1 - 1e-9
    return np.array([[0.0, 1.0], [1.0 - GAP, 0.0]])


def self_loop() -> np.ndarray:
    return np.array([[math.sqrt(1.0 - GAP)]])


def perturbed_cycle(n: int, seed: int) -> np.ndarray:
    # a deterministic n-cycle mixed with a little uniform noise and a little end mass:
    # ρ(A) = 1 - O(1e-9) and every entry positive (one dense component, defective-free but far from normal)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    Pi = np.zeros((n, n))
    Pi[perm, np.roll(perm, -1)] = 1.0
    noise = rng.random((n, n))
    noise /= noise.sum(axis=1, keepdims=True)
    delta = 2e-10
    return (1 - 1e-10) * ((1 - delta) * Pi + delta * noise)


def exact_two_cycle_rate(P: np.ndarray) -> Fraction:
    # Tr(A^(2j)) = 2 q'^j with q' = (P[0,1] P[1,0])^2 exactly: R = 2 q' / (1 - q')
    q = (Fraction(float(P[0, 1])) * Fraction(float(P[1, 0]))) ** 2
    return 2 * q / (1 - q)


CASES = {
    "two-cycle": two_cycle,
    "self-loop": self_loop,
    "perturbed-3-cycle": lambda: perturbed_cycle(3, 0),
    "perturbed-8-cycle": lambda: perturbed_cycle(8, 1),
}


def rate_with_warnings(P):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        R = rep.repetition_rate(P)
    return R, [w for w in caught if issubclass(w.category, rep.ConditioningWarning)]


@pytest.mark.parametrize("fmt", ["dense", "csr"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_near_singular_rate_is_finite_accurate_and_warned(name, fmt):
    P = CASES[name]()
    rho = float(reference.high_precision_spectral_radius(P))
    assert abs((1 - rho) - GAP) <= 0.5 * GAP, (
        f"the case is not near-singular as intended: 1 - rho = {1 - rho:.3g}"
    )
    R, warned = rate_with_warnings(sp.csr_array(P) if fmt == "csr" else P)
    high = reference.high_precision_repetition_rate(P)
    if name == "two-cycle":  # exact rational closed form agrees with the 60-digit solve
        exact = exact_two_cycle_rate(P)
        with mpmath.workdps(60):
            assert (
                abs(mpmath.mpf(exact.numerator) / exact.denominator - high)
                <= mpmath.mpf(10) ** -40 * high
            )
    assert math.isfinite(R) and R > 1e8  # R ~ n / (1 - ρ)
    rel = abs(mpmath.mpf(R) - high) / high
    # accurate to what the conditioning allows: κ eps with κ = 2 ||(I - A)^{-1}|| ~ 4 / (1 - ρ)
    kappa = 4.0 / (1 - rho)
    assert rel <= 10 * kappa * EPS, (
        f"relative error {float(rel):.3g} above 10 κ eps = {10 * kappa * EPS:.3g}"
    )
    # ... and the user is told how accurate it is
    assert len(warned) == 1, "a near-singular R must come with one ConditioningWarning"
    message = str(warned[0].message)
    stated = float(
        re.search(r"expect about ([0-9.e+-]+) relative accuracy", message).group(1)
    )
    assert rel <= 10 * stated, (
        f"error {float(rel):.3g} exceeds the stated accuracy {stated:g}"
    )
    assert 1e-9 <= stated <= 1e-5


@pytest.mark.parametrize("name", sorted(CASES))
def test_near_singular_spectral_quantities(name):
    P = CASES[name]()
    rho_ref = reference.high_precision_spectral_radius(P)
    rho = rep.spectral_radius(rep.hadamard_square(P))
    assert rho < 1.0
    assert abs(mpmath.mpf(rho) - rho_ref) <= 1e-13, (
        "ρ itself is well conditioned (it is not a solve)"
    )
    # n ρ / (1 - ρ) loses ε / (1 - ρ) relative to the rounding of ρ: said, with the accuracy to expect
    with pytest.warns(
        rep.ConditioningWarning,
        match=r"eigen_upper_bound: an eigenvalue of P ⊙ P is within",
    ):
        assert math.isfinite(rep.eigen_upper_bound(P))
    assert rep.deterministic_cycle(P) is None
    # the first terms are plain sums of products: full accuracy regardless of conditioning
    terms = rep.repetition_terms(P, 4)
    with mpmath.workdps(40):
        A = mpmath.matrix([[mpmath.mpf(float(x)) ** 2 for x in row] for row in P])
        X = A
        for k in range(4):
            ref = sum(X[i, i] for i in range(P.shape[0]))
            assert (
                abs(mpmath.mpf(terms[k]) - ref)
                <= 16 * (k + 1) * P.shape[0] * EPS * abs(ref) + mpmath.mpf(10) ** -300
            )
            X = X * A


@pytest.mark.parametrize("gap", [1e-2, 1e-4, 1e-6])
def test_well_conditioned_rates_do_not_warn_and_are_accurate(gap):
    P = np.array([[0.0, 1.0], [1.0 - gap, 0.0]])
    R, warned = rate_with_warnings(P)
    assert not warned
    exact = exact_two_cycle_rate(P)
    assert abs(Fraction(R) - exact) <= Fraction(1, 10**8) * exact


def test_exactly_singular_is_infinite_not_huge():
    # ρ = 1 exactly: a deterministic cycle, decided on the graph -> inf, no warning, no solve
    R, warned = rate_with_warnings(np.array([[0.0, 1.0], [1.0, 0.0]]))
    assert R == math.inf and not warned
    # one ulp below 1 is not deterministic: finite, huge, and warned
    P = np.array([[0.0, 1.0], [np.nextafter(1.0, 0.0), 0.0]])
    R, warned = rate_with_warnings(P)
    assert math.isfinite(R) and R > 1e15 and warned
    exact = exact_two_cycle_rate(P)
    assert (
        abs(Fraction(R) - exact) <= Fraction(1, 10) * exact
    )  # κ eps ~ 1: still the right magnitude


@pytest.mark.parametrize("gap", [1e-12, 1e-10])
def test_eigenvalue_routes_warn_near_one_and_are_accurate_to_what_they_say(gap):
    # issue 16: eigen_repetition_rate at ρ(A) = 1 - 1e-12 was off by 3e-4 relative with no warning
    P = np.array([[0.0, 1.0], [1.0 - gap, 0.0]])
    exact = reference.high_precision_repetition_rate(P)
    for f in (rep.eigen_repetition_rate, rep.modulus_upper_bound):
        with pytest.warns(
            rep.ConditioningWarning,
            match=r"expect about ([0-9.e+-]+) relative accuracy",
        ) as warned:
            value = f(P)
        stated = float(
            re.search(
                r"expect about ([0-9.e+-]+) relative", str(warned[0].message)
            ).group(1)
        )
        if f is rep.eigen_repetition_rate:
            assert abs(mpmath.mpf(value) - exact) <= 10 * stated * exact
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # far from 1: no warning
        rep.eigen_repetition_rate(np.array([[0.0, 0.9], [0.9, 0.0]]))
