"""End to end: with a configured runbook, every checklist line shows up, bound or manual."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_readiness import cli
from pytest_readiness.runbook import lines as runbook
from tests.conftest import ReadinessProject

RUNBOOK = Path(__file__).parent / "data" / "production-deployment-runbook.md"
CONFIG = """
[tool.readiness]
runbook = "docs/runbook.md"

[tool.readiness.envs.local]
manual_blocking = {blocking}

[tool.readiness.envs.production]
base_url = "https://example.com"
"""
CHECKS = """
@pytest.mark.gate("Build: PASSING")
def test_build(): pass

@pytest.mark.db("RLS tests: All passing")
def test_rls(): pass

@pytest.mark.infra("Health endpoints: All returning 200")
@pytest.mark.parametrize("path", ["/health", "/api/health"])
def test_health(path): pass
"""


@pytest.fixture
def runbook_project(project: ReadinessProject, pytester: pytest.Pytester) -> ReadinessProject:
    (pytester.path / "docs").mkdir()
    shutil.copy(RUNBOOK, pytester.path / "docs" / "runbook.md")
    project.config(CONFIG.format(blocking="true"))
    project.checks(CHECKS)
    return project


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def test_collect_only_shows_every_runbook_line_with_its_binding(runbook_project):
    result = runbook_project.run("--collect-only", "-q")
    lines = [line for line in result.outlines if " -- " in line]
    assert len(lines) == 31
    assert lines[0] == (
        "[Code Quality Gates] Build: PASSING (npm run build exit code 0) -- automated by "
        "checks/test_checks.py::test_build"
    )
    assert lines[-1] == (
        "[Phase 1: Final Validation (30 min)] CEO approval required -- manual: not automated, "
        "needs sign-off"
    )


def test_every_runbook_line_is_in_the_report_and_unsigned_ones_block(runbook_project):
    result = runbook_project.run()
    assert result.ret == 1
    report = runbook_project.report()
    assert len(report["items"]) == 32  # 31 lines, the health line by two parametrizations
    assert report["counts"]["manual"] == 28
    approval = runbook_project.items()["CEO approval required"]
    assert (approval["outcome"], approval["reason"]) == ("manual", "awaiting sign-off")
    assert approval["runbook_line"]["line"] == 64
    markdown = runbook_project.text(suffix="md")
    assert markdown.startswith("**Verdict: NO-GO**")
    assert "- [x] Build: PASSING (`npm run build` exit code 0)" in markdown
    assert "- [ ] CEO approval required — awaiting sign-off" in markdown


def test_unsigned_manual_lines_only_warn_where_manual_blocking_is_false(runbook_project, pytester):
    runbook_project.config(CONFIG.format(blocking="false"))
    result = runbook_project.run()
    assert result.ret == 0
    assert runbook_project.report()["verdict"] == "GO"


def test_a_check_titled_off_the_runbook_is_a_usage_error_naming_the_closest_line(
    runbook_project,
):
    runbook_project.checks('@pytest.mark.gate("Buld: PASING")\ndef test_x(): pass\n', "test_typo")
    result = runbook_project.run()
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*'Buld: PASING'*closest runbook line: 'Build: PASSING*"])


UNREADABLE = {
    "latin-1": (
        "# Runbook\n- [ ] Build: PASSING \u2014 caf\u00e9\n".encode("latin-1", "replace"),
        "not UTF-8 text",
    ),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8 text"),
    "nul-bytes": (b"# Runbook\n\x00\x00- [ ] Build: PASSING\n", "a binary file"),
}


@pytest.mark.parametrize(("data", "message"), UNREADABLE.values(), ids=UNREADABLE.keys())
def test_a_runbook_that_is_not_utf8_text_is_a_usage_error_naming_the_file(
    runbook_project: ReadinessProject, pytester: pytest.Pytester, data: bytes, message: str
) -> None:
    runbook = pytester.path / "docs" / "runbook.md"
    runbook.write_bytes(data)
    result = runbook_project.run()
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"ERROR: *{runbook}: {message}*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize("name", ["signoffs.toml", "waivers.toml"])
def test_a_record_file_that_is_not_utf8_is_a_usage_error_naming_it(
    runbook_project: ReadinessProject, pytester: pytest.Pytester, name: str
) -> None:
    record = pytester.path / "readiness" / name
    record.parent.mkdir()
    record.write_bytes("# by Ren\u00e9\n".encode("latin-1"))
    result = runbook_project.run()
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"ERROR: {record}: not UTF-8 text*"])


def test_a_bad_waiver_is_a_usage_error_naming_the_file_and_entry(runbook_project, pytester):
    (pytester.path / "readiness").mkdir()
    (pytester.path / "readiness" / "waivers.toml").write_text(
        '[[waiver]]\nitem = "Build: PASSING"\nenv = "local"\naccepted_by = "A"\n'
        "expires = 2026-12-01\n"
    )
    result = runbook_project.run()
    assert result.ret == 4
    result.stderr.fnmatch_lines(
        ["*waivers.toml: entry 1 ('Build: PASSING'): missing justification*"]
    )


def test_a_waived_failure_keeps_go_and_does_not_stop_fail_fast(runbook_project, pytester):
    runbook_project.config(CONFIG.format(blocking="false"))
    runbook_project.checks(
        '@pytest.mark.gate("Lint: 0 errors, 0 warnings")\n'
        'def test_lint(): assert False, "eslint: 3 errors in app.ts"\n',
        "test_lint",
    )
    (pytester.path / "readiness").mkdir()
    (pytester.path / "readiness" / "waivers.toml").write_text(
        '[[waiver]]\nitem = "Lint: 0 errors, 0 warnings"\nenv = "local"\n'
        'justification = "legacy files"\naccepted_by = "Ana (CTO)"\nexpires = 2999-01-01\n'
    )
    result = runbook_project.run("--readiness-fail-fast")
    assert result.ret == 0
    items = runbook_project.items()
    assert items["Lint: 0 errors, 0 warnings"]["outcome"] == "waived"
    assert items["Lint: 0 errors, 0 warnings"]["waiver"]["status"] == "applied"
    assert items["RLS tests: All passing"]["outcome"] == "passed"


def test_the_report_names_sign_offs_for_lines_not_in_the_runbook(runbook_project, pytester):
    (pytester.path / "readiness").mkdir()
    (pytester.path / "readiness" / "signoffs.toml").write_text(
        '[[signoff]]\nitem = "CEO approval"\nenv = "local"\ncommit = "abcdef0"\n'
        'by = "J"\nrole = "CEO"\nwhen = 2026-11-25T18:00:00Z\n'
    )
    runbook_project.run()
    [orphan] = runbook_project.report()["runbook"]["orphan_signoffs"]
    assert "closest runbook line: 'CEO approval required'" in orphan["reason"]


def test_a_sign_off_from_the_cli_signs_the_line_off(runbook_project, pytester, monkeypatch):
    git(pytester.path, "init", "-q")
    git(pytester.path, "-c", "user.email=t@e", "-c", "user.name=T", "add", ".")
    git(pytester.path, "-c", "user.email=t@e", "-c", "user.name=T", "commit", "-qm", "x")
    monkeypatch.chdir(pytester.path)
    assert (
        cli.main(
            [
                "sign-off",
                "CEO approval required",
                "--env",
                "local",
                "--by",
                "Justin",
                "--role",
                "CEO",
            ]
        )
        == 0
    )
    runbook_project.run()
    approval = runbook_project.items()["CEO approval required"]
    assert approval["outcome"] == "signed-off"
    assert approval["signoff"]["valid"]["by"] == "Justin"
    checklist = runbook_project.text()
    checklist = checklist[checklist.index('id="readiness-checklist"') :]
    assert "signed-off</span> by Justin (CEO), 20" in checklist


def test_the_html_checklist_reads_like_the_runbook(runbook_project):
    runbook_project.run()
    page = runbook_project.text()
    html = page[page.index('id="readiness-checklist"') :]
    gates = html.index("Pre-Deployment Checklist / Code Quality Gates")
    db = html.index("Pre-Deployment Checklist / Database Readiness")
    assert gates < html.index("Build: PASSING") < db < html.index("RLS tests: All passing")
    assert html.index("Deployment Steps / Phase 1: Final Validation (30 min)") < html.index(
        "CEO approval required"
    )
    assert '<span aria-hidden="true">&#x2713;</span> <span class="outcome outcome-passed">' in html


DATA = Path(__file__).parent / "data"


def _public_checklist(project: ReadinessProject, sections: str) -> pytest.RunResult:
    runbook = (DATA / "prc-release-foundations.md").read_text()
    project.pytester.path.joinpath("runbook.md").write_text(runbook)
    project.config(
        f"""
        [tool.readiness]
        runbook = "runbook.md"
        [tool.readiness.sections]
        {sections}
        [tool.readiness.envs.local]
        manual_blocking = false
        """
    )
    project.checks(
        '@pytest.mark.gate("PRC-02-001 — A critical user journey has not been tested '
        'successfully end to end.")\ndef test_journey(): pass\n'
    )
    return project.run()


def test_a_partly_mapped_public_checklist_is_a_usage_error_listing_each_unmapped_heading(
    project: ReadinessProject,
) -> None:
    result = _public_checklist(project, '"2. Immediate no-go conditions" = "gate"')
    assert result.ret == 4
    err = result.stderr.str()
    assert "does not map" in err
    assert '"3.1 Release identity" = "ignore"' in err
    assert '"3.2 Scope" = "ignore"' in err
    assert '"2. Immediate no-go conditions" = ' not in err
    assert not (project.pytester.path / "reports" / "readiness-local.json").exists()


def test_a_checklist_with_no_mapped_heading_says_so(project: ReadinessProject) -> None:
    result = _public_checklist(project, "")
    assert result.ret == 4
    err = result.stderr.str()
    assert "has no heading mapped to a phase" in err
    assert '"Code Quality Gates"' in err  # the default heading names are named
    assert "closest runbook line" not in err


def test_every_heading_mapped_or_ignored_lists_every_line(project: ReadinessProject) -> None:
    mapping = {
        "2. Immediate no-go conditions": "gate",
        "3.1 Release identity": "docs",
        "3.2 Scope": "ignore",
    }
    sections = "\n".join(f'"{heading}" = "{value}"' for heading, value in mapping.items())
    result = _public_checklist(project, sections)
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    book = runbook.load(project.pytester.path / "runbook.md", runbook.sections_from_config(mapping))
    expected = [line.key for line in book.checklist("pre")]
    titles = [runbook.normalise(item["title"]) for item in project.report()["items"]]
    assert len(expected) > 10
    assert sorted(titles) == sorted(expected)
    assert not any(line.heading_path[-1] == "3.2 Scope" for line in book.checklist("pre"))
