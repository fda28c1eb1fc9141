"""Unit tests of pair chains: trigram models and the lift of a bigram (Chapter 9, theorem thm-ar-lift)."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

import repetition as rep


@pytest.mark.parametrize("seed", range(4))
def test_lift_preserves_every_term(seed):
    P = rep.dirichlet_decoder(6, cut=0.05, rng=seed)
    L = rep.lift_to_pairs(sp.csr_array(P))
    assert L.N == np.count_nonzero(P)
    np.testing.assert_allclose(
        rep.repetition_terms(L.Q, 6),
        rep.repetition_terms(P, 6),
        rtol=1e-12,
        atol=1e-300,
    )
    assert rep.repetition_rate(L.Q) == pytest.approx(rep.repetition_rate(P), rel=1e-12)
    np.testing.assert_allclose(
        L.Q.sum(axis=1), P.sum(axis=1)[L.pairs[:, 1]], rtol=1e-12
    )


@pytest.mark.parametrize("P", [[[0.0]], np.zeros((3, 3))])
def test_lift_of_an_empty_support_is_refused(P):
    with pytest.raises(ValueError, match="no positive entry"):
        rep.lift_to_pairs(P)


def test_trigram_pair_chain_hand_example():
    seqs = [list("abcab"), list("abd")]
    ch = rep.trigram_pair_chain(seqs)
    assert ch.vocab == ["a", "b", "c", "d"]
    names = ["".join(ch.vocab[i] for i in p) for p in ch.pairs]
    assert names == ["ab", "bc", "bd", "ca"]
    Q = ch.Q.toarray()
    # "ab" occurs 3 times: followed by c once, d once, end once
    assert Q[0].tolist() == [0.0, 1 / 3, 1 / 3, 0.0]
    assert Q[1].tolist() == [0.0, 0.0, 0.0, 1.0]  # bc -> ca
    assert Q[2].tolist() == [0.0, 0.0, 0.0, 0.0]  # bd ends
    assert Q[3].tolist() == [1.0, 0.0, 0.0, 0.0]  # ca -> ab
    assert ch.starts.tolist() == [2, 0, 0, 0]


def test_trigram_states_are_the_bigram_support():
    seqs = [list("abracadabra"), list("cadabra"), list("abba")]
    ch = rep.trigram_pair_chain(seqs)
    counts = rep.bigram_counts(seqs)
    lifted = rep.lift_to_pairs(rep.transition_matrix(counts.counts))
    assert ch.pairs.tolist() == lifted.pairs.tolist()


def test_trigram_of_a_periodic_text_is_deterministic():
    ch = rep.trigram_pair_chain([list("xyz" * 5)])
    assert rep.repetition_rate(ch.Q) < math.inf  # the last pair ends the text
    assert (
        rep.deterministic_cycle(
            rep.trigram_pair_chain([list("xyzxyz"), list("zxyzx")]).Q
        )
        is None
    )


def test_split_at_rare_tokens():
    segs, vocab = rep.split_at_rare_tokens([list("aabxa"), list("yab")], 2)
    assert vocab == ["a", "b"]
    assert segs == [list("aab"), list("a"), list("ab")]
