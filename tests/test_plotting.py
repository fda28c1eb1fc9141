"""The book's matplotlib style ships with the package and applies."""

import os

import pytest

import repetition as rep


def test_style_file_ships_with_the_package_and_applies():
    assert os.path.isfile(rep.BOOK_STYLE) and rep.BOOK_STYLE.endswith("book.mplstyle")
    matplotlib = pytest.importorskip("matplotlib")
    try:
        assert rep.use_book_style() == rep.BOOK_STYLE
        assert list(matplotlib.rcParams["figure.figsize"]) == [7.0, 3.6]
        assert matplotlib.rcParams["figure.dpi"] == 100
        assert matplotlib.rcParams["font.size"] == 10
    finally:
        matplotlib.rcdefaults()
