"""The spectrum of ``A = P ⊙ P``.

Book, Chapter 5: the repetition rate converges exactly when the spectral
radius ``ρ(A)`` is below 1, and ``ρ(A)`` controls how fast its terms decay.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ._validation import as_transition_matrix, check_positive_int, check_real
from .graph import _cyclic_components_of, _deterministic_cycle_unchecked
from .rate import _component, _hadamard_square_checked

__all__ = [
    "spectral_radius",
    "eigen_upper_bound",
    "row_sum_upper_bound",
    "modulus_upper_bound",
    "eigen_repetition_rate",
    "repetition_rate_series",
    "SeriesResult",
]

#: Components up to this size get all their eigenvalues from LAPACK.
DENSE_EIG_LIMIT = 1500


def _eigvals(X: np.ndarray) -> np.ndarray:
    """All eigenvalues of a dense square ``X`` (complex128), from LAPACK after an exact power-of-2 scaling.

    scipy's ``eigvals`` (1.17, OpenBLAS) returns moduli of about 1e-138 for
    matrices whose entries are all below about 1e-139; scaling the largest
    entry into [0.5, 1) by a power of 2 (exact in binary floating point) and
    scaling back avoids that.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.size == 0:
        return np.zeros(0, dtype=np.complex128)
    top = float(np.max(np.abs(X)))
    if top == 0.0:
        return np.zeros(X.shape[0], dtype=np.complex128)
    e = math.frexp(top)[1]
    lam = sla.eigvals(np.ldexp(X, -e), check_finite=False).astype(np.complex128)
    return np.ldexp(lam.real, e) + 1j * np.ldexp(lam.imag, e)


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
    for idx in _cyclic_components_of(A):
        Ac = _component(A, idx)
        if idx.size == 1:
            value = float(Ac[0, 0])
        elif idx.size <= DENSE_EIG_LIMIT:
            dense = Ac.toarray() if sp.issparse(Ac) else Ac
            value = float(np.max(np.abs(_eigvals(dense))))
        else:
            Ac = sp.csr_array(Ac)
            v0 = np.full(idx.size, 1.0 / np.sqrt(idx.size))
            lam = spla.eigs(Ac, k=1, which="LR", v0=v0, tol=1e-13, maxiter=100000, return_eigenvectors=False)
            value = float(lam[0].real)
        rho = max(rho, value)
    return min(rho, 1.0)


def _eigenvalues_on_cycles(P) -> np.ndarray:
    """All eigenvalues of ``A = P ⊙ P`` that can be nonzero: those of its cyclic
    components' diagonal blocks (the rest of the spectrum is 0). Dense LAPACK."""
    A = _hadamard_square_checked(P)
    parts = [np.zeros(0, dtype=np.complex128)]
    for idx in _cyclic_components_of(A):
        Ac = _component(A, idx)
        dense = Ac.toarray() if sp.issparse(Ac) else Ac
        parts.append(_eigvals(dense))
    return np.concatenate(parts)


def eigen_upper_bound(P) -> float:
    """The spectral upper bound ``n ρ / (1 - ρ)`` on the repetition rate, ``ρ = ρ(P ⊙ P)``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    float
        ``n ρ / (1 - ρ)`` with ``ρ`` from :func:`spectral_radius`, or
        ``math.inf`` when ``ρ >= 1`` (a deterministic cycle, where ``R`` is
        infinite too). It bounds ``R`` from above (book, Chapter 5, theorem
        ``thm-eig-upper``; Su 2021, section 一个上界); it is as accurate as the
        computed ``ρ``.

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> eigen_upper_bound([[0.5, 0.5], [0.5, 0.5]])   # ρ = 1/2: 2 * (1/2) / (1/2)
    2.0
    >>> eigen_upper_bound([[0.0, 1.0], [1.0, 0.0]])
    inf
    """
    P = as_transition_matrix(P)
    rho = spectral_radius(P)
    if rho >= 1.0:
        return math.inf
    return P.shape[0] * rho / (1.0 - rho)


def row_sum_upper_bound(P) -> float:
    """The eigenvalue-free upper bound ``n r / (1 - r)``, ``r`` the largest row sum of ``P ⊙ P``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    float
        ``n r / (1 - r)`` with ``r = max_i Σ_j P[i, j]^2``, or ``math.inf``
        when ``r >= 1`` (some row puts all its mass on one token; ``R`` may
        still be finite then). Since ``Tr(A^k) <= 1ᵀ A^k 1 <= n r^k``, it
        bounds ``R`` from above (book, Chapter 5, eq. ``eq-rowsum-bound``) and
        needs no eigenvalue, only one pass over the entries.

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> row_sum_upper_bound([[0.5, 0.5], [0.5, 0.0]])   # r = 1/2
    2.0
    """
    P = as_transition_matrix(P)
    A = _hadamard_square_checked(P)
    r = float(np.asarray(A.sum(axis=1)).max())
    if r >= 1.0:
        return math.inf
    return P.shape[0] * r / (1.0 - r)


def modulus_upper_bound(P) -> float:
    """The upper bound ``Σ_i |λ_i| / (1 - |λ_i|)`` over the eigenvalues of ``P ⊙ P``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1). All eigenvalues are
        computed densely (LAPACK, per strongly connected component), which
        costs O(m^3) for a component of size m.

    Returns
    -------
    float
        ``Σ_i |λ_i| / (1 - |λ_i|)`` (eigenvalues with algebraic multiplicity),
        or ``math.inf`` if some ``|λ_i| >= 1``. Because
        ``Re(λ / (1 - λ)) <= |λ| / (1 - |λ|)`` for ``|λ| < 1``, it lies between
        ``R`` and ``n ρ / (1 - ρ)`` (book, Chapter 5, theorem ``thm-eig-upper``).

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> round(modulus_upper_bound([[0.0, 0.5], [0.5, 0.0]]), 12)   # λ = ±1/4: 2 * (1/4)/(3/4)
    0.666666666667
    """
    P = as_transition_matrix(P)
    if _deterministic_cycle_unchecked(P) is not None:
        return math.inf
    mod = np.abs(_eigenvalues_on_cycles(P))
    if mod.size and mod.max() >= 1.0:
        return math.inf
    return float(np.sum(mod / (1.0 - mod)))


def eigen_repetition_rate(P) -> float:
    """The repetition rate from the eigenvalues, ``R = Σ_i λ_i / (1 - λ_i)``, ``λ_i`` those of ``P ⊙ P``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    float
        The real part of ``Σ_i λ_i / (1 - λ_i)`` (the imaginary parts of
        conjugate pairs cancel), which equals ``R = Tr(A (I - A)^{-1})`` for
        every ``A`` with ``ρ(A) < 1``, defective or not (book, Chapter 5,
        eq. ``eq-R-eigen``); ``math.inf`` when there is a deterministic cycle.
        A slower, less accurate route than :func:`repetition.repetition_rate`
        (full dense eigendecomposition, sensitive for defective ``A``), kept
        for comparing methods.

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> round(eigen_repetition_rate([[0.0, 0.5], [0.5, 0.0]]), 12)  # λ = ±1/4: 1/3 - 1/5
    0.133333333333
    """
    P = as_transition_matrix(P)
    if _deterministic_cycle_unchecked(P) is not None:
        return math.inf
    lam = _eigenvalues_on_cycles(P)
    return float(np.sum(lam / (1.0 - lam)).real)


@dataclass(frozen=True)
class SeriesResult:
    """A partial sum of ``R = Σ_k Tr(A^k)`` with a certified bound on the rest.

    Attributes
    ----------
    value : float
        ``R_K = Σ_{k=1}^{K} Tr(A^k)``, a lower bound on ``R`` (every term is
        >= 0); ``math.inf`` when ``R`` is infinite (deterministic cycle).
    tail_bound : float
        A proven upper bound on ``R - R_K`` (truncation only; floating-point
        rounding of the computed terms is not included), so
        ``value <= R <= value + tail_bound``. 0.0 when ``value`` is infinite.
    terms : int
        ``K``, the number of terms summed.
    block : int
        The ``m`` of the certificate ``||A^m||_∞ < 1`` behind ``tail_bound``
        (0 if none was needed).
    """

    value: float
    tail_bound: float
    terms: int
    block: int


def repetition_rate_series(P, tol: float = 1e-10, max_terms: int = 100_000) -> SeriesResult:
    """Sum ``R = Σ_k Tr(A^k)`` term by term until a proven tail bound is below ``tol``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1). The powers of ``A``
        restricted to the tokens on cycles are formed densely: each term costs
        one (sparse or dense) matrix product with an m x m dense matrix.
    tol : float, default 1e-10
        Absolute tolerance, ``> 0``: stop once the certified tail bound is at
        most ``tol``.
    max_terms : int, default 100000
        Give up after this many terms (a ``RuntimeWarning`` is issued and the
        result still carries a valid, larger tail bound, ``inf`` if no
        certificate was found).

    Returns
    -------
    SeriesResult
        ``value`` (the partial sum ``R_K``), ``tail_bound``, ``terms`` (``K``)
        and ``block`` (``m``), with ``value <= R <= value + tail_bound``.

    Raises
    ------
    TypeError, ValueError
        For invalid ``P``, ``tol`` (must be a finite number > 0) or
        ``max_terms`` (integer >= 1).

    Notes
    -----
    Book, Chapter 5, theorem ``thm-series-tail``. Let ``σ_k = 1ᵀ A^k 1`` (the
    sum of all entries of ``A^k``) and ``c_j = ||A^j||_∞`` (its largest row
    sum). Since ``A >= 0``, ``Tr(A^k) <= σ_k`` and ``A^j 1 <= c_j 1``, so
    ``Σ_{k>K} Tr(A^k) <= Σ_{j>=1} 1ᵀ A^K A^j 1 <= σ_K Σ_{j>=1} c_j``; by
    submultiplicativity ``c_{qm+u} <= c_m^q c_u``, hence
    ``Σ_j c_j <= (c_1 + ... + c_m) / (1 - c_m)`` for any ``m`` with
    ``c_m < 1``. The tail bound is ``σ_K`` times the smallest such quotient
    over ``m <= K``; it exists as soon as some ``c_m < 1``, which happens
    for large ``m`` exactly when ``ρ(A) < 1``. ``A`` is first restricted to
    its strongly connected components that carry a cycle, with the edges
    between components removed (closed walks never use them), which keeps
    ``σ_k`` close to the traces. Unlike a
    stop-at-the-first-small-term rule, this is not fooled by periodic chains
    whose first traces vanish.

    Examples
    --------
    >>> res = repetition_rate_series([[0, 0.5, 0], [0, 0, 0.5], [0.5, 0, 0]], tol=1e-12)
    >>> res.terms > 3, abs(res.value - 3 * 0.25**3 / (1 - 0.25**3)) <= res.tail_bound + 1e-15
    (True, True)
    """
    P = as_transition_matrix(P)
    tol = check_real(tol, "tol", 0.0, None, low_open=True)
    max_terms = check_positive_int(max_terms, "max_terms")
    if _deterministic_cycle_unchecked(P) is not None:
        return SeriesResult(math.inf, 0.0, 0, 0)
    A = _hadamard_square_checked(P)
    comps = _cyclic_components_of(A)
    if not comps:
        return SeriesResult(0.0, 0.0, 0, 0)
    idx = np.concatenate(comps)
    label = np.repeat(np.arange(len(comps)), [c.size for c in comps])
    Ac = _component(A, idx)
    if sp.issparse(Ac):  # drop the edges between components
        coo = sp.coo_array(Ac)
        same = label[coo.row] == label[coo.col]
        Ac = sp.csr_array((coo.data[same], (coo.row[same], coo.col[same])), shape=Ac.shape)
        if Ac.nnz > 0.1 * idx.size**2:
            Ac = Ac.toarray()
    else:
        Ac = Ac * (label[:, None] == label[None, :])
    X = Ac.toarray() if sp.issparse(Ac) else Ac.copy()
    value = 0.0
    norm_sum = 0.0  # c_1 + ... + c_K
    best_m, best_u = 0, math.inf  # U = min_m (c_1 + ... + c_m) / (1 - c_m) >= Σ_j ||A^j||_∞
    tail = math.inf
    for K in range(1, max_terms + 1):
        value += float(np.trace(X))
        row = X.sum(axis=1)
        s_K, c_K = float(row.sum()), float(row.max())
        norm_sum += c_K
        if c_K < 1.0 and norm_sum / (1.0 - c_K) < best_u:
            best_m, best_u = K, norm_sum / (1.0 - c_K)
        if s_K == 0.0:  # A^K = 0: the series has ended
            return SeriesResult(value, 0.0, K, best_m)
        tail = s_K * best_u
        if tail <= tol:
            return SeriesResult(value, tail, K, best_m)
        X = Ac @ X
    warnings.warn(
        f"repetition_rate_series: tail bound {tail:.3g} still above tol={tol:g} after max_terms={max_terms} terms",
        RuntimeWarning,
        stacklevel=2,
    )
    return SeriesResult(value, tail, max_terms, best_m)
