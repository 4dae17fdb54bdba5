"""The post-deploy stage: stage selection, the ROLLBACK verdict, severities and rollback steps."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_readiness.model import Evidence, Item, Outcome, Report, Verdict
from pytest_readiness.runbook import lines as runbook
from tests.conftest import ReadinessProject

RUNBOOK = Path(__file__).parent / "data" / "production-deployment-runbook.md"
SHIPPED_RUNBOOK = Path(__file__).parent.parent / "runbook" / "production-deployment-runbook.md"

CONFIG = """
[tool.readiness]
runbook = "docs/runbook.md"

[tool.readiness.envs.local]
manual_blocking = false
"""
CHECKS = """
from pytest_readiness import CheckFailed

@pytest.mark.gate("Build: PASSING")
def test_build(): pass

@pytest.mark.infra("Dashboard loads <3s", stage="post")
def test_dashboard_load(evidence):
    if {slow}:
        raise CheckFailed("dashboard P95 3.4 s is above 3 s")

@pytest.mark.infra("Monitor error rates (target <0.5%)", stage="post")
def test_error_rate(evidence):
    if {errors}:
        evidence.add("trigger", "Error rate >5%", measured=0.07, threshold=0.05)
        raise CheckFailed("error rate 7.00% is above 0.5%")

@pytest.mark.feature("Approvals drawer opens", stage="post")
def test_drawer():
    if {drawer}:
        raise CheckFailed("no drawer")
"""


def post_project(project: ReadinessProject, *, slow=False, errors=False, drawer=False):
    (project.pytester.path / "docs").mkdir(exist_ok=True)
    shutil.copy(SHIPPED_RUNBOOK, project.pytester.path / "docs" / "runbook.md")
    project.config(CONFIG)
    project.checks(CHECKS.format(slow=slow, errors=errors, drawer=drawer))
    return project


def _item(title: str, outcome: Outcome, **extra: object) -> Item:
    return Item(title, title, "infra", 1, outcome=outcome, reason="why", extra=extra)


def _report(*items: Item, stage: str = "post") -> Report:
    return Report("production", items, ("infra",), "t0", "t1", stage=stage)


def test_a_failed_item_with_a_trigger_makes_the_post_stage_verdict_rollback() -> None:
    report = _report(
        _item("ok", Outcome.PASSED),
        _item("Error", Outcome.FAILED, trigger="Error rate >5%", severity="P0"),
    )
    assert report.verdict is Verdict.ROLLBACK
    assert report.sentence.startswith("ROLLBACK: rollback trigger hit: Error rate >5% (Error")
    assert report.to_dict()["triggers"] == ["Error"]


def test_a_failure_without_a_trigger_is_no_go_and_a_trigger_in_the_pre_stage_is_ignored() -> None:
    watch = _item("slow", Outcome.FAILED, trigger=None, severity="P1")
    assert _report(watch).verdict is Verdict.NO_GO
    hit = _item("Error", Outcome.FAILED, trigger="Error rate >5%")
    assert _report(hit, stage="pre").verdict is Verdict.NO_GO


def test_an_item_not_run_never_triggers_a_rollback() -> None:
    skipped = _item("drawer", Outcome.SKIPPED, trigger="Critical feature broken")
    assert _report(skipped).verdict is Verdict.NO_GO


def test_failing_items_are_grouped_by_severity_most_severe_first() -> None:
    report = _report(
        _item("a", Outcome.FAILED, severity="P2"),
        _item("b", Outcome.FAILED, severity="P0", trigger="P95 latency >10s"),
        _item("c", Outcome.PASSED),
    )
    assert {level: [i.id for i in items] for level, items in report.by_severity.items()} == {
        "P0": ["b"],
        "P2": ["a"],
    }


def test_the_rollback_steps_come_from_the_runbooks_rollback_procedure() -> None:
    book = runbook.load(SHIPPED_RUNBOOK)
    assert book.rollback_steps() == (
        "Revert application deployment (restore previous version)",
        "If database migrated: Restore from backup (Supabase UI)",
        "Verify rollback successful",
        "Notify team + CEO",
        "Document issues for post-mortem",
    )


def test_bullets_nested_under_a_numbered_step_are_optional_post_stage_lines() -> None:
    book = runbook.load(SHIPPED_RUNBOOK)
    drawer = book.find("Approvals drawer opens", book.checklist(optional=True))
    assert drawer is not None
    assert (drawer.stage, drawer.optional, drawer.step) == ("post", True, True)
    assert drawer.heading_path[-1] == "Phase 4: Verification (30 min)"
    assert book.find("Approvals drawer opens", book.checklist("pre", optional=True)) is None


def test_the_pre_stage_runs_no_post_items(project: ReadinessProject) -> None:
    post_project(project, slow=True, errors=True, drawer=True)
    result = project.run()
    assert result.ret == 0, result.stdout.str()
    report = project.report()
    assert report["stage"] == "pre"
    assert report["verdict"] == "GO"
    titles = {item["title"] for item in report["items"]}
    assert "Build: PASSING" in titles
    assert not titles & {"Dashboard loads <3s", "Approvals drawer opens"}
    result.stdout.fnmatch_lines(["*3 deselected*"])


def test_the_post_stage_runs_only_post_items_and_is_go_when_they_pass(
    project: ReadinessProject,
) -> None:
    post_project(project)
    result = project.run("--stage=post")
    assert result.ret == 0, result.stdout.str()
    report = project.report()
    assert report["stage"] == "post"
    assert report["verdict"] == "GO"
    passed = [item["title"] for item in report["items"] if item["outcome"] == "passed"]
    assert sorted(passed) == sorted(
        ["Dashboard loads <3s", "Monitor error rates (target <0.5%)", "Approvals drawer opens"]
    )
    assert "Build: PASSING" not in {item["title"] for item in report["items"]}
    assert report["rollback"]["triggers"] == []
    assert report["rollback"]["steps"][0].startswith("Revert application deployment")


def test_a_post_item_below_target_without_a_trigger_is_no_go_labelled_p1(
    project: ReadinessProject,
) -> None:
    post_project(project, slow=True)
    result = project.run("--stage=post")
    assert result.ret == 1
    report = project.report()
    assert report["verdict"] == "NO-GO"
    item = project.items()["Dashboard loads <3s"]
    assert (item["severity"], item["trigger"]) == ("P1", None)


@pytest.mark.parametrize(
    ("fault", "trigger", "title"),
    [
        ("errors", "Error rate >5%", "Monitor error rates (target <0.5%)"),
        ("drawer", "Critical feature broken", "Approvals drawer opens"),
    ],
)
def test_a_hit_trigger_is_rollback_naming_it_with_the_rollback_steps(
    project: ReadinessProject, fault: str, trigger: str, title: str
) -> None:
    post_project(project, **{fault: True})
    result = project.run("--stage=post")
    assert result.ret == 1
    report = project.report()
    assert report["verdict"] == "ROLLBACK"
    assert report["sentence"].startswith(f"ROLLBACK: rollback trigger hit: {trigger} ({title}")
    assert report["rollback"]["triggers"] == [
        {"item": project.items()[title]["id"], "title": title, "trigger": trigger}
    ]
    assert project.items()[title]["severity"] == "P0"
    markdown = project.text(suffix="md")
    assert "Revert application deployment" in markdown
    assert "## Severity P0" in markdown


def test_a_p0_item_configured_per_environment_triggers_a_rollback(
    project: ReadinessProject,
) -> None:
    post_project(project, slow=True)
    project.config(
        CONFIG + '\n[tool.readiness.envs.local.vars.severity]\n"Dashboard loads <3s" = "P0"\n'
    )
    assert project.run("--stage=post").ret == 1
    report = project.report()
    assert report["verdict"] == "ROLLBACK"
    assert "P0 item failed: Dashboard loads <3s" in report["sentence"]


def test_a_marker_with_an_unknown_stage_or_severity_is_a_collection_error(
    project: ReadinessProject,
) -> None:
    project.config(CONFIG.replace('runbook = "docs/runbook.md"', ""))
    project.checks(
        """
        @pytest.mark.infra("A", stage="during")
        def test_a(): pass

        @pytest.mark.infra("B", severity="P5")
        def test_b(): pass
        """
    )
    result = project.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*stage= must be one of pre, post, got 'during'*", "*severity= must be one of P0*"]
    )


def test_evidence_kind_trigger_is_plain_evidence() -> None:
    assert Evidence("trigger", "Error rate >5%").to_dict()["kind"] == "trigger"


def test_collect_only_in_the_post_stage_binds_the_phase_4_bullets(
    project: ReadinessProject,
) -> None:
    post_project(project)
    result = project.run("--stage=post", "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "[[]Phase 4: Verification (30 min)[]] Dashboard loads <3s -- automated by "
            "checks/test_checks.py::test_dashboard_load",
            "[[]Phase 4: Verification (30 min)[]] Approvals drawer opens -- automated by "
            "checks/test_checks.py::test_drawer",
            "[[]Phase 4: Verification (30 min)[]] Monitor error rates (target <0.5%) -- "
            "automated by checks/test_checks.py::test_error_rate",
        ]
    )
    assert "Build: PASSING" not in result.stdout.str()
