"""The book's figure style, shipped with the package.

One matplotlib style file (``book.mplstyle``) fixes the figure width to the
page column (7 x 3.6 inches at 100 dpi, 700 pixels), the font sizes and a
colour cycle readable by colour-blind readers, so every chapter's figures
agree. matplotlib is imported only when the style is applied.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["BOOK_STYLE", "use_book_style"]

#: Path of the style file, for ``matplotlib.pyplot.style.use`` or ``style.context``.
BOOK_STYLE = str(Path(__file__).with_name("book.mplstyle"))


def use_book_style() -> str:
    """Apply the book's matplotlib style to every figure drawn from now on.

    Returns
    -------
    str
        The path of the style file that was applied (:data:`BOOK_STYLE`).

    Raises
    ------
    ModuleNotFoundError
        If matplotlib is not installed.

    Examples
    --------
    >>> import matplotlib
    >>> path = use_book_style()
    >>> matplotlib.rcParams["figure.figsize"]
    [7.0, 3.6]
    >>> matplotlib.rcdefaults()
    """
    import matplotlib.pyplot as plt

    plt.style.use(BOOK_STYLE)
    return BOOK_STYLE
