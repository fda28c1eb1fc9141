"""The paper's average repetition probability (ARP) in closed form, with its convergence decided exactly.

Fu et al. (2021), Definition 2.3, and the slides define the ARP of a bigram
decoder as a series in the traces of powers of its transition matrix, scaled
by ``ζn = nnz(P) / n`` (the mean number of successors per token):

* ``form="printed"``:   ``Σ_{k>=1} Tr(P^{2k}) / (ζn)^k`` (as printed);
* ``form="corrected"``: ``Σ_{k>=1} Tr(P^k ⊙ P^k) / (ζn)^k
  = Σ_{k>=1} Σ_i ((P^k)_ii)² / (ζn)^k`` (what the derivation gives; Su 2021,
  section 原文下界; book, :numref:`Chapter %s <chapter-paper-lower-bound>`).

Term by term the corrected form is at most the printed one
(``Σ_i ((P^k)_ii)² <= Σ_ij (P^k)_ij (P^k)_ji``). :mod:`repetition.frobenius`
gives their partial sums with a tail bound; here are the whole series.

Printed form. With ``B = P / sqrt(ζn)`` and the bipartite double cover
``C = [[0, B], [B, 0]]``, ``Tr(C^k) = 0`` for odd ``k`` and
``2 Tr(B^{2j})`` for ``k = 2j``, so the printed ARP is
``½ Tr(C (I - C)^{-1})``: the repetition rate's nonnegative elimination
(:mod:`repetition._sparse_rate`) applied to ``C`` instead of ``P ⊙ P``.

Corrected form. ``((P^k)_ii)² = ((P ⊗ P)^k)_{(i,i),(i,i)}``: the diagonal of the
pair chain ``W = (P ⊗ P) / ζn`` at the diagonal pairs. Closed walks from
``(i, i)`` stay in its strongly connected component ``S`` of the pair graph,
so the corrected ARP is ``Σ_S Σ_{(i,i) ∈ S} [W_S (I - W_S)^{-1}]_{(ii),(ii)}``,
a weighted trace (weights 1 on diagonal pairs, 0 elsewhere). The pair chain
has ``m²`` states for a component of ``m`` tokens, so it serves small
components only (:data:`PAIR_DENSE_LIMIT`). A large component goes through
Parseval's identity instead: with ``f_ik = (P^k)_ii``, ``r = (ζn)^{-1/2}`` and
``F_i(z) = Σ_k f_ik z^k = [zP (I - zP)^{-1}]_ii``,
``Σ_k f_ik² r^{2k} = (1/2π) ∫ |F_i(r e^{iθ})|² dθ``, evaluated by the N-point
trapezoidal rule, which converges geometrically for this periodic analytic
integrand; the diagonal of the resolvent at each node comes from the
elimination and a selected inversion
(:func:`repetition._sparse_rate.selected_diagonal`), without the inverse;
its conditioning is judged as on the other routes, by a norm that bounds
the resolvent at every node, ``||(I - rP_C)^{-1}||_∞``. Since every
``f_ik`` lies in [0, 1], the rule's error is one-signed and certified: it
overestimates by at most ``2 r^N/(1 - r^N) Σ_k Tr((P/ζn)^k)``, an exact
nonnegative trace, and N is chosen to make that below
:data:`ALIAS_TOLERANCE` relative (this route needs ``ζn > 1``).

Convergence (both forms alike). Closed walks stay inside one strongly
connected component ``C`` of the graph of ``P``; both series converge exactly
when ``ρ(P_C)² < ζn`` for every component with a closed walk (if
``ρ(P_C)² = ζn`` the terms ``Σ_i ((P_C^{kh})_ii)² / (ζn)^{kh}`` and
``Tr(P_C^{2kh}) / (ζn)^{kh}``, ``h`` the period, tend to positive limits). As
``ρ(P_C) <= max row sum <= 1 + ROW_SUM_TOLERANCE``, every component passes
when ``ζn > 1`` (then ``ζn >= 1 + 1/n`` and ``sqrt(ζn) > 1 + 1e-12`` for
``n < 5·10^11``). When ``ζn <= 1`` each component is decided in exact
rational arithmetic (floats are exact rationals): a simple cycle by
``(Π weights)² >= (ζn)^m``; any other component by the Collatz–Wielandt bracket
``min_i (P_C x)_i / x_i <= ρ(P_C) <= max_i (P_C x)_i / x_i`` for a positive
``x`` close to the Perron vector, evaluated exactly, and, if ``ζn`` falls
inside the bracket, by the signs of the pivots of ``ζn I - P_C²`` (a Z-matrix
is a nonsingular M-matrix exactly when they are all positive).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from . import _linalg, _sparse_rate

_block = _linalg.submatrix

#: Components whose pair chain has at most this many states get the (dense) pair chain; larger ones
#: the Parseval route when ζn > 1 ...
PAIR_DENSE_LIMIT = 2500

#: ... and otherwise the pair chain by sparse elimination, up to this many states (its graph, a
#: Kronecker square, fills in fast) ...
PAIR_STATES_LIMIT = 40_000

#: ... and this many stored entries (nnz(P_C)²).
PAIR_ENTRIES_LIMIT = 30_000_000

#: Exact M-matrix test (rational Gaussian elimination) up to this component size.
EXACT_PIVOT_LIMIT = 80

#: The Parseval route's certified aliasing error, relative to the series' first two terms ...
ALIAS_TOLERANCE = 1e-14

#: ... reached with at most this many nodes of the trapezoidal rule.
MAX_NODES = 401

_FORMS = ("corrected", "printed")


def _trace(
    X: sp.csr_array, weights: np.ndarray | None = None, growths: list | None = None
) -> float:
    """``Σ_i w_i [X (I - X)^{-1}]_ii`` (``w = 1`` if None) over the cyclic components of ``X >= 0``, ``ρ(X) < 1``.

    The norm ``||(I - X_C)^{-1}||_inf`` of each component is appended to
    ``growths`` when a list is given, for :func:`closed_form` to judge the
    conditioning once.
    """
    total = 0.0
    for idx in _linalg.cyclic_components_of(X):
        w = None if weights is None else weights[idx]
        if w is not None and not np.any(w):
            continue
        value, growth = _sparse_rate.resolvent_trace(_block(X, idx), w)
        if growths is not None:
            growths.append(growth)
        total += value
    return total


# ---------------------------------------------------------------- convergence


def _exact_entries(
    Pc: sp.csr_array, hadamard: bool
) -> list[list[tuple[int, Fraction]]]:
    """Rows of ``Pc`` (or of ``Pc ⊙ Pc``, squared exactly) as lists of ``(column, Fraction)``."""
    rows = []
    for i in range(Pc.shape[0]):
        lo, hi = Pc.indptr[i], Pc.indptr[i + 1]
        rows.append(
            [
                (int(j), Fraction(float(a)) ** 2 if hadamard else Fraction(float(a)))
                for a, j in zip(Pc.data[lo:hi], Pc.indices[lo:hi], strict=True)
            ]
        )
    return rows


def _exact_row_ratios(rows: list, x: np.ndarray) -> tuple[Fraction, Fraction]:
    """Exact ``(min_i, max_i)`` of ``(X x)_i / x_i`` for exact rows of ``X`` and a positive float vector ``x``."""
    xs = [Fraction(float(v)) for v in x]
    ratios = [
        sum((a * xs[j] for j, a in row), Fraction(0)) / xs[i]
        for i, row in enumerate(rows)
    ]
    return min(ratios), max(ratios)


def _m_matrix_pivots_positive(rows: list, c: Fraction, squared: bool) -> bool:
    """Whether ``c I - Y`` is a nonsingular M-matrix (all pivots of exact Gaussian elimination positive).

    ``Y = X²`` when ``squared``, else ``Y = X``, with ``X`` given by its exact
    rows. A Z-matrix ``c I - Y`` (``Y >= 0``) is a nonsingular M-matrix
    exactly when ``ρ(Y) < c``, exactly when every pivot is positive.
    """
    m = len(rows)
    X = [[Fraction(0)] * m for _ in range(m)]
    for i, row in enumerate(rows):
        for j, a in row:
            X[i][j] = a
    if squared:
        Y = [
            [sum((X[i][k] * X[k][j] for k in range(m)), Fraction(0)) for j in range(m)]
            for i in range(m)
        ]
    else:
        Y = X
    M = [[(c if i == j else Fraction(0)) - Y[i][j] for j in range(m)] for i in range(m)]
    for p in range(m):
        if M[p][p] <= 0:
            return False
        for i in range(p + 1, m):
            if M[i][p]:
                f = M[i][p] / M[p][p]
                for j in range(p, m):
                    M[i][j] -= f * M[p][j]
    return True


def _perron_vector(Xc: sp.csr_array) -> np.ndarray:
    """A positive vector near the Perron vector of an irreducible ``Xc >= 0`` (any positive vector is valid)."""
    m = Xc.shape[0]
    if m <= 2000:
        w, V = sla.eig(Xc.toarray().T)
        x = np.abs(V[:, int(np.argmax(w.real))].real)
    else:
        try:
            w, V = spla.eigs(
                Xc.T.astype(np.float64),
                k=1,
                which="LR",
                v0=np.full(m, 1.0 / np.sqrt(m)),
                maxiter=20 * m,
            )
            x = np.abs(V[:, 0].real)
        except (
            spla.ArpackError
        ):  # no convergence: the bracket from the all-ones vector is still valid
            x = np.ones(m)
    if not np.all(np.isfinite(x)) or x.max() <= 0:
        x = np.ones(m)
    x = np.maximum(x, x.max() * 1e-12)
    return x


def _component_below(Pc: sp.csr_array, c: Fraction, hadamard: bool) -> bool:
    """Exactly whether ``ρ(Pc)² < c`` (or ``ρ(Pc ⊙ Pc) < c`` with ``hadamard``) for an irreducible block."""
    m = Pc.shape[0]
    if np.all(
        np.diff(Pc.indptr) == 1
    ):  # a simple cycle: ρ(Pc)^m and ρ(Pc ⊙ Pc)^m are Π p and Π p²
        product = Fraction(1)
        for a in Pc.data:
            product *= Fraction(float(a))
        return product * product < c**m
    rows = _exact_entries(Pc, hadamard)
    lo, hi = _exact_row_ratios(
        rows, _perron_vector(Pc.multiply(Pc).tocsr() if hadamard else Pc)
    )
    grow = (lambda r: r) if hadamard else (lambda r: r * r)
    if grow(hi) < c:
        return True
    if grow(lo) >= c:
        return False
    if m <= EXACT_PIVOT_LIMIT:
        return _m_matrix_pivots_positive(rows, c, squared=not hadamard)
    what = (
        "ρ(P_C ⊙ P_C) is within rounding of ζn"
        if hadamard
        else "ρ(P_C) is within rounding of sqrt(ζn)"
    )
    raise ValueError(
        f"P has a strongly connected component of {m} tokens whose {what} = {c}; whether the series "
        f"converges cannot be decided exactly at this size (the exact test is limited to {EXACT_PIVOT_LIMIT} tokens)"
    )


def series_converges(chain, hadamard: bool = False) -> bool:
    """Exactly whether ``ρ(P)² < ζn`` (``Σ Tr(P^{2k}) / (ζn)^k`` converges), or ``ρ(P ⊙ P) < ζn`` with ``hadamard``.

    Decided per cyclic component of the chain's graph, in exact rational
    arithmetic (see the module notes); always true when ``ζn > 1``. The
    corrected ARP converges exactly when the printed one does.
    """
    c = chain.zeta_n
    if c > 1:
        return True  # ρ(P_C)² and ρ(P_C ⊙ P_C) are at most (1 + ROW_SUM_TOLERANCE)² < 1 + 1/n <= ζn
    return all(
        _component_below(_block(chain.graph, idx), c, hadamard)
        for idx in chain.cyclic_components
    )


# ---------------------------------------------------------------- the two forms


def _printed(
    G: sp.csr_array, comps: list[np.ndarray], c: float, growths: list
) -> float:
    """``½ Tr(C (I - C)^{-1})`` with ``C`` the double cover of ``P / sqrt(ζn)``, per component of ``P``."""
    s = 1.0 / math.sqrt(c)
    total = 0.0
    for idx in comps:
        B = _block(G, idx) * s
        cover = sp.csr_array(sp.block_array([[None, B], [B, None]], format="csr"))
        total += _trace(cover, growths=growths)
    return 0.5 * total


def _corrected_pairs(Pc: sp.csr_array, c: float, growths: list) -> float:
    """The corrected ARP of one component from its pair chain ``(P_C ⊗ P_C) / ζn``."""
    m = Pc.shape[0]
    W = sp.csr_array(sp.kron(Pc, Pc, format="csr") / c)
    diagonal = np.zeros(m * m)
    diagonal[np.arange(m) * (m + 1)] = 1.0
    return _trace(W, diagonal, growths)


def _resolvent_diagonal(Pc: sp.csr_array, z: complex) -> np.ndarray:
    """``[zP (I - zP)^{-1}]_ii`` for every token of one component (``|z| ||P||_inf < 1``)."""
    X = sp.csr_array(Pc * z, dtype=np.complex128)
    m = Pc.shape[0]
    if m <= _sparse_rate.DENSE_COMPONENT_LIMIT:
        Xd = X.toarray()
        return np.einsum(
            "ij,ji->i", Xd, _sparse_rate.inverse(np.asfortranarray(np.eye(m) - Xd))
        )
    return _sparse_rate.selected_diagonal(X)


def _parseval_nodes(
    G: sp.csr_array, comps: list[np.ndarray], c: float
) -> tuple[int, float]:
    """Nodes N of the trapezoidal rule and the bound on its aliasing error, for the corrected form.

    With ``f_ik = (P^k)_ii`` in [0, 1] and ``r = (ζn)^{-1/2}``, the N-point rule
    on ``|F_i(r e^{iθ})|²`` adds the aliased products ``f_ik f_il r^{k+l}``,
    ``k ≡ l (mod N)``, all nonnegative, and their sum is at most
    ``2 r^N / (1 - r^N) Σ_k r^{2k} Tr(P^k) = 2 r^N / (1 - r^N) Tr(Y (I - Y)^{-1})``,
    ``Y = P / ζn``: an exact nonnegative trace. N (odd, so no node is real
    and negative) is the smallest with the bound below :data:`ALIAS_TOLERANCE`
    times the first two terms of the series.
    """
    r = 1.0 / math.sqrt(c)
    scale = sum(_trace(_block(G, idx) / c) for idx in comps)
    first = 0.0
    for idx in comps:
        Pc = _block(G, idx)
        d2 = np.asarray(Pc.multiply(Pc.T).sum(axis=1)).ravel()
        first += float(np.sum(Pc.diagonal() ** 2)) / c + float(np.sum(d2**2)) / c**2
    target = ALIAS_TOLERANCE * (first if first > 0 else scale)
    N = 3
    while 2.0 * r**N / (1.0 - r**N) * scale > target:
        N += 2
        if N > MAX_NODES:
            raise ValueError(
                f"the corrected ARP at ζn = {c:.6g} would need more than {MAX_NODES} evaluations of the "
                "resolvent's diagonal (ζn too close to 1 for its series to converge fast); use partial "
                "sums with repetition.arp_tail_bound"
            )
    return N, 2.0 * r**N / (1.0 - r**N) * scale


def _corrected_parseval(
    G: sp.csr_array, comps: list[np.ndarray], c: float, growths: list
) -> float:
    """``Σ_k Σ_i f_ik² r^{2k} = (1/2π) ∫ Σ_i |F_i(r e^{iθ})|² dθ`` by the trapezoidal rule (Parseval).

    ``F_i(z) = Σ_k (P^k)_ii z^k = [zP (I - zP)^{-1}]_ii``. The rule overestimates
    by at most the bound of :func:`_parseval_nodes`; by the symmetry
    ``F_i(z̄) = conj(F_i(z))`` only the nodes with ``0 <= θ <= π`` are computed.
    For the conditioning judged by :func:`closed_form`, as on the other
    routes, ``||(I - r P_C)^{-1}||_∞`` of each component is appended to
    ``growths``: for ``P_C >= 0`` and ``|z| = r``, ``|(I - zP_C)^{-1}| <=
    (I - rP_C)^{-1}`` entrywise (Neumann series), so it bounds the norm of
    the resolvent at every node.
    """
    N, _ = _parseval_nodes(G, comps, c)
    r = 1.0 / math.sqrt(c)
    growths.extend(_sparse_rate.resolvent_trace(_block(G, idx) * r)[1] for idx in comps)
    total = 0.0
    for j in range((N + 1) // 2):
        z = r * complex(math.cos(2 * math.pi * j / N), math.sin(2 * math.pi * j / N))
        weight = 1.0 if j == 0 else 2.0
        for idx in comps:
            F = _resolvent_diagonal(_block(G, idx), z)
            total += weight * float(np.sum(F.real**2 + F.imag**2))
    return total / N


def _corrected(
    G: sp.csr_array, comps: list[np.ndarray], c: float, growths: list
) -> float:
    """The corrected ARP: the pair chain for small components, the Parseval route for large ones."""
    total = 0.0
    large = []
    for idx in comps:
        Pc = _block(G, idx)
        m = idx.size
        if m * m <= PAIR_DENSE_LIMIT:
            total += _corrected_pairs(Pc, c, growths)
        elif c > 1:
            large.append(idx)
        elif m * m <= PAIR_STATES_LIMIT and Pc.nnz**2 <= PAIR_ENTRIES_LIMIT:
            total += _corrected_pairs(Pc, c, growths)
        else:
            raise ValueError(
                f"the corrected ARP's exact routes need ζn > 1 (here ζn = {c:.6g}) or a pair chain of at most "
                f"{PAIR_STATES_LIMIT} states and {PAIR_ENTRIES_LIMIT} entries (a component of {m} tokens "
                f"needs {m * m} states and {Pc.nnz**2} entries); use partial sums with repetition.arp_tail_bound"
            )
    if large:
        total += _corrected_parseval(G, large, c, growths)
    return total


def closed_form(chain, form: str) -> float:
    """The whole ARP series of a validated chain in the given form (see the module notes); ``inf`` if it diverges."""
    G = chain.graph
    n = chain.n
    if G.nnz == 0:
        return 0.0
    comps = chain.cyclic_components
    if not comps:
        return 0.0
    if not series_converges(chain):
        return math.inf
    growths: list[float] = []
    if form == "printed":
        value = float(_printed(G, comps, G.nnz / n, growths))
    else:
        value = float(_corrected(G, comps, G.nnz / n, growths))
    worst = (
        math.nan if any(math.isnan(g) for g in growths) else max(growths, default=0.0)
    )
    # NaN (no correct digit) counts as ill-conditioned; stacklevel 4: the caller of average_repetition_probability
    _sparse_rate.warn_conditioning(
        "average repetition probability: the series is close to diverging", worst, 4
    )
    return value
