"""Unit tests of the spectrum and the upper bounds of Chapter 5."""

import math
import time

import numpy as np
import pytest
import scipy.sparse as sp
import sympy

import repetition as rep
from repetition import _linalg, reference

CYCLE3 = np.array(
    [[0, 0.5, 0], [0, 0, 0.5], [0.5, 0, 0]]
)  # periodic: Tr(A) = Tr(A^2) = 0


SWAP = np.array([[0.0, 1.0], [1.0, 0.0]])  # deterministic 2-cycle: ρ(A) = 1, R = ∞


def test_uniform_matrix_bounds_hand_computed():
    # P = J/n: A = J/n^2, ρ = r = 1/n, R = 1/(n - 1); both bounds n (1/n)/(1 - 1/n) = n/(n - 1)
    n = 5
    P = np.full((n, n), 1 / n)
    assert rep.eigen_upper_bound(P) == pytest.approx(n / (n - 1), rel=1e-12)
    assert rep.row_sum_upper_bound(P) == pytest.approx(n / (n - 1), rel=1e-14)
    # eigenvalues 1/n (once) and 0: Σ|λ|/(1-|λ|) = R exactly here
    assert rep.modulus_upper_bound(P) == pytest.approx(1 / (n - 1), rel=1e-12)
    assert rep.eigen_repetition_rate(P) == pytest.approx(1 / (n - 1), rel=1e-12)


def test_three_cycle_hand_computed():
    # A has eigenvalues q^(1/3) ω^j, q = (1/4)^3: |λ| = 1/4 for all three, R = 3q/(1 - q)
    q = 0.25**3
    assert rep.eigen_repetition_rate(CYCLE3) == pytest.approx(
        3 * q / (1 - q), rel=1e-12
    )
    assert rep.modulus_upper_bound(CYCLE3) == pytest.approx(3 * 0.25 / 0.75, rel=1e-12)
    assert rep.eigen_upper_bound(CYCLE3) == pytest.approx(3 * 0.25 / 0.75, rel=1e-12)
    # rows of A sum to 1/4
    assert rep.row_sum_upper_bound(CYCLE3) == pytest.approx(1.0, rel=1e-15)


def test_rho_one_cases_are_infinite():
    for P in (SWAP, sp.csr_array(SWAP), np.array([[1.0, 0.0], [0.3, 0.3]])):
        assert rep.eigen_upper_bound(P) == math.inf
        assert rep.row_sum_upper_bound(P) == math.inf
        assert rep.modulus_upper_bound(P) == math.inf
        assert rep.eigen_repetition_rate(P) == math.inf
        res = rep.repetition_rate_series(P)
        assert res.value == math.inf and res.terms == 0


def test_row_sum_bound_infinite_while_R_finite():
    # a one-hot row (r = 1) on a path that leaks: R is finite, the row-sum bound is vacuous
    P = np.array([[0.0, 1.0], [0.5, 0.0]])
    assert rep.row_sum_upper_bound(P) == math.inf
    assert math.isfinite(rep.repetition_rate(P))
    assert math.isfinite(rep.eigen_upper_bound(P))


def test_acyclic_matrix_has_zero_rate_and_zero_bound():
    P = np.array([[0.0, 0.5, 0.5], [0.0, 0.0, 0.9], [0.0, 0.0, 0.0]])
    assert rep.eigen_upper_bound(P) == 0.0
    assert rep.modulus_upper_bound(P) == 0.0
    assert rep.eigen_repetition_rate(P) == 0.0
    assert rep.repetition_rate_series(P) == rep.SeriesResult(0.0, 0.0, 0, 0)


def test_defective_A_eigen_formula():
    # P = [[a, b], [0, a]]: A = [[a^2, b^2], [0, a^2]] is a Jordan block; R = 2a^2/(1 - a^2)
    a, b = sympy.Rational(1, 2), sympy.Rational(1, 3)
    assert reference.exact_repetition_rate([[a, b], [0, a]]) == 2 * a**2 / (1 - a**2)
    P = np.array([[0.5, 1 / 3], [0.0, 0.5]])
    assert rep.eigen_repetition_rate(P) == pytest.approx(
        float(2 * a**2 / (1 - a**2)), rel=1e-12
    )


def test_complex_eigenvalue_example_exact():
    P = [["1/10", "3/5", "0"], ["0", "0", "7/10"], ["4/5", "0", "0"]]
    R = reference.exact_repetition_rate([[sympy.Rational(x) for x in row] for row in P])
    Pf = np.array([[0.1, 0.6, 0.0], [0.0, 0.0, 0.7], [0.8, 0.0, 0.0]])
    lam = np.linalg.eigvals(Pf * Pf)
    assert np.sum(np.abs(lam.imag) > 1e-3) == 2  # one complex-conjugate pair
    assert rep.eigen_repetition_rate(Pf) == pytest.approx(float(R), rel=1e-12)
    assert float(R) <= rep.modulus_upper_bound(Pf) <= rep.eigen_upper_bound(Pf)


@pytest.mark.parametrize("seed", range(8))
def test_bound_chain_random(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 30))
    P = rep.random_decoder(
        n,
        density=float(rng.uniform(0.1, 1.0)),
        end="random-offset",
        end_size=1.0,
        rng=rng,
    )
    R = rep.repetition_rate(P)
    Rm = rep.modulus_upper_bound(P)
    Re = rep.eigen_upper_bound(P)
    Rr = rep.row_sum_upper_bound(P)
    assert R <= Rm * (1 + 1e-10) + 1e-14
    assert Rm <= Re * (1 + 1e-10) + 1e-14
    assert R <= Rr * (1 + 1e-10) + 1e-14
    assert rep.eigen_repetition_rate(P) == pytest.approx(R, rel=1e-8, abs=1e-14)


def test_sparse_input_matches_dense():
    rng = np.random.default_rng(11)
    P = rep.random_decoder(40, density=0.15, end="random-offset", end_size=1.0, rng=rng)
    S = sp.csr_array(P)
    for f in (
        rep.eigen_upper_bound,
        rep.row_sum_upper_bound,
        rep.modulus_upper_bound,
        rep.eigen_repetition_rate,
    ):
        assert f(S) == pytest.approx(f(P), rel=1e-10)
    a, b = rep.repetition_rate_series(P, 1e-12), rep.repetition_rate_series(S, 1e-12)
    assert a.terms == b.terms and a.value == pytest.approx(b.value, rel=1e-12)


def test_eigen_route_agrees_with_solve_beyond_512():
    # blocks larger than 512 once exposed a wrong offset in the blocked dense sum of repetition_rate
    rng = np.random.default_rng(1)
    n = 600
    P = rng.random((n, n)) ** 20
    P /= P.sum(axis=1, keepdims=True) * 1.01
    A = P * P
    reference = float(np.trace(np.linalg.solve(np.eye(n) - A, A)))
    assert rep.eigen_repetition_rate(P) == pytest.approx(reference, rel=1e-9)
    assert rep.repetition_rate(P) == pytest.approx(reference, rel=1e-9)


@pytest.mark.parametrize("scale", [1e-60, 1e-75, 1e-100])
def test_eigenvalues_at_tiny_scale(scale):
    # A = P ⊙ P has entries around scale**2 (down to 1e-200), where LAPACK's eigvals
    # without rescaling returns moduli near 1e-138; the eigenvalues scale exactly with P ⊙ P.
    rng = np.random.default_rng(3)
    Q = rng.random((6, 6)) / 6
    lam = np.sort(np.abs(np.linalg.eigvals(Q * Q)))
    P = Q * scale
    np.testing.assert_allclose(
        rep.spectral_radius(rep.hadamard_square(P)), lam[-1] * scale**2, rtol=1e-12
    )
    np.testing.assert_allclose(
        rep.modulus_upper_bound(P),
        np.sum(lam * scale**2 / (1 - lam * scale**2)),
        rtol=1e-10,
    )
    rho_q = np.max(np.abs(np.linalg.eigvals(Q)))
    P = Q * scale**2  # entries of P itself near 1e-200
    np.testing.assert_allclose(
        rep.paper_theorem1(P).rho_p2, (rho_q * scale**2) ** 2, rtol=1e-12
    )


def test_deterministic_cycle_gives_rho_exactly_one_and_infinite_rate():
    # Chapter 5: a deterministic 3-cycle with a leaky fourth token attached
    P = np.array(
        [
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [1.0, 0.0, 0.0, 0.0],
            [0.3, 0.2, 0.0, 0.1],
        ]
    )
    for M in (P, sp.csr_array(P)):
        assert rep.spectral_radius(rep.hadamard_square(M)) == 1.0
        assert rep.repetition_rate(M) == math.inf
        assert rep.eigen_upper_bound(M) == math.inf


@pytest.mark.parametrize("k", [3, 6, 9, 12])
def test_nearly_defective_A_eigen_route_is_accurate(k):
    # A = P⊙P = [[1/4, 1/4, 0], [0, 1/4, 1/4], [eps, 0, 1/4]]: the eigenvalues move by (eps/16)^(1/3),
    # R = 3 (9 + 4 eps) / (27 - 4 eps) moves by O(eps), and the eigenvalue route still gets R to rounding
    eps = 10.0**-k
    P = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [math.sqrt(eps), 0.0, 0.5]])
    R = 3 * (9 + 4 * eps) / (27 - 4 * eps)
    np.testing.assert_allclose(
        np.abs(np.linalg.eigvals(P * P) - 0.25), (eps / 16) ** (1 / 3), rtol=1e-4
    )
    assert rep.eigen_repetition_rate(P) == pytest.approx(R, rel=1e-13)
    assert rep.repetition_rate(P) == pytest.approx(R, rel=1e-13)


# ---------------------------------------------------------------- bounded time, clear failure (issue 16)


def _cycle(m, rng, chords=0):
    """A cycle through m tokens with weights near 0.7, plus ``chords`` random extra edges (one component)."""
    rows = np.concatenate([np.arange(m), rng.integers(0, m, chords)])
    cols = np.concatenate([(np.arange(m) + 1) % m, rng.integers(0, m, chords)])
    X = sp.csr_array((rng.uniform(0.6, 0.8, rows.size), (rows, cols)), shape=(m, m))
    X.sum_duplicates()
    return sp.csr_array(X.multiply(0.9 / np.maximum(X.sum(axis=1), 0.9)[:, None]))


def test_long_simple_cycle_is_fast_and_exact_to_rounding():
    # the 1,501-token cycle of the issue ran ARPACK for about 50 s and then raised its non-convergence error
    X = _cycle(1501, np.random.default_rng(0))
    start = time.process_time()
    rho = rep.spectral_radius(X)
    assert time.process_time() - start < 2.0
    expect = math.exp(math.fsum(np.log(X.data).tolist()) / 1501)  # ρ^m = Π w
    assert rho == pytest.approx(expect, rel=1e-14)
    assert rep.spectral_radius(X.toarray()) == rho


def test_near_cycle_above_the_dense_limit_is_fast():
    X = _cycle(
        1600, np.random.default_rng(1), chords=1600
    )  # two successors per token, like a top-2 model
    start = time.process_time()
    rho = rep.spectral_radius(X)
    assert time.process_time() - start < 10.0
    lo, hi = rep.row_sum_interval(X)
    assert lo <= rho <= hi
    assert rho == pytest.approx(
        float(np.max(np.abs(np.linalg.eigvals(X.toarray())))), rel=1e-12
    )


@pytest.mark.parametrize("failing", [{"LR"}, {"LR", "LM"}])
def test_failing_iterative_solvers_fall_back(monkeypatch, failing):
    # above DENSE_EIG_LIMIT (lowered here, so the dense reference is cheap): ARPACK's largest real part, then
    # shift-invert, then dense eigenvalues; a block too large for those raises a RuntimeError that says so
    monkeypatch.setattr(_linalg, "DENSE_EIG_LIMIT", 50)
    X = _cycle(400, np.random.default_rng(2), chords=200)
    expect = float(np.max(np.abs(np.linalg.eigvals(X.toarray()))))
    original = _linalg.spla.eigs
    used = []

    def eigs(A, k=6, which="LM", **kwargs):
        used.append(which)
        if which in failing:
            raise _linalg.spla.ArpackNoConvergence(
                "no convergence (simulated)", np.zeros(0), None
            )
        return original(A, k=k, which=which, **kwargs)

    monkeypatch.setattr(_linalg.spla, "eigs", eigs)
    assert rep.spectral_radius(X) == pytest.approx(expect, rel=1e-12)
    assert used == ["LR", "LM"]
    if failing == {"LR", "LM"}:
        monkeypatch.setattr(_linalg, "DENSE_EIG_FALLBACK", 100)
        with pytest.raises(
            RuntimeError,
            match=r"spectral radius of a strongly connected block of 400 tokens could "
            r"not be computed: ARPACK failed .* Frobenius interval",
        ):
            rep.spectral_radius(X)


# --------------------------------------------------------------------------
# strongest_short_cycle: the strongest self-loop or 2-cycle


def _brute_force_short_cycle(X):
    """(value, i, j) by eigvals of each cycle's own matrix, scanned in row-major order (first maximum kept)."""
    best = (0.0, -1, -1)
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            if i == j:
                cycle = np.array([[X[i, i]]])
            else:
                cycle = np.array([[0.0, X[i, j]], [X[j, i], 0.0]])
            value = float(np.max(np.abs(np.linalg.eigvals(cycle))))
            if value > best[0]:
                best = (value, i, j)
    return best


def _principal_block_radius(X, i, j):
    idx = sorted({i, j})
    return float(np.max(np.abs(np.linalg.eigvals(X[np.ix_(idx, idx)]))))


@pytest.mark.parametrize("seed", range(12))
def test_strongest_short_cycle_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 9))
    X = rng.uniform(0.0, 2.0, (n, n)) * (rng.random((n, n)) < 0.5)
    X[np.diag_indices(n)] *= rng.random(n) < 0.2  # mostly 2-cycles, a few self-loops
    expected = _brute_force_short_cycle(X)
    if expected[0] == 0.0:
        with pytest.raises(ValueError, match="no self-loop and no 2-cycle"):
            rep.strongest_short_cycle(X)
        return
    value, i, j = rep.strongest_short_cycle(X)
    assert (i, j) == expected[1:] and value == pytest.approx(expected[0], rel=1e-12)
    assert rep.strongest_short_cycle(sp.csr_array(X)) == (value, i, j)
    assert rep.strongest_short_cycle(sp.coo_array(X)) == (value, i, j)
    block = _principal_block_radius(
        X, i, j
    )  # the cycle's matrix lies below its principal block
    assert value <= block * (1 + 1e-12) <= rep.spectral_radius(X) * (1 + 1e-10)


def test_strongest_short_cycle_self_loop_is_its_entry_exactly():
    X = np.array([[0.0, 0.3, 0.0], [0.1, 0.0, 0.0], [0.0, 0.0, 0.7]])
    assert rep.strongest_short_cycle(X) == (0.7, 2, 2)
    assert rep.strongest_short_cycle(X) == (rep.spectral_radius(X), 2, 2)


def test_strongest_short_cycle_two_cycle():
    X = np.array(
        [[0.1, 0.5, 0.0], [0.8, 0.0, 0.2], [0.0, 0.9, 0.0]]
    )  # sqrt(0.4) > sqrt(0.18)
    value, i, j = rep.strongest_short_cycle(X)
    assert (i, j) == (0, 1) and value == pytest.approx(math.sqrt(0.4), rel=1e-15)
    assert value < rep.spectral_radius(X)


def test_strongest_short_cycle_tie_rule_is_row_major():
    # equal values on a self-loop (1, 1), the 2-cycle {0, 2} and the 2-cycle {2, 3}
    X = np.zeros((4, 4))
    X[1, 1] = 0.5
    X[0, 2], X[2, 0] = 0.25, 1.0
    X[2, 3], X[3, 2] = 0.5, 0.5
    for M in (X, sp.csr_array(X), sp.csc_array(X.T).T):
        assert rep.strongest_short_cycle(M) == (0.5, 0, 2)
    X[0, 2] = 0.0  # the 2-cycle {0, 2} is gone: the self-loop at row 1 is next
    assert rep.strongest_short_cycle(X) == (0.5, 1, 1)


def test_strongest_short_cycle_neither_overflows_nor_underflows():
    assert rep.strongest_short_cycle([[0.0, 1e200], [1e200, 0.0]]) == (1e200, 0, 1)
    value, _, _ = rep.strongest_short_cycle([[0.0, 4e-200], [1e-200, 0.0]])
    assert value == pytest.approx(2e-200, rel=1e-15)


def test_strongest_short_cycle_without_one_is_refused():
    for X in (np.triu(np.ones((3, 3)), 1), sp.csr_array(np.triu(np.ones((3, 3)), 1))):
        with pytest.raises(
            ValueError, match=r"X \(shape 3x3\) has no self-loop and no 2-cycle"
        ):
            rep.strongest_short_cycle(X)
