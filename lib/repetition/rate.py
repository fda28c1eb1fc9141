"""The exact repetition rate ``R = Σ_{k>=1} Tr((P ⊙ P)^k)`` and its terms.

Book, Chapter 1: ``R`` is the expected number of repeated subsequences
(closed walks written twice in a row) per start token, summed over start
tokens; in closed form ``R = Tr(A (I - A)^{-1})`` with ``A = P ⊙ P`` whenever
the spectral radius of ``A`` is below 1 (eq. ``eq-R-closed``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.sparse as sp

from ._validation import as_transition_matrix, check_positive_int
from . import _sparse_rate
from ._sparse_rate import _dense_trace
from .graph import _cyclic_components_of, _deterministic_cycle_unchecked

__all__ = ["repetition_rate", "repetition_terms", "ConditioningWarning"]

#: Components up to this size are handled with dense LAPACK; larger sparse
#: ones by elimination of cheap vertices first (``_sparse_rate``).
DENSE_COMPONENT_LIMIT = 2500

#: repetition_terms: sparse components up to this size get dense powers ...
_TERMS_SPARSE_DENSE_LIMIT = 16000

#: ... and keeps up to this many bytes of them at once (else one power at a time).
_TERMS_MEMORY = 2 * 1024**3


class ConditioningWarning(RuntimeWarning):
    """The spectral radius of ``P ⊙ P`` is so close to 1 that rounding limits the accuracy of R."""


def _component(A, idx):
    if idx.size == A.shape[0] and np.array_equal(idx, np.arange(idx.size)):  # the whole matrix: no copy
        return A
    if sp.issparse(A):
        return A[idx][:, idx]
    return A[np.ix_(idx, idx)]


def _hadamard_square_checked(P):
    if sp.issparse(P):
        A = P.copy()
        A.data = A.data * A.data
        A.eliminate_zeros()
        return A
    return P * P


def _dense_component_rate(Ac: np.ndarray) -> tuple[float, float]:
    """Return (Tr(Ac (I - Ac)^{-1}), ||(I - Ac)^{-1}||_inf) for a dense block (about two LUs)."""
    value, x = _dense_trace(np.asarray(Ac, dtype=np.float64, order="C"))  # not modified: no copy
    return value, float(np.max(np.abs(x)))


def _component_rate(Ac) -> tuple[float, float]:
    """Dense LAPACK for small or dense blocks, sparse elimination for large sparse ones."""
    m = Ac.shape[0]
    if not sp.issparse(Ac):
        return _dense_component_rate(Ac)  # a dense input is factorised densely at any size
    if m <= DENSE_COMPONENT_LIMIT or (Ac.nnz > 0.05 * m * m and m <= _sparse_rate.DENSE_MAX):
        return _dense_component_rate(Ac.toarray())
    return _sparse_rate.sparse_trace(sp.csr_array(Ac))


def repetition_rate(P) -> float:
    """The exact repetition rate ``R = Σ_{k>=1} Tr((P ⊙ P)^k)`` of a bigram decoder.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix over n tokens: ``P[i, j]`` is the probability that
        token ``j`` follows token ``i``; entries >= 0 and row sums <= 1 (the
        missing mass is the end token). Real floating or integer dtype.

    Returns
    -------
    float
        ``R = Tr(A (I - A)^{-1})`` with ``A = P ⊙ P`` (book, Chapter 1,
        eq. ``eq-R-closed``; Su 2021, section 二元解码): the sum over all
        lengths k >= 1 and all closed k-walks of the squared walk probability.
        ``math.inf`` exactly when the series diverges, which happens exactly
        when the graph of entries equal to 1 has a cycle (theorem
        ``thm-divergence``); this is decided on the graph, not by a singular
        solve.

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Warns
    -----
    ConditioningWarning
        When ``||(I - A)^{-1}||`` is so large (spectral radius of ``A`` very
        close to 1) that rounding may cost more than about 1e-8 relative
        accuracy.

    Notes
    -----
    Closed walks stay inside one strongly connected component, so the trace
    splits over :func:`repetition.cyclic_components`. The value is exact up
    to rounding (no truncated series, no sampling, so no error bar) and is
    assembled from sums of nonnegative terms only, which avoids the
    cancellation of ``Tr((I - A)^{-1}) - n``:

    * a small or dense component gets one LU factorisation of ``I - Aᵀ``
      (which needs no row exchanges) and the inverses of its two triangular
      factors, about twice the work of the LU alone; ``R = Tr(N) - m`` is
      then assembled from products of entries of one sign, the diagonal
      defects ``1 - u_ii`` formed from ``a_ii`` rather than by subtraction;
    * a large sparse component (e.g. a word-level model) is reduced by
      eliminating low-degree vertices many at a time while carrying the
      derivative of ``log det(I - tA)`` at ``t = 1`` (every update is a sum of
      nonnegative products), and the dense remainder is finished like a
      small component.
      Components with no sparse structure (expanders) go dense directly.
      The word-level People's Daily model (about 54 k words in one
      component) takes well under a minute on 2 cores; see
      ``benchmarks/repetition_rate.py``.

    Examples
    --------
    >>> import numpy as np
    >>> n = 4
    >>> round(repetition_rate(np.full((n, n), 1 / n)), 12)  # A = J/n^2: R = (1/n)/(1 - 1/n)
    0.333333333333
    >>> repetition_rate([[0.0, 1.0], [1.0, 0.0]])
    inf
    """
    P = as_transition_matrix(P)
    if _deterministic_cycle_unchecked(P) is not None:
        return math.inf
    A = _hadamard_square_checked(P)
    comps = _cyclic_components_of(A)
    total = 0.0
    worst = 0.0
    for idx in comps:
        value, growth = _component_rate(_component(A, idx))
        total += value
        worst = max(worst, growth)
    condition = 2.0 * worst
    if condition * np.finfo(float).eps > 1e-8:
        warnings.warn(
            f"the spectral radius of P ⊙ P is within about {2 / condition:.1e} of 1 "
            f"(condition number ~{condition:.1e}); expect R to about {condition * np.finfo(float).eps:.0e} relative accuracy",
            ConditioningWarning,
            stacklevel=2,
        )
    return float(total)


def repetition_terms(P, K: int) -> np.ndarray:
    """The terms ``Tr(A^k)``, ``k = 1..K``, of the repetition rate, ``A = P ⊙ P``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    K : int
        Number of terms, K >= 1.

    Returns
    -------
    numpy.ndarray, shape (K,), float64
        ``terms[k - 1] = Tr((P ⊙ P)^k)``: the total probability of a repeated
        subsequence of length k (book, Chapter 1, eq. ``eq-Rk``). Each term
        is a sum of nonnegative products, computed per strongly connected
        component with ``Tr(A^k) = Σ (A^a ⊙ (A^b)^T)`` for ``a + b = k``, so
        only about K/2 matrix products are formed.

    Raises
    ------
    TypeError
        If ``K`` is not an integer, or ``P`` has a wrong dtype.
    ValueError
        If ``K < 1`` or ``P`` is invalid.

    Examples
    --------
    >>> repetition_terms([[0, 0.5, 0], [0, 0, 0.5], [0.5, 0, 0]], 6).tolist()
    [0.0, 0.0, 0.046875, 0.0, 0.0, 0.000732421875]
    """
    P = as_transition_matrix(P)
    K = check_positive_int(K, "K")
    A = _hadamard_square_checked(P)
    terms = np.zeros(K, dtype=np.float64)
    half = (K + 1) // 2
    for idx in _cyclic_components_of(A):
        Ac = _component(A, idx)
        m = idx.size
        if sp.issparse(Ac) and Ac.nnz < 0.1 * m**2 and m <= _TERMS_SPARSE_DENSE_LIMIT:
            # Sparse block, dense powers: (sparse) @ (dense) products cost nnz * m flops each.
            # With the powers A^1..A^half kept, Tr(A^k) = Σ A^a ⊙ (A^b)^T (a + b = k)
            # needs half - 1 products instead of K - 1.
            Ac = sp.csr_array(Ac)
            X = Ac.toarray()
            if half * m * m * 8 <= _TERMS_MEMORY:
                dense_powers = [X]
                for _ in range(half - 1):
                    dense_powers.append(Ac @ dense_powers[-1])
                for k in range(1, K + 1):
                    a = (k + 1) // 2
                    b = k - a
                    if b == 0:
                        terms[k - 1] += float(np.trace(dense_powers[0]))
                    else:
                        Xa, Xb = dense_powers[a - 1], dense_powers[b - 1]
                        terms[k - 1] += float(np.einsum("ij,ji->", Xa, Xb))
                continue
            for k in range(K):
                terms[k] += float(np.trace(X))
                if k + 1 < K:
                    X = Ac @ X
            continue
        if sp.issparse(Ac) and idx.size <= DENSE_COMPONENT_LIMIT:
            Ac = Ac.toarray()
        powers = [Ac]
        for _ in range(half - 1):
            powers.append(powers[-1] @ Ac)
        for k in range(1, K + 1):
            a = (k + 1) // 2
            b = k - a
            if b == 0:
                terms[k - 1] += float(powers[0].diagonal().sum())
                continue
            X, Y = powers[a - 1], powers[b - 1]
            if sp.issparse(X):
                terms[k - 1] += float(X.multiply(Y.T).sum())
            else:
                terms[k - 1] += float((X * Y.T).sum())
    return terms
