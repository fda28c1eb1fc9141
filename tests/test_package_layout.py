"""The package is cut by concept: no public module reaches into another's private names, one home per name.

Read from the source with ``ast`` (nothing is executed to find the imports):

* a public module (``lib/repetition/<name>.py``, no leading underscore) may import
  the shared private modules (``_validation``, ``_linalg``, ``_sparse_rate``,
  ``_arp_closed``, the private closed forms behind the ARP, and ``_repeats``, the
  definition of an immediate repeat and its fast count, shared by metrics and
  sampling) and, from another public module, only names that module lists in its
  ``__all__``;
* every name the package exports (``repetition.__all__``) is listed in the
  ``__all__`` of exactly one public module, and is defined there (or in a
  private module it re-exports from);
* the exact references (``repetition.reference``) import nothing from the
  package, so a bug in the code they check cannot reach them.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import repetition

PACKAGE = Path(repetition.__file__).resolve().parent
SHARED_PRIVATE = {"_validation", "_linalg", "_sparse_rate", "_arp_closed", "_repeats"}
PUBLIC = sorted(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_"))


def _imports(name: str) -> list[tuple[str, list[str], int]]:
    """(module imported, names imported from it, line) for every package-internal import of a module."""
    tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:  # from .x import a, b
                out.append(
                    (
                        node.module.split(".")[0],
                        [a.name for a in node.names],
                        node.lineno,
                    )
                )
            elif node.level == 1:  # from . import x, y
                for a in node.names:
                    out.append((a.name, [], node.lineno))
            elif node.module and node.module.split(".")[0] == "repetition":
                parts = node.module.split(".")
                if len(parts) > 1:
                    out.append((parts[1], [a.name for a in node.names], node.lineno))
                else:
                    for a in node.names:
                        out.append((a.name, [], node.lineno))
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == "repetition" and len(parts) > 1:
                    out.append((parts[1], [], node.lineno))
    return out


def _all_of(name: str) -> list[str]:
    return list(getattr(importlib.import_module(f"repetition.{name}"), "__all__", []))


def test_the_public_modules_are_the_concepts():
    expected = {
        "arp",
        "chain",
        "corpus",
        "decoding",
        "estimate",
        "expected",
        "frobenius",
        "lower_bounds",
        "metrics",
        "pairs",
        "perturbation",
        "plotting",
        "random",
        "rate",
        "rebalance",
        "reference",
        "sampling",
        "spectrum",
        "walks",
    }
    assert expected <= set(PUBLIC), sorted(expected - set(PUBLIC))


@pytest.mark.parametrize("name", PUBLIC)
def test_no_private_imports_across_public_modules(name):
    bad = []
    for module, names, line in _imports(name):
        if module.startswith("_"):
            if module not in SHARED_PRIVATE:
                bad.append(f"line {line}: imports the private module {module}")
            continue
        exported = set(_all_of(module))
        for imported in names:
            if imported.startswith("_") or imported not in exported:
                bad.append(
                    f"line {line}: imports {imported!r} from {module}, which does not export it"
                )
    assert not bad, f"repetition.{name}: " + "; ".join(bad)


def test_every_exported_name_has_exactly_one_home():
    homes: dict[str, list[str]] = {}
    for name in PUBLIC:
        for exported in _all_of(name):
            homes.setdefault(exported, []).append(name)
    problems = []
    for exported in repetition.__all__:
        found = homes.get(exported, [])
        if len(found) != 1:
            problems.append(
                f"{exported}: listed in the __all__ of {found or 'no public module'}"
            )
            continue
        obj = getattr(repetition, exported)
        origin = getattr(obj, "__module__", None)
        if origin is not None and hasattr(obj, "__qualname__"):
            defined_in = origin.rsplit(".", 1)[-1]
            if defined_in != found[0] and not defined_in.startswith("_"):
                problems.append(
                    f"{exported}: listed in {found[0]} but defined in {origin}"
                )
        assert (
            getattr(importlib.import_module(f"repetition.{found[0]}"), exported) is obj
        )
    duplicated = {n: m for n, m in homes.items() if len(m) > 1}
    assert not problems, problems
    assert not duplicated, (
        f"names listed in the __all__ of several modules: {duplicated}"
    )
    assert len(set(repetition.__all__)) == len(repetition.__all__)


def test_references_are_independent_of_the_package():
    imported = [module for module, _, _ in _imports("reference")]
    assert imported == [], f"repetition.reference imports {imported} from the package"
