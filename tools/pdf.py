"""The whole book as one PDF, built offline: ``python tools/pdf.py`` writes ``_build/html/repetition-book.pdf``.

Route: Jupyter Book's own PDF builders either download a browser at run time (``pdfhtml``: pyppeteer fetches
Chromium on first use, which fails offline) or need a TeX installation of several hundred megabytes with XeLaTeX
and CJK fonts (``pdflatex``), and the LaTeX route loses the site's MathJax rendering, theorem boxes and
dropdowns. This tool uses what CI installs anyway for the browser test, Debian's ``chromium``:

1. Sphinx builds the book as a single page (``singlehtml``, strictly: warnings are errors) from the chapters'
   stored outputs, the outputs nbval proves the code reproduces; so the PDF adds no execution of its own.
2. The page is served on 127.0.0.1 and opened in headless Chromium over the DevTools protocol (``tools/chromium.py``),
   with every system CJK font hidden, so the Chinese text comes from the book's webfont as on any reader's machine.
3. Once MathJax has typeset every formula (the script fails on any MathJax error or untypeset formula), the
   webfonts and images have loaded, and the exercise solutions are opened, ``tools/pdf.css`` is added (A4, page
   numbers in the bottom margin, a new page per document, no site navigation) and Chromium prints the page
   (``Page.printToPDF``, with the headings as the PDF's outline). Links between the book's parts are
   links inside the single page, so they stay links inside the PDF.

Usage::

    python tools/pdf.py              # build _build/singlehtml, then print it
    python tools/pdf.py --no-build   # print the existing _build/singlehtml
    python tools/pdf.py -o book.pdf  # somewhere else

Needs Chromium (``apt-get install chromium``; ``$CHROMIUM`` names another binary). About a minute on 2 cores.
``tests/test_pdf.py`` reads the result back.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import chromium, fonts  # noqa: E402

SINGLE = ROOT / "_build" / "singlehtml"
OUTPUT = (
    ROOT / "_build" / "html" / "repetition-book.pdf"
)  # the site links it (intro.md, how-to-cite.md)
PRINT_CSS = Path(__file__).with_name("pdf.css")
TYPESET_TIMEOUT = (
    600.0  # seconds: the whole book is one page with about a thousand formulas
)

# Wait until the page is ready to print; report what would make the PDF wrong.
PREPARE = r"""
(async () => {
  for (const img of document.images) img.loading = "eager";
  const mj = window.MathJax;
  if (!(mj && mj.startup && mj.startup.promise)) return {error: "MathJax did not load"};
  await mj.startup.promise;
  await Promise.all([...document.images].map(img => img.complete ? null :
      new Promise(done => { img.addEventListener("load", done); img.addEventListener("error", done); })));
  // exercise solutions and other dropdowns: open, a printed page cannot be clicked
  for (const d of document.querySelectorAll(".toggle-hidden")) d.classList.remove("toggle-hidden");
  for (const d of document.querySelectorAll("details.dropdown")) d.open = true;
  await document.fonts.ready;
  const math = [...document.querySelectorAll(".math")];
  const clone = document.body.cloneNode(true);  // visible text outside code and typeset math
  clone.querySelectorAll("pre, code, script, style, textarea, mjx-container, .highlight").forEach(n => n.remove());
  const raw = ["$$", "\\(", "\\)", "\\[", "\\]", "\\begin{"].filter(t => clone.textContent.includes(t));
  return {
    formulas: document.querySelectorAll("mjx-container").length,
    untypeset: math.filter(n => !n.querySelector("mjx-container")).map(n => n.textContent.slice(0, 80)),
    raw,
    errors: [...document.querySelectorAll("mjx-merror, [data-mjx-error]")].map(n => n.textContent.slice(0, 80)),
    brokenImages: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
    fontsLoaded: [...document.fonts].filter(f => f.status === "loaded").map(f => f.family),
  };
})()
"""

# A contents page after the front page: the parts of _toc.yml, each document's title linking to its start.
CONTENTS = r"""
((parts) => {
  const nav = document.createElement("nav");
  nav.className = "book-contents";
  nav.innerHTML = "<h2>Contents</h2>";
  let entries = 0;
  for (const [caption, docs] of parts) {
    const list = document.createElement("ul");
    for (const doc of docs) {
      const anchor = document.getElementById("document-" + doc);
      const heading = anchor && anchor.nextElementSibling && anchor.nextElementSibling.querySelector("h1, h2");
      if (!heading) continue;
      const link = document.createElement("a");
      link.href = "#" + anchor.id;
      for (const child of heading.childNodes) {
        if (!(child.classList && child.classList.contains("headerlink"))) link.append(child.cloneNode(true));
      }
      const item = document.createElement("li");
      item.append(link);
      list.append(item);
      entries += 1;
    }
    if (caption) { const c = document.createElement("p"); c.className = "caption"; c.textContent = caption; nav.append(c); }
    nav.append(list);
  }
  const first = document.querySelector(".toctree-wrapper");
  first.parentNode.insertBefore(nav, first);
  return entries;
})(%s)
"""

ADD_CSS = """
(() => { const s = document.createElement("style"); s.textContent = %s; document.head.append(s);
         return document.styleSheets.length; })()
"""


def build_singlehtml(out: Path = SINGLE) -> None:
    """Build the book as one HTML page into ``out`` (strict).

    The chapters keep their stored outputs (_config.yml excludes them from execution); the status page runs its
    version cell, as in the HTML build.
    """
    from jupyter_book.sphinx import build_sphinx

    started = time.monotonic()
    result = build_sphinx(
        ROOT,
        out,
        noconfig=True,
        path_config=str(ROOT / "_config.yml"),
        confoverrides={
            "external_toc_path": str(ROOT / "_toc.yml"),
            "nitpicky": True,
            "latex_individualpages": False,
        },
        builder="singlehtml",
        doctreedir=out.parent
        / ".doctrees-singlehtml",  # not the HTML build's: the settings differ
        warningiserror=True,
        keep_going=True,
        quiet=True,
    )
    if result != 0:
        raise SystemExit(
            f"the single-page build failed ({result}); see the warnings above"
        )
    print(
        f"single-page build: {out / 'intro.html'} ({time.monotonic() - started:.0f} s)"
    )


def print_pdf(single: Path = SINGLE, out: Path = OUTPUT) -> dict:
    """Print the single-page build ``single`` to ``out`` with headless Chromium; returns what the page reported."""
    binary = chromium.find_chromium()
    if binary is None:
        raise SystemExit("no Chromium: apt-get install chromium (or set CHROMIUM)")
    page = single / "intro.html"
    if not page.exists():
        raise SystemExit(f"no single-page build in {single}: run without --no-build")
    started = time.monotonic()
    shown = "".join(fonts.displayed_cjk(single))
    browser = chromium.Browser(
        binary, hidden_fonts=chromium.system_fonts_covering(shown) if shown else []
    )
    try:
        with chromium.serve(single) as base:
            browser.set_viewport(900, 1200)
            browser.open(f"{base}/intro.html", timeout=TYPESET_TIMEOUT)
            report = browser.evaluate(PREPARE, timeout=TYPESET_TIMEOUT)
            problems = [report["error"]] if "error" in report else []
            if not problems:
                if report["untypeset"]:
                    problems.append(
                        f"{len(report['untypeset'])} formulas not typeset: {report['untypeset'][:3]}"
                    )
                if report["raw"]:
                    problems.append(f"raw TeX left in the text: {report['raw']}")
                if report["errors"]:
                    problems.append(
                        f"{len(report['errors'])} MathJax errors: {report['errors'][:3]}"
                    )
                if report["brokenImages"]:
                    problems.append(
                        f"images that did not load: {report['brokenImages'][:3]}"
                    )
                if shown and fonts.FAMILY not in report["fontsLoaded"]:
                    problems.append(
                        f"the CJK webfont {fonts.FAMILY!r} did not load ({report['fontsLoaded']})"
                    )
            if problems:
                raise SystemExit(
                    "the page is not ready to print:\n" + "\n".join(problems)
                )
            entries = browser.evaluate(CONTENTS % json.dumps(toc_parts()))
            if entries != sum(len(docs) for _, docs in toc_parts()):
                raise SystemExit(
                    f"the contents page lists {entries} documents, _toc.yml {toc_parts()}"
                )
            browser.evaluate(
                ADD_CSS % json.dumps(PRINT_CSS.read_text(encoding="utf-8"))
            )
            result = browser.call(
                "Page.printToPDF",
                {
                    "printBackground": True,
                    "preferCSSPageSize": True,  # A4 and the margins of tools/pdf.css
                    "displayHeaderFooter": False,  # the page numbers are tools/pdf.css's @page boxes
                    "generateDocumentOutline": True,  # the headings as PDF bookmarks
                    "transferMode": "ReturnAsStream",
                },
                session=True,
                timeout=TYPESET_TIMEOUT,
            )
            data = _read_stream(browser, result["stream"])
    finally:
        browser.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(
        f"{out}: {len(data) / 1e6:.1f} MB, {report['formulas']} formulas "
        f"({time.monotonic() - started:.0f} s in Chromium)"
    )
    return report


def toc_parts() -> list[tuple[str, list[str]]]:
    """The book's parts as in ``_toc.yml``: (caption, documents in order), the root document left out."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))

    def docs(entries):
        for e in entries or []:
            if "file" in e:
                yield re.sub(r"\.(md|ipynb|rst)$", "", e["file"])
            yield from docs(e.get("sections"))

    parts = [
        (part.get("caption", ""), list(docs(part.get("chapters"))))
        for part in toc.get("parts", [])
    ]
    return parts or [("", list(docs(toc.get("chapters"))))]


def _read_stream(browser: chromium.Browser, handle: str) -> bytes:
    chunks = []
    while True:
        part = browser.call(
            "IO.read", {"handle": handle, "size": 1 << 20}, session=True
        )
        chunks.append(
            base64.b64decode(part["data"])
            if part.get("base64Encoded")
            else part["data"].encode()
        )
        if part.get("eof"):
            break
    browser.call("IO.close", {"handle": handle}, session=True)
    return b"".join(chunks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the book's PDF with headless Chromium (offline)."
    )
    parser.add_argument(
        "--no-build", action="store_true", help="print the existing _build/singlehtml"
    )
    parser.add_argument(
        "--single", type=Path, default=SINGLE, help="where the single-page build goes"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=OUTPUT,
        help=f"default: {OUTPUT.relative_to(ROOT)}",
    )
    args = parser.parse_args(argv)
    if not args.no_build:
        build_singlehtml(args.single)
    print_pdf(args.single, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
