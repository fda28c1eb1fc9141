"""Exact references: brute force and exact arithmetic, written once for the tests and the chapters.

Every function here checks a computational function of the package by a
route that shares no code with it: closed walks enumerated one by one,
matrix powers and inverses in exact rational arithmetic (``fractions`` or
sympy), characteristic polynomials, high-precision arithmetic (mpmath). None
of them imports the rest of the package, so a bug in the code under test
cannot hide in its reference. They are slow by design (exponential in the
walk length, or exact arithmetic): meant for matrices of a handful of tokens.

Matrices may be given as nested lists, numpy arrays or sympy matrices, with
entries in any exact arithmetic (int, ``fractions.Fraction``, sympy numbers
or symbols) or floats; results come back in the arithmetic of the entries.
sympy and mpmath are imported only by the functions that need them.
"""

from __future__ import annotations

import itertools
import math
import operator
from fractions import Fraction
from functools import reduce

import numpy as np

__all__ = [
    "closed_walk_weights",
    "closed_walk_sum",
    "exact_matrix_power",
    "exact_repetition_terms",
    "exact_resolvent_trace",
    "exact_repetition_rate",
    "repetition_rate_from_charpoly",
    "exact_spectral_radius",
    "exact_lower_bounds",
    "exact_arp_terms",
    "exact_arp",
    "exact_decoding_rule",
    "exact_pair_lift",
    "support_power",
    "brute_force_deterministic_cycle",
    "transitive_closure",
    "greedy_path_survives",
    "perturbed_terms_by_signs",
    "perturbed_moments_by_walk_pairs",
    "paper_perturbed_arp_by_signs",
    "paper_perturbed_second_moments",
    "high_precision_repetition_rate",
    "high_precision_spectral_radius",
    "exact_elimination_round",
    "exact_expected_repeats",
    "enumerated_repeats",
]


def _rows(M) -> list[list]:
    """Nested lists of the entries of a nested list, numpy array or sympy matrix."""
    if hasattr(M, "tolist"):
        return [list(row) for row in M.tolist()]
    return [list(row) for row in M]


def _product(values):
    return reduce(operator.mul, values, 1)


def _matmul(X: list, Y: list) -> list:
    n, m, p = len(X), len(Y), len(Y[0])
    return [
        [sum((X[i][h] * Y[h][j] for h in range(m)), 0) for j in range(p)]
        for i in range(n)
    ]


# ---------------------------------------------------------------------------
# Closed walks, one by one


def closed_walk_weights(P, k: int, start: int | None = None) -> list:
    """Weights of the closed k-walks of nonzero weight, by enumerating every walk.

    Parameters
    ----------
    P : matrix of shape (n, n)
        Entries in any arithmetic (floats, Fractions, sympy numbers or
        positive symbols).
    k : int
        Walk length, >= 1.
    start : int, optional
        Only the walks that start (and end) at this token; all by default.

    Returns
    -------
    list
        ``w(γ) = P[i0, i1] P[i1, i2] ... P[i_{k-1}, i0]`` for every closed
        k-walk ``γ`` with ``w(γ) != 0``, rotations counted separately. Its
        length is ``N_k`` (or ``m_i`` for a start ``i``), its sum
        ``Tr(P^k)``, the sum of squares ``Tr((P ⊙ P)^k)``: the reference for
        :func:`repetition.closed_walk_count`, :func:`repetition.closed_walk_diagonal`
        and the lower bounds of the book's Chapters 2 and 3.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> closed_walk_weights([[F(1, 2), F(1, 2)], [F(1), 0]], 2)
    [Fraction(1, 4), Fraction(1, 2), Fraction(1, 2)]
    """
    M = _rows(P)
    n = len(M)
    starts = range(n) if start is None else [start]
    out = []
    for rest in itertools.product(range(n), repeat=k - 1):
        for i in starts:
            path = (i, *rest, i)
            w = _product(M[a][b] for a, b in itertools.pairwise(path))
            if w != 0:
                out.append(w)
    return out


def closed_walk_sum(P, k: int, power: int = 2):
    """``Σ_γ w(γ)^power`` over all closed k-walks, by enumeration: ``Tr((P ⊙ P)^k)`` for ``power = 2``.

    Parameters
    ----------
    P : matrix of shape (n, n)
        Entries in any arithmetic.
    k : int
        Walk length, >= 1.
    power : int, default 2
        2 gives ``Tr(A^k)`` with ``A = P ⊙ P`` (the k-th term of ``R``, book,
        :numref:`Chapter %s <bigram-setup>`, eq. :eq:`eq-Rk`); 1 gives ``Tr(P^k)``.

    Returns
    -------
    The sum, in the arithmetic of the entries (a sympy expression for
    symbolic entries): the reference for :func:`repetition.repetition_terms`.

    Examples
    --------
    >>> closed_walk_sum([[0, 0.5], [0.5, 0]], 2)   # two walks of weight 1/4
    0.125
    """
    return sum((w**power for w in closed_walk_weights(P, k)), 0)


# ---------------------------------------------------------------------------
# Exact matrix arithmetic


def exact_matrix_power(P, k: int) -> list:
    """``P^k`` by repeated exact multiplication (nested lists), k >= 0.

    Parameters
    ----------
    P : matrix of shape (n, n)
    k : int

    Returns
    -------
    list of lists
        ``P^k`` in the arithmetic of the entries (the identity for k = 0).

    Examples
    --------
    >>> exact_matrix_power([[0, 1], [1, 0]], 3)
    [[0, 1], [1, 0]]
    """
    M = _rows(P)
    n = len(M)
    X = [[int(i == j) for j in range(n)] for i in range(n)]
    for _ in range(k):
        X = _matmul(X, M)
    return X


def exact_repetition_terms(P, K: int) -> list:
    """``Tr((P ⊙ P)^k)`` for k = 1..K, by exact matrix powers.

    Parameters
    ----------
    P : matrix of shape (n, n)
        Exact entries (Fractions, ints or sympy numbers).
    K : int

    Returns
    -------
    list, length K
        The terms of ``R`` (book, :numref:`Chapter %s <bigram-setup>`, eq. :eq:`eq-Rk`): the reference
        for :func:`repetition.repetition_terms`.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> exact_repetition_terms([[0, F(1, 2)], [F(1, 2), 0]], 2)
    [0, Fraction(1, 8)]
    """
    A = [[x * x for x in row] for row in _rows(P)]
    n = len(A)
    X = [row[:] for row in A]
    out = []
    for _ in range(K):
        out.append(sum((X[i][i] for i in range(n)), 0))
        X = _matmul(X, A)
    return out


def exact_resolvent_trace(A):
    """``Tr(A (I - A)^{-1}) = Tr((I - A)^{-1}) - n`` by exact Gauss-Jordan elimination; ``math.inf`` if ``I - A`` is
    singular.

    Parameters
    ----------
    A : matrix of shape (n, n)
        Exact entries (Fractions, ints or sympy numbers).

    Returns
    -------
    Fraction, sympy number or float
        The value in the arithmetic of the entries, or ``math.inf``.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> exact_resolvent_trace([[F(1, 4)]])
    Fraction(1, 3)
    """
    rows = _rows(A)
    n = len(rows)
    M = [
        [int(i == j) - rows[i][j] for j in range(n)] + [int(i == j) for j in range(n)]
        for i in range(n)
    ]
    for c in range(n):
        piv = next((r for r in range(c, n) if M[r][c] != 0), None)
        if piv is None:
            return math.inf
        M[c], M[piv] = M[piv], M[c]
        inv = 1 / M[c][c] if not isinstance(M[c][c], int) else Fraction(1, M[c][c])
        M[c] = [x * inv for x in M[c]]
        for r in range(n):
            if r != c and M[r][c] != 0:
                f = M[r][c]
                M[r] = [a - f * b for a, b in zip(M[r], M[c], strict=True)]
    return sum((M[i][n + i] for i in range(n)), 0) - n


def exact_repetition_rate(P):
    """The repetition rate ``R = Tr(A (I - A)^{-1})``, ``A = P ⊙ P``, exactly; ``math.inf`` if it diverges.

    Parameters
    ----------
    P : matrix of shape (n, n)
        Exact entries (Fractions, ints or sympy Rationals).

    Returns
    -------
    Fraction, sympy number or float
        ``R`` in the arithmetic of the entries (book, :numref:`Chapter %s <bigram-setup>`, eq.
        :eq:`eq-R-closed`), or ``math.inf`` when ``I - A`` is singular (a
        deterministic cycle): the reference for :func:`repetition.repetition_rate`.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> exact_repetition_rate([[0, 1], [F(1, 2), F(1, 2)]])
    Fraction(3, 2)
    >>> exact_repetition_rate([[0, 1], [1, 0]])
    inf
    """
    return exact_resolvent_trace([[x * x for x in row] for row in _rows(P)])


def repetition_rate_from_charpoly(P):
    """``R = c'(1) / c(1) - n`` from the characteristic polynomial ``c(x) = det(xI - A)`` (sympy).

    Parameters
    ----------
    P : sympy Matrix or matrix of exact numbers, shape (n, n)

    Returns
    -------
    sympy expression
        ``Σ_i 1 / (1 - λ_i) - n = Σ_i λ_i / (1 - λ_i)`` without computing an
        eigenvalue (book, :numref:`Chapter %s <chapter-eigen-upper>`, eq. :eq:`eq-R-eigen`): a reference for
        :func:`repetition.eigen_repetition_rate` that holds for defective
        ``A`` too.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> repetition_rate_from_charpoly([[F(1, 2)]])   # c(x) = x - 1/4: 1/(3/4) - 1
    1/3
    """
    import sympy

    x = sympy.Symbol("x")
    A = sympy.Matrix(P).applyfunc(lambda v: v**2)
    c = A.charpoly(x).as_expr()
    return sympy.simplify(sympy.diff(c, x).subs(x, 1) / c.subs(x, 1) - A.shape[0])


def exact_spectral_radius(M):
    """The largest modulus of an eigenvalue, exactly (sympy).

    Parameters
    ----------
    M : sympy Matrix or matrix of exact numbers, shape (n, n)

    Returns
    -------
    sympy expression
        ``ρ(M)``: the reference for :func:`repetition.spectral_radius` and the
        Frobenius interval of the book's :numref:`Chapter %s <chapter-frobenius>`.

    Examples
    --------
    >>> exact_spectral_radius([[0, 2], [8, 0]])
    4
    """
    import sympy

    return max(sympy.Abs(ev) for ev in sympy.Matrix(M).eigenvals())


# ---------------------------------------------------------------------------
# Lower bounds and the ARP


def exact_lower_bounds(P, k: int) -> dict:
    """Every term, bound and estimate of the book's Chapters 2 and 3 at one k, from enumerated walks (Fractions).

    Parameters
    ----------
    P : matrix of shape (n, n)
        Entries convertible to ``fractions.Fraction`` (floats are taken
        exactly).
    k : int
        Walk length, >= 1.

    Returns
    -------
    dict
        ``m`` (list of ``m_i``), ``N`` (``N_k``), and the exact values (as
        Fractions) ``exact`` (``Tr(A^k)``), ``cs``, ``per_row``, ``row``,
        ``uniform``, ``zeta_walks``, ``zeta_rows``, ``paper_nk``,
        ``paper_nk1``: the fields of :class:`repetition.LowerBoundTable`
        under the same names, the reference for
        :func:`repetition.lower_bound_table` and the bound functions.

    Examples
    --------
    >>> e = exact_lower_bounds([[0, 0.5], [0.5, 0]], 2)
    >>> e["N"], e["exact"], e["cs"], e["zeta_walks"]
    (2, Fraction(1, 8), Fraction(1, 8), Fraction(1, 4))
    """
    Pf = [[Fraction(x) for x in row] for row in _rows(P)]
    n = len(Pf)
    walks = {i: closed_walk_weights(Pf, k, start=i) for i in range(n)}
    diag = [sum(ws, Fraction(0)) for ws in walks.values()]  # (P^k)_ii
    m = [len(ws) for ws in walks.values()]  # (B^k)_ii
    N = sum(m)
    tr_A = sum((w * w for ws in walks.values() for w in ws), Fraction(0))
    tr_P = sum(diag, Fraction(0))
    sq = sum((d * d for d in diag), Fraction(0))
    nnz = sum(1 for row in Pf for x in row if x > 0)
    zn = Fraction(nnz, n)
    Pk = exact_matrix_power(Pf, k)
    tr_P2k = sum((Pk[i][j] * Pk[j][i] for i in range(n) for j in range(n)), Fraction(0))
    return dict(
        m=m,
        N=N,
        exact=tr_A,
        cs=tr_P**2 / N if N else Fraction(0),
        per_row=sum(
            (d * d / mi for d, mi in zip(diag, m, strict=True) if mi), Fraction(0)
        ),
        row=sq / n ** (k - 1),
        uniform=tr_P**2 / n**k,
        zeta_walks=tr_P**2 / zn**k if nnz else Fraction(0),
        zeta_rows=sq * n / zn**k if nnz else Fraction(0),
        paper_nk=tr_P2k / zn**k if nnz else Fraction(0),
        paper_nk1=tr_P2k * n / zn**k if nnz else Fraction(0),
    )


def exact_arp_terms(P, K: int, form: str) -> list:
    """The first K terms of the paper's ARP, printed or corrected, in Fractions.

    Parameters
    ----------
    P : matrix of shape (n, n)
        Entries convertible to ``fractions.Fraction``.
    K : int
    form : {"printed", "corrected"}
        ``Tr(P^(2k)) / (ζn)^k`` or ``Tr(P^k ⊙ P^k) / (ζn)^k``.

    Returns
    -------
    list of Fraction, length K
        The reference for :func:`repetition.arp_terms`.

    Examples
    --------
    >>> exact_arp_terms([[0, 0.5], [0.5, 0]], 2, "printed")
    [Fraction(1, 2), Fraction(1, 8)]
    """
    Pf = [[Fraction(x) for x in row] for row in _rows(P)]
    n = len(Pf)
    c = Fraction(sum(1 for row in Pf for x in row if x != 0), n)
    out, Pk = [], Pf
    for k in range(1, K + 1):
        if k > 1:
            Pk = _matmul(Pk, Pf)
        if form == "printed":
            value = sum((_matmul(Pk, Pk)[i][i] for i in range(n)), Fraction(0))
        else:
            value = sum((Pk[i][i] ** 2 for i in range(n)), Fraction(0))
        out.append(value / c**k)
    return out


# ---------------------------------------------------------------------------
# Decoding rules and pair chains


def exact_decoding_rule(P, rule: str, param=None) -> list:
    """A decoding rule applied to each full (n+1)-row of an exact rational matrix, row by row.

    Parameters
    ----------
    P : matrix of shape (n, n)
        Fractions (row sums <= 1; the end token is the implicit last column).
    rule : {"greedy", "top_k", "top_p", "temperature"}
    param : int or Fraction
        ``k``, ``p``, or for ``"temperature"`` the integer exponent ``1/t``.

    Returns
    -------
    list of lists of Fraction, shape (n, n)
        The transformed block: outcomes sorted by decreasing probability, ties
        by index with the end token last (book, :numref:`Chapter %s <chapter-decoding>`, eqs. :eq:`eq-topk`,
        :eq:`eq-topp`, :eq:`eq-temperature`): the reference for
        :func:`repetition.top_k`, :func:`repetition.top_p`,
        :func:`repetition.greedy` and :func:`repetition.temperature`.

    Examples
    --------
    >>> from fractions import Fraction as F
    >>> # token 0 ties with the end token and wins
    >>> exact_decoding_rule([[F(1, 2)]], "greedy")
    [[Fraction(1, 1)]]
    """
    out = []
    for row in _rows(P):
        q = list(row) + [1 - sum(row)]
        order = sorted(range(len(q)), key=lambda j: (-q[j], j))
        order = [j for j in order if q[j] > 0]
        if rule == "top_k":
            kept = order[:param]
        elif rule == "top_p":
            kept, mass = [], Fraction(0)
            for j in order:
                kept.append(j)
                mass += q[j]
                if mass >= param:
                    break
        elif rule == "greedy":
            kept = order[:1]
        new = [Fraction(0)] * len(q)
        if rule == "temperature":  # only 1/t integer here, so the result stays rational
            w = [x**param for x in q]
            new = [x / sum(w) for x in w]
        else:
            total = sum(q[j] for j in kept) if rule != "greedy" else None
            for j in kept:
                new[j] = Fraction(1) if rule == "greedy" else q[j] / total
        out.append(new[:-1])
    return out


def exact_pair_lift(P):
    """The chain on token pairs of a bigram, from its definition ``Q[(a, b), (b, c)] = P[b, c]`` (sympy).

    Parameters
    ----------
    P : sympy Matrix or matrix of exact numbers or symbols, shape (n, n)

    Returns
    -------
    states : list of (int, int)
        The pairs ``(a, b)`` with ``P[a, b] != 0``, in lexicographic order.
    Q : sympy Matrix, shape (N, N)
        The pair chain of the book's :numref:`Chapter %s <chapter-general-autoregressive>`, :prf:ref:`thm-ar-lift`: the
        reference for :func:`repetition.lift_to_pairs`.

    Examples
    --------
    >>> states, Q = exact_pair_lift([[0, 1], [1, 0]])
    >>> states, Q.tolist()
    ([(0, 1), (1, 0)], [[0, 1], [1, 0]])
    """
    import sympy

    M = sympy.Matrix(P)
    m = M.shape[0]
    states = [(a, b) for a in range(m) for b in range(m) if M[a, b] != 0]
    Q = sympy.Matrix(
        len(states),
        len(states),
        lambda u, v: (
            M[states[u][1], states[v][1]] if states[v][0] == states[u][1] else 0
        ),
    )
    return states, Q


# ---------------------------------------------------------------------------
# Graphs


def support_power(P, k: int) -> np.ndarray:
    """``B^k`` of the support ``B = 1[P > 0]`` in int64, by k exact products.

    Parameters
    ----------
    P : array_like, shape (n, n)
    k : int, >= 0

    Returns
    -------
    numpy.ndarray of int64, shape (n, n)
        Entry ``(i, j)`` counts the k-walks from ``i`` to ``j`` of positive
        probability (its diagonal gives ``m_i``, its trace ``N_k``).

    Raises
    ------
    ValueError
        If ``n^k`` could exceed int64 (then use :func:`closed_walk_weights`).

    Examples
    --------
    >>> support_power([[0.5, 0.5], [1.0, 0.0]], 2).tolist()
    [[2, 1], [1, 1]]
    """
    dense = np.asarray(P, dtype=float)
    n = dense.shape[0]
    if k and n**k >= 2**62:
        raise ValueError(f"n^k = {n}^{k} may overflow int64")
    B = (dense > 0).astype(np.int64)
    X = np.eye(n, dtype=np.int64)
    for _ in range(k):
        X = X @ B
    return X


def brute_force_deterministic_cycle(P):
    """Vertices of a cycle of entries exactly 1.0, or None, by following the successor map.

    Parameters
    ----------
    P : array_like, shape (n, n)

    Returns
    -------
    list of int or None
        Every row sums to at most 1, so an entry equal to 1.0 is (up to the
        row-sum tolerance) the only one of its row: the entries equal to 1
        form a functional graph, followed from every vertex for n steps. The
        reference for :func:`repetition.deterministic_cycle`.

    Examples
    --------
    >>> brute_force_deterministic_cycle([[0, 1, 0], [1, 0, 0], [0, 0, 0.5]])
    [0, 1]
    """
    P = np.asarray(P, dtype=float)
    n = P.shape[0]
    succ = np.full(n, -1)
    for i in range(n):
        ones = np.flatnonzero(P[i] == 1.0)
        if ones.size:
            succ[i] = ones[0]
    for start in range(n):
        path, v = [], start
        while v != -1 and v not in path and len(path) <= n:
            path.append(v)
            v = succ[v]
        if v != -1 and v in path:
            return sorted(int(u) for u in path[path.index(v) :])
    return None


def transitive_closure(P) -> np.ndarray:
    """``R[i, j]``: a walk of length >= 1 leads from i to j (boolean, by repeated squaring).

    Parameters
    ----------
    P : array_like, shape (n, n)

    Returns
    -------
    numpy.ndarray of bool, shape (n, n)
        Its diagonal marks the tokens on a closed walk: the reference for
        :func:`repetition.cyclic_components`.

    Examples
    --------
    >>> transitive_closure([[0, 1], [0, 0]]).tolist()
    [[False, True], [False, False]]
    """
    P = np.asarray(P, dtype=float)
    n = P.shape[0]
    R = P > 0
    for _ in range(max(1, math.ceil(math.log2(max(n, 2))) + 1)):
        R = R | ((R.astype(np.int64) @ R.astype(np.int64)) > 0)
    return R


def greedy_path_survives(G) -> bool:
    """Whether following the greedy successor from some token is still alive after n steps.

    Parameters
    ----------
    G : array_like, shape (n, n)
        A greedy decoder: each row zero or a single 1.

    Returns
    -------
    bool
        True exactly when the successor map has a cycle, i.e. greedy decoding
        never ends from some start (book, :numref:`Chapter %s <chapter-decoding>`, theorem
        :prf:ref:`thm-greedy-functional`): the reference for ``R(G) = ∞``.

    Examples
    --------
    >>> greedy_path_survives([[0, 1], [1, 0]]), greedy_path_survives([[0, 1], [0, 0]])
    (True, False)
    """
    G = np.asarray(G, dtype=float)
    n = G.shape[0]
    succ = np.where(G.sum(axis=1) > 0, G.argmax(axis=1), -1)
    state = np.arange(n)
    for _ in range(n):
        state = np.where(state >= 0, succ[np.maximum(state, 0)], -1)
    return bool(np.any(state >= 0))


# ---------------------------------------------------------------------------
# The perturbed bigram


def perturbed_terms_by_signs(P, c, k: int) -> np.ndarray:
    """``R'_k`` for every ± assignment of the 2k step matrices ``P ± c`` (all ``2^(2k m)`` patterns, m = #{c_ij > 0}).

    Parameters
    ----------
    P, c : array_like, shape (n, n)
        The bigram and the perturbation amplitudes.
    k : int

    Returns
    -------
    numpy.ndarray, shape (2^(2 k m),)
        Equally likely values of ``R'_k``: their mean and variance are the
        reference for :func:`repetition.perturbed_rate_moments` (book,
        :numref:`Chapter %s <chapter-general-autoregressive>`, :prf:ref:`thm-ar-perturbed`).

    Examples
    --------
    >>> perturbed_terms_by_signs([[0.5]], [[0.1]], 1).tolist()   # (0.5 ± 0.1)(0.5 ± 0.1)
    [0.16000000000000003, 0.24, 0.24, 0.36]
    """
    P, c = np.asarray(P, dtype=float), np.asarray(c, dtype=float)
    n = P.shape[0]
    pos = np.argwhere(c > 0)
    m = len(pos)
    bits = 2 * k * m
    codes = np.arange(2**bits)[:, None] >> np.arange(bits)[None, :]
    signs = ((codes & 1) * 2.0 - 1.0).reshape(2**bits, 2 * k, m)
    B = np.broadcast_to(P, (signs.shape[0], 2 * k, n, n)).copy()
    B[:, :, pos[:, 0], pos[:, 1]] += c[pos[:, 0], pos[:, 1]] * signs
    X = B[:, 0] * B[:, k]
    for t in range(1, k):
        X = X @ (B[:, t] * B[:, k + t])
    return np.trace(X, axis1=1, axis2=2)


def perturbed_moments_by_walk_pairs(P, c, k: int) -> tuple[float, float]:
    """``E R'_k`` and ``Var R'_k`` expanded over (pairs of) closed k-walks.

    ``R'_k = Σ_γ Π_t X_t(γ_t)`` with ``X_t(e) = B'_t(e) B'_(k+t)(e)``; the
    ``X_t`` are independent across t and entries, ``E X(e) = P_e^2`` and
    ``E X(e)^2 = (E B'(e)^2)^2``, the mean of ``(P_e ± c_e)^2`` over the two
    signs, squared.

    Parameters
    ----------
    P, c : array_like, shape (n, n)
    k : int

    Returns
    -------
    (float, float)
        The mean and the variance: a reference for
        :func:`repetition.perturbed_rate_moments` (book, :numref:`Chapter %s <chapter-general-autoregressive>`).

    Examples
    --------
    >>> mean, var = perturbed_moments_by_walk_pairs([[0.5]], [[0.1]], 1)
    >>> round(float(mean), 12), round(float(var), 12)   # E X^2 = ((0.6^2 + 0.4^2)/2)^2
    (0.25, 0.0051)
    """
    P, c = np.asarray(P, dtype=float), np.asarray(c, dtype=float)
    n = P.shape[0]
    second_B = ((P + c) ** 2 + (P - c) ** 2) / 2
    walks = list(itertools.product(range(n), repeat=k))
    edges = [[(w[t], w[(t + 1) % k]) for t in range(k)] for w in walks]
    mean = sum(math.prod(P[e] ** 2 for e in es) for es in edges)
    second = 0.0
    for es in edges:
        for fs in edges:
            second += math.prod(
                second_B[e] ** 2 if e == f else P[e] ** 2 * P[f] ** 2
                for e, f in zip(es, fs, strict=True)
            )
    return mean, second - mean**2


def paper_perturbed_arp_by_signs(P, delta, K: int) -> np.ndarray:
    """``ARP'_K`` of the paper's Theorem 2 for every sign pattern of ``T_t = ±δ`` (all ``2^(2K n²)`` patterns).

    Parameters
    ----------
    P : array_like, shape (n, n)
        The bigram (the paper's ``B``); ``ζn = nnz(P) / n``.
    delta : float
        Every entry of every ``T_t`` is ``+δ`` or ``-δ`` (mean 0, variance ``δ²``).
    K : int
        Terms kept; ``2K n²`` must be at most 20.

    Returns
    -------
    numpy.ndarray, shape (2^(2K n²),)
        The equally likely values of ``Σ_(r<=K) Tr(B'_1 ⋯ B'_(2r)) / (ζn)^r``,
        ``B'_t = P + T_t``: the reference for
        :func:`repetition.perturbation.paper_perturbed_arp` and, through their
        mean square, for :func:`repetition.perturbation.paper_theorem2` (book,
        :numref:`Chapter %s <chapter-general-autoregressive>`, :prf:ref:`thm-ar-paper-theorem2`).

    Raises
    ------
    ValueError
        If ``2K n² > 20``.

    Examples
    --------
    >>> v = paper_perturbed_arp_by_signs([[0.5]], 0.1, 1)   # ζn = 1: (0.5 ± 0.1)(0.5 ± 0.1)
    >>> sorted(round(float(x), 12) for x in v)
    [0.16, 0.24, 0.24, 0.36]
    """
    P = np.asarray(P, dtype=float)
    n = P.shape[0]
    bits = 2 * K * n * n
    if bits > 20:
        raise ValueError(
            f"2K n² = {bits} sign bits is too many to enumerate (at most 20)"
        )
    zeta_n = np.count_nonzero(P) / n
    codes = np.arange(2**bits)[:, None] >> np.arange(bits)[None, :]
    B = P + delta * ((codes & 1) * 2.0 - 1.0).reshape(2**bits, 2 * K, n, n)
    X = B[:, 0]
    total = np.zeros(2**bits)
    for t in range(1, 2 * K):
        X = X @ B[:, t]
        if t % 2 == 1:
            total += np.trace(X, axis1=1, axis2=2) / zeta_n ** ((t + 1) // 2)
    return total


def paper_perturbed_second_moments(P, delta2, K: int) -> tuple[list, list]:
    """Exact second moments of the traces in the paper's Theorem 2, by products of ``Ψ = P ⊗ P + δ² vec(I) vec(I)ᵀ``.

    Parameters
    ----------
    P : matrix of shape (n, n)
        Exact entries (int, ``Fraction``, sympy numbers) or floats.
    delta2 : number
        The variance ``δ²`` of every entry of every ``T_t``.
    K : int
        Largest term index, >= 1.

    Returns
    -------
    S : list of lists, K x K
        ``S[r-1][s-1] = E Tr(B'_1 ⋯ B'_(2r)) Tr(B'_1 ⋯ B'_(2s))``, computed as
        ``Tr(Ψ^(2r) (I ⊗ P^(2(s-r))))`` for ``r <= s`` (independent factors,
        ``E(B'_t ⊗ B'_t) = Ψ``, the mixed-product rule).
    t : list
        ``t[r-1] = Tr(P^(2r))``, the mean of ``Tr(B'_1 ⋯ B'_(2r))``.
        ``Σ_(r,s<=K) (S - t tᵀ)_rs / (ζn)^(r+s)`` is ``E (ARP'_K - ARP_K)²``:
        the reference for :func:`repetition.perturbation.paper_theorem2`
        (book, :numref:`Chapter %s <chapter-general-autoregressive>`, :prf:ref:`prop-ar-mean-square`).

    Examples
    --------
    >>> S, t = paper_perturbed_second_moments([[Fraction(1, 2)]], Fraction(1, 100), 1)
    >>> S, t            # E((1/2 + T1)(1/2 + T2))² = (1/4 + 1/100)², Tr(P²) = 1/4
    ([[Fraction(169, 2500)]], [Fraction(1, 4)])
    """
    Pm = _rows(P)
    n = len(Pm)
    idx = [(a, c) for a in range(n) for c in range(n)]
    M = [
        [Pm[a][b] * Pm[c][d] + (delta2 if (a == c and b == d) else 0) for (b, d) in idx]
        for (a, c) in idx
    ]
    M2 = _matmul(M, M)
    P2 = _matmul(Pm, Pm)
    t = [
        sum(exact_matrix_power(P2, r)[i][i] for i in range(n)) for r in range(1, K + 1)
    ]
    C = [exact_matrix_power(P2, d) for d in range(K)]
    S = [[0] * K for _ in range(K)]
    X = M2
    for r in range(1, K + 1):
        for s in range(r, K + 1):
            Cd = C[s - r]
            value = sum(
                X[a * n + c][a * n + d] * Cd[d][c]
                for a in range(n)
                for c in range(n)
                for d in range(n)
            )
            S[r - 1][s - 1] = S[s - 1][r - 1] = value
        X = _matmul(X, M2)
    return S, t


# ---------------------------------------------------------------------------
# High precision (mpmath)


def high_precision_repetition_rate(P, dps: int = 60):
    """``R = Σ_ij A_ji ((I - A)^{-1})_ij`` in ``dps``-digit arithmetic from the exact float64 entries (mpmath).

    Parameters
    ----------
    P : array_like, shape (n, n), float64
    dps : int, default 60
        Decimal digits of working precision.

    Returns
    -------
    mpmath.mpf
        The reference for :func:`repetition.repetition_rate` near
        ``ρ(A) = 1``, where float64 solves lose digits.

    Examples
    --------
    >>> float(high_precision_repetition_rate([[0.5]]))   # 1/4 / (3/4)
    0.3333333333333333
    """
    import mpmath

    P = np.asarray(P, dtype=float)
    with mpmath.workdps(dps):
        n = P.shape[0]
        A = mpmath.matrix([[mpmath.mpf(float(x)) ** 2 for x in row] for row in P])
        M = (mpmath.eye(n) - A) ** -1
        return sum(A[j, i] * M[i, j] for i in range(n) for j in range(n))


def high_precision_spectral_radius(P, dps: int = 60):
    """``ρ(P ⊙ P)`` in ``dps``-digit arithmetic from the exact float64 entries (mpmath).

    Parameters
    ----------
    P : array_like, shape (n, n), float64
    dps : int, default 60

    Returns
    -------
    mpmath.mpf
        The reference for :func:`repetition.spectral_radius` of
        ``hadamard_square(P)`` near 1.

    Examples
    --------
    >>> # A = [[0, 1], [1/16, 0]]: eigenvalues ±1/4
    >>> float(high_precision_spectral_radius([[0.0, 1.0], [0.25, 0.0]]))
    0.25
    """
    import mpmath

    P = np.asarray(P, dtype=float)
    with mpmath.workdps(dps):
        A = mpmath.matrix([[mpmath.mpf(float(x)) ** 2 for x in row] for row in P])
        eigenvalues = mpmath.eig(A, left=False, right=False)
        if isinstance(eigenvalues, tuple):  # some mpmath versions return (E,)
            eigenvalues = eigenvalues[0]
        return max(abs(v) for v in eigenvalues)


# ---------------------------------------------------------------------------
# The paper's ARP, the whole series (exact rational arithmetic)


def _m_matrix_inverse(M: list) -> list | None:
    """``M^{-1}`` of a Z-matrix by Gauss-Jordan without pivoting; None if no M-matrix.

    A Z-matrix (off-diagonal entries <= 0) is a nonsingular M-matrix exactly
    when every pivot of elimination without row exchanges is positive (the
    pivots are ratios of consecutive leading principal minors).
    """
    n = len(M)
    W = [
        list(row) + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(M)
    ]
    for c in range(n):
        if W[c][c] <= 0:
            return None
        inv = 1 / W[c][c]
        W[c] = [x * inv for x in W[c]]
        for r in range(n):
            if r != c and W[r][c] != 0:
                f = W[r][c]
                W[r] = [a - f * b for a, b in zip(W[r], W[c], strict=True)]
    return [row[n:] for row in W]


def exact_arp(P, form: str):
    """The paper's average repetition probability, the whole series, exactly.

    Parameters
    ----------
    P : matrix of shape (n, n)
        Entries convertible to ``fractions.Fraction`` (floats are taken as the
        exact rationals they are); meant for a handful of tokens (the
        corrected form works on ``n²`` states).
    form : {"printed", "corrected"}
        ``Σ_k Tr(P^(2k)) / (ζn)^k`` or ``Σ_k Tr(P^k ⊙ P^k) / (ζn)^k``.

    Returns
    -------
    Fraction or float
        The sum of the series as a Fraction, or ``math.inf`` when it
        diverges; ``Fraction(0)`` for the zero matrix. With ``X = P² / ζn``
        (printed) or ``X = (P ⊗ P) / ζn`` (corrected; ``((P^k)_ii)²`` is the
        diagonal entry of ``(P ⊗ P)^k`` at the pair ``(i, i)``), the series
        is ``Σ_d [X (I - X)^{-1}]_dd = Σ_d ([(I - X)^{-1}]_dd - 1)`` over
        ``d = i`` (printed) or ``d = (i, i)`` (corrected), when ``ρ(X) < 1``,
        i.e. when ``I - X`` is a nonsingular M-matrix; otherwise it diverges
        (book, :numref:`Chapter %s <chapter-rebalanced>`, eq. :eq:`eq-arp-closed`). The reference for
        :func:`repetition.average_repetition_probability`, sharing no code
        with it.

    Raises
    ------
    ValueError
        For an unknown ``form``.

    Examples
    --------
    >>> exact_arp([[0, 0.5], [0.5, 0]], "printed")    # 2 (1/4) / (1 - 1/4)
    Fraction(2, 3)
    >>> exact_arp([[0, 0.5], [0.5, 0]], "corrected")  # 2 (1/16) / (1 - 1/16)
    Fraction(2, 15)
    >>> exact_arp([[0, 1], [1, 0]], "printed")         # ρ(P)² = 1 = ζn
    inf
    """
    if form not in ("printed", "corrected"):
        raise ValueError(f"form must be 'printed' or 'corrected', got {form!r}")
    Pf = [[Fraction(x) for x in row] for row in _rows(P)]
    n = len(Pf)
    nnz = sum(1 for row in Pf for x in row if x != 0)
    if nnz == 0:
        return Fraction(0)
    c = Fraction(nnz, n)
    if form == "printed":
        X = [[x / c for x in row] for row in _matmul(Pf, Pf)]
        diagonal = range(n)
    else:
        pairs = [(a, b) for a in range(n) for b in range(n)]
        X = [[Pf[a][c_] * Pf[b][d] / c for c_, d in pairs] for a, b in pairs]
        diagonal = [i * n + i for i in range(n)]
    m = len(X)
    inverse = _m_matrix_inverse(
        [[int(i == j) - X[i][j] for j in range(m)] for i in range(m)]
    )
    if inverse is None:
        return math.inf
    return sum((inverse[d][d] - 1 for d in diagonal), Fraction(0))


# ---------------------------------------------------------------------------
# Elimination that carries a derivative (exact arithmetic)


def _reciprocal(x):
    """``1 / x`` that stays exact for a Python int (a Fraction), in the arithmetic of ``x`` otherwise."""
    return Fraction(1, x) if isinstance(x, int) else 1 / x


def _nonpositive(x) -> bool:
    """Whether ``x <= 0``; False for a symbolic expression whose sign is not decided."""
    try:
        return bool(x <= 0)
    except TypeError:
        return False


def exact_elimination_round(A, D, J) -> tuple[list, list, object]:
    """One round of the elimination that carries a derivative, in exact arithmetic.

    Parameters
    ----------
    A, D : matrix of shape (m, m)
        The current matrix ``Ã`` and its derivative ``D`` (nested lists, numpy
        object arrays or sympy matrices; entries in any exact arithmetic:
        ints, Fractions, sympy numbers or symbols).
    J : sequence of int
        The tokens to eliminate: distinct indices in ``range(m)``, pairwise
        non-adjacent in ``A`` (``A[i][j] == 0`` for distinct ``i, j`` in ``J``).

    Returns
    -------
    (list, list, number)
        ``(A_new, D_new, gain)`` on the kept tokens ``K`` (the indices not in
        ``J``, in increasing order), with ``f_j = 1 / (1 - a_jj)``::

            A_new = A_KK + A_KJ F A_JK,
            D_new = D_KK + D_KJ F A_JK + A_KJ F D_JK + A_KJ F' A_JK,
            gain  = Σ_j d_jj f_j,      F = diag(f_j),  F' = diag(d_jj f_j²),

        the update of the book's :numref:`Chapter %s <chapter-word-scale>` (theorem
        :prf:ref:`thm-scale-elimination`, eq. :eq:`eq-scale-round`): ``A_new`` is the
        matrix left by the Schur complement of the block ``J`` of ``I - A``,
        ``D_new`` its derivative by the product rule, and ``gain`` what the
        round adds to ``-d/dt log det``. Written with plain sums of products,
        sharing no code with the package's floating-point elimination, for
        which it is the reference.

    Raises
    ------
    ValueError
        If ``J`` is empty, repeats an index or leaves ``range(m)``, if two
        tokens of ``J`` are adjacent in ``A``, or if a pivot ``1 - a_jj`` is a
        number <= 0 (a symbolic pivot is not checked).

    Examples
    --------
    A 2-cycle ``0 <-> 1`` with weights 1/4 and 1/2, eliminated from ``I - tA``
    (``D = A``): the loop left at token 1 has weight 1/8 and, as a walk of two
    steps, derivative 2/8; ``R = 0 + (1/4)/(1 - 1/8) = 2/7``.

    >>> from fractions import Fraction as F
    >>> A = [[0, F(1, 4)], [F(1, 2), 0]]
    >>> exact_elimination_round(A, A, [0])
    ([[Fraction(1, 8)]], [[Fraction(1, 4)]], Fraction(0, 1))
    """
    At, Dt = _rows(A), _rows(D)
    m = len(At)
    J = [int(j) for j in J]
    if not J or len(set(J)) != len(J) or not all(0 <= j < m for j in J):
        raise ValueError(f"J must list distinct indices in range({m}), got {J}")
    for a in J:
        for b in J:
            if a != b and At[a][b] != 0:
                raise ValueError(
                    f"J must be pairwise non-adjacent in A, but A[{a}][{b}] = {At[a][b]}"
                )
    f = {}
    for j in J:
        pivot = 1 - At[j][j]
        if _nonpositive(pivot):
            raise ValueError(f"the pivot 1 - A[{j}][{j}] = {pivot} is not positive")
        f[j] = _reciprocal(pivot)
    K = [k for k in range(m) if k not in f]
    A_new = [
        [At[k][c] + sum((At[k][j] * f[j] * At[j][c] for j in J), 0) for c in K]
        for k in K
    ]
    D_new = [
        [
            Dt[k][c]
            + sum(
                (
                    Dt[k][j] * f[j] * At[j][c]
                    + At[k][j] * f[j] * Dt[j][c]
                    + At[k][j] * Dt[j][j] * f[j] * f[j] * At[j][c]
                    for j in J
                ),
                0,
            )
            for c in K
        ]
        for k in K
    ]
    gain = sum((Dt[j][j] * f[j] for j in J), 0)
    return A_new, D_new, gain


def exact_expected_repeats(P, start, K: int | None = None):
    """Expected visits and expected repeats of a decoder run to its end token, in exact arithmetic (sympy).

    Parameters
    ----------
    P : matrix of shape (n, n)
        Exact entries (Fractions, ints, sympy numbers or symbols), rows
        summing to at most 1, with ``ρ(P) < 1`` (every token reaches the end
        token).
    start : sequence of length n
        The start distribution ``π``, exact entries.
    K : int, optional
        Also return ``M_k`` for ``k = 1..K``.

    Returns
    -------
    (list, sympy expression, list or None)
        ``v = πᵀ (I - P)^{-1}`` (book, :numref:`Chapter %s <chapter-expected-repeats>`, eq. :eq:`eq-visits`), ``M =
        Σ_i v_i [A (I - A)^{-1}]_ii`` with ``A = P ⊙ P`` (theorem
        :prf:ref:`thm-expected-repeats`) and the terms ``M_k = Σ_i v_i (A^k)_ii``,
        from sympy's exact inverses: the reference for
        :func:`repetition.expected_visits` and
        :func:`repetition.expected_repeats`.

    Raises
    ------
    ValueError
        If ``I - P`` is singular (some token never reaches the end token); if
        ``P`` is not square, or ``start`` not of length n; if a numeric entry
        of ``P`` or ``start`` is negative, a row of ``P`` sums above 1 or
        ``start`` does not sum to 1 (symbolic entries are not checked).

    Examples
    --------
    >>> import sympy
    >>> p = sympy.Symbol("p", positive=True)
    >>> v, M, terms = exact_expected_repeats([[p]], [1], K=2)
    >>> sympy.simplify(v[0] - 1 / (1 - p))
    0
    >>> sympy.simplify(M - p**2 / ((1 - p) * (1 - p**2)))
    0
    >>> [sympy.simplify(term * (1 - p)) for term in terms]
    [p**2, p**4]
    """
    import sympy

    _check_exact_decoder(_rows(P), list(start))
    Pm = sympy.Matrix(_rows(P))
    n = Pm.shape[0]
    eye = sympy.eye(n)
    if sympy.simplify((eye - Pm).det()) == 0:
        raise ValueError(
            "I - P is singular: some token never reaches the end token, and v is infinite"
        )
    v = sympy.Matrix([list(start)]) * (eye - Pm).inv()
    A = Pm.applyfunc(lambda x: x**2)
    d = (A * (eye - A).inv()).diagonal()
    M = sympy.simplify(sum((v[i] * d[i] for i in range(n)), sympy.Integer(0)))
    terms = None
    if K is not None:
        powers = [A**k for k in range(1, K + 1)]
        terms = [
            sympy.simplify(sum((v[i] * X[i, i] for i in range(n)), sympy.Integer(0)))
            for X in powers
        ]
    return [sympy.simplify(x) for x in v], M, terms


def enumerated_repeats(P, start, m: int):
    """Expected immediate repeats within the first m positions, by enumerating every prefix; a bound on the rest.

    Parameters
    ----------
    P : matrix of shape (n, n)
        Exact entries (Fractions or ints), entries >= 0 and rows summing to
        at most 1, with ``ρ(P) < 1``; the missing mass of row ``i`` is the
        probability of the end token after token ``i``.
    start : sequence of length n
        The start distribution ``π`` of the first token, exact entries.
    m : int
        Prefix length (>= 1): every prefix ``y_0 ... y_{l-1}``, ``l <= m``,
        of positive probability is enumerated.

    Returns
    -------
    (Fraction, Fraction)
        ``partial``: the expected number of events ``(t, k)``, ``k >= 1``,
        with ``t + 2k <= m - 1`` (the segment ``y_t ... y_{t+2k}`` reads
        ``w_1 ... w_k w_1 ... w_k w_1`` and lies in the first m positions),
        each counted in the prefix that ends at its last position and
        weighted by that prefix's probability ``π(y_0) Π_t P[y_{t-1}, y_t]``.
        ``bound``: an upper bound on the expected number of the other events:
        at most ``⌊e/2⌋`` events end at position ``e`` (one per length), and
        position ``e`` is reached with probability ``πᵀ P^e 1``, so the rest
        is at most ``½ Σ_{e>=m} e πᵀ P^e 1 = ½ πᵀ P^m (m N + P N²) 1`` with
        ``N = (I - P)^{-1}``. The expected number of repeats in one sequence
        generated until the end token lies in ``[partial, partial + bound]``.

    Raises
    ------
    ValueError
        If ``m`` is not an integer >= 1, ``I - P`` is singular (the bound is
        then infinite), or ``P`` and ``start`` are not a decoder and a start
        distribution (as in :func:`exact_expected_repeats`).

    Notes
    -----
    The independent check of book, :numref:`Chapter %s <chapter-expected-repeats>`, theorem
    :prf:ref:`thm-expected-repeats`: events are found by comparing tokens, as in
    the :prf:ref:`def-repeated-subsequence`, and no matrix formula for
    them is used. The cost grows like the number of prefixes of positive
    probability.

    Examples
    --------
    One token that follows itself with probability 1/2: the expected number
    of repeats is ``p² / ((1 - p)(1 - p²)) = 2/3``.

    >>> from fractions import Fraction as F
    >>> partial, bound = enumerated_repeats([[F(1, 2)]], [1], 20)
    >>> partial <= F(2, 3) <= partial + bound, float(bound) < 1e-4
    (True, True)
    """
    import sympy

    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise ValueError(f"m must be an integer >= 1, got {m!r}")
    rows = [[Fraction(x) for x in row] for row in _rows(P)]
    n = len(rows)
    pi = [Fraction(x) for x in start]
    _check_exact_decoder(rows, pi)
    partial = Fraction(0)
    stack = [((i,), pi[i]) for i in range(n) if pi[i] != 0]
    while stack:
        y, prob = stack.pop()
        e = len(y) - 1  # count the events whose last position is e
        partial += prob * sum(
            1 for k in range(1, e // 2 + 1) if y[e - 2 * k : e - k + 1] == y[e - k :]
        )
        if len(y) < m:
            stack.extend(
                (y + (j,), prob * rows[y[-1]][j])
                for j in range(n)
                if rows[y[-1]][j] != 0
            )
    Pm = sympy.Matrix(rows)
    if (sympy.eye(n) - Pm).det() == 0:
        raise ValueError(
            "I - P is singular: sequences need not end, and the rest is unbounded"
        )
    N = (sympy.eye(n) - Pm).inv()
    ones = sympy.ones(n, 1)
    rest = sympy.Matrix([pi]) * Pm**m * (m * N + Pm * N * N) * ones / 2
    return partial, Fraction(str(rest[0, 0]))


def _check_exact_decoder(rows: list, start: list) -> None:
    """Refuse a non-square ``P``, a ``start`` of the wrong length, and numeric entries that are no decoder."""
    import sympy

    n = len(rows)
    if any(len(row) != n for row in rows):
        raise ValueError(
            f"P must be square, got rows of lengths {[len(row) for row in rows]}"
        )
    if len(start) != n:
        raise ValueError(
            f"start must have one entry per token (n = {n}), got {len(start)}"
        )

    def numeric(x):
        x = sympy.sympify(x)
        return x.is_number, x

    for i, row in enumerate(rows):
        values = [numeric(x) for x in row]
        if any(ok and x < 0 for ok, x in values):
            raise ValueError(f"P must have entries >= 0, row {i} is {row}")
        if all(ok for ok, _ in values) and sum(x for _, x in values) > 1:
            raise ValueError(
                f"rows of P must sum to at most 1, row {i} sums to {sum(x for _, x in values)}"
            )
    values = [numeric(x) for x in start]
    if any(ok and x < 0 for ok, x in values):
        raise ValueError(f"start must have entries >= 0, got {list(start)}")
    if all(ok for ok, _ in values) and sum(x for _, x in values) != 1:
        raise ValueError(
            f"start must sum to 1, got {list(start)} (sum {sum(x for _, x in values)})"
        )
