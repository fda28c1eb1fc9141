"""The bigram decoder as a Markov chain: its transition matrix, validated once, and what is read off it.

Notation (see the book's notation page): ``P`` is the n x n block of the
(n+1) x (n+1) transition matrix over n tokens plus the end token, so its rows
sum to at most 1; ``A = P ⊙ P`` is its Hadamard (elementwise) square; ``B``
is its support; ``ζ`` is the fraction of nonzero entries of ``P`` and ``ζn``
the mean number of successors per token.

:class:`BigramChain` validates ``P`` once and computes each of these
quantities at most once, on first use, in the style of QuantEcon's
``MarkovChain``. Every public function of the package that takes a transition
matrix accepts either a matrix or a :class:`BigramChain`
(:func:`as_chain`), so a reader can validate once and pass the chain to many
functions, and one function calling another never validates or copies ``P``
again. The free functions of this module (:func:`hadamard_square`,
:func:`support`, :func:`sparsity`, :func:`cyclic_components`,
:func:`deterministic_cycle`) read the chain's cache.

Closed walks never leave a strongly connected component, so every quantity
built from traces of powers of ``A`` splits into a sum over the components
that carry a closed walk (:meth:`BigramChain.blocks`). Divergence of the
repetition rate is a property of the graph too (book, :numref:`Chapter %s <bigram-setup>`, theorem
:prf:ref:`thm-divergence`).
"""

from __future__ import annotations

from fractions import Fraction
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from . import _linalg
from ._validation import (
    ROW_SUM_TOLERANCE,
    as_transition_matrix,
    transition_matrix_and_tolerance,
)

__all__ = [
    "as_transition_matrix",
    "ROW_SUM_TOLERANCE",
    "BigramChain",
    "as_chain",
    "hadamard_square",
    "support",
    "sparsity",
    "cyclic_components",
    "deterministic_cycle",
]


def _frozen(X):
    """Mark a dense cached array read-only, so that a caller cannot change the chain's cache."""
    if isinstance(X, np.ndarray):
        X.flags.writeable = False
    return X


class BigramChain:
    """A bigram decoder's transition matrix, validated once, with its derived quantities cached.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix over n tokens: ``P[i, j]`` is the probability that
        token ``j`` follows token ``i``; entries >= 0 and row sums <= 1 (the
        missing mass is the end token). Real floating or integer dtype.
    name : str, default "P"
        Name of the argument, used in error messages.

    Attributes
    ----------
    P : numpy.ndarray or scipy.sparse.csr_array, shape (n, n), float64
        The validated matrix (a copy of the input; dense arrays are read-only).
    n : int
        Number of tokens.
    row_sum_tolerance : float
        How far above 1 a row sum of the input may be (rounding of a
        normalised row): ``ROW_SUM_TOLERANCE`` = 1e-12 for float64 and
        integer input, 7.6e-6 for float32. An end-token mass below it is
        rounding, not an outcome, for the decoding rules.
    A : numpy.ndarray or scipy.sparse.csr_array, shape (n, n), float64
        ``A = P ⊙ P`` (book, :numref:`Chapter %s <bigram-setup>`, eq. :eq:`eq-A`); sparse ``A`` stores no
        zeros, so a square that underflows is not an edge of ``A``.
    support : numpy.ndarray or scipy.sparse.csr_array, shape (n, n), int64
        ``B = 1[P > 0]`` (stored zeros of sparse input are not edges).
    out_degree : numpy.ndarray of int64, shape (n,)
        ``nnz_i``, the number of positive entries of row ``i``.
    nnz : int
        The number of positive entries of ``P``.
    zeta : float
        The sparsity ``ζ = nnz / n²`` (book, :numref:`Chapter %s <chapter-first-lower-bound>`, eq. :eq:`eq-zeta`).
    zeta_n : fractions.Fraction
        ``ζn = nnz / n``, the mean number of successors per token, exact.
    row_sums : numpy.ndarray of float64, shape (n,)
        ``s_i = Σ_j P_ij``.
    end_mass : numpy.ndarray of float64, shape (n,)
        ``b_i = max(0, 1 - s_i)``, the probability of the end token after
        token ``i``, correctly rounded from the exact row sum: the same bits
        for dense and sparse storage, and accurate to the last bit however
        small it is (0 for rows that sum to 1 or slightly more).
    cyclic_components : list of numpy.ndarray of int64
        The strongly connected components of the graph of ``P`` that carry a
        closed walk (see :func:`cyclic_components`).
    hadamard_components : list of numpy.ndarray of int64
        The same for the graph of ``A``; it differs from
        :attr:`cyclic_components` only where an entry of ``P`` is so small
        (below about 1e-154) that its square underflows to 0.
    deterministic_cycle : numpy.ndarray of int64 or None
        See :func:`deterministic_cycle`.
    deterministic_cycles : list of numpy.ndarray of int64
        Every cyclic component of the graph of entries equal to 1, largest
        first (:attr:`deterministic_cycle` is the first, or None).
    graph : scipy.sparse.csr_array, shape (n, n), float64
        The positive entries of ``P`` (no stored zeros, sorted indices): the
        transition graph with its weights.
    no_end_mass : numpy.ndarray of bool, shape (n,)
        Rows with no end-token mass: the *exact* sum of the row's entries is
        at least 1 (decided by ``math.fsum`` where the floating-point sum is
        too close to 1 to tell), so rows summing above 1 within
        ``ROW_SUM_TOLERANCE`` count too.
    trapped : numpy.ndarray of bool, shape (n,)
        Tokens of a strongly connected class the chain, once there, never
        leaves for the end token: a class with no edge leaving it and no row
        with end mass, or one containing a deterministic cycle (which forces
        the spectral radius of its block to be at least 1). A generated
        sequence that reaches such a token visits the tokens reachable from
        it infinitely often in expectation (book, :numref:`Chapter %s <chapter-expected-repeats>`).

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Notes
    -----
    The cached values are computed on first access and shared by every
    function the chain is passed to; do not modify them (dense ones are
    read-only).

    Examples
    --------
    >>> chain = BigramChain([[0.0, 0.5], [0.5, 0.25]])
    >>> chain.n, chain.nnz, chain.zeta_n, chain.end_mass.tolist()
    (2, 3, Fraction(3, 2), [0.5, 0.25])
    >>> chain.A.tolist()
    [[0.0, 0.25], [0.25, 0.0625]]
    """

    def __init__(self, P, name: str = "P"):
        self.name = name
        P, self.row_sum_tolerance = transition_matrix_and_tolerance(P, name)
        self.P = _frozen(P)
        self.n = int(self.P.shape[0])

    def __repr__(self) -> str:
        storage = "sparse" if sp.issparse(self.P) else "dense"
        return f"BigramChain(n={self.n}, {storage})"

    @cached_property
    def A(self):
        return _frozen(_linalg.hadamard(self.P))

    @cached_property
    def support(self):
        if sp.issparse(self.P):
            B = self.P.copy()
            B.eliminate_zeros()
            B.data = np.ones_like(B.data)
            return B.astype(np.int64)
        return _frozen((self.P > 0).astype(np.int64))

    @cached_property
    def out_degree(self) -> np.ndarray:
        if sp.issparse(self.P):
            P = self.P
            stored_zeros = np.bincount(
                np.repeat(np.arange(self.n), np.diff(P.indptr))[P.data == 0],
                minlength=self.n,
            )
            return _frozen((np.diff(P.indptr) - stored_zeros).astype(np.int64))
        return _frozen(np.count_nonzero(self.P, axis=1).astype(np.int64))

    @cached_property
    def nnz(self) -> int:
        return int(self.out_degree.sum())

    @cached_property
    def zeta(self) -> float:
        return self.nnz / float(self.n * self.n)

    @cached_property
    def zeta_n(self) -> Fraction:
        return Fraction(self.nnz, self.n)

    @cached_property
    def row_sums(self) -> np.ndarray:
        return _frozen(np.asarray(self.P.sum(axis=1), dtype=np.float64).ravel())

    @cached_property
    def end_mass(self) -> np.ndarray:
        return _frozen(_linalg.end_probabilities(self.graph))

    @cached_property
    def cyclic_components(self) -> list[np.ndarray]:
        return [
            _frozen(c) for c in _linalg.strong_cyclic_components(_linalg.graph(self.P))
        ]

    @cached_property
    def hadamard_components(self) -> list[np.ndarray]:
        return [_frozen(c) for c in _linalg.cyclic_components_of(self.A)]

    @cached_property
    def deterministic_cycles(self) -> list[np.ndarray]:
        return [_frozen(c) for c in _linalg.deterministic_cycles_of(self.P)]

    @cached_property
    def deterministic_cycle(self) -> np.ndarray | None:
        return self.deterministic_cycles[0] if self.deterministic_cycles else None

    @cached_property
    def graph(self) -> sp.csr_array:
        """The edges ``i -> j`` with ``P[i, j] > 0`` as a CSR matrix of the positive entries (sorted indices)."""
        G = _linalg.graph(self.P)
        G.sort_indices()
        return G

    @cached_property
    def no_end_mass(self) -> np.ndarray:
        return _frozen(_linalg.rows_without_end_mass(self.graph))

    @cached_property
    def trapped(self) -> np.ndarray:
        G = self.graph
        n = self.n
        _, labels = connected_components(G, directed=True, connection="strong")
        rows = np.repeat(np.arange(n), np.diff(G.indptr))
        leaves = labels[rows] != labels[G.indices]
        size = labels.max() + 1
        open_class = np.zeros(size, dtype=bool)
        open_class[labels[rows[leaves]]] = True
        ending_class = np.zeros(size, dtype=bool)
        ending_class[labels[~self.no_end_mass]] = True
        trap = ~open_class & ~ending_class
        for cycle in self.deterministic_cycles:
            trap[labels[cycle]] = True
        return _frozen(trap[labels])

    @cached_property
    def dense(self) -> np.ndarray:
        """``P`` as a dense array (``P`` itself when it is dense)."""
        return _frozen(_linalg.dense(self.P))

    def dense_or_refuse(self, limit: int, what: str) -> np.ndarray:
        """:attr:`dense`, or a ValueError naming ``what`` when ``n > limit``."""
        if self.n > limit:
            raise ValueError(
                f"{self.name} has n = {self.n} tokens; {what} is computed densely and accepts n <= {limit}"
            )
        return self.dense

    def power_diagonals(self, K: int) -> tuple[np.ndarray, np.ndarray]:
        """``diag(P^k)`` and ``Tr(P^(2k))`` for k = 1..K, computed once per chain and shared.

        Parameters
        ----------
        K : int
            Largest power, >= 1 (not validated: the public callers check it).

        Returns
        -------
        diagonals : numpy.ndarray, shape (K, n), float64
            Row ``k - 1`` is ``diag(P^k)``.
        traces : numpy.ndarray, shape (K,), float64
            ``Tr(P^(2k)) = Σ_ij (P^k)_ij (P^k)_ji``.

        Notes
        -----
        Every power ``P^1 .. P^K`` is formed once as a dense n x n array (a
        sparse ``P`` multiplies from the left), so the cost is K products and
        the values do not depend on which function asked first or for how
        many terms: :func:`repetition.arp_terms` and the lower bounds of
        :mod:`repetition.lower_bounds` read the same numbers. Read-only.
        """
        cached = self.__dict__.get("_power_diagonals")
        if cached is None or cached[0].shape[0] < K:
            diags, traces = _linalg.power_diagonals(self.P, K, square_traces=True)
            cached = (_frozen(diags), _frozen(traces))
            self.__dict__["_power_diagonals"] = cached
        return cached[0][:K], cached[1][:K]

    def blocks(self):
        """Yield ``(idx, A[idx][:, idx])`` for each component of :attr:`hadamard_components`, largest first.

        Closed walks of ``A`` stay inside these blocks, so ``Tr(A^k)``, the
        repetition rate and the nonzero eigenvalues of ``A`` are sums or
        unions over them.
        """
        for idx in self.hadamard_components:
            yield idx, _linalg.submatrix(self.A, idx)


def as_chain(P, name: str = "P") -> BigramChain:
    """``P`` itself if it is a :class:`BigramChain`, else a new chain built (and validated) from it.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        A chain, or a transition matrix as for :class:`BigramChain`.
    name : str, default "P"
        Name of the argument, used in error messages.

    Returns
    -------
    BigramChain

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for an invalid matrix.

    Examples
    --------
    >>> chain = as_chain([[0.5]])
    >>> as_chain(chain) is chain
    True
    """
    if isinstance(P, BigramChain):
        return P
    return BigramChain(P, name)


def hadamard_square(P):
    """The Hadamard (elementwise) square ``A = P ⊙ P``.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (validated: nonnegative, row sums <= 1).

    Returns
    -------
    A : numpy.ndarray or scipy.sparse.csr_array, shape (n, n), float64
        ``A[i, j] = P[i, j] ** 2``: the probability of the step ``i -> j``
        happening twice, once in each copy of a repeated subsequence
        (book, :numref:`Chapter %s <bigram-setup>`, eq. :eq:`eq-A`). The chain's cached array: a dense
        result is read-only (copy it to modify it); a sparse one stores no
        zeros.

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> hadamard_square([[0.5, 0.25], [0.0, 1.0]]).tolist()
    [[0.25, 0.0625], [0.0, 1.0]]
    """
    return as_chain(P).A


def support(P):
    """The support (adjacency) matrix ``B = 1[P > 0]`` as int64.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix.

    Returns
    -------
    B : numpy.ndarray or scipy.sparse.csr_array, shape (n, n), int64
        1 where ``P`` is positive, 0 elsewhere: the adjacency matrix of the
        transition graph (book, :numref:`Chapter %s <chapter-first-lower-bound>`). Zeros stored explicitly in sparse
        input are not edges. A dense result is read-only.

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> support([[0.5, 0.0], [0.25, 0.75]]).tolist()
    [[1, 0], [1, 1]]
    """
    return as_chain(P).support


def sparsity(P) -> float:
    """The sparsity ζ: the fraction of entries of ``P`` that are nonzero.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix.

    Returns
    -------
    float
        ``ζ = #{(i, j) : P[i, j] > 0} / n**2`` (Fu et al. 2021, Sec. 2;
        book, :numref:`Chapter %s <chapter-first-lower-bound>`, eq. :eq:`eq-zeta`). Greedy decoding has ``ζ n <= 1``.
        The exact mean number of successors ``ζn`` is
        :attr:`BigramChain.zeta_n`.

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> sparsity([[0.5, 0.5], [0.0, 1.0]])
    0.75
    """
    return as_chain(P).zeta


def cyclic_components(P) -> list[np.ndarray]:
    """The strongly connected components of the transition graph that carry a closed walk.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (nonnegative, row sums <= 1); the graph has an edge
        ``i -> j`` where ``P[i, j] > 0``.

    Returns
    -------
    list of numpy.ndarray of int64
        One sorted index array per strongly connected component that has at
        least two vertices or a self-loop, largest first (ties by smallest
        index). Tokens outside every returned component lie on no closed walk
        and contribute nothing to ``Tr(A^k)`` for any ``k`` (book, :numref:`Chapter %s <bigram-setup>`).

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> cyclic_components([[0, 1, 0], [1, 0, 0], [0.5, 0, 0]])
    [array([0, 1])]
    """
    return list(as_chain(P).cyclic_components)


def deterministic_cycle(P) -> np.ndarray | None:
    """A closed walk along which every step has probability exactly 1, if any.

    Parameters
    ----------
    P : BigramChain, array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (nonnegative, row sums <= 1).

    Returns
    -------
    numpy.ndarray of int64 or None
        The vertices of one strongly connected component of the graph of
        entries equal to 1 that carries a cycle (a deterministic cycle), or
        ``None`` if there is none. ``ρ(P ⊙ P) = 1`` and the repetition rate is
        infinite exactly when such a cycle exists (book, :numref:`Chapter %s <bigram-setup>`, theorem
        :prf:ref:`thm-divergence`). The test is exact: it compares entries with 1.0,
        with no tolerance and no eigenvalue computation.

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> deterministic_cycle([[0, 1], [1, 0]])
    array([0, 1])
    >>> deterministic_cycle([[0, 1], [0.5, 0]]) is None
    True
    """
    return as_chain(P).deterministic_cycle
