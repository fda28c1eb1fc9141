"""Sampling the bigram chain, and the Monte Carlo meaning of the repetition rate.

Book, Chapter 1, section "What R counts": from a uniform start ``y0 = i``,
the event ``E_k`` that ``y_k = i`` and ``y_{k+t} = y_t`` for ``t = 1..k`` (the
next ``2k`` tokens are one closed k-walk written twice) has probability
``(A^k)_ii``, so ``R / n`` is the expected number of ``k`` for which ``E_k``
happens (eq. ``eq-R-mc``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._validation import as_generator, check_positive_int, check_samples, check_starts
from .chain import as_chain

__all__ = ["END", "sample_chains", "repeat_events", "MonteCarloEstimate", "monte_carlo_repetition_rate"]

#: Value written into a sampled chain after it has ended (the end token).
END = -1


class _RowSampler:
    """Inverse-CDF sampling of next tokens for many chains at once (CSR layout)."""

    def __init__(self, P):
        C = sp.csr_array(P) if sp.issparse(P) else sp.csr_array(np.asarray(P))
        C = C.copy()
        C.eliminate_zeros()
        C.sort_indices()
        self.indptr = C.indptr.astype(np.int64)
        self.indices = C.indices.astype(np.int64)
        n = C.shape[0]
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.indptr))
        # Row i's cumulative sums live in [i, i + 1]: one global sorted key array.
        within = np.cumsum(C.data) - np.repeat(
            np.concatenate([[0.0], np.cumsum(C.data)])[self.indptr[:-1]], np.diff(self.indptr)
        )
        self.keys = rows + within

    def step(self, state: np.ndarray, u: np.ndarray) -> np.ndarray:
        out = np.full(state.shape, END, dtype=np.int64)
        alive = state != END
        s = state[alive]
        pos = np.searchsorted(self.keys, s + u[alive], side="right")
        hit = pos < self.indptr[s + 1]
        nxt = np.full(s.shape, END, dtype=np.int64)
        nxt[hit] = self.indices[pos[hit]]
        out[alive] = nxt
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
        seed, or ``P`` is invalid.

    Examples
    --------
    >>> sample_chains([[0.0, 1.0], [0.5, 0.0]], [0, 1], 3, rng=0).tolist()
    [[0, 1, 0, 1], [1, 0, 1, -1]]
    """
    chain = as_chain(P)
    length = check_positive_int(length, "length")
    rng = as_generator(rng)
    starts = check_starts(starts, chain.n)
    sampler = _RowSampler(chain.P)
    Y = np.empty((starts.size, length + 1), dtype=np.int64)
    Y[:, 0] = starts
    for t in range(1, length + 1):
        Y[:, t] = sampler.step(Y[:, t - 1], rng.random(starts.size))
    return Y


def repeat_events(Y: np.ndarray, K: int) -> np.ndarray:
    """For each chain and each k, whether event ``E_k`` happened.

    Parameters
    ----------
    Y : numpy.ndarray of int64, shape (m, L), L >= 2K + 1
        Chains from :func:`sample_chains`.
    K : int
        Largest k examined.

    Returns
    -------
    numpy.ndarray of bool, shape (m, K)
        Entry ``[c, k - 1]`` is true when ``Y[c, k] == Y[c, 0]`` and
        ``Y[c, k + t] == Y[c, t]`` for ``t = 1..k``: the event ``E_k`` of the
        book's Chapter 1 (eq. ``eq-R-mc``).

    Raises
    ------
    TypeError, ValueError
        If ``K`` is not an integer >= 1, or ``Y`` has fewer than ``2K + 1``
        columns.

    Examples
    --------
    >>> repeat_events(np.array([[0, 1, 0, 1, 0]]), 2).tolist()   # y0..y2 = 0 1 0 and 0 1 0 1 0
    [[False, True]]
    """
    K = check_positive_int(K, "K")
    if Y.ndim != 2 or Y.shape[1] < 2 * K + 1:
        raise ValueError(f"Y must have at least 2K + 1 = {2 * K + 1} columns, got shape {Y.shape}")
    events = np.zeros((Y.shape[0], K), dtype=bool)
    for k in range(1, K + 1):
        events[:, k - 1] = (Y[:, k] == Y[:, 0]) & np.all(Y[:, k + 1:2 * k + 1] == Y[:, 1:k + 1], axis=1)
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
            deviation) and ``per_k = n * mean(E_k)`` (book, Chapter 1, eq.
            ``eq-R-mc``).

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
        (book, Chapter 1, eq. ``eq-R-mc``), and ``stderr`` its standard error.

    Raises
    ------
    TypeError, ValueError
        For invalid ``P``, ``K``, ``samples`` or ``rng``.

    Examples
    --------
    >>> est = monte_carlo_repetition_rate([[0.5]], 3, 1000, rng=0)   # R_3 = 1/4 + 1/16 + 1/64
    >>> est.samples, abs(est.value - 0.328125) < 5 * est.stderr
    (1000, True)
    """
    chain = as_chain(P)
    K = check_positive_int(K, "K")
    samples = check_samples(samples)
    rng = as_generator(rng)
    starts = rng.integers(0, chain.n, size=samples)
    Y = sample_chains(chain, starts, 2 * K, rng)
    return MonteCarloEstimate.from_chains(Y, K, chain.n)
