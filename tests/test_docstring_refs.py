"""The docstrings' pointers to the book become cross-references that the strict build checks (tools/docstring_refs.py).

* Unit: the converter writes ``:eq:``, ``:prf:ref:``, ``:ref:`` and ``:numref:`Chapter %s <label>``` for the
  labels the book defines, touches docstrings only, and reports what it cannot convert.
* The whole route, on a copy of the book (the repository's own ``lib/`` is not touched): the converter is run
  over the copy's package, one chapter's first mention of ``repetition_rate`` is made a ``{py:func}`` link, and
  the copy is built strictly (``-W -n``, the chapters' stored outputs) with the copy's package imported. The
  package's docstrings are already converted, so the converter must find nothing left to change; the build passes
  only if every pointer resolves; the API pages then link the chapters' equations, statements and titles, and
  the chapter links the function's entry.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import docstring_refs  # noqa: E402

SKIP = shutil.ignore_patterns(
    "_build",
    ".git",
    ".venv",
    ".pytest_cache",
    ".hypothesis",
    "__pycache__",
    "*.egg-info",
    ".ipynb_checkpoints",
    "generated",
    "benchmarks",
)

# how Sphinx reports a reference that does not resolve, for each role the converter writes (-n)
BROKEN_REFERENCE = re.compile(
    r"equation not found|label '[^']+' not found|prf:ref reference target not found|undefined label"
)

SAMPLE = '''"""Module. Book, Chapter 1, eq. ``eq-R-closed``."""


def f():
    """The rate (book, Chapter 6, theorem ``thm-frobenius-interval``; exercise ``ex-one``; eq. ``eq-none``).

    Also Chapter 8, and (Ch. 7).
    """
    return "Chapter 1, ``eq-R-closed``"  # not a docstring: left alone
'''


def test_converter_on_a_sample():
    labels = docstring_refs.Labels(
        roles={
            "eq-R-closed": "eq",
            "thm-frobenius-interval": "prf:ref",
            "ex-one": "ref",
        },
        chapters={1: "bigram-setup", 6: "chapter-frobenius"},
    )
    new, changed, unresolved = docstring_refs.convert_source(SAMPLE, labels)
    assert (
        '"""Module. Book, :numref:`Chapter %s <bigram-setup>`, eq. :eq:`eq-R-closed`."""'
        in new
    )
    assert (
        ":numref:`Chapter %s <chapter-frobenius>`, :prf:ref:`thm-frobenius-interval`"
        in new
    )
    assert "exercise :ref:`ex-one`; eq. ``eq-none``" in new
    assert 'return "Chapter 1, ``eq-R-closed``"' in new
    assert [n for n, _, _ in changed] == [1, 5]
    assert sorted(why for _, why in unresolved) == [
        "'Ch. 7': write each chapter as Chapter N",
        "no chapter file chapters/08-*.ipynb with a label on its title",
        "no label 'eq-none' in the book",
    ]


def test_the_book_defines_a_label_for_every_chapter():
    labels = docstring_refs.book_labels()
    chapters = {int(p.name[:2]) for p in (ROOT / "chapters").glob("[0-9][0-9]-*.ipynb")}
    assert chapters and set(labels.chapters) == chapters, (
        "a chapter without a label above its title"
    )
    assert {"eq", "prf:ref", "ref"} <= set(labels.roles.values())


def _first_mention(nb_path: Path, name: str) -> None:
    """Make the first mention of ``name`` in a chapter's markdown a link to its API entry (the convention)."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and not text.startswith("("):
            cell["source"] = text + f"\n\nComputed by {{py:func}}`repetition.{name}`."
            break
    nb_path.write_text(json.dumps(nb, ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def converted_build(tmp_path_factory):
    copy = tmp_path_factory.mktemp("book") / "book"
    shutil.copytree(ROOT, copy, ignore=SKIP)
    config = (copy / "_config.yml").read_text(encoding="utf-8")
    (copy / "_config.yml").write_text(
        re.sub(r"execute_notebooks: \w+", 'execute_notebooks: "off"', config)
    )
    labels = docstring_refs.book_labels(copy)
    lines = sum(
        len(docstring_refs.convert_source(p.read_text(encoding="utf-8"), labels)[1])
        for p in (copy / "lib" / "repetition").rglob("*.py")
    )
    assert (
        docstring_refs.main(
            [str(copy / "lib" / "repetition"), "--write", "--book", str(copy)]
        )
        == 0
    )
    chapter = sorted((copy / "chapters").glob("01-*.ipynb"))[0]
    _first_mention(chapter, "repetition_rate")
    env = dict(
        os.environ,
        PYTHONPATH=f"{copy / 'lib'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    )
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "jupyter-book"),
            "build",
            str(copy),
            "-W",
            "-n",
            "--keep-going",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )
    return copy / "_build" / "html", done, lines, chapter.stem


def test_converted_pointers_resolve_in_the_strict_build(converted_build):
    html, done, lines, _ = converted_build
    warnings = re.findall(
        r"^.*WARNING: .*$",
        re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr),
        re.M,
    )
    broken = [w for w in warnings if BROKEN_REFERENCE.search(w)]
    assert not broken, "converted pointers that do not resolve:\n" + "\n".join(broken)
    assert (html / "api" / "index.html").exists(), (
        "the copy did not build:\n" + (done.stdout + done.stderr)[-4000:]
    )
    assert lines == 0, (
        f"{lines} docstring lines still hold plain pointers to the book: "
        "run python tools/docstring_refs.py --write"
    )
    api = "\n".join(
        p.read_text(encoding="utf-8")
        for p in (html / "api" / "generated").glob("*.html")
    )
    into_chapters = re.findall(
        r'<a class="reference internal" href="\.\./\.\./chapters/([^"]+)"', api
    )
    kinds = {
        "equation": [h for h in into_chapters if "#equation-" in h],
        "statement": [
            h for h in into_chapters if re.search(r"#(thm|def|lem|prop|cor)-", h)
        ],
        "chapter": [
            h for h in into_chapters if re.search(r"#(chapter-|bigram-setup)", h)
        ],
    }
    assert all(kinds.values()), {k: len(v) for k, v in kinds.items()}
    assert re.search(r"Chapter \d+</span></a>", api), (
        "a chapter pointer does not show its number"
    )


def test_a_chapter_links_a_function_to_its_entry(converted_build):
    html, done, _, chapter = converted_build
    page = (html / "chapters" / f"{chapter}.html").read_text(encoding="utf-8")
    assert re.search(
        r'href="\.\./api/generated/repetition\.\w+\.html#repetition\.\w+\.repetition_rate"',
        page,
    )
