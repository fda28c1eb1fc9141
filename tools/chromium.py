"""Headless Chromium for the book's tools and tests: driven over the DevTools protocol on a pipe.

Used by ``tools/pdf.py`` (prints the single-page build to PDF) and ``tests/test_browser.py`` (opens every page).
Standard library only: Chromium is started with ``--remote-debugging-pipe`` and talks NUL-separated JSON on file
descriptors 3 and 4, so no driver package and no downloaded browser is needed, only Debian's ``chromium``.

Fonts: with ``without_cjk_fonts=True`` Chromium is started with a fontconfig configuration that rejects every
system font able to draw the book's CJK characters, so a page shows Chinese only through the book's own webfont,
as on a machine without CJK fonts.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

TIMEOUT = 60.0  # seconds for one DevTools call, page load or typesetting
FLAGS = [
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
FONT_DIRS = [
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".fonts",
    Path.home() / ".local/share/fonts",
]
FONT_SUFFIXES = {".ttf", ".otf", ".ttc", ".otc", ".woff", ".woff2"}


def find_chromium() -> str | None:
    """The Chromium binary: ``$CHROMIUM``, else ``chromium``, ``chromium-browser`` or ``google-chrome`` on PATH."""
    for name in (
        os.environ.get("CHROMIUM"),
        "chromium",
        "chromium-browser",
        "google-chrome",
    ):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def system_fonts_covering(chars: str) -> list[Path]:
    """The installed font files whose character map holds any of ``chars`` (read with fontTools)."""
    from fontTools.ttLib import TTCollection, TTFont, TTLibError

    wanted = {ord(c) for c in chars}
    found = []
    for folder in FONT_DIRS:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in FONT_SUFFIXES or not path.is_file():
                continue
            try:
                if path.suffix.lower() in (".ttc", ".otc"):
                    fonts = TTCollection(path, lazy=True).fonts
                else:
                    fonts = [TTFont(path, lazy=True)]
                if any(wanted & set(f.getBestCmap() or {}) for f in fonts):
                    found.append(path)
            except (TTLibError, OSError, KeyError, AssertionError, ValueError):
                continue  # not a font fontTools reads: fontconfig will not offer it for CJK either
    return found


def fontconfig_rejecting(fonts: list[Path], folder: Path) -> Path:
    """A fontconfig file: the system configuration, minus ``fonts`` (written into ``folder``)."""
    rejects = "".join(f"<glob>{p}</glob>" for p in fonts)
    conf = folder / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <cachedir>{folder / 'cache'}</cachedir>\n"
        f"  <selectfont><rejectfont>{rejects}</rejectfont></selectfont>\n</fontconfig>\n",
        encoding="utf-8",
    )
    return conf


class Browser:
    """A headless Chromium with one tab, driven through the DevTools protocol on a pipe.

    ``hidden_fonts``: system font files Chromium must not use (fontconfig rejects them), so that text in
    those scripts can only come from the pages' own webfonts.
    """

    def __init__(
        self,
        binary: str,
        hidden_fonts: list[Path] | None = None,
        flags: list[str] | None = None,
    ):
        self.profile = tempfile.mkdtemp(prefix="book-chromium-")
        env = dict(os.environ)
        self.hidden_fonts = list(hidden_fonts or [])
        if self.hidden_fonts:
            env["FONTCONFIG_FILE"] = str(
                fontconfig_rejecting(self.hidden_fonts, Path(self.profile))
            )
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_pipes():  # in the child: DevTools reads fd 3 and writes fd 4
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [
                binary,
                *FLAGS,
                *(flags or []),
                f"--user-data-dir={self.profile}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            preexec_fn=wire_pipes,
            close_fds=False,  # fds 3 and 4 must survive exec; every other fd Python opened is close-on-exec
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
            env=env,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next_id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network", "DOM", "CSS"):
            self.call(f"{domain}.enable", session=True)

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                self.stderr.seek(0)
                raise RuntimeError(
                    "Chromium exited:\n"
                    + self.stderr.read().decode(errors="replace")[-2000:]
                )
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(
        self,
        method: str,
        params: dict | None = None,
        session: bool = False,
        timeout: float = TIMEOUT,
    ):
        """Send one DevTools command (to the tab if ``session``) and return its result; events are kept."""
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

    def wait_for(self, event: str, timeout: float = TIMEOUT) -> dict:
        """The first event named ``event`` (already received or the next to come)."""
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events:
                if e["method"] == event:
                    return e
            msg = self._read_message(deadline)
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expression: str, timeout: float = TIMEOUT):
        """The value of a JavaScript expression in the tab (promises awaited)."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session=True,
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def set_viewport(self, width: int, height: int) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=True,
        )

    def open(self, url: str, timeout: float = TIMEOUT) -> None:
        """Load ``url`` and wait for its load event (events from earlier pages are dropped)."""
        self.events.clear()
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_for("Page.loadEventFired", timeout=timeout)

    def fonts_for(self, selector: str) -> list[list[dict]]:
        """For each element matching ``selector``: the fonts Chromium drew its own text with
        (``CSS.getPlatformFontsForNode``: family name, PostScript name, whether a webfont, glyph count)."""
        root = self.call("DOM.getDocument", {"depth": 0}, session=True)["root"][
            "nodeId"
        ]
        ids = self.call(
            "DOM.querySelectorAll", {"nodeId": root, "selector": selector}, session=True
        )["nodeIds"]
        return [
            self.call("CSS.getPlatformFontsForNode", {"nodeId": i}, session=True)[
                "fonts"
            ]
            for i in ids
        ]

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


@contextlib.contextmanager
def serve(directory: Path):
    """Serve ``directory`` over HTTP on 127.0.0.1 at a free port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
