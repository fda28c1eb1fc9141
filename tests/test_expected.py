"""Expected visits and expected repeats in generated text: exact cases, sampling, divergence, bad input.

Independent checks: exact rational arithmetic (sympy) of the closed forms,
brute-force enumeration of every sequence of a small decoder up to a length
(with the rest bounded), sampled text, and a direct O(L^3) count of repeats.
"""

import itertools
import math
from fractions import Fraction
from itertools import product

import numpy as np
import pytest
import scipy.sparse as sp
import sympy

from checks import (
    count_repeats_directly,
    exact_visits_and_repeats,
    floats,
    rational,
    word_like,
)
from repetition import (
    ConditioningWarning,
    _linalg,
    _sparse_rate,
    expected_repeats,
    expected_visits,
    sample_to_end,
    sampled_repeats,
)

# A 3-token rational decoder with an end token (row sums 3/4, 5/6, 1/2).
P3 = [["1/4", "1/2", 0], ["1/3", 0, "1/2"], ["1/4", 0, "1/4"]]
PI3 = ["1/2", "1/3", "1/6"]


# ---------------------------------------------------------------- exact values


def test_visits_and_repeats_match_exact_rational_closed_forms():
    Pq, piq = rational(P3), sympy.Matrix([sympy.Rational(x) for x in PI3])
    v_exact, M_exact = exact_visits_and_repeats(Pq, piq)
    v = expected_visits(floats(Pq), floats(piq).ravel())
    np.testing.assert_allclose(v, np.array(v_exact, dtype=float).ravel(), rtol=1e-14)
    result = expected_repeats(
        floats(Pq), floats(piq).ravel(), token_lengths=[1, 2, 3], K=6
    )
    assert result.value == pytest.approx(float(M_exact), rel=1e-14)
    assert result.tokens == pytest.approx(float(sum(v_exact)), rel=1e-14)
    assert result.per_token == pytest.approx(float(M_exact / sum(v_exact)), rel=1e-14)
    chars = v_exact[0] + 2 * v_exact[1] + 3 * v_exact[2]
    assert result.characters == pytest.approx(float(chars), rel=1e-14)
    assert result.per_character == pytest.approx(float(M_exact / chars), rel=1e-14)
    A = Pq.applyfunc(lambda x: x**2)
    terms = [sum(v_exact[i] * (A**k)[i, i] for i in range(3)) for k in range(1, 7)]
    np.testing.assert_allclose(result.terms, np.array(terms, dtype=float), rtol=1e-14)
    np.testing.assert_array_equal(result.visits, v)


def test_uniform_start_and_the_relation_to_R():
    Pq = rational(P3)
    P = floats(Pq)
    n = 3
    v_exact, M_exact = exact_visits_and_repeats(
        Pq, sympy.Matrix([sympy.Rational(1, n)] * n)
    )
    assert expected_repeats(P).value == pytest.approx(float(M_exact), rel=1e-14)
    A = Pq.applyfunc(lambda x: x**2)
    R = (A * (sympy.eye(n) - A).inv()).trace()
    # v >= π entrywise, so M >= R / n for the uniform start; M = R when every v_i = 1 is not a decoder
    assert M_exact > R / n
    assert expected_repeats(P).value >= float(R) / n


def test_brute_force_enumeration_of_every_sequence():
    # Two tokens, row sums at most 2/5: every sequence of length <= L is enumerated with its exact
    # probability and its repeats counted directly; the rest is bounded by Σ_{l > L} (l - 1)^2 / 4 Pr(length = l).
    Pq = sympy.Matrix(
        [
            [sympy.Rational(1, 5), sympy.Rational(1, 5)],
            [sympy.Rational(3, 10), sympy.Rational(1, 10)],
        ]
    )
    piq = [Fraction(2, 3), Fraction(1, 3)]
    Pf = [[Fraction(str(x)) for x in row] for row in Pq.tolist()]
    end = [1 - sum(row) for row in Pf]
    L = 14
    enumerated = Fraction(0)
    by_length = [Fraction(0)] * 3
    for length in range(1, L + 1):
        for seq in product(range(2), repeat=length):
            p = piq[seq[0]] * end[seq[-1]]
            for a, b in itertools.pairwise(seq):
                p *= Pf[a][b]
            if p:
                counts = count_repeats_directly(seq)
                enumerated += p * sum(counts)
                for k in range(min(3, len(counts))):
                    by_length[k] += p * counts[k]
    s = Fraction(2, 5)  # largest row sum: Pr(length = h) <= s^(h - 1)
    # Σ_{j>=0} (a + j)^2 s^j <= a^2 (1 + s) / (1 - s)^3 closes the sum beyond h = 400
    tail = (
        sum(Fraction((h - 1) ** 2, 4) * s ** (h - 1) for h in range(L + 1, 400))
        + Fraction(399**2, 4) * s**399 * (1 + s) / (1 - s) ** 3
    )
    result = expected_repeats(floats(Pq), [2 / 3, 1 / 3], K=3)
    _, M_exact = exact_visits_and_repeats(
        Pq, sympy.Matrix([sympy.Rational(2, 3), sympy.Rational(1, 3)])
    )
    assert float(enumerated) <= float(M_exact) <= float(enumerated + tail)
    assert float(tail) < 5e-3 * float(
        M_exact
    )  # the bound is tight enough to mean something
    assert result.value == pytest.approx(float(M_exact), rel=1e-14)
    for k in range(3):
        assert (
            float(by_length[k])
            <= result.terms[k] * (1 + 1e-14)
            <= float(by_length[k] + tail)
        )


def test_single_self_loop_closed_form():
    # p = 3/4: v = 4, A = 9/16, M = 4 · (9/16)/(7/16) = 36/7
    result = expected_repeats([[0.75]], K=3)
    assert result.value == pytest.approx(36 / 7, rel=1e-15)
    np.testing.assert_allclose(
        result.terms, [4 * (9 / 16) ** k for k in (1, 2, 3)], rtol=1e-15
    )


# ---------------------------------------------------------------- sampling


def test_sampled_text_agrees_with_M_within_four_standard_errors():
    rng = np.random.default_rng(11)
    n = 5
    P = rng.random((n, n)) ** 2 * (rng.random((n, n)) < 0.7)
    P /= P.sum(axis=1, keepdims=True) * (1 + 0.25 * rng.random((n, 1)))
    pi = rng.random(n)
    pi /= pi.sum()
    result = expected_repeats(P, pi, token_lengths=np.arange(1, n + 1), K=4)
    text = sample_to_end(P, 100_000, rng=2021, start=pi)
    totals, by_length = sampled_repeats(text, K=4)
    se = totals.std(ddof=1) / np.sqrt(totals.size)
    assert abs(totals.mean() - result.value) < 4 * se
    for k in range(4):
        se_k = by_length[:, k].std(ddof=1) / np.sqrt(totals.size)
        assert abs(by_length[:, k].mean() - result.terms[k]) < 4 * se_k
    lengths = text.lengths
    assert abs(lengths.mean() - result.tokens) < 4 * lengths.std(ddof=1) / np.sqrt(
        lengths.size
    )
    first = text.tokens[text.offsets[:-1]]
    np.testing.assert_allclose(
        np.bincount(first, minlength=n) / first.size, pi, atol=0.01
    )


# ---------------------------------------------------------------- the observable


# ---------------------------------------------------------------- divergence, decided on the graph


def test_closed_class_gives_infinite_visits_only_downstream():
    # 0 -> {1, 2}; {1, 3} is a closed 2-cycle (rows sum to 1); 2 ends; 4 is unreachable.
    P = np.array(
        [
            [0.0, 0.5, 0.5, 0.0, 0.0],
            [0.0, 0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.0, 0.5],
        ]
    )
    v = expected_visits(P, [1.0, 0, 0, 0, 0])
    assert v.tolist() == [1.0, math.inf, 0.5, math.inf, 0.0]
    result = expected_repeats(P, [1.0, 0, 0, 0, 0], token_lengths=np.ones(5), K=2)
    assert result.value == math.inf and result.tokens == math.inf
    assert math.isnan(result.per_token) and math.isnan(result.per_character)
    assert result.terms.tolist() == [
        0.0,
        math.inf,
    ]  # the 2-cycle repeats only at even lengths
    # started at token 2 only, the closed class is never reached
    assert expected_repeats(P, [0, 0, 1.0, 0, 0]).value == 0.0


def test_transient_tokens_upstream_of_a_closed_class_are_finite():
    # 0 -> 0 (1/2) or -> 1 (1/2); 1 -> 1 with probability 1: token 0 is visited twice on average.
    v = expected_visits([[0.5, 0.5], [0.0, 1.0]], [1.0, 0.0])
    assert v.tolist() == [2.0, math.inf]


def test_unreachable_deterministic_cycle_does_not_make_M_infinite():
    P = np.array([[0.5, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    result = expected_repeats(P, [1.0, 0.0, 0.0])
    assert result.value == pytest.approx(2 * (0.25 / 0.75), rel=1e-15)


def test_row_sums_are_read_exactly():
    # ten entries 0.1 add up to 0.9999999999999999 when summed left to right, but the stored doubles
    # add up to slightly more than 1 exactly: the row has no end mass, so a closed class of such rows
    # never ends.
    row = np.full(10, 0.1)
    assert sum(row.tolist()) < 1.0 and math.fsum(row.tolist() + [-1.0]) > 0
    P = np.tile(row, (10, 1))
    assert np.all(np.isinf(expected_visits(P)))
    # ... while a row that is 1 - 2^-52 exactly still leaks: the visits are finite (and huge)
    Q = np.full((2, 2), 0.5)
    Q[0, 1] = 0.5 - 2.0**-53
    with pytest.warns(ConditioningWarning, match="nearly singular"):
        v = expected_visits(Q, [1.0, 0.0])
    assert np.all(np.isfinite(v)) and v.sum() > 1e15


def test_visits_singular_to_working_precision_are_refused():
    # row 0 falls short of 1 by 8.5e-17 exactly (math.fsum), rows 1 and 2 sum to 1 or more: the true
    # visits are about 1e16, but I - P rounded to doubles is singular and the solve returns negative
    # visits (-2.4e16), which used to be returned as they were
    P = np.array(
        [
            [0.03479020906412897, 0.9652027741187269, 7.016817144043589e-06],
            [0.9236851414378334, 0.005434539785727745, 0.070880318776439],
            [0.008119209531096693, 0.02538166171351232, 0.966499128755391],
        ]
    )
    assert 0 < -math.fsum(P[0].tolist() + [-1.0]) < 1e-16
    for call in (
        lambda: expected_visits(P, [1.0, 0.0, 0.0]),
        lambda: expected_repeats(P, [1.0, 0.0, 0.0]),
    ):
        with pytest.raises(
            FloatingPointError,
            match=r"singular to working precision on the 3 reachable tokens",
        ):
            call()


# ---------------------------------------------------------------- dense and sparse input


def test_dense_and_sparse_input_give_identical_results():
    P = word_like(300, 1)
    pi = np.random.default_rng(2).random(300)
    pi /= pi.sum()
    dense, sparse = expected_repeats(P.toarray(), pi, K=3), expected_repeats(P, pi, K=3)
    assert dense.value == sparse.value and dense.tokens == sparse.tokens
    np.testing.assert_array_equal(dense.visits, sparse.visits)
    np.testing.assert_array_equal(dense.terms, sparse.terms)


@pytest.mark.parametrize("n, seed", [(400, 3), (1200, 4)])
def test_sparse_elimination_matches_dense_solves(monkeypatch, n, seed):
    P = word_like(n, seed)
    Pd = P.toarray()
    rng = np.random.default_rng(seed)
    pi = rng.random(n) * (rng.random(n) < 0.3)
    pi /= pi.sum()
    v_ref = pi @ np.linalg.inv(np.eye(n) - Pd)
    A = Pd * Pd
    R_i = np.diag(A @ np.linalg.inv(np.eye(n) - A))
    monkeypatch.setattr(_sparse_rate, "DENSE_COMPONENT_LIMIT", 3)
    monkeypatch.setattr(_sparse_rate, "DENSE_SWITCH", 3)
    result = expected_repeats(P, pi, K=4)
    # normwise accuracy: tiny visit counts carry an absolute error of order ε Σ v, like any LU solve
    np.testing.assert_allclose(
        result.visits, v_ref, rtol=1e-12, atol=1e-14 * v_ref.sum()
    )
    assert result.value == pytest.approx(float(v_ref @ R_i), rel=1e-13)
    powers = [np.linalg.matrix_power(A, k) for k in range(1, 5)]
    np.testing.assert_allclose(
        result.terms, [float(v_ref @ np.diag(X)) for X in powers], rtol=1e-12
    )


def test_terms_in_row_blocks_match_dense_powers(monkeypatch):
    P = word_like(700, 9)
    A = P.toarray() ** 2
    v = np.full(700, 1 / 700) @ np.linalg.inv(np.eye(700) - P.toarray())
    monkeypatch.setattr(_sparse_rate, "DENSE_COMPONENT_LIMIT", 3)
    monkeypatch.setattr(_linalg, "POWER_MEMORY", 200_000)  # blocks of a few rows
    result = expected_repeats(P, K=5)
    expect = [float(v @ np.diag(np.linalg.matrix_power(A, k))) for k in range(1, 6)]
    np.testing.assert_allclose(result.terms, expect, rtol=1e-12)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "start, error, message",
    [
        ([0.5, 0.5], ValueError, r"start must have shape \(3,\)"),
        ([0.5, 0.6, -0.1], ValueError, r"start has a negative entry start\[2\] = -0.1"),
        ([0.5, np.nan, 0.5], ValueError, "start has NaN"),
        ([0.5, 0.25, 0.2], ValueError, "start sums to 0.95"),
        (["a", "b", "c"], TypeError, "start must have a real"),
        (sp.csr_array(np.ones((1, 3)) / 3), TypeError, "start must be a dense"),
    ],
)
def test_bad_start_distribution(start, error, message):
    with pytest.raises(error, match=message):
        expected_visits(floats(rational(P3)), start)
    with pytest.raises(error, match=message):
        expected_repeats(floats(rational(P3)), start)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(K=0), ValueError, "K must be an integer >= 1, got 0"),
        (dict(K=2.5), TypeError, "K must be an integer >= 1, got 2.5"),
        (
            dict(token_lengths=[1, 0, 2]),
            ValueError,
            r"token_lengths must be finite and positive, got token_lengths\[1\] = 0.0",
        ),
        (
            dict(token_lengths=[1, 2]),
            ValueError,
            r"token_lengths must have shape \(3,\)",
        ),
    ],
)
def test_bad_lengths_and_K(kwargs, error, message):
    with pytest.raises(error, match=message):
        expected_repeats(floats(rational(P3)), **kwargs)


def test_bad_matrix_and_sampler_arguments():
    with pytest.raises(ValueError, match="row sums above 1"):
        expected_visits([[0.7, 0.4], [0.0, 0.5]])
    with pytest.raises(ValueError, match="size must be an integer >= 1, got 0"):
        sample_to_end([[0.5]], 0)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        sample_to_end([[0.5]], 3, rng="seed")
