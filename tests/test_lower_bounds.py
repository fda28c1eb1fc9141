"""Unit tests of the lower bounds of Chapters 2 and 3 (repetition.lower_bounds).

Expectations are exact: closed walks are enumerated one by one with Fractions
(repetition.reference.exact_lower_bounds), so a formula that used Tr(P^(2k))
where Tr(P^k ⊙ P^k) belongs, or lost walks to floating-point zeros, fails here.
"""

from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

import repetition as rep
from repetition import reference


def _random_rational(rng, n, density, mass):
    """A random substochastic matrix with entries that are exact binary fractions."""
    support = rng.random((n, n)) < density
    raw = rng.integers(1, 9, size=(n, n)) * support
    Pf = []
    for row in raw:
        total = int(row.sum())
        Pf.append(
            [
                Fraction(int(x) * mass, max(total, 1)) if total else Fraction(0)
                for x in row
            ]
        )
    return Pf


CASES = []
_rng = np.random.default_rng(20210126)
for _n, _density, _mass in [
    (3, 1.0, Fraction(1)),
    (3, 0.5, Fraction(3, 4)),
    (4, 0.4, Fraction(1)),
    (4, 0.7, Fraction(1, 2)),
]:
    CASES.append(_random_rational(_rng, _n, _density, _mass))
CASES.append(
    [[Fraction(0), Fraction(1, 2)], [Fraction(1, 2), Fraction(0)]]
)  # 2-cycle: the paper's term fails
CASES.append(
    [[Fraction(1, 10), Fraction(1, 2)], [Fraction(1, 2), Fraction(1, 10)]]
)  # dense: fails at k = 1


def _as_float(Pf):
    return np.array([[float(x) for x in row] for row in Pf])


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("sparse", [False, True])
def test_every_quantity_matches_walk_enumeration(case, k, sparse):
    Pf = CASES[case]
    P = _as_float(Pf)
    if sparse:
        P = sp.csr_array(P)
    e = reference.exact_lower_bounds(Pf, k)
    assert rep.closed_walk_diagonal(P, k).tolist() == e["m"]
    assert rep.closed_walk_count(P, k) == e["N"]
    assert isinstance(rep.closed_walk_count(P, k), int)
    checks = {
        "cs": rep.cauchy_schwarz_bound(P, k),
        "per_row": rep.per_row_bound(P, k),
        "row": rep.row_lower_bound(P, k),
        "zeta_walks": rep.zeta_estimate_term(P, k),
        "zeta_rows": rep.zeta_estimate_term(P, k, form="rows"),
        "paper_nk": rep.arp_terms(P, k, "printed")[k - 1],
        "paper_nk1": P.shape[0] * rep.arp_terms(P, k, "printed")[k - 1],
    }
    for name, got in checks.items():
        assert got == pytest.approx(float(e[name]), rel=1e-12, abs=1e-300), name
    t = rep.lower_bound_table(P, k)
    for name, attr in [
        ("exact", "exact"),
        ("cs", "cauchy_schwarz"),
        ("per_row", "per_row"),
        ("row", "row"),
        ("uniform", "uniform"),
        ("zeta_walks", "zeta_walks"),
        ("zeta_rows", "zeta_rows"),
        ("paper_nk", "paper_nk"),
        ("paper_nk1", "paper_nk1"),
    ]:
        assert getattr(t, attr)[k - 1] == pytest.approx(
            float(e[name]), rel=1e-12, abs=1e-300
        ), name
    assert t.walk_count[k - 1] == e["N"]
    assert t.max_walks_through[k - 1] == max(e["m"])


def test_row_bound_uses_diagonal_squares_not_p_2k():
    # Tr(P ⊙ P) = 0 on a 2-cycle, while Tr(P^2) = 1/2: the P^(2k) form would give 1/2 > Tr(A) = 0.
    P = np.array([[0.0, 0.5], [0.5, 0.0]])
    assert rep.row_lower_bound(P, 1) == 0.0
    assert rep.per_row_bound(P, 1) == 0.0
    printed = rep.arp_terms(
        P, 3, "printed"
    )  # the paper's T_k; n T_k is on the scale of Tr(A^k)
    assert printed[0] == 0.5
    assert 2 * printed[0] == 1.0
    assert printed[0] > rep.repetition_terms(P, 1)[0]
    # k = 3: (P^3)_ii = 0, but Tr(P^6) = 2/64.
    assert rep.row_lower_bound(P, 3) == 0.0
    assert 2 * printed[2] == pytest.approx(2 / 64 * 2)  # ζ^3 n^2 = 1/2


def test_paper_term_exceeds_exact_term_at_k1_with_full_support():
    P = np.array([[0.1, 0.5], [0.5, 0.1]])  # ζ = 1, Tr(A) = 0.02, Tr(P^2) = 0.52
    exact = rep.repetition_terms(P, 1)[0]
    T1 = rep.arp_terms(P, 1, "printed")[0]
    assert T1 == pytest.approx(0.26)
    assert T1 > exact
    assert 2 * T1 > exact
    assert rep.row_lower_bound(P, 1) == pytest.approx(
        exact, rel=1e-14
    )  # the corrected form is exact at k = 1


def test_no_closed_walks_gives_zero():
    P = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.5], [0.0, 0.0, 0.0]])
    for k in (1, 2, 3):
        assert rep.closed_walk_count(P, k) == 0
        assert rep.cauchy_schwarz_bound(P, k) == 0.0
        assert rep.per_row_bound(P, k) == 0.0
    Z = np.zeros((2, 2))
    assert rep.zeta_estimate_term(Z, 2) == 0.0
    assert rep.arp_terms(Z, 2, "printed")[1] == 0.0


def test_equality_case_of_cauchy_schwarz():
    # Every closed walk of J/n has weight n^-k: equality in eq-cs-bound.
    n = 4
    P = np.full((n, n), 1 / n)
    for k in (1, 2, 5):
        exact = rep.repetition_terms(P, k)[-1]
        assert rep.cauchy_schwarz_bound(P, k) == pytest.approx(exact, rel=1e-13)
    # Unequal weights: strict inequality.
    Q = np.array([[0.5, 0.25], [0.25, 0.5]])
    assert rep.cauchy_schwarz_bound(Q, 2) < rep.repetition_terms(Q, 2)[-1] * (1 - 1e-3)


def test_chain_on_random_matrices():
    rng = np.random.default_rng(7)
    for trial in range(30):
        n = int(rng.integers(2, 12))
        support = rng.random((n, n)) < rng.uniform(0.1, 1.0)
        W = rng.random((n, n)) * support
        s = W.sum(axis=1, keepdims=True)
        P = np.divide(W, s, out=np.zeros_like(W), where=s > 0) * rng.uniform(
            0.3, 1.0, size=(n, 1)
        )
        t = rep.lower_bound_table(sp.csr_array(P) if trial % 2 else P, 6)
        np.testing.assert_allclose(
            t.exact, rep.repetition_terms(P, 6), rtol=1e-12, atol=1e-300
        )
        tol = 1 + 1e-12
        assert np.all(t.per_row <= t.exact * tol)
        assert np.all(t.cauchy_schwarz <= t.per_row * tol)
        assert np.all(t.max_row <= t.per_row * tol)
        assert np.all(t.row <= t.max_row * tol)
        assert np.all(t.uniform <= t.row * tol)
        assert np.all(t.uniform <= t.cauchy_schwarz * tol)
        assert np.all(t.trace_diag_sq <= t.trace_P2k * tol)
        assert all(
            m <= n ** (k - 1) for k, m in enumerate(t.max_walks_through, start=1)
        )


def test_table_without_paper_terms():
    t = rep.lower_bound_table(np.array([[0.5, 0.5], [0.5, 0.0]]), 3, paper=False)
    assert t.paper_nk is None and t.trace_P2k is None and t.K == 3
    assert t.walk_count == [1, 3, 4]  # Tr(B^k) for B = [[1, 1], [1, 0]]: Lucas numbers


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (
            lambda: rep.closed_walk_count(np.eye(2) * 0.5, 0),
            ValueError,
            "k must be an integer >= 1, got 0",
        ),
        (
            lambda: rep.cauchy_schwarz_bound(np.eye(2) * 0.5, 1.5),
            TypeError,
            "k must be an integer",
        ),
        (
            lambda: rep.per_row_bound(np.eye(2) * 0.5, True),
            TypeError,
            "k must be an integer",
        ),
        (lambda: rep.row_lower_bound(np.eye(2) * 0.5, -1), ValueError, "k must be"),
        (lambda: rep.zeta_estimate_term(np.eye(2) * 0.5, 1, 2), TypeError, "form"),
        (
            lambda: rep.zeta_estimate_term(np.eye(2) * 0.5, 1, "cycles"),
            ValueError,
            "form",
        ),
        (lambda: rep.lower_bound_table(np.eye(2) * 0.5, 0), ValueError, "K must be"),
        (
            lambda: rep.lower_bound_table(np.eye(2) * 0.5, 2, paper="yes"),
            TypeError,
            "paper",
        ),
        (
            lambda: rep.closed_walk_count(np.array([[0.9, 0.2], [0.0, 0.0]]), 1),
            ValueError,
            "row 0 sums",
        ),
        (
            lambda: rep.closed_walk_diagonal(np.array([[0.5, -0.1], [0.0, 0.0]]), 1),
            ValueError,
            "negative",
        ),
    ],
)
def test_validation(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_zeta_is_exact_under_greedy_support():
    # One successor per token: ζ n = 1 exactly, so E_k = (Tr P^k)^2 with no rounding of ζ.
    P = np.array([[0.0, 0.5, 0.0], [0.0, 0.0, 0.5], [0.5, 0.0, 0.0]])
    assert rep.zeta_estimate_term(P, 3) == (3 * 0.125) ** 2
    assert (
        rep.zeta_estimate_term(P, 3) == 3 * rep.repetition_terms(P, 3)[-1]
    )  # 3 rotations of one cycle
    assert rep.lower_bound_table(P, 3).zeta == 1 / 3


# ---------------------------------------------------------------- the blocked, threaded products (speed, not values)


@pytest.mark.parametrize("threads", [1, 3])
def test_blocked_products_and_diagonals_are_identical_to_the_plain_ones(
    monkeypatch, threads
):
    # lower_bound_table's powers go through column blocks on several threads: every entry must be the same
    # sum in the same order as scipy's X @ D and the plain row-block loop, so no printed digit can move
    from repetition import _linalg

    monkeypatch.setattr(_linalg, "BLOCK_THREADS", threads)
    rng = np.random.default_rng(7)
    n = 300  # more than two blocks of 64 columns and of 256 rows
    X = sp.random_array((n, n), density=0.05, random_state=rng, format="csr")
    D = rng.random((n, n))
    assert np.array_equal(_linalg.sparse_times_dense(X, D), X @ D)
    B = sp.csr_array((X > 0).astype(np.int64))
    big = rng.integers(
        0, 2**40, size=(n, n)
    )  # int64 limbs: exact, as in the walk counts
    assert np.array_equal(_linalg.sparse_times_dense(B, big), B @ big)
    Y = rng.random((n, n))
    plain = np.array(
        [(D[i] * Y[:, i]).sum() for i in range(n)]
    )  # numpy's pairwise sum of one row, as before
    assert np.array_equal(_linalg.diag_of_product(D, Y), plain)
    P = rep.transition_matrix(
        sp.csr_array((rng.random((n, n + 1)) < 0.05) * rng.integers(1, 5, (n, n + 1)))
    )
    fresh = rep.lower_bound_table(rep.BigramChain(P), 6)
    monkeypatch.setattr(_linalg, "BLOCK_THREADS", 1)
    monkeypatch.setattr(_linalg, "sparse_times_dense", lambda X, D: np.asarray(X @ D))
    before = rep.lower_bound_table(rep.BigramChain(P), 6)
    for field in ("exact", "trace_P", "trace_P2k", "per_row", "paper_nk", "zeta_rows"):
        assert np.array_equal(getattr(fresh, field), getattr(before, field)), field
    assert (
        fresh.walk_count == before.walk_count
        and fresh.max_walks_through == before.max_walks_through
    )
