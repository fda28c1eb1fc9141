"""The spectrum of ``A = P ⊙ P``.

Book, Chapter 5: the repetition rate converges exactly when the spectral
radius ``ρ(A)`` is below 1, and ``ρ(A)`` controls how fast its terms decay.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ._validation import as_transition_matrix
from .graph import _cyclic_components_unchecked, _deterministic_cycle_unchecked, _graph
from .rate import _component, _hadamard_square_checked

__all__ = ["spectral_radius"]

#: Components up to this size get all their eigenvalues from LAPACK.
DENSE_EIG_LIMIT = 1500


def spectral_radius(P) -> float:
    """The spectral radius ``ρ(P ⊙ P)``: the largest modulus of an eigenvalue of ``A``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    float
        ``ρ(A)`` for ``A = P ⊙ P``, in ``[0, 1]``. Exactly ``1.0`` when the
        graph of entries equal to 1 has a cycle (book, Chapter 1, theorem
        ``thm-divergence``), decided on the graph; exactly ``0.0`` when the
        transition graph has no cycle (``A`` is nilpotent). Otherwise the
        largest Perron root over the strongly connected components, from
        LAPACK for small components and from ARPACK (largest real part, which
        for a nonnegative matrix is the Perron root) for large sparse ones.

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> spectral_radius([[0.5, 0.5], [0.5, 0.5]])
    0.5
    """
    P = as_transition_matrix(P)
    if _deterministic_cycle_unchecked(P) is not None:
        return 1.0
    A = _hadamard_square_checked(P)
    rho = 0.0
    for idx in _cyclic_components_unchecked(_graph(A)):
        Ac = _component(A, idx)
        if idx.size == 1:
            value = float(Ac[0, 0])
        elif idx.size <= DENSE_EIG_LIMIT:
            dense = Ac.toarray() if sp.issparse(Ac) else Ac
            value = float(np.max(np.abs(sla.eigvals(dense, check_finite=False))))
        else:
            Ac = sp.csr_array(Ac)
            v0 = np.full(idx.size, 1.0 / np.sqrt(idx.size))
            lam = spla.eigs(Ac, k=1, which="LR", v0=v0, tol=1e-13, maxiter=100000, return_eigenvectors=False)
            value = float(lam[0].real)
        rho = max(rho, value)
    return min(rho, 1.0)
