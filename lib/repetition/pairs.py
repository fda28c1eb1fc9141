"""Pair chains: a trigram model as a Markov chain on token pairs.

Book, :numref:`Chapter %s <chapter-general-autoregressive>`, :prf:ref:`thm-ar-lift`: a model whose next token depends on
the last two tokens is a Markov chain on the pairs ``(a, b)``, with
``Q[(a, b), (b, c)] = Pr(c | a b)``, so the closed-walk repetition rate
:func:`repetition.repetition_rate` applies to it unchanged. A bigram lifted to
pairs (:func:`lift_to_pairs`) has the same repetition terms as the bigram;
:func:`trigram_pair_chain` estimates the trigram model of a corpus, and
:func:`split_at_rare_tokens` keeps its state space small.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._validation import as_token_lists, check_positive_int
from .chain import as_chain
from .estimate import bigram_counts

__all__ = ["PairChain", "lift_to_pairs", "trigram_pair_chain", "split_at_rare_tokens"]


@dataclass(frozen=True)
class PairChain:
    """A Markov chain whose states are ordered token pairs ``(a, b)``.

    Attributes
    ----------
    Q : scipy.sparse.csr_array, shape (N, N), float64
        ``Q[(a, b), (b, c)]``: probability that ``c`` follows the context
        ``a b``; row deficits are the end-token probability.
    pairs : numpy.ndarray of int64, shape (N, 2)
        Token indices ``(a, b)`` of each state, in lexicographic order.
    starts : numpy.ndarray of int64, shape (N,)
        How often each pair opens a sequence (zeros for a lifted bigram).
    vocab : list of str or None
        Token of each index, when built from text.
    """

    Q: sp.csr_array
    pairs: np.ndarray
    starts: np.ndarray
    vocab: list | None

    @property
    def N(self) -> int:
        """Number of pair states."""
        return int(self.pairs.shape[0])


def split_at_rare_tokens(sequences, size: int) -> tuple[list[list[str]], list[str]]:
    """Keep the ``size`` most frequent tokens and cut every sequence at the others.

    Parameters
    ----------
    sequences : iterable of sequences of str
        Token sequences.
    size : int
        Vocabulary size to keep (>= 1).

    Returns
    -------
    segments : list of list of str
        The maximal runs of kept tokens (each run is a new sequence, so a rare
        token acts as an end followed by a new start).
    vocab : list of str
        The kept tokens, most frequent first (ties in code-point order), as in
        :func:`repetition.bigram_counts`.

    Raises
    ------
    TypeError, ValueError
        If ``size`` is not an integer >= 1 or ``sequences`` holds no token.

    Examples
    --------
    >>> split_at_rare_tokens([["a", "b", "a", "c", "a", "b"]], 2)
    ([['a', 'b', 'a'], ['a', 'b']], ['a', 'b'])
    """
    size = check_positive_int(size, "size")
    seqs = as_token_lists(sequences)
    vocab = bigram_counts(seqs).vocab[:size]
    keep = set(vocab)
    segments = []
    for s in seqs:
        run = []
        for tok in s:
            if tok in keep:
                run.append(tok)
            elif run:
                segments.append(run)
                run = []
        if run:
            segments.append(run)
    return segments, vocab


def trigram_pair_chain(sequences, vocab=None) -> PairChain:
    """The maximum-likelihood trigram model of a corpus, as a chain on token pairs.

    Parameters
    ----------
    sequences : iterable of sequences of str
        Token sequences (sentences).
    vocab : list of str, optional
        Fixed vocabulary (as in :func:`repetition.bigram_counts`).

    Returns
    -------
    PairChain
        States: the pairs ``(a, b)`` that occur inside a sequence.
        ``Q[(a, b), (b, c)] = #(a b c) / #(a b)``, where ``#(a b)`` counts
        every occurrence of the pair, so the deficit of a row is the
        fraction of its occurrences that end a sequence. The closed-walk
        repetition rate of ``Q`` (:func:`repetition.repetition_rate`) counts
        stretches ``y_0 .. y_{2k+1}`` of period k (book, :numref:`Chapter %s <chapter-general-autoregressive>`,
        :prf:ref:`thm-ar-lift`).

    Raises
    ------
    ValueError
        If no sequence has two tokens, or a token is outside ``vocab``.

    Examples
    --------
    >>> ch = trigram_pair_chain([["a", "b", "a", "b"]])
    >>> ch.pairs.tolist(), ch.Q.toarray().tolist()
    ([[0, 1], [1, 0]], [[0.0, 0.5], [1.0, 0.0]])
    """
    seqs = [s for s in as_token_lists(sequences) if s]
    counts = bigram_counts(seqs, vocab)
    vocab = counts.vocab
    index = {t: i for i, t in enumerate(vocab)}
    n = len(vocab)
    ids = [
        np.fromiter((index[t] for t in s), dtype=np.int64, count=len(s))
        for s in seqs
        if len(s) >= 2
    ]
    if not ids:
        raise ValueError(
            "sequences has no sequence of two or more tokens, so no token pair"
        )
    first = np.concatenate([s[:-1] for s in ids])
    second = np.concatenate([s[1:] for s in ids])
    third = np.concatenate([np.append(s[2:], n) for s in ids])  # n = end token
    pair_code = first * n + second
    codes, pair_of, pair_count = np.unique(
        pair_code, return_inverse=True, return_counts=True
    )
    pairs = np.stack([codes // n, codes % n], axis=1)
    inner = third < n
    target = np.searchsorted(codes, second[inner] * n + third[inner])
    N = codes.size
    Q = sp.csr_array((np.ones(target.size), (pair_of[inner], target)), shape=(N, N))
    Q.sum_duplicates()
    Q = sp.csr_array(sp.diags_array(1.0 / pair_count) @ Q)
    Q.sort_indices()
    start_codes = np.array([s[0] * n + s[1] for s in ids], dtype=np.int64)
    starts = np.bincount(np.searchsorted(codes, start_codes), minlength=N).astype(
        np.int64
    )
    return PairChain(Q, pairs.astype(np.int64), starts, list(vocab))


def lift_to_pairs(P) -> PairChain:
    """A bigram written as a chain on token pairs: ``Q[(a, b), (b, c)] = P[b, c]``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    PairChain
        States: the pairs with ``P[a, b] > 0``, in lexicographic order (the
        states of :func:`trigram_pair_chain` on the text ``P`` was estimated
        from). ``Tr((Q ⊙ Q)^k) = Tr((P ⊙ P)^k)`` for every k, so the lifted
        chain has the same repetition rate (book, :numref:`Chapter %s <chapter-general-autoregressive>`, theorem
        :prf:ref:`thm-ar-lift`).

    Raises
    ------
    TypeError, ValueError
        For invalid ``P``.
    ValueError
        If ``P`` has no positive entry: the pair chain would have no states
        (and ``R = 0`` needs no lift).

    Examples
    --------
    >>> lift_to_pairs([[0.0, 0.5], [0.25, 0.5]]).Q.toarray().tolist()
    [[0.0, 0.25, 0.5], [0.5, 0.0, 0.0], [0.0, 0.25, 0.5]]
    """
    P = as_chain(P).P
    C = sp.csr_array(P) if not sp.issparse(P) else P.copy()
    C.eliminate_zeros()
    if C.nnz == 0:
        raise ValueError(
            "P has no positive entry, so its pair chain would have no states"
        )
    C.sort_indices()
    n = C.shape[0]
    deg = np.diff(C.indptr)
    a = np.repeat(np.arange(n), deg)
    b = C.indices.astype(np.int64)
    N = b.size
    # state (a, b) -> states (b, c): the block of row b of P, at positions indptr[b] .. indptr[b + 1]
    lens = deg[b]
    rows = np.repeat(np.arange(N), lens)
    offsets = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
    cols = np.repeat(C.indptr[b], lens) + offsets
    Q = sp.csr_array((C.data[cols], (rows, cols)), shape=(N, N))
    Q.sort_indices()
    return PairChain(
        Q, np.stack([a, b], axis=1).astype(np.int64), np.zeros(N, dtype=np.int64), None
    )
