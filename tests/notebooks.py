"""Execute the book's chapters and compare their outputs.

Usage (from the repository root, inside the venv)::

    python tests/notebooks.py execute chapters/01-bigram-setup.ipynb   # re-run, store outputs in place
    python tests/notebooks.py execute                                   # every chapter
    python tests/notebooks.py check                                     # re-run in memory, compare with stored

``execute`` runs a notebook top to bottom in a fresh kernel with timing
metadata switched off and OpenBLAS on ``STORED_THREADS`` (2) threads, recorded
in the notebook's metadata, and joins consecutive stream outputs (how a
kernel splits a cell's printing into messages depends on timing), so
re-executing an unchanged chapter leaves the file byte-identical. ``check`` re-executes every chapter and compares every text
output (stdout, stderr, text/plain, text/latex, text/html, text/markdown)
with the stored one; it prints the number of cells compared and exits 1 on
any difference. Run it under different ``OPENBLAS_NUM_THREADS`` settings to
confirm that the stored outputs do not depend on the thread count.
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
TEXT_MIMES = ("text/plain", "text/latex", "text/html", "text/markdown")


def chapter_paths() -> list[Path]:
    """All chapter notebooks, in file-name order."""
    return sorted((ROOT / "chapters").glob("*.ipynb"))


#: The stored outputs are made with OpenBLAS on this many threads (recorded in each
#: notebook's metadata under METADATA_KEY); nbval re-executes with 1 (tests/conftest.py),
#: so its cell-by-cell comparison is also the 1-versus-2-thread check.
STORED_THREADS = 2
METADATA_KEY = "repetition_book"


def stored_threads(nb) -> int | None:
    """The OPENBLAS_NUM_THREADS a stored notebook was executed with, or None if not recorded."""
    value = nb.metadata.get(METADATA_KEY, {}).get("openblas_num_threads")
    return int(value) if value is not None else None


def run(path: Path, timeout: int = 900, threads: int | None = None) -> nbformat.NotebookNode:
    """Execute the notebook at ``path`` in a fresh kernel; return the executed copy.

    ``threads`` sets ``OPENBLAS_NUM_THREADS`` for the kernel (None: inherit this
    process's environment).
    """
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    saved = os.environ.get("OPENBLAS_NUM_THREADS")
    try:
        if threads is not None:
            os.environ["OPENBLAS_NUM_THREADS"] = str(threads)  # inherited by the kernel process
        client.execute()
    finally:
        if threads is not None:
            if saved is None:
                os.environ.pop("OPENBLAS_NUM_THREADS", None)
            else:
                os.environ["OPENBLAS_NUM_THREADS"] = saved
    return nb


def coalesce_streams(nb):
    """Join consecutive stream outputs of one name (as nbval does before comparing).

    How a kernel splits one cell's stdout into stream messages depends on
    timing, not on the computation; the text itself must match byte for byte.
    """
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged = []
        for out in cell.get("outputs", []):
            if merged and out["output_type"] == "stream" and merged[-1]["output_type"] == "stream" and merged[-1]["name"] == out["name"]:
                merged[-1] = nbformat.from_dict(dict(merged[-1], text=merged[-1]["text"] + out["text"]))
            else:
                merged.append(out)
        cell["outputs"] = merged
    return nb


def text_outputs(cell) -> list[tuple[str, str]]:
    """The comparable text of a code cell's outputs, in order."""
    out = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream":
            out.append((o["name"], o["text"]))
        elif o["output_type"] in ("execute_result", "display_data"):
            for mime in TEXT_MIMES:
                if mime in o.get("data", {}):
                    value = o["data"][mime]
                    out.append((mime, value if isinstance(value, str) else "".join(value)))
        elif o["output_type"] == "error":
            out.append(("error", o["ename"] + ": " + o["evalue"]))
    return out


def compare(stored, fresh) -> tuple[int, list[str]]:
    """Compare two executions of one notebook cell by cell; return (cells compared, differences)."""
    a = [c for c in stored.cells if c.cell_type == "code"]
    b = [c for c in fresh.cells if c.cell_type == "code"]
    if len(a) != len(b):
        return 0, [f"{len(a)} code cells stored, {len(b)} executed"]
    diffs = []
    for i, (x, y) in enumerate(zip(a, b)):
        if text_outputs(x) != text_outputs(y):
            diffs.append(f"code cell {i + 1}: text output differs")
    return len(a), diffs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["execute", "check"])
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.paths] or chapter_paths()
    total, failed = 0, False
    for path in paths:
        start = time.perf_counter()
        fresh = run(path, threads=STORED_THREADS if args.command == "execute" else None)
        seconds = time.perf_counter() - start
        if args.command == "execute":
            fresh.metadata[METADATA_KEY] = {"openblas_num_threads": STORED_THREADS}
            nbformat.write(coalesce_streams(fresh), path)
            print(f"executed {path.relative_to(ROOT)} in {seconds:.1f} s (OPENBLAS_NUM_THREADS={STORED_THREADS})")
            continue
        stored = nbformat.read(path, as_version=4)
        count, diffs = compare(stored, fresh)
        total += count
        status = "identical" if not diffs else f"{len(diffs)} DIFFER"
        print(f"{path.relative_to(ROOT)}: {count} code cells compared, {status} ({seconds:.1f} s)")
        for d in diffs:
            print("   ", d)
        failed |= bool(diffs)
    if args.command == "check":
        print(f"{total} code cells compared in {len(paths)} notebooks: {'FAILED' if failed else 'all identical'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
