"""The exact references for Chapter 8 (expected visits and expected repeats) checked against independent routes."""

import itertools
import math
from fractions import Fraction as F

import numpy as np
import pytest
import sympy

import repetition as rep
from repetition import reference

# A three-token decoder with end mass in every row (1/2, 1/6, 3/10) and a start distribution.
P_RAT = [
    [F(1, 5), F(1, 2), F(0)],
    [F(1, 3), F(0), F(1, 2)],
    [F(2, 5), F(1, 5), F(1, 10)],
]
PI_RAT = [F(1, 2), F(1, 4), F(1, 4)]
# Rows keeping half their mass: the enumeration's bound is small at modest lengths.
P_HALF = [[F(1, 4), F(1, 4), F(0)], [F(0), F(1, 4), F(1, 4)], [F(1, 4), F(0), F(1, 4)]]


def test_visits_solve_the_defining_system_exactly():
    v, _, _ = reference.exact_expected_repeats(P_RAT, PI_RAT)
    for j in range(3):  # v (I - P) = π, entry by entry, in exact arithmetic
        assert v[j] - sum(v[i] * P_RAT[i][j] for i in range(3)) == PI_RAT[j]


def test_terms_are_visit_weighted_diagonals_of_exact_powers_and_sum_to_M():
    v, M, terms = reference.exact_expected_repeats(P_RAT, PI_RAT, K=25)
    A = [[x * x for x in row] for row in P_RAT]
    for k in (1, 2, 5):
        Ak = reference.exact_matrix_power(A, k)
        assert terms[k - 1] == sum(v[i] * Ak[i][i] for i in range(3))
    assert 0 < M - sum(terms) < F(1, 10**8)


def test_package_matches_the_exact_reference():
    v, M, terms = reference.exact_expected_repeats(P_RAT, PI_RAT, K=4)
    result = rep.expected_repeats(
        np.array(P_RAT, dtype=float), np.array(PI_RAT, dtype=float), K=4
    )
    exact = np.array([*v, M, *terms], dtype=float)
    np.testing.assert_allclose(
        [*result.visits, result.value, *result.terms], exact, rtol=1e-14, atol=0
    )


def test_uniform_start_first_position_is_R_over_n():
    n = 3
    d_weighted = reference.exact_expected_repeats(P_RAT, [F(1, n)] * n)[1]
    # with v replaced by π the formula gives the repeats that begin at y_0: R/n for uniform π
    A = sympy.Matrix(P_RAT).applyfunc(lambda x: x**2)
    d = (A * (sympy.eye(n) - A).inv()).diagonal()
    assert sum(d) / n == reference.exact_repetition_rate(P_RAT) / n
    assert d_weighted > sum(d) / n


def test_symbolic_single_self_loop():
    p = sympy.Symbol("p", positive=True)
    v, M, terms = reference.exact_expected_repeats([[p]], [1], K=3)
    assert sympy.simplify(v[0] - 1 / (1 - p)) == 0
    assert sympy.simplify(M - p**2 / ((1 - p) * (1 - p**2))) == 0
    assert all(
        sympy.simplify(t - p ** (2 * k) / (1 - p)) == 0
        for k, t in enumerate(terms, start=1)
    )


@pytest.mark.parametrize("P, pi", [(P_RAT, PI_RAT), (P_HALF, [F(1, 2), F(1, 2), F(0)])])
def test_enumeration_brackets_the_exact_value(P, pi):
    M = reference.exact_expected_repeats(P, pi)[1]
    previous = (F(0), None)
    for m in (1, 4, 8, 11):
        partial, bound = reference.enumerated_repeats(P, pi, m)
        assert partial <= M <= partial + bound
        assert partial >= previous[0] and (previous[1] is None or bound < previous[1])
        previous = (partial, bound)
    assert reference.enumerated_repeats(P, pi, 1)[0] == 0


def test_enumeration_is_tight_for_the_half_decoder():
    pi = [F(1, 2), F(1, 2), F(0)]
    M = reference.exact_expected_repeats(P_HALF, pi)[1]
    partial, bound = reference.enumerated_repeats(P_HALF, pi, 14)
    assert partial <= M <= partial + bound and bound < M / 100


def test_enumeration_counts_the_events_of_the_package_observable():
    """partial(m) is the expected count of repeats in the sequence cut after m tokens: recount it
    with repetition.immediate_repeats on every cut sequence, weighted by its probability."""
    m, n = 7, 3
    expected = F(0)
    for length in range(1, m + 1):
        for y in itertools.product(range(n), repeat=length):
            prob = PI_RAT[y[0]] * math.prod(
                (P_RAT[a][b] for a, b in itertools.pairwise(y)), start=F(1)
            )
            if length < m:  # the sequence ended after y
                prob *= 1 - sum(P_RAT[y[-1]])
            if prob:
                expected += prob * int(rep.immediate_repeats(list(y)).sum())
    assert reference.enumerated_repeats(P_RAT, PI_RAT, m)[0] == expected


@pytest.mark.parametrize("m", [0, -1, True, 2.0, "3"])
def test_enumeration_refuses_bad_lengths(m):
    with pytest.raises(ValueError, match="m must be an integer >= 1"):
        reference.enumerated_repeats(P_RAT, PI_RAT, m)


def test_never_ending_decoders_are_refused():
    swap = [[0, 1], [1, 0]]
    with pytest.raises(ValueError, match="singular"):
        reference.exact_expected_repeats(swap, [1, 0])
    with pytest.raises(ValueError, match="singular"):
        reference.enumerated_repeats(swap, [1, 0], 3)


@pytest.mark.parametrize(
    "P, start, message",
    [
        ([[F(1, 2), F(1, 2)]], [1], "square"),
        (P_RAT, [F(1, 2), F(1, 2)], "one entry per token"),
        ([[F(-1, 2), F(1, 2)], [0, 0]], [1, 0], "entries >= 0"),
        ([[F(3, 4), F(1, 2)], [0, 0]], [1, 0], "sum to at most 1"),
        (P_RAT, [F(1, 2), F(1, 2), F(1, 2)], "start must sum to 1"),
        (P_RAT, [F(3, 2), F(-1, 2), 0], "start must have entries >= 0"),
    ],
)
def test_not_a_decoder_is_refused(P, start, message):
    with pytest.raises(ValueError, match=message):
        reference.exact_expected_repeats(P, start)
    with pytest.raises(ValueError, match=message):
        reference.enumerated_repeats(P, start, 3)
