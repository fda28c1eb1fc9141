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

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.linalg import lapack

#: Below this many remaining vertices the rest is done densely.
DENSE_SWITCH = 2500

#: Go dense once the cheapest elimination would fill more than this fraction of a row ...
STALL_FRACTION = 1.0

#: ... or more than this many times the mean number of entries per row (an expander from the start).
STALL_RATIO = 8.0

#: The dense remainder may not exceed this size (8 bytes * size^2 per array).
DENSE_MAX = 16000


def _getrf_transposed(At: np.ndarray):
    """LU factors of ``(I - At)^T`` without row exchanges, in place, F-ordered.

    ``(I - At)^T`` is column diagonally dominant, so partial pivoting keeps
    the diagonal (LAPACK's ``idamax`` returns the first maximum); a row
    exchange would mean a singular or invalid input.
    """
    m = At.shape[0]
    G = np.negative(At, out=At)  # -At, C-ordered; G.T is F-ordered and is M^T's storage
    G[np.diag_indices(m)] += 1.0
    lu, piv, info = lapack.dgetrf(G.T, overwrite_a=1)
    if info < 0 or np.any(piv != np.arange(m)):
        raise np.linalg.LinAlgError("I - A needed a row exchange: not a nonsingular M-matrix")
    if info > 0:
        raise np.linalg.LinAlgError("I - A is singular")
    return lu


def _row_blocks(m: int, size: int = 512):
    for start in range(0, m, size):
        yield slice(start, min(m, start + size))


def _dense_trace(At: np.ndarray, D: np.ndarray | None = None, b: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """``(Tr((I - At)^{-1} D), (I - At)^{-1} b)`` for dense ``At, D >= 0``; ``D = At``, ``b = 1`` if None.

    With ``(I - At)^T = L U`` (no pivoting), ``L^{-1} >= 0`` and ``U^{-1} >= 0``.
    For ``D = At``: ``Tr((I - At)^{-1}) - m = Σ_i d_i / u_i + Σ_{i<j} (U^{-1})_ij (L^{-1})_ji``
    with ``d_i = 1 - u_i = At_ii + Σ_{k<i} L_ik U_ki`` summed from
    nonnegative products (L_ik, U_ki <= 0): every term is >= 0, and the cost is
    one LU plus two triangular inversions (about 2 LU in flops). Otherwise
    ``Tr((I - At)^{-1} D) = Σ (L^{-1} D^T)_ij (U^{-1})_ji``, one more triangular
    solve. ``At`` is overwritten.
    """
    m = At.shape[0]
    At = np.ascontiguousarray(At)
    diag_a = At.diagonal().copy()
    G = _getrf_transposed(At)  # F-ordered: G[i, j] is (L + U - I)[i, j] of M^T
    u = G.diagonal().copy()
    rhs = np.ones((m, 1)) if b is None else np.asarray(b, dtype=np.float64).reshape(m, 1)
    # (I - At)^{-1} b from I - At = U^T L^T: LAPACK's transposed solve.
    x, _ = lapack.dgetrs(G, np.arange(m, dtype=np.int32), rhs, trans=1)
    x = x.ravel()
    if D is None:
        d = diag_a
        for rows in _row_blocks(m):
            # Σ_{k<i} L_ik U_ki for i in rows; only k < i contributes (tril/triu masks).
            Lr = np.tril(G[rows, :], -1 - rows.start)
            Uc = np.triu(G[:, rows], 1 - rows.start)
            d[rows] += np.einsum("ik,ki->i", Lr, Uc)
        value = float(np.sum(d / u))
        G, _ = lapack.dtrtri(G, lower=1, unitdiag=1, overwrite_c=1)
        G, _ = lapack.dtrtri(G, lower=0, unitdiag=0, overwrite_c=1)
        for rows in _row_blocks(m):
            Ur = np.triu(G[rows, :], 1 + rows.start)  # (U^{-1})_ij, j > i
            Lc = np.tril(G[:, rows], -1 - rows.start)  # (L^{-1})_ji, j > i
            value += float(np.einsum("ij,ji->", Ur, Lc))
        return value, x
    W = sla.solve_triangular(G, D.T, lower=True, unit_diagonal=True, check_finite=False, overwrite_b=True)
    G, _ = lapack.dtrtri(G, lower=0, unitdiag=0, overwrite_c=1)
    value = 0.0
    for rows in _row_blocks(m):
        value += float(np.einsum("ij,ji->", W[rows, :], np.triu(G[:, rows], -rows.start)))
    return value, x


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


def sparse_trace(A: sp.csr_array) -> tuple[float, float]:
    """``(Tr(A (I - A)^{-1}), ||(I - A)^{-1}||_inf)`` for a sparse ``A >= 0`` with ``ρ(A) < 1``.

    Exact up to rounding (no truncation, no sampling): block elimination of
    independent sets of cheap vertices, then :func:`_dense_trace` on the rest.
    The norm comes from solving ``(I - A) x = 1`` through the same elimination.
    """
    At = sp.csr_array(A, dtype=np.float64, copy=True)
    At.sum_duplicates()
    D = None  # D = dÃ/dt; equal to At until the first elimination
    total = 0.0
    rng = np.random.default_rng(0)
    b = np.ones(At.shape[0])
    stack = []
    while At.shape[0] > DENSE_SWITCH:
        r = At.shape[0]
        chosen, cheapest, mean_row = _independent_cheapest(At if D is None else D, rng)
        if r <= DENSE_MAX and (cheapest > STALL_FRACTION * r or cheapest > STALL_RATIO * max(mean_row, 1.0)):
            break  # no sparse structure left to exploit: the dense remainder is faster
        I = np.flatnonzero(chosen)
        K = np.flatnonzero(~chosen)
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
