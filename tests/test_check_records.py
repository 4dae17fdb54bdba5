"""Without a runbook, waivers and sign-offs name checks by their titles, and still apply."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_readiness import cli
from tests.conftest import ReadinessProject

CONFIG = """
[tool.readiness.envs.local]

[tool.readiness.envs.production]
base_url = "https://example.com"
"""
CHECKS = """
@pytest.mark.gate("Lint: 0 errors, 0 warnings")
def test_lint(): assert False, "eslint: 3 errors in app.ts"

@pytest.mark.db("Production backup: Verified exists")
def test_backup(): pytest.skip("no Supabase access token in this environment")

@pytest.mark.gate("Build: PASSING")
def test_build(): pass
"""
WAIVER = """[[waiver]]
item = "{item}"
env = "local"
justification = "legacy files, cleanup in ticket 42"
accepted_by = "Ana (CTO)"
expires = 2999-01-01
"""


@pytest.fixture
def bare_project(project: ReadinessProject, pytester: pytest.Pytester) -> ReadinessProject:
    """A project with checks and no runbook, committed to git (sign-offs name a commit)."""
    project.config(CONFIG)
    project.checks(CHECKS)
    (pytester.path / "readiness").mkdir()
    for args in (("init", "-q"), ("add", "."), ("commit", "-qm", "checks")):
        git(pytester.path, *args)
    return project


def git(repo: Path, *args: str) -> None:
    identity = ("-c", "user.email=t@example.invalid", "-c", "user.name=T")
    subprocess.run(["git", "-C", str(repo), *identity, *args], check=True, capture_output=True)


def sign_off(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, title: str) -> int:
    monkeypatch.chdir(pytester.path)
    return cli.main(["sign-off", title, "--env", "local", "--by", "Justin", "--role", "SRE"])


def test_a_waiver_names_a_check_by_title_and_waives_its_failure_without_stopping_fail_fast(
    bare_project: ReadinessProject, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    (pytester.path / "readiness" / "waivers.toml").write_text(
        WAIVER.format(item="Lint: 0 errors, 0 warnings")
    )
    assert sign_off(pytester, monkeypatch, "Production backup: Verified exists") == 0
    result = bare_project.run("--readiness-fail-fast")
    assert result.ret == 0
    assert bare_project.items()["Build: PASSING"]["outcome"] == "passed"  # not stopped
    lint = bare_project.items()["Lint: 0 errors, 0 warnings"]
    assert lint["outcome"] == "waived"
    assert lint["waiver"]["status"] == "applied"
    assert lint["reason"] == (
        "eslint: 3 errors in app.ts (waived until 2999-01-01 by Ana (CTO): "
        "legacy files, cleanup in ticket 42)"
    )
    assert bare_project.report()["verdict"] == "GO"


def test_a_waiver_naming_no_check_is_a_usage_error_naming_the_closest_title(
    bare_project: ReadinessProject, pytester: pytest.Pytester
) -> None:
    (pytester.path / "readiness" / "waivers.toml").write_text(WAIVER.format(item="Lint: 0 errors"))
    result = bare_project.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*waivers.toml: entry 1 ('Lint: 0 errors'): no check has this title; "
            "closest check title: 'Lint: 0 errors, 0 warnings'*"
        ]
    )


def test_a_sign_off_stands_in_for_a_check_that_could_not_run_here(
    bare_project: ReadinessProject, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sign_off(pytester, monkeypatch, "Production backup: Verified exists") == 0
    bare_project.run()
    backup = bare_project.items()["Production backup: Verified exists"]
    assert backup["outcome"] == "signed-off"
    assert backup["signoff"]["valid"]["by"] == "Justin"
    assert backup["reason"].startswith("signed off by Justin (SRE) on 20")
    assert backup["reason"].endswith(
        "; the check was skipped: no Supabase access token in this environment"
    )


def test_a_sign_off_does_not_pass_a_failing_check(
    bare_project: ReadinessProject, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sign_off(pytester, monkeypatch, "Lint: 0 errors, 0 warnings") == 0
    bare_project.run()
    lint = bare_project.items()["Lint: 0 errors, 0 warnings"]
    assert (lint["outcome"], lint["reason"]) == ("failed", "eslint: 3 errors in app.ts")
    assert lint["signoff"]["note"] == (
        "sign-off not applied: item failed (a failing check needs a waiver)"
    )
    assert bare_project.report()["verdict"] == "NO-GO"


def test_a_sign_off_for_another_commit_leaves_the_skipped_check_blocking_and_says_why(
    bare_project: ReadinessProject, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sign_off(pytester, monkeypatch, "Production backup: Verified exists") == 0
    (pytester.path / "checks" / "test_checks.py").write_text(
        "import pytest\n" + CHECKS.replace("pass", "assert True")
    )
    git(pytester.path, "commit", "-qam", "change the checks after the sign-off")
    bare_project.run()
    backup = bare_project.items()["Production backup: Verified exists"]
    assert backup["outcome"] == "skipped"
    assert "sign-off by Justin is for commit" in backup["reason"]


def test_the_cli_refuses_a_title_no_check_has_naming_the_closest_one(
    bare_project: ReadinessProject,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert sign_off(pytester, monkeypatch, "Production backups verified") == cli.EXIT_REFUSED
    assert not (pytester.path / "readiness" / "signoffs.toml").exists()
    assert "closest check title: 'Production backup: Verified exists'" in capsys.readouterr().err


def test_the_report_names_sign_offs_for_titles_no_check_has(
    bare_project: ReadinessProject, pytester: pytest.Pytester
) -> None:
    (pytester.path / "readiness" / "signoffs.toml").write_text(
        '[[signoff]]\nitem = "Backup verified"\nenv = "local"\ncommit = "abcdef0"\n'
        'by = "J"\nrole = "SRE"\nwhen = 2026-11-25T18:00:00Z\n'
    )
    bare_project.run()
    [orphan] = bare_project.report()["records"]["orphan_signoffs"]
    assert "closest check title: 'Production backup: Verified exists'" in orphan["reason"]
