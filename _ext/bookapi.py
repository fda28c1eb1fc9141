"""The API reference of the package ``repetition``: one page per public module, generated from the package itself.

At the start of every build, before the table of contents is read, this extension lists the public modules of
the installed package (``pkgutil``: every module of ``repetition`` whose name does not start with ``_``) and
writes one page per module into ``api/generated/`` (``repetition.<module>.md``, an ``automodule`` of its
members, rendered from the numpydoc docstrings by ``numpydoc``). ``_toc.yml`` takes them with a glob under
``api/index``, so a module added, renamed or removed needs no edit anywhere: its page appears, moves or goes
(stale pages are deleted). The folder is ignored by git (``api/generated/.gitignore``).

Cross-references to the package resolve by the names readers use. ``{py:func}`repetition.repetition_rate```
(the name a chapter calls, from the package's namespace) links to the function's entry on its module's page,
wherever the function lives; so does a bare name in a docstring's "See Also" or ``:func:`` role. A name that
is neither documented nor exported stays a broken reference, which the strict build (``-n``) reports.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

PACKAGE = "repetition"
OUT = Path("api") / "generated"
PAGE = """\
# `{module}`

Part of the {{doc}}`API reference </api/index>` of the book's package.

```{{eval-rst}}
.. automodule:: {module}{options}
{exported}```
"""
AUTO = {"function": "autofunction", "class": "autoclass", "data": "autodata"}


def public_modules() -> list[str]:
    """The package and its importable public modules, as dotted names, sorted."""
    package = importlib.import_module(PACKAGE)
    names = (
        f"{PACKAGE}.{m.name}"
        for m in pkgutil.iter_modules(package.__path__)
        if not m.name.startswith("_")
    )
    return [PACKAGE, *sorted(names)]


def exported_names() -> list[str]:
    """The names the package exports: its ``__all__``, or without one its public non-module attributes."""
    package = importlib.import_module(PACKAGE)
    if hasattr(package, "__all__"):
        return list(package.__all__)
    return [
        n
        for n in dir(package)
        if not n.startswith("_") and not inspect.ismodule(getattr(package, n))
    ]


def _is_public(module: str | None) -> bool:
    return (
        bool(module)
        and module.startswith(f"{PACKAGE}.")
        and not any(part.startswith("_") for part in module.split("."))
    )


def exported_from() -> dict[str, str]:
    """Each name of the package's ``__all__`` and the module ``__init__.py`` imports it from (``from .x import``)."""
    package = importlib.import_module(PACKAGE)
    tree = ast.parse(Path(package.__file__).read_text(encoding="utf-8"))
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            for alias in node.names:
                found[alias.asname or alias.name] = f"{PACKAGE}.{node.module}"
    return {name: found[name] for name in exported_names() if name in found}


def documented_here(module: str) -> list[tuple[str, str]]:
    """The exported names that ``module``'s page documents although autodoc would not find them there, as
    (name, kind): on a module's page, data it exports (constants have no ``__module__``) and functions and classes
    it exports whose code lives in a private module; on the package's page, whatever the package imports
    straight from a private module."""
    package = importlib.import_module(PACKAGE)
    entries = []
    for name, source in exported_from().items():
        private_source = not _is_public(source)
        if source != module and not (module == PACKAGE and private_source):
            continue
        obj = getattr(package, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            if private_source or not _is_public(obj.__module__):
                entries.append(
                    (name, "function" if inspect.isfunction(obj) else "class")
                )
        elif not inspect.ismodule(obj):
            entries.append((name, "data"))
    return entries


def module_page(module: str) -> str:
    """The page of one module (MyST: a title, a pointer back to the index, the automodule, the exports)."""
    extra = documented_here(module)
    if (
        module == PACKAGE
    ):  # its docstring and what no module page holds; the rest is on the modules' pages
        options = ""
    else:
        options = "\n   :members:\n   :undoc-members:\n   :show-inheritance:"
        if extra:
            options += f"\n   :exclude-members: {', '.join(n for n, _ in extra)}"
    exported = "".join(f"\n.. {AUTO[kind]}:: {module}.{name}\n" for name, kind in extra)
    return PAGE.format(module=module, options=options, exported=exported)


def write_pages(app, config) -> None:
    """Write ``api/generated/<module>.md`` for every public module; delete the pages of modules that are gone."""
    out = Path(app.srcdir) / OUT
    out.mkdir(parents=True, exist_ok=True)
    ignore = out / ".gitignore"
    if not ignore.exists():
        ignore.write_text(
            "# written by _ext/bookapi.py at every build\n*\n", encoding="utf-8"
        )
    wanted = {f"{m}.md": module_page(m) for m in public_modules()}
    for stale in set(p.name for p in out.glob("*.md")) - set(wanted):
        (out / stale).unlink()
    for name, text in wanted.items():
        path = out / name
        if (
            not path.exists() or path.read_text(encoding="utf-8") != text
        ):  # unchanged pages stay unchanged
            path.write_text(text, encoding="utf-8")


def canonical_name(target: str) -> str | None:
    """Where the object a reader calls ``repetition.<name>`` (or a docstring calls ``<name>``) is documented,
    as a dotted name; None if the package exports no such name."""
    package = importlib.import_module(PACKAGE)
    name = target.removeprefix(f"{PACKAGE}.")
    head, _, rest = name.partition(".")
    if head not in exported_names():
        return None
    obj = getattr(package, head)
    if (inspect.isfunction(obj) or inspect.isclass(obj)) and _is_public(obj.__module__):
        home = f"{obj.__module__}.{obj.__qualname__}"
    elif head in exported_from():
        source = exported_from()[head]
        home = f"{source if _is_public(source) else PACKAGE}.{head}"
    else:
        return None
    return f"{home}.{rest}" if rest else home


def resolve_exported(app, env, node, contnode):
    """``missing-reference``: a Python reference to an exported name resolves to where it is documented."""
    if node.get("refdomain") != "py":
        return None
    target = canonical_name(node["reftarget"])
    if target is None or target == node["reftarget"]:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], target, node, contnode
    )


def setup(app):
    # before sphinx-external-toc reads _toc.yml (priority 900), whose glob picks up the pages
    app.connect("config-inited", write_pages, priority=400)
    app.connect("missing-reference", resolve_exported)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
