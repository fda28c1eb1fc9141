"""Bad input is refused, everywhere, with a message naming the argument and the offending value.

The table of bad transition matrices (non-square, 1-D, 3-D, empty, negative,
NaN, inf, row sums above 1 + 1e-12, complex/object/bool/string dtype, sparse
with stored negative zeros or duplicate entries) is run through *every*
public function that takes a transition matrix; the table of bad scalars
(k <= 0 or non-integer, γ outside (0, 1), p outside (0, 1], temperature <= 0,
top-k < 1, tolerances, sizes, generators) through every function that takes
them. Each call must raise ``ValueError`` or ``TypeError`` (as listed) whose
message contains the argument's name and the offending value; no call may
return a number.

``test_every_public_function_is_in_the_table`` fails when a public function is
added to the package without rows here, so coverage cannot silently erode.
"""

from __future__ import annotations

import inspect
import math
import re
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

import repetition as rep

RNG = np.random.default_rng  # a fresh generator per call keeps rows independent
GOOD = np.array([[0.25, 0.5], [0.5, 0.25]])

# --------------------------------------------------------------------------
# Every public function taking a transition matrix, called with that matrix
# as ``P`` and otherwise valid arguments.

MATRIX_FUNCTIONS = {
    "as_transition_matrix": lambda P: rep.as_transition_matrix(P),
    "BigramChain": lambda P: rep.BigramChain(P),
    "as_chain": lambda P: rep.as_chain(P),
    "hadamard_square": lambda P: rep.hadamard_square(P),
    "support": lambda P: rep.support(P),
    "sparsity": lambda P: rep.sparsity(P),
    "cyclic_components": lambda P: rep.cyclic_components(P),
    "deterministic_cycle": lambda P: rep.deterministic_cycle(P),
    "repetition_rate": lambda P: rep.repetition_rate(P),
    "repetition_terms": lambda P: rep.repetition_terms(P, 3),
    "eigen_upper_bound": lambda P: rep.eigen_upper_bound(P),
    "row_sum_upper_bound": lambda P: rep.row_sum_upper_bound(P),
    "modulus_upper_bound": lambda P: rep.modulus_upper_bound(P),
    "eigen_repetition_rate": lambda P: rep.eigen_repetition_rate(P),
    "repetition_rate_series": lambda P: rep.repetition_rate_series(P),
    "sample_chains": lambda P: rep.sample_chains(P, np.array([0]), 2, RNG(0)),
    "monte_carlo_repetition_rate": lambda P: rep.monte_carlo_repetition_rate(
        P, 2, 10, RNG(0)
    ),
    "greedy": lambda P: rep.greedy(P),
    "top_k": lambda P: rep.top_k(P, 1),
    "top_p": lambda P: rep.top_p(P, 0.5),
    "temperature": lambda P: rep.temperature(P, 1.0),
    "beam_search": lambda P: rep.beam_search(P, 0, 1, 2),
    "row_sums": lambda P: rep.row_sums(P),
    "row_square_sums": lambda P: rep.row_square_sums(P),
    "row_square_sum_floor": lambda P: rep.row_square_sum_floor(P),
    "frobenius_interval": lambda P: rep.frobenius_interval(P),
    "arp_terms": lambda P: rep.arp_terms(P, 2),
    "arp_tail_bound": lambda P: rep.arp_tail_bound(P, 2),
    "closed_walk_diagonal": lambda P: rep.closed_walk_diagonal(P, 2),
    "closed_walk_count": lambda P: rep.closed_walk_count(P, 2),
    "cauchy_schwarz_bound": lambda P: rep.cauchy_schwarz_bound(P, 2),
    "per_row_bound": lambda P: rep.per_row_bound(P, 2),
    "row_lower_bound": lambda P: rep.row_lower_bound(P, 2),
    "zeta_estimate_term": lambda P: rep.zeta_estimate_term(P, 2),
    "lower_bound_table": lambda P: rep.lower_bound_table(P, 2),
    "paper_theorem1": lambda P: rep.paper_theorem1(P),
    "paper_corollaries": lambda P: rep.paper_corollaries(P),
    "perturbation_amplitudes": lambda P: rep.perturbation_amplitudes(P, 0.1),
    "perturbed_matrices": lambda P: rep.perturbed_matrices(P, 0.1, 2, RNG(0)),
    "perturbed_rate_moments": lambda P: rep.perturbed_rate_moments(P, 0.1, 2),
    "perturbed_chains": lambda P: rep.perturbed_chains(
        P, 0.1, np.array([0]), 2, RNG(0)
    ),
    "monte_carlo_perturbed_rate": lambda P: rep.monte_carlo_perturbed_rate(
        P, 0.1, 2, 10, RNG(0)
    ),
    "lift_to_pairs": lambda P: rep.lift_to_pairs(P),
    "expected_visits": lambda P: rep.expected_visits(P),
    "expected_repeats": lambda P: rep.expected_repeats(P, K=2),
    "cross_entropy": lambda P: rep.cross_entropy(P, [[0, 1]]),
    "average_repetition_probability": lambda P: rep.average_repetition_probability(P),
    "paper_theorem2": lambda P: rep.paper_theorem2(P, 0.1),
    "paper_perturbed_arp": lambda P: rep.paper_perturbed_arp(P, 0.1, 2, 3, RNG(0)),
}

# Functions that take a transition matrix whose sequences must end: every bad matrix is refused as
# above, and the row-sum tolerance matrix of test_good_matrix_and_row_sum_tolerance_are_accepted (both
# rows sum to 1 or more: the chain never ends) is refused as well, by its own rule.
ENDING_FUNCTIONS = {
    "sample_to_end": lambda P: rep.sample_to_end(P, 3, rng=0),
}


def _sparse(data, rows, cols, shape=(2, 2), kind="coo"):
    coo = sp.coo_array(
        (np.asarray(data), (np.asarray(rows), np.asarray(cols))), shape=shape
    )
    return coo if kind == "coo" else sp.csr_array(coo) if kind == "csr" else coo


def _csr_raw(data, indices, indptr, shape=(2, 2)):
    """A CSR matrix built from raw arrays (keeps negative zeros and duplicates as stored)."""
    return sp.csr_array(
        (np.asarray(data, dtype=float), np.asarray(indices), np.asarray(indptr)),
        shape=shape,
    )


# (id, bad matrix, exception, fragments the message must contain besides the name "P")
BAD_MATRICES = [
    ("non-square", np.full((2, 3), 0.1), ValueError, ["(2, 3)"]),
    ("1-D", np.array([0.5, 0.5]), ValueError, ["(2,)"]),
    ("3-D", np.full((2, 2, 2), 0.1), ValueError, ["(2, 2, 2)"]),
    ("empty", np.zeros((0, 0)), ValueError, ["(0, 0)"]),
    ("empty-rows", np.zeros((0, 3)), ValueError, ["(0, 3)"]),
    ("scalar", np.float64(0.5), ValueError, ["()"]),
    ("negative", np.array([[0.5, -0.25], [0.0, 0.0]]), ValueError, ["-0.25"]),
    ("negative-tiny", np.array([[0.5, -1e-300], [0.0, 0.0]]), ValueError, ["-1e-300"]),
    ("nan", np.array([[0.5, np.nan], [0.0, 0.0]]), ValueError, ["nan"]),
    ("inf", np.array([[0.5, 0.0], [np.inf, 0.0]]), ValueError, ["inf"]),
    ("-inf", np.array([[0.5, 0.0], [-np.inf, 0.0]]), ValueError, ["inf"]),
    (
        "row-sum-1+2e-12",
        np.array([[0.5, 0.5 + 2e-12], [0.0, 0.0]]),
        ValueError,
        ["1.000000000002"],
    ),
    ("row-sum-2", np.array([[1.0, 1.0], [0.0, 0.0]]), ValueError, ["2.0"]),
    (
        "complex",
        np.array([[0.5, 0.5], [0.0, 0.0]], dtype=complex),
        TypeError,
        ["complex128"],
    ),
    (
        "object",
        np.array(
            [[Fraction(1, 2), Fraction(1, 2)], [Fraction(0), Fraction(0)]], dtype=object
        ),
        TypeError,
        ["object"],
    ),
    ("bool", np.array([[True, False], [False, True]]), TypeError, ["bool"]),
    ("string", np.array([["0.5", "0.5"], ["0", "0"]]), TypeError, ["<U3"]),
    ("sparse-non-square", sp.csr_array(np.full((2, 3), 0.1)), ValueError, ["(2, 3)"]),
    ("sparse-empty", sp.csr_array((0, 0)), ValueError, ["(0, 0)"]),
    (
        "sparse-negative",
        sp.csr_array(np.array([[0.5, -0.25], [0.0, 0.0]])),
        ValueError,
        ["-0.25"],
    ),
    (
        "sparse-negative-zero",
        _csr_raw([-0.0, 0.5], [0, 1], [0, 2, 2]),
        ValueError,
        ["-0.0"],
    ),
    (
        "sparse-duplicates",
        _sparse([0.25, 0.25], [0, 0], [1, 1]),
        ValueError,
        ["duplicate", "(0, 1)"],
    ),
    (
        "sparse-csr-duplicates",
        _csr_raw([0.25, 0.25], [1, 1], [0, 2, 2]),
        ValueError,
        ["duplicate", "(0, 1)"],
    ),
    ("sparse-nan", _sparse([np.nan], [0], [1]), ValueError, ["nan"]),
    ("sparse-inf", _sparse([np.inf], [1], [0]), ValueError, ["inf"]),
    ("sparse-row-sum", _sparse([0.75, 0.5], [1, 1], [0, 1]), ValueError, ["1.25"]),
    (
        "sparse-complex",
        sp.csr_array(np.array([[0.5, 0.0], [0.0, 0.0]], dtype=complex)),
        TypeError,
        ["complex128"],
    ),
    (
        "sparse-bool",
        sp.csr_array(np.array([[True, False], [False, False]])),
        TypeError,
        ["bool"],
    ),
    # issue 16: never a numpy message without the argument, never a silent rounding or a dropped mask
    ("ragged", [[0.5], [0.25, 0.25]], ValueError, ["different lengths"]),
    (
        "masked",
        np.ma.array([[0.5, 0.9], [0.0, 0.0]], mask=[[False, True], [False, False]]),
        ValueError,
        ["masked", "[0, 1]"],
    ),
    (
        "longdouble-inexact",
        np.array([[np.longdouble(1) - np.longdouble(2) ** -60, 0.0], [0.0, 0.0]]),
        ValueError,
        ["cannot hold exactly", "[0, 0]"],
    ),
    (
        "float16",
        np.array([[0.5, 0.25], [0.0, 0.0]], dtype=np.float16),
        TypeError,
        ["float16"],
    ),
]


def _assert_names(excinfo, name: str, fragments) -> None:
    message = str(excinfo.value)
    assert re.search(rf"(?<![A-Za-z_]){re.escape(name)}(?![A-Za-z_])", message), (
        f"message does not name the argument {name!r}: {message!r}"
    )
    for fragment in fragments:
        assert fragment.lower() in message.lower(), (
            f"message does not show the offending value {fragment!r}: {message!r}"
        )


@pytest.mark.parametrize(
    "case_id, bad, exc, fragments", BAD_MATRICES, ids=[row[0] for row in BAD_MATRICES]
)
@pytest.mark.parametrize("fname", sorted(MATRIX_FUNCTIONS) + sorted(ENDING_FUNCTIONS))
def test_bad_matrix_is_refused(fname, case_id, bad, exc, fragments):
    call = MATRIX_FUNCTIONS.get(fname) or ENDING_FUNCTIONS[fname]
    with pytest.raises(exc) as excinfo:
        result = call(bad)
        pytest.fail(
            f"{fname} returned {result!r} for a {case_id} matrix"
        )  # pragma: no cover
    _assert_names(excinfo, "P", fragments)


# The functions that take any nonnegative square matrix X (rows may sum to more than 1): every bad
# matrix above except those that only a transition matrix must avoid (row sums above 1, stored -0.0,
# duplicate stored entries, which add up).
GENERAL_FUNCTIONS = {
    "spectral_radius": lambda X: rep.spectral_radius(X),
    "row_sum_interval": lambda X: rep.row_sum_interval(X),
    "strongest_short_cycle": lambda X: rep.strongest_short_cycle(X),
}
TRANSITION_ONLY = {
    "row-sum-1+2e-12",
    "row-sum-2",
    "sparse-negative-zero",
    "sparse-duplicates",
    "sparse-csr-duplicates",
    "sparse-row-sum",
    "float16",
}
BAD_GENERAL = [row for row in BAD_MATRICES if row[0] not in TRANSITION_ONLY]


@pytest.mark.parametrize(
    "case_id, bad, exc, fragments", BAD_GENERAL, ids=[row[0] for row in BAD_GENERAL]
)
@pytest.mark.parametrize("fname", sorted(GENERAL_FUNCTIONS))
def test_bad_general_matrix_is_refused(fname, case_id, bad, exc, fragments):
    with pytest.raises(exc) as excinfo:
        result = GENERAL_FUNCTIONS[fname](bad)
        pytest.fail(
            f"{fname} returned {result!r} for a {case_id} matrix"
        )  # pragma: no cover
    _assert_names(excinfo, "X", fragments)


@pytest.mark.parametrize("fname", sorted(GENERAL_FUNCTIONS))
def test_general_matrix_functions_accept_any_nonnegative_matrix(fname):
    for X in (
        np.array([[1.0, 2.0], [0.0, 3.0]]),
        sp.coo_array(([1.0, 1.0, 0.5], ([0, 0, 1], [1, 1, 1])), shape=(2, 2)),
        np.array([[2, 0], [0, 1]]),
        sp.csr_array(
            np.array([[0.0, -0.0], [1.0, 0.5]])
        ),  # a self-loop: strongest_short_cycle
    ):
        GENERAL_FUNCTIONS[fname](X)


@pytest.mark.parametrize("fname", sorted(MATRIX_FUNCTIONS))
def test_good_matrix_and_row_sum_tolerance_are_accepted(fname):
    # within the 1e-12 tolerance a row may exceed 1 (rounding of a normalised row)
    MATRIX_FUNCTIONS[fname](GOOD)
    MATRIX_FUNCTIONS[fname](np.array([[0.25, 0.75 + 5e-13], [0.5, 0.5]]))
    MATRIX_FUNCTIONS[fname](sp.csr_array(GOOD))


@pytest.mark.parametrize("fname", sorted(MATRIX_FUNCTIONS))
def test_float32_rows_normalised_in_float32_are_accepted(fname):
    # issue 16: 3 x float32(1/3) sums to 1 + 3e-8 in exact arithmetic; the tolerance follows the input's
    # precision (64 eps32), not float64's 1e-12. A masked array without a masked entry is its data.
    P = np.full((3, 3), 1 / 3, dtype=np.float32)
    P[2] = [0.25, 0.25, 0.0]
    assert math.fsum(P[0].astype(float).tolist()) > 1 + 1e-12
    MATRIX_FUNCTIONS[fname](P)
    MATRIX_FUNCTIONS[fname](np.ma.array(GOOD))
    with pytest.raises(
        ValueError,
        match=r"row sums above 1: row 0 .* within 7.62939e-06 for dtype float32",
    ):
        MATRIX_FUNCTIONS[fname](
            np.array([[0.5, 0.5 + 1e-5], [0.0, 0.0]], dtype=np.float32)
        )


@pytest.mark.parametrize("fname", sorted(ENDING_FUNCTIONS))
def test_ending_functions_accept_good_and_refuse_chains_that_never_end(fname):
    ENDING_FUNCTIONS[fname](GOOD)
    ENDING_FUNCTIONS[fname](sp.csr_array(GOOD))
    with pytest.raises(ValueError, match="need not end"):
        ENDING_FUNCTIONS[fname](np.array([[0.25, 0.75 + 5e-13], [0.5, 0.5]]))


# --------------------------------------------------------------------------
# Bad scalars and other arguments: (id, call, exception, argument name, fragments)

P2 = GOOD
SENTENCES = [list("abab"), list("abc")]

BAD_ARGUMENTS = [
    # k <= 0 or non-integer k
    *[
        (f"{fname}-K={value!r}", call, exc, "K", [repr(value)])
        for fname, make in [
            ("repetition_terms", lambda K: lambda: rep.repetition_terms(P2, K)),
            ("arp_terms", lambda K: lambda: rep.arp_terms(P2, K)),
            ("arp_tail_bound", lambda K: lambda: rep.arp_tail_bound(P2, K)),
            (
                "monte_carlo_repetition_rate",
                lambda K: lambda: rep.monte_carlo_repetition_rate(P2, K, 10, RNG(0)),
            ),
            (
                "repeat_events",
                lambda K: (
                    lambda: rep.repeat_events(np.zeros((2, 9), dtype=np.int64), K)
                ),
            ),
        ]
        for value, exc in [
            (0, ValueError),
            (-3, ValueError),
            (2.5, TypeError),
            (2.0, TypeError),
            ("3", TypeError),
            (True, TypeError),
            (None, TypeError),
        ]
        for call in [make(value)]
    ],
    *[
        (
            f"{fname}-k={value!r}",
            (lambda f, v: lambda: f(P2, v))(getattr(rep, fname), value),
            exc,
            "k",
            [repr(value)],
        )
        for fname in [
            "closed_walk_diagonal",
            "closed_walk_count",
            "cauchy_schwarz_bound",
            "per_row_bound",
            "row_lower_bound",
            "zeta_estimate_term",
        ]
        for value, exc in [
            (0, ValueError),
            (-1, ValueError),
            (1.5, TypeError),
            (None, TypeError),
        ]
    ],
    *[
        (
            f"lower_bound_table-K={value!r}",
            (lambda v: lambda: rep.lower_bound_table(P2, v))(value),
            exc,
            "K",
            [repr(value)],
        )
        for value, exc in [(0, ValueError), (-1, ValueError), (1.5, TypeError)]
    ],
    (
        "lower_bound_table-paper",
        lambda: rep.lower_bound_table(P2, 2, paper="yes"),
        TypeError,
        "paper",
        ["'yes'"],
    ),
    (
        "zeta_estimate_term-form",
        lambda: rep.zeta_estimate_term(P2, 2, form="nope"),
        ValueError,
        "form",
        ["'nope'"],
    ),
    (
        "zeta_estimate_term-form-type",
        lambda: rep.zeta_estimate_term(P2, 2, form=1),
        TypeError,
        "form",
        ["1"],
    ),
    # the random test matrices of the bounds chapters
    (
        "random_transition_matrix-n=0",
        lambda: rep.random_transition_matrix(0),
        ValueError,
        "n",
        ["0"],
    ),
    (
        "random_transition_matrix-n=2.5",
        lambda: rep.random_transition_matrix(2.5),
        TypeError,
        "n",
        ["2.5"],
    ),
    (
        "random_transition_matrix-support",
        lambda: rep.random_transition_matrix(3, "nope"),
        ValueError,
        "support",
        ["'nope'"],
    ),
    (
        "random_transition_matrix-density=0",
        lambda: rep.random_transition_matrix(3, "iid", density=0.0),
        ValueError,
        "density",
        ["0.0"],
    ),
    (
        "random_transition_matrix-density=1.5",
        lambda: rep.random_transition_matrix(3, "iid", density=1.5),
        ValueError,
        "density",
        ["1.5"],
    ),
    (
        "random_transition_matrix-width>n",
        lambda: rep.random_transition_matrix(3, "top-k", width=5),
        ValueError,
        "width",
        ["5"],
    ),
    (
        "random_transition_matrix-width=0",
        lambda: rep.random_transition_matrix(3, "top-k", width=0),
        ValueError,
        "width",
        ["0"],
    ),
    (
        "random_transition_matrix-mass_low=1",
        lambda: rep.random_transition_matrix(3, mass_low=1.0),
        ValueError,
        "mass_low",
        ["1.0"],
    ),
    (
        "random_transition_matrix-mass_low<0",
        lambda: rep.random_transition_matrix(3, mass_low=-0.1),
        ValueError,
        "mass_low",
        ["-0.1"],
    ),
    (
        "random_transition_matrix-rng=str",
        lambda: rep.random_transition_matrix(3, rng="a"),
        TypeError,
        "rng",
        ["'a'"],
    ),
    (
        "random_transition_matrix-rng=-1",
        lambda: rep.random_transition_matrix(3, rng=-1),
        ValueError,
        "rng",
        ["-1"],
    ),
    (
        "random_transition_matrix-rng=True",
        lambda: rep.random_transition_matrix(3, rng=True),
        TypeError,
        "rng",
        ["True"],
    ),
    ("random_decoder-n=0", lambda: rep.random_decoder(0), ValueError, "n", ["0"]),
    (
        "random_decoder-power=0",
        lambda: rep.random_decoder(3, power=0.0),
        ValueError,
        "power",
        ["0.0"],
    ),
    (
        "random_decoder-power=str",
        lambda: rep.random_decoder(3, power="2"),
        TypeError,
        "power",
        ["'2'"],
    ),
    (
        "random_decoder-density=0",
        lambda: rep.random_decoder(3, density=0.0),
        ValueError,
        "density",
        ["0.0"],
    ),
    (
        "random_decoder-density=2",
        lambda: rep.random_decoder(3, density=2.0),
        ValueError,
        "density",
        ["2.0"],
    ),
    (
        "random_decoder-end",
        lambda: rep.random_decoder(3, end="eos"),
        ValueError,
        "end",
        ["'eos'"],
    ),
    (
        "random_decoder-end=1",
        lambda: rep.random_decoder(3, end=1),
        TypeError,
        "end",
        ["1"],
    ),
    (
        "random_decoder-end_size<0",
        lambda: rep.random_decoder(3, end="ratio", end_size=-0.5),
        ValueError,
        "end_size",
        ["-0.5"],
    ),
    (
        "random_decoder-rng",
        lambda: rep.random_decoder(3, rng="a"),
        TypeError,
        "rng",
        ["'a'"],
    ),
    (
        "dirichlet_decoder-n=1.5",
        lambda: rep.dirichlet_decoder(1.5),
        TypeError,
        "n",
        ["1.5"],
    ),
    (
        "dirichlet_decoder-concentration=0",
        lambda: rep.dirichlet_decoder(3, concentration=0.0),
        ValueError,
        "concentration",
        ["0.0"],
    ),
    (
        "dirichlet_decoder-mass=1.5",
        lambda: rep.dirichlet_decoder(3, mass=1.5),
        ValueError,
        "mass",
        ["1.5"],
    ),
    (
        "dirichlet_decoder-cut<0",
        lambda: rep.dirichlet_decoder(3, cut=-0.1),
        ValueError,
        "cut",
        ["-0.1"],
    ),
    (
        "dirichlet_decoder-rng",
        lambda: rep.dirichlet_decoder(3, rng=-2),
        ValueError,
        "rng",
        ["-2"],
    ),
    ("count_decoder-n=0", lambda: rep.count_decoder(0), ValueError, "n", ["0"]),
    (
        "count_decoder-max_count=0",
        lambda: rep.count_decoder(3, max_count=0),
        ValueError,
        "max_count",
        ["0"],
    ),
    (
        "count_decoder-end",
        lambda: rep.count_decoder(3, end="yes"),
        TypeError,
        "end",
        ["'yes'"],
    ),
    (
        "count_decoder-rng",
        lambda: rep.count_decoder(3, rng=1.5),
        TypeError,
        "rng",
        ["1.5"],
    ),
    # top-k < 1 or non-integer
    *[
        (
            f"top_k-k={value!r}",
            (lambda v: lambda: rep.top_k(P2, v))(value),
            exc,
            "k",
            [repr(value)],
        )
        for value, exc in [
            (0, ValueError),
            (-1, ValueError),
            (1.5, TypeError),
            (np.float64(2.0), TypeError),
        ]
    ],
    # p outside (0, 1]
    *[
        (
            f"top_p-p={value!r}",
            (lambda v: lambda: rep.top_p(P2, v))(value),
            exc,
            "p",
            [frag],
        )
        for value, exc, frag in [
            (0.0, ValueError, "0.0"),
            (-0.1, ValueError, "-0.1"),
            (1.0000001, ValueError, "1.0000001"),
            (math.nan, ValueError, "nan"),
            (math.inf, ValueError, "inf"),
            ("0.5", TypeError, "'0.5'"),
            (1j, TypeError, "1j"),
        ]
    ],
    # temperature <= 0
    *[
        (
            f"temperature-t={value!r}",
            (lambda v: lambda: rep.temperature(P2, v))(value),
            exc,
            "t",
            [frag],
        )
        for value, exc, frag in [
            (0.0, ValueError, "0.0"),
            (-1.0, ValueError, "-1.0"),
            (math.nan, ValueError, "nan"),
            (math.inf, ValueError, "inf"),
            (None, TypeError, "None"),
        ]
    ],
    # γ outside (0, 1) (γ = 1 could merge nothing)
    *[
        (
            f"rebalanced_encoding-gamma={value!r}",
            (lambda v: lambda: rep.rebalanced_encoding(SENTENCES, v))(value),
            exc,
            "gamma",
            [frag],
        )
        for value, exc, frag in [
            (0.0, ValueError, "0.0"),
            (-0.5, ValueError, "-0.5"),
            (1.0, ValueError, "1.0"),
            (1.5, ValueError, "1.5"),
            (math.nan, ValueError, "nan"),
            ("0.1", TypeError, "'0.1'"),
        ]
    ],
    (
        "rebalanced_encoding-max_iter=0",
        lambda: rep.rebalanced_encoding(SENTENCES, 0.5, max_iter=0),
        ValueError,
        "max_iter",
        ["0"],
    ),
    (
        "rebalanced_encoding-smoothing=-1",
        lambda: rep.rebalanced_encoding(SENTENCES, 0.5, smoothing=-1.0),
        ValueError,
        "smoothing",
        ["-1.0"],
    ),
    (
        "rebalanced_encoding-separator=1",
        lambda: rep.rebalanced_encoding(SENTENCES, 0.5, separator=1),
        TypeError,
        "separator",
        ["int"],
    ),
    (
        "rebalanced_encoding-token=3",
        lambda: rep.rebalanced_encoding([["a", 3]], 0.5),
        TypeError,
        "tokens",
        ["3"],
    ),
    (
        "rebalanced_encoding-empty",
        lambda: rep.rebalanced_encoding([[]], 0.5),
        ValueError,
        "sentences",
        ["no token"],
    ),
    # the model
    (
        "transition_matrix-smoothing=-0.1",
        lambda: rep.transition_matrix(np.ones((2, 3)), -0.1),
        ValueError,
        "smoothing",
        ["-0.1"],
    ),
    (
        "transition_matrix-smoothing=nan",
        lambda: rep.transition_matrix(np.ones((2, 3)), math.nan),
        ValueError,
        "smoothing",
        ["nan"],
    ),
    (
        "transition_matrix-counts-square",
        lambda: rep.transition_matrix(np.ones((2, 2))),
        ValueError,
        "counts",
        ["(2, 2)"],
    ),
    (
        "transition_matrix-counts-1-D",
        lambda: rep.transition_matrix(np.ones(3)),
        ValueError,
        "counts",
        ["(3,)"],
    ),
    (
        "transition_matrix-counts-empty",
        lambda: rep.transition_matrix(np.ones((0, 1))),
        ValueError,
        "counts",
        ["(0, 1)"],
    ),
    (
        "transition_matrix-counts-negative",
        lambda: rep.transition_matrix(np.array([[1.0, -2.0, 1.0], [1, 1, 1]])),
        ValueError,
        "counts",
        ["-2.0"],
    ),
    (
        "transition_matrix-counts-nan",
        lambda: rep.transition_matrix(np.array([[1.0, np.nan, 1.0], [1, 1, 1]])),
        ValueError,
        "counts",
        ["nan"],
    ),
    (
        "transition_matrix-counts-complex",
        lambda: rep.transition_matrix(np.ones((2, 3), dtype=complex)),
        TypeError,
        "counts",
        ["complex128"],
    ),
    (
        "transition_matrix-counts-object",
        lambda: rep.transition_matrix(np.ones((2, 3), dtype=object)),
        TypeError,
        "counts",
        ["object"],
    ),
    ("add_delta-n=0", lambda: rep.add_delta([1.0], 2.0, 0), ValueError, "n", ["0"]),
    (
        "add_delta-smoothing<0",
        lambda: rep.add_delta([1.0], 2.0, 2, -1.0),
        ValueError,
        "smoothing",
        ["-1.0"],
    ),
    (
        "add_delta-counts-negative",
        lambda: rep.add_delta([-1.0], 2.0, 2),
        ValueError,
        "counts",
        ["-1.0"],
    ),
    (
        "add_delta-counts-nan",
        lambda: rep.add_delta([np.nan], 2.0, 2),
        ValueError,
        "counts",
        ["nan"],
    ),
    (
        "add_delta-counts-complex",
        lambda: rep.add_delta(np.ones(2, dtype=complex), 2.0, 2),
        TypeError,
        "counts",
        ["complex128"],
    ),
    (
        "add_delta-totals-negative",
        lambda: rep.add_delta([1.0], -2.0, 2),
        ValueError,
        "totals",
        ["-2.0"],
    ),
    (
        "add_delta-totals-shape",
        lambda: rep.add_delta([1.0, 2.0], [1.0, 2.0, 3.0], 2),
        ValueError,
        "totals",
        ["(3,)"],
    ),
    # spectrum
    (
        "repetition_rate_series-tol=0",
        lambda: rep.repetition_rate_series(P2, tol=0.0),
        ValueError,
        "tol",
        ["0.0"],
    ),
    (
        "repetition_rate_series-tol=-1",
        lambda: rep.repetition_rate_series(P2, tol=-1.0),
        ValueError,
        "tol",
        ["-1.0"],
    ),
    (
        "repetition_rate_series-max_terms=0",
        lambda: rep.repetition_rate_series(P2, max_terms=0),
        ValueError,
        "max_terms",
        ["0"],
    ),
    (
        "repetition_rate_series-max_terms=1.5",
        lambda: rep.repetition_rate_series(P2, max_terms=1.5),
        TypeError,
        "max_terms",
        ["1.5"],
    ),
    # frobenius
    (
        "arp_terms-form",
        lambda: rep.arp_terms(P2, 2, form="nope"),
        ValueError,
        "form",
        ["'nope'"],
    ),
    (
        "strongest_short_cycle-no-short-cycle",
        lambda: rep.strongest_short_cycle(np.array([[0.0, 1.0], [0.0, 0.0]])),
        ValueError,
        "X",
        ["2x2", "no self-loop and no 2-cycle"],
    ),
    # (row_sum_interval and spectral_radius take any nonnegative X, see test_bad_general_matrix_is_refused;
    #  they accept a stored -0.0, which equals 0, and duplicate stored entries, which add up)
    # sampling
    (
        "sample_chains-length=0",
        lambda: rep.sample_chains(P2, np.array([0]), 0, RNG(0)),
        ValueError,
        "length",
        ["0"],
    ),
    (
        "sample_chains-length=2.0",
        lambda: rep.sample_chains(P2, np.array([0]), 2.0, RNG(0)),
        TypeError,
        "length",
        ["2.0"],
    ),
    (
        "sample_chains-starts-range",
        lambda: rep.sample_chains(P2, np.array([0, 2]), 2, RNG(0)),
        ValueError,
        "starts",
        ["2"],
    ),
    (
        "sample_chains-starts-negative",
        lambda: rep.sample_chains(P2, np.array([-1]), 2, RNG(0)),
        ValueError,
        "starts",
        ["-1"],
    ),
    (
        "sample_chains-starts-float",
        lambda: rep.sample_chains(P2, np.array([0.0]), 2, RNG(0)),
        TypeError,
        "starts",
        ["float64"],
    ),
    (
        "sample_chains-rng",
        lambda: rep.sample_chains(P2, np.array([0]), 2, "a"),
        TypeError,
        "rng",
        ["'a'"],
    ),
    (
        "sample_chains-rng=-1",
        lambda: rep.sample_chains(P2, np.array([0]), 2, -1),
        ValueError,
        "rng",
        ["-1"],
    ),
    (
        "monte_carlo-samples=1",
        lambda: rep.monte_carlo_repetition_rate(P2, 2, 1, RNG(0)),
        ValueError,
        "samples",
        ["1"],
    ),
    (
        "monte_carlo-samples=0",
        lambda: rep.monte_carlo_repetition_rate(P2, 2, 0, RNG(0)),
        ValueError,
        "samples",
        ["0"],
    ),
    (
        "monte_carlo-rng",
        lambda: rep.monte_carlo_repetition_rate(P2, 2, 10, 2.5),
        TypeError,
        "rng",
        ["2.5"],
    ),
    (
        "repeat_events-short",
        lambda: rep.repeat_events(np.zeros((2, 4), dtype=np.int64), 2),
        ValueError,
        "Y",
        ["(2, 4)"],
    ),
    # decoding: beam search
    (
        "beam_search-start-range",
        lambda: rep.beam_search(P2, 2, 1, 2),
        ValueError,
        "start",
        ["2"],
    ),
    (
        "beam_search-start-float",
        lambda: rep.beam_search(P2, 0.0, 1, 2),
        TypeError,
        "start",
        ["0.0"],
    ),
    (
        "beam_search-width=0",
        lambda: rep.beam_search(P2, 0, 0, 2),
        ValueError,
        "width",
        ["0"],
    ),
    (
        "beam_search-length=0",
        lambda: rep.beam_search(P2, 0, 1, 0),
        ValueError,
        "length",
        ["0"],
    ),
    # metrics
    (
        "rep_w-window=0",
        lambda: rep.rep_w(list("abc"), window=0),
        ValueError,
        "window",
        ["0"],
    ),
    (
        "rep_w-window=1.5",
        lambda: rep.rep_w(list("abc"), window=1.5),
        TypeError,
        "window",
        ["1.5"],
    ),
    ("rep_w-empty", lambda: rep.rep_w([]), ValueError, "tokens", ["empty"]),
    ("rep_r-empty", lambda: rep.rep_r([]), ValueError, "tokens", ["empty"]),
    (
        "rep_r-2-D",
        lambda: rep.rep_r(np.zeros((2, 2))),
        ValueError,
        "tokens",
        ["(2, 2)"],
    ),
    ("seq_rep_n-n=0", lambda: rep.seq_rep_n(list("abc"), n=0), ValueError, "n", ["0"]),
    (
        "seq_rep_n-n=-2",
        lambda: rep.seq_rep_n(list("abc"), n=-2),
        ValueError,
        "n",
        ["-2"],
    ),
    (
        "seq_rep_n-short",
        lambda: rep.seq_rep_n(list("abc"), n=4),
        ValueError,
        "tokens",
        ["3"],
    ),
    (
        "seq_rep_n-not-a-sequence",
        lambda: rep.seq_rep_n(5, n=1),
        TypeError,
        "tokens",
        ["int"],
    ),
    (
        "seq_rep_pooled-ns-empty",
        lambda: rep.seq_rep_pooled(list("abcd"), ns=()),
        ValueError,
        "ns",
        ["empty"],
    ),
    (
        "seq_rep_pooled-ns=0",
        lambda: rep.seq_rep_pooled(list("abcd"), ns=(1, 0)),
        ValueError,
        "ns",
        ["0"],
    ),
    # corpora
    (
        "bigram_counts-empty",
        lambda: rep.bigram_counts([]),
        ValueError,
        "sequences",
        ["no token"],
    ),
    (
        "load_peoples_daily-unit",
        lambda: rep.load_peoples_daily(unit="byte"),
        ValueError,
        "unit",
        ["'byte'"],
    ),
    (
        "load_kjv-unit",
        lambda: rep.load_kjv(unit="verse"),
        ValueError,
        "unit",
        ["'verse'"],
    ),
    (
        "perturbation_amplitudes-delta<0",
        lambda: rep.perturbation_amplitudes(P2, -0.1),
        ValueError,
        "delta",
        ["-0.1"],
    ),
    (
        "perturbed_matrices-delta=nan",
        lambda: rep.perturbed_matrices(P2, float("nan"), 2, RNG(0)),
        ValueError,
        "delta",
        ["nan"],
    ),
    (
        "perturbed_matrices-steps=0",
        lambda: rep.perturbed_matrices(P2, 0.1, 0, RNG(0)),
        ValueError,
        "steps",
        ["0"],
    ),
    (
        "perturbed_matrices-size=0",
        lambda: rep.perturbed_matrices(P2, 0.1, 2, RNG(0), size=0),
        ValueError,
        "size",
        ["0"],
    ),
    (
        "perturbed_matrices-rng",
        lambda: rep.perturbed_matrices(P2, 0.1, 2, "a"),
        TypeError,
        "rng",
        ["'a'"],
    ),
    (
        "perturbed_chains-rng",
        lambda: rep.perturbed_chains(P2, 0.1, np.array([0]), 2, -3),
        ValueError,
        "rng",
        ["-3"],
    ),
    (
        "monte_carlo_perturbed_rate-rng",
        lambda: rep.monte_carlo_perturbed_rate(P2, 0.1, 2, 10, "a"),
        TypeError,
        "rng",
        ["'a'"],
    ),
    (
        "perturbed_rate_moments-K=0",
        lambda: rep.perturbed_rate_moments(P2, 0.1, 0),
        ValueError,
        "K",
        ["0"],
    ),
    (
        "perturbed_chains-starts",
        lambda: rep.perturbed_chains(P2, 0.1, np.array([2]), 2, RNG(0)),
        ValueError,
        "starts",
        ["2"],
    ),
    (
        "perturbed_chains-length=0",
        lambda: rep.perturbed_chains(P2, 0.1, np.array([0]), 0, RNG(0)),
        ValueError,
        "length",
        ["0"],
    ),
    (
        "monte_carlo_perturbed_rate-samples=1",
        lambda: rep.monte_carlo_perturbed_rate(P2, 0.1, 2, 1, RNG(0)),
        ValueError,
        "samples",
        ["1"],
    ),
    (
        "time_varying_repetition_terms-negative",
        lambda: rep.time_varying_repetition_terms(np.full((2, 2, 2), -0.5), 1),
        ValueError,
        "matrices",
        ["-0.5"],
    ),
    (
        "time_varying_repetition_terms-short",
        lambda: rep.time_varying_repetition_terms(np.full((2, 2, 2), 0.25), 2),
        ValueError,
        "matrices",
        ["(2, 2, 2)"],
    ),
    (
        "time_varying_repetition_terms-K=0",
        lambda: rep.time_varying_repetition_terms(np.full((2, 2, 2), 0.25), 0),
        ValueError,
        "K",
        ["0"],
    ),
    (
        "split_at_rare_tokens-size=0",
        lambda: rep.split_at_rare_tokens(SENTENCES, 0),
        ValueError,
        "size",
        ["0"],
    ),
    (
        "trigram_pair_chain-short",
        lambda: rep.trigram_pair_chain([["a"]]),
        ValueError,
        "sequences",
        ["no sequence"],
    ),
    # expected visits and repeats, sampling to the end (Chapter 8)
    *[
        (
            f"{fname}-start={case}",
            (lambda g, v: lambda: g(P2, start=v))(f, value),
            exc,
            "start",
            [frag],
        )
        for fname, f in [
            ("expected_visits", rep.expected_visits),
            ("expected_repeats", rep.expected_repeats),
            (
                "sample_to_end",
                lambda P, start: rep.sample_to_end(P, 3, rng=0, start=start),
            ),
            (
                "cross_entropy",
                lambda P, start: rep.cross_entropy(P, [[0]], start=start),
            ),
        ]
        for case, value, exc, frag in [
            ("shape", [1.0], ValueError, "(1,)"),
            ("negative", [1.5, -0.5], ValueError, "-0.5"),
            ("nan", [np.nan, 1.0], ValueError, "nan"),
            ("sum", [0.5, 0.25], ValueError, "0.75"),
            ("str", ["a", "b"], TypeError, "<U1"),
            ("complex", np.array([0.5, 0.5], dtype=complex), TypeError, "complex128"),
            ("sparse", sp.csr_array(np.array([[0.5, 0.5]])), TypeError, "csr_array"),
        ]
    ],
    (
        "expected_repeats-token_lengths=0",
        lambda: rep.expected_repeats(P2, token_lengths=[1, 0]),
        ValueError,
        "token_lengths",
        ["0.0"],
    ),
    (
        "expected_repeats-token_lengths-shape",
        lambda: rep.expected_repeats(P2, token_lengths=[1]),
        ValueError,
        "token_lengths",
        ["(1,)"],
    ),
    (
        "expected_repeats-token_lengths-inf",
        lambda: rep.expected_repeats(P2, token_lengths=[1, np.inf]),
        ValueError,
        "token_lengths",
        ["inf"],
    ),
    (
        "cross_entropy-token_lengths-float",
        lambda: rep.cross_entropy(P2, [[0]], token_lengths=[1.0, 2.0]),
        TypeError,
        "token_lengths",
        ["float64"],
    ),
    (
        "cross_entropy-token_lengths<0",
        lambda: rep.cross_entropy(P2, [[0]], token_lengths=[1, -2]),
        ValueError,
        "token_lengths",
        ["-2"],
    ),
    (
        "cross_entropy-separator_length=-1",
        lambda: rep.cross_entropy(P2, [[0]], separator_length=-1),
        ValueError,
        "separator_length",
        ["-1"],
    ),
    (
        "cross_entropy-separator_length=0.5",
        lambda: rep.cross_entropy(P2, [[0]], separator_length=0.5),
        TypeError,
        "separator_length",
        ["0.5"],
    ),
    (
        "cross_entropy-ids",
        lambda: rep.cross_entropy(P2, [[0, 2]]),
        ValueError,
        "sequences",
        ["2"],
    ),
    (
        "cross_entropy-str-sentence",
        lambda: rep.cross_entropy(P2, ["01"]),
        TypeError,
        "sequences",
        ["'01'"],
    ),
    *[
        (f"{fname}-K={value!r}", call, exc, "K", [repr(value)])
        for fname, make in [
            ("expected_repeats", lambda K: lambda: rep.expected_repeats(P2, K=K)),
            (
                "immediate_repeats",
                lambda K: lambda: rep.immediate_repeats([0, 0, 0], K=K),
            ),
            (
                "sampled_repeats",
                lambda K: (
                    lambda: rep.sampled_repeats(rep.SampledText([0, 0], [0, 2]), K=K)
                ),
            ),
        ]
        for value, exc in [
            (0, ValueError),
            (-3, ValueError),
            (2.5, TypeError),
            ("3", TypeError),
            (True, TypeError),
        ]
        for call in [make(value)]
    ],
    (
        "sample_to_end-size=0",
        lambda: rep.sample_to_end(P2, 0),
        ValueError,
        "size",
        ["0"],
    ),
    (
        "sample_to_end-size=2.0",
        lambda: rep.sample_to_end(P2, 2.0),
        TypeError,
        "size",
        ["2.0"],
    ),
    (
        "sample_to_end-rng",
        lambda: rep.sample_to_end(P2, 2, rng="a"),
        TypeError,
        "rng",
        ["'a'"],
    ),
    (
        "sample_to_end-rng=-1",
        lambda: rep.sample_to_end(P2, 2, rng=-1),
        ValueError,
        "rng",
        ["-1"],
    ),
    (
        "sample_to_end-max_length=0",
        lambda: rep.sample_to_end(P2, 2, max_length=0),
        ValueError,
        "max_length",
        ["0"],
    ),
    (
        "sample_to_end-max_tokens=1.5",
        lambda: rep.sample_to_end(P2, 2, max_tokens=1.5),
        TypeError,
        "max_tokens",
        ["1.5"],
    ),
    (
        "sampled_repeats-text",
        lambda: rep.sampled_repeats([[0, 0, 0]]),
        TypeError,
        "text",
        ["list"],
    ),
    (
        "average_repetition_probability-form",
        lambda: rep.average_repetition_probability(P2, "both"),
        ValueError,
        "form",
        ["'both'"],
    ),
    (
        "average_repetition_probability-form=1",
        lambda: rep.average_repetition_probability(P2, 1),
        TypeError,
        "form",
        ["1"],
    ),
    # log-loss and perplexity, the held-out split
    (
        "perplexity-smoothing=-1",
        lambda: rep.perplexity(rep.bigram_counts(SENTENCES), SENTENCES, smoothing=-1.0),
        ValueError,
        "smoothing",
        ["-1.0"],
    ),
    (
        "perplexity-smoothing=str",
        lambda: rep.perplexity(rep.bigram_counts(SENTENCES), SENTENCES, smoothing="1"),
        TypeError,
        "smoothing",
        ["'1'"],
    ),
    (
        "perplexity-separator",
        lambda: rep.perplexity(rep.bigram_counts(SENTENCES), SENTENCES, separator=1),
        TypeError,
        "separator",
        ["int"],
    ),
    (
        "perplexity-unknown",
        lambda: rep.perplexity(rep.bigram_counts(SENTENCES), SENTENCES, unknown="skip"),
        ValueError,
        "unknown",
        ["'skip'"],
    ),
    (
        "perplexity-unknown=1",
        lambda: rep.perplexity(rep.bigram_counts(SENTENCES), SENTENCES, unknown=1),
        TypeError,
        "unknown",
        ["1"],
    ),
    (
        "perplexity-counts",
        lambda: rep.perplexity(object(), SENTENCES),
        TypeError,
        "counts",
        ["object"],
    ),
    (
        "perplexity-oov",
        lambda: rep.perplexity(rep.bigram_counts(SENTENCES), [["z"]]),
        ValueError,
        "sequences",
        ["'z'"],
    ),
    (
        "split_sentences-heldout=1",
        lambda: rep.split_sentences(SENTENCES, heldout=1.0),
        ValueError,
        "heldout",
        ["1.0"],
    ),
    (
        "split_sentences-heldout=str",
        lambda: rep.split_sentences(SENTENCES, heldout="0.1"),
        TypeError,
        "heldout",
        ["'0.1'"],
    ),
    (
        "split_sentences-seed=-1",
        lambda: rep.split_sentences(SENTENCES, seed=-1),
        ValueError,
        "seed",
        ["-1"],
    ),
    (
        "split_sentences-seed=True",
        lambda: rep.split_sentences(SENTENCES, seed=True),
        TypeError,
        "seed",
        ["True"],
    ),
    (
        "split_sentences-seed=None",
        lambda: rep.split_sentences(SENTENCES, seed=None),
        TypeError,
        "seed",
        ["None", "reproducible"],
    ),
    (
        "add_delta-end",
        lambda: rep.add_delta([1.0], 2.0, 2, end="no"),
        TypeError,
        "end",
        ["'no'"],
    ),
    # issue 16: integers beyond the float range are refused with a message, never a bare OverflowError
    *[
        (f"{label}-huge-int", call, ValueError, name, ["within the range of a float"])
        for label, name, call in [
            ("temperature", "t", lambda: rep.temperature(P2, 10**400)),
            ("top_p", "p", lambda: rep.top_p(P2, 10**400)),
            (
                "rebalanced_encoding",
                "gamma",
                lambda: rep.rebalanced_encoding(SENTENCES, 10**400),
            ),
            (
                "transition_matrix",
                "smoothing",
                lambda: rep.transition_matrix(np.ones((2, 3)), 10**400),
            ),
            ("add_delta", "smoothing", lambda: rep.add_delta([1.0], 2.0, 2, 10**400)),
            (
                "perplexity",
                "smoothing",
                lambda: rep.perplexity(
                    rep.bigram_counts(SENTENCES), SENTENCES, 10**400
                ),
            ),
            (
                "repetition_rate_series",
                "tol",
                lambda: rep.repetition_rate_series(P2, tol=10**400),
            ),
            (
                "split_sentences",
                "heldout",
                lambda: rep.split_sentences(SENTENCES, heldout=-(10**400)),
            ),
            (
                "perturbation_amplitudes",
                "delta",
                lambda: rep.perturbation_amplitudes(P2, 10**400),
            ),
            ("random_decoder", "power", lambda: rep.random_decoder(3, power=10**400)),
        ]
    ],
    (
        "temperature-huge-fraction",
        lambda: rep.temperature(P2, Fraction(10**400, 3)),
        ValueError,
        "t",
        ["range of a float"],
    ),
    # issue 16, second round: integer counts, lengths and sizes beyond int64 were numpy's bare OverflowError
    # (immediate_repeats) or a Python int that overflowed later (cross_entropy's per-character perplexity)
    *[
        (f"{label}-huge-int", call, ValueError, name, ["2^63 - 1"])
        for label, name, call in [
            (
                "immediate_repeats",
                "K",
                lambda: rep.immediate_repeats([1, 1, 1], K=10**400),
            ),
            ("expected_repeats", "K", lambda: rep.expected_repeats(P2, K=10**400)),
            ("repetition_terms", "K", lambda: rep.repetition_terms(P2, 10**400)),
            ("sample_to_end", "size", lambda: rep.sample_to_end(P2, 10**400, 0)),
            ("top_k", "k", lambda: rep.top_k(P2, 10**400)),
            (
                "cross_entropy",
                "separator_length",
                lambda: rep.cross_entropy(
                    P2, [[0]], token_lengths=[1, 1], separator_length=10**400
                ),
            ),
        ]
    ],
    # issue 16, third round: a valid int64 K whose arrays exceed the machine's memory was numpy's MemoryError,
    # which does not name K
    *[
        (
            f"{label}-K-beyond-memory",
            call,
            ValueError,
            "K",
            ["K = 1000000000000", "physical memory"],
        )
        for label, call in [
            ("immediate_repeats", lambda: rep.immediate_repeats([1, 1, 1], K=10**12)),
            (
                "sampled_repeats",
                lambda: rep.sampled_repeats(rep.SampledText([0, 0], [0, 2]), K=10**12),
            ),
            ("expected_repeats", lambda: rep.expected_repeats(P2, K=10**12)),
            ("repetition_terms", lambda: rep.repetition_terms(P2, 10**12)),
            ("arp_terms", lambda: rep.arp_terms(P2, 10**12)),
            ("lower_bound_table", lambda: rep.lower_bound_table(P2, 10**12)),
            (
                "monte_carlo_repetition_rate",
                lambda: rep.monte_carlo_repetition_rate(P2, 10**12, 2, 0),
            ),
            (
                "monte_carlo_perturbed_rate",
                lambda: rep.monte_carlo_perturbed_rate(P2, 0.01, 10**12, 2, 0),
            ),
            (
                "perturbed_rate_moments",
                lambda: rep.perturbed_rate_moments(P2, 0.01, 10**12),
            ),
        ]
    ],
    *[
        (
            f"{label}-length-beyond-memory",
            call,
            ValueError,
            "length",
            ["length = 1000000000000", "physical memory"],
        )
        for label, call in [
            ("sample_chains", lambda: rep.sample_chains(P2, [0], 10**12, 0)),
            (
                "perturbed_chains",
                lambda: rep.perturbed_chains(P2, 0.01, [0], 10**12, 0),
            ),
        ]
    ],
    (
        "split_sentences-str",
        lambda: rep.split_sentences("abc"),
        TypeError,
        "sequences",
        ["'abc'", "not a sequence of sentences"],
    ),
    # array arguments: ragged nesting, masked entries, wrong dtypes name the argument
    (
        "expected_visits-start-ragged",
        lambda: rep.expected_visits(P2, start=[[0.5], [0.25, 0.25]]),
        ValueError,
        "start",
        ["different lengths"],
    ),
    (
        "expected_visits-start-masked",
        lambda: rep.expected_visits(
            P2, start=np.ma.array([0.5, 0.5], mask=[True, False])
        ),
        ValueError,
        "start",
        ["masked"],
    ),
    (
        "sample_chains-starts-ragged",
        lambda: rep.sample_chains(P2, [[0], [0, 1]], 2, 0),
        ValueError,
        "starts",
        ["different lengths"],
    ),
    (
        "transition_matrix-counts-ragged",
        lambda: rep.transition_matrix([[1, 2, 3], [1, 2]]),
        ValueError,
        "counts",
        ["different lengths"],
    ),
    (
        "transition_matrix-counts-longdouble",
        lambda: rep.transition_matrix(
            np.array([[1, 2, 3], [1, 2, 3]], dtype=np.longdouble) / 3
        ),
        ValueError,
        "counts",
        ["cannot hold exactly"],
    ),
    (
        "add_delta-counts-masked",
        lambda: rep.add_delta(np.ma.array([1.0, 2.0], mask=[False, True]), 3.0, 2),
        ValueError,
        "counts",
        ["masked"],
    ),
    (
        "repeat_events-Y-float",
        lambda: rep.repeat_events([[0.0, 1.0, 0.0]], 1),
        TypeError,
        "Y",
        ["float64"],
    ),
    (
        "repeat_events-Y-ragged",
        lambda: rep.repeat_events([[0, 1, 0], [0, 1]], 1),
        ValueError,
        "Y",
        ["different lengths"],
    ),
    (
        "time_varying_repetition_terms-ragged",
        lambda: rep.time_varying_repetition_terms([[[0.5]], [[0.5], [0.5]]], 1),
        ValueError,
        "matrices",
        ["different lengths"],
    ),
    (
        "SampledText-offsets",
        lambda: rep.SampledText([0, 1, 2], [0, 2]),
        ValueError,
        "offsets",
        ["len(tokens) = 3"],
    ),
    (
        "SampledText-tokens-float",
        lambda: rep.SampledText([0.5, 1.0], [0, 2]),
        TypeError,
        "tokens",
        ["float64"],
    ),
    # metrics: repeated or missing orders, unhashable or floating tokens, a bare str
    (
        "seq_rep_pooled-ns-repeated",
        lambda: rep.seq_rep_pooled(list("abab"), ns=(2, 2)),
        ValueError,
        "ns",
        ["2"],
    ),
    (
        "seq_rep_pooled-ns-too-long",
        lambda: rep.seq_rep_pooled(list("ab"), ns=(3, 4)),
        ValueError,
        "ns",
        ["[3, 4]"],
    ),
    (
        "seq_rep_pooled-ns=4",
        lambda: rep.seq_rep_pooled(list("abcd"), ns=4),
        TypeError,
        "ns",
        ["4"],
    ),
    *[
        (
            f"{fname}-{case}",
            (lambda g, v: lambda: g(v))(f, value),
            exc,
            "tokens",
            [frag],
        )
        for fname, f in [
            ("rep_w", rep.rep_w),
            ("rep_r", rep.rep_r),
            ("seq_rep_n", lambda t: rep.seq_rep_n(t, 1)),
            ("seq_rep_pooled", rep.seq_rep_pooled),
            ("immediate_repeats", rep.immediate_repeats),
        ]
        for case, value, exc, frag in [
            ("str", "abcab", TypeError, "list(text)"),
            ("unhashable", [["a"], ["b"]], TypeError, "['a']"),
            ("nan-list", ["a", float("nan")], TypeError, "nan"),
            ("nan-array", np.array([1.0, np.nan]), TypeError, "float64"),
            ("bool", [True, 1], TypeError, "True"),
            ("2-D", np.zeros((2, 2), dtype=np.int64), ValueError, "(2, 2)"),
        ]
    ],
    # corpora: vocabularies, non-string tokens, str sentences
    (
        "bigram_counts-vocab-duplicates",
        lambda: rep.bigram_counts(SENTENCES, vocab=["a", "b", "a", "c"]),
        ValueError,
        "vocab",
        ["'a'"],
    ),
    (
        "bigram_counts-vocab-int",
        lambda: rep.bigram_counts(SENTENCES, vocab=["a", 1]),
        TypeError,
        "vocab",
        ["1"],
    ),
    (
        "bigram_counts-token-int",
        lambda: rep.bigram_counts([["a", 1]]),
        TypeError,
        "sequences",
        ["1"],
    ),
    (
        "bigram_counts-str-sentence",
        lambda: rep.bigram_counts(["ab", "ba"]),
        TypeError,
        "sequences",
        ["'ab'"],
    ),
    (
        "bigram_counts-oov",
        lambda: rep.bigram_counts([["a", "z"]], vocab=["a"]),
        ValueError,
        "vocab",
        ["'z'"],
    ),
    (
        "BigramCounts-shape",
        lambda: rep.BigramCounts(np.ones((2, 2)), [1, 1], ["a", "b"]),
        ValueError,
        "counts",
        ["(2, 2)"],
    ),
    (
        "BigramCounts-negative",
        lambda: rep.BigramCounts(-np.ones((1, 2)), [1], ["a"]),
        ValueError,
        "counts",
        ["-1.0"],
    ),
    (
        "BigramCounts-starts",
        lambda: rep.BigramCounts(np.ones((1, 2)), [1, 2], ["a"]),
        ValueError,
        "starts",
        ["(2,)"],
    ),
    # the paper's Theorem 2 as printed
    (
        "paper_theorem2-delta<0",
        lambda: rep.paper_theorem2(P2, -0.1),
        ValueError,
        "delta",
        ["-0.1"],
    ),
    (
        "paper_theorem2-delta=str",
        lambda: rep.paper_theorem2(P2, "0.1"),
        TypeError,
        "delta",
        ["'0.1'"],
    ),
    (
        "paper_theorem2-delta-at-divergence",
        lambda: rep.paper_theorem2(np.full((9, 9), 1 / 9), float(np.sqrt(72 / 73))),
        ValueError,
        "delta",
        ["0.99312706632", "cannot be decided exactly"],
    ),
    (
        "paper_perturbed_arp-K=0",
        lambda: rep.paper_perturbed_arp(P2, 0.1, 0, 3, RNG(0)),
        ValueError,
        "K",
        ["0"],
    ),
    (
        "paper_perturbed_arp-size=0",
        lambda: rep.paper_perturbed_arp(P2, 0.1, 2, 0, RNG(0)),
        ValueError,
        "size",
        ["0"],
    ),
    (
        "paper_perturbed_arp-rng",
        lambda: rep.paper_perturbed_arp(P2, 0.1, 2, 3, "a"),
        TypeError,
        "rng",
        ["'a'"],
    ),
    (
        "paper_perturbed_arp-law",
        lambda: rep.paper_perturbed_arp(P2, 0.1, 2, 3, RNG(0), law="cauchy"),
        ValueError,
        "law",
        ["'cauchy'"],
    ),
    (
        "paper_perturbed_arp-p",
        lambda: rep.paper_perturbed_arp(
            P2, 0.1, 2, 3, RNG(0), law="three-point", p=0.75
        ),
        ValueError,
        "p",
        ["0.75"],
    ),
    (
        "paper_perturbed_arp-delta=nan",
        lambda: rep.paper_perturbed_arp(P2, math.nan, 2, 3, RNG(0)),
        ValueError,
        "delta",
        ["nan"],
    ),
]


@pytest.mark.parametrize(
    "case_id, call, exc, name, fragments",
    BAD_ARGUMENTS,
    ids=[row[0] for row in BAD_ARGUMENTS],
)
def test_bad_argument_is_refused(case_id, call, exc, name, fragments):
    with pytest.raises(exc) as excinfo:
        result = call()
        pytest.fail(
            f"{case_id}: returned {result!r} instead of raising"
        )  # pragma: no cover
    _assert_names(excinfo, name, fragments)


# --------------------------------------------------------------------------
# Coverage of the table

#: Public callables that take no transition matrix and no checked scalar, with the reason.
NOT_IN_MATRIX_TABLE = {
    "transition_matrix": "takes counts (n, n + 1), rows in BAD_ARGUMENTS",
    "row_sum_interval": "takes any nonnegative matrix X, rows in GENERAL_FUNCTIONS",
    "spectral_radius": "takes any nonnegative matrix X, rows in GENERAL_FUNCTIONS",
    "strongest_short_cycle": "takes any nonnegative matrix X, rows in GENERAL_FUNCTIONS",
    "add_delta": "takes counts and totals, rows in BAD_ARGUMENTS",
    "random_decoder": "generates a matrix from n and a recipe, rows in BAD_ARGUMENTS",
    "dirichlet_decoder": "generates a matrix from n and a recipe, rows in BAD_ARGUMENTS",
    "count_decoder": "generates a matrix from n and a recipe, rows in BAD_ARGUMENTS",
    "use_book_style": "takes no argument",
    "repeat_events": "takes sampled chains Y, rows in BAD_ARGUMENTS",
    "rebalanced_encoding": "takes sentences, rows in BAD_ARGUMENTS",
    "rep_w": "takes tokens, rows in BAD_ARGUMENTS",
    "rep_r": "takes tokens, rows in BAD_ARGUMENTS",
    "seq_rep_n": "takes tokens, rows in BAD_ARGUMENTS",
    "seq_rep_pooled": "takes tokens, rows in BAD_ARGUMENTS",
    "bigram_counts": "takes sentences, rows in BAD_ARGUMENTS",
    "load_peoples_daily": "loader, rows in BAD_ARGUMENTS and tests/test_corpus.py (missing package, corrupted file)",
    "load_kjv": "loader, rows in BAD_ARGUMENTS and tests/test_corpus.py (missing package, corrupted file)",
    "random_transition_matrix": "generates a matrix from n and a recipe, rows in BAD_ARGUMENTS",
    "corpus_file": "internal path lookup of the loaders, covered by tests/test_corpus.py",
    "time_varying_repetition_terms": "takes a stack of step matrices, rows in BAD_ARGUMENTS",
    "trigram_pair_chain": "takes sequences, rows in BAD_ARGUMENTS",
    "split_at_rare_tokens": "takes sequences, rows in BAD_ARGUMENTS",
    "sample_to_end": "takes a transition matrix whose sequences must end: ENDING_FUNCTIONS",
    "immediate_repeats": "takes tokens, rows in BAD_ARGUMENTS",
    "sampled_repeats": "takes a SampledText, rows in BAD_ARGUMENTS",
    "perplexity": "takes BigramCounts and sentences, rows in BAD_ARGUMENTS",
    "split_sentences": "takes sentences, rows in BAD_ARGUMENTS",
}


def _public_functions() -> list[str]:
    names = getattr(rep, "__all__", None) or [
        n for n in dir(rep) if not n.startswith("_")
    ]
    return sorted(n for n in names if inspect.isfunction(getattr(rep, n)))


def test_every_public_function_is_in_the_table():
    covered = set(MATRIX_FUNCTIONS) | set(NOT_IN_MATRIX_TABLE)
    assert set(GENERAL_FUNCTIONS) <= set(NOT_IN_MATRIX_TABLE)
    missing = [n for n in _public_functions() if n not in covered]
    assert not missing, (
        f"public functions without bad-input rows in tests/test_bad_input.py: {missing}"
    )


def test_every_checked_argument_has_a_row():
    """Every parameter of every public function other than P appears in BAD_ARGUMENTS (or is exempt)."""
    exempt = {
        "P",
        "X",
        "counts",
        "sentences",
        "sequences",
        "tokens",
        "ns",
        "vocab",
        "name",
        "allow_sparse",
    }
    named = {row[3] for row in BAD_ARGUMENTS}
    missing = []
    for fname in _public_functions():
        for param in inspect.signature(getattr(rep, fname)).parameters:
            if param not in exempt and param not in named:
                missing.append(f"{fname}({param})")
    assert not missing, f"arguments without a bad-input row: {missing}"


def test_memory_rule_for_K_is_the_documented_one(monkeypatch):
    """K is refused exactly when the arrays that grow with it need more than MEMORY_LIMIT bytes."""
    from repetition import _validation

    monkeypatch.setattr(_validation, "MEMORY_LIMIT", 1600)
    assert (
        rep.immediate_repeats([1, 1, 1], K=100).tolist() == [1] + [0] * 99
    )  # 16 bytes per length: 1600
    with pytest.raises(ValueError, match="K = 101 is too large"):
        rep.immediate_repeats([1, 1, 1], K=101)
    assert rep.repetition_terms([[0.5]], 200).size == 200  # 8 bytes per term
    with pytest.raises(ValueError, match="K = 201 is too large"):
        rep.repetition_terms([[0.5]], 201)
    assert (
        rep.expected_repeats([[0.5]], K=66).terms.size == 66
    )  # 8 (2m + 1) bytes per term, m = 1
    with pytest.raises(ValueError, match="K = 67 is too large"):
        rep.expected_repeats([[0.5]], K=67)
