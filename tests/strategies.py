"""Hypothesis strategies for (sub)stochastic transition matrices (exact references: repetition.reference).

The strategies draw the *shape* of a test matrix from hypothesis (size, structure,
row mass, storage format, and for tiny matrices every entry) and, for larger
matrices, fill the values from a numpy generator seeded by a hypothesis-drawn
integer. Hypothesis therefore controls, replays and shrinks every choice, and
generating a 60 x 60 matrix costs microseconds rather than 3,600 drawn floats.

Families (``kind``):

``generic``            random support of random density, nothing enforced
``irreducible``        a random Hamiltonian cycle added: one strongly connected component
``reducible``          two blocks with edges only from the first to the second (plus permutation)
``near_deterministic`` one entry per row close to 1, the rest tiny: spectral radius of P ⊙ P near 1
``deterministic``      rows that put all their mass on one successor (R may be infinite)
``near_uniform``       full support, entries 1/n up to a relative jitter of 1e-3
``peaked``             softmax of Gaussian logits at a random inverse temperature

Row mass (``mass``): ``stochastic`` (rows sum to 1), ``substochastic`` (every row
leaks end-token mass) or ``mixed``; zero rows (the model always stops) occur too.

Every drawn matrix is wrapped in a :class:`Case` whose ``repr`` rebuilds it
exactly (full float precision), so a failing example printed by hypothesis can
be pasted into a unit test as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import scipy.sparse as sp
from hypothesis import strategies as st

from repetition.reference import brute_force_deterministic_cycle

KINDS = (
    "generic",
    "irreducible",
    "reducible",
    "near_deterministic",
    "deterministic",
    "near_uniform",
    "peaked",
)
MASSES = ("stochastic", "substochastic", "mixed")
FORMATS = ("dense", "csr", "csc", "coo", "csr_explicit_zeros")

#: Size classes and their relative weights: tiny (n = 1, 2), small (3..8),
#: medium (9..20), moderate (21..max_n). Properties pay O(n^3) per example,
#: so the moderate class is drawn less often.
SIZE_CLASSES = (
    ("tiny", 1, 2, 3),
    ("small", 3, 8, 4),
    ("medium", 9, 20, 2),
    ("moderate", 21, 60, 1),
)

#: Values that the tiny strategy mixes into its draws: exact 0 and 1, powers
#: of two, and values a hair away from 0 and 1.
SPECIAL = (0.0, 1.0, 0.5, 0.25, 1e-9, 1 - 1e-9, 1 - 1e-6, 1e-300)


@dataclass
class Case:
    """A drawn transition matrix: ``P`` (dense ndarray or scipy.sparse), with its recipe."""

    P: object
    kind: str
    mass: str
    fmt: str
    dense: np.ndarray = field(repr=False)

    @property
    def n(self) -> int:
        return self.dense.shape[0]

    def __repr__(self) -> str:  # exact and pasteable
        rows = ", ".join(
            "[" + ", ".join(repr(float(x)) for x in row) + "]" for row in self.dense
        )
        return f"Case(kind={self.kind!r}, mass={self.mass!r}, fmt={self.fmt!r}, P=np.array([{rows}]))"

    def _repr_pretty_(
        self, printer, cycle
    ):  # used by hypothesis when it reports a failing example
        printer.text(repr(self))


def to_format(dense: np.ndarray, fmt: str, rng: np.random.Generator | None = None):
    """Store ``dense`` as ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "dense":
        return dense
    if fmt == "csr":
        return sp.csr_array(dense)
    if fmt == "csc":
        return sp.csc_array(dense)
    if fmt == "coo":
        return sp.coo_array(dense)
    if fmt == "csr_explicit_zeros":
        # Positive zeros stored explicitly are not edges and must change nothing.
        rows, cols = np.nonzero(dense)
        zr, zc = np.nonzero(dense == 0)
        if zr.size:
            pick = (rng or np.random.default_rng(0)).random(zr.size) < 0.5
            zr, zc = zr[pick], zc[pick]
        r = np.concatenate([rows, zr])
        c = np.concatenate([cols, zc])
        data = np.concatenate([dense[rows, cols], np.zeros(zr.size)])
        return sp.csr_array((data, (r, c)), shape=dense.shape)
    raise ValueError(fmt)


def _cycle(mask: np.ndarray, nodes: np.ndarray) -> None:
    for a, b in zip(nodes, np.roll(nodes, -1), strict=True):
        mask[a, b] = True


def _fill(rng: np.random.Generator, n: int, kind: str, mass: str) -> np.ndarray:
    """Build an n x n (sub)stochastic matrix of the given family from ``rng``."""
    density = rng.choice([1.0, 0.5, 0.2, min(1.0, 2.5 / n)])
    mask = rng.random((n, n)) < density
    if kind in ("near_uniform", "peaked"):
        mask[:] = True
    if kind in ("irreducible", "near_deterministic"):
        _cycle(mask, rng.permutation(n))
    if kind == "reducible" and n >= 2:
        a = int(rng.integers(1, n))
        perm = rng.permutation(n)
        first, second = perm[:a], perm[a:]
        mask[np.ix_(second, first)] = False  # no way back: at least two components
        _cycle(mask, first)
        _cycle(mask, second)
    if kind == "near_uniform":
        W = 1.0 + 1e-3 * rng.standard_normal((n, n))
    elif kind == "peaked":
        beta = rng.choice([0.0, 1.0, 5.0, 20.0])
        logits = beta * rng.standard_normal((n, n))
        W = np.exp(logits - logits.max(axis=1, keepdims=True))
    elif kind in ("near_deterministic", "deterministic"):
        eps = 0.0 if kind == "deterministic" else rng.choice([1e-3, 1e-6, 1e-9])
        W = eps * rng.random((n, n)) * mask
        for i in range(n):
            cols = np.flatnonzero(mask[i])
            if cols.size:
                W[i, rng.choice(cols)] = 1.0
    else:
        W = rng.exponential(size=(n, n)) ** rng.choice([1.0, 3.0])
    W = np.where(mask, W, 0.0)
    if mass == "stochastic":
        m = np.ones(n)
    elif mass == "substochastic":
        lo = rng.choice([0.0, 0.5, 0.9, 0.999])
        m = rng.uniform(lo, 1.0, size=n)
        if kind == "near_deterministic":
            m = 1.0 - rng.choice([1e-9, 1e-6, 1e-3], size=n)
    else:
        m = np.where(rng.random(n) < 0.5, 1.0, rng.uniform(0.0, 1.0, size=n))
    if rng.random() < 0.1:  # a row that always stops
        m[rng.integers(n)] = 0.0
    s = W.sum(axis=1)
    return np.divide(
        W * m[:, None], s[:, None], out=np.zeros((n, n)), where=s[:, None] > 0
    )


_TINY_VALUE = st.one_of(st.sampled_from(SPECIAL), st.floats(0.0, 1.0, allow_nan=False))
_TINY_MASS = st.one_of(st.just(1.0), st.sampled_from(SPECIAL), st.floats(0.0, 1.0))
_SEEDS = st.integers(0, 2**32 - 1)


def _tiny_dense(draw, n: int) -> tuple[np.ndarray, str]:
    """Every entry of an n <= 2 matrix drawn by hypothesis (best shrinking, exact 0/1 edge cases)."""
    W = np.array([[draw(_TINY_VALUE) for _ in range(n)] for _ in range(n)])
    masses = np.array([draw(_TINY_MASS) for _ in range(n)])
    s = W.sum(axis=1)
    P = np.divide(
        W * masses[:, None], s[:, None], out=np.zeros((n, n)), where=s[:, None] > 0
    )
    label = "stochastic" if np.all(masses == 1.0) else "mixed"
    return P, label


def _size_table(min_n: int, max_n: int) -> list[int]:
    """Sizes to sample from, each repeated by its class weight, smallest first (hypothesis shrinks to the front)."""
    out = []
    for _, lo, hi, weight in SIZE_CLASSES:
        sizes = [n for n in range(max(lo, min_n), min(hi, max_n) + 1)]
        if sizes:
            reps = max(
                1, round(weight * 24 / len(sizes))
            )  # the class weight, spread over its sizes
            out += [n for n in sizes for _ in range(reps)]
    return out


def transition_matrices(
    min_n: int = 1, max_n: int = 60, kinds=KINDS, masses=MASSES, formats=FORMATS
):
    """A strategy for :class:`Case`: a valid (sub)stochastic transition matrix.

    Three hypothesis draws for n >= 3 (size, family x row mass x format, seed),
    so that thousands of examples per property stay cheap; for n <= 2, half of
    the examples have every entry drawn by hypothesis.
    """
    sizes = st.sampled_from(_size_table(min_n, max_n))
    recipes = st.sampled_from(
        [(k, m, f) for k in kinds for m in masses for f in formats]
    )

    @st.composite
    def draw_case(draw):
        n = draw(sizes)
        kind, mass, fmt = draw(recipes)
        rng = np.random.default_rng(draw(_SEEDS))
        if n <= 2 and draw(st.booleans()):
            dense, mass = _tiny_dense(draw, n)
            kind = "tiny_drawn"
        else:
            dense = _fill(rng, n, kind, mass)
        return Case(to_format(dense, fmt, rng), kind, mass, fmt, dense)

    return draw_case()


def finite_rate(case: Case) -> bool:
    """Whether the repetition rate is finite, decided independently of the package.

    Every row sums to at most 1, so an entry equal to 1.0 is the only nonzero
    entry of its row (up to the 1e-12 tolerance); the graph of such entries is
    a functional graph, and it has a cycle exactly when following it from some
    vertex for n steps returns to a visited vertex.
    """
    return brute_force_deterministic_cycle(case.dense) is None


# ---------------------------------------------------------------------------
# Exact rational matrices


@dataclass
class RationalCase:
    """Integer bigram counts (n, n + 1); ``exact`` is P as Fractions, ``P`` its float64 rounding."""

    counts: np.ndarray
    exact: list
    P: np.ndarray

    @property
    def n(self) -> int:
        return self.P.shape[0]

    def __repr__(self) -> str:
        return f"RationalCase(counts=np.array({self.counts.tolist()!r}))"

    def _repr_pretty_(self, printer, cycle):
        printer.text(repr(self))


def rational_from_counts(counts: np.ndarray) -> list:
    """P[i][j] = counts[i, j] / Σ_j' counts[i, j'] as Fractions (a zero row stays zero)."""
    n = counts.shape[0]
    out = []
    for row in counts.tolist():
        total = sum(row)
        out.append(
            [Fraction(int(x), int(total)) if total else Fraction(0) for x in row[:n]]
        )
    return out


_COUNT = st.one_of(st.just(0), st.integers(0, 6))
_END_COUNT = st.one_of(st.just(0), st.integers(0, 6), st.just(10**9))
_RATIONAL_RECIPE = st.tuples(
    st.sampled_from([0.0, 0.3, 0.6, 0.9]),
    st.sampled_from(["none", "small", "huge"]),
    _SEEDS,
)


def rational_matrices(min_n: int = 1, max_n: int = 6, max_count: int = 6):
    """A strategy for :class:`RationalCase`: integer bigram counts and their exact transition matrix.

    For n <= 2, half of the examples have every count drawn by hypothesis
    (entries 0..6, end counts 0..6 or 10**9); the rest come from a seeded
    generator with a drawn zero probability (sparsity) and end-count regime:
    none (stochastic rows), small, or huge token counts against an end count
    of 0..2 (row mass 1 - O(1e-9): spectral radius near 1).
    """
    sizes = st.integers(min_n, max_n)

    @st.composite
    def draw_case(draw):
        n = draw(sizes)
        if n <= 2 and draw(st.booleans()):
            counts = np.array(
                [
                    [draw(_COUNT) for _ in range(n)] + [draw(_END_COUNT)]
                    for _ in range(n)
                ],
                dtype=np.int64,
            )
        else:
            zero_p, end_mode, seed = draw(_RATIONAL_RECIPE)
            rng = np.random.default_rng(seed)
            counts = rng.integers(0, max_count + 1, size=(n, n + 1)) * (
                rng.random((n, n + 1)) >= zero_p
            )
            if end_mode == "none":
                counts[:, n] = 0
            elif end_mode == "huge":
                counts[:, :n] *= 10**9 // max(1, max_count)
                counts[:, n] = rng.integers(0, 3, size=n)
        exact = rational_from_counts(counts)
        P = np.array([[float(x) for x in row] for row in exact])
        return RationalCase(counts, exact, P)

    return draw_case()


def condition_bound(P_dense: np.ndarray) -> float:
    """A cheap upper estimate of ``||(I - A)^{-1}||_inf`` scaled as in the package's warning (for tolerances)."""
    A = P_dense * P_dense
    n = A.shape[0]
    try:
        M = np.linalg.inv(np.eye(n) - A)
    except np.linalg.LinAlgError:
        return math.inf
    return 2.0 * float(np.abs(M).sum(axis=1).max())
