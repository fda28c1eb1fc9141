"""Decoding rules as transforms of the transition matrix.

Book, :numref:`Chapter %s <chapter-decoding>` (Su 2021, section 初步结论): a decoding rule that looks only
at the next-token distribution of the current token is a map ``T`` applied to
each row of the full ``(n+1)``-column transition matrix, end token included.
This module applies greedy, top-k, nucleus (top-p) and temperature rules to
the ``(n, n)`` block ``P`` and returns the transformed block.

Input convention (shared by every function here)
------------------------------------------------
``P`` is ``(n, n)`` with row sums ``s_i <= 1``; the implicit ``(n+1)``-th
column ``1 - s_i`` is the end-token probability. A row's full distribution is
the ``(n+1)``-vector ``(P[i, 0], ..., P[i, n-1], 1 - s_i)``; the rule acts on
that vector and the first ``n`` entries of the result form row ``i`` of the
output. The end mass ``b_i = max(0, 1 - s_i)`` is computed from the exact row
sum (:attr:`repetition.BigramChain.end_mass`), so it does not depend on how
``P`` is stored; an end mass below the row-sum tolerance of the input
(``BigramChain.row_sum_tolerance``, 1e-12 for float64) is
rounding of a row meant to sum to 1 and is treated as zero. A row of zeros
(the model stops at once) stays a row of zeros under every rule. Dense input
gives a dense ``numpy.ndarray``; sparse input gives a
``scipy.sparse.csr_array`` with no stored zeros; the two hold the same numbers.

The tie rule (one rule for :func:`greedy`, :func:`top_k`, :func:`top_p` and
:func:`beam_search`). Outcomes are ranked by decreasing probability. Two
probabilities *tie* when they differ by at most :data:`TIE_TOLERANCE` (1e-12)
times the larger one, a relative test, so ``1e-26`` never ties with
``1e-14``; a run of outcomes each tied with the next in that order forms one
tie group, and within a group the smaller index ranks first, the end token
(index n) last. So an end mass computed as ``1 - 2/3`` ties with a token
probability ``1/3`` whatever the last bit, and the ranking depends only on the
numbers, never on the storage or the order of the entries.

Beam search is not a row transform (it ranks whole prefixes, so what it keeps
after a token depends on the path that led there); :func:`beam_search` runs it
on the chain for the chapter's demonstration.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from ._validation import check_positive_int, check_real
from .chain import as_chain
from .sampling import END

__all__ = ["greedy", "top_k", "top_p", "temperature", "beam_search", "TIE_TOLERANCE"]

#: Two probabilities tie when they differ by at most this fraction of the larger one (the module's tie rule).
TIE_TOLERANCE = 1e-12

#: A nucleus prefix whose mass is within this much below p counts as reaching p (rounding of sums such as 0.1 + 0.2).
_NUCLEUS_SLACK = 1e-12


def _tie_groups(values: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Labels of the tie groups of ``values`` sorted in decreasing order within each segment.

    ``segments`` labels the segments (rows, or beam steps), nondecreasing. A
    new group starts at every new segment and wherever a value is below its
    predecessor by more than :data:`TIE_TOLERANCE` times the predecessor. The
    labels increase along the array.
    """
    new = np.ones(values.size, dtype=bool)
    if values.size > 1:
        new[1:] = (segments[1:] != segments[:-1]) | (
            values[:-1] - values[1:] > TIE_TOLERANCE * values[:-1]
        )
    return np.cumsum(new)


class _Rows:
    """The positive entries of the full (n+1)-column rows, sorted by row, then by the module's tie rule
    (decreasing value; within a tie group by increasing column, the end token being column n)."""

    def __init__(self, P):
        chain = as_chain(P)
        self.sparse = sp.issparse(chain.P)
        n = chain.n
        self.n = n
        G = chain.graph  # the positive entries by row and column, whatever the storage
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(G.indptr))
        cols, vals = G.indices.astype(np.int64), G.data
        end = chain.end_mass
        has_end = end > chain.row_sum_tolerance
        end_rows = np.flatnonzero(has_end)
        rows = np.concatenate([rows, end_rows])
        cols = np.concatenate([cols, np.full(end_rows.size, n, dtype=np.int64)])
        vals = np.concatenate([vals, end[has_end]])
        by_value = np.lexsort((cols, -vals, rows))
        rows, cols, vals = rows[by_value], cols[by_value], vals[by_value]
        order = np.lexsort((cols, _tie_groups(vals, rows)))
        self.rows, self.cols, self.vals = rows[order], cols[order], vals[order]
        counts = np.bincount(self.rows, minlength=n)
        self.starts = np.concatenate([[0], np.cumsum(counts)])
        #: rank of each entry within its row (0 = most probable)
        self.rank = np.arange(self.rows.size) - self.starts[self.rows]

    def cumulative_before(self) -> np.ndarray:
        """Mass of the entries ranked strictly before each entry in its row,
        summed row by row (no cross-row cancellation)."""
        out = np.empty_like(self.vals)
        lengths = np.diff(self.starts)
        for L in np.unique(lengths[lengths > 0]):
            rows = np.flatnonzero(lengths == L)
            idx = self.starts[rows][:, None] + np.arange(L)[None, :]
            block = self.vals[idx]
            before = np.cumsum(block, axis=1) - block
            before[:, 0] = 0.0
            out[idx] = before
        return out

    def assemble(self, mask: np.ndarray, weights: np.ndarray):
        """Renormalise ``weights`` over the kept entries of each row and return the (n, n) block."""
        rows, cols, w = self.rows[mask], self.cols[mask], weights[mask]
        totals = np.bincount(rows, weights=w, minlength=self.n)
        w = w / totals[rows]
        token = cols < self.n
        rows, cols, w = rows[token], cols[token], w[token]
        if self.sparse:
            out = sp.csr_array((w, (rows, cols)), shape=(self.n, self.n))
            out.eliminate_zeros()
            out.sort_indices()
            return out
        out = np.zeros((self.n, self.n))
        out[rows, cols] = w
        return out


def greedy(P):
    """Greedy decoding: every row keeps only its most probable outcome.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1; the missing mass is
        the end token, see the module's input convention).

    Returns
    -------
    numpy.ndarray or scipy.sparse.csr_array, shape (n, n), float64
        Row ``i`` is the indicator of ``argmax`` of the full row
        ``(P[i, :], 1 - Σ_j P[i, j])``, so it has a single 1 if the argmax is
        a token and is zero if it is the end token. Ties (the module's tie
        rule: within a relative 1e-12) go to the smallest index; the end
        token, index n, loses every tie. The result has at
        most one nonzero per row, so ``ζ <= 1/n`` (book, :numref:`Chapter %s <chapter-decoding>`, theorem
        :prf:ref:`thm-greedy-functional`).

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> greedy([[0.2, 0.5], [0.1, 0.3]])   # row 1: the end token (0.6) wins
    array([[0., 1.],
           [0., 0.]])
    """
    rows = _Rows(P)
    mask = rows.rank == 0
    return rows.assemble(mask, np.ones_like(rows.vals))


def top_k(P, k: int):
    """Top-k truncation: keep the k most probable outcomes of each row and renormalise.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (module input convention: the end token is the
        implicit last column ``1 - row sum`` and competes like any token).
    k : int
        Number of outcomes kept per row, ``k >= 1``; ``k >= n + 1`` keeps the
        whole row (identity).

    Returns
    -------
    numpy.ndarray or scipy.sparse.csr_array, shape (n, n), float64
        Row ``i`` of ``T(P)``: the ``k`` largest of the ``n + 1`` outcomes
        (ranked by the module's tie rule: within a relative 1e-12, the smaller
        index first, the end token last), divided by their total
        mass; the ``n`` token columns are returned. ``top_k(P, 1)`` equals
        :func:`greedy`.

    Raises
    ------
    TypeError
        If ``k`` is not an integer, or ``P`` has a wrong dtype.
    ValueError
        If ``k < 1`` or ``P`` is invalid.

    Notes
    -----
    Book, :numref:`Chapter %s <chapter-decoding>`, eq. :eq:`eq-topk`; truncation never lowers a row sum of
    ``A = P ⊙ P`` (:prf:ref:`thm-truncation-rowsum`).

    Examples
    --------
    >>> top_k([[0.5, 0.3], [0.4, 0.4]], 2)   # full rows (.5, .3, .2) and (.4, .4, .2)
    array([[0.625, 0.375],
           [0.5  , 0.5  ]])
    """
    k = check_positive_int(k, "k")
    rows = _Rows(P)
    return rows.assemble(rows.rank < k, rows.vals)


def top_p(P, p: float):
    """Nucleus (top-p) truncation: keep the smallest most-probable set with mass >= p, renormalised.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (module input convention: the end token is the
        implicit last column ``1 - row sum`` and competes like any token).
    p : float
        Nucleus mass, ``0 < p <= 1``; ``p = 1`` keeps every outcome of
        positive probability (identity).

    Returns
    -------
    numpy.ndarray or scipy.sparse.csr_array, shape (n, n), float64
        Row ``i`` of ``T(P)``: sort the ``n + 1`` outcomes by decreasing
        probability (the module's tie rule: within a relative 1e-12, the
        smaller index first, end token last) and keep the
        shortest prefix whose mass is ``>= p``; divide by that mass; return
        the ``n`` token columns. A prefix mass within ``1e-12`` below ``p``
        counts as reaching ``p`` (rounding of sums such as 0.1 + 0.2).

    Raises
    ------
    TypeError
        If ``p`` is not a real number, or ``P`` has a wrong dtype.
    ValueError
        If ``p`` is not in ``(0, 1]`` or ``P`` is invalid.

    Notes
    -----
    Book, :numref:`Chapter %s <chapter-decoding>`, eq. :eq:`eq-topp`; Holtzman et al. (2020) call it nucleus
    sampling.

    Examples
    --------
    >>> top_p([[0.5, 0.3], [0.1, 0.1]], 0.8)
    array([[0.625, 0.375],
           [0.   , 0.   ]])
    """
    p = check_real(p, "p", 0.0, 1.0, low_open=True, high_open=False)
    rows = _Rows(P)
    if p == 1.0:
        mask = np.ones(rows.vals.size, dtype=bool)
    else:
        mask = rows.cumulative_before() < p - _NUCLEUS_SLACK
    return rows.assemble(mask, rows.vals)


def temperature(P, t: float):
    """Temperature scaling: each outcome's probability raised to ``1/t``, renormalised.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (module input convention: the end token is the
        implicit last column ``1 - row sum`` and is rescaled like any token).
    t : float
        Temperature, ``t > 0`` and finite. ``t = 1`` is the identity,
        ``t < 1`` sharpens each row (towards greedy as ``t -> 0``), ``t > 1``
        flattens it (towards uniform over the row's support).

    Returns
    -------
    numpy.ndarray or scipy.sparse.csr_array, shape (n, n), float64
        ``T(P)[i, j] = P[i, j]^(1/t) / Σ_l q_l^(1/t)`` where the sum runs
        over the ``n + 1`` outcomes ``q`` of row ``i``. Zeros stay zero, and
        in exact arithmetic every positive entry stays positive, so the
        support and ``ζ`` do not change. Computed as
        ``exp((log p - log p_max) / t)``, shifted by the row's largest outcome
        before dividing by ``t``, so nothing overflows and the largest entries
        never underflow, for any ``t`` from 5e-324 to 1.8e308; in floating
        point an entry with ``(p / p_max)^(1/t)`` below the smallest double
        (about 5e-324) does round to 0, so at small ``t`` the computed support
        can be smaller than ``P``'s (e.g. ``p / p_max = 1e-4`` at
        ``t = 0.01``), and as ``t -> 0`` a row tends to the uniform
        distribution over its largest outcomes (exactly equal ones).

    Raises
    ------
    TypeError
        If ``t`` is not a real number, or ``P`` has a wrong dtype.
    ValueError
        If ``t`` is not a finite number > 0, or ``P`` is invalid.

    Notes
    -----
    Book, :numref:`Chapter %s <chapter-decoding>`, eq. :eq:`eq-temperature`: ``P^(1/t)`` is the softmax of
    the logits divided by ``t``.

    Examples
    --------
    >>> temperature([[0.5, 0.25], [0.0, 0.0]], 0.5)   # row 0: (1/4, 1/16, 1/16) / (3/8)
    array([[0.66666667, 0.16666667],
           [0.        , 0.        ]])
    """
    t = check_real(t, "t", 0.0, None, low_open=True)
    rows = _Rows(P)
    logs = np.log(rows.vals)
    nonempty = rows.starts[:-1][np.diff(rows.starts) > 0]
    row_max = np.maximum.reduceat(logs, nonempty) if nonempty.size else np.empty(0)
    shift = np.zeros(rows.n)
    shift[rows.rows[nonempty]] = row_max
    # shifted by the row's largest log before dividing by t: every exponent is <= 0 and the largest is 0, so
    # no overflow, no NaN, however small t is (1e-300: the row's largest outcomes share everything)
    with np.errstate(
        over="ignore"
    ):  # (log p - log p_max) / t below -1.8e308 is -inf: exp gives 0
        weights = np.exp((logs - shift[rows.rows]) / t)
    return rows.assemble(np.ones(rows.vals.size, dtype=bool), weights)


def beam_search(P, start: int, width: int, length: int):
    """Beam search on the bigram chain: the ``width`` most probable continuations of ``start``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (module input convention: ending after token ``i``
        has probability ``1 - Σ_j P[i, j]``).
    start : int
        The first token, ``0 <= start < n``.
    width : int
        Beam width ``>= 1``.
    length : int
        Maximum number of steps after ``start``, ``>= 1``.

    Returns
    -------
    list of (tuple of int, float)
        Up to ``width`` hypotheses, most probable first: the token sequence
        (beginning with ``start``; a finished hypothesis ends with
        :data:`repetition.END`, ``-1``) and its natural-log probability. At
        each step every unfinished hypothesis is extended by each of its
        ``n + 1`` outcomes of positive probability, finished hypotheses are
        carried over unchanged, and the ``width`` best by log probability
        are kept, ranked by the module's tie rule (probabilities within a
        relative 1e-12 tie; within a tie group the lexicographically smaller
        sequence first, the end token ordered last). Dense and sparse storage
        of the same matrix give the same hypotheses and the same numbers.

    Raises
    ------
    TypeError
        If ``start``, ``width`` or ``length`` is not an integer.
    ValueError
        If they are out of range or ``P`` is invalid.

    Notes
    -----
    Book, :numref:`Chapter %s <chapter-decoding>`, section on beam search: the scores compare whole
    prefixes, so what the search keeps after a token depends on how the
    prefix got there; no fixed map of rows reproduces it.

    Examples
    --------
    >>> P = [[0.0, 0.9], [0.6, 0.0]]
    >>> [(seq, round(lp, 6)) for seq, lp in beam_search(P, 0, 2, 3)]
    [((0, 1, 0, 1), -0.721547), ((0, 1, -1), -1.021651)]
    """
    chain = as_chain(P)
    n = chain.n
    if isinstance(start, (bool, np.bool_)) or not isinstance(start, (int, np.integer)):
        raise TypeError(
            f"start must be an integer token index in [0, {n}), got {start!r}"
        )
    if not 0 <= start < n:
        raise ValueError(f"start must be a token index in [0, {n}), got {start!r}")
    width = check_positive_int(width, "width")
    length = check_positive_int(length, "length")
    G, ends, tol = (
        chain.graph,
        chain.end_mass,
        chain.row_sum_tolerance,
    )  # the same numbers for any storage
    log_tie = -math.log1p(
        -TIE_TOLERANCE
    )  # probabilities within a relative 1e-12: log probabilities within this

    def outcomes(i):
        lo, hi = G.indptr[i], G.indptr[i + 1]
        out = [
            (int(j), float(v))
            for j, v in zip(G.indices[lo:hi], G.data[lo:hi], strict=True)
        ]
        if ends[i] > tol:
            out.append((END, float(ends[i])))
        return out

    def ranked(candidates):
        """The module's tie rule on log probabilities; within a tie group the smaller sequence, END last."""
        candidates = sorted(candidates, key=lambda item: -item[1])
        group, groups = 0, []
        for k, (_, lp) in enumerate(candidates):
            if k and candidates[k - 1][1] - lp > log_tie:
                group += 1
            groups.append(group)
        order = sorted(
            range(len(candidates)),
            key=lambda k: (
                groups[k],
                tuple(n if s == END else s for s in candidates[k][0]),
            ),
        )
        return [candidates[k] for k in order]

    beam = [((int(start),), 0.0)]
    for _ in range(length):
        candidates = []
        for seq, lp in beam:
            if seq[-1] == END:
                candidates.append((seq, lp))
                continue
            for j, v in outcomes(seq[-1]):
                candidates.append((seq + (j,), lp + math.log(v)))
        beam = ranked(candidates)[:width]
        if all(seq[-1] == END for seq, _ in beam):
            break
    return beam
