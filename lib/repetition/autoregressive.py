"""Beyond the bigram: the paper's Theorem 1 and corollaries, perturbed bigrams, and pair chains.

Book, Chapter 9 (Su 2021, section 一般解码; Fu et al. 2021, Theorems 1-2).
Three pieces:

* the paper's closed form ``tr(P²(ζnI - P²)^{-1})`` of its average
  repetition probability, its nuclear-norm / smallest-singular-value bound,
  the analogue with ``A = P ⊙ P`` in place of ``P²``, and the two
  corollaries (row variances, diagonal dominance / "high inflow"), as read
  by the book (``thm-ar-paper-theorem1``, ``thm-ar-corollaries``);
* a general autoregressive model as a bigram with a fresh random perturbation
  at every step, ``B'_t = P + T_t``: exact moments of its repetition rate
  (``thm-ar-perturbed``) and Monte Carlo;
* a trigram model as a Markov chain on token pairs, so the closed-walk rate
  ``R`` applies unchanged (``thm-ar-lift``).

The paper writes ``B`` for the transition matrix; the book writes ``P``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from ._validation import ROW_SUM_TOLERANCE, as_transition_matrix, check_generator, check_positive_int, check_real
from .corpus import bigram_counts
from .model import sparsity
from .rate import repetition_terms
from .sampling import END, MonteCarloEstimate, repeat_events
from .spectrum import _eigvals

__all__ = [
    "PaperTheorem1",
    "paper_theorem1",
    "PaperCorollaries",
    "paper_corollaries",
    "perturbation_amplitudes",
    "perturbed_matrices",
    "time_varying_repetition_terms",
    "PerturbedMoments",
    "perturbed_rate_moments",
    "perturbed_chains",
    "monte_carlo_perturbed_rate",
    "PairChain",
    "trigram_pair_chain",
    "lift_to_pairs",
    "split_at_rare_tokens",
]

#: Largest n for the dense SVD-based quantities of Theorem 1.
DENSE_LIMIT = 3000

#: Largest n for the exact variance, which works with n² x n² matrices.
MOMENT_LIMIT = 40


def _dense(P, limit: int, what: str) -> np.ndarray:
    P = as_transition_matrix(P)
    n = P.shape[0]
    if n > limit:
        raise ValueError(f"P has n = {n} tokens; {what} is computed densely and accepts n <= {limit}")
    return P.toarray() if sp.issparse(P) else P


# --------------------------------------------------------------------------
# The paper's Theorem 1 and its corollaries


@dataclass(frozen=True)
class PaperTheorem1:
    """The quantities of the paper's Theorem 1, as printed and with ``P ⊙ P``.

    Attributes
    ----------
    zeta_n : float
        ``ζn``: the mean number of successors per token.
    rho_p2 : float
        ``ρ(P²) = ρ(P)²``; the printed series converges iff ``ζn > ρ(P²)``.
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
    """tr(X (cI - X)^{-1}) for a nonnegative X with ρ(X) < c."""
    n = X.shape[0]
    return float(np.trace(sla.solve(c * np.eye(n) - X, X, check_finite=False)))


def paper_theorem1(P) -> PaperTheorem1:
    """The closed form of the paper's ARP and its nuclear-norm bound (Theorem 1).

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n), n <= 3000
        Transition matrix (the paper's ``B``); entries >= 0, row sums <= 1.

    Returns
    -------
    PaperTheorem1
        With ``ζn = nnz(P)/n``: the printed closed form
        ``tr(P²(ζnI - P²)^{-1})`` and bound ``||P²||_* / σ_min(ζnI - P²)``
        (nuclear norm over smallest singular value), and the same two numbers
        with ``A = P ⊙ P`` in place of ``P²``. A series that diverges
        (``ζn <= ρ``) gives ``inf`` for the closed form and its bound.

    Raises
    ------
    TypeError, ValueError
        For invalid ``P``, or ``n > 3000``.

    Notes
    -----
    Book, Chapter 9, theorem ``thm-ar-paper-theorem1`` (the book's reading of
    Fu et al. 2021, Theorem 1): ``Σ_k (X/c)^k = X(cI - X)^{-1}`` for
    ``ρ(X) < c`` and ``|tr(XY)| <= ||X||_* ||Y||_2`` (von Neumann).

    Examples
    --------
    >>> t = paper_theorem1([[0.5, 0.5], [0.5, 0.5]])   # ζn = 2, P² = P
    >>> round(t.arp_printed, 12), round(t.bound_printed, 12)
    (1.0, 1.0)
    """
    P = _dense(P, DENSE_LIMIT, "Theorem 1")
    n = P.shape[0]
    c = sparsity(P) * n
    P2 = P @ P
    A = P * P
    rho_p2 = float(np.max(np.abs(_eigvals(P)))) ** 2
    rho_a = float(np.max(np.abs(_eigvals(A))))
    nuc = float(sla.svdvals(P2, check_finite=False).sum())
    smin = float(sla.svdvals(c * np.eye(n) - P2, check_finite=False).min())
    nuc_a = float(sla.svdvals(A, check_finite=False).sum())
    smin_a = float(sla.svdvals(c * np.eye(n) - A, check_finite=False).min())
    if c > rho_p2:
        arp = _resolvent_trace(P2, c)
        bound = nuc / smin
    else:
        arp = bound = math.inf
    if c > rho_a:
        arp_a = _resolvent_trace(A, c)
        bound_a = nuc_a / smin_a
    else:
        arp_a = bound_a = math.inf
    return PaperTheorem1(float(c), rho_p2, arp, bound, nuc, smin, arp_a, bound_a)


@dataclass(frozen=True)
class PaperCorollaries:
    """The row-variance and diagonal-dominance forms of the Theorem 1 bound.

    Attributes
    ----------
    zeta_n : float
        ``ζn``.
    row_variances : numpy.ndarray, shape (n,)
        ``v_i = (1/n) Σ_j (P_ij - s_i/n)²``, the variance of row i's n entries.
    frobenius_sq : float
        ``||P||_F² = n Σ_i v_i + Σ_i s_i² / n`` (``s_i`` the row sums), an
        upper bound on ``||P²||_*``.
    outflow, inflow : numpy.ndarray, shape (n,)
        Row sums and column sums of ``P²``: the two-step probability mass
        leaving token i, and arriving at token j summed over all starts.
    sigma_min_lower : float
        ``ζn - max_i (outflow_i + inflow_i) / 2``, a lower bound on
        ``σ_min(ζnI - P²)`` (meaningful when positive).
    corollary_1_1 : float
        ``||P||_F² / σ_min(ζnI - P²)`` (``inf`` when ``ζn <= ρ(P²)``).
    corollary_1_2 : float
        ``||P||_F² / sigma_min_lower`` (``inf`` when that is <= 0).
    """

    zeta_n: float
    row_variances: np.ndarray
    frobenius_sq: float
    outflow: np.ndarray
    inflow: np.ndarray
    sigma_min_lower: float
    corollary_1_1: float
    corollary_1_2: float


def paper_corollaries(P) -> PaperCorollaries:
    """Corollaries 1.1 (row variances) and 1.2 (diagonal dominance) of the paper, as read by the book.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n), n <= 3000
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    PaperCorollaries
        Each bound is at least :attr:`PaperTheorem1.bound_printed`, hence at
        least the printed ARP: ``||P²||_* <= ||P||_F²`` (Hölder) gives
        Corollary 1.1; ``σ_min(M) >= λ_min((M + Mᵀ)/2)`` and Gershgorin's
        theorem on that symmetric part give Corollary 1.2, whose denominator
        shrinks as the largest *inflow* (column sum of ``P²``) grows.

    Raises
    ------
    TypeError, ValueError
        For invalid ``P``, or ``n > 3000``.

    Notes
    -----
    Book, Chapter 9, theorem ``thm-ar-corollaries``. The printed statements of
    Corollaries 1.1-1.2 of Fu et al. (2021) are not reproduced; this is the
    book's reading: the same two ideas (a row-variance numerator, a
    diagonal-dominance denominator), derived in full.

    Examples
    --------
    >>> c = paper_corollaries([[0.5, 0.5], [0.5, 0.5]])
    >>> c.row_variances.tolist(), c.frobenius_sq, c.sigma_min_lower, c.corollary_1_2
    ([0.0, 0.0], 1.0, 1.0, 1.0)
    """
    P = _dense(P, DENSE_LIMIT, "Corollary 1.1")
    n = P.shape[0]
    c = sparsity(P) * n
    P2 = P @ P
    s = P.sum(axis=1)
    var = ((P - s[:, None] / n) ** 2).mean(axis=1)
    fro2 = float(np.sum(P * P))
    outflow = P2.sum(axis=1)
    inflow = P2.sum(axis=0)
    lower = float(c - np.max(outflow + inflow) / 2.0)
    t = paper_theorem1(P)
    c11 = fro2 / t.sigma_min_p2 if math.isfinite(t.arp_printed) else math.inf
    c12 = fro2 / lower if lower > 0 else math.inf
    return PaperCorollaries(float(c), var, fro2, outflow, inflow, lower, c11, c12)


# --------------------------------------------------------------------------
# A bigram with a fresh zero-mean perturbation at every step


def perturbation_amplitudes(P, delta: float) -> np.ndarray:
    """Largest admissible amplitude of a symmetric ±c perturbation of each entry.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n), n <= 3000
        Transition matrix; ``s_i`` its row sums.
    delta : float
        Target standard deviation δ >= 0 of every entry's perturbation.

    Returns
    -------
    numpy.ndarray, shape (n, n), float64
        ``c_ij = min(δ, P_ij, P_ij (1 - s_i) / s_i)``: with independent signs
        ``ε = ±1``, ``P_ij + c_ij ε_ij`` is never negative and row i never sums
        above ``s_i + Σ_j c_ij <= 1``, so the perturbed matrix is a valid
        transition matrix for every draw and its mean is exactly ``P``.
        Entry (i, j) gets variance ``c_ij² <= δ²``; entries with
        ``P_ij = 0``, and rows with no end-token mass (``s_i = 1``), get none.

    Raises
    ------
    TypeError, ValueError
        For invalid ``P`` or a negative or non-finite ``delta``.

    Notes
    -----
    Book, Chapter 9, definition ``def-ar-perturbed``.

    Examples
    --------
    >>> perturbation_amplitudes([[0.4, 0.2], [0.5, 0.5]], 0.1).tolist()   # row 0 has end mass 0.4
    [[0.1, 0.1], [0.0, 0.0]]
    """
    P = _dense(P, DENSE_LIMIT, "the perturbation")
    delta = check_real(delta, "delta", 0.0, None, low_open=False)
    s = P.sum(axis=1)
    # slack = min((1 - s) / s, 1): above 1 it cannot bind (c <= P), so it is only divided out
    # where s > 1/2, which also keeps a subnormal row sum from overflowing the quotient.
    slack = np.divide(np.clip(1.0 - s, 0.0, None), s, out=np.ones_like(s), where=s > 0.5)
    return np.minimum(np.minimum(delta, P), P * slack[:, None])


def perturbed_matrices(P, delta: float, steps: int, rng: np.random.Generator, size: int | None = None) -> np.ndarray:
    """Draw the step matrices ``B'_t = P + T_t`` of a perturbed bigram.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n), n <= 3000
        The bigram transition matrix (the mean of every ``B'_t``).
    delta : float
        Perturbation size δ >= 0 (see :func:`perturbation_amplitudes`).
    steps : int
        Number of steps ``t = 1..steps`` (>= 1).
    rng : numpy.random.Generator
        Seeded source of randomness.
    size : int, optional
        Number of independent models to draw (>= 1); adds a leading axis.

    Returns
    -------
    numpy.ndarray, shape (steps, n, n) or (size, steps, n, n), float64
        ``B'_t[i, j] = P_ij + c_ij ε_tij`` with independent signs ``ε = ±1``:
        independent across steps and entries, zero-mean perturbations of
        variance ``c_ij² <= δ²``; every ``B'_t`` is nonnegative with row sums
        at most 1 (book, Chapter 9, definition ``def-ar-perturbed``).

    Raises
    ------
    TypeError, ValueError
        For invalid ``P``, ``delta``, ``steps``, ``size`` or ``rng``.

    Examples
    --------
    >>> B = perturbed_matrices([[0.4, 0.2], [0.5, 0.5]], 0.1, 3, np.random.default_rng(0))
    >>> B.shape, bool((B >= 0).all()), bool((B.sum(axis=2) <= 1).all())
    ((3, 2, 2), True, True)
    """
    c = perturbation_amplitudes(P, delta)
    P = _dense(P, DENSE_LIMIT, "the perturbation")
    steps = check_positive_int(steps, "steps")
    rng = check_generator(rng)
    shape = (steps,) if size is None else (check_positive_int(size, "size"), steps)
    signs = rng.integers(0, 2, size=shape + P.shape) * 2.0 - 1.0
    return P + c * signs


def time_varying_repetition_terms(matrices, K: int) -> np.ndarray:
    """Exact repetition terms of a chain whose transition matrix changes with the step.

    Parameters
    ----------
    matrices : array_like, shape (..., T, n, n), T >= 2K
        ``matrices[..., t - 1, :, :]`` is the transition matrix used at step
        t (from ``y_{t-1}`` to ``y_t``); nonnegative, rows summing to <= 1.
        Leading axes index independent models.
    K : int
        Largest repeat length (>= 1).

    Returns
    -------
    numpy.ndarray, shape (..., K), float64
        ``R'_k = tr(Π_{t=1}^{k} (B'_t ⊙ B'_{k+t}))`` for k = 1..K: summed over
        the start token, the probability that ``y_0 .. y_{2k}`` is a closed
        k-walk written twice, when step t uses ``B'_t`` (book, Chapter 9,
        eq. ``eq-ar-Rprime``). With every ``B'_t = P`` it is ``Tr(A^k)``.

    Raises
    ------
    TypeError
        If ``K`` is not an integer or ``matrices`` has a non-real dtype.
    ValueError
        For a shape other than (..., T, n, n) with ``T >= 2K``, negative or
        non-finite entries, or a row sum above 1.

    Examples
    --------
    >>> P = np.array([[0.0, 0.5], [0.5, 0.0]])
    >>> time_varying_repetition_terms(np.stack([P] * 4), 2).tolist()   # Tr(A) = 0, Tr(A^2) = 2/16
    [0.0, 0.125]
    """
    K = check_positive_int(K, "K")
    B = np.asarray(matrices)
    if B.dtype.kind not in "fiu":
        raise TypeError(f"matrices must have a real dtype, got dtype {B.dtype}")
    if B.ndim < 3 or B.shape[-1] != B.shape[-2] or B.shape[-1] == 0 or B.shape[-3] < 2 * K:
        raise ValueError(f"matrices must have shape (..., T, n, n) with T >= 2K = {2 * K}, got shape {B.shape}")
    B = B.astype(np.float64)
    if not np.all(np.isfinite(B)):
        raise ValueError("matrices has NaN or infinite entries")
    if np.any(B < 0):
        raise ValueError(f"matrices has a negative entry ({float(B.min())!r})")
    top = float(B.sum(axis=-1).max())
    if top > 1.0 + ROW_SUM_TOLERANCE:
        raise ValueError(f"matrices has a row summing to {top!r} > 1")
    out = np.empty(B.shape[:-3] + (K,))
    for k in range(1, K + 1):
        X = B[..., 0, :, :] * B[..., k, :, :]
        for t in range(1, k):
            X = X @ (B[..., t, :, :] * B[..., k + t, :, :])
        out[..., k - 1] = np.trace(X, axis1=-2, axis2=-1)
    return out


@dataclass(frozen=True)
class PerturbedMoments:
    """Exact mean and variance of the perturbed repetition terms ``R'_k``.

    Attributes
    ----------
    mean : numpy.ndarray, shape (K,)
        ``E R'_k = Tr(A^k)``.
    variance : numpy.ndarray, shape (K,)
        ``Var R'_k = Tr((A⊗A + E)^k) - Tr(A^k)²``.
    sd_bound : float
        ``Σ_k sqrt(Var R'_k)``, an upper bound on the standard deviation of
        ``R'_K = Σ_{k<=K} R'_k`` (Minkowski).
    """

    mean: np.ndarray
    variance: np.ndarray
    sd_bound: float

    def tail_bound(self, eps: float) -> float:
        """Chebyshev: ``P(|R'_K - R_K| >= eps) <= min(1, sd_bound² / eps²)``.

        Parameters
        ----------
        eps : float
            Deviation, > 0.

        Returns
        -------
        float
            The bound, in [0, 1].
        """
        eps = check_real(eps, "eps", 0.0, None)
        return float(min(1.0, self.sd_bound**2 / eps**2))


def perturbed_rate_moments(P, delta: float, K: int) -> PerturbedMoments:
    """Exact mean and variance of each ``R'_k`` under the perturbation of :func:`perturbed_matrices`.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n), n <= 40
        Transition matrix (entries >= 0, row sums <= 1).
    delta : float
        Perturbation size δ >= 0.
    K : int
        Largest repeat length (>= 1).

    Returns
    -------
    PerturbedMoments
        ``E R'_k = Tr(A^k)`` and ``Var R'_k = Tr((A⊗A + E)^k) - Tr(A^k)²``,
        where the n² x n² matrix ``E`` is zero except
        ``E[(i,i),(j,j)] = c_ij² (2 P_ij² + c_ij²)``, ``c`` from
        :func:`perturbation_amplitudes` (book, Chapter 9, theorem
        ``thm-ar-perturbed``).

    Raises
    ------
    TypeError, ValueError
        For invalid ``P``, ``delta`` or ``K``, or ``n > 40``.

    Examples
    --------
    >>> m = perturbed_rate_moments([[0.4, 0.2], [0.2, 0.4]], 0.0, 2)
    >>> m.mean.round(6).tolist(), m.variance.tolist()
    ([0.32, 0.0544], [0.0, 0.0])
    """
    P = _dense(P, MOMENT_LIMIT, "the exact variance")
    K = check_positive_int(K, "K")
    c = perturbation_amplitudes(P, delta)
    n = P.shape[0]
    A = P * P
    M = np.kron(A, A)
    diag = np.arange(n) * (n + 1)  # index of the pair (i, i)
    M[np.ix_(diag, diag)] += c**2 * (2.0 * A + c**2)
    mean = np.empty(K)
    second = np.empty(K)
    X, Y = A.copy(), M.copy()
    for k in range(K):
        mean[k] = np.trace(X)
        second[k] = np.trace(Y)
        X, Y = X @ A, Y @ M
    variance = np.maximum(second - mean**2, 0.0)
    return PerturbedMoments(mean, variance, float(np.sqrt(variance).sum()))


def perturbed_chains(P, delta: float, starts, length: int, rng: np.random.Generator) -> np.ndarray:
    """Sample chains of the perturbed bigram, drawing the row of ``B'_t`` afresh at every step.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n), n <= 3000
        The bigram transition matrix.
    delta : float
        Perturbation size δ >= 0.
    starts : array_like of int, shape (m,)
        First token of each chain, in ``0..n-1``.
    length : int
        Steps after the start (>= 1).
    rng : numpy.random.Generator
        Seeded source of randomness.

    Returns
    -------
    numpy.ndarray of int64, shape (m, length + 1)
        Column t is ``y_t``, or :data:`repetition.END` after the chain ended.
        Each chain is its own independent model: the row of ``B'_t`` it uses
        at step t is drawn when needed (rows and steps are independent, so
        this has the law of :func:`perturbed_matrices` followed by sampling).

    Raises
    ------
    TypeError, ValueError
        For invalid ``P``, ``delta``, ``starts``, ``length`` or ``rng``.

    Examples
    --------
    >>> perturbed_chains([[0.0, 1.0], [1.0, 0.0]], 0.1, [0, 1], 3, np.random.default_rng(0)).tolist()
    [[0, 1, 0, 1], [1, 0, 1, 0]]
    """
    c = perturbation_amplitudes(P, delta)
    P = _dense(P, DENSE_LIMIT, "the perturbation")
    length = check_positive_int(length, "length")
    rng = check_generator(rng)
    starts = np.asarray(starts)
    if starts.ndim != 1 or starts.dtype.kind not in "iu":
        raise TypeError(f"starts must be a 1-D integer array, got dtype {starts.dtype} and shape {starts.shape}")
    n = P.shape[0]
    if starts.size and (starts.min() < 0 or starts.max() >= n):
        bad = starts[(starts < 0) | (starts >= n)][0]
        raise ValueError(f"starts must hold tokens in 0..{n - 1}, got {bad}")
    Y = np.full((starts.size, length + 1), END, dtype=np.int64)
    Y[:, 0] = starts
    for t in range(1, length + 1):
        alive = np.flatnonzero(Y[:, t - 1] != END)
        s = Y[alive, t - 1]
        rows = P[s] + c[s] * (rng.integers(0, 2, size=(s.size, n)) * 2.0 - 1.0)
        cdf = np.cumsum(rows, axis=1)
        u = rng.random(s.size)
        nxt = (cdf <= u[:, None]).sum(axis=1)
        Y[alive, t] = np.where(nxt < n, nxt, END)
    return Y


def monte_carlo_perturbed_rate(P, delta: float, K: int, samples: int, rng: np.random.Generator) -> MonteCarloEstimate:
    """Monte Carlo estimate of ``E R'_K`` for the perturbed bigram.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n), n <= 3000
        The bigram transition matrix.
    delta : float
        Perturbation size δ >= 0.
    K : int
        Largest repeat length counted (>= 1); chains run ``2K`` steps.
    samples : int
        Number of chains (>= 2), each with a uniform random start and its own
        perturbation draws.
    rng : numpy.random.Generator
        Seeded source of randomness.

    Returns
    -------
    repetition.MonteCarloEstimate
        ``value = n * mean(count of k <= K with a repeat)``, an unbiased
        estimate of ``E R'_K`` (which equals ``R_K``, book, Chapter 9, theorem
        ``thm-ar-perturbed``), with its standard error.

    Raises
    ------
    TypeError, ValueError
        For invalid arguments (``samples < 2`` included).

    Examples
    --------
    >>> est = monte_carlo_perturbed_rate([[0.4, 0.2], [0.2, 0.4]], 0.05, 3, 1000, np.random.default_rng(0))
    >>> est.samples, est.K
    (1000, 3)
    """
    K = check_positive_int(K, "K")
    samples = check_positive_int(samples, "samples")
    if samples < 2:
        raise ValueError(f"samples must be at least 2 to estimate a standard error, got {samples}")
    rng = check_generator(rng)
    P = as_transition_matrix(P)
    n = P.shape[0]
    starts = rng.integers(0, n, size=samples)
    Y = perturbed_chains(P, delta, starts, 2 * K, rng)
    events = repeat_events(Y, K)
    counts = events.sum(axis=1).astype(np.float64)
    return MonteCarloEstimate(
        float(n * counts.mean()), float(n * counts.std(ddof=1) / np.sqrt(samples)), samples, K, n * events.mean(axis=0)
    )


# --------------------------------------------------------------------------
# Pair chains: a trigram model as a Markov chain on token pairs


@dataclass(frozen=True)
class PairChain:
    """A Markov chain whose states are ordered token pairs ``(a, b)``.

    Attributes
    ----------
    Q : scipy.sparse.csr_array, shape (N, N), float64
        ``Q[(a, b), (b, c)]``: probability that ``c`` follows the context
        ``a b``; row deficits are the end-token probability.
    pairs : numpy.ndarray of int64, shape (N, 2)
        Token indices ``(a, b)`` of each state, in lexicographic order.
    starts : numpy.ndarray of int64, shape (N,)
        How often each pair opens a sequence (zeros for a lifted bigram).
    vocab : list of str or None
        Token of each index, when built from text.
    """

    Q: sp.csr_array
    pairs: np.ndarray
    starts: np.ndarray
    vocab: list | None

    @property
    def N(self) -> int:
        """Number of pair states."""
        return int(self.pairs.shape[0])


def split_at_rare_tokens(sequences, size: int) -> tuple[list[list[str]], list[str]]:
    """Keep the ``size`` most frequent tokens and cut every sequence at the others.

    Parameters
    ----------
    sequences : iterable of sequences of str
        Token sequences.
    size : int
        Vocabulary size to keep (>= 1).

    Returns
    -------
    segments : list of list of str
        The maximal runs of kept tokens (each run is a new sequence, so a rare
        token acts as an end followed by a new start).
    vocab : list of str
        The kept tokens, most frequent first (ties in code-point order), as in
        :func:`repetition.bigram_counts`.

    Raises
    ------
    TypeError, ValueError
        If ``size`` is not an integer >= 1 or ``sequences`` holds no token.

    Examples
    --------
    >>> split_at_rare_tokens([["a", "b", "a", "c", "a", "b"]], 2)
    ([['a', 'b', 'a'], ['a', 'b']], ['a', 'b'])
    """
    size = check_positive_int(size, "size")
    seqs = [list(s) for s in sequences]
    vocab = bigram_counts(seqs).vocab[:size]
    keep = set(vocab)
    segments = []
    for s in seqs:
        run = []
        for tok in s:
            if tok in keep:
                run.append(tok)
            elif run:
                segments.append(run)
                run = []
        if run:
            segments.append(run)
    return segments, vocab


def trigram_pair_chain(sequences, vocab=None) -> PairChain:
    """The maximum-likelihood trigram model of a corpus, as a chain on token pairs.

    Parameters
    ----------
    sequences : iterable of sequences of str
        Token sequences (sentences).
    vocab : list of str, optional
        Fixed vocabulary (as in :func:`repetition.bigram_counts`).

    Returns
    -------
    PairChain
        States: the pairs ``(a, b)`` that occur inside a sequence.
        ``Q[(a, b), (b, c)] = #(a b c) / #(a b)``, where ``#(a b)`` counts
        every occurrence of the pair, so the deficit of a row is the
        fraction of its occurrences that end a sequence. The closed-walk
        repetition rate of ``Q`` (:func:`repetition.repetition_rate`) counts
        stretches ``y_0 .. y_{2k+1}`` of period k (book, Chapter 9,
        theorem ``thm-ar-lift``).

    Raises
    ------
    ValueError
        If no sequence has two tokens, or a token is outside ``vocab``.

    Examples
    --------
    >>> ch = trigram_pair_chain([["a", "b", "a", "b"]])
    >>> ch.pairs.tolist(), ch.Q.toarray().tolist()
    ([[0, 1], [1, 0]], [[0.0, 0.5], [1.0, 0.0]])
    """
    seqs = [list(s) for s in sequences if len(s)]
    counts = bigram_counts(seqs, vocab)
    vocab = counts.vocab
    index = {t: i for i, t in enumerate(vocab)}
    n = len(vocab)
    ids = [np.fromiter((index[t] for t in s), dtype=np.int64, count=len(s)) for s in seqs if len(s) >= 2]
    if not ids:
        raise ValueError("sequences has no sequence of two or more tokens, so no token pair")
    first = np.concatenate([s[:-1] for s in ids])
    second = np.concatenate([s[1:] for s in ids])
    third = np.concatenate([np.append(s[2:], n) for s in ids])  # n = end token
    pair_code = first * n + second
    codes, pair_of, pair_count = np.unique(pair_code, return_inverse=True, return_counts=True)
    pairs = np.stack([codes // n, codes % n], axis=1)
    inner = third < n
    target = np.searchsorted(codes, second[inner] * n + third[inner])
    N = codes.size
    Q = sp.csr_array((np.ones(target.size), (pair_of[inner], target)), shape=(N, N))
    Q.sum_duplicates()
    Q = sp.csr_array(sp.diags_array(1.0 / pair_count) @ Q)
    Q.sort_indices()
    start_codes = np.array([s[0] * n + s[1] for s in ids], dtype=np.int64)
    starts = np.bincount(np.searchsorted(codes, start_codes), minlength=N).astype(np.int64)
    return PairChain(Q, pairs.astype(np.int64), starts, list(vocab))


def lift_to_pairs(P) -> PairChain:
    """A bigram written as a chain on token pairs: ``Q[(a, b), (b, c)] = P[b, c]``.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (entries >= 0, row sums <= 1).

    Returns
    -------
    PairChain
        States: the pairs with ``P[a, b] > 0``, in lexicographic order (the
        states of :func:`trigram_pair_chain` on the text ``P`` was estimated
        from). ``Tr((Q ⊙ Q)^k) = Tr((P ⊙ P)^k)`` for every k, so the lifted
        chain has the same repetition rate (book, Chapter 9, theorem
        ``thm-ar-lift``).

    Raises
    ------
    TypeError, ValueError
        For invalid ``P``.
    ValueError
        If ``P`` has no positive entry: the pair chain would have no states
        (and ``R = 0`` needs no lift).

    Examples
    --------
    >>> lift_to_pairs([[0.0, 0.5], [0.25, 0.5]]).Q.toarray().tolist()
    [[0.0, 0.25, 0.5], [0.5, 0.0, 0.0], [0.0, 0.25, 0.5]]
    """
    P = as_transition_matrix(P)
    C = sp.csr_array(P) if not sp.issparse(P) else P.copy()
    C.eliminate_zeros()
    if C.nnz == 0:
        raise ValueError("P has no positive entry, so its pair chain would have no states")
    C.sort_indices()
    n = C.shape[0]
    deg = np.diff(C.indptr)
    a = np.repeat(np.arange(n), deg)
    b = C.indices.astype(np.int64)
    N = b.size
    # state (a, b) -> states (b, c): the block of row b of P, at positions indptr[b] .. indptr[b + 1]
    lens = deg[b]
    rows = np.repeat(np.arange(N), lens)
    offsets = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
    cols = np.repeat(C.indptr[b], lens) + offsets
    Q = sp.csr_array((C.data[cols], (rows, cols)), shape=(N, N))
    Q.sort_indices()
    return PairChain(Q, np.stack([a, b], axis=1).astype(np.int64), np.zeros(N, dtype=np.int64), None)
