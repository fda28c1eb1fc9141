"""The transition graph: strongly connected components and deterministic cycles.

Closed walks never leave a strongly connected component, so every quantity
built from traces of powers of ``A = P ⊙ P`` splits into a sum over the
components that carry a closed walk. Divergence of the repetition rate is a
property of this graph too (book, Chapter 1, theorem ``thm-divergence``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ._validation import as_transition_matrix

__all__ = ["cyclic_components", "deterministic_cycle"]


def _graph(P) -> sp.csr_array:
    G = sp.csr_array(P) if sp.issparse(P) else sp.csr_array(np.asarray(P))
    G = G.copy()
    G.eliminate_zeros()
    return G


def cyclic_components(P) -> list[np.ndarray]:
    """The strongly connected components of the transition graph that carry a closed walk.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (nonnegative, row sums <= 1); the graph has an edge
        ``i -> j`` where ``P[i, j] > 0``.

    Returns
    -------
    list of numpy.ndarray of int64
        One sorted index array per strongly connected component that has at
        least two vertices or a self-loop, largest first (ties by smallest
        index). Tokens outside every returned component lie on no closed walk
        and contribute nothing to ``Tr(A^k)`` for any ``k``.

    Raises
    ------
    TypeError, ValueError
        As :func:`repetition.as_transition_matrix` for invalid ``P``.

    Examples
    --------
    >>> cyclic_components([[0, 1, 0], [1, 0, 0], [0.5, 0, 0]])
    [array([0, 1])]
    """
    P = as_transition_matrix(P)
    return _cyclic_components_unchecked(_graph(P))


def _cyclic_components_unchecked(G: sp.csr_array) -> list[np.ndarray]:
    n = G.shape[0]
    _, labels = connected_components(G, directed=True, connection="strong")
    sizes = np.bincount(labels, minlength=labels.max() + 1 if n else 0)
    self_loop = np.zeros(n, dtype=bool)
    diag = G.diagonal()
    self_loop[diag > 0] = True
    loop_labels = np.zeros(sizes.size, dtype=bool)
    np.logical_or.at(loop_labels, labels, self_loop)
    keep = np.flatnonzero((sizes >= 2) | loop_labels)
    order = np.argsort(labels, kind="stable")
    starts = np.concatenate([[0], np.cumsum(sizes)])
    comps = [np.sort(order[starts[c]:starts[c + 1]]).astype(np.int64) for c in keep]
    comps.sort(key=lambda c: (-c.size, int(c[0])))
    return comps


def deterministic_cycle(P) -> np.ndarray | None:
    """A closed walk along which every step has probability exactly 1, if any.

    Parameters
    ----------
    P : array_like or scipy.sparse matrix, shape (n, n)
        Transition matrix (nonnegative, row sums <= 1).

    Returns
    -------
    numpy.ndarray of int64 or None
        The vertices of one strongly connected component of the graph of
        entries equal to 1 that carries a cycle (a deterministic cycle), or
        ``None`` if there is none. ``ρ(P ⊙ P) = 1`` and the repetition rate is
        infinite exactly when such a cycle exists (book, Chapter 1, theorem
        ``thm-divergence``). The test is exact: it compares entries with 1.0,
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
    P = as_transition_matrix(P)
    return _deterministic_cycle_unchecked(P)


def _cyclic_components_of(A) -> list[np.ndarray]:
    """:func:`cyclic_components` of a validated matrix; a dense one with no zero entry is one component."""
    if not sp.issparse(A) and A.size and float(A.min()) > 0.0:
        return [np.arange(A.shape[0], dtype=np.int64)]  # complete graph with self-loops (no n^2 sparse copy)
    return _cyclic_components_unchecked(_graph(A))


def _deterministic_cycle_unchecked(P) -> np.ndarray | None:
    if sp.issparse(P):
        G = _graph(P)
        G.data = (G.data >= 1.0).astype(np.float64)
        G.eliminate_zeros()
    else:  # only the entries equal to 1 become edges: no n^2 sparse copy of a dense P
        G = sp.csr_array(np.asarray(P) >= 1.0, dtype=np.float64)
    if G.nnz == 0:
        return None
    comps = _cyclic_components_unchecked(G)
    return comps[0] if comps else None
