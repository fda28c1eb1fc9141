"""Unit tests of rebalanced encoding (Chapter 7)."""

import numpy as np
import pytest

import repetition as rep


def test_single_round_by_hand():
    # a -> b always (P_ab = 1 without smoothing); b -> a once of 3 occurrences
    enc = rep.rebalanced_encoding([list("abab"), list("abc")], gamma=0.5, smoothing=0.0)
    assert enc.sequences == [["ab", "ab"], ["ab", "c"]]
    assert enc.merges == [[("a", "b")]]
    assert enc.converged
    # after the merge ab occurs 3 times: -> ab, -> end, -> c; c -> end
    assert enc.max_probability[0] == 1.0
    assert enc.max_probability[1] == pytest.approx(1 / 3)
    assert enc.vocab == ["ab", "c"]


def test_smoothing_matches_transition_matrix():
    sents = [list("abab"), list("abc"), list("ca")]
    counts = rep.bigram_counts(sents)
    P = rep.transition_matrix(counts.counts, smoothing=1.0)
    # the largest smoothed entry decides whether anything is merged
    top = float(P.max())
    enc = rep.rebalanced_encoding(sents, gamma=top, smoothing=1.0)
    assert enc.merges == [] and enc.max_probability == [pytest.approx(top, rel=1e-15)]
    enc = rep.rebalanced_encoding(sents, gamma=top - 1e-9, smoothing=1.0)
    i, j = np.unravel_index(np.argmax(P), P.shape)
    assert enc.merges[0] == [(counts.vocab[i], counts.vocab[j])]


def test_overlaps_resolved_left_to_right():
    # every pair is deterministic: aaa -> (aa) a ; abc -> (ab) c
    enc = rep.rebalanced_encoding([list("aaa")], gamma=0.5, max_iter=1, smoothing=0.0)
    assert enc.sequences == [["aa", "a"]]
    enc = rep.rebalanced_encoding([list("abc")], gamma=0.5, max_iter=1, smoothing=0.0)
    assert enc.sequences == [["ab", "c"]]
    assert not enc.converged  # ab -> c is still deterministic after one round


def test_merges_never_cross_sentences():
    enc = rep.rebalanced_encoding(
        [["a"], ["b"], ["a"], ["b"]], gamma=0.1, smoothing=0.0
    )
    assert enc.sequences == [["a"], ["b"], ["a"], ["b"]]
    assert enc.merges == []


def test_iterates_and_joins_with_separator():
    sents = [["the", "lord", "god"]] * 3 + [["god", "said"]]
    enc = rep.rebalanced_encoding(
        sents, gamma=0.6, max_iter=5, smoothing=0.0, separator=" "
    )
    assert enc.sequences[0] == ["the lord god"]
    # round 1: the->lord and lord->god are certain (ab, bc overlap: the lord merged first);
    # round 2: 'the lord' -> god; round 3: the lone 'god' now always precedes 'said'
    assert enc.merges == [
        [("lord", "god"), ("the", "lord")],
        [("the lord", "god")],
        [("god", "said")],
    ]
    assert enc.converged and enc.max_probability == [1.0, 1.0, 1.0, 0.0]
    assert "".join("".join(s) for s in enc.sequences).replace(" ", "") == "".join(
        "".join(s) for s in sents
    )


def test_tokens_are_preserved_in_order():
    rng = np.random.default_rng(2)
    sents = [
        list(
            rng.choice(
                list("abcde"), size=rng.integers(1, 30), p=[0.4, 0.3, 0.15, 0.1, 0.05]
            )
        )
        for _ in range(40)
    ]
    sents = [[str(t) for t in s] for s in sents]
    enc = rep.rebalanced_encoding(sents, gamma=0.3, max_iter=4, smoothing=0.5)
    assert ["".join(s) for s in enc.sequences] == ["".join(s) for s in sents]
    assert len(enc.max_probability) == len(enc.merges) + 1


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"gamma": 0.0}, ValueError, "gamma"),
        ({"gamma": 1.0}, ValueError, "gamma"),
        ({"gamma": 1.5}, ValueError, "gamma"),
        ({"gamma": 0.5, "max_iter": 0}, ValueError, "max_iter"),
        ({"gamma": 0.5, "smoothing": -1.0}, ValueError, "smoothing"),
        ({"gamma": "0.5"}, TypeError, "gamma"),
    ],
)
def test_rejects_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        rep.rebalanced_encoding([list("ab")], **kwargs)


def test_rejects_non_string_tokens_and_empty_corpus():
    with pytest.raises(TypeError, match="str"):
        rep.rebalanced_encoding([[1, 2]], gamma=0.5)
    with pytest.raises(ValueError, match="no token"):
        rep.rebalanced_encoding([[]], gamma=0.5)


def test_pairs_exactly_at_gamma_are_not_merged():
    # pin: a merge rule with >= instead of > slipped past every test (no corpus had a pair exactly at γ).
    # P(b | a) = P(x | a) = 1/2 = γ exactly (a is seen twice, each time followed once); P(d | c) = 1 > γ.
    enc = rep.rebalanced_encoding(
        [["a", "b"], ["a", "x"], ["c", "d"]], gamma=0.5, smoothing=0.0
    )
    assert enc.merges[0] == [("c", "d")]
    assert enc.sequences == [["a", "b"], ["a", "x"], ["cd"]]
