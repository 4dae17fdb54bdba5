"""Code Quality Gates: the build, the test suites, accessibility, lint, format and secrets."""

from __future__ import annotations

import time

import pytest

from pytest_readiness import CheckFailed
from pytest_readiness.probes import a11y, formatting, junit, lint, secrets
from pytest_readiness.probes.exit_status import exit_status


def _setting(readiness_env, key, default):
    return str(readiness_env.vars.get(key, default))


def _run_setting(readiness_env, run, key, default):
    """Run `vars.<key>`; a default command whose npm script is missing says what to set."""
    result = run(_setting(readiness_env, key, default))
    missing = result.missing_script()
    if missing and key not in readiness_env.vars:
        raise CheckFailed(f"{missing}; set vars.{key} to the command to run")
    return result


@pytest.mark.gate("Build: PASSING")
def test_build(readiness_env, run, evidence):
    evidence.expect(exit_status(_run_setting(readiness_env, run, "build_command", "npm run build")))


def _report_or_output(readiness_env, key, result, started):
    """The file the command wrote (`vars.<key>`; output tails get cut), else its output.

    A file this run did not write fails with what the command said (its own error line).
    """
    name = readiness_env.vars.get(key)
    if not name:
        return result.output
    path = readiness_env.workspace / name
    if not path.is_file():
        raise CheckFailed(result.explain(f"no report at {name}"))
    if path.stat().st_mtime < started - 1:
        raise CheckFailed(result.explain(f"{name} was not rewritten by this run"))
    return path.read_text(encoding="utf-8", errors="replace")


def _suite_passes(readiness_env, run, evidence, kind, command):
    report = readiness_env.workspace / _setting(
        readiness_env, f"{kind}_junit", f"reports/junit/{kind}.xml"
    )
    allow_empty = bool(readiness_env.vars.get(f"{kind}_allow_empty", False))
    started = time.time()
    result = _run_setting(readiness_env, run, f"{kind}_test_command", command)
    evidence.expect(
        junit.from_test_command(result, report, not_before=started, allow_empty=allow_empty)
    )


@pytest.mark.gate("Unit tests: 100% passing")
def test_unit_tests(readiness_env, run, evidence):
    _suite_passes(readiness_env, run, evidence, "unit", "npm run test:unit")


@pytest.mark.gate("Integration tests: 100% passing")
def test_integration_tests(readiness_env, run, evidence):
    _suite_passes(readiness_env, run, evidence, "integration", "npm run test:integration")


@pytest.mark.gate("E2E tests: 100% passing")
def test_e2e_tests(readiness_env, run, evidence):
    _suite_passes(readiness_env, run, evidence, "e2e", "npm run test:e2e")


@pytest.mark.gate("Accessibility: <5 serious violations")
def test_accessibility(readiness_env, run, evidence):
    started = time.time()
    result = _run_setting(readiness_env, run, "a11y_command", "npm run test:a11y")
    output = _report_or_output(readiness_env, "a11y_report", result, started)
    maximum = int(readiness_env.thresholds.get("a11y_serious_max", 4))
    allow_empty = bool(readiness_env.vars.get("a11y_allow_empty", False))
    evidence.expect(a11y.from_axe_json(output, maximum, allow_empty=allow_empty, run=result))


@pytest.mark.gate("Lint: 0 errors, 0 warnings")
def test_lint(readiness_env, run, evidence):
    started = time.time()
    result = _run_setting(readiness_env, run, "lint_command", "npm run lint -- --format json")
    output = _report_or_output(readiness_env, "lint_report", result, started)
    evidence.expect(
        lint.from_lint_json(
            output,
            _setting(readiness_env, "lint_tool", "auto"),
            root=readiness_env.workspace,
            run=result,
            allow_empty=bool(readiness_env.vars.get("lint_allow_empty", False)),
        )
    )
    evidence.expect(exit_status(result))


@pytest.mark.gate("Format: All files formatted")
def test_format(readiness_env, run, evidence):
    result = _run_setting(readiness_env, run, "format_command", "npm run fmt")
    allow_empty = bool(readiness_env.vars.get("format_allow_empty", False))
    evidence.expect(formatting.from_format_run(result, allow_empty=allow_empty))


@pytest.mark.gate("Security: 0 secrets detected")
def test_secrets(readiness_env, run, evidence):
    lockfiles = bool(readiness_env.vars.get("secrets_include_lockfiles", False))
    evidence.expect(
        secrets.scan_tracked_files(readiness_env.workspace, include_lockfiles=lockfiles)
    )
    command = readiness_env.vars.get("scan_command")
    if command:
        evidence.expect(exit_status(run(command)))
