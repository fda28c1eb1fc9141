"""Unit tests of the chain sampler and the Monte Carlo repetition rate."""

import numpy as np
import pytest
import scipy.sparse as sp

import repetition as rep
from checks import count_repeats_directly, word_like
from repetition import sample_to_end, sampled_repeats
from repetition import sampling as sampling_module


def test_deterministic_chain_is_followed():
    P = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    Y = rep.sample_chains(P, np.array([0, 1, 2]), 3, np.random.default_rng(0))
    np.testing.assert_array_equal(Y, [[0, 1, 2, -1], [1, 2, -1, -1], [2, -1, -1, -1]])


def test_sampler_frequencies_match_row():
    P = np.array([[0.2, 0.5], [0.0, 0.0]])  # row 0 ends with probability 0.3
    Y = rep.sample_chains(
        P, np.zeros(200_000, dtype=np.int64), 1, np.random.default_rng(1)
    )
    freq = np.array(
        [(Y[:, 1] == 0).mean(), (Y[:, 1] == 1).mean(), (Y[:, 1] == rep.END).mean()]
    )
    np.testing.assert_allclose(freq, [0.2, 0.5, 0.3], atol=0.005)


def test_repeat_events_definition():
    # y = 0 1 0 1 0 : E_2 happens (0 1 | 0 1 | 0); E_1 does not (y_1 != y_0).
    Y = np.array([[0, 1, 0, 1, 0]])
    np.testing.assert_array_equal(rep.repeat_events(Y, 2), [[False, True]])
    # y = 2 2 2: E_1 happens.
    np.testing.assert_array_equal(rep.repeat_events(np.array([[2, 2, 2]]), 1), [[True]])
    # an ended chain never repeats
    np.testing.assert_array_equal(
        rep.repeat_events(np.array([[0, -1, -1]]), 1), [[False]]
    )


def test_monte_carlo_agrees_with_exact_partial_sum():
    rng = np.random.default_rng(3)
    P = rng.random((4, 4)) ** 3
    P /= P.sum(axis=1, keepdims=True) * 1.1
    K = 6
    est = rep.monte_carlo_repetition_rate(P, K, 200_000, np.random.default_rng(4))
    exact = rep.repetition_terms(P, K).sum()
    assert abs(est.value - exact) < 4 * est.stderr
    assert est.stderr < 0.05 * exact


def test_monte_carlo_rejects_bad_args():
    P = np.full((2, 2), 0.25)
    with pytest.raises(TypeError, match="rng"):
        rep.monte_carlo_repetition_rate(P, 2, 10, "seed")
    with pytest.raises(ValueError, match="rng"):
        rep.monte_carlo_repetition_rate(P, 2, 10, -1)
    with pytest.raises(ValueError, match="samples"):
        rep.monte_carlo_repetition_rate(P, 2, 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="starts"):
        rep.sample_chains(P, np.array([5]), 2, np.random.default_rng(0))


# ---------------------------------------------------------------- sampling to the end token


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


def test_sampling_stops_at_max_tokens():
    with pytest.raises(ValueError, match="reached max_tokens=200 tokens in all"):
        sample_to_end([[0.99]], 10, rng=0, max_tokens=200)


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
    G = rep.BigramChain(P).graph
    search = sampling_module._IndexedSearch(G)

    def reference(i, u):
        row = G.data[G.indptr[i] : G.indptr[i + 1]]
        j = int(
            np.searchsorted(np.cumsum(row), u, side="right")
        )  # the row's own running sums
        return int(G.indices[G.indptr[i] + j]) if j < row.size else -1

    for i in (0, 8, 2999):
        np.testing.assert_array_equal(
            search.cum[G.indptr[i] : G.indptr[i + 1]],
            np.cumsum(G.data[G.indptr[i] : G.indptr[i + 1]]),
        )

    states = np.concatenate([rng.integers(0, n, 3000), np.full(500, 8), np.full(20, 7)])
    u = rng.random(states.size)
    at = rng.integers(0, G.nnz, 500)  # draws exactly at a stored cumulative sum
    at_rows = np.repeat(np.arange(n), np.diff(G.indptr))[at]
    states = np.concatenate([states, at_rows])
    u = np.concatenate([u, search.cum[at]])
    out = search.step(states, u)
    assert out.tolist() == [reference(i, x) for i, x in zip(states, u, strict=True)]


# ---------------------------------------------------------------- hostile input (issue 16)


def test_repeat_events_takes_lists_and_the_padding_never_forms_an_event():
    assert rep.repeat_events([[0, 1, 0, 1, 0]], 2).tolist() == [
        [False, True]
    ]  # was an AttributeError
    # a chain that ended (END padding) has no event, even where END equals END
    Y = [[3, rep.END, rep.END, rep.END, rep.END], [3, 3, rep.END, rep.END, rep.END]]
    assert rep.repeat_events(Y, 2).tolist() == [[False, False], [False, False]]


def test_sampled_text_checks_its_offsets():
    text = rep.SampledText([4, 5, 6], np.array([0, 1, 3], dtype=np.int32))
    assert text.offsets.dtype == np.int64 and text.lengths.tolist() == [1, 2]
    with pytest.raises(ValueError, match="never decrease"):
        rep.SampledText([4, 5, 6], [0, 2, 1, 3])


# ---------------------------------------------------------------- realistic-bug pins (issue 16)


def test_monte_carlo_standard_error_is_n_times_the_sample_deviation_over_root_m():
    # pin: the standard error without its factor n slipped past every assert before
    Y = np.array(
        [[0, 0, 0], [1, 2, -1], [2, 2, 2], [1, 0, 1]]
    )  # E_1 at chains 0 and 2 (y1 = y0, y2 = y1)
    est = rep.MonteCarloEstimate.from_chains(Y, 1, n=3)
    counts = np.array([1.0, 0.0, 1.0, 0.0])
    assert est.value == 3 * 0.5 and est.per_k.tolist() == [1.5]
    assert est.stderr == pytest.approx(3 * counts.std(ddof=1) / 2, rel=1e-15)
    assert est.stderr == pytest.approx(3 * np.sqrt(1 / 3) / 2, rel=1e-15)
