"""Turn the docstrings' pointers to the book into cross-references the strict build checks.

The package's docstrings point into the book as plain text: "book, Chapter 1, eq. ``eq-R-closed``", "theorem
``thm-divergence``". Rendered on the API pages, those are words; a renamed label breaks nothing. The convention
(what this script writes, and what new docstrings should use):

* an equation: ``:eq:`eq-R-closed``` (renders "(1.8)", a link);
* a theorem, lemma, definition, ...: ``:prf:ref:`thm-divergence``` (renders "Theorem 1.3", a link; so the word
  "theorem" before the label goes);
* an exercise or a labelled section: ``:ref:`ex-bigram-two-tokens``` (renders its title);
* a chapter: ``:numref:`Chapter %s <chapter-frobenius>``` (renders "Chapter 6");
* another function of the package: ``:func:`repetition_rate``` (renders "repetition_rate()").

A chapter is named by the label above its title (``(chapter-frobenius)=``), not by its file, so the number shown
is the one in the table of contents. With the build's ``-n``, a reference to a label that no longer exists fails
the build. Chapters link a function's first mention the same way, in MyST: ``{py:func}`repetition.repetition_rate```
(the name the chapter calls; ``_ext/bookapi.py`` resolves it to the module that defines it).

Usage::

    python tools/docstring_refs.py            # show what would change in lib/repetition/, and what it cannot
    python tools/docstring_refs.py --write    # change the files

Only docstrings are touched (module, class and function docstrings, found with ``ast``). A label the book does
not define, or a chapter number with no chapter file, is reported and left as it is. Converted lines get longer:
reflow them to the package's line length afterwards.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lib" / "repetition"

# an optional kind word before the label: sphinx-proof's reference already says "Theorem 6.1"
LABEL = re.compile(
    r"(?:\b((?i:theorem|lemma|definition|proposition|corollary|remark|example)) )?``([A-Za-z][\w-]*-[\w-]+)``"
)
CHAPTER = re.compile(r"\b(?<!:`)Chapter (\d+)\b")
PRF_KINDS = (
    "prf:theorem",
    "prf:lemma",
    "prf:definition",
    "prf:proposition",
    "prf:corollary",
    "prf:conjecture",
    "prf:example",
    "prf:algorithm",
    "prf:criterion",
    "prf:remark",
    "prf:axiom",
    "prf:observation",
    "prf:property",
    "prf:assumption",
    "prf:notation",
)


@dataclass
class Labels:
    """The labels the book defines, by the role that refers to them; and each chapter's label by its number."""

    roles: dict[str, str] = field(
        default_factory=dict
    )  # label -> "eq", "prf:ref" or "ref"
    chapters: dict[int, str] = field(
        default_factory=dict
    )  # file number NN of chapters/NN-*.ipynb -> label


def _markdown(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join(
        "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
    )


def book_labels(root: Path = ROOT) -> Labels:
    """Read the labels from the chapters and pages: display math ``$$ ... $$ (label)`` and ``{math}`` blocks,
    sphinx-proof and sphinx-exercise directives (``:label:``), and MyST targets ``(label)=``."""
    labels = Labels()
    sources = sorted(root.glob("chapters/*.ipynb")) + sorted(root.glob("*.md"))
    for path in sources:
        text = _markdown(path)
        for m in re.finditer(r"\$\$\s*\(([\w-]+)\)", text):
            labels.roles[m.group(1)] = "eq"
        for m in re.finditer(
            r"```\{math\}[^\n]*\n(?::\w+:[^\n]*\n)*?:label:\s*(\S+)", text
        ):
            labels.roles[m.group(1)] = "eq"
        for m in re.finditer(
            r"[`:]{3,}\{([\w:]+)\}[^\n]*\n((?::[\w-]+:[^\n]*\n)*)", text
        ):
            label = re.search(r":label:\s*(\S+)", m.group(2))
            if label:
                labels.roles[label.group(1)] = (
                    "prf:ref" if m.group(1) in PRF_KINDS else "ref"
                )
        targets = re.findall(r"^\(([\w-]+)\)=\s*$", text, re.M)
        for target in targets:
            labels.roles.setdefault(target, "ref")
        number = re.match(r"(\d+)-", path.name)
        if (
            path.parent.name == "chapters"
            and number
            and targets
            and text.lstrip().startswith(f"({targets[0]})=")
        ):
            labels.chapters[int(number.group(1))] = targets[0]
    return labels


def docstring_lines(source: str) -> set[int]:
    """The line numbers (1-based) that belong to a module, class or function docstring."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(
                node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
            )
            and node.body
        ):
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


def convert_line(line: str, labels: Labels, unresolved: list[str]) -> str:
    """One docstring line with its pointers converted; what cannot be converted is appended to ``unresolved``."""

    def label(m: re.Match) -> str:
        kind, name = m.group(1), m.group(2)
        role = labels.roles.get(name)
        if role is None:
            if re.match(r"(eq|thm|def|lem|prop|cor|ex|sec|fig|tbl)-", name):
                unresolved.append(f"no label {name!r} in the book")
            return m.group(0)
        keep = f"{kind} " if kind and role != "prf:ref" else ""
        return f"{keep}:{role}:`{name}`"

    def chapter(m: re.Match) -> str:
        target = labels.chapters.get(int(m.group(1)))
        if target is None:
            unresolved.append(
                f"no chapter file chapters/{int(m.group(1)):02d}-*.ipynb with a label on its title"
            )
            return m.group(0)
        return f":numref:`Chapter %s <{target}>`"

    line = LABEL.sub(label, line)
    line = CHAPTER.sub(chapter, line)
    for loose in re.findall(r"\b(?:Ch\. \d+(?:-\d+)?|Chapters \d+[-–]\d+)", line):
        unresolved.append(f"{loose!r}: write each chapter as Chapter N")
    return line


def convert_source(
    source: str, labels: Labels
) -> tuple[str, list[tuple[int, str, str]], list[tuple[int, str]]]:
    """(new source, changed lines as (number, old, new), unresolved pointers as (number, why))."""
    inside = docstring_lines(source)
    out, changed, unresolved = [], [], []
    for number, line in enumerate(source.splitlines(keepends=True), 1):
        if number in inside:
            problems: list[str] = []
            new = convert_line(line, labels, problems)
            unresolved += [(number, p) for p in problems]
            if new != line:
                changed.append((number, line.rstrip("\n"), new.rstrip("\n")))
            line = new
        out.append(line)
    return "".join(out), changed, unresolved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Convert the docstrings' pointers to the book into references."
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=[PACKAGE],
        help="files or folders (lib/repetition)",
    )
    parser.add_argument(
        "--write", action="store_true", help="change the files (default: only show)"
    )
    parser.add_argument(
        "--book",
        type=Path,
        default=ROOT,
        help="the book's root, where the labels are read",
    )
    args = parser.parse_args(argv)
    labels = book_labels(args.book)
    files = [
        f for p in args.paths for f in (sorted(p.rglob("*.py")) if p.is_dir() else [p])
    ]
    total = 0
    for path in files:
        new, changed, unresolved = convert_source(
            path.read_text(encoding="utf-8"), labels
        )
        for number, old, line in changed:
            print(f"{path}:{number}:\n  - {old.strip()}\n  + {line.strip()}")
        for number, why in unresolved:
            print(f"{path}:{number}: left as it is: {why}")
        total += len(changed)
        if args.write and changed:
            path.write_text(new, encoding="utf-8")
    print(
        f"{total} lines {'changed' if args.write else 'to change'} in {len(files)} files"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
