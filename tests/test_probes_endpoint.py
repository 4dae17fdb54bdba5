"""Network failures become one line naming the URL, whatever the failure is."""

from __future__ import annotations

import socket
import time

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pytest_readiness.probes.endpoint import EndpointError, get_json, send


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_refused_connection_is_one_line_naming_the_url():
    url = f"http://127.0.0.1:{closed_port()}/health"
    with httpx.Client() as client, pytest.raises(EndpointError) as failure:
        send(client, "GET", url)
    assert str(failure.value) == f"GET {url} failed: connection refused"


def test_an_unresolvable_host_is_one_line_saying_dns():
    with httpx.Client() as client, pytest.raises(EndpointError) as failure:
        send(client, "GET", "http://readiness-nowhere.invalid/health")
    message = str(failure.value)
    assert (
        message == "GET http://readiness-nowhere.invalid/health failed: DNS name does not resolve"
    )


def test_a_timeout_is_one_line_naming_the_url_and_the_limit(httpserver: HTTPServer):
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    url = httpserver.url_for("/slow")
    with httpx.Client() as client, pytest.raises(EndpointError) as failure:
        send(client, "GET", url, timeout=0.2)
    assert str(failure.value) == f"GET {url} timed out after 0.2 s"
    assert "\n" not in str(failure.value)


def test_an_unexpected_status_names_the_url_and_status(httpserver: HTTPServer):
    httpserver.expect_request("/x").respond_with_data("no", status=502)
    client = httpx.Client(base_url=httpserver.url_for("/"))
    with pytest.raises(EndpointError) as f:
        send(client, "GET", "/x")
    assert str(f.value) == f"GET {httpserver.url_for('/x')} answered 502"


def test_a_non_json_answer_is_named(httpserver: HTTPServer):
    httpserver.expect_request("/json").respond_with_data("<html>", content_type="text/html")
    with httpx.Client() as client, pytest.raises(EndpointError, match="did not answer JSON"):
        get_json(client, httpserver.url_for("/json"))


def test_credentials_in_the_url_never_reach_the_reason():
    url = f"http://user:hunter2@127.0.0.1:{closed_port()}/x"
    with httpx.Client() as client, pytest.raises(EndpointError) as failure:
        send(client, "GET", url)
    assert "hunter2" not in str(failure.value)
