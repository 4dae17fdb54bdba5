"""Chatwoot: the configured inbox is listed by the application API; the app reports it enabled."""

from __future__ import annotations

import httpx
from pytest_httpserver import HTTPServer

from pytest_readiness.probes.chatwoot import headers, inbox_listed, integration_enabled

INBOXES = "/api/v1/accounts/7/inboxes"
PAYLOAD = {"payload": [{"id": 3, "name": "Storefront chat", "channel_type": "Channel::WebWidget"}]}


def api(server: HTTPServer) -> httpx.Client:
    return httpx.Client(base_url=server.url_for("/"), headers=headers("cw-token"))


def test_the_inbox_is_found_by_name(httpserver: HTTPServer):
    # werkzeug drops header names with underscores, so the api_access_token header itself
    # is proven against the stand-in in test_reference_target_server.py.
    httpserver.expect_request(INBOXES).respond_with_json(PAYLOAD)
    assert inbox_listed(api(httpserver), 7, "Storefront chat").ok


def test_the_token_travels_in_the_documented_header():
    assert headers("cw-token") == {"api_access_token": "cw-token"}


def test_the_inbox_is_found_by_id(httpserver: HTTPServer):
    httpserver.expect_request(INBOXES).respond_with_json(PAYLOAD)
    assert inbox_listed(api(httpserver), "7", 3).ok


def test_a_missing_inbox_is_named_with_the_inboxes_seen(httpserver: HTTPServer):
    httpserver.expect_request(INBOXES).respond_with_json(PAYLOAD)
    reason = inbox_listed(api(httpserver), 7, "Email").reason
    assert reason == (
        "Chatwoot account 7 has no inbox Email (inboxes: 3: Storefront chat (Channel::WebWidget))"
    )


def test_a_rejected_token_is_one_clear_line_without_the_token(httpserver: HTTPServer):
    httpserver.expect_request(INBOXES).respond_with_json({"error": "Invalid Access Token"}, 401)
    reason = inbox_listed(api(httpserver), 7, "x").reason
    assert reason == (
        f"Chatwoot rejected the API access token (401 from {httpserver.url_for(INBOXES)})"
    )
    assert "cw-token" not in reason


def test_the_app_reporting_the_integration_enabled_passes(httpserver: HTTPServer):
    httpserver.expect_request("/api/integrations").respond_with_json(
        {"integrations": [{"name": "Chatwoot", "enabled": True}]}
    )
    assert integration_enabled(api(httpserver), "/api/integrations", "chatwoot").ok


def test_the_app_reporting_it_disabled_fails(httpserver: HTTPServer):
    httpserver.expect_request("/api/integrations").respond_with_json(
        {"chatwoot": {"enabled": False}}
    )
    reason = integration_enabled(api(httpserver), "/api/integrations", "chatwoot").reason
    assert reason == "/api/integrations reports the chatwoot integration disabled"


def test_the_app_not_listing_it_fails(httpserver: HTTPServer):
    httpserver.expect_request("/api/integrations").respond_with_json({"integrations": []})
    reason = integration_enabled(api(httpserver), "/api/integrations", "chatwoot").reason
    assert reason == "/api/integrations does not list the chatwoot integration"
