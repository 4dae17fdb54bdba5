"""After the deploy (`--stage=post`): the runbook's Phase 4 Verification and Phase 5 Monitoring.

Read-only against production unless the environment sets `allow_writes = true`. Measured
values beyond the runbook's rollback triggers (error rate >5%, P95 latency >10s) add
trigger evidence; a failed blocking feature item is the trigger "Critical feature broken".
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pytest_readiness import CheckFailed, Environment
from pytest_readiness.model import MEASUREMENT_EVIDENCE, PENDING_PREFIX
from pytest_readiness.probes import (
    alert_delivery,
    approvals,
    browser,
    dashboard,
    error_rate,
    first_day,
    integrity,
    junit,
    latency,
    monitoring,
    prometheus,
    version,
)
from pytest_readiness.probes.endpoint import EndpointError

INTEGRITY_SQL = Path(__file__).parent / "sql" / "integrity"
DEFAULT_HEALTH_PATHS = ["/health", "/api/health"]


def _required_var(env: Environment, key: str) -> Any:
    """A `vars` value this item cannot do without, or a one-line failure naming it."""
    value = env.vars.get(key)
    if value in (None, ""):
        raise CheckFailed(f"vars.{key} is not set for environment {env.name!r}")
    return value


def _monitoring_source(env: Environment, evidence: Any) -> None:
    """Say which servers the monitoring items read (`vars.monitoring_source`): real or stand-in."""
    source = env.vars.get("monitoring_source")
    if source:
        evidence.add("note", f"monitoring servers: {source}")


def _limit(env: Environment, key: str, default: float) -> float:
    return float(env.thresholds.get(key, default))


def _p95_target(env: Environment) -> float:
    return _limit(env, "p95_target_s", _limit(env, "dashboard_load_s", 3))


def _deployed_version(env: Environment) -> str | None:
    """What is deployed: `vars.deployed_version` / `vars.expected_version`, else git HEAD."""
    named = env.vars.get("deployed_version") or env.vars.get("expected_version")
    if named:
        return str(named)
    try:
        return version.head_commit(env.workspace)
    except ValueError:
        return None


def _record(env: Environment, evidence: Any, metric: str, value: float, limit: float) -> None:
    """Keep a measurement in this run's history, for the first-24-hours lines."""
    evidence.add(
        MEASUREMENT_EVIDENCE,
        f"measurement {metric} = {value:.4g} (threshold {limit:g})",
        metric=metric,
        value=value,
        threshold=limit,
        version=_deployed_version(env),
    )


def _measure(env: Environment, targets: dict[str, list[str]]) -> dict[str, list[latency.Sample]]:
    """`vars.samples` (20) timed loads of each target, `vars.concurrency` (5) at a time."""
    return latency.measure(
        env.base_url,
        targets,
        samples=int(env.vars.get("samples", 20)),
        concurrency=int(env.vars.get("concurrency", 5)),
        timeout=_limit(env, "request_timeout_s", 30),
    )


def _dashboard_paths(env: Environment) -> tuple[str, str]:
    return env.vars.get("dashboard_page", "/"), env.vars.get("dashboard_path", "/api/dashboard")


def _require_writes(env: Environment, what: str) -> None:
    if not env.get("allow_writes", False):
        pytest.skip(
            f"not run: environment {env.name!r} does not set allow_writes = true, "
            f"and this item {what}"
        )


@pytest.mark.feature("Run production smoke tests (automated)", stage="post")
def test_production_smoke_tests(readiness_env, run, evidence):
    command = readiness_env.vars.get("smoke_test_command")
    if not command:
        pytest.skip(
            "not run: set vars.smoke_test_command (the app's smoke suite; it is given "
            "READINESS_BASE_URL) or sign this line off"
        )
    report = readiness_env.workspace / readiness_env.vars.get(
        "smoke_junit", "reports/junit/smoke.xml"
    )
    started = time.time()
    result = run(command, env={"READINESS_BASE_URL": readiness_env.base_url})
    evidence.expect(junit.from_test_run(command, result.returncode, report, not_before=started))


@pytest.mark.infra("Dashboard loads <3s", stage="post")
def test_dashboard_loads(readiness_env, evidence):
    page, api = _dashboard_paths(readiness_env)
    measured = _measure(readiness_env, {f"{page} + {api}": [page, api]})
    evidence.expect(
        latency.latency_within(
            measured,
            limit_s=_limit(readiness_env, "dashboard_load_s", 3),
            rollback_s=_limit(readiness_env, "rollback_p95_s", 10),
        )
    )


@pytest.mark.feature("All 8 tiles showing data", stage="post")
def test_tiles_show_data(readiness_env, http, evidence):
    _, api = _dashboard_paths(readiness_env)
    expected = int(readiness_env.thresholds.get("dashboard_tiles", 8))
    evidence.expect(dashboard.dashboard_tiles(http, api, expected))


@pytest.mark.feature("Approvals drawer opens", stage="post")
def test_approvals_drawer_opens(readiness_env, evidence):
    executable = browser.find_chromium(readiness_env.vars.get("chromium_path"))
    if executable is None:
        pytest.skip(
            "not run: no Chromium found (install chromium or set vars.chromium_path); "
            "this item needs a real browser"
        )
    page, _ = _dashboard_paths(readiness_env)
    settings = readiness_env.vars
    evidence.expect(
        browser.click_opens(
            executable,
            readiness_env.base_url.rstrip("/") + page,
            control=settings.get("approvals_control", '[data-testid="approvals-button"]'),
            target=settings.get("approvals_drawer", '[data-testid="approvals-drawer"]'),
            timeout=_limit(readiness_env, "browser_timeout_s", 30),
        )
    )


@pytest.mark.feature("Create test approval", stage="post")
def test_create_test_approval(readiness_env, http, evidence):
    _require_writes(readiness_env, "creates and deletes a test approval")
    path = readiness_env.vars.get("approvals_path", "/api/approvals")
    evidence.expect(approvals.create_test_approval(http, path))


@pytest.mark.feature("Verify HITL flow works", stage="post")
def test_hitl_flow_works(readiness_env, http, evidence):
    _require_writes(readiness_env, "creates, approves and deletes a test approval")
    path = readiness_env.vars.get("approvals_path", "/api/approvals")
    reviewer = readiness_env.vars.get("approvals_reviewer", "readiness-check")
    evidence.expect(approvals.hitl_flow(http, path, reviewer=reviewer))


@pytest.mark.infra("Monitor error rates (target <0.5%)", stage="post")
def test_error_rate(readiness_env, http_client, evidence):
    limit = _limit(readiness_env, "error_rate_max", 0.005)
    rollback = _limit(readiness_env, "rollback_error_rate", 0.05)
    query = readiness_env.vars.get("error_rate_query")
    if query:
        _monitoring_source(readiness_env, evidence)
        client = http_client(_required_var(readiness_env, "prometheus_url"))
        try:
            measured = error_rate.from_prometheus(client, query)
        except EndpointError as exc:
            raise CheckFailed(str(exc)) from None
    else:
        _, api = _dashboard_paths(readiness_env)
        paths = [*readiness_env.get("health_paths", DEFAULT_HEALTH_PATHS), api]
        evidence.add("note", "no vars.error_rate_query: error rate sampled from the app")
        samples = _measure(readiness_env, {path: [path] for path in paths})
        measured = error_rate.from_samples(samples)
    _record(readiness_env, evidence, "error_rate", measured.rate, limit)
    evidence.expect(error_rate.error_rate_within(measured, limit=limit, rollback=rollback))


@pytest.mark.infra("Check performance metrics", stage="post")
def test_performance_metrics(readiness_env, http_client, evidence):
    _, api = _dashboard_paths(readiness_env)
    default = [*readiness_env.get("health_paths", DEFAULT_HEALTH_PATHS), api]
    paths = list(readiness_env.vars.get("performance_paths", default))
    reported: dict[str, float] = {}
    query = readiness_env.vars.get("latency_p95_query")
    if query:
        _monitoring_source(readiness_env, evidence)
        client = http_client(_required_var(readiness_env, "prometheus_url"))
        try:
            reported["Prometheus (vars.latency_p95_query)"] = prometheus.query_value(client, query)
        except EndpointError as exc:
            raise CheckFailed(str(exc)) from None
    measured = _measure(readiness_env, {path: [path] for path in paths})
    p95s = [latency.Stats.of(n, found).p95 for n, found in measured.items() if found]
    if p95s or reported:
        worst = max([*p95s, *reported.values()])
        _record(readiness_env, evidence, "p95_s", worst, _p95_target(readiness_env))
    evidence.expect(
        latency.latency_within(
            measured,
            limit_s=_p95_target(readiness_env),
            rollback_s=_limit(readiness_env, "rollback_p95_s", 10),
            extra_p95=reported,
        )
    )


@pytest.mark.db("Run smoke tests against production database", stage="post", severity="P0")
def test_production_data_integrity(readiness_env, db, evidence):
    configured = readiness_env.vars.get("integrity_sql_dir")
    folder = readiness_env.workspace / configured if configured else INTEGRITY_SQL
    result = integrity.check_integrity(db, integrity.assertion_files(folder))
    if not result.ok:
        evidence.add("trigger", "Data integrity issues", result.reason)
    evidence.expect(result)


@pytest.mark.infra("Verify all monitors active", stage="post")
def test_monitors_active(readiness_env, http_client, evidence):
    _monitoring_source(readiness_env, evidence)
    prometheus_api = http_client(_required_var(readiness_env, "prometheus_url"))
    alertmanager = http_client(_required_var(readiness_env, "alertmanager_url"))
    evidence.expect(monitoring.monitoring_configured(prometheus_api, alertmanager))


@pytest.mark.infra("Verify alerts delivering", stage="post")
def test_alerts_delivering(readiness_env, http_client, evidence):
    _monitoring_source(readiness_env, evidence)
    if readiness_env.get("allow_test_alerts", readiness_env.get("allow_writes", False)):
        alertmanager = http_client(_required_var(readiness_env, "alertmanager_url"))
        log_url = readiness_env.vars.get("alert_receiver_log_url")
        evidence.expect(
            alert_delivery.alerts_delivering(
                alertmanager,
                timeout_s=_limit(readiness_env, "alert_delivery_timeout_s", 60),
                extra_labels=readiness_env.vars.get("test_alert_labels"),
                receiver_log=http_client(log_url) if log_url else None,
            )
        )
        return
    query = readiness_env.vars.get("alert_failures_query")
    if not query:
        pytest.skip(
            "not run: manual: set allow_test_alerts = true to send a test alert, or "
            "vars.alert_failures_query (e.g. "
            "sum(increase(alertmanager_notifications_failed_total[1h]))), or sign this line off"
        )
    evidence.add(
        "note",
        "read-only: no test alert sent (the environment sets neither allow_test_alerts nor "
        "allow_writes); judged by Alertmanager's failure counter alone",
    )
    client = http_client(_required_var(readiness_env, "prometheus_url"))
    evidence.expect(monitoring.notifications_delivered(client, query))


def _now(env: Environment) -> datetime:
    """The clock: `vars.now` (an ISO time, for tests and replays), else the real one."""
    injected = first_day.parse_time(env.vars.get("now")) if env.vars.get("now") else None
    return injected or datetime.now(UTC)


def _first_day(env, history, evidence, *, metric, every, threshold, unit):
    """Judge a first-24-hours line from the post stage's history; pending until it is over."""
    now = _now(env)
    deployed = _deployed_version(env)
    measured = [
        m for m in first_day.measurements_from(history) if deployed is None or m.version == deployed
    ]
    deployed_at = first_day.parse_time(env.vars.get("deployed_at"))
    if deployed_at is None:
        deployed_at = measured[0].at if measured else now
    result = first_day.recurring(
        measured,
        metric=metric,
        every=every,
        threshold=threshold,
        deployed_at=deployed_at,
        now=now,
        unit=unit,
    )
    for entry in result.evidence:
        evidence.append(entry)
    evidence.add("note", f"deployed version {deployed or 'unknown'}, deployed at {deployed_at}")
    if result.status == "pending":
        pytest.skip(f"{PENDING_PREFIX}{result.reason}")
    if result.status == "failed":
        raise CheckFailed(result.reason)


@pytest.mark.infra("Monitor error rates every hour", stage="post")
def test_error_rate_every_hour(readiness_env, readiness_history, evidence):
    _first_day(
        readiness_env,
        readiness_history,
        evidence,
        metric="error_rate",
        every=timedelta(hours=1),
        threshold=_limit(readiness_env, "error_rate_max", 0.005),
        unit="%",
    )


@pytest.mark.infra("Check performance metrics every 2 hours", stage="post")
def test_performance_every_two_hours(readiness_env, readiness_history, evidence):
    _first_day(
        readiness_env,
        readiness_history,
        evidence,
        metric="p95_s",
        every=timedelta(hours=2),
        threshold=_p95_target(readiness_env),
        unit="s",
    )
