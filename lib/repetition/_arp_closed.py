"""The paper's average repetition probability (ARP) in closed form, with its convergence decided exactly.

Fu et al. (2021), Definition 2.3, and the slides define the ARP of a bigram
decoder as a series in the traces of powers of its transition matrix, scaled
by ``ζn = nnz(P) / n`` (the mean number of successors per token):

* ``form="printed"``:   ``Σ_{k>=1} Tr(P^{2k}) / (ζn)^k`` (as printed);
* ``form="corrected"``: ``Σ_{k>=1} Tr(P^k ⊙ P^k) / (ζn)^k
  = Σ_{k>=1} Σ_i ((P^k)_ii)² / (ζn)^k`` (what the derivation gives; Su 2021,
  section 原文下界; book, Chapter 3).

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
(:func:`repetition._sparse_rate.selected_diagonal`), without the inverse.
Since every ``f_ik`` lies in [0, 1], the rule's error is one-signed and
certified: it overestimates by at most ``2 r^N/(1 - r^N) Σ_k Tr((P/ζn)^k)``,
an exact nonnegative trace, and N is chosen to make that below
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

from . import _sparse_rate
from ._validation import as_transition_matrix
from .expected import _block, _cyclic_components, _pattern  # shared graph helpers (one copy)

#: Components whose pair chain has at most this many states get the (dense) pair chain; larger ones
#: the Parseval route when ζn > 1 ...
PAIR_DENSE_LIMIT = 2500

#: ... and otherwise the pair chain by sparse elimination, up to this many states (its graph, a
#: Kronecker square, fills in fast) ...
PAIR_STATES_LIMIT = 40_000

#: ... and this many stored entries (nnz(P_C)²).
PAIR_ENTRIES_LIMIT = 30_000_000

#: Components up to this size are handled densely.
DENSE_LIMIT = 2500

#: Exact M-matrix test (rational Gaussian elimination) up to this component size.
EXACT_PIVOT_LIMIT = 80

#: The Parseval route's certified aliasing error, relative to the series' first two terms ...
ALIAS_TOLERANCE = 1e-14

#: ... reached with at most this many nodes of the trapezoidal rule.
MAX_NODES = 401

_FORMS = ("corrected", "printed")


def _trace(X: sp.csr_array, weights: np.ndarray | None = None) -> float:
    """``Σ_i w_i [X (I - X)^{-1}]_ii`` (``w = 1`` if None) over the cyclic components of ``X >= 0``, ``ρ(X) < 1``."""
    total = 0.0
    for idx in _cyclic_components(X):
        Xc = _block(X, idx)
        w = None if weights is None else weights[idx]
        if w is not None and not np.any(w):
            continue
        m = idx.size
        if m <= DENSE_LIMIT or Xc.nnz > 0.05 * m * m and m <= _sparse_rate.DENSE_MAX:
            value, _, _ = _sparse_rate._dense_solve_trace(Xc.toarray(), None, None, None, weights=w)
        else:
            value, _, _ = _sparse_rate.eliminate(Xc, weights=w)
        total += value
    return total


# ---------------------------------------------------------------- convergence


def _exact_row_ratios(Pc: sp.csr_array, x: np.ndarray) -> tuple[Fraction, Fraction]:
    """Exact ``(min_i, max_i)`` of ``(Pc x)_i / x_i`` for a positive float vector ``x``."""
    xs = [Fraction(float(v)) for v in x]
    lo = hi = None
    for i in range(Pc.shape[0]):
        row = slice(Pc.indptr[i], Pc.indptr[i + 1])
        num = sum((Fraction(float(a)) * xs[j] for a, j in zip(Pc.data[row], Pc.indices[row])), Fraction(0))
        ratio = num / xs[i]
        lo = ratio if lo is None or ratio < lo else lo
        hi = ratio if hi is None or ratio > hi else hi
    return lo, hi


def _m_matrix_pivots_positive(Pc: sp.csr_array, c: Fraction) -> bool:
    """Whether ``c I - Pc²`` is a nonsingular M-matrix (all pivots of exact Gaussian elimination positive)."""
    m = Pc.shape[0]
    Pq = [[Fraction(0)] * m for _ in range(m)]
    for i in range(m):
        for a, j in zip(Pc.data[Pc.indptr[i]:Pc.indptr[i + 1]], Pc.indices[Pc.indptr[i]:Pc.indptr[i + 1]]):
            Pq[i][j] = Fraction(float(a))
    M = [[(c if i == j else Fraction(0)) - sum((Pq[i][k] * Pq[k][j] for k in range(m)), Fraction(0))
          for j in range(m)] for i in range(m)]
    for p in range(m):
        if M[p][p] <= 0:
            return False
        for i in range(p + 1, m):
            if M[i][p]:
                f = M[i][p] / M[p][p]
                for j in range(p, m):
                    M[i][j] -= f * M[p][j]
    return True


def _perron_vector(Pc: sp.csr_array) -> np.ndarray:
    m = Pc.shape[0]
    if m <= 2000:
        w, V = sla.eig(Pc.toarray().T)
        x = np.abs(V[:, int(np.argmax(w.real))].real)
    else:  # pragma: no cover - large non-cycle components with ζn <= 1 do not occur in the book
        import scipy.sparse.linalg as spla

        w, V = spla.eigs(Pc.T.astype(np.float64), k=1, which="LR")
        x = np.abs(V[:, 0].real)
    x = np.maximum(x, x.max() * 1e-12)
    return x


def _component_converges(Pc: sp.csr_array, c: Fraction) -> bool:
    """Exactly whether ``ρ(Pc)² < c`` for an irreducible block ``Pc`` (``c <= 1``)."""
    m = Pc.shape[0]
    outdeg = np.diff(Pc.indptr)
    if np.all(outdeg == 1):  # a simple cycle: ρ^m = product of its weights
        product = Fraction(1)
        for a in Pc.data:
            product *= Fraction(float(a))
        return product * product < c**m
    lo, hi = _exact_row_ratios(Pc, _perron_vector(Pc))
    if hi * hi < c:
        return True
    if lo * lo >= c:
        return False
    if m <= EXACT_PIVOT_LIMIT:
        return _m_matrix_pivots_positive(Pc, c)
    raise ValueError(
        f"P has a strongly connected component of {m} tokens whose spectral radius is within rounding of "
        f"sqrt(ζn) = sqrt({c}); whether the ARP converges cannot be decided exactly at this size "
        f"(the exact test is limited to {EXACT_PIVOT_LIMIT} tokens)"
    )


def _converges(G: sp.csr_array, comps: list[np.ndarray], c: Fraction) -> bool:
    if c > 1:
        return True  # ρ(P_C) <= 1 + ROW_SUM_TOLERANCE < sqrt(ζn)
    return all(_component_converges(_block(G, idx), c) for idx in comps)


# ---------------------------------------------------------------- the two forms


def _printed(G: sp.csr_array, comps: list[np.ndarray], c: float) -> float:
    """``½ Tr(C (I - C)^{-1})`` with ``C`` the double cover of ``P / sqrt(ζn)``, per component of ``P``."""
    s = 1.0 / math.sqrt(c)
    total = 0.0
    for idx in comps:
        B = _block(G, idx) * s
        cover = sp.csr_array(sp.block_array([[None, B], [B, None]], format="csr"))
        total += _trace(cover)
    return 0.5 * total


def _corrected_pairs(Pc: sp.csr_array, c: float) -> float:
    """The corrected ARP of one component from its pair chain ``(P_C ⊗ P_C) / ζn``."""
    m = Pc.shape[0]
    W = sp.csr_array(sp.kron(Pc, Pc, format="csr") / c)
    diagonal = np.zeros(m * m)
    diagonal[np.arange(m) * (m + 1)] = 1.0
    return _trace(W, diagonal)


def _resolvent_diagonal(Pc: sp.csr_array, z: complex) -> np.ndarray:
    """``[zP (I - zP)^{-1}]_ii`` for every token of one component (``|z| ||P||_inf < 1``)."""
    X = sp.csr_array(Pc * z, dtype=np.complex128)
    m = Pc.shape[0]
    if m <= DENSE_LIMIT:
        Xd = X.toarray()
        return np.einsum("ij,ji->i", Xd, sla.inv(np.eye(m) - Xd, check_finite=False))
    return _sparse_rate.selected_diagonal(X)


def _parseval_nodes(G: sp.csr_array, comps: list[np.ndarray], c: float) -> tuple[int, float]:
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


def _corrected_parseval(G: sp.csr_array, comps: list[np.ndarray], c: float) -> float:
    """``Σ_k Σ_i f_ik² r^{2k} = (1/2π) ∫ Σ_i |F_i(r e^{iθ})|² dθ`` by the trapezoidal rule (Parseval).

    ``F_i(z) = Σ_k (P^k)_ii z^k = [zP (I - zP)^{-1}]_ii``. The rule overestimates
    by at most the bound of :func:`_parseval_nodes`; by the symmetry
    ``F_i(z̄) = conj(F_i(z))`` only the nodes with ``0 <= θ <= π`` are computed.
    """
    N, _ = _parseval_nodes(G, comps, c)
    r = 1.0 / math.sqrt(c)
    total = 0.0
    for j in range((N + 1) // 2):
        z = r * complex(math.cos(2 * math.pi * j / N), math.sin(2 * math.pi * j / N))
        weight = 1.0 if j == 0 else 2.0
        for idx in comps:
            F = _resolvent_diagonal(_block(G, idx), z)
            total += weight * float(np.sum(F.real**2 + F.imag**2))
    return total / N


def _corrected(G: sp.csr_array, comps: list[np.ndarray], c: float) -> float:
    """The corrected ARP: the pair chain for small components, the Parseval route for large ones."""
    total = 0.0
    large = []
    for idx in comps:
        Pc = _block(G, idx)
        m = idx.size
        if m * m <= PAIR_DENSE_LIMIT:
            total += _corrected_pairs(Pc, c)
        elif c > 1:
            large.append(idx)
        elif m * m <= PAIR_STATES_LIMIT and Pc.nnz**2 <= PAIR_ENTRIES_LIMIT:
            total += _corrected_pairs(Pc, c)
        else:
            raise ValueError(
                f"the corrected ARP's exact routes need ζn > 1 (here ζn = {c:.6g}) or a pair chain of at most "
                f"{PAIR_STATES_LIMIT} states and {PAIR_ENTRIES_LIMIT} entries (a component of {m} tokens "
                f"needs {m * m} states and {Pc.nnz**2} entries); use partial sums with repetition.arp_tail_bound"
            )
    if large:
        total += _corrected_parseval(G, large, c)
    return total


def average_repetition_probability(P, form: str = "corrected") -> float:
    """The paper's average repetition probability (ARP), the whole series, exactly.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1; the missing mass is
        the end token).
    form : {"corrected", "printed"}
        ``"printed"``: ``Σ_{k>=1} Tr(P^{2k}) / (ζn)^k``, Definition 2.3 of Fu
        et al. (2021) as printed; ``"corrected"``:
        ``Σ_{k>=1} Tr(P^k ⊙ P^k) / (ζn)^k = Σ_k Σ_i ((P^k)_ii)² / (ζn)^k``, the
        form the derivation actually gives (Su 2021, section 原文下界; book,
        Chapter 3). ``ζn = nnz(P) / n`` is the mean number of successors per
        token.

    Returns
    -------
    float
        The sum of the series, exact up to rounding (no truncation), or
        ``math.inf`` when it diverges, which happens for both forms exactly
        when ``ρ(P_C)² >= ζn`` for some strongly connected component ``C``
        with a closed walk: never when ``ζn > 1`` (``ρ(P) <= 1``), decided
        in exact rational arithmetic when ``ζn <= 1``. 0 when ``P`` is zero.
        The corrected value is at most the printed one, term by term.

    Raises
    ------
    TypeError, ValueError
        For invalid ``P`` or an unknown ``form``.
    ValueError
        For ``form="corrected"`` when ``ζn <= 1`` and a component's pair
        chain exceeds :data:`PAIR_STATES_LIMIT` states or
        :data:`PAIR_ENTRIES_LIMIT` entries, or ``ζn`` is so close to 1 that
        the Parseval route would need more than :data:`MAX_NODES` nodes (use
        partial sums with :func:`repetition.arp_tail_bound`); or when
        ``ζn <= 1`` and a large component's spectral radius is within
        rounding of ``sqrt(ζn)``.

    Notes
    -----
    Book, Chapter 7, eq. ``eq-arp-closed``. Printed form: ``½ Tr(C (I - C)^{-1})``
    with the double cover ``C = [[0, B], [B, 0]]``, ``B = P / sqrt(ζn)``,
    computed like the repetition rate (a sum of nonnegative products; sparse
    elimination above 2,500 tokens, so word-level models are within reach;
    the cover has twice as many vertices and a dense remainder about twice
    as large, and on the People's Daily word models it took 8 to 15 times
    as long as the repetition rate; see ``benchmarks/expected_repeats.py``). Corrected form: the weighted trace of the pair
    chain ``(P ⊗ P) / ζn`` at the diagonal pairs for small components
    (``m²`` states for ``m`` tokens); for large ones, Parseval's identity on
    the circle ``|z| = (ζn)^{-1/2}`` with a certified trapezoidal rule (see
    the module notes), each node costing a complex elimination and a
    selected inversion, roughly ten times the repetition rate; the People's
    Daily word models needed 17 and 23 of them (minutes, not seconds).

    Examples
    --------
    A 2-cycle with weights 1/2 (``ζn = 1``): ``Tr(P^{2k}) = 2·4^{-k}`` and
    ``Σ_i ((P^k)_ii)² = 2·4^{-k}`` for even ``k``, 0 for odd ``k``.

    >>> P = [[0.0, 0.5], [0.5, 0.0]]
    >>> round(average_repetition_probability(P, "printed"), 15)   # 2 (1/4) / (1 - 1/4)
    0.666666666666667
    >>> round(average_repetition_probability(P, "corrected"), 15)  # 2 (1/16) / (1 - 1/16)
    0.133333333333333
    >>> average_repetition_probability([[0.0, 1.0], [1.0, 0.0]], "printed")   # ρ(P)² = 1 = ζn
    inf
    """
    P = as_transition_matrix(P)
    if not isinstance(form, str) or form not in _FORMS:
        raise ValueError(f"form must be one of {_FORMS}, got {form!r}")
    G = _pattern(P)
    n = G.shape[0]
    if G.nnz == 0:
        return 0.0
    c = Fraction(G.nnz, n)
    comps = _cyclic_components(G)
    if not comps:
        return 0.0
    if not _converges(G, comps, c):
        return math.inf
    if form == "printed":
        return float(_printed(G, comps, G.nnz / n))
    return float(_corrected(G, comps, G.nnz / n))
