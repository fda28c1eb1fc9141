"""Row sums of ``A = P ⊙ P`` and the Frobenius interval for its spectral radius.

Book, Chapter 6 (after the blog's section 再次结论, Su 2021): for a nonnegative
matrix the spectral radius lies between the smallest and the largest row sum
(theorem ``thm-frobenius-interval``). Applied to ``A = P ⊙ P`` the row sums are
``r_i = Σ_j P_ij²``, and ``r_i >= s_i² / nnz_i`` with ``s_i = Σ_j P_ij``
(eq. ``eq-row-square-floor``): rows that spread their mass evenly keep ``ρ(A)``
small. The module also holds the paper's average repetition probability (ARP),
as printed and corrected, truncated after K terms with a rigorous tail bound
(Chapter 7, eq. ``eq-arp-tail``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._validation import as_transition_matrix, check_dtype, check_positive_int

__all__ = [
    "row_sums",
    "row_square_sums",
    "row_square_sum_floor",
    "row_sum_interval",
    "frobenius_interval",
    "arp_terms",
    "arp_tail_bound",
]

_ARP_FORMS = ("corrected", "printed")


def row_sums(P) -> np.ndarray:
    """Row sums ``s_i = Σ_j P_ij`` of a transition matrix.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        ``s_i``, the probability that token ``i`` is followed by a token
        rather than by the end token (``1 - s_i`` is the end probability).

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> row_sums([[0.5, 0.25], [0.0, 1.0]]).tolist()
    [0.75, 1.0]
    """
    P = as_transition_matrix(P)
    return np.asarray(P.sum(axis=1), dtype=np.float64).ravel()


def row_square_sums(P) -> np.ndarray:
    """Row sums ``r_i = Σ_j P_ij²`` of ``A = P ⊙ P``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        ``r_i``: the probability that two independent draws of the successor
        of token ``i`` give the same token (book, Chapter 6, eq.
        ``eq-row-square-floor``). ``0 <= r_i <= s_i² <= 1``.

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> row_square_sums([[0.5, 0.5], [0.0, 1.0]]).tolist()
    [0.5, 1.0]
    """
    P = as_transition_matrix(P)
    if sp.issparse(P):
        A = P.copy()
        A.data = A.data * A.data
        return np.asarray(A.sum(axis=1), dtype=np.float64).ravel()
    return (P * P).sum(axis=1)


def row_square_sum_floor(P) -> np.ndarray:
    """The Cauchy–Schwarz floor ``s_i² / nnz_i`` of each ``r_i = Σ_j P_ij²``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)
        ``s_i² / nnz_i`` where ``nnz_i`` is the number of positive entries of
        row ``i`` (0 for an empty row). ``r_i >= s_i² / nnz_i >= s_i² / n``,
        with equality in the first step exactly when row ``i`` is constant on
        its support (book, Chapter 6, theorem ``thm-row-square-floor``).

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> row_square_sum_floor([[0.25, 0.25, 0.0], [0.5, 0.25, 0.25], [0.0, 0.0, 0.0]]).tolist()
    [0.125, 0.3333333333333333, 0.0]
    """
    P = as_transition_matrix(P)
    s = np.asarray(P.sum(axis=1), dtype=np.float64).ravel()
    if sp.issparse(P):
        nnz = np.diff(P.indptr) - np.bincount(
            np.repeat(np.arange(P.shape[0]), np.diff(P.indptr))[P.data == 0], minlength=P.shape[0]
        )
    else:
        nnz = np.count_nonzero(P, axis=1)
    return np.divide(s * s, nnz, out=np.zeros_like(s), where=nnz > 0)


def row_sum_interval(M) -> tuple[float, float]:
    """Smallest and largest row sum of a nonnegative square matrix.

    Parameters
    ----------
    M : array_like or scipy.sparse matrix, shape (n, n)
        Any nonnegative square matrix (rows need not sum to at most 1).

    Returns
    -------
    (float, float)
        ``(min_i Σ_j M_ij, max_i Σ_j M_ij)``. The spectral radius ``ρ(M)``
        lies in this interval (book, Chapter 6, theorem
        ``thm-frobenius-interval``; Horn & Johnson, Thm. 8.1.22).

    Raises
    ------
    TypeError
        For a complex, boolean or object dtype.
    ValueError
        If ``M`` is not a non-empty square matrix or has negative, NaN or
        infinite entries.

    Examples
    --------
    >>> row_sum_interval([[1, 2], [0, 3]])
    (3.0, 3.0)
    """
    if sp.issparse(M):
        M = sp.csr_array(M)
        check_dtype(np.empty(0, dtype=M.dtype), "M")
        values = M.data
    else:
        M = np.asarray(M)
        check_dtype(M, "M")
        values = M
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.shape[0] == 0:
        raise ValueError(f"M must be a non-empty square matrix of shape (n, n), got shape {M.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("M has NaN or infinite entries")
    if np.any(values < 0):
        raise ValueError(f"M has negative entries (e.g. {float(values[values < 0][0])!r}); the row-sum interval holds for nonnegative matrices")
    sums = np.asarray(M.sum(axis=1), dtype=np.float64).ravel()
    return float(sums.min()), float(sums.max())


def frobenius_interval(P) -> tuple[float, float]:
    """The Frobenius interval ``(min_i r_i, max_i r_i)`` containing ``ρ(P ⊙ P)``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    (float, float)
        The smallest and largest ``r_i = Σ_j P_ij²``; ``ρ(P ⊙ P)`` lies
        between them (book, Chapter 6, eq. ``eq-frobenius-interval``; blog
        section 再次结论).

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> frobenius_interval([[0.5, 0.5], [0.0, 1.0]])
    (0.5, 1.0)
    """
    r = row_square_sums(P)
    return float(r.min()), float(r.max())


def _check_form(form: str) -> str:
    if form not in _ARP_FORMS:
        raise ValueError(f"form must be one of {_ARP_FORMS}, got {form!r}")
    return form


def _mean_out_degree(P) -> float:
    nnz = int(np.count_nonzero(P.data)) if sp.issparse(P) else int(np.count_nonzero(P))
    return nnz / P.shape[0]


def arp_terms(P, K: int, form: str = "corrected") -> np.ndarray:
    """The first K terms of the paper's average repetition probability (ARP).

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).
    K : int
        Number of terms, >= 1. The cost grows with K: term k needs ``P^k``
        (printed form) or ``P^(k-1)`` (corrected form), which fill in fast at
        word scale; K = 1 needs only ``P`` itself.
    form : {"corrected", "printed"}
        ``"printed"``: term ``Tr(P^(2k)) / (ζn)^k``, Definition 2.3 of Fu et
        al. (2021) as printed; ``"corrected"``: term
        ``Tr(P^k ⊙ P^k) / (ζn)^k = Σ_i ((P^k)_ii)² / (ζn)^k``, the form the
        derivation actually gives (Su 2021, section 原文下界; book, Chapter 3).

    Returns
    -------
    numpy.ndarray of float64, shape (K,)
        Term ``k`` at index ``k - 1``; ``ζn = nnz(P) / n`` is the mean number
        of successors per token. Their sum is the ARP truncated after K terms
        (book, Chapter 7, eq. ``eq-arp-tail``).

    Raises
    ------
    TypeError, ValueError
        For invalid ``P`` or ``K``, or an unknown ``form``.

    Examples
    --------
    >>> P = [[0.0, 0.5], [0.5, 0.0]]
    >>> arp_terms(P, 2, "printed").tolist()    # Tr(P^2) = 0.5, Tr(P^4) = 0.125, ζn = 1
    [0.5, 0.125]
    >>> arp_terms(P, 2, "corrected").tolist()  # diag(P) = 0, diag(P^2) = (1/4, 1/4)
    [0.0, 0.125]
    """
    P = as_transition_matrix(P)
    K = check_positive_int(K, "K")
    form = _check_form(form)
    c = _mean_out_degree(P)
    if c == 0:
        return np.zeros(K)
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
        terms[k - 1] = value / c**k
    return terms


def arp_tail_bound(P, K: int) -> float:
    """An upper bound on what the ARP terms after the K-th add up to.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
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
        ``k >= 2`` (book, Chapter 7, eq. ``eq-arp-tail``).

    Raises
    ------
    TypeError, ValueError
        For invalid ``P`` or ``K``.

    Examples
    --------
    >>> arp_tail_bound([[0.0, 0.5], [0.5, 0.0]], 1)   # ζn = 1: no geometric decay
    inf
    """
    P = as_transition_matrix(P)
    K = check_positive_int(K, "K")
    c = _mean_out_degree(P)
    if c <= 1:
        return float("inf")
    fro2 = float(row_square_sums(P).sum())
    return fro2 * c ** (-K) / (c - 1.0)
