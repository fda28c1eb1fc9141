"""Benchmark of ``repetition.lower_bound_table`` on People's Daily characters (n = 4,687, K = 8).

Run from the repository root (about a minute on 2 cores)::

    python benchmarks/lower_bounds.py

Chapters 2 and 3 call ``lower_bound_table(P, 8)`` on the character-level
maximum-likelihood bigram of People's Daily. Nearly all its time goes into
13 products of the sparse ``P`` (or ``A = P ⊙ P``, or the support ``B``) with
a dense n x n power, and most of the rest into row sums of ``X ⊙ Yᵀ`` for
the diagonals of the powers. The baseline is the way the package formed
them before: scipy's own product ``X @ D`` (one thread, whole rows of ``D``
at a time) and the row blocks of ``_linalg.diag_of_product`` one after
another; the package now calls ``repetition._linalg.sparse_times_dense``
(column blocks of 64) and runs the independent blocks of both on up to 4
threads (``_linalg.BLOCK_THREADS``). Both run here in the same process,
alternately, 3 times each, with a fresh chain every time (no cached powers);
the fastest run of each counts. Timings on a shared machine are noisy:
compare the ratio (baseline over package), wall clock and CPU time alike.

The last lines check that every field of the two tables is identical bit for
bit (floats) or as Python ints (walk counts): the speed-up changes no digit.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

import repetition as rep
from repetition import _linalg

K = 8
RUNS = 3


def table(P):
    """One lower_bound_table on a fresh chain; (table, wall seconds, CPU seconds)."""
    chain = rep.BigramChain(P)
    wall, cpu = time.perf_counter(), time.process_time()
    t = rep.lower_bound_table(chain, K)
    return t, time.perf_counter() - wall, time.process_time() - cpu


def scipy_product(X, D):
    """The baseline: scipy's single-threaded sparse-times-dense product."""
    return np.asarray(X @ D)


def main() -> None:
    counts = rep.bigram_counts(rep.load_peoples_daily("char")).counts
    P = sp.csr_array(rep.transition_matrix(counts))
    print(
        f"People's Daily characters: n = {P.shape[0]}, nnz = {P.nnz}, K = {K}; "
        f"{_linalg.BLOCK_THREADS} threads, {_linalg.PRODUCT_COLUMNS} columns per block"
    )
    fast, threads = _linalg.sparse_times_dense, _linalg.BLOCK_THREADS
    best = {"baseline": (np.inf, np.inf), "package": (np.inf, np.inf)}
    tables = {}
    for _ in range(RUNS):
        for name in ("baseline", "package"):
            baseline = name == "baseline"
            _linalg.sparse_times_dense = scipy_product if baseline else fast
            _linalg.BLOCK_THREADS = 1 if baseline else threads
            try:
                tables[name], wall, cpu = table(P)
            finally:
                _linalg.sparse_times_dense, _linalg.BLOCK_THREADS = fast, threads
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    print(f"{'':10s} {'wall s':>8s} {'CPU s':>8s}")
    for name, (wall, cpu) in best.items():
        print(f"{name:10s} {wall:8.2f} {cpu:8.2f}")
    (bw, bc), (pw, pc) = best["baseline"], best["package"]
    print(f"ratio baseline / package: wall {bw / pw:.2f}, CPU {bc / pc:.2f}")
    a, b = tables["baseline"], tables["package"]
    fields = [f for f in vars(a) if getattr(a, f) is not None]
    for f in fields:
        x, y = getattr(a, f), getattr(b, f)
        same = (
            np.array_equal(np.asarray(x), np.asarray(y))
            if not isinstance(x, (int, float))
            else x == y
        )
        assert same, f"field {f} differs between the baseline and the package"
    print(
        f"all {len(fields)} fields identical (floats bit for bit, walk counts as exact ints)"
    )


if __name__ == "__main__":
    main()
