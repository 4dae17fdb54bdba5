"""Alerts delivering, against an Alertmanager whose counters never move: only a receiver's log
can prove delivery then, and without one the check runs out of time and says so."""

from __future__ import annotations

import json

import httpx
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pytest_readiness.probes.alert_delivery import alerts_delivering
from pytest_readiness.probes.prometheus import exposition_values

CONFIG = "route:\n  receiver: oncall\nreceivers:\n- name: oncall\n  webhook_configs:\n  - url: x\n"
FLAT = (
    'alertmanager_notification_requests_total{integration="webhook"} 3\n'
    'alertmanager_notification_requests_failed_total{integration="webhook"} 0\n'
)


def alertmanager(server: HTTPServer) -> list[dict[str, object]]:
    """Status, flat counters, and an alerts API that keeps what was posted."""
    posted: list[dict[str, object]] = []

    def post(request: Request) -> Response:
        posted.extend(json.loads(request.data))
        return Response("", 200)

    def listing(request: Request) -> Response:
        alerts = [{**alert, "receivers": [{"name": "oncall"}]} for alert in posted]
        return Response(json.dumps(alerts), 200, content_type="application/json")

    server.expect_request("/api/v2/status").respond_with_json({"config": {"original": CONFIG}})
    server.expect_request("/metrics").respond_with_data(FLAT)
    server.expect_request("/api/v2/alerts", method="POST").respond_with_handler(post)
    server.expect_request("/api/v2/alerts", method="GET").respond_with_handler(listing)
    return posted


def test_a_receiver_log_naming_the_test_alert_proves_delivery(httpserver: HTTPServer) -> None:
    posted = alertmanager(httpserver)
    httpserver.expect_request("/log").respond_with_handler(
        lambda request: Response(json.dumps([a["labels"] for a in posted]), 200)
    )
    client = httpx.Client(base_url=httpserver.url_for("/"))
    log = httpx.Client(base_url=httpserver.url_for("/log"))
    result = alerts_delivering(client, timeout_s=30, poll_s=0.01, receiver_log=log)
    assert result.ok, result.reason
    assert result.evidence[-1].summary.endswith("lists the test alert")


def test_counters_that_never_move_and_no_log_run_out_of_time_naming_the_integration(
    httpserver: HTTPServer,
) -> None:
    alertmanager(httpserver)
    client = httpx.Client(base_url=httpserver.url_for("/"))
    result = alerts_delivering(client, timeout_s=0.2, poll_s=0.01)
    assert not result.ok
    assert result.reason == (
        "Alertmanager sent no notification via webhook within 0.2 s of the test alert"
    )


def test_exposition_values_sum_a_metric_by_one_label() -> None:
    text = (
        "# HELP x\n"
        'x_total{integration="webhook",receiver="a"} 2\n'
        'x_total{integration="webhook",receiver="b"} 3\n'
        'x_total{integration="email"} 1e0\n'
        "x_total_other 9\n"
    )
    assert exposition_values(text, "x_total", "integration") == {"webhook": 5.0, "email": 1.0}
