"""Unit tests of the random transition matrices (repetition.random), and that they reproduce the chapters' draws."""

import numpy as np
import pytest

import repetition as rep


@pytest.mark.parametrize(
    "support, per_row", [("dense", 9), ("top-k", 3), ("greedy", 1)]
)
def test_random_transition_matrix_supports(support, per_row):
    P = rep.random_transition_matrix(9, support, width=3, rng=1)
    assert ((P > 0).sum(axis=1) == per_row).all()
    s = P.sum(axis=1)
    assert (s >= 0.5 - 1e-12).all() and (s < 1).all()
    rep.as_transition_matrix(P)
    np.testing.assert_array_equal(
        P, rep.random_transition_matrix(9, support, width=3, rng=1)
    )


def test_random_transition_matrix_iid_density_and_validation():
    P = rep.random_transition_matrix(200, "iid", density=0.05, rng=3)
    assert 0.04 < rep.sparsity(P) < 0.06
    with pytest.raises(ValueError, match="support"):
        rep.random_transition_matrix(3, "top-p")
    with pytest.raises(ValueError, match="width must be at most n = 3, got 4"):
        rep.random_transition_matrix(3, "top-k", width=4)
    with pytest.raises(ValueError, match="mass_low"):
        rep.random_transition_matrix(3, mass_low=1.0)
    with pytest.raises(TypeError, match="n must be an integer"):
        rep.random_transition_matrix(3.0)


# --- the families the chapters wrote by hand: the same seed gives the same matrix -------------------


def _chapter1(rng):  # Chapter 1, "What R counts"
    P = rng.random((5, 5)) ** 2
    P /= P.sum(axis=1, keepdims=True) * 1.25
    return P


def _chapter4_greedy(rng, n, end_scale):  # Chapter 4, greedy decoders
    P = rng.random((n, n)) ** 4
    P /= P.sum(axis=1, keepdims=True) + end_scale * rng.random((n, 1))
    return P


def _chapter4_collision(
    rng, n
):  # Chapter 4, truncation never lowers the collision mass
    P = rng.random((n, n)) ** 3
    P /= P.sum(axis=1, keepdims=True) * (1 + rng.random((n, 1)))
    return P


def _chapter4_truncation(rng, n, density):  # Chapter 4, temperature experiment
    P = rng.random((n, n)) ** 3 * (rng.random((n, n)) < density)
    P /= P.sum(axis=1, keepdims=True) * (1 + rng.random((n, 1))) + 1e-300
    return P


def _chapter4_continuous(
    rng, n, with_end
):  # Chapter 4, random_decoder("continuous", ...)
    P = rng.random((n, n)) ** 3
    return P / (
        P.sum(axis=1, keepdims=True)
        * ((1 + 0.5 * rng.random((n, 1))) if with_end else 1.0)
    )


def _chapter4_counts(rng, n, with_end):  # Chapter 4, random_decoder("counts", ...)
    C = rng.integers(0, 6, size=(n, n + 1))
    C[:, -1] = C[:, -1] if with_end else 0
    C[C.sum(axis=1) == 0, 0] = 1
    return rep.transition_matrix(C)


def _chapter5_offset(
    rng, n, density, offset
):  # Chapter 5, spectra and looseness experiments
    P = rng.random((n, n)) * (rng.random((n, n)) < density)
    P /= P.sum(axis=1, keepdims=True) + offset + 1e-300
    return P


def _chapter5_timing(rng, n, end):  # Chapter 5, cost of the three routes
    P = rng.random((n, n)) ** 8
    P /= P.sum(axis=1, keepdims=True) * (1 + end)
    return P


def _chapter9(
    rng, n, mass=0.8, concentration=0.4, cut=0.02
):  # Chapter 9, random_decoder
    P = rng.dirichlet(np.full(n, concentration), size=n) * mass
    P[P < cut] = 0.0
    return P


CHAPTER_FAMILIES = [
    (
        "ch1",
        _chapter1,
        lambda rng: rep.random_decoder(
            5, power=2.0, end="ratio", end_size=0.25, rng=rng
        ),
    ),
    *[
        (
            f"ch4-greedy-{n}-{e}",
            lambda rng, n=n, e=e: _chapter4_greedy(rng, n, e),
            lambda rng, n=n, e=e: rep.random_decoder(
                n, power=4.0, end="random-offset", end_size=e, rng=rng
            ),
        )
        for n in (3, 10)
        for e in (0.0, 0.5, 2.0)
    ],
    (
        "ch4-collision",
        lambda rng: _chapter4_collision(rng, 7),
        lambda rng: rep.random_decoder(
            7, power=3.0, end="random-ratio", end_size=1.0, rng=rng
        ),
    ),
    (
        "ch4-temperature",
        lambda rng: _chapter4_truncation(rng, 9, 0.7),
        lambda rng: rep.random_decoder(
            9, power=3.0, density=0.7, end="random-ratio", end_size=1.0, rng=rng
        ),
    ),
    *[
        (
            f"ch4-continuous-{e}",
            lambda rng, e=e: _chapter4_continuous(rng, 10, e),
            lambda rng, e=e: rep.random_decoder(
                10,
                power=3.0,
                end="random-ratio" if e else "none",
                end_size=0.5,
                rng=rng,
            ),
        )
        for e in (False, True)
    ],
    *[
        (
            f"ch4-counts-{e}",
            lambda rng, e=e: _chapter4_counts(rng, 4, e),
            lambda rng, e=e: rep.count_decoder(4, end=e, rng=rng),
        )
        for e in (False, True)
    ],
    *[
        (
            f"ch5-offset-{n}-{d}",
            lambda rng, n=n, d=d, o=o: _chapter5_offset(rng, n, d, o),
            lambda rng, n=n, d=d, o=o: rep.random_decoder(
                n, density=d, end="offset", end_size=o, rng=rng
            ),
        )
        for n, d, o in (
            (5, 1.0, 0.2),
            (10, 0.4, 0.2),
            (300, 6 / 300, 0.1),
            (50, 0.1, 0.1),
        )
    ],
    (
        "ch5-timing",
        lambda rng: _chapter5_timing(rng, 20, 0.05),
        lambda rng: rep.random_decoder(
            20, power=8.0, end="ratio", end_size=0.05, rng=rng
        ),
    ),
    (
        "ch9",
        lambda rng: _chapter9(rng, 20),
        lambda rng: rep.dirichlet_decoder(20, rng=rng),
    ),
    (
        "ch9-P8",
        lambda rng: _chapter9(rng, 8, mass=0.7, concentration=0.5, cut=0.0),
        lambda rng: rep.dirichlet_decoder(
            8, mass=0.7, concentration=0.5, cut=0.0, rng=rng
        ),
    ),
]


@pytest.mark.parametrize(
    "name, by_hand, generator",
    CHAPTER_FAMILIES,
    ids=[row[0] for row in CHAPTER_FAMILIES],
)
def test_generators_reproduce_the_chapters_draws(name, by_hand, generator):
    for seed in (0, 2021):
        rng_a, rng_b = np.random.default_rng(seed), np.random.default_rng(seed)
        for _ in range(3):  # consecutive draws from one generator stay in step
            np.testing.assert_array_equal(generator(rng_b), by_hand(rng_a))
        assert rng_a.random() == rng_b.random()


@pytest.mark.parametrize(
    "end", ["none", "ratio", "random-ratio", "offset", "random-offset"]
)
def test_random_decoder_is_substochastic_with_the_stated_end_mass(end):
    P = rep.random_decoder(30, power=2.0, density=0.3, end=end, end_size=0.5, rng=5)
    rep.as_transition_matrix(P)
    s = P.sum(axis=1)
    live = s > 0
    if end == "none":
        np.testing.assert_allclose(s[live], 1.0, rtol=1e-14)
    elif end == "ratio":
        np.testing.assert_allclose(s[live], 1 / 1.5, rtol=1e-14)
    else:
        assert np.all(s[live] < 1.0)
    assert 0.2 < rep.sparsity(P) < 0.4


def test_count_decoder_has_no_end_mass_without_end():
    P = rep.count_decoder(6, end=False, rng=3)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-15)
    Q = rep.count_decoder(
        6, max_count=1, rng=3
    )  # 0/1 counts: every entry is 0 or 1 / (row count)
    counts = np.count_nonzero(Q, axis=1)
    for row, c in zip(Q, counts, strict=True):
        assert set(np.unique(row)) <= {0.0} | (
            {1.0 / (c + e) for e in (0, 1)} if c else set()
        )
