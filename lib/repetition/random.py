"""Random transition matrices: the families of decoders the book's experiments draw.

Every generator takes scipy's ``rng`` argument (an int seed, None or a
``numpy.random.Generator``) and returns a dense float64 (sub)stochastic
matrix, so the same seed gives the same matrix on every machine:

* :func:`random_transition_matrix`: uniform weights on the support a decoding
  rule leaves (dense, i.i.d. entries, top-k, greedy) and a random row mass
  (the sweeps of Chapters 2 and 3);
* :func:`random_decoder`: uniform weights raised to a power (larger powers
  give more peaked rows), an optional i.i.d. support and one of the end-token
  conventions of Chapters 1, 4 and 5;
* :func:`dirichlet_decoder`: Dirichlet rows scaled to a mass, small entries
  cut to zero (:numref:`Chapter %s <chapter-general-autoregressive>`);
* :func:`count_decoder`: the maximum-likelihood estimate of random small
  integer counts, with many ties (:numref:`Chapter %s <chapter-decoding>`).

Draws happen in the order the chapters made them, so a chapter that replaces
its own loop by one of these calls gets the same matrices for the same seed.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_generator, check_choice, check_positive_int, check_real
from .estimate import transition_matrix

__all__ = [
    "random_transition_matrix",
    "random_decoder",
    "dirichlet_decoder",
    "count_decoder",
]

_SUPPORTS = ("dense", "iid", "top-k", "greedy")

_ENDS = ("none", "ratio", "random-ratio", "offset", "random-offset")


def random_transition_matrix(
    n: int,
    support: str = "dense",
    *,
    density: float = 0.1,
    width: int = 5,
    mass_low: float = 0.5,
    rng=None,
) -> np.ndarray:
    """A random substochastic transition matrix with the support left by a decoding rule.

    Parameters
    ----------
    n : int
        Number of tokens, n >= 1.
    support : {"dense", "iid", "top-k", "greedy"}, default "dense"
        ``"dense"``: every entry positive (sampling from a softmax);
        ``"iid"``: each entry present independently with probability
        ``density``; ``"top-k"``: exactly ``width`` successors per token, at
        random; ``"greedy"``: exactly one successor per token (``ζ n = 1``).
    density : float, default 0.1
        Entry probability for ``"iid"``, in (0, 1].
    width : int, default 5
        Successors per token for ``"top-k"``, 1 <= width <= n.
    mass_low : float, default 0.5
        Each row is scaled to a total mass drawn uniformly from
        ``[mass_low, 1)``; the rest is the end-token probability.
    rng : numpy.random.Generator or int or None
        Random source (or seed) for :func:`numpy.random.default_rng`.

    Returns
    -------
    numpy.ndarray, shape (n, n), float64
        Rows with uniform random weights on the chosen support, normalised
        and scaled to their mass (an ``"iid"`` row with no entry is zero).
        Used by the random sweeps of the book's Chapters 2 and 3.

    Raises
    ------
    TypeError
        If ``n`` or ``width`` is not an integer, ``support`` is not a
        string, ``density``/``mass_low`` is not a real number, or ``rng``
        is neither a Generator, an int seed nor None.
    ValueError
        If ``n < 1``, ``support`` is unknown, ``density`` is not in (0, 1],
        ``width < 1`` (or ``width > n`` for ``"top-k"``) or ``mass_low`` is not
        in (0, 1), or ``rng`` is a negative seed.

    Notes
    -----
    Book, Chapters 2 and 3, random sweeps.

    Examples
    --------
    >>> P = random_transition_matrix(6, "greedy", rng=0)
    >>> (P > 0).sum(axis=1).tolist(), bool(P.sum(axis=1).max() < 1)
    ([1, 1, 1, 1, 1, 1], True)
    """
    n = check_positive_int(n, "n")
    if not isinstance(support, str) or support not in _SUPPORTS:
        raise ValueError(f"support must be one of {_SUPPORTS}, got {support!r}")
    density = check_real(density, "density", 0.0, 1.0)
    width = check_positive_int(width, "width")
    if support == "top-k" and width > n:
        raise ValueError(f"width must be at most n = {n}, got {width}")
    mass_low = check_real(mass_low, "mass_low", 0.0, 1.0, high_open=True)
    rng = as_generator(rng)
    if support == "dense":
        mask = np.ones((n, n), dtype=bool)
    elif support == "iid":
        mask = rng.random((n, n)) < density
    else:
        per_row = width if support == "top-k" else 1
        mask = np.zeros((n, n), dtype=bool)
        for i in range(n):
            mask[i, rng.choice(n, size=per_row, replace=False)] = True
    W = rng.random((n, n)) * mask
    rows = W.sum(axis=1, keepdims=True)
    W = np.divide(W, rows, out=np.zeros_like(W), where=rows > 0)
    return W * rng.uniform(mass_low, 1.0, size=(n, 1))


def random_decoder(
    n: int,
    *,
    power: float = 1.0,
    density: float | None = None,
    end: str = "none",
    end_size: float = 0.0,
    rng=None,
) -> np.ndarray:
    """A random decoder: uniform weights raised to ``power``, an optional random support, and an end-token mass.

    Parameters
    ----------
    n : int
        Number of tokens, n >= 1.
    power : float, default 1.0
        Weights are ``U^power`` with ``U`` uniform on [0, 1): a larger power
        puts more of a row's mass on its largest entries (> 0).
    density : float or None, default None
        Each entry is kept independently with this probability, in (0, 1]
        (the support is drawn even for 1.0); None keeps every entry and
        draws no support.
    end : {"none", "ratio", "random-ratio", "offset", "random-offset"}, default "none"
        How the row with weights ``w`` and weight sum ``Σw`` is normalised,
        with ``e = end_size`` and ``U_i`` uniform on [0, 1) drawn per row:
        ``"none"``: ``w / Σw`` (rows sum to 1, no end token);
        ``"ratio"``: ``w / (Σw (1 + e))``; ``"random-ratio"``:
        ``w / (Σw (1 + e U_i))``; ``"offset"``: ``w / (Σw + e)``;
        ``"random-offset"``: ``w / (Σw + e U_i)``. A row with no weight is
        zero (the model stops at once).
    end_size : float, default 0.0
        The ``e`` above, >= 0 (the random forms draw ``U_i`` even when it is 0).
    rng : numpy.random.Generator or int or None
        Random source (or seed) for :func:`numpy.random.default_rng`.

    Returns
    -------
    numpy.ndarray, shape (n, n), float64
        A (sub)stochastic matrix. Draws, in order: the weights
        ``rng.random((n, n)) ** power``, the support ``rng.random((n, n)) <
        density`` (unless ``density`` is None), the per-row ``U`` (only for
        the random end forms): the order of the hand-written generators of the
        book's :numref:`Chapter %s <bigram-setup>` (section "What R counts"),
        :numref:`Chapter %s <chapter-decoding>` (the greedy,
        truncation, count-lowering and temperature experiments) and :numref:`Chapter %s <chapter-eigen-upper>`
        (the random spectra, looseness and timing experiments).

    Raises
    ------
    TypeError
        If ``n`` is not an integer, ``power``/``density``/``end_size`` is not
        a real number, ``end`` is not a string, or ``rng`` cannot seed a
        generator.
    ValueError
        If ``n < 1``, ``power <= 0``, ``density`` is not in (0, 1], ``end`` is
        unknown, ``end_size < 0``, or ``rng`` is a negative seed.

    Examples
    --------
    >>> # every row ends w.p. 0.2
    >>> P = random_decoder(4, power=2.0, end="ratio", end_size=0.25, rng=0)
    >>> np.round(P.sum(axis=1), 12).tolist()
    [0.8, 0.8, 0.8, 0.8]
    >>> rng = np.random.default_rng(0)          # the same draws, written out
    >>> W = rng.random((4, 4)) ** 2.0
    >>> bool(np.array_equal(P, W / (W.sum(axis=1, keepdims=True) * 1.25)))
    True
    """
    n = check_positive_int(n, "n")
    power = check_real(power, "power", 0.0, None)
    if density is not None:
        density = check_real(density, "density", 0.0, 1.0)
    end = check_choice(end, "end", _ENDS)
    e = check_real(end_size, "end_size", 0.0, None, low_open=False)
    rng = as_generator(rng)
    W = rng.random((n, n)) ** power
    if density is not None:
        W = W * (rng.random((n, n)) < density)
    s = W.sum(axis=1, keepdims=True)
    if end == "none":
        total = s
    elif end == "ratio":
        total = s * (1 + e)
    elif end == "random-ratio":
        total = s * (1 + e * rng.random((n, 1)))
    elif end == "offset":
        total = s + e
    else:
        total = s + e * rng.random((n, 1))
    return np.divide(W, total, out=np.zeros_like(W), where=s > 0)


def dirichlet_decoder(
    n: int,
    *,
    concentration: float = 0.4,
    mass: float = 0.8,
    cut: float = 0.02,
    rng=None,
) -> np.ndarray:
    """A random decoder with Dirichlet rows: ``mass`` times a Dirichlet draw, entries below ``cut`` set to 0.

    Parameters
    ----------
    n : int
        Number of tokens, n >= 1.
    concentration : float, default 0.4
        The Dirichlet parameter of every entry, > 0 (small values give peaked
        rows).
    mass : float, default 0.8
        Row mass before the cut, in (0, 1]; the rest is the end token.
    cut : float, default 0.02
        Entries below it become 0 (their mass goes to the end token), >= 0.
    rng : numpy.random.Generator or int or None
        Random source (or seed) for :func:`numpy.random.default_rng`.

    Returns
    -------
    numpy.ndarray, shape (n, n), float64
        ``rng.dirichlet(np.full(n, concentration), size=n) * mass`` with the
        entries below ``cut`` zeroed: the random decoders of the book's
        :numref:`Chapter %s <chapter-general-autoregressive>` (Theorem 1 and the perturbed bigram).

    Raises
    ------
    TypeError
        If ``n`` is not an integer or a parameter is not a real number.
    ValueError
        If a parameter is out of range.

    Examples
    --------
    >>> P = dirichlet_decoder(5, rng=8)
    >>> bool(np.all(P.sum(axis=1) <= 0.8 + 1e-12)), bool(np.all((P == 0) | (P >= 0.02)))
    (True, True)
    """
    n = check_positive_int(n, "n")
    concentration = check_real(concentration, "concentration", 0.0, None)
    mass = check_real(mass, "mass", 0.0, 1.0)
    cut = check_real(cut, "cut", 0.0, None, low_open=False)
    rng = as_generator(rng)
    P = rng.dirichlet(np.full(n, concentration), size=n) * mass
    P[P < cut] = 0.0
    return P


def count_decoder(
    n: int, *, max_count: int = 5, end: bool = True, rng=None
) -> np.ndarray:
    """The maximum-likelihood decoder of random small integer bigram counts (many ties).

    Parameters
    ----------
    n : int
        Number of tokens, n >= 1.
    max_count : int, default 5
        Counts are drawn uniformly from ``0..max_count`` (>= 1).
    end : bool, default True
        Whether the end-token column keeps its drawn counts; without it every
        row sums to 1.
    rng : numpy.random.Generator or int or None
        Random source (or seed) for :func:`numpy.random.default_rng`.

    Returns
    -------
    numpy.ndarray, shape (n, n), float64
        :func:`repetition.transition_matrix` of counts
        ``rng.integers(0, max_count + 1, size=(n, n + 1))``, the end column
        zeroed when ``end`` is False, and a row with no count given one count
        of token 0: the "counts" family of the book's :numref:`Chapter %s <chapter-decoding>`.

    Raises
    ------
    TypeError
        If ``n``/``max_count`` is not an integer or ``end`` not a bool.
    ValueError
        If ``n < 1`` or ``max_count < 1``.

    Examples
    --------
    >>> P = count_decoder(3, end=False, rng=0)
    >>> np.round(P.sum(axis=1), 12).tolist()
    [1.0, 1.0, 1.0]
    """
    n = check_positive_int(n, "n")
    max_count = check_positive_int(max_count, "max_count")
    if not isinstance(end, (bool, np.bool_)):
        raise TypeError(f"end must be True or False, got {end!r}")
    rng = as_generator(rng)
    C = rng.integers(0, max_count + 1, size=(n, n + 1))
    C[:, -1] = C[:, -1] if end else 0
    C[C.sum(axis=1) == 0, 0] = 1
    return transition_matrix(C)
