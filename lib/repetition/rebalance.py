"""Rebalanced encoding (Fu et al. 2021, Sec. 5): merge high-probability pairs into tokens.

Book, :numref:`Chapter %s <chapter-rebalanced>`, :prf:ref:`def-rebalanced-encoding`. Estimate the bigram
transition matrix of the training text, merge every adjacent pair ``(i, j)``
with ``P_ij > γ`` into one new token, re-estimate, and repeat until no entry
exceeds γ or a fixed number of rounds has been done. Merging removes the rows
that put most of their mass on one successor, the rows with the largest
``r_i = Σ_j P_ij²`` (:numref:`Chapter %s <chapter-frobenius>`).

The whole corpus is held as one integer array, so each round costs a few
vectorised passes over it (about 0.3 s per million tokens).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import as_token_lists, check_positive_int, check_real
from .estimate import add_delta

__all__ = ["RebalancedEncoding", "rebalanced_encoding"]

#: Up to this many possible pairs, bigram keys are counted with bincount.
_BINCOUNT_LIMIT = 40_000_000


@dataclass(frozen=True)
class RebalancedEncoding:
    """Result of :func:`rebalanced_encoding`.

    Attributes
    ----------
    sequences : list of list of str
        The corpus re-tokenised: each merged token is the concatenation of its
        parts, joined by ``separator``.
    vocab : list of str
        The distinct tokens of ``sequences``, most frequent first (ties in
        code-point order).
    merges : list of list of (str, str)
        ``merges[m]`` holds the pairs selected in round ``m`` (sorted).
    max_probability : list of float
        ``max_ij P_ij`` of the estimate at the start of each round, and of the
        final encoding as the last entry (length ``len(merges) + 1``).
    converged : bool
        True when the final estimate has ``max_ij P_ij <= γ``; False when
        ``max_iter`` rounds ran out first.
    separator : str
        The string put between the parts of a merged token.
    """

    sequences: list
    vocab: list
    merges: list
    max_probability: list
    converged: bool
    separator: str


def _estimate(ids: np.ndarray, last: np.ndarray, n: int, delta: float):
    """Observed bigram keys ``i * n + j`` and their add-δ probabilities (:func:`repetition.add_delta`).

    The same estimate as :func:`repetition.transition_matrix` of the corpus's
    bigram counts, for the observed pairs only: with δ > 0 every one of the
    n² entries is positive, and only the largest ones matter here.
    """
    inside = ~last[:-1]
    keys = ids[:-1][inside] * n + ids[1:][inside]
    if n * n <= _BINCOUNT_LIMIT:
        full = np.bincount(keys, minlength=n * n)
        uniq = np.flatnonzero(full)
        cnt = full[uniq]
    else:
        uniq, cnt = np.unique(keys, return_counts=True)
    totals = np.bincount(ids, minlength=n).astype(
        np.float64
    )  # each occurrence is followed by a token or the end
    return uniq, add_delta(cnt, totals[uniq // n], n, delta)


def rebalanced_encoding(
    sentences,
    gamma: float,
    max_iter: int = 10,
    smoothing: float = 1.0,
    separator: str = "",
) -> RebalancedEncoding:
    """Rebalanced encoding: repeatedly merge every adjacent pair with ``P_ij > γ``.

    Parameters
    ----------
    sentences : iterable of sequences of str
        The training corpus, one token sequence per sentence; merges never
        cross a sentence boundary. Empty sequences are dropped.
    gamma : float
        Merge threshold γ in (0, 1): a pair is merged when its estimated
        transition probability exceeds γ (the authors' code uses 0.1; at
        γ = 1 nothing could ever merge, so it is rejected).
    max_iter : int, default 10
        Largest number of merge rounds N (the authors' code uses 10).
    smoothing : float, default 1.0
        Add-δ constant of the estimate, as in
        :func:`repetition.transition_matrix` (δ added to the n + 1 counts of a
        row, end token included): ``P_ij = (c_ij + δ) / (c_i + (n + 1) δ)``.
        The authors' code adds one (δ = 1); the algorithm in their slides
        does not smooth (δ = 0). Smoothing shrinks the estimate of rare rows
        most, so it merges mainly frequent pairs.
    separator : str, default ""
        Put between the parts of a merged token ("" for Chinese characters,
        " " for English words).

    Returns
    -------
    RebalancedEncoding
        The re-tokenised corpus, its vocabulary and the merge history.

    Raises
    ------
    TypeError
        If ``gamma``/``smoothing`` are not real, ``max_iter`` not an integer,
        ``separator`` not a string, a sentence a bare ``str`` (pass
        ``list(text)``) or a token not a string.
    ValueError
        If ``gamma`` is outside (0, 1), ``smoothing < 0``, ``max_iter < 1``,
        or the corpus holds no token.

    Notes
    -----
    Within a round, the selected pairs are merged left to right without
    overlap: in ``a b c`` with both ``ab`` and ``bc`` selected, ``ab`` is
    merged and ``c`` stays. The authors' code re-applies all merges found so
    far to the original text with a regular expression; the merged tokens are
    the same except where such overlaps are resolved differently. Book,
    :numref:`Chapter %s <chapter-rebalanced>`, :prf:ref:`def-rebalanced-encoding`; Fu et al. (2021), Sec. 5.

    Examples
    --------
    >>> enc = rebalanced_encoding([list("abab"), list("abc")], gamma=0.5, smoothing=0.0)
    >>> enc.sequences
    [['ab', 'ab'], ['ab', 'c']]
    >>> enc.merges
    [[('a', 'b')]]
    """
    gamma = check_real(gamma, "gamma", 0.0, 1.0, high_open=True)
    max_iter = check_positive_int(max_iter, "max_iter")
    delta = check_real(smoothing, "smoothing", 0.0, None, low_open=False)
    if not isinstance(separator, str):
        raise TypeError(f"separator must be a str, got {type(separator).__name__}")
    seqs = [s for s in as_token_lists(sentences, "sentences") if s]
    if not seqs:
        raise ValueError("sentences holds no token")
    index: dict = {}
    ids = np.fromiter(
        (index.setdefault(t, len(index)) for s in seqs for t in s), dtype=np.int64
    )
    strings = np.empty(len(index), dtype=object)
    strings[:] = list(index)
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    last = np.zeros(ids.size, dtype=bool)
    last[np.cumsum(lengths) - 1] = True

    merges: list = []
    max_prob: list = []
    converged = False
    for round_no in range(max_iter + 1):
        n = strings.size
        uniq, prob = _estimate(ids, last, n, delta)
        top = float(prob.max()) if prob.size else 0.0
        max_prob.append(top)
        if top <= gamma:
            converged = True
            break
        if round_no == max_iter:
            break
        chosen = np.sort(uniq[prob > gamma])
        merges.append(
            sorted((str(strings[k // n]), str(strings[k % n])) for k in chosen)
        )
        # Positions t whose pair (t, t + 1) is chosen, inside one sentence.
        keys = ids[:-1] * n + ids[1:]
        hit = np.zeros(ids.size, dtype=bool)
        pos = np.minimum(np.searchsorted(chosen, keys), chosen.size - 1)
        hit[:-1] = (chosen[pos] == keys) & ~last[:-1]
        # Left-to-right, non-overlapping: in each run of consecutive hits keep
        # the 1st, 3rd, 5th, ... position.
        start = hit & ~np.concatenate([[False], hit[:-1]])
        run_start = np.maximum.accumulate(np.where(start, np.arange(ids.size), 0))
        take = hit & ((np.arange(ids.size) - run_start) % 2 == 0)
        t = np.flatnonzero(take)
        new_keys = ids[t] * n + ids[t + 1]
        pair_keys, pair_idx = np.unique(new_keys, return_inverse=True)
        new_strings = np.array(
            [strings[k // n] + separator + strings[k % n] for k in pair_keys],
            dtype=object,
        )
        ids = ids.copy()
        ids[t] = n + pair_idx
        last = last.copy()
        last[t] = last[t + 1]
        keep = np.ones(ids.size, dtype=bool)
        keep[t + 1] = False
        ids, last = ids[keep], last[keep]
        # Re-index to the tokens still in use, merging equal strings.
        all_strings = np.concatenate([strings, new_strings])
        used = np.flatnonzero(np.bincount(ids, minlength=all_strings.size))
        merged_str, str_inv = np.unique(
            all_strings[used], return_inverse=True
        )  # Python str order, NULs kept
        remap = np.zeros(all_strings.size, dtype=np.int64)
        remap[used] = str_inv
        strings = merged_str.astype(object)
        ids = remap[ids]

    freq = np.bincount(ids, minlength=strings.size)
    order = sorted(
        range(strings.size), key=lambda i: (-freq[i], strings[i])
    )  # ties in code-point order
    vocab = [str(strings[i]) for i in order]
    words = strings[ids]
    ends = np.flatnonzero(last) + 1
    sequences = [list(map(str, chunk)) for chunk in np.split(words, ends[:-1])]
    return RebalancedEncoding(sequences, vocab, merges, max_prob, converged, separator)
