"""Unit tests of estimation from counts: bigram counts and the add-δ transition matrix."""

import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

import repetition as rep
from checks import direct_log_loss, independent_counts
from repetition import LogLoss, cross_entropy, perplexity, sample_to_end


def test_transition_matrix_mle_and_end_token():
    C = np.array([[1, 2, 1], [0, 0, 4]])
    P = rep.transition_matrix(C)
    np.testing.assert_array_equal(P, [[0.25, 0.5], [0.0, 0.0]])


def test_transition_matrix_add_delta():
    C = np.array([[1, 2, 1], [0, 0, 4]])
    P = rep.transition_matrix(C, smoothing=1.0)
    np.testing.assert_allclose(P, [[2 / 7, 3 / 7], [1 / 7, 1 / 7]], rtol=1e-15)


def test_transition_matrix_sparse_keeps_sparse():
    C = sp.csr_array(np.array([[1, 2, 1], [0, 0, 4]]))
    P = rep.transition_matrix(C)
    assert sp.issparse(P)
    np.testing.assert_array_equal(P.toarray(), [[0.25, 0.5], [0.0, 0.0]])
    assert not sp.issparse(rep.transition_matrix(C, smoothing=0.5))


def test_unseen_row_is_zero_without_smoothing():
    P = rep.transition_matrix(np.zeros((2, 3)))
    np.testing.assert_array_equal(P, 0.0)


@pytest.mark.parametrize(
    "counts, exc, match",
    [
        (np.ones((2, 2)), ValueError, "shape"),
        (np.ones(3), ValueError, "shape"),
        (-np.ones((2, 3)), ValueError, "negative"),
        (np.array([[np.nan, 1, 1], [1, 1, 1]]), ValueError, "NaN"),
        (np.ones((2, 3), dtype=complex), TypeError, "dtype"),
    ],
)
def test_transition_matrix_rejects(counts, exc, match):
    with pytest.raises(exc, match=match):
        rep.transition_matrix(counts)


def test_negative_smoothing_rejected():
    with pytest.raises(ValueError, match="smoothing"):
        rep.transition_matrix(np.ones((2, 3)), smoothing=-0.1)


def test_bigram_counts_hand_example():
    bc = rep.bigram_counts([["a", "b", "a"], ["b"]])
    assert bc.vocab == ["a", "b"]  # a and b both occur twice; ties in code-point order
    # a->b, b->a, a-><eos>, b-><eos>
    np.testing.assert_array_equal(bc.counts.toarray(), [[0, 1, 1], [1, 0, 1]])
    np.testing.assert_array_equal(bc.starts, [1, 1])
    P = rep.transition_matrix(bc.counts)
    np.testing.assert_array_equal(P.toarray(), [[0, 0.5], [0.5, 0]])


def test_bigram_counts_fixed_vocab_rejects_unknown():
    with pytest.raises(ValueError, match="'c'"):
        rep.bigram_counts([["a", "c"]], vocab=["a", "b"])


def test_bigram_counts_rejects_empty():
    with pytest.raises(ValueError, match="no token"):
        rep.bigram_counts([[], []])


def test_add_delta_is_the_one_estimate_of_transition_matrix_and_the_rebalanced_encoding():
    C = np.array([[3, 0, 1], [0, 0, 0]])
    for delta in (0.0, 0.5, 1.0):
        P = rep.transition_matrix(C, smoothing=delta)
        np.testing.assert_array_equal(
            P, rep.add_delta(C[:, :2], C.sum(axis=1)[:, None], 2, delta)
        )
        S = rep.transition_matrix(sp.csr_array(C), smoothing=delta)
        np.testing.assert_array_equal(S.toarray() if sp.issparse(S) else S, P)
    # exactly the rational MLE (c + δ) / (t + (n + 1) δ), correctly rounded
    assert rep.add_delta([1], 3, 2, 1.0)[0] == float(Fraction(2, 6))
    assert rep.add_delta([7], 49, 5)[0] == 7 / 49
    assert (
        rep.add_delta([49], 49, 5)[0] == 1.0
    )  # a successor seen every time has probability exactly 1
    assert rep.add_delta([0], 0, 5).tolist() == [0.0]


def test_sparse_mle_is_the_correctly_rounded_quotient():
    # c / t, not c * (1 / t): with t = 49, 49 * (1 / 49) = 0.9999999999999999 but 49 / 49 = 1
    C = sp.csr_array(np.array([[0, 49, 0], [7, 0, 42]]))
    P = rep.transition_matrix(C)
    assert P[0, 1] == 1.0 and P[1, 0] == 7 / 49


# ---------------------------------------------------------------- log-loss and perplexity (Chapter 8)

CORPUS = [list(w) for w in "abca bcab cab abcabc aab bba c ca ac bab abab".split()]


@pytest.mark.parametrize("delta", [1.0, 0.5, 0.01])
def test_perplexity_matches_the_direct_formula(delta):
    train, test = CORPUS[:9], CORPUS[9:]
    result = perplexity(independent_counts(train), test, smoothing=delta)
    expect = direct_log_loss(train, test, delta)
    assert result.nats == pytest.approx(expect, rel=1e-13)
    tokens = sum(len(s) for s in test) + len(
        test
    )  # every token and one end token per sentence
    assert (
        result.tokens == tokens
        and result.sentences == len(test)
        and result.unknown == 0
    )
    assert result.perplexity == pytest.approx(math.exp(expect / tokens), rel=1e-13)
    assert result.characters == sum(len(s) for s in test)
    assert result.character_perplexity == pytest.approx(
        math.exp(expect / result.characters), rel=1e-13
    )


def test_separator_counts_characters_of_the_surface_text():
    train = [["in", "the", "beginning"], ["the", "word"]]
    result = perplexity(
        independent_counts(train), [["in", "the", "word"]], smoothing=1.0, separator=" "
    )
    assert result.characters == len("in the word")
    assert result.tokens == 4


def test_unseen_events_without_smoothing_are_infinite():
    train = CORPUS[:9]
    assert (
        perplexity(independent_counts(train), [list("ab")], smoothing=0.0).nats
        < math.inf
    )
    result = perplexity(
        independent_counts(train), [list("cc")], smoothing=0.0
    )  # "cc" never occurs in training
    assert (
        result.nats == math.inf
        and result.perplexity == math.inf
        and result.character_perplexity == math.inf
    )
    assert direct_log_loss(train, [list("cc")], 0) == math.inf


def test_unknown_tokens_are_refused_or_scored_as_unk():
    train = CORPUS[:9]
    with pytest.raises(
        ValueError, match=r"1 token\(s\) outside the training vocabulary \(e.g. 'z'\)"
    ):
        perplexity(independent_counts(train), [list("abz")])
    result = perplexity(
        independent_counts(train),
        [list("abz"), list("zz")],
        smoothing=0.5,
        unknown="unk",
    )
    assert result.unknown == 3
    assert result.nats == pytest.approx(
        direct_log_loss(train, [list("abz"), list("zz")], 0.5, unk=True), rel=1e-13
    )


def test_training_text_under_the_unsmoothed_model_agrees_with_cross_entropy():
    # δ = 0: the add-δ model of the counts is the maximum-likelihood decoder P with π = starts / total.
    counts = independent_counts(CORPUS)
    C = counts.counts.toarray().astype(float)
    P = C[:, :-1] / C.sum(axis=1, keepdims=True)
    index = {t: i for i, t in enumerate(counts.vocab)}
    ids = [[index[t] for t in s] for s in CORPUS]
    by_counts = perplexity(counts, CORPUS, smoothing=0.0)
    by_matrix = cross_entropy(
        P,
        ids,
        start=counts.starts / counts.starts.sum(),
        token_lengths=np.ones(len(counts.vocab), dtype=np.int64),
    )
    assert by_matrix.nats == pytest.approx(by_counts.nats, rel=1e-13)
    assert (
        by_matrix.tokens == by_counts.tokens
        and by_matrix.characters == by_counts.characters
    )


def test_cross_entropy_of_sampled_text_estimates_the_entropy_rate():
    # Text sampled from P itself: the mean log-loss per sequence estimates the entropy of a whole sequence,
    # Σ_i v_i H_i + H(π), which sampling must match within four standard errors.
    rng = np.random.default_rng(3)
    n = 4
    P = rng.random((n, n))
    P /= P.sum(axis=1, keepdims=True) * 1.3
    pi = np.full(n, 1 / n)
    text = sample_to_end(P, 20_000, rng=5, start=pi)
    result = cross_entropy(P, text, start=pi)
    full = np.hstack([P, 1 - P.sum(axis=1, keepdims=True)])
    H = -(full * np.log(full)).sum(axis=1)
    v = pi @ np.linalg.inv(np.eye(n) - P)
    expect = float(v @ H + np.log(n))
    per_sequence = []
    for s in range(len(text)):
        y = text.sequence(s).tolist()
        per_sequence.append(
            -math.log(pi[y[0]])
            - sum(math.log(full[a, b]) for a, b in zip(y, y[1:] + [n], strict=True))
        )
    assert result.nats == pytest.approx(math.fsum(per_sequence), rel=1e-12)
    se = np.std(per_sequence, ddof=1) / np.sqrt(len(text))
    assert abs(result.nats / len(text) - expect) < 4 * se
    assert result.tokens == text.tokens.size + len(text)


def test_cross_entropy_is_infinite_for_an_impossible_event_and_checks_ids():
    P = np.array([[0.0, 1.0], [0.5, 0.0]])
    assert cross_entropy(P, [[0, 0]]).nats == math.inf  # 0 -> 0 has probability 0
    assert cross_entropy(P, [[0]]).nats == math.inf  # token 0 never ends
    assert math.isfinite(cross_entropy(P, [[0, 1]]).nats)
    with pytest.raises(ValueError, match=r"token ids in 0..1, got 2"):
        cross_entropy(P, [[0, 2]])
    with pytest.raises(ValueError, match="empty sentence"):
        cross_entropy(P, [[0, 1], []])


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: perplexity(independent_counts(CORPUS), [list("ab")], smoothing=-1),
            ValueError,
            r"smoothing must be in \[0.0, inf\]",
        ),
        (
            lambda: perplexity(
                independent_counts(CORPUS), [list("ab")], unknown="skip"
            ),
            ValueError,
            "unknown must be one of",
        ),
        (
            lambda: perplexity(object(), [list("ab")]),
            TypeError,
            "counts must be BigramCounts",
        ),
        (
            lambda: perplexity(independent_counts(CORPUS), [[]]),
            ValueError,
            "empty sentence",
        ),
    ],
)
def test_perplexity_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_log_loss_fields():
    loss = LogLoss(nats=6.0, tokens=3, characters=None, sentences=1, unknown=0)
    assert loss.per_token == 2.0 and loss.perplexity == pytest.approx(math.exp(2.0))
    assert loss.per_character is None and loss.character_perplexity is None


# ---------------------------------------------------------------- hostile input (issue 16)


def test_tokens_ending_in_nul_characters_are_kept_apart():
    # numpy's fixed-width strings drop trailing NULs: "a\x00" and "a" were one token, then "not in vocab"
    c = rep.bigram_counts([["a\x00", "a", "a\x00"]])
    assert c.vocab == ["a\x00", "a"]
    assert c.counts.toarray().tolist() == [[0, 1, 1], [1, 0, 0]]


def test_a_vocabulary_lists_each_token_once():
    with pytest.raises(ValueError, match="vocab lists the token 'b' more than once"):
        rep.bigram_counts([["a", "b"]], vocab=["a", "b", "b"])  # a phantom row before
    c = rep.bigram_counts(
        [["b", "a"]], vocab=["a", "b", "c"]
    )  # an unused token keeps its empty row
    assert c.counts.shape == (3, 4) and c.counts[[2], :].nnz == 0


def test_non_string_tokens_are_refused_with_their_place():
    with pytest.raises(
        TypeError, match=r"sequences\[1\] must hold str tokens, got 3 of type int"
    ):
        rep.bigram_counts([["a"], ["b", 3]])  # was "token '3' is not in vocab"


def test_bigram_counts_built_by_hand_are_checked_and_canonical():
    c = rep.BigramCounts(np.array([[0, 2, 1], [1, 0, 3]]), np.array([2, 2]), ["a", "b"])
    assert (
        sp.issparse(c.counts) and c.counts.has_canonical_format and c.counts.sum() == 7
    )
    with pytest.raises(ValueError, match="vocab lists the token 'a' more than once"):
        rep.BigramCounts(np.zeros((2, 3)), [0, 0], ["a", "a"])
    with pytest.raises(TypeError, match="counts must have a real"):
        rep.BigramCounts(np.zeros((1, 2), dtype=complex), [0], ["a"])


def test_sentence_ends_are_counted_and_leave_end_mass():
    # pin: bigram counts without the sentence ends slipped past all but one test
    c = rep.bigram_counts([["a", "b"], ["a"], ["b", "a", "b"]])
    assert c.vocab == ["a", "b"]
    # a -> b twice, a ends once; b -> a once, b ends twice
    assert c.counts.toarray().tolist() == [[0, 2, 1], [1, 0, 2]]
    np.testing.assert_allclose(
        rep.transition_matrix(c.counts).toarray(), [[0, 2 / 3], [1 / 3, 0]], rtol=1e-15
    )
    np.testing.assert_allclose(
        rep.BigramChain(rep.transition_matrix(c.counts)).end_mass,
        [1 / 3, 2 / 3],
        rtol=1e-15,
    )


def test_add_delta_with_a_huge_smoothing_tends_to_the_uniform_distribution():
    # issue 16, second round: (n + 1) δ overflowed to inf for δ near the float maximum, so every probability
    # came out 0 (and the perplexity inf) instead of about 1/(n + 1)
    for delta in (1e300, 1e308, 1.7976931348623157e308):
        np.testing.assert_allclose(
            rep.add_delta([1, 2, 0], 4, n=2, smoothing=delta), [1 / 3] * 3, rtol=1e-15
        )
        np.testing.assert_allclose(
            rep.add_delta([1, 2], 4, n=2, smoothing=delta, end=False),
            [0.5, 0.5],
            rtol=1e-15,
        )
        np.testing.assert_allclose(
            rep.transition_matrix([[1, 2, 0], [0, 1, 1]], delta), np.full((2, 2), 1 / 3)
        )
    counts = rep.bigram_counts([["a", "b"], ["b", "a", "a"]])
    loss = rep.perplexity(counts, [["a", "b", "b"]], smoothing=1e308)
    # the first token among n = 2 (1/2), then a -> b, b -> b, b -> end among n + 1 = 3 outcomes (1/3 each)
    assert loss.nats == pytest.approx(math.log(2) + 3 * math.log(3), rel=1e-14)
    # values below the overflow are unchanged: the quotient of the same two sums as before
    assert rep.add_delta([1, 2, 0], 4, n=2, smoothing=1.0).tolist() == [
        2 / 7,
        3 / 7,
        1 / 7,
    ]
