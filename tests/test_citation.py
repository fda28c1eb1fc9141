"""CITATION.cff is valid Citation File Format 1.2.0, and the how-to-cite entries agree with it.

Validation uses the official CFF 1.2.0 JSON schema (vendored as tests/data/cff-1.2.0-schema.json, CC BY 4.0,
the same file that ``cffconvert --validate`` uses) with ``jsonschema``. ``cffconvert`` itself is not a
dependency: it pins ``jsonschema<4``, which conflicts with the Jupyter stack. The same check by hand, in a
throwaway venv: ``pip install cffconvert==2.0.0 && cffconvert --validate -i CITATION.cff``.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from pybtex.database import parse_string

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = "https://github.com/OWNER/repetition-book"
#: The address of the published site, a placeholder in the same way (GitHub Pages of the same repository).
SITE_PLACEHOLDER = "https://OWNER.github.io/repetition-book"
AUTHOR = "The contributors to Repetition in Text Generation"


def _bookcite():
    spec = importlib.util.spec_from_file_location(
        "bookcite", ROOT / "_ext" / "bookcite.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cff():
    return _bookcite().load_cff()


def test_citation_cff_is_valid_cff_1_2(cff):
    schema = json.loads(
        (ROOT / "tests" / "data" / "cff-1.2.0-schema.json").read_text(encoding="utf-8")
    )
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.FormatChecker()
    )
    errors = sorted(validator.iter_errors(cff), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    assert cff["cff-version"] == "1.2.0"


def test_the_schema_rejects_a_broken_file(cff):
    """The validation can fail: a file without authors, or with a malformed date, is rejected."""
    schema = json.loads(
        (ROOT / "tests" / "data" / "cff-1.2.0-schema.json").read_text(encoding="utf-8")
    )
    validator = jsonschema.Draft7Validator(schema)
    broken = {k: v for k, v in cff.items() if k != "authors"}
    assert not validator.is_valid(broken)
    assert not validator.is_valid({**cff, "date-released": "22 November 2026"})


def test_citation_metadata_agree_with_the_book(cff):
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert cff["title"] == config["title"]
    assert cff["authors"] == [{"name": AUTHOR}], (
        "authors: the contributors, as an entity"
    )
    assert config["author"] == AUTHOR
    assert cff["repository-code"] == config["repository"]["url"] == PLACEHOLDER
    assert re.search(
        rf'^version = "{re.escape(str(cff["version"]))}"$', pyproject, re.M
    ), "version differs"
    assert set(cff["license"]) == {"CC-BY-4.0", "MIT"}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", cff["date-released"])


def test_bibtex_entries_parse(cff):
    bookcite = _bookcite()
    entries = [
        bookcite.book_entry(cff),
        bookcite.chapter_entry(cff, 3, "The paper's lower bound & ζ", "chapters/03-x"),
    ]
    db = parse_string("\n\n".join(entries), "bibtex")
    book, chapter = db.entries.values()
    assert book.type == "book" and chapter.type == "incollection"
    assert book.fields["title"] == cff["title"] == chapter.fields["booktitle"]
    assert chapter.fields["chapter"] == "3"
    assert chapter.fields["title"] == r"The paper's lower bound \& ζ"
    assert chapter.fields["url"] == f"{PLACEHOLDER}/blob/main/chapters/03-x.ipynb"
    assert book.fields["year"] == chapter.fields["year"] == cff["date-released"][:4]
    assert [str(p) for p in book.persons["author"]] == [
        "{" + AUTHOR + "}"
    ]  # one entity, not split into names
    assert bookcite.chapter_number("chapters/07-rebalanced-encoding") == 7
    assert bookcite.chapter_number("notation") is None


def test_references_bib_parses_and_holds_the_sources():
    db = parse_string((ROOT / "references.bib").read_text(encoding="utf-8"), "bibtex")
    for key in (
        "su2021repetition",
        "fu2021theoretical",
        "horn2013matrix",
        "pku1998peoplesdaily",
        "kjv1611",
    ):
        assert key in db.entries, f"references.bib lacks {key}"
    assert "2012.14660" in db.entries["fu2021theoretical"].fields["eprint"]


# Not the repository's own files: builds, environments, caches.
_NOT_SOURCE = {
    "_build",
    ".git",
    ".venv",
    ".pytest_cache",
    ".hypothesis",
    "__pycache__",
    ".ipynb_checkpoints",
}


def repository_files() -> list[str]:
    """The files of the repository: tracked, or new and not ignored (``git ls-files``); in a copy without ``.git``,
    every file outside the build, environment and cache directories."""
    try:
        done = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        return [name for name in done.stdout.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        return [
            p.relative_to(ROOT).as_posix()
            for p in ROOT.rglob("*")
            if p.is_file()
            and not _NOT_SOURCE.intersection(p.relative_to(ROOT).parts)
            and not any(
                part.endswith(".egg-info") for part in p.relative_to(ROOT).parts
            )
        ]


def files_holding_placeholder() -> set[str]:
    found = set()
    for name in repository_files():
        path = ROOT / name
        if path.is_file() and any(
            a.encode() in path.read_bytes() for a in (PLACEHOLDER, SITE_PLACEHOLDER)
        ):
            found.add(name)
    return found


def listed_in_citation_cff() -> set[str]:
    """The files named in CITATION.cff's comment "replace OWNER ... in every file that holds the address"."""
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    return set(re.findall(r"^#\s+- (\S+)\s*$", text, re.M))


def test_placeholder_is_documented_everywhere_it_appears():
    """Every file of the repository holding a placeholder address (repository or site) says it is a placeholder, and
    CITATION.cff
    lists exactly those files, so publishing the book replaces it everywhere and a new copy cannot slip in."""
    found = files_holding_placeholder()
    assert {"CITATION.cff", "_config.yml", "how-to-cite.md"} <= found, (
        f"the search missed files: {sorted(found)}"
    )
    for name in sorted(found):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert "placeholder" in text.lower(), (
            f"{name} holds a placeholder address without saying it is one"
        )
    listed = listed_in_citation_cff()
    assert not found - listed, (
        f"CITATION.cff does not list these files with the placeholder: {sorted(found - listed)}"
    )
    assert not listed - found, (
        f"CITATION.cff lists files without the placeholder: {sorted(listed - found)}"
    )


def test_chapter_titles_keep_their_math_in_bibtex():
    from docutils import nodes

    title = nodes.title("", "", nodes.Text("Row sums of "), nodes.math("", r"P\odot P"))
    assert _bookcite().title_tex(title) == r"Row sums of $P\odot P$"
