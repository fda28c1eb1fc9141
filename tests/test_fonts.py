"""The book's CJK webfont (``_vendor/fonts/``, made by ``tools/fonts.py``) matches the current build.

* The shipped subsets map exactly the CJK characters the built pages display: a character added to the text (a
  new corpus token in an output, a section name of Su's post) fails here until ``python tools/fonts.py`` is run,
  and one no page shows any more is reported as dead weight. Reads the HTML build (``_build/html`` or
  ``BOOK_HTML``); skipped, with the reason, only when there is none.
* The licence travels with the font (SIL OFL 1.1: ``OFL.txt`` and the fonts' own name records), the stylesheet
  names both files with the unicode-range of ``tools/fonts.py``, every built page links it, and MathJax draws
  the characters its fonts lack (the ``＊`` token inside formulas) with the same family.

Whether the pages really *show* the glyphs (no fallback boxes, with every system CJK font hidden) is checked in
the browser: ``tests/test_browser.py``.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import fonts  # noqa: E402

HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html")).resolve()
CSS = fonts.FONT_DIR / "cjk.css"


def built() -> Path:
    if not (HTML / "intro.html").exists():
        pytest.skip(
            f"no HTML build in {HTML}: run `jupyter-book build . -W --keep-going -n` (CI builds it first)"
        )
    return HTML


@pytest.mark.parametrize("face", sorted(fonts.FACES))
def test_subset_maps_exactly_the_displayed_characters(face):
    where = fonts.displayed_cjk(built())
    path = fonts.FONT_DIR / fonts.FACES[face][1]
    from fontTools.ttLib import TTFont

    mapped = {chr(c) for c in TTFont(path, lazy=True).getBestCmap()}
    missing = {ch: pages[:3] for ch, pages in where.items() if ch not in mapped}
    extra = sorted(mapped - set(where))
    assert not missing and not extra, (
        f"{path.name} is out of date: run `python tools/fonts.py` (needs fonts-noto-cjk).\n"
        f"displayed but not in the font ({len(missing)}): {missing}\n"
        f"in the font but displayed nowhere ({len(extra)}): {''.join(extra)}"
    )


def test_the_licence_travels_with_the_font():
    from fontTools.ttLib import TTFont

    licence = (fonts.FONT_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    for _, woff2 in fonts.FACES.values():
        names = TTFont(fonts.FONT_DIR / woff2, lazy=True)["name"]
        assert names.getDebugName(1) == fonts.SC_FAMILY
        assert "SIL Open Font License, Version 1.1" in names.getDebugName(13)
        assert (
            names.getDebugName(0) and names.getDebugName(0).split()[0] in licence
        )  # the copyright line


def test_stylesheet_names_the_fonts_and_the_ranges():
    css = CSS.read_text(encoding="utf-8")
    rules = re.findall(r"@font-face\s*{(.*?)}", css, re.S)
    assert len(rules) == len(fonts.FACES)
    sources = {re.search(r'url\("([^"]+)"\)', r).group(1) for r in rules}
    assert sources == {woff2 for _, woff2 in fonts.FACES.values()}
    for rule in rules:
        assert f'font-family: "{fonts.FAMILY}"' in rule
        assert f"unicode-range: {fonts.css_unicode_range()};" in rule
    for source in sources:
        assert (fonts.FONT_DIR / source).is_file(), source
    # first in each of the theme's font stacks
    for var in ("base", "heading", "monospace"):
        assert re.search(rf'--pst-font-family-{var}: "{fonts.FAMILY}", ', css), var


def test_mathjax_draws_unknown_characters_with_the_book_font():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    family = config["sphinx"]["config"]["mathjax3_config"]["chtml"]["unknownFamily"]
    assert family.startswith(f"'{fonts.FAMILY}'"), family


def test_every_built_page_links_the_stylesheet():
    root = built()
    pages = [
        p for p in fonts.built_pages(root) if "<body" in p.read_text("utf-8")
    ]  # not the redirect index.html
    unlinked = [
        p.relative_to(root).as_posix()
        for p in pages
        if "_static/fonts/cjk.css" not in p.read_text("utf-8")
    ]
    assert pages and not unlinked, f"pages without the CJK stylesheet: {unlinked}"
    assert (root / "_static" / "fonts" / fonts.FACES["regular"][1]).is_file()


def test_visible_text_and_cjk_ranges():
    page = (
        "<html><head><title>标题</title><style>p{}</style></head><body><p>中<b>文</b></p>"
        "<script>var s = '脚本';</script><pre>＊ ok</pre></body></html>"
    )
    assert fonts.visible_text(page) == "中文＊ ok"
    assert [c for c in "中文 abc ⊙ ＊。한" if fonts.is_cjk(c)] == list("中文＊。한")
