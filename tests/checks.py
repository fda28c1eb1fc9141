"""Independent checks shared by several test modules (exact arithmetic, brute force, direct formulas).

They belong with the exact references of ``repetition.reference``; they live
here (written once) until that module takes them.
"""

import math
from collections import Counter
from fractions import Fraction

import numpy as np
import scipy.sparse as sp
import sympy

import repetition as rep


def rational(rows):
    return sympy.Matrix([[sympy.Rational(x) for x in row] for row in rows])


def floats(M):
    return np.array(M.tolist(), dtype=float)


def exact_visits_and_repeats(Pq, piq):
    n = Pq.shape[0]
    v = piq.T * (sympy.eye(n) - Pq).inv()
    A = Pq.applyfunc(lambda x: x**2)
    R_i = (A * (sympy.eye(n) - A).inv()).diagonal()
    return v, sum(v[i] * R_i[i] for i in range(n))


def count_repeats_directly(y):
    """Every (t, k) with y[t + k + j] == y[t + j] for j = 0..k: the definition, literally."""
    L = len(y)
    counts = [0] * max((L - 1) // 2, 0)
    for k in range(1, (L - 1) // 2 + 1):
        for t in range(L - 2 * k):
            if all(y[t + k + j] == y[t + j] for j in range(k + 1)):
                counts[k - 1] += 1
    return counts


def independent_counts(sentences) -> rep.BigramCounts:
    """Bigram counts with start counts, as repetition.bigram_counts returns them (built here independently)."""
    freq = Counter(t for s in sentences for t in s)
    vocab = sorted(freq, key=lambda t: (-freq[t], t))
    index = {t: i for i, t in enumerate(vocab)}
    n = len(vocab)
    C = np.zeros((n, n + 1), dtype=np.int64)
    starts = np.zeros(n, dtype=np.int64)
    for s in sentences:
        ids = [index[t] for t in s]
        starts[ids[0]] += 1
        for a, b in zip(ids, ids[1:] + [n], strict=True):
            C[a, b] += 1
    return rep.BigramCounts(sp.csr_array(C), starts, vocab)


def direct_log_loss(train, test, delta, unk=False):
    """-log of Π π(y0) P(y_t | y_{t-1}) P(end | y_last), event by event, in exact fractions where finite."""
    vocab = {t for s in train for t in s}
    n = len(vocab) + (1 if unk else 0)
    bigrams = Counter(
        (a, b) for s in train for a, b in zip(s, s[1:] + ["</s>"], strict=True)
    )
    rows = Counter(t for s in train for t in s)
    firsts = Counter(s[0] for s in train)
    delta = Fraction(delta)
    nats = 0.0
    for s in test:
        s = [t if t in vocab else "<unk>" for t in s]
        p = (firsts[s[0]] + delta) / (len(train) + n * delta)
        for a, b in zip(s, s[1:] + ["</s>"], strict=True):
            p *= (bigrams[(a, b)] + delta) / (rows[a] + (n + 1) * delta)
        if p == 0:
            return math.inf
        nats -= math.log(p)
    return nats


def word_like(n, seed, leak=0.08):
    """A sparse substochastic matrix with word-like structure: single-successor chains, a few hubs, self-loops."""
    rng = np.random.default_rng(seed)
    rows, cols, vals = [], [], []
    for i in range(n):
        if i >= 5 and rng.random() < 0.5:
            succ = np.array([(i + 1) % n, int(rng.integers(0, 5))])
        else:
            succ = np.unique(
                np.concatenate(
                    [
                        rng.integers(0, 5, size=2),
                        rng.integers(0, n, size=int(rng.integers(1, 6))),
                    ]
                )
            )
        w = rng.random(succ.size)
        w *= (1 - leak * rng.random()) / w.sum()
        rows += [i] * succ.size
        cols += succ.tolist()
        vals += w.tolist()
    P = sp.csr_array((vals, (rows, cols)), shape=(n, n))
    P.sum_duplicates()
    return P
