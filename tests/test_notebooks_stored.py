"""Every chapter is stored fully executed, so that nbval compares every cell."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def test_there_are_chapters():
    assert CHAPTERS, "no chapter notebooks found under chapters/"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_code_cell_was_executed_in_order(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    counts = [c.get("execution_count") for c in code]
    missing = [i + 1 for i, c in enumerate(counts) if c is None]
    assert not missing, (
        f"{path.name}: code cells {missing} have no stored execution (nbval would skip them)"
    )
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: not saved from one top-to-bottom run: {counts}"
    )
    assert any(c.get("outputs") for c in code), (
        f"{path.name}: no code cell has stored output"
    )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_no_nbval_escape_hatches(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for c in nb["cells"]:
        tags = c.get("metadata", {}).get("tags", [])
        assert "nbval-skip" not in tags and "nbval-ignore-output" not in tags, (
            f"{path.name}: a cell opts out of nbval"
        )
        if c["cell_type"] == "code":
            src = "".join(c["source"])
            assert "NBVAL_SKIP" not in src and "NBVAL_IGNORE_OUTPUT" not in src


def test_chapters_are_in_the_toc():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    for path in CHAPTERS:
        assert f"chapters/{path.stem}" in toc, f"{path.name} is not in _toc.yml"
