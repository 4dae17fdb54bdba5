"""CI outputs: GitHub job summary, `::error` annotations, JUnit XML properties, all redacted."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytest_readiness.report.ci import append_step_summary, escape_data, escape_property
from tests.conftest import ReadinessProject

SECRET = "hunter2-deploy-token"

CHECKS = """
import os

@pytest.mark.gate("Build: PASSING")
def test_build(): pass

@pytest.mark.infra("Deploy key: works, 100% of hosts")
def test_deploy(readiness_env):
    token = readiness_env.vars["token"]
    assert False, f"50% of hosts refused {token}"

@pytest.mark.docs("All specs: Complete", blocking=False)
def test_specs(): assert False, "spec has TODO"
"""


@pytest.fixture
def ci_run(project: ReadinessProject, monkeypatch: pytest.MonkeyPatch) -> ReadinessProject:
    monkeypatch.setenv("DEPLOY_TOKEN", SECRET)
    project.config(
        """
        [tool.readiness.envs.local.vars]
        token = "${DEPLOY_TOKEN}"
        """
    )
    project.checks(CHECKS)
    return project


def test_the_markdown_report_is_appended_to_the_github_step_summary(
    ci_run: ReadinessProject, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    summary = tmp_path / "step-summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert ci_run.run().ret == 1
    text = summary.read_text()
    assert text.startswith("earlier step\n# NO-GO: readiness of `local` (pre)\n")
    assert text.endswith(ci_run.text(suffix="md"))
    assert SECRET not in text


def test_nothing_is_appended_without_a_step_summary(tmp_path: Path) -> None:
    assert append_step_summary("# GO\n", {}) is False
    target = tmp_path / "summary.md"
    assert append_step_summary("# GO", {"GITHUB_STEP_SUMMARY": str(target)}) is True
    assert target.read_text() == "# GO\n"


def test_each_blocking_failure_is_an_escaped_redacted_error_annotation_in_github_actions(
    ci_run: ReadinessProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = ci_run.run("-q")
    errors = [line for line in result.outlines if line.startswith("::error")]
    assert errors == [
        "::error title=Deploy key%3A works%2C 100%25 of hosts (failed)::"
        "50%25 of hosts refused *** [checks/test_checks.py::test_deploy]"
    ]


def test_no_annotations_outside_github_actions(
    ci_run: ReadinessProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    result = ci_run.run()
    assert not [line for line in result.outlines if line.startswith("::")]


def test_workflow_command_escaping_follows_githubs_rules() -> None:
    assert escape_data("50%\r\nnext: a, b") == "50%25%0D%0Anext: a, b"
    assert escape_property("50%\r\nnext: a, b") == "50%25%0D%0Anext%3A a%2C b"


def test_junit_xml_carries_category_phase_outcome_and_runbook_line_redacted(
    ci_run: ReadinessProject, pytester: pytest.Pytester
) -> None:
    (pytester.path / "checks" / "test_more.py").write_text(
        "import pytest\n"
        f'@pytest.mark.feature("Checkout with {SECRET}")\n'
        "def test_checkout(): pass\n"
    )
    ci_run.run("--junitxml=junit.xml")
    tree = ET.parse(pytester.path / "junit.xml")
    properties = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in tree.iter("testcase")
    }
    assert properties["test_deploy"] == {
        "readiness_category": "infra",
        "readiness_phase": "3. Infrastructure Readiness",
        "readiness_outcome": "failed",
        "readiness_runbook_line": "Deploy key: works, 100% of hosts",
        "readiness_blocking": "yes",
    }
    assert properties["test_specs"]["readiness_blocking"] == "no"
    assert properties["test_build"]["readiness_outcome"] == "passed"
    assert properties["test_checkout"]["readiness_runbook_line"] == "Checkout with ***"
    assert SECRET not in (pytester.path / "junit.xml").read_text()


def test_junit_properties_are_added_on_the_controller_under_xdist(
    ci_run: ReadinessProject, pytester: pytest.Pytester
) -> None:
    ci_run.run_subprocess("-n", "2", "--junitxml=junit.xml")
    tree = ET.parse(pytester.path / "junit.xml")
    outcomes = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}.get(
            "readiness_outcome"
        )
        for case in tree.iter("testcase")
    }
    assert outcomes == {"test_build": "passed", "test_deploy": "failed", "test_specs": "failed"}
