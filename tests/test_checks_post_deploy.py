"""The shipped post-deploy checks against the loopback stand-ins, one failure mode at a time.

Each run copies `checks/test_post_deploy.py` into a pytester project pointed at freshly
started stand-ins (`reference/target/server.py`), runs `pytest --readiness --stage=post`
and reads the JSON report back. The database item is left out (`-k`): the end-to-end
runs in tests/test_post_deploy_local.py cover it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reference.target.server import FAULTS, POST_FAULTS, LocalServices, start
from tests.conftest import CHROMIUM, ReadinessProject

ROOT = Path(__file__).resolve().parents[1]
ERROR_RATE_QUERY = 'sum(rate(http_requests_total{status=~"5.."}[15m]))'
ALERTS_QUERY = "sum(increase(alertmanager_notifications_failed_total[1h]))"
NOT_DB = ("-k", "not integrity")


def config(services: LocalServices, *, allow_writes: bool = True, **override: Any) -> str:
    urls = services.urls
    top = {"base_url": urls["READINESS_LOCAL_URL"], "allow_writes": allow_writes, "timeout": 60}
    settings: dict[str, Any] = {
        "prometheus_url": urls["READINESS_LOCAL_PROMETHEUS"],
        "alertmanager_url": urls["READINESS_LOCAL_ALERTMANAGER"],
        "samples": 10,
        "concurrency": 5,
        "error_rate_query": ERROR_RATE_QUERY,
        "alert_failures_query": ALERTS_QUERY,
        **override,
    }
    return "\n".join(
        [
            "[tool.readiness.envs.local]",
            *(f"{k} = {json.dumps(v)}" for k, v in top.items()),
            "[tool.readiness.envs.local.vars]",
            *(f"{k} = {json.dumps(v)}" for k, v in settings.items() if v is not None),
        ]
    )


Run = Callable[..., tuple[pytest.RunResult, dict[str, dict[str, Any]], LocalServices]]


@pytest.fixture
def run_post(project: ReadinessProject, tmp_path: Path) -> Iterator[Run]:
    folder = project.pytester.path / "checks"
    folder.mkdir()
    shutil.copy(ROOT / "checks" / "test_post_deploy.py", folder)
    started: list[LocalServices] = []

    def run(faults: frozenset[str] = frozenset(), **settings: Any):
        services = start(tmp_path, faults & (FAULTS | POST_FAULTS))
        started.append(services)
        project.config(config(services, **settings))
        result = project.run("--stage=post", *NOT_DB)
        return result, project.items(), services

    yield run
    for services in started:
        services.stop()


def project_verdict(result: pytest.RunResult) -> str:
    line = next(line for line in result.outlines if "readiness: " in line)
    return line.split("readiness: ", 1)[1].split(" ", 1)[0]


def test_without_allow_writes_the_post_stage_sends_the_app_nothing_but_reads(run_post) -> None:
    result, items, services = run_post(allow_writes=False, chromium_path="/nonexistent/chromium")
    for title in ("Create test approval", "Verify HITL flow works"):
        assert items[title]["outcome"] == "skipped"
        assert "does not set allow_writes = true" in items[title]["reason"]
    methods = {method for method, _ in services.requests("READINESS_LOCAL_URL")}
    assert methods == {"GET"}
    assert result.ret == 1  # items not run block GO unless waived


def test_with_allow_writes_the_test_approvals_are_created_and_deleted(run_post) -> None:
    _, items, services = run_post(chromium_path="/nonexistent/chromium")
    assert items["Create test approval"]["outcome"] == "passed"
    assert items["Verify HITL flow works"]["outcome"] == "passed"
    seen = services.requests("READINESS_LOCAL_URL")
    assert [m for m, p in seen if p.startswith("/api/approvals")].count("DELETE") == 2


def test_without_chromium_the_drawer_item_is_not_run_and_says_so(run_post) -> None:
    result, items, _ = run_post(chromium_path="/nonexistent/chromium")
    drawer = items["Approvals drawer opens"]
    assert drawer["outcome"] == "skipped"
    assert drawer["reason"].startswith("not run: no Chromium found")
    assert result.ret == 1
    assert project_verdict(result) == "NO-GO"


def test_without_a_prometheus_query_the_error_rate_is_sampled_from_the_app(run_post) -> None:
    _, items, _ = run_post(error_rate_query=None, chromium_path="/nonexistent/chromium")
    item = items["Monitor error rates (target <0.5%)"]
    assert item["outcome"] == "passed", item["reason"]
    assert any("sampled from the app" in e["summary"] for e in item["evidence"])


def test_a_failing_health_path_makes_the_sampled_error_rate_a_third_and_hits_the_trigger(
    run_post,
) -> None:
    _, items, _ = run_post(
        frozenset({"health-503"}), error_rate_query=None, chromium_path="/nonexistent/chromium"
    )
    item = items["Monitor error rates (target <0.5%)"]
    assert item["outcome"] == "failed"
    assert item["reason"] == (
        "error rate 33.33% (10 of 30) from 30 samples of /health, /api/health, /api/dashboard "
        "is above 0.5%"
    )
    assert item["trigger"] == "Error rate >5%"


def test_seven_tiles_is_a_broken_critical_feature(run_post) -> None:
    _, items, _ = run_post(frozenset({"seven-tiles"}), chromium_path="/nonexistent/chromium")
    tiles = items["All 8 tiles showing data"]
    assert tiles["outcome"] == "failed"
    assert "returned 7 tiles, expected 8" in tiles["reason"]
    assert tiles["trigger"] == "Critical feature broken"


def test_no_alerting_rules_fails_monitors_active_without_a_rollback(run_post) -> None:
    _, items, _ = run_post(frozenset({"no-alert-rules"}), chromium_path="/nonexistent/chromium")
    monitors = items["Verify all monitors active"]
    assert monitors["outcome"] == "failed"
    assert "lists no alerting rules" in monitors["reason"]
    assert monitors["trigger"] is None


def test_alerts_delivering_without_a_query_is_manual_and_with_one_reads_the_failures(
    run_post,
) -> None:
    read_only = {"allow_writes": False, "chromium_path": "/nonexistent/chromium"}
    _, items, _ = run_post(alert_failures_query=None, **read_only)
    alerts = items["Verify alerts delivering"]
    assert alerts["outcome"] == "skipped"
    assert alerts["reason"].startswith("not run: manual: set allow_test_alerts = true")
    _, items, _ = run_post(**read_only)
    alerts = items["Verify alerts delivering"]
    assert alerts["outcome"] == "passed"
    assert alerts["evidence"][0]["summary"].startswith("read-only: no test alert sent")
    assert alerts["evidence"][-1]["summary"] == "Alertmanager failed notifications: 0"


def test_with_writes_allowed_one_test_alert_is_posted_and_its_delivery_judged(run_post) -> None:
    _, items, services = run_post(chromium_path="/nonexistent/chromium")
    assert items["Verify alerts delivering"]["outcome"] == "passed"
    posts = [p for m, p in services.requests("READINESS_LOCAL_ALERTMANAGER") if m == "POST"]
    assert posts == ["/api/v2/alerts", "/api/v2/alerts"]  # the alert, then its resolution
    _, items, _ = run_post(frozenset({"alerts-undelivered"}), chromium_path="/nonexistent/chromium")
    alerts = items["Verify alerts delivering"]
    assert alerts["outcome"] == "failed"
    assert alerts["reason"].startswith("Alertmanager failed to deliver the test alert via webhook")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_the_drawer_item_runs_chromium_found_on_path(run_post) -> None:
    _, items, _ = run_post()
    assert items["Approvals drawer opens"]["outcome"] == "passed"
