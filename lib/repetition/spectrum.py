"""The spectrum of a nonnegative matrix, and the upper bounds on the repetition rate built from it.

Book, :numref:`Chapter %s <chapter-eigen-upper>`: the repetition rate converges exactly when the spectral
radius ``ρ(A)`` of ``A = P ⊙ P`` is below 1, ``ρ(A)`` controls how fast its
terms decay, and the eigenvalues of ``A`` give ``R`` and three upper bounds
(``Σ |λ| / (1 - |λ|) <= n ρ / (1 - ρ) <= n r / (1 - r)``).
:func:`spectral_radius` takes any nonnegative square matrix: ``ρ(A)`` is
``spectral_radius(hadamard_square(P))``, ``ρ(P)`` is ``spectral_radius(P)``
and ``ρ(B)`` of the support is ``spectral_radius(support(P))``.
:func:`strongest_short_cycle` names the self-loop or 2-cycle that gives the
largest lower bound on ``ρ(X)`` among cycles of length at most 2.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.sparse as sp

from . import _linalg, _sparse_rate
from ._validation import as_nonnegative_matrix
from .chain import as_chain
from .frobenius import row_square_sums
from .rate import ConditioningWarning

__all__ = [
    "spectral_radius",
    "strongest_short_cycle",
    "eigen_upper_bound",
    "row_sum_upper_bound",
    "modulus_upper_bound",
    "eigen_repetition_rate",
]


def _radius_of_blocks(blocks) -> float:
    """The largest Perron root over strongly connected blocks (0.0 if there is none)."""
    rho = 0.0
    for _, Xc in blocks:
        rho = max(rho, _linalg.perron_root(Xc))
    return rho


def spectral_radius(X) -> float:
    """The spectral radius ``ρ(X)``: the largest modulus of an eigenvalue of a nonnegative square matrix.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix, shape (n, n)
        Any nonnegative square matrix, finite and real (rows need not sum to
        at most 1): for example ``hadamard_square(P)`` for ``ρ(P ⊙ P)``, a
        transition matrix ``P`` itself for ``ρ(P)``, or ``support(P)`` for
        ``ρ(B)``.

    Returns
    -------
    float
        ``ρ(X) >= 0``. Exactly ``0.0`` when the graph of ``X`` has no cycle
        (``X`` is nilpotent). Otherwise the largest Perron root over the
        strongly connected components of the graph that carry a cycle
        (Perron-Frobenius; book, :numref:`Chapter %s <chapter-eigen-upper>`): a self-loop's weight, the common
        weight of a simple cycle whose weights are all equal (exactly; so a
        deterministic cycle of a transition matrix gives exactly ``1.0`` for
        ``ρ(P ⊙ P)``), all eigenvalues from LAPACK for components up to 1,500
        tokens, and ARPACK's eigenvalue of largest real part (for a
        nonnegative matrix, the Perron root) for larger ones; each kept
        inside its component's interval ``[min row sum, max row sum]``
        (:prf:ref:`thm-frobenius-interval` of :numref:`Chapter %s <chapter-frobenius>`), which removes an
        eigensolver's last-bit error outside it.

    Raises
    ------
    TypeError
        For a complex, boolean, object or string dtype.
    ValueError
        If ``X`` is not a non-empty square matrix or has negative, NaN or
        infinite entries.

    Examples
    --------
    >>> spectral_radius([[0.25, 0.25], [0.25, 0.25]])   # ρ(P ⊙ P) for P = J/2
    0.5
    >>> spectral_radius([[0, 2], [8, 0]])                # eigenvalues ±4
    4.0
    """
    X = as_nonnegative_matrix(X, "X")
    return _radius_of_blocks(
        (idx, _linalg.submatrix(X, idx)) for idx in _linalg.cyclic_components_of(X)
    )


def strongest_short_cycle(X) -> tuple[float, int, int]:
    """The strongest self-loop or 2-cycle of a nonnegative matrix: ``max_{i,j} sqrt(X_ij X_ji)`` and where.

    Parameters
    ----------
    X : array_like or scipy.sparse matrix, shape (n, n)
        Any nonnegative square matrix, finite and real: for example
        ``chain.A = P ⊙ P`` of a :class:`repetition.BigramChain`.

    Returns
    -------
    tuple of (float, int, int)
        ``(value, i, j)`` with ``value = sqrt(X_ij X_ji) > 0`` maximal over
        all ``0 <= i, j < n``. ``i == j`` is a self-loop, whose value is
        ``X_ii`` exactly; otherwise ``{i, j}`` is a 2-cycle, and ``value`` is
        the spectral radius of its matrix ``[[0, X_ij], [X_ji, 0]]``. Either
        way ``value <= ρ(X_SS) <= ρ(X)`` for ``S = {i, j}``: the entries of
        ``X_SS`` are at least those of the cycle's matrix, and the Perron root
        does not decrease from a principal submatrix to the whole matrix
        (book, :numref:`Chapter %s <chapter-frobenius>`; Horn & Johnson,
        Cor. 8.1.20). A 2-cycle appears as both ``(i, j)`` and ``(j, i)``;
        ties are broken by the smallest ``(i, j)`` in row-major order, so a
        2-cycle is returned with ``i < j``. Where the product ``X_ij X_ji``
        would overflow or underflow, computed as ``sqrt(X_ij) * sqrt(X_ji)``.

    Raises
    ------
    TypeError
        For a complex, boolean, object or string dtype.
    ValueError
        If ``X`` is not a non-empty square matrix, has negative, NaN or
        infinite entries, or has no self-loop and no 2-cycle
        (``X_ij X_ji = 0`` for every ``i, j``), where no cycle names the bound.

    Examples
    --------
    >>> strongest_short_cycle([[0.25, 0.5], [0.5, 0.0]])    # 2-cycle 0.5 > loop 0.25
    (0.5, 0, 1)
    >>> strongest_short_cycle([[0.0, 1.0, 0.0], [0.0, 0.0, 0.81], [0.0, 0.36, 0.0]])
    (0.54, 1, 2)
    >>> strongest_short_cycle([[0.0, 0.0], [0.0, 0.64]])    # a self-loop: X_11
    (0.64, 1, 1)
    """
    X = as_nonnegative_matrix(X, "X")
    if sp.issparse(X):
        positive = X > 0  # cycles: where X_ij > 0 and X_ji > 0
        cycles = sp.coo_array(positive.multiply(positive.T))
        rows, cols = cycles.row.astype(np.intp), cycles.col.astype(np.intp)
        forward = np.zeros(rows.size)
        back = np.zeros(rows.size)
        if rows.size:
            forward[:] = np.asarray(X[rows, cols]).ravel()
            back[:] = np.asarray(X[cols, rows]).ravel()
    else:
        rows, cols = (a.ravel() for a in np.indices(X.shape))
        forward, back = X.ravel(), X.T.ravel()
    with np.errstate(over="ignore", under="ignore"):
        products = forward * back
    values = np.sqrt(products)
    # where X_ij X_ji overflows or underflows, sqrt(X_ij) sqrt(X_ji) does not
    rough = (products < np.finfo(float).tiny) | np.isinf(products)
    values[rough] = np.sqrt(forward[rough]) * np.sqrt(back[rough])
    loops = rows == cols
    values[loops] = forward[loops]  # a self-loop's value is X_ii exactly
    keep = values > 0
    rows, cols, values = rows[keep], cols[keep], values[keep]
    if values.size == 0:
        raise ValueError(
            f"X (shape {X.shape[0]}x{X.shape[1]}) has no self-loop and no 2-cycle "
            "(X_ij X_ji = 0 for every i, j): it has no strongest short cycle"
        )
    order = np.lexsort((cols, rows))  # row-major, so argmax returns the smallest (i, j)
    k = order[int(np.argmax(values[order]))]
    return float(values[k]), int(rows[k]), int(cols[k])


def _warn_near_one(what: str, gap: float, stacklevel: int = 3) -> None:
    """Warn (ConditioningWarning) when a quantity ``1 - λ`` this small costs more than 1e-8 relative accuracy.

    An eigenvalue (or spectral radius) carries an absolute rounding error of
    about ``ε`` (``||A|| <= 1``), so ``1 / (1 - λ)`` carries about ``ε / gap``
    relative, like the condition number of :func:`repetition.repetition_rate`.
    """
    eps = float(np.finfo(float).eps)
    if gap > 0 and eps / gap > _sparse_rate.ACCURACY:
        warnings.warn(
            f"{what}: an eigenvalue of P ⊙ P is within {gap:.1e} of 1; expect about {eps / gap:.0e} relative "
            "accuracy (repetition_rate computes R without eigenvalues and is accurate to its own warning)",
            ConditioningWarning,
            stacklevel=stacklevel,
        )


def _eigenvalues_on_cycles(chain) -> np.ndarray:
    """All eigenvalues of ``A = P ⊙ P`` that can be nonzero: those of its cyclic
    components' diagonal blocks (the rest of the spectrum is 0). Dense LAPACK."""
    parts = [np.zeros(0, dtype=np.complex128)]
    for _, Ac in chain.blocks():
        parts.append(_linalg.eigvals_scaled(_linalg.dense(Ac)))
    return np.concatenate(parts)


def eigen_upper_bound(P) -> float:
    """The spectral upper bound ``n ρ / (1 - ρ)`` on the repetition rate, ``ρ = ρ(P ⊙ P)``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    float
        ``n ρ / (1 - ρ)`` with ``ρ = ρ(P ⊙ P)`` as :func:`spectral_radius`
        computes it, or ``math.inf`` when ``ρ >= 1`` (a deterministic cycle,
        where ``R`` is infinite too). It bounds ``R`` from above (book, :numref:`Chapter %s <chapter-eigen-upper>`,
        theorem
        :prf:ref:`thm-eig-upper`; Su 2021, section 一个上界); it is as accurate as the
        computed ``ρ``.

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Warns
    -----
    ConditioningWarning
        When ``1 - ρ`` is below about 2e-8, where the rounding of ``ρ``
        costs more than 1e-8 relative accuracy.

    Examples
    --------
    >>> eigen_upper_bound([[0.5, 0.5], [0.5, 0.5]])   # ρ = 1/2: 2 * (1/2) / (1/2)
    2.0
    >>> eigen_upper_bound([[0.0, 1.0], [1.0, 0.0]])
    inf
    """
    chain = as_chain(P)
    if chain.deterministic_cycle is not None:
        return math.inf
    rho = _radius_of_blocks(chain.blocks())
    if rho >= 1.0:
        return math.inf
    _warn_near_one("eigen_upper_bound", 1.0 - rho)
    return chain.n * rho / (1.0 - rho)


def row_sum_upper_bound(P) -> float:
    """The eigenvalue-free upper bound ``n r / (1 - r)``, ``r`` the largest row sum of ``P ⊙ P``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    float
        ``n r / (1 - r)`` with ``r = max_i Σ_j P[i, j]^2``, or ``math.inf``
        when ``r >= 1`` (some row puts all its mass on one token; ``R`` may
        still be finite then). Since ``Tr(A^k) <= 1ᵀ A^k 1 <= n r^k``, it
        bounds ``R`` from above (book, :numref:`Chapter %s <chapter-eigen-upper>`, eq. :eq:`eq-rowsum-bound`) and
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
    chain = as_chain(P)
    r = float(row_square_sums(chain).max())
    if r >= 1.0:
        return math.inf
    return chain.n * r / (1.0 - r)


def modulus_upper_bound(P) -> float:
    """The upper bound ``Σ_i |λ_i| / (1 - |λ_i|)`` over the eigenvalues of ``P ⊙ P``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1). All eigenvalues are
        computed densely (LAPACK, per strongly connected component), which
        costs O(m^3) for a component of size m.

    Returns
    -------
    float
        ``Σ_i |λ_i| / (1 - |λ_i|)`` (eigenvalues with algebraic multiplicity),
        or ``math.inf`` if some ``|λ_i| >= 1``. Because
        ``Re(λ / (1 - λ)) <= |λ| / (1 - |λ|)`` for ``|λ| < 1``, it lies between
        ``R`` and ``n ρ / (1 - ρ)`` (book, :numref:`Chapter %s <chapter-eigen-upper>`, :prf:ref:`thm-eig-upper`).

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Warns
    -----
    ConditioningWarning
        When some ``1 - |λ_i|`` is below about 2e-8 (more than 1e-8 relative
        accuracy lost to the rounding of the eigenvalues).

    Examples
    --------
    >>> # λ = ±1/4: 2 * (1/4)/(3/4)
    >>> round(modulus_upper_bound([[0.0, 0.5], [0.5, 0.0]]), 12)
    0.666666666667
    """
    chain = as_chain(P)
    if chain.deterministic_cycle is not None:
        return math.inf
    mod = np.abs(_eigenvalues_on_cycles(chain))
    if mod.size and mod.max() >= 1.0:
        return math.inf
    if mod.size:
        _warn_near_one("modulus_upper_bound", 1.0 - float(mod.max()))
    return float(np.sum(mod / (1.0 - mod)))


def eigen_repetition_rate(P) -> float:
    """The repetition rate from the eigenvalues, ``R = Σ_i λ_i / (1 - λ_i)``, ``λ_i`` those of ``P ⊙ P``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    float
        The real part of ``Σ_i λ_i / (1 - λ_i)`` (the imaginary parts of
        conjugate pairs cancel), which equals ``R = Tr(A (I - A)^{-1})`` for
        every ``A`` with ``ρ(A) < 1``, defective or not (book, :numref:`Chapter %s <chapter-eigen-upper>`,
        eq. :eq:`eq-R-eigen`); ``math.inf`` when there is a deterministic cycle.
        A slower, less accurate route than :func:`repetition.repetition_rate`
        (full dense eigendecomposition, sensitive for defective ``A``), kept
        for comparing methods.

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Warns
    -----
    ConditioningWarning
        When an eigenvalue lies within about 2e-8 of 1 (``ε / |1 - λ|`` above
        1e-8), where the rounding of ``λ`` costs more than 1e-8 relative
        accuracy (at ``ρ(A) = 1 - 1e-12`` about 2e-4); the warning states
        the expected accuracy. A defective ``A`` can lose more (its
        eigenvalues are only accurate to about ``sqrt(ε)``), without a
        warning: compare with :func:`repetition.repetition_rate`.

    Examples
    --------
    >>> round(eigen_repetition_rate([[0.0, 0.5], [0.5, 0.0]]), 12)  # λ = ±1/4: 1/3 - 1/5
    0.133333333333
    """
    chain = as_chain(P)
    if chain.deterministic_cycle is not None:
        return math.inf
    lam = _eigenvalues_on_cycles(chain)
    if lam.size:
        _warn_near_one("eigen_repetition_rate", float(np.min(np.abs(1.0 - lam))))
    return float(np.sum(lam / (1.0 - lam)).real)
