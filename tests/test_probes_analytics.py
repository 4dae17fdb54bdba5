"""Analytics: the newest event is recent and the window's count is above zero."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from pytest_httpserver import HTTPServer

from pytest_readiness.probes.analytics import analytics_fresh

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def probe(server: HTTPServer, payload: object, max_age: float = 60):
    server.expect_request(
        "/api/analytics/summary", query_string={"window_minutes": f"{max_age:g}"}
    ).respond_with_json(payload)
    client = httpx.Client(base_url=server.url_for("/"))
    return analytics_fresh(client, "/api/analytics/summary", max_age_minutes=max_age, now=NOW)


def test_a_recent_event_and_a_positive_count_pass(httpserver: HTTPServer):
    result = probe(httpserver, {"count": 12, "latest_event_at": "2026-11-25T11:55:00Z"})
    assert result.ok
    assert result.evidence[0].data["age_minutes"] == 5.0


def test_a_stale_newest_event_fails_with_its_age(httpserver: HTTPServer):
    reason = probe(httpserver, {"count": 3, "latest_event_at": "2026-11-25T09:00:00+00:00"}).reason
    assert reason == "newest analytics event is 180 min old (2026-11-25 09:00 UTC), max 60 min"


def test_a_zero_count_fails(httpserver: HTTPServer):
    reason = probe(httpserver, {"count": 0, "latest_event_at": "2026-11-25T11:59:00Z"}).reason
    assert reason == "/api/analytics/summary counts 0 events in the last 60 min"


def test_no_event_ever_fails(httpserver: HTTPServer):
    reason = probe(httpserver, {"count": 0, "latest_event_at": None}).reason
    assert reason == "/api/analytics/summary reports no analytics event at all"


def test_the_max_age_is_configurable(httpserver: HTTPServer):
    payload = {"count": 1, "latest_event_at": "2026-11-25T09:00:00Z"}
    assert probe(httpserver, payload, max_age=240).ok


def test_a_malformed_timestamp_is_named(httpserver: HTTPServer):
    reason = probe(httpserver, {"count": 1, "latest_event_at": "yesterday"}).reason
    assert reason == "/api/analytics/summary: 'yesterday' is not an ISO 8601 timestamp"
