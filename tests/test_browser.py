"""Every page of the built book, opened in a real (headless) Chromium.

What it checks, page by page (each page of ``_toc.yml``, plus the index and search pages):

* every link, anchor and asset reference in the HTML resolves: internal ``href``/``src`` targets exist in the
  build and every ``#fragment`` names an ``id`` on the target page (checked from the files with ``html.parser``);
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
* a full-page screenshot (1280 px wide, at most 16000 px tall) is saved under ``_build/screenshots/``
  (same path as the page, ``.png``).

Which build it checks: ``_build/html`` (or the directory in the environment variable ``BOOK_HTML``). ``.ci/run``
builds the book strictly before running ``pytest``, so the test checks that build. If there is no build, the
test builds it first with ``jupyter-book build . -W --keep-going -n`` (a few minutes).

How it drives Chromium: through the DevTools protocol over a pipe (``--remote-debugging-pipe``: file
descriptors 3 and 4, NUL-separated JSON), so it needs no package beyond the standard library. The pages are
served by ``http.server`` on 127.0.0.1 at a free port. The test is skipped, with the reason printed, only when
no Chromium is installed (``apt-get install chromium``); set ``CHROMIUM`` to use another binary.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import posixpath
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html")).resolve()
SHOTS = ROOT / "_build" / "screenshots"
PAGE_TIMEOUT = 60.0  # seconds for one page to load and typeset
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--mute-audio",
]
WIDTH, MAX_SHOT_HEIGHT = 1280, 16000


def toc_pages() -> list[str]:
    """The pages of the book, as paths relative to the HTML root, in table-of-contents order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    docs = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                docs.append(e["file"])
            walk(e.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    pages = [f"{Path(d).with_suffix('')}.html" for d in docs]
    # Sphinx's own pages: the redirect to the front page, the index, search, and sphinx-proof's index
    return pages + ["index.html", "genindex.html", "search.html", "prf-prf.html"]


PAGES = toc_pages()


# --------------------------------------------------------------------------- the build


@functools.lru_cache(maxsize=None)
def built_html() -> Path:
    """The HTML directory, built first if it does not exist."""
    if not (HTML / "index.html").exists():
        if "BOOK_HTML" in os.environ:
            pytest.fail(f"BOOK_HTML={HTML} holds no built book")
        print(f"\n{HTML} has no build: running jupyter-book build . -W --keep-going -n", file=sys.stderr)
        done = subprocess.run(
            [str(Path(sys.executable).parent / "jupyter-book"), "build", ".", "-W", "--keep-going", "-n"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.fail("the strict build failed:\n" + done.stdout[-4000:] + done.stderr[-4000:])
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
            if url is None or (tag == "link" and a.get("rel") in ("canonical", "preconnect")):
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
                problems.append(f"{where}={url!r}: no such file {target.relative_to(root)}")
                continue
        else:
            target = source
        if fragment and target.suffix == ".html" and fragment not in parse_page(target).ids:
            problems.append(f"{where}={url!r}: no id {fragment!r} in {target.relative_to(root)}")
    return problems


# --------------------------------------------------------------------------- Chromium over the DevTools pipe


def find_chromium() -> str | None:
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class Browser:
    """A headless Chromium driven through the DevTools protocol on a pipe."""

    def __init__(self, binary: str):
        self.profile = tempfile.mkdtemp(prefix="book-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_pipes():  # in the child: DevTools reads fd 3 and writes fd 4
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"],
            preexec_fn=wire_pipes,
            close_fds=False,  # fds 3 and 4 must survive exec; every other fd Python opened is close-on-exec
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next_id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                self.stderr.seek(0)
                raise RuntimeError("Chromium exited:\n" + self.stderr.read().decode(errors="replace")[-2000:])
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, session: bool = False, timeout: float = PAGE_TIMEOUT):
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, event: str, timeout: float = PAGE_TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events:
                if e["method"] == event:
                    return e
            msg = self._read_message(deadline)
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expression: str):
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)
        self.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    """(base URL, Browser): the built book served on 127.0.0.1 and one Chromium tab."""
    binary = find_chromium()
    if binary is None:
        reason = "Chromium is not installed (apt-get install chromium); the browser test of the pages did not run"
        print(f"\nSKIPPED: {reason}", file=sys.stderr)
        pytest.skip(reason)
    root = built_html()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    browser = Browser(binary)
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", browser
    finally:
        browser.close()
        server.shutdown()
        server.server_close()


# sphinx-proof's statement boxes (a bare proof is "proof admonition"; a statement adds its kind)
STATEMENT_KINDS = ("theorem", "lemma", "definition", "proposition", "corollary", "conjecture", "example",
                   "algorithm", "criterion", "remark", "axiom", "observation", "property", "assumption", "notation")
STATEMENT_SELECTOR = ", ".join(f"div.proof.admonition.{k}" for k in STATEMENT_KINDS)

# What the page reports once MathJax has typeset it and its images have loaded.
INSPECT = r"""
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
""" % STATEMENT_SELECTOR


def console_problems(events: list[dict], origin: str) -> tuple[list[str], list[str]]:
    """(errors from the book's own pages and assets, errors naming other hosts) among DevTools events."""
    own, other = [], []

    def file(url: str | None, text: str):
        if url and urlsplit(url).path == "/favicon.ico":
            return  # asked for by the browser itself, not by any page of the book
        (own if not url or url.startswith(origin) or url.startswith("about:") else other).append(text)

    failed_requests = {}
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            frames = p.get("stackTrace", {}).get("callFrames", [])
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            file(frames[0]["url"] if frames else None, f"console.{p['type']}: {args}")
        elif m == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            desc = d.get("exception", {}).get("description") or d.get("text", "")
            file(d.get("url"), f"uncaught exception: {desc.splitlines()[0] if desc else ''}")
        elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
            file(p["entry"].get("url"), f"console ({p['entry']['source']}): {p['entry']['text']}")
        elif m == "Network.requestWillBeSent":
            failed_requests[p["requestId"]] = p["request"]["url"]
        elif m == "Network.loadingFailed" and not p.get("canceled"):
            url = failed_requests.get(p["requestId"], "?")
            file(url, f"request failed: {url} ({p.get('errorText')})")
        elif m == "Network.responseReceived" and p["response"]["status"] >= 400:
            file(p["response"]["url"], f"HTTP {p['response']['status']}: {p['response']['url']}")
    return own, other


def screenshot(browser: Browser, page: str, height: int) -> Path:
    height = max(600, min(height, MAX_SHOT_HEIGHT))
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False},
        session=True,
    )
    shot = browser.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False}, session=True)
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
        if not p.relative_to(root).as_posix().startswith(("_static/", "_sources/", "_images/", "_downloads/"))
    }
    assert built - set(PAGES) == set(), f"pages built but not opened by the test: {sorted(built - set(PAGES))}"
    missing = set(PAGES) - built - {"prf-prf.html"}  # sphinx-proof's index exists once a theorem does
    assert not missing, f"pages in _toc.yml but not built (is the build older than _toc.yml?): {sorted(missing)}"


@pytest.mark.parametrize("page", PAGES)
def test_links_and_anchors_resolve(page):
    if page == "prf-prf.html" and not (built_html() / page).exists():
        pytest.skip("no proof index: the book has no sphinx-proof directive yet")
    problems = broken_references(page)
    assert not problems, f"{page}: {len(problems)} broken internal references:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", PAGES)
def test_page_in_chromium(site, page):
    origin, browser = site
    if page == "prf-prf.html" and not (built_html() / page).exists():
        pytest.skip("no proof index: the book has no sphinx-proof directive yet")
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": 900, "deviceScaleFactor": 1, "mobile": False},
        session=True,
    )
    browser.events.clear()
    browser.call("Page.navigate", {"url": f"{origin}/{page}"}, session=True)
    browser.wait_for("Page.loadEventFired")
    if page == "index.html":  # a redirect to the front page: wait for the second load
        browser.events.clear()
        browser.wait_for("Page.loadEventFired", timeout=15)
    report = browser.evaluate(INSPECT)
    shot = screenshot(browser, page, report["height"])
    own, other = console_problems(browser.events, origin)

    problems = []
    if report["mathNodes"]:
        if not report["mathjaxLoaded"]:
            problems.append("MathJax did not load")
        elif not (report["mathScript"] or "").startswith(origin):
            problems.append(f"MathJax is not the vendored copy: {report['mathScript']}")
        if report["untypeset"]:
            problems.append(f"{len(report['untypeset'])} math elements not typeset, e.g. {report['untypeset'][:3]}")
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
    if page.startswith("chapters/"):  # what every chapter shows: math, figures, statements, solutions
        if report["articleMath"] == 0:
            problems.append("a chapter without typeset math (no <mjx-container> in the text)")
        if report["figures"] == 0:
            problems.append("a chapter without a figure (no loaded <img> in the article)")
        if report["statements"] == 0:
            problems.append("a chapter without a theorem, lemma or definition box (sphinx-proof)")
        if report["solutionDropdowns"] == 0:
            problems.append("a chapter without an exercise solution in a dropdown")
    problems += own
    problems += [f"(another host) {e}" for e in other]
    print(
        f"{page}: {report['containers']} formulas ({report['articleMath']} in the text), "
        f"{len(report['images'])} images ({report['figures']} figures in the text), "
        f"{report['theorems']} theorem/proof boxes ({report['statements']} statements), "
        f"{report['exercises']} exercise/solution boxes, "
        f"{report['dropdowns']} dropdowns ({report['solutionDropdowns']} solutions) -> {shot}"
    )
    assert not problems, f"{page} in Chromium:\n" + "\n".join(problems)
