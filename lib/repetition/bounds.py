"""Lower bounds on the terms ``Tr(A^k)`` of the repetition rate, and the estimates that are not bounds.

Book, Chapter 2 (a first lower bound, Su 2021 section 一个下界) and Chapter 3
(the paper's lower bound, corrected; Su 2021 section 原文下界). With
``A = P ⊙ P`` and ``B = 1[P > 0]`` (the support of ``P``), every closed
k-walk of positive probability ``w`` contributes ``w`` to ``Tr(P^k)`` and
``w^2`` to ``Tr(A^k)``; ``N_k = Tr(B^k)`` counts those walks and
``m_i = (B^k)_ii`` counts the ones that start at token ``i``. The chain of
true bounds is::

    Tr(A^k) >= Σ_i (P^k)_ii^2 / m_i            (per_row_bound)
            >= (Tr P^k)^2 / N_k                (cauchy_schwarz_bound)
    Σ_i (P^k)_ii^2 / m_i >= Tr(P^k ⊙ P^k) / max_i m_i
                         >= Tr(P^k ⊙ P^k) / n^(k-1)   (row_lower_bound)
                         >= (Tr P^k)^2 / n^k.

The functions :func:`zeta_estimate_term` and :func:`paper_lower_bound_term`
compute the forms in which walk counts are replaced by powers of the sparsity
``ζ``; they are estimates, not bounds, and the book shows where they fail.

Walk counts are computed exactly, in integer arithmetic on the support graph:
a walk of tiny but positive probability is never lost to a floating-point zero.
The dense working arrays are ``n x n``, so the functions are meant for
vocabularies up to a few thousand tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.sparse as sp

from ._validation import as_generator, as_transition_matrix, check_positive_int, check_real
from .model import hadamard_square, support

__all__ = [
    "closed_walk_count",
    "closed_walk_diagonal",
    "cauchy_schwarz_bound",
    "per_row_bound",
    "row_lower_bound",
    "zeta_estimate_term",
    "paper_lower_bound_term",
    "LowerBoundTable",
    "lower_bound_table",
    "random_transition_matrix",
]

_SUPPORTS = ("dense", "iid", "top-k", "greedy")

_NORMALISATIONS = ("n^k", "n^(k-1)")
_ZETA_FORMS = ("walks", "rows")

#: Sparse products (sparse @ dense) are used when fewer than this fraction of entries is stored.
_SPARSE_FRACTION = 0.1


# ---------------------------------------------------------------------------
# Diagonals of matrix powers
# ---------------------------------------------------------------------------

def _diag_of_product(X: np.ndarray, Y: np.ndarray, block: int = 256) -> np.ndarray:
    """``diag(X @ Y) = rowsum(X ⊙ Y^T)`` without forming the product, in cache-friendly row blocks."""
    n = X.shape[0]
    out = np.empty(n, dtype=np.result_type(X, Y))
    for start in range(0, n, block):
        rows = slice(start, min(start + block, n))
        out[rows] = (X[rows, :] * Y[:, rows].T).sum(axis=1)
    return out


def _float_power_diagonals(X, K: int, square_traces: bool = False):
    """Diagonals of ``X^k`` (k = 1..K) as a (K, n) float array, and optionally ``Tr(X^{2k})``.

    Without ``square_traces`` only the powers up to ``h = ceil(K / 2)`` are
    formed and ``diag(X^(a+b)) = rowsum(X^a ⊙ (X^b)^T)``. With it, every power
    up to ``K`` is formed once and ``Tr(X^(2k)) = Σ X^k ⊙ (X^k)^T``.
    Every sum is over nonnegative terms, so there is no cancellation.
    """
    n = X.shape[0]
    use_sparse = sp.issparse(X) and X.nnz < _SPARSE_FRACTION * n * n
    if sp.issparse(X) and not use_sparse:
        X = X.toarray()

    def step(D):
        return X @ D if use_sparse else D @ X

    first = X.toarray() if use_sparse else X
    diags = np.zeros((K, n))
    if square_traces:
        squares = np.zeros(K)
        D = first
        for k in range(1, K + 1):
            if k > 1:
                D = step(D)
            diags[k - 1] = np.diagonal(D)
            squares[k - 1] = float(_diag_of_product(D, D).sum())
        return diags, squares
    h = (K + 1) // 2
    powers = [first]
    for _ in range(h - 1):
        powers.append(step(powers[-1]))
    for k in range(1, K + 1):
        if k <= h:
            diags[k - 1] = np.diagonal(powers[k - 1])
        elif k == h + 1 and use_sparse:
            diags[k - 1] = np.asarray(X.multiply(powers[h - 1].T).sum(axis=1)).ravel()
        else:
            diags[k - 1] = _diag_of_product(powers[h - 1], powers[k - h - 1])
    return diags, None


def _bits(limbs: list[np.ndarray], width: int) -> int:
    """Number of bits of the largest value of a limb representation (an upper bound)."""
    return int(limbs[-1].max()).bit_length() + width * (len(limbs) - 1)


def _pieces(limbs: list[np.ndarray], width: int, piece: int):
    """Yield ``(shift, array)`` with every array below ``2^piece``; their shifted sum is the value."""
    mask = (1 << piece) - 1
    for s, limb in enumerate(limbs):
        top = int(limb.max()).bit_length()
        if top <= piece:
            yield s * width, limb
            continue
        for shift in range(0, top, piece):
            yield s * width + shift, (limb >> shift) & mask


def _to_python_ints(parts: list[tuple[int, np.ndarray]], n: int) -> np.ndarray:
    """Sum ``values << shift`` over ``parts`` in Python ints (each int64 part is below 2^63)."""
    total = [0] * n
    for shift, values in parts:
        total = [t + (int(v) << shift) for t, v in zip(total, values.tolist())]
    out = np.empty(n, dtype=object)
    out[:] = total
    return out


def _support_power_diagonals(Bs: sp.csr_array, K: int) -> list[np.ndarray]:
    """Exact diagonals of ``B^k`` (k = 1..K) of a 0/1 sparse matrix, as object arrays of Python ints.

    The dense powers ``B^2 .. B^h``, ``h = ceil(K / 2)``, are kept as int64
    limbs in base ``2^W`` with ``W`` chosen so that ``B @ limb`` (at most
    ``max degree * 2^W``) cannot overflow; carries are propagated after each
    product. For ``k > h``, ``diag(B^k) = rowsum(B^h ⊙ (B^(k-h))^T)`` is
    summed in pieces small enough that no int64 row sum overflows.
    """
    n = Bs.shape[0]
    degree = int(np.diff(Bs.indptr).max()) if Bs.nnz else 0
    W = 62 - max(degree, 1).bit_length()
    mask = (1 << W) - 1
    budget = 62 - n.bit_length()
    h = (K + 1) // 2
    Bf = Bs.astype(np.float64)
    powers = [[Bs.toarray()]]
    for _ in range(h - 1):
        if len(powers[-1]) == 1 and _bits(powers[-1], W) + max(degree, 1).bit_length() <= 52:
            # Every value stays below 2^52: the float64 product is exact (and faster than int64).
            product = Bf @ powers[-1][0].astype(np.float64)
            powers.append([product.astype(np.int64)])
            continue
        carry = None
        limbs = []
        for limb in powers[-1]:
            limb = np.asarray(Bs @ limb)
            if carry is not None:
                limb = limb + carry
            carry = limb >> W
            limbs.append(limb & mask)
        while carry.any():
            limbs.append(carry & mask)
            carry = carry >> W
        powers.append(limbs)
    out = []
    for k in range(1, K + 1):
        if k <= h:
            parts = [(s * W, np.diagonal(limb)) for s, limb in enumerate(powers[k - 1])]
        elif k == h + 1:
            # Pair with B itself (sparse, 0/1): row sums stay below degree * 2^W.
            parts = [(s * W, np.asarray(Bs.multiply(limb.T).sum(axis=1)).ravel()) for s, limb in enumerate(powers[h - 1])]
        else:
            x, y = powers[h - 1], powers[k - h - 1]
            by = _bits(y, W)
            wy = max(1, min(by, budget // 2))
            wx = max(1, budget - wy)
            ys = list(_pieces(y, W, wy))
            parts = [(sx + sy, _diag_of_product(px, py)) for sx, px in _pieces(x, W, wx) for sy, py in ys]
        out.append(_to_python_ints(parts, n))
    return out


def _support_csr(P) -> sp.csr_array:
    B = support(P)
    return sp.csr_array(B).astype(np.int64)


def _divide(x: float, d) -> float:
    """``x / d`` for a float ``x`` and an int or Fraction ``d`` of any size, correctly rounded; 0 when ``d == 0``."""
    if d == 0:
        return 0.0
    return float(Fraction(x) / d)


def _per_row_value(diagonal: np.ndarray, m: np.ndarray) -> float:
    """``Σ_{i: m_i > 0} diagonal_i^2 / m_i`` with exact division by the integer counts."""
    return float(sum(_divide(x * x, mi) for x, mi in zip(diagonal.tolist(), m.tolist()) if mi > 0))


def _zeta_n(P, n: int) -> Fraction:
    # ζ n = nnz(P) / n as an exact fraction (the float `sparsity(P)` rounds nnz / n^2).
    B = support(P)
    nnz = B.nnz if sp.issparse(B) else int(np.count_nonzero(B))
    return Fraction(int(nnz), n)


# ---------------------------------------------------------------------------
# Public functions, one quantity each
# ---------------------------------------------------------------------------

def closed_walk_diagonal(P, k: int) -> np.ndarray:
    """The number of closed k-walks of positive probability through each token, ``m_i = (B^k)_ii``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    k : int
        Walk length, k >= 1.

    Returns
    -------
    numpy.ndarray, shape (n,), dtype object
        Exact Python ints ``m_i = (B^k)_ii`` with ``B = 1[P > 0]``: the number
        of token sequences ``i, i_1, ..., i_{k-1}, i`` whose k steps all have
        positive probability (book, Chapter 3, eq. ``eq-m-i``). Always
        ``m_i <= n^(k-1)``.

    Raises
    ------
    TypeError
        If ``k`` is not an integer, or ``P`` has a wrong dtype.
    ValueError
        If ``k < 1`` or ``P`` is invalid.

    Notes
    -----
    Book, Chapter 3, eq. ``eq-m-i`` and lemma ``lem-m-bound``. Exact integer
        arithmetic on the support graph (int64 limbs, never floating point).

    Examples
    --------
    >>> closed_walk_diagonal([[0.5, 0.5], [1.0, 0.0]], 2).tolist()
    [2, 1]
    """
    P = as_transition_matrix(P)
    k = check_positive_int(k, "k")
    return _support_power_diagonals(_support_csr(P), k)[-1]


def closed_walk_count(P, k: int) -> int:
    """The number of closed k-walks of positive probability, ``N_k = Tr(B^k)``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    k : int
        Walk length, k >= 1.

    Returns
    -------
    int
        Exact ``N_k = Tr(B^k)``, ``B = 1[P > 0]``: the number of closed walks
        ``i_0 i_1 ... i_k = i_0`` with every ``P[i_t, i_{t+1}] > 0``; rotations
        count separately and tokens may repeat (book, Chapter 2, eq.
        ``eq-Nk``). Computed in integer arithmetic on the support graph, so no
        walk is lost to floating-point underflow of its probability.

    Raises
    ------
    TypeError
        If ``k`` is not an integer, or ``P`` has a wrong dtype.
    ValueError
        If ``k < 1`` or ``P`` is invalid.

    Notes
    -----
    Book, Chapter 2, eq. ``eq-Nk`` (definition ``def-walk-weight``).

    Examples
    --------
    >>> closed_walk_count([[0.5, 0.5], [1.0, 0.0]], 3)  # 0-0-0-0, 0-0-1-0 and its two rotations
    4
    >>> closed_walk_count([[1e-200, 0.0], [0.0, 0.0]], 2)  # the walk survives although 1e-400 underflows
    1
    """
    return int(sum(closed_walk_diagonal(P, k).tolist()))


def cauchy_schwarz_bound(P, k: int) -> float:
    """The Cauchy–Schwarz lower bound ``(Tr P^k)^2 / N_k <= Tr(A^k)``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    k : int
        Walk length, k >= 1.

    Returns
    -------
    float
        ``(Tr P^k)^2 / N_k`` with ``N_k`` from :func:`closed_walk_count`, and
        0.0 when ``N_k = 0`` (then ``Tr(A^k) = 0`` as well). A lower bound of
        ``Tr((P ⊙ P)^k)``, with equality exactly when all closed k-walks of
        positive probability have the same probability (book, Chapter 2,
        theorem ``thm-cs-bound``, eq. ``eq-cs-bound``; Su 2021, 一个下界).

    Raises
    ------
    TypeError
        If ``k`` is not an integer, or ``P`` has a wrong dtype.
    ValueError
        If ``k < 1`` or ``P`` is invalid.

    Notes
    -----
    Book, Chapter 2, theorem ``thm-cs-bound``, eq. ``eq-cs-bound``; Su 2021,
        section 一个下界, where the step is called the mean inequality.

    Examples
    --------
    >>> cauchy_schwarz_bound([[0.0, 0.5], [0.5, 0.0]], 2)  # two walks of weight 1/4: equality
    0.125
    """
    P = as_transition_matrix(P)
    k = check_positive_int(k, "k")
    trace = float(_float_power_diagonals(P, k)[0][-1].sum())
    return _divide(trace * trace, closed_walk_count(P, k))


def per_row_bound(P, k: int) -> float:
    """The per-token lower bound ``Σ_i (P^k)_ii^2 / m_i <= Tr(A^k)``, over tokens with ``m_i > 0``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    k : int
        Walk length, k >= 1.

    Returns
    -------
    float
        ``Σ_{i: m_i > 0} ((P^k)_ii)^2 / m_i`` with ``m_i = (B^k)_ii`` from
        :func:`closed_walk_diagonal`: Cauchy–Schwarz applied to the closed
        walks through each token separately (book, Chapter 3, theorem
        ``thm-per-row-chain``, eq. ``eq-per-row``). It is the sharpest bound
        of the two chapters: at least :func:`cauchy_schwarz_bound` and at
        least :func:`row_lower_bound`, and exact for ``k = 1``.

    Raises
    ------
    TypeError
        If ``k`` is not an integer, or ``P`` has a wrong dtype.
    ValueError
        If ``k < 1`` or ``P`` is invalid.

    Notes
    -----
    Book, Chapter 3, theorem ``thm-per-row-chain``, eq. ``eq-per-row``.

    Examples
    --------
    >>> per_row_bound([[0.5, 0.25], [0.0, 0.75]], 1)  # k = 1: exactly Tr(A) = 0.25 + 0.5625
    0.8125
    """
    P = as_transition_matrix(P)
    k = check_positive_int(k, "k")
    d = _float_power_diagonals(P, k)[0][-1]
    return _per_row_value(d, closed_walk_diagonal(P, k))


def row_lower_bound(P, k: int) -> float:
    """The row lower bound ``Tr(P^k ⊙ P^k) / n^(k-1) <= Tr(A^k)`` (the corrected form of the paper's term).

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    k : int
        Walk length, k >= 1.

    Returns
    -------
    float
        ``Σ_i ((P^k)_ii)^2 / n^(k-1)``; note ``Tr(P^k ⊙ P^k) = Σ_i ((P^k)_ii)^2``,
        the squares of the diagonal of ``P^k``, not ``Tr(P^(2k))`` (book,
        Chapter 3, theorem ``thm-per-row-chain``, eq. ``eq-row-bound``; Su 2021,
        原文下界, eq. (8) without ``ζ``).

    Raises
    ------
    TypeError
        If ``k`` is not an integer, or ``P`` has a wrong dtype.
    ValueError
        If ``k < 1`` or ``P`` is invalid.

    Notes
    -----
    Book, Chapter 3, theorem ``thm-per-row-chain``, eq. ``eq-row-bound``; the
        paper's term with ``Tr(P^(2k))`` is :func:`paper_lower_bound_term`.

    Examples
    --------
    >>> row_lower_bound([[0.0, 0.5], [0.5, 0.0]], 2)  # (P^2)_ii = 1/4 on both tokens: 2 (1/16) / 2
    0.0625
    """
    P = as_transition_matrix(P)
    k = check_positive_int(k, "k")
    d = _float_power_diagonals(P, k)[0][-1]
    return _divide(float((d * d).sum()), P.shape[0] ** (k - 1))


def zeta_estimate_term(P, k: int, form: str = "walks") -> float:
    """The blog's sparsity estimates, in which walk counts are replaced by powers of ``ζ``; not bounds.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    k : int
        Walk length, k >= 1.
    form : {"walks", "rows"}, default "walks"
        ``"walks"``: ``(Tr P^k)^2 / (ζ^k n^k)``, the Cauchy–Schwarz bound with
        ``N_k`` replaced by ``ζ^k n^k`` (Su 2021, 一个下界, eq. (7); book,
        Chapter 2, eq. ``eq-zeta-estimate``). ``"rows"``:
        ``Tr(P^k ⊙ P^k) / (ζ^k n^(k-1))``, the row bound with ``n^(k-1)``
        replaced by ``ζ^k n^(k-1)`` (Su 2021, 原文下界, eq. (8); book, Chapter 3,
        eq. ``eq-zeta-row-estimate``).

    Returns
    -------
    float
        The estimate of ``Tr(A^k)``, with ``ζ = nnz(P) / n^2`` (as
        :func:`repetition.sparsity`, held as an exact fraction; 0.0 when ``P``
        is zero). It can exceed ``Tr(A^k)``: the book's
        chapters 2 and 3 give exact counterexamples.

    Raises
    ------
    TypeError
        If ``k`` is not an integer, ``form`` is not a string, or ``P`` has a
        wrong dtype.
    ValueError
        If ``k < 1``, ``form`` is not one of the two names, or ``P`` is invalid.

    Notes
    -----
    Book, Chapter 2, eq. ``eq-zeta-estimate`` and proposition
        ``prop-zeta-safe``; Chapter 3, eq. ``eq-zeta-row-estimate``.

    Examples
    --------
    >>> P = [[0.0, 0.5], [0.5, 0.0]]   # ζ n = 1; Tr(A^2) = 1/8
    >>> zeta_estimate_term(P, 2), zeta_estimate_term(P, 2, form="rows")
    (0.25, 0.25)
    """
    if not isinstance(form, str):
        raise TypeError(f"form must be one of {_ZETA_FORMS}, got {form!r}")
    if form not in _ZETA_FORMS:
        raise ValueError(f"form must be one of {_ZETA_FORMS}, got {form!r}")
    P = as_transition_matrix(P)
    k = check_positive_int(k, "k")
    n = P.shape[0]
    d = _float_power_diagonals(P, k)[0][-1]
    zn = _zeta_n(P, n)
    if form == "walks":
        t = float(d.sum())
        return _divide(t * t, zn**k)
    return _divide(float((d * d).sum()), zn**k / n)


def paper_lower_bound_term(P, k: int, normalisation: str = "n^k") -> float:
    """The paper's printed term ``Tr(P^(2k)) / (ζ^k n^k)``, which is not a lower bound.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1); the paper calls it ``B``.
    k : int
        Walk length, k >= 1.
    normalisation : {"n^k", "n^(k-1)"}, default "n^k"
        ``"n^k"``: ``Tr(P^(2k)) / (ζ^k n^k)``, the k-th summand of the
        Average Repetition Probability exactly as printed (Fu et al. 2021,
        Definition 2.3: ``Σ_k tr(B^(2k)) / (ζ^k n^k)``), an average per start
        token. ``"n^(k-1)"``: ``Tr(P^(2k)) / (ζ^k n^(k-1))``, the same term
        times ``n``, on the scale of ``Tr(A^k)`` (summed over start tokens),
        as in Su 2021, 原文下界.

    Returns
    -------
    float
        The printed term (0.0 when ``P`` is zero). It uses ``Tr(P^(2k))`` where
        the derivation gives ``Tr(P^k ⊙ P^k)``; since
        ``Tr(P^(2k)) >= Tr(P^k ⊙ P^k)`` it can exceed ``Tr(A^k)``, already at
        ``k = 1`` and under either normalisation (book, Chapter 3, eq.
        ``eq-paper-term``, admonition on the paper's form).

    Raises
    ------
    TypeError
        If ``k`` is not an integer, ``normalisation`` is not a string, or
        ``P`` has a wrong dtype.
    ValueError
        If ``k < 1``, ``normalisation`` is not one of the two names, or ``P``
        is invalid.

    Notes
    -----
    Book, Chapter 3, eq. ``eq-paper-term``, proposition ``prop-p2k-dominates``
        and eq. ``eq-paper-closed-form``; Fu et al. 2021, Definition 2.3.

    Examples
    --------
    >>> P = [[0.1, 0.5], [0.5, 0.1]]   # ζ = 1; Tr(A) = 0.02 but Tr(P^2) = 0.52
    >>> round(paper_lower_bound_term(P, 1), 12), round(paper_lower_bound_term(P, 1, "n^(k-1)"), 12)
    (0.26, 0.52)
    """
    if not isinstance(normalisation, str):
        raise TypeError(f"normalisation must be one of {_NORMALISATIONS}, got {normalisation!r}")
    if normalisation not in _NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {_NORMALISATIONS}, got {normalisation!r}")
    P = as_transition_matrix(P)
    k = check_positive_int(k, "k")
    n = P.shape[0]
    trace_2k = float(_float_power_diagonals(P, k, square_traces=True)[1][-1])
    scale = _zeta_n(P, n) ** k
    if normalisation == "n^(k-1)":
        scale = scale / n
    return _divide(trace_2k, scale)


# ---------------------------------------------------------------------------
# All terms at once
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LowerBoundTable:
    """Exact terms, bounds and estimates of ``Tr(A^k)`` for ``k = 1..K`` (index ``k - 1``).

    Attributes
    ----------
    n : int
        Number of tokens.
    zeta : float
        Sparsity ``ζ = nnz(P) / n^2``.
    exact : numpy.ndarray, shape (K,)
        ``Tr(A^k)``, ``A = P ⊙ P`` (the terms of ``R``).
    trace_P : numpy.ndarray, shape (K,)
        ``Tr(P^k)``.
    trace_diag_sq : numpy.ndarray, shape (K,)
        ``Tr(P^k ⊙ P^k) = Σ_i ((P^k)_ii)^2``.
    trace_P2k : numpy.ndarray or None, shape (K,)
        ``Tr(P^(2k))`` (only when the table was built with ``paper=True``).
    walk_count : list of int
        ``N_k = Tr(B^k)``, exact.
    max_walks_through : list of int
        ``max_i m_i``, ``m_i = (B^k)_ii``, exact.
    per_row, cauchy_schwarz, max_row, row, uniform : numpy.ndarray, shape (K,)
        The lower bounds ``Σ_i (P^k)_ii^2 / m_i``, ``(Tr P^k)^2 / N_k``,
        ``Tr(P^k ⊙ P^k) / max_i m_i``, ``Tr(P^k ⊙ P^k) / n^(k-1)`` and
        ``(Tr P^k)^2 / n^k``.
    zeta_walks, zeta_rows : numpy.ndarray, shape (K,)
        The estimates of :func:`zeta_estimate_term`.
    paper_nk, paper_nk1 : numpy.ndarray or None, shape (K,)
        The paper's term of :func:`paper_lower_bound_term` with normalisation
        ``n^k`` and ``n^(k-1)``.
    """

    n: int
    zeta: float
    exact: np.ndarray
    trace_P: np.ndarray
    trace_diag_sq: np.ndarray
    trace_P2k: np.ndarray | None
    walk_count: list
    max_walks_through: list
    per_row: np.ndarray
    cauchy_schwarz: np.ndarray
    max_row: np.ndarray
    row: np.ndarray
    uniform: np.ndarray
    zeta_walks: np.ndarray
    zeta_rows: np.ndarray
    paper_nk: np.ndarray | None
    paper_nk1: np.ndarray | None

    @property
    def K(self) -> int:
        """Number of terms."""
        return int(self.exact.size)


def lower_bound_table(P, K: int, paper: bool = True) -> LowerBoundTable:
    """Every term, bound and estimate of Chapters 2 and 3 for ``k = 1..K``, sharing the matrix powers.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    K : int
        Largest walk length, K >= 1.
    paper : bool, default True
        Whether to compute ``Tr(P^(2k))`` for the paper's term; this needs all
        powers ``P^1..P^K`` instead of ``P^1..P^ceil(K/2)``.

    Returns
    -------
    LowerBoundTable
        The same numbers as :func:`cauchy_schwarz_bound`,
        :func:`per_row_bound`, :func:`row_lower_bound`,
        :func:`zeta_estimate_term` and :func:`paper_lower_bound_term` for each
        k, with the exact terms ``Tr(A^k)`` (as
        :func:`repetition.repetition_terms`), computed from one set of powers
        of ``P``, ``A`` and ``B`` (book, Chapters 2 and 3, experiments).

    Raises
    ------
    TypeError
        If ``K`` is not an integer or ``paper`` is not a bool, or ``P`` has a
        wrong dtype.
    ValueError
        If ``K < 1`` or ``P`` is invalid.

    Notes
    -----
    Book, Chapters 2 and 3, the experiment cells. Powers ``X^1..X^h``,
        ``h = ceil(K / 2)``, and ``diag(X^(a+b)) = rowsum(X^a ⊙ (X^b)^T)``.

    Examples
    --------
    >>> t = lower_bound_table([[0.0, 0.5], [0.5, 0.0]], 2)
    >>> t.exact.tolist(), t.cauchy_schwarz.tolist(), t.zeta_walks.tolist()
    ([0.0, 0.125], [0.0, 0.125], [0.0, 0.25])
    """
    P = as_transition_matrix(P)
    K = check_positive_int(K, "K")
    if not isinstance(paper, (bool, np.bool_)):
        raise TypeError(f"paper must be True or False, got {paper!r}")
    n = P.shape[0]
    zn = _zeta_n(P, n)
    diag_P, sq = _float_power_diagonals(P, K, square_traces=bool(paper))
    exact = _float_power_diagonals(hadamard_square(P), K)[0].sum(axis=1)
    m = _support_power_diagonals(_support_csr(P), K)
    trace_P = diag_P.sum(axis=1)
    diag_sq = (diag_P * diag_P).sum(axis=1)
    N = [int(sum(mk.tolist())) for mk in m]
    max_m = [int(max(mk.tolist())) for mk in m]
    per_row = np.array([_per_row_value(diag_P[k], m[k]) for k in range(K)])
    ks = range(1, K + 1)
    t2 = trace_P * trace_P
    table = dict(
        n=n,
        zeta=float(zn / n),
        exact=exact,
        trace_P=trace_P,
        trace_diag_sq=diag_sq,
        trace_P2k=sq,
        walk_count=N,
        max_walks_through=max_m,
        per_row=per_row,
        cauchy_schwarz=np.array([_divide(t2[k - 1], N[k - 1]) for k in ks]),
        max_row=np.array([_divide(diag_sq[k - 1], max_m[k - 1]) for k in ks]),
        row=np.array([_divide(diag_sq[k - 1], n ** (k - 1)) for k in ks]),
        uniform=np.array([_divide(t2[k - 1], n**k) for k in ks]),
        zeta_walks=np.array([_divide(t2[k - 1], zn**k) for k in ks]),
        zeta_rows=np.array([_divide(diag_sq[k - 1], zn**k / n) for k in ks]),
        paper_nk=None if sq is None else np.array([_divide(sq[k - 1], zn**k) for k in ks]),
        paper_nk1=None if sq is None else np.array([_divide(sq[k - 1], zn**k / n) for k in ks]),
    )
    return LowerBoundTable(**table)


def random_transition_matrix(n: int, support: str = "dense", *, density: float = 0.1, width: int = 5,
                             mass_low: float = 0.5, rng=None) -> np.ndarray:
    """A random substochastic transition matrix with the support left by a decoding rule.

    Parameters
    ----------
    n : int
        Number of tokens, n >= 1.
    support : {"dense", "iid", "top-k", "greedy"}, default "dense"
        ``"dense"``: every entry positive (sampling from a softmax);
        ``"iid"``: each entry present independently with probability
        ``density``; ``"top-k"``: exactly ``width`` successors per token, at
        random; ``"greedy"``: exactly one successor per token (``ζ n = 1``).
    density : float, default 0.1
        Entry probability for ``"iid"``, in (0, 1].
    width : int, default 5
        Successors per token for ``"top-k"``, 1 <= width <= n.
    mass_low : float, default 0.5
        Each row is scaled to a total mass drawn uniformly from
        ``[mass_low, 1)``; the rest is the end-token probability.
    rng : numpy.random.Generator or int or None
        Random source (or seed) for :func:`numpy.random.default_rng`.

    Returns
    -------
    numpy.ndarray, shape (n, n), float64
        Rows with uniform random weights on the chosen support, normalised
        and scaled to their mass (an ``"iid"`` row with no entry is zero).
        Used by the random sweeps of the book's Chapters 2 and 3.

    Raises
    ------
    TypeError
        If ``n`` or ``width`` is not an integer, ``support`` is not a
        string, ``density``/``mass_low`` is not a real number, or ``rng``
        is neither a Generator, an int seed nor None.
    ValueError
        If ``n < 1``, ``support`` is unknown, ``density`` is not in (0, 1],
        ``width < 1`` (or ``width > n`` for ``"top-k"``) or ``mass_low`` is not
        in (0, 1), or ``rng`` is a negative seed.

    Notes
    -----
    Book, Chapters 2 and 3, random sweeps.

    Examples
    --------
    >>> P = random_transition_matrix(6, "greedy", rng=0)
    >>> (P > 0).sum(axis=1).tolist(), bool(P.sum(axis=1).max() < 1)
    ([1, 1, 1, 1, 1, 1], True)
    """
    n = check_positive_int(n, "n")
    if not isinstance(support, str) or support not in _SUPPORTS:
        raise ValueError(f"support must be one of {_SUPPORTS}, got {support!r}")
    density = check_real(density, "density", 0.0, 1.0)
    width = check_positive_int(width, "width")
    if support == "top-k" and width > n:
        raise ValueError(f"width must be at most n = {n}, got {width}")
    mass_low = check_real(mass_low, "mass_low", 0.0, 1.0, high_open=True)
    rng = as_generator(rng)
    if support == "dense":
        mask = np.ones((n, n), dtype=bool)
    elif support == "iid":
        mask = rng.random((n, n)) < density
    else:
        per_row = width if support == "top-k" else 1
        mask = np.zeros((n, n), dtype=bool)
        for i in range(n):
            mask[i, rng.choice(n, size=per_row, replace=False)] = True
    W = rng.random((n, n)) * mask
    rows = W.sum(axis=1, keepdims=True)
    W = np.divide(W, rows, out=np.zeros_like(W), where=rows > 0)
    return W * rng.uniform(mass_low, 1.0, size=(n, 1))
