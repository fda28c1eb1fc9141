"""Perplexity of held-out text under a smoothed bigram model, and cross-entropy of generated text.

The other side of the trade-off a decoding rule or an encoding makes: a rule
that repeats less may fit the language worse. A bigram model with the end
token scores a sentence ``y_0 ... y_{L-1}`` as

    π(y_0) · Π_{t=1}^{L-1} P(y_t | y_{t-1}) · P(end | y_{L-1}),

so each sentence has ``L + 1`` predicted tokens: its ``L`` tokens and its end
token. The log-loss is the negative natural logarithm of that probability,
summed over sentences; per token it is divided by the predicted tokens (end
tokens included), per character by the characters of the surface text, so
models over different units (characters, words, merged tokens) of the same
text compare on the same denominator.

The model is the add-δ estimate from training counts: for every token ``i``,
``P(j | i) = (c_ij + δ) / (c_i + (n + 1) δ)`` over the n tokens and the end
token, and the first token ``π(j) = (s_j + δ) / (S + n δ)`` from the counts
``s_j`` of sentence-initial tokens (``S`` their total). Unknown tokens (not in
the training vocabulary) are refused by default; with ``unknown="unk"`` they
are all mapped to one extra token ``<unk>`` with zero training counts, which
adds one outcome to every distribution (denominators ``c_i + (n + 2) δ`` and
``S + (n + 1) δ``). A zero probability (δ = 0 and an unseen event) gives an
infinite log-loss, decided exactly from the counts.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._validation import as_transition_matrix, check_real
from .expected import SampledText, _as_start  # the one validator of start distributions

__all__ = ["LogLoss", "split_sentences", "perplexity", "cross_entropy", "UNKNOWN_TOKEN"]

#: The token that stands for every unknown held-out token with ``unknown="unk"``.
UNKNOWN_TOKEN = "<unk>"

_UNKNOWN_RULES = ("raise", "unk")


@dataclass(frozen=True)
class LogLoss:
    """The log-loss of a set of sentences under a bigram model, with its normalisations.

    Attributes
    ----------
    nats : float
        Total negative log-likelihood (natural logarithm), ``math.inf`` if
        some predicted token has probability 0.
    tokens : int
        Predicted tokens: every token of every sentence plus one end token
        per sentence.
    characters : int or None
        Characters of the surface text (tokens joined by the separator, one
        separator fewer than tokens per sentence); None when unknown.
    sentences : int
        Number of sentences.
    unknown : int
        Tokens that were not in the training vocabulary and were scored as
        ``<unk>`` (0 unless ``unknown="unk"``).
    """

    nats: float
    tokens: int
    characters: int | None
    sentences: int
    unknown: int

    @property
    def per_token(self) -> float:
        """Cross-entropy in nats per predicted token (end tokens included)."""
        return self.nats / self.tokens

    @property
    def perplexity(self) -> float:
        """Per-token perplexity ``exp(nats / tokens)``."""
        return math.exp(self.per_token) if math.isfinite(self.nats) else math.inf

    @property
    def per_character(self) -> float | None:
        """Cross-entropy in nats per character of surface text (None without characters)."""
        return None if self.characters is None else self.nats / self.characters

    @property
    def character_perplexity(self) -> float | None:
        """Per-character perplexity ``exp(nats / characters)`` (None without characters)."""
        if self.characters is None:
            return None
        return math.exp(self.nats / self.characters) if math.isfinite(self.nats) else math.inf


def split_sentences(sequences, heldout: float = 0.1, seed: int = 0) -> tuple[list, list]:
    """Split sentences into training and held-out parts, reproducibly.

    Parameters
    ----------
    sequences : sequence
        The sentences (any items; typically lists of tokens).
    heldout : float
        Fraction held out, in (0, 1); ``round(heldout * m)`` sentences, at
        least 1 and at most ``m - 1``.
    seed : int
        Seed of the random choice (``numpy.random.default_rng(seed)``).

    Returns
    -------
    (list, list)
        Training and held-out sentences, each in the original order. The
        same ``sequences``, ``heldout`` and ``seed`` always give the same
        split.

    Raises
    ------
    TypeError, ValueError
        For a ``heldout`` outside (0, 1), fewer than 2 sentences, or a seed
        ``numpy.random.default_rng`` refuses.

    Examples
    --------
    >>> train, test = split_sentences(["a", "b", "c", "d", "e"], heldout=0.4, seed=1)
    >>> len(train), len(test), sorted(train + test) == ["a", "b", "c", "d", "e"]
    (3, 2, True)
    """
    heldout = check_real(heldout, "heldout", 0.0, 1.0, low_open=True, high_open=True)
    items = list(sequences)
    m = len(items)
    if m < 2:
        raise ValueError(f"sequences must hold at least 2 sentences to split, got {m}")
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError(f"seed must be a nonnegative int, got {seed!r}")
    try:
        rng = np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"seed must be a nonnegative int, got {seed!r}") from exc
    k = min(max(int(round(heldout * m)), 1), m - 1)
    mask = np.zeros(m, dtype=bool)
    mask[rng.choice(m, size=k, replace=False)] = True
    return [s for s, h in zip(items, mask) if not h], [s for s, h in zip(items, mask) if h]


def _flat(sequences, name: str = "sequences") -> tuple[list, np.ndarray]:
    seqs = [list(s) for s in sequences]
    if any(len(s) == 0 for s in seqs):
        raise ValueError(f"{name} holds an empty sentence; a sentence has at least one token before its end token")
    if not seqs:
        raise ValueError(f"{name} holds no sentence")
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in seqs])]).astype(np.int64)
    return seqs, offsets


def _transitions(ids: np.ndarray, offsets: np.ndarray):
    """First tokens, (previous, next) pairs inside sentences, and last tokens of a flat batch."""
    first = ids[offsets[:-1]]
    last = ids[offsets[1:] - 1]
    inner = np.ones(ids.size, dtype=bool)
    inner[offsets[:-1]] = False  # positions with a predecessor in the same sentence
    nxt_pos = np.flatnonzero(inner)
    return first, ids[nxt_pos - 1], ids[nxt_pos], last


def _log(p: np.ndarray) -> float:
    """``Σ -log p``, ``math.inf`` exactly when some ``p`` is 0."""
    if np.any(p <= 0):
        return math.inf
    return float(-np.sum(np.log(p)))


def _entries(C: sp.csr_array, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``C[rows[i], cols[i]]`` for many pairs of a canonical CSR matrix (0 where nothing is stored)."""
    C = sp.csr_array(C)
    C.sum_duplicates()
    C.sort_indices()
    out = np.zeros(rows.size, dtype=np.float64)
    keys = np.repeat(np.arange(C.shape[0], dtype=np.int64), np.diff(C.indptr)) * C.shape[1] + C.indices
    want = rows.astype(np.int64) * C.shape[1] + cols
    if keys.size == 0:
        return out
    pos = np.minimum(np.searchsorted(keys, want), keys.size - 1)
    hit = keys[pos] == want
    out[hit] = C.data[pos[hit]]
    return out


def perplexity(counts, sequences, smoothing: float = 1.0, separator: str = "", unknown: str = "raise") -> LogLoss:
    """Log-loss and perplexity of held-out sentences under the add-δ bigram model of training counts.

    Parameters
    ----------
    counts : BigramCounts
        Training counts, as :func:`repetition.bigram_counts` returns them:
        ``.counts`` (n, n + 1) with the end token last, ``.starts`` (n,) the
        sentence-initial counts, ``.vocab`` the n tokens.
    sequences : iterable of sequences of str
        Held-out sentences (non-empty), without end tokens.
    smoothing : float
        The add-δ constant δ >= 0 (δ = 1: add-one); the same δ smooths the
        first-token distribution and every row.
    separator : str
        What joins tokens in the surface text ("" for characters and
        Chinese words, " " for English words); used to count characters.
    unknown : {"raise", "unk"}
        What to do with tokens outside ``counts.vocab``: refuse (default), or
        score them all as one extra token ``<unk>`` with zero training
        counts (which needs δ > 0 for a finite result).

    Returns
    -------
    LogLoss
        ``.nats`` the total negative log-likelihood, ``.tokens`` the
        predicted tokens (each sentence's tokens and its end token),
        ``.characters`` the characters of the surface text; ``.perplexity``
        ``= exp(nats / tokens)`` and ``.character_perplexity``
        ``= exp(nats / characters)``. Infinite when δ = 0 and a held-out
        event was never seen in training.

    Raises
    ------
    TypeError
        If ``counts`` lacks ``counts``, ``starts`` or ``vocab``.
    ValueError
        For a negative ``smoothing``, an unknown rule, empty sentences, or
        (with ``unknown="raise"``) a token outside the vocabulary.

    Notes
    -----
    Book, Chapter 8 (the trade-off between repetition and fit). The
    smoothed model is never formed as a matrix: each held-out event's
    probability is read from the counts, so word-level vocabularies cost
    only the held-out text.

    Examples
    --------
    Training text "ab", "ab", "b" (counts: a→b twice, b→end three times,
    starts a twice and b once), add-one smoothing:

    >>> from types import SimpleNamespace
    >>> counts = SimpleNamespace(counts=np.array([[0, 2, 0], [0, 0, 3]]), starts=np.array([2, 1]),
    ...                          vocab=["a", "b"])
    >>> result = perplexity(counts, [["a", "b"]], smoothing=1.0)
    >>> result.tokens, result.characters   # a, b and the end token; "ab"
    (3, 2)
    >>> round(result.nats, 12)   # -log(π(a) P(b|a) P(end|b)) = -log(3/5 · 3/5 · 4/6)
    1.42711635564
    """
    for attr in ("counts", "starts", "vocab"):
        if not hasattr(counts, attr):
            raise TypeError(f"counts must be bigram counts with .counts, .starts and .vocab, got {type(counts).__name__}")
    delta = check_real(smoothing, "smoothing", 0.0, None, low_open=False)
    if unknown not in _UNKNOWN_RULES:
        raise ValueError(f"unknown must be one of {_UNKNOWN_RULES}, got {unknown!r}")
    if not isinstance(separator, str):
        raise TypeError(f"separator must be a str, got {type(separator).__name__}")
    vocab = list(counts.vocab)
    n = len(vocab)
    C = sp.csr_array(counts.counts) if sp.issparse(counts.counts) else sp.csr_array(np.asarray(counts.counts))
    starts = np.asarray(counts.starts, dtype=np.float64)
    if C.shape != (n, n + 1) or starts.shape != (n,):
        raise ValueError(f"counts.counts must have shape ({n}, {n + 1}) and counts.starts ({n},), "
                         f"got {C.shape} and {starts.shape}")
    seqs, offsets = _flat(sequences)
    index = {t: i for i, t in enumerate(vocab)}
    flat = [t for s in seqs for t in s]
    ids = np.fromiter((index.get(t, -1) for t in flat), dtype=np.int64, count=len(flat))
    missing = int(np.sum(ids < 0))
    if missing and unknown == "raise":
        bad = flat[int(np.flatnonzero(ids < 0)[0])]
        raise ValueError(
            f"sequences hold {missing} token(s) outside the training vocabulary (e.g. {bad!r}); "
            "pass unknown='unk' to score them as one unknown token"
        )
    outcomes = n + 1 + (1 if unknown == "unk" else 0)  # tokens (with <unk>) and the end token
    first_outcomes = outcomes - 1
    unk = n  # the unknown token's id (its counts are all zero)
    ids[ids < 0] = unk
    first, prev, nxt, last = _transitions(ids, offsets)
    row_total = np.append(np.asarray(C.sum(axis=1), dtype=np.float64).ravel(), 0.0)
    start_counts = np.append(starts, 0.0)
    known = (prev < n) & (nxt < n)
    pair = np.zeros(prev.size)
    pair[known] = _entries(C, prev[known], nxt[known])
    end_counts = np.append(_entries(C, np.arange(n), np.full(n, n)), 0.0)
    p_first = (start_counts[first] + delta) / (starts.sum() + first_outcomes * delta)
    p_pair = (pair + delta) / (row_total[prev] + outcomes * delta)
    p_end = (end_counts[last] + delta) / (row_total[last] + outcomes * delta)
    with np.errstate(divide="ignore", invalid="ignore"):
        nats = _log(np.nan_to_num(p_first)) + _log(np.nan_to_num(p_pair)) + _log(np.nan_to_num(p_end))
    characters = sum(len(t) for t in flat) + len(separator) * (len(flat) - len(seqs))
    return LogLoss(nats, len(flat) + len(seqs), characters, len(seqs), missing)


def cross_entropy(P, sequences, start=None, token_lengths=None, separator_length: int = 0) -> LogLoss:
    """Log-loss of token-id sentences (e.g. generated text) under a bigram decoder ``P`` and start ``π``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        The scoring model (e.g. the untruncated maximum-likelihood estimate,
        while the text was generated by a truncated or tempered one); its
        missing row mass is the end token's probability.
    sequences : SampledText or iterable of sequences of int
        Sentences of token ids in ``0..n-1`` (the output of
        :func:`repetition.expected.sample_to_end`, or lists of ids).
    start : array_like of float, shape (n,), optional
        First-token distribution ``π``; uniform when None.
    token_lengths : array_like of int, shape (n,), optional
        Characters of each token, for the per-character figures.
    separator_length : int
        Characters between consecutive tokens of a sentence (0 or 1).

    Returns
    -------
    LogLoss
        As :func:`perplexity`: each sentence contributes ``-log π(y_0)``,
        ``-log P[y_{t-1}, y_t]`` and ``-log(1 - Σ_j P[y_{L-1}, j])`` for its end
        token (the end probability taken as ``max(0, 1 - fsum(row))``); the
        tokens counted include one end token per sentence. Infinite when a
        sentence uses an event of probability 0 under ``P`` (text from
        truncation or temperature never does: both keep within the support).

    Raises
    ------
    TypeError, ValueError
        For an invalid ``P`` or ``start``, empty sentences, ids outside
        ``0..n-1``, token lengths that are not nonnegative integers of shape
        (n,), or a ``separator_length`` that is not an integer >= 0.

    Examples
    --------
    >>> P = [[0.5, 0.25], [0.0, 0.5]]
    >>> result = cross_entropy(P, [[0, 1], [1]], start=[0.5, 0.5])
    >>> result.tokens, round(result.nats, 12)   # -log(0.5 · 0.25 · 0.5 · 0.5 · 0.5) = 6 log 2
    (5, 4.15888308336)
    """
    P = as_transition_matrix(P)
    n = P.shape[0]
    pi = _as_start(start, n)
    if isinstance(separator_length, (bool, np.bool_)) or not isinstance(separator_length, numbers.Integral):
        raise TypeError(f"separator_length must be an integer >= 0, got {separator_length!r}")
    if separator_length < 0:
        raise ValueError(f"separator_length must be an integer >= 0, got {separator_length!r}")
    separator_length = int(separator_length)
    if isinstance(sequences, SampledText):
        ids = np.asarray(sequences.tokens, dtype=np.int64)
        offsets = np.asarray(sequences.offsets, dtype=np.int64)
        if np.any(np.diff(offsets) <= 0):
            raise ValueError("sequences holds an empty sentence")
    else:
        seqs, offsets = _flat(sequences)
        ids = np.array([t for s in seqs for t in s], dtype=np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= n):
        bad = ids[(ids < 0) | (ids >= n)][0]
        raise ValueError(f"sequences must hold token ids in 0..{n - 1}, got {bad}")
    G = sp.csr_array(P) if sp.issparse(P) else sp.csr_array(np.asarray(P))
    first, prev, nxt, last = _transitions(ids, offsets)
    end = np.zeros(n)
    for i in np.unique(last):
        end[i] = max(0.0, -math.fsum(G.data[G.indptr[i]:G.indptr[i + 1]].tolist() + [-1.0]))
    nats = _log(pi[first]) + _log(_entries(G, prev, nxt)) + _log(end[last])
    characters = None
    if token_lengths is not None:
        lengths = np.asarray(token_lengths)
        if lengths.dtype.kind not in "iu":
            raise TypeError(f"token_lengths must be integers, got dtype {lengths.dtype}")
        if lengths.shape != (n,):
            raise ValueError(f"token_lengths must have shape ({n},), one length per token, got shape {lengths.shape}")
        if np.any(lengths < 0):
            i = int(np.flatnonzero(lengths < 0)[0])
            raise ValueError(f"token_lengths must be nonnegative, got token_lengths[{i}] = {int(lengths[i])}")
        sentences = offsets.size - 1
        characters = int(lengths[ids].sum()) + separator_length * (ids.size - sentences)
    return LogLoss(nats, int(ids.size + offsets.size - 1), characters, int(offsets.size - 1), 0)
