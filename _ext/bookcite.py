"""BibTeX for the book and for each of its chapters, generated at build time.

Two directives for the how-to-cite page, so that the citations never drift
from the book:

``{bibtex-book}``
    One ``@book`` entry, from ``CITATION.cff`` (title, authors, version,
    release year, repository URL).
``{bibtex-chapters}``
    One ``@incollection`` entry per chapter (every document under
    ``chapters/``), with the chapter's number (from its file name ``NN-...``)
    and its title as the reader sees it. The titles are known only once every
    document has been read, so the directive leaves a placeholder that a
    post-transform replaces.

The pure functions :func:`book_entry` and :func:`chapter_entry` are tested in
``tests/test_citation.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parent.parent
KEY = "repetitionbook"


def load_cff(path: Path = ROOT / "CITATION.cff") -> dict:
    """The citation metadata of the book, as a dict (dates as ISO strings)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if "date-released" in data:
        data["date-released"] = str(data["date-released"])
    return data


def _author(cff: dict) -> str:
    names = []
    for a in cff["authors"]:
        if (
            "name" in a
        ):  # an entity: braces keep BibTeX from splitting it into first/last names
            names.append("{" + a["name"] + "}")
        else:
            names.append(f"{a['family-names']}, {a['given-names']}")
    return " and ".join(names)


def _escape(text: str) -> str:
    return text.replace("&", r"\&").replace("%", r"\%").replace("#", r"\#")


def book_entry(cff: dict) -> str:
    """The ``@book`` BibTeX entry of the book described by ``cff``."""
    year = cff["date-released"][:4]
    return "\n".join(
        [
            f"@book{{{KEY}{year},",
            f"  author    = {{{_author(cff)}}},",
            f"  title     = {{{_escape(cff['title'])}}},",
            f"  year      = {{{year}}},",
            f"  edition   = {{Version {cff['version']}}},",
            f"  url       = {{{cff['repository-code']}}},",
            "  note      = {Jupyter Book; text CC BY 4.0, code MIT}",
            "}",
        ]
    )


def chapter_entry(cff: dict, number: int, title: str, docname: str) -> str:
    """The ``@incollection`` BibTeX entry of chapter ``number`` (source ``docname``.ipynb)."""
    year = cff["date-released"][:4]
    url = f"{cff['repository-code']}/blob/main/{docname}.ipynb"
    return "\n".join(
        [
            f"@incollection{{{KEY}{year}ch{number:02d},",
            f"  author    = {{{_author(cff)}}},",
            f"  title     = {{{_escape(title)}}},",
            f"  booktitle = {{{_escape(cff['title'])}}},",
            f"  chapter   = {{{number}}},",
            f"  year      = {{{year}}},",
            f"  edition   = {{Version {cff['version']}}},",
            f"  url       = {{{url}}}",
            "}",
        ]
    )


def chapter_number(docname: str) -> int | None:
    """The chapter number of ``chapters/NN-...``, or None for any other document."""
    m = re.fullmatch(r"chapters/(\d+)-[^/]+", docname)
    return int(m.group(1)) if m else None


def title_tex(node: nodes.Node) -> str:
    """A title as BibTeX text: inline math as ``$...$``, everything else as plain text."""
    if isinstance(node, nodes.math):
        return f"${node.astext()}$"
    if isinstance(node, nodes.Text):
        return node.astext()
    return "".join(title_tex(child) for child in node.children)


def _literal(text: str) -> nodes.literal_block:
    block = nodes.literal_block(text, text)
    block["language"] = "bibtex"
    return block


class BookBibtex(SphinxDirective):
    """``{bibtex-book}``: the book's BibTeX entry, from CITATION.cff."""

    def run(self):
        self.env.note_dependency(str(ROOT / "CITATION.cff"))
        return [_literal(book_entry(load_cff()))]


class ChapterBibtexNode(nodes.General, nodes.Element):
    """Placeholder for the chapters' BibTeX entries."""


class ChapterBibtex(SphinxDirective):
    """``{bibtex-chapters}``: one BibTeX entry per chapter."""

    def run(self):
        self.env.note_dependency(str(ROOT / "CITATION.cff"))
        self.env.metadata[self.env.docname]["bibtex_chapters"] = True
        return [ChapterBibtexNode()]


class ChapterBibtexTransform(SphinxPostTransform):
    """Replace the placeholder by the entries, once all titles are known."""

    default_priority = 8

    def run(self, **kwargs) -> None:
        cff = load_cff()
        chapters = []
        for docname in self.env.found_docs:
            if chapter_number(docname) is None:
                continue
            # the number the reader sees in the table of contents; the file's NN if unnumbered
            shown = self.env.toc_secnumbers.get(docname, {}).get("")
            chapters.append((shown[0] if shown else chapter_number(docname), docname))
        for node in list(self.document.findall(ChapterBibtexNode)):
            blocks = []
            for number, docname in sorted(chapters):
                title = (
                    title_tex(self.env.titles[docname])
                    if docname in self.env.titles
                    else docname
                )
                blocks.append(chapter_entry(cff, number, title, docname))
            node.replace_self(
                _literal("\n\n".join(blocks))
                if blocks
                else nodes.paragraph(text="(No chapters yet.)")
            )


def _always_rewrite(app, env, added, changed, removed):
    """Rewrite the pages with chapter entries on every build: chapter titles may have changed."""
    return [d for d, meta in env.metadata.items() if meta.get("bibtex_chapters")]


def setup(app):
    app.connect("env-get-outdated", _always_rewrite)
    app.add_node(ChapterBibtexNode)
    app.add_directive("bibtex-book", BookBibtex)
    app.add_directive("bibtex-chapters", ChapterBibtex)
    app.add_post_transform(ChapterBibtexTransform)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
