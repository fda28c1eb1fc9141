"""Estimation from counts: bigram counts of a corpus and the add-δ transition matrix.

Book, Chapter 1, eq. ``eq-bigram-mle``: the maximum-likelihood bigram estimate
with add-δ smoothing, ``P_ij = (c_ij + δ) / (c_i + (n + 1) δ)``, where ``c_ij``
counts how often token ``j`` follows token ``i`` and ``c_i`` how often ``i``
occurs (followed by a token or by the end token, the (n+1)-th outcome). The
formula itself lives in :func:`add_delta`, which :func:`transition_matrix` and
the rebalanced encoding (:func:`repetition.rebalanced_encoding`) both use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._validation import check_dtype, check_positive_int, check_real

__all__ = ["BigramCounts", "bigram_counts", "add_delta", "transition_matrix"]


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
    """

    counts: sp.csr_array
    starts: np.ndarray
    vocab: list[str]

    @property
    def n(self) -> int:
        """Vocabulary size (number of tokens, the end token excluded)."""
        return len(self.vocab)


def bigram_counts(sequences, vocab=None) -> BigramCounts:
    """Count bigrams, sequence starts and sequence ends.

    Parameters
    ----------
    sequences : iterable of sequences of str
        Token sequences (sentences); empty ones are skipped.
    vocab : list of str, optional
        Fixed vocabulary. By default every token that occurs, most frequent
        first. With a given vocabulary, a token outside it raises.

    Returns
    -------
    BigramCounts
        Counts over n tokens plus the end token; feed ``.counts`` to
        :func:`repetition.transition_matrix`.

    Raises
    ------
    ValueError
        If there is no token at all, or a token is outside a given ``vocab``.
    """
    seqs = [list(s) for s in sequences if len(s)]
    if not seqs:
        raise ValueError("sequences holds no token")
    if vocab is None:
        flat = [t for s in seqs for t in s]
        uniq, freq = np.unique(np.array(flat, dtype=object).astype(str), return_counts=True)
        order = np.lexsort((uniq, -freq))
        vocab = [str(t) for t in uniq[order]]
    index = {t: i for i, t in enumerate(vocab)}
    n = len(vocab)
    try:
        ids = [np.fromiter((index[t] for t in s), dtype=np.int64, count=len(s)) for s in seqs]
    except KeyError as exc:
        raise ValueError(f"token {exc.args[0]!r} is not in vocab") from None
    src = np.concatenate([s for s in ids])
    dst = np.concatenate([np.append(s[1:], n) for s in ids])
    counts = sp.csr_array((np.ones(src.size, dtype=np.int64), (src, dst)), shape=(n, n + 1))
    counts.sum_duplicates()
    counts.sort_indices()
    starts = np.bincount(np.array([s[0] for s in ids], dtype=np.int64), minlength=n).astype(np.int64)
    return BigramCounts(counts, starts, list(vocab))


def _as_counts(values, name: str) -> np.ndarray:
    """``values`` as a float64 array of finite nonnegative numbers, else raise naming ``name``."""
    x = np.asarray(values)
    check_dtype(x, name)
    x = x.astype(np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} has NaN or infinite entries")
    if np.any(x < 0):
        raise ValueError(f"{name} has negative entries (e.g. {float(x[x < 0].flat[0])!r})")
    return x


def add_delta(counts, totals, n: int, smoothing: float = 0.0) -> np.ndarray:
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

    Returns
    -------
    numpy.ndarray of float64, shape of ``counts`` (broadcast)
        ``(c + δ) / (t + (n + 1) δ)``, a correctly rounded quotient, and 0
        where the denominator is 0 (a token never seen, with δ = 0). Book,
        Chapter 1, eq. ``eq-bigram-mle``.

    Raises
    ------
    TypeError
        If ``n`` is not an integer, ``smoothing`` not a real number, or
        ``counts``/``totals`` has a non-real dtype.
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
    c = _as_counts(counts, "counts") + delta
    t = _as_counts(totals, "totals") + (n + 1) * delta
    try:
        c, t = np.broadcast_arrays(c, t)
    except ValueError:
        raise ValueError(f"totals of shape {t.shape} does not broadcast against counts of shape {c.shape}") from None
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
        token ``i`` (book, Chapter 1, eq. ``eq-bigram-mle``). Rows with no
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
        C = np.asarray(counts)
        check_dtype(C, "counts")
    if C.ndim != 2 or C.shape[0] < 1 or C.shape[1] != C.shape[0] + 1:
        raise ValueError(f"counts must have shape (n, n + 1) with n >= 1 (last column: end token), got {C.shape}")
    n = C.shape[0]
    values = C.data if sp.issparse(C) else C
    if not np.all(np.isfinite(values)):
        raise ValueError("counts has NaN or infinite entries")
    if np.any(values < 0):
        raise ValueError(f"counts has negative entries (e.g. {float(values[values < 0][0])!r})")
    if sp.issparse(C):
        C = C.astype(np.float64)
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
    C = C.astype(np.float64)
    return add_delta(C[:, :n], C.sum(axis=1)[:, None], n, delta)
