"""Every chapter's stored outputs, text and figures, are reproduced at another BLAS thread count.

How CI covers "executed again, with OPENBLAS_NUM_THREADS=1 against 2" while executing each
chapter only once:

1. The stored outputs are one execution with ``OPENBLAS_NUM_THREADS=2``
   (``python tests/notebooks.py execute``, which records the count in each notebook).
2. nbval (``--nbval`` in the pytest options) executes every chapter again and requires its
   text outputs to equal the stored ones; ``conftest.py`` at the repository root adds the
   figures and runs nbval's kernels with ``OPENBLAS_NUM_THREADS=1`` unless it is set.

So nbval's comparison is itself the execution-to-execution and 1-versus-2-thread check.
This test makes sure it is one: every chapter records its thread count, and nbval has
collected the chapter in this run with a different count. When it has not (``pytest
tests/``, which collects no chapter, nbval switched off, or ``OPENBLAS_NUM_THREADS=2`` set
by hand), the test runs nbval on the chapter itself, in a pytest subprocess with the other
count. ``REPRODUCIBILITY_FULL=1`` runs it at both counts, 1 and 2, in any case.
"""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest

from notebooks import ROOT, chapter_paths, stored_threads

CHAPTERS = chapter_paths()


def kernel_blas_threads() -> int:
    """The thread count OpenBLAS uses in this environment, and so in nbval's kernels."""
    value = os.environ.get("OPENBLAS_NUM_THREADS")
    if value and value.isdigit():
        return int(value)
    return len(os.sched_getaffinity(0))


def nbval(path, threads: int) -> subprocess.CompletedProcess:
    """Run nbval on one notebook, in one pytest process with OpenBLAS on ``threads``.

    The project's pytest options apply (pyproject.toml: nbval's sanitizer and kernel;
    conftest.py: the figures); ``-n 0`` keeps the notebook in this one process.
    """
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(path), "--nbval", "-n", "0", "-q"],
        cwd=ROOT,
        env={**os.environ, "OPENBLAS_NUM_THREADS": str(threads)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_there_are_chapters_to_compare():
    assert CHAPTERS, "no chapter notebooks under chapters/: nothing to check"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_outputs_reproduced_at_the_other_thread_count(path, request):
    made_with = stored_threads(nbformat.read(path, as_version=4))
    assert made_with is not None, (
        f"{path.name} does not record the thread count of its stored outputs: "
        "re-execute it with python tests/notebooks.py execute"
    )
    nbval_on = bool(request.config.getoption("nbval", default=False)) and any(
        getattr(item, "path", None) == path for item in request.session.items
    )
    if os.environ.get("REPRODUCIBILITY_FULL"):
        counts = (1, 2)
    elif nbval_on and kernel_blas_threads() != made_with:
        return  # nbval's items for this chapter are the comparison, at another count
    else:
        counts = (1 if made_with >= 2 else 2,)
    for threads in counts:
        run = nbval(path, threads)
        tail = "\n".join(run.stdout.splitlines()[-30:])
        assert run.returncode == 0, (
            f"{path.relative_to(ROOT)} with OPENBLAS_NUM_THREADS={threads} does not "
            f"reproduce its stored outputs (stored with {made_with}):\n{tail}"
        )
