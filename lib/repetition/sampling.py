"""Sampling the bigram chain, and the Monte Carlo meaning of the repetition rate.

Book, :numref:`Chapter %s <bigram-setup>`, section "What R counts": from a uniform start ``y0 = i``,
the event ``E_k`` that ``y_k = i`` and ``y_{k+t} = y_t`` for ``t = 1..k`` (the
next ``2k`` tokens are one closed k-walk written twice) has probability
``(A^k)_ii``, so ``R / n`` is the expected number of ``k`` for which ``E_k``
happens (eq. :eq:`eq-R-mc`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from . import _linalg, _repeats
from ._validation import (
    as_array,
    as_generator,
    as_start,
    check_memory,
    check_positive_int,
    check_samples,
    check_starts,
)
from .chain import as_chain

__all__ = [
    "END",
    "sample_chains",
    "repeat_events",
    "MonteCarloEstimate",
    "monte_carlo_repetition_rate",
    "SampledText",
    "sample_to_end",
    "MAX_TOKENS",
]

#: Value written into a sampled chain after it has ended (the end token).
END = -1

#: :func:`sample_to_end` stops (and raises) once the sequences hold this many tokens in all.
MAX_TOKENS = 50_000_000


class _IndexedSearch:
    """Inverse-CDF draws of next tokens for many chains at once: an indexed search (Chen and Asau, 1974).

    Row ``i`` of the CSR matrix has ``d_i`` stored entries and cumulative
    sums ``cum`` restarted at every row, so ``u`` in [0, 1) is compared with
    them in full double precision (no global key ``row + cumsum``, whose
    resolution shrinks as the row index grows). A guide table of ``d_i``
    cells per row points, for ``u`` in ``[k/d_i, (k+1)/d_i)``, at or before
    the first entry with ``cum > k/d_i``; the draw scans forward from there
    with exact comparisons (about one step on average), so the guide only
    decides where the scan starts, never its result. Past the last entry
    (``u >= Σ_j P_ij``) the chain takes the end token (-1).
    """

    def __init__(self, G: sp.csr_array):
        self.indptr = G.indptr.astype(np.int64)
        self.indices = G.indices.astype(np.int64)
        degree = np.diff(self.indptr)
        rows = np.repeat(np.arange(G.shape[0], dtype=np.int64), degree)
        # each row's running sum from its own first entry, left to right (numpy.cumsum of the row alone):
        # step j adds entry j of every row that has one
        self.cum = np.array(G.data, dtype=np.float64)
        by_degree = np.argsort(-degree, kind="stable")
        longer = np.cumsum(
            np.bincount(degree, minlength=int(degree.max(initial=0)) + 1)[::-1]
        )[::-1]
        for j in range(1, int(degree.max(initial=0))):
            pos = (
                self.indptr[by_degree[: longer[j + 1]]] + j
            )  # rows with more than j entries
            self.cum[pos] += self.cum[pos - 1]
        self.degree = degree
        # cell k of row i: threshold k / d_i; the first entry of the row with cum > threshold, found by a
        # global search on row + cum, moved one entry back to absorb the rounding of that key
        cell = np.arange(rows.size) - self.indptr[rows]
        threshold = rows + cell / np.maximum(degree[rows], 1)
        guide = np.searchsorted(rows + self.cum, threshold, side="right") - 1
        self.guide = np.maximum(guide, self.indptr[rows])

    def step(self, state: np.ndarray, u: np.ndarray) -> np.ndarray:
        if self.guide.size == 0:  # no transition at all: every chain ends
            return np.full(state.shape, END, dtype=np.int64)
        degree = self.degree[state]
        end = self.indptr[state + 1]
        cell = np.minimum((u * degree).astype(np.int64), np.maximum(degree - 1, 0))
        pos = np.where(
            degree > 0,
            self.guide[np.minimum(self.indptr[state] + cell, self.guide.size - 1)],
            end,
        )
        todo = np.flatnonzero(pos < end)
        while todo.size:
            move = self.cum[pos[todo]] <= u[todo]
            todo = todo[move]
            pos[todo] += 1
            todo = todo[pos[todo] < end[todo]]
        out = np.full(state.shape, END, dtype=np.int64)
        hit = pos < end
        out[hit] = self.indices[pos[hit]]
        return out


def sample_chains(P, starts, length: int, rng) -> np.ndarray:
    """Sample many bigram chains at once.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix; the missing row mass ``1 - P[i].sum()`` is the
        probability that the chain ends after token ``i``.
    starts : array_like of int, shape (m,)
        The first token ``y0`` of each of the m chains, in ``0..n-1``.
    length : int
        Number of steps to sample after the start, >= 1.
    rng : numpy.random.Generator, int or None
        Source of randomness, or a seed for :func:`numpy.random.default_rng`
        (scipy's ``rng`` convention; seed it for reproducible chains).

    Returns
    -------
    numpy.ndarray of int64, shape (m, length + 1)
        Column 0 is ``starts``; column t is ``y_t``, or :data:`END` (-1) once
        the chain has ended.

    Raises
    ------
    TypeError
        If ``rng`` cannot seed a generator, ``length`` is not an integer, or
        ``starts`` is not integer-valued.
    ValueError
        If ``starts`` holds a token outside ``0..n-1``, ``rng`` is a negative
        seed, ``P`` is invalid, or the chains (``8 m (length + 1)`` bytes)
        would not fit in the machine's physical memory.

    Examples
    --------
    >>> sample_chains([[0.0, 1.0], [0.5, 0.0]], [0, 1], 3, rng=0).tolist()
    [[0, 1, 0, 1], [1, 0, 1, -1]]
    """
    chain = as_chain(P)
    length = check_positive_int(length, "length")
    rng = as_generator(rng)
    starts = check_starts(starts, chain.n)
    check_memory(
        length,
        "length",
        16 * max(starts.size, 1),
        f"the {starts.size} chains (int64, m x (length + 1))",
    )
    search = _IndexedSearch(chain.graph)
    Y = np.empty((starts.size, length + 1), dtype=np.int64)
    Y[:, 0] = starts
    for t in range(1, length + 1):
        u = rng.random(
            starts.size
        )  # one draw per chain and step, ended chains included (reproducibility)
        alive = Y[:, t - 1] != END
        Y[:, t] = END
        Y[alive, t] = search.step(Y[alive, t - 1], u[alive])
    return Y


def repeat_events(Y, K: int) -> np.ndarray:
    """For each chain and each k, whether event ``E_k`` happened.

    Parameters
    ----------
    Y : array_like of int, shape (m, L), L >= 2K + 1
        Chains from :func:`sample_chains` (tokens, :data:`END` after the end).
    K : int
        Largest k examined.

    Returns
    -------
    numpy.ndarray of bool, shape (m, K)
        Entry ``[c, k - 1]`` is true when ``Y[c, k] == Y[c, 0]`` and
        ``Y[c, k + t] == Y[c, t]`` for ``t = 1..k``: the event ``E_k`` of the
        book's :numref:`Chapter %s <bigram-setup>` (eq. :eq:`eq-R-mc`), an immediate repeat of length
        ``k`` at position 0, the same test that
        :func:`repetition.immediate_repeats` counts at every position.

    Raises
    ------
    TypeError, ValueError
        If ``K`` is not an integer >= 1, or ``Y`` is not a 2-D integer array
        with at least ``2K + 1`` columns.

    Examples
    --------
    >>> repeat_events([[0, 1, 0, 1, 0]], 2).tolist()   # y0..y2 = 0 1 0 and 0 1 0 1 0
    [[False, True]]
    """
    K = check_positive_int(K, "K")
    Y = as_array(Y, "Y")
    if Y.ndim != 2 or (Y.size and Y.dtype.kind not in "iu"):
        raise TypeError(
            f"Y must be a 2-D integer array of chains, got dtype {Y.dtype} and shape {Y.shape}"
        )
    if Y.shape[1] < 2 * K + 1:
        raise ValueError(
            f"Y must have at least 2K + 1 = {2 * K + 1} columns, got shape {Y.shape}"
        )
    events = np.zeros((Y.shape[0], K), dtype=bool)
    for k in range(1, K + 1):
        events[:, k - 1] = _repeats.repeat_at(Y, 0, k)
    return events


@dataclass(frozen=True)
class MonteCarloEstimate:
    """A Monte Carlo estimate of a truncated repetition rate.

    Attributes
    ----------
    value : float
        Estimate of ``R_K = Σ_{k=1}^{K} Tr((P ⊙ P)^k)``.
    stderr : float
        Its standard error (sample standard deviation over sqrt of samples).
    samples : int
        Number of chains.
    K : int
        Largest repeat length counted.
    per_k : numpy.ndarray, shape (K,)
        Estimates of each ``Tr(A^k)``.
    """

    value: float
    stderr: float
    samples: int
    K: int
    per_k: np.ndarray

    @classmethod
    def from_chains(cls, Y: np.ndarray, K: int, n: int) -> "MonteCarloEstimate":
        """The estimate from chains with uniform random starts: ``n`` times the mean number of events per chain.

        Parameters
        ----------
        Y : numpy.ndarray of int64, shape (m, L), m >= 2, L >= 2K + 1
            Sampled chains, each started at a uniformly drawn token.
        K : int
            Largest repeat length counted.
        n : int
            Number of tokens.

        Returns
        -------
        MonteCarloEstimate
            ``value = n * mean(count)`` with ``count`` the number of
            ``k <= K`` whose event ``E_k`` (:func:`repeat_events`) happened on
            a chain, ``stderr = n * sd(count) / sqrt(m)`` (sample standard
            deviation) and ``per_k = n * mean(E_k)`` (book, :numref:`Chapter %s <bigram-setup>`, eq.
            :eq:`eq-R-mc`).

        Examples
        --------
        >>> est = MonteCarloEstimate.from_chains(np.array([[0, 0, 0], [1, -1, -1]]), 1, 2)
        >>> est.value, est.per_k.tolist()
        (1.0, [1.0])
        """
        events = repeat_events(Y, K)
        samples = events.shape[0]
        counts = events.sum(axis=1).astype(np.float64)
        value = n * counts.mean()
        stderr = n * counts.std(ddof=1) / np.sqrt(samples)
        return cls(float(value), float(stderr), samples, K, n * events.mean(axis=0))


def monte_carlo_repetition_rate(P, K: int, samples: int, rng) -> MonteCarloEstimate:
    """Estimate ``R_K = Σ_{k<=K} Tr((P ⊙ P)^k)`` by sampling chains.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    K : int
        Largest repeat length counted (>= 1); each chain is sampled for
        ``2K`` steps. The estimate targets the partial sum ``R_K``; compare
        it with ``repetition_terms(P, K).sum()``, or choose K so that the
        tail ``R - R_K`` is negligible.
    samples : int
        Number of chains m (>= 2).
    rng : numpy.random.Generator, int or None
        Source of randomness, or a seed for :func:`numpy.random.default_rng`.

    Returns
    -------
    MonteCarloEstimate
        ``value = n * mean(count)`` where ``count`` is the number of ``k <= K``
        for which ``E_k`` happened on a chain with a uniform random start
        (book, :numref:`Chapter %s <bigram-setup>`, eq. :eq:`eq-R-mc`), and ``stderr`` its standard error.

    Raises
    ------
    TypeError, ValueError
        For invalid ``P``, ``K``, ``samples`` or ``rng``; a ValueError also
        for a ``K`` whose chains (``24 K samples`` bytes) would not fit in
        physical memory.

    Examples
    --------
    >>> # R_3 = 1/4 + 1/16 + 1/64
    >>> est = monte_carlo_repetition_rate([[0.5]], 3, 1000, rng=0)
    >>> est.samples, abs(est.value - 0.328125) < 5 * est.stderr
    (1000, True)
    """
    chain = as_chain(P)
    K = check_positive_int(K, "K")
    samples = check_samples(samples)
    check_memory(K, "K", 24 * samples, f"the {samples} chains of 2K + 1 tokens (int64)")
    rng = as_generator(rng)
    starts = rng.integers(0, chain.n, size=samples)
    Y = sample_chains(chain, starts, 2 * K, rng)
    return MonteCarloEstimate.from_chains(Y, K, chain.n)


# ---------------------------------------------------------------- sampling to the end token


@dataclass(frozen=True)
class SampledText:
    """Token sequences sampled until their end tokens, stored flat (CSR style).

    Attributes
    ----------
    tokens : numpy.ndarray of int64, shape (total,)
        All tokens, sequence after sequence (start tokens included, end
        tokens not).
    offsets : numpy.ndarray of int64, shape (m + 1,)
        Sequence ``s`` is ``tokens[offsets[s]:offsets[s + 1]]``.

    Raises
    ------
    TypeError, ValueError
        When built by hand from arrays that do not describe sequences:
        ``tokens`` not a 1-D integer array, ``offsets`` not a 1-D integer
        array starting at 0, nondecreasing and ending at ``tokens.size``.

    Examples
    --------
    >>> text = SampledText([0, 1, 0, 2], [0, 3, 4])
    >>> len(text), text.lengths.tolist(), text.sequence(1).tolist()
    (2, [3, 1], [2])
    """

    tokens: np.ndarray
    offsets: np.ndarray

    def __post_init__(self):
        tokens, offsets = (
            as_array(self.tokens, "tokens"),
            as_array(self.offsets, "offsets"),
        )
        for name, values in (("tokens", tokens), ("offsets", offsets)):
            if values.ndim != 1 or (values.size and values.dtype.kind not in "iu"):
                raise TypeError(
                    f"{name} must be a 1-D integer array, got dtype {values.dtype} and shape {values.shape}"
                )
        if (
            offsets.size == 0
            or offsets[0] != 0
            or offsets[-1] != tokens.size
            or np.any(np.diff(offsets) < 0)
        ):
            raise ValueError(
                f"offsets must start at 0, never decrease and end at len(tokens) = {tokens.size}; "
                f"got {offsets[:3].tolist()}...{offsets[-3:].tolist()} of {offsets.size}"
            )
        object.__setattr__(self, "tokens", tokens.astype(np.int64, copy=False))
        object.__setattr__(self, "offsets", offsets.astype(np.int64, copy=False))

    def __len__(self) -> int:
        return self.offsets.size - 1

    @property
    def lengths(self) -> np.ndarray:
        """Length of each sequence in tokens, shape (m,)."""
        return np.diff(self.offsets)

    def sequence(self, s: int) -> np.ndarray:
        """The tokens of sequence ``s``."""
        return self.tokens[self.offsets[s] : self.offsets[s + 1]]


def sample_to_end(
    P,
    size: int,
    rng=None,
    start=None,
    max_length: int | None = None,
    max_tokens: int = MAX_TOKENS,
) -> SampledText:
    """Sample ``size`` sequences from a bigram decoder, each until its end token.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1; the missing mass is
        the probability of the end token).
    size : int
        Number of sequences m (>= 1).
    rng : numpy.random.Generator, int or None
        Source of randomness or a seed (as ``numpy.random.default_rng``).
    start : array_like of float, shape (n,), optional
        Start distribution ``π`` of the first token; uniform when None.
    max_length : int, optional
        A safety limit on tokens per sequence: a sequence that reaches it
        without ending raises instead of being cut (cut text has a different
        expectation). None (default): no limit.
    max_tokens : int
        A limit on the tokens of all sequences together (default
        ``MAX_TOKENS`` = 5e7, about 1.2 GB while sampling); reaching it raises.
        The expected total is ``size · Σ_i v_i`` (:func:`repetition.expected_visits`),
        which a decoder that rarely ends (low temperature, truncation that
        drops the end token) makes very large.

    Returns
    -------
    SampledText
        The m sequences, flat. With ``π`` and ``P`` as given, the mean over
        sequences of the number of immediate repeats
        (:func:`repetition.sampled_repeats`) estimates :func:`repetition.expected_repeats`
        ``.value``, and the mean length ``Σ_i v_i``.

    Raises
    ------
    TypeError, ValueError
        For invalid ``P``, ``size``, ``rng``, ``start`` or ``max_length``.
    ValueError
        If a token with infinitely many expected visits is reachable from the
        support of ``π`` (sequences need not end; decided on the graph as in
        :func:`repetition.expected_visits`), or a sequence reaches ``max_length``, or the
        sequences reach ``max_tokens`` in all.

    Notes
    -----
    All live sequences advance together: one uniform draw per live sequence
    and step, inverted against the within-row cumulative sums of ``P`` by an
    indexed search (exact comparisons in double precision). Reproducible for
    a seeded ``rng``.

    Examples
    --------
    Token 0 is followed by 1 with probability 0.9, token 1 by 0 with
    probability 1/2; otherwise the sequence ends.

    >>> text = sample_to_end([[0.0, 0.9], [0.5, 0.0]], size=4, rng=1, start=[1.0, 0.0])
    >>> text.lengths.tolist(), text.sequence(1).tolist()
    ([2, 4, 2, 2], [0, 1, 0, 1])
    """
    chain = as_chain(P)
    n = chain.n
    size = check_positive_int(size, "size")
    if max_length is not None:
        max_length = check_positive_int(max_length, "max_length")
    max_tokens = check_positive_int(max_tokens, "max_tokens")
    rng = as_generator(rng)
    pi = as_start(start, n)
    G = chain.graph
    infinite = _linalg.reach(
        G, np.flatnonzero(chain.trapped & _linalg.reach(G, np.flatnonzero(pi > 0)))
    )
    if np.any(infinite):
        i = int(np.flatnonzero(infinite)[0])
        raise ValueError(
            f"sequences from this start distribution need not end: token {i} (and {int(infinite.sum()) - 1} "
            "others) can be reached but cannot reach the end token; there is nothing to sample to the end"
        )
    search = _IndexedSearch(G)
    start_cdf = np.cumsum(pi)
    first = np.minimum(
        np.searchsorted(start_cdf, rng.random(size) * start_cdf[-1], side="right"),
        n - 1,
    )
    small = (
        np.int32 if max(size, n) < 2**31 else np.int64
    )  # what is kept while sampling
    ids_list, tok_list = [], []
    alive = np.arange(size, dtype=np.int64)
    state = first.astype(np.int64)
    total = size
    t = 0
    while alive.size:
        t += 1
        if max_length is not None and t >= max_length:
            raise ValueError(
                f"{alive.size} of the {size} sequences had not ended after max_length={max_length} tokens; "
                "raise max_length (cut text would have a different expectation)"
            )
        if total + alive.size > max_tokens:
            raise ValueError(
                f"the {size} sequences reached max_tokens={max_tokens} tokens in all with {alive.size} of them "
                f"still going (after {t} steps); their expected total is size times the expected length "
                "(see expected_visits): sample fewer sequences, or raise max_tokens if memory allows"
            )
        nxt = search.step(state, rng.random(alive.size))
        keep = nxt >= 0
        alive, state = alive[keep], nxt[keep]
        total += alive.size
        ids_list.append(alive.astype(small))
        tok_list.append(state.astype(small))
    steps = np.array([a.size for a in ids_list], dtype=np.int64)
    ids = (
        np.concatenate(ids_list).astype(np.int64)
        if ids_list
        else np.zeros(0, dtype=np.int64)
    )
    del ids_list
    lengths = 1 + np.bincount(ids, minlength=size)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    tokens = np.empty(offsets[-1], dtype=np.int64)
    tokens[offsets[:-1]] = first
    if ids.size:
        where = offsets[ids]
        del ids
        where += np.repeat(np.arange(1, steps.size + 1, dtype=np.int64), steps)
        tokens[where] = np.concatenate(tok_list)
    return SampledText(tokens, offsets)
