"""Every page of the built book, opened in a real (headless) Chromium.

What it checks, page by page (each page of ``_toc.yml``, globs expanded, plus Sphinx's index, search and module
index pages and sphinx-proof's index):

* every link, anchor and asset reference in the HTML resolves: internal ``href``/``src`` targets exist in the
  build and every ``#fragment`` names an ``id`` on the target page (checked from the files with ``html.parser``);
  the front page and the how-to-cite page link the PDF (``repetition-book.pdf``, built by ``tools/pdf.py``);
* the math is typeset by the vendored MathJax: MathJax loaded from the book's own files, every math element
  holds an ``<mjx-container>``, there is no ``<mjx-merror>``, and no raw ``$$``, ``\\(``, ``\\[`` or
  ``\\begin{`` is left in the visible text (code blocks excepted);
* every ``<img>`` loaded (``naturalWidth > 0``);
* every dropdown (the exercises' solutions) has its toggle button, starts closed and opens on a click;
* every chapter page (``chapters/``) shows what a reader comes for: typeset math, at least one figure (a loaded
  image in the text), at least one sphinx-proof statement box (theorem, lemma, definition, ...) and at least one
  exercise solution in a dropdown;
* the console has no errors, no uncaught exceptions and no failed requests from the book's own pages and assets
  (requests to other hosts would be failures too: the book must read offline);
* Chinese text is drawn with the book's webfont, not as missing-glyph boxes: Chromium runs with every system
  font that covers the book's CJK characters hidden (fontconfig rejects them), as on a machine without CJK
  fonts, and for every rendered element whose own text holds CJK characters (with dropdowns and collapsed cells
  opened) the fonts Chromium actually used (DevTools ``CSS.getPlatformFontsForNode``) must include the book's
  webfont with one glyph per CJK character; ``test_glyph_check_sees_boxes`` shows the check fails when the
  webfont is taken away;
* nothing scrolls sideways at the default width (1280 px): no code cell, output or code block (``<pre>``, with
  dropdowns and collapsed cells opened) is wider than its box, and no display equation overflows its container
  (``test_no_horizontal_overflow``; pages known to fail until their text is rewritten are listed in
  ``OVERFLOW_KNOWN``, as strict expected failures);
* a full-page screenshot (1280 px wide, at most 16000 px tall) is saved under ``_build/screenshots/``
  (same path as the page, ``.png``).

Which build it checks: ``_build/html`` (or the directory in the environment variable ``BOOK_HTML``). ``.ci/run``
builds the book strictly (and the PDF) before running ``pytest``, so the test checks that build. If there is no
build, the test builds it first with ``jupyter-book build . -W --keep-going -n`` (a few minutes).

How it drives Chromium: ``tools/chromium.py``, through the DevTools protocol over a pipe, with the standard
library only (and fontTools, to find the system fonts to hide). The pages are served by ``http.server`` on
127.0.0.1 at a free port. The test is skipped, with the reason printed, only when no Chromium is installed
(``apt-get install chromium``); set ``CHROMIUM`` to use another binary.
"""

from __future__ import annotations

import base64
import functools
import glob
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools import fonts  # noqa: E402
from tools.chromium import Browser, find_chromium, serve, system_fonts_covering  # noqa: E402

HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html")).resolve()
SHOTS = ROOT / "_build" / "screenshots"
PAGE_TIMEOUT = 60.0  # seconds for one page to load and typeset
WIDTH, MAX_SHOT_HEIGHT = 1280, 16000  # the default width of the checks and screenshots
PDF_NAME = "repetition-book.pdf"


def strip_source_suffix(doc: str) -> str:
    """A document's name without ``.md``/``.ipynb`` (and nothing else: module pages have dots in their names)."""
    for suffix in (".md", ".ipynb", ".rst"):
        doc = doc.removesuffix(suffix)
    return doc


def toc_pages() -> list[str]:
    """The pages of the book, as paths relative to the HTML root, in table-of-contents order.

    A ``glob`` entry (the generated API pages) is expanded against the HTML build, or against the sources when
    there is no build yet."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    docs = [toc["root"]]

    def expand(pattern: str) -> list[str]:
        if (HTML / "index.html").exists():
            found = glob.glob(f"{pattern}.html", root_dir=HTML)
        else:
            found = [
                f
                for f in glob.glob(f"{pattern}.*", root_dir=ROOT)
                if f.endswith((".md", ".ipynb"))
            ]
        return sorted(strip_source_suffix(f.removesuffix(".html")) for f in found)

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                docs.append(e["file"])
            if "glob" in e:
                docs.extend(expand(e["glob"]))
            walk(e.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    pages = [f"{strip_source_suffix(d)}.html" for d in docs]
    # Sphinx's own pages: the redirect to the front page, the index, search, the module index of the API
    # reference, and sphinx-proof's index
    return pages + ["index.html", "genindex.html", "search.html", *OPTIONAL_PAGES]


# Sphinx's pages that exist only once the book has what they index
OPTIONAL_PAGES = {
    "prf-prf.html": "no sphinx-proof directive yet",
    "py-modindex.html": "no Python module documented",
}
PAGES = toc_pages()


# --------------------------------------------------------------------------- the build


@functools.lru_cache(maxsize=None)
def built_html() -> Path:
    """The HTML directory, built first if it does not exist."""
    if not (HTML / "index.html").exists():
        if "BOOK_HTML" in os.environ:
            pytest.fail(f"BOOK_HTML={HTML} holds no built book")
        print(
            f"\n{HTML} has no build: running jupyter-book build . -W --keep-going -n",
            file=sys.stderr,
        )
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "jupyter-book"),
                "build",
                ".",
                "-W",
                "--keep-going",
                "-n",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.fail(
                "the strict build failed:\n" + done.stdout[-4000:] + done.stderr[-4000:]
            )
    return HTML


# --------------------------------------------------------------------------- static link checks


class _Refs(HTMLParser):
    """Collect the ids of a page and the URLs it refers to."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str]] = []  # (tag.attr, url)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if a.get(key):
                self.ids.add(a[key])
        for attr in ("href", "src"):
            url = a.get(attr)
            if url is None or (
                tag == "link" and a.get("rel") in ("canonical", "preconnect")
            ):
                continue
            self.refs.append((f"{tag}.{attr}", url))


@functools.lru_cache(maxsize=None)
def parse_page(path: Path) -> _Refs:
    p = _Refs()
    p.feed(path.read_text(encoding="utf-8", errors="replace"))
    return p


def broken_references(page: str) -> list[str]:
    """Every internal reference of ``page`` whose file or #fragment is missing from the build."""
    root = built_html()
    source = root / page
    problems = []
    for where, url in parse_page(source).refs:
        parts = urlsplit(url)
        if parts.scheme or url.startswith("//"):
            continue  # external (http, https, mailto, data:, javascript:): not the book's own
        path, fragment = unquote(parts.path), unquote(parts.fragment)
        if path:
            target = (source.parent / path).resolve()
            if target.is_dir():
                target = target / "index.html"
            if root not in target.parents and target != root:
                problems.append(f"{where}={url!r} points outside the build")
                continue
            if not target.exists():
                problems.append(
                    f"{where}={url!r}: no such file {target.relative_to(root)}"
                )
                continue
        else:
            target = source
        if (
            fragment
            and target.suffix == ".html"
            and fragment not in parse_page(target).ids
        ):
            problems.append(
                f"{where}={url!r}: no id {fragment!r} in {target.relative_to(root)}"
            )
    return problems


# --------------------------------------------------------------------------- Chromium


def skip_absent_optional(page: str) -> None:
    if page in OPTIONAL_PAGES and not (built_html() / page).exists():
        pytest.skip(f"no {page}: {OPTIONAL_PAGES[page]}")


@functools.lru_cache(maxsize=None)
def hidden_fonts() -> tuple[Path, ...]:
    """The system fonts that could draw the book's CJK characters: hidden from Chromium."""
    shown = "".join(fonts.displayed_cjk(built_html()))
    return tuple(system_fonts_covering(shown)) if shown else ()


@pytest.fixture(scope="module")
def site():
    """(base URL, Browser): the built book served on 127.0.0.1 and one Chromium tab (system CJK fonts hidden)."""
    binary = find_chromium()
    if binary is None:
        reason = "Chromium is not installed (apt-get install chromium); the browser test of the pages did not run"
        print(f"\nSKIPPED: {reason}", file=sys.stderr)
        pytest.skip(reason)
    root = built_html()
    with serve(root) as origin:
        browser = Browser(binary, hidden_fonts=list(hidden_fonts()))
        try:
            yield origin, browser
        finally:
            browser.close()


def open_page(browser: Browser, origin: str, page: str) -> None:
    browser.set_viewport(WIDTH, 900)
    browser.open(f"{origin}/{page}", timeout=PAGE_TIMEOUT)
    if page == "index.html":  # a redirect to the front page: wait for the second load
        browser.events.clear()
        browser.wait_for("Page.loadEventFired", timeout=15)


# sphinx-proof's statement boxes (a bare proof is "proof admonition"; a statement adds its kind)
STATEMENT_KINDS = (
    "theorem",
    "lemma",
    "definition",
    "proposition",
    "corollary",
    "conjecture",
    "example",
    "algorithm",
    "criterion",
    "remark",
    "axiom",
    "observation",
    "property",
    "assumption",
    "notation",
)
STATEMENT_SELECTOR = ", ".join(f"div.proof.admonition.{k}" for k in STATEMENT_KINDS)

# What the page reports once MathJax has typeset it and its images have loaded.
INSPECT = (
    r"""
(async () => {
  const STATEMENT_BOXES = "%s";
  for (const img of document.images) img.loading = "eager";
  const mj = window.MathJax;
  const mathjaxLoaded = !!(mj && mj.startup && mj.startup.promise);
  if (mathjaxLoaded) await mj.startup.promise;
  await Promise.all([...document.images].map(img => img.complete ? null :
      new Promise(done => { img.addEventListener("load", done); img.addEventListener("error", done); })));
  const mathScript = [...document.scripts].map(s => s.src).find(src => /mathjax/i.test(src)) || null;
  const mathNodes = [...document.querySelectorAll(".math")];
  const untypeset = mathNodes.filter(n => !n.querySelector("mjx-container")).map(n => n.textContent.slice(0, 80));
  // visible text outside code, scripts and typeset math
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll("pre, code, script, style, textarea, mjx-container, .highlight").forEach(n => n.remove());
  const text = clone.textContent;
  const raw = ["$$", "\\(", "\\)", "\\[", "\\]", "\\begin{"].filter(t => text.includes(t)).map(t => {
      const i = text.indexOf(t); return text.slice(Math.max(0, i - 40), i + 40).replace(/\s+/g, " "); });
  // dropdowns (solutions): togglebutton.js gave each a button; closed at first, a click opens it
  const dropdowns = [...document.querySelectorAll(".admonition.dropdown")];
  const badDropdowns = [];
  for (const d of dropdowns) {
    const button = d.querySelector("button.toggle-button");
    const title = (d.querySelector(".admonition-title") || d).textContent.trim().slice(0, 60);
    if (!button) { badDropdowns.push(`${title}: no toggle button`); continue; }
    const closed = d.classList.contains("toggle-hidden");
    button.click();
    const opened = !d.classList.contains("toggle-hidden");
    button.click();
    if (!closed || !opened) badDropdowns.push(`${title}: closed=${closed}, opens on click=${opened}`);
  }
  const images = [...document.images].map(img => ({src: img.currentSrc || img.src, ok: img.complete && img.naturalWidth > 0}));
  return {
    title: document.title,
    mathjaxLoaded, mathScript,
    containers: document.querySelectorAll("mjx-container").length,
    errors: document.querySelectorAll("mjx-merror, [data-mjx-error]").length,
    mathNodes: mathNodes.length, untypeset, raw,
    images,
    height: Math.ceil(Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)),
    theorems: document.querySelectorAll(".proof, .theorem, .definition, .lemma, [class*='prf-']").length,
    exercises: document.querySelectorAll(".exercise, .solution").length,
    dropdowns: dropdowns.length, badDropdowns,
    // what a chapter page must show, counted in the text (the sidebar's titles hold math too)
    articleMath: document.querySelectorAll("article.bd-article mjx-container").length,
    figures: [...document.querySelectorAll("article.bd-article img")]
        .filter(img => img.complete && img.naturalWidth > 0).length,
    statements: document.querySelectorAll(STATEMENT_BOXES).length,
    solutionDropdowns: document.querySelectorAll(".solution.dropdown.admonition").length,
  };
})()
"""
    % STATEMENT_SELECTOR
)


# Open every dropdown (solutions) and collapsed cell (hide-input), so what they hold is checked too.
EXPAND = r"""
(async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  for (const d of document.querySelectorAll(".toggle-hidden")) d.classList.remove("toggle-hidden");
  for (const d of document.querySelectorAll("details")) d.open = true;
  await document.fonts.ready;
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  return document.querySelectorAll("details").length;
})()
"""

# Mark every rendered element whose own text holds CJK characters (the regular expression is tools/fonts.py's
# CJK_RANGES); screen-reader copies of formulas (mjx-assistive-mml) are not drawn and are left out.
GLYPH_PROBE = r"""
(() => {
  const CJK = /[%s]/gu;
  document.querySelectorAll("[data-cjk-probe]").forEach(e => e.removeAttribute("data-cjk-probe"));
  const probes = [];
  let hidden = 0;
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("mjx-assistive-mml, script, style, template")) continue;
    const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.data).join("");
    const cjk = own.match(CJK);
    if (!cjk) continue;
    if (!el.getClientRects().length) { hidden += 1; continue; }  // not drawn: nothing to check
    el.setAttribute("data-cjk-probe", String(probes.length));
    probes.push({tag: el.tagName.toLowerCase(), text: own.trim().replace(/\s+/g, " ").slice(0, 60), cjk: cjk.length});
  }
  return {probes, hidden};
})()
""" % "".join(f"\\u{{{lo:X}}}-\\u{{{hi:X}}}" for lo, hi in fonts.CJK_RANGES)

# What scrolls sideways in the text column: code cells, outputs, code blocks (<pre>) and display equations.
OVERFLOW = r"""
(() => {
  const article = document.querySelector("article.bd-article") || document.body;
  const right = article.getBoundingClientRect().right;
  const found = [];
  for (const pre of article.querySelectorAll("pre")) {
    if (!pre.getClientRects().length) continue;
    const over = Math.max(pre.scrollWidth - pre.clientWidth, Math.ceil(pre.getBoundingClientRect().right - right));
    if (over <= 1) continue;
    const kind = pre.closest(".cell_input") ? "code cell" : pre.closest(".cell_output, .output") ? "output"
        : "code block";
    const lines = pre.textContent.split("\n");
    const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), "");
    found.push({kind, over, width: pre.clientWidth, chars: longest.length, text: longest.trim().slice(0, 70)});
  }
  const tex = new Map();
  if (window.MathJax && MathJax.startup && MathJax.startup.document)
    for (const item of MathJax.startup.document.math) tex.set(item.typesetRoot, item.math);
  for (const m of article.querySelectorAll("mjx-container[display='true']")) {
    if (!m.getClientRects().length) continue;
    const inner = m.querySelector("mjx-math") || m;
    const over = Math.max(m.scrollWidth - m.clientWidth,
        Math.ceil(inner.getBoundingClientRect().right - m.getBoundingClientRect().right),
        Math.ceil(m.getBoundingClientRect().right - right));
    if (over <= 1) continue;
    const box = m.closest(".math");
    found.push({kind: "display equation", over, width: m.clientWidth, chars: 0,
                text: ((box && box.id) ? box.id + ": " : "") + (tex.get(m) || "").replace(/\s+/g, " ").trim().slice(0, 70)});
  }
  return found;
})()
"""


def glyph_problems(browser: Browser) -> tuple[int, int, list[str]]:
    """Check that the book's webfont drew every CJK character of the page's rendered text:
    (elements checked, CJK characters in them, problems). Call after EXPAND."""
    marked = browser.evaluate(GLYPH_PROBE)
    used = browser.fonts_for("[data-cjk-probe]")
    if len(used) != len(marked["probes"]):
        return (
            0,
            0,
            [
                f"{len(marked['probes'])} elements marked, fonts reported for {len(used)}"
            ],
        )
    problems = []
    for probe, fonts_used in zip(marked["probes"], used, strict=True):
        book = sum(
            f["glyphCount"]
            for f in fonts_used
            if f["isCustomFont"] and f["familyName"] == fonts.SC_FAMILY
        )
        if book < probe["cjk"]:
            others = ", ".join(
                f"{f['familyName']} ({f['glyphCount']})"
                for f in fonts_used
                if not (f["isCustomFont"] and f["familyName"] == fonts.SC_FAMILY)
            )
            problems.append(
                f"<{probe['tag']}> {probe['text']!r}: {probe['cjk']} CJK characters, {book} drawn with the book's "
                f"webfont; other fonts: {others or 'none'}"
            )
    return len(marked["probes"]), sum(p["cjk"] for p in marked["probes"]), problems


def console_problems(events: list[dict], origin: str) -> tuple[list[str], list[str]]:
    """(errors from the book's own pages and assets, errors naming other hosts) among DevTools events."""
    own, other = [], []

    def file(url: str | None, text: str):
        if url and urlsplit(url).path == "/favicon.ico":
            return  # asked for by the browser itself, not by any page of the book
        (
            own
            if not url or url.startswith(origin) or url.startswith("about:")
            else other
        ).append(text)

    failed_requests = {}
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            frames = p.get("stackTrace", {}).get("callFrames", [])
            args = " ".join(
                str(a.get("value", a.get("description", ""))) for a in p.get("args", [])
            )
            file(frames[0]["url"] if frames else None, f"console.{p['type']}: {args}")
        elif m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            desc = d.get("exception", {}).get("description") or d.get("text", "")
            file(
                d.get("url"),
                f"uncaught exception: {desc.splitlines()[0] if desc else ''}",
            )
        elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
            file(
                p["entry"].get("url"),
                f"console ({p['entry']['source']}): {p['entry']['text']}",
            )
        elif m == "Network.requestWillBeSent":
            failed_requests[p["requestId"]] = p["request"]["url"]
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            url = failed_requests.get(p["requestId"], "?")
            file(url, f"request failed: {url} ({p.get('errorText')})")
        elif m == "Network.responseReceived" and p["response"]["status"] >= 400:
            file(
                p["response"]["url"],
                f"HTTP {p['response']['status']}: {p['response']['url']}",
            )
    return own, other


def screenshot(browser: Browser, page: str, height: int) -> Path:
    height = max(600, min(height, MAX_SHOT_HEIGHT))
    browser.set_viewport(WIDTH, height)
    shot = browser.call(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": False},
        session=True,
    )
    out = SHOTS / Path(page).with_suffix(".png")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(base64.b64decode(shot["data"]))
    return out


# --------------------------------------------------------------------------- the tests


def test_every_built_page_is_in_the_toc():
    """No stray page: every HTML page of the build (but Sphinx's own) is one the test opens."""
    root = built_html()
    built = {
        p.relative_to(root).as_posix()
        for p in root.rglob("*.html")
        if not p.relative_to(root)
        .as_posix()
        .startswith(("_static/", "_sources/", "_images/", "_downloads/"))
    }
    assert built - set(PAGES) == set(), (
        f"pages built but not opened by the test: {sorted(built - set(PAGES))}"
    )
    missing = set(PAGES) - built - set(OPTIONAL_PAGES)
    assert not missing, (
        f"pages in _toc.yml but not built (is the build older than _toc.yml?): {sorted(missing)}"
    )


@pytest.mark.parametrize("page", PAGES)
def test_links_and_anchors_resolve(page):
    skip_absent_optional(page)
    problems = broken_references(page)
    assert not problems, (
        f"{page}: {len(problems)} broken internal references:\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("page", PAGES)
def test_page_in_chromium(site, page):
    origin, browser = site
    skip_absent_optional(page)
    open_page(browser, origin, page)
    report = browser.evaluate(INSPECT)
    shot = screenshot(browser, page, report["height"])
    browser.evaluate(EXPAND)
    elements, characters, glyphs = glyph_problems(browser)
    own, other = console_problems(browser.events, origin)

    problems = []
    if report["mathNodes"]:
        if not report["mathjaxLoaded"]:
            problems.append("MathJax did not load")
        elif not (report["mathScript"] or "").startswith(origin):
            problems.append(f"MathJax is not the vendored copy: {report['mathScript']}")
        if report["untypeset"]:
            problems.append(
                f"{len(report['untypeset'])} math elements not typeset, e.g. {report['untypeset'][:3]}"
            )
        if report["containers"] == 0:
            problems.append("no <mjx-container> on a page with math")
    if report["errors"]:
        problems.append(f"{report['errors']} MathJax error nodes (<mjx-merror>)")
    if report["raw"]:
        problems.append(f"raw TeX left in the text: {report['raw'][:3]}")
    bad_images = [i["src"] for i in report["images"] if not i["ok"]]
    if bad_images:
        problems.append(f"{len(bad_images)} images did not load: {bad_images[:5]}")
    if report["badDropdowns"]:
        problems.append(f"dropdowns that do not toggle: {report['badDropdowns']}")
    if page.startswith(
        "chapters/"
    ):  # what every chapter shows: math, figures, statements, solutions
        if report["articleMath"] == 0:
            problems.append(
                "a chapter without typeset math (no <mjx-container> in the text)"
            )
        if report["figures"] == 0:
            problems.append(
                "a chapter without a figure (no loaded <img> in the article)"
            )
        if report["statements"] == 0:
            problems.append(
                "a chapter without a theorem, lemma or definition box (sphinx-proof)"
            )
        if report["solutionDropdowns"] == 0:
            problems.append("a chapter without an exercise solution in a dropdown")
    if glyphs:
        problems.append(
            f"Chinese text not drawn with the book's webfont (boxes on a machine without CJK fonts; "
            f"system fonts hidden: {[f.name for f in hidden_fonts()]}):"
        )
        problems += [f"  {g}" for g in glyphs[:10]]
    problems += own
    problems += [f"(another host) {e}" for e in other]
    print(
        f"{page}: {report['containers']} formulas ({report['articleMath']} in the text), "
        f"{len(report['images'])} images ({report['figures']} figures in the text), "
        f"{report['theorems']} theorem/proof boxes ({report['statements']} statements), "
        f"{report['exercises']} exercise/solution boxes, "
        f"{report['dropdowns']} dropdowns ({report['solutionDropdowns']} solutions), "
        f"{characters} CJK characters in {elements} elements -> {shot}"
    )
    assert not problems, f"{page} in Chromium:\n" + "\n".join(problems)


# Pages whose code or formulas are still wider than the column at 1280 px, with the reason. Empty: every page
# passes (code and output lines of at most 88 characters, at most about 80 inside a dropdown or admonition, long
# displays broken with `aligned`). An entry is a strict expected failure: once its page passes, it must go.
OVERFLOW_KNOWN: dict[str, str] = {}


def overflow_params():
    return [
        pytest.param(
            page, marks=pytest.mark.xfail(strict=True, reason=OVERFLOW_KNOWN[page])
        )
        if page in OVERFLOW_KNOWN
        else page
        for page in PAGES
    ]


@pytest.mark.parametrize("page", overflow_params())
def test_no_horizontal_overflow(site, page):
    """At the default width, no code cell, output or code block scrolls sideways and no display equation
    overflows its container (dropdowns and collapsed cells opened)."""
    origin, browser = site
    skip_absent_optional(page)
    open_page(browser, origin, page)
    browser.evaluate(EXPAND)
    found = browser.evaluate(OVERFLOW)
    lines = [
        f"{f['kind']}: {f['over']} px too wide for its {f['width']} px"
        + (f" (longest line {f['chars']} characters)" if f["chars"] else "")
        + f": {f['text']!r}"
        for f in found
    ]
    assert not found, (
        f"{page}: {len(found)} elements scroll sideways at {WIDTH} px:\n"
        + "\n".join(lines)
    )


def test_glyph_check_sees_boxes(site):
    """The glyph check fails when the webfont is taken away: then the CJK characters fall back to fonts without
    them (missing-glyph boxes), and the system CJK fonts are hidden, so none of them steps in."""
    origin, browser = site
    root = built_html()
    where = fonts.displayed_cjk(root)
    if not where:
        pytest.skip("no page displays CJK characters")
    page = min(
        (p for ps in where.values() for p in ps),
        key=lambda p: (p.startswith("api/"), p),
    )
    open_page(browser, origin, page)
    browser.evaluate(EXPAND)
    elements, characters, problems = glyph_problems(browser)
    assert elements and not problems, problems
    browser.evaluate("""(async () => {
        document.querySelectorAll('link[href*="fonts/cjk.css"]').forEach(l => l.remove());
        await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    })()""")
    elements_after, _, problems_after = glyph_problems(browser)
    assert elements_after == elements and len(problems_after) == elements, (
        problems_after[:3]
    )
    used = {
        f["familyName"]
        for fonts_used in browser.fonts_for("[data-cjk-probe]")
        for f in fonts_used
    }
    assert not any("CJK" in family for family in used), (
        f"a system CJK font was used: {sorted(used)}"
    )


def test_pdf_is_linked_from_the_front_page_and_how_to_cite():
    """The front page and the how-to-cite page link the PDF of the book, where tools/pdf.py puts it."""
    root = built_html()
    for page in ("intro.html", "how-to-cite.html"):
        hrefs = [
            url for where, url in parse_page(root / page).refs if where == "a.href"
        ]
        assert PDF_NAME in hrefs, f"{page} does not link {PDF_NAME}"
    if not (root / PDF_NAME).exists():
        pytest.fail(
            f"{root / PDF_NAME} is not built: run `python tools/pdf.py` (.ci/run does)"
        )
