"""Immediate repeats in token sequences: the definition, and counting them fast (private module).

An *immediate repeat of length k at position t* of a sequence ``y`` (book,
:numref:`Chapter %s <bigram-setup>`, :prf:ref:`def-repeated-subsequence`) is a segment
``y_t ... y_{t+2k}`` that reads ``w_1 ... w_k w_1 ... w_k w_1``, i.e.
``y_{t+k+j} = y_{t+j}`` for ``j = 0..k``. :func:`repeat_at` is that
definition, vectorised over many sequences at one ``(t, k)``
(:func:`repetition.repeat_events` asks it at ``t = 0``, the event ``E_k`` of
the repetition rate); :func:`repeat_runs` counts the events at every
``(t, k)`` of many sequences at once, grouped into runs of matches, for
:func:`repetition.immediate_repeats` and :func:`repetition.sampled_repeats`.
The tests check the fast count against the definition.
"""

from __future__ import annotations

import numpy as np

__all__ = ["repeat_at", "repeat_runs", "MAX_PAIRS"]


def repeat_at(Y: np.ndarray, t: int, k: int) -> np.ndarray:
    """Whether each row of ``Y`` has an immediate repeat of length ``k`` at position ``t``.

    ``Y`` is 2-D with at least ``t + 2k + 1`` columns; the result is the
    boolean vector ``all_j Y[:, t + k + j] == Y[:, t + j]`` over ``j = 0..k``.
    A padding value (such as the end token -1 after a chain ended) never
    forms a repeat with a token, and a padded segment cannot start at a token
    that has a repeat (a segment that ends stays ended), so padding never
    creates a false event.
    """
    return np.all(Y[:, t + k : t + 2 * k + 1] == Y[:, t : t + k + 1], axis=1)


#: Equal bigrams are the candidates while they number at most this many per token; beyond that
#: (long text over a small alphabet) equal q-grams with q = ``_LONG_GRAM`` are used instead.
_PAIRS_PER_TOKEN = 4
_LONG_GRAM = 8

#: At most this many pairs of equal q-grams are examined (about 0.4 GB of keys); text with more
#: (long loops repeated over and over) is refused instead of exhausting memory.
MAX_PAIRS = 50_000_000


class _EqualGrams:
    """Positions sorted by a key (stably, so ascending within equal keys), and the pairs of equal keys.

    Each position is paired with every later one of its group; ``count`` is
    the number of such pairs, ``pairs()`` yields them about 2^22 at a time.
    """

    def __init__(self, key: np.ndarray, pos: np.ndarray):
        order = np.argsort(key, kind="stable")
        self.p = pos[order]
        k = key[order]
        new = np.ones(self.p.size, dtype=bool)
        new[1:] = k[1:] != k[:-1]
        group_end = np.append(np.flatnonzero(new)[1:], self.p.size)
        self.later = (
            group_end[np.cumsum(new) - 1] - np.arange(self.p.size) - 1
        )  # equal keys after this one
        self.cum = np.concatenate([[0], np.cumsum(self.later)])
        self.count = int(self.cum[-1])

    def pairs(self):
        p, later, cum = self.p, self.later, self.cum
        i0 = 0
        while i0 < p.size:
            i1 = min(
                max(
                    int(np.searchsorted(cum, cum[i0] + (1 << 22), side="right")) - 1,
                    i0 + 1,
                ),
                p.size,
            )
            counts = later[i0:i1]
            first = np.repeat(np.arange(i0, i1), counts)
            if first.size:
                step = (
                    np.arange(first.size) - np.repeat(cum[i0:i1] - cum[i0], counts) + 1
                )
                yield p[first], p[first + step]
            i0 = i1


def _gram_key(
    y: np.ndarray, pos: np.ndarray, q: int, V: int, seq: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """One int64 per position: equal exactly when the sequence and the q-gram starting there are equal.

    The q tokens are packed in base V when that fits in int64 (small
    alphabets); otherwise the q-grams are ranked by prefix doubling, as in
    suffix sorting (the rank of a 2w-gram is that of the pair of w-gram ranks).
    """
    m = int(seq[-1]) + 1
    if m * float(V) ** q < 2.0**62:
        key = seq[pos].astype(np.int64)
        for j in range(q):
            key = key * V + y[pos + j]
        return key
    return _ranked_gram_key(y, pos, q, seq, last)


def _ranked_gram_key(
    y: np.ndarray, pos: np.ndarray, q: int, seq: np.ndarray, last: np.ndarray
) -> np.ndarray:
    """:func:`_gram_key` by prefix doubling (``q`` a power of 2), for alphabets too large to pack."""
    index = np.arange(y.size)
    rank = y.copy()  # rank[p]: rank of the w-gram at p, where it fits in its sequence
    width = 1
    while width < q:
        valid = np.flatnonzero(index + 2 * width - 1 <= last)
        combined = rank[valid] * (int(rank.max()) + 1) + rank[valid + width]
        rank = np.full(y.size, -1, dtype=np.int64)
        rank[valid] = np.unique(combined, return_inverse=True)[1].ravel()
        width *= 2
    return seq[pos] * y.size + rank[pos]


def _pair_keys(grams: _EqualGrams, size: int, min_lag: int) -> np.ndarray:
    """``k * size + s`` for every pair (s - k, s) of equal q-grams with lag ``k >= min_lag``, sorted."""
    if grams.count > MAX_PAIRS:
        raise ValueError(
            f"the text is too repetitive to count its repeats in memory: {grams.count:,} pairs of equal "
            f"q-grams would have to be examined (limit MAX_PAIRS = {MAX_PAIRS:,}); count fewer or shorter "
            "sequences"
        )
    parts = []
    for a, b in grams.pairs():
        lag = b - a
        keep = lag >= min_lag
        parts.append(lag[keep] * size + b[keep])
    key = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    key.sort()
    return key


def _chains(key: np.ndarray, q: int, size: int, seq: np.ndarray):
    """Runs of matches from chains of equal-q-gram pairs at consecutive positions: (sequence, k, events)."""
    empty = np.zeros(0, dtype=np.int64)
    if key.size == 0:
        return empty, empty, empty
    chain_start = np.ones(key.size, dtype=bool)
    chain_start[1:] = key[1:] != key[:-1] + 1
    starts = np.flatnonzero(chain_start)
    run = (
        np.diff(np.append(starts, key.size)) + q - 1
    )  # c consecutive pairs: a run of c + q - 1 matches
    k, s0 = np.divmod(key[starts], size)
    events = run - k
    keep = events > 0
    return seq[s0[keep]], k[keep], events[keep]


def _repeat_runs(
    y: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The events ``(t, k)`` of a batch of sequences, grouped: ``(sequence, k, number of events)`` arrays.

    An event at position ``t`` of length ``k`` is a window of ``k + 1``
    consecutive positions ``s = t + k .. t + 2k`` at which ``y[s] == y[s - k]``
    (a *match at lag k*), so a maximal run of ``ℓ`` matches at lag ``k``
    holds ``max(0, ℓ - k)`` events. ``q`` consecutive matches at lag ``k``
    starting at ``s`` are an equal pair of q-grams at ``s - k`` and ``s``;
    for ``k >= q - 1`` every run holding an event is at least ``q`` long, and
    the chains of equal-q-gram pairs at consecutive ``s`` are exactly those
    runs (``c`` pairs: ``c + q - 1`` matches). So the candidates are the equal
    q-grams within a sequence, found by sorting: bigrams (``q = 2``, every
    ``k``) while they are few; otherwise ``q = 8`` for ``k >= 7``, whose
    ranks come from prefix doubling (as in suffix sorting), and the lags
    ``k <= 6`` counted directly from the runs of ``y[s] == y[s - k]``. The
    cost is that of the candidate pairs and a few passes, never of the
    events themselves.
    """
    m = offsets.size - 1
    lengths = np.diff(offsets)
    seq = np.repeat(np.arange(m), lengths)
    index = np.arange(y.size)
    last = offsets[1:][seq] - 1  # last index of each position's sequence
    empty = np.zeros(0, dtype=np.int64)
    pos = np.flatnonzero(index < last)  # positions with a bigram inside their sequence
    if pos.size < 2:
        return empty, empty, empty
    if y.min() < 0 or y.max() >= y.size:
        y = (
            np.unique(y, return_inverse=True)[1].ravel().astype(np.int64)
        )  # ids 0..V-1, V <= y.size
    V = int(y.max()) + 1
    grams = _EqualGrams(_gram_key(y, pos, 2, V, seq, last), pos)
    if grams.count <= _PAIRS_PER_TOKEN * y.size:
        return _chains(_pair_keys(grams, y.size, 1), 2, y.size, seq)
    del grams
    q = _LONG_GRAM
    out_seq, out_k, out_events = [], [], []
    start_of = offsets[:-1][seq]
    for k in range(1, q - 1):  # short lags directly: runs of matches y[s] == y[s - k]
        match = np.zeros(y.size + 2, dtype=bool)
        ok = index >= start_of + k
        match[1:-1][ok] = y[ok] == y[index[ok] - k]
        edges = np.flatnonzero(
            match[1:] != match[:-1]
        )  # run starts and (one past) ends, alternating
        run_start, run_end = edges[0::2], edges[1::2]
        events = run_end - run_start - k
        keep = events > 0
        out_seq.append(seq[run_start[keep]])
        out_k.append(np.full(int(keep.sum()), k, dtype=np.int64))
        out_events.append(events[keep])
    pos = np.flatnonzero(index + q - 1 <= last)
    chained = _chains(
        _pair_keys(_EqualGrams(_gram_key(y, pos, q, V, seq, last), pos), y.size, q - 1),
        q,
        y.size,
        seq,
    )
    return tuple(
        np.concatenate([np.concatenate(x) if x else empty, c]).astype(np.int64)
        for x, c in zip((out_seq, out_k, out_events), chained, strict=True)
    )


#: Sequences are counted in batches of about this many tokens (bounded memory, whole sequences).
_BATCH_TOKENS = 4_000_000


def repeat_runs(
    y: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The events of many sequences, grouped: ``(sequence, k, number of events)`` int64 arrays.

    ``y`` holds the sequences one after another (int64 ids), sequence ``s``
    being ``y[offsets[s]:offsets[s + 1]]``. Counted by :func:`_repeat_runs`
    over batches of whole sequences (events never span two sequences), so the
    memory is bounded by the batch, not by the text.
    """
    m = offsets.size - 1
    cuts = np.unique(
        np.concatenate(
            [
                [0],
                np.searchsorted(
                    offsets, np.arange(0, offsets[-1], _BATCH_TOKENS), side="right"
                )
                - 1,
                [m],
            ]
        )
    )
    parts = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        lo = offsets[a]
        seq, k, events = _repeat_runs(y[lo : offsets[b]], offsets[a : b + 1] - lo)
        parts.append((seq + a, k, events))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    return tuple(np.concatenate([part[i] for part in parts]) for i in range(3))
