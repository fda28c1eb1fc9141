"""Every code path of the exact repetition rate at scale, on matrices whose answer is known otherwise.

The sparse elimination (``repetition._sparse_rate``) is forced onto small and
medium matrices by lowering its size thresholds, and compared with exact
rational arithmetic (sympy) or with independent dense formulas.
"""

import math

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp

import repetition as rep
from repetition import _sparse_rate, reference


def exact_rate(A_rational):
    """Tr(A (I - A)^{-1}) of a sympy matrix A, exactly (repetition.reference)."""
    return reference.exact_resolvent_trace(A_rational)


def chain_and_hubs(n, seed, leak=0.95):
    """A sparse substochastic matrix with word-like structure: single-successor chains, a few hubs, self-loops."""
    rng = np.random.default_rng(seed)
    rows, cols, vals = [], [], []
    hubs = np.arange(min(5, n))
    for i in range(n):
        if i >= 5 and rng.random() < 0.5:
            succ = np.array([(i + 1) % n])  # a single successor: part of a chain
        else:
            k = int(rng.integers(1, 6))
            succ = np.unique(
                np.concatenate([rng.choice(hubs, size=1), rng.integers(0, n, size=k)])
            )
        w = rng.random(succ.size)
        w *= leak / w.sum()
        rows += [i] * succ.size
        cols += succ.tolist()
        vals += w.tolist()
    P = sp.csr_array((vals, (rows, cols)), shape=(n, n))
    P.sum_duplicates()
    return P


def dense_reference(P):
    """Σ_ij N_ij A_ji with N = (I - A)^{-1} and the Σ λ/(1 - λ) eigenvalue formula, for cross-checking."""
    A = P.toarray() ** 2 if sp.issparse(P) else np.asarray(P) ** 2
    N = np.linalg.inv(np.eye(A.shape[0]) - A)
    lam = np.linalg.eigvals(A)
    return (
        float(np.sum(N * A.T)),
        float(np.sum(lam / (1 - lam)).real),
        float(N.sum(axis=1).max()),
    )


@pytest.fixture
def force_sparse(monkeypatch):
    """Send every component of more than 3 vertices through the elimination, down to 3 vertices."""
    monkeypatch.setattr(_sparse_rate, "DENSE_COMPONENT_LIMIT", 3)
    monkeypatch.setattr(_sparse_rate, "DENSE_SWITCH", 3)


def test_dense_trace_multi_block_matches_eigenvalues():
    # m > 512 exercises the blocked sums; the eigenvalue formula is independent of the inverse.
    rng = np.random.default_rng(3)
    m = 1100
    P = rng.exponential(size=(m, m))
    P /= P.sum(axis=1, keepdims=True) / 0.9
    A = P * P
    value, x = _sparse_rate._dense_trace(A.copy())
    lam = np.linalg.eigvals(A)
    assert value == pytest.approx(float(np.sum(lam / (1 - lam)).real), rel=1e-11)
    np.testing.assert_allclose(
        x, np.linalg.solve(np.eye(m) - A, np.ones(m)), rtol=1e-12
    )


def test_dense_trace_with_a_different_derivative_matrix():
    rng = np.random.default_rng(4)
    m = 700
    At = rng.random((m, m)) / (2.0 * m)
    D = At + rng.random((m, m)) / m
    b = rng.random(m)
    value, x = _sparse_rate._dense_trace(At.copy(), D.copy(), b)
    M = np.eye(m) - At
    assert value == pytest.approx(float(np.trace(np.linalg.solve(M, D))), rel=1e-12)
    np.testing.assert_allclose(x, np.linalg.solve(M, b), rtol=1e-12)


def test_sparse_elimination_is_exact_on_a_rational_example(force_sparse):
    import sympy

    # A 6-cycle with chords, a self-loop and a single-successor chain 3 -> 4 -> 5.
    entries = {
        (0, 1): "1/2",
        (0, 3): "1/3",
        (1, 2): "2/3",
        (1, 0): "1/4",
        (2, 3): "1/2",
        (2, 2): "1/5",
        (3, 4): "9/10",
        (4, 5): "4/5",
        (5, 0): "1/2",
        (5, 2): "1/3",
    }
    n = 6
    Pq = sympy.zeros(n, n)
    for (i, j), v in entries.items():
        Pq[i, j] = sympy.Rational(v)
    P = sp.csr_array(np.array(Pq.tolist(), dtype=float))
    expected = exact_rate(Pq.applyfunc(lambda x: x**2))
    assert rep.repetition_rate(P) == pytest.approx(float(expected), rel=1e-14)
    value, norm = _sparse_rate.sparse_trace(sp.csr_array(P.multiply(P)))
    assert value == pytest.approx(float(expected), rel=1e-14)
    N = (sympy.eye(n) - Pq.applyfunc(lambda x: x**2)).inv()
    assert norm == pytest.approx(float(max(sum(N.row(i)) for i in range(n))), rel=1e-14)


@pytest.mark.parametrize("n, seed", [(60, 0), (400, 1), (900, 2)])
def test_sparse_elimination_matches_dense_on_word_like_matrices(force_sparse, n, seed):
    P = chain_and_hubs(n, seed)
    by_inverse, by_eigenvalues, norm = dense_reference(P)
    assert by_inverse == pytest.approx(by_eigenvalues, rel=1e-10)
    assert rep.repetition_rate(P) == pytest.approx(by_inverse, rel=1e-13)
    A = sp.csr_array(P.multiply(P))
    for idx in rep.cyclic_components(P)[:1]:
        value, growth = _sparse_rate.sparse_trace(sp.csr_array(A[idx][:, idx]))
        Ad = A[idx][:, idx].toarray()
        N = np.linalg.inv(np.eye(idx.size) - Ad)
        assert value == pytest.approx(float(np.sum(N * Ad.T)), rel=1e-13)
        assert growth == pytest.approx(float(N.sum(axis=1).max()), rel=1e-12)


def test_sparse_path_stops_at_an_expander_and_goes_dense(monkeypatch):
    # A union of 12 random permutations: in- and out-degree about 12, so eliminating any
    # vertex would fill ~144 entries, more than STALL_RATIO times the 12 per row.
    rng = np.random.default_rng(5)
    n, d = 300, 12
    rows = np.tile(np.arange(n), d)
    cols = np.concatenate([rng.permutation(n) for _ in range(d)])
    P = sp.csr_array((rng.random(n * d), (rows, cols)), shape=(n, n))
    P.sum_duplicates()
    P = sp.csr_array(P.multiply(0.97 / P.sum(axis=1)[:, None]))
    monkeypatch.setattr(_sparse_rate, "DENSE_COMPONENT_LIMIT", 3)
    monkeypatch.setattr(_sparse_rate, "DENSE_SWITCH", 3)
    calls = []
    original = _sparse_rate._dense_trace

    def spy(At, D=None, b=None):
        calls.append((At.shape[0], D is None))
        return original(At, D, b)

    monkeypatch.setattr(_sparse_rate, "_dense_trace", spy)
    by_inverse, _, _ = dense_reference(P)
    assert rep.repetition_rate(P) == pytest.approx(by_inverse, rel=1e-13)
    assert calls == [(n, True)]  # no elimination round: straight to the dense remainder


def test_sparse_path_keeps_eliminating_above_the_dense_limit(monkeypatch):
    # With DENSE_MAX below the size, the stall rule is ignored and the cheapest vertices go anyway.
    P = chain_and_hubs(300, 6)
    monkeypatch.setattr(_sparse_rate, "DENSE_COMPONENT_LIMIT", 3)
    monkeypatch.setattr(_sparse_rate, "DENSE_SWITCH", 3)
    monkeypatch.setattr(_sparse_rate, "DENSE_MAX", 3)
    by_inverse, _, _ = dense_reference(P)
    assert rep.repetition_rate(P) == pytest.approx(by_inverse, rel=1e-13)


def test_sparse_path_infinite_and_zero_cases(force_sparse):
    # A deterministic 4-cycle hidden in a larger sparse matrix: infinite, decided on the graph.
    P = chain_and_hubs(50, 7).tolil()
    for i in range(10, 14):
        P[i, :] = 0
        P[i, 10 + (i - 9) % 4] = 1.0
    assert rep.repetition_rate(sp.csr_array(P)) == math.inf
    # Strictly upper triangular: no closed walk at all.
    U = sp.csr_array(sp.triu(chain_and_hubs(50, 8), k=1))
    assert rep.repetition_rate(U) == 0.0


def test_near_singular_sparse_component_warns(force_sparse):
    # A 6-cycle of probability 1 - eps per step: ρ(A) = (1 - eps)^2 -> 1; R = 6 q / (1 - q), q = (1 - eps)^12.
    eps = 1e-9
    n = 6
    P = sp.csr_array(
        ((1 - eps) * np.ones(n), (np.arange(n), (np.arange(n) + 1) % n)), shape=(n, n)
    )
    q = (1 - eps) ** (2 * n)
    with pytest.warns(rep.ConditioningWarning):
        value = rep.repetition_rate(P)
    assert value == pytest.approx(n * q / (1 - q), rel=1e-6)


def test_terms_of_a_sparse_component_match_dense_powers():
    P = chain_and_hubs(400, 9)
    A = P.toarray() ** 2
    K = 9
    expected = []
    X = np.eye(A.shape[0])
    for _ in range(K):
        X = X @ A
        expected.append(np.trace(X))
    np.testing.assert_allclose(
        rep.repetition_terms(P, K), expected, rtol=1e-12, atol=1e-300
    )
    np.testing.assert_allclose(
        rep.repetition_terms(P.toarray(), K), expected, rtol=1e-12, atol=1e-300
    )


def test_solve_based_way_agrees_on_medium_dense():
    rng = np.random.default_rng(10)
    m = 600
    P = rng.exponential(size=(m, m)) * (rng.random((m, m)) < 0.02)
    P += np.eye(m, k=1)
    P[-1, 0] = 1.0
    P /= P.sum(axis=1, keepdims=True) / 0.99
    A = P * P
    expected = float(np.trace(sla.solve(np.eye(m) - A, A)))
    assert rep.repetition_rate(P) == pytest.approx(expected, rel=1e-11)
    assert rep.repetition_rate(sp.csr_array(P)) == pytest.approx(expected, rel=1e-11)
