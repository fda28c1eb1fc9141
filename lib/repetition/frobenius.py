"""Row sums of ``A = P ⊙ P`` and the Frobenius interval for its spectral radius.

Book, :numref:`Chapter %s <chapter-frobenius>` (after the blog's section 再次结论, Su 2021): for a nonnegative
matrix the spectral radius lies between the smallest and the largest row sum
(:prf:ref:`thm-frobenius-interval`). Applied to ``A = P ⊙ P`` the row sums are
``r_i = Σ_j P_ij²``, and ``r_i >= s_i² / nnz_i`` with ``s_i = Σ_j P_ij``
(eq. :eq:`eq-row-square-floor`): rows that spread their mass evenly keep ``ρ(A)``
small. The spectral radius itself is :func:`repetition.spectral_radius`.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_nonnegative_matrix
from .chain import as_chain

__all__ = [
    "row_sums",
    "row_square_sums",
    "row_square_sum_floor",
    "row_sum_interval",
    "frobenius_interval",
]


def row_sums(P) -> np.ndarray:
    """Row sums ``s_i = Σ_j P_ij`` of a transition matrix.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        ``s_i``, the probability that token ``i`` is followed by a token
        rather than by the end token (``1 - s_i`` is the end probability).

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> row_sums([[0.5, 0.25], [0.0, 1.0]]).tolist()
    [0.75, 1.0]
    """
    return as_chain(P).row_sums.copy()


def row_square_sums(P) -> np.ndarray:
    """Row sums ``r_i = Σ_j P_ij²`` of ``A = P ⊙ P``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        ``r_i``: the probability that two independent draws of the successor
        of token ``i`` give the same token (book, :numref:`Chapter %s <chapter-frobenius>`, eq.
        :eq:`eq-row-square-floor`). ``0 <= r_i <= s_i² <= 1``.

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> row_square_sums([[0.5, 0.5], [0.0, 1.0]]).tolist()
    [0.5, 1.0]
    """
    return np.asarray(as_chain(P).A.sum(axis=1), dtype=np.float64).ravel()


def row_square_sum_floor(P) -> np.ndarray:
    """The Cauchy–Schwarz floor ``s_i² / nnz_i`` of each ``r_i = Σ_j P_ij²``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        ``s_i² / nnz_i`` where ``nnz_i`` is the number of positive entries of
        row ``i`` (0 for an empty row). ``r_i >= s_i² / nnz_i >= s_i² / n``,
        with equality in the first step exactly when row ``i`` is constant on
        its support (book, :numref:`Chapter %s <chapter-frobenius>`, :prf:ref:`thm-row-square-floor`).

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> P = [[0.25, 0.25, 0.0], [0.5, 0.25, 0.25], [0.0, 0.0, 0.0]]
    >>> row_square_sum_floor(P).tolist()
    [0.125, 0.3333333333333333, 0.0]
    """
    chain = as_chain(P)
    s, nnz = chain.row_sums, chain.out_degree
    return np.divide(s * s, nnz, out=np.zeros_like(s), where=nnz > 0)


def row_sum_interval(X) -> tuple[float, float]:
    """Smallest and largest row sum of a nonnegative square matrix.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix, shape (n, n)
        Any nonnegative square matrix (rows need not sum to at most 1).

    Returns
    -------
    (float, float)
        ``(min_i Σ_j X_ij, max_i Σ_j X_ij)``. The spectral radius ``ρ(X)``
        lies in this interval (book, :numref:`Chapter %s <chapter-frobenius>`, theorem
        :prf:ref:`thm-frobenius-interval`; Horn & Johnson, Thm. 8.1.22).

    Raises
    ------
    TypeError
        For a complex, boolean or object dtype.
    ValueError
        If ``X`` is not a non-empty square matrix or has negative, NaN or
        infinite entries.

    Examples
    --------
    >>> row_sum_interval([[1, 2], [0, 3]])
    (3.0, 3.0)
    """
    X = as_nonnegative_matrix(X, "X")
    sums = np.asarray(X.sum(axis=1), dtype=np.float64).ravel()
    return float(sums.min()), float(sums.max())


def frobenius_interval(P) -> tuple[float, float]:
    """The Frobenius interval ``(min_i r_i, max_i r_i)`` containing ``ρ(P ⊙ P)``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    (float, float)
        The smallest and largest ``r_i = Σ_j P_ij²``; ``ρ(P ⊙ P)`` lies
        between them (book, :numref:`Chapter %s <chapter-frobenius>`, eq. :eq:`eq-frobenius-interval`; blog
        section 再次结论).

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> frobenius_interval([[0.5, 0.5], [0.0, 1.0]])
    (0.5, 1.0)
    """
    r = row_square_sums(P)
    return float(r.min()), float(r.max())
