"""Exact ``Tr(A (I - A)^{-1})`` for large components, in real arithmetic and without cancellation.

The repetition rate is ``R = -d/dt log det(I - tA)`` at ``t = 1``. Gaussian
elimination of ``I - tA`` can carry that derivative along: eliminating a set of
pairwise non-adjacent vertices ``J`` (a diagonal pivot block) leaves the Schur
complement ``I - Ã(t)`` on the remaining vertices ``K`` with

    Ã = A_KK + A_KJ Q A_JK,   Q = diag(1 / (1 - a_jj)),

and adds ``Σ_J a'_jj / (1 - a_jj)`` to ``R`` (the derivative of ``-log`` of
the pivots). Each entry of ``Ã(t)`` is a power series in ``t`` with
nonnegative coefficients (walks through eliminated vertices), so both ``Ã``
and its derivative ``D = dÃ/dt`` are nonnegative and every update is a sum of
nonnegative products: nothing cancels, unlike ``Tr((I - A)^{-1}) - n``.

Low-degree vertices are eliminated first, many at a time (a greedy
independent set of the cheapest vertices per round, as in a minimum-degree
ordering), with sparse matrix products; what remains once elimination would
fill in is a dense block handled by LAPACK (``_dense_trace``). ``I - A`` is a
nonsingular M-matrix (``A >= 0``, ``ρ(A) < 1``), and every Schur complement of
a nonsingular M-matrix is again a nonsingular M-matrix, so every pivot
``1 - ã_ii`` stays positive and elimination needs no row exchanges (book,
:numref:`Chapter %s <chapter-word-scale>`, :prf:ref:`thm-scale-elimination`).

The same elimination serves three more jobs (:func:`eliminate`):

* a weighted trace ``Σ_i w_i [A (I - A)^{-1}]_ii`` for weights ``w >= 0``:
  the derivative of ``-log det(I - A - s diag(w) A)`` at ``s = 0``, i.e. the
  direction ``D = diag(w) A`` instead of ``D = A`` (expected repeats, with
  ``w`` the expected visits; the corrected ARP, with ``w`` the indicator of the
  diagonal pairs). Every update is still a sum of nonnegative products;
* a left solve ``yᵀ (I - A) = cᵀ`` alongside the right solve ``(I - A) x = b``
  (expected visits ``v = πᵀ (I - P)^{-1}``), by the same Schur complements;
* a plain solve, without any derivative, at about a third of the cost.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas, lapack

#: Components (blocks) up to this size are factorised densely by LAPACK; larger sparse ones
#: by the elimination of :func:`eliminate`.
DENSE_COMPONENT_LIMIT = 2500

#: Below this many remaining vertices the rest of an elimination is done densely.
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


def _triangle_row_sums(
    X: np.ndarray, Y: np.ndarray, lower: bool, size: int = 512
) -> np.ndarray:
    """``s_i = Σ_{k<i} X_ik Y_ki`` (``lower``) or ``Σ_{k>i} X_ik Y_ki``, for square Fortran-ordered X, Y.

    Works on column blocks of ``Xᵀ`` (contiguous for Fortran order) and touches only the needed triangle.
    """
    m = X.shape[0]
    XT = X.T  # XT[k, i] = X[i, k]
    out = np.zeros(m)
    for start in range(0, m, size):
        stop = min(m, start + size)
        if lower:  # rows i in [start, stop), columns k < i
            if start:
                out[start:stop] += np.einsum(
                    "ki,ki->i", XT[:start, start:stop], Y[:start, start:stop]
                )
            out[start:stop] += np.tril(
                X[start:stop, start:stop] * Y[start:stop, start:stop].T, -1
            ).sum(axis=1)
        else:  # rows i in [start, stop), columns k > i
            if stop < m:
                out[start:stop] += np.einsum(
                    "ki,ki->i", XT[stop:, start:stop], Y[stop:, start:stop]
                )
            out[start:stop] += np.triu(
                X[start:stop, start:stop] * Y[start:stop, start:stop].T, 1
            ).sum(axis=1)
    return out


class _LUParts(NamedTuple):
    value: float  # Tr(A (I - A)^{-1})
    diag: np.ndarray  # [A (I - A)^{-1}]_ii = N_ii - 1, each >= 0
    x: np.ndarray  # (I - A)^{-1} b
    y: np.ndarray | None  # (I - A)^{-T} c


def _dense_lu_parts(
    A: np.ndarray, b: np.ndarray | None, c: np.ndarray | None = None
) -> _LUParts | None:
    """:func:`_dense_trace_lu` with the per-vertex values ``N_ii - 1`` and an optional left solve."""
    m = A.shape[0]
    X = np.negative(A.T)  # I - Aᵀ, built Fortran-ordered: getrf works on it in place
    X[np.diag_indices(m)] += 1.0
    lu, piv, info = lapack.dgetrf(X, overwrite_a=1)
    if info != 0 or np.any(piv != np.arange(m)):
        return None
    u = lu.diagonal().copy()
    d = A.diagonal().astype(np.float64, copy=True)
    d += _triangle_row_sums(lu, lu, lower=True)  # d_i += Σ_{k<i} l_ik u_ki
    Ui, info_u = lapack.dtrtri(lu, lower=0, unitdiag=0, overwrite_c=0)
    Li, info_l = lapack.dtrtri(lu, lower=1, unitdiag=1, overwrite_c=1)
    if info_u != 0 or info_l != 0:
        return None
    head = d / u
    tail = _triangle_row_sums(Ui, Li, lower=False)  # Σ_{k>i} (U^{-1})_ik (L^{-1})_ki
    value = float(np.sum(head)) + float(np.sum(tail))
    rhs = np.ones(m) if b is None else np.asarray(b, dtype=np.float64)
    # (I - A)^{-1} = (X^{-1})ᵀ = L^{-T} U^{-T}
    x = blas.dtrmv(Li, blas.dtrmv(Ui, rhs, lower=0, trans=1), lower=1, trans=1, diag=1)
    y = None
    if c is not None:  # (I - A)^{-T} c = U^{-1} L^{-1} c
        y = blas.dtrmv(
            Ui,
            blas.dtrmv(Li, np.asarray(c, dtype=np.float64), lower=1, diag=1),
            lower=0,
        )
    return _LUParts(value, head + tail, x, y)


def _dense_trace_lu(
    A: np.ndarray, b: np.ndarray | None
) -> tuple[float, np.ndarray] | None:
    """``(Tr(A (I - A)^{-1}), (I - A)^{-1} b)`` from one LU and two triangular inverses (about 2 LUs of work).

    ``R = Tr(N) - m`` with ``N = (I - A)^{-1}``, assembled without the
    cancellation of that difference. Factor ``X = I - Aᵀ = LU`` (same trace
    of the inverse; ``X`` is column diagonally dominant because the row sums
    of ``A`` are at most 1, so partial pivoting does not exchange rows, and
    ``L``, ``U`` have nonpositive off-diagonal entries). With
    ``X^{-1} = U^{-1} L^{-1}`` (both inverses >= 0, unit-diagonal ``L``)::

        N_ii - 1 = (1/u_ii - 1) + Σ_{k>i} (U^{-1})_ik (L^{-1})_ki,
        1 - u_ii = d_i = a_ii + Σ_{k<i} l_ik u_ki        (x_ii = Σ_{k<i} l_ik u_ki + u_ii),

    and ``1/u_ii - 1 = d_i / u_ii``. Every term is a product of entries of
    one sign, and ``d_i`` is formed from ``a_ii`` itself rather than from
    ``1 - u_ii`` (whose rounding would cost ``m ε`` absolutely). Returns None
    if LAPACK exchanged rows anyway (ties broken the other way), so the
    caller can fall back. :func:`_dense_lu_parts` also returns the values
    ``N_ii - 1`` one by one, so a weighted sum of them costs nothing extra.
    """
    parts = _dense_lu_parts(A, b)
    return None if parts is None else (parts.value, parts.x)


def _dense_trace(
    At: np.ndarray, D: np.ndarray | None = None, b: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """``(Tr((I - At)^{-1} D), (I - At)^{-1} b)`` for dense ``At, D >= 0``; ``D = At``, ``b = 1`` if None.

    For ``D = At`` (the repetition rate itself), :func:`_dense_trace_lu`:
    one LU and two triangular inverses. Otherwise (and as its fallback)
    ``N = (I - At)^{-1} = Σ_k At^k >= 0`` from LAPACK (one LU and the
    inverse, about 3 LUs of work), then ``Tr(N D) = Σ_ij N_ij D_ji``: a sum of
    nonnegative terms, so no cancellation, unlike ``Tr(N) - m``. ``At`` is
    not modified.
    """
    value, x, _ = _dense_solve_trace(At, D, b)
    return value, x


def _dense_solve_trace(
    At: np.ndarray,
    D: np.ndarray | None = None,
    b: np.ndarray | None = None,
    c: np.ndarray | None = None,
    weights: np.ndarray | None = None,
):
    """:func:`_dense_trace`, with a left solve ``y = (I - At)^{-T} c`` and a weighted direction.

    ``weights`` (only with ``D`` None) stands for ``D = diag(w) At``: the
    value is ``Σ_i w_i [At (I - At)^{-1}]_ii``, from the per-vertex values of
    :func:`_dense_lu_parts` (no extra work) or, as the fallback, from the
    full inverse. Returns ``(value, x, y)``; ``y`` is None without ``c``.
    """
    m = At.shape[0]
    if D is None:
        fast = _dense_lu_parts(np.asarray(At, dtype=np.float64, order="C"), b, c)
        if fast is not None:
            if weights is None:
                return fast.value, fast.x, fast.y
            return float(np.dot(weights, fast.diag)), fast.x, fast.y
    M = np.array(At, dtype=np.float64, order="C", copy=True if D is None else None)
    if D is None:
        D = (
            At
            if weights is None
            else np.asarray(weights, dtype=np.float64)[:, None] * At
        )
    np.negative(M, out=M)
    M[np.diag_indices(m)] += 1.0
    N = inverse(M.T).T  # in place on the Fortran-ordered view M.T; its transpose is N
    value = 0.0
    for rows in _row_blocks(m):
        value += float(np.einsum("ij,ji->", N[rows, :], D[:, rows]))
    rhs = np.ones(m) if b is None else np.asarray(b, dtype=np.float64)
    y = None if c is None else np.asarray(c, dtype=np.float64) @ N
    return value, N @ rhs, y


def _dense_solve(
    At: np.ndarray, b: np.ndarray, c: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """``x = (I - At)^{-1} b`` and ``y = (I - At)^{-T} c`` from one LU with partial pivoting (no derivative)."""
    m = At.shape[0]
    M = np.empty((m, m), order="F")  # I - At, Fortran-ordered: factorised in place
    np.negative(At, out=M)
    M[np.diag_indices(m)] += 1.0
    lu, piv = lu_factor(M)
    (getrs,) = lapack.get_lapack_funcs(("getrs",), (lu,))
    x, _ = getrs(lu, piv, np.asarray(b, dtype=np.float64))
    y = (
        None
        if c is None
        else getrs(lu, piv, np.asarray(c, dtype=np.float64), trans=1)[0]
    )
    return x, y


def lu_factor(M: np.ndarray):
    """LU factors of a square Fortran-ordered ``M`` (overwritten) by LAPACK ``getrf``, with partial pivoting.

    Called directly, not through ``scipy.linalg``, so that no warnings filter
    is needed (``warnings.catch_warnings`` is not thread-safe): the callers
    judge the conditioning themselves. A zero pivot (``I - X`` singular in
    floating point, which for a nonsingular M-matrix means a spectral radius
    within rounding of 1) raises ``FloatingPointError`` with that explanation.
    """
    (getrf,) = lapack.get_lapack_funcs(("getrf",), (M,))
    lu, piv, info = getrf(M, overwrite_a=1)
    if info > 0:
        raise FloatingPointError(
            "I - X is singular in floating point (pivot {} is exactly 0): the spectral radius of X is "
            "within rounding of 1, so the resolvent cannot be computed in double precision".format(
                info
            )
        )
    return lu, piv


def inverse(M: np.ndarray) -> np.ndarray:
    """``M^{-1}`` (real or complex) by LAPACK ``getrf`` and ``getri``; ``M`` is overwritten when Fortran-ordered."""
    lu, piv = lu_factor(M)
    getri, getri_lwork = lapack.get_lapack_funcs(("getri", "getri_lwork"), (lu,))
    lwork, _ = getri_lwork(lu.shape[0])
    inv, _ = getri(lu, piv, lwork=max(int(np.real(lwork)), 1), overwrite_lu=1)
    return inv


#: Results are reported as ill-conditioned when rounding may cost more than this relative accuracy.
ACCURACY = 1e-8


def ill_conditioned(growth: float) -> float | None:
    """The condition number ``2 ||(I - X)^{-1}||_inf`` if rounding may cost more than :data:`ACCURACY`, else None.

    ``growth`` is ``||(I - X)^{-1}||_inf`` (the largest entry of the solution
    of ``(I - X) x = 1``, as :func:`resolvent_trace` returns it); the callers
    warn with their own message.
    """
    condition = 2.0 * growth
    return (
        condition if not condition * np.finfo(float).eps <= ACCURACY else None
    )  # NaN counts as ill-conditioned


def warn_conditioning(what: str, growth: float, stacklevel: int = 3) -> None:
    """Warn ``what``, the condition number ``2 growth`` and the relative accuracy to expect, if :func:`ill_conditioned`.

    The one wording of the package's :class:`repetition.ConditioningWarning`
    (NaN counts as ill-conditioned); ``stacklevel`` as for
    :func:`warnings.warn`, counted from this function (3: the caller of the
    public function that calls this one).
    """
    condition = ill_conditioned(growth)
    if condition is not None:
        from .rate import ConditioningWarning  # rate imports this module

        warnings.warn(
            f"{what} (condition number about {condition:.1e}); expect about "
            f"{condition * np.finfo(float).eps:.0e} relative accuracy",
            ConditioningWarning,
            stacklevel=stacklevel,
        )


def resolvent_trace(Ac, weights: np.ndarray | None = None) -> tuple[float, float]:
    """``(Σ_i w_i [Ac (I - Ac)^{-1}]_ii, ||(I - Ac)^{-1}||_inf)`` for one block ``Ac >= 0`` with ``ρ(Ac) < 1``.

    ``w = 1`` (the plain trace, the repetition rate of a component) when
    ``weights`` is None. A dense block is factorised densely at any size; a
    sparse one up to :data:`DENSE_COMPONENT_LIMIT` tokens, or with more than
    5% of its entries stored (up to :data:`DENSE_MAX`), too; a larger sparse
    block goes through :func:`eliminate`. The norm (from ``(I - Ac) x = 1``)
    lets the callers judge the conditioning.
    """
    m = Ac.shape[0]
    if (
        not sp.issparse(Ac)
        or m <= DENSE_COMPONENT_LIMIT
        or (Ac.nnz > 0.05 * m * m and m <= DENSE_MAX)
    ):
        X = (
            Ac.toarray()
            if sp.issparse(Ac)
            else np.asarray(Ac, dtype=np.float64, order="C")
        )  # not modified
        value, x, _ = _dense_solve_trace(X, None, None, None, weights=weights)
    else:
        value, x, _ = eliminate(sp.csr_array(Ac), weights=weights)
    return value, float(np.max(np.abs(x)))


def resolvent_solve(Xc, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` with ``(I - Xc) x = 1`` and ``yᵀ (I - Xc) = cᵀ`` for one block ``Xc >= 0``, ``ρ(Xc) < 1``.

    Dense LU up to :data:`DENSE_COMPONENT_LIMIT` tokens (or for dense input);
    the elimination of :func:`eliminate` (no derivative) above it.
    """
    m = Xc.shape[0]
    if not sp.issparse(Xc) or m <= DENSE_COMPONENT_LIMIT:
        X = Xc.toarray() if sp.issparse(Xc) else np.asarray(Xc, dtype=np.float64)
        return _dense_solve(X, np.ones(m), c)
    _, x, y = eliminate(sp.csr_array(Xc), trace=False, c=c)
    return x, y


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
    value, x, _ = eliminate(A, order=order)
    return value, float(np.max(np.abs(x)))


def eliminate(
    A, *, weights=None, trace: bool = True, b=None, c=None, order: list | None = None
):
    """Block elimination of ``I - A`` (sparse ``A >= 0``, ``ρ(A) < 1``): a trace and two solves at once.

    Parameters
    ----------
    A : scipy.sparse matrix, shape (m, m)
        Nonnegative, ``I - A`` a nonsingular M-matrix (e.g. row sums <= 1 and
        every vertex reaching a row with sum < 1).
    weights : numpy.ndarray, shape (m,), optional
        Nonnegative weights ``w``: the trace is ``Σ_i w_i [A (I - A)^{-1}]_ii``
        (the derivative of ``-log det(I - A - s diag(w) A)`` at ``s = 0``)
        instead of ``Tr(A (I - A)^{-1})``.
    trace : bool
        False skips the derivative (a plain solve; the returned value is None).
    b, c : numpy.ndarray, shape (m,), optional
        Right-hand sides of ``(I - A) x = b`` (default all ones) and of
        ``yᵀ (I - A) = cᵀ`` (skipped when None).
    order : list, optional
        Receives the elimination order, the dense remainder last.

    Returns
    -------
    (float or None, numpy.ndarray, numpy.ndarray or None)
        ``(trace, x, y)``. With ``weights`` None, ``trace=True`` and ``c``
        None the arithmetic is exactly that of :func:`sparse_trace` (same
        elimination order, same values bit for bit). The vertices chosen in
        each round depend only on the pattern of the current Schur complement
        (the derivative's pattern for the plain trace, which is the same),
        never on ``weights``, ``b`` or ``c``.
    """
    At = sp.csr_array(A, dtype=np.float64, copy=True)
    At.sum_duplicates()
    D = None  # D = dÃ/dt; equal to At (or diag(w) At) until the first elimination
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    total = 0.0
    rng = np.random.default_rng(0)
    b = np.ones(At.shape[0]) if b is None else np.array(b, dtype=np.float64)
    c = None if c is None else np.array(c, dtype=np.float64)
    stack = []
    alive = np.arange(At.shape[0])
    while At.shape[0] > DENSE_SWITCH:
        r = At.shape[0]
        pattern = D if (trace and w is None and D is not None) else At
        chosen, cheapest, mean_row = _independent_cheapest(pattern, rng)
        if r <= DENSE_MAX and (
            cheapest > STALL_FRACTION * r or cheapest > STALL_RATIO * max(mean_row, 1.0)
        ):
            break  # no sparse structure left to exploit: the dense remainder is faster
        J = np.flatnonzero(chosen)
        K = np.flatnonzero(~chosen)
        if order is not None:
            order.extend(alive[J].tolist())
        alive = alive[K]
        a = At.diagonal()[J]
        q = 1.0 / (1.0 - a)
        AK, AI = At[K], At[J]
        AKI, AIK = AK[:, J], AI[:, K]
        Qd = sp.dia_array((q, 0), shape=(J.size, J.size))
        if trace:
            if D is None and w is not None:
                D = sp.csr_array(sp.dia_array((w, 0), shape=(r, r)) @ At)
            Dm = At if D is None else D
            dp = Dm.diagonal()[J]
            total += float(np.sum(dp * q))
            DK, DI = Dm[K], Dm[J]
            Qp = sp.dia_array((dp * q * q, 0), shape=(J.size, J.size))
        AKIQ = AKI @ Qd
        stack.append(
            (
                J,
                K,
                q,
                sp.csr_array(AIK),
                b[J],
                None if c is None else (sp.csr_array(AKI), c[J]),
            )
        )
        b = b[K] + AKIQ @ b[J]
        if c is not None:
            c = c[K] + AIK.T @ (q * c[J])
        At_new = sp.csr_array(AK[:, K] + AKIQ @ AIK)
        if trace:
            D = sp.csr_array(
                DK[:, K] + (DK[:, J] @ Qd + AKI @ Qp) @ AIK + AKIQ @ DI[:, K]
            )
        At = At_new
    if order is not None:
        order.extend(alive.tolist())
    if not trace:
        value = None
        x, y = _dense_solve(At.toarray(), b, c)
    elif (
        w is None and c is None
    ):  # the repetition rate itself, through the function tests can observe
        y = None
        value, x = _dense_trace(At.toarray(), None if D is None else D.toarray(), b)
    elif D is None:
        value, x, y = _dense_solve_trace(At.toarray(), None, b, c, weights=w)
    else:
        value, x, y = _dense_solve_trace(At.toarray(), D.toarray(), b, c)
    for J, K, q, AIK, bI, left in reversed(stack):
        full = np.empty(J.size + K.size)
        full[K] = x
        full[J] = q * (bI + AIK @ x)
        x = full
        if left is not None:
            AKI, cI = left
            full = np.empty(J.size + K.size)
            full[K] = y
            full[J] = q * (cI + AKI.T @ y)
            y = full
    return (None if value is None else total + value), x, y


def _sum_by(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """``out[j] = Σ values[index == j]`` (real or complex), by ``numpy.bincount``."""
    if np.iscomplexobj(values):
        return np.bincount(
            index, weights=values.real, minlength=size
        ) + 1j * np.bincount(index, weights=values.imag, minlength=size)
    return np.bincount(index, weights=values, minlength=size)


def selected_diagonal(X) -> np.ndarray:
    """``d_i = [X (I - X)^{-1}]_ii`` for every i, for a sparse real or complex ``X`` with ``||X||_inf < 1``.

    The diagonal of the resolvent without the inverse: the elimination of
    :func:`eliminate` (same rounds, same dense remainder), followed by the
    selected inversion of Takahashi, Fagan and Chen (1973) going back through
    the rounds. With ``N = (I - X)^{-1}``, a round that eliminates the
    independent set I (``X_II`` diagonal, ``q_i = 1/(1 - x_ii)``) and leaves
    ``K`` with the Schur complement's inverse ``Ñ``::

        N_KI = Ñ X_KI Q,   N_IK = Q X_IK Ñ,   N_ii - 1 = x_ii q_i + q_i Σ_k x_ik N_ki,

    and the entries of ``Ñ`` these need lie on the pattern of the transposed
    Schur complement, which is therefore all that is kept of ``N`` from round
    to round (the dense remainder's inverse is computed in full). The work is
    that of the fill of the elimination. ``||X||_inf < 1`` makes every
    Schur complement strictly diagonally dominant by rows, so no pivoting is
    needed; ``N_ii - 1`` is assembled without subtracting 1.

    Raises
    ------
    RuntimeError
        If an entry of the Schur complement cancelled to exactly zero, so that
        a needed entry of ``Ñ`` was not kept (complex arithmetic only; never
        silently wrong).
    """
    Xt = sp.csr_array(X, copy=True)
    Xt.sum_duplicates()
    Xt.sort_indices()
    n = Xt.shape[0]
    rng = np.random.default_rng(0)
    stack = []
    alive = np.arange(n)
    while Xt.shape[0] > DENSE_SWITCH:
        r = Xt.shape[0]
        chosen, cheapest, mean_row = _independent_cheapest(Xt, rng)
        if r <= DENSE_MAX and (
            cheapest > STALL_FRACTION * r or cheapest > STALL_RATIO * max(mean_row, 1.0)
        ):
            break
        J = np.flatnonzero(chosen)
        K = np.flatnonzero(~chosen)
        a = Xt.diagonal()[J]
        q = 1.0 / (1.0 - a)
        XK, XI = Xt[K], Xt[J]
        XKI, XIK, XKK = (
            sp.csr_array(XK[:, J]),
            sp.csr_array(XI[:, K]),
            sp.csr_array(XK[:, K]),
        )
        XKK.sort_indices()
        rows = np.repeat(np.arange(K.size, dtype=np.int64), np.diff(XKK.indptr))
        # the entries of N_KK this round needs: (k, l) with x_lk != 0, and the diagonal (sorted, may repeat)
        need = np.sort(
            np.concatenate(
                [
                    XKK.indices.astype(np.int64) * K.size + rows,
                    np.arange(K.size, dtype=np.int64) * (K.size + 1),
                ]
            )
        )
        XIK.sort_indices()
        XKIc = sp.csc_array(XKI)
        XKIc.sort_indices()
        stack.append((alive[J], J, K, a, q, XIK, XKIc, need))
        alive = alive[K]
        Xt = sp.csr_array(
            XKK + (XKI @ sp.dia_array((q, 0), shape=(J.size, J.size))) @ XIK
        )
    Xd = Xt.toarray()
    m = Xd.shape[0]
    Md = np.negative(Xd)
    Md[np.diag_indices(m)] += 1.0
    Nd = inverse(Md.T).T  # in place on the Fortran-ordered view
    del Md
    d = np.zeros(n, dtype=Xd.dtype)
    for rows in _row_blocks(m):
        d[alive[rows]] = np.einsum("ij,ji->i", Xd[rows, :], Nd[:, rows])
    keys = np.arange(
        m * m, dtype=np.int64
    )  # N of the current round, on the kept pattern: k * size + l
    vals = Nd.ravel()
    del Nd
    for glob, J, K, a, q, XIK, XKIc, need in reversed(stack):
        nK, nI = K.size, J.size
        r = nK + nI
        out_cnt, in_cnt = np.diff(XIK.indptr), np.diff(XKIc.indptr)
        pairs = (
            out_cnt * in_cnt
        )  # (k, l) with k an out-neighbour and l an in-neighbour of i
        ti = np.repeat(np.arange(nI), pairs)
        w = np.arange(ti.size) - np.repeat(
            np.concatenate([[0], np.cumsum(pairs)[:-1]]), pairs
        )
        ic = in_cnt[ti]
        opos = XIK.indptr[ti] + w // ic
        ipos = XKIc.indptr[ti] + w % ic
        want = XIK.indices[opos].astype(np.int64) * nK + XKIc.indices[ipos]
        pos = np.minimum(np.searchsorted(keys, want), keys.size - 1)
        if want.size and not np.array_equal(keys[pos], want):
            raise RuntimeError(
                "selected inversion: an entry of the Schur complement cancelled to zero"
            )
        Y = vals[pos]  # Ñ[k, l]
        out_i = np.repeat(np.arange(nI), out_cnt)
        in_i = np.repeat(np.arange(nI), in_cnt)
        n_ki = q[out_i] * _sum_by(
            opos, Y * XKIc.data[ipos], XIK.data.size
        )  # N[k, i], k in out(i)
        n_ik = q[in_i] * _sum_by(
            ipos, XIK.data[opos] * Y, XKIc.data.size
        )  # N[i, l], l in in(i)
        s = _sum_by(out_i, XIK.data * n_ki, nI)
        d[glob] = a * q + q * s
        at = np.minimum(np.searchsorted(need, keys), need.size - 1)
        kept = np.flatnonzero(need[at] == keys)
        kk, ll = np.divmod(keys[kept], nK)
        keys = np.concatenate(
            [
                K[kk] * r + K[ll],
                K[XIK.indices.astype(np.int64)] * r + J[out_i],
                J[in_i].astype(np.int64) * r + K[XKIc.indices],
                J.astype(np.int64) * (r + 1),
            ]
        )
        vals = np.concatenate([vals[kept], n_ki, n_ik, q + q * s])
        order = np.argsort(keys, kind="stable")
        keys, vals = keys[order], vals[order]
    return d
