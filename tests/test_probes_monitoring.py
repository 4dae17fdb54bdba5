"""Monitoring: Prometheus alerting rules loaded, Alertmanager receivers configured."""

from __future__ import annotations

import httpx
from pytest_httpserver import HTTPServer

from pytest_readiness.probes.monitoring import (
    alert_receivers,
    alerting_rules,
    monitoring_configured,
    receiver_integrations,
    receivers_in_config,
)

# The shape of Alertmanager's /api/v2/status config.original, as AWS documents it.
AWS_SAMPLE = (
    "global:\n  resolve_timeout: 5m\n  http_config:\n    follow_redirects: true\n"
    "route:\n  receiver: sns-0\n  group_by:\n  - label\n  continue: false\n"
    "receivers:\n- name: sns-0\n  sns_configs:\n  - send_resolved: false\n"
    "    http_config:\n      follow_redirects: true\n    sigv4: {}\n"
    "    topic_arn: arn:aws:sns:us-west-2:123456789012:test\ntemplates: []\n"
)


def rules(*types: str) -> dict[str, object]:
    group = {
        "name": "app",
        "file": "rules.yml",
        "rules": [{"type": t, "name": f"{t}-{n}"} for n, t in enumerate(types)],
    }
    return {"status": "success", "data": {"groups": [group]}}


def status(original: str) -> dict[str, object]:
    return {"cluster": {"status": "ready"}, "versionInfo": {}, "config": {"original": original}}


def client(server: HTTPServer) -> httpx.Client:
    return httpx.Client(base_url=server.url_for("/"))


def test_one_alerting_rule_is_enough(httpserver: HTTPServer):
    httpserver.expect_request("/api/v1/rules").respond_with_json(rules("recording", "alerting"))
    result = alerting_rules(client(httpserver))
    assert result.ok
    assert result.evidence[0].data == {"alerting": 1, "rules": 2, "errored": []}


def test_only_recording_rules_fail_with_the_count(httpserver: HTTPServer):
    httpserver.expect_request("/api/v1/rules").respond_with_json(rules("recording"))
    reason = alerting_rules(client(httpserver)).reason
    assert reason == "Prometheus /api/v1/rules lists no alerting rules (1 rule in 1 group)"


def test_receivers_are_read_from_the_documented_yaml_text():
    assert receivers_in_config(AWS_SAMPLE) == ["sns-0"]


def test_receivers_with_name_not_first_and_quoted_are_read():
    text = (
        "receivers:\n  - webhook_configs:\n    - url: http://x\n    name: 'team'\n"
        '  - name: "ops"\n'
    )
    assert receivers_in_config(text) == ["team", "ops"]


def test_names_outside_receivers_are_not_receivers():
    text = "route:\n  receiver: x\ninhibit_rules:\n- name: nope\nreceivers: []\n"
    assert receivers_in_config(text) == []


def test_alertmanager_with_a_receiver_passes(httpserver: HTTPServer):
    httpserver.expect_request("/api/v2/status").respond_with_json(status(AWS_SAMPLE))
    result = alert_receivers(client(httpserver))
    assert result.ok
    assert result.evidence[0].data["receivers"] == ["sns-0"]


def test_alertmanager_without_receivers_fails(httpserver: HTTPServer):
    httpserver.expect_request("/api/v2/status").respond_with_json(status("route: {}\n"))
    assert alert_receivers(client(httpserver)).reason == (
        "Alertmanager /api/v2/status config has no receivers"
    )


def test_a_status_without_config_names_the_missing_field(httpserver: HTTPServer):
    httpserver.expect_request("/api/v2/status").respond_with_json({"cluster": {}})
    assert alert_receivers(client(httpserver)).reason == "/api/v2/status has no 'config' field"


def test_both_failing_name_both_halves(httpserver: HTTPServer):
    httpserver.expect_request("/api/v1/rules").respond_with_json(rules())
    with httpx.Client(base_url="http://127.0.0.1:9") as down:
        result = monitoring_configured(client(httpserver), down)
    assert result.reason == (
        "Prometheus /api/v1/rules lists no alerting rules (0 rules in 1 group); "
        "GET http://127.0.0.1:9/api/v2/status failed: connection refused"
    )


# kube-prometheus-stack's default: every alert routed to a receiver with no integration.
NULL_RECEIVER = (
    "global:\n  resolve_timeout: 5m\nroute:\n  receiver: 'null'\n  routes:\n"
    "  - receiver: 'null'\n    matchers:\n    - alertname = \"Watchdog\"\n"
    "receivers:\n- name: 'null'\ntemplates:\n- /etc/alertmanager/config/*.tmpl\n"
)


def test_receivers_that_deliver_nowhere_fail_naming_them(httpserver: HTTPServer):
    httpserver.expect_request("/api/v2/status").respond_with_json(status(NULL_RECEIVER))
    assert alert_receivers(client(httpserver)).reason == (
        "Alertmanager receivers deliver nowhere (no *_configs): null"
    )


def test_an_empty_integration_list_delivers_nowhere():
    text = (
        "receivers:\n- name: team\n  webhook_configs: []\n"
        "- name: ops\n  email_configs:\n  - to: x\n"
    )
    assert receiver_integrations(text) == {"team": [], "ops": ["email_configs"]}


def test_a_null_receiver_next_to_a_delivering_one_passes(httpserver: HTTPServer):
    config = AWS_SAMPLE.replace("templates: []\n", "- name: 'null'\ntemplates: []\n")
    httpserver.expect_request("/api/v2/status").respond_with_json(status(config))
    result = alert_receivers(client(httpserver))
    assert result.ok, result.reason
    assert result.evidence[0].data["receivers"] == ["sns-0", "null"]
