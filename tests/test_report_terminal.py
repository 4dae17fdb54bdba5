"""The verdict at the end of the terminal output: pytest's style, `-q`, `-qq` and colour."""

from __future__ import annotations

import pytest

from tests.conftest import ReadinessProject

CHECKS = """
@pytest.mark.gate("Build: PASSING")
def test_build(): pass

@pytest.mark.db("Migrations: All applied")
def test_migrations(): assert False, "0042_orders pending"

@pytest.mark.docs("All specs: Complete", blocking=False)
def test_specs(): assert False, "spec has TODO"
"""


@pytest.fixture
def checklist(project: ReadinessProject) -> ReadinessProject:
    project.checks(CHECKS)
    return project


def test_the_summary_names_the_verdict_blockers_warnings_and_report_paths(
    checklist: ReadinessProject,
) -> None:
    result = checklist.run()
    result.stdout.fnmatch_lines(
        [
            "=*= readiness: NO-GO (local) =*=",
            "NO-GO: 1 blocking item failed in Database Readiness.",
            "  BLOCKER Migrations: All applied: failed - 0042_orders pending",
            "  warning All specs: Complete: failed - spec has TODO",
            "reports: */reports/readiness-local.html, */readiness-local.json, */readiness-local.md",
        ]
    )


def test_quiet_drops_the_warnings_but_keeps_blockers_and_paths(
    checklist: ReadinessProject,
) -> None:
    result = checklist.run("-q")
    result.stdout.fnmatch_lines(
        ["*readiness: NO-GO (local)*", "  BLOCKER Migrations*", "reports: *"]
    )
    assert "warning All specs" not in result.stdout.str()


def test_very_quiet_prints_only_the_verdict_line(checklist: ReadinessProject) -> None:
    result = checklist.run("-qq")
    result.stdout.fnmatch_lines(["*readiness: NO-GO (local)*"])
    assert "BLOCKER" not in result.stdout.str()
    assert "reports:" not in result.stdout.str()


def test_colour_follows_pytests_color_option(checklist: ReadinessProject) -> None:
    coloured = checklist.run("--color=yes").stdout.str()
    verdict = next(line for line in coloured.splitlines() if "readiness: NO-GO" in line)
    assert "\x1b[31m" in verdict and "\x1b[1m" in verdict
    assert "\x1b[31m\x1b[1m  BLOCKER " in coloured
    plain = checklist.run("--color=no").stdout.str()
    assert "\x1b[" not in plain


TEARDOWN_OUTPUT = """
@pytest.fixture
def noisy():
    yield
    print("teardown output of the item")

@pytest.mark.gate("Build: PASSING")
def test_build(noisy): assert False, "build broke"

@pytest.mark.gate("Unit tests: PASSING")
def test_units(noisy): assert False, "3 units failed"

@pytest.mark.gate("Lint: PASSING")
def test_lint(noisy): pass
"""

COUNT_SCANS = """
import _pytest.terminal

SCANS = []
scan = _pytest.terminal.TerminalReporter.getreports


def counted(self, name):
    SCANS.append(name)
    return scan(self, name)


_pytest.terminal.TerminalReporter.getreports = counted


def pytest_unconfigure(config):
    print(f"scans of every report: {SCANS.count('')}")
"""


def test_each_failures_teardown_output_is_listed_without_rescanning_every_report(
    project: ReadinessProject,
) -> None:
    """pytest scans all setup/teardown reports once per failure: seconds at 500 failures."""
    project.checks(TEARDOWN_OUTPUT)
    project.pytester.makeconftest(COUNT_SCANS)
    result = project.run_subprocess("-rA")
    result.stdout.fnmatch_lines(
        [
            "*_ test_build _*",
            "build broke",
            "*- Captured stdout teardown -*",
            "teardown output of the item",
            "*_ test_units _*",
            "3 units failed",
            "*- Captured stdout teardown -*",
            "teardown output of the item",
        ]
    )
    result.stdout.fnmatch_lines(["scans of every report: 1"])
