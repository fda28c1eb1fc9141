"""Exact ``Tr(A (I - A)^{-1})`` for large components, in real arithmetic and without cancellation.

The repetition rate is ``R = -d/dt log det(I - tA)`` at ``t = 1``. Gaussian
elimination of ``I - tA`` can carry that derivative along: eliminating a set of
pairwise non-adjacent vertices ``I`` (a diagonal pivot block) leaves the Schur
complement ``I - Ã(t)`` on the remaining vertices ``K`` with

    Ã = A_KK + A_KI Q A_IK,   Q = diag(1 / (1 - a_ii)),

and adds ``Σ_I a'_ii / (1 - a_ii)`` to ``R`` (the derivative of ``-log`` of
the pivots). Each entry of ``Ã(t)`` is a power series in ``t`` with
nonnegative coefficients (walks through eliminated vertices), so both ``Ã``
and its derivative ``D = dÃ/dt`` are nonnegative and every update is a sum of
nonnegative products: nothing cancels, unlike ``Tr((I - A)^{-1}) - n``.

Low-degree vertices are eliminated first, many at a time (a greedy
independent set of the cheapest vertices per round, as in a minimum-degree
ordering), with sparse matrix products; what remains once elimination would
fill in is a dense block handled by LAPACK (``_dense_trace``). ``I - A`` is a
nonsingular M-matrix with a row-diagonally-dominant Schur complement at every
step, so elimination without pivoting is stable.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

#: Below this many remaining vertices the rest is done densely.
DENSE_SWITCH = 2500

#: Go dense once the cheapest elimination would fill more than this fraction of a row ...
STALL_FRACTION = 1.0

#: ... or more than this many times the mean number of entries per row (an expander from the start).
STALL_RATIO = 8.0

#: The dense remainder may not exceed this size (8 bytes * size^2 per array).
DENSE_MAX = 16000


def _row_blocks(m: int, size: int = 512):
    for start in range(0, m, size):
        yield slice(start, min(m, start + size))


def _dense_trace(At: np.ndarray, D: np.ndarray | None = None, b: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """``(Tr((I - At)^{-1} D), (I - At)^{-1} b)`` for dense ``At, D >= 0``; ``D = At``, ``b = 1`` if None.

    ``N = (I - At)^{-1} = Σ_k At^k >= 0`` from LAPACK (one LU and the
    inverse, about 3 LUs of work), then ``Tr(N D) = Σ_ij N_ij D_ji``: a sum of
    nonnegative terms, so no cancellation, unlike ``Tr(N) - m``. (Computing
    only ``diag``-type sums from the two triangular inverses halves the flops
    on paper, but OpenBLAS's triangular inversion is slower than its ``getri``
    here.) ``At`` is overwritten.
    """
    m = At.shape[0]
    M = np.array(At, dtype=np.float64, order="C", copy=True if D is None else None)
    if D is None:
        D = At
    np.negative(M, out=M)
    M[np.diag_indices(m)] += 1.0
    # inv of the F-ordered view M.T works in place; its transpose is N.
    with warnings.catch_warnings():
        # LAPACK's rcond check; the callers warn with ConditioningWarning instead, from ||N||_inf.
        warnings.simplefilter("ignore", sla.LinAlgWarning)
        N = sla.inv(M.T, overwrite_a=True, check_finite=False).T
    value = 0.0
    for rows in _row_blocks(m):
        value += float(np.einsum("ij,ji->", N[rows, :], D[:, rows]))
    rhs = np.ones(m) if b is None else np.asarray(b, dtype=np.float64)
    return value, N @ rhs


def _independent_cheapest(D: sp.csr_array, rng) -> tuple[np.ndarray, float, float]:
    """A set of pairwise non-adjacent vertices among the cheapest to eliminate.

    The cost of eliminating v is (in-degree) * (out-degree) off the diagonal,
    the number of entries its elimination may create. Returns the chosen
    mask, the cheapest cost and the mean number of off-diagonal entries per row.
    """
    r = D.shape[0]
    coo = D.tocoo()
    off = coo.row != coo.col
    rows, cols = coo.row[off], coo.col[off]
    outdeg = np.bincount(rows, minlength=r).astype(np.float64)
    indeg = np.bincount(cols, minlength=r).astype(np.float64)
    cost = indeg * outdeg
    cheapest = float(cost.min())
    mean_row = rows.size / r
    tau = max(16.0, 2.0 * mean_row, 2.0 * cheapest)
    cand = cost <= tau
    key = cost + rng.random(r)  # random tie-break among equal costs
    # v is chosen if no candidate neighbour (either direction) has a smaller key.
    both = cand[rows] & cand[cols]
    nb = np.full(r, np.inf)
    np.minimum.at(nb, rows[both], key[cols[both]])
    np.minimum.at(nb, cols[both], key[rows[both]])
    return cand & (key < nb), cheapest, mean_row


def sparse_trace(A: sp.csr_array, order: list | None = None) -> tuple[float, float]:
    """``(Tr(A (I - A)^{-1}), ||(I - A)^{-1}||_inf)`` for a sparse ``A >= 0`` with ``ρ(A) < 1``.

    Exact up to rounding (no truncation, no sampling): block elimination of
    independent sets of cheap vertices, then :func:`_dense_trace` on the rest.
    The norm comes from solving ``(I - A) x = 1`` through the same elimination.
    If ``order`` is a list, the vertices are appended to it in the order they
    are eliminated, the dense remainder last (a fill-reducing ordering that
    ``benchmarks/repetition_rate.py`` hands to an independent sparse LU).
    """
    At = sp.csr_array(A, dtype=np.float64, copy=True)
    At.sum_duplicates()
    D = None  # D = dÃ/dt; equal to At until the first elimination
    total = 0.0
    rng = np.random.default_rng(0)
    b = np.ones(At.shape[0])
    stack = []
    alive = np.arange(At.shape[0])
    while At.shape[0] > DENSE_SWITCH:
        r = At.shape[0]
        chosen, cheapest, mean_row = _independent_cheapest(At if D is None else D, rng)
        if r <= DENSE_MAX and (cheapest > STALL_FRACTION * r or cheapest > STALL_RATIO * max(mean_row, 1.0)):
            break  # no sparse structure left to exploit: the dense remainder is faster
        I = np.flatnonzero(chosen)
        K = np.flatnonzero(~chosen)
        if order is not None:
            order.extend(alive[I].tolist())
        alive = alive[K]
        Dm = At if D is None else D
        a = At.diagonal()[I]
        dp = Dm.diagonal()[I]
        q = 1.0 / (1.0 - a)
        total += float(np.sum(dp * q))
        AK, AI = At[K], At[I]
        AKI, AIK = AK[:, I], AI[:, K]
        DK, DI = Dm[K], Dm[I]
        Qd = sp.dia_array((q, 0), shape=(I.size, I.size))
        Qp = sp.dia_array((dp * q * q, 0), shape=(I.size, I.size))
        AKIQ = AKI @ Qd
        stack.append((I, K, q, sp.csr_array(AIK), b[I]))
        b = b[K] + AKIQ @ b[I]
        At_new = sp.csr_array(AK[:, K] + AKIQ @ AIK)
        D = sp.csr_array(DK[:, K] + (DK[:, I] @ Qd + AKI @ Qp) @ AIK + AKIQ @ DI[:, K])
        At = At_new
    if order is not None:
        order.extend(alive.tolist())
    if D is None:
        value, x = _dense_trace(At.toarray(), None, b)
    else:
        value, x = _dense_trace(At.toarray(), D.toarray(), b)
    for I, K, q, AIK, bI in reversed(stack):
        full = np.empty(I.size + K.size)
        full[K] = x
        full[I] = q * (bI + AIK @ x)
        x = full
    return total + value, float(np.max(np.abs(x)))
