"""pytest configuration for every run from the repository root: nbval's check of the chapters.

nbval (``--nbval`` in the pytest options of ``pyproject.toml``) executes each chapter in a
fresh kernel and requires every code cell's text outputs to equal the stored ones. This
file, loaded by any pytest run from the repository root (``pytest``, ``pytest chapters``,
``pytest chapters/NN-name.ipynb``, with or without ``-o addopts=...``), adds:

* **Figures.** nbval 0.11 leaves PNG images out of its comparison. After nbval has run a
  cell, each figure the cell drew is compared with the stored one: identical bytes pass
  (matplotlib's Agg PNGs are deterministic for pinned versions and equal data: no time
  stamp in PNG metadata); otherwise both are decoded and must have the same size and a
  root-mean-square pixel difference (0-255 scale, matplotlib's ``calculate_rms``) of at
  most ``FIGURE_RMS_TOLERANCE``. The tolerance is there for the BLAS thread count alone:
  Chapter 5's log-log figure drawn at 1 thread differs from the one drawn at 2 in 4
  anti-aliased pixels by 2 levels (RMS 0.0035), while a change of 0.1 % in one plotted
  point of a figure that size gives RMS 0.12 and one changed letter in a title 2.7. A
  differing figure fails its cell, and the stored image, the executed one and matplotlib's
  picture of their difference are written to ``_build/nbval-figures/``.
* **Thread count.** nbval's kernels inherit this process's environment. It is set here to
  one OpenBLAS thread (unless ``OPENBLAS_NUM_THREADS`` is set already), while the stored
  outputs are made with two (``tests/notebooks.py`` records it in each notebook), so the
  same comparison shows that no output depends on the thread count. It is set before numpy
  is imported, so the test processes use one thread too: with two pytest-xdist workers on
  two cores, more threads would only contend.
* **What was compared.** The terminal summary lists, per notebook, the code cells nbval
  found identical and their figures (byte-identical, or within the tolerance).
"""

from __future__ import annotations

import base64
import io
import os
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported

import numpy as np
import pytest
from nbval.plugin import IPyNbCell

ROOT = Path(__file__).resolve().parent
FIGURE_MIME = "image/png"
FIGURE_RMS_TOLERANCE = 0.05
FIGURE_DIR = ROOT / "_build" / "nbval-figures"
FIGURES_KEY = "nbval_figures"


def figures(outputs) -> list[bytes]:
    """The PNG images among a cell's outputs, decoded from base64, in order."""
    return [
        base64.b64decode(out["data"][FIGURE_MIME])
        for out in outputs or []
        if FIGURE_MIME in out.get("data", {})
    ]


def rms_difference(stored: bytes, drawn: bytes) -> float:
    """RMS pixel difference of two PNGs on the 0-255 scale; inf if their sizes differ."""
    from matplotlib.testing.compare import calculate_rms
    from PIL import Image

    a, b = (
        np.asarray(Image.open(io.BytesIO(p)).convert("RGB"), float)
        for p in (stored, drawn)
    )
    # a plain float: pytest-xdist sends it to the controller, and execnet refuses numpy scalars
    return float(calculate_rms(a, b)) if a.shape == b.shape else float("inf")


def save_pair(item: IPyNbCell, index: int, stored: bytes, drawn: bytes) -> Path:
    """Write a differing pair of figures (and their difference) under _build/nbval-figures/."""
    from matplotlib.testing.compare import save_diff_image

    FIGURE_DIR.mkdir(parents=True, exist_ok=True)
    stem = FIGURE_DIR / f"{Path(item.path).stem}-cell{item.cell_num}-figure{index}"
    old, new = Path(f"{stem}-stored.png"), Path(f"{stem}-executed.png")
    old.write_bytes(stored)
    new.write_bytes(drawn)
    if rms_difference(stored, drawn) < float("inf"):
        save_diff_image(str(old), str(new), f"{stem}-difference.png")
    return new


def compare_figures(item: IPyNbCell) -> tuple[int, float]:
    """Compare the cell's drawn figures with the stored ones; return (count, largest RMS)."""
    stored, drawn = figures(item.cell.outputs), figures(item.test_outputs)
    if len(stored) != len(drawn):
        item.raise_cell_error(f"{len(stored)} figures stored, {len(drawn)} drawn")
    largest = 0.0
    for i, (old, new) in enumerate(zip(stored, drawn, strict=True)):
        rms = 0.0 if old == new else rms_difference(old, new)
        if rms > FIGURE_RMS_TOLERANCE:
            where = save_pair(item, i, old, new).relative_to(ROOT)
            how = (
                "a different size"
                if rms == float("inf")
                else f"RMS pixel difference {rms:.4g} > {FIGURE_RMS_TOLERANCE}"
            )
            item.raise_cell_error(
                f"Figure {i} differs from the stored one",
                f"{how}; the stored and executed figures are in {where.parent}",
            )
        largest = max(largest, rms)
    return len(stored), largest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After nbval has run and compared a cell's text, compare its figures."""
    result = yield
    if (
        isinstance(item, IPyNbCell)
        and item.options["check"]
        and item.cell.execution_count is not None
    ):
        item.user_properties.append((FIGURES_KEY, compare_figures(item)))
    return result


def pytest_terminal_summary(terminalreporter):
    """Per notebook: code cells nbval found identical, and their figures."""
    per_notebook = defaultdict(
        lambda: [0, 0, 0, 0.0]
    )  # cells run, identical, figures, max RMS
    for reports in terminalreporter.stats.values():
        for report in reports:
            if (
                getattr(report, "when", None) != "call"
                or ".ipynb::" not in report.nodeid
            ):
                continue
            counts = per_notebook[report.nodeid.split("::")[0]]
            counts[0] += 1
            props = dict(report.user_properties)
            if report.passed and FIGURES_KEY in props:
                count, rms = props[FIGURES_KEY]
                counts[1] += 1
                counts[2] += count
                counts[3] = max(counts[3], rms)
    if not per_notebook:
        return
    threads = os.environ.get("OPENBLAS_NUM_THREADS")
    terminalreporter.section(
        f"nbval: outputs compared with the stored ones (OPENBLAS_NUM_THREADS={threads})"
    )
    for name, (run, same, figs, rms) in sorted(per_notebook.items()):
        terminalreporter.write_line(
            f"{same:4d} of {run:3d} code cells identical, {figs:2d} figures "
            f"(largest RMS difference {rms:.4f})  {name}"
        )
    run, same, figs = (sum(c[i] for c in per_notebook.values()) for i in range(3))
    rms = max(c[3] for c in per_notebook.values())
    terminalreporter.write_line(
        f"{same} of {run} code cells identical in {len(per_notebook)} notebooks, with "
        f"{figs} figures (largest RMS pixel difference {rms:.4f}, "
        f"tolerance {FIGURE_RMS_TOLERANCE})"
    )
