"""The paper's average repetition probability (ARP) in all its forms, and its Theorem 1 with the corollaries.

Fu et al. (2021), Definition 2.3, define ``ARP = Σ_k Tr(B^(2k)) / (ζn)^k``
(``B`` is the book's ``P``; ``ζn`` the mean number of successors per token).
The book (:numref:`Chapter %s <chapter-paper-lower-bound>`, eq. :eq:`eq-paper-term`) shows that the derivation gives
``Tr(P^k ⊙ P^k)`` where the paper prints ``Tr(P^(2k))``: :func:`arp_terms` is
the one home of both terms ("printed" and "corrected"), :func:`arp_tail_bound`
bounds what the terms after the K-th add up to (:numref:`Chapter %s <chapter-rebalanced>`, eq.
:eq:`eq-arp-tail`). :func:`paper_theorem1` is the closed form
``tr(P²(ζnI - P²)^{-1})`` of the printed series with the paper's nuclear-norm
bound, and the same with ``A = P ⊙ P``; :func:`paper_corollaries` its
row-variance and diagonal-dominance corollaries, as read by the book
(:numref:`Chapter %s <chapter-general-autoregressive>`, :prf:ref:`thm-ar-paper-theorem1`,
:prf:ref:`thm-ar-corollaries`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from . import _arp_closed, _linalg, _sparse_rate
from ._validation import check_choice, check_memory, check_positive_int
from .chain import as_chain
from .frobenius import row_square_sums

__all__ = [
    "arp_terms",
    "arp_tail_bound",
    "average_repetition_probability",
    "PaperTheorem1",
    "paper_theorem1",
    "PaperCorollaries",
    "paper_corollaries",
]

#: The two forms of the ARP term: as the derivation gives it, and as the paper prints it.
_ARP_FORMS = ("corrected", "printed")

#: For K > 2 and up to this n the ARP terms come from dense powers of P (n x n arrays); otherwise
#: from sparse powers, which are cheap for K <= 2 and fill in with k (word-level vocabularies).
DENSE_POWER_LIMIT = 5000

#: Largest n for the dense SVD-based quantities of Theorem 1.
DENSE_LIMIT = 3000


def arp_terms(P, K: int, form: str = "corrected") -> np.ndarray:
    """The first K terms of the paper's average repetition probability (ARP).

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    K : int
        Number of terms, >= 1. For K > 2 and up to n = 5,000 tokens the
        powers of ``P`` are formed densely (n x n arrays, shared with the
        lower bounds through the chain); otherwise as sparse matrices, whose
        cost grows fast with K: term k needs ``P^k`` (printed form) or
        ``P^(k-1)`` (corrected form), which fill in fast at word scale; K = 1
        needs only ``P`` itself.
    form : {"corrected", "printed"}
        ``"printed"``: term ``Tr(P^(2k)) / (ζn)^k``, Definition 2.3 of Fu et
        al. (2021) as printed; ``"corrected"``: term
        ``Tr(P^k ⊙ P^k) / (ζn)^k = Σ_i ((P^k)_ii)² / (ζn)^k``, the form the
        derivation actually gives (Su 2021, section 原文下界; book, :numref:`Chapter %s <chapter-paper-lower-bound>`).

    Returns
    -------
    numpy.ndarray of float64, shape (K,)
        Term ``k`` at index ``k - 1``; ``ζn = nnz(P) / n`` is the mean number
        of successors per token (:attr:`repetition.BigramChain.zeta_n`). Their
        sum is the ARP truncated after K terms (book, :numref:`Chapter %s <chapter-rebalanced>`, eq.
        :eq:`eq-arp-tail`). The printed term is the paper's ``T_k`` of the book's
        :numref:`Chapter %s <chapter-paper-lower-bound>` (eq. :eq:`eq-paper-term`); ``n`` times it is the term on the
        scale of ``Tr(A^k)`` (summed over start tokens, Su 2021, 原文下界), and
        ``n`` times the corrected term is
        ``zeta_estimate_term(P, k, form="rows")``. This function is the one
        home of both terms.

    Raises
    ------
    TypeError, ValueError
        For invalid ``P`` or ``K``, or an unknown ``form``; a ValueError
        also for a ``K`` whose arrays (``8 K (2n + 4)`` bytes on the dense
        route, ``24 K`` otherwise) would not fit in physical memory.

    Examples
    --------
    >>> P = [[0.0, 0.5], [0.5, 0.0]]
    >>> arp_terms(P, 2, "printed").tolist()    # Tr(P^2) = 0.5, Tr(P^4) = 0.125, ζn = 1
    [0.5, 0.125]
    >>> arp_terms(P, 2, "corrected").tolist()  # diag(P) = 0, diag(P^2) = (1/4, 1/4)
    [0.0, 0.125]
    """
    chain = as_chain(P)
    K = check_positive_int(K, "K")
    form = check_choice(form, "form", _ARP_FORMS)
    dense = K > 2 and chain.n <= DENSE_POWER_LIMIT
    check_memory(
        K,
        "K",
        8 * (2 * chain.n + 4) if dense else 24,
        f"the terms and the (K, {chain.n}) diagonals of the powers"
        if dense
        else "the terms",
    )
    P = chain.P
    c = float(chain.zeta_n)
    if c == 0:
        return np.zeros(K)
    ks = np.arange(1, K + 1, dtype=np.float64)
    if dense:
        # dense powers (sparse @ dense products for a sparse P), shared with the lower bounds
        diags, squares = chain.power_diagonals(K)
        values = squares if form == "printed" else (diags * diags).sum(axis=1)
        return _per_power(values, c, ks)
    terms = np.empty(K)
    PT = P.T.tocsr() if sp.issparse(P) else P.T
    # printed form: term k needs P^k; corrected form: term k needs P^(k-1)
    power = P  # P^k (printed) or P^(k-1) (corrected, from k = 2 on)
    for k in range(1, K + 1):
        if form == "printed":
            if k > 1:
                power = power @ P
            # Tr(P^k P^k) = Σ_ij (P^k)_ij (P^k)_ji
            M = power.multiply(power.T) if sp.issparse(power) else power * power.T
            value = float(M.sum())
        else:
            if k == 1:
                diag = P.diagonal()
            else:
                if k > 2:
                    power = power @ P
                # (P^k)_ii = Σ_j (P^(k-1))_ij P_ji
                M = power.multiply(PT) if sp.issparse(power) else power * PT
                diag = np.asarray(M.sum(axis=1)).ravel()
            value = float(np.sum(np.asarray(diag) ** 2))
        terms[k - 1] = value
    return _per_power(terms, c, ks)


def _per_power(values: np.ndarray, c: float, ks: np.ndarray) -> np.ndarray:
    """``values / c**ks``; where ``c**k`` overflows, ``exp(log(value) - k log c)`` (no overflow, no warning)."""
    with np.errstate(over="ignore"):
        denominators = c**ks
    out = values / denominators
    huge = ~np.isfinite(denominators) & (values > 0)
    out[huge] = np.exp(np.log(values[huge]) - ks[huge] * math.log(c))
    return out


def arp_tail_bound(P, K: int) -> float:
    """An upper bound on what the ARP terms after the K-th add up to.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    K : int
        Number of terms already summed, >= 1.

    Returns
    -------
    float
        ``||P||_F² (ζn)^(-K) / (ζn - 1)`` when ``ζn > 1``, else ``inf``. Both
        forms' terms with ``k >= 2`` are at most ``||P||_F² / (ζn)^k``:
        ``|Tr(P^(2k))| <= Σ|λ|^(2k) <= Σ|λ|² <= ||P||_F²`` by Schur's
        inequality and ``ρ(P) <= 1``; ``Σ_i ((P^k)_ii)² <= Tr(P^k)`` since
        ``0 <= (P^k)_ii <= 1``, and ``Tr(P^k) <= Σ|λ|^k <= ||P||_F²`` for
        ``k >= 2`` (book, :numref:`Chapter %s <chapter-rebalanced>`, eq. :eq:`eq-arp-tail`).

    Raises
    ------
    TypeError, ValueError
        For invalid ``P`` or ``K``.

    Examples
    --------
    >>> arp_tail_bound([[0.0, 0.5], [0.5, 0.0]], 1)   # ζn = 1: no geometric decay
    inf
    """
    chain = as_chain(P)
    K = check_positive_int(K, "K")
    c = float(chain.zeta_n)
    if c <= 1:
        return float("inf")
    fro2 = float(row_square_sums(chain).sum())
    return fro2 * c ** (-K) / (c - 1.0)


def average_repetition_probability(P, form: str = "corrected") -> float:
    """The paper's average repetition probability (ARP), the whole series, exactly.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1; the missing mass is
        the end token).
    form : {"corrected", "printed"}
        ``"printed"``: ``Σ_{k>=1} Tr(P^{2k}) / (ζn)^k``, Definition 2.3 of Fu
        et al. (2021) as printed; ``"corrected"``:
        ``Σ_{k>=1} Tr(P^k ⊙ P^k) / (ζn)^k = Σ_k Σ_i ((P^k)_ii)² / (ζn)^k``, the
        form the derivation actually gives (Su 2021, section 原文下界; book,
        :numref:`Chapter %s <chapter-paper-lower-bound>`). ``ζn = nnz(P) / n`` is the mean number of successors per
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
        For invalid ``P``, or a ``form`` that is not one of the two strings
        (TypeError for a non-string).
    ValueError
        For ``form="corrected"`` when ``ζn <= 1`` and a component's pair
        chain exceeds 40,000 states or 3e7 entries, or ``ζn`` is so close to
        1 that the Parseval route would need more than 401 nodes (use
        partial sums of :func:`arp_terms` with :func:`arp_tail_bound`); or when
        ``ζn <= 1`` and a large component's spectral radius is within
        rounding of ``sqrt(ζn)``.

    Warns
    -----
    ConditioningWarning
        When the series is close to diverging, so that rounding may cost
        more than ``1e-8`` relative accuracy (the condition number of the
        solves, and the accuracy to expect, are in the message); as
        :func:`repetition_rate` does near ``ρ = 1``.

    Notes
    -----
    Book, :numref:`Chapter %s <chapter-rebalanced>`, eq. :eq:`eq-arp-closed`. The terms of both series are
    :func:`arp_terms` (their one home); this is the whole sum, computed
    without them, and the tests check the two against each other. Printed form: ``½ Tr(C (I - C)^{-1})``
    with the double cover ``C = [[0, B], [B, 0]]``, ``B = P / sqrt(ζn)``,
    computed like the repetition rate (a sum of nonnegative products; sparse
    elimination above 2,500 tokens, so word-level models are within reach;
    the cover has twice as many vertices and a dense remainder about twice
    as large, and on the People's Daily word models it took 8 to 15 times
    as long as the repetition rate; see ``benchmarks/expected_repeats.py``).
    Corrected form: the weighted trace of the pair chain ``(P ⊗ P) / ζn`` at
    the diagonal pairs for small components (``m²`` states for ``m``
    tokens); for large ones, Parseval's identity on the circle
    ``|z| = (ζn)^{-1/2}``, ``Σ_k ((P^k)_ii)² r^{2k} = (1/2π) ∫ |F_i(r e^{iθ})|² dθ``
    with ``F_i(z) = [zP (I - zP)^{-1}]_ii``, by the trapezoidal rule, whose
    error is one-signed and certified below ``1e-14`` relative (the number
    of nodes is chosen from an exact nonnegative trace); each node costs a
    complex elimination and a
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
    >>> # ρ(P)² = 1 = ζn: the printed series diverges
    >>> average_repetition_probability([[0.0, 1.0], [1.0, 0.0]], "printed")
    inf
    """
    chain = as_chain(P)
    form = check_choice(form, "form", _ARP_FORMS)
    return _arp_closed.closed_form(chain, form)


@dataclass(frozen=True)
class PaperTheorem1:
    """The quantities of the paper's Theorem 1, as printed and with ``P ⊙ P``.

    Attributes
    ----------
    zeta_n : float
        ``ζn``: the mean number of successors per token.
    rho_p2 : float
        ``ρ(P²) = ρ(P)²`` from the eigenvalues (rounded); the printed series
        converges iff ``ζn > ρ(P²)``, which :func:`paper_theorem1` decides
        exactly, not from this value.
    arp_printed : float
        ``tr(P²(ζnI - P²)^{-1}) = Σ_k tr(P^(2k)) / (ζn)^k`` (``inf`` if it diverges).
    bound_printed : float
        ``||P²||_* / σ_min(ζnI - P²)``, the printed upper bound.
    nuclear_p2, sigma_min_p2 : float
        Its numerator and denominator.
    arp_hadamard : float
        ``tr(A(ζnI - A)^{-1}) = Σ_k tr(A^k) / (ζn)^k`` with ``A = P ⊙ P``.
    bound_hadamard : float
        ``||A||_* / σ_min(ζnI - A)``.
    """

    zeta_n: float
    rho_p2: float
    arp_printed: float
    bound_printed: float
    nuclear_p2: float
    sigma_min_p2: float
    arp_hadamard: float
    bound_hadamard: float


def _resolvent_trace(X: np.ndarray, c: float) -> float:
    """``tr(X (cI - X)^{-1}) = Σ_{k>=1} tr(X^k) / c^k`` for a nonnegative X with ρ(X) < c (decided by the caller).

    One LU of ``cI - X`` by LAPACK (no warnings filter, so thread-safe); a
    pivot that is exactly 0 in floating point (``ρ(X)`` within rounding of
    ``c``, although below it exactly) raises ``FloatingPointError`` with that
    explanation instead of a solver's internal error.
    """
    n = X.shape[0]
    M = np.asfortranarray(c * np.eye(n) - X)
    lu, piv = _sparse_rate.lu_factor(M)
    (getrs,) = sla.get_lapack_funcs(("getrs",), (lu,))
    Y, _ = getrs(lu, piv, np.asfortranarray(X))
    return float(np.trace(Y))


def paper_theorem1(P) -> PaperTheorem1:
    """The closed form of the paper's ARP and its nuclear-norm bound (Theorem 1).

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n), n <= 3000
        Transition matrix (the paper's ``B``); entries >= 0, row sums <= 1.

    Returns
    -------
    PaperTheorem1
        With ``ζn = nnz(P)/n``: the printed closed form
        ``tr(P²(ζnI - P²)^{-1})`` and bound ``||P²||_* / σ_min(ζnI - P²)``
        (nuclear norm over smallest singular value), and the same two numbers
        with ``A = P ⊙ P`` in place of ``P²``. A series that diverges
        (``ζn <= ρ(P²)``, resp. ``ζn <= ρ(A)``; the theorem's hypothesis
        fails) gives ``inf`` for the closed form and its bound; this is
        decided exactly, in rational arithmetic on the entries of ``P`` (the
        test of :func:`average_repetition_probability`), so ``ζn = ρ(P²)``
        exactly, as for a cycle of ones, is ``inf``, never a singular solve.
        All four are 0 when ``P`` is zero.

    Raises
    ------
    TypeError, ValueError
        For invalid ``P``, or ``n > 3000``.
    FloatingPointError
        If the series converges but ``ζnI - P²`` (or ``ζnI - A``) is singular
        in double precision (its spectral radius within rounding of ``ζn``).

    Notes
    -----
    Book, :numref:`Chapter %s <chapter-general-autoregressive>`, :prf:ref:`thm-ar-paper-theorem1` (the book's reading of
    Fu et al. 2021, Theorem 1): ``Σ_k (X/c)^k = X(cI - X)^{-1}`` for
    ``ρ(X) < c`` and ``|tr(XY)| <= ||X||_* ||Y||_2`` (von Neumann).

    Examples
    --------
    >>> t = paper_theorem1([[0.5, 0.5], [0.5, 0.5]])   # ζn = 2, P² = P
    >>> round(t.arp_printed, 12), round(t.bound_printed, 12)
    (1.0, 1.0)
    """
    chain = as_chain(P)
    P = chain.dense_or_refuse(DENSE_LIMIT, "Theorem 1")
    n = chain.n
    c = float(chain.zeta_n)
    P2 = P @ P
    A = _linalg.dense(chain.A)
    if chain.nnz == 0:
        return PaperTheorem1(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    rho_p2 = float(np.max(np.abs(_linalg.eigvals_scaled(P)))) ** 2
    nuc = float(sla.svdvals(P2, check_finite=False).sum())
    smin = float(sla.svdvals(c * np.eye(n) - P2, check_finite=False).min())
    nuc_a = float(sla.svdvals(A, check_finite=False).sum())
    smin_a = float(sla.svdvals(c * np.eye(n) - A, check_finite=False).min())
    # convergence (ρ(P²) < ζn, ρ(A) < ζn) decided exactly, never from the rounded eigenvalues above
    if _arp_closed.series_converges(chain):
        arp = _resolvent_trace(P2, c)
        bound = nuc / smin if smin > 0 else math.inf
    else:
        arp = bound = math.inf
    if _arp_closed.series_converges(chain, hadamard=True):
        arp_a = _resolvent_trace(A, c)
        bound_a = nuc_a / smin_a if smin_a > 0 else math.inf
    else:
        arp_a = bound_a = math.inf
    return PaperTheorem1(float(c), rho_p2, arp, bound, nuc, smin, arp_a, bound_a)


@dataclass(frozen=True)
class PaperCorollaries:
    """Corollaries 1.1 and 1.2 of the paper's Theorem 1: as printed, and as read by the book.

    Attributes
    ----------
    zeta_n : float
        ``ζn``.
    rank_p2 : int
        ``r``, the rank of ``P²`` (numerical: singular values above
        ``n ε σ_max``, as ``numpy.linalg.matrix_rank``).
    printed_numerator : float
        ``Σ_i Σ_j (P_ij - μ_i)² + Σ_i (1 - b_i)²`` with ``μ_i = s_i / n`` the
        mean of row i and ``1 - b_i = s_i`` its row sum: the numerator of
        Corollary 1.1 as printed.
    printed_1_1 : float
        ``r · printed_numerator / σ_min(ζnI - P²)``: Corollary 1.1 as printed
        (``inf`` when the printed series diverges or the denominator is 0).
    frobenius_sq : float
        ``||P||_F² = Σ_ij P_ij²``, an upper bound on ``||P²||_*`` (Hölder).
    outflow, inflow : numpy.ndarray, shape (n,)
        Row sums and column sums of ``P²``: the two-step probability mass
        leaving token i, and arriving at token j summed over all starts.
    sigma_min_lower : float
        ``g = min_i {½(ζn - outflow_i) + ½(ζn - inflow_i)} = ζn - max_i
        (outflow_i + inflow_i) / 2``, the denominator of Corollary 1.2 as
        printed; a lower bound on ``σ_min(ζnI - P²)`` (meaningful when
        positive).
    printed_1_2 : float
        ``||P²||_* / g``: Corollary 1.2 as printed (``inf`` when ``g <= 0``).
    corollary_1_1 : float
        The book's reading of Corollary 1.1: ``||P||_F² / σ_min(ζnI - P²)``
        (``inf`` when the printed series diverges).
    corollary_1_2 : float
        The book's reading of Corollary 1.2: ``||P||_F² / g`` (``inf`` when
        ``g <= 0``).
    """

    zeta_n: float
    rank_p2: int
    printed_numerator: float
    printed_1_1: float
    frobenius_sq: float
    outflow: np.ndarray
    inflow: np.ndarray
    sigma_min_lower: float
    printed_1_2: float
    corollary_1_1: float
    corollary_1_2: float


def paper_corollaries(P) -> PaperCorollaries:
    """Corollaries 1.1 (row variances) and 1.2 (diagonal dominance) of the paper: printed, and the book's reading.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n), n <= 3000
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    PaperCorollaries
        The printed bounds ``printed_1_1 = r (Σ_ij (P_ij - μ_i)² + Σ_i s_i²)
        / σ_min(ζnI - P²)`` and ``printed_1_2 = ||P²||_* / g`` (Fu et al.
        2021, Corollaries 1.1 and 1.2, as on the authors' slides), and the
        book's reading of the same two ideas, each at least
        :attr:`PaperTheorem1.bound_printed`, hence at least the printed ARP:
        ``||P²||_* <= ||P||_F²`` (Hölder) gives ``corollary_1_1``;
        ``σ_min(M) >= λ_min((M + Mᵀ)/2)`` and Gershgorin's theorem on that
        symmetric part give ``corollary_1_2``, whose denominator ``g``
        shrinks as the largest *inflow* (column sum of ``P²``) grows.

    Raises
    ------
    TypeError, ValueError
        For invalid ``P``, or ``n > 3000``.
    FloatingPointError
        As :func:`paper_theorem1`.

    Notes
    -----
    Book, :numref:`Chapter %s <chapter-general-autoregressive>`, theorems :prf:ref:`thm-ar-paper-theorem1` (as
    printed) and
    :prf:ref:`thm-ar-corollaries` (the book's reading). Printed Corollary 1.2
    assumes ``ζnI - P²`` diagonally dominant; the values here are the
    printed formulas whatever the hypothesis, so a reader can see where the
    denominator ``g`` turns negative.

    Examples
    --------
    >>> c = paper_corollaries([[0.5, 0.5], [0.5, 0.5]])   # ζn = 2, P² = P, rank 1
    >>> c.rank_p2, c.printed_numerator, c.printed_1_1, c.sigma_min_lower, c.printed_1_2
    (1, 2.0, 2.0, 1.0, 1.0)
    >>> c.frobenius_sq, c.corollary_1_2
    (1.0, 1.0)
    """
    chain = as_chain(P)
    P = chain.dense_or_refuse(DENSE_LIMIT, "Corollary 1.1")
    n = chain.n
    c = float(chain.zeta_n)
    P2 = P @ P
    s = P.sum(axis=1)
    numerator = float(((P - s[:, None] / n) ** 2).sum() + (s**2).sum())
    singular = sla.svdvals(P2, check_finite=False)
    top = float(singular.max()) if singular.size else 0.0
    rank = int(np.sum(singular > top * n * np.finfo(float).eps)) if top > 0 else 0
    fro2 = float(np.sum(_linalg.dense(chain.A)))
    outflow = P2.sum(axis=1)
    inflow = P2.sum(axis=0)
    lower = float(c - np.max(outflow + inflow) / 2.0)
    t = paper_theorem1(chain)
    finite = math.isfinite(t.arp_printed) and t.sigma_min_p2 > 0
    c11 = fro2 / t.sigma_min_p2 if finite else math.inf
    printed_11 = rank * numerator / t.sigma_min_p2 if finite else math.inf
    c12 = fro2 / lower if lower > 0 else math.inf
    printed_12 = t.nuclear_p2 / lower if lower > 0 else math.inf
    return PaperCorollaries(
        float(c),
        rank,
        numerator,
        printed_11,
        fro2,
        outflow,
        inflow,
        lower,
        printed_12,
        c11,
        c12,
    )
