"""Repetition in generated text: rep-w, rep-r, seq-rep-n, and the immediate repeats behind ``M``.

Book, :numref:`Chapter %s <chapter-rebalanced>`, section "Measuring repetition". Definitions follow the
sources exactly (window and pooling included):

* rep-w and rep-r as in the code released with Fu et al. (2021)
  (``src/eval_metrics.py``: ``get_rep`` with ``l = 16``, ``get_repc``);
* seq-rep-n of Welleck et al. (2020), one n, reported at n = 4;
* seq-rep-n pooled over n = 1..4 as in Fu et al.'s code (``get_seq_rep_n``),
  which puts the n-grams of all orders into one list before counting.

Book, :numref:`Chapter %s <chapter-expected-repeats>`: :func:`immediate_repeats` counts the immediate repeats of
one sequence (the events whose expectation is
:func:`repetition.expected_repeats`), :func:`sampled_repeats` those of many
sampled sequences at once.

Tokens. Every function takes one sequence of tokens: a list, tuple or 1-D
array whose items are strings or integers (numpy integers included). Equal
tokens are equal values (``1`` and ``"1"`` differ). A bare ``str`` is refused
rather than read silently as characters (other tools split text on
whitespace): pass ``list(text)`` for its characters or ``text.split()`` for
its words. Floats (NaN included: it is unequal to itself, so it would count
differently in a list and in an array), booleans and other objects are
refused with the position of the first one.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from . import _repeats
from ._validation import check_memory, check_positive_int
from .sampling import SampledText

__all__ = [
    "rep_w",
    "rep_r",
    "seq_rep_n",
    "seq_rep_pooled",
    "immediate_repeats",
    "sampled_repeats",
]


def _describe(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _as_tokens(tokens, name: str = "tokens", *, allow_empty: bool = False) -> list:
    """One sequence of str or int tokens as a list, else a TypeError/ValueError naming ``name``."""
    if isinstance(tokens, (str, bytes)):
        raise TypeError(
            f"{name} is a {type(tokens).__name__} ({_describe(tokens)}), not a sequence of tokens; pass "
            f"list(text) to count its characters or text.split() for its whitespace-separated words"
        )
    if sp.issparse(tokens):
        raise TypeError(
            f"{name} must be a sequence of tokens, got a sparse {type(tokens).__name__}"
        )
    if isinstance(tokens, np.ndarray):
        if tokens.ndim != 1:
            raise ValueError(
                f"{name} must be one sequence (1-D), got shape {tokens.shape}"
            )
        if tokens.dtype.kind not in "iuUO":
            raise TypeError(
                f"{name} must hold strings or integers, got dtype {tokens.dtype}"
            )
        items = tokens.tolist()
    else:
        try:
            items = list(tokens)
        except TypeError:
            raise TypeError(
                f"{name} must be a sequence of tokens, got {type(tokens).__name__}"
            ) from None
    for i, token in enumerate(items):
        if isinstance(token, str) or (
            isinstance(token, numbers.Integral)
            and not isinstance(token, (bool, np.bool_))
        ):
            continue
        raise TypeError(
            f"{name} must hold strings or integers, got {name}[{i}] = {_describe(token)} "
            f"of type {type(token).__name__}"
        )
    if not items and not allow_empty:
        raise ValueError(f"{name} is empty; repetition metrics need at least one token")
    return items


def _as_token_ids(tokens, name: str = "tokens") -> np.ndarray:
    """A token sequence (validated by :func:`_as_tokens`, possibly empty) as int64 ids, equal where tokens are."""
    if (
        isinstance(tokens, np.ndarray)
        and tokens.ndim == 1
        and tokens.dtype.kind in "iu"
    ):
        return tokens.astype(np.int64)
    items = _as_tokens(tokens, name, allow_empty=True)
    index: dict = {}
    return np.fromiter(
        (index.setdefault(t, len(index)) for t in items),
        dtype=np.int64,
        count=len(items),
    )


def rep_w(tokens, window: int = 16) -> float:
    """rep-w: the fraction of tokens that already occur among the previous ``window`` tokens.

    Parameters
    ----------
    tokens : sequence of str or int, length L >= 1
        One generated sequence (see the module notes on tokens).
    window : int, default 16
        How many preceding tokens are searched (Fu et al. 2021 use 16).

    Returns
    -------
    float
        ``(1/L) Σ_t 1[y_t ∈ {y_(t-window), ..., y_(t-1)}]`` with positions
        before the start ignored (book, :numref:`Chapter %s <chapter-rebalanced>`, eq. :eq:`eq-rep-w`).

    Raises
    ------
    TypeError
        If ``tokens`` is not a sequence or ``window`` not an integer.
    ValueError
        If ``tokens`` is empty or ``window < 1``.

    Examples
    --------
    >>> # the second a and b are 3 back: outside a window of 2
    >>> rep_w(list("abcab"), window=2)
    0.0
    >>> rep_w(list("abcab"), window=3)
    0.4
    """
    tokens = _as_tokens(tokens)
    window = check_positive_int(window, "window")
    last: dict = {}
    hits = 0
    for t, y in enumerate(tokens):
        prev = last.get(y)
        if prev is not None and t - prev <= window:
            hits += 1
        last[y] = t
    return hits / len(tokens)


def rep_r(tokens) -> float:
    """rep-r: the fraction of positions that belong to a bigram occurring more than once.

    Parameters
    ----------
    tokens : sequence of str or int, length L >= 1
        One generated sequence (see the module notes on tokens).

    Returns
    -------
    float
        ``(1/L) #{t : (y_(t-1), y_t) or (y_t, y_(t+1)) occurs at least twice
        in the sequence}`` (Fu et al. 2021, code ``get_repc``; book, Chapter
        7, eq. :eq:`eq-rep-r`). Overlapping occurrences count (``aaa`` holds
        the bigram ``aa`` twice). 0 for L = 1.

    Raises
    ------
    TypeError, ValueError
        If ``tokens`` is not a sequence or is empty.

    Examples
    --------
    >>> rep_r(list("abxab"))   # ab twice: positions 0, 1, 3, 4
    0.8
    """
    tokens = _as_tokens(tokens)
    L = len(tokens)
    if L < 2:
        return 0.0
    bigrams = list(zip(tokens[:-1], tokens[1:], strict=True))
    counts: dict = {}
    for b in bigrams:
        counts[b] = counts.get(b, 0) + 1
    label = [False] * L
    for t, b in enumerate(bigrams):
        if counts[b] > 1:
            label[t] = label[t + 1] = True
    return sum(label) / L


def _ngrams(tokens: list, n: int) -> list:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def seq_rep_n(tokens, n: int = 4) -> float:
    """seq-rep-n of Welleck et al. (2020): one minus the fraction of distinct n-grams.

    Parameters
    ----------
    tokens : sequence of str or int, length L >= n
        One generated sequence (see the module notes on tokens).
    n : int, default 4
        n-gram order (Welleck et al. report n = 4).

    Returns
    -------
    float
        ``1 - |unique n-grams| / |n-grams|`` over the ``L - n + 1`` n-grams
        of the sequence (book, :numref:`Chapter %s <chapter-rebalanced>`, eq. :eq:`eq-seq-rep-n`).

    Raises
    ------
    TypeError
        If ``tokens`` is not a sequence or ``n`` not an integer.
    ValueError
        If ``n < 1`` or the sequence is shorter than ``n`` (no n-gram).

    Examples
    --------
    >>> seq_rep_n(list("abab"), 2)   # ab, ba, ab: 2 distinct of 3
    0.33333333333333337
    """
    tokens = _as_tokens(tokens)
    n = check_positive_int(n, "n")
    if len(tokens) < n:
        raise ValueError(
            f"tokens has length {len(tokens)}, shorter than n = {n}: it has no {n}-gram"
        )
    grams = _ngrams(tokens, n)
    return 1.0 - len(set(grams)) / len(grams)


def seq_rep_pooled(tokens, ns=(1, 2, 3, 4)) -> float:
    """seq-rep-n pooled over several orders, as in the code of Fu et al. (2021).

    Parameters
    ----------
    tokens : sequence of str or int, length L >= 1
        One generated sequence (see the module notes on tokens).
    ns : sequence of int, default (1, 2, 3, 4)
        The n-gram orders pooled, each at most once; orders longer than the
        sequence are skipped, but at least one must fit.

    Returns
    -------
    float
        ``1 - |unique G| / |G|`` where ``G`` is the list of all n-grams of all
        orders in ``ns`` together (an n-gram of one order never equals one of
        another), so long orders weigh as much as their count (book, Chapter
        7, eq. :eq:`eq-seq-rep-pooled`). This is not the mean of the
        per-order ``seq_rep_n``.

    Raises
    ------
    TypeError
        If ``tokens`` is not a sequence of tokens, ``ns`` is not a sequence
        (a single order is :func:`seq_rep_n`), or holds a non-integer order.
    ValueError
        If ``tokens`` is empty, ``ns`` is empty, holds a non-positive order or
        the same order twice (its n-grams would be pooled twice and counted
        as repeats of themselves), or every order is longer than the sequence
        (no n-gram at all).

    Examples
    --------
    >>> seq_rep_pooled(list("aab"), ns=(1, 2))   # a, a, b, aa, ab: 4 distinct of 5
    0.19999999999999996
    """
    tokens = _as_tokens(tokens)
    if isinstance(ns, (str, bytes)) or not isinstance(
        ns, (list, tuple, range, np.ndarray)
    ):
        raise TypeError(
            f"ns must be a sequence of n-gram orders such as (1, 2, 3, 4), got {_describe(ns)}; "
            "for one order use seq_rep_n(tokens, n)"
        )
    orders = [
        check_positive_int(n, "ns")
        for n in (ns.tolist() if isinstance(ns, np.ndarray) else ns)
    ]
    if not orders:
        raise ValueError("ns is empty; give at least one n-gram order")
    repeated = sorted({n for n in orders if orders.count(n) > 1})
    if repeated:
        raise ValueError(
            f"ns holds the order {repeated[0]} more than once ({list(orders)}); give each order once"
        )
    if min(orders) > len(tokens):
        raise ValueError(
            f"tokens has length {len(tokens)}, shorter than every order in ns = {list(orders)}: it has no n-gram"
        )
    grams = [g for n in orders if n <= len(tokens) for g in _ngrams(tokens, n)]
    return 1.0 - len(set(grams)) / len(grams)


def immediate_repeats(tokens, K: int | None = None) -> np.ndarray:
    """Count the immediate repeats in one token sequence, by length: the observable behind ``M``.

    Parameters
    ----------
    tokens : sequence of str or int, length L >= 0
        One generated sequence ``y_0 ... y_{L-1}``, without the end token (see
        the module notes on tokens: ``list(text)`` for characters).
    K : int, optional
        Largest length counted (>= 1). By default every length that fits,
        ``k <= (L - 1) // 2``.

    Returns
    -------
    numpy.ndarray of int64, shape (K,) or ((L - 1) // 2,)
        Entry ``k - 1`` is the number of positions ``t`` at which
        ``y_t ... y_{t+2k}`` reads ``w_1 ... w_k w_1 ... w_k w_1`` (book,
        :numref:`Chapter %s <bigram-setup>`, :prf:ref:`def-repeated-subsequence`), i.e.
        ``y_{t+k+j} = y_{t+j}`` for ``j = 0..k``. The expectation of the total
        over sequences generated until the end token is
        :func:`repetition.expected_repeats` ``.value``, and of entry ``k - 1``
        its term ``M_k`` (book, :numref:`Chapter %s <chapter-expected-repeats>`). Text cut at a maximum length has a
        smaller expectation.

    Raises
    ------
    TypeError
        For a non-integer ``K``, a bare ``str``, or tokens that are neither
        strings nor integers.
    ValueError
        For ``K < 1``, a ``K`` whose counts (16 bytes per length) would not
        fit in the machine's physical memory, or a ``tokens`` array that is
        not one-dimensional.

    Examples
    --------
    In "abcbcbcd" the segments "bcbcb" (t = 1) and "cbcbc" (t = 2) are repeats
    of length 2; from t = 3 the final "d" breaks the pattern:

    >>> immediate_repeats(list("abcbcbcd")).tolist()
    [0, 2, 0]
    >>> # k = 1 at t = 0 and t = 1
    >>> immediate_repeats(["to", "to", "to", "to"], K=1).tolist()
    [2]
    """
    y = _as_token_ids(tokens)
    if K is not None:
        K = check_memory(
            check_positive_int(K, "K"),
            "K",
            16,
            "the counts by length (16 bytes per length)",
        )
    width = K if K is not None else max((y.size - 1) // 2, 0)
    if width == 0:
        return np.zeros(0, dtype=np.int64)
    _, ks, events = _repeats.repeat_runs(y, np.array([0, y.size], dtype=np.int64))
    keep = ks <= width
    return np.bincount(ks[keep] - 1, weights=events[keep], minlength=width).astype(
        np.int64
    )


def sampled_repeats(
    text: SampledText, K: int | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Immediate repeats in each of many sampled sequences: totals, and counts by length.

    Parameters
    ----------
    text : SampledText
        Sequences, e.g. from :func:`repetition.sample_to_end`.
    K : int, optional
        If given (>= 1), also count by length ``k = 1..K``.

    Returns
    -------
    totals : numpy.ndarray of int64, shape (m,)
        Number of events ``(t, k)`` in each sequence, every length counted
        (the sum of :func:`immediate_repeats` of that sequence).
    by_length : numpy.ndarray of int64, shape (m, K), or None
        ``by_length[s, k - 1]``: the events of length ``k`` in sequence ``s``.

    Raises
    ------
    TypeError
        If ``text`` is not a :class:`repetition.SampledText` or ``K`` not an
        integer.
    ValueError
        If ``K < 1``, ``K`` is so large that the counts by length
        (``16 m K`` bytes) would not fit in the machine's physical memory,
        or the text is so repetitive that counting it would examine more
        than 5e7 pairs of equal q-grams (long loops repeated over and over;
        count fewer or shorter sequences).

    Examples
    --------
    >>> import numpy as np
    >>> from repetition import SampledText
    >>> text = SampledText(np.array([0, 0, 0, 1, 2, 1, 2, 1]), np.array([0, 3, 8]))
    >>> totals, by_length = sampled_repeats(text, K=2)
    >>> totals.tolist(), by_length.tolist()
    ([1, 1], [[1, 0], [0, 1]])
    """
    if not isinstance(text, SampledText):
        raise TypeError(
            f"text must be a SampledText (from sample_to_end), got {type(text).__name__}"
        )
    m = len(text)
    if K is not None:
        K = check_memory(
            check_positive_int(K, "K"),
            "K",
            16 * max(m, 1),
            f"the counts by length of {m} sequences (16 bytes per sequence and length)",
        )
    seqs, ks, events = _repeats.repeat_runs(
        np.asarray(text.tokens, dtype=np.int64),
        np.asarray(text.offsets, dtype=np.int64),
    )
    totals = np.bincount(seqs, weights=events, minlength=m).astype(np.int64)
    if K is None:
        return totals, None
    keep = ks <= K
    by_length = np.bincount(
        seqs[keep] * K + ks[keep] - 1, weights=events[keep], minlength=m * K
    )
    return totals, by_length.astype(np.int64).reshape(m, K)
