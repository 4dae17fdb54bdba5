"""The monitoring items against a real Prometheus and Alertmanager, with real traffic and faults.

The reference app (`reference/target/server.py`) counts and times its answers with
`prometheus_client`; the session's Prometheus (tests/conftest.py `real_monitoring`) scrapes
it every second. A traffic generator sends a known share of failing and slowed requests,
then the shipped checks (copied from `checks/`) read the error rate and the P95 through
real PromQL, and the test compares them with what the generator produced.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from reference.target import server, traffic
from reference.target.monitoring_stack import (
    APP_RULES,
    MonitoringStack,
    alertmanager_config,
    webhook_receiver,
)
from tests.conftest import (
    ReadinessProject,
    RealMonitoring,
    require_monitoring_binaries,
    run_repo_checklist,
)

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = 200
PRODUCTS = server.TRAFFIC_PATH


def _project_config(base_url: str, stack: MonitoringStack, **settings: Any) -> str:
    lines = [
        "[tool.readiness.envs.local]",
        f"base_url = {json.dumps(base_url)}",
        "timeout = 120",
        "[tool.readiness.envs.local.vars]",
        f"prometheus_url = {json.dumps(stack.prometheus_url)}",
        f"alertmanager_url = {json.dumps(stack.alertmanager_url)}",
        *(f"{key} = {_toml(value)}" for key, value in settings.items()),
    ]
    return "\n".join(lines)


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


LEVELS = {
    "healthy": server.TrafficFaults(),
    "2pct-5xx-150ms": server.TrafficFaults(error_share=0.02, slow_share=0.1, added_latency_s=0.15),
    "10pct-5xx-700ms": server.TrafficFaults(error_share=0.1, slow_share=0.2, added_latency_s=0.7),
}


@pytest.fixture(scope="module")
def level_apps(
    real_monitoring: RealMonitoring, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, tuple[str, str]]]:
    """A reference app per fault level, all scraped by the session's Prometheus (one reload)."""
    folder = tmp_path_factory.mktemp("apps")
    apps = {level: server.start(folder, traffic=faults) for level, faults in LEVELS.items()}
    jobs = {level: f"app-{level}-{uuid.uuid4().hex[:6]}" for level in LEVELS}
    urls = {level: services.urls["READINESS_LOCAL_URL"] for level, services in apps.items()}
    try:
        real_monitoring.stack.scrape({jobs[level]: urls[level] for level in LEVELS})
        yield {level: (urls[level], jobs[level]) for level in LEVELS}
    finally:
        real_monitoring.stack.forget(list(jobs.values()))
        for services in apps.values():
            services.stop()


def test_the_stack_starts_ready_and_stops_leaving_no_process_or_data(tmp_path: Path) -> None:
    require_monitoring_binaries()
    config = alertmanager_config([{"name": "nowhere"}])
    stack = MonitoringStack.start(tmp_path / "stack", config)
    try:
        assert stack.query("vector(1)")[0]["value"][1] == "1"  # it evaluates PromQL
        assert httpx.get(f"{stack.alertmanager_url}/api/v2/status").json()["cluster"]
    finally:
        stack.stop()
    assert stack.prometheus.process.poll() is not None
    assert stack.alertmanager.process.poll() is not None
    assert not (tmp_path / "stack").exists()


@pytest.mark.parametrize("level", list(LEVELS))
def test_error_rate_and_p95_from_real_promql_match_the_traffic_produced(
    level: str,
    level_apps: dict[str, tuple[str, str]],
    real_monitoring: RealMonitoring,
    project: ReadinessProject,
    capsys: pytest.CaptureFixture[str],
) -> None:
    faults = LEVELS[level]
    url, job = level_apps[level]
    sent = traffic.drive(url, PRODUCTS, REQUESTS)
    stack = real_monitoring.stack
    series = f'job="{job}",path="{PRODUCTS}"'
    stack.wait_for(f"sum(http_requests_total{{{series}}})", lambda n: n == REQUESTS)
    errors_query = (
        f'sum(rate(http_requests_total{{{series},status=~"5.."}}[5m]))'
        f" / sum(rate(http_requests_total{{{series}}}[5m]))"
    )
    p95_query = (
        "histogram_quantile(0.95, sum by (le) "
        f"(rate(http_request_duration_seconds_bucket{{{series}}}[5m])))"
    )
    items = _run_checks(
        project,
        url,
        stack,
        error_rate_query=errors_query,
        latency_p95_query=p95_query,
        performance_paths=["/health"],
    )
    rate_item = items["Monitor error rates (target <0.5%)"]
    measured_rate = next(e for e in rate_item["evidence"] if e["kind"] == "note")["data"]["rate"]
    latency_item = items["Check performance metrics"]
    table = next(e for e in latency_item["evidence"] if e["kind"] == "latency")
    measured_p95 = table["data"]["reported_p95_s"]["Prometheus (vars.latency_p95_query)"]

    produced_p95 = sent.percentile(95)
    lower, _ = traffic.bucket_of(
        faults.added_latency_s if faults.slow_share >= 0.1 else 0.0, server.LATENCY_BUCKETS
    )
    _, upper = traffic.bucket_of(produced_p95, server.LATENCY_BUCKETS)
    with capsys.disabled():
        print(
            f"\n[{level}] error rate: PromQL {measured_rate:.4%}, generator {sent.error_rate:.4%}"
            f" ({sent.errors} of {sent.total}); P95: PromQL {measured_p95 * 1000:.1f} ms,"
            f" generator {produced_p95 * 1000:.1f} ms (bucket bounds {lower:g}..{upper:g} s)"
        )
    # Both rates come from the same scrapes, so their extrapolation cancels: one request's share.
    assert abs(measured_rate - sent.error_rate) < 1 / REQUESTS
    # histogram_quantile interpolates inside a bucket: the true P95 and it share its bounds.
    assert lower <= measured_p95 <= upper
    assert (rate_item["outcome"] == "passed") is (sent.error_rate <= 0.005)
    assert latency_item["outcome"] == "passed", latency_item["reason"]


def _run_checks(
    project: ReadinessProject, base_url: str, stack: MonitoringStack, **settings: Any
) -> dict[str, dict[str, Any]]:
    folder = project.pytester.path / "checks"
    folder.mkdir(exist_ok=True)
    shutil.copy(ROOT / "checks" / "test_post_deploy.py", folder)
    project.config(_project_config(base_url, stack, **settings))
    project.run("--stage=post", "-k", "error_rate or performance_metrics")
    return project.items()


MONITORING = "Monitoring: Configured and alerting"
BROKEN_RULE = {
    "alert": "DuplicateSeries",
    # Valid PromQL that fails at every evaluation: two `up` series made identical.
    "expr": 'label_replace(label_replace(up, "job", "x", "", ""), "instance", "x", "", "")',
}


def _run_monitoring(project: ReadinessProject, stack: MonitoringStack) -> dict[str, Any]:
    folder = project.pytester.path / "checks"
    folder.mkdir(exist_ok=True)
    shutil.copy(ROOT / "checks" / "test_infrastructure.py", folder)
    project.config(_project_config("http://127.0.0.1:9", stack))
    project.run("-k", "test_monitoring")
    return project.items()[MONITORING]


def test_monitoring_passes_on_the_rules_prometheus_loaded_and_alertmanagers_receivers(
    real_monitoring: RealMonitoring, project: ReadinessProject
) -> None:
    real_monitoring.stack.wait_rules_evaluated()
    item = _run_monitoring(project, real_monitoring.stack)
    assert item["outcome"] == "passed", item["reason"]
    summaries = [e["summary"] for e in item["evidence"]]
    assert "Prometheus: 1 alerting rule of 2 rules, 0 in error" in summaries
    assert "Alertmanager: 2 receivers" in summaries


def test_a_rule_whose_last_evaluation_errored_fails_monitoring_naming_it_and_the_error(
    real_monitoring: RealMonitoring, project: ReadinessProject
) -> None:
    stack = real_monitoring.stack
    rules = {"groups": [{"name": "app", "rules": [*APP_RULES["groups"][0]["rules"], BROKEN_RULE]}]}
    with stack.rules_loaded(rules):
        stack.wait_rules_evaluated()
        item = _run_monitoring(project, stack)
    assert item["outcome"] == "failed"
    assert item["reason"].startswith(
        "Prometheus rule app/DuplicateSeries: last evaluation failed: "
    )
    assert "same labelset" in item["reason"]


def test_only_recording_rules_in_real_prometheus_fail_monitoring(
    real_monitoring: RealMonitoring, project: ReadinessProject
) -> None:
    stack = real_monitoring.stack
    recording = [rule for rule in APP_RULES["groups"][0]["rules"] if "record" in rule]
    with stack.rules_loaded({"groups": [{"name": "app", "rules": recording}]}):
        stack.wait_rules_evaluated()
        item = _run_monitoring(project, stack)
    assert item["outcome"] == "failed"
    assert item["reason"].startswith("Prometheus /api/v1/rules lists no alerting rules")


def test_a_route_that_ends_at_a_receiver_without_integrations_is_a_warning_naming_it(
    real_monitoring: RealMonitoring, project: ReadinessProject
) -> None:
    stack = real_monitoring.stack
    config = alertmanager_config(
        [webhook_receiver("oncall", real_monitoring.oncall.url), {"name": "blackhole"}],
        [{"receiver": "blackhole", "matchers": ['team="nobody"']}],
    )
    with stack.alertmanager_config_loaded(config):
        item = _run_monitoring(project, stack)
    assert item["outcome"] == "passed", item["reason"]
    warnings = [e["summary"] for e in item["evidence"] if e["kind"] == "warning"]
    assert warnings == [
        "Alertmanager route to receiver 'blackhole' ends nowhere: it has no integrations"
    ]


def test_a_root_route_that_ends_nowhere_fails_monitoring(
    real_monitoring: RealMonitoring, project: ReadinessProject
) -> None:
    stack = real_monitoring.stack
    config = alertmanager_config(
        [{"name": "blackhole"}, webhook_receiver("oncall", real_monitoring.oncall.url)]
    )
    with stack.alertmanager_config_loaded(config):
        item = _run_monitoring(project, stack)
    assert item["outcome"] == "failed"
    assert item["reason"] == (
        "Alertmanager's root route ends at receiver 'blackhole', which has no integrations: "
        "alerts no sub-route matches go nowhere"
    )


DELIVERING = "Verify alerts delivering"


def _run_delivery(
    project: ReadinessProject, stack: MonitoringStack, top: str = "", **settings: Any
) -> dict[str, Any]:
    folder = project.pytester.path / "checks"
    folder.mkdir(exist_ok=True)
    shutil.copy(ROOT / "checks" / "test_post_deploy.py", folder)
    config = _project_config("http://127.0.0.1:9", stack, **settings)
    project.config(
        config.replace("[tool.readiness.envs.local]\n", f"[tool.readiness.envs.local]\n{top}")
    )
    project.run("--stage=post", "-k", "alerts_delivering")
    return project.items()[DELIVERING]


def _test_alerts(stack: MonitoringStack) -> list[dict[str, Any]]:
    found = httpx.get(
        f"{stack.alertmanager_url}/api/v2/alerts",
        params={"filter": 'alertname="ReadinessTestAlert"'},
    ).json()
    return list(found)


def test_a_test_alert_reaches_the_webhook_and_alertmanagers_counters_show_it_sent(
    real_monitoring: RealMonitoring, project: ReadinessProject
) -> None:
    item = _run_delivery(project, real_monitoring.stack, "allow_test_alerts = true\n")
    assert item["outcome"] == "passed", item["reason"]
    posted = next(e for e in item["evidence"] if e["summary"].startswith("posted test alert"))
    check_id = posted["summary"].rsplit("=", 1)[1]
    seen = [labels for labels in real_monitoring.oncall.labels_seen()]
    assert any(labels.get("readiness_check") == check_id for labels in seen)
    counted = next(e for e in item["evidence"] if "attempts" in e["data"])
    assert counted["data"]["attempts"]["webhook"]["ok"] >= 1
    assert counted["data"]["attempts"]["webhook"]["failed"] == 0
    # Judged, the test alert is resolved at once instead of lingering for its endsAt.
    mine = [
        a for a in _test_alerts(real_monitoring.stack) if a["labels"]["readiness_check"] == check_id
    ]
    assert all(a["status"]["state"] != "active" for a in mine)


def test_a_receiver_answering_500_fails_delivery_naming_the_integration(
    real_monitoring: RealMonitoring, project: ReadinessProject
) -> None:
    received = len(real_monitoring.broken.received)
    item = _run_delivery(
        project,
        real_monitoring.stack,
        "allow_test_alerts = true\n",
        test_alert_labels={"sink": "broken"},
    )
    assert item["outcome"] == "failed"
    assert item["reason"].startswith(
        "Alertmanager failed to deliver the test alert via slack "
        "(alertmanager_notification_requests_failed_total rose by "
    )
    assert len(real_monitoring.broken.received) > received  # it really tried, and got 500


def test_without_allow_test_alerts_nothing_is_posted_and_the_failure_counter_is_read(
    real_monitoring: RealMonitoring, project: ReadinessProject
) -> None:
    stack = real_monitoring.stack
    counter = 'alertmanager_notifications_failed_total{integration="webhook"}'
    stack.wait_for(f"count_over_time({counter}[1h])", lambda samples: samples >= 2)
    before = len(_test_alerts(stack))
    item = _run_delivery(
        project,
        stack,
        "allow_writes = true\nallow_test_alerts = false\n",
        alert_failures_query=f"sum(increase({counter}[1h]))",
    )
    assert len(_test_alerts(stack)) == before
    assert item["evidence"][0]["summary"].startswith("read-only: no test alert sent")
    assert any("/api/v1/query" in e["summary"] for e in item["evidence"])
    assert item["outcome"] == "passed", item["reason"]


def test_without_the_binaries_the_local_target_uses_stand_ins_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_PROMETHEUS", "/nonexistent/prometheus")
    _, report, output = run_repo_checklist(tmp_path, "-k", "test_monitoring")
    item = next(i for i in report["items"] if i["title"] == MONITORING)
    assert item["outcome"] == "passed", output
    assert item["evidence"][0]["summary"] == (
        "monitoring servers: stand-in: Prometheus not installed "
        "(apt-get install prometheus prometheus-alertmanager)"
    )


def test_with_the_binaries_the_local_target_uses_real_servers_and_says_so(
    tmp_path: Path,
) -> None:
    require_monitoring_binaries()
    _, report, output = run_repo_checklist(tmp_path, "-k", "test_monitoring")
    item = next(i for i in report["items"] if i["title"] == MONITORING)
    assert item["outcome"] == "passed", output
    summaries = [e["summary"] for e in item["evidence"]]
    assert summaries[0] == "monitoring servers: real: Prometheus and Alertmanager on loopback"
    # Only a real Prometheus reports its rules' evaluation (the stand-in has no such count).
    assert "Prometheus: 1 alerting rule of 2 rules, 0 in error" in summaries


def test_in_ci_missing_binaries_fail_the_tests_instead_of_skipping_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("READINESS_PROMETHEUS", "/nonexistent/prometheus")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true but prometheus not installed"):
        require_monitoring_binaries()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match=r"^prometheus not installed"):
        require_monitoring_binaries()


def test_the_local_alerts_undelivered_fault_breaks_the_real_on_call_webhook(
    tmp_path: Path,
) -> None:
    require_monitoring_binaries()
    _, report, output = run_repo_checklist(
        tmp_path, "--stage=post", "-k", "alerts_delivering", faults="alerts-undelivered"
    )
    item = next(i for i in report["items"] if i["title"] == DELIVERING)
    assert item["outcome"] == "failed", output
    assert item["reason"].startswith("Alertmanager failed to deliver the test alert via webhook")
    assert item["evidence"][0]["summary"].startswith("monitoring servers: real:")


def test_a_killed_test_run_takes_its_servers_with_it(tmp_path: Path) -> None:
    require_monitoring_binaries()
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from reference.target.monitoring_stack import MonitoringStack, alertmanager_config\n"
        f"s = MonitoringStack.start(Path({str(tmp_path / 'stack')!r}),"
        " alertmanager_config([{'name': 'x'}]))\n"
        "print(s.prometheus.process.pid, s.alertmanager.process.pid, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == -9, done.stderr
    pids = [int(pid) for pid in done.stdout.split()]
    assert len(pids) == 2
    # Poll until both are gone (or zombies waiting for init): no fixed sleep, a deadline.
    gone, _ = psutil.wait_procs(_alive(pids), timeout=30)
    assert not [p for p in _alive(pids) if p.status() != psutil.STATUS_ZOMBIE], gone


def _alive(pids: list[int]) -> list[psutil.Process]:
    found = []
    for pid in pids:
        try:
            found.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            continue
    return found
