"""Three fixes to the HTML of Jupyter Book 1.0.4, found by the browser test (tests/test_browser.py).

* Sphinx loads MathJax only on pages that contain math, but a chapter title with math appears in the
  navigation of every page, where it stayed raw TeX. MathJax (the vendored copy) is now loaded on every page.
* sphinx-thebe registers its inline configuration script twice (``const THEBE_JS_URL = ...``), so every
  page threw "Identifier 'THEBE_JS_URL' has already been declared". Each page now lists each script once.
* pydata-sphinx-theme logs "Got invalid theme mode" on a reader's first visit when no default colour mode is
  set. The default is now ``auto`` (the reader's system setting), unless ``_config.yml`` sets another.
"""

from __future__ import annotations


def _set_default_mode(app, config):
    context = dict(config.html_context or {})
    context.setdefault("default_mode", "auto")  # pydata-sphinx-theme reads it from html_context
    config.html_context = context


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        # an inline script is registered once with filename None and once with "": the same script
        name = getattr(js, "filename", js) or ""
        key = (str(name), tuple(sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def setup(app):
    app.set_html_assets_policy("always")  # MathJax on every page: titles in the navigation hold math
    app.connect("config-inited", _set_default_mode)
    # early: the event stops at the first handler that returns a template name
    app.connect("html-page-context", _dedupe_scripts, priority=100)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
