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
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ._validation import as_transition_matrix, check_positive_int
from .graph import _cyclic_components_unchecked, _deterministic_cycle_unchecked, _graph

__all__ = ["repetition_rate", "repetition_terms", "ConditioningWarning"]

#: Components up to this size are handled with dense LAPACK.
DENSE_COMPONENT_LIMIT = 4000

#: Step of the complex-step derivative used on large sparse components.
_COMPLEX_STEP = 1e-30


class ConditioningWarning(RuntimeWarning):
    """The spectral radius of ``P ⊙ P`` is so close to 1 that rounding limits the accuracy of R."""


def _component(A, idx):
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
    """Return (Tr(Ac (I - Ac)^{-1}), ||(I - Ac)^{-1}||_inf) for a dense block."""
    m = Ac.shape[0]
    M = sla.inv(np.eye(m) - Ac, overwrite_a=True, check_finite=False)
    # Tr(A M) = Σ_ij A_ji M_ij: every term is >= 0 (M = Σ A^k >= 0), so there
    # is no cancellation, unlike Tr(M) - m.
    value = float((M * Ac.T).sum())
    return value, float(np.abs(M).sum(axis=1).max())


def _sparse_component_rate(Ac: sp.csr_array) -> tuple[float, float]:
    """Complex-step derivative of log det(I - t Ac) at t = 1 through one sparse LU."""
    m = Ac.shape[0]
    h = _COMPLEX_STEP
    Mz = (sp.identity(m, format="csc", dtype=np.complex128) - (1.0 + 1j * h) * Ac.tocsc().astype(np.complex128))
    lu = spla.splu(Mz, permc_spec="MMD_AT_PLUS_A")
    u = lu.U.diagonal()
    # d/dt log det(I - tA) = -Tr((I - tA)^{-1} A); the imaginary part of each
    # pivot's logarithm is atan(Im u / Re u) up to a multiple of pi.
    value = float(-np.sum(u.imag / u.real) / h)
    ones = np.ones(m, dtype=np.complex128)
    growth = float(np.abs(lu.solve(ones).real).max())
    return value, growth


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
    splits over :func:`repetition.cyclic_components`. Each component is
    handled with a dense LU and ``Σ_ij A_ji (I - A)^{-1}_ij``, a sum of
    nonnegative terms (no cancellation), or, for large sparse components,
    with the complex-step derivative of ``log det(I - tA)`` at ``t = 1``
    through one sparse LU factorisation.

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
    comps = _cyclic_components_unchecked(_graph(A))
    total = 0.0
    worst = 0.0
    for idx in comps:
        Ac = _component(A, idx)
        if idx.size <= DENSE_COMPONENT_LIMIT or not sp.issparse(Ac):
            dense = Ac.toarray() if sp.issparse(Ac) else Ac
            value, growth = _dense_component_rate(dense)
        else:
            value, growth = _sparse_component_rate(sp.csr_array(Ac))
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
    for idx in _cyclic_components_unchecked(_graph(A)):
        Ac = _component(A, idx)
        if sp.issparse(Ac) and Ac.nnz < 0.1 * idx.size**2 and idx.size <= 4 * DENSE_COMPONENT_LIMIT:
            # Sparse block: K products (sparse) @ (dense) cost K * nnz * m flops.
            X = Ac.toarray()
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
