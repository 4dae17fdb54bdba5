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
from datetime import UTC, datetime, timedelta
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


def test_a_smoke_command_that_runs_no_test_fails_the_smoke_item(run_post) -> None:
    command = (
        "mkdir -p empty && PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 python -m pytest -q "
        "-p no:cacheprovider empty --junitxml=reports/junit/smoke.xml"
    )
    _, items, _ = run_post(smoke_test_command=command, chromium_path="/nonexistent/chromium")
    smoke = items["Run production smoke tests (automated)"]
    assert smoke["outcome"] == "failed"
    assert "no test" in smoke["reason"], smoke["reason"]


def test_the_smoke_command_is_given_the_targets_base_url(run_post, project) -> None:
    (project.pytester.path / "smoke").mkdir()
    (project.pytester.path / "smoke" / "test_url.py").write_text(
        "import os, urllib.request\n"
        "def test_home():\n"
        "    url = os.environ['READINESS_BASE_URL']\n"
        "    assert urllib.request.urlopen(url + '/api/health').status == 200\n"
    )
    command = (
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 python -m pytest -q -p no:cacheprovider smoke "
        "--junitxml=reports/junit/smoke.xml"
    )
    _, items, services = run_post(smoke_test_command=command, chromium_path="/nonexistent/chromium")
    smoke = items["Run production smoke tests (automated)"]
    assert smoke["outcome"] == "passed", smoke["reason"]
    assert ("GET", "/api/health") in services.requests("READINESS_LOCAL_URL")


EVERY_HOUR = "Monitor error rates every hour"
EVERY_TWO_HOURS = "Check performance metrics every 2 hours"
DEPLOYED = "2026-12-01T08:00:00Z"


def _history(project, hours, *, error_rate=0.001, p95_s=0.4, version="v1", stamps=()) -> None:
    """Post-stage runs of earlier hours (05 past each hour after DEPLOYED, or `stamps`)."""
    from pytest_readiness.report import history

    folder = project.pytester.path / "reports" / "history" / "local-post"
    folder.mkdir(parents=True, exist_ok=True)
    deployed = datetime.fromisoformat(DEPLOYED.replace("Z", "+00:00"))
    moments = list(stamps) or [deployed + timedelta(hours=h, minutes=5) for h in hours]
    for moment in moments:
        at = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        entry = {
            "schema": history.HISTORY_SCHEMA,
            "started_at": at,
            "verdict": "GO",
            "complete": True,
            "commit": None,
            "counts": {},
            "measurements": [
                {"metric": "error_rate", "value": error_rate, "at": at, "version": version},
                {"metric": "p95_s", "value": p95_s, "at": at, "version": version},
            ],
            "items": {},
        }
        history.save_run(folder, entry, keep=100)


def _first_day_settings(now: str) -> dict[str, Any]:
    return {
        "chromium_path": "/nonexistent/chromium",
        "deployed_version": "v1",
        "deployed_at": DEPLOYED,
        "now": now,
    }


def test_a_post_stage_run_records_its_error_rate_and_p95_in_the_history(run_post, project) -> None:
    _, items, _ = run_post(chromium_path="/nonexistent/chromium", deployed_version="v7")
    folder = project.pytester.path / "reports" / "history" / "local-post"
    (saved,) = sorted(folder.glob("run-*.json"))
    summary = json.loads(saved.read_text().splitlines()[0])
    recorded = {m["metric"]: m for m in summary["measurements"]}
    assert set(recorded) == {"error_rate", "p95_s"}
    assert recorded["error_rate"]["value"] == 0.001  # what the Prometheus stand-in answers
    assert recorded["error_rate"]["version"] == "v7"
    assert recorded["error_rate"]["threshold"] == 0.005
    latency = next(
        e for e in items["Check performance metrics"]["evidence"] if e["kind"] == "latency"
    )
    assert recorded["p95_s"]["value"] == pytest.approx(
        max(
            [
                *latency["data"]["reported_p95_s"].values(),
                *(r["p95_s"] for r in latency["data"]["rows"]),
            ]
        ),
        abs=1e-3,
    )


def test_within_the_first_24_hours_the_recurring_lines_are_pending_and_do_not_block(
    run_post, project
) -> None:
    _history(project, range(3))
    _, items, _ = run_post(**_first_day_settings("2026-12-01T11:30:00Z"))
    for title in (EVERY_HOUR, EVERY_TWO_HOURS):
        assert items[title]["outcome"] == "pending", items[title]["reason"]
    assert items[EVERY_HOUR]["reason"].endswith("next measurement due by 2026-12-01T12:00Z")
    assert items[EVERY_TWO_HOURS]["reason"].endswith("next measurement due by 2026-12-01T12:00Z")
    report = project.report(stage="post")
    blockers = {i["title"] for i in report["items"] if i["id"] in report["blockers"]}
    assert not blockers & {EVERY_HOUR, EVERY_TWO_HOURS}
    assert report["counts"]["pending"] == 2


def test_after_24_hours_every_interval_measured_passes_both_lines(run_post, project) -> None:
    _history(project, range(24))
    _, items, _ = run_post(**_first_day_settings("2026-12-02T08:30:00Z"))
    assert items[EVERY_HOUR]["outcome"] == "passed", items[EVERY_HOUR]["reason"]
    assert items[EVERY_TWO_HOURS]["outcome"] == "passed", items[EVERY_TWO_HOURS]["reason"]


def test_after_24_hours_a_missed_hour_fails_the_hourly_line_naming_it(run_post, project) -> None:
    _history(project, [h for h in range(24) if h != 5])
    _history(project, [5], version="v0")  # another version's run does not count
    _, items, _ = run_post(**_first_day_settings("2026-12-02T08:30:00Z"))
    hourly = items[EVERY_HOUR]
    assert hourly["outcome"] == "failed"
    assert hourly["reason"] == (
        "no error_rate measurement in 1 of 24 intervals of the first 24 hours: "
        "2026-12-01T13:00Z-2026-12-01T14:00Z"
    )
    assert items[EVERY_TWO_HOURS]["outcome"] == "passed"  # 12:00-14:00 still has 12:05


def test_a_p95_over_the_target_in_the_history_fails_the_two_hourly_line(run_post, project) -> None:
    _history(project, range(4), p95_s=4.2)
    _, items, _ = run_post(**_first_day_settings("2026-12-01T12:30:00Z"))
    line = items[EVERY_TWO_HOURS]
    assert line["outcome"] == "failed"
    assert line["reason"] == (
        "p95_s over 3 s in 4 measurements since the deploy: 4.2 s at 2026-12-01T08:05Z"
    )


def test_without_a_smoke_command_the_smoke_item_is_not_run_and_not_a_rollback(run_post) -> None:
    _, items, _ = run_post(chromium_path="/nonexistent/chromium")
    smoke = items["Run production smoke tests (automated)"]
    assert smoke["outcome"] == "skipped"
    assert smoke["reason"].startswith("not run: set vars.smoke_test_command")
    assert smoke["trigger"] is None


def test_the_report_draws_the_first_24_hours_from_the_history_with_thresholds(
    run_post, project
) -> None:
    now = datetime.now(UTC)
    earlier = [now - timedelta(hours=30), now - timedelta(hours=2), now - timedelta(hours=1)]
    _history(project, (), error_rate=0.002, p95_s=0.4, stamps=earlier)
    run_post(chromium_path="/nonexistent/chromium", deployed_version="v1")
    report = project.report(stage="post")
    timeline = report["first_24_hours"]
    # The run of 30 hours ago is outside the window; this run (the stand-in's 0.1%) is last.
    assert [p["error_rate"] for p in timeline["points"]] == [0.002, 0.002, 0.001]
    assert [p["p95_s"] for p in timeline["points"]][:2] == [0.4, 0.4]
    assert timeline["thresholds"] == {"error_rate": 0.005, "p95_s": 3.0}
    html = project.text(stage="post")
    assert '<section id="readiness-first-24-hours"><h2>First 24 hours</h2>' in html
    assert 'stroke-dasharray="4 3"><title>threshold 0.50%</title>' in html
    markdown = project.text(suffix="md", stage="post")
    assert "| run | Error rate (threshold 0.50%) | P95 latency (threshold 3 s) |" in markdown
