"""Exact integer counts of closed walks on the support graph.

Book, :numref:`Chapter %s <chapter-first-lower-bound>`, eq. :eq:`eq-Nk` and
:numref:`Chapter %s <chapter-paper-lower-bound>`, eq. :eq:`eq-m-i`: with
``B = 1[P > 0]`` the support of ``P``, ``N_k = Tr(B^k)`` counts the closed
k-walks of positive probability and ``m_i = (B^k)_ii`` those that start at
token ``i``. The counts are computed exactly, in integer arithmetic on the
support graph (int64 limbs carried into Python ints), so a walk of tiny but
positive probability is never lost to a floating-point zero and a count above
2^63 is not rounded. The dense working arrays are ``n x n``, so the functions
are meant for vocabularies up to a few thousand tokens.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import _linalg
from ._validation import check_positive_int
from .chain import as_chain

__all__ = ["closed_walk_diagonal", "closed_walk_count"]


def closed_walk_diagonal(P, k: int) -> np.ndarray:
    """The number of closed k-walks of positive probability through each token, ``m_i = (B^k)_ii``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    k : int
        Walk length, k >= 1.

    Returns
    -------
    numpy.ndarray, shape (n,), dtype object
        Exact Python ints ``m_i = (B^k)_ii`` with ``B = 1[P > 0]``: the number
        of token sequences ``i, i_1, ..., i_{k-1}, i`` whose k steps all have
        positive probability (book, :numref:`Chapter %s <chapter-paper-lower-bound>`, eq. :eq:`eq-m-i`). Always
        ``m_i <= n^(k-1)``.

    Raises
    ------
    TypeError
        If ``k`` is not an integer, or ``P`` has a wrong dtype.
    ValueError
        If ``k < 1`` or ``P`` is invalid.

    Notes
    -----
    Book, :numref:`Chapter %s <chapter-paper-lower-bound>`, eq. :eq:`eq-m-i` and :prf:ref:`lem-m-bound`. Exact integer
        arithmetic on the support graph (int64 limbs, never floating point).

    Examples
    --------
    >>> closed_walk_diagonal([[0.5, 0.5], [1.0, 0.0]], 2).tolist()
    [2, 1]
    """
    chain = as_chain(P)
    k = check_positive_int(k, "k")
    return _linalg.support_power_diagonals(
        sp.csr_array(chain.support).astype(np.int64), k
    )[-1]


def closed_walk_count(P, k: int) -> int:
    """The number of closed k-walks of positive probability, ``N_k = Tr(B^k)``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    k : int
        Walk length, k >= 1.

    Returns
    -------
    int
        Exact ``N_k = Tr(B^k)``, ``B = 1[P > 0]``: the number of closed walks
        ``i_0 i_1 ... i_k = i_0`` with every ``P[i_t, i_{t+1}] > 0``; rotations
        count separately and tokens may repeat (book, :numref:`Chapter %s <chapter-first-lower-bound>`, eq.
        :eq:`eq-Nk`). Computed in integer arithmetic on the support graph, so no
        walk is lost to floating-point underflow of its probability.

    Raises
    ------
    TypeError
        If ``k`` is not an integer, or ``P`` has a wrong dtype.
    ValueError
        If ``k < 1`` or ``P`` is invalid.

    Notes
    -----
    Book, :numref:`Chapter %s <chapter-first-lower-bound>`, eq. :eq:`eq-Nk` (:prf:ref:`def-walk-weight`).

    Examples
    --------
    >>> # 0-0-0-0, 0-0-1-0 and its two rotations
    >>> closed_walk_count([[0.5, 0.5], [1.0, 0.0]], 3)
    4
    >>> # the walk survives although 1e-400 underflows
    >>> closed_walk_count([[1e-200, 0.0], [0.0, 0.0]], 2)
    1
    """
    return int(sum(closed_walk_diagonal(P, k).tolist()))
