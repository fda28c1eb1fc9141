"""Unit tests of the chain sampler and the Monte Carlo repetition rate."""

import numpy as np
import pytest

import repetition as rep


def test_deterministic_chain_is_followed():
    P = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    Y = rep.sample_chains(P, np.array([0, 1, 2]), 3, np.random.default_rng(0))
    np.testing.assert_array_equal(Y, [[0, 1, 2, -1], [1, 2, -1, -1], [2, -1, -1, -1]])


def test_sampler_frequencies_match_row():
    P = np.array([[0.2, 0.5], [0.0, 0.0]])  # row 0 ends with probability 0.3
    Y = rep.sample_chains(P, np.zeros(200_000, dtype=np.int64), 1, np.random.default_rng(1))
    freq = np.array([(Y[:, 1] == 0).mean(), (Y[:, 1] == 1).mean(), (Y[:, 1] == rep.END).mean()])
    np.testing.assert_allclose(freq, [0.2, 0.5, 0.3], atol=0.005)


def test_repeat_events_definition():
    # y = 0 1 0 1 0 : E_2 happens (0 1 | 0 1 | 0); E_1 does not (y_1 != y_0).
    Y = np.array([[0, 1, 0, 1, 0]])
    np.testing.assert_array_equal(rep.repeat_events(Y, 2), [[False, True]])
    # y = 2 2 2: E_1 happens.
    np.testing.assert_array_equal(rep.repeat_events(np.array([[2, 2, 2]]), 1), [[True]])
    # an ended chain never repeats
    np.testing.assert_array_equal(rep.repeat_events(np.array([[0, -1, -1]]), 1), [[False]])


def test_monte_carlo_agrees_with_exact_partial_sum():
    rng = np.random.default_rng(3)
    P = rng.random((4, 4)) ** 3
    P /= P.sum(axis=1, keepdims=True) * 1.1
    K = 6
    est = rep.monte_carlo_repetition_rate(P, K, 200_000, np.random.default_rng(4))
    exact = rep.repetition_terms(P, K).sum()
    assert abs(est.value - exact) < 4 * est.stderr
    assert est.stderr < 0.05 * exact


def test_monte_carlo_rejects_bad_args():
    P = np.full((2, 2), 0.25)
    with pytest.raises(TypeError, match="rng"):
        rep.monte_carlo_repetition_rate(P, 2, 10, "seed")
    with pytest.raises(ValueError, match="rng"):
        rep.monte_carlo_repetition_rate(P, 2, 10, -1)
    with pytest.raises(ValueError, match="samples"):
        rep.monte_carlo_repetition_rate(P, 2, 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="starts"):
        rep.sample_chains(P, np.array([5]), 2, np.random.default_rng(0))
