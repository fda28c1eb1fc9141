"""The CJK webfont of the book: the characters the built pages display, and a font subset that covers exactly them.

The pages show Chinese in a few places (the section names of Su's post, corpus tokens in chapter outputs, the
titles of two references). A reader's machine without CJK fonts would show those as empty boxes, so the book
ships its own glyphs: a subset of Noto Sans CJK SC (SIL Open Font License 1.1, Debian's ``fonts-noto-cjk``),
WOFF2, regular and bold, holding exactly the CJK characters of the current build and nothing else
(``_vendor/fonts/``; the ``@font-face`` rules are in ``_vendor/fonts/cjk.css``, loaded on every page by
``_ext/bookhtml.py``).

Regenerate after the text changes (the test ``tests/test_fonts.py`` fails until you do)::

    jupyter-book build . -W --keep-going -n      # or any build of the current pages
    python tools/fonts.py                         # reads _build/html, writes _vendor/fonts/*.woff2

Only regenerating needs the source font: ``apt-get install fonts-noto-cjk`` (or ``--source-dir``). Building,
testing and reading the book do not, and CI runs without any system CJK font.
"""

from __future__ import annotations

import argparse
import sys
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FONT_DIR = ROOT / "_vendor" / "fonts"
SOURCE_DIR = Path("/usr/share/fonts/opentype/noto")  # Debian's fonts-noto-cjk
# (source collection, its font for Simplified Chinese, the shipped subset)
FACES = {
    "regular": ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.subset.woff2"),
    "bold": ("NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold.subset.woff2"),
}
SC_FAMILY = "Noto Sans CJK SC"  # the face chosen inside each collection, by name
FAMILY = "Book CJK"  # the CSS family name of the shipped subset (cjk.css)

# Unicode blocks whose characters the book's CJK font provides (the unicode-range of cjk.css, same numbers):
# enclosed alphanumerics (the corpus's ⑦ and ⑵, which the page's Latin fonts lack in part), CJK radicals to CJK
# Unified Ideographs (punctuation, kana, bopomofo, Extension A), Hangul syllables, compatibility ideographs,
# vertical and compatibility forms, half- and full-width forms, Extensions B and on.
CJK_RANGES = (
    (0x2460, 0x24FF),
    (0x2E80, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0xFE10, 0xFE1F),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
    (0x20000, 0x3FFFF),
)


def is_cjk(ch: str) -> bool:
    """Whether the character lies in one of the CJK blocks of :data:`CJK_RANGES`."""
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in CJK_RANGES)


def css_unicode_range() -> str:
    """:data:`CJK_RANGES` as the value of a CSS ``unicode-range`` descriptor."""
    return ", ".join(f"U+{lo:04X}-{hi:04X}" for lo, hi in CJK_RANGES)


class _VisibleText(HTMLParser):
    """The text a reader can see in a page's body: no head, scripts, styles or templates."""

    HIDDEN = {"head", "script", "style", "template", "noscript"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # inside how many hidden elements
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The visible text of one HTML page (text nodes outside ``head``/``script``/``style``/``template``)."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def built_pages(html_dir: Path) -> list[Path]:
    """The HTML pages of a build (Sphinx's copies of sources and static files excluded)."""
    skip = ("_static/", "_sources/", "_images/", "_downloads/")
    return sorted(
        p
        for p in html_dir.rglob("*.html")
        if not p.relative_to(html_dir).as_posix().startswith(skip)
    )


def displayed_cjk(html_dir: Path) -> dict[str, list[str]]:
    """Every CJK character the pages of ``html_dir`` display, with the pages that display it."""
    where: dict[str, list[str]] = {}
    for page in built_pages(html_dir):
        name = page.relative_to(html_dir).as_posix()
        for ch in sorted(
            set(filter(is_cjk, visible_text(page.read_text(encoding="utf-8"))))
        ):
            where.setdefault(ch, []).append(name)
    return dict(sorted(where.items()))


def font_cjk(path: Path) -> set[str]:
    """The CJK characters a font file maps to glyphs (its cmap)."""
    from fontTools.ttLib import TTFont

    font = TTFont(path, lazy=True)
    return {chr(c) for c in font.getBestCmap() if is_cjk(chr(c))}


def _sc_font_number(collection: Path) -> int:
    from fontTools.ttLib import TTCollection

    names = [
        f["name"].getDebugName(1) for f in TTCollection(collection, lazy=True).fonts
    ]
    if SC_FAMILY not in names:
        raise SystemExit(f"{collection} holds no {SC_FAMILY!r} face (it holds {names})")
    return names.index(SC_FAMILY)


def subset(collection: Path, chars: set[str], out: Path) -> None:
    """Write the WOFF2 subset of ``collection``'s Simplified Chinese face that maps exactly ``chars``.

    The font keeps its name, copyright and licence records (OFL 1.1 asks the licence to travel with the font)
    and its original timestamps, so the same input writes the same bytes.
    """
    from fontTools import subset as fts
    from fontTools.ttLib import TTFont

    font = TTFont(
        collection, fontNumber=_sc_font_number(collection), recalcTimestamp=False
    )
    options = fts.Options()
    options.flavor = "woff2"
    options.name_IDs = [
        "*"
    ]  # keep the copyright (0), trademark (7) and licence (13, 14) records
    options.name_languages = ["*"]
    options.layout_features = [
        "*"
    ]  # full-width punctuation and vertical forms, as in the original
    options.notdef_outline = True
    sub = fts.Subsetter(options)
    sub.populate(unicodes=sorted(map(ord, chars)))
    sub.subset(font)
    missing = chars - {chr(c) for c in font.getBestCmap()}
    if missing:
        raise SystemExit(f"{collection} has no glyph for {''.join(sorted(missing))!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    fts.save_font(font, str(out), options)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--html",
        type=Path,
        default=ROOT / "_build" / "html",
        help="a build of the book's pages",
    )
    parser.add_argument(
        "--source-dir",
        type=Path,
        default=SOURCE_DIR,
        help="where the Noto Sans CJK .ttc files are",
    )
    args = parser.parse_args(argv)
    if not (args.html / "intro.html").exists():
        raise SystemExit(
            f"{args.html} holds no build of the book: run `jupyter-book build .` first"
        )
    where = displayed_cjk(args.html)
    chars = set(where)
    print(
        f"{len(chars)} CJK characters on {len({p for ps in where.values() for p in ps})} pages: {''.join(where)}"
    )
    for source, target in FACES.values():
        collection = args.source_dir / source
        if not collection.exists():
            raise SystemExit(
                f"no {collection}: apt-get install fonts-noto-cjk, or pass --source-dir"
            )
        subset(collection, chars, FONT_DIR / target)
        print(
            f"wrote {(FONT_DIR / target).relative_to(ROOT)} ({(FONT_DIR / target).stat().st_size:,} bytes)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
