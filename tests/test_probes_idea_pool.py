"""Idea pool: exactly N suggestions and exactly M wildcards, counts configurable."""

from __future__ import annotations

import httpx
from pytest_httpserver import HTTPServer

from pytest_readiness.probes.idea_pool import idea_pool


def ideas(count: int, wild: set[int]) -> dict[str, object]:
    return {"ideas": [{"id": f"i{n}", "wildcard": n in wild} for n in range(1, count + 1)]}


def probe(server: HTTPServer, payload: object, **counts: int):
    server.expect_request("/api/ideas").respond_with_json(payload)
    return idea_pool(httpx.Client(base_url=server.url_for("/")), "/api/ideas", **counts)


def test_five_with_one_wildcard_passes(httpserver: HTTPServer):
    result = probe(httpserver, ideas(5, {5}))
    assert result.ok
    assert result.evidence[0].data["wildcards"] == ["i5"]


def test_two_wildcards_fail_naming_them(httpserver: HTTPServer):
    reason = probe(httpserver, ideas(5, {2, 5})).reason
    assert reason == "2 wildcards (i2, i5), expected 1"


def test_four_suggestions_fail(httpserver: HTTPServer):
    reason = probe(httpserver, ideas(4, {1})).reason
    assert reason == "/api/ideas returned 4 suggestions, expected 5"


def test_counts_come_from_the_caller(httpserver: HTTPServer):
    assert probe(httpserver, ideas(3, set()), suggestions=3, wildcards=0).ok


def test_a_bare_list_is_accepted(httpserver: HTTPServer):
    assert probe(httpserver, ideas(5, {1})["ideas"]).ok
