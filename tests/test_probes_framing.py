"""Frame embedding: frame-ancestors allows the required ancestors; no X-Frame-Options forbids."""

from __future__ import annotations

import httpx
import pytest
from pytest_httpserver import HTTPServer

from pytest_readiness.probes.framing import disallowed, embedding_allowed

REQUIRED = ["https://admin.example.com", "https://*.shops.example"]
GOOD = "default-src 'self'; frame-ancestors https://admin.example.com https://*.shops.example;"


def probe(server: HTTPServer, headers: dict[str, str]):
    server.expect_request("/").respond_with_data("<html>", headers=headers)
    return embedding_allowed(httpx.Client(base_url=server.url_for("/")), "/", REQUIRED)


def test_the_required_ancestors_allowed_pass(httpserver: HTTPServer):
    result = probe(httpserver, {"Content-Security-Policy": GOOD})
    assert result.ok
    assert result.evidence[0].data["content_security_policy"] == [GOOD]


@pytest.mark.parametrize("xfo", ["DENY", "sameorigin"])
def test_a_forbidding_x_frame_options_fails_naming_it(httpserver: HTTPServer, xfo: str):
    reason = probe(httpserver, {"Content-Security-Policy": GOOD, "X-Frame-Options": xfo}).reason
    assert reason == f"/ sends X-Frame-Options: {xfo}"


def test_no_frame_ancestors_directive_fails(httpserver: HTTPServer):
    reason = probe(httpserver, {"Content-Security-Policy": "default-src 'self'"}).reason
    assert reason == "/ sends no Content-Security-Policy frame-ancestors directive"


def test_a_missing_ancestor_is_named(httpserver: HTTPServer):
    csp = "frame-ancestors https://admin.example.com"
    reason = probe(httpserver, {"Content-Security-Policy": csp}).reason
    assert reason == "/ frame-ancestors does not allow https://*.shops.example"


@pytest.mark.parametrize(
    ("sources", "blocked"),
    [
        (["'none'"], REQUIRED),
        (["'self'"], REQUIRED),
        (["*"], []),
        (["https:"], []),
        (["http:"], REQUIRED),
        (["*.example.com", "*.shops.example"], []),
        (["http://admin.example.com", "https://*.shops.example"], ["https://admin.example.com"]),
        (["https://*.other.example", "https://admin.example.com"], ["https://*.shops.example"]),
    ],
)
def test_source_matching(sources: list[str], blocked: list[str]):
    assert disallowed(sources, REQUIRED) == blocked


def test_no_required_ancestor_fails_because_nothing_would_be_checked(httpserver: HTTPServer):
    httpserver.expect_request("/").respond_with_data("<html>", headers={"X-Frame-Options": ""})
    result = embedding_allowed(httpx.Client(base_url=httpserver.url_for("/")), "/", [])
    assert not result.ok
    assert result.reason == "no frame ancestors to check: the required list is empty"
