"""Expected visits and expected repeats in generated text: exact cases, sampling, divergence, bad input.

Independent checks: exact rational arithmetic (sympy) of the closed forms,
brute-force enumeration of every sequence of a small decoder up to a length
(with the rest bounded), sampled text, and a direct O(L^3) count of repeats.
"""

import math
from fractions import Fraction
from itertools import product

import numpy as np
import pytest
import scipy.sparse as sp
import sympy

from repetition import _sparse_rate
from repetition import expected as expected_module
from repetition.expected import (
    SampledText,
    expected_repeats,
    expected_visits,
    immediate_repeats,
    sample_to_end,
    sampled_repeats,
)

# A 3-token rational decoder with an end token (row sums 3/4, 5/6, 1/2).
P3 = [["1/4", "1/2", 0], ["1/3", 0, "1/2"], ["1/4", 0, "1/4"]]
PI3 = ["1/2", "1/3", "1/6"]


def rational(rows):
    return sympy.Matrix([[sympy.Rational(x) for x in row] for row in rows])


def floats(M):
    return np.array(M.tolist(), dtype=float)


def exact_visits_and_repeats(Pq, piq):
    n = Pq.shape[0]
    v = piq.T * (sympy.eye(n) - Pq).inv()
    A = Pq.applyfunc(lambda x: x**2)
    R_i = (A * (sympy.eye(n) - A).inv()).diagonal()
    return v, sum(v[i] * R_i[i] for i in range(n))


def count_repeats_directly(y):
    """Every (t, k) with y[t + k + j] == y[t + j] for j = 0..k: the definition, literally."""
    L = len(y)
    counts = [0] * max((L - 1) // 2, 0)
    for k in range(1, (L - 1) // 2 + 1):
        for t in range(L - 2 * k):
            if all(y[t + k + j] == y[t + j] for j in range(k + 1)):
                counts[k - 1] += 1
    return counts


# ---------------------------------------------------------------- exact values


def test_visits_and_repeats_match_exact_rational_closed_forms():
    Pq, piq = rational(P3), sympy.Matrix([sympy.Rational(x) for x in PI3])
    v_exact, M_exact = exact_visits_and_repeats(Pq, piq)
    v = expected_visits(floats(Pq), floats(piq).ravel())
    np.testing.assert_allclose(v, np.array(v_exact, dtype=float).ravel(), rtol=1e-14)
    result = expected_repeats(floats(Pq), floats(piq).ravel(), token_lengths=[1, 2, 3], K=6)
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
    v_exact, M_exact = exact_visits_and_repeats(Pq, sympy.Matrix([sympy.Rational(1, n)] * n))
    assert expected_repeats(P).value == pytest.approx(float(M_exact), rel=1e-14)
    A = Pq.applyfunc(lambda x: x**2)
    R = (A * (sympy.eye(n) - A).inv()).trace()
    # v >= π entrywise, so M >= R / n for the uniform start; M = R when every v_i = 1 is not a decoder
    assert M_exact > R / n
    assert expected_repeats(P).value >= float(R) / n


def test_brute_force_enumeration_of_every_sequence():
    # Two tokens, row sums at most 2/5: every sequence of length <= L is enumerated with its exact
    # probability and its repeats counted directly; the rest is bounded by Σ_{l > L} (l - 1)^2 / 4 Pr(length = l).
    Pq = sympy.Matrix([[sympy.Rational(1, 5), sympy.Rational(1, 5)], [sympy.Rational(3, 10), sympy.Rational(1, 10)]])
    piq = [Fraction(2, 3), Fraction(1, 3)]
    Pf = [[Fraction(str(x)) for x in row] for row in Pq.tolist()]
    end = [1 - sum(row) for row in Pf]
    L = 14
    enumerated = Fraction(0)
    by_length = [Fraction(0)] * 3
    for length in range(1, L + 1):
        for seq in product(range(2), repeat=length):
            p = piq[seq[0]] * end[seq[-1]]
            for a, b in zip(seq, seq[1:]):
                p *= Pf[a][b]
            if p:
                counts = count_repeats_directly(seq)
                enumerated += p * sum(counts)
                for k in range(min(3, len(counts))):
                    by_length[k] += p * counts[k]
    s = Fraction(2, 5)  # largest row sum: Pr(length = l) <= s^(l - 1)
    # Σ_{j>=0} (a + j)^2 s^j <= a^2 (1 + s) / (1 - s)^3 closes the sum beyond l = 400
    tail = sum(Fraction((l - 1) ** 2, 4) * s ** (l - 1) for l in range(L + 1, 400)) \
        + Fraction(399**2, 4) * s**399 * (1 + s) / (1 - s) ** 3
    result = expected_repeats(floats(Pq), [2 / 3, 1 / 3], K=3)
    _, M_exact = exact_visits_and_repeats(Pq, sympy.Matrix([sympy.Rational(2, 3), sympy.Rational(1, 3)]))
    assert float(enumerated) <= float(M_exact) <= float(enumerated + tail)
    assert float(tail) < 5e-3 * float(M_exact)  # the bound is tight enough to mean something
    assert result.value == pytest.approx(float(M_exact), rel=1e-14)
    for k in range(3):
        assert float(by_length[k]) <= result.terms[k] * (1 + 1e-14) <= float(by_length[k] + tail)


def test_single_self_loop_closed_form():
    # p = 3/4: v = 4, A = 9/16, M = 4 · (9/16)/(7/16) = 36/7
    result = expected_repeats([[0.75]], K=3)
    assert result.value == pytest.approx(36 / 7, rel=1e-15)
    np.testing.assert_allclose(result.terms, [4 * (9 / 16) ** k for k in (1, 2, 3)], rtol=1e-15)


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
    assert abs(lengths.mean() - result.tokens) < 4 * lengths.std(ddof=1) / np.sqrt(lengths.size)
    first = text.tokens[text.offsets[:-1]]
    np.testing.assert_allclose(np.bincount(first, minlength=n) / first.size, pi, atol=0.01)


def test_sampling_is_reproducible_and_counts_match_one_by_one():
    P = np.array([[0.3, 0.6], [0.5, 0.3]])
    a = sample_to_end(P, 500, rng=7)
    b = sample_to_end(P, 500, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.tokens, b.tokens)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    totals, by_length = sampled_repeats(a, K=3)
    for s in range(len(a)):
        direct = count_repeats_directly(a.sequence(s).tolist())
        assert totals[s] == sum(direct)
        assert by_length[s].tolist() == (direct + [0, 0, 0])[:3]


def test_sampling_refuses_sequences_that_need_not_end():
    P = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.5, 0.0, 0.0]])
    with pytest.raises(ValueError, match="need not end"):
        sample_to_end(P, 10, rng=0)
    # from token 2 alone the chain may end (probability 1/2) but may also enter the closed 2-cycle
    with pytest.raises(ValueError, match="need not end"):
        sample_to_end(P, 10, rng=0, start=[0.0, 0.0, 1.0])


def test_sampling_stops_at_max_length_instead_of_cutting():
    with pytest.raises(ValueError, match="max_length=5"):
        sample_to_end([[0.999]], 50, rng=0, max_length=5)


# ---------------------------------------------------------------- the observable


def test_immediate_repeats_against_the_definition():
    rng = np.random.default_rng(5)
    for _ in range(2000):
        y = rng.integers(0, int(rng.integers(1, 4)), size=int(rng.integers(0, 25))).tolist()
        assert immediate_repeats(y).tolist() == count_repeats_directly(y)
    assert immediate_repeats("abcabca").tolist() == [0, 0, 1]
    assert immediate_repeats(["the", "cat", "the", "cat", "the"], K=5).tolist() == [0, 1, 0, 0, 0]
    assert immediate_repeats([]).tolist() == []


@pytest.mark.parametrize("budget, batch", [(4, 4_000_000), (0, 4_000_000), (4, 50)])
def test_sampled_repeats_against_the_definition_on_periodic_text(monkeypatch, budget, batch):
    # budget 0: equal 8-grams and direct short lags instead of bigrams; batch 50: many small batches
    monkeypatch.setattr(expected_module, "_PAIRS_PER_TOKEN", budget)
    monkeypatch.setattr(expected_module, "_BATCH_TOKENS", batch)
    rng = np.random.default_rng(8)
    seqs = []
    for _ in range(300):
        y = np.resize(rng.integers(0, 3, int(rng.integers(1, 12))), int(rng.integers(1, 120)))
        flip = rng.random(y.size) < 0.05
        y[flip] = rng.integers(0, 3, int(flip.sum()))
        seqs.append(y)
    text = SampledText(np.concatenate(seqs).astype(np.int64), np.concatenate([[0], np.cumsum([len(y) for y in seqs])]))
    totals, by_length = sampled_repeats(text, K=15)
    for s, y in enumerate(seqs):
        direct = count_repeats_directly(y.tolist())
        assert totals[s] == sum(direct) and by_length[s].tolist() == (direct + [0] * 15)[:15]
    for _ in range(300):
        y = rng.integers(0, int(rng.integers(1, 4)), size=int(rng.integers(0, 40))).tolist()
        assert immediate_repeats(y).tolist() == count_repeats_directly(y)


def test_ranked_q_grams_group_like_packed_ones():
    rng = np.random.default_rng(9)
    y = rng.integers(0, 3, 5000).astype(np.int64)
    offsets = np.array([0, 1200, 1201, 3000, 5000])
    seq = np.repeat(np.arange(4), np.diff(offsets))
    last = offsets[1:][seq] - 1
    pos = np.flatnonzero(np.arange(5000) + 7 <= last)
    packed = expected_module._gram_key(y, pos, 8, 3, seq, last)
    ranked = expected_module._ranked_gram_key(y, pos, 8, seq, last)
    # the same partition of positions: equal packed keys exactly where ranked keys are equal
    _, a = np.unique(packed, return_inverse=True)
    _, b = np.unique(ranked, return_inverse=True)
    pairs = np.unique(np.stack([a.ravel(), b.ravel()]), axis=1)
    assert pairs.shape[1] == np.unique(a).size == np.unique(b).size


def test_too_repetitive_text_is_refused_not_counted_out_of_memory(monkeypatch):
    monkeypatch.setattr(expected_module, "MAX_PAIRS", 1000)
    text = SampledText(np.zeros(3000, dtype=np.int64), np.array([0, 3000]))
    with pytest.raises(ValueError, match="too repetitive to count"):
        sampled_repeats(text)


def test_sampling_stops_at_max_tokens():
    with pytest.raises(ValueError, match="reached max_tokens=200 tokens in all"):
        sample_to_end([[0.99]], 10, rng=0, max_tokens=200)


def test_sampled_repeats_handles_long_runs_in_chunks(monkeypatch):
    # 3,000 copies of one token: about 2.25 M candidate pairs, processed in several chunks.
    y = np.zeros(3000, dtype=np.int64)
    text = SampledText(y, np.array([0, 3000]))
    totals, by_length = sampled_repeats(text, K=2)
    assert totals[0] == sum(3000 - 2 * k for k in range(1, 1500))
    assert by_length[0].tolist() == [2998, 2996]


# ---------------------------------------------------------------- divergence, decided on the graph


def test_closed_class_gives_infinite_visits_only_downstream():
    # 0 -> {1, 2}; {1, 3} is a closed 2-cycle (rows sum to 1); 2 ends; 4 is unreachable.
    P = np.array([
        [0.0, 0.5, 0.5, 0.0, 0.0],
        [0.0, 0.0, 0.0, 1.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0],
        [0.0, 1.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.5],
    ])
    v = expected_visits(P, [1.0, 0, 0, 0, 0])
    assert v.tolist() == [1.0, math.inf, 0.5, math.inf, 0.0]
    result = expected_repeats(P, [1.0, 0, 0, 0, 0], token_lengths=np.ones(5), K=2)
    assert result.value == math.inf and result.tokens == math.inf
    assert math.isnan(result.per_token) and math.isnan(result.per_character)
    assert result.terms.tolist() == [0.0, math.inf]  # the 2-cycle repeats only at even lengths
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
    with pytest.warns(RuntimeWarning, match="nearly singular"):
        v = expected_visits(Q, [1.0, 0.0])
    assert np.all(np.isfinite(v)) and v.sum() > 1e15


# ---------------------------------------------------------------- dense and sparse input


def word_like(n, seed, leak=0.08):
    """A sparse substochastic matrix with word-like structure: single-successor chains, a few hubs, self-loops."""
    rng = np.random.default_rng(seed)
    rows, cols, vals = [], [], []
    for i in range(n):
        if i >= 5 and rng.random() < 0.5:
            succ = np.array([(i + 1) % n, int(rng.integers(0, 5))])
        else:
            succ = np.unique(np.concatenate([rng.integers(0, 5, size=2), rng.integers(0, n, size=int(rng.integers(1, 6)))]))
        w = rng.random(succ.size)
        w *= (1 - leak * rng.random()) / w.sum()
        rows += [i] * succ.size
        cols += succ.tolist()
        vals += w.tolist()
    P = sp.csr_array((vals, (rows, cols)), shape=(n, n))
    P.sum_duplicates()
    return P


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
    monkeypatch.setattr(expected_module, "DENSE_LIMIT", 3)
    monkeypatch.setattr(_sparse_rate, "DENSE_SWITCH", 3)
    result = expected_repeats(P, pi, K=4)
    # normwise accuracy: tiny visit counts carry an absolute error of order ε Σ v, like any LU solve
    np.testing.assert_allclose(result.visits, v_ref, rtol=1e-12, atol=1e-14 * v_ref.sum())
    assert result.value == pytest.approx(float(v_ref @ R_i), rel=1e-13)
    powers = [np.linalg.matrix_power(A, k) for k in range(1, 5)]
    np.testing.assert_allclose(result.terms, [float(v_ref @ np.diag(X)) for X in powers], rtol=1e-12)


def test_terms_in_row_blocks_match_dense_powers(monkeypatch):
    P = word_like(700, 9)
    A = P.toarray() ** 2
    v = np.full(700, 1 / 700) @ np.linalg.inv(np.eye(700) - P.toarray())
    monkeypatch.setattr(expected_module, "DENSE_LIMIT", 3)
    monkeypatch.setattr(expected_module, "_TERMS_MEMORY", 200_000)  # blocks of a few rows
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
        (dict(token_lengths=[1, 0, 2]), ValueError, r"token_lengths must be finite and positive, got token_lengths\[1\] = 0.0"),
        (dict(token_lengths=[1, 2]), ValueError, r"token_lengths must have shape \(3,\)"),
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
    with pytest.raises(TypeError, match="text must be a SampledText"):
        sampled_repeats([[0, 0, 0]])
    with pytest.raises(TypeError, match="tokens must hold tokens"):
        immediate_repeats([0.5, 0.5, 0.5])


def test_indexed_search_inverts_each_row_exactly():
    # rows of very different lengths (one with 2,000 entries), an empty row, draws exactly at the
    # cumulative sums: the draw is the first entry whose cumulative sum exceeds u, else the end token
    rng = np.random.default_rng(4)
    n = 3000
    P = word_like(n, 6).tolil()
    P[7, :] = 0
    hub = rng.choice(n, 2000, replace=False)
    P[8, :] = 0
    P[8, hub] = rng.random(2000) ** 3
    P = sp.csr_array(P)
    P = sp.csr_array(P.multiply(0.97 / np.maximum(P.sum(axis=1), 1e-300)[:, None]))
    G = expected_module._pattern(P)
    search = expected_module._IndexedSearch(G)

    def reference(i, u):
        row = G.data[G.indptr[i]:G.indptr[i + 1]]
        j = int(np.searchsorted(np.cumsum(row), u, side="right"))  # the row's own running sums
        return int(G.indices[G.indptr[i] + j]) if j < row.size else -1

    for i in (0, 8, 2999):
        np.testing.assert_array_equal(search.cum[G.indptr[i]:G.indptr[i + 1]], np.cumsum(G.data[G.indptr[i]:G.indptr[i + 1]]))

    states = np.concatenate([rng.integers(0, n, 3000), np.full(500, 8), np.full(20, 7)])
    u = rng.random(states.size)
    at = rng.integers(0, G.nnz, 500)  # draws exactly at a stored cumulative sum
    at_rows = np.repeat(np.arange(n), np.diff(G.indptr))[at]
    states = np.concatenate([states, at_rows])
    u = np.concatenate([u, search.cum[at]])
    out = search.step(states, u)
    assert out.tolist() == [reference(i, x) for i, x in zip(states, u)]
