"""Expected repeats in the text a bigram decoder generates, exactly, and the same count in sampled text.

A sequence starts at a token ``y_0`` drawn from a start distribution ``π`` and
runs until the end token (the missing row mass of ``P``). Counting an
immediate repeat wherever it begins, at every position ``t`` and every length
``k`` (book, :numref:`Chapter %s <bigram-setup>`, :prf:ref:`def-repeated-subsequence`: the segment
``y_t ... y_{t+2k}`` reads ``w_1 ... w_k w_1 ... w_k w_1``), the expected
number of repeats in one sequence is

    M = Σ_i v_i [A (I - A)^{-1}]_ii,   v = πᵀ (I - P)^{-1},   A = P ⊙ P,

where ``v_i`` is the expected number of times token ``i`` is generated (the
start token included). Proof sketch: by linearity, ``E[#events] =
Σ_t Σ_k Σ_i Pr(y_t = i) Pr(E_k | y_t = i)``; by the Markov property the second
factor is ``(A^k)_ii`` (as for ``R``, :numref:`Chapter %s <bigram-setup>`, eq. :eq:`eq-R-mc`), and
``Σ_t Pr(y_t = i) = (πᵀ Σ_t P^t)_i = v_i``; all terms are nonnegative, so the
sums may be reordered (Tonelli). ``R = Σ_i [A(I - A)^{-1}]_ii`` is the case
``v = 1``.

Exact at vocabulary scale: ``v`` is one sparse solve and ``M`` one weighted
trace, both by the block elimination behind :func:`repetition.repetition_rate`
(every update a sum of nonnegative products). Divergence is decided on the graph,
never from a nearly singular solve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _linalg, _sparse_rate
from ._validation import as_start, as_token_lengths, check_memory, check_positive_int
from .chain import as_chain

__all__ = ["expected_visits", "ExpectedRepeats", "expected_repeats"]


# ---------------------------------------------------------------- expected visits


def _visits(chain, pi: np.ndarray) -> np.ndarray:
    """``v = πᵀ (I - P)^{-1}`` with ``math.inf`` where infinite, for a chain and a validated ``π``."""
    G = chain.graph
    reachable = _linalg.reach(G, np.flatnonzero(pi > 0))
    infinite = _linalg.reach(G, np.flatnonzero(chain.trapped & reachable))
    v = np.zeros(chain.n)
    v[infinite] = math.inf
    T = np.flatnonzero(reachable & ~infinite)
    if T.size == 0:
        return v
    x, y = _sparse_rate.resolvent_solve(_linalg.submatrix(chain.P, T), pi[T])
    if not (np.all(np.isfinite(y)) and np.all(y >= 0) and np.all(np.isfinite(x))):
        # v = π (I + P + P² + ...) >= π >= 0: a negative or non-finite solution has no correct digit
        raise FloatingPointError(
            f"expected visits: I - P is singular to working precision on the {T.size} reachable tokens "
            f"(the solve gives {float(np.min(y))!r}, but visits are >= 0): rows whose sums fall short of 1 by "
            "less than about 1e-16 cannot be told from rows that sum to 1; the expected length is beyond 1/ε"
        )
    _sparse_rate.warn_conditioning(
        "expected visits: (I - P) is nearly singular on the reachable tokens",
        float(np.max(np.abs(x))),
    )
    v[T] = y
    return v


def expected_visits(P, start=None) -> np.ndarray:
    """Expected number of times each token is generated in one sequence, ``v = πᵀ (I - P)^{-1}``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix of a bigram decoder: ``P[i, j]`` is the probability
        that token ``j`` follows token ``i``; entries >= 0, row sums <= 1, the
        missing mass ``1 - Σ_j P[i, j]`` is the probability of the end token.
    start : array_like of float, shape (n,), optional
        The start distribution ``π`` of the first token ``y_0``: nonnegative,
        finite, summing to 1 within ``1e-9`` (exactly, by ``math.fsum``). Uniform
        over the n tokens when None (the chapters use the empirical
        distribution of sentence-initial tokens instead).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        ``v_i = Σ_{t>=0} Pr(y_t = i)``: the expected number of positions of
        one generated sequence (the start token included, the end token not)
        that hold token ``i``; ``Σ_i v_i`` is the expected length in tokens.
        ``v_i = 0`` for tokens that cannot be reached from the support of
        ``π``, and ``v_i = math.inf`` exactly for the tokens reachable, from
        that support, through a class of tokens the chain cannot leave
        (:attr:`repetition.BigramChain.trapped`: a strongly connected
        component with no edge leaving it and no row with end mass, or one
        containing a deterministic cycle). So ``v`` is finite exactly when every token reachable from the
        support of ``π`` can reach the end token. This is decided on the
        graph, never by a singular solve; a row has *no end mass* when the
        exact sum of its stored entries is at least 1 (decided by the sign of
        ``math.fsum(row + [-1.0])`` where the floating-point sum is too close
        to 1 to tell), so rows summing above 1 within the tolerance of
        :func:`repetition.as_transition_matrix` count as rows with no end mass.

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``; for a
        ``start`` of the wrong shape or dtype, with negative or non-finite
        entries, or not summing to 1.
    FloatingPointError
        When ``I - P`` on the reachable tokens is singular to working
        precision, so that the solve returns negative visits (rows that fall
        short of 1 by less than about 1e-16, an expected length beyond 1/ε).

    Warns
    -----
    ConditioningWarning
        When ``(I - P)`` restricted to the reachable tokens is so nearly
        singular (an expected remaining length near ``1e8``) that rounding may
        cost more than about 1e-8 relative accuracy.

    Notes
    -----
    Book, :numref:`Chapter %s <chapter-expected-repeats>` (expected repeats in generated text), eq. :eq:`eq-visits`.
    ``v`` solves ``(I - P)ᵀ v = π`` on the tokens that are reachable and not
    infinitely visited (paths from the support of ``π`` to them never pass an
    infinitely visited token). Up to 2,500 tokens the solve is one dense LU;
    above it, the block elimination behind :func:`repetition.repetition_rate`
    (low-degree tokens first, many at a time; the rest densely), which keeps the fill of a word-level model with
    hub tokens small. A pure chain ``0 -> 1 -> end``:

    Examples
    --------
    >>> expected_visits([[0.0, 1.0], [0.0, 0.0]], start=[1.0, 0.0]).tolist()
    [1.0, 1.0]
    >>> # a self-loop kept with probability 1/2: 1 + 1/2 + 1/4 + ...
    >>> expected_visits([[0.5]]).tolist()
    [2.0]
    >>> expected_visits([[0.0, 1.0], [1.0, 0.0]], start=[1.0, 0.0]).tolist()  # never ends
    [inf, inf]
    """
    chain = as_chain(P)
    return _visits(chain, as_start(start, chain.n))


# ---------------------------------------------------------------- expected repeats


@dataclass(frozen=True)
class ExpectedRepeats:
    """The expected number of immediate repeats in one generated sequence, and its normalisations.

    Attributes
    ----------
    value : float
        ``M = Σ_i v_i [A (I - A)^{-1}]_ii``: the expected number of events
        ``(t, k)`` in one sequence (every position ``t``, every length
        ``k >= 1``); ``math.inf`` when it diverges.
    tokens : float
        ``Σ_i v_i``: the expected length of a sequence in tokens (the end
        token not counted).
    per_token : float
        ``M / Σ_i v_i``; ``nan`` when both are infinite.
    characters : float or None
        ``Σ_i v_i len_i``: the expected length in characters, when token
        lengths were given.
    per_character : float or None
        ``M / Σ_i v_i len_i``, when token lengths were given (``nan`` when
        both are infinite).
    terms : numpy.ndarray of float64, shape (K,), or None
        ``M_k = Σ_i v_i (A^k)_ii`` for ``k = 1..K``, the expected number of
        repeats of length ``k``, when ``K`` was given.
    visits : numpy.ndarray of float64, shape (n,)
        The expected visits ``v`` (:func:`expected_visits`).
    """

    value: float
    tokens: float
    per_token: float
    characters: float | None
    per_character: float | None
    terms: np.ndarray | None
    visits: np.ndarray


def expected_repeats(
    P, start=None, token_lengths=None, K: int | None = None
) -> ExpectedRepeats:
    """The expected number of immediate repeats in one sequence generated until the end token.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix of the decoder (entries >= 0, row sums <= 1; the
        missing mass is the end token).
    start : array_like of float, shape (n,), optional
        Start distribution ``π`` (as in :func:`expected_visits`); uniform
        when None.
    token_lengths : array_like, shape (n,), optional
        Characters each token adds to the surface text (positive, finite;
        e.g. ``len(word) + 1`` when words are written with a space after
        each). Enables ``characters`` and ``per_character``.
    K : int, optional
        If given (>= 1), also return the terms ``M_k`` for ``k = 1..K``.

    Returns
    -------
    ExpectedRepeats
        ``value = M = Σ_i v_i [A (I - A)^{-1}]_ii`` with ``A = P ⊙ P`` and
        ``v`` the expected visits: the expected number of pairs ``(t, k)``
        such that ``y_t ... y_{t+2k}`` reads ``w_1 ... w_k w_1 ... w_k w_1``
        (:numref:`Chapter %s <bigram-setup>`'s repeated subsequence), counted at every position and
        every length in one sequence run to its end token. ``M`` is finite
        exactly when ``v`` is (an infinitely visited token lies on a closed
        walk of its class, so then ``M = ∞`` too), and ``M = ∞`` is decided
        on the graph like the repetition rate's divergence.

        Relation to the repetition rate: ``R = Σ_i [A (I - A)^{-1}]_ii`` is
        ``M`` with every ``v_i`` replaced by 1, i.e. the expected number of
        repeats that begin at the *first* position of a sequence, summed over
        the n possible first tokens (``R / n`` for a uniform first token).
        Since ``(I - P)^{-1} >= I`` entrywise, ``v >= π`` and
        ``M >= Σ_i π_i [A (I - A)^{-1}]_ii`` (``= R / n`` for uniform
        ``π``); ``M`` weights each token by how often the decoder actually
        generates it, ``R`` weights every token of the vocabulary alike.

    Raises
    ------
    TypeError, ValueError
        For invalid ``P``, ``start``, ``token_lengths`` or ``K``; a ``K``
        whose terms would need more than the machine's physical memory
        (``8 K (2m + 1)`` bytes, m the size of the largest component of
        ``A``) is refused with a ValueError.
    FloatingPointError
        As :func:`expected_visits`, when the visits cannot be computed in
        double precision.

    Warns
    -----
    ConditioningWarning
        When ``I - P`` (on the reachable tokens) or ``I - A`` (on a
        component) is so nearly singular that rounding may cost more than
        about 1e-8 relative accuracy.

    Notes
    -----
    Book, :numref:`Chapter %s <chapter-expected-repeats>`, :prf:ref:`thm-expected-repeats`. Closed walks stay in
    one strongly connected component, so ``M`` is a sum over the components
    reachable from the support of ``π``, each a weighted trace: ``d/ds
    -log det(I - A - s VA)`` at ``s = 0`` with ``V = diag(v)``. A component of
    at most 2,500 tokens gets one LU of ``I - Aᵀ`` and the
    inverses of its two triangular factors, whose per-token values
    ``N_ii - 1`` are each a sum of one-signed products; a larger sparse one
    goes through the block elimination behind
    :func:`repetition.repetition_rate`, which carries the derivative
    in direction ``VA`` as :func:`repetition.repetition_rate` carries it in
    direction ``A``. No truncated series and no sampling: exact up to
    rounding. The terms ``M_k`` are computed from ``(A^k)_ii =
    Σ_j (A^a)_ij (A^b)_ji``, a cost that grows quickly with ``K`` at
    vocabulary scale.

    Examples
    --------
    One token that follows itself with probability ``p = 1/2`` and otherwise
    ends: ``v = 1/(1 - p) = 2``, ``A = p² = 1/4``, ``A/(1 - A) = 1/3``, so
    ``M = 2/3`` repeats per sequence of 2 tokens on average.

    >>> result = expected_repeats([[0.5]], token_lengths=[3], K=2)
    >>> round(result.value, 15), result.tokens, round(result.per_token, 15)
    (0.666666666666667, 2.0, 0.333333333333333)
    >>> result.characters, round(result.per_character, 15), result.terms.tolist()
    (6.0, 0.111111111111111, [0.5, 0.125])
    >>> expected_repeats([[0.0, 1.0], [1.0, 0.0]]).value
    inf
    """
    chain = as_chain(P)
    n = chain.n
    pi = as_start(start, n)
    lengths = (
        None
        if token_lengths is None
        else as_token_lengths(token_lengths, n, integer=False)
    )
    if K is not None:
        K = check_positive_int(K, "K")
        largest = max((idx.size for idx in chain.hadamard_components), default=0)
        check_memory(
            K,
            "K",
            8 * (1 + 2 * largest),
            f"the terms M_k and the (K, m) diagonals of the powers of the largest component (m = {largest})",
        )
    v = _visits(chain, pi)
    finite = bool(np.all(np.isfinite(v)))
    blocks = [
        (idx, Ac) for idx, Ac in chain.blocks() if v[idx[0]] > 0
    ]  # components reached from π
    terms = None
    if K is not None:
        terms = np.zeros(K)
        for idx, Ac in blocks:
            diag = _linalg.power_diagonals(Ac, K)[0]
            # v_i (A^k)_ii, with inf * 0 = 0: no closed walk of that length, no repeat
            contrib = np.multiply(
                v[idx][None, :], diag, out=np.zeros_like(diag), where=diag > 0
            )
            terms += contrib.sum(axis=1)
    if not finite:
        value = tokens = math.inf
    else:
        value = 0.0
        worst = 0.0
        for idx, Ac in blocks:
            part, growth = _sparse_rate.resolvent_trace(Ac, v[idx])
            value += part
            worst = max(worst, growth)
        _sparse_rate.warn_conditioning(
            "expected repeats: ρ(P ⊙ P) is close to 1 on a reachable component", worst
        )
        tokens = float(np.sum(v))
    per_token = value / tokens if finite else math.nan
    characters = per_character = None
    if lengths is not None:
        characters = float(np.dot(v, lengths)) if finite else math.inf
        per_character = value / characters if finite else math.nan
    return ExpectedRepeats(
        float(value),
        float(tokens),
        float(per_token),
        characters,
        per_character,
        terms,
        v,
    )
