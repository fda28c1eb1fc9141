"""Unit tests of the repetition metrics on hand-computed sequences (Chapter 7)."""

import numpy as np
import pytest

import repetition as rep
from checks import count_repeats_directly
from repetition import SampledText, _repeats, immediate_repeats, sampled_repeats


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
    assert (
        rep.rep_w(list("abcab"), window=2) == 0.0
    )  # a at 0, 3 and b at 1, 4: distance 3
    assert rep.rep_w(list("abcab"), window=3) == pytest.approx(2 / 5)
    assert rep.rep_w(list("aaaa")) == pytest.approx(3 / 4)
    assert rep.rep_w(list("abcd")) == 0.0
    assert rep.rep_w(list("abcabc"), window=3) == pytest.approx(3 / 6)
    assert rep.rep_w(list("abcabc"), window=2) == 0.0


def test_rep_w_matches_the_authors_definition():
    def get_rep(sent, window=16):  # Fu et al.'s definition, written out
        return sum(w in sent[max(i - window, 0) : i] for i, w in enumerate(sent)) / len(
            sent
        )

    rng = np.random.default_rng(1)
    for _ in range(50):
        seq = rng.integers(0, 12, size=rng.integers(1, 60)).tolist()
        for window in (1, 3, 16):
            assert rep.rep_w(seq, window) == pytest.approx(get_rep(seq, window), abs=0)


def test_rep_r_hand_computed():
    assert rep.rep_r(list("abxab")) == pytest.approx(4 / 5)
    assert rep.rep_r(list("abcd")) == 0.0
    assert rep.rep_r(list("aaa")) == 1.0  # 'aa' at 0 and 1 (overlapping) counts twice
    assert rep.rep_r(list("abab")) == pytest.approx(
        4 / 4
    )  # ab twice; ba once but its positions are covered
    assert rep.rep_r(list("xabab")) == pytest.approx(4 / 5)
    assert rep.rep_r(list("a")) == 0.0


def test_seq_rep_n_hand_computed():
    assert rep.seq_rep_n(list("abab"), 2) == pytest.approx(1 / 3)
    assert rep.seq_rep_n(list("abcdabcd"), 4) == pytest.approx(
        1 - 4 / 5
    )  # abcd, bcda, cdab, dabc, abcd
    assert rep.seq_rep_n(list("abcabcabc"), 4) == pytest.approx(1 - 3 / 6)
    assert rep.seq_rep_n(list("aaaaa"), 1) == pytest.approx(4 / 5)
    with pytest.raises(ValueError, match="shorter than n"):
        rep.seq_rep_n(list("abc"), 4)


def test_seq_rep_pooled_is_not_the_mean_of_orders():
    seq = list("abcabc")
    # 1-grams: 6, 3 distinct; 2-grams: 5, 3 distinct; 3-grams: 4, 3 distinct; 4-grams: 3, 3 distinct
    assert rep.seq_rep_pooled(seq) == pytest.approx(1 - 12 / 18)
    mean = np.mean([rep.seq_rep_n(seq, n) for n in (1, 2, 3, 4)])
    assert rep.seq_rep_pooled(seq) != pytest.approx(mean)
    # orders longer than the sequence are skipped
    assert rep.seq_rep_pooled(list("aab")) == pytest.approx(1 - 5 / 6)


def test_metrics_accept_arrays_and_reject_bad_input():
    assert rep.rep_w(np.array([1, 2, 1])) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="empty"):
        rep.rep_r([])
    with pytest.raises(ValueError, match="1-D"):
        rep.rep_w(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="window"):
        rep.rep_w(list("ab"), window=0)
    with pytest.raises(TypeError, match="ns"):
        rep.seq_rep_pooled(list("ab"), ns=(1.5,))


# ---------------------------------------------------------------- immediate repeats (Chapter 8)


def test_immediate_repeats_against_the_definition():
    rng = np.random.default_rng(5)
    for _ in range(2000):
        y = rng.integers(
            0, int(rng.integers(1, 4)), size=int(rng.integers(0, 25))
        ).tolist()
        assert immediate_repeats(y).tolist() == count_repeats_directly(y)
    assert immediate_repeats(list("abcabca")).tolist() == [0, 0, 1]
    assert immediate_repeats(["the", "cat", "the", "cat", "the"], K=5).tolist() == [
        0,
        1,
        0,
        0,
        0,
    ]
    assert immediate_repeats([]).tolist() == []


@pytest.mark.parametrize("budget, batch", [(4, 4_000_000), (0, 4_000_000), (4, 50)])
def test_sampled_repeats_against_the_definition_on_periodic_text(
    monkeypatch, budget, batch
):
    # budget 0: equal 8-grams and direct short lags instead of bigrams; batch 50: many small batches
    monkeypatch.setattr(_repeats, "_PAIRS_PER_TOKEN", budget)
    monkeypatch.setattr(_repeats, "_BATCH_TOKENS", batch)
    rng = np.random.default_rng(8)
    seqs = []
    for _ in range(300):
        y = np.resize(
            rng.integers(0, 3, int(rng.integers(1, 12))), int(rng.integers(1, 120))
        )
        flip = rng.random(y.size) < 0.05
        y[flip] = rng.integers(0, 3, int(flip.sum()))
        seqs.append(y)
    text = SampledText(
        np.concatenate(seqs).astype(np.int64),
        np.concatenate([[0], np.cumsum([len(y) for y in seqs])]),
    )
    totals, by_length = sampled_repeats(text, K=15)
    for s, y in enumerate(seqs):
        direct = count_repeats_directly(y.tolist())
        assert (
            totals[s] == sum(direct)
            and by_length[s].tolist() == (direct + [0] * 15)[:15]
        )
    for _ in range(300):
        y = rng.integers(
            0, int(rng.integers(1, 4)), size=int(rng.integers(0, 40))
        ).tolist()
        assert immediate_repeats(y).tolist() == count_repeats_directly(y)


def test_ranked_q_grams_group_like_packed_ones():
    rng = np.random.default_rng(9)
    y = rng.integers(0, 3, 5000).astype(np.int64)
    offsets = np.array([0, 1200, 1201, 3000, 5000])
    seq = np.repeat(np.arange(4), np.diff(offsets))
    last = offsets[1:][seq] - 1
    pos = np.flatnonzero(np.arange(5000) + 7 <= last)
    packed = _repeats._gram_key(y, pos, 8, 3, seq, last)
    ranked = _repeats._ranked_gram_key(y, pos, 8, seq, last)
    # the same partition of positions: equal packed keys exactly where ranked keys are equal
    _, a = np.unique(packed, return_inverse=True)
    _, b = np.unique(ranked, return_inverse=True)
    pairs = np.unique(np.stack([a.ravel(), b.ravel()]), axis=1)
    assert pairs.shape[1] == np.unique(a).size == np.unique(b).size


def test_too_repetitive_text_is_refused_not_counted_out_of_memory(monkeypatch):
    monkeypatch.setattr(_repeats, "MAX_PAIRS", 1000)
    text = SampledText(np.zeros(3000, dtype=np.int64), np.array([0, 3000]))
    with pytest.raises(ValueError, match="too repetitive to count"):
        sampled_repeats(text)


def test_sampled_repeats_handles_long_runs_in_chunks(monkeypatch):
    # 3,000 copies of one token: about 2.25 M candidate pairs, processed in several chunks.
    y = np.zeros(3000, dtype=np.int64)
    text = SampledText(y, np.array([0, 3000]))
    totals, by_length = sampled_repeats(text, K=2)
    assert totals[0] == sum(3000 - 2 * k for k in range(1, 1500))
    assert by_length[0].tolist() == [2998, 2996]


def test_sampled_repeats_refuses_other_input():
    with pytest.raises(TypeError, match="text must be a SampledText"):
        sampled_repeats([[0, 0, 0]])


# ---------------------------------------------------------------- hostile input (issue 16)


def test_tokens_are_compared_as_values_never_as_their_text():
    # the old conversion to str merged 1 and "1" (and would merge any two objects printed alike)
    assert immediate_repeats([1, "1", 1]).tolist() == [0]
    assert immediate_repeats([1, 1, 1]).tolist() == [1]
    assert rep.rep_w([1, "1"]) == 0.0 and rep.seq_rep_n([1, "1"], 1) == 0.0
    assert immediate_repeats(np.array([7, 7, 7], dtype=np.uint8)).tolist() == [1]


def test_numpy_integer_and_python_integer_tokens_are_the_same_token():
    assert rep.rep_w([np.int64(3), 3]) == 0.5
    assert rep.seq_rep_pooled(
        np.array([1, 2, 1, 2]), ns=np.array([1, 2])
    ) == rep.seq_rep_pooled([1, 2, 1, 2], ns=(1, 2))


def test_pooled_orders_each_once_and_skipped_only_while_one_fits():
    tokens = list("abcab")
    assert rep.seq_rep_pooled(tokens, ns=(1, 9)) == rep.seq_rep_n(tokens, 1)
    with pytest.raises(ValueError, match=r"ns holds the order 1 more than once"):
        rep.seq_rep_pooled(
            tokens, ns=(1, 1, 2)
        )  # pooled twice, each 1-gram would repeat itself
    with pytest.raises(
        ValueError,
        match=r"tokens has length 5, shorter than every order in ns = \[6, 7\]",
    ):
        rep.seq_rep_pooled(tokens, ns=(6, 7))  # was a ZeroDivisionError
