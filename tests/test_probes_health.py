"""Health endpoints: every path answers 200; each path its own row; the failing one named."""

from __future__ import annotations

import time

import httpx
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pytest_readiness.probes.health import health_paths


def client_for(server: HTTPServer, timeout: float = 5.0) -> httpx.Client:
    return httpx.Client(base_url=server.url_for("/"), timeout=timeout)


def test_all_paths_answering_200_pass_with_one_row_each(httpserver: HTTPServer):
    httpserver.expect_request("/health").respond_with_json({"status": "ok"})
    httpserver.expect_request("/api/health").respond_with_json({"status": "ok"})
    result = health_paths(client_for(httpserver), ["/health", "/api/health"])
    assert result.ok
    assert [row.data["status"] for row in result.evidence] == [200, 200]
    summaries = [row.summary for row in result.evidence]
    assert summaries == ["GET /health -> 200", "GET /api/health -> 200"]


def test_one_failing_path_fails_the_item_naming_that_path(httpserver: HTTPServer):
    httpserver.expect_request("/health").respond_with_json({"status": "ok"})
    httpserver.expect_request("/api/health").respond_with_json({"status": "down"}, status=503)
    result = health_paths(client_for(httpserver), ["/health", "/api/health"])
    assert not result.ok
    assert result.reason == "health path /api/health answered 503"
    assert len(result.evidence) == 2


def test_two_failing_paths_are_both_named(httpserver: HTTPServer):
    httpserver.expect_request("/a").respond_with_data("", status=500)
    result = health_paths(client_for(httpserver), ["/a", "/b"])
    assert result.reason == "2 health paths failing: /a answered 500; /b answered 500"


def test_a_path_slower_than_the_timeout_fails_naming_it(httpserver: HTTPServer):
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response("ok")

    httpserver.expect_request("/health").respond_with_handler(slow)
    result = health_paths(client_for(httpserver), ["/health"], timeout=0.2)
    assert not result.ok
    assert result.reason.startswith("health path /health: GET ")
    assert result.reason.endswith("/health timed out after 0.2 s")


def test_a_refused_connection_fails_with_one_line():
    with httpx.Client(base_url="http://127.0.0.1:9") as client:
        result = health_paths(client, ["/health"])
    url = "http://127.0.0.1:9/health"
    assert result.reason == f"health path /health: GET {url} failed: connection refused"


def test_no_configured_paths_is_a_failure_not_a_pass():
    with httpx.Client() as client:
        assert health_paths(client, []).reason == "no health paths are configured"
