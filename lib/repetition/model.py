"""The bigram decoder: transition matrices and the quantities read off them.

Notation (see the book's notation page): ``P`` is the n x n block of the
(n+1) x (n+1) transition matrix over n tokens plus the end token, so its rows
sum to at most 1; ``A = P ⊙ P`` is its Hadamard (elementwise) square; ``ζ`` is
the fraction of nonzero entries of ``P``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._validation import as_transition_matrix, check_dtype, check_real

__all__ = ["transition_matrix", "hadamard_square", "sparsity", "support"]


def transition_matrix(counts, smoothing: float = 0.0):
    """Bigram maximum-likelihood estimate with add-δ smoothing.

    Parameters
    ----------
    counts : array_like or scipy.sparse matrix, shape (n, n + 1)
        ``counts[i, j]`` is how often token ``j`` follows token ``i`` in the
        training text; the last column counts how often ``i`` ends a sentence
        (is followed by the end token). Nonnegative, finite, real dtype.
    smoothing : float, default 0.0
        The add-δ constant δ >= 0 added to each of the n + 1 counts of every
        row before normalising (δ = 1 is add-one, Laplace smoothing).

    Returns
    -------
    P : numpy.ndarray or scipy.sparse.csr_array, shape (n, n), float64
        ``P[i, j] = (counts[i, j] + δ) / (Σ_j' counts[i, j'] + (n + 1) δ)``
        for the token columns only, so each row sums to at most 1 and the
        missing mass ``1 - P[i].sum()`` is the probability of stopping after
        token ``i`` (book, Chapter 1, eq. ``eq-bigram-mle``). Rows with no
        counts and δ = 0 are zero (the model stops at once). Sparse input
        gives CSR output when δ = 0; with δ > 0 every entry is positive and
        the result is a dense array.

    Raises
    ------
    TypeError
        If ``counts`` has a complex, boolean or object dtype.
    ValueError
        If ``counts`` is not 2-D of shape (n, n + 1) with n >= 1, has
        negative, NaN or infinite entries, or ``smoothing`` is negative.

    Examples
    --------
    >>> import numpy as np
    >>> C = np.array([[1, 2, 1], [0, 0, 4]])
    >>> transition_matrix(C)
    array([[0.25, 0.5 ],
           [0.  , 0.  ]])
    """
    delta = check_real(smoothing, "smoothing", 0.0, None, low_open=False)
    if sp.issparse(counts):
        C = sp.csr_array(counts)
        check_dtype(np.empty(0, dtype=C.dtype), "counts")
    else:
        C = np.asarray(counts)
        check_dtype(C, "counts")
    if C.ndim != 2 or C.shape[0] < 1 or C.shape[1] != C.shape[0] + 1:
        raise ValueError(f"counts must have shape (n, n + 1) with n >= 1 (last column: end token), got {C.shape}")
    n = C.shape[0]
    values = C.data if sp.issparse(C) else C
    if not np.all(np.isfinite(values)):
        raise ValueError("counts has NaN or infinite entries")
    if np.any(values < 0):
        raise ValueError(f"counts has negative entries (e.g. {float(values[values < 0][0])!r})")
    if sp.issparse(C):
        C = C.astype(np.float64)
        C.sum_duplicates()
        totals = np.asarray(C.sum(axis=1)).ravel() + (n + 1) * delta
        if delta > 0:
            dense = C.toarray()[:, :n] + delta
            return dense / totals[:, None]
        inv = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
        P = sp.csr_array(sp.diags_array(inv) @ C[:, :n])
        P.eliminate_zeros()
        P.sort_indices()
        return P
    C = C.astype(np.float64)
    totals = C.sum(axis=1) + (n + 1) * delta
    P = C[:, :n] + delta
    return np.divide(P, totals[:, None], out=np.zeros_like(P), where=totals[:, None] > 0)


def hadamard_square(P):
    """The Hadamard (elementwise) square ``A = P ⊙ P``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (validated: nonnegative, row sums <= 1).

    Returns
    -------
    A : numpy.ndarray or scipy.sparse.csr_array, shape (n, n), float64
        ``A[i, j] = P[i, j] ** 2``: the probability of the step ``i -> j``
        happening twice, once in each copy of a repeated subsequence
        (book, Chapter 1, eq. ``eq-A``).

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.
    """
    P = as_transition_matrix(P)
    if sp.issparse(P):
        A = P.copy()
        A.data **= 2
        return A
    return P * P


def support(P):
    """The support (adjacency) matrix ``B = 1[P > 0]`` as int64.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)

    Returns
    -------
    B : numpy.ndarray or scipy.sparse.csr_array, shape (n, n), int64
        1 where ``P`` is positive, 0 elsewhere: the adjacency matrix of the
        transition graph. Zeros stored explicitly in sparse input are not
        edges.
    """
    P = as_transition_matrix(P)
    if sp.issparse(P):
        B = P.copy()
        B.eliminate_zeros()
        B.data = np.ones_like(B.data)
        return B.astype(np.int64)
    return (P > 0).astype(np.int64)


def sparsity(P) -> float:
    """The sparsity ζ: the fraction of entries of ``P`` that are nonzero.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)

    Returns
    -------
    float
        ``ζ = #{(i, j) : P[i, j] > 0} / n**2`` (Fu et al. 2021, Sec. 2;
        book, Chapter 2, eq. ``eq-zeta``). Greedy decoding has ``ζ n <= 1``.

    Examples
    --------
    >>> sparsity([[0.5, 0.5], [0.0, 1.0]])
    0.75
    """
    P = as_transition_matrix(P)
    n = P.shape[0]
    nnz = int(np.count_nonzero(P.data)) if sp.issparse(P) else int(np.count_nonzero(P))
    return nnz / float(n * n)
