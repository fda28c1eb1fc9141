"""Unit tests of the bigram chain: validation once, the cached quantities, and the free functions that read them."""

from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

import repetition as rep


def test_sparsity_and_support():
    P = np.array([[0.5, 0.5], [0.0, 1.0]])
    assert rep.sparsity(P) == 0.75
    np.testing.assert_array_equal(rep.support(P), [[1, 1], [0, 1]])
    np.testing.assert_array_equal(rep.hadamard_square(P), [[0.25, 0.25], [0.0, 1.0]])


@pytest.mark.parametrize(
    "P, exc, match",
    [
        (np.ones((2, 3)) * 0.1, ValueError, r"shape \(2, 3\)"),
        (np.ones(3) * 0.1, ValueError, "shape"),
        (np.ones((2, 2, 2)) * 0.1, ValueError, "shape"),
        (np.zeros((0, 0)), ValueError, "shape"),
        (np.array([[0.5, -0.1], [0.2, 0.2]]), ValueError, r"negative entry P\[0, 1\]"),
        (np.array([[np.nan, 0.1], [0.2, 0.2]]), ValueError, "NaN"),
        (np.array([[np.inf, 0.1], [0.2, 0.2]]), ValueError, "infinite"),
        (np.array([[0.6, 0.6], [0.2, 0.2]]), ValueError, "row 0 sums to 1.2"),
        (np.eye(2, dtype=complex) * 0.5, TypeError, "complex"),
        (np.array([[0.5, 0.5], [0.5, 0.5]], dtype=object), TypeError, "object"),
        (np.eye(2, dtype=bool), TypeError, "bool"),
    ],
)
def test_bad_transition_matrices(P, exc, match):
    for fn in (rep.repetition_rate, rep.sparsity, rep.hadamard_square, rep.BigramChain):
        with pytest.raises(exc, match=match):
            fn(P)


def test_sparse_negative_zero_and_duplicates_rejected():
    neg0 = sp.csr_array(
        (np.array([-0.0, 0.5]), (np.array([0, 1]), np.array([1, 0]))), shape=(2, 2)
    )
    with pytest.raises(ValueError, match="negative stored"):
        rep.repetition_rate(neg0)
    dup = sp.coo_array(
        (np.array([0.3, 0.3]), (np.array([0, 0]), np.array([1, 1]))), shape=(2, 2)
    )
    with pytest.raises(ValueError, match="duplicate"):
        rep.repetition_rate(dup)


def test_row_sum_tolerance_accepts_rounding():
    P = np.array(
        [[0.1] * 10] * 10
    )  # rows sum to 0.9999999999999999 or 1.0000000000000002 in floating point
    assert np.isfinite(rep.repetition_rate(P))


# --- the chain: validated once, cached, shared -------------------------------------------------


def test_chain_caches_and_every_function_accepts_it(monkeypatch):
    P = np.array([[0.0, 0.5, 0.25], [0.5, 0.0, 0.0], [0.0, 0.0, 0.75]])
    chain = rep.BigramChain(P)
    calls = []
    original = rep.chain.as_transition_matrix

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(rep.chain, "as_transition_matrix", counting)
    for f in (
        rep.repetition_rate,
        rep.eigen_upper_bound,
        rep.row_sum_upper_bound,
        rep.modulus_upper_bound,
        rep.eigen_repetition_rate,
        rep.repetition_rate_series,
        rep.frobenius_interval,
        rep.row_sums,
        rep.sparsity,
        rep.paper_theorem1,
        rep.paper_corollaries,
        rep.greedy,
        rep.lift_to_pairs,
        rep.deterministic_cycle,
        rep.cyclic_components,
    ):
        f(chain)
    for f, args in (
        (rep.repetition_terms, (4,)),
        (rep.lower_bound_table, (3,)),
        (rep.arp_terms, (3, "printed")),
        (rep.zeta_estimate_term, (2, "rows")),
        (rep.perturbed_rate_moments, (0.05, 2)),
        (rep.monte_carlo_repetition_rate, (2, 10, 0)),
    ):
        f(chain, *args)
    assert calls == []  # the chain was validated when it was built, never again
    assert rep.as_chain(chain) is chain
    assert chain.A is rep.hadamard_square(
        chain
    )  # computed once, then read from the cache


def test_chain_matches_the_free_functions_on_a_matrix():
    P = sp.csr_array(np.array([[0.0, 0.5, 0.25], [0.5, 0.0, 0.0], [0.0, 0.0, 0.75]]))
    chain = rep.BigramChain(P)
    assert chain.n == 3 and chain.nnz == 4 and chain.zeta == 4 / 9
    assert chain.zeta_n == Fraction(4, 3) and chain.out_degree.tolist() == [2, 1, 1]
    np.testing.assert_array_equal(chain.row_sums, [0.75, 0.5, 0.75])
    np.testing.assert_array_equal(chain.end_mass, [0.25, 0.5, 0.25])
    assert [c.tolist() for c in chain.cyclic_components] == [[0, 1], [2]]
    assert [c.tolist() for c in chain.hadamard_components] == [[0, 1], [2]]
    assert chain.deterministic_cycle is None
    blocks = [(idx.tolist(), Ac.toarray().tolist()) for idx, Ac in chain.blocks()]
    assert blocks == [([0, 1], [[0.0, 0.25], [0.25, 0.0]]), ([2], [[0.5625]])]
    diags, traces = chain.power_diagonals(2)
    np.testing.assert_allclose(
        diags, [[0.0, 0.0, 0.75], [0.25, 0.25, 0.5625]], rtol=1e-15
    )
    np.testing.assert_allclose(
        traces, [0.25 + 0.25 + 0.5625, 2 * 0.25**2 + 0.75**4], rtol=1e-15
    )


def test_tiny_entries_whose_squares_underflow_leave_the_graph_of_A():
    P = np.array([[0.0, 1e-170], [1e-170, 0.0]])
    chain = rep.BigramChain(P)
    assert [c.tolist() for c in chain.cyclic_components] == [[0, 1]]
    assert chain.hadamard_components == []
    assert rep.repetition_rate(chain) == 0.0


def test_cached_dense_arrays_are_read_only_and_the_input_is_copied():
    P = np.array([[0.5, 0.25], [0.0, 0.5]])
    chain = rep.BigramChain(P)
    P[0, 0] = 0.0  # changing the caller's array changes nothing in the chain
    assert chain.P[0, 0] == 0.5
    for cached in (chain.P, chain.A, chain.support, chain.row_sums, chain.end_mass):
        with pytest.raises(ValueError, match="read-only"):
            cached[0] = 0
    assert rep.row_sums(
        chain
    ).flags.writeable  # the free function returns a copy the caller may change


def test_chain_rejects_bad_input_naming_the_argument():
    with pytest.raises(ValueError, match="Q has row sums above 1"):
        rep.BigramChain([[0.9, 0.9], [0.0, 0.0]], name="Q")
    assert "n=2" in repr(rep.BigramChain(np.eye(2) * 0.5))


def test_sparsity_and_support_ignore_stored_zeros():
    # pin: ζ counting stored zeros slipped past all but one test
    P = sp.csr_array(
        (np.array([0.5, 0.0, 0.25, 0.0]), np.array([0, 1, 0, 1]), np.array([0, 2, 4])),
        shape=(2, 2),
    )
    assert P.nnz == 4
    assert (
        rep.sparsity(P) == 0.5
        and rep.BigramChain(P).nnz == 2
        and rep.BigramChain(P).zeta_n == 1
    )
    assert rep.support(P).toarray().tolist() == [[1, 0], [1, 0]]
