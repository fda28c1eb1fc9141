"""A bigram with a fresh random perturbation at every step: a model of general autoregressive decoding.

Book, :numref:`Chapter %s <chapter-general-autoregressive>` (Su 2021, section 一般解码; Fu et al. 2021, Theorem 2): a
general autoregressive model is read as a bigram whose transition matrix is
perturbed afresh at every step, ``B'_t = P + T_t`` with zero-mean ``T_t``
(:prf:ref:`def-ar-perturbed`). This module draws the perturbations
(:func:`perturbation_amplitudes`, :func:`perturbed_matrices`), computes the
repetition terms of a chain whose matrix changes with the step
(:func:`time_varying_repetition_terms`), their exact mean and variance
(:func:`perturbed_rate_moments`, :prf:ref:`thm-ar-perturbed`), and samples
the perturbed chain for a Monte Carlo estimate (:func:`perturbed_chains`,
:func:`monte_carlo_perturbed_rate`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.linalg as sla

from . import _arp_closed, _linalg, _sparse_rate
from ._validation import (
    ROW_SUM_TOLERANCE,
    as_array,
    as_generator,
    check_choice,
    check_memory,
    check_positive_int,
    check_real,
    check_samples,
    check_starts,
)
from .chain import as_chain
from .rate import repetition_terms
from .sampling import END, MonteCarloEstimate

__all__ = [
    "perturbation_amplitudes",
    "perturbed_matrices",
    "time_varying_repetition_terms",
    "PerturbedMoments",
    "perturbed_rate_moments",
    "perturbed_chains",
    "monte_carlo_perturbed_rate",
    "PaperTheorem2",
    "paper_theorem2",
    "paper_perturbed_arp",
]

#: Largest n for the perturbation, which works with dense n x n matrices.
DENSE_LIMIT = 3000

#: Largest n for the exact variance, which works with n² x n² matrices.
MOMENT_LIMIT = 40


def perturbation_amplitudes(P, delta: float) -> np.ndarray:
    """Largest admissible amplitude of a symmetric ±c perturbation of each entry.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n), n <= 3000
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
    Book, :numref:`Chapter %s <chapter-general-autoregressive>`, :prf:ref:`def-ar-perturbed`.

    Examples
    --------
    >>> # row 0 has end mass 0.4
    >>> perturbation_amplitudes([[0.4, 0.2], [0.5, 0.5]], 0.1).tolist()
    [[0.1, 0.1], [0.0, 0.0]]
    """
    P = as_chain(P).dense_or_refuse(DENSE_LIMIT, "the perturbation")
    delta = check_real(delta, "delta", 0.0, None, low_open=False)
    s = P.sum(axis=1)
    # slack = min((1 - s) / s, 1): above 1 it cannot bind (c <= P), so it is only divided out
    # where s > 1/2, which also keeps a subnormal row sum from overflowing the quotient.
    slack = np.divide(
        np.clip(1.0 - s, 0.0, None), s, out=np.ones_like(s), where=s > 0.5
    )
    return np.minimum(np.minimum(delta, P), P * slack[:, None])


def perturbed_matrices(
    P, delta: float, steps: int, rng, size: int | None = None
) -> np.ndarray:
    """Draw the step matrices ``B'_t = P + T_t`` of a perturbed bigram.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n), n <= 3000
        The bigram transition matrix (the mean of every ``B'_t``).
    delta : float
        Perturbation size δ >= 0 (see :func:`perturbation_amplitudes`).
    steps : int
        Number of steps ``t = 1..steps`` (>= 1).
    rng : numpy.random.Generator, int or None
        Source of randomness, or a seed for :func:`numpy.random.default_rng`.
    size : int, optional
        Number of independent models to draw (>= 1); adds a leading axis.

    Returns
    -------
    numpy.ndarray, shape (steps, n, n) or (size, steps, n, n), float64
        ``B'_t[i, j] = P_ij + c_ij ε_tij`` with independent signs ``ε = ±1``:
        independent across steps and entries, zero-mean perturbations of
        variance ``c_ij² <= δ²``; every ``B'_t`` is nonnegative with row sums
        at most 1 (book, :numref:`Chapter %s <chapter-general-autoregressive>`, :prf:ref:`def-ar-perturbed`).

    Raises
    ------
    TypeError, ValueError
        For invalid ``P``, ``delta``, ``steps``, ``size`` or ``rng``.

    Examples
    --------
    >>> B = perturbed_matrices([[0.4, 0.2], [0.5, 0.5]], 0.1, 3, rng=0)
    >>> B.shape, bool((B >= 0).all()), bool((B.sum(axis=2) <= 1).all())
    ((3, 2, 2), True, True)
    """
    chain = as_chain(P)
    c = perturbation_amplitudes(chain, delta)
    P = chain.dense
    steps = check_positive_int(steps, "steps")
    rng = as_generator(rng)
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
        k-walk written twice, when step t uses ``B'_t`` (book, :numref:`Chapter %s <chapter-general-autoregressive>`,
        eq. :eq:`eq-ar-Rprime`). With every ``B'_t = P`` it is ``Tr(A^k)``.

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
    >>> # Tr(A) = 0, Tr(A^2) = 2/16
    >>> time_varying_repetition_terms(np.stack([P] * 4), 2).tolist()
    [0.0, 0.125]
    """
    K = check_positive_int(K, "K")
    B = as_array(matrices, "matrices")
    if B.dtype.kind not in "fiu":
        raise TypeError(f"matrices must have a real dtype, got dtype {B.dtype}")
    if (
        B.ndim < 3
        or B.shape[-1] != B.shape[-2]
        or B.shape[-1] == 0
        or B.shape[-3] < 2 * K
    ):
        raise ValueError(
            f"matrices must have shape (..., T, n, n) with T >= 2K = {2 * K}, got shape {B.shape}"
        )
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
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n), n <= 40
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
        :func:`perturbation_amplitudes` (book, :numref:`Chapter %s <chapter-general-autoregressive>`, theorem
        :prf:ref:`thm-ar-perturbed`).

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
    chain = as_chain(P)
    chain.dense_or_refuse(MOMENT_LIMIT, "the exact variance")
    K = check_positive_int(K, "K")
    c = perturbation_amplitudes(chain, delta)
    n = chain.n
    A = _linalg.dense(chain.A)
    M = np.kron(A, A)
    diag = np.arange(n) * (n + 1)  # index of the pair (i, i)
    M[np.ix_(diag, diag)] += c**2 * (2.0 * A + c**2)
    mean = repetition_terms(chain, K)
    second = np.empty(K)
    Y = M.copy()
    for k in range(K):
        second[k] = np.trace(Y)
        Y = Y @ M
    variance = np.maximum(second - mean**2, 0.0)
    return PerturbedMoments(mean, variance, float(np.sqrt(variance).sum()))


def perturbed_chains(P, delta: float, starts, length: int, rng) -> np.ndarray:
    """Sample chains of the perturbed bigram, drawing the row of ``B'_t`` afresh at every step.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n), n <= 3000
        The bigram transition matrix.
    delta : float
        Perturbation size δ >= 0.
    starts : array_like of int, shape (m,)
        First token of each chain, in ``0..n-1``.
    length : int
        Steps after the start (>= 1).
    rng : numpy.random.Generator, int or None
        Source of randomness, or a seed for :func:`numpy.random.default_rng`.

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
        For invalid ``P``, ``delta``, ``starts``, ``length`` or ``rng``; a
        ValueError also for a ``length`` whose chains (``8 m (length + 1)``
        bytes) would not fit in physical memory.

    Examples
    --------
    >>> perturbed_chains([[0.0, 1.0], [1.0, 0.0]], 0.1, [0, 1], 3, rng=0).tolist()
    [[0, 1, 0, 1], [1, 0, 1, 0]]
    """
    chain = as_chain(P)
    c = perturbation_amplitudes(chain, delta)
    P = chain.dense
    length = check_positive_int(length, "length")
    rng = as_generator(rng)
    n = chain.n
    starts = check_starts(starts, n)
    check_memory(
        length,
        "length",
        16 * max(starts.size, 1),
        f"the {starts.size} chains (int64, m x (length + 1))",
    )
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


def monte_carlo_perturbed_rate(
    P, delta: float, K: int, samples: int, rng
) -> MonteCarloEstimate:
    """Monte Carlo estimate of ``E R'_K`` for the perturbed bigram.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n), n <= 3000
        The bigram transition matrix.
    delta : float
        Perturbation size δ >= 0.
    K : int
        Largest repeat length counted (>= 1); chains run ``2K`` steps.
    samples : int
        Number of chains (>= 2), each with a uniform random start and its own
        perturbation draws.
    rng : numpy.random.Generator, int or None
        Source of randomness, or a seed for :func:`numpy.random.default_rng`.

    Returns
    -------
    repetition.MonteCarloEstimate
        ``value = n * mean(count of k <= K with a repeat)``, an unbiased
        estimate of ``E R'_K`` (which equals ``R_K``, book, :numref:`Chapter %s <chapter-general-autoregressive>`,
        theorem
        :prf:ref:`thm-ar-perturbed`), with its standard error.

    Raises
    ------
    TypeError, ValueError
        For invalid arguments (``samples < 2`` included); a ValueError also
        for a ``K`` whose chains (``24 K samples`` bytes) would not fit in
        physical memory.

    Examples
    --------
    >>> est = monte_carlo_perturbed_rate([[0.4, 0.2], [0.2, 0.4]], 0.05, 3, 1000, rng=0)
    >>> est.samples, est.K
    (1000, 3)
    """
    K = check_positive_int(K, "K")
    samples = check_samples(samples)
    check_memory(K, "K", 24 * samples, f"the {samples} chains of 2K + 1 tokens (int64)")
    rng = as_generator(rng)
    chain = as_chain(P)
    starts = rng.integers(0, chain.n, size=samples)
    Y = perturbed_chains(chain, delta, starts, 2 * K, rng)
    return MonteCarloEstimate.from_chains(Y, K, chain.n)


# ---------------------------------------------------------------------------
# Theorem 2 of Fu et al. (2021) as printed: the printed ARP with perturbed factors

#: The laws of the entries of ``T_t`` offered by :func:`paper_perturbed_arp`.
_PAPER_LAWS = ("rademacher", "normal", "three-point")

#: Draws of :func:`paper_perturbed_arp` processed together (bounds the memory to a few n x n arrays per draw).
_CHUNK = 1000


@dataclass(frozen=True)
class PaperTheorem2:
    """The quantities of the paper's Theorem 2, as printed, for one ``P`` and ``δ``.

    Attributes
    ----------
    zeta_n : float
        ``ζn = nnz(P)/n``, the mean number of successors per token.
    delta : float
        ``δ``, the standard deviation of every entry of every ``T_t``.
    column_square_max : float
        ``max_j Σ_i P_ij²``; the theorem assumes it is below 1.
    hypotheses_hold : bool
        Whether ``max_j Σ_i P_ij² < 1``, ``ζn > 4`` and ``δ² < 1/n`` all hold.
    arp_printed : float
        ``ARP_printed = Σ_r Tr(P^(2r)) / (ζn)^r``, the slides' ``R``
        (``inf`` when ``ζn <= ρ(P)²``).
    mean_square : float
        ``E (ARP' - ARP_printed)²`` exactly, for any law of the entries
        with mean 0 and variance ``δ²`` (``inf`` when the series of second
        moments diverges).
    constant : float
        ``3 ζn δ² / ((ζn - 4)(ζn - 1))``, the printed bound times ``a²``
        (``nan`` when ``ζn <= 4``).
    spectral_norm_sq : float
        ``‖P‖₂²``, the square of the largest singular value of ``P``.
    n : int
        Number of tokens.
    """

    zeta_n: float
    delta: float
    column_square_max: float
    hypotheses_hold: bool
    arp_printed: float
    mean_square: float
    constant: float
    spectral_norm_sq: float
    n: int

    def bound(self, a) -> np.ndarray | float:
        """The printed bound ``3 ζn δ² / (a² (ζn - 4)(ζn - 1))`` on ``Pr(|ARP_printed - ARP'| >= a)``.

        Parameters
        ----------
        a : float or array_like of float
            Deviation(s), > 0.

        Returns
        -------
        float or numpy.ndarray
            The printed right-hand side, not clipped at 1.
        """
        a = _positive_deviations(a)
        return self.constant / a**2

    def chebyshev(self, a) -> np.ndarray | float:
        """Chebyshev's bound with the exact mean square, ``E(ARP' - ARP_printed)² / a²``.

        Parameters
        ----------
        a : float or array_like of float
            Deviation(s), > 0.

        Returns
        -------
        float or numpy.ndarray
            A valid upper bound on ``Pr(|ARP_printed - ARP'| >= a)``, not
            clipped at 1.
        """
        a = _positive_deviations(a)
        return self.mean_square / a**2

    def tail_rms_bound(self, K: int) -> float:
        """An upper bound on the root mean square of the terms of ``ARP'`` after the K-th.

        Parameters
        ----------
        K : int
            Number of terms kept, >= 1.

        Returns
        -------
        float
            ``n q^(K+1) / (1 - q)`` with ``q = (‖P‖₂² + nδ²) / ζn``, or
            ``inf`` when ``q >= 1``. Proof: ``E B'_t B'_tᵀ = P Pᵀ + nδ² I``,
            so ``E ‖X B'_t‖_F² <= (‖P‖₂² + nδ²) E ‖X‖_F²`` for ``X``
            independent of ``B'_t``; with ``Tr(X)² <= n ‖X‖_F²`` the term
            ``r`` has root mean square at most ``n q^r``; Minkowski's
            inequality sums the tail.
        """
        K = check_positive_int(K, "K")
        q = (self.spectral_norm_sq + self.n * self.delta**2) / self.zeta_n
        if q >= 1:
            return float("inf")
        return float(self.n * q ** (K + 1) / (1.0 - q))


def _positive_deviations(a):
    arr = np.asarray(a, dtype=np.float64)
    if arr.dtype.kind != "f" or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(
            f"a must be a positive finite deviation (or an array of them), got {a!r}"
        )
    return float(arr) if arr.ndim == 0 else arr


#: Most doublings of :func:`_doubling_sums` (``X^(2^80)`` is negligible for every ``ρ(X) < 1 - 2^-60``).
_MAX_DOUBLINGS = 80


def _doubling_sums(
    X: np.ndarray, Ys: list[np.ndarray], stein: bool
) -> list[np.ndarray]:
    """``Σ_(k>=0) X^k Y X^kᵀ`` (``stein``) or ``Σ_(k>=0) X^k Y`` for each ``Y`` in ``Ys``; ``X, Y >= 0``, ``ρ(X) < 1``.

    By doubling: with ``A = X^(2^j)`` and ``Z`` the first ``2^j`` terms,
    ``Z <- Z + A Z Aᵀ`` (or ``Z + A Z``) and ``A <- A²``. Every update adds
    products of nonnegative numbers, so nothing cancels, and the rest of the
    series is ``A Z_∞ Aᵀ`` (or ``A Z_∞``): once ``||A||_∞ ||Aᵀ||_∞`` (or
    ``||A||_∞``) is below a quarter of the unit roundoff, it is below the
    rounding of the sum. Calls no solver that warns (scipy's Stein and
    linear solvers emit LinAlgWarning near ``ρ(X) = 1``; the callers judge
    the conditioning themselves). Raises FloatingPointError when ``ρ(X)`` is
    within rounding of 1 (no convergence in :data:`_MAX_DOUBLINGS` doublings).
    """
    A = np.array(X, dtype=np.float64)
    Zs = [np.array(Y, dtype=np.float64) for Y in Ys]
    tiny = np.finfo(float).eps / 4
    for _ in range(_MAX_DOUBLINGS):
        rows = float(A.sum(axis=1).max())
        rest = rows * float(A.sum(axis=0).max()) if stein else rows
        if not math.isfinite(rest):
            break
        if rest <= tiny:
            return Zs
        Zs = [Z + A @ Z @ A.T if stein else Z + A @ Z for Z in Zs]
        A = A @ A
    raise FloatingPointError(
        "the series of Theorem 2 do not converge in double precision: ρ(P)² is within rounding of ζn "
        "(or its powers overflow), so they cannot be summed"
    )


#: Below this distance of ``δ² uᵀ(ζn I - Φ)^{-1} u`` from 1, :func:`paper_theorem2` decides in exact arithmetic.
_CRITERION_MARGIN = 1e-6


def _second_moments_diverge(P: np.ndarray, c, delta: float, g: float) -> bool:
    """Exactly whether ``ρ(P ⊗ P + δ² u uᵀ) >= ζn`` (``u = vec(I)``), given ``ρ(P)² < ζn``.

    ``g = uᵀ(ζn I - Φ)^{-1} u`` in floating point, a sum of nonnegative terms;
    the rank-one criterion ``δ² g >= 1`` decides when it is not within
    :data:`_CRITERION_MARGIN` of 1. Otherwise the Z-matrix ``ζn I - Ψ`` is
    tested exactly (rational pivots; a nonsingular M-matrix exactly when all
    are positive) up to ``n² = 80`` states, and the call is refused above.
    """
    d2g = delta * delta * g
    if abs(d2g - 1.0) > _CRITERION_MARGIN:
        return d2g >= 1.0
    n = P.shape[0]
    if n * n > _arp_closed.EXACT_PIVOT_LIMIT:
        raise ValueError(
            f"delta = {delta!r} puts the second moments of ARP' within rounding of divergence "
            f"(δ² uᵀ(ζn I - P⊗P)^{{-1}} u = {d2g!r}); whether they diverge cannot be decided exactly at "
            f"n = {n} (the exact test is limited to n² <= {_arp_closed.EXACT_PIVOT_LIMIT} states)"
        )
    d2 = Fraction(delta) ** 2
    exact = [[Fraction(float(a)) for a in row] for row in P]
    diagonal = {i * (n + 1) for i in range(n)}
    rows = []
    for i, j in itertools.product(range(n), repeat=2):
        row = [
            (k * n + m, exact[i][k] * exact[j][m]) for k in range(n) for m in range(n)
        ]
        rows.append(
            [
                (col, a + (d2 if i * n + j in diagonal and col in diagonal else 0))
                for col, a in row
            ]
        )
    return not _arp_closed._m_matrix_pivots_positive(rows, Fraction(c), squared=False)


def paper_theorem2(P, delta: float) -> PaperTheorem2:
    """The paper's Theorem 2 as printed: its hypotheses, its bound, and the exact mean square it is about.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n), n <= 3000
        Transition matrix (the paper's ``B``); entries >= 0, row sums <= 1.
    delta : float
        Standard deviation δ >= 0 of every entry of every perturbation ``T_t``.

    Returns
    -------
    PaperTheorem2
        With ``B'_t = P + T_t``, the ``T_t`` independent with independent
        entries of mean 0 and variance ``δ²``, and
        ``ARP' = Σ_r Tr(B'_1 ⋯ B'_(2r)) / (ζn)^r`` (the slides' ``R'``):
        the printed hypotheses, the printed constant, ``ARP_printed`` and
        the exact ``E (ARP' - ARP_printed)²``.

    Raises
    ------
    TypeError, ValueError
        For invalid ``P`` or ``delta``, or ``n > 3000``; ValueError also when
        ``δ`` is within rounding of the divergence of the second moments and
        ``n > 8`` (not decidable exactly).
    FloatingPointError
        When ``ρ(P)² < ζn`` but within rounding of it, so that the series
        cannot be summed in double precision.

    Warns
    -----
    ConditioningWarning
        When rounding may cost more than about 1e-8 relative accuracy: the
        condition number is estimated as ``2 ||(I - P²/ζn)^{-1}||_∞`` for
        ``ARP_printed``, and for the mean square as twice the largest of
        its square and ``1 / (1 - δ² uᵀ(ζn I - Φ)^{-1} u)`` (the distance
        to the divergence of the second moments).

    Notes
    -----
    Book, :numref:`Chapter %s <chapter-general-autoregressive>`, :prf:ref:`thm-ar-paper-theorem2` (Fu et al. 2021,
    Theorem 2, as printed on the authors' slides) and proposition
    :prf:ref:`prop-ar-mean-square`. With ``c = ζn``, ``Φ = P ⊗ P``,
    ``u = vec(I)`` and ``Ψ = Φ + δ² u uᵀ = E(B'_t ⊗ B'_t)``:
    ``E Tr(Π_(t<=2r) B'_t) Tr(Π_(t<=2s) B'_t) = Tr(Ψ^(2r) (I ⊗ P^(2(s-r))))``
    for ``r <= s``, so

        E (ARP' - ARP_printed)² = Tr([Ψ²(c² - Ψ²)^{-1} - Φ²(c² - Φ²)^{-1}] (I ⊗ L)),
        L = 2 (I - P²/c)^{-1} - I,

    finite when ``ρ(Ψ) < c``, which is decided by the rank-one criterion
    ``δ² uᵀ(cI - Φ)^{-1} u < 1``. ``Ψ²`` is ``Φ²`` plus a rank-two matrix,
    so the Woodbury identity reduces everything to Stein equations
    ``c² Z - P² Z P²ᵀ = Y`` on n x n matrices, never n² x n². They
    and ``(I - P²/c)^{-1}`` are summed by doubling (sums of nonnegative
    products, so nothing cancels), in O(n³ log(1/(1 - ρ(P)²/c))) operations.

    Divergence is decided exactly: ``ARP_printed`` is ``inf`` exactly when
    ``ρ(P)² >= ζn`` (the rational test of
    :func:`repetition.average_repetition_probability`), and the mean square
    is ``inf`` also when ``ρ(Ψ) >= c``, by the rank-one criterion, in exact
    rational arithmetic when it is within 1e-6 of deciding the other way
    (n <= 8; refused above).

    Examples
    --------
    >>> P = np.full((5, 5), 0.19)          # ζn = 5, column sums of squares 0.18
    >>> t = paper_theorem2(P, 0.1)
    >>> t.hypotheses_hold, round(t.constant, 4)
    (True, 0.0375)
    >>> bool(t.mean_square < t.constant)
    True
    """
    chain = as_chain(P)
    P = chain.dense_or_refuse(DENSE_LIMIT, "Theorem 2")
    delta = check_real(delta, "delta", 0.0, None, low_open=False)
    n = chain.n
    c = float(chain.zeta_n)
    d2 = delta * delta
    col = float((P * P).sum(axis=0).max())
    holds = bool(col < 1.0 and c > 4.0 and n * d2 < 1.0)
    constant = 3.0 * c * d2 / ((c - 4.0) * (c - 1.0)) if c > 4.0 else float("nan")
    norm2 = float(sla.svdvals(P, check_finite=False)[0]) ** 2 if n else 0.0
    if c == 0 or not _arp_closed.series_converges(chain):  # exactly ρ(P)² >= ζn
        return PaperTheorem2(
            c, delta, col, holds, float("inf"), float("inf"), constant, norm2, n
        )
    eye = np.eye(n)
    X = (P @ P) / c
    (N,) = _doubling_sums(X, [eye], stein=False)  # (I - X)^{-1} = Σ_k X^k >= I
    arp = float(np.einsum("ij,ji->", X, N))  # Tr(X (I - X)^{-1}), nonnegative terms
    growth = float(N.sum(axis=1).max())  # ||(I - X)^{-1}||_∞
    # ρ(Ψ) < c  <=>  δ² uᵀ(cI - Φ)^{-1} u < 1 (a rank-one update of the M-matrix cI - Φ)
    g = float(np.trace(_doubling_sums(P / math.sqrt(c), [eye / c], stein=True)[0]))
    if d2 == 0.0:
        _sparse_rate.warn_conditioning(
            "Theorem 2: ARP_printed is close to diverging", growth
        )
        return PaperTheorem2(c, delta, col, holds, arp, 0.0, constant, norm2, n)
    if _second_moments_diverge(P, chain.zeta_n, delta, g):
        _sparse_rate.warn_conditioning(
            "Theorem 2: ARP_printed is close to diverging", growth
        )
        return PaperTheorem2(
            c, delta, col, holds, arp, float("inf"), constant, norm2, n
        )
    worst = max(growth, growth**2, 1.0 / (1.0 - d2 * g))
    _sparse_rate.warn_conditioning(
        "Theorem 2: ARP_printed or the mean square is close to diverging", worst
    )
    L = 2.0 * N - eye
    # vec(Z) for n x n matrices Z (row-major): Φ vec(Z) = vec(P Z Pᵀ), u = vec(I)
    U = (P @ P.T, eye)  # Φ u and u
    W = (
        eye,
        P.T @ P + n * d2 * eye,
    )  # u and Φᵀu + nδ² u:  Ψ² = Φ² + δ² [Φu, u][u, Φᵀu + nδ²u]ᵀ
    Y = _doubling_sums(X, [Ui / c**2 for Ui in U], stein=True)  # (c² - Φ²)^{-1} U
    S = np.eye(2) - d2 * np.array([[np.vdot(Wi, Yj) for Yj in Y] for Wi in W])
    V = _doubling_sums(
        X, [(Yj @ L.T) / c**2 for Yj in Y], stein=True
    )  # (c² - Φ²)^{-1} (I ⊗ L) (c² - Φ²)^{-1} U
    Omega = np.array([[np.vdot(Wi, Vj) for Vj in V] for Wi in W])
    ms = c**2 * d2 * float(np.trace(np.linalg.solve(S, Omega)))
    return PaperTheorem2(c, delta, col, holds, arp, max(ms, 0.0), constant, norm2, n)


def paper_perturbed_arp(
    P,
    delta: float,
    K: int,
    size: int,
    rng,
    law: str = "rademacher",
    p: float | None = None,
) -> np.ndarray:
    """Draw ``ARP'`` of the paper's Theorem 2 (as printed), truncated after K terms.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n), n <= 3000
        Transition matrix (the paper's ``B``); entries >= 0, row sums <= 1.
    delta : float
        Standard deviation δ >= 0 of every entry of every ``T_t``.
    K : int
        Number of terms, >= 1 (``2K`` perturbed factors per draw).
    size : int
        Number of independent draws, >= 1.
    rng : numpy.random.Generator, int or None
        Source of randomness, or a seed for :func:`numpy.random.default_rng`.
    law : {"rademacher", "normal", "three-point"}
        Law of every entry of ``T_t``: ``±δ`` with probability 1/2 each;
        normal with mean 0 and standard deviation ``δ``; or ``±δ/sqrt(2p)``
        with probability ``p`` each and 0 otherwise. All have mean 0 and
        variance ``δ²``, as the theorem assumes.
    p : float, optional
        For ``law="three-point"`` only: the probability of each nonzero
        value, in (0, 1/2].

    Returns
    -------
    numpy.ndarray of float64, shape (size,)
        ``ARP'_K = Σ_(r<=K) Tr(B'_1 ⋯ B'_(2r)) / (ζn)^r`` with
        ``B'_t = P + T_t`` and ``ζn`` that of ``P``: the series of
        :func:`paper_theorem2` cut after K terms (the omitted tail has root
        mean square at most :meth:`PaperTheorem2.tail_rms_bound`). The
        ``B'_t`` need not be transition matrices: the printed theorem puts
        no constraint on them beyond the moments.

    Raises
    ------
    TypeError, ValueError
        For invalid arguments, ``p`` missing for the three-point law or given
        for another, or ``n > 3000``.

    Notes
    -----
    Book, :numref:`Chapter %s <chapter-general-autoregressive>`, :prf:ref:`thm-ar-paper-theorem2`. Draws are made step
    by step (``2K`` steps of ``size x n x n`` entries, in chunks of 1,000
    draws), so the same seed gives the same values.

    Examples
    --------
    >>> P = np.full((5, 5), 0.19)
    >>> x = paper_perturbed_arp(P, 0.0, 30, 2, rng=0)      # δ = 0: the printed ARP itself
    >>> bool(np.allclose(x, paper_theorem2(P, 0.0).arp_printed))
    True
    """
    chain = as_chain(P)
    P = chain.dense_or_refuse(DENSE_LIMIT, "Theorem 2")
    delta = check_real(delta, "delta", 0.0, None, low_open=False)
    K = check_positive_int(K, "K")
    size = check_positive_int(size, "size")
    rng = as_generator(rng)
    law = check_choice(law, "law", _PAPER_LAWS)
    if law == "three-point":
        if p is None:
            raise ValueError("p must be given for law='three-point'")
        p = check_real(p, "p", 0.0, 0.5)
    elif p is not None:
        raise ValueError(
            f"p is used only with law='three-point', got p={p!r} with law={law!r}"
        )
    n = chain.n
    c = float(chain.zeta_n)
    if c == 0:
        return np.zeros(size)
    out = np.empty(size)
    for lo in range(0, size, _CHUNK):
        m = min(_CHUNK, size - lo)
        X = np.broadcast_to(np.eye(n), (m, n, n)).copy()
        total = np.zeros(m)
        for t in range(1, 2 * K + 1):
            if law == "rademacher":
                T = (rng.integers(0, 2, size=(m, n, n)) * 2.0 - 1.0) * delta
            elif law == "normal":
                T = (
                    rng.normal(0.0, delta, size=(m, n, n))
                    if delta > 0
                    else np.zeros((m, n, n))
                )
            else:
                u = rng.random((m, n, n))
                T = (
                    np.where(u < p, 1.0, 0.0)
                    - np.where((u >= p) & (u < 2 * p), 1.0, 0.0)
                ) * (delta / np.sqrt(2 * p))
            X = X @ (P + T)
            if t % 2 == 0:
                total += np.trace(X, axis1=1, axis2=2) / c ** (t // 2)
        out[lo : lo + m] = total
    return out
