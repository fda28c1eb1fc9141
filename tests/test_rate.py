"""Unit tests of the exact repetition rate and its terms (book, Chapter 1)."""

import math
import warnings
from fractions import Fraction
from unittest import mock

import numpy as np
import pytest
import scipy.sparse as sp

import repetition as rep
from repetition import _sparse_rate, reference

CYCLE3 = np.array(
    [[0, 0.5, 0], [0, 0, 0.5], [0.5, 0, 0]]
)  # periodic: Tr(A) = Tr(A^2) = 0


def exact_rate(P):
    """R = Tr(A (I - A)^{-1}) in exact rational arithmetic, from entries given as strings or numbers."""
    return reference.exact_repetition_rate([[Fraction(x) for x in row] for row in P])


@pytest.mark.parametrize("n", [1, 2, 3, 7, 50])
def test_uniform_matrix_closed_form(n):
    # P = J/n: A = J/n^2 has the single nonzero eigenvalue 1/n, so R = (1/n)/(1 - 1/n) = 1/(n - 1).
    P = np.full((n, n), 1.0 / n)
    expected = math.inf if n == 1 else 1.0 / (n - 1)
    assert rep.repetition_rate(P) == pytest.approx(expected, rel=1e-13)


def test_swap_matrix_is_infinite():
    assert rep.repetition_rate(np.array([[0.0, 1.0], [1.0, 0.0]])) == math.inf
    assert (
        rep.repetition_rate(sp.csr_array(np.array([[0.0, 1.0], [1.0, 0.0]])))
        == math.inf
    )


def test_deterministic_cycle_among_other_rows():
    P = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.3, 0.3, 0.3]])
    assert rep.repetition_rate(P) == math.inf
    assert rep.deterministic_cycle(P).tolist() == [0, 1]


def test_deterministic_path_without_cycle_is_finite():
    # 0 -> 1 with probability 1, but 1 leaks mass: no deterministic cycle.
    P = np.array([[0.0, 1.0], [0.5, 0.0]])
    assert rep.repetition_rate(P) == pytest.approx(
        float(exact_rate([["0", "1"], ["1/2", "0"]])), rel=1e-14
    )


def test_substochastic_three_cycle_first_terms_zero():
    P = np.array([[0, 0.5, 0], [0, 0, 0.5], [0.5, 0, 0]])
    terms = rep.repetition_terms(P, 9)
    np.testing.assert_array_equal(terms[[0, 1, 3, 4, 6, 7]], 0.0)
    np.testing.assert_allclose(
        terms[[2, 5, 8]], [3 * 0.25**3, 3 * 0.25**6, 3 * 0.25**9], rtol=1e-15
    )
    # R = 3 q / (1 - q) with q = (1/4)^3
    q = 0.25**3
    assert rep.repetition_rate(P) == pytest.approx(3 * q / (1 - q), rel=1e-14)


def test_complex_eigenvalues_case():
    # A 3-cycle plus a self-loop: A has a complex-conjugate pair of eigenvalues.
    P = [["1/10", "3/5", "0"], ["0", "0", "7/10"], ["4/5", "0", "0"]]
    Pf = np.array([[float(Fraction(x)) for x in row] for row in P])
    lam = np.linalg.eigvals(Pf * Pf)
    assert np.any(np.abs(lam.imag) > 1e-3)
    assert rep.repetition_rate(Pf) == pytest.approx(float(exact_rate(P)), rel=1e-14)


def test_rate_equals_sum_of_terms():
    rng = np.random.default_rng(1)
    P = rng.random((6, 6))
    P /= P.sum(axis=1, keepdims=True) * 1.2
    terms = rep.repetition_terms(P, 200)
    assert rep.repetition_rate(P) == pytest.approx(terms.sum(), rel=1e-13)


def test_sparse_and_dense_agree_and_large_component_path(monkeypatch):
    rng = np.random.default_rng(2)
    n = 60
    P = sp.random_array((n, n), density=0.15, rng=rng, format="csr")
    P = (
        P + sp.eye_array(n, k=1) + sp.eye_array(n, k=-(n - 1))
    )  # a Hamiltonian cycle: one component
    P = sp.csr_array(P.multiply(1.0 / (P.sum(axis=1)[:, None] * 1.05)))
    dense = rep.repetition_rate(P.toarray())
    assert rep.repetition_rate(P) == pytest.approx(dense, rel=1e-13)
    # Force the sparse complex-step path on this small component.
    monkeypatch.setattr(_sparse_rate, "DENSE_COMPONENT_LIMIT", 10)
    assert rep.repetition_rate(P) == pytest.approx(dense, rel=1e-12)


def test_transient_tokens_contribute_nothing():
    # Token 2 feeds the 2-cycle {0, 1} but lies on no cycle itself.
    P = np.array([[0.0, 0.5, 0.0], [0.5, 0.0, 0.0], [0.5, 0.5, 0.0]])
    assert rep.repetition_rate(P) == pytest.approx(
        rep.repetition_rate(P[:2, :2]), rel=1e-15
    )
    assert [c.tolist() for c in rep.cyclic_components(P)] == [[0, 1]]


def test_nilpotent_matrix_has_zero_rate():
    P = np.triu(np.full((4, 4), 0.25), k=1)
    assert rep.repetition_rate(P) == 0.0
    assert rep.spectral_radius(rep.hadamard_square(P)) == 0.0


def test_near_singular_warns_and_stays_accurate():
    eps = 1e-9
    # Two-cycle with P = [[0, 1], [1 - eps, 0]]: A = [[0, 1], [(1 - eps)^2, 0]], Tr(A^{2j}) = 2 q^j.
    P = np.array([[0.0, 1.0], [1.0 - eps, 0.0]])
    q = (1.0 - eps) ** 2
    expected = 2 * q / (1 - q)
    with pytest.warns(rep.ConditioningWarning):
        value = rep.repetition_rate(P)
    assert value == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("eps", [1e-15, 1e-16])
def test_extreme_near_singularity_gives_one_warning_of_ours(eps):
    # 1 - ρ(A) ~ 1e-16: LAPACK's own ill-conditioning warning is not passed on; the
    # ConditioningWarning states the (poor) accuracy instead.
    P = np.array([[0.0, 1.0 - eps, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = rep.repetition_rate(P)
    assert [w.category for w in caught] == [rep.ConditioningWarning]
    assert math.isfinite(value) and value > 1e14


def test_terms_validate_K():
    with pytest.raises(ValueError, match="K"):
        rep.repetition_terms(np.eye(2) * 0.5, 0)
    with pytest.raises(TypeError, match="K"):
        rep.repetition_terms(np.eye(2) * 0.5, 2.5)


def test_spectral_radius_small_cases():
    def rho_A(P):
        return rep.spectral_radius(rep.hadamard_square(P))

    assert rho_A(np.full((3, 3), 1 / 3)) == pytest.approx(1 / 3, rel=1e-14)
    assert rho_A([[0.0, 1.0], [1.0, 0.0]]) == 1.0
    P = np.array([[0, 0.5, 0], [0, 0, 0.5], [0.5, 0, 0]])
    assert rho_A(P) == 0.25  # a simple cycle of equal weights: exact


@pytest.mark.parametrize("n, seed", [(1, 0), (7, 1), (60, 2), (700, 3)])
def test_dense_routes_agree(n, seed):
    # The repetition rate's dense route (one LU, two triangular inverses, d_i formed from a_ii) and
    # the general route through the full inverse (Σ N_ij A_ji) agree to rounding, value and N 1.
    from repetition._sparse_rate import _dense_trace, _dense_trace_lu

    rng = np.random.default_rng(seed)
    P = rng.exponential(size=(n, n)) * (rng.random((n, n)) < 0.5)
    P[np.arange(n), rng.integers(0, n, n)] += 1.0
    P /= P.sum(axis=1, keepdims=True) / 0.999
    A = P * P
    fast = _dense_trace_lu(A, None)
    assert fast is not None, (
        "X = I - Aᵀ is column diagonally dominant: LAPACK must not exchange rows"
    )
    general = _dense_trace(A.copy(), A.copy())  # D given: the inverse route
    np.testing.assert_allclose(fast[0], general[0], rtol=1e-13)
    np.testing.assert_allclose(fast[1], general[1], rtol=1e-12)


# --- the series with a certified tail (repetition_rate_series) ----------------------------------


def test_series_not_fooled_by_periodic_chain():
    # the first two terms are exactly 0: a stop-at-the-first-small-term rule would return 0
    assert rep.repetition_terms(CYCLE3, 2).tolist() == [0.0, 0.0]
    res = rep.repetition_rate_series(CYCLE3, tol=1e-14)
    q = 0.25**3
    R = 3 * q / (1 - q)
    assert res.terms >= 3
    assert res.value <= R + 1e-17
    assert R - res.value <= res.tail_bound + 1e-17
    assert res.tail_bound <= 1e-14


@pytest.mark.parametrize("seed", range(5))
def test_series_brackets_exact_rate(seed):
    rng = np.random.default_rng(100 + seed)
    P = rep.random_decoder(12, density=0.5, end="random-offset", end_size=1.0, rng=rng)
    R = rep.repetition_rate(P)
    for tol in (1e-3, 1e-8):
        res = rep.repetition_rate_series(P, tol)
        assert res.tail_bound <= tol
        assert res.value <= R * (1 + 1e-12)
        assert R <= (res.value + res.tail_bound) * (1 + 1e-12)


def test_series_near_rho_one_needs_many_terms():
    # 2-cycle with probability 0.999: ρ(A) = 0.998001, R = 2ρ^2/(1 - ρ^2)
    P = np.array([[0.0, 0.999], [0.999, 0.0]])
    rho = 0.999**2
    res = rep.repetition_rate_series(P, tol=1e-6)
    R = 2 * rho**2 / (1 - rho**2)
    assert res.terms > math.log(1e-6) / math.log(rho)
    assert res.value <= R <= res.value + res.tail_bound


def test_series_gives_up_with_warning_and_a_valid_bound():
    P = np.array([[0.0, 0.999], [0.999, 0.0]])
    with pytest.warns(RuntimeWarning, match="max_terms"):
        res = rep.repetition_rate_series(P, tol=1e-12, max_terms=50)
    R = 2 * 0.999**4 / (1 - 0.999**4)
    assert res.terms == 50 and res.value <= R <= res.value + res.tail_bound


def test_series_validation():
    with pytest.raises(ValueError, match="tol"):
        rep.repetition_rate_series(CYCLE3, tol=0.0)
    with pytest.raises(TypeError, match="tol"):
        rep.repetition_rate_series(CYCLE3, tol="small")
    with pytest.raises(ValueError, match="max_terms"):
        rep.repetition_rate_series(CYCLE3, max_terms=0)
    with pytest.raises(ValueError, match="row sums"):
        rep.eigen_upper_bound([[0.9, 0.9], [0.0, 0.0]])


# ---------------------------------------------------------------- threads (issue 16)


def test_rate_does_not_depend_on_the_warnings_filters_of_other_threads(monkeypatch):
    # warnings.catch_warnings swaps the process-wide filter list: one thread leaving it restores the filters
    # while another is still inside, so a filter meant to silence LAPACK could vanish under it (and a caller's
    # "error" filter turned that warning into an exception). The package sets no filter: LAPACK is called
    # without its warnings, so the values are those of one thread, whatever the others do.
    from concurrent.futures import ThreadPoolExecutor

    from scipy.linalg import LinAlgWarning

    monkeypatch.setattr(
        _sparse_rate, "_dense_lu_parts", lambda *args, **kwargs: None
    )  # the inverse route
    x = np.nextafter(1.0, 0.0)
    matrices = []
    for m in (
        150,
        200,
        250,
    ):  # large enough that LAPACK runs (without the GIL) while other threads switch filters
        P = np.roll(np.eye(m), 1, axis=1)
        P[0, 1] = x  # ρ(A) = 1 - 2^-52: LAPACK's condition estimate is below ε
        matrices.append(P)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rep.ConditioningWarning)
        alone = [rep.repetition_rate(P) for P in matrices]

        def refuse(*args, **kwargs):
            raise AssertionError(
                "the package entered warnings.catch_warnings, which is not thread-safe"
            )

        with mock.patch.object(
            warnings, "catch_warnings", refuse
        ):  # every route that used to set a filter
            for P, value in zip(matrices, alone, strict=True):
                assert rep.repetition_rate(P) == value
                rep.expected_visits(P * 0.5)
                rep.expected_repeats(P * 0.5)
                rep.average_repetition_probability(P * 0.5, "printed")
        warnings.simplefilter("error", LinAlgWarning)

        def work(i):
            return [rep.repetition_rate(matrices[(i + j) % 3]) for j in range(20)]

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(work, range(16)))
    for i, values in enumerate(results):
        assert values == [alone[(i + j) % 3] for j in range(20)]


# ---------------------------------------------------------------- realistic-bug pins (issue 16)


@pytest.mark.parametrize("sparse", [False, True])
def test_rate_and_terms_sum_over_every_component(sparse):
    # pin: R summed over the largest component only slipped past all but one test. Three components:
    # a 3-cycle of weights 1/2 (R = 3 (1/64)/(1 - 1/64) = 1/21), a 2-cycle of weights 1/2 (λ(A) = ±1/4:
    # R = 1/3 - 1/5 = 2/15) and a self-loop 1/2 (R = 1/3), joined by one-way edges and a transient token.
    P = np.zeros((7, 7))
    P[0, 1] = P[1, 2] = P[2, 0] = 0.5
    P[3, 4] = P[4, 3] = 0.5
    P[5, 5] = 0.5
    P[2, 3] = P[4, 5] = 0.25
    P[6, 0] = 0.5
    X = sp.csr_array(P) if sparse else P
    assert rep.repetition_rate(X) == pytest.approx(1 / 21 + 2 / 15 + 1 / 3, rel=1e-14)
    terms = rep.repetition_terms(X, 6)
    expect = [
        0.25,
        2 / 16 + 1 / 16,
        3 / 64 + 1 / 64,
        2 / 256 + 1 / 256,
        1 / 1024,
        3 / 4096 + 2 / 4096 + 1 / 4096,
    ]
    np.testing.assert_allclose(terms, expect, rtol=1e-14)
