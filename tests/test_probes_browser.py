"""The real-browser probe: headless Chromium over CDP clicks a control and sees the drawer."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer

from pytest_readiness.probes import browser
from reference.target.server import dashboard_page
from tests.conftest import CHROMIUM

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
CONTROL = '[data-testid="approvals-button"]'
DRAWER = '[data-testid="approvals-drawer"]'


def serve_page(httpserver: HTTPServer, html: str) -> str:
    httpserver.expect_request("/").respond_with_data(html, content_type="text/html")
    return httpserver.url_for("/")


@needs_chromium
def test_clicking_the_approvals_control_opens_the_drawer_in_chromium(
    httpserver: HTTPServer,
) -> None:
    url = serve_page(httpserver, dashboard_page(drawer_works=True))
    result = browser.click_opens(str(CHROMIUM), url, control=CONTROL, target=DRAWER)
    assert result.ok, result.reason
    assert [e.summary for e in result.evidence] == [
        f"Chromium loaded {url}",
        f"clicked {CONTROL}",
        f"{DRAWER} is open",
    ]


@needs_chromium
def test_a_click_handler_that_throws_leaves_the_drawer_closed_and_names_the_error(
    httpserver: HTTPServer,
) -> None:
    url = serve_page(httpserver, dashboard_page(drawer_works=False))
    result = browser.click_opens(str(CHROMIUM), url, control=CONTROL, target=DRAWER)
    assert not result.ok
    assert result.reason == (
        f"after clicking {CONTROL} on {url}, {DRAWER} is closed; "
        "the page threw: ReferenceError: openApprovalsDrawer is not defined"
    )


@needs_chromium
def test_a_drawer_in_the_html_but_opened_by_no_script_is_not_open(
    httpserver: HTTPServer,
) -> None:
    html = dashboard_page(drawer_works=True).replace("addEventListener", "removeEventListener")
    url = serve_page(httpserver, html)
    result = browser.click_opens(str(CHROMIUM), url, control=CONTROL, target=DRAWER)
    assert not result.ok
    assert result.reason == f"after clicking {CONTROL} on {url}, {DRAWER} is closed"


@needs_chromium
def test_a_page_without_the_control_fails_naming_the_selector(httpserver: HTTPServer) -> None:
    url = serve_page(httpserver, "<!doctype html><title>x</title><p>no buttons</p>")
    result = browser.click_opens(str(CHROMIUM), url, control=CONTROL, target=DRAWER)
    assert not result.ok
    assert result.reason == f"{url} has no element matching {CONTROL}"


@needs_chromium
def test_a_page_that_does_not_load_fails_naming_the_url(closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}/"
    result = browser.click_opens(str(CHROMIUM), url, control=CONTROL, target=DRAWER)
    assert not result.ok
    assert result.reason.startswith(f"loading {url} failed: net::ERR_CONNECTION_REFUSED")


def test_no_browser_is_found_at_a_configured_path_that_does_not_exist(tmp_path) -> None:
    assert browser.find_chromium(str(tmp_path / "chromium")) is None


def test_an_executable_that_is_not_a_browser_fails_without_hanging(tmp_path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    result = browser.click_opens(str(fake), "http://127.0.0.1:9/", control=CONTROL, target=DRAWER)
    assert not result.ok
    assert result.reason.startswith("Chromium exited")


def test_an_event_read_in_the_same_chunk_as_a_reply_is_kept() -> None:
    """The page error used to be dropped when it arrived in one read with a reply (flaky on
    a loaded machine: "the drawer is closed" without the ReferenceError)."""
    inbox = browser.Inbox()
    error = {
        "method": "Runtime.exceptionThrown",
        "sessionId": "S",
        "params": {"exceptionDetails": {"text": "Uncaught ReferenceError"}},
    }
    reply = b'{"id": 7, "result": {}}\0'
    event = json.dumps(error).encode()
    inbox.feed(reply + event[:10])  # a reply, then the start of an event
    inbox.feed(event[10:] + b'\0{"id": 8, "result": {"v": 1}}\0{"method": "Page.')
    assert inbox.replies == {7: {"id": 7, "result": {}}, 8: {"id": 8, "result": {"v": 1}}}
    assert inbox.events == [error]
