"""Repetition metrics of generated text: rep-w, rep-r and seq-rep-n.

Book, Chapter 7, section "Measuring repetition". Definitions follow the
sources exactly (window and pooling included):

* rep-w and rep-r as in the code released with Fu et al. (2021)
  (``src/eval_metrics.py``: ``get_rep`` with ``l = 16``, ``get_repc``);
* seq-rep-n of Welleck et al. (2020), one n, reported at n = 4;
* seq-rep-n pooled over n = 1..4 as in Fu et al.'s code (``get_seq_rep_n``),
  which puts the n-grams of all orders into one list before counting.

Every function takes one sequence of hashable tokens (a list of str, a
string, or a 1-D integer array) and returns a fraction in [0, 1].
"""

from __future__ import annotations

import numpy as np

from ._validation import check_positive_int

__all__ = ["rep_w", "rep_r", "seq_rep_n", "seq_rep_pooled"]


def _as_tokens(tokens, name: str = "tokens") -> list:
    if isinstance(tokens, np.ndarray):
        if tokens.ndim != 1:
            raise ValueError(f"{name} must be one sequence (1-D), got shape {tokens.shape}")
        tokens = tokens.tolist()
    elif isinstance(tokens, str):
        tokens = list(tokens)
    else:
        try:
            tokens = list(tokens)
        except TypeError:
            raise TypeError(f"{name} must be a sequence of tokens, got {type(tokens).__name__}") from None
    if not tokens:
        raise ValueError(f"{name} is empty; repetition metrics need at least one token")
    return tokens


def rep_w(tokens, window: int = 16) -> float:
    """rep-w: the fraction of tokens that already occur among the previous ``window`` tokens.

    Parameters
    ----------
    tokens : sequence of hashable, length L >= 1
        One generated sequence.
    window : int, default 16
        How many preceding tokens are searched (Fu et al. 2021 use 16).

    Returns
    -------
    float
        ``(1/L) Σ_t 1[y_t ∈ {y_(t-window), ..., y_(t-1)}]`` with positions
        before the start ignored (book, Chapter 7, eq. ``eq-rep-w``).

    Raises
    ------
    TypeError
        If ``tokens`` is not a sequence or ``window`` not an integer.
    ValueError
        If ``tokens`` is empty or ``window < 1``.

    Examples
    --------
    >>> rep_w("abcab", window=2)   # the second a and b are 3 back: outside a window of 2
    0.0
    >>> rep_w("abcab", window=3)
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
    tokens : sequence of hashable, length L >= 1
        One generated sequence.

    Returns
    -------
    float
        ``(1/L) #{t : (y_(t-1), y_t) or (y_t, y_(t+1)) occurs at least twice
        in the sequence}`` (Fu et al. 2021, code ``get_repc``; book, Chapter
        7, eq. ``eq-rep-r``). Overlapping occurrences count (``aaa`` holds
        the bigram ``aa`` twice). 0 for L = 1.

    Raises
    ------
    TypeError, ValueError
        If ``tokens`` is not a sequence or is empty.

    Examples
    --------
    >>> rep_r("abxab")   # ab twice: positions 0, 1, 3, 4
    0.8
    """
    tokens = _as_tokens(tokens)
    L = len(tokens)
    if L < 2:
        return 0.0
    bigrams = list(zip(tokens[:-1], tokens[1:]))
    counts: dict = {}
    for b in bigrams:
        counts[b] = counts.get(b, 0) + 1
    label = [False] * L
    for t, b in enumerate(bigrams):
        if counts[b] > 1:
            label[t] = label[t + 1] = True
    return sum(label) / L


def _ngrams(tokens: list, n: int) -> list:
    return [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]


def seq_rep_n(tokens, n: int = 4) -> float:
    """seq-rep-n of Welleck et al. (2020): one minus the fraction of distinct n-grams.

    Parameters
    ----------
    tokens : sequence of hashable, length L >= n
        One generated sequence.
    n : int, default 4
        n-gram order (Welleck et al. report n = 4).

    Returns
    -------
    float
        ``1 - |unique n-grams| / |n-grams|`` over the ``L - n + 1`` n-grams
        of the sequence (book, Chapter 7, eq. ``eq-seq-rep-n``).

    Raises
    ------
    TypeError
        If ``tokens`` is not a sequence or ``n`` not an integer.
    ValueError
        If ``n < 1`` or the sequence is shorter than ``n`` (no n-gram).

    Examples
    --------
    >>> seq_rep_n("abab", 2)   # ab, ba, ab: 2 distinct of 3
    0.33333333333333337
    """
    tokens = _as_tokens(tokens)
    n = check_positive_int(n, "n")
    if len(tokens) < n:
        raise ValueError(f"tokens has length {len(tokens)}, shorter than n = {n}: it has no {n}-gram")
    grams = _ngrams(tokens, n)
    return 1.0 - len(set(grams)) / len(grams)


def seq_rep_pooled(tokens, ns=(1, 2, 3, 4)) -> float:
    """seq-rep-n pooled over several orders, as in the code of Fu et al. (2021).

    Parameters
    ----------
    tokens : sequence of hashable, length L >= 1
        One generated sequence.
    ns : sequence of int, default (1, 2, 3, 4)
        The n-gram orders pooled; orders longer than the sequence are skipped.

    Returns
    -------
    float
        ``1 - |unique G| / |G|`` where ``G`` is the list of all n-grams of all
        orders in ``ns`` together (an n-gram of one order never equals one of
        another), so long orders weigh as much as their count (book, Chapter
        7, eq. ``eq-seq-rep-pooled``). This is not the mean of the
        per-order ``seq_rep_n``.

    Raises
    ------
    TypeError, ValueError
        If ``tokens`` is empty or not a sequence, or ``ns`` holds a
        non-positive or non-integer order.

    Examples
    --------
    >>> seq_rep_pooled("aab", ns=(1, 2))   # a, a, b, aa, ab: 4 distinct of 5
    0.19999999999999996
    """
    tokens = _as_tokens(tokens)
    orders = [check_positive_int(n, "ns") for n in ns]
    if not orders:
        raise ValueError("ns is empty; give at least one n-gram order")
    grams = [g for n in orders if n <= len(tokens) for g in _ngrams(tokens, n)]
    return 1.0 - len(set(grams)) / len(grams)
