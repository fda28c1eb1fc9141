"""The exact references agree with each other and with closed forms (they are checks: check them too)."""

import math
from fractions import Fraction as F

import numpy as np
import pytest
import sympy

from repetition import reference

P_RAT = [
    [F(1, 5), F(1, 2), F(0)],
    [F(1, 3), F(0), F(1, 2)],
    [F(2, 5), F(1, 5), F(1, 10)],
]


def test_walk_enumeration_equals_exact_powers():
    for k in range(1, 5):
        assert (
            reference.closed_walk_sum(P_RAT, k)
            == reference.exact_repetition_terms(P_RAT, k)[-1]
        )
        Pk = reference.exact_matrix_power(P_RAT, k)
        assert reference.closed_walk_sum(P_RAT, k, power=1) == sum(
            Pk[i][i] for i in range(3)
        )
        weights = reference.closed_walk_weights(P_RAT, k)
        assert len(weights) == sum(
            len(reference.closed_walk_weights(P_RAT, k, start=i)) for i in range(3)
        )


def test_walk_enumeration_with_symbols():
    a, b, c, d = sympy.symbols("a b c d", positive=True)
    M = sympy.Matrix([[a, b], [c, d]])
    A = M.applyfunc(lambda x: x**2)
    for k in (1, 2, 3):
        assert sympy.expand(reference.closed_walk_sum(M, k) - (A**k).trace()) == 0


def test_three_routes_to_the_exact_rate_agree():
    R = reference.exact_repetition_rate(P_RAT)
    A_sym = sympy.Matrix(P_RAT).applyfunc(lambda x: x**2)
    assert R == (A_sym * (sympy.eye(3) - A_sym).inv()).trace()
    assert reference.repetition_rate_from_charpoly(P_RAT) == R
    partial = sum(reference.exact_repetition_terms(P_RAT, 30))
    assert 0 < R - partial < F(1, 10**6)
    assert float(
        reference.high_precision_repetition_rate(np.array(P_RAT, dtype=float))
    ) == pytest.approx(float(R), rel=1e-14)
    assert reference.exact_repetition_rate([[1, 0], [0, F(1, 2)]]) == math.inf


def test_exact_spectral_radius_and_high_precision():
    assert reference.exact_spectral_radius([[0, 2], [8, 0]]) == 4
    P = np.array([[0.0, 0.5], [0.5, 0.0]])
    assert float(reference.high_precision_spectral_radius(P)) == pytest.approx(
        0.25, rel=1e-15
    )


def test_lower_bounds_and_arp_terms_agree_with_walks():
    for k in (1, 2, 3):
        e = reference.exact_lower_bounds(P_RAT, k)
        assert e["exact"] == reference.closed_walk_sum(P_RAT, k)
        assert e["N"] == len(reference.closed_walk_weights(P_RAT, k))
        assert e["paper_nk"] == reference.exact_arp_terms(P_RAT, k, "printed")[-1]
        assert (
            e["zeta_rows"] == 3 * reference.exact_arp_terms(P_RAT, k, "corrected")[-1]
        )
        assert e["cs"] <= e["per_row"] <= e["exact"]


def test_support_power_and_graph_references():
    P = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    B2 = reference.support_power(P, 2)
    assert B2.tolist() == [[2, 1, 0], [1, 1, 0], [0, 0, 0]]
    assert np.diag(B2).tolist() == [
        len(reference.closed_walk_weights(P, 2, start=i)) for i in range(3)
    ]
    assert reference.transitive_closure(P).diagonal().tolist() == [True, True, False]
    assert reference.brute_force_deterministic_cycle(P) is None
    assert reference.brute_force_deterministic_cycle([[0, 1], [1, 0]]) == [0, 1]
    assert reference.greedy_path_survives(
        [[0, 1], [1, 0]]
    ) and not reference.greedy_path_survives([[0, 1], [0, 0]])


def test_decoding_rule_and_pair_lift_references():
    P = [
        [F(1, 4), F(3, 4), F(0)],
        [F(1, 2), F(1, 2), F(0)],
        [F(1, 3), F(5, 9), F(1, 9)],
    ]
    assert reference.exact_decoding_rule(P, "top_k", 2)[2] == [F(3, 8), F(5, 8), F(0)]
    assert reference.exact_decoding_rule(P, "greedy")[0] == [F(0), F(1), F(0)]
    states, Q = reference.exact_pair_lift(P)
    A, QQ = sympy.Matrix(P).applyfunc(lambda v: v**2), Q.applyfunc(lambda v: v**2)
    assert len(states) == 7
    for k in (1, 2, 3):
        assert (QQ**k).trace() == (A**k).trace()


def test_perturbed_references_agree():
    P = np.array([[0.4, 0.2], [0.0, 0.5]])
    c = np.array([[0.1, 0.05], [0.0, 0.1]])
    for k in (1, 2):
        R = reference.perturbed_terms_by_signs(P, c, k)
        mean, var = reference.perturbed_moments_by_walk_pairs(P, c, k)
        assert float(R.mean()) == pytest.approx(mean, rel=1e-12)
        assert float(R.var()) == pytest.approx(var, rel=1e-9)
