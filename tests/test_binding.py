"""The runbook decides the report: manual lines, sign-offs and waivers end up on the items."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from pytest_readiness import config
from pytest_readiness.model import Item, Outcome, Report
from pytest_readiness.report import checklist
from pytest_readiness.report.checklist import render_checklist
from pytest_readiness.runbook import binding, signoffs
from pytest_readiness.runbook.lines import Check

RUNBOOK = """# Runbook

## Code Quality Gates

- [ ] Build: PASSING (`make build`)
- [ ] Lint: clean

## Deployment Steps

1. Run the suite
2. CEO approval required
"""
PYPROJECT = """
[tool.readiness]
runbook = "runbook.md"

[tool.readiness.envs.production]
base_url = "https://example.com"
"""
TODAY = date(2026, 11, 25)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "runbook.md").write_text(RUNBOOK, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "T")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "start")
    return tmp_path


def item(nodeid: str, title: str, outcome: Outcome, reason: str = "") -> Item:
    return Item(id=nodeid, title=title, category="gate", phase=1, outcome=outcome, reason=reason)


BUILD = Check("Build: PASSING", "checks/test_gates.py::test_build", "gate")
LINT = Check("Lint: clean", "checks/test_gates.py::test_lint", "gate")


def finish(project: Path, lint: Outcome = Outcome.PASSED, manual_blocking: bool = True):
    cfg = config.load(project)
    source = binding.load_source(cfg)
    assert source is not None
    bound = binding.bind_checks(source, [BUILD, LINT])
    items = [
        item(
            LINT.nodeid,
            LINT.title,
            lint,
            "eslint: 2 errors in app.ts" if lint.value == "failed" else "",
        ),
        item(BUILD.nodeid, BUILD.title, Outcome.PASSED),
    ]
    finished = binding.finish_items(
        items,
        bound,
        source,
        env="production",
        commit=binding.current_commit(project),
        today=TODAY,
        manual_blocking=manual_blocking,
        config=cfg,
    )
    return Report("production", finished, cfg.phases, "s", "f")


def sign(project: Path, **changes: object) -> None:
    fields: dict[str, object] = {
        "item": "CEO approval required",
        "env": "production",
        "commit": git(project, "rev-parse", "HEAD"),
        "by": "Justin",
        "role": "CEO",
        "when": datetime(2026, 11, 25, 18, 0, tzinfo=UTC),
    }
    fields.update(changes)
    signoffs.append(project / "readiness" / "signoffs.toml", signoffs.SignOff(**fields))  # type: ignore[arg-type]


def waive(project: Path, expires: str) -> None:
    (project / "readiness").mkdir(exist_ok=True)
    (project / "readiness" / "waivers.toml").write_text(
        '[[waiver]]\nitem = "Lint: clean"\nenv = "production"\n'
        f'justification = "generated file"\naccepted_by = "Ana (CTO)"\nexpires = {expires}\n',
        encoding="utf-8",
    )


def test_without_a_runbook_key_binding_is_off(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.readiness]\n", encoding="utf-8")
    assert binding.load_source(config.load(tmp_path)) is None


def test_a_missing_runbook_file_is_a_setup_error_naming_it(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    with pytest.raises(binding.RunbookSetupError, match=r"runbook 'runbook\.md' does not exist"):
        binding.load_source(config.load(tmp_path))


def test_a_bad_waiver_is_a_setup_error_naming_file_and_entry(project):
    (project / "readiness").mkdir()
    (project / "readiness" / "waivers.toml").write_text(
        '[[waiver]]\nitem = "Lint"\nenv = "production"\naccepted_by = "A"\nexpires = 2026-12-01\n',
        encoding="utf-8",
    )
    with pytest.raises(binding.RunbookSetupError, match=r"waivers.toml: entry 1 \('Lint'\)"):
        binding.load_source(config.load(project))


def test_collect_only_lines_show_each_runbook_line_with_its_binding(project):
    source = binding.load_source(config.load(project))
    assert source is not None
    lines = binding.collection_lines(binding.bind_checks(source, [BUILD]))
    assert lines == [
        "[Code Quality Gates] Build: PASSING (make build) -- automated by "
        "checks/test_gates.py::test_build",
        "[Code Quality Gates] Lint: clean -- manual: not automated, needs sign-off",
        "[Deployment Steps] CEO approval required -- manual: not automated, needs sign-off",
    ]


def test_an_unsigned_manual_line_blocks_with_awaiting_sign_off(project):
    report = finish(project)
    assert [i.title for i in report.items] == [
        "Build: PASSING",
        "Lint: clean",
        "CEO approval required",
    ]
    approval = report.items[-1]
    assert (approval.outcome, approval.reason, approval.id) == (
        Outcome.MANUAL,
        "awaiting sign-off",
        "runbook:11",
    )
    assert report.verdict == "NO-GO"
    assert report.blockers == (approval,)


def test_unsigned_manual_lines_only_warn_when_not_blocking(project):
    report = finish(project, manual_blocking=False)
    assert report.verdict == "GO"
    assert [i.title for i in report.warnings] == ["CEO approval required"]


def test_a_valid_sign_off_makes_the_line_signed_off_and_the_verdict_go(project):
    sign(project)
    report = finish(project)
    approval = report.items[-1]
    assert approval.outcome is Outcome.SIGNED_OFF
    assert approval.reason == "signed off by Justin (CEO) on 2026-11-25 18:00 UTC"
    assert report.verdict == "GO"
    data = approval.to_dict()
    assert data["signoff"]["valid"]["by"] == "Justin"
    assert data["runbook_line"]["line"] == 11


def test_committing_the_sign_off_keeps_it_valid(project):
    sign(project)
    git(project, "add", ".")
    git(project, "commit", "-qm", "CEO signs off")
    assert finish(project).verdict == "GO"


def test_a_sign_off_for_another_env_does_not_count_and_the_report_says_so(project):
    sign(project, env="staging")
    approval = finish(project).items[-1]
    assert approval.outcome is Outcome.MANUAL
    assert "is for env 'staging', not 'production'" in approval.reason
    assert approval.to_dict()["signoff"]["rejected"][0]["env"] == "staging"


def test_a_sign_off_for_an_older_commit_with_code_changes_does_not_count(project):
    sign(project)
    (project / "app.py").write_text("x = 2\n")
    git(project, "add", ".")
    git(project, "commit", "-qm", "change code")
    approval = finish(project).items[-1]
    assert approval.outcome is Outcome.MANUAL
    assert "is for commit" in approval.reason


def test_a_failing_line_under_a_valid_waiver_is_waived_and_keeps_its_reason(project):
    sign(project)
    waive(project, "2026-12-01")
    report = finish(project, lint=Outcome.FAILED)
    lint = report.items[1]
    assert lint.outcome is Outcome.WAIVED
    assert lint.reason.startswith("eslint: 2 errors in app.ts (waived until 2026-12-01 by Ana")
    assert lint.to_dict()["waiver"]["status"] == "applied"
    assert report.verdict == "GO"


def test_an_expired_waiver_does_nothing_and_says_so(project):
    sign(project)
    waive(project, "2026-11-24")
    report = finish(project, lint=Outcome.FAILED)
    lint = report.items[1]
    assert lint.outcome is Outcome.FAILED
    assert lint.to_dict()["waiver"]["note"] == "waiver expired on 2026-11-24"
    assert report.verdict == "NO-GO"


def test_a_waiver_for_a_passing_line_is_reported_unnecessary(project):
    waive(project, "2026-12-01")
    lint = finish(project).items[1]
    assert lint.outcome is Outcome.PASSED
    assert lint.to_dict()["waiver"]["status"] == "unnecessary"


def test_check_items_carry_their_runbook_line_and_empty_records(project):
    data = finish(project).items[0].to_dict()
    assert data["runbook_line"]["text"] == "Build: PASSING (make build)"
    assert data["runbook_line"]["markdown"] == "Build: PASSING (`make build`)"
    assert data["signoff"] is None and data["waiver"] is None


def test_the_markdown_checklist_ticks_from_the_finished_items(project):
    sign(project)
    report = finish(project, lint=Outcome.FAILED)
    source = binding.load_source(config.load(project))
    assert source is not None
    markdown = render_checklist(
        source.runbook.checklist("pre"),
        checklist.outcomes_by_title(report.items),
        verdict=str(report.verdict),
    )
    assert "- [x] Build: PASSING (`make build`)" in markdown
    assert "- [ ] Lint: clean" in markdown
    assert "- [x] CEO approval required" in markdown


def test_the_report_lists_sign_offs_for_lines_the_runbook_lacks(project):
    sign(project, item="CEO approval")
    cfg = config.load(project)
    source = binding.load_source(cfg)
    assert source is not None
    bound = binding.bind_checks(source, [BUILD, LINT])
    extra = binding.report_extra(
        source, bound, env="production", commit=binding.current_commit(project), root=project
    )["runbook"]
    assert (extra["lines"], extra["manual"]) == (3, 1)
    [orphan] = extra["orphan_signoffs"]
    assert "closest runbook line: 'CEO approval required'" in orphan["reason"]
    assert extra["unmapped_lines"] == []


def test_lines_under_an_unmapped_heading_stop_the_run_with_the_toml_to_add(project):
    (project / "runbook.md").write_text(RUNBOOK + "\n## Someday\n\n- [ ] Rewrite it\n")
    cfg = config.load(project)
    with pytest.raises(binding.RunbookSetupError) as caught:
        binding.load_source(cfg)
    message = str(caught.value)
    assert "does not map" in message
    assert "[tool.readiness.sections]" in message
    assert '"Someday" = "ignore"   # 1 task line, first: line' in message
    assert "'Rewrite it'" in message


def test_fail_fast_can_ask_whether_a_failure_is_waived(project):
    waive(project, "2026-12-01")
    source = binding.load_source(config.load(project))
    assert source is not None
    assert binding.waives_failure(source, "Lint: clean", env="production", today=TODAY)
    assert not binding.waives_failure(source, "Lint: clean", env="staging", today=TODAY)
    assert not binding.waives_failure(
        source, "Lint: clean", env="production", today=date(2026, 12, 2)
    )


def test_items_group_under_their_runbook_headings_in_runbook_order(project):
    sections = checklist.checklist_sections(finish(project).items)
    assert [(path[-1], [i.title for i in group]) for path, group in sections] == [
        ("Code Quality Gates", ["Build: PASSING", "Lint: clean"]),
        ("Deployment Steps", ["CEO approval required"]),
    ]
