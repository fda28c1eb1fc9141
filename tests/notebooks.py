"""Store a chapter's outputs: execute it top to bottom in a fresh kernel and write it in place.

Usage, from the repository root inside the venv::

    python tests/notebooks.py execute chapters/01-bigram-setup.ipynb   # one chapter (or several)
    python tests/notebooks.py execute                                   # every chapter

Execution is nbclient's ``NotebookClient`` with ``record_timing=False`` (no time stamps
in the cells' metadata) and ``coalesce_streams=True`` (a cell's printing joined into one
output per stream: how a kernel splits it into messages depends on timing), with OpenBLAS
on ``STORED_THREADS`` threads in the kernel, recorded in the notebook's metadata under
``repetition_book.openblas_num_threads``. Re-executing an unchanged chapter therefore
leaves its file byte-identical, and ``git diff`` shows only what a change did.

Checking is nbval's job: ``pytest chapters`` (or one chapter's file) re-executes each
chapter with one thread and compares every text output and figure with the stored ones
(``conftest.py`` at the repository root says how).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent

#: The stored outputs are made with OpenBLAS on this many threads; nbval re-executes
#: with 1 (conftest.py), so its comparison is also the 1-versus-2-thread check.
STORED_THREADS = 2
METADATA_KEY = "repetition_book"


def chapter_paths() -> list[Path]:
    """All chapter notebooks, in file-name order."""
    return sorted((ROOT / "chapters").glob("*.ipynb"))


def stored_threads(nb) -> int | None:
    """The OPENBLAS_NUM_THREADS a stored notebook was executed with (None: not recorded)."""
    value = nb.metadata.get(METADATA_KEY, {}).get("openblas_num_threads")
    return int(value) if value is not None else None


def execute(path: Path, threads: int = STORED_THREADS, timeout: int = 900):
    """Execute the notebook at ``path`` in a fresh kernel; return the executed notebook."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        coalesce_streams=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env={**os.environ, "OPENBLAS_NUM_THREADS": str(threads)})
    nb.metadata[METADATA_KEY] = {"openblas_num_threads": threads}
    return nb


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["execute"])
    parser.add_argument("paths", nargs="*", type=Path, help="chapters (default: all)")
    args = parser.parse_args(argv)
    for path in [p.resolve() for p in args.paths] or chapter_paths():
        start = time.perf_counter()
        nbformat.write(execute(path), path)
        seconds = time.perf_counter() - start
        print(
            f"executed {path.relative_to(ROOT)} in {seconds:.1f} s "
            f"(OPENBLAS_NUM_THREADS={STORED_THREADS})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
