"""Approvals HITL flow: create, pending, approve as a human, approved; always deleted."""

from __future__ import annotations

import httpx
from pytest_httpserver import HTTPServer

from pytest_readiness.probes.approvals import hitl_flow


def test_the_full_flow_passes_and_cleans_up(httpserver: HTTPServer):
    httpserver.expect_ordered_request("/api/approvals", method="POST").respond_with_json(
        {"id": 9, "status": "pending"}, status=201
    )
    httpserver.expect_ordered_request("/api/approvals/9", method="GET").respond_with_json(
        {"id": 9, "status": "pending"}
    )
    httpserver.expect_ordered_request(
        "/api/approvals/9/approve", method="POST", json={"reviewer": "ceo", "human": True}
    ).respond_with_json({"id": 9, "status": "approved"})
    httpserver.expect_ordered_request("/api/approvals/9", method="GET").respond_with_json(
        {"id": 9, "status": "approved"}
    )
    httpserver.expect_ordered_request("/api/approvals/9", method="DELETE").respond_with_data(
        "", status=204
    )
    result = hitl_flow(
        httpx.Client(base_url=httpserver.url_for("/")), "/api/approvals", reviewer="ceo"
    )
    assert result.ok, result.reason
    assert result.evidence[-1].summary == "deleted test approval 9"
    httpserver.check_assertions()


def test_an_approval_that_stays_pending_fails_and_is_still_deleted(httpserver: HTTPServer):
    httpserver.expect_request("/api/approvals", method="POST").respond_with_json(
        {"id": 4, "status": "pending"}, status=201
    )
    httpserver.expect_request("/api/approvals/4", method="GET").respond_with_json(
        {"id": 4, "status": "pending"}
    )
    httpserver.expect_request("/api/approvals/4/approve", method="POST").respond_with_json({})
    httpserver.expect_oneshot_request("/api/approvals/4", method="DELETE").respond_with_data(
        "", status=204
    )
    result = hitl_flow(httpx.Client(base_url=httpserver.url_for("/")), "/api/approvals")
    assert result.reason == "approval /api/approvals/4 is 'pending', expected 'approved'"
    assert result.evidence[-1].summary == "deleted test approval 4"
    assert not httpserver.oneshot_handlers


def test_a_create_that_fails_writes_nothing_else(httpserver: HTTPServer):
    httpserver.expect_request("/api/approvals", method="POST").respond_with_data("no", status=403)
    result = hitl_flow(httpx.Client(base_url=httpserver.url_for("/")), "/api/approvals")
    assert result.reason == f"POST {httpserver.url_for('/api/approvals')} answered 403"
    assert [r.method for r, _ in httpserver.log] == ["POST"]
