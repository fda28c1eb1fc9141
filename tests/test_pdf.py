"""The book's PDF (``tools/pdf.py``), read back: what a reader of the printed book needs is there.

Checks the PDF at ``_build/html/repetition-book.pdf`` (where the site links it; ``BOOK_PDF`` names another file):

* every document of ``_toc.yml`` is in it: each title (the plain words of the source's first heading; math in
  a title is typeset, so it is not compared), and a named destination at its start that the contents page
  links to;
* the math is typeset: none of MathJax's or Sphinx's delimiters (``\\(``, ``\\)``, ``\\[``, ``\\]``, ``$$``,
  ``\\begin{``) and no MathJax error message in the text;
* the page count is sane for the number of documents, and every page has a page number ``N / total``;
* links inside the book are PDF links (GoTo actions or destinations), and there is an outline;
* the Chinese text is text: the title of Su's post (from ``references.bib``) is extracted as Chinese, and every
  CJK character in the PDF is one the book's webfont covers (any other would have been drawn as a box).

``.ci/run`` builds the PDF after the HTML and before ``pytest``; the test is skipped, with the reason, only when
there is no PDF (run ``python tools/pdf.py``).
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import fonts  # noqa: E402

PDF = Path(os.environ.get("BOOK_PDF", ROOT / "_build" / "html" / "repetition-book.pdf"))
DELIMITERS = ("\\(", "\\)", "\\[", "\\]", "$$", "\\begin{")
# MathJax 3's TeX input errors (shown in place of the formula), and its generic message
MATHJAX_ERRORS = (
    "Math input error",
    "Undefined control sequence",
    "Missing open brace",
    "Missing close brace",
    "Extra close brace",
    "Extra open brace",
    "Misplaced",
    "Unknown environment",
    "Missing argument",
    "TeX parse error",
    "Missing or unrecognized delimiter",
)
PAGES_PER_DOCUMENT = (
    2,
    40,
)  # sane: at least a title page's worth, at most a long chapter's
TYPOGRAPHY = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "}
)


def toc_documents() -> list[str]:
    """The documents of ``_toc.yml`` after the root, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found = []

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                found.append(re.sub(r"\.(md|ipynb|rst)$", "", e["file"]))
            walk(e.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return found


def source_title(doc: str) -> str:
    """The first level-1 heading of a document's source (``.md`` or ``.ipynb``)."""
    md, nb = ROOT / f"{doc}.md", ROOT / f"{doc}.ipynb"
    if md.exists():
        lines = md.read_text(encoding="utf-8").splitlines()
    else:
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        lines = [
            line
            for c in cells
            if c["cell_type"] == "markdown"
            for line in "".join(c["source"]).splitlines()
        ]
    return next(line[2:].strip() for line in lines if line.startswith("# "))


def title_words(title: str) -> list[str]:
    """The pieces of a title outside math, as they read in the PDF (markup removed, typography plain)."""
    plain = re.split(r"\$[^$]*\$", title)
    pieces = [
        re.sub(r"[*_`]", "", p).translate(TYPOGRAPHY).strip(" :,.") for p in plain
    ]
    return [p for p in pieces if len(p) >= 3]


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(TYPOGRAPHY))


@functools.lru_cache(maxsize=None)
def reader():
    if not PDF.exists():
        pytest.skip(
            f"no PDF at {PDF}: build it with `python tools/pdf.py` (.ci/run does, after the HTML build)"
        )
    from pypdf import PdfReader

    return PdfReader(PDF)


@functools.lru_cache(maxsize=None)
def page_texts() -> tuple[str, ...]:
    return tuple(page.extract_text() or "" for page in reader().pages)


def test_every_document_title_is_in_the_pdf():
    text = squash("\n".join(page_texts()))
    missing = [
        (doc, w)
        for doc in toc_documents()
        for w in title_words(source_title(doc))
        if squash(w) not in text
    ]
    assert not missing, f"titles (or parts of them) not found in {PDF.name}: {missing}"


def test_every_document_starts_at_a_destination_the_contents_links_to():
    names = set(reader().named_destinations)
    missing = [
        doc
        for doc in toc_documents()
        if f"/document-{doc}" not in names and f"document-{doc}" not in names
    ]
    assert not missing, (
        f"no destination at the start of {missing}: the contents page does not link them"
    )


def test_math_is_typeset():
    problems = []
    for number, text in enumerate(page_texts(), 1):
        for token in DELIMITERS + MATHJAX_ERRORS:
            if token in text:
                i = text.index(token)
                problems.append(
                    f"page {number}: {token!r} in ...{squash(text[max(0, i - 60) : i + 60])}..."
                )
    assert not problems, (
        "raw TeX or MathJax errors in the PDF (code that prints TeX would show here too):\n"
        + "\n".join(problems[:20])
    )


def test_page_count_and_page_numbers():
    pages = len(reader().pages)
    docs = len(toc_documents()) + 1  # and the front page
    low, high = PAGES_PER_DOCUMENT
    assert low * docs <= pages <= high * docs, f"{pages} pages for {docs} documents"
    unnumbered = [
        n
        for n, text in enumerate(page_texts(), 1)
        if not re.search(rf"\b{n} / {pages}\b", text)
    ]
    assert not unnumbered, (
        f"pages without their number 'N / {pages}': {unnumbered[:20]}"
    )


def test_internal_links_and_outline():
    internal = external = 0
    for page in reader().pages:
        for annotation in page.get("/Annots") or []:
            a = annotation.get_object()
            if a.get("/Subtype") != "/Link":
                continue
            action = a.get("/A")
            if "/Dest" in a or (action is not None and action.get("/S") == "/GoTo"):
                internal += 1
            elif action is not None and action.get("/S") == "/URI":
                external += 1
    # the contents page alone links every document; the text adds equation, theorem and citation links
    assert internal > 2 * len(toc_documents()), (
        f"{internal} internal links ({external} to the web)"
    )
    assert reader().outline, "the PDF has no outline (bookmarks)"


def test_chinese_is_text_in_the_book_font():
    text = "\n".join(page_texts())
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    entry = bib[bib.index("su2021repetition") :]
    title = re.search(r"title\s*=\s*[{\"](.*)", entry).group(1)
    chinese = "".join(re.findall(r"[\u4e00-\u9fff]+", title))
    assert chinese and chinese in text, (
        f"the title of Su's post ({chinese!r}) is not extracted from the PDF"
    )
    shipped = set().union(
        *(fonts.font_cjk(fonts.FONT_DIR / woff2) for _, woff2 in fonts.FACES.values())
    )
    in_pdf = set(filter(fonts.is_cjk, text))
    assert in_pdf, "no CJK text extracted from the PDF"
    outside = sorted(in_pdf - shipped)
    assert not outside, (
        f"CJK characters in the PDF that the book's webfont lacks (boxes): {''.join(outside)}"
    )
