"""Shared internal linear algebra and graph helpers (private module).

Everything here works on matrices that a public function has already
validated (float64, nonnegative, dense ``numpy.ndarray`` or canonical
``scipy.sparse.csr_array``) and never validates again. The public modules
import these helpers instead of each other's private functions:

* the Hadamard square ``A = P ⊙ P`` (:func:`hadamard`), blocks of a matrix
  (:func:`submatrix`), dense copies (:func:`dense`);
* the transition graph: strongly connected components that carry a closed
  walk (:func:`cyclic_components_of`) and deterministic cycles
  (:func:`deterministic_cycle_of`);
* eigenvalues with an exact power-of-2 rescaling (:func:`eigvals_scaled`) and
  the Perron root of one strongly connected block (:func:`perron_root`);
* diagonals of matrix powers, in floating point (:func:`power_diagonals`) and
  exactly, in integers, for a 0/1 support matrix
  (:func:`support_power_diagonals`), and exact division (:func:`exact_divide`).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse.csgraph import breadth_first_order, connected_components

#: Blocks up to this size get all their eigenvalues from LAPACK; larger ones use ARPACK.
DENSE_EIG_LIMIT = 1500

#: Sparse products (sparse @ dense) are used when fewer than this fraction of entries is stored.
SPARSE_FRACTION = 0.1


# ---------------------------------------------------------------------------
# Matrices


def hadamard(P):
    """``P ⊙ P`` of a validated matrix; sparse results store no zeros (squares that underflow are dropped)."""
    if sp.issparse(P):
        A = P.copy()
        A.data = A.data * A.data
        A.eliminate_zeros()
        return A
    return P * P


def dense(X) -> np.ndarray:
    """``X`` as a dense ndarray (``X`` itself when it already is one)."""
    return X.toarray() if sp.issparse(X) else X


def submatrix(X, idx: np.ndarray):
    """The block ``X[idx][:, idx]``; the whole matrix (no copy) when ``idx`` is ``0..n-1``."""
    if idx.size == X.shape[0] and np.array_equal(idx, np.arange(idx.size)):
        return X
    if sp.issparse(X):
        return X[idx][:, idx]
    return X[np.ix_(idx, idx)]


# ---------------------------------------------------------------------------
# The graph of a matrix


def graph(X) -> sp.csr_array:
    """A CSR copy of ``X`` without stored zeros: the edges ``i -> j`` with ``X[i, j] != 0``."""
    G = sp.csr_array(X) if sp.issparse(X) else sp.csr_array(np.asarray(X))
    G = G.copy()
    G.eliminate_zeros()
    return G


def strong_cyclic_components(G: sp.csr_array) -> list[np.ndarray]:
    """Strongly connected components of the graph ``G`` with two or more vertices or a self-loop.

    Sorted index arrays, largest first (ties by smallest index).
    """
    n = G.shape[0]
    _, labels = connected_components(G, directed=True, connection="strong")
    sizes = np.bincount(labels, minlength=labels.max() + 1 if n else 0)
    self_loop = np.zeros(n, dtype=bool)
    diag = G.diagonal()
    self_loop[diag > 0] = True
    loop_labels = np.zeros(sizes.size, dtype=bool)
    np.logical_or.at(loop_labels, labels, self_loop)
    keep = np.flatnonzero((sizes >= 2) | loop_labels)
    order = np.argsort(labels, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    comps = [np.sort(order[starts[c] : starts[c + 1]]).astype(np.int64) for c in keep]
    comps.sort(key=lambda c: (-c.size, int(c[0])))
    return comps


def cyclic_components_of(X) -> list[np.ndarray]:
    """:func:`strong_cyclic_components` of the graph of ``X``; a dense ``X`` with no zero entry is one component."""
    if not sp.issparse(X) and X.size and float(X.min()) > 0.0:
        return [
            np.arange(X.shape[0], dtype=np.int64)
        ]  # complete graph with self-loops (no n^2 sparse copy)
    return strong_cyclic_components(graph(X))


def deterministic_cycles_of(P) -> list[np.ndarray]:
    """The cyclic components of the graph of entries ``>= 1``, largest first (an exact test, no tolerance)."""
    if sp.issparse(P):
        G = graph(P)
        G.data = (G.data >= 1.0).astype(np.float64)
        G.eliminate_zeros()
    else:  # only the entries equal to 1 become edges: no n^2 sparse copy of a dense P
        G = sp.csr_array(np.asarray(P) >= 1.0, dtype=np.float64)
    if G.nnz == 0:
        return []
    return strong_cyclic_components(G)


def reach(G: sp.csr_array, sources: np.ndarray) -> np.ndarray:
    """Boolean mask of the vertices reachable in ``G`` from ``sources`` (the sources included)."""
    n = G.shape[0]
    mask = np.zeros(n, dtype=bool)
    if sources.size == 0:
        return mask
    # one breadth-first search from a super-source n with an edge to every source
    rows = np.concatenate(
        [np.repeat(np.arange(n), np.diff(G.indptr)), np.full(sources.size, n)]
    )
    H = sp.csr_array(
        (np.ones(rows.size), (rows, np.concatenate([G.indices, sources]))),
        shape=(n + 1, n + 1),
    )
    order = breadth_first_order(H, n, directed=True, return_predecessors=False)
    mask[order[order < n]] = True
    return mask


def rows_without_end_mass(G: sp.csr_array) -> np.ndarray:
    """Rows of a validated CSR matrix whose stored entries sum to at least 1 exactly (no end-token mass).

    A floating-point row sum decides every row that is farther from 1 than
    its rounding error (at most ``nnz_i + 1`` ulps of a sum of ``nnz_i``
    nonnegative terms); the others are decided by the sign of
    ``math.fsum(row + [-1.0])``, the correctly rounded value of the exact sum
    minus 1, which has the sign of the exact difference.
    """
    sums = np.asarray(G.sum(axis=1), dtype=np.float64).ravel()
    counts = np.diff(G.indptr)
    slack = (counts + 1) * np.finfo(float).eps * np.maximum(sums, 1.0)
    out = sums > 1.0 + slack
    for i in np.flatnonzero(np.abs(sums - 1.0) <= slack):
        out[i] = (
            math.fsum(G.data[G.indptr[i] : G.indptr[i + 1]].tolist() + [-1.0]) >= 0.0
        )
    return out


def end_probabilities(G: sp.csr_array) -> np.ndarray:
    """``max(0, 1 - Σ_j G[i, j])`` for every row, correctly rounded from the exact sum (``math.fsum``).

    The value depends only on the entries, never on their storage or the
    order of summation (dense and sparse copies of a matrix give the same
    bits), and a small end mass keeps its relative accuracy.
    """
    data = G.data.tolist()
    ptr = G.indptr.tolist()
    return np.array(
        [
            max(0.0, -math.fsum(data[ptr[i] : ptr[i + 1]] + [-1.0]))
            for i in range(G.shape[0])
        ]
    )


# ---------------------------------------------------------------------------
# Eigenvalues


def eigvals_scaled(X: np.ndarray) -> np.ndarray:
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


#: Blocks above DENSE_EIG_LIMIT whose iterative eigensolvers both fail get all eigenvalues from LAPACK up to
#: this size (about 30 s on 2 cores); above it the failure is reported.
DENSE_EIG_FALLBACK = 6000

#: Restarts allowed to ARPACK's largest-real-part iteration before the shift-invert route takes over.
ARPACK_RESTARTS = 300


def _sparse_perron(Xc, lo: float, hi: float) -> float:
    """The Perron root of an irreducible sparse block above :data:`DENSE_EIG_LIMIT`, with fallbacks.

    1. ARPACK's eigenvalue of largest real part (for a nonnegative irreducible
       matrix, the Perron root), at most :data:`ARPACK_RESTARTS` restarts:
       cheap when the spectrum has a gap, hopeless when many eigenvalues
       crowd the circle ``|λ| = ρ`` (long cycles);
    2. shift-invert at ``σ = hi`` (the largest row sum, strictly above ``ρ``
       when the row sums differ): ``ρ`` is the eigenvalue closest to ``σ``
       (every other one has ``|λ| <= ρ``, hence ``|λ - σ| > σ - ρ``), so
       ARPACK on ``(X - σI)^{-1}`` converges in a few steps;
    3. all eigenvalues from LAPACK up to :data:`DENSE_EIG_FALLBACK` tokens.

    Never returns a solver's internal error: if all routes fail, a
    RuntimeError says so.
    """
    m = Xc.shape[0]
    X = sp.csr_array(Xc)
    v0 = np.full(m, 1.0 / np.sqrt(m))
    failures = []
    try:
        lam = spla.eigs(
            X,
            k=1,
            which="LR",
            v0=v0,
            tol=1e-13,
            maxiter=ARPACK_RESTARTS,
            return_eigenvectors=False,
        )
        return float(lam[0].real)
    except (spla.ArpackError, ValueError, RuntimeError) as exc:
        failures.append(f"largest real part: {type(exc).__name__}")
    if hi > lo:
        try:
            lam = spla.eigs(
                X,
                k=1,
                sigma=hi,
                which="LM",
                v0=v0,
                maxiter=ARPACK_RESTARTS,
                return_eigenvectors=False,
            )
            return float(lam[0].real)
        except (spla.ArpackError, ValueError, RuntimeError) as exc:
            failures.append(f"shift-invert at {hi!r}: {type(exc).__name__}")
    if m <= DENSE_EIG_FALLBACK:
        return float(np.max(np.abs(eigvals_scaled(dense(Xc)))))
    raise RuntimeError(
        f"the spectral radius of a strongly connected block of {m} tokens could not be computed: ARPACK failed "
        f"({'; '.join(failures)}) and the block is too large for dense eigenvalues (> {DENSE_EIG_FALLBACK} tokens); "
        f"it lies in the Frobenius interval [{lo!r}, {hi!r}]"
    )


def perron_root(Xc) -> float:
    """The spectral radius of one strongly connected nonnegative block (dense or sparse).

    A single vertex gives its self-loop weight; a simple cycle whose weights
    are all equal gives that weight exactly (a cycle of ones gives exactly 1),
    and one with unequal weights above :data:`DENSE_EIG_LIMIT` vertices the
    geometric mean of its weights (``ρ^m`` is their product); a block whose
    row sums are all equal gives that sum exactly (Perron-Frobenius);
    otherwise all eigenvalues from LAPACK for blocks up to
    :data:`DENSE_EIG_LIMIT`, and :func:`_sparse_perron` for larger ones (an
    iterative eigensolver with fallbacks, bounded in time), kept inside the
    block's Frobenius interval ``[min row sum, max row sum]``.
    """
    m = Xc.shape[0]
    if m == 1:
        return float(Xc[0, 0])
    if sp.issparse(Xc):
        G = graph(Xc)
        if np.all(np.diff(G.indptr) == 1):
            if np.all(G.data == G.data[0]):
                return float(
                    G.data[0]
                )  # a simple cycle of equal weights w: ρ = w exactly
            if (
                m > DENSE_EIG_LIMIT
            ):  # ρ^m = Π w: the geometric mean, without an eigensolver
                w = G.data
                return min(
                    max(float(np.exp(np.mean(np.log(w)))), float(w.min())),
                    float(w.max()),
                )
    else:
        nz = Xc != 0
        if np.all(nz.sum(axis=1) == 1):
            w = Xc[nz]
            if np.all(w == w[0]):
                return float(w[0])
            if m > DENSE_EIG_LIMIT:
                return min(
                    max(float(np.exp(np.mean(np.log(w)))), float(w.min())),
                    float(w.max()),
                )
    # Perron-Frobenius: the root of an irreducible nonnegative block lies between its smallest and
    # largest row sum; an eigensolver's last-bit error outside that interval is removed (a cycle of
    # ones with tiny extra entries has row sums that round to 1, and ρ is 1 to rounding).
    sums = np.asarray(Xc.sum(axis=1), dtype=np.float64).ravel()
    lo, hi = float(sums.min()), float(sums.max())
    if m <= DENSE_EIG_LIMIT:
        rho = float(np.max(np.abs(eigvals_scaled(dense(Xc)))))
    elif lo == hi:
        return lo
    else:
        rho = _sparse_perron(Xc, lo, hi)
    return min(max(rho, lo), hi)


# ---------------------------------------------------------------------------
# Diagonals of matrix powers


#: Threads for independent blocks of :func:`diag_of_product` and :func:`sparse_times_dense` (numpy and
#: scipy release the GIL in these loops; every block is computed as on one thread, so results do not
#: depend on the count).
BLOCK_THREADS = min(os.cpu_count() or 1, 4)


def _for_each_block(job, starts) -> None:
    """Call ``job(start)`` for every start, on :data:`BLOCK_THREADS` threads when there are several blocks."""
    starts = list(starts)
    if BLOCK_THREADS == 1 or len(starts) < 2:
        for start in starts:
            job(start)
        return
    with ThreadPoolExecutor(min(BLOCK_THREADS, len(starts))) as pool:
        for _ in pool.map(job, starts):  # re-raises a block's exception
            pass


def diag_of_product(X: np.ndarray, Y: np.ndarray, block: int = 256) -> np.ndarray:
    """``diag(X @ Y) = rowsum(X ⊙ Y^T)`` without forming the product, in cache-friendly row blocks."""
    n = X.shape[0]
    out = np.empty(n, dtype=np.result_type(X, Y))

    def rows(start: int) -> None:
        r = slice(start, min(start + block, n))
        out[r] = (X[r, :] * Y[:, r].T).sum(axis=1)

    _for_each_block(rows, range(0, n, block))
    return out


#: Columns of the dense operand per call of :func:`sparse_times_dense` (a block of n x 64 doubles stays in cache).
PRODUCT_COLUMNS = 64


def sparse_times_dense(X: sp.csr_array, D: np.ndarray) -> np.ndarray:
    """``X @ D`` for a CSR ``X`` and a dense ``D``, by blocks of :data:`PRODUCT_COLUMNS` columns of ``D``.

    scipy's product adds ``X_ij D[j, :]`` row after row over the whole width
    of ``D`` on one thread; for a dense ``D`` of a few thousand columns each
    of those rows comes from memory, not cache. The same product on narrow
    column blocks reuses them, and the blocks are independent, so they run
    on :data:`BLOCK_THREADS` threads (scipy releases the GIL). At n = 4,687
    (People's Daily characters) one product took 0.47 s of CPU instead of
    1.01 s, and 0.65 s of wall time on 2 threads instead of 2.54 s on a
    loaded machine; ``benchmarks/lower_bounds.py`` measures the whole
    ``lower_bound_table``.
    Every entry is the same sum in the same order as ``X @ D``, so the result
    is identical bit for bit, whatever the number of threads (and exact for
    integer dtypes whenever ``X @ D`` is).
    """
    n, m = X.shape[0], D.shape[1]
    if m <= 2 * PRODUCT_COLUMNS:
        return np.asarray(X @ D)
    out = np.empty((n, m), dtype=np.result_type(X.dtype, D.dtype))

    def block(start: int) -> None:
        cols = slice(start, min(start + PRODUCT_COLUMNS, m))
        out[:, cols] = X @ np.ascontiguousarray(D[:, cols])

    _for_each_block(block, range(0, m, PRODUCT_COLUMNS))
    return out


#: Memory for the matrix powers of :func:`power_pairs` and :func:`power_diagonals` (about three n x n
#: float64 arrays; above it, blocks of rows of the powers).
POWER_MEMORY = 2 * 1024**3


def _power_storage(X):
    """``(X, sparse)``: a sparse ``X`` stays sparse (products sparse @ dense) only while it is sparse enough."""
    n = X.shape[0]
    if sp.issparse(X):
        if X.nnz < SPARSE_FRACTION * n * n:
            return sp.csr_array(X), True
        return X.toarray(), False
    return X, False


def power_pairs(X, K: int):
    """Yield ``(k, Xa, Xb)`` for ``k = 1..K`` with ``X^k = Xa @ Xb``, ``a = ceil(k/2)``, ``b = floor(k/2)``.

    ``Xb`` is None for ``k = 1`` (``Xa = X``). The dense powers are formed
    one after another and only two are alive at a time, so the memory is that
    of three n x n arrays whatever ``K``, and ``ceil(K/2) - 1`` products are
    formed: ``Tr(X^k) = Σ_ij (Xa)_ij (Xb)_ji`` and
    ``diag(X^k) = rowsum(Xa ⊙ Xbᵀ)`` are sums of nonnegative products for
    ``X >= 0``. A sparse ``X`` multiplies from the left (sparse @ dense).
    """
    X, sparse = _power_storage(X)
    cur = X.toarray() if sparse else X
    yield 1, cur, None
    j = 1
    while True:
        if 2 * j <= K:
            yield 2 * j, cur, cur
        if 2 * j + 1 > K:
            return
        prev, cur = cur, (sparse_times_dense(X, cur) if sparse else cur @ X)
        j += 1
        yield 2 * j - 1, cur, prev


def _dense_if_full(Y):
    if sp.issparse(Y) and Y.nnz > SPARSE_FRACTION * Y.shape[0] * Y.shape[1]:
        return Y.toarray()
    return Y


def _row_dots(X, Y) -> np.ndarray:
    """``Σ_j X_ij Y_ij`` for each row i (sparse or dense operands)."""
    if sp.issparse(X):
        return np.asarray(X.multiply(Y).sum(axis=1)).ravel()
    if sp.issparse(Y):
        return np.asarray(Y.multiply(X).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", X, Y)


def _blocked_power_diagonals(X, K: int, block: int) -> np.ndarray:
    """:func:`power_diagonals` by blocks of rows, for ``n`` too large for n x n powers.

    For the rows ``I`` of a block, ``R_a = (X^a)[I]`` and ``C_b = ((Xᵀ)^b)[I]``
    (the columns ``I`` of ``X^b``) give ``diag(X^(a+b))[I] = rowsum(R_a ⊙ C_b)``;
    ``R`` and ``C`` advance in turn (``a = ceil(k/2)``, ``b = floor(k/2)``),
    kept sparse while they are sparse.
    """
    n = X.shape[0]
    X = sp.csr_array(X) if sp.issparse(X) else X
    XT = sp.csr_array(X.T) if sp.issparse(X) else X.T
    out = np.zeros((K, n))
    out[0] = X.diagonal()
    for start in range(0, n, block):
        idx = np.arange(start, min(n, start + block))
        R, C = X[idx], XT[idx]
        for k in range(2, K + 1):
            if k % 2 and k > 2:
                R = _dense_if_full(R @ X)
            elif k % 2 == 0 and k > 2:
                C = _dense_if_full(C @ XT)
            out[k - 1, idx] = _row_dots(R, C)
    return out


def power_diagonals(X, K: int, square_traces: bool = False):
    """Diagonals of ``X^k`` (k = 1..K) as a (K, n) float array, and optionally ``Tr(X^{2k})``.

    Without ``square_traces``: the pairs of :func:`power_pairs`,
    ``diag(X^k) = rowsum(X^a ⊙ (X^b)ᵀ)`` (memory of three n x n arrays at any
    ``K``), or, when those do not fit in :data:`POWER_MEMORY`, the same by
    blocks of rows (:func:`_blocked_power_diagonals`). With it, every power up
    to ``K`` is formed once (one alive at a time), ``diag(X^k)`` read off it
    and ``Tr(X^(2k)) = Σ X^k ⊙ (X^k)ᵀ``. Every sum is over nonnegative terms,
    so there is no cancellation.
    """
    n = X.shape[0]
    diags = np.zeros((K, n))
    if square_traces:
        X, sparse = _power_storage(X)
        squares = np.zeros(K)
        D = X.toarray() if sparse else X
        for k in range(1, K + 1):
            if k > 1:
                D = sparse_times_dense(X, D) if sparse else D @ X
            diags[k - 1] = np.diagonal(D)
            squares[k - 1] = float(diag_of_product(D, D).sum())
        return diags, squares
    if 3 * 8 * n * n > POWER_MEMORY:
        return _blocked_power_diagonals(X, K, max(1, POWER_MEMORY // (3 * 8 * n))), None
    for k, Xa, Xb in power_pairs(X, K):
        diags[k - 1] = np.diagonal(Xa) if Xb is None else diag_of_product(Xa, Xb)
    return diags, None


def _bits(limbs: list[np.ndarray], width: int) -> int:
    """Number of bits of the largest value of a limb representation (an upper bound)."""
    return int(limbs[-1].max()).bit_length() + width * (len(limbs) - 1)


def _pieces(limbs: list[np.ndarray], width: int, piece: int):
    """Yield ``(shift, array)`` with every array below ``2^piece``; their shifted sum is the value."""
    mask = (1 << piece) - 1
    for s, limb in enumerate(limbs):
        top = int(limb.max()).bit_length()
        if top <= piece:
            yield s * width, limb
            continue
        for shift in range(0, top, piece):
            yield s * width + shift, (limb >> shift) & mask


def _to_python_ints(parts: list[tuple[int, np.ndarray]], n: int) -> np.ndarray:
    """Sum ``values << shift`` over ``parts`` in Python ints (each int64 part is below 2^63)."""
    total = [0] * n
    for shift, values in parts:
        total = [
            t + (int(v) << shift) for t, v in zip(total, values.tolist(), strict=True)
        ]
    out = np.empty(n, dtype=object)
    out[:] = total
    return out


def support_power_diagonals(Bs: sp.csr_array, K: int) -> list[np.ndarray]:
    """Exact diagonals of ``B^k`` (k = 1..K) of a 0/1 int64 CSR matrix, as object arrays of Python ints.

    The dense powers ``B^2 .. B^h``, ``h = ceil(K / 2)``, are kept as int64
    limbs in base ``2^W`` with ``W`` chosen so that ``B @ limb`` (at most
    ``max degree * 2^W``) cannot overflow; carries are propagated after each
    product. For ``k > h``, ``diag(B^k) = rowsum(B^h ⊙ (B^(k-h))^T)`` is
    summed in pieces small enough that no int64 row sum overflows.
    """
    n = Bs.shape[0]
    degree = int(np.diff(Bs.indptr).max()) if Bs.nnz else 0
    W = 62 - max(degree, 1).bit_length()
    mask = (1 << W) - 1
    budget = 62 - n.bit_length()
    h = (K + 1) // 2
    Bf = Bs.astype(np.float64)
    powers = [[Bs.toarray()]]
    for _ in range(h - 1):
        if (
            len(powers[-1]) == 1
            and _bits(powers[-1], W) + max(degree, 1).bit_length() <= 52
        ):
            # Every value stays below 2^52: the float64 product is exact (and faster than int64).
            product = sparse_times_dense(Bf, powers[-1][0].astype(np.float64))
            powers.append([product.astype(np.int64)])
            continue
        carry = None
        limbs = []
        for limb in powers[-1]:
            limb = sparse_times_dense(Bs, limb)
            if carry is not None:
                limb = limb + carry
            carry = limb >> W
            limbs.append(limb & mask)
        while carry.any():
            limbs.append(carry & mask)
            carry = carry >> W
        powers.append(limbs)
    out = []
    for k in range(1, K + 1):
        if k <= h:
            parts = [(s * W, np.diagonal(limb)) for s, limb in enumerate(powers[k - 1])]
        elif k == h + 1:
            # Pair with B itself (sparse, 0/1): row sums stay below degree * 2^W.
            parts = [
                (s * W, np.asarray(Bs.multiply(limb.T).sum(axis=1)).ravel())
                for s, limb in enumerate(powers[h - 1])
            ]
        else:
            x, y = powers[h - 1], powers[k - h - 1]
            by = _bits(y, W)
            wy = max(1, min(by, budget // 2))
            wx = max(1, budget - wy)
            ys = list(_pieces(y, W, wy))
            parts = [
                (sx + sy, diag_of_product(px, py))
                for sx, px in _pieces(x, W, wx)
                for sy, py in ys
            ]
        out.append(_to_python_ints(parts, n))
    return out


def exact_divide(x: float, d) -> float:
    """``x / d`` for a float ``x`` and an int or Fraction ``d`` of any size, correctly rounded; 0 when ``d == 0``."""
    if d == 0:
        return 0.0
    return float(Fraction(x) / d)
