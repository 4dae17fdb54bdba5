"""A real browser check: headless Chromium loads a page, clicks a control, sees an element.

Chromium is driven over the DevTools protocol (CDP) on a pipe, with no extra dependency:
started with `--remote-debugging-pipe` it reads JSON messages, each ended by a NUL byte,
on file descriptor 3 and answers on 4. The click is a real mouse press and release at the
control's centre (`Input.dispatchMouseEvent`), so the page's own scripts must open the
element; a fetch of the HTML could never see that.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pytest_readiness.model import Evidence, ProbeResult

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-default-browser-check",
)

OPEN_WITHIN_S = 3.0  # how long a click may take to open the element (animations, fetches)

# Puts the two pipe ends at fds 3 and 4, then becomes Chromium (no preexec_fn: thread-safe).
_LAUNCH = """
import fcntl, os, sys
ends = [fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3]]
for fd in sys.argv[1:3]:
    os.close(int(fd))
os.dup2(ends[0], 3)
os.dup2(ends[1], 4)
for fd in ends:
    os.close(fd)
os.execv(sys.argv[3], sys.argv[3:])
"""

_VISIBLE = """(() => {
  const el = document.querySelector(%s);
  if (!el) return "missing";
  const box = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  const shown = box.width > 0 && box.height > 0 && style.visibility !== "hidden"
    && style.display !== "none" && !el.hidden;
  return shown ? "open" : "closed";
})()"""

_CENTRE = """(() => {
  const el = document.querySelector(%s);
  if (!el) return null;
  el.scrollIntoView({block: "center"});
  const box = el.getBoundingClientRect();
  const x = box.x + box.width / 2, y = box.y + box.height / 2;
  const hit = document.elementFromPoint(x, y);
  return [x, y, hit !== null && (hit === el || el.contains(hit))];
})()"""


class BrowserError(Exception):
    """The browser could not be driven; the message is one line."""


def find_chromium(configured: str | None = None) -> str | None:
    """The configured executable when it exists, else the first Chromium on PATH."""
    if configured:
        return configured if os.access(configured, os.X_OK) else shutil.which(configured)
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


class Inbox:
    """What Chromium sent over the pipe, NUL-delimited JSON: replies by id, events in order.

    One read can hold a reply and the events after it; every message is routed as soon as
    it is read, so an event that came in the same chunk as a reply is never dropped (a page
    error lost that way made a broken drawer read as merely "closed").
    """

    def __init__(self) -> None:
        self._partial = b""
        self.replies: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []

    def feed(self, chunk: bytes) -> None:
        *complete, self._partial = (self._partial + chunk).split(b"\0")
        for raw in complete:
            message = json.loads(raw)
            if "id" in message:
                self.replies[message["id"]] = message
            else:
                self.events.append(message)


class Chromium:
    """One headless Chromium process and its CDP pipe."""

    def __init__(self, executable: str, *, timeout: float) -> None:
        self.timeout = timeout
        self.profile = Path(tempfile.mkdtemp(prefix="readiness-chromium-"))
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()
        command = [
            sys.executable,
            "-c",
            _LAUNCH,
            str(to_browser),
            str(from_browser),
            executable,
            *FLAGS,
            f"--user-data-dir={self.profile}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        try:
            self.process = subprocess.Popen(
                command,
                pass_fds=(to_browser, from_browser),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            self._close_fds()
            raise BrowserError(f"cannot start {executable}: {exc.strerror or exc}") from None
        finally:
            os.close(to_browser)
            os.close(from_browser)
        self._ids = itertools.count(1)
        self._inbox = Inbox()

    def send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        """Send one command and return its result; a CDP error is a `BrowserError`."""
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._write, json.dumps(message).encode() + b"\0")
        except OSError:
            raise BrowserError(f"Chromium exited before {method}") from None
        deadline = time.monotonic() + self.timeout
        while (reply := self._inbox.replies.pop(message_id, None)) is None:
            self._receive(deadline, method)
        if "error" in reply:
            error = reply["error"].get("message", reply["error"])
            raise BrowserError(f"{method} failed: {error}")
        return reply.get("result", {})

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event received so far (page errors among them), in order."""
        return self._inbox.events

    def _receive(self, deadline: float, method: str) -> None:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([self._read], [], [], max(left, 0))
        if not ready:
            raise BrowserError(f"Chromium did not answer {method} within {self.timeout:g} s")
        chunk = os.read(self._read, 1 << 16)
        if not chunk:
            raise BrowserError(f"Chromium exited during {method}")
        self._inbox.feed(chunk)

    def close(self) -> None:
        with contextlib.suppress(BrowserError):
            if self.process.poll() is None:
                self.send("Browser.close")
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, 9)
            self.process.wait(timeout=5)
        self._close_fds()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _close_fds(self) -> None:
        for fd in (self._read, self._write):
            with contextlib.suppress(OSError):
                os.close(fd)


class Page:
    """One tab attached over a flat CDP session."""

    def __init__(self, browser: Chromium) -> None:
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})
        attached = browser.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        self.session = str(attached["sessionId"])
        self.send("Runtime.enable")

    def send(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return self.browser.send(method, params, self.session)

    def evaluate(self, expression: str) -> Any:
        found = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in found:
            raise BrowserError(f"script failed: {_exception_text(found['exceptionDetails'])}")
        return found.get("result", {}).get("value")

    def goto(self, url: str, deadline: float) -> None:
        navigated = self.send("Page.navigate", {"url": url})
        if navigated.get("errorText"):
            raise BrowserError(f"loading {url} failed: {navigated['errorText']}")
        while self.evaluate("document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise BrowserError(f"{url} did not finish loading")
            time.sleep(0.05)

    def click(self, x: float, y: float) -> None:
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
            )

    def page_errors(self) -> list[str]:
        return [
            _exception_text(event["params"]["exceptionDetails"])
            for event in self.browser.events
            if event.get("method") == "Runtime.exceptionThrown"
            and event.get("sessionId") == self.session
        ]


def click_opens(
    executable: str, url: str, *, control: str, target: str, timeout: float = 30.0
) -> ProbeResult:
    """Load `url`, click the element matching `control`, and see `target` become visible."""
    steps: list[Evidence] = []
    deadline = time.monotonic() + timeout
    try:
        browser = Chromium(executable, timeout=timeout)
    except BrowserError as exc:
        return ProbeResult.failed(str(exc))
    try:
        page = Page(browser)
        page.goto(url, deadline)
        steps.append(_note(f"Chromium loaded {url}", url=url))
        centre = _clickable(page, control, deadline)
        if not centre:
            return ProbeResult.failed(f"{url} has no element matching {control}", steps)
        page.click(centre[0], centre[1])
        steps.append(_note(f"clicked {control}", x=centre[0], y=centre[1]))
        state = _wait_for(page, target, deadline)
        errors = page.page_errors()
        if errors:
            steps.append(Evidence("warning", "the page threw", "\n".join(errors[:5])))
        if state != "open":
            threw = f"; the page threw: {errors[0]}" if errors else ""
            return ProbeResult.failed(
                f"after clicking {control} on {url}, {target} is {state}{threw}", steps
            )
        steps.append(_note(f"{target} is open"))
        return ProbeResult.passed(steps)
    except BrowserError as exc:
        return ProbeResult.failed(f"{exc} ({url})", steps)
    finally:
        browser.close()


def _clickable(page: Page, selector: str, deadline: float) -> list[float] | None:
    """The centre of the element once a click there would land on it (layout settled)."""
    centre = page.evaluate(_CENTRE % json.dumps(selector))
    poll_until = min(deadline, time.monotonic() + OPEN_WITHIN_S)
    while centre and not centre[2] and time.monotonic() < poll_until:
        time.sleep(0.05)
        centre = page.evaluate(_CENTRE % json.dumps(selector))
    return list(centre) if centre else None


def _wait_for(page: Page, selector: str, deadline: float) -> str:
    """'open' as soon as the element is visible; else its last state at the deadline."""
    state = "missing"
    poll_until = min(deadline, time.monotonic() + OPEN_WITHIN_S)
    while time.monotonic() < poll_until:
        state = str(page.evaluate(_VISIBLE % json.dumps(selector)))
        if state == "open":
            return state
        time.sleep(0.05)
    return state


def _exception_text(details: dict[str, Any]) -> str:
    exception = details.get("exception") or {}
    return str(exception.get("description") or details.get("text") or "unknown").splitlines()[0]


def _note(summary: str, **data: Any) -> Evidence:
    return Evidence("note", summary, "", data)
