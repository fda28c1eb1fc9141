"""Expected repeats in the text a bigram decoder generates, exactly, and the same count in sampled text.

A sequence starts at a token ``y_0`` drawn from a start distribution ``π`` and
runs until the end token (the missing row mass of ``P``). Counting an
immediate repeat wherever it begins, at every position ``t`` and every length
``k`` (book, Chapter 1, definition ``def-repeated-subsequence``: the segment
``y_t ... y_{t+2k}`` reads ``w_1 ... w_k w_1 ... w_k w_1``), the expected
number of repeats in one sequence is

    M = Σ_i v_i [A (I - A)^{-1}]_ii,   v = πᵀ (I - P)^{-1},   A = P ⊙ P,

where ``v_i`` is the expected number of times token ``i`` is generated (the
start token included). Proof sketch: by linearity, ``E[#events] =
Σ_t Σ_k Σ_i Pr(y_t = i) Pr(E_k | y_t = i)``; by the Markov property the second
factor is ``(A^k)_ii`` (as for ``R``, Chapter 1, eq. ``eq-R-mc``), and
``Σ_t Pr(y_t = i) = (πᵀ Σ_t P^t)_i = v_i``; all terms are nonnegative, so the
sums may be reordered (Tonelli). ``R = Σ_i [A(I - A)^{-1}]_ii`` is the case
``v = 1``.

Exact at vocabulary scale: ``v`` is one sparse solve and ``M`` one weighted
trace, both by the elimination of :mod:`repetition._sparse_rate` (every
update a sum of nonnegative products). Divergence is decided on the graph,
never from a nearly singular solve.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components

from . import _sparse_rate
from ._validation import as_generator, as_transition_matrix, check_positive_int

__all__ = [
    "START_SUM_TOLERANCE",
    "expected_visits",
    "ExpectedRepeats",
    "expected_repeats",
    "immediate_repeats",
    "SampledText",
    "sample_to_end",
    "sampled_repeats",
]

#: A start distribution must sum to 1 within this much (after the rounding of
#: a normalised count vector, which is below ``n ε``).
START_SUM_TOLERANCE = 1e-9

#: Components (and sets of tokens) up to this size are solved densely.
DENSE_LIMIT = 2500

#: Warn when rounding may cost more than this relative accuracy.
_ACCURACY = 1e-8

#: Memory for the dense row blocks of the terms ``M_k`` at vocabulary scale.
_TERMS_MEMORY = 512 * 1024**2


# ---------------------------------------------------------------- validation


def _as_start(start, n: int, name: str = "start") -> np.ndarray:
    """The start distribution ``π`` as float64 of shape (n,): uniform for None, else validated."""
    if start is None:
        return np.full(n, 1.0 / n)
    if sp.issparse(start):
        raise TypeError(f"{name} must be a dense 1-D array of probabilities, got a sparse {type(start).__name__}")
    pi = np.asarray(start)
    if pi.dtype.kind not in "fiu":
        raise TypeError(f"{name} must have a real floating or integer dtype, got dtype {pi.dtype}")
    if pi.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), one probability per token, got shape {pi.shape}")
    pi = pi.astype(np.float64)
    if not np.all(np.isfinite(pi)):
        raise ValueError(f"{name} has NaN or infinite entries")
    if np.any(pi < 0):
        i = int(np.flatnonzero(pi < 0)[0])
        raise ValueError(f"{name} has a negative entry {name}[{i}] = {float(pi[i])!r}; a start distribution is nonnegative")
    total = math.fsum(pi.tolist())
    if abs(total - 1.0) > START_SUM_TOLERANCE:
        raise ValueError(
            f"{name} sums to {total!r}; a start distribution sums to 1 (within {START_SUM_TOLERANCE:g}); "
            "divide counts by their total first"
        )
    return pi


def _as_token_lengths(token_lengths, n: int) -> np.ndarray:
    lengths = np.asarray(token_lengths)
    if lengths.dtype.kind not in "fiu":
        raise TypeError(f"token_lengths must have a real floating or integer dtype, got dtype {lengths.dtype}")
    if lengths.shape != (n,):
        raise ValueError(f"token_lengths must have shape ({n},), one length per token, got shape {lengths.shape}")
    lengths = lengths.astype(np.float64)
    if not np.all(np.isfinite(lengths)) or np.any(lengths <= 0):
        i = int(np.flatnonzero(~(np.isfinite(lengths) & (lengths > 0)))[0])
        raise ValueError(f"token_lengths must be finite and positive, got token_lengths[{i}] = {float(lengths[i])!r}")
    return lengths


# ---------------------------------------------------------------- the graph


def _pattern(P) -> sp.csr_array:
    G = sp.csr_array(P) if sp.issparse(P) else sp.csr_array(np.asarray(P))
    G = G.copy()
    G.eliminate_zeros()
    G.sort_indices()
    return G


def _no_end_mass(G: sp.csr_array) -> np.ndarray:
    """Rows whose stored entries sum to at least 1 exactly (no end-token mass).

    A floating-point row sum decides every row that is farther from 1 than
    its rounding error (at most ``nnz_i`` ulps of a sum of ``nnz_i``
    nonnegative terms); the others are decided by the sign of
    ``math.fsum(row + [-1.0])``, which is the correctly rounded value of the
    exact sum minus 1 and so has the sign of the exact difference.
    """
    sums = np.asarray(G.sum(axis=1), dtype=np.float64).ravel()
    counts = np.diff(G.indptr)
    slack = (counts + 1) * np.finfo(float).eps * np.maximum(sums, 1.0)
    out = sums > 1.0 + slack
    for i in np.flatnonzero(np.abs(sums - 1.0) <= slack):
        row = G.data[G.indptr[i]:G.indptr[i + 1]].tolist()
        out[i] = math.fsum(row + [-1.0]) >= 0.0
    return out


def _reach(G: sp.csr_array, sources: np.ndarray) -> np.ndarray:
    """Boolean mask of the tokens reachable from ``sources`` (the sources included)."""
    n = G.shape[0]
    mask = np.zeros(n, dtype=bool)
    if sources.size == 0:
        return mask
    # one breadth-first search from a super-source n with an edge to every source
    H = sp.csr_array(
        (np.ones(G.nnz + sources.size), (np.concatenate([np.repeat(np.arange(n), np.diff(G.indptr)), np.full(sources.size, n)]),
                                        np.concatenate([G.indices, sources]))),
        shape=(n + 1, n + 1),
    )
    order = breadth_first_order(H, n, directed=True, return_predecessors=False)
    mask[order[order < n]] = True
    return mask


@dataclass(frozen=True)
class _Structure:
    reachable: np.ndarray  # tokens with v_i > 0
    infinite: np.ndarray  # tokens with v_i = inf
    sources: np.ndarray  # tokens in a class from which the end token cannot be reached (or a deterministic cycle)


def _structure(P, pi: np.ndarray) -> _Structure:
    """Which tokens are generated with positive probability, and which infinitely often in expectation.

    A strongly connected component C of the graph of ``P`` is a *source of
    divergence* if no edge leaves it and none of its rows has end mass (the
    chain, once in C, never ends), or if it contains a deterministic cycle
    (entries equal to 1, as in :func:`repetition.deterministic_cycle`), which
    forces ``ρ(P_CC) >= 1``. ``v_j = ∞`` exactly for the tokens reachable
    from a source that is itself reachable from the support of ``π``: every
    visit to a token inside a closed class is repeated infinitely often, and
    everything after an infinitely visited token is visited infinitely often.
    """
    G = _pattern(P)
    n = G.shape[0]
    reachable = _reach(G, np.flatnonzero(pi > 0))
    _, labels = connected_components(G, directed=True, connection="strong")
    rows = np.repeat(np.arange(n), np.diff(G.indptr))
    leaves = labels[rows] != labels[G.indices]
    open_label = np.zeros(labels.max() + 1, dtype=bool)
    open_label[labels[rows[leaves]]] = True
    ending_label = np.zeros(labels.max() + 1, dtype=bool)
    ending_label[labels[~_no_end_mass(G)]] = True
    source_label = ~open_label & ~ending_label
    ones = sp.csr_array(((G.data >= 1.0).astype(np.float64), G.indices, G.indptr), shape=G.shape, copy=True)
    ones.eliminate_zeros()
    if ones.nnz:
        n1, lab1 = connected_components(ones, directed=True, connection="strong")
        size1 = np.bincount(lab1, minlength=n1)
        loop = np.zeros(n, dtype=bool)
        loop[ones.diagonal() > 0] = True
        cyclic = (size1[lab1] >= 2) | loop
        source_label[labels[cyclic]] = True
    sources = source_label[labels]
    infinite = _reach(G, np.flatnonzero(sources & reachable))
    return _Structure(reachable, infinite, sources)


def _cyclic_components(A) -> list[np.ndarray]:
    """Strongly connected components of the graph of ``A`` that carry a closed walk (as in repetition.cyclic_components)."""
    G = _pattern(A)
    n = G.shape[0]
    ncomp, labels = connected_components(G, directed=True, connection="strong")
    sizes = np.bincount(labels, minlength=ncomp)
    loop = np.zeros(ncomp, dtype=bool)
    loop[labels[G.diagonal() > 0]] = True
    keep = np.flatnonzero((sizes >= 2) | loop)
    order = np.argsort(labels, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    return [np.sort(order[starts[c]:starts[c + 1]]) for c in keep] if n else []


def _block(M, idx: np.ndarray):
    if idx.size == M.shape[0]:
        return M
    if sp.issparse(M):
        return sp.csr_array(M[idx][:, idx])
    return M[np.ix_(idx, idx)]


def _warn_conditioning(what: str, growth: float) -> None:
    condition = 2.0 * growth
    if condition * np.finfo(float).eps > _ACCURACY:
        warnings.warn(
            f"{what}: the condition number is about {condition:.1e}; expect about "
            f"{condition * np.finfo(float).eps:.0e} relative accuracy",
            RuntimeWarning,
            stacklevel=3,
        )


# ---------------------------------------------------------------- expected visits


def _visits(P, pi: np.ndarray) -> np.ndarray:
    """``v = πᵀ (I - P)^{-1}`` with ``math.inf`` where infinite, for validated ``P`` and ``π``."""
    n = P.shape[0]
    structure = _structure(P, pi)
    v = np.zeros(n)
    v[structure.infinite] = math.inf
    T = np.flatnonzero(structure.reachable & ~structure.infinite)
    if T.size == 0:
        return v
    PT = _block(P, T)
    if not sp.issparse(PT) or T.size <= DENSE_LIMIT:
        dense = PT.toarray() if sp.issparse(PT) else np.asarray(PT)
        x, y = _sparse_rate._dense_solve(dense, np.ones(T.size), pi[T])
    else:
        _, x, y = _sparse_rate.eliminate(PT, trace=False, c=pi[T])
    _warn_conditioning("expected visits: (I - P) is nearly singular on the reachable tokens", float(np.max(np.abs(x))))
    v[T] = y
    return v


def expected_visits(P, start=None) -> np.ndarray:
    """Expected number of times each token is generated in one sequence, ``v = πᵀ (I - P)^{-1}``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix of a bigram decoder: ``P[i, j]`` is the probability
        that token ``j`` follows token ``i``; entries >= 0, row sums <= 1, the
        missing mass ``1 - Σ_j P[i, j]`` is the probability of the end token.
    start : array_like of float, shape (n,), optional
        The start distribution ``π`` of the first token ``y_0``: nonnegative,
        finite, summing to 1 within :data:`START_SUM_TOLERANCE`. Uniform
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
        that support, through a class of tokens the chain cannot leave: a
        strongly connected component with no edge leaving it and no row with
        end mass, or one containing a deterministic cycle (entries equal to
        1). So ``v`` is finite exactly when every token reachable from the
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

    Warns
    -----
    RuntimeWarning
        When ``(I - P)`` restricted to the reachable tokens is so nearly
        singular (an expected remaining length near ``1e8``) that rounding may
        cost more than about 1e-8 relative accuracy.

    Notes
    -----
    Book, Chapter 8 (expected repeats in generated text), eq. ``eq-visits``.
    ``v`` solves ``(I - P)ᵀ v = π`` on the tokens that are reachable and not
    infinitely visited (paths from the support of ``π`` to them never pass an
    infinitely visited token). Up to :data:`DENSE_LIMIT` tokens the solve is
    one dense LU; above it, the block elimination of
    :func:`repetition._sparse_rate.eliminate` (low-degree tokens first, many at
    a time; the rest densely), which keeps the fill of a word-level model with
    hub tokens small. A pure chain ``0 -> 1 -> end``:

    Examples
    --------
    >>> expected_visits([[0.0, 1.0], [0.0, 0.0]], start=[1.0, 0.0]).tolist()
    [1.0, 1.0]
    >>> expected_visits([[0.5]]).tolist()  # a self-loop kept with probability 1/2: 1 + 1/2 + 1/4 + ...
    [2.0]
    >>> expected_visits([[0.0, 1.0], [1.0, 0.0]], start=[1.0, 0.0]).tolist()  # never ends
    [inf, inf]
    """
    P = as_transition_matrix(P)
    pi = _as_start(start, P.shape[0])
    return _visits(P, pi)


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


def _hadamard_square(P):
    if sp.issparse(P):
        A = P.copy()
        A.data = A.data * A.data
        A.eliminate_zeros()
        return A
    return P * P


def _weighted_trace(Ac, w: np.ndarray) -> tuple[float, float]:
    """``(Σ_i w_i [Ac (I - Ac)^{-1}]_ii, ||(I - Ac)^{-1}||_inf)`` for one component with ``ρ(Ac) < 1``."""
    m = Ac.shape[0]
    dense = not sp.issparse(Ac) or m <= DENSE_LIMIT or (Ac.nnz > 0.05 * m * m and m <= _sparse_rate.DENSE_MAX)
    if dense:
        X = Ac.toarray() if sp.issparse(Ac) else np.asarray(Ac, dtype=np.float64, order="C")
        value, x, _ = _sparse_rate._dense_solve_trace(X, None, None, None, weights=w)
    else:
        value, x, _ = _sparse_rate.eliminate(Ac, weights=w)
    return value, float(np.max(np.abs(x)))


def _diagonal_powers(Ac, K: int) -> np.ndarray:
    """``out[k - 1, i] = (Ac^k)_ii`` for ``k = 1..K``: sums of nonnegative products, never a difference.

    ``(A^k)_ii = Σ_j (A^a)_ij (A^b)_ji`` with ``a = ceil(k / 2)``, ``b = k - a``,
    so only the powers up to ``ceil(K / 2)`` are formed; at vocabulary scale
    they are formed for a block of rows (of ``A^a``) and of columns (rows of
    ``(Aᵀ)^b``) at a time, within :data:`_TERMS_MEMORY`.
    """
    m = Ac.shape[0]
    half = (K + 1) // 2
    out = np.zeros((K, m))
    if not sp.issparse(Ac) or m <= DENSE_LIMIT:
        X = Ac.toarray() if sp.issparse(Ac) else np.asarray(Ac, dtype=np.float64)
        powers = [X]
        for _ in range(half - 1):
            powers.append(powers[-1] @ X)
        for k in range(1, K + 1):
            a = (k + 1) // 2
            b = k - a
            out[k - 1] = np.diagonal(X) if b == 0 else np.einsum("ij,ji->i", powers[a - 1], powers[b - 1])
        return out
    A = sp.csr_array(Ac)
    AT = sp.csr_array(A.T)
    block = max(1, int(_TERMS_MEMORY // (16 * max(half, 1) * m)))
    for start in range(0, m, block):
        idx = np.arange(start, min(m, start + block))
        R = [A[idx]]  # rows of A^a
        C = [AT[idx]]  # rows of (Aᵀ)^b, i.e. columns of A^b
        for _ in range(half - 1):
            R.append(_dense_if_full(R[-1] @ A))
            C.append(_dense_if_full(C[-1] @ AT))
        local = np.arange(idx.size)
        for k in range(1, K + 1):
            a = (k + 1) // 2
            b = k - a
            if b == 0:
                out[k - 1, idx] = _entries(R[a - 1], local, idx)
            else:
                out[k - 1, idx] = _row_dots(R[a - 1], C[b - 1])
    return out


def _dense_if_full(X):
    if sp.issparse(X) and X.nnz > 0.1 * X.shape[0] * X.shape[1]:
        return X.toarray()
    return X


def _entries(X, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    if sp.issparse(X):
        return np.asarray(X[rows, cols]).ravel()
    return X[rows, cols]


def _row_dots(X, Y) -> np.ndarray:
    """``Σ_j X_ij Y_ij`` for each row i (sparse or dense operands)."""
    if sp.issparse(X):
        return np.asarray(X.multiply(Y).sum(axis=1)).ravel()
    if sp.issparse(Y):
        return np.asarray(Y.multiply(X).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", X, Y)


def expected_repeats(P, start=None, token_lengths=None, K: int | None = None) -> ExpectedRepeats:
    """The expected number of immediate repeats in one sequence generated until the end token.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
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
        (Chapter 1's repeated subsequence), counted at every position and
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
        For invalid ``P``, ``start``, ``token_lengths`` or ``K``.

    Warns
    -----
    RuntimeWarning
        When ``I - P`` (on the reachable tokens) or ``I - A`` (on a
        component) is so nearly singular that rounding may cost more than
        about 1e-8 relative accuracy.

    Notes
    -----
    Book, Chapter 8, theorem ``thm-expected-repeats``. Closed walks stay in
    one strongly connected component, so ``M`` is a sum over the components
    reachable from the support of ``π``, each a weighted trace: ``d/ds
    -log det(I - A - s VA)`` at ``s = 0`` with ``V = diag(v)``. A component of
    at most :data:`DENSE_LIMIT` tokens gets one LU of ``I - Aᵀ`` and the
    inverses of its two triangular factors, whose per-token values
    ``N_ii - 1`` are each a sum of one-signed products; a larger sparse one
    goes through the block elimination of
    :func:`repetition._sparse_rate.eliminate`, which carries the derivative
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
    P = as_transition_matrix(P)
    n = P.shape[0]
    pi = _as_start(start, n)
    lengths = None if token_lengths is None else _as_token_lengths(token_lengths, n)
    if K is not None:
        K = check_positive_int(K, "K")
    v = _visits(P, pi)
    finite = bool(np.all(np.isfinite(v)))
    A = _hadamard_square(P)
    comps = [idx for idx in _cyclic_components(A) if v[idx[0]] > 0]
    terms = None
    if K is not None:
        terms = np.zeros(K)
        for idx in comps:
            diag = _diagonal_powers(_block(A, idx), K)
            w = v[idx]
            with np.errstate(invalid="ignore"):  # inf * 0 is 0 here: no closed walk of that length, no repeat
                contrib = np.where(diag > 0, w[None, :] * diag, 0.0)
            terms += contrib.sum(axis=1)
    if not finite:
        value = math.inf
        tokens = math.inf
    else:
        value = 0.0
        worst = 0.0
        for idx in comps:
            part, growth = _weighted_trace(_block(A, idx), v[idx])
            value += part
            worst = max(worst, growth)
        _warn_conditioning("expected repeats: ρ(P ⊙ P) is close to 1 on a reachable component", worst)
        tokens = float(np.sum(v))
    per_token = value / tokens if finite else math.nan
    characters = per_character = None
    if lengths is not None:
        characters = float(np.dot(v, lengths)) if finite else math.inf
        per_character = value / characters if finite else math.nan
    return ExpectedRepeats(float(value), float(tokens), float(per_token), characters, per_character, terms, v)


# ---------------------------------------------------------------- the observable


def _as_token_ids(tokens, name: str = "tokens") -> np.ndarray:
    """A token sequence (strings, ints, any hashables) as int64 ids."""
    if isinstance(tokens, str):
        tokens = list(tokens)
    arr = np.asarray(tokens)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of tokens, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind == "b" or arr.dtype.kind == "f" or arr.dtype.kind == "c":
        raise TypeError(f"{name} must hold tokens (strings or integer ids), got dtype {arr.dtype}")
    _, ids = np.unique(arr.astype(str), return_inverse=True)
    return ids.astype(np.int64).ravel()


#: Equal bigrams are the candidates while they number at most this many per token; beyond that
#: (long text over a small alphabet) equal q-grams with q = :data:`_LONG_GRAM` are used instead.
_PAIRS_PER_TOKEN = 4
_LONG_GRAM = 8

#: At most this many pairs of equal q-grams are examined (about 0.4 GB of keys); text with more
#: (long loops repeated over and over) is refused instead of exhausting memory.
MAX_PAIRS = 50_000_000

#: :func:`sample_to_end` stops (and raises) once the sequences hold this many tokens in all.
MAX_TOKENS = 50_000_000


class _EqualGrams:
    """Positions sorted by a key (stably, so ascending within equal keys), and the pairs of equal keys.

    Each position is paired with every later one of its group; ``count`` is
    the number of such pairs, ``pairs()`` yields them about 2^22 at a time.
    """

    def __init__(self, key: np.ndarray, pos: np.ndarray):
        order = np.argsort(key, kind="stable")
        self.p = pos[order]
        k = key[order]
        new = np.ones(self.p.size, dtype=bool)
        new[1:] = k[1:] != k[:-1]
        group_end = np.append(np.flatnonzero(new)[1:], self.p.size)
        self.later = group_end[np.cumsum(new) - 1] - np.arange(self.p.size) - 1  # equal keys after this one
        self.cum = np.concatenate([[0], np.cumsum(self.later)])
        self.count = int(self.cum[-1])

    def pairs(self):
        p, later, cum = self.p, self.later, self.cum
        i0 = 0
        while i0 < p.size:
            i1 = min(max(int(np.searchsorted(cum, cum[i0] + (1 << 22), side="right")) - 1, i0 + 1), p.size)
            counts = later[i0:i1]
            first = np.repeat(np.arange(i0, i1), counts)
            if first.size:
                step = np.arange(first.size) - np.repeat(cum[i0:i1] - cum[i0], counts) + 1
                yield p[first], p[first + step]
            i0 = i1


def _gram_key(y: np.ndarray, pos: np.ndarray, q: int, V: int, seq: np.ndarray, last: np.ndarray) -> np.ndarray:
    """One int64 per position: equal exactly when the sequence and the q-gram starting there are equal.

    The q tokens are packed in base V when that fits in int64 (small
    alphabets); otherwise the q-grams are ranked by prefix doubling, as in
    suffix sorting (the rank of a 2w-gram is that of the pair of w-gram ranks).
    """
    m = int(seq[-1]) + 1
    if m * float(V) ** q < 2.0**62:
        key = seq[pos].astype(np.int64)
        for j in range(q):
            key = key * V + y[pos + j]
        return key
    return _ranked_gram_key(y, pos, q, seq, last)


def _ranked_gram_key(y: np.ndarray, pos: np.ndarray, q: int, seq: np.ndarray, last: np.ndarray) -> np.ndarray:
    """:func:`_gram_key` by prefix doubling (``q`` a power of 2), for alphabets too large to pack."""
    index = np.arange(y.size)
    rank = y.copy()  # rank[p]: rank of the w-gram at p, where it fits in its sequence
    width = 1
    while width < q:
        valid = np.flatnonzero(index + 2 * width - 1 <= last)
        combined = rank[valid] * (int(rank.max()) + 1) + rank[valid + width]
        rank = np.full(y.size, -1, dtype=np.int64)
        rank[valid] = np.unique(combined, return_inverse=True)[1].ravel()
        width *= 2
    return seq[pos] * y.size + rank[pos]


def _pair_keys(grams: _EqualGrams, size: int, min_lag: int) -> np.ndarray:
    """``k * size + s`` for every pair (s - k, s) of equal q-grams with lag ``k >= min_lag``, sorted."""
    if grams.count > MAX_PAIRS:
        raise ValueError(
            f"the text is too repetitive to count its repeats in memory: {grams.count:,} pairs of equal "
            f"q-grams would have to be examined (limit MAX_PAIRS = {MAX_PAIRS:,}); count fewer or shorter "
            "sequences"
        )
    parts = []
    for a, b in grams.pairs():
        lag = b - a
        keep = lag >= min_lag
        parts.append(lag[keep] * size + b[keep])
    key = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    key.sort()
    return key


def _chains(key: np.ndarray, q: int, size: int, seq: np.ndarray):
    """Runs of matches from chains of equal-q-gram pairs at consecutive positions: (sequence, k, events)."""
    empty = np.zeros(0, dtype=np.int64)
    if key.size == 0:
        return empty, empty, empty
    chain_start = np.ones(key.size, dtype=bool)
    chain_start[1:] = key[1:] != key[:-1] + 1
    starts = np.flatnonzero(chain_start)
    run = np.diff(np.append(starts, key.size)) + q - 1  # c consecutive pairs: a run of c + q - 1 matches
    k, s0 = np.divmod(key[starts], size)
    events = run - k
    keep = events > 0
    return seq[s0[keep]], k[keep], events[keep]


def _repeat_runs(y: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The events ``(t, k)`` of a batch of sequences, grouped: ``(sequence, k, number of events)`` arrays.

    An event at position ``t`` of length ``k`` is a window of ``k + 1``
    consecutive positions ``s = t + k .. t + 2k`` at which ``y[s] == y[s - k]``
    (a *match at lag k*), so a maximal run of ``ℓ`` matches at lag ``k``
    holds ``max(0, ℓ - k)`` events. ``q`` consecutive matches at lag ``k``
    starting at ``s`` are an equal pair of q-grams at ``s - k`` and ``s``;
    for ``k >= q - 1`` every run holding an event is at least ``q`` long, and
    the chains of equal-q-gram pairs at consecutive ``s`` are exactly those
    runs (``c`` pairs: ``c + q - 1`` matches). So the candidates are the equal
    q-grams within a sequence, found by sorting: bigrams (``q = 2``, every
    ``k``) while they are few; otherwise ``q = 8`` for ``k >= 7``, whose
    ranks come from prefix doubling (as in suffix sorting), and the lags
    ``k <= 6`` counted directly from the runs of ``y[s] == y[s - k]``. The
    cost is that of the candidate pairs and a few passes, never of the
    events themselves.
    """
    m = offsets.size - 1
    lengths = np.diff(offsets)
    seq = np.repeat(np.arange(m), lengths)
    index = np.arange(y.size)
    last = offsets[1:][seq] - 1  # last index of each position's sequence
    empty = np.zeros(0, dtype=np.int64)
    pos = np.flatnonzero(index < last)  # positions with a bigram inside their sequence
    if pos.size < 2:
        return empty, empty, empty
    if y.min() < 0 or y.max() >= y.size:
        y = np.unique(y, return_inverse=True)[1].ravel().astype(np.int64)  # ids 0..V-1, V <= y.size
    V = int(y.max()) + 1
    grams = _EqualGrams(_gram_key(y, pos, 2, V, seq, last), pos)
    if grams.count <= _PAIRS_PER_TOKEN * y.size:
        return _chains(_pair_keys(grams, y.size, 1), 2, y.size, seq)
    del grams
    q = _LONG_GRAM
    out_seq, out_k, out_events = [], [], []
    start_of = offsets[:-1][seq]
    for k in range(1, q - 1):  # short lags directly: runs of matches y[s] == y[s - k]
        match = np.zeros(y.size + 2, dtype=bool)
        ok = index >= start_of + k
        match[1:-1][ok] = y[ok] == y[index[ok] - k]
        edges = np.flatnonzero(match[1:] != match[:-1])  # run starts and (one past) ends, alternating
        run_start, run_end = edges[0::2], edges[1::2]
        events = run_end - run_start - k
        keep = events > 0
        out_seq.append(seq[run_start[keep]])
        out_k.append(np.full(int(keep.sum()), k, dtype=np.int64))
        out_events.append(events[keep])
    pos = np.flatnonzero(index + q - 1 <= last)
    chained = _chains(_pair_keys(_EqualGrams(_gram_key(y, pos, q, V, seq, last), pos), y.size, q - 1), q, y.size, seq)
    return tuple(np.concatenate([np.concatenate(x) if x else empty, c]).astype(np.int64)
                 for x, c in zip((out_seq, out_k, out_events), chained))


#: Sequences are counted in batches of about this many tokens (bounded memory, whole sequences).
_BATCH_TOKENS = 4_000_000


def _batched_repeat_runs(y: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_repeat_runs` over batches of whole sequences (events never span two sequences)."""
    m = offsets.size - 1
    cuts = np.unique(np.concatenate([[0], np.searchsorted(offsets, np.arange(0, offsets[-1], _BATCH_TOKENS),
                                                          side="right") - 1, [m]]))
    parts = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        lo = offsets[a]
        seq, k, events = _repeat_runs(y[lo:offsets[b]], offsets[a:b + 1] - lo)
        parts.append((seq + a, k, events))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return tuple(np.concatenate([part[i] for part in parts]) for i in range(3))


def immediate_repeats(tokens, K: int | None = None) -> np.ndarray:
    """Count the immediate repeats in one token sequence, by length: the observable behind ``M``.

    Parameters
    ----------
    tokens : sequence of str or int, or str
        One generated sequence ``y_0 ... y_{L-1}`` (a string is read as its
        characters), without the end token.
    K : int, optional
        Largest length counted (>= 1). By default every length that fits,
        ``k <= (L - 1) // 2``.

    Returns
    -------
    numpy.ndarray of int64, shape (K,) or ((L - 1) // 2,)
        Entry ``k - 1`` is the number of positions ``t`` at which
        ``y_t ... y_{t+2k}`` reads ``w_1 ... w_k w_1 ... w_k w_1`` (book,
        Chapter 1, definition ``def-repeated-subsequence``), i.e.
        ``y_{t+k+j} = y_{t+j}`` for ``j = 0..k``. The expectation of the total
        over sequences generated until the end token is
        :func:`expected_repeats` ``.value``, and of entry ``k - 1`` its term
        ``M_k``. Text cut at a maximum length has a smaller expectation.

    Raises
    ------
    TypeError
        For a non-integer ``K`` or tokens that are neither strings nor integers.
    ValueError
        For ``K < 1`` or a ``tokens`` that is not one-dimensional.

    Examples
    --------
    In "abcbcbcd" the segments "bcbcb" (t = 1) and "cbcbc" (t = 2) are repeats
    of length 2; from t = 3 the final "d" breaks the pattern:

    >>> immediate_repeats("abcbcbcd").tolist()
    [0, 2, 0]
    >>> immediate_repeats("aaaa", K=1).tolist()   # k = 1 at t = 0 and t = 1
    [2]
    """
    y = _as_token_ids(tokens)
    if K is not None:
        K = check_positive_int(K, "K")
    width = K if K is not None else max((y.size - 1) // 2, 0)
    if width == 0:
        return np.zeros(0, dtype=np.int64)
    _, ks, events = _repeat_runs(y, np.array([0, y.size], dtype=np.int64))
    keep = ks <= width
    return np.bincount(ks[keep] - 1, weights=events[keep], minlength=width).astype(np.int64)


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
    """

    tokens: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return self.offsets.size - 1

    @property
    def lengths(self) -> np.ndarray:
        """Length of each sequence in tokens, shape (m,)."""
        return np.diff(self.offsets)

    def sequence(self, s: int) -> np.ndarray:
        """The tokens of sequence ``s``."""
        return self.tokens[self.offsets[s]:self.offsets[s + 1]]


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
        longer = np.cumsum(np.bincount(degree, minlength=int(degree.max(initial=0)) + 1)[::-1])[::-1]
        for j in range(1, int(degree.max(initial=0))):
            pos = self.indptr[by_degree[:longer[j + 1]]] + j  # rows with more than j entries
            self.cum[pos] += self.cum[pos - 1]
        self.degree = degree
        # cell k of row i: threshold k / d_i; the first entry of the row with cum > threshold, found by a
        # global search on row + cum, moved one entry back to absorb the rounding of that key
        cell = np.arange(rows.size) - self.indptr[rows]
        threshold = rows + cell / np.maximum(degree[rows], 1)
        guide = np.searchsorted(rows + self.cum, threshold, side="right") - 1
        self.guide = np.maximum(guide, self.indptr[rows])

    def step(self, state: np.ndarray, u: np.ndarray) -> np.ndarray:
        degree = self.degree[state]
        end = self.indptr[state + 1]
        cell = np.minimum((u * degree).astype(np.int64), np.maximum(degree - 1, 0))
        pos = np.where(degree > 0, self.guide[np.minimum(self.indptr[state] + cell, self.guide.size - 1)], end)
        todo = np.flatnonzero(pos < end)
        while todo.size:
            move = self.cum[pos[todo]] <= u[todo]
            todo = todo[move]
            pos[todo] += 1
            todo = todo[pos[todo] < end[todo]]
        out = np.full(state.shape, -1, dtype=np.int64)
        hit = pos < end
        out[hit] = self.indices[pos[hit]]
        return out


def sample_to_end(P, size: int, rng=None, start=None, max_length: int | None = None,
                  max_tokens: int = MAX_TOKENS) -> SampledText:
    """Sample ``size`` sequences from a bigram decoder, each until its end token.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
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
        :data:`MAX_TOKENS`, about 1.2 GB while sampling); reaching it raises.
        The expected total is ``size · Σ_i v_i`` (:func:`expected_visits`),
        which a decoder that rarely ends (low temperature, truncation that
        drops the end token) makes very large.

    Returns
    -------
    SampledText
        The m sequences, flat. With ``π`` and ``P`` as given, the mean over
        sequences of the number of immediate repeats
        (:func:`sampled_repeats`) estimates :func:`expected_repeats`
        ``.value``, and the mean length ``Σ_i v_i``.

    Raises
    ------
    TypeError, ValueError
        For invalid ``P``, ``size``, ``rng``, ``start`` or ``max_length``.
    ValueError
        If a token with infinitely many expected visits is reachable from the
        support of ``π`` (sequences need not end; decided on the graph as in
        :func:`expected_visits`), or a sequence reaches ``max_length``, or the
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
    P = as_transition_matrix(P)
    n = P.shape[0]
    size = check_positive_int(size, "size")
    if max_length is not None:
        max_length = check_positive_int(max_length, "max_length")
    max_tokens = check_positive_int(max_tokens, "max_tokens")
    rng = as_generator(rng)
    pi = _as_start(start, n)
    structure = _structure(P, pi)
    if np.any(structure.infinite):
        i = int(np.flatnonzero(structure.infinite)[0])
        raise ValueError(
            f"sequences from this start distribution need not end: token {i} (and {int(structure.infinite.sum()) - 1} "
            "others) can be reached but cannot reach the end token; there is nothing to sample to the end"
        )
    search = _IndexedSearch(_pattern(P))
    start_cdf = np.cumsum(pi)
    first = np.minimum(np.searchsorted(start_cdf, rng.random(size) * start_cdf[-1], side="right"), n - 1)
    small = np.int32 if max(size, n) < 2**31 else np.int64  # what is kept while sampling
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
    ids = np.concatenate(ids_list).astype(np.int64) if ids_list else np.zeros(0, dtype=np.int64)
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


def sampled_repeats(text: SampledText, K: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Immediate repeats in each of many sampled sequences: totals, and counts by length.

    Parameters
    ----------
    text : SampledText
        Sequences, e.g. from :func:`sample_to_end`.
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
        If ``text`` is not a :class:`SampledText` or ``K`` not an integer.
    ValueError
        If ``K < 1``.

    Examples
    --------
    >>> import numpy as np
    >>> text = SampledText(np.array([0, 0, 0, 1, 2, 1, 2, 1]), np.array([0, 3, 8]))
    >>> totals, by_length = sampled_repeats(text, K=2)
    >>> totals.tolist(), by_length.tolist()
    ([1, 1], [[1, 0], [0, 1]])
    """
    if not isinstance(text, SampledText):
        raise TypeError(f"text must be a SampledText (from sample_to_end), got {type(text).__name__}")
    if K is not None:
        K = check_positive_int(K, "K")
    m = len(text)
    seqs, ks, events = _batched_repeat_runs(np.asarray(text.tokens, dtype=np.int64),
                                            np.asarray(text.offsets, dtype=np.int64))
    totals = np.bincount(seqs, weights=events, minlength=m).astype(np.int64)
    if K is None:
        return totals, None
    keep = ks <= K
    by_length = np.bincount(seqs[keep] * K + ks[keep] - 1, weights=events[keep], minlength=m * K)
    return totals, by_length.astype(np.int64).reshape(m, K)
