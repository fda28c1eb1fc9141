"""Unit tests of the decoding transforms (book, Chapter 4)."""

import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

import repetition as rep
from repetition import reference

RULES = {
    "greedy": lambda P: rep.greedy(P),
    "top_k": lambda P: rep.top_k(P, 2),
    "top_p": lambda P: rep.top_p(P, 0.7),
    "temperature": lambda P: rep.temperature(P, 0.5),
}


# --- an independent, exact reference: one row at a time, in Fractions ---------------------------


def ref_rule(P, rule, param=None):
    """The exact rule, one full row at a time in Fractions (repetition.reference)."""
    return reference.exact_decoding_rule(P, rule, param)


def random_rational(rng, n, density=0.6, end_weight=3):
    """Integer counts -> exact rational P (with an end column), plenty of ties."""
    C = rng.integers(0, 4, size=(n, n + 1)) * (rng.random((n, n + 1)) < density)
    C[:, -1] *= end_weight
    P = []
    for row in C:
        tot = int(row.sum())
        P.append([Fraction(int(x), tot) if tot else Fraction(0) for x in row[:-1]])
    return P


def to_float(P):
    return np.array([[float(x) for x in row] for row in P], dtype=float).reshape(
        len(P), len(P)
    )


# --- hand-computed cases -----------------------------------------------------------------------


def test_greedy_hand_example_and_ties():
    P = np.array(
        [[0.2, 0.5, 0.0], [0.1, 0.3, 0.0], [0.4, 0.0, 0.4], [0.0, 0.0, 0.0]][:3]
    )
    G = rep.greedy(P)
    # row 0: token 1 wins; row 1: end token (0.6) wins -> zero row; row 2: tie 0.4/0.4 -> index 0
    np.testing.assert_array_equal(G, [[0, 1, 0], [0, 0, 0], [1, 0, 0]])


def test_greedy_end_token_loses_ties():
    # full row (0.5, 0, 0.5): token 0 and the end token tie; the token (smaller index) wins
    np.testing.assert_array_equal(
        rep.greedy([[0.5, 0.0], [0.0, 0.0]]), [[1, 0], [0, 0]]
    )


def test_greedy_is_top_k_1_and_has_one_entry_per_row():
    rng = np.random.default_rng(0)
    P = rng.random((30, 30)) * (rng.random((30, 30)) < 0.3)
    P /= P.sum(axis=1, keepdims=True) + rng.random((30, 1))
    G = rep.greedy(P)
    np.testing.assert_array_equal(G, rep.top_k(P, 1))
    assert np.all((G == 0) | (G == 1))
    assert np.all(G.sum(axis=1) <= 1)
    assert rep.sparsity(G) <= 1 / 30


def test_top_k_hand_example():
    P = np.array([[0.5, 0.3, 0.0], [0.1, 0.1, 0.0], [0.2, 0.2, 0.2]])
    T = rep.top_k(P, 2)
    # row 0: (.5, .3, 0, .2) -> keep .5, .3; row 1: (.1, .1, 0, .8) -> keep end .8 and token 0 (tie by index)
    # row 2: (.2, .2, .2, .4) -> keep end .4 and token 0
    np.testing.assert_allclose(
        T, [[0.625, 0.375, 0], [1 / 9, 0, 0], [1 / 3, 0, 0]], rtol=1e-15
    )


def test_top_p_hand_example():
    P = np.array([[0.5, 0.3, 0.0], [0.1, 0.1, 0.0], [0.2, 0.2, 0.2]])
    T = rep.top_p(P, 0.8)
    # row 0: .5 then .8 >= .8 -> stop; row 1: end .8 alone; row 2: .4 end, .2, .2 -> mass .8
    np.testing.assert_allclose(
        T, [[0.625, 0.375, 0], [0, 0, 0], [0.25, 0.25, 0]], rtol=1e-15
    )


def test_top_p_rounding_of_prefix_sums():
    # 0.1 + 0.2 = 0.30000000000000004 in floating point; 0.6 + 0.1 + 0.2 is reached at p = 0.9 exactly in rationals
    P = np.array([[0.6, 0.2, 0.1], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    T = rep.top_p(P, 0.9)
    np.testing.assert_allclose(T[0], [0.6 / 0.9, 0.2 / 0.9, 0.1 / 0.9], rtol=1e-14)
    T = rep.top_p(P, 0.8)
    np.testing.assert_allclose(T[0], [0.75, 0.25, 0.0], rtol=1e-14)


def test_temperature_hand_example():
    P = np.array([[0.5, 0.25], [0.0, 0.0]])
    # squares (1/4, 1/16, 1/16) over 3/8
    np.testing.assert_allclose(
        rep.temperature(P, 0.5), [[2 / 3, 1 / 6], [0, 0]], rtol=1e-15
    )
    # t = 2: square roots (sqrt .5, .5, .5)
    s = np.sqrt(0.5) + 1.0
    np.testing.assert_allclose(
        rep.temperature(P, 2.0), [[np.sqrt(0.5) / s, 0.5 / s], [0, 0]], rtol=1e-15
    )


def test_temperature_keeps_support_and_small_t_tends_to_greedy():
    rng = np.random.default_rng(1)
    P = rng.random((20, 20)) * (rng.random((20, 20)) < 0.4)
    P /= P.sum(axis=1, keepdims=True) + 0.5 * rng.random((20, 1))
    for t in (0.05, 0.7, 3.0, 50.0):
        T = rep.temperature(P, t)
        if t >= 0.7:  # (at t = 0.05 tiny entries underflow to zero, as they should)
            np.testing.assert_array_equal(T > 0, P > 0)
        assert np.all(np.isfinite(T))
        assert np.all(T.sum(axis=1) <= 1 + 1e-12)
    Q = np.array(
        [[0.5, 0.3], [0.1, 0.2]]
    )  # full rows (.5, .3, .2) and (.1, .2, .7): clear gaps
    np.testing.assert_allclose(
        rep.temperature(Q, 0.01), rep.greedy(Q), rtol=0, atol=1e-20
    )
    np.testing.assert_array_equal(rep.greedy(Q), [[1, 0], [0, 0]])


@pytest.mark.parametrize("rule", ["top_k", "top_p", "temperature"])
def test_identity_settings(rule):
    rng = np.random.default_rng(2)
    P = rng.random((15, 15)) * (rng.random((15, 15)) < 0.5)
    P /= P.sum(axis=1, keepdims=True) + rng.random((15, 1))
    P[3] = 0.0
    T = {
        "top_k": lambda: rep.top_k(P, 16),
        "top_p": lambda: rep.top_p(P, 1.0),
        "temperature": lambda: rep.temperature(P, 1.0),
    }[rule]()
    np.testing.assert_allclose(T, P, rtol=1e-13, atol=0)


def test_rounding_end_mass_is_not_an_outcome():
    # row sums 1 - 1e-16: the end mass is rounding, so high temperature must not inflate it
    P = np.array([[0.1, 0.2, 0.7 - 1e-16], [1 / 3, 1 / 3, 1 / 3], [0.0, 0.0, 0.0]])
    T = rep.temperature(P, 100.0)
    np.testing.assert_allclose(T[:2].sum(axis=1), 1.0, rtol=1e-14)


@pytest.mark.parametrize("name", sorted(RULES))
def test_zero_rows_stay_zero_and_row_sums_at_most_one(name):
    rng = np.random.default_rng(3)
    P = rng.random((12, 12))
    P /= P.sum(axis=1, keepdims=True) * (1 + rng.random((12, 1)))
    P[[0, 5]] = 0.0
    T = RULES[name](P)
    np.testing.assert_array_equal(T[[0, 5]], 0.0)
    assert np.all(T >= 0) and np.all(T.sum(axis=1) <= 1 + 1e-12)


# --- against the exact reference on random rational matrices ------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_against_exact_reference(seed):
    rng = np.random.default_rng(seed)
    n = 7
    Pq = random_rational(rng, n)
    P = to_float(Pq)
    cases = [
        ("greedy", None, rep.greedy(P)),
        ("top_k", 1, rep.top_k(P, 1)),
        ("top_k", 3, rep.top_k(P, 3)),
        ("top_p", Fraction(1, 2), rep.top_p(P, 0.5)),
        ("top_p", Fraction(3, 4), rep.top_p(P, 0.75)),
        ("temperature", 2, rep.temperature(P, 0.5)),
        ("temperature", 3, rep.temperature(P, 1 / 3)),
    ]
    for rule, param, got in cases:
        expected = to_float(ref_rule(Pq, rule, param))
        np.testing.assert_allclose(
            got, expected, rtol=1e-12, atol=1e-15, err_msg=f"{rule} {param}"
        )


@pytest.mark.parametrize("name", sorted(RULES))
def test_sparse_in_csr_out_same_values(name):
    rng = np.random.default_rng(4)
    P = rng.random((25, 25)) * (rng.random((25, 25)) < 0.2)
    P /= P.sum(axis=1, keepdims=True) + rng.random((25, 1))
    P[7] = 0.0
    dense = RULES[name](P)
    sparse = RULES[name](sp.csr_matrix(P))
    assert isinstance(dense, np.ndarray)
    assert isinstance(sparse, sp.csr_array)
    assert np.all(sparse.data > 0)
    np.testing.assert_allclose(sparse.toarray(), dense, rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", ["top_k", "top_p", "greedy"])
def test_truncation_never_lowers_full_row_collision_mass(name):
    # Chapter 4, theorem thm-truncation-rowsum: Σ_j q_j^2 over the n + 1 outcomes never decreases;
    # the row sum of A = P ⊙ P (tokens only) never decreases in rows where the end token is not kept.
    rng = np.random.default_rng(5)
    for _ in range(20):
        P = rng.random((10, 10)) ** 3
        P /= P.sum(axis=1, keepdims=True) * (1 + 0.3 * rng.random((10, 1)))
        T = RULES[name](P)
        end_P, end_T = 1 - P.sum(axis=1), 1 - T.sum(axis=1)
        end_T[T.sum(axis=1) == 0] = 1.0
        full_P = (P**2).sum(axis=1) + end_P**2
        full_T = (T**2).sum(axis=1) + end_T**2
        assert np.all(full_T >= full_P * (1 - 1e-12))
        no_end = end_T < 1e-12
        assert np.all(
            (T**2).sum(axis=1)[no_end] >= (P**2).sum(axis=1)[no_end] * (1 - 1e-12)
        )


def test_keeping_the_end_token_can_lower_a_row_sum_of_A():
    # full row (.3, .3, .4): greedy keeps only the end token, the row of A drops from .18 to 0
    P = np.array([[0.3, 0.3], [0.5, 0.5]])
    assert (rep.greedy(P) ** 2).sum(axis=1)[0] == 0.0 < (P**2).sum(axis=1)[0]


# --- validation ---------------------------------------------------------------------------------

P2 = np.array([[0.5, 0.5], [0.2, 0.3]])


@pytest.mark.parametrize(
    "k, exc",
    [
        (0, ValueError),
        (-1, ValueError),
        (1.5, TypeError),
        (True, TypeError),
        ("2", TypeError),
    ],
)
def test_top_k_validation(k, exc):
    with pytest.raises(exc, match="k"):
        rep.top_k(P2, k)


@pytest.mark.parametrize(
    "p, exc",
    [
        (0, ValueError),
        (-0.1, ValueError),
        (1.01, ValueError),
        (float("nan"), ValueError),
        ("0.5", TypeError),
    ],
)
def test_top_p_validation(p, exc):
    with pytest.raises(exc, match="p"):
        rep.top_p(P2, p)


@pytest.mark.parametrize(
    "t, exc",
    [
        (0, ValueError),
        (-1.0, ValueError),
        (float("inf"), ValueError),
        (None, TypeError),
    ],
)
def test_temperature_validation(t, exc):
    with pytest.raises(exc, match="t"):
        rep.temperature(P2, t)


def test_invalid_matrix_is_refused():
    with pytest.raises(ValueError, match="row sums above 1"):
        rep.greedy([[0.7, 0.7], [0.0, 0.0]])
    with pytest.raises(ValueError, match="negative"):
        rep.top_k([[-0.1, 0.5], [0.0, 0.0]], 1)


# --- beam search --------------------------------------------------------------------------------


def test_beam_search_hand_example():
    P = [[0.0, 0.9], [0.6, 0.0]]
    # after 3 steps: 0 1 0 1 (.9*.6*.9 = .486) beats 0 1 END (.9*.4 = .36); 0 1 0 END = .054 is dropped
    beam = rep.beam_search(P, 0, 2, 3)
    assert [s for s, _ in beam] == [(0, 1, 0, 1), (0, 1, rep.END)]
    np.testing.assert_allclose(
        [lp for _, lp in beam], np.log([0.486, 0.36]), rtol=1e-14
    )


def test_beam_width_one_follows_greedy_path_and_finishes():
    P = np.array([[0.0, 0.6, 0.0], [0.0, 0.0, 0.7], [0.2, 0.0, 0.0]])
    ((seq, lp),) = rep.beam_search(P, 0, 1, 10)
    # greedy: 0 -> 1 (.6 > end .4), 1 -> 2 (.7 > .3), 2 -> END (.8 > .2)
    assert seq == (0, 1, 2, rep.END)
    assert lp == pytest.approx(np.log(0.6 * 0.7 * 0.8), rel=1e-14)


def test_beam_search_validation():
    with pytest.raises(ValueError, match="start"):
        rep.beam_search(P2, 2, 1, 1)
    with pytest.raises(TypeError, match="start"):
        rep.beam_search(P2, 0.0, 1, 1)
    with pytest.raises(ValueError, match="width"):
        rep.beam_search(P2, 0, 0, 1)
    with pytest.raises(TypeError, match="length"):
        rep.beam_search(P2, 0, 1, 2.0)


def test_temperature_underflow_shrinks_the_computed_support_as_documented():
    # (p / p_max)^(1/t) = (1e-4)^100 is below the smallest double: that entry becomes 0,
    # the others keep their exact ratios.
    P = np.array([[0.5, 0.5e-4], [0.0, 0.0]])
    T = rep.temperature(P, 0.01)
    assert T[0, 1] == 0.0 and T[0, 0] > 0.0
    end = 1.0 - P[0].sum()
    np.testing.assert_allclose(T[0, 0], 1.0 / (1.0 + (end / 0.5) ** 100), rtol=1e-12)
    assert rep.temperature(P, 0.5)[0, 1] > 0.0  # at moderate t the support is unchanged


# --- greedy: R is 0 or infinite (thm-greedy-functional) ------------------------------------------

INF = float("inf")


@pytest.mark.parametrize("n", [1, 2, 7, 40])
def test_greedy_without_end_token_has_zeta_one_over_n_and_infinite_rate(n):
    rng = np.random.default_rng(n)
    for _ in range(5):
        P = rng.random((n, n)) * (rng.random((n, n)) < 0.5)
        P[np.arange(n), rng.integers(0, n, size=n)] += 0.1  # no empty row
        P /= P.sum(axis=1, keepdims=True)  # no end mass, up to rounding
        G = rep.greedy(P)
        assert rep.sparsity(G) == 1 / n
        assert rep.spectral_radius(rep.hadamard_square(G)) == 1.0
        assert rep.repetition_rate(G) == INF


def test_greedy_with_end_token_rate_is_zero_or_infinite():
    # token 0 keeps itself (0.6 beats the end mass 0.3): a deterministic self-loop
    assert rep.repetition_rate(rep.greedy(np.array([[0.6, 0.1], [0.1, 0.1]]))) == INF
    # both rows choose the end token
    assert rep.repetition_rate(rep.greedy(np.array([[0.3, 0.2], [0.2, 0.2]]))) == 0.0
    # 0 -> 1 -> end: a greedy path that ends, no cycle
    assert rep.repetition_rate(rep.greedy(np.array([[0.1, 0.8], [0.1, 0.1]]))) == 0.0
    rng = np.random.default_rng(12)
    seen = set()
    for _ in range(60):
        n = int(rng.integers(2, 9))
        P = rng.random((n, n)) ** 4
        P /= P.sum(axis=1, keepdims=True) + 2 * rng.random((n, 1))
        R = rep.repetition_rate(rep.greedy(P))
        assert R in (0.0, INF)
        seen.add(R)
    assert seen == {0.0, INF}


def test_top_2_counterexample_lowers_R_from_81_80_to_1():
    # Chapter 4: top-2 deletes the self-loop of token 3, the only closed walk through it
    F = Fraction
    P = [
        [F(1, 4), F(3, 4), F(0)],
        [F(1, 2), F(1, 2), F(0)],
        [F(1, 3), F(5, 9), F(1, 9)],
    ]
    T_exact = [
        [F(1, 4), F(3, 4), F(0)],
        [F(1, 2), F(1, 2), F(0)],
        [F(3, 8), F(5, 8), F(0)],
    ]
    assert ref_rule(P, "top_k", 2) == T_exact

    exact_R = reference.exact_repetition_rate
    assert exact_R(P) == F(81, 80) and exact_R(T_exact) == 1
    T = rep.top_k(to_float(P), 2)
    np.testing.assert_allclose(T, to_float(T_exact), rtol=1e-15)
    assert rep.repetition_rate(to_float(P)) == pytest.approx(81 / 80, rel=1e-13)
    assert rep.repetition_rate(T) == pytest.approx(1.0, rel=1e-13)


# ---------------------------------------------------------------- hostile input (issue 16): the tie rule


def test_tie_rule_is_relative_tiny_probabilities_are_ranked_by_value():
    # A softmax-like row: 30 tokens of about 0.02, ten of 1e-14 and the rest 1e-26. The old absolute rule
    # (13 decimals) tied everything below 5e-14 and kept the 1e-26 tokens of smaller index instead.
    n = 100
    p = np.full(n, 1e-26)
    p[60:70] = 1e-14
    p[:30] = 0.03
    P = np.zeros((n, n))
    P[0] = p / p.sum() * 0.95
    kept = np.flatnonzero(rep.top_k(P, 40)[0])
    assert set(kept) == set(range(30)) | set(
        range(60, 69)
    )  # 30 large, the end token, nine of the 1e-14
    ranked = np.flatnonzero(
        rep.top_k(P, 35)[0]
    )  # the 1e-14 tokens rank above every 1e-26 one, by index
    assert ranked.tolist() == list(range(30)) + list(range(60, 64))


def test_near_tie_with_the_end_token_does_not_depend_on_the_last_bits():
    # token 0 (0.1234567890123449) and the end mass (0.12345678901235038, exactly 1 minus the row) are the
    # two largest outcomes and differ by 4e-15 relative: a tie, so the token wins (smaller index). The old
    # rule rounded to 13 decimals, which puts them on either side of ...1235 and let the end token win.
    a = 0.1234567890123449
    row = [a] + [0.09] * 7 + [0.12308642197530474]
    end = -math.fsum(row + [-1.0])
    assert a < end <= a * (1 + 1e-12) and np.round(end, 13) != np.round(a, 13)
    P = np.zeros((9, 9))
    P[0] = row
    for X in (P, sp.csr_array(P)):
        G = rep.greedy(X)
        assert np.flatnonzero((G.toarray() if sp.issparse(G) else G)[0]).tolist() == [0]


def test_a_tie_group_is_a_chain_of_neighbours_within_the_tolerance():
    # 0.5, 0.5 (1 - 1e-13), 0.5 (1 - 2e-13): each within 1e-12 of the next, one group: index order
    row = np.array([0.5 * (1 - 2e-13), 0.5 * (1 - 1e-13), 0.5])
    P = np.zeros((3, 3))
    P[0] = row / row.sum() * 0.9
    assert np.flatnonzero(rep.top_k(P, 1)[0]).tolist() == [0]
    P[0, 2] *= 1 + 1e-9  # a real difference: the largest wins
    assert np.flatnonzero(rep.top_k(P, 1)[0]).tolist() == [2]


@pytest.mark.parametrize("seed", range(40))
def test_dense_and_sparse_storage_give_identical_results_for_every_rule(seed):
    # entries drawn from a few values, so rows are full of exact ties and ties with the end mass
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 9))
    P = rng.choice([0.0, 0.05, 0.1, 0.2, 0.25, 1 / 3, 0.1 + 0.2], size=(n, n))
    P /= np.maximum(P.sum(axis=1, keepdims=True), 1.0)
    S = sp.csr_array(P)
    for rule in (
        rep.greedy,
        lambda X: rep.top_k(X, 2),
        lambda X: rep.top_p(X, 0.6),
        lambda X: rep.temperature(X, 0.3),
    ):
        assert np.array_equal(rule(P), rule(S).toarray())
    assert rep.beam_search(P, 0, 3, 5) == rep.beam_search(S, 0, 3, 5)


def test_beam_search_ties_go_to_the_smaller_sequence_and_the_end_token_last():
    # from token 0: tokens 1 and 2 and the end token each with probability 1/3 (the end mass computed)
    P = np.array([[0.0, 1 / 3, 1 / 3], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    beam = rep.beam_search(P, 0, 3, 1)
    assert [seq for seq, _ in beam] == [(0, 1), (0, 2), (0, rep.END)]
    assert rep.beam_search(sp.csr_array(P), 0, 3, 1) == beam


# ---------------------------------------------------------------- hostile input: extreme temperatures


@pytest.mark.parametrize("t", [1e-300, 1e-308, 5e-324, 1e-20, 1e300, 1.7e308])
def test_temperature_is_finite_for_extreme_t(t):
    P = np.array([[0.5, 0.25, 0.0], [0.1, 0.1, 0.3], [0.0, 0.0, 0.0]])
    Q = rep.temperature(P, t)
    assert np.all(np.isfinite(Q)) and np.all(Q >= 0)
    full = np.hstack([Q, 1 - Q.sum(axis=1, keepdims=True)])
    if t < 1:  # towards greedy: the largest outcome of each row takes everything
        np.testing.assert_allclose(full[:2], [[1, 0, 0, 0], [0, 0, 0, 1]], atol=1e-12)
    else:  # towards uniform over each row's support (three outcomes in row 0, four in row 1)
        np.testing.assert_allclose(
            full[:2], [[1 / 3, 1 / 3, 0, 1 / 3], [1 / 4] * 4], rtol=1e-12
        )


def test_temperature_of_equal_largest_outcomes_shares_them_at_tiny_t():
    P = np.array([[0.3, 0.3], [0.0, 0.0]])  # the end token (0.4) is the largest
    np.testing.assert_array_equal(rep.temperature(P, 1e-300), [[0.0, 0.0], [0.0, 0.0]])
    Q = np.array([[0.4, 0.4], [0.0, 0.0]])
    np.testing.assert_array_equal(rep.temperature(Q, 1e-300), [[0.5, 0.5], [0.0, 0.0]])
