"""Every chapter's text outputs are byte-identical across executions and BLAS thread counts.

What is compared: the text of every code cell's outputs (stdout, stderr,
text/plain, text/latex, text/html, text/markdown; PNG figures are not
compared), cell by cell.

How CI covers "executed twice, with OPENBLAS_NUM_THREADS=1 versus 2" without
executing the book an extra time:

1. The stored outputs are one execution with ``OPENBLAS_NUM_THREADS=2``
   (``python tests/notebooks.py execute``, which records the thread count in
   each notebook's metadata).
2. nbval (``--nbval`` in the pytest options) executes every chapter again and
   requires the text outputs to equal the stored ones. ``tests/conftest.py``
   sets ``OPENBLAS_NUM_THREADS=1`` for this process and so for nbval's
   kernels, unless the variable is already set.

So the nbval comparison is itself the execution-to-execution and
1-versus-2-thread check; this test makes sure it is one: every chapter records
its thread count, nbval is on and has collected that chapter's cells in this
run, and the thread count nbval's kernels get differs from the stored one.
When it does not (``OPENBLAS_NUM_THREADS=2`` set by hand, ``pytest tests/``
which collects no chapter, or nbval off), the test executes each chapter at
the other thread count itself. ``REPRODUCIBILITY_FULL=1`` forces that too, at both thread
counts, comparing each with the stored outputs and with each other. The number
of cells compared is printed in the terminal summary.
"""


from __future__ import annotations

import os

import pytest

from notebooks import ROOT, chapter_paths, coalesce_streams, compare, run, stored_threads

CHAPTERS = chapter_paths()


def kernel_blas_threads() -> int:
    """The thread count OpenBLAS uses in this environment, and so in nbval's kernels."""
    value = os.environ.get("OPENBLAS_NUM_THREADS")
    if value and value.isdigit():
        return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def execute_with_threads(path, threads: int):
    return coalesce_streams(run(path, threads=threads))


def test_there_are_chapters_to_compare():
    assert CHAPTERS, "no chapter notebooks under chapters/: nothing to check for reproducibility"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_text_outputs_identical_at_the_other_thread_count(path, request, record_property):
    import nbformat

    stored_nb = nbformat.read(path, as_version=4)
    made_with = stored_threads(stored_nb)
    assert made_with is not None, (
        f"{path.name} does not record the thread count of its stored outputs: "
        "re-execute it with python tests/notebooks.py execute"
    )
    stored = coalesce_streams(stored_nb)
    code_cells = sum(c.cell_type == "code" for c in stored.cells)
    assert code_cells > 0, f"{path.name} has no code cell to compare"
    # nbval does the comparison only if it is on and this chapter's cells were collected in this run
    nbval_on = bool(request.config.getoption("nbval", default=False)) and any(
        getattr(item, "path", None) == path for item in request.session.items
    )
    current = kernel_blas_threads()
    if os.environ.get("REPRODUCIBILITY_FULL"):
        runs = {t: execute_with_threads(path, t) for t in (1, 2)}
        total = 0
        for t, fresh in runs.items():
            count, diffs = compare(stored, fresh)
            assert not diffs, f"{path.name} with OPENBLAS_NUM_THREADS={t} differs from the stored outputs: {diffs}"
            total += count
        count, diffs = compare(runs[1], runs[2])
        assert not diffs, f"{path.name}: OPENBLAS_NUM_THREADS=1 and 2 differ: {diffs}"
        record_property("cells_compared", total + count)
        record_property("reproduction", "(threads 1 and 2 vs stored, and vs each other)")
        return
    if nbval_on and current != made_with:
        record_property("cells_compared", code_cells)
        record_property("reproduction", f"(by nbval: OPENBLAS_NUM_THREADS={current} vs stored {made_with})")
        return
    other = 1 if made_with >= 2 else 2
    fresh = execute_with_threads(path, other)
    count, diffs = compare(stored, fresh)
    record_property("cells_compared", count)
    record_property("reproduction", f"(OPENBLAS_NUM_THREADS={other} vs stored {made_with})")
    assert not diffs, f"{path.relative_to(ROOT)} with OPENBLAS_NUM_THREADS={other} differs from the stored outputs: {diffs}"
