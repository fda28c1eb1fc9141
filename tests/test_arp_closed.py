"""The paper's ARP as whole series: exact rational cases, convergence decided exactly, the sparse route, bad input.

Independent checks: the printed form from sympy's exact inverse of
``I - P²/ζn``; the corrected form from exact partial sums of its series with
the rest bounded by the printed form's exact remainder (term by term the
corrected term is at most the printed one); powers of ``P`` in floating point.
"""

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
import sympy

from repetition import BigramChain, ConditioningWarning, _arp_closed, _sparse_rate
from repetition import average_repetition_probability as arp


def rational(rows):
    return sympy.Matrix([[sympy.Rational(x) for x in row] for row in rows])


def exact_forms(Pq, K):
    """(printed exactly, corrected partial sum to K, printed partial sum to K) in rationals."""
    n = Pq.shape[0]
    nnz = sum(1 for x in Pq if x != 0)
    c = sympy.Rational(nnz, n)
    Q = Pq**2 / c
    printed = (Q * (sympy.eye(n) - Q).inv()).trace()
    corrected_K = printed_K = 0
    X = sympy.eye(n)
    for k in range(1, K + 1):
        X = X * Pq
        corrected_K += sum(X[i, i] ** 2 for i in range(n)) / c**k
        printed_K += (X * X).trace() / c**k
    return printed, corrected_K, printed_K


@pytest.mark.parametrize(
    "rows",
    [
        [
            ["1/4", "1/2", 0],
            ["1/3", 0, "1/2"],
            ["1/4", 0, "1/4"],
        ],  # ζn = 5/3 > 1, a self-loop
        [[0, "1/2", "1/4"], ["2/3", 0, 0], ["1/2", "1/3", 0]],  # ζn = 5/3, no self-loop
        [
            [0, "1/2", 0, 0],
            [0, 0, "3/4", 0],
            [0, 0, 0, "9/10"],
            ["1/2", 0, 0, 0],
        ],  # a 4-cycle: ζn = 1
    ],
)
def test_both_forms_match_exact_rational_values(rows):
    Pq = rational(rows)
    P = np.array(Pq.tolist(), dtype=float)
    printed, corrected_K, printed_K = exact_forms(Pq, K=80)
    assert arp(P, "printed") == pytest.approx(float(printed), rel=1e-14)
    remainder = (
        printed - printed_K
    )  # bounds the corrected form's remainder, term by term
    assert float(remainder) < 1e-15 * float(corrected_K)
    assert arp(P, "corrected") == pytest.approx(float(corrected_K), rel=1e-14)
    assert arp(P, "corrected") <= arp(P, "printed")


def test_two_cycle_closed_forms_and_sparse_input():
    P = np.array([[0.0, 0.5], [0.5, 0.0]])
    assert arp(P, "printed") == pytest.approx(2 / 3, rel=1e-15)
    assert arp(P, "corrected") == pytest.approx(2 / 15, rel=1e-15)
    assert arp(sp.csr_array(P), "printed") == arp(P, "printed")
    assert arp(np.zeros((3, 3)), "printed") == 0.0
    assert (
        arp(np.triu(np.full((3, 3), 0.25), k=1), "corrected") == 0.0
    )  # no closed walk


def partial_sums(P, K):
    n = P.shape[0]
    c = np.count_nonzero(P) / n
    X = np.eye(n)
    printed = corrected = 0.0
    for k in range(1, K + 1):
        X = X @ P
        printed += float(np.sum(X * X.T)) / c**k
        corrected += float(np.sum(np.diag(X) ** 2)) / c**k
    return printed, corrected


@pytest.mark.parametrize("seed", range(6))
def test_random_decoders_against_long_partial_sums(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 9))
    P = rng.random((n, n)) * (rng.random((n, n)) < 0.6)
    P /= np.maximum(P.sum(axis=1, keepdims=True), 1e-300) * (
        1 + 0.3 * rng.random((n, 1))
    )
    printed, corrected = partial_sums(P, 400)
    if (
        np.count_nonzero(P) > n
    ):  # ζn > 1: always convergent, and 400 terms leave nothing
        assert arp(P, "printed") == pytest.approx(printed, rel=1e-12)
        assert arp(P, "corrected") == pytest.approx(corrected, rel=1e-12)
        assert arp(P, "corrected") <= arp(P, "printed")


# ---------------------------------------------------------------- convergence when ζn <= 1


def padded(block, n):
    """``block`` in the top-left corner of an n x n zero matrix (the other tokens end at once)."""
    P = np.zeros((n, n))
    m = len(block)
    P[:m, :m] = block
    return P


def test_simple_cycle_decided_exactly_on_both_sides_of_the_boundary():
    # 2-cycle with weights 1 and 1/2 among n = 4 tokens: ζn = 2/4, ρ(P_C)² = 1/2 = ζn: divergent.
    P = padded([[0, 1.0], [0.5, 0]], 4)
    assert arp(P, "printed") == math.inf and arp(P, "corrected") == math.inf
    # weight 1/2 - 2^-53 instead: ρ² is just below ζn, so both converge (to a huge value)
    Q = padded([[0, 1.0], [0.5 - 2.0**-53, 0]], 4)
    with pytest.warns(
        ConditioningWarning, match="close to diverging"
    ):  # no digit is right, and it says so
        value = arp(Q, "printed")
    assert math.isfinite(value) and value > 1e14
    # with a fifth token the same cycle has ζn = 2/5 < 1/2 = ρ²: divergent again
    assert arp(padded([[0, 1.0], [0.5, 0]], 5), "corrected") == math.inf
    # weights 1/2, 1/2 and n = 4: ρ² = 1/4 < 1/2, printed = Σ 2 (1/4)^k / (1/2)^k = 2
    assert arp(padded([[0, 0.5], [0.5, 0]], 4), "printed") == pytest.approx(
        2.0, rel=1e-14
    )


def test_component_with_chords_decided_by_the_exact_bracket():
    # P_C = [[1/2, 1/2], [1/2, 1/2]] has ρ = 1 with Perron vector (1, 1); n = 4 gives ζn = 1: divergent.
    assert arp(padded([[0.5, 0.5], [0.5, 0.5]], 4), "printed") == math.inf
    # a little leak: ρ < 1 = ζn, convergent; against the long partial sum
    P = padded([[0.5, 0.25], [0.25, 0.5]], 4)
    printed, corrected = partial_sums(P, 600)
    assert arp(P, "printed") == pytest.approx(printed, rel=1e-12)
    assert arp(P, "corrected") == pytest.approx(corrected, rel=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_exact_pivot_test_agrees_with_exact_eigenvalues(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(2, 5))
    Pc = np.round(rng.random((m, m)) * (rng.random((m, m)) < 0.7), 2)
    Pc[np.arange(m), (np.arange(m) + 1) % m] = (
        0.25  # a cycle through every token: irreducible
    )
    c = Fraction(int(rng.integers(1, 20)), 20)
    exact = sympy.Matrix(Pc.tolist()).applyfunc(sympy.nsimplify)
    rho = max(abs(complex(e)) for e in exact.eigenvals())
    rho_a = max(abs(complex(e)) for e in exact.applyfunc(lambda x: x**2).eigenvals())
    Pcs = sp.csr_array(Pc)
    for hadamard, value in ((False, rho**2), (True, rho_a)):
        expect = value < float(c)
        if (
            abs(value - float(c)) > 1e-9
        ):  # away from the boundary, floating point decides as well
            rows = _arp_closed._exact_entries(Pcs, hadamard)
            assert (
                _arp_closed._m_matrix_pivots_positive(rows, c, squared=not hadamard)
                == expect
            )
            assert _arp_closed._component_below(Pcs, c, hadamard) == expect


# ---------------------------------------------------------------- the sparse route


def test_sparse_elimination_route_matches_the_dense_route(monkeypatch):
    rng = np.random.default_rng(8)
    n = 40
    P = rng.random((n, n)) * (rng.random((n, n)) < 0.12)
    P[np.arange(n), (np.arange(n) + 1) % n] += 0.3
    P /= P.sum(axis=1, keepdims=True) * 1.05
    dense = arp(P, "printed"), arp(P, "corrected")
    monkeypatch.setattr(_sparse_rate, "DENSE_COMPONENT_LIMIT", 3)
    monkeypatch.setattr(_sparse_rate, "DENSE_SWITCH", 3)
    sparse = arp(sp.csr_array(P), "printed"), arp(sp.csr_array(P), "corrected")
    assert sparse[0] == pytest.approx(dense[0], rel=1e-13)
    assert sparse[1] == pytest.approx(dense[1], rel=1e-13)
    printed, corrected = partial_sums(P, 300)
    assert dense[0] == pytest.approx(printed, rel=1e-12) and dense[1] == pytest.approx(
        corrected, rel=1e-12
    )


# ---------------------------------------------------------------- bad input


def test_bad_input():
    with pytest.raises(
        ValueError, match=r"form must be one of \('corrected', 'printed'\), got 'both'"
    ):
        arp([[0.5]], "both")
    with pytest.raises(
        TypeError, match=r"form must be one of \('corrected', 'printed'\), got 1"
    ):
        arp([[0.5]], 1)
    with pytest.raises(ValueError, match="row sums above 1"):
        arp([[0.9, 0.2], [0.0, 0.5]])
    # a 300-cycle among 300 tokens: ζn = 1, so only the pair chain (90,000 states) would do
    cycle = sp.csr_array(
        (np.full(300, 0.9), (np.arange(300), (np.arange(300) + 1) % 300)),
        shape=(300, 300),
    )
    with pytest.raises(
        ValueError,
        match=r"need ζn > 1 \(here ζn = 1\) or a pair chain of at most 40000 states",
    ):
        arp(cycle, "corrected")
    # Tr(P^{2k}) = 300 · 0.9^{2k} when 300 divides 2k, else 0: printed = 300 · 0.9^300 / (1 - 0.9^300)
    assert arp(cycle, "printed") == pytest.approx(
        300 * 0.9**300 / (1 - 0.9**300), rel=1e-12
    )


def test_series_close_to_diverging_warns_once_with_the_accuracy_to_expect():
    # a 3-cycle of weight a (ζn = 1): both forms are 3 a^6 / (1 - a^6), whose condition grows like 1/(1 - a)
    for e, warns in ((1e-6, False), (1e-10, True)):
        a = 1 - e
        P = np.array([[0.0, a, 0.0], [0.0, 0.0, a], [a, 0.0, 0.0]])
        exact = 3 * a**6 / -math.expm1(6 * math.log1p(-e))
        for form in ("printed", "corrected"):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                value = arp(P, form)
            conditioning = [
                w for w in caught if issubclass(w.category, ConditioningWarning)
            ]
            assert len(conditioning) == int(warns), (
                e,
                form,
                [str(w.message) for w in caught],
            )
            if warns:
                assert (
                    conditioning[0].filename == __file__
                )  # points at the caller, whichever form
                assert "close to diverging" in str(conditioning[0].message)
            assert value == pytest.approx(exact, rel=1e-5)


# ---------------------------------------------------------------- the Parseval route for large components


def word_like(n, seed):
    rng = np.random.default_rng(seed)
    P = sp.random_array((n, n), density=3.0 / n, random_state=rng, format="csr")
    P = sp.csr_array(
        P
        + sp.diags_array(rng.random(n) * (rng.random(n) < 0.1))
        + sp.eye_array(n, k=1)
        + sp.eye_array(n, k=1 - n)
    )  # a cycle through every token: one component
    P = sp.csr_array(P.multiply(0.9 / P.sum(axis=1)[:, None]))
    P.eliminate_zeros()
    return P


def test_parseval_route_matches_the_pair_chain(monkeypatch):
    P = word_like(40, 1)
    by_pairs = arp(P, "corrected")  # 1,600 pair states: the pair chain
    monkeypatch.setattr(_arp_closed, "PAIR_DENSE_LIMIT", 0)  # force the Parseval route
    assert arp(P, "corrected") == pytest.approx(by_pairs, rel=1e-13)
    monkeypatch.setattr(
        _sparse_rate, "DENSE_COMPONENT_LIMIT", 10
    )  # and its selected inversion
    monkeypatch.setattr(_sparse_rate, "DENSE_SWITCH", 10)
    assert arp(P, "corrected") == pytest.approx(by_pairs, rel=1e-13)


def test_parseval_route_on_a_larger_component(monkeypatch):
    P = word_like(400, 2)  # 160,000 pair states: the Parseval route
    monkeypatch.setattr(_sparse_rate, "DENSE_COMPONENT_LIMIT", 50)
    monkeypatch.setattr(_sparse_rate, "DENSE_SWITCH", 50)
    printed, corrected = partial_sums(P.toarray(), 200)
    assert arp(P, "corrected") == pytest.approx(corrected, rel=1e-12)


def test_parseval_aliasing_bound_holds_for_few_nodes(monkeypatch):
    # With a loose tolerance the rule uses few nodes; its overestimate must stay within the certified bound.
    P = word_like(40, 3)
    exact = arp(P, "corrected")
    chain = BigramChain(P)
    G, comps = chain.graph, chain.cyclic_components
    c = G.nnz / 40
    monkeypatch.setattr(_arp_closed, "ALIAS_TOLERANCE", 1e-2)
    N, bound = _arp_closed._parseval_nodes(G, comps, c)
    rule = _arp_closed._corrected_parseval(G, comps, c, [])
    assert N < 15 and 0 <= rule - exact <= bound


def test_every_route_judges_its_conditioning(monkeypatch):
    # The pair chain, the Parseval route and the printed route all report a norm to closed_form; with an
    # accuracy target no computation can meet, every one of them must warn (the Parseval route reported none)
    P = word_like(40, 1)
    monkeypatch.setattr(_sparse_rate, "ACCURACY", 1e-30)
    for limit in (2500, 0):  # the pair chain, then the Parseval route
        monkeypatch.setattr(_arp_closed, "PAIR_DENSE_LIMIT", limit)
        with pytest.warns(
            ConditioningWarning, match="close to diverging .* relative accuracy"
        ):
            arp(P, "corrected")
    with pytest.warns(
        ConditioningWarning, match="close to diverging .* relative accuracy"
    ):
        arp(P, "printed")
    # the Parseval route's norm is ||(I - r P)^{-1}||_inf, r = (ζn)^(-1/2), which bounds its resolvent at every node
    chain = BigramChain(P)
    growths = []
    _arp_closed._corrected_parseval(
        chain.graph, chain.cyclic_components, chain.graph.nnz / 40, growths
    )
    r = (chain.graph.nnz / 40) ** -0.5
    expected = np.abs(np.linalg.inv(np.eye(40) - r * P.toarray())).sum(axis=1).max()
    assert growths == [pytest.approx(expected, rel=1e-12)]


@pytest.mark.parametrize("z", [0.4, 0.4j, -0.35 + 0.1j, -0.4])
def test_selected_diagonal_matches_the_dense_inverse(monkeypatch, z):
    monkeypatch.setattr(_sparse_rate, "DENSE_SWITCH", 20)
    P = word_like(300, 4)
    X = sp.csr_array(P * z)
    d = _sparse_rate.selected_diagonal(X)
    Xd = X.toarray()
    expect = np.diag(Xd @ np.linalg.inv(np.eye(300) - Xd))
    np.testing.assert_allclose(d, expect, rtol=1e-12, atol=1e-15)
