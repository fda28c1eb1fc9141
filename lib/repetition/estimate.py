"""Estimation from counts, and the fit of a bigram model to text: counts, add-δ, log-loss and perplexity.

Book, :numref:`Chapter %s <bigram-setup>`, eq. :eq:`eq-bigram-mle`: the maximum-likelihood bigram estimate
with add-δ smoothing, ``P_ij = (c_ij + δ) / (c_i + (n + 1) δ)``, where ``c_ij``
counts how often token ``j`` follows token ``i`` and ``c_i`` how often ``i``
occurs (followed by a token or by the end token, the (n+1)-th outcome). The
formula itself lives in :func:`add_delta`, which :func:`transition_matrix` and
the rebalanced encoding (:func:`repetition.rebalanced_encoding`) both use.

The fit of such a model to text is its log-loss (book, :numref:`Chapter %s <chapter-expected-repeats>`): a bigram
model with the end token scores a sentence ``y_0 ... y_{L-1}`` as

    π(y_0) · Π_{t=1}^{L-1} P(y_t | y_{t-1}) · P(end | y_{L-1}),

so each sentence has ``L + 1`` predicted tokens (its ``L`` tokens and its end
token). :func:`perplexity` scores held-out sentences under the add-δ model of
training counts (every probability from :func:`add_delta`, never a matrix);
:func:`cross_entropy` scores token-id sentences (e.g. generated text) under a
given transition matrix. Both return a :class:`LogLoss`, normalised per
predicted token and per character of the surface text, so models over
different units (characters, words, merged tokens) of the same text compare
on the same denominator.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._validation import (
    as_array,
    as_float64,
    as_list,
    as_start,
    as_token_lengths,
    as_token_lists,
    check_choice,
    check_dtype,
    check_nonnegative_int,
    check_positive_int,
    check_real,
)
from .chain import as_chain
from .sampling import SampledText

__all__ = [
    "BigramCounts",
    "bigram_counts",
    "add_delta",
    "transition_matrix",
    "LogLoss",
    "perplexity",
    "cross_entropy",
    "UNKNOWN_TOKEN",
]

#: The token that stands for every unknown held-out token with ``unknown="unk"`` in :func:`perplexity`.
UNKNOWN_TOKEN = "<unk>"

_UNKNOWN_RULES = ("raise", "unk")


@dataclass(frozen=True)
class BigramCounts:
    """Bigram counts of a corpus with sentence boundaries.

    Attributes
    ----------
    counts : scipy.sparse.csr_array of int64, shape (n, n + 1)
        ``counts[i, j]``: how often token ``j`` follows token ``i`` inside a
        sequence; ``counts[i, n]``: how often ``i`` ends a sequence.
    starts : numpy.ndarray of int64, shape (n,)
        How often each token begins a sequence.
    vocab : list of str, length n
        Token of each index, most frequent first (ties in code-point order).

    Raises
    ------
    TypeError, ValueError
        When built by hand from inconsistent parts: ``vocab`` not a list of
        distinct strings, ``counts`` not of shape (n, n + 1) or ``starts`` not
        of shape (n,), or negative, NaN or infinite counts. ``counts`` is
        stored as a canonical CSR array (a copy), ``starts`` as an array.

    Examples
    --------
    >>> c = BigramCounts([[0, 2, 0], [0, 0, 3]], [2, 1], ["a", "b"])
    >>> c.n, c.counts.nnz, c.start_distribution.tolist()
    (2, 2, [0.6666666666666666, 0.3333333333333333])
    """

    counts: sp.csr_array
    starts: np.ndarray
    vocab: list[str]

    def __post_init__(self):
        vocab = _as_vocab(self.vocab)
        n = len(vocab)
        if sp.issparse(self.counts):
            C = sp.csr_array(self.counts, copy=True)
            values = as_array(C.data, "counts")
        else:
            C = as_array(self.counts, "counts")
            values = C
        check_dtype(values, "counts")
        if C.shape != (n, n + 1):
            raise ValueError(
                f"counts must have shape (n, n + 1) = ({n}, {n + 1}) for a vocabulary of {n} tokens "
                f"(last column: end token), got shape {C.shape}"
            )
        starts = as_array(self.starts, "starts")
        check_dtype(starts, "starts")
        if starts.shape != (n,):
            raise ValueError(
                f"starts must have shape ({n},), one count per token, got shape {starts.shape}"
            )
        for name, x in (("counts", values), ("starts", starts)):
            if x.dtype.kind == "f" and not np.all(np.isfinite(x)):
                raise ValueError(f"{name} has NaN or infinite entries")
            if np.any(x < 0):
                raise ValueError(
                    f"{name} has negative entries (e.g. {x[x < 0].flat[0]!r})"
                )
        C = sp.csr_array(C)
        C.sum_duplicates()
        C.sort_indices()
        object.__setattr__(self, "counts", C)
        object.__setattr__(self, "starts", starts)
        object.__setattr__(self, "vocab", vocab)

    @property
    def n(self) -> int:
        """Vocabulary size (number of tokens, the end token excluded)."""
        return len(self.vocab)

    @property
    def start_distribution(self) -> np.ndarray:
        """The empirical distribution of sentence-initial tokens, ``starts / starts.sum()`` (float64, shape (n,)).

        The maximum-likelihood start distribution ``π`` of
        :func:`repetition.expected_repeats` and :func:`repetition.sample_to_end`.
        """
        return self.starts / self.starts.sum()


def _as_vocab(vocab, name: str = "vocab") -> list[str]:
    """A vocabulary as a list of distinct str, else a TypeError/ValueError naming ``name``."""
    items = as_list(vocab, name, "a list of token strings")
    for i, t in enumerate(items):
        if not isinstance(t, str):
            raise TypeError(
                f"{name} must hold str tokens, got {name}[{i}] = {t!r} of type {type(t).__name__}"
            )
    if len(set(items)) != len(items):
        seen: set = set()
        twice = next(t for t in items if t in seen or seen.add(t))
        raise ValueError(
            f"{name} lists the token {twice!r} more than once; each token has one row"
        )
    return items


def bigram_counts(sequences, vocab=None) -> BigramCounts:
    """Count bigrams, sequence starts and sequence ends.

    Parameters
    ----------
    sequences : iterable of sequences of str
        Token sequences (sentences, lists of str tokens); empty ones are
        skipped. A bare ``str`` sentence is refused (pass ``list(text)`` for
        characters or ``text.split()`` for words).
    vocab : list of str, optional
        Fixed vocabulary of distinct tokens. By default every token that
        occurs, most frequent first, ties in code-point order. With a given
        vocabulary, a token outside it raises.

    Returns
    -------
    BigramCounts
        Counts over n tokens plus the end token; feed ``.counts`` to
        :func:`repetition.transition_matrix`. Tokens are compared as Python
        strings, exactly (trailing NUL characters included).

    Raises
    ------
    TypeError
        If a sentence is not a sequence of str tokens, or ``vocab`` holds a
        non-string.
    ValueError
        If there is no token at all, ``vocab`` lists a token twice, or a
        token is outside a given ``vocab``.

    Examples
    --------
    >>> c = bigram_counts([["a", "b", "a"], ["b"]])
    >>> c.vocab, c.counts.toarray().tolist(), c.starts.tolist()
    (['a', 'b'], [[0, 1, 1], [1, 0, 1]], [1, 1])
    """
    seqs = [s for s in as_token_lists(sequences) if s]
    if not seqs:
        raise ValueError("sequences holds no token")
    if vocab is None:
        freq = Counter(t for s in seqs for t in s)
        vocab = sorted(freq, key=lambda t: (-freq[t], t))
    vocab = _as_vocab(vocab)
    index = {t: i for i, t in enumerate(vocab)}
    n = len(vocab)
    try:
        ids = [
            np.fromiter((index[t] for t in s), dtype=np.int64, count=len(s))
            for s in seqs
        ]
    except KeyError as exc:
        raise ValueError(
            f"sequences hold the token {exc.args[0]!r}, which is not in vocab"
        ) from None
    src = np.concatenate(ids)
    dst = np.concatenate([np.append(s[1:], n) for s in ids])
    counts = sp.csr_array(
        (np.ones(src.size, dtype=np.int64), (src, dst)), shape=(n, n + 1)
    )
    counts.sum_duplicates()
    counts.sort_indices()
    starts = np.bincount(
        np.array([s[0] for s in ids], dtype=np.int64), minlength=n
    ).astype(np.int64)
    return BigramCounts(counts, starts, vocab)


def _as_counts(values, name: str) -> np.ndarray:
    """``values`` as a float64 array of finite nonnegative numbers, else raise naming ``name``."""
    x = as_float64(as_array(values, name), name)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} has NaN or infinite entries")
    if np.any(x < 0):
        raise ValueError(
            f"{name} has negative entries (e.g. {float(x[x < 0].flat[0])!r})"
        )
    return x


def add_delta(
    counts, totals, n: int, smoothing: float = 0.0, *, end: bool = True
) -> np.ndarray:
    """The add-δ estimate ``(c + δ) / (t + (n + 1) δ)`` of given counts and row totals.

    Parameters
    ----------
    counts : array_like, float or int
        Bigram counts ``c_ij`` (any shape), nonnegative.
    totals : array_like, broadcastable against ``counts``
        The matching row totals ``c_i = Σ_j c_ij`` over the ``n + 1``
        outcomes of the row (the end token included), nonnegative.
    n : int
        Number of tokens (the end token excluded), n >= 1.
    smoothing : float, default 0.0
        The add-δ constant δ >= 0.
    end : bool, default True
        Whether the distribution has the end token among its outcomes
        (``n + 1`` outcomes, a row of the transition matrix) or not (``n``
        outcomes: the first token of a sentence, whose denominator is
        ``t + n δ``).

    Returns
    -------
    numpy.ndarray of float64, shape of ``counts`` (broadcast)
        ``(c + δ) / (t + (n + 1) δ)`` (``(c + δ) / (t + n δ)`` without the
        end token), a correctly rounded quotient, and 0 where the denominator
        is 0 (a token never seen, with δ = 0). Book, :numref:`Chapter %s <bigram-setup>`, eq.
        :eq:`eq-bigram-mle`.

    Raises
    ------
    TypeError
        If ``n`` is not an integer, ``smoothing`` not a real number, ``end``
        not a bool, or ``counts``/``totals`` has a non-real dtype.
    ValueError
        If ``n < 1``, ``smoothing < 0``, ``counts``/``totals`` has negative,
        NaN or infinite entries, or their shapes do not broadcast.

    Examples
    --------
    >>> add_delta([1, 2, 0], 4, n=2).tolist()
    [0.25, 0.5, 0.0]
    >>> add_delta([1, 2, 0], 4, n=2, smoothing=1.0).tolist()
    [0.2857142857142857, 0.42857142857142855, 0.14285714285714285]
    """
    n = check_positive_int(n, "n")
    delta = check_real(smoothing, "smoothing", 0.0, None, low_open=False)
    if not isinstance(end, (bool, np.bool_)):
        raise TypeError(f"end must be True or False, got {end!r}")
    C, T = _as_counts(counts, "counts"), _as_counts(totals, "totals")
    m = n + 1 if end else n
    with np.errstate(over="ignore"):
        c, t = C + delta, T + m * delta
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(c))):
        # a huge δ (or total) overflows the sum: the same quotient with both sides divided by s
        s = max(delta, float(np.max(T, initial=0.0)), float(np.max(C, initial=0.0)))
        c, t = C / s + delta / s, T / s + m * (delta / s)
    try:
        c, t = np.broadcast_arrays(c, t)
    except ValueError:
        raise ValueError(
            f"totals of shape {t.shape} does not broadcast against counts of shape {c.shape}"
        ) from None
    return np.divide(c, t, out=np.zeros(c.shape), where=t > 0)


def transition_matrix(counts, smoothing: float = 0.0):
    """Bigram maximum-likelihood estimate with add-δ smoothing.

    Parameters
    ----------
    counts : array_like or scipy.sparse matrix, shape (n, n + 1)
        ``counts[i, j]`` is how often token ``j`` follows token ``i`` in the
        training text; the last column counts how often ``i`` ends a sentence
        (is followed by the end token). Nonnegative, finite, real dtype.
    smoothing : float, default 0.0
        The add-δ constant δ >= 0 added to each of the n + 1 counts of every
        row before normalising (δ = 1 is add-one, Laplace smoothing).

    Returns
    -------
    P : numpy.ndarray or scipy.sparse.csr_array, shape (n, n), float64
        ``P[i, j] = (counts[i, j] + δ) / (Σ_j' counts[i, j'] + (n + 1) δ)``
        for the token columns only, so each row sums to at most 1 and the
        missing mass ``1 - P[i].sum()`` is the probability of stopping after
        token ``i`` (book, :numref:`Chapter %s <bigram-setup>`, eq. :eq:`eq-bigram-mle`). Rows with no
        counts and δ = 0 are zero (the model stops at once). Sparse input
        gives CSR output when δ = 0; with δ > 0 every entry is positive and
        the result is a dense array.

    Raises
    ------
    TypeError
        If ``counts`` has a complex, boolean or object dtype.
    ValueError
        If ``counts`` is not 2-D of shape (n, n + 1) with n >= 1, has
        negative, NaN or infinite entries, or ``smoothing`` is negative.

    Examples
    --------
    >>> import numpy as np
    >>> C = np.array([[1, 2, 1], [0, 0, 4]])
    >>> transition_matrix(C)
    array([[0.25, 0.5 ],
           [0.  , 0.  ]])
    """
    delta = check_real(smoothing, "smoothing", 0.0, None, low_open=False)
    if sp.issparse(counts):
        C = sp.csr_array(counts)
        check_dtype(np.empty(0, dtype=C.dtype), "counts")
    else:
        C = as_array(counts, "counts")
        check_dtype(C, "counts")
    if C.ndim != 2 or C.shape[0] < 1 or C.shape[1] != C.shape[0] + 1:
        raise ValueError(
            f"counts must have shape (n, n + 1) with n >= 1 (last column: end token), got {C.shape}"
        )
    n = C.shape[0]
    values = C.data if sp.issparse(C) else C
    if not np.all(np.isfinite(values)):
        raise ValueError("counts has NaN or infinite entries")
    if np.any(values < 0):
        raise ValueError(
            f"counts has negative entries (e.g. {float(values[values < 0][0])!r})"
        )
    if sp.issparse(C):
        C = sp.csr_array(
            (as_float64(np.asarray(C.data), "counts"), C.indices, C.indptr),
            shape=C.shape,
        )
        C.sum_duplicates()
        totals = np.asarray(C.sum(axis=1)).ravel()
        if delta > 0:
            return add_delta(C.toarray()[:, :n], totals[:, None], n, delta)
        P = sp.csr_array(C[:, :n])
        P.eliminate_zeros()
        P.sort_indices()
        rows = np.repeat(np.arange(n), np.diff(P.indptr))
        P.data = add_delta(P.data, totals[rows], n)
        return P
    C = as_float64(C, "counts")
    return add_delta(C[:, :n], C.sum(axis=1)[:, None], n, delta)


# ---------------------------------------------------------------- log-loss and perplexity


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
        return (
            math.exp(self.nats / self.characters)
            if math.isfinite(self.nats)
            else math.inf
        )


def _sentences(
    sequences, name: str = "sequences", ids: bool = False
) -> tuple[list, np.ndarray]:
    """Non-empty sentences as lists (of str tokens, or of integer ids with ``ids``), and their offsets."""
    out = as_token_lists(sequences, name, ids)
    for i, s in enumerate(out):
        if not s:
            raise ValueError(
                f"{name} holds an empty sentence ({name}[{i}]); a sentence has at least one token "
                "before its end token"
            )
    if not out:
        raise ValueError(f"{name} holds no sentence")
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in out])]).astype(np.int64)
    return out, offsets


def _transitions(ids: np.ndarray, offsets: np.ndarray):
    """First tokens, (previous, next) pairs inside sentences, and last tokens of a flat batch."""
    first = ids[offsets[:-1]]
    last = ids[offsets[1:] - 1]
    inner = np.ones(ids.size, dtype=bool)
    inner[offsets[:-1]] = False  # positions with a predecessor in the same sentence
    nxt_pos = np.flatnonzero(inner)
    return first, ids[nxt_pos - 1], ids[nxt_pos], last


def _nats(p: np.ndarray) -> float:
    """``Σ -log p``, ``math.inf`` exactly when some ``p`` is 0."""
    if np.any(p <= 0):
        return math.inf
    return float(-np.sum(np.log(p)))


def _entries(C: sp.csr_array, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``C[rows[i], cols[i]]`` for many pairs of a canonical CSR matrix (0 where nothing is stored)."""
    C = sp.csr_array(C)
    if not C.has_canonical_format:  # never reorder the caller's arrays in place
        C = C.copy()
        C.sum_duplicates()
    out = np.zeros(rows.size, dtype=np.float64)
    keys = (
        np.repeat(np.arange(C.shape[0], dtype=np.int64), np.diff(C.indptr)) * C.shape[1]
        + C.indices
    )
    want = rows.astype(np.int64) * C.shape[1] + cols
    if keys.size == 0:
        return out
    pos = np.minimum(np.searchsorted(keys, want), keys.size - 1)
    hit = keys[pos] == want
    out[hit] = C.data[pos[hit]]
    return out


def perplexity(
    counts,
    sequences,
    smoothing: float = 1.0,
    separator: str = "",
    unknown: str = "raise",
) -> LogLoss:
    """Log-loss and perplexity of held-out sentences under the add-δ bigram model of training counts.

    Parameters
    ----------
    counts : BigramCounts
        Training counts, as :func:`bigram_counts` returns them: ``.counts``
        (n, n + 1) with the end token last, ``.starts`` (n,) the
        sentence-initial counts, ``.vocab`` the n tokens.
    sequences : iterable of sequences of str
        Held-out sentences (non-empty lists of tokens), without end tokens.
    smoothing : float
        The add-δ constant δ >= 0 (δ = 1: add-one); the same δ smooths the
        first-token distribution and every row.
    separator : str
        What joins tokens in the surface text ("" for characters and
        Chinese words, " " for English words); used to count characters.
    unknown : {"raise", "unk"}
        What to do with tokens outside ``counts.vocab``: refuse (default), or
        score them all as one extra token ``<unk>`` with zero training
        counts (which needs δ > 0 for a finite result). ``<unk>`` adds one
        outcome to every distribution: ``P(j | i) = (c_ij + δ) /
        (c_i + (n + 2) δ)`` and ``π(j) = (s_j + δ) / (S + (n + 1) δ)``.

    Returns
    -------
    LogLoss
        ``.nats`` the total negative log-likelihood, ``.tokens`` the
        predicted tokens (each sentence's tokens and its end token),
        ``.characters`` the characters of the surface text; ``.perplexity``
        ``= exp(nats / tokens)`` and ``.character_perplexity``
        ``= exp(nats / characters)``. Every probability is the add-δ
        estimate of :func:`add_delta`: ``P(j | i) = (c_ij + δ) / (c_i + (n + 1) δ)``
        over the n tokens and the end token, ``π(j) = (s_j + δ) / (S + n δ)``
        for the first token (``S`` the number of training sentences).
        Infinite, decided exactly from the counts, when δ = 0 and a held-out
        event was never seen in training.

    Raises
    ------
    TypeError
        If ``counts`` is not a :class:`BigramCounts`, ``smoothing`` not a
        real number, ``separator`` or ``unknown`` not a str, a sentence is a
        bare str (pass a list of tokens) or not a sequence.
    ValueError
        For a negative ``smoothing``, an unknown rule, no or empty sentences,
        or (with ``unknown="raise"``) a token outside the vocabulary.

    Notes
    -----
    Book, :numref:`Chapter %s <chapter-expected-repeats>` (the trade-off between repetition and fit). The
    smoothed model is never formed as a matrix: each held-out event's
    probability is read from the counts, so word-level vocabularies cost
    only the held-out text.

    Examples
    --------
    Training text "ab", "ab", "b" (counts: a→b twice, b→end three times,
    starts a twice and b once), add-one smoothing:

    >>> counts = bigram_counts([["a", "b"], ["a", "b"], ["b"]])
    >>> result = perplexity(counts, [["a", "b"]], smoothing=1.0)
    >>> result.tokens, result.characters   # a, b and the end token; "ab"
    (3, 2)
    >>> round(result.nats, 12)   # -log(π(a) P(b|a) P(end|b)) = -log(3/5 · 3/5 · 4/6)
    1.42711635564
    """
    if not isinstance(counts, BigramCounts):
        raise TypeError(
            f"counts must be BigramCounts (from bigram_counts), got {type(counts).__name__}"
        )
    delta = check_real(smoothing, "smoothing", 0.0, None, low_open=False)
    unknown = check_choice(unknown, "unknown", _UNKNOWN_RULES)
    if not isinstance(separator, str):
        raise TypeError(f"separator must be a str, got {type(separator).__name__}")
    n = counts.n
    C = counts.counts
    seqs, offsets = _sentences(sequences)
    index = {t: i for i, t in enumerate(counts.vocab)}
    flat = [t for s in seqs for t in s]
    ids = np.fromiter((index.get(t, -1) for t in flat), dtype=np.int64, count=len(flat))
    missing = int(np.sum(ids < 0))
    if missing and unknown == "raise":
        bad = flat[int(np.flatnonzero(ids < 0)[0])]
        raise ValueError(
            f"sequences hold {missing} token(s) outside the training vocabulary (e.g. {bad!r}); "
            "pass unknown='unk' to score them as one unknown token"
        )
    tokens = n + (
        1 if unknown == "unk" else 0
    )  # the tokens of the model, <unk> included
    ids[ids < 0] = n  # the unknown token's id (its counts are all zero)
    first, prev, nxt, last = _transitions(ids, offsets)
    row_total = np.append(np.asarray(C.sum(axis=1), dtype=np.float64).ravel(), 0.0)
    start_counts = np.append(counts.starts.astype(np.float64), 0.0)
    known = (prev < n) & (nxt < n)
    pair = np.zeros(prev.size)
    pair[known] = _entries(C, prev[known], nxt[known])
    end_counts = np.append(_entries(C, np.arange(n), np.full(n, n)), 0.0)
    p_first = add_delta(
        start_counts[first], float(counts.starts.sum()), tokens, delta, end=False
    )
    p_pair = add_delta(pair, row_total[prev], tokens, delta)
    p_end = add_delta(end_counts[last], row_total[last], tokens, delta)
    nats = _nats(p_first) + _nats(p_pair) + _nats(p_end)
    characters = sum(len(t) for t in flat) + len(separator) * (len(flat) - len(seqs))
    return LogLoss(nats, len(flat) + len(seqs), characters, len(seqs), missing)


def cross_entropy(
    P, sequences, start=None, token_lengths=None, separator_length: int = 0
) -> LogLoss:
    """Log-loss of token-id sentences (e.g. generated text) under a bigram decoder ``P`` and start ``π``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        The scoring model (e.g. the untruncated maximum-likelihood estimate,
        while the text was generated by a truncated or tempered one); its
        missing row mass is the end token's probability.
    sequences : SampledText or iterable of sequences of int
        Sentences of token ids in ``0..n-1`` (the output of
        :func:`repetition.sample_to_end`, or lists of ids).
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
    >>> # -log(0.5 · 0.25 · 0.5 · 0.5 · 0.5) = 6 log 2
    >>> result.tokens, round(result.nats, 12)
    (5, 4.15888308336)
    """
    chain = as_chain(P)
    n = chain.n
    pi = as_start(start, n)
    separator_length = check_nonnegative_int(separator_length, "separator_length")
    lengths = (
        None
        if token_lengths is None
        else as_token_lengths(token_lengths, n, integer=True)
    )
    if isinstance(sequences, SampledText):
        ids, offsets = sequences.tokens, sequences.offsets
        if np.any(np.diff(offsets) <= 0):
            raise ValueError(
                "sequences holds an empty sentence; a sentence has at least one token before its end token"
            )
    else:
        seqs, offsets = _sentences(sequences, ids=True)
        ids = np.array([t for s in seqs for t in s], dtype=np.int64)
    if ids.size and (ids.min() < 0 or ids.max() >= n):
        bad = ids[(ids < 0) | (ids >= n)][0]
        raise ValueError(f"sequences must hold token ids in 0..{n - 1}, got {bad}")
    first, prev, nxt, last = _transitions(ids, offsets)
    nats = (
        _nats(pi[first])
        + _nats(_entries(chain.graph, prev, nxt))
        + _nats(chain.end_mass[last])
    )
    sentences = offsets.size - 1
    characters = None
    if lengths is not None:
        characters = int(lengths[ids].sum()) + separator_length * (ids.size - sentences)
    return LogLoss(nats, int(ids.size + sentences), characters, int(sentences), 0)
