"""Fixes and additions to the HTML of Jupyter Book 1.0.4, found by the browser test (tests/test_browser.py).

* Sphinx loads MathJax only on pages that contain math, but a chapter title with math appears in the
  navigation of every page, where it stayed raw TeX. MathJax (the vendored copy) is now loaded on every page.
* sphinx-thebe registers its inline configuration script twice (``const THEBE_JS_URL = ...``), so every
  page threw "Identifier 'THEBE_JS_URL' has already been declared". Each page now lists each script once.
* pydata-sphinx-theme logs "Got invalid theme mode" on a reader's first visit when no default colour mode is
  set. The default is now ``auto`` (the reader's system setting), unless ``_config.yml`` sets another.
* The single-page build (``--builder singlehtml``, the source of the PDF: ``tools/pdf.py``) failed with
  "unknown node type: HiddenCellNode": sphinx-exercise registers its nodes for ``singlehtml`` by name, after which
  Sphinx no longer falls back to the handlers the other extensions registered for the ``html`` format. The
  ``html`` handlers now fill in what a builder's own name lacks.
* Chinese text showed as empty boxes on machines without CJK fonts. Every page now loads the book's own CJK
  webfont (``_vendor/fonts/cjk.css``: a subset of Noto Sans CJK SC made by ``tools/fonts.py``).
* Code lines of 88 characters scrolled sideways at 1280 px. ``static/book.css`` (beside this file) sets code
  at 13 px and narrows the right-hand sidebar so they fit; see the numbers there.
"""

from __future__ import annotations

from pathlib import Path

STATIC = (
    Path(__file__).resolve().parent / "static"
)  # the book's own stylesheet, book.css


def _set_default_mode(app, config):
    context = dict(config.html_context or {})
    context.setdefault(
        "default_mode", "auto"
    )  # pydata-sphinx-theme reads it from html_context
    config.html_context = context


def _add_static_path(app, config):
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        # an inline script is registered once with filename None and once with "": the same script
        name = getattr(js, "filename", js) or ""
        key = (
            str(name),
            tuple(
                sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items())
            ),
        )
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def _inherit_format_handlers(app):
    """Give a builder registered by name (``singlehtml``) the node handlers registered for its format (``html``)."""
    handlers = app.registry.translation_handlers
    name, fmt = app.builder.name, app.builder.format
    if name != fmt and name in handlers:
        for node, pair in handlers.get(fmt, {}).items():
            handlers[name].setdefault(node, pair)


def setup(app):
    app.set_html_assets_policy(
        "always"
    )  # MathJax on every page: titles in the navigation hold math
    app.connect("config-inited", _set_default_mode)
    app.connect("config-inited", _add_static_path)
    app.connect("builder-inited", _inherit_format_handlers)
    app.add_css_file("fonts/cjk.css")  # _vendor/ is in html_static_path
    app.add_css_file("book.css")  # from STATIC
    # early: the event stops at the first handler that returns a template name
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
