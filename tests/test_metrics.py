"""Unit tests of the repetition metrics on hand-computed sequences (Chapter 7)."""

import numpy as np
import pytest

import repetition as rep


def test_rep_w_window_boundary():
    # 'a' at 0 and 16: distance 16 is inside a window of 16 ...
    seq = ["a"] + [f"x{i}" for i in range(15)] + ["a"]
    assert len(seq) == 17
    assert rep.rep_w(seq) == pytest.approx(1 / 17)
    # ... distance 17 is outside it
    seq = ["a"] + [f"x{i}" for i in range(16)] + ["a"]
    assert rep.rep_w(seq) == 0.0
    assert rep.rep_w(seq, window=17) == pytest.approx(1 / 18)


def test_rep_w_hand_computed():
    assert rep.rep_w("abcab", window=2) == 0.0            # a at 0, 3 and b at 1, 4: distance 3
    assert rep.rep_w("abcab", window=3) == pytest.approx(2 / 5)
    assert rep.rep_w("aaaa") == pytest.approx(3 / 4)
    assert rep.rep_w("abcd") == 0.0
    assert rep.rep_w("abcabc", window=3) == pytest.approx(3 / 6)
    assert rep.rep_w("abcabc", window=2) == 0.0


def test_rep_w_matches_the_authors_definition():
    def get_rep(sent, window=16):  # Fu et al.'s definition, written out
        return sum(w in sent[max(i - window, 0):i] for i, w in enumerate(sent)) / len(sent)

    rng = np.random.default_rng(1)
    for _ in range(50):
        seq = rng.integers(0, 12, size=rng.integers(1, 60)).tolist()
        for window in (1, 3, 16):
            assert rep.rep_w(seq, window) == pytest.approx(get_rep(seq, window), abs=0)


def test_rep_r_hand_computed():
    assert rep.rep_r("abxab") == pytest.approx(4 / 5)
    assert rep.rep_r("abcd") == 0.0
    assert rep.rep_r("aaa") == 1.0          # 'aa' at 0 and 1 (overlapping) counts twice
    assert rep.rep_r("abab") == pytest.approx(4 / 4)   # ab twice; ba once but its positions are covered
    assert rep.rep_r("xabab") == pytest.approx(4 / 5)
    assert rep.rep_r("a") == 0.0


def test_seq_rep_n_hand_computed():
    assert rep.seq_rep_n("abab", 2) == pytest.approx(1 / 3)
    assert rep.seq_rep_n("abcdabcd", 4) == pytest.approx(1 - 4 / 5)   # abcd, bcda, cdab, dabc, abcd
    assert rep.seq_rep_n("abcabcabc", 4) == pytest.approx(1 - 3 / 6)
    assert rep.seq_rep_n("aaaaa", 1) == pytest.approx(4 / 5)
    with pytest.raises(ValueError, match="shorter than n"):
        rep.seq_rep_n("abc", 4)


def test_seq_rep_pooled_is_not_the_mean_of_orders():
    seq = "abcabc"
    # 1-grams: 6, 3 distinct; 2-grams: 5, 3 distinct; 3-grams: 4, 3 distinct; 4-grams: 3, 3 distinct
    assert rep.seq_rep_pooled(seq) == pytest.approx(1 - 12 / 18)
    mean = np.mean([rep.seq_rep_n(seq, n) for n in (1, 2, 3, 4)])
    assert rep.seq_rep_pooled(seq) != pytest.approx(mean)
    # orders longer than the sequence are skipped
    assert rep.seq_rep_pooled("aab") == pytest.approx(1 - 5 / 6)


def test_metrics_accept_arrays_and_reject_bad_input():
    assert rep.rep_w(np.array([1, 2, 1])) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="empty"):
        rep.rep_r([])
    with pytest.raises(ValueError, match="1-D"):
        rep.rep_w(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="window"):
        rep.rep_w("ab", window=0)
    with pytest.raises(TypeError, match="ns"):
        rep.seq_rep_pooled("ab", ns=(1.5,))
