"""The repetition rate ``R = Σ_{k>=1} Tr((P ⊙ P)^k)``: exactly, term by term, and as a certified series.

Book, :numref:`Chapter %s <bigram-setup>`: ``R`` is the expected number of repeated subsequences
(closed walks written twice in a row) per start token, summed over start
tokens; in closed form ``R = Tr(A (I - A)^{-1})`` with ``A = P ⊙ P`` whenever
the spectral radius of ``A`` is below 1 (eq. :eq:`eq-R-closed`). This module is
the one home of ``R`` (:func:`repetition_rate`), of its terms ``Tr(A^k)``
(:func:`repetition_terms`) and of its partial sums with a proven tail bound
(:func:`repetition_rate_series`, book, :numref:`Chapter %s <chapter-eigen-upper>`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from . import _linalg, _sparse_rate
from ._validation import check_memory, check_positive_int, check_real
from .chain import as_chain

__all__ = [
    "repetition_rate",
    "repetition_terms",
    "repetition_rate_series",
    "SeriesResult",
    "ConditioningWarning",
]


class ConditioningWarning(RuntimeWarning):
    """The spectral radius of ``P ⊙ P`` (or of ``P``) is so close to 1 that rounding limits the accuracy of a result."""


def repetition_rate(P) -> float:
    """The exact repetition rate ``R = Σ_{k>=1} Tr((P ⊙ P)^k)`` of a bigram decoder.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix over n tokens: ``P[i, j]`` is the probability that
        token ``j`` follows token ``i``; entries >= 0 and row sums <= 1 (the
        missing mass is the end token). Real floating or integer dtype.

    Returns
    -------
    float
        ``R = Tr(A (I - A)^{-1})`` with ``A = P ⊙ P`` (book, :numref:`Chapter %s <bigram-setup>`,
        eq. :eq:`eq-R-closed`; Su 2021, section 二元解码): the sum over all
        lengths k >= 1 and all closed k-walks of the squared walk probability.
        ``math.inf`` exactly when the series diverges, which happens exactly
        when the graph of entries equal to 1 has a cycle (theorem
        :prf:ref:`thm-divergence`); this is decided on the graph, not by a singular
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
    chain = as_chain(P)
    if chain.deterministic_cycle is not None:
        return math.inf
    total = 0.0
    worst = 0.0
    for _, Ac in chain.blocks():
        value, growth = _sparse_rate.resolvent_trace(Ac)
        total += value
        worst = max(worst, growth)
    _sparse_rate.warn_conditioning(
        "repetition rate: the spectral radius of P ⊙ P is close to 1", worst
    )
    return float(total)


def repetition_terms(P, K: int) -> np.ndarray:
    """The terms ``Tr(A^k)``, ``k = 1..K``, of the repetition rate, ``A = P ⊙ P``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    K : int
        Number of terms, K >= 1.

    Returns
    -------
    numpy.ndarray, shape (K,), float64
        ``terms[k - 1] = Tr((P ⊙ P)^k)``: the total probability of a repeated
        subsequence of length k (book, :numref:`Chapter %s <bigram-setup>`, eq. :eq:`eq-Rk`). Each term
        is a sum of nonnegative products, computed per strongly connected
        component with ``Tr(A^k) = Σ (A^a ⊙ (A^b)^T)`` for ``a = ceil(k/2)``,
        ``b = floor(k/2)``, so only about K/2 matrix products are formed, and
        only two powers are kept at a time: the memory (about three m x m
        arrays for a component of m tokens, or blocks of rows of them above
        2 GiB) does not grow with K.

    Raises
    ------
    TypeError
        If ``K`` is not an integer, or ``P`` has a wrong dtype.
    ValueError
        If ``K < 1``, ``P`` is invalid, or the arrays that grow with ``K``
        (``8 K`` bytes, ``8 K (m + 1)`` with a component of m tokens above
        the 2 GiB of m x m powers) would not fit in the machine's physical
        memory.

    Examples
    --------
    >>> repetition_terms([[0, 0.5, 0], [0, 0, 0.5], [0.5, 0, 0]], 6).tolist()
    [0.0, 0.0, 0.046875, 0.0, 0.0, 0.000732421875]
    """
    chain = as_chain(P)
    K = check_positive_int(K, "K")
    # the terms, and the (K, m) diagonals of a component whose m x m powers are formed by blocks of rows
    m = max(
        (
            idx.size
            for idx in chain.hadamard_components
            if 3 * 8 * idx.size**2 > _linalg.POWER_MEMORY
        ),
        default=0,
    )
    check_memory(
        K,
        "K",
        8 * (1 + m),
        "the terms"
        + (
            f" and the diagonals of the powers of a component of {m} tokens"
            if m
            else ""
        ),
    )
    terms = np.zeros(K, dtype=np.float64)
    for idx, Ac in chain.blocks():
        m = idx.size
        if (
            3 * 8 * m * m > _linalg.POWER_MEMORY
        ):  # powers by blocks of rows (word-level components)
            terms += _linalg.power_diagonals(Ac, K)[0].sum(axis=1)
            continue
        for k, Xa, Xb in _linalg.power_pairs(Ac, K):
            terms[k - 1] += (
                float(np.trace(Xa))
                if Xb is None
                else float(np.einsum("ij,ji->", Xa, Xb))
            )
    return terms


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


def repetition_rate_series(
    P, tol: float = 1e-10, max_terms: int = 100_000
) -> SeriesResult:
    """Sum ``R = Σ_k Tr(A^k)`` term by term until a proven tail bound is below ``tol``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
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
    Book, :numref:`Chapter %s <chapter-eigen-upper>`, :prf:ref:`thm-series-tail`. Let ``σ_k = 1ᵀ A^k 1`` (the
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
    >>> exact = 3 * 0.25**3 / (1 - 0.25**3)
    >>> res.terms > 3, abs(res.value - exact) <= res.tail_bound + 1e-15
    (True, True)
    """
    chain = as_chain(P)
    tol = check_real(tol, "tol", 0.0, None, low_open=True)
    max_terms = check_positive_int(max_terms, "max_terms")
    if chain.deterministic_cycle is not None:
        return SeriesResult(math.inf, 0.0, 0, 0)
    comps = chain.hadamard_components
    if not comps:
        return SeriesResult(0.0, 0.0, 0, 0)
    idx = np.concatenate(comps)
    label = np.repeat(np.arange(len(comps)), [c.size for c in comps])
    Ac = _linalg.submatrix(chain.A, idx)
    if sp.issparse(Ac):  # drop the edges between components
        coo = sp.coo_array(Ac)
        same = label[coo.row] == label[coo.col]
        Ac = sp.csr_array(
            (coo.data[same], (coo.row[same], coo.col[same])), shape=Ac.shape
        )
        if Ac.nnz > 0.1 * idx.size**2:
            Ac = Ac.toarray()
    else:
        Ac = Ac * (label[:, None] == label[None, :])
    X = Ac.toarray() if sp.issparse(Ac) else Ac.copy()
    value = 0.0
    norm_sum = 0.0  # c_1 + ... + c_K
    best_m, best_u = (
        0,
        math.inf,
    )  # U = min_m (c_1 + ... + c_m) / (1 - c_m) >= Σ_j ||A^j||_∞
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
