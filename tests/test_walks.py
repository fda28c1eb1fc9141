"""Unit tests of the exact closed-walk counts (repetition.walks)."""

import numpy as np
import scipy.sparse as sp

import repetition as rep


def test_walk_counts_are_exact_beyond_int64():
    P = np.full((4, 4), 0.25)
    assert rep.closed_walk_count(P, 40) == 4**40  # > 2^63
    assert (
        rep.closed_walk_count(np.full((5, 5), 0.2), 60) == 5**60
    )  # powers beyond 2^52: the int64 limb path
    assert rep.closed_walk_diagonal(P, 33).tolist() == [4**32] * 4
    C = np.array(
        [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]]
    )  # closed walks on K3: 2^k + 2(-1)^k
    for k in (1, 2, 7, 61, 62, 90):
        assert rep.closed_walk_count(C, k) == 2**k + 2 * (-1) ** k


def test_walks_of_underflowing_probability_are_counted():
    P = np.array([[1e-200, 0.0], [0.0, 0.0]])
    assert rep.closed_walk_count(P, 3) == 1
    assert rep.closed_walk_diagonal(sp.csr_array(P), 3).tolist() == [1, 0]
