"""Lower bounds on the terms ``Tr(A^k)`` of the repetition rate, and the sparsity estimates that are not bounds.

Book, :numref:`Chapter %s <chapter-first-lower-bound>` (a first lower bound, Su 2021 section 一个下界) and
:numref:`Chapter %s <chapter-paper-lower-bound>`
(the paper's lower bound, corrected; Su 2021 section 原文下界). With
``A = P ⊙ P`` and ``B = 1[P > 0]`` (the support of ``P``), every closed
k-walk of positive probability ``w`` contributes ``w`` to ``Tr(P^k)`` and
``w^2`` to ``Tr(A^k)``; ``N_k = Tr(B^k)`` counts those walks and
``m_i = (B^k)_ii`` counts the ones that start at token ``i``
(:mod:`repetition.walks`). The chain of true bounds is::

    Tr(A^k) >= Σ_i (P^k)_ii^2 / m_i            (per_row_bound)
            >= (Tr P^k)^2 / N_k                (cauchy_schwarz_bound)
    Σ_i (P^k)_ii^2 / m_i >= Tr(P^k ⊙ P^k) / max_i m_i
                         >= Tr(P^k ⊙ P^k) / n^(k-1)   (row_lower_bound)
                         >= (Tr P^k)^2 / n^k.

:func:`zeta_estimate_term` computes the forms in which walk counts are
replaced by powers of the sparsity ``ζ``; they are estimates, not bounds, and
the book shows where they fail. Its ``"rows"`` form is ``n`` times the
corrected ARP term, and the paper's printed term is the ``"printed"`` form of
:func:`repetition.arp_terms`. Divisions by walk counts are exact (the counts
can exceed 2^53). The dense working arrays are ``n x n``, so the functions are
meant for vocabularies up to a few thousand tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from . import _linalg
from ._linalg import exact_divide as _divide
from ._validation import check_choice, check_memory, check_positive_int
from .arp import arp_terms
from .chain import as_chain
from .rate import repetition_terms
from .walks import closed_walk_count, closed_walk_diagonal

__all__ = [
    "cauchy_schwarz_bound",
    "per_row_bound",
    "row_lower_bound",
    "zeta_estimate_term",
    "LowerBoundTable",
    "lower_bound_table",
]

_ZETA_FORMS = ("walks", "rows")


def _per_row_value(diagonal: np.ndarray, m: np.ndarray) -> float:
    """``Σ_{i: m_i > 0} diagonal_i^2 / m_i`` with exact division by the integer counts."""
    return float(
        sum(
            _divide(x * x, mi)
            for x, mi in zip(diagonal.tolist(), m.tolist(), strict=True)
            if mi > 0
        )
    )


def _diagonal_of_power(chain, k: int) -> np.ndarray:
    """``diag(P^k)``, a sum of nonnegative products per entry (shared through the chain's cache)."""
    return chain.power_diagonals(k)[0][-1]


def cauchy_schwarz_bound(P, k: int) -> float:
    """The Cauchy–Schwarz lower bound ``(Tr P^k)^2 / N_k <= Tr(A^k)``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    k : int
        Walk length, k >= 1.

    Returns
    -------
    float
        ``(Tr P^k)^2 / N_k`` with ``N_k`` from :func:`closed_walk_count`, and
        0.0 when ``N_k = 0`` (then ``Tr(A^k) = 0`` as well). A lower bound of
        ``Tr((P ⊙ P)^k)``, with equality exactly when all closed k-walks of
        positive probability have the same probability (book, :numref:`Chapter %s <chapter-first-lower-bound>`,
        :prf:ref:`thm-cs-bound`, eq. :eq:`eq-cs-bound`; Su 2021, 一个下界).

    Raises
    ------
    TypeError
        If ``k`` is not an integer, or ``P`` has a wrong dtype.
    ValueError
        If ``k < 1`` or ``P`` is invalid.

    Notes
    -----
    Book, :numref:`Chapter %s <chapter-first-lower-bound>`, :prf:ref:`thm-cs-bound`, eq. :eq:`eq-cs-bound`; Su 2021,
        section 一个下界, where the step is called the mean inequality.

    Examples
    --------
    >>> # two walks of weight 1/4: equality
    >>> cauchy_schwarz_bound([[0.0, 0.5], [0.5, 0.0]], 2)
    0.125
    """
    chain = as_chain(P)
    k = check_positive_int(k, "k")
    trace = float(_diagonal_of_power(chain, k).sum())
    return _divide(trace * trace, closed_walk_count(chain, k))


def per_row_bound(P, k: int) -> float:
    """The per-token lower bound ``Σ_i (P^k)_ii^2 / m_i <= Tr(A^k)``, over tokens with ``m_i > 0``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    k : int
        Walk length, k >= 1.

    Returns
    -------
    float
        ``Σ_{i: m_i > 0} ((P^k)_ii)^2 / m_i`` with ``m_i = (B^k)_ii`` from
        :func:`closed_walk_diagonal`: Cauchy–Schwarz applied to the closed
        walks through each token separately (book, :numref:`Chapter %s <chapter-paper-lower-bound>`, theorem
        :prf:ref:`thm-per-row-chain`, eq. :eq:`eq-per-row`). It is the sharpest bound
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
    Book, :numref:`Chapter %s <chapter-paper-lower-bound>`, :prf:ref:`thm-per-row-chain`, eq. :eq:`eq-per-row`.

    Examples
    --------
    >>> per_row_bound([[0.5, 0.25], [0.0, 0.75]], 1)  # k = 1: exactly Tr(A) = 0.25 + 0.5625
    0.8125
    """
    chain = as_chain(P)
    k = check_positive_int(k, "k")
    return _per_row_value(_diagonal_of_power(chain, k), closed_walk_diagonal(chain, k))


def row_lower_bound(P, k: int) -> float:
    """The row lower bound ``Tr(P^k ⊙ P^k) / n^(k-1) <= Tr(A^k)`` (the corrected form of the paper's term).

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    k : int
        Walk length, k >= 1.

    Returns
    -------
    float
        ``Σ_i ((P^k)_ii)^2 / n^(k-1)``; note ``Tr(P^k ⊙ P^k) = Σ_i ((P^k)_ii)^2``,
        the squares of the diagonal of ``P^k``, not ``Tr(P^(2k))`` (book,
        :numref:`Chapter %s <chapter-paper-lower-bound>`, :prf:ref:`thm-per-row-chain`, eq. :eq:`eq-row-bound`; Su 2021,
        原文下界, eq. (8) without ``ζ``).

    Raises
    ------
    TypeError
        If ``k`` is not an integer, or ``P`` has a wrong dtype.
    ValueError
        If ``k < 1`` or ``P`` is invalid.

    Notes
    -----
    Book, :numref:`Chapter %s <chapter-paper-lower-bound>`, :prf:ref:`thm-per-row-chain`, eq. :eq:`eq-row-bound`; the
        paper's term with ``Tr(P^(2k))`` is the ``"printed"`` form of
        :func:`repetition.arp_terms`.

    Examples
    --------
    >>> # (P^2)_ii = 1/4 on both tokens: 2 (1/16) / 2
    >>> row_lower_bound([[0.0, 0.5], [0.5, 0.0]], 2)
    0.0625
    """
    chain = as_chain(P)
    k = check_positive_int(k, "k")
    d = _diagonal_of_power(chain, k)
    return _divide(float((d * d).sum()), chain.n ** (k - 1))


def zeta_estimate_term(P, k: int, form: str = "walks") -> float:
    """The blog's sparsity estimates, in which walk counts are replaced by powers of ``ζ``; not bounds.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    k : int
        Walk length, k >= 1.
    form : {"walks", "rows"}, default "walks"
        ``"walks"``: ``(Tr P^k)^2 / (ζ^k n^k)``, the Cauchy–Schwarz bound with
        ``N_k`` replaced by ``ζ^k n^k`` (Su 2021, 一个下界, eq. (7); book,
        :numref:`Chapter %s <chapter-first-lower-bound>`, eq. :eq:`eq-zeta-estimate`). ``"rows"``:
        ``Tr(P^k ⊙ P^k) / (ζ^k n^(k-1))``, the row bound with ``n^(k-1)``
        replaced by ``ζ^k n^(k-1)`` (Su 2021, 原文下界, eq. (8); book, :numref:`Chapter %s <chapter-paper-lower-bound>`,
        eq. :eq:`eq-zeta-row-estimate`): ``n`` times the corrected term of
        :func:`repetition.arp_terms`, which computes it.

    Returns
    -------
    float
        The estimate of ``Tr(A^k)``, with ``ζ = nnz(P) / n^2`` (as
        :func:`repetition.sparsity`; the ``"walks"`` form divides by the exact
        fraction ``(ζn)^k``; 0.0 when ``P`` is zero). It can exceed ``Tr(A^k)``: the book's
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
    Book, :numref:`Chapter %s <chapter-first-lower-bound>`, eq. :eq:`eq-zeta-estimate` and proposition
        :prf:ref:`prop-zeta-safe`; :numref:`Chapter %s <chapter-paper-lower-bound>`, eq. :eq:`eq-zeta-row-estimate`.

    Examples
    --------
    >>> P = [[0.0, 0.5], [0.5, 0.0]]   # ζ n = 1; Tr(A^2) = 1/8
    >>> zeta_estimate_term(P, 2), zeta_estimate_term(P, 2, form="rows")
    (0.25, 0.25)
    """
    form = check_choice(form, "form", _ZETA_FORMS)
    chain = as_chain(P)
    k = check_positive_int(k, "k")
    if form == "rows":
        return chain.n * float(arp_terms(chain, k, "corrected")[-1])
    t = float(_diagonal_of_power(chain, k).sum())
    return _divide(t * t, chain.zeta_n**k)


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
        The paper's printed term ``Tr(P^(2k)) / (ζn)^k`` (the ``"printed"``
        form of :func:`repetition.arp_terms`, normalised by ``n^k``) and
        ``n`` times it (normalised by ``n^(k-1)``, the scale of ``Tr(A^k)``).
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
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
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
        :func:`zeta_estimate_term` and the printed form of
        :func:`repetition.arp_terms` for each k, with the exact terms
        ``Tr(A^k)`` from :func:`repetition.repetition_terms`; the bounds share
        one set of powers of ``P`` and ``B`` (book, Chapters 2 and 3,
        experiments).

    Raises
    ------
    TypeError
        If ``K`` is not an integer or ``paper`` is not a bool, or ``P`` has a
        wrong dtype.
    ValueError
        If ``K < 1``, ``P`` is invalid, or the table's arrays
        (``8 K (4n + 16)`` bytes) would not fit in physical memory.

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
    chain = as_chain(P)
    K = check_positive_int(K, "K")
    if not isinstance(paper, (bool, np.bool_)):
        raise TypeError(f"paper must be True or False, got {paper!r}")
    n = chain.n
    check_memory(
        K,
        "K",
        8 * (4 * n + 16),
        f"the columns and the (K, {n}) diagonals of the powers",
    )
    zn = chain.zeta_n
    diag_P, trace_2k = chain.power_diagonals(K)
    exact = repetition_terms(chain, K)
    m = _linalg.support_power_diagonals(sp.csr_array(chain.support).astype(np.int64), K)
    trace_P = diag_P.sum(axis=1)
    diag_sq = (diag_P * diag_P).sum(axis=1)
    N = [int(sum(mk.tolist())) for mk in m]
    max_m = [int(max(mk.tolist())) for mk in m]
    per_row = np.array([_per_row_value(diag_P[k], m[k]) for k in range(K)])
    ks = range(1, K + 1)
    t2 = trace_P * trace_P
    printed = arp_terms(chain, K, "printed") if paper else None
    corrected = arp_terms(chain, K, "corrected")
    table = dict(
        n=n,
        zeta=float(zn / n),
        exact=exact,
        trace_P=trace_P,
        trace_diag_sq=diag_sq,
        trace_P2k=trace_2k.copy() if paper else None,
        walk_count=N,
        max_walks_through=max_m,
        per_row=per_row,
        cauchy_schwarz=np.array([_divide(t2[k - 1], N[k - 1]) for k in ks]),
        max_row=np.array([_divide(diag_sq[k - 1], max_m[k - 1]) for k in ks]),
        row=np.array([_divide(diag_sq[k - 1], n ** (k - 1)) for k in ks]),
        uniform=np.array([_divide(t2[k - 1], n**k) for k in ks]),
        zeta_walks=np.array([_divide(t2[k - 1], zn**k) for k in ks]),
        zeta_rows=n * corrected,
        paper_nk=printed,
        paper_nk1=None if printed is None else n * printed,
    )
    return LowerBoundTable(**table)
