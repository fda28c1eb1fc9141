"""Perplexity of held-out text, cross-entropy of generated text, and the reproducible split.

The independent check is a direct evaluation of the add-δ formula with
dictionaries and exact fractions, one event at a time.
"""

import math
from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

from repetition.expected import sample_to_end
from repetition.perplexity import LogLoss, cross_entropy, perplexity, split_sentences


class Counts:
    """Bigram counts with start counts, as repetition.bigram_counts returns them (built here independently)."""

    def __init__(self, sentences):
        freq = Counter(t for s in sentences for t in s)
        self.vocab = sorted(freq, key=lambda t: (-freq[t], t))
        index = {t: i for i, t in enumerate(self.vocab)}
        n = len(self.vocab)
        C = np.zeros((n, n + 1), dtype=np.int64)
        self.starts = np.zeros(n, dtype=np.int64)
        for s in sentences:
            ids = [index[t] for t in s]
            self.starts[ids[0]] += 1
            for a, b in zip(ids, ids[1:] + [n]):
                C[a, b] += 1
        self.counts = sp.csr_array(C)


def direct_log_loss(train, test, delta, unk=False):
    """-log of Π π(y0) P(y_t | y_{t-1}) P(end | y_last), event by event, in exact fractions where finite."""
    vocab = {t for s in train for t in s}
    n = len(vocab) + (1 if unk else 0)
    bigrams = Counter((a, b) for s in train for a, b in zip(s, s[1:] + ["</s>"]))
    rows = Counter(t for s in train for t in s)
    firsts = Counter(s[0] for s in train)
    delta = Fraction(delta)
    nats = 0.0
    for s in test:
        s = [t if t in vocab else "<unk>" for t in s]
        p = (firsts[s[0]] + delta) / (len(train) + n * delta)
        for a, b in zip(s, s[1:] + ["</s>"]):
            p *= (bigrams[(a, b)] + delta) / (rows[a] + (n + 1) * delta)
        if p == 0:
            return math.inf
        nats -= math.log(p)
    return nats


CORPUS = [list(w) for w in "abca bcab cab abcabc aab bba c ca ac bab abab".split()]


def test_split_is_reproducible_disjoint_and_order_preserving():
    sentences = [f"s{i}" for i in range(50)]
    train, test = split_sentences(sentences, heldout=0.2, seed=7)
    again = split_sentences(sentences, heldout=0.2, seed=7)
    assert (train, test) == again
    assert len(test) == 10 and sorted(train + test) == sorted(sentences)
    assert train == [s for s in sentences if s in set(train)] and test == [s for s in sentences if s in set(test)]
    assert split_sentences(sentences, heldout=0.2, seed=8) != (train, test)


@pytest.mark.parametrize("delta", [1.0, 0.5, 0.01])
def test_perplexity_matches_the_direct_formula(delta):
    train, test = CORPUS[:9], CORPUS[9:]
    result = perplexity(Counts(train), test, smoothing=delta)
    expect = direct_log_loss(train, test, delta)
    assert result.nats == pytest.approx(expect, rel=1e-13)
    tokens = sum(len(s) for s in test) + len(test)  # every token and one end token per sentence
    assert result.tokens == tokens and result.sentences == len(test) and result.unknown == 0
    assert result.perplexity == pytest.approx(math.exp(expect / tokens), rel=1e-13)
    assert result.characters == sum(len(s) for s in test)
    assert result.character_perplexity == pytest.approx(math.exp(expect / result.characters), rel=1e-13)


def test_separator_counts_characters_of_the_surface_text():
    train = [["in", "the", "beginning"], ["the", "word"]]
    result = perplexity(Counts(train), [["in", "the", "word"]], smoothing=1.0, separator=" ")
    assert result.characters == len("in the word")
    assert result.tokens == 4


def test_unseen_events_without_smoothing_are_infinite():
    train = CORPUS[:9]
    assert perplexity(Counts(train), [list("ab")], smoothing=0.0).nats < math.inf
    result = perplexity(Counts(train), [list("cc")], smoothing=0.0)  # "cc" never occurs in training
    assert result.nats == math.inf and result.perplexity == math.inf and result.character_perplexity == math.inf
    assert direct_log_loss(train, [list("cc")], 0) == math.inf


def test_unknown_tokens_are_refused_or_scored_as_unk():
    train = CORPUS[:9]
    with pytest.raises(ValueError, match=r"1 token\(s\) outside the training vocabulary \(e.g. 'z'\)"):
        perplexity(Counts(train), [list("abz")])
    result = perplexity(Counts(train), [list("abz"), list("zz")], smoothing=0.5, unknown="unk")
    assert result.unknown == 3
    assert result.nats == pytest.approx(direct_log_loss(train, [list("abz"), list("zz")], 0.5, unk=True), rel=1e-13)


def test_training_text_under_the_unsmoothed_model_agrees_with_cross_entropy():
    # δ = 0: the add-δ model of the counts is the maximum-likelihood decoder P with π = starts / total.
    counts = Counts(CORPUS)
    C = counts.counts.toarray().astype(float)
    P = C[:, :-1] / C.sum(axis=1, keepdims=True)
    index = {t: i for i, t in enumerate(counts.vocab)}
    ids = [[index[t] for t in s] for s in CORPUS]
    by_counts = perplexity(counts, CORPUS, smoothing=0.0)
    by_matrix = cross_entropy(P, ids, start=counts.starts / counts.starts.sum(),
                              token_lengths=np.ones(len(counts.vocab), dtype=np.int64))
    assert by_matrix.nats == pytest.approx(by_counts.nats, rel=1e-13)
    assert by_matrix.tokens == by_counts.tokens and by_matrix.characters == by_counts.characters


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
        per_sequence.append(-math.log(pi[y[0]]) - sum(math.log(full[a, b]) for a, b in zip(y, y[1:] + [n])))
    assert result.nats == pytest.approx(math.fsum(per_sequence), rel=1e-12)
    se = np.std(per_sequence, ddof=1) / np.sqrt(len(text))
    assert abs(result.nats / len(text) - expect) < 4 * se
    assert result.tokens == text.tokens.size + len(text)


def test_cross_entropy_is_infinite_for_an_impossible_event_and_checks_ids():
    P = np.array([[0.0, 1.0], [0.5, 0.0]])
    assert cross_entropy(P, [[0, 0]]).nats == math.inf          # 0 -> 0 has probability 0
    assert cross_entropy(P, [[0]]).nats == math.inf             # token 0 never ends
    assert math.isfinite(cross_entropy(P, [[0, 1]]).nats)
    with pytest.raises(ValueError, match=r"token ids in 0..1, got 2"):
        cross_entropy(P, [[0, 2]])
    with pytest.raises(ValueError, match="empty sentence"):
        cross_entropy(P, [[0, 1], []])


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: split_sentences(["a", "b"], heldout=1.0), ValueError, r"heldout must be in \(0.0, 1.0\)"),
        (lambda: split_sentences(["a"], heldout=0.5), ValueError, "at least 2 sentences"),
        (lambda: split_sentences(["a", "b"], seed=True), TypeError, "seed must be a nonnegative int"),
        (lambda: perplexity(Counts(CORPUS), [list("ab")], smoothing=-1), ValueError, r"smoothing must be in \[0.0, inf\]"),
        (lambda: perplexity(Counts(CORPUS), [list("ab")], unknown="skip"), ValueError, "unknown must be one of"),
        (lambda: perplexity(object(), [list("ab")]), TypeError, "counts must be bigram counts"),
        (lambda: perplexity(Counts(CORPUS), [[]]), ValueError, "empty sentence"),
    ],
)
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_log_loss_fields():
    loss = LogLoss(nats=6.0, tokens=3, characters=None, sentences=1, unknown=0)
    assert loss.per_token == 2.0 and loss.perplexity == pytest.approx(math.exp(2.0))
    assert loss.per_character is None and loss.character_perplexity is None
